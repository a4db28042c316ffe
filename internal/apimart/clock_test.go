package apimart

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"
)

// FakeClock is a Clock for tests. It stands still until Advance or Sleep moves it, and Sleep
// returns at once, so a test that retries, paces or polls costs no real time. A context's
// deadline is read on this clock, which starts at the wall clock's now: a Sleep that would pass
// it moves the clock to the deadline and fails as the context would.
//
// It is exported for the tests of package apimart_test, which see the test files of this package.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock at the wall clock's now, so that contexts made with
// context.WithTimeout have deadlines it can reach.
func NewFakeClock() *FakeClock { return &FakeClock{now: time.Now()} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(max(d, 0))
}

// Sleep moves the clock forward by d, or to ctx's deadline when that comes first.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	wake := c.now.Add(max(d, 0))
	if deadline, ok := ctx.Deadline(); ok && !wake.Before(deadline) {
		if deadline.After(c.now) {
			c.now = deadline
		}
		return context.DeadlineExceeded
	}
	c.now = wake
	return nil
}

// RequireRealTime skips a test whose point is real time (a server's wall-clock limit, a network
// timeout), unless the acceptance tests run: make testall runs it, make testunit does not.
func RequireRealTime(t testing.TB) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("waits in real time, which is what it tests; runs with TF_ACC=1 (make testall)")
	}
}

func TestFakeClockSleepStopsAtTheDeadline(t *testing.T) {
	clock := NewFakeClock()
	start := clock.Now()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(time.Hour))
	defer cancel()
	if err := clock.Sleep(ctx, 59*time.Minute); err != nil || clock.Now().Sub(start) != 59*time.Minute {
		t.Fatalf("Sleep within the deadline: %v, clock moved %s", err, clock.Now().Sub(start))
	}
	if err := clock.Sleep(ctx, 2*time.Minute); err != context.DeadlineExceeded || !clock.Now().Equal(start.Add(time.Hour)) {
		t.Fatalf("Sleep past the deadline: %v, clock at +%s; want DeadlineExceeded at +1h", err, clock.Now().Sub(start))
	}
}
