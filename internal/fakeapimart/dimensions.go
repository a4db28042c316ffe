package fakeapimart

import (
	"math"
	"strconv"
	"strings"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// DefaultImageScale shrinks results so that tests download a few kilobytes: a 1024-pixel side
// becomes 64 pixels.
const DefaultImageScale = 1.0 / 16

// Dimensions is the pixel size of a task's results, scaled: the size the reference gives for the
// model, size and tier, else a raw "WxH" size, else the ratio at the tier's long side.
func Dimensions(rec TaskRecord, scale float64) (width, height int) {
	w, h := fullDimensions(rec)
	return max(1, int(math.Round(w*scale))), max(1, int(math.Round(h*scale)))
}

func fullDimensions(rec TaskRecord) (float64, float64) {
	if m, ok := apimart.LookupModel(rec.Model); ok {
		if d, ok := m.Dimension(rec.Size, rec.Resolution); ok {
			return float64(d.Width), float64(d.Height)
		}
	}
	if w, h, ok := parseSides(rec.Size, "x"); ok {
		return w, h
	}
	long := tierLongSide(rec.Resolution)
	w, h, ok := parseSides(rec.Size, ":")
	switch {
	case !ok:
		return long, long
	case w >= h:
		return long, long * h / w
	default:
		return long * w / h, long
	}
}

// tierLongSide reads "2K" as 2048 pixels and "4MP" as the side of a 4-megapixel square.
func tierLongSide(tier string) float64 {
	upper := strings.ToUpper(tier)
	if n, ok := strings.CutSuffix(upper, "MP"); ok {
		if mp, err := strconv.ParseFloat(n, 64); err == nil && mp > 0 {
			return math.Sqrt(mp * 1e6)
		}
	}
	if n, ok := strings.CutSuffix(upper, "K"); ok {
		if k, err := strconv.ParseFloat(n, 64); err == nil && k > 0 {
			return k * 1024
		}
	}
	return 1024 // no tier, or one not understood: 1K
}

// parseSides reads "W:H" or "WxH" with positive numbers.
func parseSides(size, sep string) (float64, float64, bool) {
	ws, hs, ok := strings.Cut(size, sep)
	if !ok {
		return 0, 0, false
	}
	w, errW := strconv.ParseFloat(ws, 64)
	h, errH := strconv.ParseFloat(hs, 64)
	if errW != nil || errH != nil || w <= 0 || h <= 0 {
		return 0, 0, false
	}
	return w, h, true
}
