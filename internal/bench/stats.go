package bench

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Median of values; NaN when there are none. An even count averages the middle pair.
func Median(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}

// Max of values; NaN when there are none.
func Max(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	return slices.Max(values)
}

// Min of values; NaN when there are none.
func Min(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	return slices.Min(values)
}

// seconds converts a duration for the statistics, which work in float seconds.
func seconds(d time.Duration) float64 { return d.Seconds() }

// fmtSeconds renders seconds the way the tables show them.
func fmtSeconds(s float64) string {
	switch {
	case math.IsNaN(s):
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
