package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func encodePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// imageServer serves fixed bodies by path; any other path is a 404.
func imageServer(t *testing.T, bodies map[string][]byte, status map[string]int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, ok := status[r.URL.Path]; ok {
			w.WriteHeader(code)
			return
		}
		body, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRunSavesEveryImageUnderItsName(t *testing.T) {
	wide, square := encodePNG(t, 16, 9), encodePNG(t, 4, 4)
	srv := imageServer(t, map[string][]byte{"/a.png": wide, "/b.png": square, "/c.png": square}, nil)
	dir := t.TempDir()
	in := fmt.Sprintf(`{"hero":[%q],"posters":[%q,%q]}`, srv.URL+"/a.png", srv.URL+"/b.png", srv.URL+"/c.png")

	var out bytes.Buffer
	if err := run(context.Background(), strings.NewReader(in), &out, dir, srv.Client()); err != nil {
		t.Fatal(err)
	}

	want := map[string][]byte{"hero.png": wide, "posters-1.png": square, "posters-2.png": square}
	for name, body := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, body) {
			t.Errorf("%s: saved %d bytes, want the %d served", name, len(got), len(body))
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "hero.png") || !strings.Contains(lines[0], "16 x 9") {
		t.Errorf("listing = %q, want three lines starting with hero.png at 16 x 9", out.String())
	}
}

func TestRunRefusesWhatIsNotAPNG(t *testing.T) {
	valid := encodePNG(t, 2, 2)
	cases := map[string]struct {
		body    []byte
		status  int
		wantErr string
	}{
		"html page":   {body: []byte("<html>oops</html>"), wantErr: "not a PNG"},
		"cut short":   {body: valid[:20], wantErr: "broken PNG"},
		"expired url": {status: http.StatusForbidden, wantErr: "expired"},
		"gone":        {status: http.StatusNotFound, wantErr: "404"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status := map[string]int{}
			if tc.status != 0 {
				status["/x.png"] = tc.status
			}
			srv := imageServer(t, map[string][]byte{"/x.png": tc.body}, status)
			dir := t.TempDir()
			in := fmt.Sprintf(`{"hero":[%q]}`, srv.URL+"/x.png")

			err := run(context.Background(), strings.NewReader(in), &bytes.Buffer{}, dir, srv.Client())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
			}
			if _, statErr := os.Stat(filepath.Join(dir, "hero.png")); !os.IsNotExist(statErr) {
				t.Errorf("hero.png was written despite the error (stat: %v)", statErr)
			}
		})
	}
}

func TestPlanRejectsUnusableInput(t *testing.T) {
	cases := map[string]map[string][]string{
		"nothing":        {},
		"no url":         {"hero": nil},
		"path in name":   {"../hero": {"http://127.0.0.1/x.png"}},
		"hidden file":    {".hero": {"http://127.0.0.1/x.png"}},
		"directory name": {"a/b": {"http://127.0.0.1/x.png"}},
	}
	for name, images := range cases {
		t.Run(name, func(t *testing.T) {
			if got, err := plan(images); err == nil {
				t.Fatalf("plan(%v) = %v, want an error", images, got)
			}
		})
	}
}
