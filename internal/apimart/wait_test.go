package apimart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// timedTask answers task reads for a task that runs for duration from start on the clock, with
// linear progress, and then ends with finalStatus.
func timedTask(clock Clock, start time.Time, duration time.Duration, estimateSeconds int, finalStatus string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		elapsed := clock.Now().Sub(start)
		status, progress, extra := StatusProcessing, int64(100*elapsed/duration), ""
		if elapsed >= duration {
			status, progress = finalStatus, 100
			extra = `,"result":{"images":[{"url":["https://cdn.example/x.png"]}]}`
			if finalStatus != StatusCompleted {
				progress, extra = 0, `,"error":{"code":500,"message":"upstream refused","type":"upstream_error"}`
			}
		}
		reply(200, fmt.Sprintf(`{"code":200,"data":{"id":"task_1","status":%q,"progress":%d,"estimated_time":%d%s}}`,
			status, progress, estimateSeconds, extra))(w, r)
	}
}

func TestWaitForTaskReadsSparinglyAndFinishesSoon(t *testing.T) {
	t.Parallel()
	const duration = 1500 * time.Millisecond
	cfg := testConfig("")
	start := cfg.Clock.Now()
	srv := startScriptOn(t, cfg.Clock, timedTask(cfg.Clock, start, duration, 2, StatusCompleted))
	cfg.BaseURL = srv.URL
	c := newTestClient(t, cfg)
	var progressCalls atomic.Int32
	task, err := c.WaitForTask(context.Background(), "task_1", WaitOptions{
		SubmittedAt: start,
		OnProgress:  func(*Task) { progressCalls.Add(1) },
	})
	finished := cfg.Clock.Now().Sub(start)
	if err != nil || task.Status != StatusCompleted || len(task.URLs()) != 1 {
		t.Fatalf("WaitForTask = %+v, %v", task, err)
	}
	hits := srv.Hits()
	if len(hits) > 4 {
		t.Errorf("%d reads for a 1.5 s task, want at most 4", len(hits))
	}
	for i := 1; i < len(hits); i++ {
		if gap := hits[i].at.Sub(hits[i-1].at); gap < MinPollInterval {
			t.Errorf("reads %d and %d were %s apart, want at least %s", i, i+1, gap, MinPollInterval)
		}
	}
	if overhead := finished - duration; overhead > 600*time.Millisecond {
		t.Errorf("returned %s after the task completed", overhead)
	}
	if int(progressCalls.Load()) != len(hits) {
		t.Errorf("OnProgress called %d times for %d reads", progressCalls.Load(), len(hits))
	}
}

func TestWaitForTaskUsesTheSubmitEstimate(t *testing.T) {
	t.Parallel()
	cfg := testConfig("")
	start := cfg.Clock.Now()
	srv := startScriptOn(t, cfg.Clock, timedTask(cfg.Clock, start, time.Second, 1, StatusCompleted))
	cfg.BaseURL = srv.URL
	c := newTestClient(t, cfg)
	if _, err := c.WaitForTask(context.Background(), "task_1", WaitOptions{SubmittedAt: start, EstimatedTime: time.Second}); err != nil {
		t.Fatal(err)
	}
	hits := srv.Hits()
	if first := hits[0].at.Sub(start); first < 450*time.Millisecond || first > time.Second {
		t.Errorf("first read after %s, want about half the 1 s estimate", first)
	}
	if len(hits) > 3 {
		t.Errorf("%d reads, want at most 3", len(hits))
	}
}

func TestWaitForTaskReadsAnOldTaskAtOnce(t *testing.T) {
	srv := startScript(t, reply(200, taskCompletedURLArray))
	cfg := testConfig(srv.URL)
	c := newTestClient(t, cfg)
	took := stopwatch(cfg.Clock)
	_, err := c.WaitForTask(context.Background(), "task_01AAA", WaitOptions{
		SubmittedAt: cfg.Clock.Now().Add(-10 * time.Minute), EstimatedTime: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := took(); took > 200*time.Millisecond {
		t.Errorf("an adopted task past its estimate was first read after %s", took)
	}
}

func TestWaitForTaskEndings(t *testing.T) {
	t.Parallel()
	past := time.Now().Add(-time.Hour)
	tests := []struct {
		name    string
		answers []http.HandlerFunc
		check   func(t *testing.T, task *Task, err error)
	}{
		{
			name:    "failed",
			answers: []http.HandlerFunc{reply(200, taskFailed)},
			check: func(t *testing.T, task *Task, err error) {
				var failed *TaskFailedError
				if !errors.As(err, &failed) || failed.Task != task || task.Status != StatusFailed {
					t.Fatalf("WaitForTask = %+v, %v; want a TaskFailedError", task, err)
				}
				if got := err.Error(); got != `task task_01CCC ended with status "failed": upstream refused (code 500)` {
					t.Errorf("error text %q", got)
				}
			},
		},
		{
			name:    "cancelled",
			answers: []http.HandlerFunc{reply(200, `{"code":200,"data":{"id":"t","status":"cancelled"}}`)},
			check: func(t *testing.T, task *Task, err error) {
				var failed *TaskFailedError
				if !errors.As(err, &failed) || task == nil || task.Status != StatusCancelled {
					t.Fatalf("WaitForTask = %+v, %v; want a TaskFailedError", task, err)
				}
			},
		},
		{
			name: "404 after a read keeps the last state",
			answers: []http.HandlerFunc{
				reply(200, `{"code":200,"data":{"id":"t","status":"pending","estimated_time":1}}`),
				reply(404, `{"error":{"message":"task does not exist or has expired"}}`),
			},
			check: func(t *testing.T, task *Task, err error) {
				var waitErr *WaitError
				if !errors.As(err, &waitErr) || !IsNotFound(err) {
					t.Fatalf("WaitForTask = %v; want a WaitError wrapping a 404", err)
				}
				if task == nil || waitErr.Last != task || task.Status != StatusPending {
					t.Errorf("last state = %+v, want the pending task", task)
				}
			},
		},
		{
			name:    "401 at the first read",
			answers: []http.HandlerFunc{reply(401, `{"error":{"message":"Failed to get token info"}}`)},
			check: func(t *testing.T, task *Task, err error) {
				var waitErr *WaitError
				if !errors.As(err, &waitErr) || !IsUnauthorized(err) || task != nil || waitErr.Last != nil {
					t.Fatalf("WaitForTask = %+v, %v; want a WaitError wrapping a 401 and no state", task, err)
				}
			},
		},
		{
			name: "a transient failure outlasting the retries does not end the wait",
			answers: []http.HandlerFunc{
				reply(503, `{}`), reply(503, `{}`), reply(503, `{}`), reply(503, `{}`),
				reply(200, taskCompletedURLArray),
			},
			check: func(t *testing.T, task *Task, err error) {
				if err != nil || task.Status != StatusCompleted {
					t.Fatalf("WaitForTask = %+v, %v; want the completed task", task, err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScript(t, tt.answers...)
			task, err := newTestClient(t, testConfig(srv.URL)).WaitForTask(context.Background(), "t", WaitOptions{SubmittedAt: past})
			tt.check(t, task, err)
		})
	}
}

// The cancel must arrive while the wait sleeps, so this test runs on the wall clock.
func TestWaitForTaskReturnsAtOnceWhenCancelled(t *testing.T) {
	srv := startScript(t, reply(200, taskProcessing))
	cfg := testConfig(srv.URL)
	cfg.Clock = realClock{}
	c := newTestClient(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var cancelledAt atomic.Int64
	time.AfterFunc(150*time.Millisecond, func() {
		cancelledAt.Store(time.Now().UnixNano())
		cancel()
	})
	task, err := c.WaitForTask(ctx, "task_01DDD", WaitOptions{EstimatedTime: 20 * time.Second})
	returned := time.Now()
	var waitErr *WaitError
	if !errors.As(err, &waitErr) || !errors.Is(err, context.Canceled) || task != nil {
		t.Fatalf("WaitForTask = %+v, %v; want a WaitError wrapping context.Canceled", task, err)
	}
	if lag := returned.Sub(time.Unix(0, cancelledAt.Load())); lag > 50*time.Millisecond {
		t.Errorf("returned %s after the cancel, want within 50ms", lag)
	}
	if n := len(srv.Hits()); n != 0 {
		t.Errorf("read %d times before half the estimate", n)
	}
}

func TestWaitForTaskStopsAtTheDeadline(t *testing.T) {
	t.Parallel()
	srv := startScript(t, reply(200, taskProcessing))
	c := newTestClient(t, testConfig(srv.URL))
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	task, err := c.WaitForTask(ctx, "task_01DDD", WaitOptions{})
	if !errors.Is(err, context.DeadlineExceeded) || task == nil || task.Progress != 42 {
		t.Fatalf("WaitForTask = %+v, %v; want the last state and a deadline error", task, err)
	}
	var waitErr *WaitError
	if !errors.As(err, &waitErr) || waitErr.Elapsed < time.Second || waitErr.TaskID != "task_01DDD" {
		t.Errorf("WaitError = %+v", waitErr)
	}
}
