package apimart

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// limiterOnClock returns a limiter on a fake clock, so that its decisions are deterministic.
func limiterOnClock(ceiling float64, burst int) (*sharedLimiter, *FakeClock) {
	clock := NewFakeClock()
	return newSharedLimiter(ceiling, burst, clock), clock
}

func answer(status int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: status, Header: h}
}

// delays reserves n slots at the clock's current time and returns the wait for each.
func delays(l *sharedLimiter, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		_, out[i] = l.reserve()
	}
	return out
}

func TestSharedLimiterWithoutCeilingNeverDelays(t *testing.T) {
	l, clock := limiterOnClock(0, 0)
	for i := range 1000 {
		if _, d := l.reserve(); d != 0 {
			t.Fatalf("request %d would wait %s with no ceiling and no 429", i, d)
		}
		l.observe(answer(http.StatusOK, ""), clock.Now())
		l.observe(answer(http.StatusServiceUnavailable, "5"), clock.Now())
		clock.Advance(time.Millisecond)
	}
	if got := l.limiter.Limit(); got != rate.Inf {
		t.Fatalf("answers other than 429 set the rate to %v", got)
	}
}

func TestSharedLimiterHonoursTheCeiling(t *testing.T) {
	l, _ := limiterOnClock(2, 1)
	got := delays(l, 3)
	want := []time.Duration{0, 500 * time.Millisecond, time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits at 2/s with burst 1 = %v, want %v", got, want)
		}
	}
}

func TestSharedLimiterDefaultBurstIsOneSecondAndAtLeastOne(t *testing.T) {
	for _, tt := range []struct {
		ceiling float64
		burst   int
	}{{0.3, 1}, {1, 1}, {2.5, 3}, {20, 20}} {
		l, _ := limiterOnClock(tt.ceiling, 0)
		if got := l.limiter.Burst(); got != tt.burst {
			t.Errorf("ceiling %g: burst %d, want %d", tt.ceiling, got, tt.burst)
		}
	}
}

func TestSharedLimiterBelowOneRequestPerSecond(t *testing.T) {
	l, clock := limiterOnClock(0.25, 0)
	if got := delays(l, 2); got[0] != 0 || got[1] != 4*time.Second {
		t.Fatalf("waits at 0.25/s = %v, want [0s 4s]", got)
	}
	l.observe(answer(http.StatusTooManyRequests, ""), clock.Now())
	if got := l.limiter.Limit(); got != 0.25 {
		t.Fatalf("a 429 moved the rate to %v, above the ceiling of 0.25", got)
	}
}

func TestSharedLimiter429SetsTheRateTheServerAdmitted(t *testing.T) {
	l, clock := limiterOnClock(0, 0)
	for range 6 {
		l.observe(answer(http.StatusOK, ""), clock.Now())
		clock.Advance(200 * time.Millisecond)
	}
	// The first answer is now 1.2 s old and no longer counts.
	l.observe(answer(http.StatusTooManyRequests, "1"), clock.Now())
	if got, burst := l.limiter.Limit(), l.limiter.Burst(); got != 5 || burst != 1 {
		t.Fatalf("after 5 admitted answers in the last second and a 429: rate %v burst %d, want 5 and 1", got, burst)
	}
}

func TestSharedLimiterCutsOncePerRefusedBurst(t *testing.T) {
	l, clock := limiterOnClock(0, 0)
	sent := clock.Now()
	for range 20 {
		l.observe(answer(http.StatusOK, ""), sent)
	}
	clock.Advance(10 * time.Millisecond)
	for range 5 {
		l.observe(answer(http.StatusTooManyRequests, "1"), sent)
	}
	if got := l.limiter.Limit(); got != 20 {
		t.Fatalf("five 429s to requests sent together left the rate at %v, want 20 (cut once)", got)
	}
	clock.Advance(500 * time.Millisecond)
	l.observe(answer(http.StatusTooManyRequests, "1"), clock.Now())
	if got := l.limiter.Limit(); got != 18 {
		t.Fatalf("a 429 to a request sent at 20/s left the rate at %v, want 90 %% of it: 18", got)
	}
}

func TestSharedLimiter429NeverRaisesTheRate(t *testing.T) {
	l, clock := limiterOnClock(0, 0)
	l.observe(answer(http.StatusTooManyRequests, ""), clock.Now())
	if got := l.limiter.Limit(); got != minAdaptiveRate {
		t.Fatalf("a 429 with nothing admitted gave rate %v, want the floor %v", got, minAdaptiveRate)
	}
	for range 10 {
		clock.Advance(10 * time.Millisecond)
		l.observe(answer(http.StatusOK, ""), clock.Now())
	}
	l.observe(answer(http.StatusTooManyRequests, ""), clock.Now())
	if got := l.limiter.Limit(); got != minAdaptiveRate {
		t.Fatalf("a second 429 after 10 admitted answers raised the rate to %v", got)
	}
}

func TestSharedLimiterRaisesAfterEachQuietSpellUpToTheCeiling(t *testing.T) {
	l, clock := limiterOnClock(6, 4)
	for range 5 {
		l.observe(answer(http.StatusOK, ""), clock.Now())
	}
	l.observe(answer(http.StatusTooManyRequests, ""), clock.Now())
	steps := []struct {
		after time.Duration
		want  rate.Limit
		burst int
	}{
		{1900 * time.Millisecond, 5, 1}, // not yet quiet for 2 s
		{100 * time.Millisecond, 5.5, 1},
		{time.Second, 5.5, 1},
		{time.Second, 6, 4}, // 6.05 is capped at the ceiling, which brings its burst back
		{10 * time.Second, 6, 4},
	}
	for i, s := range steps {
		clock.Advance(s.after)
		l.observe(answer(http.StatusOK, ""), clock.Now())
		got, burst := l.limiter.Limit(), l.limiter.Burst()
		if diff := float64(got - s.want); diff > 1e-9 || diff < -1e-9 || burst != s.burst {
			t.Fatalf("step %d: rate %v burst %d, want %v and %d", i, got, burst, s.want, s.burst)
		}
	}
}

func TestSharedLimiter429HoldsEveryRequestUntilRetryAfter(t *testing.T) {
	l, clock := limiterOnClock(0, 0)
	for range 5 {
		l.observe(answer(http.StatusOK, ""), clock.Now())
	}
	l.observe(answer(http.StatusTooManyRequests, "3"), clock.Now())
	clock.Advance(time.Second)
	for i, d := range delays(l, 4) {
		if d != 2*time.Second {
			t.Fatalf("request %d during the pause would wait %s, want the 2 s left of Retry-After", i, d)
		}
	}
	// A shorter Retry-After never cuts the pause short.
	l.observe(answer(http.StatusTooManyRequests, "1"), clock.Now())
	if _, d := l.reserve(); d != 2*time.Second {
		t.Fatalf("after a shorter Retry-After the wait is %s, want 2s", d)
	}
	clock.Advance(2 * time.Second)
	if got := delays(l, 2); got[0] != 0 || got[1] <= 0 {
		t.Fatalf("after the pause the waits are %v, want one request at once and the next paced", got)
	}
}

func TestSharedLimiterWaitFailsAtOnceWhenThePauseOutlastsTheDeadline(t *testing.T) {
	l, clock := limiterOnClock(0, 0)
	l.observe(answer(http.StatusTooManyRequests, "30"), clock.Now())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	if err := l.Wait(short); !errors.Is(err, errPastDeadline) {
		t.Fatalf("Wait = %v, want errPastDeadline", err)
	}
}

// onFirstSleep runs a hook as the first sleep on its clock begins.
type onFirstSleep struct {
	*FakeClock
	once sync.Once
	hook func()
}

func (c *onFirstSleep) Sleep(ctx context.Context, d time.Duration) error {
	c.once.Do(c.hook)
	return c.FakeClock.Sleep(ctx, d)
}

// A request that booked its slot before a 429 arrived still waits for the Retry-After.
func TestSharedLimiterWaitHonoursAPauseThatStartsWhileWaiting(t *testing.T) {
	clock := &onFirstSleep{FakeClock: NewFakeClock()}
	l := newSharedLimiter(2, 1, clock)
	for range 4 {
		l.observe(answer(http.StatusOK, ""), clock.Now()) // so that the 429 keeps the rate at 2/s
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.hook = func() { l.observe(answer(http.StatusTooManyRequests, "1"), clock.Now()) }
	waited := stopwatch(clock)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := waited(); waited < time.Second {
		t.Fatalf("the waiting request went out %s after the first, before the 429's Retry-After of 1 s ran out", waited)
	}
}

func TestNewClientRefusesANegativeOrNaNRateLimit(t *testing.T) {
	for _, limit := range []float64{-1, math.NaN()} {
		cfg := testConfig("https://api.example")
		cfg.RateLimit = limit
		if _, err := NewClient(cfg); err == nil || !strings.Contains(err.Error(), "rate limit") {
			t.Errorf("NewClient with rate limit %g = %v, want a rate limit error", limit, err)
		}
	}
	cfg := testConfig("https://api.example")
	cfg.RateBurst = -1
	if _, err := NewClient(cfg); err == nil {
		t.Error("NewClient accepted a negative burst")
	}
}
