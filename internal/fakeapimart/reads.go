package fakeapimart

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// ReadFaultKind selects how a task read fails; its value is its name in the control JSON.
type ReadFaultKind string

// Kinds of read faults. An empty kind is ReadStatus.
const (
	ReadStatus    ReadFaultKind = "status"    // answer Status with the error JSON
	ReadMalformed ReadFaultKind = "malformed" // HTTP 200 with the normal body cut in half
	ReadSlow      ReadFaultKind = "slow"      // sleep Delay, then answer normally
	ReadReset     ReadFaultKind = "reset"     // close the connection without an answer
	ReadHuge      ReadFaultKind = "huge"      // HTTP 200 with about 32 MiB of never-ending JSON
	ReadNonJSON   ReadFaultKind = "non_json"  // an HTML error page with Status, or 502
)

// ReadFault makes the next N task reads fail, whatever task they ask for.
type ReadFault struct {
	N      int           `json:"n"`
	Kind   ReadFaultKind `json:"kind"`
	Status int           `json:"status"` // for ReadStatus (0 means 500) and ReadNonJSON (0 means 502)
	Delay  time.Duration `json:"delay"`  // for ReadSlow
}

// hugeBodySize is the size of the ReadHuge answer: far above what a task answer needs.
const hugeBodySize = 32 << 20

func (s *Server) handleTask(w http.ResponseWriter, r *http.Request, c call) {
	id := r.PathValue("id")
	s.count(&s.counts.TaskReads)
	s.mu.Lock()
	s.readTimes[id] = append(s.readTimes[id], c.arrived)
	fault, faulted := take(s, &s.set.FailNextTaskReads, &s.set.FailNextTaskReads.N)
	s.mu.Unlock()

	if faulted && s.serveReadFault(w, r, fault) {
		return
	}
	t, found, set := s.lookupTask(id)
	var status int
	var body []byte
	switch {
	case !found || t.forgotten:
		status, body = http.StatusNotFound, errorAnswer(http.StatusNotFound, "task does not exist or has expired")
	case t.rec.Owner != c.owner:
		status, body = http.StatusForbidden, errorAnswer(http.StatusForbidden, "you do not have permission to access this task")
	default:
		status, body = http.StatusOK, mustJSON(map[string]any{"code": 200, "data": taskView(&t, set, requestOrigin(r))})
	}
	if faulted && fault.Kind == ReadMalformed {
		status, body = http.StatusOK, body[:len(body)/2]
	}
	writeBody(w, status, "application/json", body)
}

// serveReadFault answers the fault and reports true, or reports false when the normal answer
// (possibly mangled) should follow.
func (s *Server) serveReadFault(w http.ResponseWriter, r *http.Request, f ReadFault) bool {
	switch f.Kind {
	case ReadMalformed:
		return false
	case ReadSlow:
		return !s.sleep(r.Context(), f.Delay)
	case ReadReset:
		abortConnection(w)
	case ReadHuge:
		writeHugeBody(w)
	case ReadNonJSON:
		status := s.faultStatus(f.Status, http.StatusBadGateway)
		page := fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
			status, http.StatusText(status), status, http.StatusText(status))
		writeBody(w, status, "text/html", []byte(page))
	default:
		s.serveFault(w, s.faultStatus(f.Status, http.StatusInternalServerError), 0)
	}
	return true
}

// writeHugeBody streams a JSON document that never ends, so a client without a size limit
// either runs out of patience or fails to parse it.
func writeHugeBody(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"code":200,"data":{"junk":[`))
	chunk := bytes.Repeat([]byte(`"xxxxxxxx",`), 64<<10/11)
	for written := 0; written < hugeBodySize; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// lookupTask copies the task id, if there is one, and the settings. The copy of the settings is
// shallow: it is for reading their plain values, as their maps change under s.mu.
func (s *Server) lookupTask(id string) (task, bool, Settings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, found := s.tasks[id]; found {
		return *t, true, s.set
	}
	return task{}, false, s.set
}

// errorAnswer is the documented error object for status.
func errorAnswer(status int, message string) []byte {
	errorType := cmp.Or(errorTypes[status], "server_error")
	return mustJSON(map[string]TaskError{"error": {Code: status, Message: message, Type: errorType}})
}

// taskView is the "data" object of a task answer. cost and credits_cost are undocumented extras
// that the live API sends; they are here so that clients prove they ignore unknown fields.
func taskView(t *task, set Settings, origin string) map[string]any {
	now := set.Now()
	status, progress := t.state(now)
	view := map[string]any{
		"id":             t.rec.ID,
		"status":         status,
		"progress":       progress,
		"created":        t.rec.CreatedAt.Unix(),
		"estimated_time": wholeSecondsUp(t.estimated),
		"cost":           t.cost,
		"credits_cost":   math.Round(t.cost * 1000),
	}
	switch {
	case status == apimart.StatusCompleted:
		images := make([]map[string]any, t.rec.N)
		for i := range images {
			var url any = ResultURL(origin, t.rec.ID, int64(i))
			if !set.URLAsString {
				url = []any{url}
			}
			images[i] = map[string]any{"url": url, "expires_at": t.rec.CompletedAt.Add(set.URLLifetime).Unix()}
		}
		view["result"] = map[string]any{"images": images}
		view["completed"] = t.rec.CompletedAt.Unix()
		view["actual_time"] = int64(t.duration.Round(time.Second) / time.Second)
	case t.done(now) && t.outcome.Error != nil:
		view["error"] = t.outcome.Error
	}
	return view
}

// requestOrigin is scheme://host as the client reached the server, so that result URLs work
// through whatever address the test or demo used.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// submitResponse renders the submit answer in the selected documented shape.
func submitResponse(shape Shape, t task) any {
	switch shape {
	case ShapeV2:
		return map[string]any{"code": 200, "data": map[string]any{
			"id":        t.rec.ID,
			"object":    "image.generation.task",
			"model":     t.rec.Model,
			"type":      "image",
			"status":    apimart.StatusPending,
			"progress":  0,
			"created":   t.rec.CreatedAt.Unix(),
			"task_info": map[string]any{"can_cancel": true, "estimated_time": wholeSecondsUp(t.estimated)},
		}}
	case ShapeV3:
		return map[string]any{"code": "success", "message": "",
			"data": []map[string]string{{"task_id": t.rec.ID, "status": apimart.StatusProcessing}}}
	default:
		return map[string]any{"code": 200,
			"data": []map[string]string{{"status": apimart.StatusSubmitted, "task_id": t.rec.ID}}}
	}
}
