package apimart

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestSubmitBodyCarriesEachFieldWithItsType(t *testing.T) {
	tests := []struct {
		name string
		req  GenerationRequest
		want string
	}{
		{"defaults left out", GenerationRequest{Model: DefaultModel, Prompt: "p"}, `{"model":"imagen-4.0-apimart","prompt":"p"}`},
		{"tier in the model's spelling", GenerationRequest{Model: "gpt-image-2", Prompt: "p", Size: "1:1", N: 1, Resolution: "2K"},
			`{"model":"gpt-image-2","prompt":"p","size":"1:1","n":1,"resolution":"2k"}`},
		{"grok reads the ratio from aspect_ratio", GenerationRequest{Model: "grok-imagine-image", Prompt: "p", Size: "16:9", Resolution: "1K"},
			`{"model":"grok-imagine-image","prompt":"p","aspect_ratio":"16:9","resolution":"1k"}`},
		{"unlisted model sent as written", GenerationRequest{Model: "brand-new", Prompt: "p", Size: "7:3", Resolution: "8K"},
			`{"model":"brand-new","prompt":"p","size":"7:3","resolution":"8K"}`},
		{"typed fields", GenerationRequest{Model: "gpt-image-1", Prompt: "p", Arguments: map[string]string{
			FieldQuality: "high", FieldBackground: "transparent", FieldOutputFormat: "png", FieldNegativePrompt: "fog"}},
			`{"model":"gpt-image-1","prompt":"p","negative_prompt":"fog","quality":"high","background":"transparent","output_format":"png"}`},
		{"parameters keep their JSON types and never replace a field", GenerationRequest{Model: "qwen-image-2.0", Prompt: "p",
			Parameters: map[string]any{"seed": json.Number("42"), "watermark": false, "prompt": "other", "options": map[string]any{"max_images": json.Number("3")}}},
			`{"model":"qwen-image-2.0","options":{"max_images":3},"prompt":"p","seed":42,"watermark":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeSubmit(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, got, []byte(tt.want)) {
				t.Errorf("body = %s\nwant   %s", got, tt.want)
			}
		})
	}
}

// sameJSON compares two bodies by their values and JSON types; the order of keys means nothing
// to the API.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	decode := func(raw []byte) any {
		var v any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return v
	}
	return reflect.DeepEqual(decode(a), decode(b))
}
