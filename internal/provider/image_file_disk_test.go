package provider

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A 1×1 lossless WebP, the smallest there is.
const tinyWebP = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="

func encoded(t *testing.T, encode func(io.Writer, image.Image) error) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.NRGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImageHeaderReadsEveryFormat(t *testing.T) {
	webp, _ := base64.StdEncoding.DecodeString(tinyWebP)
	for _, tt := range []struct {
		name, contentType string
		data              []byte
		width, height     int
	}{
		{"png", "image/png", encoded(t, png.Encode), 3, 2},
		{"jpeg", "image/jpeg", encoded(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) }), 3, 2},
		{"gif", "image/gif", encoded(t, func(w io.Writer, m image.Image) error { return gif.Encode(w, m, nil) }), 3, 2},
		{"webp", "image/webp", webp, 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			facts, err := imageHeader(bytes.NewReader(tt.data))
			if err != nil || facts.contentType != tt.contentType || facts.width != tt.width || facts.height != tt.height {
				t.Errorf("imageHeader = %+v, %v; want %s %dx%d", facts, err, tt.contentType, tt.width, tt.height)
			}
		})
	}
}

func TestWriteAtomicallyRefusesWhatIsNotAnImage(t *testing.T) {
	target := filepath.Join(t.TempDir(), "deep", "er", "hero.png")
	_, err := writeAtomically(target, func(w io.Writer) error {
		_, err := io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
		return err
	})
	if !errors.Is(err, errNotAnImage) || !strings.Contains(err.Error(), "<html><body>502") {
		t.Fatalf("writeAtomically: %v; want a not-an-image error quoting the body", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(target)); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestWriteAtomicallyKeepsTheOldFileWhenAFillFails(t *testing.T) {
	target := filepath.Join(t.TempDir(), "hero.png")
	if err := os.WriteFile(target, []byte("the old file"), 0o644); err != nil {
		t.Fatal(err)
	}
	cut := errors.New("connection reset")
	_, err := writeAtomically(target, func(w io.Writer) error {
		_, _ = w.Write(encoded(t, png.Encode)[:20])
		return cut
	})
	if !errors.Is(err, cut) {
		t.Fatalf("writeAtomically: %v", err)
	}
	if data, _ := os.ReadFile(target); string(data) != "the old file" {
		t.Errorf("the file at the path is now %q", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(target)); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestMoveFileRefusesAChangedFile(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "a.png"), filepath.Join(dir, "b", "a.png")
	facts, err := writeAtomically(from, func(w io.Writer) error { _, err := w.Write(encoded(t, png.Encode)); return err })
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(from, []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := moveFile(from, to, facts); err == nil || !strings.Contains(err.Error(), "has changed") {
		t.Errorf("moveFile of a changed file: %v", err)
	}
	if _, err := os.Stat(to); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the changed file was moved anyway: %v", err)
	}
}
