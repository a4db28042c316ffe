package apimart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// MinPollInterval is the shortest time between two reads of one task.
const MinPollInterval = 250 * time.Millisecond

// Schedule tuning. Reads are free but each costs a round trip; the schedule aims to read once
// just after the expected end, and to back off when that guess was wrong.
const (
	// firstReadWithoutEstimate is when a task with no known estimate is read first, to learn one.
	firstReadWithoutEstimate = 750 * time.Millisecond
	// completionMargin is added to an expected end so that the read lands just after it.
	completionMargin = 150 * time.Millisecond
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
	began := time.Now()
	start := opts.SubmittedAt
	if start.IsZero() {
		start = began
	}
	p := &poller{state: pollState{estimate: max(opts.EstimatedTime, 0)}}
	var last *Task
	var lastErr error
	var lastRead time.Time
	stop := func(err error) (*Task, error) {
		return last, &WaitError{TaskID: taskID, Last: last, Elapsed: time.Since(began), Err: err}
	}

	for {
		wait := p.next(time.Since(start))
		if !lastRead.IsZero() {
			wait = max(wait, time.Until(lastRead.Add(MinPollInterval)))
		}
		c.logger.Debug("waiting before the next task read", "task_id", taskID, "wait", wait.String(), "expected_end", p.expectedEnd.String())
		if err := sleep(ctx, wait); err != nil {
			if lastErr != nil {
				err = fmt.Errorf("%w (the last read had failed: %w)", err, lastErr)
			}
			return stop(err)
		}

		lastRead = time.Now()
		task, err := c.GetTask(ctx, taskID)
		if err != nil {
			if ctx.Err() != nil || !transientReadError(err) {
				return stop(err)
			}
			c.logger.Warn("reading the task failed; will read again later", "task_id", taskID, "error", err.Error())
			lastErr = err
			p.failedRead(lastRead.Sub(start))
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
		p.observe(lastRead.Sub(start), task)
	}
}

// transientReadError reports a read failure that a later read may not repeat: the retryable
// statuses, and transport failures (no status at all). A decoding failure is not transient.
func transientReadError(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		s := apiErr.StatusCode
		return s == http.StatusTooManyRequests || (s >= 500 && s != http.StatusNotImplemented)
	}
	return !errors.Is(err, errUnexpectedBody) && !errors.Is(err, errBodyTooLarge)
}

// sleep waits for d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
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
	prev     progressPoint // the latest read with lower progress than last, for the rate; at 0 when none
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
// The first read comes at half the estimate, or after firstReadWithoutEstimate when there is
// none, to learn the progress. Later reads aim just past the expected end. Once the task runs past
// it, waits double from MinPollInterval up to a quarter of the estimate (1 s to 10 s), so a stuck
// task is not hammered; with nothing to predict from, they double from 1 s up to 10 s.
func nextPoll(s pollState) (wait, expectedEnd time.Duration) {
	end := predictEnd(s)
	if s.reads == 0 {
		first := firstReadWithoutEstimate
		if s.estimate > 0 {
			first = max(s.estimate/2, MinPollInterval)
		}
		return max(first-s.now, 0), end
	}
	switch {
	case end > s.now:
		wait = end + completionMargin - s.now
	case end == 0:
		wait = doubling(time.Second, s.reads-1, blindBackoffMax)
	}
	if s.overdue > 0 {
		wait = max(wait, doubling(MinPollInterval, s.overdue-1, overdueCap(s.estimate)))
	}
	return min(max(wait, MinPollInterval), maxPollInterval), end
}

// predictEnd returns the earliest future end among the estimate, the progress of the last read
// alone (as if progress started at the submission), and the rate since the latest read with lower
// progress (which may be a read still at 0 %, which bounds when progress started). A progress of
// p% is read as p+0.5%, since the API reports whole percents. When every prediction has passed, it
// returns the latest one.
func predictEnd(s pollState) time.Duration {
	var candidates []time.Duration
	if s.estimate > 0 {
		candidates = append(candidates, s.estimate)
	}
	last, prev := s.last, s.prev
	if last.percent > 0 && last.percent < 100 {
		p := float64(last.percent) + 0.5
		candidates = append(candidates, time.Duration(float64(last.at)*100/p))
		if prev.at > 0 && prev.percent < last.percent && prev.at < last.at {
			perPercent := float64(last.at-prev.at) / float64(last.percent-prev.percent)
			candidates = append(candidates, last.at+time.Duration((100-p)*perPercent))
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
