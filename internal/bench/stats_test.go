package bench

import (
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	cases := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
	}
	for _, c := range cases {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing should be NaN")
	}
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 {
		t.Error("median reordered its argument")
	}
}

func TestFormatting(t *testing.T) {
	cases := map[string]string{
		fmtSeconds(0.1234):      "0.12 s",
		fmtSeconds(12.345):      "12.3 s",
		fmtSeconds(math.NaN()):  "n/a",
		fmtRatio(1.071):         "1.07×",
		fmtRatio(math.Inf(1)):   "n/a",
		fmtCount(4):             "4",
		fmtCount(2.5):           "2.5",
		fmtPercent(0.0412):      "4.1 %",
		fmtSeconds(math.Inf(1)): "n/a",
		fmtMB(31.5 * (1 << 20)): "31.5 MB",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
