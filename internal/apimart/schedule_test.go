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
			name:     "first read without an estimate comes after one second",
			state:    pollState{},
			wantWait: firstReadWithoutEstimate,
		},
		{
			name:     "half-way progress predicts the end from the progress",
			state:    pollState{estimate: sec(40), now: sec(10), reads: 1, last: progressPoint{sec(10), 50}},
			wantWait: sec(100.0/50.5*10-10) + completionMargin, wantEnd: sec(100.0 / 50.5 * 10), tol: time.Millisecond,
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
			name: "a read still at 0 % bounds when progress started",
			state: pollState{now: sec(4), reads: 3,
				prev: progressPoint{sec(2), 0}, last: progressPoint{sec(4), 10}},
			// 10 % in at most 2 s, 89.5 % left
			wantWait: sec(17.9) + completionMargin, wantEnd: sec(21.9), tol: time.Millisecond,
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

// simulateWait runs the poller against a model with instant reads, as WaitForTask drives it.
func simulateWait(model progressModel, duration, estimate time.Duration, reportEstimate bool) (reads int, overhead, minGap time.Duration) {
	p := &poller{state: pollState{estimate: estimate}}
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
		task := &Task{Status: StatusProcessing, Progress: percent}
		if reportEstimate {
			task.EstimatedTime = duration
		}
		p.observe(now, task)
	}
	return reads, time.Hour, minGap
}

func TestScheduleMeetsReadBudgets(t *testing.T) {
	models := []struct {
		name  string
		model progressModel
	}{{"fake server", fakeServerProgress}, {"queue offset", offsetProgress}}
	for _, m := range models {
		for _, tc := range []struct {
			duration, estimate time.Duration
			maxReads           int
		}{
			{20 * time.Second, 20 * time.Second, 4},
			{20 * time.Second, 10 * time.Second, 6},
			{20 * time.Second, 40 * time.Second, 6},
			{20 * time.Second, 0, 6},
			{2 * time.Second, 2 * time.Second, 4},
			{2 * time.Second, 1 * time.Second, 6},
			{90 * time.Second, 45 * time.Second, 6},
			{90 * time.Second, 180 * time.Second, 6},
		} {
			name := fmt.Sprintf("%s/%s task, estimate %s", m.name, tc.duration, tc.estimate)
			t.Run(name, func(t *testing.T) {
				// Without a submit estimate the task's own estimated_time is what the schedule
				// learns from, as the API documents it; a wrong estimate is reported everywhere.
				reportsEstimate := tc.estimate == 0
				reads, overhead, gap := simulateWait(m.model, tc.duration, tc.estimate, reportsEstimate)
				if reads > tc.maxReads {
					t.Errorf("reads = %d, want at most %d", reads, tc.maxReads)
				}
				if overhead > 500*time.Millisecond {
					t.Errorf("overhead after completion = %s, want at most 500ms", overhead)
				}
				if reads > 1 && gap < MinPollInterval {
					t.Errorf("two reads %s apart, want at least %s", gap, MinPollInterval)
				}
			})
		}
	}
}

func TestScheduleWithoutProgressStaysBounded(t *testing.T) {
	for _, estimate := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second} {
		t.Run(estimate.String(), func(t *testing.T) {
			reads, overhead, gap := simulateWait(noProgress, 20*time.Second, estimate, false)
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
	withEstimate, _, _ := simulateWait(noProgress, 20*time.Second, 0, true)
	blind, _, _ := simulateWait(noProgress, 20*time.Second, 0, false)
	if withEstimate >= blind {
		t.Errorf("reads with the task's estimate = %d, without = %d; the estimate should save reads", withEstimate, blind)
	}
}
