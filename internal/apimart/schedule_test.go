package apimart

import (
	"fmt"
	"testing"
	"time"
)

func TestNextPoll(t *testing.T) {
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	tests := []struct {
		name     string
		state    pollState
		wantWait time.Duration
		wantEnd  time.Duration
		tol      time.Duration
	}{
		{
			name:     "first read at half the estimate",
			state:    pollState{estimate: sec(20)},
			wantWait: sec(10), wantEnd: sec(20),
		},
		{
			name:     "first read never before the minimum interval",
			state:    pollState{estimate: sec(0.2)},
			wantWait: MinPollInterval, wantEnd: sec(0.2),
		},
		{
			name:     "first read of an old task whose half estimate has passed is immediate",
			state:    pollState{estimate: sec(20), now: sec(300)},
			wantWait: 0, wantEnd: sec(20),
		},
		{
			name:     "first read without an estimate is immediate",
			state:    pollState{},
			wantWait: firstReadWithoutEstimate,
		},
		{
			name:     "a pending task is read again at half the estimate",
			state:    pollState{estimate: sec(40), now: sec(0.75), reads: 1, last: progressPoint{sec(0.75), 0}},
			wantWait: sec(19.25), wantEnd: sec(40),
		},
		{
			name:     "a task still pending at half the estimate is read just after it",
			state:    pollState{estimate: sec(40), now: sec(20), reads: 2, last: progressPoint{sec(20), 0}},
			wantWait: sec(20) + completionMargin, wantEnd: sec(40),
		},
		{
			name:     "half-way progress predicts the end from the progress",
			state:    pollState{estimate: sec(40), now: sec(10), reads: 1, last: progressPoint{sec(10), 50}},
			wantWait: sec(100.0/50.5*10-10) + completionMargin, wantEnd: sec(100.0 / 50.5 * 10), tol: time.Millisecond,
		},
		{
			name:     "progress consistent with the estimate keeps the estimate",
			state:    pollState{estimate: sec(20), now: sec(10), reads: 1, last: progressPoint{sec(10), 50}},
			wantWait: sec(10) + completionMargin, wantEnd: sec(20),
		},
		{
			name:     "an estimate earlier than the progress prediction wins",
			state:    pollState{estimate: sec(20), now: sec(10), reads: 1, last: progressPoint{sec(10), 25}},
			wantWait: sec(10) + completionMargin, wantEnd: sec(20),
		},
		{
			name: "the rate between two reads beats a late single-point prediction",
			state: pollState{estimate: sec(20), now: sec(20), reads: 2,
				prev: progressPoint{sec(10), 20}, last: progressPoint{sec(20), 60}},
			// 4 s per 10 %, 39.5 % left
			wantWait: sec(9.875) + completionMargin, wantEnd: sec(29.875), tol: time.Millisecond,
		},
		{
			name: "a read still at 0 % gives no rate",
			state: pollState{now: sec(2), reads: 2,
				prev: progressPoint{sec(1), 0}, last: progressPoint{sec(2), 10}},
			wantWait: sec(2*100/10.5-2) + completionMargin, wantEnd: sec(2 * 100 / 10.5), tol: time.Millisecond,
		},
		{
			name:     "no progress and no estimate backs off from one second",
			state:    pollState{now: sec(3), reads: 3},
			wantWait: 4 * time.Second,
		},
		{
			name:     "blind back-off is capped at ten seconds",
			state:    pollState{now: sec(60), reads: 9},
			wantWait: blindBackoffMax,
		},
		{
			name:     "first overdue read waits the minimum interval",
			state:    pollState{estimate: sec(20), now: sec(20.2), reads: 2, overdue: 1},
			wantWait: MinPollInterval, wantEnd: sec(20),
		},
		{
			name:     "overdue waits double",
			state:    pollState{estimate: sec(20), now: sec(21), reads: 4, overdue: 3},
			wantWait: 4 * MinPollInterval, wantEnd: sec(20),
		},
		{
			name:     "overdue waits stop at a quarter of the estimate",
			state:    pollState{estimate: sec(20), now: sec(40), reads: 9, overdue: 8},
			wantWait: sec(5), wantEnd: sec(20),
		},
		{
			name:     "overdue cap is at least one second",
			state:    pollState{estimate: sec(2), now: sec(10), reads: 9, overdue: 8},
			wantWait: sec(1), wantEnd: sec(2),
		},
		{
			name:     "overdue cap is at most ten seconds",
			state:    pollState{estimate: sec(600), now: sec(900), reads: 12, overdue: 11},
			wantWait: sec(10), wantEnd: sec(600),
		},
		{
			name: "stuck at 99 % backs off instead of reading every 250 ms",
			state: pollState{estimate: sec(20), now: sec(24), reads: 6, overdue: 4,
				prev: progressPoint{sec(19), 95}, last: progressPoint{sec(24), 99}},
			wantWait: 8 * MinPollInterval, wantEnd: sec(24 * 100 / 99.5), tol: time.Millisecond,
		},
		{
			name:     "a far prediction is cut to the longest single wait",
			state:    pollState{now: sec(10), reads: 1, last: progressPoint{sec(10), 1}},
			wantWait: maxPollInterval, wantEnd: sec(1000 / 1.5), tol: time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, end := nextPoll(tt.state)
			if diff := (wait - tt.wantWait).Abs(); diff > tt.tol {
				t.Errorf("wait = %s, want %s", wait, tt.wantWait)
			}
			if diff := (end - tt.wantEnd).Abs(); diff > tt.tol {
				t.Errorf("expected end = %s, want %s", end, tt.wantEnd)
			}
		})
	}
}

// progressModel gives a task's status and whole-percent progress at a time since submission.
type progressModel func(elapsed, duration time.Duration) (done bool, percent int64)

// fakeServerProgress mirrors the fake API: pending for the first 10 % with progress 0, then the
// share of the duration elapsed, at most 99.
func fakeServerProgress(elapsed, duration time.Duration) (bool, int64) {
	switch {
	case elapsed >= duration:
		return true, 100
	case elapsed < duration/10:
		return false, 0
	}
	return false, min(99, int64(100*elapsed/duration))
}

// offsetProgress starts counting only after a 10 % queue, so a single reading overestimates.
func offsetProgress(elapsed, duration time.Duration) (bool, int64) {
	queue := duration / 10
	switch {
	case elapsed >= duration:
		return true, 100
	case elapsed < queue:
		return false, 0
	}
	return false, min(99, int64(100*(elapsed-queue)/(duration-queue)))
}

func noProgress(elapsed, duration time.Duration) (bool, int64) {
	return elapsed >= duration, 0
}

// simulateWait runs the poller against a model with instant reads, as WaitForTask drives it. The
// submit may carry an estimate (shape V2) or not (V1); every read reports taskEstimate (0 = none).
func simulateWait(model progressModel, duration, submitEstimate, taskEstimate time.Duration) (reads int, overhead, minGap time.Duration) {
	p := &poller{state: pollState{estimate: submitEstimate}}
	now, lastRead := time.Duration(0), time.Duration(-1)
	minGap = time.Hour
	for reads < 1000 {
		wait := p.next(now)
		if lastRead >= 0 {
			wait = max(wait, lastRead+MinPollInterval-now)
		}
		now += wait
		if lastRead >= 0 {
			minGap = min(minGap, now-lastRead)
		}
		lastRead = now
		reads++
		done, percent := model(now, duration)
		if done {
			return reads, now - duration, minGap
		}
		p.observe(now, &Task{Status: StatusProcessing, Progress: percent, EstimatedTime: taskEstimate})
	}
	return reads, time.Hour, minGap
}

// TestScheduleMeetsReadBudgets holds the schedule to its targets: at most 4 reads when the
// estimate is right, at most 6 when it is off by a factor of 2, at most 0.5 s between the end of
// a task of the fake server and the read that sees it, and never two reads closer than
// MinPollInterval.
func TestScheduleMeetsReadBudgets(t *testing.T) {
	models := []struct {
		name        string
		model       progressModel
		maxOverhead time.Duration
	}{
		{"fake server", fakeServerProgress, 500 * time.Millisecond},
		// A single early reading overestimates the end when progress starts late; the rate
		// between two reads corrects it, but a short task may end before a second read.
		{"queue offset", offsetProgress, time.Second},
	}
	for _, m := range models {
		for _, duration := range []time.Duration{time.Second, 2 * time.Second, 20 * time.Second, 90 * time.Second} {
			for _, tc := range []struct {
				factor   float64
				maxReads int
			}{{1, 4}, {0.5, 6}, {2, 6}} {
				for _, v1 := range []bool{false, true} {
					estimate := time.Duration(tc.factor * float64(duration))
					submitEstimate, shape := estimate, "V2"
					if v1 {
						submitEstimate, shape = 0, "V1"
					}
					name := fmt.Sprintf("%s/%s task, estimate %s, %s", m.name, duration, estimate, shape)
					t.Run(name, func(t *testing.T) {
						reads, overhead, gap := simulateWait(m.model, duration, submitEstimate, estimate)
						if reads > tc.maxReads {
							t.Errorf("reads = %d, want at most %d", reads, tc.maxReads)
						}
						if overhead > m.maxOverhead {
							t.Errorf("overhead after completion = %s, want at most %s", overhead, m.maxOverhead)
						}
						if reads > 1 && gap < MinPollInterval {
							t.Errorf("two reads %s apart, want at least %s", gap, MinPollInterval)
						}
					})
				}
			}
		}
	}
}

func TestScheduleWithoutProgressStaysBounded(t *testing.T) {
	for _, estimate := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second} {
		t.Run(estimate.String(), func(t *testing.T) {
			reads, overhead, gap := simulateWait(noProgress, 20*time.Second, estimate, estimate)
			if reads > 12 {
				t.Errorf("reads = %d, want at most 12", reads)
			}
			if overhead > overdueBackoffMax {
				t.Errorf("overhead = %s, want at most %s", overhead, overdueBackoffMax)
			}
			if gap < MinPollInterval {
				t.Errorf("two reads %s apart, want at least %s", gap, MinPollInterval)
			}
		})
	}
}

func TestScheduleLearnsEstimateFromTheTask(t *testing.T) {
	withEstimate, _, _ := simulateWait(noProgress, 20*time.Second, 0, 20*time.Second)
	blind, _, _ := simulateWait(noProgress, 20*time.Second, 0, 0)
	if withEstimate >= blind {
		t.Errorf("reads with the task's estimate = %d, without = %d; the estimate should save reads", withEstimate, blind)
	}
}
