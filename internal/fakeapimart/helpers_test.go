package fakeapimart_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

const key = fakeapimart.DefaultKey

// fakeClock is a clock that only moves when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Unix(1_763_088_289, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, a.body)
	}
	return v
}

// errorObject returns the "error" object of a documented error answer.
func (a answer) errorObject(t *testing.T) map[string]any {
	t.Helper()
	e, ok := a.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", a.body)
	}
	return e
}

// call sends one request; an empty apiKey sends no Authorization header.
func call(t *testing.T, method, url, apiKey, body string, headers ...string) answer {
	t.Helper()
	a, err := tryCall(http.DefaultClient, method, url, apiKey, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

func tryCall(client *http.Client, method, url, apiKey, body string, headers ...string) (answer, error) {
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		return answer{}, err
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// submit posts a generation request and returns the new task id, failing on anything but 200.
func submit(t *testing.T, base, body string) string {
	t.Helper()
	a := call(t, http.MethodPost, base+"/v1/images/generations", key, body)
	if a.status != http.StatusOK {
		t.Fatalf("submit answered %d: %s", a.status, a.body)
	}
	return taskIDOf(t, a)
}

// taskIDOf reads the task id from a V1 submit answer.
func taskIDOf(t *testing.T, a answer) string {
	t.Helper()
	var v struct {
		Data []struct {
			TaskID string `json:"task_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &v); err != nil || len(v.Data) != 1 || v.Data[0].TaskID == "" {
		t.Fatalf("not a V1 submit answer (%v): %s", err, a.body)
	}
	return v.Data[0].TaskID
}

// taskData is the "data" object of GET /v1/tasks/{id}.
type taskData struct {
	ID            string  `json:"id"`
	Status        string  `json:"status"`
	Progress      int     `json:"progress"`
	Created       int64   `json:"created"`
	Completed     *int64  `json:"completed"`
	EstimatedTime int64   `json:"estimated_time"`
	ActualTime    *int64  `json:"actual_time"`
	Cost          float64 `json:"cost"`
	CreditsCost   float64 `json:"credits_cost"`
	Result        *struct {
		Images []struct {
			URL       json.RawMessage `json:"url"`
			ExpiresAt int64           `json:"expires_at"`
		} `json:"images"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

func getTask(t *testing.T, base, apiKey, id string) taskData {
	t.Helper()
	a := call(t, http.MethodGet, base+"/v1/tasks/"+id, apiKey, "")
	if a.status != http.StatusOK {
		t.Fatalf("GET task answered %d: %s", a.status, a.body)
	}
	var v struct {
		Code int      `json:"code"`
		Data taskData `json:"data"`
	}
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("task answer: %v\n%s", err, a.body)
	}
	if v.Code != 200 {
		t.Fatalf("task answer code = %d, want 200", v.Code)
	}
	return v.Data
}

// firstURL returns the first result URL, accepting both documented url forms.
func firstURL(t *testing.T, d taskData) string {
	t.Helper()
	if d.Result == nil || len(d.Result.Images) == 0 {
		t.Fatalf("task %s has no result images", d.ID)
	}
	raw := d.Result.Images[0].URL
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil && len(list) == 1 {
		return list[0]
	}
	var single string
	if err := json.Unmarshal(raw, &single); err != nil {
		t.Fatalf("url is neither []string nor string: %s", raw)
	}
	return single
}

const imagenBody = `{"model":"imagen-4.0-apimart","prompt":"a lighthouse at dusk","size":"16:9","n":1}`
