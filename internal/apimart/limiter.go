package apimart

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// How the shared limiter adapts. The API publishes no rate limit, so the client sends as fast as
// its callers ask until the server answers 429, and only then learns the limit: it falls back to
// the rate the server has just proven it accepts, and probes upwards again while the server
// stays quiet.
const (
	// admittedWindow is how far back answers other than 429 are counted. What the server let
	// through in the last second is the best estimate of what it lets through per second.
	admittedWindow = time.Second
	// quietSpell without a 429 earns one raise of raiseFactor, so that a client slowed down by a
	// passing burst of other traffic on the same key wins its speed back.
	quietSpell  = 2 * time.Second
	raiseFactor = 1.1
	// refusedShare caps the rate after a 429 below the rate that was refused. When the server
	// still had spare burst, the last second's admitted answers add up to that very rate, and
	// keeping it would only drain the server's budget again.
	refusedShare = 0.9
	// minAdaptiveRate keeps a client moving however often the server refuses it.
	minAdaptiveRate = rate.Limit(0.5)
	// adaptiveBurst is 1 because a server that has refused a burst would refuse the next one too.
	adaptiveBurst = 1
)

// errPastDeadline reports that the limiter would hold a request beyond its context's deadline;
// failing at once leaves the caller its remaining time.
var errPastDeadline = errors.New("the wait for a send slot would outlast the request's deadline")

// sharedLimiter paces every request of one client, retries included. Without a user ceiling it
// lets everything through until the first 429.
type sharedLimiter struct {
	clock Clock

	mu           sync.Mutex
	limiter      *rate.Limiter
	ceiling      rate.Limit // the user's rate_limit, or rate.Inf
	ceilingBurst int
	// pauseUntil holds back every request after a 429 with Retry-After: the server's budget is
	// spent, so a request sent sooner would only be refused too.
	pauseUntil time.Time
	admitted   []time.Time // answers other than 429 within admittedWindow, oldest first
	lastCut    time.Time   // when a 429 last lowered the rate
	lastRaise  time.Time
}

// newSharedLimiter takes a ceiling in requests per second (<= 0: none) and its burst (<= 0: one
// second's worth), and the clock it reads and waits on.
func newSharedLimiter(ceiling float64, burst int, clock Clock) *sharedLimiter {
	l := &sharedLimiter{clock: clock, ceiling: rate.Inf}
	if ceiling > 0 {
		l.ceiling = rate.Limit(ceiling)
	}
	l.ceilingBurst = burst
	if burst <= 0 {
		l.ceilingBurst = burstFor(l.ceiling)
	}
	l.limiter = rate.NewLimiter(l.ceiling, l.ceilingBurst)
	return l
}

// Wait blocks until a request may be sent, or fails at once when that would be past the
// context's deadline.
func (l *sharedLimiter) Wait(ctx context.Context) error {
	for {
		slot, delay := l.reserve()
		if delay <= 0 {
			return nil
		}
		err := fitsDeadline(ctx, l.clock.Now().Add(delay))
		if err == nil {
			err = l.clock.Sleep(ctx, delay)
		}
		if err != nil {
			l.release(slot)
			return err
		}
		// A 429 that arrived while this request waited for its slot holds it back as well.
		if slot != nil && !l.paused() {
			return nil
		}
	}
}

// reserve books the next send slot and says how long until it. During a pause it books nothing
// and returns the time left, so that the slot is taken only once the pause is over.
func (l *sharedLimiter) reserve() (*rate.Reservation, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if pause := l.pauseUntil.Sub(now); pause > 0 {
		return nil, pause
	}
	slot := l.limiter.ReserveN(now, 1)
	return slot, slot.DelayFrom(now)
}

// release hands back a slot the caller will not use, so that others need not wait for it.
func (l *sharedLimiter) release(slot *rate.Reservation) {
	if slot != nil {
		slot.CancelAt(l.clock.Now())
	}
}

func (l *sharedLimiter) paused() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.clock.Now().Before(l.pauseUntil)
}

func fitsDeadline(ctx context.Context, sendAt time.Time) error {
	if deadline, ok := ctx.Deadline(); ok && sendAt.After(deadline) {
		return errPastDeadline
	}
	return nil
}

// observe adapts the rate to the server's answer to a request sent at sentAt.
func (l *sharedLimiter) observe(resp *http.Response, sentAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	l.forgetAdmittedBefore(now.Add(-admittedWindow))
	if resp.StatusCode == http.StatusTooManyRequests {
		l.slowDown(now, sentAt, resp)
		return
	}
	l.admitted = append(l.admitted, now)
	l.raiseAfterQuietSpell(now)
}

// slowDown pauses everyone for the Retry-After and drops the rate to what the server admitted
// in the last second, and below the rate that was refused.
func (l *sharedLimiter) slowDown(now, sentAt time.Time, resp *http.Response) {
	if wait, ok := retryAfter(resp, now); ok {
		l.pauseUntil = later(l.pauseUntil, now.Add(wait))
	}
	if sentAt.Before(l.lastCut) {
		return // sent before the last cut, at a rate already given up: nothing new to learn
	}
	admittedRate := rate.Limit(float64(len(l.admitted)) / admittedWindow.Seconds())
	target := min(admittedRate, l.limiter.Limit()*refusedShare)
	l.setRate(now, min(max(target, minAdaptiveRate), l.ceiling), adaptiveBurst)
	l.lastCut = now
}

func (l *sharedLimiter) raiseAfterQuietSpell(now time.Time) {
	current := l.limiter.Limit()
	if current >= l.ceiling || now.Sub(later(l.lastCut, l.lastRaise)) < quietSpell {
		return
	}
	next, burst := current*raiseFactor, adaptiveBurst
	if next >= l.ceiling {
		next, burst = l.ceiling, l.ceilingBurst
	}
	l.setRate(now, next, burst)
	l.lastRaise = now
}

func (l *sharedLimiter) setRate(now time.Time, limit rate.Limit, burst int) {
	if l.limiter.Limit() == rate.Inf {
		// An unlimited rate.Limiter keeps no token count to carry over; start from one token.
		l.limiter = rate.NewLimiter(limit, burst)
		return
	}
	l.limiter.SetLimitAt(now, limit)
	l.limiter.SetBurstAt(now, burst)
}

func (l *sharedLimiter) forgetAdmittedBefore(cutoff time.Time) {
	stale := 0
	for stale < len(l.admitted) && l.admitted[stale].Before(cutoff) {
		stale++
	}
	l.admitted = l.admitted[stale:]
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// burstFor allows about one second's worth of requests at once, and always at least one.
func burstFor(limit rate.Limit) int {
	if limit == rate.Inf {
		return 1
	}
	return max(1, int(float64(limit)+0.999))
}
