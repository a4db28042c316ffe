package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// scaleGoal bounds plan and apply of completed images against their floor: noop_image, the same
// schema with none of apimart_image's code, served by the same framework.
const scaleGoal = 1.10

// scaleParallelism is Terraform's default -parallelism, which (3) and (4) leave as it is.
const scaleParallelism = 10

// sdkLogsOff turns off the trace logs that the plugin libraries write for every RPC and every
// attribute. Terraform drops them unless TF_LOG is set, but a plugin formats them regardless;
// apimart_image turns them off itself when no TF_LOG variable is set, and noop_image, its floor,
// runs with them off too. noop_thing keeps the framework's default, as a minimal provider would.
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
	images, floor, things, data *tfharness.Workspace
}

// applyResult is what the applies of (4) measured.
type applyResult struct {
	runs            int
	vsFloor, vsNoop pairStats
	requests        []float64 // API requests per apply of the images
}

// planResult is what the plans of (3) measured.
type planResult struct {
	runs                    int
	vsFloor, vsNoop, vsData pairStats
	floorVsNoop, noopVsData pairStats
	requests                []float64 // API requests during each plan of the images
}

func runScale(ctx context.Context, h *harness) (outcome, error) {
	// Tasks that end at once leave only the provider's own work in the apply.
	f := StartFake(func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
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
		floor, wallFloor, err := applyNoop(ctx, h, "noop_image", n, sdkLogsOff...)
		if err != nil {
			return err
		}
		things, wallThings, err := applyNoop(ctx, h, "noop_thing", n)
		if err != nil {
			return err
		}
		res.vsFloor.add(wallImages, wallFloor)
		res.vsNoop.add(wallImages, wallThings)
		res.requests = append(res.requests, float64(requests))
		if i == 0 {
			state.images, state.floor, state.things = images, floor, things
		}
		h.logf("scale: apply run %d/%d of %d each: images %s, noop_image %s (%s), noop_thing %s", i+1, h.opts.Runs, n,
			fmtSeconds(seconds(wallImages)), fmtSeconds(seconds(wallFloor)), fmtRatio(last(res.vsFloor.ratios)), fmtSeconds(seconds(wallThings)))
		return nil
	})
	if err != nil {
		return res, state, err
	}
	h.logf("scale: applying %d terraform_data for the plans to read", n)
	state.data, _, err = applyNoop(ctx, h, "terraform_data", n)
	return res, state, err
}

// applyImages applies n images in a fresh workspace and returns it with the wall time and the
// requests the fake saw.
func applyImages(ctx context.Context, h *harness, f *Fake, n int) (*tfharness.Workspace, time.Duration, int64, error) {
	ws, err := h.env.Workspace("scale-apimart_image")
	if err != nil {
		return nil, 0, 0, err
	}
	if err := ws.WriteFile("main.tf", terraformBlock("apimart")+f.ProviderBlock("")+imagesBlock("img", n, "")); err != nil {
		return nil, 0, 0, err
	}
	f.ResetCounters()
	r, err := apply(ctx, ws, scaleParallelism)
	return ws, r.Wall, f.Counters().Requests, err
}

// measurePlans times plans of the states the applies left, side by side in each run, after one
// unmeasured plan of each to warm the file cache.
func measurePlans(ctx context.Context, h *harness, f *Fake, st scaleState) (planResult, error) {
	var res planResult
	baselines := []struct {
		name string
		ws   *tfharness.Workspace
	}{
		{"noop_image", st.floor}, {"noop_thing", st.things}, {"terraform_data", st.data},
	}
	for _, ws := range []*tfharness.Workspace{st.images, st.floor, st.things, st.data} {
		if _, err := plan(ctx, ws); err != nil {
			return res, err
		}
	}
	var err error
	res.runs, err = h.repeat(ctx, "plan", func(ctx context.Context, i int) error {
		f.ResetCounters()
		images, err := plan(ctx, st.images)
		if err != nil {
			return err
		}
		res.requests = append(res.requests, float64(f.Counters().Requests))
		walls := map[string]time.Duration{}
		for _, b := range baselines {
			r, err := plan(ctx, b.ws)
			if err != nil {
				return err
			}
			walls[b.name] = r.Wall
		}
		res.vsFloor.add(images.Wall, walls["noop_image"])
		res.vsNoop.add(images.Wall, walls["noop_thing"])
		res.vsData.add(images.Wall, walls["terraform_data"])
		res.floorVsNoop.add(walls["noop_image"], walls["noop_thing"])
		res.noopVsData.add(walls["noop_thing"], walls["terraform_data"])
		h.logf("scale: plan run %d/%d: images %s, noop_image %s (%s), noop_thing %s, terraform_data %s", i+1, h.opts.Runs,
			fmtSeconds(seconds(images.Wall)), fmtSeconds(seconds(walls["noop_image"])), fmtRatio(last(res.vsFloor.ratios)),
			fmtSeconds(seconds(walls["noop_thing"])), fmtSeconds(seconds(walls["terraform_data"])))
		return nil
	})
	return res, err
}

func scaleOutcome(n int, ap applyResult, pl planResult) outcome {
	goal := fmt.Sprintf("≤ %.2f×", scaleGoal)
	figures := []Figure{{
		ID: "3a", What: fmt.Sprintf("Plan of %d completed images: API requests (max over runs)", n),
		Result: fmtCount(Max(pl.requests)), Goal: "0", Verdict: verdict(Max(pl.requests) == 0), Runs: pl.runs,
	}, {
		ID: "3b", What: fmt.Sprintf("Plan of %d completed images vs %d noop_image (the same schema without its code, through the framework)", n, n),
		Result: pl.vsFloor.result(), Goal: goal, Verdict: verdict(Median(pl.vsFloor.ratios) <= scaleGoal), Runs: pl.runs,
	}, {
		ID: "3c", What: fmt.Sprintf("Plan of %d completed images vs %d noop_thing (one input and an id)", n, n),
		Result: pl.vsNoop.result(), Goal: "reference", Verdict: Info, Runs: pl.runs,
	}, {
		ID: "3d", What: fmt.Sprintf("Plan of %d completed images vs %d terraform_data (Terraform's built-in resource)", n, n),
		Result: pl.vsData.result(), Goal: "reference", Verdict: Info, Runs: pl.runs,
	}, {
		ID: "4a", What: fmt.Sprintf("Apply of %d images (instant tasks, default settings) vs %d noop_image (state filled as a completed image's)", n, n),
		Result: ap.vsFloor.result(), Goal: goal, Verdict: verdict(Median(ap.vsFloor.ratios) <= scaleGoal), Runs: ap.runs,
	}, {
		ID: "4b", What: fmt.Sprintf("Apply of %d images vs %d noop_thing", n, n),
		Result: ap.vsNoop.result(), Goal: "reference", Verdict: Info, Runs: ap.runs,
	}}
	runs := func(r int) string { return fmt.Sprint(r) }
	details := Table{
		Title:  fmt.Sprintf("(3, 4) %d resources: command wall times (medians; ratios taken within each run)", n),
		Header: []string{"Command", "Subject", "Baseline", "Subject vs baseline = ratio", "Runs"},
		Rows: [][]string{
			{"plan", "apimart_image", "noop_image (the floor)", pl.vsFloor.result(), runs(pl.runs)},
			{"plan", "apimart_image", "noop_thing", pl.vsNoop.result(), runs(pl.runs)},
			{"plan", "apimart_image", "terraform_data", pl.vsData.result(), runs(pl.runs)},
			{"plan", "noop_image", "noop_thing", pl.floorVsNoop.result(), runs(pl.runs)},
			{"plan", "noop_thing", "terraform_data", pl.noopVsData.result(), runs(pl.runs)},
			{"apply, instant tasks", "apimart_image", "noop_image (the floor)", ap.vsFloor.result(), runs(ap.runs)},
			{"apply, instant tasks", "apimart_image", "noop_thing", ap.vsNoop.result(), runs(ap.runs)},
		},
		Notes: []string{
			fmt.Sprintf("API requests per image: plan %s, apply %.2f.", fmtCount(Max(pl.requests)/float64(n)), Median(ap.requests)/float64(n)),
			fmt.Sprintf("Every apply uses -parallelism=%d (Terraform's default).", scaleParallelism),
			"noop_image runs with the plugin logs off (TF_LOG_SDK, TF_LOG_SDK_PROTO and TF_LOG_SDK_FRAMEWORK set to off), as apimart_image does by itself when no TF_LOG variable is set; noop_thing keeps the framework's default.",
			"In process, without Terraform: BenchmarkPlanOfACompletedImage and BenchmarkApplyOfAnImage in internal/bench/noopprovider make the calls of one image's plan and apply against both resources.",
		},
	}
	return outcome{figures: figures, details: []Table{details}}
}
