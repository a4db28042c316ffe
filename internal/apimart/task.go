package apimart

import "time"

// Task statuses reported by GET /v1/tasks/{id}. Any other value is kept verbatim.
const (
	StatusSubmitted  = "submitted"
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
	StatusCancelled  = "cancelled"
)

// Submission is what a submit returns: a task id and, when the response carries them, the
// initial status and the server's estimate of the task's duration.
type Submission struct {
	TaskID        string
	Status        string
	EstimatedTime time.Duration
	// IdempotencyKey is the key sent with the submit (and with its retries).
	IdempotencyKey string
	// Replayed is set when the server answered from its idempotency cache.
	Replayed bool
}

// Task is the state of a generation task.
type Task struct {
	ID            string
	Status        string
	Progress      int64
	Images        []Image
	Created       time.Time // zero when not reported
	Completed     time.Time // zero when not reported
	EstimatedTime time.Duration
	ActualTime    time.Duration
	Error         *TaskError
}

// Image is one generated result. The API reports url as a string or as an array of strings.
type Image struct {
	URLs      []string
	ExpiresAt time.Time // zero when not reported
}

// TaskError is the error object of a failed task.
type TaskError struct {
	Code    string
	Message string
	Type    string
}

// IsTerminal reports whether the task can no longer change.
func (t *Task) IsTerminal() bool {
	switch t.Status {
	case StatusCompleted, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// URLs returns every result URL, in order.
func (t *Task) URLs() []string {
	var urls []string
	for _, img := range t.Images {
		urls = append(urls, img.URLs...)
	}
	return urls
}

// ExpiresAt returns the earliest expiry of the task's URLs, or the zero time when none is reported.
func (t *Task) ExpiresAt() time.Time {
	var earliest time.Time
	for _, img := range t.Images {
		if img.ExpiresAt.IsZero() {
			continue
		}
		if earliest.IsZero() || img.ExpiresAt.Before(earliest) {
			earliest = img.ExpiresAt
		}
	}
	return earliest
}
