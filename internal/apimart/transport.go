package apimart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// requestKind selects the retry policy of a call.
type requestKind int

const (
	kindRead requestKind = iota
	// kindSubmit is a paid request: it is retried only when the server certainly created nothing.
	kindSubmit
	// kindUpload is free but not idempotent, since each one stores a file: it has the submit's policy.
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

// call is what one logical request (with all its retries) shares with the transport and the
// retry policy, through the request context.
type call struct {
	kind     requestKind
	attempts atomic.Int32
	// backoff is the wait before the next attempt, picked by checkRetry, in nanoseconds.
	backoff atomic.Int64
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// callFrom returns the call of ctx; a request made without one is treated as a read.
func callFrom(ctx context.Context) *call {
	if c, ok := ctx.Value(callKey{}).(*call); ok {
		return c
	}
	return &call{kind: kindRead}
}

// notSentError marks a failure that happened before a connection to the server was obtained, so
// the server cannot have seen the request.
type notSentError struct {
	err error
	// waitRefused is set when a client-side wait (the rate limiter or the retry backoff) could not
	// end before the context did; retrying would fail the same way.
	waitRefused bool
}

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// attemptTransport wraps the real transport and runs once per attempt, retries included: it waits
// for the rate limiter, bounds the attempt by the request timeout, records whether a connection
// was obtained, and logs the attempt without its credentials.
type attemptTransport struct {
	base    http.RoundTripper
	limiter *sharedLimiter
	timeout time.Duration
	logger  Logger
	clock   Clock
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := callFrom(req.Context())
	attempt := c.attempts.Add(1)
	if wait := time.Duration(c.backoff.Swap(0)); wait > 0 {
		if err := t.clock.Sleep(req.Context(), wait); err != nil {
			return nil, &notSentError{err: fmt.Errorf("waiting %s before retrying: %w", wait, err), waitRefused: true}
		}
	}
	if err := t.limiter.Wait(req.Context()); err != nil {
		return nil, &notSentError{err: fmt.Errorf("waiting for the client-side rate limit: %w", err), waitRefused: true}
	}

	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	var connected atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }}
	out := req.Clone(httptrace.WithClientTrace(ctx, trace))
	if !c.kind.repeatable() {
		// Without GetBody the standard transport cannot silently replay a paid request or an
		// upload on a reused connection that broke after the request was written.
		out.GetBody = nil
	}

	start := t.clock.Now()
	resp, err := t.base.RoundTrip(out)
	t.log(req, c, attempt, t.clock.Now().Sub(start), resp, err)
	if err == nil {
		t.limiter.observe(resp, start)
	}
	if err != nil {
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded) && req.Context().Err() == nil
		cancel()
		if timedOut {
			err = fmt.Errorf("no answer within the request timeout of %s: %w", t.timeout, err)
		}
		if !connected.Load() {
			err = &notSentError{err: err}
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

func (t *attemptTransport) log(req *http.Request, c *call, attempt int32, took time.Duration, resp *http.Response, err error) {
	fields := map[string]any{
		"method":   req.Method,
		"path":     req.URL.EscapedPath(),
		"kind":     c.kind.String(),
		"attempt":  attempt,
		"duration": took.Round(time.Millisecond).String(),
	}
	if req.Header.Get("Authorization") != "" {
		fields["authorization"] = "Bearer [REDACTED]"
	}
	if err != nil {
		fields["error"] = err.Error()
		t.logger.Log(req.Context(), LogDebug, "APIMart request failed", fields)
		return
	}
	fields["status"] = resp.StatusCode
	t.logger.Log(req.Context(), LogDebug, "APIMart request", fields)
}

// CloseIdleConnections passes retryablehttp's clean-up after a failure on to the real transport.
func (t *attemptTransport) CloseIdleConnections() {
	if closer, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		closer.CloseIdleConnections()
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
