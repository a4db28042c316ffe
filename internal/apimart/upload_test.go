package apimart

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

const uploadAnswer = `{"url":"https://upload.apimart.ai/f/image/abc-photo.png","filename":"photo.png","content_type":"image/png","bytes":20,"created_at":1743436800}`

// pngHead is the start of every PNG file, which is all DetectUploadType looks at.
var pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func samplePNGFile() *bytes.Reader {
	return bytes.NewReader(append(bytes.Clone(pngHead), "rest of the file"...))
}

// uploadedFile parses a recorded upload body and returns its only part's header and content.
func uploadedFile(t *testing.T, h hit) (*multipart.Part, []byte) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(h.header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		t.Fatalf("Content-Type %q is not multipart/form-data", h.header.Get("Content-Type"))
	}
	r := multipart.NewReader(bytes.NewReader(h.body), params["boundary"])
	part, err := r.NextPart()
	if err != nil {
		t.Fatalf("no part in the body: %v", err)
	}
	content, err := io.ReadAll(part)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.NextPart(); !errors.Is(err, io.EOF) {
		t.Errorf("the body has more than one part (%v)", err)
	}
	return part, content
}

func TestUploadImageSendsTheDocumentedRequest(t *testing.T) {
	t.Parallel()
	var contentLength int64
	srv := startScript(t, func(w http.ResponseWriter, r *http.Request) {
		contentLength = r.ContentLength
		reply(200, uploadAnswer)(w, r)
	})
	file := samplePNGFile()
	up, err := newTestClient(t, testConfig(srv.URL)).UploadImage(context.Background(), `my "photo".png`, file)
	if err != nil {
		t.Fatalf("UploadImage: %v", err)
	}
	hits := srv.Hits()
	if len(hits) != 1 || hits[0].method != http.MethodPost || hits[0].path != "/v1/uploads/images" {
		t.Fatalf("server saw %+v, want one POST /v1/uploads/images", hits)
	}
	if got := hits[0].header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization %q", got)
	}
	if contentLength != int64(len(hits[0].body)) {
		t.Errorf("Content-Length %d for a body of %d bytes; the body should not be chunked", contentLength, len(hits[0].body))
	}
	part, content := uploadedFile(t, hits[0])
	want, _ := io.ReadAll(samplePNGFile())
	if part.FormName() != "file" || part.FileName() != `my "photo".png` || part.Header.Get("Content-Type") != "image/png" || !bytes.Equal(content, want) {
		t.Errorf("part %q %q %q with %d bytes, want field file with the file's name, type and %d bytes",
			part.FormName(), part.FileName(), part.Header.Get("Content-Type"), len(content), len(want))
	}
	wantUpload := Upload{URL: "https://upload.apimart.ai/f/image/abc-photo.png", Filename: "photo.png", ContentType: "image/png",
		Bytes: 20, CreatedAt: time.Unix(1743436800, 0).UTC()}
	if *up != wantUpload {
		t.Errorf("upload %+v, want %+v", *up, wantUpload)
	}
}

type uploadOutcome int

const (
	uploaded uploadOutcome = iota
	uploadAmbiguous
	uploadRejected
	uploadRefused
	uploadUnsent
)

func (o uploadOutcome) String() string {
	return [...]string{"uploaded", "ambiguous", "rejected", "refused", "unsent"}[o]
}

func classifyUpload(err error) uploadOutcome {
	var ambiguous *AmbiguousUploadError
	var rejected *UploadRejectedError
	var apiErr *APIError
	switch {
	case err == nil:
		return uploaded
	case errors.As(err, &ambiguous):
		return uploadAmbiguous
	case errors.As(err, &rejected):
		return uploadRejected
	case errors.As(err, &apiErr):
		return uploadRefused
	}
	return uploadUnsent
}

// An upload is retried only when the server certainly stored nothing, and every retry sends the
// whole file again.
func TestUploadRetryPolicy(t *testing.T) {
	tests := []struct {
		name     string
		answers  []http.HandlerFunc
		wantHits int
		want     uploadOutcome
	}{
		{"408 is retried", []http.HandlerFunc{reply(408, `{}`), reply(200, uploadAnswer)}, 2, uploaded},
		{"429 is retried", []http.HandlerFunc{reply(429, `{}`), reply(200, uploadAnswer)}, 2, uploaded},
		{"503 is retried", []http.HandlerFunc{reply(503, `{}`), reply(503, `{}`), reply(200, uploadAnswer)}, 3, uploaded},
		{"503 until retries run out", []http.HandlerFunc{reply(503, `{"error":{"message":"overloaded"}}`)}, 4, uploadRefused},
		{"500 is not retried", []http.HandlerFunc{reply(500, `{}`), reply(200, uploadAnswer)}, 1, uploadAmbiguous},
		{"502 is not retried", []http.HandlerFunc{reply(502, `bad gateway`), reply(200, uploadAnswer)}, 1, uploadAmbiguous},
		{"504 is not retried", []http.HandlerFunc{reply(504, `{}`), reply(200, uploadAnswer)}, 1, uploadAmbiguous},
		{"reset after sending is not retried", []http.HandlerFunc{hangUp, reply(200, uploadAnswer)}, 1, uploadAmbiguous},
		{"200 without a url is ambiguous", []http.HandlerFunc{reply(200, `{"filename":"photo.png"}`)}, 1, uploadAmbiguous},
		{"400 is a rejection", []http.HandlerFunc{reply(400, `{"error":{"code":400,"message":"missing file field"}}`)}, 1, uploadRejected},
		{"413 is a rejection", []http.HandlerFunc{reply(413, `{"error":{"code":413,"message":"file too large"}}`)}, 1, uploadRejected},
		{"401 is a refusal", []http.HandlerFunc{reply(401, `{"error":{"message":"Failed to get token info"}}`)}, 1, uploadRefused},
		{"200 success false is a refusal", []http.HandlerFunc{reply(200, balanceFailed)}, 1, uploadRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScript(t, tt.answers...)
			_, err := newTestClient(t, testConfig(srv.URL)).UploadImage(context.Background(), "photo.png", samplePNGFile())
			hits := srv.Hits()
			if len(hits) != tt.wantHits {
				t.Errorf("server saw %d uploads, want %d", len(hits), tt.wantHits)
			}
			if got := classifyUpload(err); got != tt.want {
				t.Fatalf("outcome %s (%v), want %s", got, err, tt.want)
			}
			want, _ := io.ReadAll(samplePNGFile())
			for i, h := range hits {
				if _, content := uploadedFile(t, h); !bytes.Equal(content, want) {
					t.Errorf("attempt %d sent %d bytes of the file, want all %d", i+1, len(content), len(want))
				}
			}
		})
	}
}

func TestUploadRejectionSaysTooLarge(t *testing.T) {
	t.Parallel()
	srv := startScript(t, reply(413, `{"error":{"code":413,"message":"file too large"}}`))
	_, err := newTestClient(t, testConfig(srv.URL)).UploadImage(context.Background(), "photo.png", samplePNGFile())
	var rejected *UploadRejectedError
	if !errors.As(err, &rejected) || !rejected.TooLarge || rejected.Filename != "photo.png" || statusOf(err) != 413 {
		t.Fatalf("error %v, want an UploadRejectedError for a too large photo.png", err)
	}
	if !strings.Contains(err.Error(), "20 MB") || !strings.Contains(err.Error(), "file too large") {
		t.Errorf("error %q should give the limit and the server's message", err)
	}
}

func TestUploadRetriesAFailedDial(t *testing.T) {
	srv := startScript(t, reply(200, uploadAnswer))
	dialer := &countingDialer{failures: 2}
	cfg := testConfig(srv.URL)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	if _, err := newTestClient(t, cfg).UploadImage(context.Background(), "photo.png", samplePNGFile()); err != nil {
		t.Fatalf("UploadImage: %v", err)
	}
	if dialer.dials.Load() != 3 || len(srv.Hits()) != 1 {
		t.Errorf("dials %d, server hits %d; want 3 and 1", dialer.dials.Load(), len(srv.Hits()))
	}
}

func TestUploadToAClosedPortSaysNothingWasStored(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = newTestClient(t, testConfig("http://"+addr)).UploadImage(context.Background(), "photo.png", samplePNGFile())
	if classifyUpload(err) != uploadUnsent || !strings.Contains(err.Error(), "nothing was stored") {
		t.Fatalf("UploadImage = %v, want a plain error saying nothing was stored", err)
	}
}

func TestUploadOverTheLimitIsNotSent(t *testing.T) {
	t.Parallel()
	srv := startScript(t, reply(200, uploadAnswer))
	file := io.NewSectionReader(pngFile{}, 0, MaxUploadBytes+1)
	_, err := newTestClient(t, testConfig(srv.URL)).UploadImage(context.Background(), "huge.png", file)
	if err == nil || !strings.Contains(err.Error(), "20 MB") || len(srv.Hits()) != 0 {
		t.Fatalf("UploadImage = %v with %d requests, want a size error and none", err, len(srv.Hits()))
	}
}

// pngFile reads as a PNG header followed by zeros, however long, without holding any of it.
type pngFile struct{}

func (pngFile) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	if off < int64(len(pngHead)) {
		copy(p, pngHead[off:])
	}
	return len(p), nil
}

// A file near the limit is streamed: the client allocates far less than the file's size, even
// when it sends it twice.
func TestUploadStreamsTheFile(t *testing.T) {
	const size = MaxUploadBytes
	var received []int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received = append(received, n)
		status := http.StatusServiceUnavailable
		if len(received) > 1 {
			status = http.StatusOK
		}
		reply(status, uploadAnswer)(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, testConfig(srv.URL))

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.UploadImage(context.Background(), "big.png", io.NewSectionReader(pngFile{}, 0, size))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("UploadImage: %v", err)
	}
	if len(received) != 2 || received[0] < size || received[1] != received[0] {
		t.Fatalf("server received %v bytes, want the whole file twice", received)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > size/4 {
		t.Errorf("uploading a %d MB file twice allocated %d MB; the file should be streamed, not buffered", size>>20, allocated>>20)
	}
}

func TestDecodeUpload(t *testing.T) {
	tests := []struct {
		name, body string
		wantURL    string
		wantErr    bool
	}{
		{"documented", uploadAnswer, "https://upload.apimart.ai/f/image/abc-photo.png", false},
		{"in a data envelope", `{"code":200,"data":{"url":"https://cdn.apimart.ai/x.png","bytes":"12"}}`, "https://cdn.apimart.ai/x.png", false},
		{"success false", balanceFailed, "", true},
		{"no url", `{"filename":"x.png"}`, "", true},
		{"not JSON", `<html>`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, err := decodeUpload(200, []byte(tt.body))
			if (err != nil) != tt.wantErr || (err == nil && up.URL != tt.wantURL) {
				t.Errorf("decodeUpload = %+v, %v; want url %q, error %v", up, err, tt.wantURL, tt.wantErr)
			}
		})
	}
}

func TestDetectUploadType(t *testing.T) {
	tests := map[string]bool{
		string(pngHead):                            true,
		"\xff\xd8\xff\xe0\x00\x10JFIF":             true,
		"GIF89a\x01\x00\x01\x00":                   true,
		"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00":     true,
		"BM\x3a\x00\x00\x00\x00\x00":               false,
		"just text":                                false,
		"%PDF-1.7":                                 false,
		"RIFF\x1a\x00\x00\x00WAVEfmt \x10\x00\x00": false,
	}
	for head, want := range tests {
		if contentType, ok := DetectUploadType([]byte(head)); ok != want {
			t.Errorf("DetectUploadType(%q) = %s, %v; want %v", head, contentType, ok, want)
		}
	}
}
