package apimart

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// APIError is an error answer of the API: an HTTP status other than 2xx, or a 200 whose body
// says it failed ({"success":false,...}).
type APIError struct {
	StatusCode int
	Code       string
	Message    string
	Type       string
	// Snippet holds the first bytes of a body that was not the documented error JSON.
	Snippet string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "APIMart API answered HTTP %d", e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		fmt.Fprintf(&b, " (%s)", text)
	}
	switch {
	case e.Message != "":
		fmt.Fprintf(&b, ": %s", e.Message)
	case e.Snippet != "":
		fmt.Fprintf(&b, " with a body that is not the documented error JSON: %s", e.Snippet)
	}
	if e.Type != "" {
		fmt.Fprintf(&b, " [type %s]", e.Type)
	}
	return b.String()
}

func statusOf(err error) int {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

// IsNotFound reports a 404: the task is unknown or has passed the server's retention.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsUnauthorized reports a 401: the key is missing, unknown or revoked.
func IsUnauthorized(err error) bool { return statusOf(err) == http.StatusUnauthorized }

// IsForbidden reports a 403: for a task, it belongs to another key.
func IsForbidden(err error) bool { return statusOf(err) == http.StatusForbidden }

// IsRateLimited reports a 429 that outlasted the retries.
func IsRateLimited(err error) bool { return statusOf(err) == http.StatusTooManyRequests }

// AmbiguousSubmitError is returned when a submit failed after the request may have reached the
// server. A task may exist and may be charged, so the client never retries it.
type AmbiguousSubmitError struct {
	IdempotencyKey string
	Err            error
}

func (e *AmbiguousSubmitError) Error() string {
	return fmt.Sprintf("the submit request failed after it may have reached the server, so a task may have been created and charged; it was not retried to avoid paying twice (Idempotency-Key %s): %v", e.IdempotencyKey, e.Err)
}

func (e *AmbiguousSubmitError) Unwrap() error { return e.Err }

// IsAmbiguousSubmit reports whether err means a paid task may exist although no task id is known.
func IsAmbiguousSubmit(err error) bool {
	var target *AmbiguousSubmitError
	return errors.As(err, &target)
}

// TaskFailedError is returned by WaitForTask when the task ended failed or cancelled.
type TaskFailedError struct {
	Task *Task
}

func (e *TaskFailedError) Error() string {
	msg := fmt.Sprintf("task %s ended with status %q", e.Task.ID, e.Task.Status)
	if te := e.Task.Error; te != nil && te.Message != "" {
		msg += ": " + te.Message
		if te.Code != "" {
			msg += " (code " + te.Code + ")"
		}
	}
	return msg
}

// WaitError is returned by WaitForTask when the wait stopped before the task ended: the context
// was cancelled or its deadline passed, or reading the task failed. Last is the last state seen,
// nil when no read succeeded.
type WaitError struct {
	TaskID  string
	Last    *Task
	Elapsed time.Duration
	Err     error
}

func (e *WaitError) Error() string {
	state := "no state was read yet"
	if e.Last != nil {
		state = fmt.Sprintf("last seen status %q, progress %d%%", e.Last.Status, e.Last.Progress)
	}
	return fmt.Sprintf("stopped waiting for task %s after %s (%s): %v", e.TaskID, e.Elapsed.Round(time.Second), state, e.Err)
}

func (e *WaitError) Unwrap() error { return e.Err }
