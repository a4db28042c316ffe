package apimart

import (
	"context"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Adaptation steps of the shared limiter. The API publishes no rate limit, so the client learns
// it: a 429 halves the rate at once, and each success wins back a small share of the configured
// rate, so that a busy apply settles just under the server's limit instead of bouncing off it.
const (
	slowDownFactor = 0.5
	recoverShare   = 0.01
	// minAdaptiveRate keeps a limited client moving however often the server refuses it.
	minAdaptiveRate = rate.Limit(0.5)
)

// sharedLimiter is the client-side rate limit shared by every request of one client, retries
// included. A 429 with Retry-After also holds every other request back until then: the server's
// budget is spent, so a request sent sooner would only be refused too.
type sharedLimiter struct {
	mu         sync.Mutex
	limiter    *rate.Limiter
	ceiling    rate.Limit
	maxBurst   int
	pauseUntil time.Time
}

func newSharedLimiter(perSecond float64, burst int) *sharedLimiter {
	if perSecond < 0 {
		return &sharedLimiter{limiter: rate.NewLimiter(rate.Inf, 0), ceiling: rate.Inf}
	}
	if burst <= 0 {
		burst = burstFor(rate.Limit(perSecond))
	}
	return &sharedLimiter{limiter: rate.NewLimiter(rate.Limit(perSecond), burst), ceiling: rate.Limit(perSecond), maxBurst: burst}
}

// Wait blocks until a request may be sent, or the context ends.
func (l *sharedLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	pause := time.Until(l.pauseUntil)
	l.mu.Unlock()
	if err := sleep(ctx, pause); err != nil {
		return err
	}
	return l.limiter.Wait(ctx)
}

// observe adapts the rate to the server's answer.
func (l *sharedLimiter) observe(resp *http.Response) {
	if l.ceiling == rate.Inf {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	current := l.limiter.Limit()
	status := resp.StatusCode
	switch {
	case status == http.StatusTooManyRequests:
		l.set(max(current*slowDownFactor, minAdaptiveRate))
		if wait, ok := retryAfter(resp); ok {
			l.pauseUntil = later(l.pauseUntil, time.Now().Add(wait))
		}
	case status < http.StatusBadRequest && current < l.ceiling:
		l.set(min(current+l.ceiling*recoverShare, l.ceiling))
	}
}

func (l *sharedLimiter) set(limit rate.Limit) {
	l.limiter.SetLimit(limit)
	l.limiter.SetBurst(min(l.maxBurst, burstFor(limit)))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// burstFor allows about one second's worth of requests at once.
func burstFor(limit rate.Limit) int {
	return max(1, int(float64(limit)+0.999))
}
