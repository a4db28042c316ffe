package fakeapimart

import (
	"net/http/httptest"
	"testing"
)

// Serve serves a new Server on a loopback port and returns it with its base URL,
// "http://127.0.0.1:PORT", and the function that stops it.
func Serve(opts ...Option) (s *Server, baseURL string, stop func()) {
	s = New(opts...)
	ts := httptest.NewServer(s)
	return s, ts.URL, func() {
		s.stop()
		ts.CloseClientConnections()
		ts.Close()
	}
}

// Start is Serve for the length of the test.
func Start(tb testing.TB, opts ...Option) (*Server, string) {
	tb.Helper()
	s, baseURL, stop := Serve(opts...)
	tb.Cleanup(stop)
	return s, baseURL
}
