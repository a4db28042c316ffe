package fakeapimart_test

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// completedFileURL submits an instant task and returns the URL of its first result.
func completedFileURL(t *testing.T, base string) string {
	t.Helper()
	return firstURL(t, getTask(t, base, key, submit(t, base, imagenBody)))
}

func TestHeadIsCountedApartFromDownloads(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	url := completedFileURL(t, base)
	head := call(t, http.MethodHead, url, "", "")
	if head.status != http.StatusOK || head.header.Get("Content-Length") == "" || len(head.body) != 0 {
		t.Fatalf("HEAD: %d, Content-Length %q, %d body bytes", head.status, head.header.Get("Content-Length"), len(head.body))
	}
	get := call(t, http.MethodGet, url, "", "")
	if head.header.Get("Content-Length") != get.header.Get("Content-Length") {
		t.Errorf("HEAD says %s bytes, GET says %s", head.header.Get("Content-Length"), get.header.Get("Content-Length"))
	}
	if c := fake.Counters(); c.ImageHeads != 1 || c.ImageDownloads != 1 || c.DownloadsWithAuthorization != 0 {
		t.Errorf("counters %+v: want 1 HEAD, 1 download, none with Authorization", c)
	}
}

func TestDownloadsWithAuthorizationAreCounted(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	url := completedFileURL(t, base)
	call(t, http.MethodGet, url, key, "")
	call(t, http.MethodHead, url, key, "")
	if got := fake.Counters().DownloadsWithAuthorization; got != 2 {
		t.Errorf("DownloadsWithAuthorization = %d, want 2", got)
	}
}

func TestRenderedImageShowsThePrompt(t *testing.T) {
	blank, err := fakeapimart.RenderPNG("", 512, 288, 0)
	if err != nil {
		t.Fatal(err)
	}
	worded, _ := fakeapimart.RenderPNG("a lighthouse at dusk", 512, 288, 0)
	// The words change the picture only where they are drawn: the top rows.
	a, _ := png.Decode(bytes.NewReader(blank))
	b, _ := png.Decode(bytes.NewReader(worded))
	differ := 0
	for y := range 40 {
		for x := range 512 {
			if a.At(x, y) != b.At(x, y) {
				differ++
			}
		}
	}
	if differ < 200 {
		t.Errorf("only %d pixels of the top rows changed when words were added", differ)
	}
}

func TestDownloadFaults(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	url := completedFileURL(t, base)
	whole := call(t, http.MethodGet, url, "", "")

	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextDownloads = fakeapimart.DownloadFault{N: 1, Kind: fakeapimart.DownloadCut}
	})
	if _, err := tryCall(http.DefaultClient, http.MethodGet, url, "", ""); err == nil {
		t.Error("a cut download read to its end")
	}
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextDownloads = fakeapimart.DownloadFault{N: 1, Kind: fakeapimart.DownloadHTML}
	})
	if page := call(t, http.MethodGet, url, "", ""); page.status != http.StatusOK || !strings.HasPrefix(string(page.body), "<html>") {
		t.Errorf("HTML fault: %d %q", page.status, page.body)
	}
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextDownloads = fakeapimart.DownloadFault{N: 1, Kind: fakeapimart.DownloadStatus, Status: 502}
	})
	if got := call(t, http.MethodGet, url, "", ""); got.status != http.StatusBadGateway {
		t.Errorf("status fault: %d", got.status)
	}
	if again := call(t, http.MethodGet, url, "", ""); !bytes.Equal(again.body, whole.body) {
		t.Error("the download after the faults is not the file")
	}
	if c := fake.Counters(); c.Faults != 3 || c.ImageDownloads != 3 {
		t.Errorf("counters %+v: want 3 faults and 3 downloads (whole, cut, whole)", c)
	}
}

func TestPaddedFilesAreBigValidAndStable(t *testing.T) {
	const minBytes = 3<<20 + 7
	_, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
		set.TaskDuration = 0
		set.MinImageBytes = minBytes
	})
	url := completedFileURL(t, base)
	first := call(t, http.MethodGet, url, "", "")
	if len(first.body) != minBytes || first.header.Get("Content-Length") != "3145735" {
		t.Fatalf("padded file has %d bytes (Content-Length %s), want %d", len(first.body), first.header.Get("Content-Length"), minBytes)
	}
	if _, err := png.Decode(bytes.NewReader(first.body)); err != nil {
		t.Fatalf("the padded file is not a valid PNG: %v", err)
	}
	var compressed bytes.Buffer
	zw, _ := flate.NewWriter(&compressed, flate.BestSpeed)
	_, _ = zw.Write(first.body)
	_ = zw.Close()
	if compressed.Len() < minBytes*9/10 {
		t.Errorf("the padding compresses to %d of %d bytes; it should not compress", compressed.Len(), minBytes)
	}
	second := call(t, http.MethodGet, url, "", "")
	if sha256.Sum256(first.body) != sha256.Sum256(second.body) {
		t.Error("two downloads of one URL differ")
	}
}
