package fakeapimart

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"
)

func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	index, ok := parseImageFileName(r.PathValue("file"))
	if !ok {
		writeError(w, http.StatusNotFound, "file not found")
		return
	}
	s.mu.Lock()
	t, found := s.tasks[r.PathValue("task")]
	var snapshot task
	if found {
		snapshot = *t
	}
	s.mu.Unlock()

	now := s.now()
	switch {
	case !found || index >= snapshot.rec.N || !snapshot.done(now) || snapshot.outcome.Status != StatusCompleted:
		writeError(w, http.StatusNotFound, "file not found")
		return
	case now.After(snapshot.rec.CompletedAt.Add(s.urlLifetime)):
		writeError(w, http.StatusForbidden, "the file URL has expired")
		return
	}
	width, height := Dimensions(snapshot.rec, s.imageScale)
	body, err := RenderPNG(snapshot.rec.Prompt, width, height, int(index))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.counters.imageDownloads.Add(1)
	writeBody(w, http.StatusOK, "image/png", body)
}

// parseImageFileName reads "<index>.png".
func parseImageFileName(name string) (int64, bool) {
	digits, ok := strings.CutSuffix(name, ".png")
	if !ok {
		return 0, false
	}
	index, err := strconv.ParseInt(digits, 10, 64)
	return index, err == nil && index >= 0
}

// RenderPNG draws result number index of a task: two colors and a stripe width taken from a
// hash of the prompt and index, so the same prompt always yields the same bytes.
func RenderPNG(prompt string, width, height, index int) ([]byte, error) {
	seed := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s", index, prompt)))
	background := color.NRGBA{R: seed[0], G: seed[1], B: seed[2], A: 255}
	stripe := color.NRGBA{R: ^seed[0], G: ^seed[1], B: ^seed[2], A: 255}
	period := 4 + int(seed[3]%12)

	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			c := background
			if ((x+y)/period)%2 == 1 {
				c = stripe
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode result image: %w", err)
	}
	return buf.Bytes(), nil
}
