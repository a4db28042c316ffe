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
// attribute. Terraform drops them unless TF_LOG is set, but a plugin formats them regardless.
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
	bareImages time.Duration // noop_image, once
}

// planResult is what the plans of (3) measured.
type planResult struct {
	runs                                   int
	vsNoop, vsData, noopVsData, bareVsNoop pairStats
	vsBare, logsOffVsNoop                  pairStats
	requests                               []float64 // API requests during each plan of the images
}

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

	h.logf("scale: diagnostic applies: %d noop_image, %d terraform_data", n, n)
	if state.bareImages, res.bareImages, err = applyNoop(ctx, h, "noop_image", n); err != nil {
		return res, state, err
	}
	state.data, _, err = applyNoop(ctx, h, "terraform_data", n)
	return res, state, err
}

// applyImages applies n images in a fresh workspace and returns it with the wall time and the
// requests the fake saw.
func applyImages(ctx context.Context, h *harness, f *Fake, n int, extra ...string) (*Workspace, time.Duration, int64, error) {
	ws, err := h.env.Workspace("scale-apimart_image")
	if err != nil {
		return nil, 0, 0, err
	}
	if err := ws.WriteConfig(terraformBlock("apimart") + f.ProviderBlock("", extra...) + imagesBlock("img", n, "")); err != nil {
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
	imagesLogsOff, thingsLogsOff := st.images.WithEnv(sdkLogsOff...), st.things.WithEnv(sdkLogsOff...)
	for _, ws := range []*Workspace{st.images, st.things, st.bareImages, st.data} {
		if _, err := ws.Plan(ctx); err != nil {
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
		for name, ws := range map[string]*Workspace{"things": st.things, "bare": st.bareImages, "data": st.data, "imagesOff": imagesLogsOff, "thingsOff": thingsLogsOff} {
			r, err := ws.Plan(ctx)
			if err != nil {
				return err
			}
			walls[name] = r.Wall
		}
		res.vsNoop.add(images.Wall, walls["things"])
		res.vsData.add(images.Wall, walls["data"])
		res.noopVsData.add(walls["things"], walls["data"])
		res.bareVsNoop.add(walls["bare"], walls["things"])
		res.vsBare.add(images.Wall, walls["bare"])
		res.logsOffVsNoop.add(walls["imagesOff"], walls["thingsOff"])
		h.logf("scale: plan run %d/%d: images %s, noop_thing %s, noop_image %s, terraform_data %s", i+1, h.opts.Runs,
			fmtSeconds(seconds(images.Wall)), fmtSeconds(seconds(walls["things"])), fmtSeconds(seconds(walls["bare"])), fmtSeconds(seconds(walls["data"])))
		return nil
	})
	return res, err
}

func scaleOutcome(n int, ap applyResult, pl planResult) outcome {
	noopApply := Median(ap.vsNoop.baseline)
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
		ID: "4a", What: fmt.Sprintf("Apply of %d images (instant tasks, default settings) vs %d noop_thing", n, n),
		Result: ap.vsNoop.result(), Goal: fmt.Sprintf("≤ %.2f×", applyGoal), Verdict: verdict(Median(ap.vsNoop.ratios) <= applyGoal), Runs: ap.runs,
	}}
	details := Table{
		Title:  fmt.Sprintf("(3, 4) %d resources: command wall times (medians; ratios taken within each run)", n),
		Header: []string{"Command", "Subject", "Baseline", "Subject vs baseline = ratio", "Runs"},
		Rows: [][]string{
			{"plan", "apimart_image", "noop_thing", pl.vsNoop.result(), fmt.Sprint(pl.runs)},
			{"plan", "apimart_image", "terraform_data", pl.vsData.result(), fmt.Sprint(pl.runs)},
			{"plan", "noop_thing", "terraform_data", pl.noopVsData.result(), fmt.Sprint(pl.runs)},
			{"plan", "noop_image (apimart_image's schema, no code)", "noop_thing", pl.bareVsNoop.result(), fmt.Sprint(pl.runs)},
			{"plan", "apimart_image", "noop_image", pl.vsBare.result(), fmt.Sprint(pl.runs)},
			{"plan, SDK trace logs off in both", "apimart_image", "noop_thing", pl.logsOffVsNoop.result(), fmt.Sprint(pl.runs)},
			{"apply, instant tasks, default settings", "apimart_image", "noop_thing", ap.vsNoop.result(), fmt.Sprint(ap.runs)},
			{"apply", "noop_image (apimart_image's schema, no code)", "noop_thing (median)", fmt.Sprintf("%s vs %s = %s", fmtSeconds(seconds(ap.bareImages)), fmtSeconds(noopApply), fmtRatio(seconds(ap.bareImages)/noopApply)), "1"},
		},
		Notes: []string{
			fmt.Sprintf("API requests per image: plan %s, apply with default settings %.2f.",
				fmtCount(Max(pl.requests)/float64(n)), Median(ap.requests)/float64(n)),
			fmt.Sprintf("Every apply uses -parallelism=%d (Terraform's default). Diagnostic rows with 1 run are measured once per benchmark run.", scaleParallelism),
			"SDK trace logs off: TF_LOG_SDK, TF_LOG_SDK_PROTO and TF_LOG_SDK_FRAMEWORK set to off for both plans.",
		},
	}
	return outcome{figures: figures, details: []Table{details}}
}
