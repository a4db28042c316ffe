// Command demofetch saves the images that `make demo` generated, so that a person can open them.
//
// It reads the demo's "images" output on stdin, a JSON object that maps a name to a list of
// URLs (`terraform output -json images`), and writes <name>.png, or <name>-1.png, <name>-2.png …
// when a name has several images. Anything that is not a well-formed PNG is refused, because a
// demo that saves an HTML error page under a .png name would look like it worked.
//
//	terraform output -json images | demofetch -out demo-output
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// maxImageBytes bounds a download: generated images are a few MiB, so anything far larger is a
// misbehaving server, not an image.
const maxImageBytes = 64 << 20

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

func main() {
	out := flag.String("out", "demo-output", "`directory` to write the images into")
	timeout := flag.Duration("timeout", time.Minute, "limit for each download")
	flag.Parse()

	if err := run(context.Background(), os.Stdin, os.Stdout, *out, &http.Client{Timeout: *timeout}); err != nil {
		fmt.Fprintln(os.Stderr, "demofetch:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, in io.Reader, out io.Writer, dir string, client *http.Client) error {
	var images map[string][]string
	if err := json.NewDecoder(in).Decode(&images); err != nil {
		return fmt.Errorf("reading the images output: %w", err)
	}
	downloads, err := plan(images)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range downloads {
		saved, err := fetchPNG(ctx, client, d.url, filepath.Join(dir, d.file))
		if err != nil {
			return fmt.Errorf("%s: %w", d.file, err)
		}
		fmt.Fprintf(out, "%-28s %9d bytes  %4d x %d\n", saved.path, saved.size, saved.width, saved.height)
	}
	return nil
}

type download struct {
	file string
	url  string
}

// plan names one file per URL, in name order so that the listing is stable from run to run.
func plan(images map[string][]string) ([]download, error) {
	if len(images) == 0 {
		return nil, errors.New("the images output lists no images")
	}
	var downloads []download
	for _, name := range slices.Sorted(maps.Keys(images)) {
		if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
			return nil, fmt.Errorf("image name %q cannot be used as a file name", name)
		}
		urls := images[name]
		if len(urls) == 0 {
			return nil, fmt.Errorf("%s has no URL: the image was not generated", name)
		}
		for i, url := range urls {
			file := name + ".png"
			if len(urls) > 1 {
				file = fmt.Sprintf("%s-%d.png", name, i+1)
			}
			downloads = append(downloads, download{file: file, url: url})
		}
	}
	return downloads, nil
}

type savedPNG struct {
	path          string
	size          int
	width, height int
}

func fetchPNG(ctx context.Context, client *http.Client, url, path string) (savedPNG, error) {
	body, err := get(ctx, client, url)
	if err != nil {
		return savedPNG{}, err
	}
	if !bytes.HasPrefix(body, pngSignature) {
		return savedPNG{}, fmt.Errorf("GET %s: not a PNG (starts with %q)", url, body[:min(len(body), 16)])
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		return savedPNG{}, fmt.Errorf("GET %s: broken PNG: %w", url, err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return savedPNG{}, err
	}
	return savedPNG{path: path, size: len(body), width: cfg.Width, height: cfg.Height}, nil
}

func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("GET %s: %s: the URL has probably expired; run the demo again", url, resp.Status)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if len(body) > maxImageBytes {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", url, maxImageBytes)
	}
	return body, nil
}
