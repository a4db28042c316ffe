package apimart

import (
	"encoding/json"
	"maps"
)

// GenerationRequest is the body of POST /v1/images/generations. Empty strings and a zero N are
// left out, so that the model's defaults apply.
type GenerationRequest struct {
	Model  string
	Prompt string
	// Size is sent as "aspect_ratio" to the models that read it there.
	Size string
	N    int64
	// Resolution may be written in any case; a catalog model gets its own spelling.
	Resolution string
	// Arguments are the typed optional fields of the catalog's Arguments table, by name.
	Arguments map[string]string
	ImageURLs []string
	// Parameters are other request fields, merged into the JSON body with their JSON types.
	// They never replace a field set above.
	Parameters map[string]any
}

// encodeSubmit renders a request as the API expects it: a catalog model gets its own spelling
// of the tier and its own size field, and a model outside the catalog is sent as written.
func encodeSubmit(req GenerationRequest) ([]byte, error) {
	body := maps.Clone(req.Parameters)
	if body == nil {
		body = map[string]any{}
	}
	sizeField, resolution := FieldSize, req.Resolution
	if m, ok := LookupModel(req.Model); ok {
		sizeField = m.SizeFieldName()
		if tier, ok := m.Resolution(req.Resolution); ok {
			resolution = tier
		}
	}
	body[FieldModel], body[FieldPrompt] = req.Model, req.Prompt
	fields := map[string]string{sizeField: req.Size, FieldResolution: resolution}
	maps.Copy(fields, req.Arguments)
	for name, value := range fields {
		if value != "" {
			body[name] = value
		}
	}
	if req.N != 0 {
		body[FieldN] = req.N
	}
	if len(req.ImageURLs) > 0 {
		body[FieldImageURLs] = req.ImageURLs
	}
	return json.Marshal(body)
}
