package fakeapimart

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// UnmarshalJSON accepts the names used in the control JSON ("status", "malformed", "slow",
// "reset", "huge", "non_json") or the numbers of the constants.
func (k *ReadFaultKind) UnmarshalJSON(b []byte) error {
	i, err := parseFaultKind(b, "read", readFaultNames)
	*k = ReadFaultKind(i)
	return err
}

// UnmarshalJSON accepts "cut", "status" and "html", or the numbers of the constants.
func (k *DownloadFaultKind) UnmarshalJSON(b []byte) error {
	i, err := parseFaultKind(b, "download", downloadFaultNames)
	*k = DownloadFaultKind(i)
	return err
}

// MarshalJSON writes the kind by name.
func (k DownloadFaultKind) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// faultKindName is the control JSON's name of a fault kind, or the Go form of a number past them.
func faultKindName(k int, names []string, typeName string) string {
	if k >= 0 && k < len(names) {
		return names[k]
	}
	return fmt.Sprintf("%s(%d)", typeName, k)
}

func parseFaultKind(b []byte, what string, names []string) (int, error) {
	text := strings.ToLower(strings.Trim(string(b), `"`))
	text = strings.NewReplacer("-", "_", " ", "_").Replace(text)
	for i, name := range names {
		if text == name || text == fmt.Sprint(i) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s fault kind %s; use one of %s", what, b, strings.Join(names, ", "))
}

// MarshalJSON writes the kind by name.
func (k ReadFaultKind) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// Knobs is the body of POST /_fake/faults. Every field is optional; a missing one leaves its
// knob unchanged.
type Knobs struct {
	SubmitShape       *Shape             `json:"submit_shape,omitempty"`
	URLAsString       *bool              `json:"url_as_string,omitempty"`
	TaskDurationMS    *int64             `json:"task_duration_ms,omitempty"`
	EstimatedTimeMS   *int64             `json:"estimated_time_ms,omitempty"`
	FailNextSubmits   *SubmitFaultJSON   `json:"fail_next_submits,omitempty"`
	FailNextTaskReads *ReadFaultJSON     `json:"fail_next_task_reads,omitempty"`
	FailNextTasks     *TaskOutcomeJSON   `json:"fail_next_tasks,omitempty"`
	FailNextUploads   *UploadFaultJSON   `json:"fail_next_uploads,omitempty"`
	ForgetAllTasks    bool               `json:"forget_all_tasks,omitempty"`
	RateLimit         *RateLimitSettings `json:"rate_limit,omitempty"`
	LatencyMS         *int64             `json:"latency_ms,omitempty"`
	Idempotency       *bool              `json:"idempotency,omitempty"`
	// Balances sets the remaining balance of each key named; -1 is unlimited.
	Balances       map[string]float64 `json:"balances,omitempty"`
	AccountBalance *float64           `json:"account_balance,omitempty"`
	// Prices sets the price of one image of each model named.
	Prices            map[string]float64 `json:"prices,omitempty"`
	BalanceFailure    *string            `json:"balance_failure,omitempty"`
	FailNextDownloads *DownloadFaultJSON `json:"fail_next_downloads,omitempty"`
	MinImageBytes     *int64             `json:"min_image_bytes,omitempty"`
}

// DownloadFaultJSON is FailNextDownloads in the control JSON.
type DownloadFaultJSON struct {
	N      int               `json:"n"`
	Kind   DownloadFaultKind `json:"kind"`
	Status int               `json:"status"`
}

// SubmitFaultJSON is FailNextSubmits in the control JSON.
type SubmitFaultJSON struct {
	N            int   `json:"n"`
	Status       int   `json:"status"`
	RetryAfterMS int64 `json:"retry_after_ms"`
	CreateTask   bool  `json:"create_task"`
	Reset        bool  `json:"reset"`
}

// UploadFaultJSON is FailNextUploads in the control JSON.
type UploadFaultJSON struct {
	N            int   `json:"n"`
	Status       int   `json:"status"`
	RetryAfterMS int64 `json:"retry_after_ms"`
	Store        bool  `json:"store"`
	Reset        bool  `json:"reset"`
}

// ReadFaultJSON is FailNextTaskReads in the control JSON.
type ReadFaultJSON struct {
	N       int           `json:"n"`
	Kind    ReadFaultKind `json:"kind"`
	Status  int           `json:"status"`
	DelayMS int64         `json:"delay_ms"`
}

// TaskOutcomeJSON is FailNextTasks in the control JSON.
type TaskOutcomeJSON struct {
	N      int        `json:"n"`
	Status string     `json:"status"`
	Error  *TaskError `json:"error,omitempty"`
}

// RateLimitSettings is SetRateLimit in the control JSON.
type RateLimitSettings struct {
	PerSecond float64 `json:"per_second"`
	Burst     int     `json:"burst"`
}

// KnobState is the answer of GET and POST /_fake/faults.
type KnobState struct {
	SubmitShape           Shape             `json:"submit_shape"`
	URLAsString           bool              `json:"url_as_string"`
	TaskDurationMS        int64             `json:"task_duration_ms"`
	EstimatedTimeMS       int64             `json:"estimated_time_ms"`
	URLLifetimeMS         int64             `json:"url_lifetime_ms"`
	RateLimit             RateLimitSettings `json:"rate_limit"`
	LatencyMS             int64             `json:"latency_ms"`
	Idempotency           bool              `json:"idempotency"`
	PendingSubmitFaults   int               `json:"pending_submit_faults"`
	PendingTaskReadFaults int               `json:"pending_task_read_faults"`
	PendingTaskOutcomes   int               `json:"pending_task_outcomes"`
	PendingUploadFaults   int               `json:"pending_upload_faults"`
	MinImageBytes         int64             `json:"min_image_bytes"`
	PendingDownloadFaults int               `json:"pending_download_faults"`
	// AccountBalance is what the account has left; the keys' balances are read through
	// /v1/balance, so that no key is echoed here.
	AccountBalance float64            `json:"account_balance"`
	Prices         map[string]float64 `json:"prices"`
	BalanceFailure string             `json:"balance_failure"`
}

// Apply sets every knob the body names, through the same methods tests call.
func (s *Server) Apply(k Knobs) {
	if k.SubmitShape != nil {
		s.SetSubmitShape(*k.SubmitShape)
	}
	if k.URLAsString != nil {
		s.SetURLAsString(*k.URLAsString)
	}
	if k.TaskDurationMS != nil {
		s.SetTaskDuration(millis(*k.TaskDurationMS))
	}
	if k.EstimatedTimeMS != nil {
		s.SetEstimatedTime(millis(*k.EstimatedTimeMS))
	}
	if f := k.FailNextSubmits; f != nil {
		s.FailNextSubmits(f.N, SubmitFault{Status: f.Status, RetryAfter: millis(f.RetryAfterMS), CreateTask: f.CreateTask, Reset: f.Reset})
	}
	if f := k.FailNextTaskReads; f != nil {
		s.FailNextTaskReads(f.N, ReadFault{Kind: f.Kind, Status: f.Status, Delay: millis(f.DelayMS)})
	}
	if f := k.FailNextTasks; f != nil {
		s.FailNextTasks(f.N, TaskOutcome{Status: f.Status, Error: f.Error})
	}
	if f := k.FailNextUploads; f != nil {
		s.FailNextUploads(f.N, UploadFault{Status: f.Status, RetryAfter: millis(f.RetryAfterMS), Store: f.Store, Reset: f.Reset})
	}
	if k.ForgetAllTasks {
		s.ForgetAllTasks()
	}
	if rl := k.RateLimit; rl != nil {
		s.SetRateLimit(rl.PerSecond, rl.Burst)
	}
	if k.LatencyMS != nil {
		s.SetLatency(millis(*k.LatencyMS))
	}
	if k.Idempotency != nil {
		s.SetIdempotency(*k.Idempotency)
	}
	if f := k.FailNextDownloads; f != nil {
		s.FailNextDownloads(f.N, DownloadFault{Kind: f.Kind, Status: f.Status})
	}
	if k.MinImageBytes != nil {
		s.SetMinImageBytes(*k.MinImageBytes)
	}
	s.applyBalanceKnobs(k)
}

func (s *Server) applyBalanceKnobs(k Knobs) {
	for key, remain := range k.Balances {
		s.SetBalance(key, remain)
	}
	if k.AccountBalance != nil {
		s.SetAccountBalance(*k.AccountBalance)
	}
	for model, price := range k.Prices {
		s.SetPrice(model, price)
	}
	if k.BalanceFailure != nil {
		s.FailBalanceReads(*k.BalanceFailure)
	}
}

// Knobs returns the current settings and how many injected faults are still queued.
func (s *Server) Knobs() KnobState {
	s.mu.Lock()
	defer s.mu.Unlock()
	state := KnobState{
		SubmitShape:           s.shape,
		URLAsString:           s.urlAsString,
		TaskDurationMS:        s.taskDuration.Milliseconds(),
		EstimatedTimeMS:       s.estimatedTime.Milliseconds(),
		URLLifetimeMS:         s.urlLifetime.Milliseconds(),
		LatencyMS:             s.latency.Milliseconds(),
		Idempotency:           s.idempotency,
		PendingSubmitFaults:   s.submitFaults.left,
		PendingTaskReadFaults: s.readFaults.left,
		PendingTaskOutcomes:   s.taskOutcomes.left,
		PendingUploadFaults:   s.uploadFaults.left,
		MinImageBytes:         s.minImageBytes,
		PendingDownloadFaults: s.downloadFaults.left,
		AccountBalance:        roundAmount(s.account.remain),
		Prices:                s.pricesLocked(),
		BalanceFailure:        s.balanceFailure,
	}
	if s.limiter != nil {
		state.RateLimit = RateLimitSettings{PerSecond: float64(s.limiter.Limit()), Burst: s.limiter.Burst()}
	}
	return state
}

func millis(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

func (s *Server) handleCounters(w http.ResponseWriter, _ *http.Request) {
	writeOK(w, s.Counters())
}

func (s *Server) handleResetCounters(w http.ResponseWriter, _ *http.Request) {
	s.ResetCounters()
	writeOK(w, s.Counters())
}

func (s *Server) handleKnobs(w http.ResponseWriter, _ *http.Request) {
	writeOK(w, s.Knobs())
}

func (s *Server) handleSetKnobs(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSubmitBody))
	dec.DisallowUnknownFields()
	var k Knobs
	if err := dec.Decode(&k); err != nil {
		writeError(w, http.StatusBadRequest, "invalid control body: "+err.Error())
		return
	}
	s.Apply(k)
	writeOK(w, s.Knobs())
}
