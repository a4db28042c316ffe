package apimart

import (
	"context"
	"time"
)

// Clock is the time the client waits on: the retry backoff, the rate limiter and the wait for a
// task. Tests replace it so that those waits cost no real time; the per-request timeout and the
// context deadlines stay on the real clock, because they bound real network calls.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx ends and then returns its error, whichever is first.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
