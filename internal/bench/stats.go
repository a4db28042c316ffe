package bench

import (
	"fmt"
	"math"
	"slices"
)

// median of values; NaN when there are none. An even count averages the middle pair.
func median(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	sorted := slices.Sorted(slices.Values(values))
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}

// fmtSeconds renders seconds the way the tables show them.
func fmtSeconds(s float64) string {
	switch {
	case math.IsNaN(s) || math.IsInf(s, 0):
		return "n/a"
	case math.Abs(s) < 10:
		return fmt.Sprintf("%.2f s", s)
	default:
		return fmt.Sprintf("%.1f s", s)
	}
}

// fmtRatio renders a ratio such as 1.07×.
func fmtRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", r)
}

// fmtCount renders a count that may be a median of an even number of runs.
func fmtCount(c float64) string {
	if math.IsNaN(c) {
		return "n/a"
	}
	if c == math.Trunc(c) {
		return fmt.Sprintf("%d", int64(c))
	}
	return fmt.Sprintf("%.1f", c)
}

func fmtPercent(share float64) string { return fmt.Sprintf("%.1f %%", share*100) }

func fmtMB(bytes float64) string { return fmt.Sprintf("%.1f MB", bytes/(1<<20)) }

// peakGoal is the most a provider process may hold in memory, in (5), (7a) and (8a).
const peakGoal = 60 << 20

// peakFigure reports the peak RSS of each run against peakGoal.
func peakFigure(id, what string, peaks []float64, runs int) Figure {
	return Figure{
		ID: id, What: what + ": median of runs (max)",
		Result: fmt.Sprintf("%s (max %s)", fmtMB(median(peaks)), fmtMB(slices.Max(peaks))),
		Goal:   "≤ 60 MB", Verdict: verdict(slices.Max(peaks) > 0 && median(peaks) <= peakGoal), Runs: runs,
	}
}
