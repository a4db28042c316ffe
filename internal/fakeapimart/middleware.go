package fakeapimart

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// call is what the /v1 wrapper learned about a request before handing it on.
type call struct {
	owner   string    // the API key
	arrived time.Time // before latency and rate limiting
}

type v1Handler func(http.ResponseWriter, *http.Request, call)

// v1 applies what every /v1 route shares, in the order a gateway would: latency, rate limit, auth.
func (s *Server) v1(next v1Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		arrived, latency, limiter := s.set.Now(), s.set.Latency, s.limiter
		s.mu.Unlock()
		if !s.sleep(r.Context(), latency) || (limiter != nil && !s.admit(w, limiter)) {
			return
		}
		if owner, ok := s.authenticate(w, r); ok {
			next(w, r, call{owner: owner, arrived: arrived})
		}
	})
}

// sleep waits for d and reports false when the request or the server went away meanwhile.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
	case <-s.stopped:
	}
	return false
}

// admit takes a token or answers 429 with the wait until one is available. It uses the wall
// clock: a client backs off in real time whatever clock the tasks follow.
func (s *Server) admit(w http.ResponseWriter, limiter *rate.Limiter) bool {
	now := time.Now()
	reservation := limiter.ReserveN(now, 1)
	wait := reservation.DelayFrom(now)
	if reservation.OK() && wait == 0 {
		return true
	}
	reservation.CancelAt(now)
	s.count(&s.counts.RateLimited)
	w.Header().Set("Retry-After", strconv.FormatInt(wholeSecondsUp(wait), 10))
	writeError(w, http.StatusTooManyRequests, "Rate limit exceeded, please retry later")
	return false
}

// authenticate answers a missing or unknown key with a 401, except that the balance endpoints
// answer a present but unknown key with HTTP 200 {"success":false,"message":"Token Not Found"}.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	header := r.Header.Get("Authorization")
	scheme, key, _ := strings.Cut(header, " ")
	key = strings.TrimSpace(key)
	s.mu.Lock()
	known := slices.Contains(s.set.Keys, key)
	s.mu.Unlock()
	if strings.EqualFold(scheme, "Bearer") && known {
		return key, true
	}
	s.count(&s.counts.Unauthorized)
	switch {
	case header == "":
		writeError(w, http.StatusUnauthorized, "No Authorization header")
	case strings.HasSuffix(r.Pattern, "/balance"):
		writeOK(w, map[string]any{"success": false, "message": "Token Not Found"})
	default:
		writeError(w, http.StatusUnauthorized, "Failed to get token info")
	}
	return "", false
}

func handleUnknownRoute(w http.ResponseWriter, r *http.Request, _ call) {
	writeError(w, http.StatusNotFound, "Invalid URL ("+r.Method+" "+r.URL.Path+")")
}

// control guards the control routes, which carry no auth: they exist only when the settings
// turn them on, and answer loopback peers only. It answers what answer returns as JSON, or its
// error with a 400.
func (s *Server) control(answer func(*http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		on := s.set.ControlRoutes
		s.mu.Unlock()
		if !on {
			http.NotFound(w, r)
			return
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeError(w, http.StatusForbidden, "the control routes answer loopback clients only")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxSubmitBody)
		if v, err := answer(r); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
		} else {
			writeOK(w, v)
		}
	})
}

// abortConnection closes the connection without sending anything, as a crashed proxy would.
func abortConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot hand the connection over; aborting the handler resets the stream instead.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
