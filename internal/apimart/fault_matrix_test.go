package apimart_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// The fault matrix: each row of the reliability table that the client alone decides, driven
// through the fake server's fault knobs. The provider's acceptance tests cover the same rows
// through Terraform (internal/provider/faults_test.go).

const matrixKey = "sk-matrix-5f0c2e7a91"

var matrixRequest = apimart.GenerationRequest{Model: "imagen-4.0-apimart", Prompt: "a lighthouse in a storm"}

// startMatrixFake starts the fake and returns the config of a client for it. Both run on one
// fake clock, so that retries, pacing and waits cost no real time while tasks still take theirs.
func startMatrixFake(t *testing.T) (*fakeapimart.Server, apimart.Config) {
	t.Helper()
	cfg := matrixConfig("")
	fake, baseURL := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
		set.Keys = []string{matrixKey}
		set.TaskDuration = 300 * time.Millisecond
		set.Now = cfg.Clock.Now
	})
	cfg.BaseURL = baseURL
	return fake, cfg
}

// matrixConfig keeps backoff short; a Retry-After from the server still applies in full, on the
// client's fake clock.
func matrixConfig(baseURL string) apimart.Config {
	return apimart.Config{
		BaseURL:        baseURL,
		APIKey:         matrixKey,
		MaxRetries:     3,
		RetryWaitMin:   10 * time.Millisecond,
		RetryWaitMax:   50 * time.Millisecond,
		RequestTimeout: 2 * time.Second,
		Clock:          apimart.NewFakeClock(),
	}
}

func newMatrixClient(t *testing.T, cfg apimart.Config) *apimart.Client {
	t.Helper()
	c, err := apimart.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// submitOutcome names what a submit ended as, for the table.
type submitOutcome string

const (
	submitted   submitOutcome = "a task id"
	mayExist    submitOutcome = "an ambiguous error"
	refusedOnly submitOutcome = "a refusal"
)

func outcomeOf(err error) submitOutcome {
	switch {
	case err == nil:
		return submitted
	case apimart.IsAmbiguousSubmit(err):
		return mayExist
	default:
		return refusedOnly
	}
}

func TestFaultMatrix_submit(t *testing.T) {
	tests := []struct {
		name        string
		fault       fakeapimart.SubmitFault
		faults      int
		want        submitOutcome
		wantSubmits int64
		wantTasks   int64
		minElapsed  time.Duration
	}{
		{name: "429 with Retry-After", fault: fakeapimart.SubmitFault{Status: 429, RetryAfter: time.Second}, faults: 1,
			want: submitted, wantSubmits: 2, wantTasks: 1, minElapsed: 950 * time.Millisecond},
		{name: "429 without Retry-After", fault: fakeapimart.SubmitFault{Status: 429}, faults: 2,
			want: submitted, wantSubmits: 3, wantTasks: 1},
		{name: "408", fault: fakeapimart.SubmitFault{Status: 408}, faults: 1, want: submitted, wantSubmits: 2, wantTasks: 1},
		{name: "503", fault: fakeapimart.SubmitFault{Status: 503}, faults: 2, want: submitted, wantSubmits: 3, wantTasks: 1},
		{name: "503 with Retry-After", fault: fakeapimart.SubmitFault{Status: 503, RetryAfter: time.Second}, faults: 1,
			want: submitted, wantSubmits: 2, wantTasks: 1, minElapsed: 950 * time.Millisecond},
		{name: "429 outlasting the retries", fault: fakeapimart.SubmitFault{Status: 429}, faults: 10,
			want: refusedOnly, wantSubmits: 4, wantTasks: 0},
		{name: "500 after creating the task", fault: fakeapimart.SubmitFault{Status: 500, CreateTask: true}, faults: 1,
			want: mayExist, wantSubmits: 1, wantTasks: 1},
		{name: "500 before creating the task", fault: fakeapimart.SubmitFault{Status: 500}, faults: 1,
			want: mayExist, wantSubmits: 1, wantTasks: 0},
		{name: "502", fault: fakeapimart.SubmitFault{Status: 502, CreateTask: true}, faults: 1,
			want: mayExist, wantSubmits: 1, wantTasks: 1},
		{name: "504", fault: fakeapimart.SubmitFault{Status: 504, CreateTask: true}, faults: 1,
			want: mayExist, wantSubmits: 1, wantTasks: 1},
		{name: "reset after the submit was sent", fault: fakeapimart.SubmitFault{Reset: true}, faults: 1,
			want: mayExist, wantSubmits: 1, wantTasks: 1},
		{name: "403", fault: fakeapimart.SubmitFault{Status: 403}, faults: 1, want: refusedOnly, wantSubmits: 1, wantTasks: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, cfg := startMatrixFake(t)
			fake.Configure(func(set *fakeapimart.Settings) {
				set.FailNextSubmits = tt.fault
				set.FailNextSubmits.N = tt.faults
			})
			began := cfg.Clock.Now()
			sub, err := newMatrixClient(t, cfg).Submit(context.Background(), matrixRequest)
			elapsed := cfg.Clock.Now().Sub(began)

			if got := outcomeOf(err); got != tt.want {
				t.Fatalf("Submit = %+v, %v; got %s, want %s", sub, err, got, tt.want)
			}
			counters := fake.Counters()
			if counters.Submits != tt.wantSubmits || counters.TasksCreated != tt.wantTasks {
				t.Errorf("server saw %d submits and created %d tasks; want %d and %d",
					counters.Submits, counters.TasksCreated, tt.wantSubmits, tt.wantTasks)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("Submit returned after %s; the server asked for %s", elapsed, tt.minElapsed)
			}
			tasks := fake.Tasks()
			switch tt.want {
			case submitted:
				if len(tasks) != 1 || tasks[0].ID != sub.TaskID || tasks[0].IdempotencyKey != sub.IdempotencyKey {
					t.Errorf("submission %+v does not match the server's tasks %+v", sub, tasks)
				}
			case mayExist:
				// The message must tell the user that a task may exist, and carry the key that
				// lets them find it.
				var ambiguous *apimart.AmbiguousSubmitError
				errors.As(err, &ambiguous)
				if !strings.Contains(err.Error(), "may have been created") || ambiguous.IdempotencyKey == "" {
					t.Errorf("ambiguous error %q does not say that a task may exist", err)
				}
				if len(tasks) == 1 && tasks[0].IdempotencyKey != ambiguous.IdempotencyKey {
					t.Errorf("error names Idempotency-Key %q, the task was created under %q", ambiguous.IdempotencyKey, tasks[0].IdempotencyKey)
				}
			}
		})
	}
}

// A Retry-After that ends after the caller's deadline is not waited for.
func TestFaultMatrix_submitRetryAfterPastTheDeadline(t *testing.T) {
	t.Parallel()
	fake, cfg := startMatrixFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextSubmits = fakeapimart.SubmitFault{N: 1, Status: 429, RetryAfter: time.Minute}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	began := cfg.Clock.Now()
	_, err := newMatrixClient(t, cfg).Submit(ctx, matrixRequest)
	if !apimart.IsRateLimited(err) || apimart.IsAmbiguousSubmit(err) {
		t.Fatalf("Submit = %v, want the 429 as a plain refusal", err)
	}
	if took := cfg.Clock.Now().Sub(began); took > time.Second {
		t.Errorf("Submit took %s; a wait past the deadline should be skipped", took)
	}
	if c := fake.Counters(); c.Submits != 1 || c.TasksCreated != 0 {
		t.Errorf("server saw %d submits, created %d tasks; want 1 and 0", c.Submits, c.TasksCreated)
	}
}

// A rejected key is never retried, whatever max_retries says.
func TestFaultMatrix_unauthorizedIsNotRetried(t *testing.T) {
	t.Parallel()
	fake, cfg := startMatrixFake(t)
	cfg.APIKey, cfg.MaxRetries = "sk-revoked-key", 10
	c := newMatrixClient(t, cfg)
	_, submitErr := c.Submit(context.Background(), matrixRequest)
	_, readErr := c.GetTask(context.Background(), "task_01ANY")
	if !apimart.IsUnauthorized(submitErr) || apimart.IsAmbiguousSubmit(submitErr) || !apimart.IsUnauthorized(readErr) {
		t.Fatalf("Submit = %v, GetTask = %v; want plain 401 errors", submitErr, readErr)
	}
	if got := fake.Counters(); got.Requests != 2 || got.Unauthorized != 2 {
		t.Errorf("server saw %d requests, %d unauthorized; want 2 and 2", got.Requests, got.Unauthorized)
	}
}

func TestFaultMatrix_polling(t *testing.T) {
	tests := []struct {
		name    string
		fault   fakeapimart.ReadFault
		faults  int
		timeout time.Duration // per request; 0 keeps the matrix default
	}{
		{name: "500", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadStatus, Status: 500}, faults: 2},
		{name: "502", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadStatus, Status: 502}, faults: 2},
		{name: "503", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadStatus, Status: 503}, faults: 2},
		{name: "504", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadStatus, Status: 504}, faults: 2},
		{name: "429", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadStatus, Status: 429}, faults: 2},
		{name: "5xx outlasting one read's retries", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadStatus, Status: 502}, faults: 6},
		{name: "slow answer", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadSlow, Delay: 3 * time.Second}, faults: 2,
			timeout: 300 * time.Millisecond},
		{name: "reset", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadReset}, faults: 2},
		{name: "HTML error page", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadNonJSON, Status: 502}, faults: 2},
		{name: "malformed JSON", fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadMalformed}, faults: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, cfg := startMatrixFake(t)
			if tt.timeout > 0 {
				cfg.RequestTimeout = tt.timeout
			}
			c := newMatrixClient(t, cfg)
			sub, err := c.Submit(context.Background(), matrixRequest)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			fake.Configure(func(set *fakeapimart.Settings) {
				set.FailNextTaskReads = tt.fault
				set.FailNextTaskReads.N = tt.faults
			})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			task, err := c.WaitForTask(ctx, sub.TaskID, apimart.WaitOptions{EstimatedTime: sub.EstimatedTime})
			if err != nil || task.Status != apimart.StatusCompleted || len(task.URLs()) != 1 {
				t.Fatalf("WaitForTask = %+v, %v; want the completed task despite %d faulty reads", task, err, tt.faults)
			}
			counters := fake.Counters()
			if counters.Faults != int64(tt.faults) || counters.TaskReads <= int64(tt.faults) || counters.TasksCreated != 1 {
				t.Errorf("server served %d faults over %d reads, created %d tasks; want %d faults, more reads, 1 task",
					counters.Faults, counters.TaskReads, counters.TasksCreated, tt.faults)
			}
		})
	}
}

// countingWriter counts what a handler managed to write before the client went away.
type countingWriter struct {
	http.ResponseWriter
	written *atomic.Int64
}

func (w countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.written.Add(int64(n))
	return n, err
}

// Unwrap lets http.ResponseController reach the connection under the counter.
func (w countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func TestFaultMatrix_hugeAnswerIsReadOnlyInPart(t *testing.T) {
	t.Parallel()
	fake := fakeapimart.New(func(set *fakeapimart.Settings) { set.Keys = []string{matrixKey} })
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fake.ServeHTTP(countingWriter{ResponseWriter: w, written: &written}, r)
	}))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTaskReads = fakeapimart.ReadFault{N: 1, Kind: fakeapimart.ReadHuge}
	})

	began := time.Now()
	_, err := newMatrixClient(t, matrixConfig(srv.URL)).GetTask(context.Background(), "task_01HUGE")
	if err == nil || !strings.Contains(err.Error(), "larger than the client accepts") {
		t.Fatalf("GetTask = %v, want a body-size error", err)
	}
	if len(err.Error()) > 1000 {
		t.Errorf("the error quotes %d bytes of the body; it should quote only its start", len(err.Error()))
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("GetTask took %s", took)
	}
	// The fake sends 32 MiB; once the client stops reading, only socket buffers can take more.
	waitUntilSettled(&written)
	if got := written.Load(); got > 16<<20 {
		t.Errorf("the server could write %d bytes; the client should stop reading after 1 MiB", got)
	}
}

// waitUntilSettled waits until the counter stops moving, so that the handler has given up.
func waitUntilSettled(counter *atomic.Int64) {
	last := int64(-1)
	for range 50 {
		now := counter.Load()
		if now == last {
			return
		}
		last = now
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFaultMatrix_nonJSONTaskAnswer(t *testing.T) {
	t.Parallel()
	fake, cfg := startMatrixFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTaskReads = fakeapimart.ReadFault{N: 1, Kind: fakeapimart.ReadNonJSON, Status: http.StatusOK}
	})
	_, err := newMatrixClient(t, cfg).GetTask(context.Background(), "task_01HTML")
	if err == nil || !strings.Contains(err.Error(), "not JSON") || !strings.Contains(err.Error(), "<html>") {
		t.Fatalf("GetTask = %v, want an error that says the answer is not JSON and quotes its start", err)
	}
	if strings.Contains(err.Error(), "\n") || len(err.Error()) > 600 {
		t.Errorf("error %q should quote a short, single-line start of the body", err)
	}
}

// Each way of not reaching the server ends in a plain error (nothing was sent, so nothing is
// ambiguous) within one request timeout, naming what went wrong.
func TestFaultMatrix_unreachable(t *testing.T) {
	// Long enough for a TLS handshake on a loaded machine, so that a refused certificate is not
	// mistaken for a timeout.
	const timeout = 2 * time.Second
	tests := []struct {
		name    string
		baseURL func(tb testing.TB) string
		want    string
		// notWant is a cause that would mislead: a refused connection is not a timeout.
		notWant string
		// realTime marks a row that waits for the request timeout on the wall clock.
		realTime bool
	}{
		{name: "closed port", baseURL: fakeapimart.ClosedPortURL, want: "connection refused", notWant: "request timeout"},
		{name: "DNS failure", baseURL: func(testing.TB) string { return "https://apimart-fault-matrix.invalid" }, want: "apimart-fault-matrix.invalid"},
		{name: "untrusted certificate", baseURL: untrustedTLSURL, want: "certificate", notWant: "request timeout"},
		{name: "no TLS handshake", baseURL: silentListenerURL, want: "request timeout", realTime: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.realTime {
				apimart.RequireRealTime(t)
			}
			t.Parallel()
			cfg := matrixConfig(tt.baseURL(t))
			cfg.RequestTimeout, cfg.MaxRetries = timeout, 0
			c := newMatrixClient(t, cfg)
			began := time.Now()
			_, err := c.Submit(context.Background(), matrixRequest)
			took := time.Since(began)
			if err == nil || apimart.IsAmbiguousSubmit(err) || !strings.Contains(err.Error(), "no task was created") {
				t.Fatalf("Submit = %v, want an error that says no task was created", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("error %q blames %q, which is not what happened", err, tt.notWant)
			}
			if took > timeout+500*time.Millisecond {
				t.Errorf("Submit took %s, want at most the request timeout of %s", took, timeout)
			}
			_, err = c.GetTask(context.Background(), "task_01ANY")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("GetTask = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func untrustedTLSURL(tb testing.TB) string {
	return fakeapimart.StartUntrustedTLS(tb, func(set *fakeapimart.Settings) { set.Keys = []string{matrixKey} })
}

func silentListenerURL(tb testing.TB) string {
	addr, _ := fakeapimart.SilentListener(tb, "127.0.0.1:0")
	return "https://" + addr
}

func TestFaultMatrix_unknownStatusIsNotTheEnd(t *testing.T) {
	t.Parallel()
	fake, cfg := startMatrixFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTasks = fakeapimart.TaskOutcome{N: 1, Status: "quarantined"}
	})
	c := newMatrixClient(t, cfg)
	sub, err := c.Submit(context.Background(), matrixRequest)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	task, err := c.WaitForTask(ctx, sub.TaskID, apimart.WaitOptions{EstimatedTime: sub.EstimatedTime})
	var waitErr *apimart.WaitError
	if !errors.As(err, &waitErr) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForTask = %+v, %v; want it to keep waiting until the deadline", task, err)
	}
	if task == nil || task.Status != "quarantined" || task.IsTerminal() || !strings.Contains(err.Error(), `"quarantined"`) {
		t.Errorf("last state %+v, error %q; want the unknown status kept verbatim and quoted", task, err)
	}
}

// Unknown statuses and fields, in the places the API might add them, change nothing we read.
func TestFaultMatrix_unknownStatusThenExtraFields(t *testing.T) {
	t.Parallel()
	answers := []string{
		`{"code":200,"trace_id":"abc","data":{"id":"task_01X","status":"upscaling","progress":"99%","stage":{"n":[1,2]},` +
			`"result":null,"error":null}}`,
		`{"code":200,"data":{"id":"task_01X","status":"completed","progress":100,"billing":{"cost":0.02},` +
			`"result":{"images":[{"url":["https://cdn.example/a.png"],"expires_at":1763174708,"width":1024,"nsfw":false}],"seed":7},` +
			`"created":1763088289,"completed":1763088308,"estimated_time":"20","actual_time":19.5}}`,
	}
	var reads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := min(int(reads.Add(1)), len(answers)) - 1
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answers[i])
	}))
	t.Cleanup(srv.Close)
	task, err := newMatrixClient(t, matrixConfig(srv.URL)).WaitForTask(context.Background(), "task_01X",
		apimart.WaitOptions{SubmittedAt: time.Now().Add(-10 * time.Second)})
	if err != nil || task.Status != apimart.StatusCompleted || !slices.Equal(task.URLs(), []string{"https://cdn.example/a.png"}) {
		t.Fatalf("WaitForTask = %+v, %v", task, err)
	}
	if task.EstimatedTime != 20*time.Second || task.ExpiresAt().Unix() != 1763174708 {
		t.Errorf("estimate %s, expiry %s; the known fields were lost among the extra ones", task.EstimatedTime, task.ExpiresAt())
	}
	if n := reads.Load(); n != 2 {
		t.Errorf("read %d times, want 2: the unknown status must not end the wait", n)
	}
}

// A server limit below what the client sends is absorbed by retries: every task is made once.
// The fake's rate limit runs on the wall clock, and this test is about meeting it there.
func TestFaultMatrix_rateLimitedServer(t *testing.T) {
	apimart.RequireRealTime(t)
	t.Parallel()
	const images = 20
	fake, baseURL := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
		set.Keys = []string{matrixKey}
		set.TaskDuration = 300 * time.Millisecond
	})
	fake.Configure(func(set *fakeapimart.Settings) { set.RateLimit = fakeapimart.RateLimit{PerSecond: 20, Burst: 5} })
	cfg := matrixConfig(baseURL)
	cfg.MaxRetries, cfg.Clock = 10, nil
	c := newMatrixClient(t, cfg)

	ids := make([]string, images)
	errs := make([]error, images)
	var wg sync.WaitGroup
	for i := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = submitAndWait(c)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("some images failed under the server's rate limit: %v", err)
	}
	slices.Sort(ids)
	counters := fake.Counters()
	if len(slices.Compact(ids)) != images || counters.TasksCreated != images {
		t.Errorf("%d distinct task ids, %d tasks created; want %d of each", len(slices.Compact(ids)), counters.TasksCreated, images)
	}
	if counters.RateLimited == 0 {
		t.Error("the server never answered 429; the test did not exercise its limit")
	}
}

func submitAndWait(c *apimart.Client) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub, err := c.Submit(ctx, matrixRequest)
	if err != nil {
		return "", err
	}
	task, err := c.WaitForTask(ctx, sub.TaskID, apimart.WaitOptions{EstimatedTime: sub.EstimatedTime})
	if err != nil {
		return "", err
	}
	return task.ID, nil
}

// A server that echoes the bearer token into its answers, raw or JSON-escaped, must not get it
// into an error message.
func TestFaultMatrix_echoedKeyNeverInErrors(t *testing.T) {
	t.Parallel()
	escaped := jsonEscapeAll(matrixKey)
	answers := []struct {
		status int
		body   string
	}{
		{401, `{"error":{"code":401,"message":"invalid token ` + matrixKey + `","type":"auth"}}`},
		{401, `{"error":{"code":401,"message":"invalid token ` + escaped + `","type":"auth"}}`},
		{400, `{"error":{"code":"` + escaped + `","message":"bad request","type":"` + escaped + `"}}`},
		{500, `{"success":false,"message":"` + escaped + `"}`},
		{200, `{"code":200,"data":{"id":"t","status":"failed","error":{"message":"` + escaped + `"}}}`},
	}
	for _, answer := range answers {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(answer.status)
			_, _ = io.WriteString(w, answer.body)
		}))
		cfg := matrixConfig(srv.URL)
		cfg.MaxRetries = 0
		c := newMatrixClient(t, cfg)
		_, submitErr := c.Submit(context.Background(), matrixRequest)
		_, readErr := c.GetTask(context.Background(), "t")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, waitErr := c.WaitForTask(ctx, "t", apimart.WaitOptions{SubmittedAt: time.Now().Add(-time.Hour)})
		cancel()
		srv.Close()
		for _, err := range []error{submitErr, readErr, waitErr} {
			if err != nil && strings.Contains(err.Error(), matrixKey) {
				t.Errorf("HTTP %d answer %s: error leaks the key: %v", answer.status, answer.body, err)
			}
		}
	}
}

// jsonEscapeAll writes every character as a \u escape, which any JSON decoder reads back as s.
func jsonEscapeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// FuzzValidate checks the catalog validation against what the catalog says, for any input.
func FuzzValidate(f *testing.F) {
	for _, m := range apimart.Models() {
		f.Add(m.ID, "a lighthouse at dusk", m.DefaultSize, m.Counts[len(m.Counts)-1], "")
	}
	f.Add("imagen-4.0-apimart", "   ", "21:9", int64(2), "https://example.com/a.png")
	f.Add("gpt-4o-image", strings.Repeat("é", 1001), "16:9", int64(3), "x")
	f.Add("dall-e-9", "", "", int64(0), "")
	f.Add("z-image-turbo", "\xff\xfe", "1:1\x00", int64(-1), "")
	f.Fuzz(func(t *testing.T, model, prompt, size string, n int64, refURL string) {
		var refs []string
		if refURL != "" {
			refs = []string{refURL}
		}
		req := apimart.GenerationRequest{Model: model, Prompt: prompt, Size: size, N: n, ImageURLs: refs}
		problems := apimart.Validate(req)
		for _, p := range problems {
			if p.Field == "" || p.Summary == "" || p.Detail == "" || !utf8.ValidString(p.Detail) || strings.Contains(p.Detail, "\n") {
				t.Fatalf("problem %+v: every problem needs a field, a summary and a one-line, valid UTF-8 detail", p)
			}
		}
		m, known := apimart.LookupModel(model)
		if !known {
			if len(problems) != 1 || problems[0].Field != apimart.FieldModel {
				t.Fatalf("unknown model %q gave %+v, want exactly one model problem", model, problems)
			}
			return
		}
		want := map[string]bool{
			apimart.FieldPrompt: strings.TrimSpace(prompt) == "" ||
				(m.MaxPromptLength > 0 && utf8.RuneCountInString(prompt) > m.MaxPromptLength),
			apimart.FieldSize: size != "" && (len(m.ValidateSize(size)) > 0 ||
				len(refs) == 0 && slices.Contains(m.SizesNeedingReferences, size)),
			apimart.FieldN: n != 0 && !slices.Contains(m.Counts, n) ||
				m.MaxReferencesAndImages > 0 && len(refs) > 0 && int64(len(refs))+max(n, 1) > int64(m.MaxReferencesAndImages),
			apimart.FieldImageURLs: len(refs) > m.References.Max,
		}
		got := map[string]bool{}
		for _, p := range problems {
			if got[p.Field] {
				t.Fatalf("field %s reported twice: %+v", p.Field, problems)
			}
			got[p.Field] = true
		}
		for field, bad := range want {
			if got[field] != bad {
				t.Fatalf("%+v: problem on %s = %v, want %v (problems %+v)", req, field, got[field], bad, problems)
			}
		}
	})
}

// FuzzParseBaseURL checks that any accepted base URL is https, or plain http to a loopback host,
// and that NewClient agrees with ParseBaseURL.
func FuzzParseBaseURL(f *testing.F) {
	for _, seed := range []string{"", "https://api.apimart.ai", "http://127.0.0.1:8080", "http://[::1]:1/x/",
		"http://localhost", "http://LOCALHOST:1", "http://10.0.0.1", "http://127.0.0.1.example.com", "https://h/?q",
		"ftp://h", "https://user:pw@h", "http://[::ffff:127.0.0.1]", "http://0x7f.1", "http://%31%32%37.0.0.1", "https://%zz"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := apimart.ParseBaseURL(raw)
		_, clientErr := apimart.NewClient(apimart.Config{BaseURL: raw, APIKey: "sk-k"})
		if (err == nil) != (clientErr == nil) {
			t.Fatalf("ParseBaseURL(%q) error %v, NewClient error %v: they must agree", raw, err, clientErr)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if u.Hostname() == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/") {
			t.Fatalf("ParseBaseURL(%q) accepted %#v", raw, u)
		}
		switch u.Scheme {
		case "https":
		case "http":
			host := u.Hostname()
			ip := net.ParseIP(host)
			if !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
				t.Fatalf("ParseBaseURL(%q) accepted plain http to the non-loopback host %q", raw, host)
			}
		default:
			t.Fatalf("ParseBaseURL(%q) accepted scheme %q", raw, u.Scheme)
		}
	})
}

// answerTransport answers every request with one fixed response, without a network.
type answerTransport struct {
	status int
	body   []byte
}

func (a answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: a.status,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(a.body)),
		Request:    req,
	}, nil
}

// FuzzClientAnswer sends any status and body through every decoder the client has (submit, task,
// balance, errors), as a server or a proxy in between might answer.
func FuzzClientAnswer(f *testing.F) {
	seeds := []string{
		`{"code":200,"data":[{"status":"submitted","task_id":"task_01A"}]}`,
		`{"code":200,"data":{"id":"task_01B","status":"pending","task_info":{"estimated_time":100}}}`,
		`{"code":"success","message":"","data":[{"task_id":"task_01C","status":"processing"}]}`,
		`{"code":200,"data":{"id":"t","status":"completed","progress":100,"result":{"images":[{"url":"u","expires_at":1}]}}}`,
		`{"code":200,"data":{"id":"t","status":"failed","error":{"code":500,"message":"m","type":"x"}}}`,
		`{"success":true,"remain_balance":"10.5","used_balance":2.3,"unlimited_quota":"false"}`,
		`{"success":false,"message":"Token Not Found"}`,
		`{"error":{"code":401,"message":"invalid token ` + matrixKey + `","type":"auth"}}`,
		`{"url":"https://upload.apimart.ai/f/image/a.png","filename":"a.png","bytes":12,"created_at":1743436800}`,
		`{"url":"https://upload.apimart.ai/f/` + matrixKey + `.png"}`,
		`<html><body>502 Bad Gateway</body></html>`,
		``,
	}
	for _, status := range []int{200, 201, 400, 401, 404, 429, 500, 502, 503} {
		for _, body := range seeds {
			f.Add(status, []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			return // not an HTTP status line a client could receive
		}
		c := answerClient(t, status, body)
		ctx := context.Background()
		sub, err := c.Submit(ctx, matrixRequest)
		checkAnswerError(t, "Submit", err)
		if err == nil && (strings.TrimSpace(sub.TaskID) == "" || status >= 300 || sub.EstimatedTime < 0) {
			t.Fatalf("Submit accepted HTTP %d as %+v", status, sub)
		}
		if err != nil && status >= 400 && status < 500 && apimart.IsAmbiguousSubmit(err) {
			t.Fatalf("a %d refusal was reported as ambiguous: %v", status, err)
		}
		task, err := c.GetTask(ctx, "task_01FUZZ")
		checkAnswerError(t, "GetTask", err)
		if err == nil && (strings.TrimSpace(task.Status) == "" || task.ID == "" || task.Progress < 0 || task.Progress > 100 || status >= 300) {
			t.Fatalf("GetTask accepted HTTP %d as %+v", status, task)
		}
		if err == nil && task.Error != nil && strings.Contains(task.Error.Code+task.Error.Message+task.Error.Type, matrixKey) {
			t.Fatalf("the task's error, which goes into state, holds the key: %+v", task.Error)
		}
		for _, scope := range apimart.BalanceScopes() {
			balance, err := c.Balance(ctx, scope)
			checkAnswerError(t, "Balance", err)
			if err == nil && (status >= 300 || (balance.Remaining == -1 && !balance.Unlimited)) {
				t.Fatalf("Balance accepted HTTP %d as %+v", status, balance)
			}
		}
		// A client of its own, so that the 429 of an earlier call does not pace the upload.
		checkUploadAnswer(t, answerClient(t, status, body), status)
	})
}

// answerClient is a client without retries whose every request gets status and body.
func answerClient(t *testing.T, status int, body []byte) *apimart.Client {
	t.Helper()
	c, err := apimart.NewClient(apimart.Config{
		BaseURL: "https://api.example", APIKey: matrixKey, Clock: apimart.NewFakeClock(),
		HTTPClient: &http.Client{Transport: answerTransport{status: status, body: body}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkUploadAnswer: an upload is accepted only with a 2xx and a URL, which goes into state and
// so must not hold the key, and a 4xx refusal never reads as "may have been stored".
func checkUploadAnswer(t *testing.T, c *apimart.Client, status int) {
	t.Helper()
	up, err := c.UploadImage(context.Background(), "photo.png", bytes.NewReader([]byte("\x89PNG\r\n\x1a\n")))
	checkAnswerError(t, "UploadImage", err)
	if err == nil && (strings.TrimSpace(up.URL) == "" || status >= 300 || strings.Contains(up.URL, matrixKey)) {
		t.Fatalf("UploadImage accepted HTTP %d as %+v", status, up)
	}
	var ambiguous *apimart.AmbiguousUploadError
	if status >= 400 && status < 500 && errors.As(err, &ambiguous) {
		t.Fatalf("a %d refusal of an upload was reported as ambiguous: %v", status, err)
	}
}

func checkAnswerError(t *testing.T, call string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	text := err.Error()
	if text == "" || !utf8.ValidString(text) {
		t.Fatalf("%s: error text %q is empty or not valid UTF-8", call, text)
	}
	if strings.Contains(text, matrixKey) {
		t.Fatalf("%s: error leaks the key: %s", call, text)
	}
}
