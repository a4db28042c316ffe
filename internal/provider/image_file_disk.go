package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the decoders whose headers imageHeader reads
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"

	_ "golang.org/x/image/webp"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// The file work of apimart_image_file: every write goes through a temporary file in the target
// directory and a rename, so a half-written file never appears at the path, and every read
// streams, so memory does not grow with the file.

// imageFacts is what state records about a saved file.
type imageFacts struct {
	sha256      string
	bytes       int64
	contentType string
	width       int
	height      int
}

// errNotAnImage marks a body that no registered decoder recognizes.
var errNotAnImage = errors.New("not an image")

// downloadImage saves the image at url to path.
func downloadImage(ctx context.Context, d *apimart.Downloader, url, path string) (imageFacts, error) {
	var got apimart.Downloaded
	facts, err := writeAtomically(path, func(w io.Writer) error {
		var err error
		got, err = d.Download(ctx, url, w)
		return err
	})
	if errors.Is(err, errNotAnImage) && got.ContentType != "" {
		err = fmt.Errorf("%w; the server labeled it %q", err, got.ContentType)
	}
	return facts, err
}

// writeAtomically fills a temporary file beside path, hashing as it goes, checks that it holds
// an image, and only then renames it over path. On any failure nothing is left behind but the
// parent directories.
func writeAtomically(path string, fill func(io.Writer) error) (imageFacts, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return imageFacts{}, fmt.Errorf("creating the directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part")
	if err != nil {
		return imageFacts{}, fmt.Errorf("creating a temporary file in %s: %w", dir, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	digest := sha256.New()
	counter := &countingWriter{}
	if err := fill(io.MultiWriter(tmp, digest, counter)); err != nil {
		return imageFacts{}, err
	}
	facts, err := imageHeader(tmp)
	if err != nil {
		return imageFacts{}, err
	}
	facts.sha256, facts.bytes = hex.EncodeToString(digest.Sum(nil)), counter.n
	if err := finishFile(tmp); err != nil {
		return imageFacts{}, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return imageFacts{}, fmt.Errorf("moving the finished file to %s: %w", path, err)
	}
	renamed = true
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

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return len(b), nil
}

// imageHeader reads the format and pixel size from the start of f, and quotes that start when
// it is not an image (an HTML page served with status 200, say).
func imageHeader(f io.ReadSeeker) (imageFacts, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return imageFacts{}, err
	}
	config, format, err := image.DecodeConfig(f)
	if err == nil {
		return imageFacts{contentType: "image/" + format, width: config.Width, height: config.Height}, nil
	}
	if _, seekErr := f.Seek(0, io.SeekStart); seekErr != nil {
		return imageFacts{}, seekErr
	}
	start := make([]byte, 60)
	n, _ := io.ReadFull(f, start)
	return imageFacts{}, fmt.Errorf("%w: no PNG, JPEG, GIF or WebP header (%v); the body starts with %s", errNotAnImage, err, quoteStart(start[:n]))
}

// quoteStart shows the first bytes of a body as one short line of text.
func quoteStart(b []byte) string {
	if len(b) == 0 {
		return "nothing (it is empty)"
	}
	text := strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return '.'
		}
		return r
	}, string(bytes.ToValidUTF8(b, []byte("."))))
	return fmt.Sprintf("%q", text)
}

// hashFile streams the file at path through sha256; a missing file is os.ErrNotExist.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	digest := sha256.New()
	n, err := io.Copy(digest, f)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(digest.Sum(nil)), n, nil
}

// fileDrift says how the file at path differs from what state recorded: "" when it is intact.
// Its size is compared first, so a file of another size is not hashed.
func fileDrift(path string, want imageFacts) (string, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "is missing", nil
	case err != nil:
		return "", err
	case !info.Mode().IsRegular():
		return "is not a regular file", nil
	case info.Size() != want.bytes:
		return fmt.Sprintf("has changed: it has %d bytes instead of %d", info.Size(), want.bytes), nil
	}
	sum, _, err := hashFile(path)
	if err != nil {
		return "", err
	}
	if sum != want.sha256 {
		return fmt.Sprintf("has changed: its SHA-256 is now %s", sum), nil
	}
	return "", nil
}

// inspectFile reads the facts of an existing file, for an import.
func inspectFile(path string) (imageFacts, error) {
	f, err := os.Open(path)
	if err != nil {
		return imageFacts{}, err
	}
	defer f.Close()
	facts, err := imageHeader(f)
	if err != nil {
		return imageFacts{}, err
	}
	facts.sha256, facts.bytes, err = hashFile(path)
	return facts, err
}

// moveFile moves the saved file from one path to another, after checking it is still the file
// state recorded. Across file systems it copies through writeAtomically and then removes the
// source.
func moveFile(from, to string, want imageFacts) error {
	if filepath.Clean(from) == filepath.Clean(to) {
		return nil
	}
	drift, err := fileDrift(from, want)
	if err != nil {
		return err
	}
	if drift != "" {
		return fmt.Errorf("the file at %s %s, so it is not the image to move", from, drift)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("creating the directory %s: %w", filepath.Dir(to), err)
	}
	err = os.Rename(from, to)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	if _, err := writeAtomically(to, func(w io.Writer) error { return copyFrom(from, w) }); err != nil {
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
