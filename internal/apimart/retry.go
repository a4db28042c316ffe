package apimart

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// maxRetryAfter bounds a Retry-After value so that absurd ones cannot overflow a duration; the
// context deadline is what normally cuts a long wait short.
const maxRetryAfter = 24 * time.Hour

// checkRetry is the retryablehttp policy. It never returns an error, so that the caller always
// sees the last response or the last transport error rather than a policy message. It also picks
// the wait before the retry, which the transport then waits on the client's clock: retryablehttp
// can only wait on the wall clock.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if contextDone(ctx) || waitRefused(err) {
		return false, nil
	}
	cl := callFrom(ctx)
	var retry bool
	if cl.kind.repeatable() {
		retry, _ = retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	} else {
		retry = retryUnlessProcessed(ctx, resp, err)
	}
	if !retry {
		return false, nil
	}
	now := c.clock.Now()
	wait := backoff(c.http.RetryWaitMin, c.http.RetryWaitMax, int(cl.attempts.Load())-1, resp, now)
	if !waitFits(ctx, now, wait) {
		return false, nil
	}
	cl.backoff.Store(int64(wait))
	fields := retryFields(cl, resp, err)
	fields["wait"] = wait.String()
	c.logger.Log(ctx, LogDebug, "retrying APIMart request", fields)
	return true, nil
}

func retryFields(cl *call, resp *http.Response, err error) map[string]any {
	fields := map[string]any{"kind": cl.kind.String(), "attempt": cl.attempts.Load()}
	if err != nil {
		fields["error"] = err.Error()
	} else {
		fields["status"] = resp.StatusCode
	}
	return fields
}

func contextDone(ctx context.Context) bool { return ctx.Err() != nil }

// retryUnlessProcessed allows a retry only when the server certainly created no task and stored
// no file: it refused the request with 408, 429 or 503, or it never received it.
func retryUnlessProcessed(ctx context.Context, resp *http.Response, err error) bool {
	if err != nil {
		// The default policy still vetoes hopeless errors such as a bad certificate.
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, nil, err)
		return retry && sentNothing(err)
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	}
	return false
}

// sentNothing reports an error that happened before the request could reach the server.
func sentNothing(err error) bool {
	var notSent *notSentError
	if errors.As(err, &notSent) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func waitRefused(err error) bool {
	var notSent *notSentError
	return errors.As(err, &notSent) && notSent.waitRefused
}

// waitFits reports whether a wait from now still ends before the context deadline; otherwise
// retrying is pointless and the last answer is returned at once.
func waitFits(ctx context.Context, now time.Time, wait time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || now.Add(wait).Before(deadline)
}

// noBackoff is the retryablehttp Backoff: checkRetry has picked the wait already.
func noBackoff(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 }

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
