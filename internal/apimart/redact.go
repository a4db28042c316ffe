package apimart

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
)

// A server might echo the Authorization header back into an answer, raw or JSON-escaped. The
// key is blanked in the raw body, which covers quoted snippets, and again in every decoded text
// that can reach an error message.

const redacted = "[REDACTED]"

// readResponse reads a body under the size cap, with the key blanked.
func (c *Client) readResponse(resp *http.Response) ([]byte, error) {
	body, err := readBody(resp.Body, maxBodyBytes)
	return bytes.ReplaceAll(body, []byte(c.apiKey), []byte(redacted)), err
}

func (c *Client) redact(s string) string {
	return strings.ReplaceAll(s, c.apiKey, redacted)
}

// redactAPIError blanks the key in the decoded texts of an API error.
func (c *Client) redactAPIError(e *APIError) *APIError {
	for _, text := range []*string{&e.Code, &e.Message, &e.Type, &e.Snippet} {
		*text = c.redact(*text)
	}
	return e
}

// redactErr does the same for the API error that err may carry. Call it before err is wrapped:
// a wrapping error fixes its text when it is made.
func (c *Client) redactErr(err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		_ = c.redactAPIError(apiErr) // in place
	}
	return err
}

// redactTask blanks the key in the decoded texts of a task that error messages quote.
func (c *Client) redactTask(t *Task) {
	if t == nil {
		return
	}
	t.ID, t.Status = c.redact(t.ID), c.redact(t.Status)
	if e := t.Error; e != nil {
		e.Code, e.Message, e.Type = c.redact(e.Code), c.redact(e.Message), c.redact(e.Type)
	}
}
