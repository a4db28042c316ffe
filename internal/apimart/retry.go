package apimart

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// maxRetryAfter bounds a Retry-After value so that absurd ones cannot overflow a duration; the
// context deadline is what normally cuts a long wait short.
const maxRetryAfter = 24 * time.Hour

// shouldRetry judges an attempt that got resp or err. A failure that a later attempt may not
// repeat is retried, unless the request must not be sent twice and the server may have acted
// on it.
func shouldRetry(ctx context.Context, kind requestKind, resp *http.Response, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	transient := err == nil && transientStatus(resp.StatusCode) || err != nil && !hopeless(err)
	return transient && (kind.repeatable() || !mayHaveActed(resp, err))
}

// transientStatus reports an answer that a later attempt may not get: 408, 429, and the server
// failures but 501, which says the server cannot do what was asked.
func transientStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests ||
		status >= 500 && status != http.StatusNotImplemented
}

// hopeless reports a failure that sending again cannot mend: a request that could not be built,
// or a transport failure such as an untrusted certificate (go-retryablehttp keeps that list).
func hopeless(err error) bool {
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		return true
	}
	retry, _ := retryablehttp.DefaultRetryPolicy(context.Background(), nil, urlErr)
	return !retry
}

// mayHaveActed is the rule for the requests that create something (a paid task, a stored
// file): whether a failed attempt may still have created it. Only a request that never reached
// the server, or that the server refused, certainly created nothing; 408, 429 and 503 refuse,
// like every 4xx and 501, while any other server failure may come after the work was done.
func mayHaveActed(resp *http.Response, err error) bool {
	if err != nil {
		var notSent *notSentError
		return !errors.As(err, &notSent)
	}
	s := resp.StatusCode
	return s >= 500 && s != http.StatusNotImplemented && s != http.StatusServiceUnavailable
}

// create sends a request that creates something on the server (a paid task, a stored file), which
// send retries only while mayHaveActed says no, and decodes its 2xx answer with decode. When the
// request never reached the server, the error says notSent; when the server may have created
// something although no usable answer came back, the error is made by uncertain; any other error
// is the server's refusal.
func create[T any](ctx context.Context, c *Client, r request, decode func(status int, body []byte) (T, error),
	notSent string, uncertain func(error) error) (T, http.Header, error) {
	var none T
	resp, err := c.send(ctx, r)
	if err != nil {
		if mayHaveActed(nil, err) {
			return none, nil, uncertain(err)
		}
		return none, nil, fmt.Errorf("%s: %w", notSent, err)
	}
	defer resp.Body.Close()
	body, readErr := c.readResponse(resp)
	if !isSuccess(resp.StatusCode) {
		apiErr := c.redactAPIError(decodeError(resp.StatusCode, body))
		if mayHaveActed(resp, nil) {
			return none, nil, uncertain(apiErr)
		}
		return none, nil, apiErr
	}
	if readErr != nil {
		return none, nil, uncertain(readErr)
	}
	value, err := decode(resp.StatusCode, body)
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		return none, nil, c.redactAPIError(apiErr)
	case err != nil:
		// The server accepted the request, but its answer names nothing.
		return none, nil, uncertain(err)
	}
	return value, resp.Header, nil
}

// waitFits reports whether a wait from now still ends before the context deadline; otherwise
// retrying is pointless and the last answer is returned at once.
func waitFits(ctx context.Context, now time.Time, wait time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || now.Add(wait).Before(deadline)
}

// backoff is the wait before a retry: the server's Retry-After when it sent one, otherwise an
// exponential delay with jitter, never below minWait.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response, now time.Time) time.Duration {
	if wait, ok := retryAfter(resp, now); ok {
		return wait
	}
	ceiling := backoffCeiling(minWait, maxWait, attempt)
	floor := max(minWait, ceiling/2)
	if ceiling <= floor {
		return ceiling
	}
	return floor + rand.N(ceiling-floor+1)
}

// backoffCeiling is minWait doubled once per earlier attempt, capped at maxWait.
func backoffCeiling(minWait, maxWait time.Duration, attempt int) time.Duration {
	wait := minWait
	for range max(attempt, 0) {
		if wait >= maxWait/2 {
			return maxWait
		}
		wait *= 2
	}
	return min(wait, maxWait)
}

// retryAfter reads Retry-After (seconds, or an HTTP date measured from now) from a 429 or 503
// answer.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	value := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		if seconds < 0 {
			return 0, false
		}
		return time.Duration(min(seconds, int64(maxRetryAfter/time.Second))) * time.Second, true
	}
	when, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return min(max(when.Sub(now), 0), maxRetryAfter), true
}
