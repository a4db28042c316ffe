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
type handoverQueue struct {
	mu    sync.Mutex
	tasks map[string][]handedOverTask
}

// handedOverTask is an unfinished task whose resource was destroyed for replacement.
type handedOverTask struct {
	TaskID      string
	SubmittedAt time.Time
	// ReferenceURLs are the image_urls the task was submitted with, so the replacement uploads nothing.
	ReferenceURLs []string
}

func newHandoverQueue() *handoverQueue {
	return &handoverQueue{tasks: map[string][]handedOverTask{}}
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

// imageInputs are the arguments that decide which image a task makes.
type imageInputs struct {
	Prompt  string            `json:"prompt"`
	Model   string            `json:"model"`
	Size    string            `json:"size"`
	N       int64             `json:"n"`
	Keepers map[string]string `json:"keepers"`
	argumentInputs
	// References are the content digests of the reference images (a URL stands for itself), so a
	// moved file or a new upload URL is the same input.
	References []string `json:"references,omitempty"`
}

// handoverKey hashes the inputs. It only matches tasks across a Delete and a Create; it is never
// sent to the API as a submit's identity, because two resources with identical inputs are two images.
func (in imageInputs) handoverKey() string {
	// Encoding a struct of strings and maps cannot fail, and map keys are sorted.
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
