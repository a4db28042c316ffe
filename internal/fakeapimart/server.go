package fakeapimart

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// DefaultKey is the only key accepted when WithKeys is not used.
const DefaultKey = "sk-fake-key"

// Defaults of the timing knobs.
const (
	DefaultTaskDuration = 2 * time.Second
	DefaultURLLifetime  = 24 * time.Hour
)

// Shape selects which documented submit response the server answers (API doc §2.2).
type Shape int

// The zero Shape behaves as ShapeV1.
const (
	ShapeV1 Shape = iota + 1 // {"code":200,"data":[{"status":"submitted","task_id":...}]}
	ShapeV2                  // {"code":200,"data":{"id":...,"status":"pending","task_info":{...}}}
	ShapeV3                  // {"code":"success","message":"","data":[{"task_id":...,"status":"processing"}]}
)

func (s Shape) String() string {
	switch s {
	case ShapeV2:
		return "v2"
	case ShapeV3:
		return "v3"
	default:
		return "v1"
	}
}

// MarshalJSON writes the shape as "v1", "v2" or "v3".
func (s Shape) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON accepts what ParseShape accepts, quoted or not.
func (s *Shape) UnmarshalJSON(b []byte) error {
	shape, err := ParseShape(strings.Trim(string(b), `"`))
	if err == nil {
		*s = shape
	}
	return err
}

// ParseShape reads "v1", "v2" or "v3" (any case) or "1", "2" or "3".
func ParseShape(text string) (Shape, error) {
	switch strings.TrimPrefix(strings.ToLower(strings.TrimSpace(text)), "v") {
	case "1":
		return ShapeV1, nil
	case "2":
		return ShapeV2, nil
	case "3":
		return ShapeV3, nil
	}
	return 0, fmt.Errorf("unknown submit shape %q; use v1, v2 or v3", text)
}

// Server is the fake API. It implements http.Handler; all methods are safe for concurrent use.
type Server struct {
	now         func() time.Time
	keys        map[string]bool
	urlLifetime time.Duration
	imageScale  float64
	control     bool
	mux         *http.ServeMux
	stopped     chan struct{}
	stopOnce    sync.Once
	counters    counterSet

	mu             sync.Mutex
	shape          Shape
	urlAsString    bool
	taskDuration   time.Duration
	estimatedTime  time.Duration // 0 derives the estimate from the duration
	idempotency    bool
	latency        time.Duration
	limiter        *rate.Limiter // nil when no limit is set
	submitFaults   queue[SubmitFault]
	readFaults     queue[ReadFault]
	uploadFaults   queue[UploadFault]
	taskOutcomes   queue[TaskOutcome]
	downloadFaults queue[DownloadFault]
	minImageBytes  int64
	tasks          map[string]*task
	order          []*task
	replays        map[replayKey]*task
	readTimes      map[string][]time.Time
	uploads        map[string]*upload
	uploadOrder    []*upload
	wallets        map[string]*wallet // per key
	account        *wallet
	prices         map[string]float64 // per image, by model; DefaultPrice for the others
	// balanceFailure, when set, is the message of a {"success":false} balance answer.
	balanceFailure string
}

// Option configures a Server in New.
type Option func(*Server)

// WithKeys sets the accepted bearer keys, replacing the default "sk-fake-key".
func WithKeys(keys ...string) Option {
	return func(s *Server) {
		if len(keys) == 0 {
			return
		}
		s.keys = make(map[string]bool, len(keys))
		for _, k := range keys {
			s.keys[k] = true
		}
	}
}

// WithTaskDuration sets how long a task takes from submit to its final status; 0 ends it at once.
func WithTaskDuration(d time.Duration) Option {
	return func(s *Server) { s.taskDuration = max(d, 0) }
}

// WithEstimatedTime sets the estimate reported; 0 derives it from the task duration.
func WithEstimatedTime(d time.Duration) Option {
	return func(s *Server) { s.estimatedTime = max(d, 0) }
}

// WithURLLifetime sets how long result URLs stay valid after the task completes.
func WithURLLifetime(d time.Duration) Option {
	return func(s *Server) { s.urlLifetime = d }
}

// WithSubmitShape selects the submit response shape.
func WithSubmitShape(shape Shape) Option {
	return func(s *Server) { s.shape = shape }
}

// WithURLAsString makes result.images[].url a plain string instead of an array.
func WithURLAsString(b bool) Option {
	return func(s *Server) { s.urlAsString = b }
}

// WithControlEndpoint enables the /_fake/* routes.
func WithControlEndpoint() Option {
	return func(s *Server) { s.control = true }
}

// WithClock replaces time.Now for task lifecycles, expiry and read times.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New builds a server with no tasks.
func New(opts ...Option) *Server {
	s := &Server{
		now:          time.Now,
		keys:         map[string]bool{DefaultKey: true},
		urlLifetime:  DefaultURLLifetime,
		imageScale:   DefaultImageScale,
		stopped:      make(chan struct{}),
		shape:        ShapeV1,
		taskDuration: DefaultTaskDuration,
		idempotency:  true,
		tasks:        map[string]*task{},
		replays:      map[replayKey]*task{},
		readTimes:    map[string][]time.Time{},
		uploads:      map[string]*upload{},
		wallets:      map[string]*wallet{},
		account:      newWallet(),
		prices:       map[string]float64{},
	}
	for _, opt := range opts {
		opt(s)
	}
	s.mux = s.routes()
	return s
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/images/generations", s.v1(s.handleSubmit, rejectUnknownKey))
	mux.Handle("GET /v1/tasks/{id}", s.v1(s.handleTask, rejectUnknownKey))
	mux.Handle("POST /v1/uploads/images", s.v1(s.handleUpload, rejectUnknownKey))
	mux.Handle("GET /v1/balance", s.v1(s.balanceHandler(false), balanceQuirk))
	mux.Handle("GET /v1/user/balance", s.v1(s.balanceHandler(true), balanceQuirk))
	mux.Handle("/v1/", s.v1(handleUnknownRoute, rejectUnknownKey))
	mux.HandleFunc("GET /files/{task}/{file}", s.handleFile)
	mux.HandleFunc("GET /uploads/{id}/{file}", s.handleUploadedFile)
	if s.control {
		mux.Handle("GET /_fake/counters", loopbackOnly(s.handleCounters))
		mux.Handle("POST /_fake/reset-counters", loopbackOnly(s.handleResetCounters))
		mux.Handle("GET /_fake/faults", loopbackOnly(s.handleKnobs))
		mux.Handle("POST /_fake/faults", loopbackOnly(s.handleSetKnobs))
	}
	return mux
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/_fake/") {
		s.counters.requests.Add(1)
	}
	s.mux.ServeHTTP(w, r)
}

// stop wakes every handler that is sleeping for latency or a slow read, so that closing a test
// server does not wait for them.
func (s *Server) stop() { s.stopOnce.Do(func() { close(s.stopped) }) }

// SetSubmitShape selects the submit response shape for later submits.
func (s *Server) SetSubmitShape(shape Shape) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shape = shape
}

// SetURLAsString switches result.images[].url between a string and an array of strings.
func (s *Server) SetURLAsString(b bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.urlAsString = b
}

// SetTaskDuration sets the duration of tasks created from now on.
func (s *Server) SetTaskDuration(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taskDuration = max(d, 0)
}

// SetEstimatedTime sets the estimate of tasks created from now on; 0 derives it from the duration.
func (s *Server) SetEstimatedTime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.estimatedTime = max(d, 0)
}

// SetIdempotency turns Idempotency-Key handling on (the default) or off.
func (s *Server) SetIdempotency(enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idempotency = enabled
}

// SetLatency adds a delay before every /v1 answer.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = max(d, 0)
}

// SetRateLimit installs a token bucket shared by all /v1 requests; perSecond <= 0 removes it.
// A burst <= 0 means max(1, ceil(perSecond)).
func (s *Server) SetRateLimit(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perSecond <= 0 {
		s.limiter = nil
		return
	}
	if burst <= 0 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	s.limiter = rate.NewLimiter(rate.Limit(perSecond), burst)
}

// Counters is a snapshot of what the server has seen; see the package doc for what each counts.
type Counters struct {
	Requests       int64 `json:"requests"`
	Submits        int64 `json:"submits"`
	TasksCreated   int64 `json:"tasks_created"`
	TaskReads      int64 `json:"task_reads"`
	BalanceReads   int64 `json:"balance_reads"`
	ImageDownloads int64 `json:"image_downloads"`
	ImageHeads     int64 `json:"image_heads"`
	// DownloadsWithAuthorization counts requests for result files (GET or HEAD) that carried an
	// Authorization header, which no client should send to a file host.
	DownloadsWithAuthorization int64 `json:"downloads_with_authorization"`
	Unauthorized               int64 `json:"unauthorized"`
	RateLimited                int64 `json:"rate_limited"`
	IdempotentReplays          int64 `json:"idempotent_replays"`
	Faults                     int64 `json:"faults"`
	Uploads                    int64 `json:"uploads"`
	UploadsStored              int64 `json:"uploads_stored"`
}

type counterSet struct {
	requests, submits, tasksCreated, taskReads, balanceReads, imageDownloads, imageHeads,
	downloadsWithAuthorization, unauthorized, rateLimited, idempotentReplays, faults, uploads,
	uploadsStored atomic.Int64
}

func (c *counterSet) all() []*atomic.Int64 {
	return []*atomic.Int64{&c.requests, &c.submits, &c.tasksCreated, &c.taskReads, &c.balanceReads, &c.imageDownloads,
		&c.imageHeads, &c.downloadsWithAuthorization, &c.unauthorized, &c.rateLimited, &c.idempotentReplays, &c.faults,
		&c.uploads, &c.uploadsStored}
}

// Counters returns a snapshot of the counters.
func (s *Server) Counters() Counters {
	c := &s.counters
	return Counters{
		Requests:                   c.requests.Load(),
		Submits:                    c.submits.Load(),
		TasksCreated:               c.tasksCreated.Load(),
		TaskReads:                  c.taskReads.Load(),
		BalanceReads:               c.balanceReads.Load(),
		ImageDownloads:             c.imageDownloads.Load(),
		ImageHeads:                 c.imageHeads.Load(),
		DownloadsWithAuthorization: c.downloadsWithAuthorization.Load(),
		Unauthorized:               c.unauthorized.Load(),
		RateLimited:                c.rateLimited.Load(),
		IdempotentReplays:          c.idempotentReplays.Load(),
		Faults:                     c.faults.Load(),
		Uploads:                    c.uploads.Load(),
		UploadsStored:              c.uploadsStored.Load(),
	}
}

// ResetCounters zeroes every counter. Tasks and read times are kept.
func (s *Server) ResetCounters() {
	for _, c := range s.counters.all() {
		c.Store(0)
	}
}

// queue holds a fault and how many more times it applies.
type queue[T any] struct {
	value T
	left  int
}

func (q *queue[T]) set(n int, v T) { q.value, q.left = v, max(n, 0) }

func (q *queue[T]) take() (T, bool) {
	if q.left == 0 {
		var zero T
		return zero, false
	}
	q.left--
	return q.value, true
}

// errorBody is the documented error object.
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Type    string `json:"type"`
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
	status, body := errorAnswer(status, message)
	writeBody(w, status, "application/json", body)
}

func errorType(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestTimeout:
		return "timeout_error"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return "upstream_error"
	default:
		return "server_error"
	}
}

// retryAfterValue renders a duration as whole seconds, rounded up, at least 1.
func retryAfterValue(d time.Duration) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(d.Seconds()))), 10)
}

func wholeSecondsUp(d time.Duration) int64 { return int64(math.Ceil(d.Seconds())) }
