package apimart

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func newTestDownloader() *Downloader {
	cfg := testConfig("")
	cfg.APIKey = ""
	return NewDownloader(cfg)
}

func file(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write([]byte(body))
	}
}

func TestDownloadSendsNoAuthorization(t *testing.T) {
	srv := startScript(t, file("PNGDATA"))
	var buf bytes.Buffer
	got, err := newTestDownloader().Download(context.Background(), srv.URL+"/f/0.png?sig=abc", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != "PNGDATA" || got.Bytes != 7 || got.ContentType != "image/png" {
		t.Errorf("downloaded %q, %+v", buf.String(), got)
	}
	if err := newTestDownloader().Check(context.Background(), srv.URL+"/f/0.png"); err != nil {
		t.Errorf("Check of a serving URL: %v", err)
	}
	hits := srv.Hits()
	if len(hits) != 2 || hits[0].method != http.MethodGet || hits[1].method != http.MethodHead {
		t.Fatalf("hits %+v, want one GET and one HEAD", hits)
	}
	for _, h := range hits {
		if v := h.header.Get("Authorization"); v != "" {
			t.Errorf("%s carried Authorization %q", h.method, v)
		}
	}
}

func TestDownloadRetriesTransientFailures(t *testing.T) {
	srv := startScript(t, reply(503, "busy"), hangUp, reply(502, "<html>bad gateway</html>"), file("OK"))
	var buf bytes.Buffer
	if _, err := newTestDownloader().Download(context.Background(), srv.URL+"/f.png", &buf); err != nil || buf.String() != "OK" {
		t.Fatalf("Download: %v, body %q", err, buf.String())
	}
	if n := len(srv.Hits()); n != 4 {
		t.Errorf("%d requests, want 4 (503, reset, 502, 200)", n)
	}
}

func TestDownloadOfAnExpiredURLIsGone(t *testing.T) {
	for _, status := range []int{403, 404, 410} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := startScript(t, reply(status, "expired"))
			d := newTestDownloader()
			_, err := d.Download(context.Background(), srv.URL+"/f.png?token=secret", &bytes.Buffer{})
			if !IsGone(err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("Download: %v; want a gone error without the query", err)
			}
			if err := d.Check(context.Background(), srv.URL+"/f.png"); !IsGone(err) {
				t.Errorf("Check: %v; want a gone error", err)
			}
			if n := len(srv.Hits()); n != 2 {
				t.Errorf("%d requests, want 2: a gone URL is not retried", n)
			}
		})
	}
}

func TestDownloadOfAnotherErrorIsNotGone(t *testing.T) {
	srv := startScript(t, reply(500, "boom"))
	_, err := newTestDownloader().Download(context.Background(), srv.URL+"/f.png", &bytes.Buffer{})
	if err == nil || IsGone(err) || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("Download: %v; want an HTTP 500 error that is not gone", err)
	}
}

func TestDownloadCutOffIsAnError(t *testing.T) {
	srv := startScript(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write([]byte("only part"))
		_ = http.NewResponseController(w).Flush()
		hangUp(w, r)
	})
	_, err := newTestDownloader().Download(context.Background(), srv.URL+"/f.png", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "cut off after 9 bytes") {
		t.Errorf("Download: %v; want a cut-off error", err)
	}
}

func TestDownloadURLRules(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"http://cdn.example.com/a.png", "plain http on the non-loopback host"},
		{"https://user:pw@cdn.example.com/a.png", "user name or password"},
		{"ftp://cdn.example.com/a.png", `scheme "ftp"`},
		{"https:///a.png", "no host"},
	} {
		if _, err := ParseDownloadURL(tt.url); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDownloadURL(%q) = %v, want an error with %q", tt.url, err, tt.want)
		}
	}
	for _, ok := range []string{"https://cdn.example.com/a.png?x=1", "http://127.0.0.1:8080/a.png", "http://localhost/a", "http://[::1]/a"} {
		if _, err := ParseDownloadURL(ok); err != nil {
			t.Errorf("ParseDownloadURL(%q): %v", ok, err)
		}
	}
}

func TestDownloadFollowsRedirectsOnlyWithinTheRule(t *testing.T) {
	target := startScript(t, file("MOVED"))
	srv := startScript(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/real.png", http.StatusFound)
	})
	var buf bytes.Buffer
	if _, err := newTestDownloader().Download(context.Background(), srv.URL+"/a.png", &buf); err != nil || buf.String() != "MOVED" {
		t.Fatalf("Download through a redirect: %v, %q", err, buf.String())
	}
	remote := startScript(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://cdn.example.com/a.png", http.StatusFound)
	})
	_, err := newTestDownloader().Download(context.Background(), remote.URL+"/a.png", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("a redirect to plain http on a remote host: %v", err)
	}
}
