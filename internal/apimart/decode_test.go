package apimart

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Documented answers (API doc §2.2, §3.1, §5, §7), re-typed.
const (
	submitV1 = `{"code":200,"data":[{"status":"submitted","task_id":"task_01K8AYYM6R03TGZ3Q2P0TZVNPX"}]}`
	submitV2 = `{"code":200,"data":{"id":"task_01XYZ","object":"image.generation.task","model":"gpt-4o-image",
		"type":"image","status":"pending","progress":0,"created":1757156493,
		"task_info":{"can_cancel":true,"estimated_time":100}}}`
	submitV3 = `{"code":"success","message":"","data":[{"task_id":"task_01HX","status":"processing"}]}`

	taskCompletedURLArray = `{"code":200,"data":{"id":"task_01AAA","status":"completed","progress":100,
		"result":{"images":[{"url":["https://upload.apimart.ai/f/image/a.png"],"expires_at":1763174708}]},
		"created":1763088289,"completed":1763088308,"estimated_time":60,"actual_time":19}}`
	taskCompletedURLString = `{"code":200,"data":{"id":"task_01BBB","status":"completed","progress":100,
		"result":{"images":[{"url":"https://upload.apimart.ai/f/image/b.png","expires_at":1763174708}]},
		"created":1763088289,"completed":1763088308}}`
	taskFailed = `{"code":200,"data":{"id":"task_01CCC","status":"failed","progress":0,
		"error":{"code":500,"message":"upstream refused","type":"upstream_error"}}}`
	taskProcessing = `{"code":200,"data":{"id":"task_01DDD","status":"processing","progress":42,"estimated_time":20}}`

	errorDocumented = `{"error":{"code":400,"message":"invalid size","type":"invalid_request_error"}}`
	balanceOK       = `{"success":true,"remain_balance":10.5,"used_balance":2.3,"unlimited_quota":false}`
	balanceFailed   = `{"success":false,"message":"Token Not Found"}`
)

func TestDecodeSubmit(t *testing.T) {
	tests := []struct {
		name         string
		body         string
		wantID       string
		wantStatus   string
		wantEstimate time.Duration
	}{
		{"V1 data array", submitV1, "task_01K8AYYM6R03TGZ3Q2P0TZVNPX", "submitted", 0},
		{"V2 data object with estimate", submitV2, "task_01XYZ", "pending", 100 * time.Second},
		{"V3 string code", submitV3, "task_01HX", "processing", 0},
		{"V3 shape with an int code", `{"code":200,"message":"","data":[{"task_id":"t1","status":"processing"}]}`, "t1", "processing", 0},
		{"task_id inside a data object", `{"code":200,"data":{"task_id":"t2","status":"submitted"}}`, "t2", "submitted", 0},
		{"task_id wins over id", `{"data":{"task_id":"t3","id":"other"}}`, "t3", "", 0},
		{"unknown fields are ignored", `{"code":200,"request_id":"r","data":[{"task_id":"t4","status":"submitted","extra":{"a":[1,2]}}],"more":true}`, "t4", "submitted", 0},
		{"first element with an id", `{"data":[{"status":"submitted"},{"task_id":"t5"}]}`, "t5", "", 0},
		{"estimate as a string", `{"data":{"id":"t6","task_info":{"estimated_time":"12.5"}}}`, "t6", "", 12500 * time.Millisecond},
		{"negative estimate reads as unknown", `{"data":{"id":"t7","task_info":{"estimated_time":-3}}}`, "t7", "", 0},
		{"V4 envelope", `{"data":{"object":"generation.task","id":"t8","status":"queued"},"request_id":"x"}`, "t8", "queued", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := decodeSubmit(200, []byte(tt.body))
			if err != nil {
				t.Fatalf("decodeSubmit: %v", err)
			}
			if sub.TaskID != tt.wantID || sub.Status != tt.wantStatus || sub.EstimatedTime != tt.wantEstimate {
				t.Errorf("got id %q status %q estimate %s, want %q %q %s",
					sub.TaskID, sub.Status, sub.EstimatedTime, tt.wantID, tt.wantStatus, tt.wantEstimate)
			}
		})
	}
}

func TestDecodeSubmitFailures(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantAPI     bool   // an *APIError: the server said it failed
		wantMessage string // in the error text
	}{
		{"200 without task id", `{"code":200,"data":[{"status":"submitted"}]}`, false, `"status":"submitted"`},
		{"200 with empty data", `{"code":200,"data":[]}`, false, "no task id"},
		{"200 with no data at all", `{"code":"success"}`, false, "no task id"},
		{"blank task id", `{"data":{"task_id":"  "}}`, false, "no task id"},
		{"success false", `{"success":false,"message":"Token Not Found"}`, true, "Token Not Found"},
		{"error object", `{"error":{"code":"bad_model","message":"model not found","type":"invalid_request_error"}}`, true, "model not found"},
		{"failure code", `{"code":400,"message":"google_imagen4 currently supports text-to-image only"}`, true, "text-to-image only"},
		{"non-JSON", `<html>gateway</html>`, false, "<html>gateway</html>"},
		{"data is a string", `{"data":"task_1"}`, false, "no task id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := decodeSubmit(200, []byte(tt.body))
			if err == nil {
				t.Fatalf("decodeSubmit returned %+v, want an error", sub)
			}
			var apiErr *APIError
			if got := errors.As(err, &apiErr); got != tt.wantAPI {
				t.Errorf("error %v: is APIError = %v, want %v", err, got, tt.wantAPI)
			}
			if !tt.wantAPI && !errors.Is(err, errUnexpectedBody) {
				t.Errorf("error %v does not say the answer was unexpected", err)
			}
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error %q does not contain %q", err, tt.wantMessage)
			}
		})
	}
}

func TestDecodeTask(t *testing.T) {
	unix := func(s int64) time.Time { return time.Unix(s, 0).UTC() }
	tests := []struct {
		name string
		body string
		want Task
	}{
		{
			name: "completed, url as an array",
			body: taskCompletedURLArray,
			want: Task{ID: "task_01AAA", Status: "completed", Progress: 100,
				Images:  []Image{{URLs: []string{"https://upload.apimart.ai/f/image/a.png"}, ExpiresAt: unix(1763174708)}},
				Created: unix(1763088289), Completed: unix(1763088308), EstimatedTime: time.Minute, ActualTime: 19 * time.Second},
		},
		{
			name: "completed, url as a string",
			body: taskCompletedURLString,
			want: Task{ID: "task_01BBB", Status: "completed", Progress: 100,
				Images:  []Image{{URLs: []string{"https://upload.apimart.ai/f/image/b.png"}, ExpiresAt: unix(1763174708)}},
				Created: unix(1763088289), Completed: unix(1763088308)},
		},
		{
			name: "failed with an int error code",
			body: taskFailed,
			want: Task{ID: "task_01CCC", Status: "failed", Error: &TaskError{Code: "500", Message: "upstream refused", Type: "upstream_error"}},
		},
		{
			name: "failed with a string error code",
			body: `{"data":{"id":"t","status":"failed","error":{"code":"content_policy","message":"refused"}}}`,
			want: Task{ID: "t", Status: "failed", Error: &TaskError{Code: "content_policy", Message: "refused"}},
		},
		{
			name: "error as a plain message",
			body: `{"data":{"id":"t","status":"failed","error":"quota exceeded"}}`,
			want: Task{ID: "t", Status: "failed", Error: &TaskError{Message: "quota exceeded"}},
		},
		{
			name: "processing with an estimate",
			body: taskProcessing,
			want: Task{ID: "task_01DDD", Status: "processing", Progress: 42, EstimatedTime: 20 * time.Second},
		},
		{
			name: "unknown status is kept verbatim",
			body: `{"code":200,"data":{"id":"t","status":"NOT_START","progress":"0%"}}`,
			want: Task{ID: "t", Status: "NOT_START"},
		},
		{
			name: "unknown fields and odd types are ignored",
			body: `{"code":200,"data":{"id":"t","status":"processing","progress":"57%","cost":0.02,"created":"x",
				"result":{"videos":[]},"estimated_time":null,"extra":{"nested":[1,{"a":2}]}},"trace":"abc"}`,
			want: Task{ID: "t", Status: "processing", Progress: 57},
		},
		{
			name: "several images, several urls, empty ones dropped",
			body: `{"data":{"id":"t","status":"completed","result":{"images":[{"url":["u1","","u2"]},{"url":""},{"url":"u3"}]}}}`,
			want: Task{ID: "t", Status: "completed", Images: []Image{{URLs: []string{"u1", "u2"}}, {URLs: []string{"u3"}}}},
		},
		{
			name: "progress beyond 100 is clamped",
			body: `{"data":{"id":"t","status":"processing","progress":250}}`,
			want: Task{ID: "t", Status: "processing", Progress: 100},
		},
		{
			name: "millisecond timestamps",
			body: `{"data":{"id":"t","status":"pending","created":1763088289000}}`,
			want: Task{ID: "t", Status: "pending", Created: unix(1763088289)},
		},
		{
			name: "task_id instead of id",
			body: `{"data":{"task_id":"t9","status":"pending"}}`,
			want: Task{ID: "t9", Status: "pending"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeTask(200, []byte(tt.body))
			if err != nil {
				t.Fatalf("decodeTask: %v", err)
			}
			assertTask(t, got, &tt.want)
		})
	}
}

func assertTask(t *testing.T, got, want *Task) {
	t.Helper()
	if got.ID != want.ID || got.Status != want.Status || got.Progress != want.Progress {
		t.Errorf("id/status/progress = %q/%q/%d, want %q/%q/%d", got.ID, got.Status, got.Progress, want.ID, want.Status, want.Progress)
	}
	if !got.Created.Equal(want.Created) || !got.Completed.Equal(want.Completed) {
		t.Errorf("created/completed = %v/%v, want %v/%v", got.Created, got.Completed, want.Created, want.Completed)
	}
	if got.EstimatedTime != want.EstimatedTime || got.ActualTime != want.ActualTime {
		t.Errorf("estimated/actual = %s/%s, want %s/%s", got.EstimatedTime, got.ActualTime, want.EstimatedTime, want.ActualTime)
	}
	if len(got.Images) != len(want.Images) {
		t.Fatalf("images = %+v, want %+v", got.Images, want.Images)
	}
	for i := range want.Images {
		if !slices.Equal(got.Images[i].URLs, want.Images[i].URLs) || !got.Images[i].ExpiresAt.Equal(want.Images[i].ExpiresAt) {
			t.Errorf("image %d = %+v, want %+v", i, got.Images[i], want.Images[i])
		}
	}
	switch {
	case (got.Error == nil) != (want.Error == nil):
		t.Errorf("error = %+v, want %+v", got.Error, want.Error)
	case got.Error != nil && *got.Error != *want.Error:
		t.Errorf("error = %+v, want %+v", *got.Error, *want.Error)
	}
}

func TestDecodeTaskFailures(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantAPI     bool
		wantMessage string
	}{
		{"success false", `{"success":false,"message":"task does not exist or has expired"}`, true, "has expired"},
		{"error object", errorDocumented, true, "invalid size"},
		{"no status", `{"code":200,"data":{"id":"t"}}`, false, "no data.status"},
		{"no data", `{"code":200}`, false, "no data.status"},
		{"non-JSON", "Bad Gateway\n", false, "Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task, err := decodeTask(200, []byte(tt.body))
			if err == nil {
				t.Fatalf("decodeTask returned %+v, want an error", task)
			}
			var apiErr *APIError
			if got := errors.As(err, &apiErr); got != tt.wantAPI {
				t.Errorf("error %v: is APIError = %v, want %v", err, got, tt.wantAPI)
			}
			if !tt.wantAPI && !errors.Is(err, errUnexpectedBody) {
				t.Errorf("error %v does not say the answer was unexpected", err)
			}
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error %q does not contain %q", err, tt.wantMessage)
			}
		})
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct {
		name                          string
		status                        int
		body                          string
		wantCode, wantMessage, wantTy string
		wantSnippet                   string
	}{
		{"documented object", 400, errorDocumented, "400", "invalid size", "invalid_request_error", ""},
		{"string code", 403, `{"error":{"code":"forbidden","message":"not your task"}}`, "forbidden", "not your task", "", ""},
		{"error as a string", 404, `{"error":"task not found"}`, "", "task not found", "", ""},
		{"success false", 200, balanceFailed, "", "Token Not Found", "", ""},
		{"top-level message", 429, `{"code":429,"message":"slow down"}`, "429", "slow down", "", ""},
		{"non-JSON", 502, "<html><body>502 Bad Gateway</body></html>", "", "", "", "<html><body>502 Bad Gateway</body></html>"},
		{"empty body", 500, "", "", "", "", ""},
		{"JSON without a message", 500, `{"error":{}}`, "", "", "", `{"error":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeError(tt.status, []byte(tt.body))
			if e.StatusCode != tt.status || e.Code != tt.wantCode || e.Message != tt.wantMessage || e.Type != tt.wantTy || e.Snippet != tt.wantSnippet {
				t.Errorf("got %+v", *e)
			}
		})
	}
}

func TestDecodeErrorQuotesOnlyTheStartOfALongBody(t *testing.T) {
	body := strings.Repeat("é", 1000) // two bytes each, so the cut falls inside a rune
	e := decodeError(502, []byte(body))
	if len(e.Snippet) > snippetBytes || !utf8.ValidString(e.Snippet) || e.Snippet == "" {
		t.Errorf("snippet of %d bytes, valid UTF-8 %v", len(e.Snippet), utf8.ValidString(e.Snippet))
	}
	if !strings.Contains(e.Error(), "HTTP 502") {
		t.Errorf("Error() = %q", e.Error())
	}
}

func FuzzDecodeSubmit(f *testing.F) {
	for _, seed := range []string{submitV1, submitV2, submitV3, balanceFailed, errorDocumented,
		`{"data":{"task_id":"x","task_info":{"estimated_time":"1e308"}}}`, `{"data":[1,"a",null]}`, "", "null", "[]"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		sub, err := decodeSubmit(200, []byte(body))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if strings.TrimSpace(sub.TaskID) == "" {
			t.Fatalf("accepted a submission without a task id: %+v", sub)
		}
		if sub.EstimatedTime < 0 {
			t.Fatalf("negative estimate %s", sub.EstimatedTime)
		}
	})
}

func FuzzDecodeTask(f *testing.F) {
	for _, seed := range []string{taskCompletedURLArray, taskCompletedURLString, taskFailed, taskProcessing,
		balanceFailed, `{"data":[{"status":"x","progress":"NaN","created":1e300}]}`, "", "{}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		task, err := decodeTask(200, []byte(body))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if strings.TrimSpace(task.Status) == "" {
			t.Fatal("accepted a task without a status")
		}
		if task.Progress < 0 || task.Progress > 100 {
			t.Fatalf("progress %d out of 0..100", task.Progress)
		}
		if task.EstimatedTime < 0 || task.ActualTime < 0 {
			t.Fatalf("negative duration: %s, %s", task.EstimatedTime, task.ActualTime)
		}
		for _, u := range task.URLs() {
			if u == "" {
				t.Fatal("empty URL kept")
			}
		}
		_ = task.IsTerminal()
		_ = task.ExpiresAt()
	})
}

func FuzzDecodeError(f *testing.F) {
	for _, seed := range []string{errorDocumented, balanceFailed, `{"error":"x"}`, "<html>", "", strings.Repeat("\xff", 300)} {
		f.Add(502, seed)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		e := decodeError(status, []byte(body))
		if e == nil || e.StatusCode != status {
			t.Fatalf("decodeError = %+v", e)
		}
		if len(e.Snippet) > snippetBytes || !utf8.ValidString(e.Snippet) {
			t.Fatalf("snippet of %d bytes, valid UTF-8 %v", len(e.Snippet), utf8.ValidString(e.Snippet))
		}
		if e.Error() == "" {
			t.Fatal("empty error text")
		}
	})
}
