package apimart

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

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
