package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/imagebytes"
)

// The file work of apimart_image_file: every write goes through a temporary file in the target
// directory and a rename, so a half-written file never appears at the path; the bytes are judged
// by imagebytes as they arrive.

// anyImage is the expected SHA-256 of a first download: it may be any image.
const anyImage = ""

// downloadImage saves the image at url to path. A non-empty want is the SHA-256 the bytes must
// have (a restore); bytes that differ are not written.
func downloadImage(ctx context.Context, d *apimart.Downloader, url, path, want string) (imagebytes.Facts, error) {
	var got apimart.Downloaded
	facts, err := writeAtomically(path, want, func(w io.Writer) error {
		var err error
		got, err = d.Download(ctx, url, w)
		return err
	})
	return facts, labeled(err, got)
}

// labeled adds the server's own label to a body that is not an image.
func labeled(err error, got apimart.Downloaded) error {
	if errors.Is(err, imagebytes.ErrNotAnImage) && got.ContentType != "" {
		return fmt.Errorf("%w; the server labeled it %q", err, got.ContentType)
	}
	return err
}

// errOtherImage is a download whose bytes are not the image recorded.
var errOtherImage = errors.New("the bytes are not the image recorded")

// sameImage checks downloaded facts against the SHA-256 expected of them.
func sameImage(got imagebytes.Facts, want string) error {
	if want != anyImage && got.SHA256 != want {
		return fmt.Errorf("%w: their SHA-256 is %s, the recorded one is %s", errOtherImage, got.SHA256, want)
	}
	return nil
}

// writeAtomically fills a temporary file beside path, checks that it holds an image (the one
// with SHA-256 want, unless want is anyImage), and only then renames it over path. On any
// failure nothing is left behind but the parent directories.
func writeAtomically(path, want string, fill func(io.Writer) error) (imagebytes.Facts, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return imagebytes.Facts{}, fmt.Errorf("creating the directory %s: %w", dir, err)
	}
	spool, err := imagebytes.NewSpool(dir, "."+filepath.Base(path)+".*.part", 0)
	if err != nil {
		return imagebytes.Facts{}, fmt.Errorf("in %s: %w", dir, err)
	}
	defer spool.Discard()
	if err := fill(spool); err != nil {
		return imagebytes.Facts{}, err
	}
	facts, err := spool.Facts()
	if err == nil {
		err = sameImage(facts, want)
	}
	if err != nil {
		return imagebytes.Facts{}, err
	}
	if err := finishFile(spool.File()); err != nil {
		return imagebytes.Facts{}, err
	}
	if err := os.Rename(spool.File().Name(), path); err != nil {
		return imagebytes.Facts{}, fmt.Errorf("moving the finished file to %s: %w", path, err)
	}
	return facts, nil
}

// finishFile makes the file readable as a normal file would be and flushes it to disk, so that
// the rename publishes a complete file even after a crash.
func finishFile(f *os.File) error {
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("flushing %s to disk: %w", f.Name(), err)
	}
	return f.Close()
}

// moveFile moves the saved file from one path to another, after checking it is still the file
// state recorded. Across file systems it copies through writeAtomically and then removes the
// source.
func moveFile(from, to string, want imagebytes.Facts) error {
	if filepath.Clean(from) == filepath.Clean(to) {
		return nil
	}
	drift, err := imagebytes.CheckFile(from, want)
	if err != nil {
		return err
	}
	if !drift.Intact() {
		return fmt.Errorf("the file at %s %s, so it is not the image to move", from, drift)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("creating the directory %s: %w", filepath.Dir(to), err)
	}
	err = os.Rename(from, to)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	if _, err := writeAtomically(to, want.SHA256, func(w io.Writer) error { return copyFrom(from, w) }); err != nil {
		return err
	}
	return os.Remove(from)
}

func copyFrom(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
