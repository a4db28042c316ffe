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

// runRateLimit applies the images against a rate-limited fake in each run. A failed apply is a
// result here, not an error: images that did not succeed are what the goal counts.
func runRateLimit(ctx context.Context, h *harness) ([]Figure, error) {
	sz := h.sizes
	var succeeded, shares, walls, requests, accepted []float64
	runs, err := h.repeat(ctx, "ratelimit", func(ctx context.Context, _ int) error {
		f := startFake(sz.rateTask, func(set *fakeapimart.Settings) {
			set.RateLimit = fakeapimart.RateLimit{PerSecond: serverRate, Burst: 0}
		})
		defer f.Close()
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
		succeeded = append(succeeded, float64(len(ev.finished)))
		shares = append(shares, float64(c.RateLimited)/float64(max(c.Requests, 1)))
		requests = append(requests, float64(c.Requests))
		accepted = append(accepted, float64(c.Requests-c.RateLimited))
		walls = append(walls, r.Wall.Seconds())
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The floor is the time the server needs to admit the requests it did not refuse: no client
	// can finish sooner.
	return []Figure{{
		ID: "6a", What: fmt.Sprintf("Rate-limited server (R = %d req/s): %d images, %s tasks, default settings: images created (worst run); apply wall time vs floor (admitted requests / R)",
			serverRate, sz.rateImages, sz.rateTask),
		Result: fmt.Sprintf("%s of %d; %s vs %s", fmtCount(slices.Min(succeeded)), sz.rateImages, fmtSeconds(median(walls)), fmtSeconds(median(accepted)/serverRate)),
		Goal:   "all", Verdict: verdict(slices.Min(succeeded) == float64(sz.rateImages)), Runs: runs,
	}, {
		ID: "6b", What: "Same: requests answered 429: median (max)",
		Result: fmt.Sprintf("%s (max %s) of %s requests", fmtPercent(median(shares)), fmtPercent(slices.Max(shares)), fmtCount(median(requests))),
		Goal:   fmt.Sprintf("≤ %.0f %%", rateLimitedShareGoal*100), Verdict: verdict(median(shares) <= rateLimitedShareGoal), Runs: runs,
	}}, nil
}
