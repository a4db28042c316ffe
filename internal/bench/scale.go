package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// Goals of (3) and (4).
const (
	refreshGoal = 1.15
	applyGoal   = 1.3
)

// scaleParallelism is Terraform's default -parallelism, which (3) and (4) leave as it is.
const scaleParallelism = 10

// sdkLogsOff turns off the trace logs that the plugin libraries write for every RPC and every
// attribute. Terraform drops them unless TF_LOG is set, but a plugin formats them regardless;
// apimart_image turns them off itself when no TF_LOG variable is set. The no-op provider keeps
// the framework's default, as a minimal provider would, except in the rows that say otherwise.
var sdkLogsOff = []string{"TF_LOG_SDK=off", "TF_LOG_SDK_PROTO=off", "TF_LOG_SDK_FRAMEWORK=off"}

// pairStats holds two commands timed back to back in each run, and their ratio per run.
type pairStats struct {
	subject, baseline, ratios []float64
}

func (p *pairStats) add(subject, baseline time.Duration) {
	p.subject = append(p.subject, seconds(subject))
	p.baseline = append(p.baseline, seconds(baseline))
	p.ratios = append(p.ratios, subject.Seconds()/baseline.Seconds())
}

func (p *pairStats) result() string {
	return fmt.Sprintf("%s vs %s = %s", fmtSeconds(Median(p.subject)), fmtSeconds(Median(p.baseline)), fmtRatio(Median(p.ratios)))
}

// scaleState is the workspaces whose states the plans of (3) read: the first apply run's.
type scaleState struct {
	images, things, bareImages, data *Workspace
}

// applyResult is what the applies of (4) measured.
type applyResult struct {
	runs       int
	vsNoop     pairStats
	requests   []float64     // API requests per apply of the images
	schemaOnly time.Duration // noop_image with the plugin logs off, once
}

// planResult is what the plans of (3) measured.
type planResult struct {
	runs           int
	vsNoop, vsData pairStats
	noopVsData     pairStats
	// The floor is noop_image answered at the protocol level: Terraform's own cost of the schema.
	floorVsNoop, vsFloor pairStats
	// noop_image through the framework, with the plugin logs off: a framework provider's floor.
	frameworkVsNoop, vsFramework pairStats
	quietNoopVsNoop              pairStats
	requests                     []float64 // API requests during each plan of the images
}

// protocolOnly makes the no-op provider answer noop_image's refresh and plan without the
// framework; the variable is EnvProtocolOnly of internal/bench/noopprovider.
var protocolOnly = append([]string{"NOOP_PROTOCOL_ONLY=1"}, sdkLogsOff...)

func runScale(ctx context.Context, h *harness) (outcome, error) {
	// Tasks that end at once leave only the provider's own work in the apply.
	f, err := StartFake(fakeapimart.WithTaskDuration(0))
	if err != nil {
		return outcome{}, err
	}
	defer f.Close()
	applies, state, err := measureApplies(ctx, h, f)
	if err != nil {
		return outcome{}, err
	}
	plans, err := measurePlans(ctx, h, f, state)
	if err != nil {
		return outcome{}, err
	}
	return scaleOutcome(h.sizes.scaleResources, applies, plans), nil
}

func measureApplies(ctx context.Context, h *harness, f *Fake) (applyResult, scaleState, error) {
	n := h.sizes.scaleResources
	var res applyResult
	var state scaleState
	var err error
	res.runs, err = h.repeat(ctx, "apply", func(ctx context.Context, i int) error {
		images, wallImages, requests, err := applyImages(ctx, h, f, n)
		if err != nil {
			return err
		}
		things, wallThings, err := applyNoop(ctx, h, "noop_thing", n)
		if err != nil {
			return err
		}
		res.vsNoop.add(wallImages, wallThings)
		res.requests = append(res.requests, float64(requests))
		if i == 0 {
			state.images, state.things = images, things
		}
		h.logf("scale: apply run %d/%d: %d images %s, %d no-op %s (%s)", i+1, h.opts.Runs, n, fmtSeconds(seconds(wallImages)), n,
			fmtSeconds(seconds(wallThings)), fmtRatio(last(res.vsNoop.ratios)))
		return nil
	})
	if err != nil {
		return res, state, err
	}

	h.logf("scale: diagnostic applies: %d noop_image with the plugin logs off, %d terraform_data", n, n)
	if state.bareImages, res.schemaOnly, err = applyNoop(ctx, h, "noop_image", n, sdkLogsOff...); err != nil {
		return res, state, err
	}
	state.data, _, err = applyNoop(ctx, h, "terraform_data", n)
	return res, state, err
}

// applyImages applies n images in a fresh workspace and returns it with the wall time and the
// requests the fake saw.
func applyImages(ctx context.Context, h *harness, f *Fake, n int) (*Workspace, time.Duration, int64, error) {
	ws, err := h.env.Workspace("scale-apimart_image")
	if err != nil {
		return nil, 0, 0, err
	}
	if err := ws.WriteConfig(terraformBlock("apimart") + f.ProviderBlock("") + imagesBlock("img", n, "")); err != nil {
		return nil, 0, 0, err
	}
	f.ResetCounters()
	r, err := ws.Apply(ctx, scaleParallelism)
	return ws, r.Wall, f.Counters().Requests, err
}

// measurePlans times plans of the states the applies left, side by side in each run, after one
// unmeasured plan of each to warm the file cache.
func measurePlans(ctx context.Context, h *harness, f *Fake, st scaleState) (planResult, error) {
	var res planResult
	others := []struct {
		name string
		ws   *Workspace
	}{
		{"noop_thing", st.things}, {"terraform_data", st.data}, {"floor", st.bareImages.WithEnv(protocolOnly...)},
		{"framework floor", st.bareImages.WithEnv(sdkLogsOff...)}, {"quiet noop_thing", st.things.WithEnv(sdkLogsOff...)},
	}
	if _, err := st.images.Plan(ctx); err != nil {
		return res, err
	}
	for _, o := range others {
		if _, err := o.ws.Plan(ctx); err != nil {
			return res, err
		}
	}
	var err error
	res.runs, err = h.repeat(ctx, "plan", func(ctx context.Context, i int) error {
		f.ResetCounters()
		images, err := st.images.Plan(ctx)
		if err != nil {
			return err
		}
		res.requests = append(res.requests, float64(f.Counters().Requests))
		walls := map[string]time.Duration{}
		for _, o := range others {
			r, err := o.ws.Plan(ctx)
			if err != nil {
				return err
			}
			walls[o.name] = r.Wall
		}
		res.vsNoop.add(images.Wall, walls["noop_thing"])
		res.vsData.add(images.Wall, walls["terraform_data"])
		res.noopVsData.add(walls["noop_thing"], walls["terraform_data"])
		res.floorVsNoop.add(walls["floor"], walls["noop_thing"])
		res.vsFloor.add(images.Wall, walls["floor"])
		res.frameworkVsNoop.add(walls["framework floor"], walls["noop_thing"])
		res.vsFramework.add(images.Wall, walls["framework floor"])
		res.quietNoopVsNoop.add(walls["quiet noop_thing"], walls["noop_thing"])
		h.logf("scale: plan run %d/%d: images %s, noop_thing %s, noop_image at the protocol level %s, through the framework %s, terraform_data %s",
			i+1, h.opts.Runs, fmtSeconds(seconds(images.Wall)), fmtSeconds(seconds(walls["noop_thing"])), fmtSeconds(seconds(walls["floor"])),
			fmtSeconds(seconds(walls["framework floor"])), fmtSeconds(seconds(walls["terraform_data"])))
		return nil
	})
	return res, err
}

func scaleOutcome(n int, ap applyResult, pl planResult) outcome {
	noopApply := Median(ap.vsNoop.baseline)
	applyFloor := fmt.Sprintf("%s vs %s = %s", fmtSeconds(seconds(ap.schemaOnly)), fmtSeconds(noopApply), fmtRatio(seconds(ap.schemaOnly)/noopApply))
	figures := []Figure{{
		ID: "3a", What: fmt.Sprintf("Plan of %d completed images: API requests (max over runs)", n),
		Result: fmtCount(Max(pl.requests)), Goal: "0", Verdict: verdict(Max(pl.requests) == 0), Runs: pl.runs,
	}, {
		ID: "3b", What: fmt.Sprintf("Plan of %d completed images vs %d noop_thing", n, n),
		Result: pl.vsNoop.result(), Goal: fmt.Sprintf("≤ %.2f×", refreshGoal), Verdict: verdict(Median(pl.vsNoop.ratios) <= refreshGoal), Runs: pl.runs,
	}, {
		ID: "3c", What: fmt.Sprintf("Plan of %d completed images vs %d terraform_data (noop_thing vs terraform_data: %s)", n, n, fmtRatio(Median(pl.noopVsData.ratios))),
		Result: pl.vsData.result(), Goal: "reference", Verdict: Info, Runs: pl.runs,
	}, {
		ID: "3d", What: fmt.Sprintf("Floor of apimart_image's schema: plan of %d noop_image answered at the protocol level (same schema, no framework, no work) vs %d noop_thing", n, n),
		Result: pl.floorVsNoop.result(), Goal: "reference", Verdict: Info, Runs: pl.runs,
	}, {
		ID: "3e", What: "Plan of the completed images vs that floor: what the provider's code adds",
		Result: pl.vsFloor.result(), Goal: "diagnostic", Verdict: Info, Runs: pl.runs,
	}, {
		ID: "4a", What: fmt.Sprintf("Apply of %d images (instant tasks, default settings) vs %d noop_thing", n, n),
		Result: ap.vsNoop.result(), Goal: fmt.Sprintf("≤ %.2f×", applyGoal), Verdict: verdict(Median(ap.vsNoop.ratios) <= applyGoal), Runs: ap.runs,
	}, {
		ID: "4b", What: fmt.Sprintf("Floor of the schema: apply of %d noop_image (no code, the state filled as a completed image's, plugin logs off) vs the median noop_thing apply", n),
		Result: applyFloor, Goal: "reference", Verdict: Info, Runs: 1,
	}}
	details := Table{
		Title:  fmt.Sprintf("(3, 4) %d resources: command wall times (medians; ratios taken within each run)", n),
		Header: []string{"Command", "Subject", "Baseline", "Subject vs baseline = ratio", "Runs"},
		Rows: [][]string{
			{"plan", "apimart_image", "noop_thing", pl.vsNoop.result(), fmt.Sprint(pl.runs)},
			{"plan", "apimart_image", "terraform_data", pl.vsData.result(), fmt.Sprint(pl.runs)},
			{"plan", "noop_thing", "terraform_data", pl.noopVsData.result(), fmt.Sprint(pl.runs)},
			{"plan", "noop_image at the protocol level (the schema's floor)", "noop_thing", pl.floorVsNoop.result(), fmt.Sprint(pl.runs)},
			{"plan", "apimart_image", "noop_image at the protocol level", pl.vsFloor.result(), fmt.Sprint(pl.runs)},
			{"plan", "noop_image through the framework, plugin logs off", "noop_thing", pl.frameworkVsNoop.result(), fmt.Sprint(pl.runs)},
			{"plan", "apimart_image", "noop_image through the framework, plugin logs off", pl.vsFramework.result(), fmt.Sprint(pl.runs)},
			{"plan", "noop_thing, plugin logs off", "noop_thing", pl.quietNoopVsNoop.result(), fmt.Sprint(pl.runs)},
			{"apply, instant tasks", "apimart_image", "noop_thing", ap.vsNoop.result(), fmt.Sprint(ap.runs)},
			{"apply", "noop_image, state filled as a completed image's, plugin logs off (the schema's floor)", "noop_thing (median)", applyFloor, "1"},
		},
		Notes: []string{
			fmt.Sprintf("API requests per image: plan %s, apply %.2f.", fmtCount(Max(pl.requests)/float64(n)), Median(ap.requests)/float64(n)),
			fmt.Sprintf("Every apply uses -parallelism=%d (Terraform's default). Rows with 1 run are measured once per benchmark run.", scaleParallelism),
			"Plugin logs off: TF_LOG_SDK, TF_LOG_SDK_PROTO and TF_LOG_SDK_FRAMEWORK set to off, which apimart_image does by itself when no TF_LOG variable is set.",
			"noop_image has apimart_image's schema and no code. Answered at the protocol level, its plan is Terraform's own work on that schema, which no provider can avoid: where that floor is above a goal, only a smaller schema could meet it.",
		},
	}
	return outcome{figures: figures, details: []Table{details}}
}
