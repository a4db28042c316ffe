package fakeapimart_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

func TestAuth(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.Keys = []string{"sk-a", "sk-b"} })
	tests := []struct {
		name, method, path, apiKey, body string
		wantStatus                       int
		wantMessage                      string
	}{
		{"no header on submit", "POST", "/v1/images/generations", "", imagenBody, 401, "No Authorization header"},
		{"wrong key on submit", "POST", "/v1/images/generations", "sk-nope", imagenBody, 401, "Failed to get token info"},
		{"no header on task", "GET", "/v1/tasks/task_01X", "", "", 401, "No Authorization header"},
		{"wrong key on task", "GET", "/v1/tasks/task_01X", "sk-nope", "", 401, "Failed to get token info"},
		{"right key on task", "GET", "/v1/tasks/task_01X", "sk-b", "", 404, "task does not exist or has expired"},
		{"no header on balance", "GET", "/v1/balance", "", "", 401, "No Authorization header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, tt.method, base+tt.path, tt.apiKey, tt.body)
			if a.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", a.status, tt.wantStatus, a.body)
			}
			e := a.errorObject(t)
			if e["message"] != tt.wantMessage || e["code"] != float64(tt.wantStatus) {
				t.Errorf("error = %v, want code %d message %q", e, tt.wantStatus, tt.wantMessage)
			}
			if tt.wantStatus == 401 && e["type"] != "authentication_error" {
				t.Errorf("type = %v, want authentication_error", e["type"])
			}
		})
	}
	if got := fake.Counters().Unauthorized; got != 5 {
		t.Errorf("Unauthorized = %d, want 5", got)
	}
	if got := fake.Counters().TasksCreated; got != 0 {
		t.Errorf("TasksCreated = %d, want 0 after rejected submits", got)
	}
}

func TestBalance(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })

	unknown := call(t, "GET", base+"/v1/balance", "sk-unknown", "")
	if unknown.status != http.StatusOK || string(unknown.body) != `{"message":"Token Not Found","success":false}` {
		t.Errorf("unknown key: %d %s, want the HTTP 200 quirk", unknown.status, unknown.body)
	}
	fake.Configure(func(set *fakeapimart.Settings) { set.Balances[key] = 1 })
	fake.Configure(func(set *fakeapimart.Settings) { set.AccountBalance = 50 })
	fake.Configure(func(set *fakeapimart.Settings) { set.Prices["gpt-4o-image"] = 0.25 })
	submit(t, base, imagenBody)
	submit(t, base, `{"model":"gpt-4o-image","prompt":"two kittens","n":2}`)
	// An imagen image at the default price, and two gpt-4o-image images at 0.25.
	const paid = fakeapimart.DefaultPrice + 2*0.25
	want := map[string]balance{
		"/v1/balance":      {Success: true, RemainBalance: 1 - paid, UsedBalance: paid},
		"/v1/user/balance": {Success: true, RemainBalance: 50 - paid, UsedBalance: paid},
	}
	for path, w := range want {
		if got := readBalance(t, base, path); math.Abs(got.RemainBalance-w.RemainBalance) > 1e-9 ||
			math.Abs(got.UsedBalance-w.UsedBalance) > 1e-9 || got.UnlimitedQuota || !got.Success {
			t.Errorf("%s = %+v, want %+v", path, got, w)
		}
	}
	if c := fake.Counters(); c.Unauthorized != 1 || c.BalanceReads != 2 {
		t.Errorf("Unauthorized = %d, BalanceReads = %d; want 1 and 2", c.Unauthorized, c.BalanceReads)
	}
}

func TestBalanceNeverBelowZero(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	fake.Configure(func(set *fakeapimart.Settings) { set.Balances[key] = 0.01 })
	submit(t, base, imagenBody)
	if got := readBalance(t, base, "/v1/balance"); got.RemainBalance != 0 || got.UsedBalance != fakeapimart.DefaultPrice {
		t.Errorf("balance = %+v, want 0 left and the price used", got)
	}
}

func TestBalanceUnlimited(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	fake.Configure(func(set *fakeapimart.Settings) { set.Balances[key] = fakeapimart.Unlimited })
	submit(t, base, imagenBody)
	got := readBalance(t, base, "/v1/balance")
	if got.RemainBalance != -1 || !got.UnlimitedQuota || got.UsedBalance != fakeapimart.DefaultPrice {
		t.Errorf("unlimited key after a task = %+v, want -1, unlimited and the price used", got)
	}
	if account := readBalance(t, base, "/v1/user/balance"); account.UnlimitedQuota || account.RemainBalance >= fakeapimart.StartingBalance {
		t.Errorf("the account (%+v) has a quota of its own, which the task draws on", account)
	}
}

func TestBalanceFailure(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.BalanceFailure = "User Quota Query Failed" })
	for _, path := range []string{"/v1/balance", "/v1/user/balance"} {
		a := call(t, "GET", base+path, key, "")
		if a.status != http.StatusOK || string(a.body) != `{"message":"User Quota Query Failed","success":false}` {
			t.Errorf("%s: %d %s, want the HTTP 200 failure form", path, a.status, a.body)
		}
	}
	fake.Configure(func(set *fakeapimart.Settings) { set.BalanceFailure = "" })
	if got := readBalance(t, base, "/v1/balance"); !got.Success {
		t.Errorf("after clearing the failure: %+v", got)
	}
}

type balance struct {
	Success        bool    `json:"success"`
	RemainBalance  float64 `json:"remain_balance"`
	UsedBalance    float64 `json:"used_balance"`
	UnlimitedQuota bool    `json:"unlimited_quota"`
}

func readBalance(t *testing.T, base, path string) balance {
	t.Helper()
	var b balance
	a := call(t, "GET", base+path, key, "")
	if err := json.Unmarshal(a.body, &b); err != nil || a.status != 200 {
		t.Fatalf("balance: %d %s (%v)", a.status, a.body, err)
	}
	return b
}

// submitAnswer covers the three documented submit shapes.
type submitAnswer struct {
	Code    json.RawMessage `json:"code"`
	Message *string         `json:"message"`
	Data    json.RawMessage `json:"data"`
}

type submitItem struct {
	TaskID string `json:"task_id"`
	Status string `json:"status"`
}

type submitObject struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Model    string `json:"model"`
	Type     string `json:"type"`
	Status   string `json:"status"`
	Progress *int   `json:"progress"`
	Created  int64  `json:"created"`
	TaskInfo struct {
		CanCancel     bool  `json:"can_cancel"`
		EstimatedTime int64 `json:"estimated_time"`
	} `json:"task_info"`
}

func TestSubmitShapes(t *testing.T) {
	oneItem := func(t *testing.T, a submitAnswer) submitItem {
		t.Helper()
		var items []submitItem
		if err := json.Unmarshal(a.Data, &items); err != nil || len(items) != 1 {
			t.Fatalf("data is not a one-item array: %s (%v)", a.Data, err)
		}
		return items[0]
	}
	tests := []struct {
		shape fakeapimart.Shape
		check func(t *testing.T, a submitAnswer) string
	}{
		{fakeapimart.ShapeV1, func(t *testing.T, a submitAnswer) string {
			item := oneItem(t, a)
			if string(a.Code) != "200" || a.Message != nil || item.Status != "submitted" {
				t.Errorf("V1 = %+v %+v", a, item)
			}
			return item.TaskID
		}},
		{fakeapimart.ShapeV2, func(t *testing.T, a submitAnswer) string {
			var data submitObject
			if err := json.Unmarshal(a.Data, &data); err != nil {
				t.Fatalf("V2 data: %v", err)
			}
			if string(a.Code) != "200" || data.Status != "pending" || data.Object != "image.generation.task" ||
				data.Model != "imagen-4.0-apimart" || data.Type != "image" || data.Progress == nil || *data.Progress != 0 ||
				data.Created == 0 || data.TaskInfo.EstimatedTime != 3 || !data.TaskInfo.CanCancel {
				t.Errorf("V2 = %s", a.Data)
			}
			return data.ID
		}},
		{fakeapimart.ShapeV3, func(t *testing.T, a submitAnswer) string {
			item := oneItem(t, a)
			if string(a.Code) != `"success"` || a.Message == nil || *a.Message != "" || item.Status != "processing" {
				t.Errorf("V3 = %+v %+v", a, item)
			}
			return item.TaskID
		}},
	}
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 2500 * time.Millisecond })
	for _, tt := range tests {
		t.Run(string(tt.shape), func(t *testing.T) {
			fake.Configure(func(set *fakeapimart.Settings) { set.SubmitShape = tt.shape })
			a := call(t, "POST", base+"/v1/images/generations", key, imagenBody)
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			var answer submitAnswer
			if err := json.Unmarshal(a.body, &answer); err != nil {
				t.Fatal(err)
			}
			id := tt.check(t, answer)
			if got := fake.Tasks(); got[len(got)-1].ID != id {
				t.Errorf("answered id %q, last task %q", id, got[len(got)-1].ID)
			}
		})
	}
}

func TestSubmitValidation(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantStatus  int
		wantMessage string // substring; exact when wantExact
		wantExact   bool
	}{
		{"quoted n", `{"model":"imagen-4.0-apimart","prompt":"p","n":"1"}`, 400, `"n"`, false},
		{"fractional n", `{"model":"imagen-4.0-apimart","prompt":"p","n":1.5}`, 400, `"n"`, false},
		{"missing model", `{"prompt":"p"}`, 400, "model is required", true},
		{"missing prompt", `{"model":"imagen-4.0-apimart"}`, 400, "prompt is required", true},
		{"unknown model", `{"model":"dall-e-9","prompt":"p"}`, 400, "dall-e-9", false},
		{"imagen image_urls", `{"model":"imagen-4.0-apimart","prompt":"p","image_urls":["https://x/y.png"]}`, 400, "google_imagen4 currently supports text-to-image only", true},
		{"imagen image", `{"model":"imagen-4.0-apimart","prompt":"p","image":"https://x/y.png"}`, 400, "google_imagen4 currently supports text-to-image only", true},
		{"imagen n=2", `{"model":"imagen-4.0-apimart","prompt":"p","n":2}`, 400, "n=2", false},
		{"gpt-4o n=3", `{"model":"gpt-4o-image","prompt":"p","n":3}`, 400, "n=3", false},
		{"qwen 21:9", `{"model":"qwen-image-2.0","prompt":"p","size":"21:9"}`, 400, `"21:9"`, false},
		{"qwen prompt too long", `{"model":"qwen-image-2.0","prompt":"` + strings.Repeat("x", 801) + `"}`, 400, "too long", false},
		{"not JSON", `{"model":`, 400, "not valid JSON", false},
		{"not an object", `[1]`, 400, "JSON object", false},
		{"unknown fields ignored", `{"model":"imagen-4.0-apimart","prompt":"p","quality":"hd","seed":7,"mask":{"a":1}}`, 200, "", false},
		{"gpt-4o n=4", `{"model":"gpt-4o-image","prompt":"p","n":4,"size":"3:2"}`, 200, "", false},
		{"empty image_urls is no reference", `{"model":"imagen-4.0-apimart","prompt":"p","image_urls":[]}`, 200, "", false},
	}
	fake, base := fakeapimart.Start(t)
	created := int64(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, "POST", base+"/v1/images/generations", key, tt.body)
			if a.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", a.status, tt.wantStatus, a.body)
			}
			if tt.wantStatus == 200 {
				created++
				return
			}
			e := a.errorObject(t)
			msg := fmt.Sprint(e["message"])
			if tt.wantExact && msg != tt.wantMessage || !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("message = %q, want %q", msg, tt.wantMessage)
			}
			if e["type"] != "invalid_request_error" || e["code"] != float64(400) {
				t.Errorf("error = %v, want code 400 invalid_request_error", e)
			}
		})
	}
	c := fake.Counters()
	if c.Submits != int64(len(tests)) || c.TasksCreated != created {
		t.Errorf("Submits = %d, TasksCreated = %d; want %d, %d", c.Submits, c.TasksCreated, len(tests), created)
	}
}

func TestDefaultsAndEffectiveSize(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	submit(t, base, `{"model":"imagen-4.0-apimart","prompt":"p"}`)
	submit(t, base, `{"model":"imagen-4.0-apimart","prompt":"p","size":"21:9"}`)
	submit(t, base, `{"model":"qwen-image-2.0","prompt":"p","n":6}`)
	want := []struct {
		requested, size string
		n               int64
	}{{"", "16:9", 1}, {"21:9", "16:9", 1}, {"", "1:1", 6}}
	for i, rec := range fake.Tasks() {
		if rec.RequestedSize != want[i].requested || rec.Size != want[i].size || rec.N != want[i].n || rec.Owner != key {
			t.Errorf("task %d = %+v, want %+v", i, rec, want[i])
		}
	}
}

func TestImagenFallbackImageIs16by9(t *testing.T) {
	_, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	id := submit(t, base, `{"model":"imagen-4.0-apimart","prompt":"wide sea","size":"21:9"}`)
	d := getTask(t, base, key, id)
	if d.Status != "completed" {
		t.Fatalf("status = %q, want completed at once", d.Status)
	}
	a := call(t, "GET", firstURL(t, d), "", "")
	if a.status != 200 || a.header.Get("Content-Type") != "image/png" {
		t.Fatalf("download: %d %s", a.status, a.header.Get("Content-Type"))
	}
	img, err := png.Decode(bytes.NewReader(a.body))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 36 {
		t.Errorf("image is %dx%d, want 64x36 (16:9), not 21:9", b.Dx(), b.Dy())
	}
}

func TestReferenceImagesOnOtherTextOnlyModelFailTheTask(t *testing.T) {
	_, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	id := submit(t, base, `{"model":"z-image-turbo","prompt":"p","image_urls":["https://x/y.png"]}`)
	d := getTask(t, base, key, id)
	if d.Status != "failed" || d.Error == nil || !strings.Contains(d.Error.Message, "Field 'text' is required") {
		t.Errorf("task = %+v, want failed with the upstream message", d)
	}
}

func TestLifecycle(t *testing.T) {
	clock := newClock()
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
		set.Now = clock.Now
		set.TaskDuration = 10 * time.Second
	})
	id := submit(t, base, imagenBody)
	created := clock.Now()

	steps := []struct {
		at           time.Duration
		wantStatus   string
		wantProgress int
	}{
		{0, "pending", 0},
		{500 * time.Millisecond, "pending", 0},
		{time.Second, "processing", 10},
		{5 * time.Second, "processing", 50},
		{9999 * time.Millisecond, "processing", 99},
		{10 * time.Second, "completed", 100},
		{time.Hour, "completed", 100},
	}
	last := -1
	for _, st := range steps {
		clock.Advance(created.Add(st.at).Sub(clock.Now()))
		d := getTask(t, base, key, id)
		if d.Status != st.wantStatus || d.Progress != st.wantProgress {
			t.Errorf("at %v: %s %d%%, want %s %d%%", st.at, d.Status, d.Progress, st.wantStatus, st.wantProgress)
		}
		if d.Progress < last {
			t.Errorf("at %v: progress fell from %d to %d", st.at, last, d.Progress)
		}
		last = d.Progress
		if d.Created != created.Unix() || d.EstimatedTime != 10 {
			t.Errorf("at %v: created %d estimated %d, want %d and 10", st.at, d.Created, d.EstimatedTime, created.Unix())
		}
		if (d.Result != nil) != (st.wantStatus == "completed") || (d.Completed != nil) != (st.wantStatus == "completed") {
			t.Errorf("at %v: result/completed present = %v/%v for status %s", st.at, d.Result != nil, d.Completed != nil, d.Status)
		}
	}
	d := getTask(t, base, key, id)
	if *d.Completed != created.Add(10*time.Second).Unix() || *d.ActualTime != 10 || d.Cost <= 0 || d.CreditsCost <= 0 {
		t.Errorf("completed task = %+v", d)
	}
	if got, want := d.Result.Images[0].ExpiresAt, created.Add(10*time.Second+24*time.Hour).Unix(); got != want {
		t.Errorf("expires_at = %d, want completed + 24h = %d", got, want)
	}
	// The real file hosts serve a result at a path that ends in the file's name, without a query.
	if url := firstURL(t, d); url != fakeapimart.ResultURL(base, id, 0) || !regexp.MustCompile(`^`+regexp.QuoteMeta(base)+`/f/image/[^/?]+\.png$`).MatchString(url) {
		t.Errorf("url %q is not %s/f/image/<name>.png", url, base)
	}
	if len(fake.TaskReadTimes(id)) != len(steps)+1 {
		t.Errorf("recorded %d reads, want %d", len(fake.TaskReadTimes(id)), len(steps)+1)
	}
	rec := fake.Tasks()[0]
	if !rec.CreatedAt.Equal(created) || !rec.CompletedAt.Equal(created.Add(10*time.Second)) || rec.Status != "completed" {
		t.Errorf("record = %+v", rec)
	}
}

func TestURLForms(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	id := submit(t, base, `{"model":"gpt-4o-image","prompt":"pair","n":2}`)
	d := getTask(t, base, key, id)
	if len(d.Result.Images) != 2 || !strings.HasPrefix(string(d.Result.Images[1].URL), `["`) {
		t.Fatalf("default form: want 2 images with url arrays, got %+v", d.Result)
	}
	fake.Configure(func(set *fakeapimart.Settings) { set.URLAsString = true })
	d = getTask(t, base, key, id)
	if !strings.HasPrefix(string(d.Result.Images[0].URL), `"`) {
		t.Errorf("url = %s, want a plain string", d.Result.Images[0].URL)
	}
	if a := call(t, "GET", firstURL(t, d), "", ""); a.status != 200 {
		t.Errorf("string url download: %d", a.status)
	}
}

func TestEstimatedTime(t *testing.T) {
	tests := []struct {
		name string
		opts []fakeapimart.Option
		want int64
	}{
		{"default 2s", nil, 2},
		{"rounded up", []fakeapimart.Option{func(set *fakeapimart.Settings) { set.TaskDuration = 1100 * time.Millisecond }}, 2},
		{"at least 1", []fakeapimart.Option{func(set *fakeapimart.Settings) { set.TaskDuration = 0 }}, 1},
		{"explicit", []fakeapimart.Option{func(set *fakeapimart.Settings) { set.EstimatedTime = 90 * time.Second }}, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base := fakeapimart.Start(t, tt.opts...)
			if got := getTask(t, base, key, submit(t, base, imagenBody)).EstimatedTime; got != tt.want {
				t.Errorf("estimated_time = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestNotFoundForbiddenAndForgotten(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
		set.Keys = []string{"sk-a", "sk-b"}
		set.TaskDuration = 0
	})
	a := call(t, "POST", base+"/v1/images/generations", "sk-a", imagenBody)
	id := taskIDOf(t, a)

	want404 := `{"error":{"code":404,"message":"task does not exist or has expired","type":"not_found_error"}}`
	if got := call(t, "GET", base+"/v1/tasks/task_01NOPE", "sk-a", ""); got.status != 404 || string(got.body) != want404 {
		t.Errorf("unknown task: %d %s", got.status, got.body)
	}
	if got := call(t, "GET", base+"/v1/tasks/"+id, "sk-b", ""); got.status != 403 || got.errorObject(t)["type"] != "permission_error" {
		t.Errorf("other key: %d %s", got.status, got.body)
	}
	url := firstURL(t, getTask(t, base, "sk-a", id))
	fake.ForgetAllTasks()
	if got := call(t, "GET", base+"/v1/tasks/"+id, "sk-a", ""); got.status != 404 || string(got.body) != want404 {
		t.Errorf("forgotten task: %d %s", got.status, got.body)
	}
	if got := call(t, "GET", url, "", ""); got.status != 200 {
		t.Errorf("media of a forgotten task: %d, want 200 until it expires", got.status)
	}
}

func TestExpiredURL(t *testing.T) {
	clock := newClock()
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
		set.Now = clock.Now
		set.TaskDuration = time.Second
		set.URLLifetime = time.Hour
	})
	id := submit(t, base, imagenBody)
	clock.Advance(time.Second)
	d := getTask(t, base, key, id)
	url := firstURL(t, d)
	if d.Result.Images[0].ExpiresAt != clock.Now().Add(time.Hour).Unix() {
		t.Errorf("expires_at = %d, want completed + 1h", d.Result.Images[0].ExpiresAt)
	}
	if got := call(t, "GET", url, "", ""); got.status != 200 {
		t.Fatalf("fresh URL: %d %s", got.status, got.body)
	}
	clock.Advance(time.Hour + time.Second)
	got := call(t, "GET", url, "", "")
	if got.status != 403 || !strings.Contains(fmt.Sprint(got.errorObject(t)["message"]), "expired") {
		t.Errorf("expired URL: %d %s", got.status, got.body)
	}
	// Expiry is the server's own record of the file: a query that claims otherwise changes nothing.
	forged := fmt.Sprintf("%s?expires=%d", url, clock.Now().Add(time.Hour).Unix())
	if got := call(t, "GET", forged, "", ""); got.status != 403 {
		t.Errorf("expired URL with a forged expiry: %d, want 403", got.status)
	}
	if n := fake.Counters().ImageDownloads; n != 1 {
		t.Errorf("ImageDownloads = %d, want 1 (the refused one does not count)", n)
	}
	if got := call(t, "GET", fakeapimart.ResultURL(base, id, 1), "", ""); got.status != 404 {
		t.Errorf("index past n: %d", got.status)
	}
}

func TestPendingTaskHasNoFile(t *testing.T) {
	clock := newClock()
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.Now = clock.Now })
	id := submit(t, base, imagenBody)
	if got := call(t, "GET", fakeapimart.ResultURL(base, id, 0), "", ""); got.status != 404 {
		t.Errorf("file of a pending task: %d, want 404", got.status)
	}
	if fake.Counters().ImageDownloads != 0 {
		t.Error("a refused download was counted")
	}
}

func TestPNGIsDeterministicPerPrompt(t *testing.T) {
	first, err := fakeapimart.RenderPNG("a red fox", 64, 48, 0)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := fakeapimart.RenderPNG("a red fox", 64, 48, 0)
	other, _ := fakeapimart.RenderPNG("a blue whale", 64, 48, 0)
	second, _ := fakeapimart.RenderPNG("a red fox", 64, 48, 1)
	if !bytes.Equal(first, again) {
		t.Error("the same prompt gave different bytes")
	}
	if bytes.Equal(first, other) || bytes.Equal(first, second) {
		t.Error("different prompts or indexes gave the same image")
	}
}

func TestImageDimensionsFollowTheRatio(t *testing.T) {
	for _, tt := range []struct {
		size string
		w, h int
	}{{"1:1", 64, 64}, {"16:9", 64, 36}, {"9:16", 36, 64}, {"4:3", 64, 48}, {"3:4", 48, 64}, {"3:2", 64, 43}, {"auto", 64, 64}} {
		w, h := fakeapimart.Dimensions(fakeapimart.TaskRecord{Size: tt.size}, fakeapimart.DefaultImageScale)
		data, err := fakeapimart.RenderPNG("p", w, h, 0)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", tt.size, err)
		}
		if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
			t.Errorf("%s: %dx%d, want %dx%d", tt.size, b.Dx(), b.Dy(), tt.w, tt.h)
		}
	}
}

func TestDownloadIsDeterministicAcrossTasks(t *testing.T) {
	_, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	download := func(body string) []byte {
		return call(t, "GET", firstURL(t, getTask(t, base, key, submit(t, base, body))), "", "").body
	}
	a, b := download(imagenBody), download(imagenBody)
	c := download(`{"model":"imagen-4.0-apimart","prompt":"something else"}`)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Error("downloads are not a function of the prompt")
	}
}

func TestTaskIDForm(t *testing.T) {
	_, base := fakeapimart.Start(t)
	form := regexp.MustCompile(`^task_01[0-9A-HJKMNP-TV-Z]{24}$`)
	seen := map[string]bool{}
	for range 20 {
		id := submit(t, base, imagenBody)
		if !form.MatchString(id) || seen[id] {
			t.Fatalf("id %q is malformed or repeated", id)
		}
		seen[id] = true
	}
}

func TestTaskReadTimes(t *testing.T) {
	clock := newClock()
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.Now = clock.Now })
	id := submit(t, base, imagenBody)
	var want []time.Time
	for range 3 {
		want = append(want, clock.Now())
		getTask(t, base, key, id)
		clock.Advance(1500 * time.Millisecond)
	}
	got := fake.TaskReadTimes(id)
	if len(got) != len(want) {
		t.Fatalf("read times = %v, want %v", got, want)
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			t.Errorf("read %d at %v, want %v", i, got[i], want[i])
		}
	}
	if fake.Counters().TaskReads != 3 {
		t.Errorf("TaskReads = %d, want 3", fake.Counters().TaskReads)
	}
}

func TestSeedTask(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
		set.Keys = []string{"sk-a"}
		set.TaskDuration = 0
	})
	rec := fake.SeedTask("sk-a", "imagen-4.0-apimart", "seeded", "21:9", 1)
	if rec.Size != "16:9" || rec.RequestedSize != "21:9" || fake.Counters().TasksCreated != 1 || fake.Counters().Submits != 0 {
		t.Fatalf("seed = %+v, counters %+v", rec, fake.Counters())
	}
	if d := getTask(t, base, "sk-a", rec.ID); d.Status != "completed" || len(d.Result.Images) != 1 {
		t.Errorf("seeded task = %+v", d)
	}
}

func TestIdempotency(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.Keys = []string{"sk-a", "sk-b"} })
	post := func(apiKey, idem string) answer {
		return call(t, "POST", base+"/v1/images/generations", apiKey, imagenBody, "Idempotency-Key", idem)
	}
	first := post("sk-a", "idem-1")
	replay := post("sk-a", "idem-1")
	if taskIDOf(t, first) != taskIDOf(t, replay) {
		t.Errorf("replay gave a new task")
	}
	if first.header.Get("Idempotency-Replayed") != "" || replay.header.Get("Idempotency-Replayed") != "true" {
		t.Errorf("Idempotency-Replayed headers: first %q, replay %q", first.header.Get("Idempotency-Replayed"), replay.header.Get("Idempotency-Replayed"))
	}
	if other := post("sk-b", "idem-1"); taskIDOf(t, other) == taskIDOf(t, first) {
		t.Error("the same key from another owner replayed someone else's task")
	}
	if c := fake.Counters(); c.TasksCreated != 2 || c.IdempotentReplays != 1 || c.Submits != 3 {
		t.Errorf("counters = %+v, want 2 created, 1 replay, 3 submits", c)
	}
	if rec := fake.Tasks()[0]; rec.IdempotencyKey != "idem-1" {
		t.Errorf("record key = %q", rec.IdempotencyKey)
	}

	fake.Configure(func(set *fakeapimart.Settings) { set.Idempotency = false })
	if taskIDOf(t, post("sk-a", "idem-1")) == taskIDOf(t, first) {
		t.Error("replayed with idempotency off")
	}
	if bad := post("sk-a", strings.Repeat("k", 192)); bad.status != 400 {
		t.Errorf("overlong key: %d", bad.status)
	}
}

func TestConcurrentSubmitsAndReads(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	const workers = 16
	ids := make([]string, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			a, err := tryCall(http.DefaultClient, "POST", base+"/v1/images/generations", key,
				fmt.Sprintf(`{"model":"imagen-4.0-apimart","prompt":"p%d"}`, i))
			if err != nil || a.status != 200 {
				t.Errorf("submit %d: %v %d", i, err, a.status)
				return
			}
			ids[i] = taskIDOf(t, a)
			if r, err := tryCall(http.DefaultClient, "GET", base+"/v1/tasks/"+ids[i], key, ""); err != nil || r.status != 200 {
				t.Errorf("read %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if c := fake.Counters(); c.TasksCreated != workers || c.TaskReads != workers || len(fake.Tasks()) != workers {
		t.Errorf("counters = %+v, tasks = %d", c, len(fake.Tasks()))
	}
}

func TestUnknownRoute(t *testing.T) {
	_, base := fakeapimart.Start(t)
	a := call(t, "GET", base+"/v1/nothing", key, "")
	if a.status != 404 || a.errorObject(t)["type"] != "not_found_error" {
		t.Errorf("unknown route: %d %s", a.status, a.body)
	}
}
