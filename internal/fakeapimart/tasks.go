package fakeapimart

import (
	"cmp"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"slices"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// pendingShare is the part of a task's duration it spends queued before processing starts.
const pendingShare = 0.10

// TaskRecord is what the server knows about a task.
type TaskRecord struct {
	ID            string
	Owner         string // the API key that created it
	Model         string
	Prompt        string
	RequestedSize string // as sent; empty when none was sent
	Size          string // the size actually generated
	// RequestedResolution is the tier as sent; Resolution is the tier generated, empty for a
	// model without tiers.
	RequestedResolution string
	Resolution          string
	N                   int64
	ImageURLs           []string // the reference images sent, in order
	// Body is the submit's JSON body as received, so tests can check each field's JSON type.
	Body           json.RawMessage
	IdempotencyKey string
	CreatedAt      time.Time
	CompletedAt    time.Time // when the task reaches its final status
	Status         string    // the final status
}

// TaskOutcome replaces the normal "completed" end of the next N tasks created.
type TaskOutcome struct {
	N int `json:"n"`
	// Status is "failed", "cancelled" or any other string, reported once the duration is over.
	// Empty means "failed".
	Status string `json:"status"`
	// Error is reported with the status; a failed task without one gets a generic error.
	Error *TaskError `json:"error,omitempty"`
}

// TaskError is the error object of a failed task; the API answers failed requests with the same
// object.
type TaskError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Type    string `json:"type"`
}

var defaultTaskError = TaskError{Code: 500, Message: "image generation failed upstream", Type: "generation_error"}

type task struct {
	rec       TaskRecord
	duration  time.Duration
	estimated time.Duration
	outcome   TaskOutcome
	forgotten bool
	cost      float64 // what the owner paid, fixed at creation
}

// newTask is the request a task is created from, after the API's own defaults were applied: the
// record to be, which createTask completes with the id, the times and the final status.
type newTask struct {
	TaskRecord
	references int
	// forced, when set, is an outcome the request itself causes; it does not use FailNextTasks.
	forced *TaskOutcome
}

// createTask records a task. The caller holds s.mu.
func (s *Server) createTask(req newTask) *task {
	now := s.set.Now()
	t := &task{
		duration:  s.set.TaskDuration,
		estimated: cmp.Or(s.set.EstimatedTime, max(time.Second, s.set.TaskDuration)),
		outcome:   TaskOutcome{Status: apimart.StatusCompleted},
	}
	// A request that decides its own fate leaves the injected outcomes for the next tasks.
	if req.forced != nil {
		t.outcome = *req.forced
	} else if o, ok := take(s, &s.set.FailNextTasks, &s.set.FailNextTasks.N); ok {
		t.outcome = o
		t.outcome.Status = cmp.Or(o.Status, apimart.StatusFailed)
	}
	if t.outcome.Status == apimart.StatusFailed {
		t.outcome.Error = cmp.Or(t.outcome.Error, &defaultTaskError) // a failed task always reports an error
	}
	t.rec = req.TaskRecord
	t.rec.ID = newTaskID()
	t.rec.CreatedAt = now
	t.rec.CompletedAt = now.Add(t.duration)
	t.rec.Status = t.outcome.Status
	s.tasks[t.rec.ID] = t
	s.taskRecs = append(s.taskRecs, t.rec)
	s.chargeLocked(t)
	s.count(&s.counts.TasksCreated)
	return t
}

var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// newTaskID draws an id of the current documented form: "task_" and a 26-character ULID, whose
// first two characters are "01" until the year 2248. The other 24 carry 120 random bits, so ids
// do not collide.
func newTaskID() string {
	raw := make([]byte, 15)
	_, _ = rand.Read(raw)
	return "task_01" + crockford.EncodeToString(raw)
}

// done reports whether the task has reached its final status.
func (t *task) done(now time.Time) bool { return now.Sub(t.rec.CreatedAt) >= t.duration }

// state is the status and progress of a task at a given time.
func (t *task) state(now time.Time) (string, int) {
	elapsed := now.Sub(t.rec.CreatedAt)
	switch {
	case t.done(now):
		if t.outcome.Status == apimart.StatusCompleted {
			return apimart.StatusCompleted, 100
		}
		return t.outcome.Status, 0
	case elapsed < time.Duration(float64(t.duration)*pendingShare):
		return apimart.StatusPending, 0
	default:
		return apimart.StatusProcessing, min(99, int(100*elapsed/t.duration))
	}
}

// ForgetAllTasks makes every existing task answer 404, as after the server's retention. Their
// image URLs keep working until they expire, and their idempotency keys are forgotten too.
func (s *Server) ForgetAllTasks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tasks {
		t.forgotten = true
	}
	clear(s.replays)
}

// Tasks returns every task created so far, in creation order.
func (s *Server) Tasks() []TaskRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.taskRecs)
}

// TaskReadTimes returns when each GET of the task id arrived, in order, whether or not it
// was answered successfully.
func (s *Server) TaskReadTimes(id string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.readTimes[id])
}

// SeedTask creates a task without a request, as if owner had submitted it. The size gets the
// same treatment as a submit's: empty means the model's default, and a model with a silent
// fallback replaces an unsupported size. n <= 0 means 1.
func (s *Server) SeedTask(owner, model, prompt, size string, n int64) TaskRecord {
	effective, resolution := cmp.Or(size, "1:1"), ""
	if m, ok := apimart.LookupModel(model); ok {
		effective, resolution = effectiveSize(m, size), m.DefaultResolution
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.createTask(newTask{TaskRecord: TaskRecord{Owner: owner, Model: model, Prompt: prompt, RequestedSize: size,
		Size: effective, Resolution: resolution, N: max(n, 1)}})
	return t.rec
}

// effectiveSize is the size the API generates for a requested one, assuming it is accepted.
func effectiveSize(m apimart.Model, requested string) string {
	if requested == "" || (m.SilentSizeFallback && !slices.Contains(m.Sizes, requested)) {
		return m.DefaultSize
	}
	return requested
}

type replayKey struct{ owner, key string }
