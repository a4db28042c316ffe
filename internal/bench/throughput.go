package bench

import (
	"context"
	"fmt"
	"math"
	"time"
)

// throughputGoal bounds (2)'s apply wall time against the ideal.
const throughputGoal = 1.15

// throughputVariant is one provider setting the throughput benchmark applies with.
type throughputVariant struct {
	key, label                            string
	extra                                 []string // lines added to the provider block
	walls, spans, ratios, peaks, requests []float64
}

func runThroughput(ctx context.Context, h *harness) ([]Figure, error) {
	sz := h.sizes
	ideal := time.Duration(math.Ceil(float64(sz.throughputImages)/float64(sz.parallelism))) * sz.throughputTask
	// The ceiling variant shows what a user's rate_limit costs when Terraform asks for more than it.
	def := &throughputVariant{key: "default", label: "default settings (no rate ceiling)"}
	capped := &throughputVariant{key: "ceiling", label: "rate_limit = 20 (a user ceiling; diagnostic)", extra: []string{"rate_limit = 20"}}
	var noopWalls []float64
	runs, err := h.repeat(ctx, "throughput", func(ctx context.Context, _ int) error {
		for _, v := range []*throughputVariant{def, capped} {
			if err := throughputRun(ctx, h, v, ideal); err != nil {
				return err
			}
		}
		_, wall, err := h.applyNoop(ctx, "noop_thing", sz.throughputImages)
		if err != nil {
			return err
		}
		noopWalls = append(noopWalls, wall.Seconds())
		return nil
	})
	if err != nil {
		return nil, err
	}

	result := func(v *throughputVariant) string {
		return fmt.Sprintf("%s (%s) = %s; %.2f requests per image", fmtSeconds(median(v.walls)), fmtSeconds(median(v.spans)),
			fmtRatio(median(v.ratios)), median(v.requests)/float64(sz.throughputImages))
	}
	return []Figure{{
		ID: "2a", What: fmt.Sprintf("Throughput: %d images, %s tasks, -parallelism=%d: apply wall time (resource span) / ideal %s, %s; requests per image",
			sz.throughputImages, sz.throughputTask, sz.parallelism, fmtSeconds(ideal.Seconds()), def.label),
		Result: result(def), Goal: fmt.Sprintf("≤ %.2f× ideal (%s)", throughputGoal, fmtSeconds(throughputGoal*ideal.Seconds())),
		Verdict: verdict(median(def.ratios) <= throughputGoal), Runs: runs,
	}, {
		ID: "2b", What: "Same, " + capped.label + "; peak RSS", Result: result(capped) + "; " + fmtMB(median(capped.peaks)),
		Goal: "diagnostic", Verdict: Info, Runs: runs,
	}, {
		ID: "2c", What: fmt.Sprintf("Same apply over %d no-op resources (Terraform's own share)", sz.throughputImages),
		Result: fmtSeconds(median(noopWalls)), Goal: "reference", Verdict: Info, Runs: runs,
	}, peakFigure("5", "Peak RSS of the provider process during (2a)", def.peaks, runs)}, nil
}

func throughputRun(ctx context.Context, h *harness, v *throughputVariant, ideal time.Duration) error {
	sz := h.sizes
	f := startFake(sz.throughputTask)
	defer f.Close()
	ws, err := h.env.Workspace("throughput-"+v.key, terraformBlock("apimart")+f.providerBlock("", v.extra...)+imagesBlock("img", sz.throughputImages, ""))
	if err != nil {
		return err
	}
	r, peak, err := h.applyPeak(ctx, ws, sz.parallelism)
	if err != nil {
		return err
	}
	ev, err := parseApply(r.Stdout)
	if err != nil {
		return err
	}
	if len(ev.finished) != sz.throughputImages {
		return fmt.Errorf("%d of %d images were created", len(ev.finished), sz.throughputImages)
	}
	v.walls = append(v.walls, r.Wall.Seconds())
	v.spans = append(v.spans, ev.span().Seconds())
	v.ratios = append(v.ratios, r.Wall.Seconds()/ideal.Seconds())
	v.peaks = append(v.peaks, peak)
	v.requests = append(v.requests, float64(f.Counters().Requests))
	return nil
}
