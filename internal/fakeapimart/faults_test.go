package fakeapimart_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// freshClient opens a new connection per request, so that a reset is never mistaken for a
// stale keep-alive connection and silently retried by the transport.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
}

func TestSubmitFaults(t *testing.T) {
	tests := []struct {
		name           string
		fault          fakeapimart.SubmitFault
		wantStatus     int // 0: the connection is closed without an answer
		wantRetryAfter string
		wantCreated    bool
		wantLimited    int64
	}{
		{"429 with Retry-After", fakeapimart.SubmitFault{Status: 429, RetryAfter: 1500 * time.Millisecond}, 429, "2", false, 1},
		{"408", fakeapimart.SubmitFault{Status: 408}, 408, "", false, 0},
		{"503", fakeapimart.SubmitFault{Status: 503, RetryAfter: time.Second}, 503, "1", false, 0},
		{"zero status is 500", fakeapimart.SubmitFault{}, 500, "", false, 0},
		{"ambiguous 502", fakeapimart.SubmitFault{Status: 502, CreateTask: true}, 502, "", true, 0},
		{"ambiguous 504", fakeapimart.SubmitFault{Status: 504, CreateTask: true}, 504, "", true, 0},
		{"reset", fakeapimart.SubmitFault{Reset: true}, 0, "", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, base := fakeapimart.Start(t)
			fake.Configure(func(set *fakeapimart.Settings) {
				set.FailNextSubmits = tt.fault
				set.FailNextSubmits.N = 2
			})
			for attempt := range 2 {
				a, err := tryCall(freshClient(), "POST", base+"/v1/images/generations", key, imagenBody)
				switch {
				case tt.wantStatus == 0 && err == nil:
					t.Fatalf("attempt %d: got an answer %d, want a closed connection", attempt, a.status)
				case tt.wantStatus == 0:
				case err != nil:
					t.Fatalf("attempt %d: %v", attempt, err)
				case a.status != tt.wantStatus || a.header.Get("Retry-After") != tt.wantRetryAfter:
					t.Fatalf("attempt %d: %d Retry-After %q, want %d %q", attempt, a.status, a.header.Get("Retry-After"), tt.wantStatus, tt.wantRetryAfter)
				case a.errorObject(t)["code"] != float64(tt.wantStatus):
					t.Fatalf("attempt %d: error JSON %s", attempt, a.body)
				}
			}
			c := fake.Counters()
			wantCreated := int64(0)
			if tt.wantCreated {
				wantCreated = 2
			}
			if c.Faults != 2 || c.TasksCreated != wantCreated || c.RateLimited != 2*tt.wantLimited || c.Submits != 2 {
				t.Errorf("counters = %+v, want 2 faults, %d created, %d rate limited", c, wantCreated, 2*tt.wantLimited)
			}
			if a := call(t, "POST", base+"/v1/images/generations", key, imagenBody); a.status != 200 {
				t.Errorf("third submit: %d, want the fault used up", a.status)
			}
		})
	}
}

func TestAmbiguousSubmitThenIdempotentRetry(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextSubmits = fakeapimart.SubmitFault{N: 1, Status: 502, CreateTask: true}
	})
	if a := call(t, "POST", base+"/v1/images/generations", key, imagenBody, "Idempotency-Key", "k1"); a.status != 502 {
		t.Fatalf("first attempt: %d", a.status)
	}
	retry := call(t, "POST", base+"/v1/images/generations", key, imagenBody, "Idempotency-Key", "k1")
	if retry.status != 200 || retry.header.Get("Idempotency-Replayed") != "true" {
		t.Fatalf("retry: %d replayed=%q", retry.status, retry.header.Get("Idempotency-Replayed"))
	}
	if id := taskIDOf(t, retry); id != fake.Tasks()[0].ID || len(fake.Tasks()) != 1 {
		t.Errorf("retry answered %s; tasks %+v", id, fake.Tasks())
	}
}

func TestInvalidSubmitKeepsTheFault(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.FailNextSubmits = fakeapimart.SubmitFault{N: 1, Status: 503} })
	if a := call(t, "POST", base+"/v1/images/generations", key, `{"model":"x"}`); a.status != 400 {
		t.Fatalf("invalid body: %d", a.status)
	}
	if a := call(t, "POST", base+"/v1/images/generations", key, imagenBody); a.status != 503 {
		t.Errorf("next valid submit: %d, want the queued 503", a.status)
	}
}

func TestReadFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault fakeapimart.ReadFault
		check func(t *testing.T, a answer, err error, took time.Duration)
	}{
		{"status 502", fakeapimart.ReadFault{Kind: fakeapimart.ReadStatus, Status: 502}, func(t *testing.T, a answer, err error, _ time.Duration) {
			if err != nil || a.status != 502 || a.errorObject(t)["type"] != "upstream_error" {
				t.Errorf("got %v %d %s", err, a.status, a.body)
			}
		}},
		{"status default 500", fakeapimart.ReadFault{Kind: fakeapimart.ReadStatus}, func(t *testing.T, a answer, err error, _ time.Duration) {
			if err != nil || a.status != 500 {
				t.Errorf("got %v %d", err, a.status)
			}
		}},
		{"malformed", fakeapimart.ReadFault{Kind: fakeapimart.ReadMalformed}, func(t *testing.T, a answer, err error, _ time.Duration) {
			if err != nil || a.status != 200 || json.Valid(a.body) || !strings.HasPrefix(string(a.body), `{"code":200`) {
				t.Errorf("got %v %d %s", err, a.status, a.body)
			}
		}},
		{"slow", fakeapimart.ReadFault{Kind: fakeapimart.ReadSlow, Delay: 150 * time.Millisecond}, func(t *testing.T, a answer, err error, took time.Duration) {
			if err != nil || a.status != 200 || !json.Valid(a.body) || took < 150*time.Millisecond {
				t.Errorf("got %v %d after %v", err, a.status, took)
			}
		}},
		{"reset", fakeapimart.ReadFault{Kind: fakeapimart.ReadReset}, func(t *testing.T, a answer, err error, _ time.Duration) {
			if err == nil {
				t.Errorf("got an answer %d, want a closed connection", a.status)
			}
		}},
		{"non-JSON default 502", fakeapimart.ReadFault{Kind: fakeapimart.ReadNonJSON}, func(t *testing.T, a answer, err error, _ time.Duration) {
			if err != nil || a.status != 502 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(string(a.body), "<html>") {
				t.Errorf("got %v %d %q", err, a.status, a.header.Get("Content-Type"))
			}
		}},
		{"non-JSON 503", fakeapimart.ReadFault{Kind: fakeapimart.ReadNonJSON, Status: 503}, func(t *testing.T, a answer, err error, _ time.Duration) {
			if err != nil || a.status != 503 || json.Valid(a.body) {
				t.Errorf("got %v %d", err, a.status)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
			id := submit(t, base, imagenBody)
			fake.Configure(func(set *fakeapimart.Settings) {
				set.FailNextTaskReads = tt.fault
				set.FailNextTaskReads.N = 1
			})
			start := time.Now()
			a, err := tryCall(freshClient(), "GET", base+"/v1/tasks/"+id, key, "")
			tt.check(t, a, err, time.Since(start))
			if d := getTask(t, base, key, id); d.Status != "completed" {
				t.Errorf("read after the fault: %+v", d)
			}
			if c := fake.Counters(); c.Faults != 1 || c.TaskReads != 2 {
				t.Errorf("counters = %+v, want 1 fault and 2 reads", c)
			}
		})
	}
}

// tailWriter counts what is written and keeps the last byte, so that a 32 MiB body can be
// checked without holding it.
type tailWriter struct {
	n    int64
	last byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	if len(p) > 0 {
		w.last = p[len(p)-1]
	}
	return len(p), nil
}

func TestReadFaultHuge(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	id := submit(t, base, imagenBody)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTaskReads = fakeapimart.ReadFault{N: 1, Kind: fakeapimart.ReadHuge}
	})
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/tasks/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 12)
	if _, err := io.ReadFull(resp.Body, head); err != nil || string(head) != `{"code":200,` {
		t.Fatalf("head %q: %v", head, err)
	}
	var tail tailWriter
	if _, err := io.Copy(&tail, resp.Body); err != nil {
		t.Fatal(err)
	}
	// The body never closes its brackets, so it cannot parse whatever its size.
	if resp.StatusCode != 200 || tail.n < 32<<20 || tail.last != ',' {
		t.Errorf("status %d, %d bytes ending in %q", resp.StatusCode, tail.n, tail.last)
	}
	if d := getTask(t, base, key, id); d.Status != "completed" || fake.Counters().Faults != 1 {
		t.Errorf("after the fault: %+v, counters %+v", d, fake.Counters())
	}
}

func TestReadFault429CountsAsRateLimited(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTaskReads = fakeapimart.ReadFault{N: 1, Kind: fakeapimart.ReadStatus, Status: 429}
	})
	if a := call(t, "GET", base+"/v1/tasks/task_01X", key, ""); a.status != 429 {
		t.Fatalf("status %d", a.status)
	}
	if fake.Counters().RateLimited != 1 {
		t.Errorf("RateLimited = %d, want 1", fake.Counters().RateLimited)
	}
}

func TestFailNextTasks(t *testing.T) {
	custom := &fakeapimart.TaskError{Code: 451, Message: "prompt rejected by moderation", Type: "content_policy"}
	tests := []struct {
		name        string
		outcome     fakeapimart.TaskOutcome
		wantStatus  string
		wantMessage string // "" means no error object
	}{
		{"failed with error", fakeapimart.TaskOutcome{Status: "failed", Error: custom}, "failed", custom.Message},
		{"failed without error gets a generic one", fakeapimart.TaskOutcome{Status: "failed"}, "failed", "image generation failed upstream"},
		{"empty status means failed", fakeapimart.TaskOutcome{}, "failed", "image generation failed upstream"},
		{"cancelled", fakeapimart.TaskOutcome{Status: "cancelled"}, "cancelled", ""},
		{"unknown status", fakeapimart.TaskOutcome{Status: "moderated"}, "moderated", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
				set.Now = clock.Now
				set.TaskDuration = 4 * time.Second
			})
			fake.Configure(func(set *fakeapimart.Settings) {
				set.FailNextTasks = tt.outcome
				set.FailNextTasks.N = 1
			})
			id := submit(t, base, imagenBody)
			normal := submit(t, base, imagenBody)
			clock.Advance(2 * time.Second)
			if d := getTask(t, base, key, id); d.Status != "processing" {
				t.Errorf("before the end: %s, want processing", d.Status)
			}
			clock.Advance(time.Hour)
			d := getTask(t, base, key, id)
			if d.Status != tt.wantStatus || d.Result != nil {
				t.Errorf("final = %+v, want status %s and no result", d, tt.wantStatus)
			}
			switch {
			case tt.wantMessage == "" && d.Error != nil:
				t.Errorf("unexpected error object %+v", d.Error)
			case tt.wantMessage != "" && (d.Error == nil || d.Error.Message != tt.wantMessage):
				t.Errorf("error = %+v, want message %q", d.Error, tt.wantMessage)
			}
			if got := getTask(t, base, key, normal); got.Status != "completed" {
				t.Errorf("the second task was also affected: %s", got.Status)
			}
			if rec := fake.Tasks()[0]; rec.Status != tt.wantStatus {
				t.Errorf("record status = %q", rec.Status)
			}
			if a := call(t, "GET", fakeapimart.ResultURL(base, id, 0), "", ""); a.status != 404 {
				t.Errorf("file of a %s task: %d", tt.wantStatus, a.status)
			}
			if fake.Counters().Faults != 1 {
				t.Errorf("Faults = %d, want 1", fake.Counters().Faults)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.RateLimit = fakeapimart.RateLimit{PerSecond: 1, Burst: 1} })
	if a := call(t, "GET", base+"/v1/balance", key, ""); a.status != 200 {
		t.Fatalf("first request: %d", a.status)
	}
	a := call(t, "GET", base+"/v1/balance", key, "")
	if a.status != 429 || a.header.Get("Retry-After") != "1" || a.errorObject(t)["type"] != "rate_limit_error" {
		t.Fatalf("second request: %d Retry-After %q %s", a.status, a.header.Get("Retry-After"), a.body)
	}
	// A limited request must not reach the handler or spend the token it was refused.
	if c := fake.Counters(); c.RateLimited != 1 || c.Submits != 0 {
		t.Errorf("counters = %+v", c)
	}
	fake.Configure(func(set *fakeapimart.Settings) { set.RateLimit = fakeapimart.RateLimit{PerSecond: 0, Burst: 0} })
	for range 5 {
		if a := call(t, "GET", base+"/v1/balance", key, ""); a.status != 200 {
			t.Fatalf("after disabling: %d", a.status)
		}
	}
}

func TestRateLimitRefills(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	// A token every 50 ms.
	fake.Configure(func(set *fakeapimart.Settings) { set.RateLimit = fakeapimart.RateLimit{PerSecond: 20, Burst: 1} })
	call(t, "GET", base+"/v1/balance", key, "")
	time.Sleep(60 * time.Millisecond)
	if a := call(t, "GET", base+"/v1/balance", key, ""); a.status != 200 {
		t.Errorf("after the refill interval: %d", a.status)
	}
}

func TestLatency(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.Latency = 120 * time.Millisecond })
	start := time.Now()
	call(t, "GET", base+"/v1/balance", key, "")
	if took := time.Since(start); took < 120*time.Millisecond {
		t.Errorf("answered after %v, want at least 120ms", took)
	}
	start = time.Now()
	call(t, "GET", base+"/f/image/none-0.png", "", "")
	if took := time.Since(start); took >= 120*time.Millisecond {
		t.Errorf("file route was delayed %v; latency applies to /v1 only", took)
	}
}

func TestControlEndpoint(t *testing.T) {
	t.Run("off by default", func(t *testing.T) {
		_, base := fakeapimart.Start(t)
		if a := call(t, "GET", base+"/_fake/counters", "", ""); a.status != 404 {
			t.Errorf("status %d, want 404", a.status)
		}
	})

	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
		set.ControlRoutes = true
		set.TaskDuration = 0
	})
	id := submit(t, base, imagenBody)
	body := `{
	  "submit_shape": "v3", "url_as_string": true, "task_duration": 1500000000, "estimated_time": 30000000000,
	  "fail_next_submits": {"n": 2, "status": 503, "retry_after": 2500000000},
	  "fail_next_task_reads": {"n": 3, "kind": "non_json", "status": 504},
	  "fail_next_tasks": {"n": 4, "status": "failed", "error": {"code": 1, "message": "m", "type": "t"}},
	  "fail_next_uploads": {"n": 5, "status": 429, "store": true},
	  "rate_limit": {"per_second": 50, "burst": 7},
	  "latency": 5000000,
	  "idempotency": false,
	  "fail_next_downloads": {"n": 5, "kind": "html"},
	  "min_image_bytes": 4096,
	  "balances": {"sk-fake-key": 3.5}, "account_balance": 50,
	  "prices": {"gpt-image-2": 0.25}, "balance_failure": "User Quota Query Failed"
	}`
	a := call(t, "POST", base+"/_fake/settings", "", body)
	if a.status != 200 {
		t.Fatalf("POST settings: %d %s", a.status, a.body)
	}
	// The JSON and the Go settings are one shape: what the body named is what Go reads back,
	// and the rest kept its value.
	want := fake.Settings()
	want.SubmitShape, want.URLAsString, want.TaskDuration, want.EstimatedTime = fakeapimart.ShapeV3, true, 1500*time.Millisecond, 30*time.Second
	want.FailNextSubmits = fakeapimart.SubmitFault{N: 2, Status: 503, RetryAfter: 2500 * time.Millisecond}
	want.FailNextTaskReads = fakeapimart.ReadFault{N: 3, Kind: fakeapimart.ReadNonJSON, Status: 504}
	want.FailNextTasks = fakeapimart.TaskOutcome{N: 4, Status: "failed", Error: &fakeapimart.TaskError{Code: 1, Message: "m", Type: "t"}}
	want.FailNextUploads = fakeapimart.UploadFault{N: 5, Status: 429, Store: true}
	want.RateLimit, want.Latency, want.Idempotency = fakeapimart.RateLimit{PerSecond: 50, Burst: 7}, 5*time.Millisecond, false
	want.FailNextDownloads = fakeapimart.DownloadFault{N: 5, Kind: fakeapimart.DownloadHTML}
	want.MinImageBytes, want.AccountBalance = 4096, 50
	want.Balances = map[string]float64{key: 3.5}
	want.Prices = map[string]float64{"gpt-image-2": 0.25}
	want.BalanceFailure = "User Quota Query Failed"
	if got := fake.Settings(); !reflect.DeepEqual(jsonOf(t, got), jsonOf(t, want)) || got.URLLifetime != fakeapimart.DefaultURLLifetime {
		t.Errorf("settings = %s\nwant %s", jsonOf(t, got), jsonOf(t, want))
	}
	if got := call(t, "GET", base+"/_fake/settings", "", "").body; !bytes.Equal(got, jsonOf(t, want)) {
		t.Errorf("GET settings = %s\nwant %s", got, jsonOf(t, want))
	}
	if a := call(t, "GET", base+"/v1/tasks/"+id, key, ""); a.status != 504 || json.Valid(a.body) {
		t.Errorf("the read fault set by JSON did not apply: %d", a.status)
	}
	if a := call(t, "POST", base+"/v1/images/generations", key, imagenBody); a.status != 503 || a.header.Get("Retry-After") != "3" {
		t.Errorf("the submit fault set by JSON did not apply: %d %q", a.status, a.header.Get("Retry-After"))
	}

	var counters fakeapimart.Counters
	if err := json.Unmarshal(call(t, "GET", base+"/_fake/counters", "", "").body, &counters); err != nil || counters != fake.Counters() {
		t.Errorf("counters JSON = %+v (%v), want %+v", counters, err, fake.Counters())
	}
	if counters.Submits != 2 || counters.TaskReads != 1 || counters.Faults != 2 || counters.Requests != 3 {
		t.Errorf("counters = %+v; control routes must not count as requests", counters)
	}
	if a := call(t, "POST", base+"/_fake/reset-counters", "", ""); a.status != 200 || fake.Counters() != (fakeapimart.Counters{}) {
		t.Errorf("reset: %d, counters %+v", a.status, fake.Counters())
	}
	if a := call(t, "GET", base+"/v1/user/balance", key, ""); a.status != 200 || a.json(t)["message"] != "User Quota Query Failed" {
		t.Errorf("the balance failure set by JSON did not apply: %d %s", a.status, a.body)
	}
	before := jsonOf(t, fake.Settings())
	for _, bad := range []string{
		`{"latency_ms":5}`,
		`{"min_image_bytes": 1, "fail_next_downloads":{"n":1,"kind":"sideways"}}`,
		`{"fail_next_task_reads":{"n":1,"kind":"sideways"}}`,
	} {
		if a := call(t, "POST", base+"/_fake/settings", "", bad); a.status != 400 {
			t.Errorf("settings %s: %d, want 400", bad, a.status)
		}
	}
	if after := jsonOf(t, fake.Settings()); !bytes.Equal(after, before) {
		t.Errorf("a refused body changed the settings:\n%s\nwas\n%s", after, before)
	}
}

func TestControlSettingsReachTasks(t *testing.T) {
	clock := newClock()
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
		set.ControlRoutes = true
		set.Now = clock.Now
	})
	call(t, "POST", base+"/_fake/settings", "", `{"task_duration": 0, "url_as_string": true, "fail_next_tasks": {"n": 1, "status": "cancelled"}}`)
	cancelled := getTask(t, base, key, submit(t, base, imagenBody))
	completed := getTask(t, base, key, submit(t, base, imagenBody))
	if cancelled.Status != "cancelled" || completed.Status != "completed" || !strings.HasPrefix(string(completed.Result.Images[0].URL), `"`) {
		t.Errorf("tasks: %+v / %+v", cancelled, completed)
	}
	call(t, "POST", base+"/_fake/forget-tasks", "", "")
	if a := call(t, "GET", base+"/v1/tasks/"+completed.ID, key, ""); a.status != 404 {
		t.Errorf("after forget-tasks: %d", a.status)
	}
	if fake.Counters().TasksCreated != 2 {
		t.Errorf("TasksCreated = %d", fake.Counters().TasksCreated)
	}
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
