package apimart

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// submitBody is the JSON of POST /v1/images/generations. Empty values are left out so that the
// model's defaults apply. The size goes into whichever field the model reads it from.
type submitBody struct {
	Model          string   `json:"model"`
	Prompt         string   `json:"prompt"`
	Size           string   `json:"size,omitempty"`
	AspectRatio    string   `json:"aspect_ratio,omitempty"`
	N              int64    `json:"n,omitempty"`
	Resolution     string   `json:"resolution,omitempty"`
	NegativePrompt string   `json:"negative_prompt,omitempty"`
	Quality        string   `json:"quality,omitempty"`
	Background     string   `json:"background,omitempty"`
	OutputFormat   string   `json:"output_format,omitempty"`
	ImageURLs      []string `json:"image_urls,omitempty"`
}

// encodeSubmit renders a request as the API expects it: a catalog model gets its own spelling
// of the tier and its own size field, and a model outside the catalog is sent as written.
// Parameters join the body with their JSON types; a field set by the request wins.
func encodeSubmit(req GenerationRequest) ([]byte, error) {
	body := submitBody{
		Model: req.Model, Prompt: req.Prompt, Size: req.Size, N: req.N, Resolution: req.Resolution,
		NegativePrompt: req.NegativePrompt, Quality: req.Quality, Background: req.Background,
		OutputFormat: req.OutputFormat, ImageURLs: req.ImageURLs,
	}
	if m, ok := LookupModel(req.Model); ok {
		if tier, ok := m.Resolution(req.Resolution); ok {
			body.Resolution = tier
		}
		if m.SizeFieldName() == FieldAspectRatio {
			body.Size, body.AspectRatio = "", req.Size
		}
	}
	encoded, err := json.Marshal(body)
	if err != nil || len(req.Parameters) == 0 {
		return encoded, err
	}
	merged := make(map[string]any, len(req.Parameters)+4)
	for k, v := range req.Parameters {
		merged[k] = v
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(encoded, &fields); err != nil {
		return nil, err
	}
	for k, v := range fields {
		merged[k] = v
	}
	return json.Marshal(merged)
}

// Submit starts a paid generation task and returns its id.
//
// It retries only when the server certainly created nothing (408, 429, 503, or no connection).
// When the request may have reached the server and no task id came back, it returns an
// *AmbiguousSubmitError: a task may exist and may be charged. Every call sends a fresh
// Idempotency-Key, reused by its retries.
func (c *Client) Submit(ctx context.Context, req GenerationRequest) (*Submission, error) {
	sub, err := c.submit(ctx, req)
	if sub != nil {
		sub.TaskID, sub.Status = c.redact(sub.TaskID), c.redact(sub.Status)
	}
	return sub, err
}

func (c *Client) submit(ctx context.Context, req GenerationRequest) (*Submission, error) {
	body, err := encodeSubmit(req)
	if err != nil {
		return nil, fmt.Errorf("encoding the submit request: %w", err)
	}
	key, err := newIdempotencyKey()
	if err != nil {
		return nil, err
	}
	sub, header, err := create(ctx, c, request{
		kind: kindSubmit, method: http.MethodPost, url: c.endpoint("v1", "images", "generations"),
		header: http.Header{"Idempotency-Key": {key}, "Content-Type": {"application/json"}}, body: jsonBody(body),
	}, decodeSubmit, "submit not sent, so no task was created",
		func(err error) error { return &AmbiguousSubmitError{IdempotencyKey: key, Err: err} })
	if err != nil {
		return nil, err
	}
	sub.IdempotencyKey = key
	sub.Replayed = strings.EqualFold(strings.TrimSpace(header.Get("Idempotency-Replayed")), "true")
	return sub, nil
}

// newIdempotencyKey returns 32 random hex characters. It is never derived from the request, so
// two identical images are two tasks.
func newIdempotencyKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating an Idempotency-Key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
