package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

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

// pair is a figure: a subject and a baseline command timed back to back in each run, and their
// ratio per run; what is its description, given n twice. also, when set, is a reference pair of
// two baselines, whose ratio the figure shows too.
type pair struct {
	id, what                    string
	subject, baseline           string
	also                        *pair
	subjects, baselines, ratios []float64
}

func (p *pair) add(walls map[string]time.Duration) {
	s, b := walls[p.subject].Seconds(), walls[p.baseline].Seconds()
	p.subjects = append(p.subjects, s)
	p.baselines = append(p.baselines, b)
	p.ratios = append(p.ratios, s/b)
	if p.also != nil {
		p.also.add(walls)
	}
}

func (p *pair) result() string {
	result := fmt.Sprintf("%s vs %s = %s", fmtSeconds(median(p.subjects)), fmtSeconds(median(p.baselines)), fmtRatio(median(p.ratios)))
	if p.also != nil {
		result += fmt.Sprintf(" (%s vs %s = %s)", p.also.subject, p.also.baseline, fmtRatio(median(p.also.ratios)))
	}
	return result
}

func runScale(ctx context.Context, h *harness) ([]Figure, error) {
	n := h.sizes.scaleResources
	// Tasks that end at once leave only the provider's own work in the apply.
	f := startFake(0)
	defer f.Close()
	const images = "apimart_image"
	applyKinds := []string{images, "noop_image", "noop_thing"}
	planKinds := append(slices.Clone(applyKinds), "terraform_data")
	plans := []*pair{
		{id: "3b", what: "Plan of %d completed images vs %d noop_image (the same schema without its code, through the framework)", subject: images, baseline: "noop_image"},
		{id: "3c", what: "Plan of %d completed images vs %d noop_thing (one input and an id); noop_image vs noop_thing", subject: images, baseline: "noop_thing",
			also: &pair{subject: "noop_image", baseline: "noop_thing"}},
		{id: "3d", what: "Plan of %d completed images vs %d terraform_data (Terraform's built-in resource); noop_thing vs terraform_data", subject: images, baseline: "terraform_data",
			also: &pair{subject: "noop_thing", baseline: "terraform_data"}},
	}
	applies := []*pair{
		{id: "4a", what: "Apply of %d images (instant tasks, default settings) vs %d noop_image (state filled as a completed image's); API requests per image", subject: images, baseline: "noop_image"},
		{id: "4b", what: "Apply of %d images vs %d noop_thing", subject: images, baseline: "noop_thing"},
	}
	var applyRequests, planRequests []float64
	states := map[string]*tfharness.Workspace{} // the first apply run's, which the plans of (3) read

	applyKind := func(ctx context.Context, kind string) (*tfharness.Workspace, time.Duration, error) {
		if kind != images {
			return h.applyNoop(ctx, kind, n)
		}
		ws, err := h.env.Workspace("scale-"+images, terraformBlock("apimart")+f.providerBlock("")+imagesBlock("img", n, ""))
		if err != nil {
			return nil, 0, err
		}
		r, err := apply(ctx, ws, scaleParallelism)
		return ws, r.Wall, err
	}
	// timed runs the command of each kind back to back, adds their wall times to the pairs and
	// counts the fake's requests, which only the images' command makes.
	timed := func(kinds []string, pairs []*pair, requests *[]float64, command func(ctx context.Context, kind string, run int) (time.Duration, error)) func(context.Context, int) error {
		return func(ctx context.Context, run int) error {
			f.ResetCounters()
			walls := map[string]time.Duration{}
			for _, kind := range kinds {
				wall, err := command(ctx, kind, run)
				if err != nil {
					return err
				}
				walls[kind] = wall
			}
			*requests = append(*requests, float64(f.Counters().Requests))
			for _, p := range pairs {
				p.add(walls)
			}
			return nil
		}
	}
	applyRuns, err := h.repeat(ctx, "apply", timed(applyKinds, applies, &applyRequests, func(ctx context.Context, kind string, run int) (time.Duration, error) {
		ws, wall, err := applyKind(ctx, kind)
		if run == 0 {
			states[kind] = ws
		}
		return wall, err
	}))
	if err != nil {
		return nil, err
	}
	h.logf("scale: applying %d terraform_data for the plans to read", n)
	if states["terraform_data"], _, err = h.applyNoop(ctx, "terraform_data", n); err != nil {
		return nil, err
	}

	// One unmeasured plan of each state warms the file cache.
	for _, kind := range planKinds {
		if _, err := plan(ctx, states[kind]); err != nil {
			return nil, err
		}
	}
	planRuns, err := h.repeat(ctx, "plan", timed(planKinds, plans, &planRequests, func(ctx context.Context, kind string, _ int) (time.Duration, error) {
		r, err := plan(ctx, states[kind])
		return r.Wall, err
	}))
	if err != nil {
		return nil, err
	}

	figures := []Figure{{
		ID: "3a", What: fmt.Sprintf("Plan of %d completed images: API requests (max over runs)", n),
		Result: fmtCount(slices.Max(planRequests)), Goal: "0", Verdict: verdict(slices.Max(planRequests) == 0), Runs: planRuns,
	}}
	// Only a comparison with the floor has a goal; the others are references.
	for _, p := range append(plans, applies...) {
		fig := Figure{ID: p.id, What: fmt.Sprintf(p.what, n, n), Result: p.result(), Goal: "reference", Verdict: Info, Runs: planRuns}
		if p.baseline == "noop_image" {
			fig.Goal = fmt.Sprintf("≤ %.2f×", scaleGoal)
			fig.Verdict = verdict(median(p.ratios) <= scaleGoal)
		}
		if slices.Contains(applies, p) {
			fig.Runs = applyRuns
		}
		if p == applies[0] {
			fig.Result += fmt.Sprintf("; %.2f", median(applyRequests)/float64(n))
		}
		figures = append(figures, fig)
	}
	return figures, nil
}
