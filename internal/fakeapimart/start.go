package fakeapimart

import (
	"net/http/httptest"
	"testing"
)

// Start serves a new Server on a loopback port for the length of the test and returns it with
// its base URL, "http://127.0.0.1:PORT".
func Start(tb testing.TB, opts ...Option) (*Server, string) {
	tb.Helper()
	s := New(opts...)
	ts := httptest.NewServer(s)
	tb.Cleanup(func() {
		s.stop()
		ts.CloseClientConnections()
		ts.Close()
	})
	return s, ts.URL
}
