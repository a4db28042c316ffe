package fakeapimart

import (
	"net/http"
	"slices"
	"strings"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// catalogCreated is the "created" time the model list gives every model: the API's list
// carries one, and clients must not depend on its value.
const catalogCreated = 1_735_689_600 // 2025-01-01

// handleModels lists every id of the catalog, aliases included, in the OpenAI list shape that
// the API answers.
func handleModels(w http.ResponseWriter, _ *http.Request, _ call) {
	data := []map[string]any{}
	for _, m := range apimart.Models() {
		for _, id := range m.IDs() {
			data = append(data, map[string]any{"id": id, "object": "model", "created": catalogCreated, "owned_by": "apimart"})
		}
	}
	writeOK(w, map[string]any{"object": "list", "data": data})
}

// The checks below answer a submit the way the reference says each model does, reading the
// model's limits from the client's catalog.

// checkReferences applies the model's reference rules. A text-only model either refuses the
// submit (imagen) or accepts it and fails the task upstream (z-image-turbo).
func checkReferences(m apimart.Model, body submitBody, req *newTask) *requestError {
	count := len(body.ImageURLs)
	if present(body.Image) {
		count = max(count, 1)
	}
	r := m.References
	switch {
	case count > 0 && !r.Accepted():
		if message, ok := refsRejectedAtSubmit[m.ID]; ok {
			return badRequest("%s", message)
		}
		forced := TaskOutcome{Status: apimart.StatusFailed, Error: &upstreamRefsError}
		req.forced = &forced
	case count > r.Max:
		return badRequest("model %s accepts at most %d reference images, got %d", m.ID, r.Max, count)
	case count < r.Min:
		return badRequest("model %s needs at least %d reference image", m.ID, r.Min)
	case r.URLOnly && slices.ContainsFunc(body.ImageURLs, isDataURI):
		return badRequest("model %s accepts public image URLs only; base64 data URIs are not supported", m.ID)
	case count > 0 && m.MaxReferencesAndImages > 0 && int64(count)+req.N > int64(m.MaxReferencesAndImages):
		return badRequest("reference images plus generated images must not exceed %d", m.MaxReferencesAndImages)
	}
	req.references = count
	return nil
}

func isDataURI(u string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(u)), "data:")
}

// checkSize refuses a size the model does not take, except where the API silently replaces it.
func checkSize(m apimart.Model, req *newTask) *requestError {
	size := req.RequestedSize
	accepted := size == "" || slices.Contains(m.Sizes, size) || (m.PixelSizes && apimart.IsPixelSize(size))
	if !accepted && !m.SilentSizeFallback {
		return badRequest("size %q is not supported by model %s; supported sizes: %s", size, m.ID, strings.Join(m.Sizes, ", "))
	}
	if req.references == 0 && slices.Contains(m.SizesNeedingReferences, size) {
		return badRequest("size %q of model %s needs at least one reference image", size, m.ID)
	}
	req.Size = effectiveSize(m, size)
	return nil
}

// checkResolution takes a tier in the model's own spelling. Flux-2 reads any case and fails the
// task for a tier it does not know; Gemini 3.1 Flash Lite silently makes 1K; others answer 400.
func checkResolution(m apimart.Model, req *newTask) *requestError {
	tier := req.RequestedResolution
	switch {
	case tier == "":
		req.Resolution = m.DefaultResolution
	case slices.Contains(m.Resolutions, tier):
		req.Resolution = tier
	case m.ResolutionsIgnoreCase:
		if spelled, ok := m.Resolution(tier); ok {
			req.Resolution = spelled
			return nil
		}
		forced := TaskOutcome{Status: apimart.StatusFailed, Error: &TaskError{Code: 400, Message: "unsupported resolution " + tier, Type: "upstream_error"}}
		req.forced = &forced
	case m.SilentResolutionFallback:
		req.Resolution = m.DefaultResolution
	case len(m.Resolutions) == 0:
		// The field is unknown to the model, and the API ignores unknown fields.
	default:
		return badRequest("resolution %q is not supported by model %s; supported: %s", tier, m.ID, strings.Join(m.Resolutions, ", "))
	}
	return nil
}

// checkOptionalFields refuses documented fields with values outside their documented lists.
// Fields the model does not take are ignored, as the API ignores unknown keys.
func checkOptionalFields(m apimart.Model, body submitBody) *requestError {
	sent := map[string]*string{
		apimart.FieldNegativePrompt: body.NegativePrompt,
		apimart.FieldQuality:        body.Quality,
		apimart.FieldBackground:     body.Background,
		apimart.FieldOutputFormat:   body.OutputFormat,
	}
	for _, f := range m.Fields {
		value := sent[f.Name]
		if value == nil {
			continue
		}
		if len(f.Values) > 0 && !slices.Contains(f.Values, *value) {
			return badRequest("%s %q is not supported by model %s; supported: %s", f.Name, *value, m.ID, strings.Join(f.Values, ", "))
		}
		if f.MaxLength > 0 && len([]rune(*value)) > f.MaxLength {
			return badRequest("%s is too long: model %s accepts at most %d characters", f.Name, m.ID, f.MaxLength)
		}
	}
	return nil
}
