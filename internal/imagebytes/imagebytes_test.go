package imagebytes

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
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

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestMeasureReadsEveryFormatInOnePass(t *testing.T) {
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
			want := Facts{SHA256: sum(tt.data), Bytes: int64(len(tt.data)), ContentType: tt.contentType, Width: tt.width, Height: tt.height}
			got, err := Measure(bytes.NewReader(tt.data), 0)
			if err != nil || got != want {
				t.Errorf("Measure = %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

func TestMeasureQuotesWhatIsNotAnImage(t *testing.T) {
	_, err := Measure(strings.NewReader("<html><body>502 Bad Gateway</body></html>"), 0)
	if !errors.Is(err, ErrNotAnImage) || !strings.Contains(err.Error(), "<html><body>502") {
		t.Fatalf("Measure: %v; want a not-an-image error quoting the body", err)
	}
	if _, err := Measure(strings.NewReader(""), 0); !strings.Contains(err.Error(), "it is empty") {
		t.Fatalf("Measure of nothing: %v", err)
	}
}

func TestMeasureStopsAtTheLimit(t *testing.T) {
	data := append(encoded(t, png.Encode), make([]byte, 100)...)
	var tooLarge *TooLargeError
	if _, err := Measure(bytes.NewReader(data), int64(len(data)-1)); !errors.As(err, &tooLarge) {
		t.Fatalf("Measure past the limit: %v", err)
	}
	if _, err := Measure(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Measure at the limit: %v", err)
	}
}

func TestSpoolMeasuresWhatIsWrittenAndLeavesNothingBehind(t *testing.T) {
	dir := t.TempDir()
	data := encoded(t, png.Encode)
	spool, err := NewSpool(dir, "x.*.part", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range [][]byte{data[:7], data[7:]} {
		if _, err := spool.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	facts, err := spool.Facts()
	if err != nil || facts.SHA256 != sum(data) || facts.Bytes != int64(len(data)) || facts.Width != 3 {
		t.Fatalf("Facts = %+v, %v", facts, err)
	}
	again, _ := io.ReadAll(spool.File())
	if !bytes.Equal(again, data) {
		t.Fatal("the spool does not read back from its start after Facts")
	}
	spool.Discard()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestSpoolRefusesWritesPastTheLimit(t *testing.T) {
	spool, err := NewSpool(t.TempDir(), "x.*", 10)
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Discard()
	var tooLarge *TooLargeError
	if _, err := spool.Write(make([]byte, 11)); !errors.As(err, &tooLarge) || tooLarge.Limit != 10 {
		t.Fatalf("Write past the limit: %v", err)
	}
}

// referenceLimit is the API's upload limit, as the provider passes it.
const referenceLimit = 20 << 20

func TestOpenReferenceSaysWhyAFileCannotBeSent(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.png")
	text := filepath.Join(dir, "notes.png")
	big := filepath.Join(dir, "big.png")
	data := encoded(t, png.Encode)
	for name, content := range map[string][]byte{good: data, text: []byte("just text")} {
		if err := os.WriteFile(name, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(big, nil, 0o644); err != nil || os.Truncate(big, referenceLimit+1) != nil {
		t.Fatal("cannot make a large file")
	}
	f, facts, err := OpenReference(good, referenceLimit)
	if err != nil || facts.SHA256 != sum(data) || facts.ContentType != "image/png" {
		t.Fatalf("OpenReference(good) = %+v, %v", facts, err)
	}
	// The file comes back at its start, so that an upload sends the bytes that were hashed.
	again, err := Measure(f, 0)
	f.Close()
	if err != nil || again.SHA256 != facts.SHA256 {
		t.Errorf("reading the returned file again gave %+v, %v; want the same bytes", again, err)
	}
	var tooLarge *TooLargeError
	for _, tt := range []struct {
		name string
		is   func(error) bool
	}{
		{filepath.Join(dir, "absent.png"), func(err error) bool { return errors.Is(err, fs.ErrNotExist) }},
		{dir, func(err error) bool { return errors.Is(err, ErrNotRegular) }},
		{text, func(err error) bool { return errors.Is(err, ErrNotAnImage) }},
		{big, func(err error) bool { return errors.As(err, &tooLarge) && tooLarge.Limit == referenceLimit }},
	} {
		if f, _, err := OpenReference(tt.name, referenceLimit); !tt.is(err) || f != nil {
			t.Errorf("OpenReference(%s): %v, and a file %v", filepath.Base(tt.name), err, f)
		}
	}
}

func TestCheckFileTellsEveryKindOfDrift(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.png")
	data := encoded(t, png.Encode)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := ReadFile(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Clone(data)
	edited[len(edited)-1] ^= 1
	for _, tt := range []struct {
		name    string
		prepare func() error
		kind    DriftKind
	}{
		{"intact", func() error { return nil }, Intact},
		{"same size, other bytes", func() error { return os.WriteFile(path, edited, 0o644) }, HashDiffers},
		{"other size", func() error { return os.WriteFile(path, data[1:], 0o644) }, SizeDiffers},
		{"missing", func() error { return os.Remove(path) }, Missing},
		{"a directory", func() error { return os.Mkdir(path, 0o755) }, NotRegular},
	} {
		if err := tt.prepare(); err != nil {
			t.Fatal(err)
		}
		drift, err := CheckFile(path, want)
		if err != nil || drift.Kind != tt.kind {
			t.Errorf("%s: CheckFile = %+v (%s), %v; want kind %d", tt.name, drift, drift, err, tt.kind)
		}
	}
}
