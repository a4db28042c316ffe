package fakeapimart_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// Every id and alias of the catalog is served, and its defaults apply.
func TestEveryCatalogModelIsServed(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	var ids []string
	for _, m := range apimart.Models() {
		ids = append(ids, m.IDs()...)
	}
	for _, id := range ids {
		submit(t, base, fmt.Sprintf(`{"model":%q,"prompt":"p"}`, id))
	}
	for i, rec := range fake.Tasks() {
		m, _ := apimart.LookupModel(ids[i])
		if rec.Model != ids[i] || rec.Size != m.DefaultSize || rec.Resolution != m.DefaultResolution || rec.N != 1 {
			t.Errorf("%s: task %+v, want size %q resolution %q", ids[i], rec, m.DefaultSize, m.DefaultResolution)
		}
	}
}

// GET /v1/models answers every id of the catalog, aliases included, in the OpenAI list shape,
// and like every /v1 route it needs the key.
func TestModelListNamesEveryCatalogID(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			OwnedBy string `json:"owned_by"`
		} `json:"data"`
	}
	a := call(t, "GET", base+"/v1/models", key, "")
	if err := json.Unmarshal(a.body, &list); a.status != 200 || err != nil || list.Object != "list" {
		t.Fatalf("GET /v1/models = %d %s (%v), want 200 and a list object", a.status, a.body, err)
	}
	var want, got []string
	for _, m := range apimart.Models() {
		want = append(want, m.IDs()...)
	}
	for _, m := range list.Data {
		got = append(got, m.ID)
		if m.Object != "model" || m.Created <= 0 || m.OwnedBy == "" {
			t.Errorf("entry %+v: want object \"model\", a created time and an owner", m)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("ids = %v\nwant every catalog id %v", got, want)
	}
	if a := call(t, "GET", base+"/v1/models", "", ""); a.status != 401 {
		t.Errorf("without a key: %d, want 401", a.status)
	}
	if c := fake.Counters(); c.Requests != 2 || c.Unauthorized != 1 {
		t.Errorf("counters = %+v, want 2 requests, 1 unauthorized", c)
	}
}

func TestModelRules(t *testing.T) {
	dataURI := "data:image/png;base64,iVBORw0KGgo="
	tests := []struct {
		name        string
		body        string
		wantMessage string // empty for a 200
	}{
		{"qwen refuses a data URI", `{"model":"qwen-image-2.0","prompt":"p","image_urls":["` + dataURI + `"]}`, "public image URLs only"},
		{"kontext takes one reference", `{"model":"flux-kontext-pro","prompt":"p","image_urls":["https://x/a.png","https://x/b.png"]}`, "at most 1"},
		{"kontext refuses a data URI", `{"model":"flux-kontext-max","prompt":"p","image_urls":["` + dataURI + `"]}`, "public image URLs only"},
		{"kontext edits a URL", `{"model":"flux-kontext-pro","prompt":"p","image_urls":["https://x/a.png"],"size":"match_input_image"}`, ""},
		{"gemini takes a data URI", `{"model":"gemini-3-pro-image-preview","prompt":"p","image_urls":["` + dataURI + `"]}`, ""},
		{"gpt-4o takes five references", `{"model":"gpt-4o-image","prompt":"p","image_urls":["a","b","c","d","e","f"]}`, "at most 5"},
		{"seedream auto needs references", `{"model":"seedream-4-5","prompt":"p","size":"auto"}`, "needs at least one reference"},
		{"seedream auto with a reference", `{"model":"seedream-4-5","prompt":"p","size":"auto","image_urls":["https://x/a.png"]}`, ""},
		{"seedream references plus images", `{"model":"doubao-seedream-4-5","prompt":"p","n":15,"image_urls":["https://x/a.png"]}`, "must not exceed 15"},
		{"seedream 4.5 has no 1K", `{"model":"seedream-4-5","prompt":"p","resolution":"1K"}`, `"1K"`},
		{"seedream 5 pro refuses 4K", `{"model":"seedream-5-0-pro","prompt":"p","resolution":"4K"}`, `"4K"`},
		{"tier spelling is the model's", `{"model":"gpt-image-2","prompt":"p","resolution":"2K"}`, `"2K"`},
		{"gpt-image-2 takes WxH", `{"model":"gpt-image-2","prompt":"p","size":"1881x836","resolution":"2k"}`, ""},
		{"gpt-image-1 background values", `{"model":"gpt-image-1","prompt":"p","background":"clear"}`, `background "clear"`},
		{"qwen negative prompt limit", `{"model":"qwen-image-2.0","prompt":"p","negative_prompt":"` + strings.Repeat("n", 501) + `"}`, "too long"},
		{"grok ignores size", `{"model":"grok-imagine-image","prompt":"p","size":"nonsense"}`, ""},
		{"grok reads aspect_ratio", `{"model":"grok-imagine-image","prompt":"p","aspect_ratio":"7:1"}`, `"7:1"`},
	}
	_, base := fakeapimart.Start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, "POST", base+"/v1/images/generations", key, tt.body)
			if tt.wantMessage == "" {
				if a.status != 200 {
					t.Fatalf("status %d, want 200: %s", a.status, a.body)
				}
				return
			}
			if a.status != 400 || !strings.Contains(fmt.Sprint(a.errorObject(t)["message"]), tt.wantMessage) {
				t.Errorf("answer %d %s, want 400 with %q", a.status, a.body, tt.wantMessage)
			}
		})
	}
}

// What the API silently changes, the fake changes too.
func TestSilentChanges(t *testing.T) {
	fake, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	submit(t, base, `{"model":"gemini-3.1-flash-lite-image","prompt":"p","resolution":"4K"}`)
	submit(t, base, `{"model":"gpt-image-1","prompt":"p","n":9}`)
	submit(t, base, `{"model":"grok-imagine-image-quality","prompt":"p","aspect_ratio":"16:9","resolution":"2k"}`)
	id := submit(t, base, `{"model":"flux-2-pro","prompt":"p","resolution":"5MP"}`)
	recs := fake.Tasks()
	if recs[0].RequestedResolution != "4K" || recs[0].Resolution != "1K" {
		t.Errorf("flash lite: %+v, want 4K made 1K", recs[0])
	}
	if recs[1].N != 4 {
		t.Errorf("gpt-image-1 n = %d, want clamped to 4", recs[1].N)
	}
	if recs[2].RequestedSize != "16:9" || recs[2].Resolution != "2k" {
		t.Errorf("grok: %+v, want the ratio read from aspect_ratio", recs[2])
	}
	if d := getTask(t, base, key, id); d.Status != "failed" || d.Error == nil || !strings.Contains(d.Error.Message, "5MP") {
		t.Errorf("flux-2 with an unknown tier: %+v, want a failed task", d)
	}
}

// Results have the model's real pixel size, scaled.
func TestResultsHaveTheRealPixelSize(t *testing.T) {
	tests := []struct {
		body          string
		scale         float64
		width, height int
	}{
		{`{"model":"qwen-image-2.0","prompt":"p","size":"1:1","resolution":"1K"}`, 1, 1024, 1024},
		{`{"model":"qwen-image-2.0","prompt":"p","size":"16:9","resolution":"2K"}`, 0.5, 1024, 576},
		{`{"model":"gpt-image-2","prompt":"p","size":"1:1","resolution":"2k"}`, 1.0 / 16, 128, 128},
		{`{"model":"gpt-image-2","prompt":"p","size":"1:1","resolution":"4k"}`, 1.0 / 16, 180, 180},
		{`{"model":"gpt-image-2","prompt":"p","size":"1881x836"}`, 1.0 / 16, 118, 52},
		{`{"model":"gemini-3-pro-image-preview","prompt":"p","size":"16:9","resolution":"4K"}`, 1.0 / 16, 256, 144},
		{`{"model":"imagen-4.0-apimart","prompt":"p"}`, 1.0 / 16, 64, 36},
	}
	for _, tt := range tests {
		_, base := fakeapimart.Start(t, func(set *fakeapimart.Settings) {
			set.TaskDuration = 0
			set.ImageScale = tt.scale
		})
		a := call(t, "GET", firstURL(t, getTask(t, base, key, submit(t, base, tt.body))), "", "")
		img, err := png.Decode(bytes.NewReader(a.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.body, err)
		}
		if b := img.Bounds(); b.Dx() != tt.width || b.Dy() != tt.height {
			t.Errorf("%s at scale %g: %dx%d, want %dx%d", tt.body, tt.scale, b.Dx(), b.Dy(), tt.width, tt.height)
		}
	}
}

func TestTaskRecordKeepsTheSubmitBody(t *testing.T) {
	fake, base := fakeapimart.Start(t)
	body := `{"model":"qwen-image-2.0","prompt":"p","seed":42,"watermark":false}`
	submit(t, base, body)
	if got := string(fake.Tasks()[0].Body); got != body {
		t.Errorf("Body = %s, want %s", got, body)
	}
}
