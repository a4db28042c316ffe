package apimart

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "sk-test-key"

// hit is one request a scripted server received.
type hit struct {
	method, path string
	header       http.Header
	body         []byte
	at           time.Time
}

// scriptedServer answers requests in order from a list of handlers; the last one repeats.
type scriptedServer struct {
	*httptest.Server
	clock   Clock // stamps the hits
	mu      sync.Mutex
	hits    []hit
	answers []http.HandlerFunc
}

func startScript(t *testing.T, answers ...http.HandlerFunc) *scriptedServer {
	t.Helper()
	return startScriptOn(t, realClock{}, answers...)
}

// startScriptOn stamps the hits with the clock of the client under test.
func startScriptOn(t *testing.T, clock Clock, answers ...http.HandlerFunc) *scriptedServer {
	t.Helper()
	s := &scriptedServer{clock: clock, answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *scriptedServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.hits = append(s.hits, hit{method: r.Method, path: r.URL.EscapedPath(), header: r.Header.Clone(), body: body, at: s.clock.Now()})
	answer := s.answers[min(len(s.hits), len(s.answers))-1]
	s.mu.Unlock()
	answer(w, r)
}

func (s *scriptedServer) Hits() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hit(nil), s.hits...)
}

// reply answers with a status, a body and header pairs ("Name", "value", ...).
func reply(status int, body string, headerPairs ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headerPairs); i += 2 {
			w.Header().Set(headerPairs[i], headerPairs[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// hangUp reads the request and closes the connection without answering.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	hijacker, ok := w.(http.Hijacker)
	if !ok {
		panic("the test server cannot hijack connections")
	}
	if conn, _, err := hijacker.Hijack(); err == nil {
		_ = conn.Close()
	}
}

// stall answers only after d, or when the client gives up.
func stall(d time.Duration, then http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
			then(w, r)
		case <-r.Context().Done():
		}
	}
}

func hugeBody(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"code":200,"data":{"id":"t","status":"processing","padding":"`)
	chunk := strings.Repeat("x", 64<<10)
	for range (2 * maxBodyBytes) / len(chunk) {
		if _, err := io.WriteString(w, chunk); err != nil {
			return
		}
	}
	_, _ = io.WriteString(w, `"}}`)
}

// testConfig keeps retries short and sets no rate ceiling. Its fake clock makes every wait of
// the client instant; a test measures what the client waited on that clock (see elapsedOn).
func testConfig(baseURL string) Config {
	return Config{
		BaseURL:        baseURL,
		APIKey:         testKey,
		MaxRetries:     3,
		RetryWaitMin:   10 * time.Millisecond,
		RetryWaitMax:   40 * time.Millisecond,
		RequestTimeout: 2 * time.Second,
		Clock:          NewFakeClock(),
	}
}

// stopwatch returns how much time has passed on the clock since it was called.
func stopwatch(clock Clock) func() time.Duration {
	began := clock.Now()
	return func() time.Duration { return clock.Now().Sub(began) }
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// logRecorder keeps every log line, fields included, as text.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Log(_ context.Context, level LogLevel, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%d %s %v", level, msg, fields))
}

func (l *logRecorder) Text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
