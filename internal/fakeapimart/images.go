package fakeapimart

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// textColumnsPerScale is how many pixels of width one step of the text scale takes: a wide
// image draws its words larger, so they stay readable at any size.
const textColumnsPerScale = 192

// RenderPNG draws result number index of a task at width × height pixels: the prompt's words,
// wrapped to the width, on a background whose colors come from a hash of the prompt and index.
// The same arguments always yield the same bytes.
func RenderPNG(prompt string, width, height, index int) ([]byte, error) {
	if width < 1 || height < 1 {
		return nil, fmt.Errorf("result image size %dx%d is not positive", width, height)
	}
	// It draws on a canvas 1/scale of the result's size with the 7×13 bitmap font, then enlarges
	// it pixel for pixel, so that the letters keep their crisp bitmap shape.
	scale := max(1, width/textColumnsPerScale)
	canvas := image.NewNRGBA(image.Rect(0, 0, ceilDiv(width, scale), ceilDiv(height, scale)))
	paintBackground(canvas, sha256.Sum256(fmt.Appendf(nil, "%d\x00%s", index, prompt)))
	drawText(canvas, prompt, index)
	result := image.NewNRGBA(image.Rect(0, 0, width, height))
	draw.NearestNeighbor.Scale(result, result.Bounds(), canvas, canvas.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := png.Encode(&buf, result); err != nil {
		return nil, fmt.Errorf("encode result image: %w", err)
	}
	return buf.Bytes(), nil
}

// paintBackground fills img with light diagonal stripes of two colors picked by seed; light
// colors keep the dark text readable.
func paintBackground(img *image.NRGBA, seed [32]byte) {
	light := func(b byte) uint8 { return 160 + b%96 }
	background := color.NRGBA{R: light(seed[0]), G: light(seed[1]), B: light(seed[2]), A: 255}
	stripe := color.NRGBA{R: background.R - 24, G: background.G - 24, B: background.B - 24, A: 255}
	period := 6 + int(seed[3]%10)
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			c := background
			if ((x+y)/period)%2 == 1 {
				c = stripe
			}
			img.SetNRGBA(x, y, c)
		}
	}
}

// drawText writes the prompt from the top left, wrapped to the width, and the result's number
// at the bottom; lines that do not fit are left out.
func drawText(img *image.NRGBA, prompt string, index int) {
	face := basicfont.Face7x13
	const margin = 6
	lineHeight := face.Height + 2
	columns := max(1, (img.Bounds().Dx()-2*margin)/face.Advance)
	rows := max(0, (img.Bounds().Dy()-2*margin)/lineHeight-1) // one row is the footer's
	ink := color.NRGBA{R: 24, G: 24, B: 32, A: 255}
	d := &font.Drawer{Dst: img, Src: image.NewUniform(ink), Face: face}
	for i, line := range wrapWords(prompt, columns) {
		if i == rows {
			break
		}
		d.Dot = fixed.P(margin, margin+face.Ascent+i*lineHeight)
		d.DrawString(line)
	}
	d.Dot = fixed.P(margin, img.Bounds().Dy()-margin-face.Descent)
	d.DrawString(fmt.Sprintf("image %d", index+1))
}

// wrapWords breaks text into lines of at most columns characters, at spaces where it can and
// inside a word longer than a line.
func wrapWords(text string, columns int) []string {
	var lines []string
	var line []rune
	for _, word := range strings.Fields(text) {
		if len(line) > 0 && len(line)+1+len([]rune(word)) > columns {
			lines, line = append(lines, string(line)), nil
		}
		if len(line) > 0 {
			line = append(line, ' ')
		}
		line = append(line, []rune(word)...)
		for len(line) > columns {
			lines, line = append(lines, string(line[:columns])), line[columns:]
		}
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	return lines
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

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
	mp, errMP := strconv.ParseFloat(strings.TrimSuffix(upper, "MP"), 64)
	k, errK := strconv.ParseFloat(strings.TrimSuffix(upper, "K"), 64)
	switch {
	case strings.HasSuffix(upper, "MP") && errMP == nil && mp > 0:
		return math.Sqrt(mp * 1e6)
	case strings.HasSuffix(upper, "K") && errK == nil && k > 0:
		return k * 1024
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
