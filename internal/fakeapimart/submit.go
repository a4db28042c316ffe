package fakeapimart

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// maxSubmitBody bounds a submit body; the API takes URLs, not image bytes, so 1 MiB is plenty.
const maxSubmitBody = 1 << 20

// refsRejectedAtSubmit lists text-only models that refuse reference images with a 400, and the
// documented message. Other text-only models accept the submit and the upstream then fails the
// task (doc §4.2).
var refsRejectedAtSubmit = map[string]string{
	"imagen-4.0-apimart": "google_imagen4 currently supports text-to-image only",
}

// upstreamRefsError is how such a task fails (observed on z-image-turbo).
var upstreamRefsError = TaskError{Code: 400, Message: "Field 'text' is required in content item.", Type: "upstream_error"}

// SubmitFault makes the next N submits with a valid body fail.
type SubmitFault struct {
	N int `json:"n"`
	// Status is the HTTP status answered, e.g. 429, 408, 503 (no task) or 500, 502, 504; 0 means 500.
	Status int `json:"status"`
	// RetryAfter, when > 0, is sent as Retry-After in whole seconds, rounded up.
	RetryAfter time.Duration `json:"retry_after"`
	// CreateTask creates (and charges) the task before answering the error: an ambiguous failure.
	CreateTask bool `json:"create_task"`
	// Reset creates the task, then closes the connection without any response.
	Reset bool `json:"reset"`
}

// submitBody is the part of the request the fake reads; other fields are ignored, as the API does.
type submitBody struct {
	Model          string          `json:"model"`
	Prompt         string          `json:"prompt"`
	Size           string          `json:"size"`
	AspectRatio    string          `json:"aspect_ratio"`
	N              int64           `json:"n"`
	Resolution     string          `json:"resolution"`
	NegativePrompt *string         `json:"negative_prompt"`
	Quality        *string         `json:"quality"`
	Background     *string         `json:"background"`
	OutputFormat   *string         `json:"output_format"`
	Image          json.RawMessage `json:"image"`
	ImageURLs      []string        `json:"image_urls"`
}

// requestError is a 400-class answer to a submit.
type requestError struct {
	status  int
	message string
}

func badRequest(format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...)}
}

// readProblem answers a body that could not be read: 413 with tooLarge when it went over its
// limit, else 400.
func readProblem(err error, tooLarge string) *requestError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &requestError{status: http.StatusRequestEntityTooLarge, message: tooLarge}
	}
	return badRequest("could not read the request body: %v", err)
}

func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request, c call) {
	s.count(&s.counts.Submits)
	req, rerr := parseSubmit(w, r)
	if rerr != nil {
		writeError(w, rerr.status, rerr.message)
		return
	}
	req.Owner = c.owner
	if unknown, ok := s.unknownUploadURL(requestOrigin(r), req.ImageURLs); ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("image_urls: %s cannot be fetched: no such uploaded file", unknown))
		return
	}
	req.IdempotencyKey = r.Header.Get("Idempotency-Key")
	if req.IdempotencyKey != "" && !validIdempotencyKey(req.IdempotencyKey) {
		writeError(w, http.StatusBadRequest, "Idempotency-Key must be 1 to 191 visible ASCII characters")
		return
	}

	s.mu.Lock()
	fault, faulted := take(s, &s.set.FailNextSubmits, &s.set.FailNextSubmits.N)
	s.mu.Unlock()
	if faulted && !fault.CreateTask && !fault.Reset {
		s.serveFault(w, s.faultStatus(fault.Status, http.StatusInternalServerError), fault.RetryAfter)
		return
	}
	t, replayed, shape := s.createOrReplay(req)
	switch {
	case faulted && fault.Reset:
		abortConnection(w)
	case faulted:
		s.serveFault(w, s.faultStatus(fault.Status, http.StatusInternalServerError), fault.RetryAfter)
	default:
		if replayed {
			w.Header().Set("Idempotency-Replayed", "true")
		}
		writeOK(w, submitResponse(shape, t))
	}
}

// createOrReplay returns a copy of the task for the request: the one already created under the
// same Idempotency-Key by the same owner, or a new one. It also returns the submit shape, read
// under the same lock.
func (s *Server) createOrReplay(req newTask) (task, bool, Shape) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := replayKey{owner: req.Owner, key: req.IdempotencyKey}
	useKey := s.set.Idempotency && req.IdempotencyKey != ""
	if t, ok := s.replays[key]; useKey && ok {
		s.count(&s.counts.IdempotentReplays)
		return *t, true, s.set.SubmitShape
	}
	t := s.createTask(req)
	if useKey {
		s.replays[key] = t
	}
	return *t, false, s.set.SubmitShape
}

// parseSubmit decodes and checks a submit body the way the API does, and applies its defaults.
func parseSubmit(w http.ResponseWriter, r *http.Request) (newTask, *requestError) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSubmitBody))
	if err != nil {
		return newTask{}, readProblem(err, "request body is too large")
	}
	body := submitBody{N: 1}
	if err := json.Unmarshal(raw, &body); err != nil {
		return newTask{}, decodeProblem(err)
	}
	if body.Model == "" {
		return newTask{}, badRequest("model is required")
	}
	if body.Prompt == "" {
		return newTask{}, badRequest("prompt is required")
	}
	m, ok := apimart.LookupModel(body.Model)
	if !ok {
		return newTask{}, badRequest("model %q is not supported", body.Model)
	}
	// A model that reads the ratio from aspect_ratio ignores size, as it ignores any unknown key.
	size := body.Size
	if m.SizeFieldName() == apimart.FieldAspectRatio {
		size = body.AspectRatio
	}
	req := newTask{TaskRecord: TaskRecord{Model: body.Model, Prompt: body.Prompt, RequestedSize: size, N: body.N,
		RequestedResolution: body.Resolution, ImageURLs: body.ImageURLs, Body: raw}}
	if rerr := checkReferences(m, body, &req); rerr != nil {
		return newTask{}, rerr
	}
	if rerr := checkSize(m, &req); rerr != nil {
		return newTask{}, rerr
	}
	if rerr := checkResolution(m, &req); rerr != nil {
		return newTask{}, rerr
	}
	if rerr := checkOptionalFields(m, body); rerr != nil {
		return newTask{}, rerr
	}
	if m.SilentCountClamp {
		req.N = min(max(req.N, m.Counts[0]), m.Counts[len(m.Counts)-1])
	}
	if !slices.Contains(m.Counts, req.N) {
		return newTask{}, badRequest("n=%d is not supported by model %s; allowed: %s", req.N, m.ID, m.CountsText())
	}
	if limit := m.MaxPromptLength; limit > 0 && utf8.RuneCountInString(req.Prompt) > limit {
		return newTask{}, badRequest("prompt is too long: %d characters, model %s accepts at most %d",
			utf8.RuneCountInString(req.Prompt), m.ID, limit)
	}
	return req, nil
}

// present reports whether an optional JSON value was sent with some content.
func present(raw json.RawMessage) bool {
	return !slices.Contains([]string{"", "null", "[]", `""`}, string(bytes.TrimSpace(raw)))
}

func decodeProblem(err error) *requestError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return badRequest("the request body must be a JSON object")
		}
		want := map[reflect.Kind]string{reflect.Int64: "JSON number (an integer, not quoted)", reflect.String: "JSON string"}[typeErr.Type.Kind()]
		want = cmp.Or(want, typeErr.Type.String())
		return badRequest("invalid value for field %q: expected a %s, got a JSON %s", typeErr.Field, want, typeErr.Value)
	}
	return badRequest("the request body is not valid JSON: %v", err)
}

// validIdempotencyKey follows the documented client rule: 1 to 191 visible ASCII characters.
func validIdempotencyKey(key string) bool {
	return len(key) <= 191 && !strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r > '~' })
}

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
