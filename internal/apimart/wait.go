package apimart

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// MinPollInterval is the shortest time between two reads of one task.
const MinPollInterval = 250 * time.Millisecond

// Schedule tuning. Reads are free but each costs a round trip; the schedule aims to read once
// just after the expected end, and to back off when that guess was wrong.
const (
	// firstReadWithoutEstimate is when a task with no known estimate is read first. Most submit
	// answers carry no estimate, and the first read is what learns one (or finds a task that was
	// done at once), so it comes right away.
	firstReadWithoutEstimate = 0
	// completionMargin is added to an expected end so that the read lands just after it.
	completionMargin = 60 * time.Millisecond
	// maxPollInterval bounds any single wait, however late a prediction says the task ends.
	maxPollInterval = 30 * time.Second
	// blindBackoffMax caps the doubling waits used when nothing predicts the end.
	blindBackoffMax = 10 * time.Second
	// overdueBackoffMin and overdueBackoffMax bound the cap of the doubling waits used once a task
	// runs past its expected end.
	overdueBackoffMin = 1 * time.Second
	overdueBackoffMax = 10 * time.Second
)

// WaitOptions tunes WaitForTask.
type WaitOptions struct {
	// EstimatedTime is the server's estimate from the Submission; 0 when unknown.
	EstimatedTime time.Duration
	// SubmittedAt is when the task was submitted; zero means now. An adopted task may be older.
	SubmittedAt time.Time
	// OnProgress is called after each successful read.
	OnProgress func(*Task)
}

// WaitForTask reads the task until it ends, on a schedule built from the estimate and the
// reported progress.
//
// A completed task returns (task, nil); a failed or cancelled one returns (task, *TaskFailedError).
// When the context ends, or a read fails in a way retrying cannot fix (404, 401, 403, ...), it
// returns the last state seen (nil if none) and a *WaitError wrapping the cause. A read that
// failed transiently after its own retries does not end the wait; the next read is just later.
func (c *Client) WaitForTask(ctx context.Context, taskID string, opts WaitOptions) (*Task, error) {
	began := c.clock.Now()
	if err := checkTaskID(taskID); err != nil {
		return nil, &WaitError{TaskID: taskID, Err: err}
	}
	start := opts.SubmittedAt
	if start.IsZero() {
		start = began
	}
	p := &poller{state: pollState{estimate: max(opts.EstimatedTime, 0)}}
	var last *Task
	var lastErr error
	// The minimum interval runs from the end of the previous read, so that it also holds
	// between the arrivals at the server, whatever the transit times.
	var lastReadEnd time.Time
	stop := func(err error) (*Task, error) {
		return last, &WaitError{TaskID: taskID, Last: last, Elapsed: c.clock.Now().Sub(began), Err: err}
	}

	for {
		wait := p.next(c.clock.Now().Sub(start))
		if !lastReadEnd.IsZero() {
			wait = max(wait, lastReadEnd.Add(MinPollInterval).Sub(c.clock.Now()))
		}
		c.logger.Log(ctx, LogDebug, "waiting before the next task read",
			map[string]any{"task_id": taskID, "wait": wait.String(), "expected_end": p.expectedEnd.String()})
		if err := c.clock.Sleep(ctx, wait); err != nil {
			if lastErr != nil {
				err = fmt.Errorf("%w (the last read had failed: %w)", err, lastErr)
			}
			return stop(err)
		}

		readAt := c.clock.Now().Sub(start)
		task, err := c.GetTask(ctx, taskID)
		lastReadEnd = c.clock.Now()
		if err != nil {
			if ctx.Err() != nil || !transientReadError(err) {
				return stop(err)
			}
			c.logger.Log(ctx, LogWarn, "reading the task failed; will read again later",
				map[string]any{"task_id": taskID, "error": err.Error()})
			lastErr = err
			p.failedRead(readAt)
			continue
		}
		last, lastErr = task, nil
		if opts.OnProgress != nil {
			opts.OnProgress(task)
		}
		switch task.Status {
		case StatusCompleted:
			return task, nil
		case StatusFailed, StatusCancelled:
			return task, &TaskFailedError{Task: task}
		}
		p.observe(readAt, task)
	}
}

// transientReadError reports a read failure that a later read may not repeat: a transient
// status, a garbled or cut answer, or a transport failure that is not hopeless.
func transientReadError(err error) bool {
	var apiErr *APIError
	var urlErr *url.Error
	switch {
	case errors.As(err, &apiErr):
		return transientStatus(apiErr.StatusCode)
	case errors.As(err, &urlErr):
		return !hopeless(urlErr)
	}
	return true
}

// progressPoint is a read that reported progress; at is measured from the submission.
type progressPoint struct {
	at      time.Duration
	percent int64
}

// pollState is what the schedule knows; every time is measured from the submission.
type pollState struct {
	estimate time.Duration // expected run time; 0 when unknown
	now      time.Duration // when the last read happened, or the present before the first read
	reads    int           // reads so far, failed ones included
	last     progressPoint // the last read; at 0 before the first
	prev     progressPoint // the latest read with lower progress than last, for the rate
	overdue  int           // consecutive reads that found the task running past its expected end
}

// poller feeds nextPoll from the reads of WaitForTask.
type poller struct {
	state       pollState
	expectedEnd time.Duration
}

// next returns the wait before the next read; now is the time since the submission.
func (p *poller) next(now time.Duration) time.Duration {
	if p.state.reads == 0 {
		p.state.now = now
	}
	wait, end := nextPoll(p.state)
	p.expectedEnd = end
	return max(wait-(now-p.state.now), 0)
}

// observe records a read, made at the given time since submission, of a task still running.
func (p *poller) observe(at time.Duration, t *Task) {
	s := &p.state
	p.countRead(at)
	if t.EstimatedTime > 0 {
		s.estimate = t.EstimatedTime
	}
	if s.last.at > 0 && t.Progress > s.last.percent {
		s.prev = s.last
	}
	s.last = progressPoint{at: at, percent: t.Progress}
}

// failedRead records a read that learned nothing; it counts as overdue so that waits grow.
func (p *poller) failedRead(at time.Duration) {
	p.countRead(at)
	p.state.overdue = max(p.state.overdue, 1)
}

func (p *poller) countRead(at time.Duration) {
	s := &p.state
	s.now = at
	s.reads++
	if p.expectedEnd > 0 && at >= p.expectedEnd {
		s.overdue++
	} else {
		s.overdue = 0
	}
}

// nextPoll returns how long to wait before the next read and when the task is expected to end
// (0 when nothing predicts it).
//
// Until some progress shows, the schedule reads at half the estimate, or after
// firstReadWithoutEstimate when there is none, since an estimate alone is a weak guide. Later reads
// aim just past the expected end. Once the task runs past it, waits double from MinPollInterval up
// to a quarter of the estimate (1 s to 10 s), so a stuck task is not hammered; with nothing to
// predict from, they double from 1 s up to 10 s.
func nextPoll(s pollState) (wait, expectedEnd time.Duration) {
	end := predictEnd(s)
	halfEstimate := max(s.estimate/2, MinPollInterval)
	switch {
	case s.reads == 0 && s.estimate == 0:
		wait = firstReadWithoutEstimate - s.now
	case s.last.percent == 0 && s.estimate > 0 && (s.reads == 0 || s.now < halfEstimate):
		wait = halfEstimate - s.now
	case end > s.now:
		wait = end + completionMargin - s.now
	case end == 0:
		wait = doubling(time.Second, s.reads-1, blindBackoffMax)
	}
	if s.reads == 0 {
		return max(wait, 0), end
	}
	if s.overdue > 0 {
		wait = max(wait, doubling(MinPollInterval, s.overdue-1, overdueCap(s.estimate)))
	}
	return min(max(wait, MinPollInterval), maxPollInterval), end
}

// predictEnd returns the earliest future end among the estimate, the progress of the last read
// alone (as if progress started at the submission), and the rate since the latest read with lower
// but non-zero progress (a read at 0 % says nothing of when progress started). When every
// prediction has passed, it returns the latest one.
func predictEnd(s pollState) time.Duration {
	var candidates []time.Duration
	if s.estimate > 0 {
		candidates = append(candidates, s.estimate)
	}
	last, prev := s.last, s.prev
	if last.percent > 0 && last.percent < 100 {
		candidates = append(candidates, endFromProgress(last, s.estimate))
		if prev.percent > 0 && prev.percent < last.percent && prev.at < last.at {
			perPercent := float64(last.at-prev.at) / float64(last.percent-prev.percent)
			left := 100 - (float64(last.percent) + 0.5)
			candidates = append(candidates, last.at+time.Duration(left*perPercent))
		}
	}
	var earliestFuture, latest time.Duration
	for _, c := range candidates {
		if c > s.now && (earliestFuture == 0 || c < earliestFuture) {
			earliestFuture = c
		}
		latest = max(latest, c)
	}
	if earliestFuture > 0 {
		return earliestFuture
	}
	return latest
}

// endFromProgress predicts the end from one reading, as if progress started at the submission.
// The API reports whole percents, so p% means somewhere in [p, p+1): when the estimate falls in
// the range of ends that allows, the estimate is the sharper guess; otherwise the middle is used.
func endFromProgress(at progressPoint, estimate time.Duration) time.Duration {
	endAt := func(percent float64) time.Duration { return time.Duration(float64(at.at) * 100 / percent) }
	p := float64(at.percent)
	if estimate >= endAt(p+1) && estimate <= endAt(p) {
		return estimate
	}
	return endAt(p + 0.5)
}

// overdueCap is a quarter of the estimate, kept between 1 s and 10 s.
func overdueCap(estimate time.Duration) time.Duration {
	if estimate <= 0 {
		return overdueBackoffMax
	}
	return min(max(estimate/4, overdueBackoffMin), overdueBackoffMax)
}

// doubling returns base doubled n times, capped at limit.
func doubling(base time.Duration, n int, limit time.Duration) time.Duration {
	return backoffCeiling(base, limit, n)
}
