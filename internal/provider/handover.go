package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"
)

// handoverQueue hands paid tasks over from the Delete of an interrupted image to the Create that
// replaces it. Terraform replaces a tainted object by calling Delete and then Create in the same
// provider process; without the queue that Create would pay again for an image already being made.
// Keys are hashes of the inputs, so only a replacement with identical inputs takes a task over, and a
// queue per key lets several identical resources (count) each take over at most one task.
//
// The queue also remembers, for one plan, the unfinished tasks that the refresh found the API has
// forgotten: they are never handed over, but the plan that replaces such an object says why it pays.
type handoverQueue struct {
	mu        sync.Mutex
	tasks     map[string][]handedOverTask
	forgotten map[string]string
}

// handedOverTask is an unfinished task whose resource was destroyed for replacement.
type handedOverTask struct {
	TaskID      string
	SubmittedAt time.Time
	// ReferenceURLs are the image_urls the task was submitted with, so the replacement uploads nothing.
	ReferenceURLs []string
}

func newHandoverQueue() *handoverQueue {
	return &handoverQueue{tasks: map[string][]handedOverTask{}, forgotten: map[string]string{}}
}

func (q *handoverQueue) push(key string, t handedOverTask) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks[key] = append(q.tasks[key], t)
}

// pop takes the oldest task queued under key.
func (q *handoverQueue) pop(key string) (handedOverTask, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	queued := q.tasks[key]
	if len(queued) == 0 {
		return handedOverTask{}, false
	}
	t := queued[0]
	if len(queued) == 1 {
		delete(q.tasks, key)
	} else {
		q.tasks[key] = queued[1:]
	}
	return t, true
}

// noteForgotten records that the API no longer knows the unfinished task of an object with these
// inputs.
func (q *handoverQueue) noteForgotten(key, taskID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.forgotten[key] = taskID
}

func (q *handoverQueue) anyForgotten() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.forgotten) > 0
}

// forgottenTask returns the forgotten task of an object with these inputs, if the refresh found one.
func (q *handoverQueue) forgottenTask(key string) (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	taskID, ok := q.forgotten[key]
	return taskID, ok
}

// handoverKey hashes the inputs. It only matches tasks across a Delete and a Create; it is never
// sent to the API as a submit's identity, because two resources with identical inputs are two images.
func (in imageInputs) handoverKey() string {
	// Encoding a struct of strings and maps cannot fail, and map keys are sorted.
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
