package bench

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// Goals of (2) and (5).
const (
	throughputGoal = 1.15
	peakRSSGoal    = 60 << 20
)

// throughputVariant is one provider setting the throughput benchmark applies with.
type throughputVariant struct {
	key, label string
	extra      []string // lines added to the provider block
}

// The ceiling variant shows what a user's rate_limit costs when Terraform asks for more than it.
var throughputVariants = []throughputVariant{
	{key: "default", label: "default settings (no rate ceiling)"},
	{key: "ceiling", label: "rate_limit = 20 (a user ceiling; diagnostic)", extra: []string{"rate_limit = 20"}},
}

type throughputStats struct {
	walls, spans, ratios, peaks, requests []float64
}

func runThroughput(ctx context.Context, h *harness) (outcome, error) {
	sz := h.sizes
	ideal := time.Duration(math.Ceil(float64(sz.throughputImages)/float64(sz.parallelism))) * sz.throughputTask
	stats := map[string]*throughputStats{}
	for _, v := range throughputVariants {
		stats[v.key] = &throughputStats{}
	}
	var noopWalls []float64
	runs, err := h.repeat(ctx, "throughput", func(ctx context.Context, i int) error {
		for _, v := range throughputVariants {
			if err := throughputRun(ctx, h, v, ideal, stats[v.key]); err != nil {
				return err
			}
			h.logf("throughput: run %d/%d, %s: wall %s (%s the ideal), peak RSS %.1f MB", i+1, h.opts.Runs, v.key,
				fmtSeconds(last(stats[v.key].walls)), fmtRatio(last(stats[v.key].ratios)), last(stats[v.key].peaks)/(1<<20))
		}
		_, wall, err := applyNoop(ctx, h, "noop_thing", sz.throughputImages)
		if err != nil {
			return err
		}
		noopWalls = append(noopWalls, seconds(wall))
		return nil
	})
	if err != nil {
		return outcome{}, err
	}

	def, capped := stats["default"], stats["ceiling"]
	goalText := fmt.Sprintf("≤ %.2f× ideal (%s)", throughputGoal, fmtSeconds(throughputGoal*ideal.Seconds()))
	what := fmt.Sprintf("Throughput: %d images, %s tasks, -parallelism=%d: apply wall time (resource span) / ideal %s",
		sz.throughputImages, sz.throughputTask, sz.parallelism, fmtSeconds(ideal.Seconds()))
	figures := []Figure{{
		ID: "2a", What: what + ", " + throughputVariants[0].label,
		Result: throughputResult(def), Goal: goalText, Verdict: verdict(Median(def.ratios) <= throughputGoal), Runs: runs,
	}, {
		ID: "2b", What: "Same, " + throughputVariants[1].label,
		Result: throughputResult(capped), Goal: "diagnostic", Verdict: Info, Runs: runs,
	}, {
		ID: "2c", What: fmt.Sprintf("Same apply over %d no-op resources (Terraform's own share)", sz.throughputImages),
		Result: fmtSeconds(Median(noopWalls)), Goal: "reference", Verdict: Info, Runs: runs,
	}, {
		ID: "5", What: "Peak RSS of the provider process during (2a): median of runs (max)",
		Result: fmt.Sprintf("%.1f MB (max %.1f MB)", Median(def.peaks)/(1<<20), Max(def.peaks)/(1<<20)),
		Goal:   "≤ 60 MB", Verdict: verdict(Max(def.peaks) > 0 && Median(def.peaks) <= peakRSSGoal), Runs: runs,
	}}
	details := Table{
		Title:  fmt.Sprintf("(2) Throughput: %d images of %s, -parallelism=%d, ideal %s", sz.throughputImages, sz.throughputTask, sz.parallelism, fmtSeconds(ideal.Seconds())),
		Header: []string{"Provider settings", "Apply wall time", "Resource span", "Wall / ideal", "Requests per image", "Peak RSS"},
	}
	for _, v := range throughputVariants {
		s := stats[v.key]
		details.Rows = append(details.Rows, []string{v.label, fmtSeconds(Median(s.walls)), fmtSeconds(Median(s.spans)),
			fmtRatio(Median(s.ratios)), fmt.Sprintf("%.2f", Median(s.requests)/float64(sz.throughputImages)),
			fmt.Sprintf("%.1f MB", Median(s.peaks)/(1<<20))})
	}
	details.Notes = []string{
		"Wall time: the whole `terraform apply` command, plan and provider start-up included. Resource span: first resource start to last resource end.",
		"Peak RSS: the highest VmHWM of any provider process of the apply, sampled from /proc every 20 ms.",
	}
	return outcome{figures: figures, details: []Table{details}}, nil
}

func throughputResult(s *throughputStats) string {
	return fmt.Sprintf("%s (%s) = %s", fmtSeconds(Median(s.walls)), fmtSeconds(Median(s.spans)), fmtRatio(Median(s.ratios)))
}

func throughputRun(ctx context.Context, h *harness, v throughputVariant, ideal time.Duration, s *throughputStats) error {
	sz := h.sizes
	f := StartFake(func(set *fakeapimart.Settings) { set.TaskDuration = sz.throughputTask })
	defer f.Close()
	ws, err := h.env.Workspace("throughput-" + v.key)
	if err != nil {
		return err
	}
	config := terraformBlock("apimart") + f.ProviderBlock("", v.extra...) + imagesBlock("img", sz.throughputImages, "")
	if err := ws.WriteFile("main.tf", config); err != nil {
		return err
	}
	sampler := StartRSSSampler(h.env.ProviderBinary(tfharness.Apimart), 20*time.Millisecond)
	r, err := apply(ctx, ws, sz.parallelism)
	peak, processes := sampler.Stop()
	if err != nil {
		return err
	}
	if processes == 0 {
		return fmt.Errorf("no provider process was seen while sampling memory")
	}
	times, err := ParseApplyEvents(r.Stdout)
	if err != nil {
		return err
	}
	if len(times.Finished) != sz.throughputImages {
		return fmt.Errorf("%d of %d images were created", len(times.Finished), sz.throughputImages)
	}
	s.walls = append(s.walls, seconds(r.Wall))
	s.spans = append(s.spans, seconds(times.Span()))
	s.ratios = append(s.ratios, r.Wall.Seconds()/ideal.Seconds())
	s.peaks = append(s.peaks, float64(peak))
	s.requests = append(s.requests, float64(f.Counters().Requests))
	return nil
}

// applyNoop applies count resources of a kind that does no work (noop_thing, noop_image or
// terraform_data) in a fresh workspace, and returns it with the command's wall time.
func applyNoop(ctx context.Context, h *harness, kind string, count int, env ...string) (*tfharness.Workspace, time.Duration, error) {
	ws, err := h.env.Workspace(kind)
	if err != nil {
		return nil, 0, err
	}
	ws = ws.WithEnv(env...)
	config, err := noopConfig(kind, count)
	if err != nil {
		return nil, 0, err
	}
	if err := ws.WriteFile("main.tf", config); err != nil {
		return nil, 0, err
	}
	r, err := apply(ctx, ws, scaleParallelism)
	return ws, r.Wall, err
}

func last(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	return values[len(values)-1]
}
