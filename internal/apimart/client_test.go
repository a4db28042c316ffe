package apimart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseBaseURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    string
		wantErr string
	}{
		{raw: "", want: DefaultBaseURL},
		{raw: "https://api.apimart.ai", want: "https://api.apimart.ai"},
		{raw: "https://api.apimart.ai/", want: "https://api.apimart.ai"},
		{raw: "https://proxy.example.com/apimart", want: "https://proxy.example.com/apimart"},
		{raw: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{raw: "http://localhost:8080", want: "http://localhost:8080"},
		{raw: "http://[::1]:8080", want: "http://[::1]:8080"},
		{raw: "http://example.com", wantErr: "clear text"},
		{raw: "http://10.0.0.1", wantErr: "clear text"},
		{raw: "ftp://api.apimart.ai", wantErr: "scheme"},
		{raw: "api.apimart.ai", wantErr: "no host"},
		{raw: "https://", wantErr: "no host"},
		{raw: "https://api.apimart.ai/?x=1", wantErr: "query"},
		{raw: "https://api.apimart.ai/#frag", wantErr: "fragment"},
		{raw: "https://api.apimart.ai/#", wantErr: "fragment"},
		{raw: "https://api.apimart.ai/?", wantErr: "query"},
		{raw: "https://user:secret@api.apimart.ai", wantErr: "user name"},
		{raw: "https://api.apimart.ai/base//", want: "https://api.apimart.ai/base"},
		{raw: "https://api apimart.ai", wantErr: "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := ParseBaseURL(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseBaseURL(%q) = %v, %v; want an error containing %q", tt.raw, u, err, tt.wantErr)
				}
				return
			}
			if err != nil || u.String() != tt.want {
				t.Fatalf("ParseBaseURL(%q) = %v, %v; want %s", tt.raw, u, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestNewClientRefusesAMissingKey(t *testing.T) {
	if _, err := NewClient(Config{APIKey: "  "}); err == nil {
		t.Fatal("NewClient accepted a blank key")
	}
	if _, err := NewClient(Config{APIKey: testKey, BaseURL: "http://example.com"}); err == nil {
		t.Fatal("NewClient accepted plain http to a remote host")
	}
}

func TestSubmitSendsTheDocumentedRequest(t *testing.T) {
	srv := startScript(t, reply(200, submitV1))
	cfg := testConfig(srv.URL)
	cfg.UserAgent = "terraform-provider-apimart/test"
	c := newTestClient(t, cfg)

	sub, err := c.Submit(context.Background(), GenerationRequest{Model: "imagen-4.0-apimart", Prompt: "a red fox", N: 1})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	_, err = c.Submit(context.Background(), GenerationRequest{Model: "gpt-4o-image", Prompt: "a cat", Size: "1:1", N: 2,
		ImageURLs: []string{"https://example.com/a.png"}})
	if err != nil {
		t.Fatalf("second Submit: %v", err)
	}
	hits := srv.Hits()
	if len(hits) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(hits))
	}
	first := hits[0]
	if first.method != http.MethodPost || first.path != "/v1/images/generations" {
		t.Errorf("request = %s %s", first.method, first.path)
	}
	wantHeaders := map[string]string{
		"Authorization": "Bearer " + testKey,
		"User-Agent":    "terraform-provider-apimart/test",
		"Accept":        "application/json",
		"Content-Type":  "application/json",
	}
	for name, want := range wantHeaders {
		if got := first.header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(first.body, &body); err != nil {
		t.Fatalf("body is not JSON: %s", first.body)
	}
	if n, ok := body["n"].(float64); !ok || n != 1 {
		t.Errorf("n = %#v, want the JSON number 1", body["n"])
	}
	if _, ok := body["size"]; ok {
		t.Errorf("an empty size was sent: %s", first.body)
	}
	if _, ok := body["image_urls"]; ok {
		t.Errorf("empty image_urls were sent: %s", first.body)
	}
	if body["model"] != "imagen-4.0-apimart" || body["prompt"] != "a red fox" {
		t.Errorf("body = %s", first.body)
	}
	var second struct {
		Size      string   `json:"size"`
		N         any      `json:"n"`
		ImageURLs []string `json:"image_urls"`
	}
	if err := json.Unmarshal(hits[1].body, &second); err != nil || second.Size != "1:1" || second.N != float64(2) || len(second.ImageURLs) != 1 {
		t.Errorf("second body = %s", hits[1].body)
	}

	keyPattern := regexp.MustCompile(`^[0-9a-f]{32}$`)
	k1, k2 := first.header.Get("Idempotency-Key"), hits[1].header.Get("Idempotency-Key")
	if !keyPattern.MatchString(k1) || !keyPattern.MatchString(k2) || k1 == k2 {
		t.Errorf("Idempotency-Keys %q and %q, want two different 32-hex-digit keys", k1, k2)
	}
	if sub.IdempotencyKey != k1 {
		t.Errorf("Submission.IdempotencyKey = %q, want the sent %q", sub.IdempotencyKey, k1)
	}
	if sub.TaskID != "task_01K8AYYM6R03TGZ3Q2P0TZVNPX" || sub.Status != "submitted" || sub.Replayed {
		t.Errorf("Submission = %+v", sub)
	}
}

func TestSubmitAcceptsEveryDocumentedShape(t *testing.T) {
	tests := []struct {
		name         string
		answer       http.HandlerFunc
		wantID       string
		wantEstimate time.Duration
		wantReplayed bool
	}{
		{"V1", reply(200, submitV1), "task_01K8AYYM6R03TGZ3Q2P0TZVNPX", 0, false},
		{"V2", reply(200, submitV2), "task_01XYZ", 100 * time.Second, false},
		{"V3", reply(200, submitV3), "task_01HX", 0, false},
		{"replayed", reply(200, submitV1, "Idempotency-Replayed", "true"), "task_01K8AYYM6R03TGZ3Q2P0TZVNPX", 0, true},
		{"201 created", reply(201, submitV1), "task_01K8AYYM6R03TGZ3Q2P0TZVNPX", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScript(t, tt.answer)
			sub, err := newTestClient(t, testConfig(srv.URL)).Submit(context.Background(), GenerationRequest{Model: "m", Prompt: "p"})
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			if sub.TaskID != tt.wantID || sub.EstimatedTime != tt.wantEstimate || sub.Replayed != tt.wantReplayed {
				t.Errorf("Submission = %+v", sub)
			}
		})
	}
}

// outcome classifies an error for the retry tables.
type outcome int

const (
	succeeded outcome = iota
	ambiguous         // *AmbiguousSubmitError: a task may exist
	refused           // a plain *APIError: nothing was created
	unsent            // a transport error before anything was sent
)

func classify(err error) outcome {
	var apiErr *APIError
	switch {
	case err == nil:
		return succeeded
	case IsAmbiguousSubmit(err):
		return ambiguous
	case errors.As(err, &apiErr):
		return refused
	default:
		return unsent
	}
}

func (o outcome) String() string {
	return [...]string{"success", "ambiguous", "refused", "unsent"}[o]
}

func TestSubmitRetryPolicy(t *testing.T) {
	tests := []struct {
		name       string
		answers    []http.HandlerFunc
		wantHits   int
		want       outcome
		wantStatus int
	}{
		{"408 is retried", []http.HandlerFunc{reply(408, `{}`), reply(200, submitV1)}, 2, succeeded, 0},
		{"429 is retried", []http.HandlerFunc{reply(429, `{}`), reply(200, submitV1)}, 2, succeeded, 0},
		{"503 is retried", []http.HandlerFunc{reply(503, `{}`), reply(503, `{}`), reply(200, submitV1)}, 3, succeeded, 0},
		{"503 until retries run out", []http.HandlerFunc{reply(503, `{"error":{"message":"overloaded"}}`)}, 4, refused, 503},
		{"500 is not retried", []http.HandlerFunc{reply(500, `{}`), reply(200, submitV1)}, 1, ambiguous, 500},
		{"502 is not retried", []http.HandlerFunc{reply(502, `bad gateway`), reply(200, submitV1)}, 1, ambiguous, 502},
		{"504 is not retried", []http.HandlerFunc{reply(504, `{}`), reply(200, submitV1)}, 1, ambiguous, 504},
		{"501 is a refusal", []http.HandlerFunc{reply(501, `{}`)}, 1, refused, 501},
		{"400 is a refusal", []http.HandlerFunc{reply(400, errorDocumented)}, 1, refused, 400},
		{"401 is a refusal", []http.HandlerFunc{reply(401, `{"error":{"message":"Failed to get token info"}}`)}, 1, refused, 401},
		{"402 is a refusal", []http.HandlerFunc{reply(402, `{"error":{"message":"insufficient balance"}}`)}, 1, refused, 402},
		{"200 success false is a refusal", []http.HandlerFunc{reply(200, balanceFailed)}, 1, refused, 200},
		{"200 without task id is ambiguous", []http.HandlerFunc{reply(200, `{"code":200,"data":[]}`)}, 1, ambiguous, 0},
		{"200 with a non-JSON body is ambiguous", []http.HandlerFunc{reply(200, `<html>ok</html>`)}, 1, ambiguous, 0},
		{"200 with a huge body is ambiguous", []http.HandlerFunc{hugeBody}, 1, ambiguous, 0},
		{"reset after sending is not retried", []http.HandlerFunc{hangUp, reply(200, submitV1)}, 1, ambiguous, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScript(t, tt.answers...)
			_, err := newTestClient(t, testConfig(srv.URL)).Submit(context.Background(), GenerationRequest{Model: "m", Prompt: "p"})
			hits := srv.Hits()
			if len(hits) != tt.wantHits {
				t.Errorf("server saw %d submits, want %d", len(hits), tt.wantHits)
			}
			if got := classify(err); got != tt.want {
				t.Fatalf("outcome %s (%v), want %s", got, err, tt.want)
			}
			if tt.wantStatus != 0 && statusOf(err) != tt.wantStatus {
				t.Errorf("status %d in %v, want %d", statusOf(err), err, tt.wantStatus)
			}
			for _, h := range hits[1:] {
				if h.header.Get("Idempotency-Key") != hits[0].header.Get("Idempotency-Key") {
					t.Errorf("a retry changed the Idempotency-Key")
				}
			}
			if amb := (*AmbiguousSubmitError)(nil); errors.As(err, &amb) && amb.IdempotencyKey != hits[0].header.Get("Idempotency-Key") {
				t.Errorf("AmbiguousSubmitError carries key %q, want the sent one", amb.IdempotencyKey)
			}
		})
	}
}

func TestSubmitWaitsForRetryAfter(t *testing.T) {
	t.Parallel()
	srv := startScript(t, reply(429, `{"error":{"message":"slow down"}}`, "Retry-After", "1"), reply(200, submitV1))
	cfg := testConfig(srv.URL)
	elapsed := stopwatch(cfg.Clock)
	sub, err := newTestClient(t, cfg).Submit(context.Background(), GenerationRequest{Model: "m", Prompt: "p"})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	took := elapsed()
	hits := srv.Hits()
	if len(hits) != 2 {
		t.Fatalf("server saw %d submits, want 2", len(hits))
	}
	if took < time.Second {
		t.Errorf("Submit returned after %s; the server asked for a 1 s wait before the retry", took)
	}
	if key := hits[0].header.Get("Idempotency-Key"); key == "" || hits[1].header.Get("Idempotency-Key") != key || sub.IdempotencyKey != key {
		t.Errorf("keys %q, %q, submission %q: want one key reused", key, hits[1].header.Get("Idempotency-Key"), sub.IdempotencyKey)
	}
	if took > 3*time.Second {
		t.Errorf("Submit took %s", took)
	}
}

func TestRetryStopsWhenTheWaitWouldPassTheDeadline(t *testing.T) {
	srv := startScript(t, reply(429, `{"error":{"message":"slow down"}}`, "Retry-After", "30"), reply(200, taskProcessing))
	c := newTestClient(t, testConfig(srv.URL))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	began := time.Now()
	_, err := c.GetTask(ctx, "task_1")
	if !IsRateLimited(err) {
		t.Fatalf("GetTask = %v, want the 429 itself", err)
	}
	if took := time.Since(began); took > 500*time.Millisecond {
		t.Errorf("GetTask took %s; it should give up at once", took)
	}
	if n := len(srv.Hits()); n != 1 {
		t.Errorf("server saw %d reads, want 1", n)
	}
}

// countingDialer dials the real server only after failing the first failures dials.
type countingDialer struct {
	dials    atomic.Int32
	failures int32
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.dials.Add(1) <= d.failures {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

func TestSubmitRetriesAFailedDial(t *testing.T) {
	srv := startScript(t, reply(200, submitV1))
	dialer := &countingDialer{failures: 2}
	cfg := testConfig(srv.URL)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	sub, err := newTestClient(t, cfg).Submit(context.Background(), GenerationRequest{Model: "m", Prompt: "p"})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if sub.TaskID == "" || dialer.dials.Load() != 3 || len(srv.Hits()) != 1 {
		t.Errorf("dials %d, server hits %d; want 3 and 1", dialer.dials.Load(), len(srv.Hits()))
	}
}

func TestSubmitToAClosedPortIsNotAmbiguous(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dialer := &countingDialer{}
	cfg := testConfig("http://" + addr)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	_, err = newTestClient(t, cfg).Submit(context.Background(), GenerationRequest{Model: "m", Prompt: "p"})
	if classify(err) != unsent {
		t.Fatalf("Submit = %v, want a plain transport error", err)
	}
	if !strings.Contains(err.Error(), "no task was created") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q does not say that nothing was created and why", err)
	}
	if strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %q blames a timeout for a refused connection", err)
	}
	if got := dialer.dials.Load(); got != 4 {
		t.Errorf("dialed %d times, want 1 + 3 retries", got)
	}
}

func TestSubmitResetOnAReusedConnectionIsNotReplayed(t *testing.T) {
	// The first read leaves a kept-alive connection; the submit then travels on it and the server
	// hangs up. The standard transport would replay an idempotent-looking request there.
	srv := startScript(t, reply(200, taskProcessing), hangUp, reply(200, submitV1))
	c := newTestClient(t, testConfig(srv.URL))
	if _, err := c.GetTask(context.Background(), "task_1"); err != nil {
		t.Fatalf("GetTask: %v", err)
	}
	_, err := c.Submit(context.Background(), GenerationRequest{Model: "m", Prompt: "p"})
	if classify(err) != ambiguous {
		t.Fatalf("Submit = %v, want an AmbiguousSubmitError", err)
	}
	if n := len(srv.Hits()); n != 2 {
		t.Errorf("server saw %d requests, want 2 (one read, one submit)", n)
	}
}

func TestRequestTimeoutPerAttempt(t *testing.T) {
	cfg := func(url string) Config {
		c := testConfig(url)
		c.RequestTimeout = 100 * time.Millisecond
		return c
	}
	t.Run("a slow read is retried", func(t *testing.T) {
		srv := startScript(t, stall(2*time.Second, reply(200, taskProcessing)), reply(200, taskProcessing))
		task, err := newTestClient(t, cfg(srv.URL)).GetTask(context.Background(), "task_01DDD")
		if err != nil || task.Progress != 42 {
			t.Fatalf("GetTask = %+v, %v", task, err)
		}
		if n := len(srv.Hits()); n != 2 {
			t.Errorf("server saw %d reads, want 2", n)
		}
	})
	t.Run("a slow submit is ambiguous and not retried", func(t *testing.T) {
		srv := startScript(t, stall(2*time.Second, reply(200, submitV1)), reply(200, submitV1))
		_, err := newTestClient(t, cfg(srv.URL)).Submit(context.Background(), GenerationRequest{Model: "m", Prompt: "p"})
		if classify(err) != ambiguous || !strings.Contains(err.Error(), "request timeout") {
			t.Fatalf("Submit = %v, want an AmbiguousSubmitError naming the timeout", err)
		}
		if n := len(srv.Hits()); n != 1 {
			t.Errorf("server saw %d submits, want 1", n)
		}
	})
}

func TestGetTask(t *testing.T) {
	tests := []struct {
		name     string
		answers  []http.HandlerFunc
		wantHits int
		check    func(t *testing.T, task *Task, err error)
	}{
		{"500 then 200", []http.HandlerFunc{reply(500, `{}`), reply(200, taskProcessing)}, 2, wantTheProcessingTask},
		{"502 503 504 then 200", []http.HandlerFunc{reply(502, ``), reply(503, ``), reply(504, ``), reply(200, taskProcessing)}, 4, wantTheProcessingTask},
		{"429 then 200", []http.HandlerFunc{reply(429, `{}`), reply(200, taskProcessing)}, 2, wantTheProcessingTask},
		{"reset then 200", []http.HandlerFunc{hangUp, reply(200, taskProcessing)}, 2, wantTheProcessingTask},
		{"501 is not retried", []http.HandlerFunc{reply(501, `{}`), reply(200, taskProcessing)}, 1, wantStatus(501)},
		{"404 is not retried", []http.HandlerFunc{reply(404, `{"error":{"message":"task does not exist or has expired"}}`)}, 1,
			func(t *testing.T, _ *Task, err error) {
				if !IsNotFound(err) || !strings.Contains(err.Error(), "has expired") {
					t.Errorf("err = %v, want a 404 with the message", err)
				}
			}},
		{"403", []http.HandlerFunc{reply(403, `{"error":{"message":"not yours"}}`)}, 1,
			func(t *testing.T, _ *Task, err error) {
				if !IsForbidden(err) {
					t.Errorf("err = %v, want a 403", err)
				}
			}},
		{"401", []http.HandlerFunc{reply(401, `{"error":{"message":"No Authorization header"}}`)}, 1,
			func(t *testing.T, _ *Task, err error) {
				if !IsUnauthorized(err) {
					t.Errorf("err = %v, want a 401", err)
				}
			}},
		{"500 until retries run out", []http.HandlerFunc{reply(500, `<h1>oops</h1>`)}, 4,
			func(t *testing.T, _ *Task, err error) {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Snippet != "<h1>oops</h1>" {
					t.Errorf("err = %v, want the last 500 with its body quoted", err)
				}
			}},
		{"non-JSON 200", []http.HandlerFunc{reply(200, "<html>maintenance</html>")}, 1, wantErrText("<html>maintenance</html>")},
		{"huge 200", []http.HandlerFunc{hugeBody}, 1, func(t *testing.T, _ *Task, err error) {
			if !errors.Is(err, errBodyTooLarge) {
				t.Errorf("err = %v, want the body-size error", err)
			}
		}},
		{"success false at 200", []http.HandlerFunc{reply(200, `{"success":false,"message":"Token Not Found"}`)}, 1, wantErrText("Token Not Found")},
		{"url as a string", []http.HandlerFunc{reply(200, taskCompletedURLString)}, 1,
			func(t *testing.T, task *Task, err error) {
				if err != nil || len(task.URLs()) != 1 || !task.IsTerminal() {
					t.Errorf("GetTask = %+v, %v", task, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScript(t, tt.answers...)
			task, err := newTestClient(t, testConfig(srv.URL)).GetTask(context.Background(), "task_01DDD")
			tt.check(t, task, err)
			if n := len(srv.Hits()); n != tt.wantHits {
				t.Errorf("server saw %d reads, want %d", n, tt.wantHits)
			}
		})
	}
}

func wantTheProcessingTask(t *testing.T, task *Task, err error) {
	if err != nil || task.Progress != 42 {
		t.Errorf("GetTask = %+v, %v; want the processing task at 42 %%", task, err)
	}
}

func wantStatus(status int) func(*testing.T, *Task, error) {
	return func(t *testing.T, _ *Task, err error) {
		if statusOf(err) != status {
			t.Errorf("err = %v, want HTTP %d", err, status)
		}
	}
}

func wantErrText(text string) func(*testing.T, *Task, error) {
	return func(t *testing.T, _ *Task, err error) {
		if err == nil || !strings.Contains(err.Error(), text) {
			t.Errorf("err = %v, want one containing %q", err, text)
		}
	}
}

func TestGetTaskEscapesTheIDAndKeepsTheBasePath(t *testing.T) {
	srv := startScript(t, reply(200, taskProcessing))
	c := newTestClient(t, testConfig(srv.URL+"/proxy/"))
	task, err := c.GetTask(context.Background(), "a/b c?d")
	if err != nil {
		t.Fatalf("GetTask: %v", err)
	}
	hit := srv.Hits()[0]
	if hit.method != http.MethodGet || hit.path != "/proxy/v1/tasks/a%2Fb%20c%3Fd" {
		t.Errorf("request = %s %s", hit.method, hit.path)
	}
	if hit.header.Get("Accept") != "application/json" || hit.header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("headers = %v", hit.header)
	}
	if task.ID != "task_01DDD" {
		t.Errorf("task id %q", task.ID)
	}
	for _, bad := range []string{"", " ", ".", ".."} {
		if _, err := c.GetTask(context.Background(), bad); err == nil {
			t.Errorf("GetTask(%q) sent a request", bad)
		}
	}
	if n := len(srv.Hits()); n != 1 {
		t.Errorf("server saw %d reads, want 1", n)
	}
}

func TestGetTaskFillsAMissingID(t *testing.T) {
	srv := startScript(t, reply(200, `{"code":200,"data":{"status":"pending"}}`))
	task, err := newTestClient(t, testConfig(srv.URL)).GetTask(context.Background(), "task_42")
	if err != nil || task.ID != "task_42" {
		t.Fatalf("GetTask = %+v, %v", task, err)
	}
}

func TestRateLimiterGatesEveryAttempt(t *testing.T) {
	t.Run("separate requests", func(t *testing.T) {
		srv := startScript(t, reply(200, taskProcessing))
		cfg := testConfig(srv.URL)
		cfg.RateLimit, cfg.RateBurst = 20, 1
		c := newTestClient(t, cfg)
		elapsed := stopwatch(cfg.Clock)
		for range 5 {
			if _, err := c.GetTask(context.Background(), "t"); err != nil {
				t.Fatal(err)
			}
		}
		if took := elapsed(); took < 190*time.Millisecond {
			t.Errorf("5 reads at 20/s with burst 1 took %s, want at least 200ms", took)
		}
	})
	t.Run("retries", func(t *testing.T) {
		srv := startScript(t, reply(429, `{}`, "Retry-After", "0"), reply(429, `{}`, "Retry-After", "0"), reply(200, submitV1))
		cfg := testConfig(srv.URL)
		cfg.RateLimit, cfg.RateBurst = 5, 1
		elapsed := stopwatch(cfg.Clock)
		if _, err := newTestClient(t, cfg).Submit(context.Background(), GenerationRequest{Model: "m", Prompt: "p"}); err != nil {
			t.Fatal(err)
		}
		// The server asks for no wait at all, so only the limiter can hold the third attempt
		// back until two tokens have been refilled.
		if took := elapsed(); took < 390*time.Millisecond {
			t.Errorf("3 attempts at 5/s with burst 1 took %s, want at least 400ms", took)
		}
		if n := len(srv.Hits()); n != 3 {
			t.Fatalf("server saw %d submits, want 3", n)
		}
	})
	t.Run("a context too short for the limiter sends nothing", func(t *testing.T) {
		srv := startScript(t, reply(200, submitV1))
		cfg := testConfig(srv.URL)
		cfg.RateLimit, cfg.RateBurst = 0.5, 1
		c := newTestClient(t, cfg)
		if _, err := c.GetTask(context.Background(), "t"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Submit(ctx, GenerationRequest{Model: "m", Prompt: "p"})
		if classify(err) != unsent || !strings.Contains(err.Error(), "rate limit") {
			t.Fatalf("Submit = %v, want a not-sent rate-limit error", err)
		}
		if n := len(srv.Hits()); n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
	})
}

func TestTheKeyNeverAppearsInLogsOrErrors(t *testing.T) {
	t.Parallel()
	const canary = "sk-CANARY-7d1e0c5b9a"
	// JSON decoding turns \u escapes back into the key, so decoded texts need blanking too.
	var b strings.Builder
	for _, r := range canary {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	escaped := b.String()
	// The worst server: it echoes the Authorization header into its answers, raw or escaped.
	echo := func(status int, asJSON bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			text := "bad token " + r.Header.Get("Authorization")
			if asJSON {
				text = `{"error":{"code":"` + r.Header.Get("Authorization") + `","message":"` + text + `","type":"auth"}}`
			}
			reply(status, text)(w, r)
		}
	}
	routes := map[string]http.HandlerFunc{
		"/a/v1/images/generations": echo(500, true),  // ambiguous
		"/b/v1/images/generations": echo(400, false), // refused, not JSON
		"/c/v1/images/generations": echo(200, false), // 200 without a task id
		"/a/v1/tasks/t1":           echo(404, true),
		"/a/v1/tasks/t2":           echo(502, false), // retried, then given up
		"/a/v1/tasks/t3":           echo(200, false), // a wait that keeps failing until its deadline
		"/a/v1/tasks/t4":           reply(403, `{"error":{"code":"`+escaped+`","message":"key `+escaped+`","type":"`+escaped+`"}}`),
		"/a/v1/tasks/t5":           reply(200, `{"data":{"id":"t5","status":"failed","error":{"code":"`+escaped+`","message":"`+escaped+`"}}}`),
		"/a/v1/balance":            reply(200, `{"success":false,"message":"`+escaped+`"}`),
	}
	var sawKey atomic.Bool
	srv := startScript(t, func(w http.ResponseWriter, r *http.Request) {
		sawKey.Store(sawKey.Load() || r.Header.Get("Authorization") == "Bearer "+canary)
		if route, ok := routes[r.URL.Path]; ok {
			route(w, r)
			return
		}
		http.NotFound(w, r)
	})
	logs := &logRecorder{}
	client := func(prefix string) *Client {
		cfg := testConfig(srv.URL + prefix)
		cfg.APIKey, cfg.Logger, cfg.MaxRetries = canary, logs, 1
		return newTestClient(t, cfg)
	}
	a := client("/a")
	ctx := context.Background()
	old := WaitOptions{SubmittedAt: time.Now().Add(-time.Hour)}
	shortCtx, cancel := context.WithTimeout(ctx, 600*time.Millisecond)
	defer cancel()

	var errs []error
	collect := func(_ any, err error) { errs = append(errs, err) }
	for _, prefix := range []string{"/a", "/b", "/c"} {
		collect(client(prefix).Submit(ctx, GenerationRequest{Model: "m", Prompt: "p"}))
	}
	collect(a.GetTask(ctx, "t1"))
	collect(a.GetTask(ctx, "t2"))
	collect(a.WaitForTask(shortCtx, "t3", old))
	collect(a.GetTask(ctx, "t4"))
	collect(a.WaitForTask(ctx, "t4", old))
	collect(a.WaitForTask(ctx, "t5", old))
	collect(a.Balance(ctx, ScopeKey))

	for i, err := range errs {
		if err == nil {
			t.Errorf("call %d succeeded; every call here should fail", i)
			continue
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("error %d leaks the key: %v", i, err)
		}
	}
	text := logs.Text()
	if strings.Contains(text, canary) {
		t.Errorf("logs leak the key:\n%s", text)
	}
	if !strings.Contains(text, "Bearer [REDACTED]") || !strings.Contains(text, "status") {
		t.Errorf("the request log lines are missing:\n%s", text)
	}
	if !sawKey.Load() {
		t.Error("the server never got the key; it must still be sent")
	}
}

func TestEndpointJoinsSegments(t *testing.T) {
	c := newTestClient(t, Config{APIKey: testKey, BaseURL: "https://h.example/base%20path/"})
	if got := c.endpoint("v1", "tasks", "x/y").String(); got != "https://h.example/base%20path/v1/tasks/x%2Fy" {
		t.Errorf("endpoint = %s", got)
	}
}

func TestBackoff(t *testing.T) {
	minWait, maxWait := 100*time.Millisecond, time.Second
	for attempt := range 8 {
		ceiling := backoffCeiling(minWait, maxWait, attempt)
		for range 50 {
			got := backoff(minWait, maxWait, attempt, nil, time.Now())
			if got < minWait || got > ceiling || got > maxWait {
				t.Fatalf("attempt %d: wait %s outside [%s, %s]", attempt, got, minWait, ceiling)
			}
		}
	}
	if backoffCeiling(minWait, maxWait, 2) != 400*time.Millisecond || backoffCeiling(minWait, maxWait, 60) != maxWait {
		t.Error("the ceiling does not double up to the maximum")
	}
	resp := func(status int, retryAfterValue string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfterValue}}}
	}
	if got := backoff(minWait, maxWait, 0, resp(429, "7"), time.Now()); got != 7*time.Second {
		t.Errorf("Retry-After 7 on 429 gave %s", got)
	}
	date := time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	if got := backoff(minWait, maxWait, 0, resp(503, date), time.Now()); got < time.Second || got > 3*time.Second {
		t.Errorf("Retry-After as a date 3 s ahead gave %s", got)
	}
	if got := backoff(minWait, maxWait, 0, resp(500, "7"), time.Now()); got > maxWait {
		t.Errorf("Retry-After on a 500 was obeyed: %s", got)
	}
	if got := backoff(minWait, maxWait, 0, resp(429, "soon"), time.Now()); got > maxWait {
		t.Errorf("an unreadable Retry-After gave %s", got)
	}
	if got := backoff(minWait, maxWait, 0, resp(429, "99999999999999"), time.Now()); got != maxRetryAfter {
		t.Errorf("a huge Retry-After gave %s, want the cap", got)
	}
}
