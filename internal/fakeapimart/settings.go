package fakeapimart

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

// Settings are every knob of the fake. Go code changes them with Options, at Start or New and
// later with Configure; the control route POST /_fake/settings decodes its JSON body onto them,
// so a field the body leaves out keeps its value. Durations are nanoseconds in JSON.
type Settings struct {
	// Keys are the accepted bearer keys; none means DefaultKey alone.
	Keys []string `json:"-"`
	// Now is the clock of task lifecycles, expiry and read times. A test gives it the clock the
	// client waits on, so that a task is done when the client's wait says so.
	Now func() time.Time `json:"-"`
	// ControlRoutes turns on the /_fake/* routes, for loopback peers only.
	ControlRoutes bool `json:"-"`

	SubmitShape Shape `json:"submit_shape"`
	// URLAsString makes result.images[].url a plain string instead of an array.
	URLAsString bool `json:"url_as_string"`
	// TaskDuration is how long tasks created from now on take; 0 ends them at once.
	TaskDuration time.Duration `json:"task_duration"`
	// EstimatedTime is the estimate of tasks created from now on; 0 derives it from TaskDuration.
	EstimatedTime time.Duration `json:"estimated_time"`
	// URLLifetime is how long result URLs work after their task completed.
	URLLifetime time.Duration `json:"url_lifetime"`
	// ImageScale is the factor applied to the real pixel size of results; 1 is full size.
	ImageScale float64 `json:"image_scale"`
	// MinImageBytes pads every result file to at least this size with an ancillary PNG chunk of
	// incompressible bytes that decoders skip, to measure big downloads without big pictures.
	MinImageBytes int64 `json:"min_image_bytes"`
	// Latency delays every /v1 answer.
	Latency   time.Duration `json:"latency"`
	RateLimit RateLimit     `json:"rate_limit"`
	// Idempotency makes Idempotency-Key headers count: a repeated key answers the task it made.
	Idempotency bool `json:"idempotency"`

	FailNextSubmits   SubmitFault   `json:"fail_next_submits"`
	FailNextUploads   UploadFault   `json:"fail_next_uploads"`
	FailNextTaskReads ReadFault     `json:"fail_next_task_reads"`
	FailNextTasks     TaskOutcome   `json:"fail_next_tasks"`
	FailNextDownloads DownloadFault `json:"fail_next_downloads"`

	// Balances is what each key has left; a key not named has StartingBalance until it pays.
	// Unlimited removes a quota.
	Balances map[string]float64 `json:"balances"`
	// AccountBalance is what the account, which owns every key, has left.
	AccountBalance float64 `json:"account_balance"`
	// Prices is what one image of each model named costs; DefaultPrice for the others.
	Prices map[string]float64 `json:"prices"`
	// BalanceFailure, when set, makes both balance endpoints answer HTTP 200
	// {"success":false,"message":BalanceFailure}, as the API does when it cannot read a quota.
	BalanceFailure string `json:"balance_failure"`
}

// RateLimit is a token bucket shared by all /v1 requests; PerSecond <= 0 removes it, and a
// Burst <= 0 means max(1, ceil(PerSecond)). It runs on the wall clock whatever Now is, because
// clients back off in real time.
type RateLimit struct {
	PerSecond float64 `json:"per_second"`
	Burst     int     `json:"burst"`
}

// Option changes the settings.
type Option func(*Settings)

// defaultSettings are the settings of a new server; normalize gives the rest their defaults.
func defaultSettings() Settings {
	set := Settings{
		TaskDuration:   DefaultTaskDuration,
		URLLifetime:    DefaultURLLifetime,
		Idempotency:    true,
		AccountBalance: StartingBalance,
	}
	set.normalize()
	return set
}

// clone copies the lists and maps, so that a change to the copy leaves the original alone.
func (set Settings) clone() Settings {
	set.Keys = slices.Clone(set.Keys)
	set.Balances = maps.Clone(set.Balances)
	set.Prices = maps.Clone(set.Prices)
	return set
}

// normalize replaces values that mean nothing with the nearest that does.
func (set *Settings) normalize() {
	if set.Now == nil {
		set.Now = time.Now
	}
	if len(set.Keys) == 0 {
		set.Keys = []string{DefaultKey}
	}
	set.ImageScale = cmp.Or(max(set.ImageScale, 0), DefaultImageScale)
	set.TaskDuration = max(set.TaskDuration, 0)
	set.EstimatedTime = max(set.EstimatedTime, 0)
	set.Latency = max(set.Latency, 0)
	set.MinImageBytes = max(set.MinImageBytes, 0)
	set.SubmitShape = cmp.Or(set.SubmitShape, ShapeV1)
	set.FailNextTaskReads.Kind = cmp.Or(set.FailNextTaskReads.Kind, ReadStatus)
	set.FailNextDownloads.Kind = cmp.Or(set.FailNextDownloads.Kind, DownloadCut)
	if set.Balances == nil {
		set.Balances = map[string]float64{}
	}
	if set.Prices == nil {
		set.Prices = map[string]float64{}
	}
}

// Configure applies opts to the settings in one step.
func (s *Server) Configure(opts ...Option) {
	_ = s.update(func(set *Settings) error {
		for _, opt := range opts {
			opt(set)
		}
		return nil
	})
}

// Settings returns a copy of the current settings; the fault counts in it are those still queued.
func (s *Server) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set.clone()
}

// update is the one way the settings change: change works on a copy, which replaces them only
// if it succeeds.
func (s *Server) update(change func(*Settings) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.set.clone()
	if err := change(&next); err != nil {
		return err
	}
	next.normalize()
	if r := next.RateLimit; r != s.set.RateLimit {
		s.limiter = nil // no limit
		if r.Burst <= 0 {
			r.Burst = max(1, int(math.Ceil(r.PerSecond)))
		}
		if r.PerSecond > 0 {
			s.limiter = rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst)
		}
	}
	s.set = next
	return nil
}

// take uses one of the n queued uses of fault and counts it; the caller holds s.mu.
func take[F any](s *Server, fault *F, n *int) (F, bool) {
	if *n <= 0 {
		var none F
		return none, false
	}
	*n--
	s.count(&s.counts.Faults)
	return *fault, true
}

// faultStatus is the status an injected fault answers, fallback when it names none; a 429
// counts as rate limiting.
func (s *Server) faultStatus(status, fallback int) int {
	status = cmp.Or(status, fallback)
	if status == http.StatusTooManyRequests {
		s.count(&s.counts.RateLimited)
	}
	return status
}

// serveFault answers an injected fault's status with the error JSON, and Retry-After when set.
func (s *Server) serveFault(w http.ResponseWriter, status int, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(wholeSecondsUp(retryAfter), 10))
	}
	writeError(w, status, http.StatusText(status))
}

// setSettings decodes the body onto the current settings and answers them. Unknown fields are
// refused, to catch typos, and a body that fails to decode changes nothing.
func (s *Server) setSettings(r *http.Request) (any, error) {
	// The body is read before the lock is taken, so that a slow client cannot hold it.
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = s.update(func(set *Settings) error {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(set); err != nil {
				return err
			}
			return set.knownNames()
		})
	}
	if err != nil {
		return nil, fmt.Errorf("invalid settings: %w", err)
	}
	return s.Settings(), nil
}

// knownNames refuses a shape or fault kind that the fake does not know, which only JSON can name.
func (set *Settings) knownNames() error {
	switch {
	case !slices.Contains([]Shape{"", ShapeV1, ShapeV2, ShapeV3}, set.SubmitShape):
		return fmt.Errorf("unknown submit shape %q; use v1, v2 or v3", set.SubmitShape)
	case !slices.Contains([]ReadFaultKind{"", ReadStatus, ReadMalformed, ReadSlow, ReadReset, ReadHuge, ReadNonJSON}, set.FailNextTaskReads.Kind):
		return fmt.Errorf("unknown read fault kind %q", set.FailNextTaskReads.Kind)
	case !slices.Contains([]DownloadFaultKind{"", DownloadCut, DownloadStatus, DownloadHTML}, set.FailNextDownloads.Kind):
		return fmt.Errorf("unknown download fault kind %q", set.FailNextDownloads.Kind)
	}
	return nil
}
