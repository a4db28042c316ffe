package apimart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// requestKind selects the retry rule of a request.
type requestKind int

const (
	kindRead requestKind = iota
	// kindSubmit is a paid request: it is retried only when the server certainly created nothing.
	kindSubmit
	// kindUpload is free but not idempotent, since each one stores a file: it has the submit's rule.
	kindUpload
	// kindDownload fetches a result file from its host, without the key; it is retried as a read.
	kindDownload
)

func (k requestKind) String() string {
	switch k {
	case kindSubmit:
		return "submit"
	case kindUpload:
		return "upload"
	case kindDownload:
		return "download"
	}
	return "read"
}

// repeatable reports whether sending the request twice does no harm.
func (k requestKind) repeatable() bool { return k == kindRead || k == kindDownload }

// request is one logical request: what each of its attempts sends.
type request struct {
	kind   requestKind
	method string
	url    *url.URL
	header http.Header
	// body returns the body from its start and its length, anew for every attempt; nil sends none.
	body func() (io.Reader, int64, error)
}

// jsonBody is a request body of JSON bytes.
func jsonBody(b []byte) func() (io.Reader, int64, error) {
	return func() (io.Reader, int64, error) { return bytes.NewReader(b), int64(len(b)), nil }
}

// notSentError is a failure before a connection to the server was obtained, so the server cannot
// have seen the request.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// send performs one logical request, retries included, and returns its last answer (which the
// caller closes) or its last error. Each attempt waits for the shared rate limiter and is sent
// on its own timeout; shouldRetry judges its outcome, and a retry first waits on the client's
// clock for the server's Retry-After or a backoff, unless that wait would outlast the context.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, &notSentError{err: fmt.Errorf("waiting for the client-side rate limit: %w", err)}
		}
		resp, err := c.attempt(ctx, r, attempt)
		if attempt > c.maxRetries || !shouldRetry(ctx, r.kind, resp, err) {
			return resp, err
		}
		now := c.clock.Now()
		wait := backoff(c.waitMin, c.waitMax, attempt-1, resp, now)
		if !waitFits(ctx, now, wait) {
			return resp, err
		}
		fields := attemptFields(r, attempt, resp, err)
		fields["wait"] = wait.String()
		c.logger.Log(ctx, LogDebug, "retrying APIMart request", fields)
		discard(resp)
		if err := c.clock.Sleep(ctx, wait); err != nil {
			// Every attempt so far was one that created nothing, or it would not be retried.
			return nil, &notSentError{err: fmt.Errorf("waiting %s before retrying: %w", wait, err)}
		}
	}
}

// attempt sends r once, bounded by the request timeout, tells the limiter how the server
// answered, and logs the attempt without its credentials.
func (c *Client) attempt(ctx context.Context, r request, n int) (*http.Response, error) {
	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	var connected atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }}
	req, err := c.newRequest(httptrace.WithClientTrace(attemptCtx, trace), r)
	if err != nil {
		cancel()
		return nil, &notSentError{err: err}
	}
	start := c.clock.Now()
	resp, err := c.http.Do(req)
	fields := attemptFields(r, n, resp, err)
	fields["duration"] = c.clock.Now().Sub(start).Round(time.Millisecond).String()
	if req.Header.Get("Authorization") != "" {
		fields["authorization"] = "Bearer " + redacted
	}
	if err != nil {
		c.logger.Log(ctx, LogDebug, "APIMart request failed", fields)
		if errors.Is(attemptCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no answer within the request timeout of %s: %w", c.timeout, err)
		}
		cancel()
		if !connected.Load() {
			err = &notSentError{err: err}
		}
		return nil, err
	}
	c.logger.Log(ctx, LogDebug, "APIMart request", fields)
	c.limiter.observe(resp, start)
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// newRequest builds one attempt of r. A download carries neither the key nor any other
// credential, because result files live on other hosts than the API.
func (c *Client) newRequest(ctx context.Context, r request) (*http.Request, error) {
	var body io.Reader
	var size int64
	if r.body != nil {
		var err error
		if body, size, err = r.body(); err != nil {
			return nil, fmt.Errorf("preparing the body of %s %s: %w", r.method, r.url.EscapedPath(), err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("building the %s %s request: %w", r.method, r.url.EscapedPath(), err)
	}
	req.ContentLength = size
	if !r.kind.repeatable() {
		// Without GetBody the standard transport cannot silently replay a paid request or an
		// upload on a reused connection that broke after the request was written.
		req.GetBody = nil
	}
	for name, values := range r.header {
		req.Header[name] = values
	}
	req.Header.Set("User-Agent", c.userAgent)
	if r.kind != kindDownload {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
		req.Header.Set("Accept", "application/json")
	}
	return req, nil
}

// attemptFields are the log fields of an attempt and its outcome.
func attemptFields(r request, attempt int, resp *http.Response, err error) map[string]any {
	fields := map[string]any{"method": r.method, "path": r.url.EscapedPath(), "kind": r.kind.String(), "attempt": attempt}
	if err != nil {
		fields["error"] = err.Error()
	} else {
		fields["status"] = resp.StatusCode
	}
	return fields
}

// discard reads a little of an answer that is not wanted, so that its connection can be
// reused, and closes it.
func discard(resp *http.Response) {
	if resp != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
	}
}

// cancelOnClose keeps the attempt's timeout context alive until the body has been read.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// errBodyTooLarge is returned when a response body passes the read limit.
var errBodyTooLarge = errors.New("the response body is larger than the client accepts")

// maxBodyBytes caps every API response body read into memory.
const maxBodyBytes = 1 << 20

// readBody reads at most limit bytes; a longer body yields its first limit bytes and errBodyTooLarge.
func readBody(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return body, fmt.Errorf("reading the response body: %w", err)
	}
	if int64(len(body)) > limit {
		return body[:limit], fmt.Errorf("%w (%d bytes)", errBodyTooLarge, limit)
	}
	return body, nil
}
