package provider

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/imagebytes"
)

// testPNG is a small real PNG, drawn by the fake that the other provider tests download from.
func testPNG(t *testing.T) []byte {
	t.Helper()
	data, err := fakeapimart.RenderPNG("test", 3, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestWriteAtomicallyRefusesWhatIsNotAnImage(t *testing.T) {
	target := filepath.Join(t.TempDir(), "deep", "er", "hero.png")
	_, err := writeAtomically(target, anyImage, func(w io.Writer) error {
		_, err := io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
		return err
	})
	if !errors.Is(err, imagebytes.ErrNotAnImage) || !strings.Contains(err.Error(), "<html><body>502") {
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
	_, err := writeAtomically(target, anyImage, func(w io.Writer) error {
		_, _ = w.Write(testPNG(t)[:20])
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
	facts, err := writeAtomically(from, anyImage, func(w io.Writer) error { _, err := w.Write(testPNG(t)); return err })
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

func TestWriteAtomicallyRefusesBytesThatAreNotTheRecordedImage(t *testing.T) {
	target := filepath.Join(t.TempDir(), "hero.png")
	_, err := writeAtomically(target, strings.Repeat("0", 64), func(w io.Writer) error { _, err := w.Write(testPNG(t)); return err })
	if !errors.Is(err, errOtherImage) {
		t.Fatalf("writeAtomically: %v; want errOtherImage", err)
	}
	if err := noFileAt(target); err != nil {
		t.Error(err)
	}
}
