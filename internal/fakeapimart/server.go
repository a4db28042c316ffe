package fakeapimart

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultKey is the only key accepted when Settings.Keys names none.
const DefaultKey = "sk-fake-key"

// Defaults of the timing knobs.
const (
	DefaultTaskDuration = 2 * time.Second
	DefaultURLLifetime  = 24 * time.Hour
)

// Shape selects which documented submit response the server answers (API doc §2.2); in JSON it
// is "v1", "v2" or "v3".
type Shape string

// The empty Shape behaves as ShapeV1.
const (
	ShapeV1 Shape = "v1" // {"code":200,"data":[{"status":"submitted","task_id":...}]}
	ShapeV2 Shape = "v2" // {"code":200,"data":{"id":...,"status":"pending","task_info":{...}}}
	ShapeV3 Shape = "v3" // {"code":"success","message":"","data":[{"task_id":...,"status":"processing"}]}
)

// Server is the fake API. It implements http.Handler; all methods are safe for concurrent use.
type Server struct {
	mux      *http.ServeMux
	stopped  chan struct{}
	stopOnce sync.Once
	// countMu guards counts alone, so that a handler can count while it holds mu.
	countMu sync.Mutex
	counts  Counters

	mu          sync.Mutex
	set         Settings
	limiter     *rate.Limiter // nil when no limit is set
	tasks       map[string]*task
	taskRecs    []TaskRecord // in creation order
	replays     map[replayKey]*task
	readTimes   map[string][]time.Time
	uploads     map[string]*upload
	uploadRecs  []UploadRecord     // in upload order
	used        map[string]float64 // spent per key
	accountUsed float64
}

// New builds a server with no tasks, with the default settings changed by opts.
func New(opts ...Option) *Server {
	s := &Server{
		stopped:   make(chan struct{}),
		set:       defaultSettings(),
		tasks:     map[string]*task{},
		replays:   map[replayKey]*task{},
		readTimes: map[string][]time.Time{},
		uploads:   map[string]*upload{},
		used:      map[string]float64{},
	}
	s.Configure(opts...)
	s.mux = s.routes()
	return s
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/images/generations", s.v1(s.handleSubmit))
	mux.Handle("GET /v1/tasks/{id}", s.v1(s.handleTask))
	mux.Handle("POST /v1/uploads/images", s.v1(s.handleUpload))
	mux.Handle("GET /v1/balance", s.v1(s.balanceHandler(false)))
	mux.Handle("GET /v1/user/balance", s.v1(s.balanceHandler(true)))
	mux.Handle("GET /v1/models", s.v1(handleModels))
	mux.Handle("/v1/", s.v1(handleUnknownRoute))
	mux.HandleFunc("GET "+resultFilePrefix+"{file}", s.handleFile)
	mux.HandleFunc("GET /uploads/{id}/{file}", s.handleUploadedFile)
	mux.Handle("GET /_fake/counters", s.control(func(*http.Request) (any, error) { return s.Counters(), nil }))
	mux.Handle("POST /_fake/reset-counters", s.control(func(*http.Request) (any, error) {
		s.ResetCounters()
		return s.Counters(), nil
	}))
	mux.Handle("POST /_fake/forget-tasks", s.control(func(*http.Request) (any, error) {
		s.ForgetAllTasks()
		return map[string]any{}, nil
	}))
	mux.Handle("GET /_fake/settings", s.control(func(*http.Request) (any, error) { return s.Settings(), nil }))
	mux.Handle("POST /_fake/settings", s.control(s.setSettings))
	return mux
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/_fake/") {
		s.count(&s.counts.Requests)
	}
	s.mux.ServeHTTP(w, r)
}

// stop wakes every handler that is sleeping for latency or a slow read, so that closing a test
// server does not wait for them.
func (s *Server) stop() { s.stopOnce.Do(func() { close(s.stopped) }) }

// now reads the settings' clock.
func (s *Server) now() time.Time {
	s.mu.Lock()
	clock := s.set.Now
	s.mu.Unlock()
	return clock()
}

// Counters is a snapshot of what the server has seen; see the package doc for what each counts.
type Counters struct {
	Requests                   int64 `json:"requests"`
	Submits                    int64 `json:"submits"`
	TasksCreated               int64 `json:"tasks_created"`
	TaskReads                  int64 `json:"task_reads"`
	BalanceReads               int64 `json:"balance_reads"`
	ImageDownloads             int64 `json:"image_downloads"`
	ImageHeads                 int64 `json:"image_heads"`
	DownloadsWithAuthorization int64 `json:"downloads_with_authorization"`
	Unauthorized               int64 `json:"unauthorized"`
	RateLimited                int64 `json:"rate_limited"`
	IdempotentReplays          int64 `json:"idempotent_replays"`
	Faults                     int64 `json:"faults"`
	Uploads                    int64 `json:"uploads"`
	UploadsStored              int64 `json:"uploads_stored"`
}

// count adds one to a counter of s.counts.
func (s *Server) count(counter *int64) {
	s.countMu.Lock()
	*counter++
	s.countMu.Unlock()
}

// Counters returns a snapshot of the counters.
func (s *Server) Counters() Counters {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return s.counts
}

// ResetCounters zeroes every counter. Tasks and read times are kept.
func (s *Server) ResetCounters() {
	s.countMu.Lock()
	s.counts = Counters{}
	s.countMu.Unlock()
}

// writeOK answers 200 with v as JSON; errors go through their own writers.
func writeOK(w http.ResponseWriter, v any) {
	writeBody(w, http.StatusOK, "application/json", mustJSON(v))
}

func mustJSON(v any) []byte {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakeapimart: cannot encode %T: %v", v, err))
	}
	return body
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeBody(w, status, "application/json", errorAnswer(status, message))
}

// errorTypes is the "type" of the error object for each status; others are "server_error".
var errorTypes = map[int]string{
	http.StatusBadRequest:            "invalid_request_error",
	http.StatusRequestEntityTooLarge: "invalid_request_error",
	http.StatusUnprocessableEntity:   "invalid_request_error",
	http.StatusUnauthorized:          "authentication_error",
	http.StatusForbidden:             "permission_error",
	http.StatusNotFound:              "not_found_error",
	http.StatusRequestTimeout:        "timeout_error",
	http.StatusTooManyRequests:       "rate_limit_error",
	http.StatusBadGateway:            "upstream_error",
	http.StatusGatewayTimeout:        "upstream_error",
}

// wholeSecondsUp renders a duration as whole seconds, rounded up, at least 1: how the API gives
// estimates and Retry-After.
func wholeSecondsUp(d time.Duration) int64 { return max(1, int64(math.Ceil(d.Seconds()))) }
