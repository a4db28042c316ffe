package apimart

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	ambiguous := func(err error) error { return &AmbiguousSubmitError{IdempotencyKey: key, Err: err} }

	header := http.Header{"Idempotency-Key": {key}}
	resp, err := c.send(ctx, kindSubmit, http.MethodPost, c.endpoint("v1", "images", "generations"), body, header)
	if err != nil {
		if mayHaveReachedServer(err) {
			return nil, ambiguous(err)
		}
		return nil, fmt.Errorf("submit not sent, so no task was created: %w", err)
	}
	defer resp.Body.Close()

	respBody, readErr := c.readResponse(resp)
	if !isSuccess(resp.StatusCode) {
		apiErr := c.redactAPIError(decodeError(resp.StatusCode, respBody))
		if statusMayHaveProcessed(resp.StatusCode) {
			return nil, ambiguous(apiErr)
		}
		return nil, apiErr
	}
	if readErr != nil {
		return nil, ambiguous(readErr)
	}
	sub, err := decodeSubmit(resp.StatusCode, respBody)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			return nil, c.redactAPIError(apiErr)
		}
		// The server accepted the request but its answer names no task: one may exist.
		return nil, ambiguous(err)
	}
	sub.IdempotencyKey = key
	sub.Replayed = strings.EqualFold(strings.TrimSpace(resp.Header.Get("Idempotency-Replayed")), "true")
	return sub, nil
}

// statusMayHaveProcessed reports an error status after which a task may still have been created
// (or a file stored): a server or gateway failure (500, 502, 504 and other 5xx), but not 501 or
// 503, which say the request was not processed.
func statusMayHaveProcessed(status int) bool {
	return status >= 500 && status != http.StatusNotImplemented && status != http.StatusServiceUnavailable
}

// mayHaveReachedServer tells a transport failure after which a task (or an uploaded file) may
// exist. A context that ended during a wait between attempts ends the call with a not-sent
// error, and every attempt before such a wait was one that created nothing.
func mayHaveReachedServer(err error) bool {
	if sentNothing(err) {
		return false
	}
	var urlErr *url.Error
	return errors.As(err, &urlErr)
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
