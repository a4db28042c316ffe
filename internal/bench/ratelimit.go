package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// serverRate is R of (6): the fake server's limit in requests per second.
const serverRate = 5

// rateLimitedShareGoal is the largest share of requests that may be answered 429.
const rateLimitedShareGoal = 0.10

type rateLimitStats struct {
	succeeded, shares, walls, requests, accepted []float64
}

func runRateLimit(ctx context.Context, h *harness) ([]Figure, error) {
	sz := h.sizes
	var s rateLimitStats
	runs, err := h.repeat(ctx, "ratelimit", func(ctx context.Context, _ int) error {
		return rateLimitRun(ctx, h, &s)
	})
	if err != nil {
		return nil, err
	}
	// The floor is the time the server needs to admit the requests it did not refuse: no client
	// can finish sooner.
	return []Figure{{
		ID: "6a", What: fmt.Sprintf("Rate-limited server (R = %d req/s): %d images, %s tasks, default settings: images created (worst run); apply wall time vs floor (admitted requests / R)",
			serverRate, sz.rateImages, sz.rateTask),
		Result: fmt.Sprintf("%s of %d; %s vs %s", fmtCount(slices.Min(s.succeeded)), sz.rateImages, fmtSeconds(median(s.walls)), fmtSeconds(median(s.accepted)/serverRate)),
		Goal:   "all", Verdict: verdict(slices.Min(s.succeeded) == float64(sz.rateImages)), Runs: runs,
	}, {
		ID: "6b", What: "Same: requests answered 429: median (max)",
		Result: fmt.Sprintf("%s (max %s) of %s requests", fmtPercent(median(s.shares)), fmtPercent(slices.Max(s.shares)), fmtCount(median(s.requests))),
		Goal:   fmt.Sprintf("≤ %.0f %%", rateLimitedShareGoal*100), Verdict: verdict(median(s.shares) <= rateLimitedShareGoal), Runs: runs,
	}}, nil
}

// rateLimitRun applies the images against a rate-limited fake. A failed apply is a result here,
// not an error: images that did not succeed are what the goal counts.
func rateLimitRun(ctx context.Context, h *harness, s *rateLimitStats) error {
	sz := h.sizes
	f := startFake(sz.rateTask)
	defer f.Close()
	f.Configure(func(set *fakeapimart.Settings) {
		set.RateLimit = fakeapimart.RateLimit{PerSecond: serverRate, Burst: 0}
	})
	ws, err := h.env.Workspace("ratelimit", terraformBlock("apimart")+f.providerBlock("")+imagesBlock("img", sz.rateImages, ""))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	r, applyErr := apply(ctx, ws, scaleParallelism)
	if ctx.Err() != nil {
		return applyErr
	}
	ev, err := parseApply(r.Stdout)
	if err != nil {
		return err
	}
	if applyErr != nil {
		h.logf("ratelimit: the apply failed (%d of %d images created): %s", len(ev.finished), sz.rateImages, firstLine(applyErr.Error()))
	}
	c := f.Counters()
	s.succeeded = append(s.succeeded, float64(len(ev.finished)))
	s.shares = append(s.shares, float64(c.RateLimited)/float64(max(c.Requests, 1)))
	s.requests = append(s.requests, float64(c.Requests))
	s.accepted = append(s.accepted, float64(c.Requests-c.RateLimited))
	s.walls = append(s.walls, r.Wall.Seconds())
	return nil
}
