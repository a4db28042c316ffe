package fakeapimart_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// multipartBody encodes one form field as a file part and returns the body and its content type.
func multipartBody(t *testing.T, field, filename string, content []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(content)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), w.FormDataContentType()
}

func postUpload(t *testing.T, base, filename string, content []byte) answer {
	t.Helper()
	body, contentType := multipartBody(t, "file", filename, content)
	return call(t, http.MethodPost, base+"/v1/uploads/images", key, body, "Content-Type", contentType)
}

func samplePNG(t *testing.T) []byte {
	t.Helper()
	body, err := fakeapimart.RenderPNG("a product photo", 16, 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func sampleImages(t *testing.T) map[string][]byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	var jpg, gf bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gf, img, nil); err != nil {
		t.Fatal(err)
	}
	// The sniffed part of a lossless WebP file: the RIFF header and the VP8L chunk tag.
	webp := append([]byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00"), make([]byte, 9)...)
	return map[string][]byte{"image/png": samplePNG(t), "image/jpeg": jpg.Bytes(), "image/gif": gf.Bytes(), "image/webp": webp}
}

func TestUploadEveryFormatIsStoredAndServedBack(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	for contentType, content := range sampleImages(t) {
		t.Run(contentType, func(t *testing.T) {
			// The name says nothing true: the format is judged by content.
			a := postUpload(t, base, "dir/photo.txt", content)
			if a.status != http.StatusOK {
				t.Fatalf("upload answered %d: %s", a.status, a.body)
			}
			got := a.json(t)
			url, _ := got["url"].(string)
			if !strings.HasPrefix(url, base+"/uploads/") || got["filename"] != "photo.txt" ||
				got["content_type"] != contentType || got["bytes"] != float64(len(content)) || got["created_at"] == nil {
				t.Fatalf("answer %s lacks the documented fields", a.body)
			}
			served := call(t, http.MethodGet, url, "", "")
			if served.status != http.StatusOK || !bytes.Equal(served.body, content) || served.header.Get("Content-Type") != contentType {
				t.Errorf("GET %s: %d %q, %d bytes; want the uploaded %d bytes", url, served.status, served.header.Get("Content-Type"), len(served.body), len(content))
			}
		})
	}
	c := fake.Counters()
	if c.Uploads != 4 || c.UploadsStored != 4 || len(fake.Uploads()) != 4 {
		t.Errorf("counters %+v and %d records, want 4 uploads stored", c, len(fake.Uploads()))
	}
	for _, rec := range fake.Uploads() {
		want := sha256.Sum256(sampleImages(t)[rec.ContentType])
		if rec.SHA256 != hex.EncodeToString(want[:]) || rec.Owner != key {
			t.Errorf("record %+v has the wrong digest or owner", rec)
		}
	}
}

func TestUploadRejections(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	png := samplePNG(t)
	asFile := func(field string, content []byte) func() (string, string) {
		return func() (string, string) { return multipartBody(t, field, "photo.png", content) }
	}
	tests := []struct {
		name        string
		body        func() (string, string)
		wantStatus  int
		wantMessage string
	}{
		{"not multipart", func() (string, string) { return `{"file":"photo.png"}`, "application/json" }, 400, "multipart/form-data"},
		{"no file field", asFile("image", png), 400, "missing file field"},
		{"text file", asFile("file", []byte("just some text")), 400, "unsupported file format text/plain"},
		{"BMP", asFile("file", append([]byte("BM"), make([]byte, 60)...)), 400, "unsupported file format image/bmp"},
		{"over 20 MB", asFile("file", append(bytes.Clone(png), make([]byte, 20<<20)...)), 413, "file too large; the limit is 20 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, contentType := tt.body()
			a := call(t, http.MethodPost, base+"/v1/uploads/images", key, body, "Content-Type", contentType)
			if a.status != tt.wantStatus || !strings.Contains(fmt.Sprint(a.errorObject(t)["message"]), tt.wantMessage) {
				t.Errorf("answered %d %s, want %d with %q", a.status, a.body, tt.wantStatus, tt.wantMessage)
			}
		})
	}
	body, contentType := multipartBody(t, "file", "photo.png", png)
	if a := call(t, http.MethodPost, base+"/v1/uploads/images", "", body, "Content-Type", contentType); a.status != 401 {
		t.Errorf("upload without a key answered %d, want 401", a.status)
	}
	if c := fake.Counters(); c.Uploads != 5 || c.UploadsStored != 0 {
		t.Errorf("counters %+v, want 5 uploads past auth and none stored", c)
	}
}

func TestUploadFaults(t *testing.T) {
	png := samplePNG(t)
	tests := []struct {
		name       string
		fault      fakeapimart.UploadFault
		wantStatus int
		wantStored int64
	}{
		{"503 stores nothing", fakeapimart.UploadFault{Status: 503, RetryAfter: time.Second}, 503, 0},
		{"429 stores nothing", fakeapimart.UploadFault{Status: 429}, 429, 0},
		{"500 after storing", fakeapimart.UploadFault{Store: true}, 500, 1},
		{"reset after storing", fakeapimart.UploadFault{Reset: true}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, base := fakeapimart.Start(t)
			fake.Configure(func(set *fakeapimart.Settings) {
				set.FailNextUploads = tt.fault
				set.FailNextUploads.N = 1
			})
			// An invalid body leaves the fault queued for the next acceptable file.
			if a := postUpload(t, base, "notes.txt", []byte("text")); a.status != 400 {
				t.Fatalf("invalid upload answered %d", a.status)
			}
			body, contentType := multipartBody(t, "file", "photo.png", png)
			a, err := tryCall(http.DefaultClient, http.MethodPost, base+"/v1/uploads/images", key, body, "Content-Type", contentType)
			if (tt.wantStatus == 0) != (err != nil) || a.status != tt.wantStatus {
				t.Fatalf("answered %d (%v), want %d", a.status, err, tt.wantStatus)
			}
			if tt.wantStatus == 503 && a.header.Get("Retry-After") != "1" {
				t.Errorf("Retry-After %q, want 1", a.header.Get("Retry-After"))
			}
			if c := fake.Counters(); c.UploadsStored != tt.wantStored || c.Faults != 1 {
				t.Errorf("counters %+v, want %d stored and 1 fault", c, tt.wantStored)
			}
			if a := postUpload(t, base, "photo.png", png); a.status != 200 {
				t.Errorf("the upload after the fault answered %d", a.status)
			}
		})
	}
}

// uploadedURL uploads a sample PNG and returns its URL.
func uploadedURL(t *testing.T, base string) string {
	t.Helper()
	url, ok := postUpload(t, base, "photo.png", samplePNG(t)).json(t)["url"].(string)
	if !ok {
		t.Fatal("the upload answer has no url")
	}
	return url
}

func TestSubmitReferencingUploads(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	url := uploadedURL(t, base)
	body := fmt.Sprintf(`{"model":"gpt-4o-image","prompt":"this product on a beach","image_urls":[%q,"https://example.com/b.jpg"]}`, url)
	submit(t, base, body)
	if got := fake.Tasks()[0].ImageURLs; len(got) != 2 || got[0] != url || got[1] != "https://example.com/b.jpg" {
		t.Errorf("task records image_urls %q, want the uploaded URL and the other, in order", got)
	}

	missing := base + "/uploads/0000/photo.png"
	a := call(t, http.MethodPost, base+"/v1/images/generations", key,
		fmt.Sprintf(`{"model":"gpt-4o-image","prompt":"x","image_urls":[%q]}`, missing))
	if a.status != 400 || !strings.Contains(fmt.Sprint(a.errorObject(t)["message"]), missing) {
		t.Errorf("a reference to an unknown upload answered %d %s, want 400 naming it", a.status, a.body)
	}
	if a := call(t, http.MethodPost, base+"/v1/images/generations", key,
		fmt.Sprintf(`{"model":"imagen-4.0-apimart","prompt":"x","image_urls":[%q]}`, url)); a.status != 400 ||
		a.errorObject(t)["message"] != "google_imagen4 currently supports text-to-image only" {
		t.Errorf("imagen with an uploaded reference answered %d %s", a.status, a.body)
	}
}

func TestUploadedURLExpiresAfter72Hours(t *testing.T) {
	clock := newClock()
	_, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.Now = clock.Now })
	url := uploadedURL(t, base)
	clock.Advance(fakeapimart.UploadURLLifetime - time.Second)
	if a := call(t, http.MethodGet, url, "", ""); a.status != 200 {
		t.Fatalf("before expiry: %d", a.status)
	}
	clock.Advance(2 * time.Second)
	if a := call(t, http.MethodGet, url, "", ""); a.status != 403 {
		t.Errorf("after 72 hours: %d, want 403", a.status)
	}
	if a := call(t, http.MethodGet, strings.Replace(url, "photo.png", "other.png", 1), "", ""); a.status != 404 {
		t.Errorf("another name under the same id: %d, want 404", a.status)
	}
}
