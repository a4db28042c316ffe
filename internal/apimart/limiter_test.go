package apimart

import (
	"context"
	"net/http"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestSharedLimiterHalvesOn429AndRecoversToTheCeiling(t *testing.T) {
	l := newSharedLimiter(20, 0)
	l.observe(&http.Response{StatusCode: http.StatusTooManyRequests})
	l.observe(&http.Response{StatusCode: http.StatusTooManyRequests})
	if got := l.limiter.Limit(); got != 5 {
		t.Fatalf("after two 429s the rate is %v, want 5", got)
	}
	if got := l.limiter.Burst(); got != 5 {
		t.Fatalf("after two 429s the burst is %d, want 5", got)
	}
	l.observe(&http.Response{StatusCode: http.StatusInternalServerError})
	if got := l.limiter.Limit(); got != 5 {
		t.Fatalf("a 500 changed the rate to %v", got)
	}
	for range 100 {
		l.observe(&http.Response{StatusCode: http.StatusOK})
	}
	if got, burst := l.limiter.Limit(), l.limiter.Burst(); got != 20 || burst != 20 {
		t.Fatalf("after 100 successes the rate is %v with burst %d, want the ceiling 20 with burst 20", got, burst)
	}
}

func TestSharedLimiterNeverStops(t *testing.T) {
	l := newSharedLimiter(1, 0)
	for range 20 {
		l.observe(&http.Response{StatusCode: http.StatusTooManyRequests})
	}
	if got := l.limiter.Limit(); got != minAdaptiveRate {
		t.Fatalf("rate %v after many 429s, want the floor %v", got, minAdaptiveRate)
	}
}

func TestSharedLimiterDisabledStaysUnlimited(t *testing.T) {
	l := newSharedLimiter(-1, 0)
	l.observe(&http.Response{StatusCode: http.StatusTooManyRequests})
	if got := l.limiter.Limit(); got != rate.Inf {
		t.Fatalf("a disabled limiter became %v", got)
	}
}

func TestSharedLimiterHoldsEveryRequestForRetryAfter(t *testing.T) {
	l := newSharedLimiter(20, 0)
	l.observe(&http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"1"}}})
	began := time.Now()
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(began); waited < 900*time.Millisecond {
		t.Fatalf("a request went out %s after a 429 with Retry-After: 1", waited)
	}
}
