package apimart

import (
	"net/http"
	"testing"

	"golang.org/x/time/rate"
)

func TestSharedLimiterHalvesOn429AndRecoversToTheCeiling(t *testing.T) {
	l := newSharedLimiter(20, 0)
	l.observe(http.StatusTooManyRequests)
	l.observe(http.StatusTooManyRequests)
	if got := l.limiter.Limit(); got != 5 {
		t.Fatalf("after two 429s the rate is %v, want 5", got)
	}
	if got := l.limiter.Burst(); got != 5 {
		t.Fatalf("after two 429s the burst is %d, want 5", got)
	}
	l.observe(http.StatusInternalServerError)
	if got := l.limiter.Limit(); got != 5 {
		t.Fatalf("a 500 changed the rate to %v", got)
	}
	for range 100 {
		l.observe(http.StatusOK)
	}
	if got, burst := l.limiter.Limit(), l.limiter.Burst(); got != 20 || burst != 20 {
		t.Fatalf("after 100 successes the rate is %v with burst %d, want the ceiling 20 with burst 20", got, burst)
	}
}

func TestSharedLimiterNeverStops(t *testing.T) {
	l := newSharedLimiter(1, 0)
	for range 20 {
		l.observe(http.StatusTooManyRequests)
	}
	if got := l.limiter.Limit(); got != minAdaptiveRate {
		t.Fatalf("rate %v after many 429s, want the floor %v", got, minAdaptiveRate)
	}
}

func TestSharedLimiterDisabledStaysUnlimited(t *testing.T) {
	l := newSharedLimiter(-1, 0)
	l.observe(http.StatusTooManyRequests)
	if got := l.limiter.Limit(); got != rate.Inf {
		t.Fatalf("a disabled limiter became %v", got)
	}
}
