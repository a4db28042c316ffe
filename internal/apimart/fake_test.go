package apimart_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// These tests run the client against the fake API, which mimics the documented API.

// startFake starts the fake and a client for it on one fake clock, so that the client's waits
// cost no real time while the fake's tasks still take theirs.
func startFake(t *testing.T, opts ...fakeapimart.Option) (*fakeapimart.Server, *apimart.Client, *apimart.FakeClock) {
	t.Helper()
	clock := apimart.NewFakeClock()
	srv, url := fakeapimart.Start(t, append(opts, func(set *fakeapimart.Settings) { set.Now = clock.Now })...)
	c, err := apimart.NewClient(apimart.Config{
		BaseURL:      url,
		APIKey:       fakeapimart.DefaultKey,
		MaxRetries:   apimart.DefaultMaxRetries,
		RetryWaitMin: 10 * time.Millisecond,
		RetryWaitMax: 50 * time.Millisecond,
		Clock:        clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, clock
}

var fox = apimart.GenerationRequest{Model: "imagen-4.0-apimart", Prompt: "a red fox in snow", Size: "1:1", N: 1}

func TestFakeSubmitAndWaitForEveryShape(t *testing.T) {
	for _, shape := range []fakeapimart.Shape{fakeapimart.ShapeV1, fakeapimart.ShapeV2, fakeapimart.ShapeV3} {
		t.Run(string(shape), func(t *testing.T) {
			t.Parallel()
			const duration = 1200 * time.Millisecond
			srv, c, clock := startFake(t, func(set *fakeapimart.Settings) {
				set.SubmitShape = shape
				set.TaskDuration = duration
				set.URLAsString = shape == fakeapimart.ShapeV3
			})
			sub, err := c.Submit(context.Background(), fox)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			// As the provider does: the wait starts its clock when the submit has returned.
			task, err := c.WaitForTask(context.Background(), sub.TaskID, apimart.WaitOptions{EstimatedTime: sub.EstimatedTime})
			if err != nil || task.Status != apimart.StatusCompleted || len(task.URLs()) != 1 || task.ExpiresAt().IsZero() {
				t.Fatalf("WaitForTask = %+v, %v", task, err)
			}
			if overhead := clock.Now().Sub(srv.Tasks()[0].CompletedAt); overhead > 600*time.Millisecond {
				t.Errorf("returned %s after the task completed", overhead)
			}
			reads := srv.TaskReadTimes(sub.TaskID)
			if len(reads) > 4 {
				t.Errorf("%d reads, want at most 4", len(reads))
			}
			for i := 1; i < len(reads); i++ {
				if gap := reads[i].Sub(reads[i-1]); gap < apimart.MinPollInterval {
					t.Errorf("reads %s apart", gap)
				}
			}
		})
	}
}

func TestFakeIdenticalSubmitsAreTwoTasks(t *testing.T) {
	srv, c, _ := startFake(t)
	a, errA := c.Submit(context.Background(), fox)
	b, errB := c.Submit(context.Background(), fox)
	if errA != nil || errB != nil || a.TaskID == b.TaskID || a.Replayed || b.Replayed {
		t.Fatalf("submits = %+v %v, %+v %v", a, errA, b, errB)
	}
	if n := srv.Counters().TasksCreated; n != 2 {
		t.Errorf("%d tasks created, want 2", n)
	}
}

func TestFakeSubmitFaults(t *testing.T) {
	tests := []struct {
		name          string
		fault         fakeapimart.SubmitFault
		wantAmbiguous bool
		wantSubmits   int64
		wantTasks     int64
	}{
		{"503 is retried", fakeapimart.SubmitFault{Status: 503}, false, 2, 1},
		{"429 is retried", fakeapimart.SubmitFault{Status: 429}, false, 2, 1},
		{"500 that created a task is ambiguous", fakeapimart.SubmitFault{Status: 500, CreateTask: true}, true, 1, 1},
		{"502 is ambiguous", fakeapimart.SubmitFault{Status: 502}, true, 1, 0},
		{"a reset is ambiguous", fakeapimart.SubmitFault{Reset: true}, true, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c, _ := startFake(t)
			srv.Configure(func(set *fakeapimart.Settings) {
				set.FailNextSubmits = tt.fault
				set.FailNextSubmits.N = 1
			})
			sub, err := c.Submit(context.Background(), fox)
			if got := apimart.IsAmbiguousSubmit(err); got != tt.wantAmbiguous {
				t.Fatalf("Submit = %+v, %v; ambiguous %v, want %v", sub, err, got, tt.wantAmbiguous)
			}
			if !tt.wantAmbiguous && (err != nil || sub.TaskID == "") {
				t.Fatalf("Submit = %+v, %v; want success after a retry", sub, err)
			}
			counters := srv.Counters()
			if counters.Submits != tt.wantSubmits || counters.TasksCreated != tt.wantTasks {
				t.Errorf("submits %d, tasks %d; want %d, %d", counters.Submits, counters.TasksCreated, tt.wantSubmits, tt.wantTasks)
			}
		})
	}
}

func TestFakeReadFaultsDuringAWait(t *testing.T) {
	t.Parallel()
	srv, c, clock := startFake(t, func(set *fakeapimart.Settings) { set.TaskDuration = 600 * time.Millisecond })
	sub, err := c.Submit(context.Background(), fox)
	if err != nil {
		t.Fatal(err)
	}
	srv.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTaskReads = fakeapimart.ReadFault{N: 2, Kind: fakeapimart.ReadStatus, Status: 502}
	})
	task, err := c.WaitForTask(context.Background(), sub.TaskID, apimart.WaitOptions{})
	if err != nil || task.Status != apimart.StatusCompleted {
		t.Fatalf("WaitForTask = %+v, %v", task, err)
	}

	srv.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTaskReads = fakeapimart.ReadFault{N: 1, Kind: fakeapimart.ReadHuge}
	})
	if _, err := c.GetTask(context.Background(), sub.TaskID); err == nil {
		t.Error("a 32 MiB answer was accepted")
	}
	srv.ForgetAllTasks()
	_, err = c.WaitForTask(context.Background(), sub.TaskID, apimart.WaitOptions{SubmittedAt: clock.Now().Add(-time.Hour)})
	var waitErr *apimart.WaitError
	if !errors.As(err, &waitErr) || !apimart.IsNotFound(err) {
		t.Errorf("waiting for a forgotten task = %v, want a WaitError wrapping a 404", err)
	}
}

func TestFakeFailedTask(t *testing.T) {
	t.Parallel()
	srv, c, _ := startFake(t, func(set *fakeapimart.Settings) { set.TaskDuration = 300 * time.Millisecond })
	srv.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTasks = fakeapimart.TaskOutcome{N: 1, Status: "failed",
			Error: &fakeapimart.TaskError{Code: 451, Message: "prompt refused", Type: "moderation"}}
	})
	sub, err := c.Submit(context.Background(), fox)
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.WaitForTask(context.Background(), sub.TaskID, apimart.WaitOptions{EstimatedTime: sub.EstimatedTime})
	var failed *apimart.TaskFailedError
	if !errors.As(err, &failed) || task.Error == nil || task.Error.Code != "451" || task.Error.Message != "prompt refused" {
		t.Fatalf("WaitForTask = %+v, %v; want a TaskFailedError with the task's error", task, err)
	}
}

func TestFakeBalanceOfKeyAndAccount(t *testing.T) {
	fake, c, _ := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.Balances[fakeapimart.DefaultKey] = 4 })
	fake.Configure(func(set *fakeapimart.Settings) { set.AccountBalance = fakeapimart.Unlimited })
	key, err := c.Balance(context.Background(), apimart.ScopeKey)
	if err != nil || key.Remaining != 4 || key.Unlimited || key.RemainingCredits != nil {
		t.Errorf("key balance = %+v, %v; want 4 left, limited, no credits", key, err)
	}
	account, err := c.Balance(context.Background(), apimart.ScopeAccount)
	if err != nil || !account.Unlimited {
		t.Errorf("account balance = %+v, %v; want unlimited", account, err)
	}
}

func TestFakeBalanceFailures(t *testing.T) {
	fake, url := fakeapimart.Start(t)
	clientWith := func(key string) *apimart.Client {
		c, err := apimart.NewClient(apimart.Config{BaseURL: url, APIKey: key, Clock: apimart.NewFakeClock()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	_, err := clientWith("sk-unknown").Balance(context.Background(), apimart.ScopeKey)
	var apiErr *apimart.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 200 || apiErr.Message != "Token Not Found" {
		t.Errorf("Balance with an unknown key = %v, want the 200 success:false as an APIError", err)
	}
	fake.Configure(func(set *fakeapimart.Settings) { set.BalanceFailure = "Used Quota Query Failed" })
	_, err = clientWith(fakeapimart.DefaultKey).Balance(context.Background(), apimart.ScopeAccount)
	if !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "Used Quota Query Failed") {
		t.Errorf("Balance with the failure knob = %v, want an APIError quoting the message", err)
	}
}
