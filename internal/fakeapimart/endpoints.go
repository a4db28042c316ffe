package fakeapimart

import (
	"context"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"sync/atomic"
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

// The endpoints below fail below HTTP, where the fake's knobs cannot reach: fault tests of the
// client and of the provider point a base URL at them.

// ClosedPortURL returns an http URL on loopback where nothing listens, so every dial is refused.
func ClosedPortURL(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

// StartUntrustedTLS serves a fake over TLS with a certificate that no client trusts, and fails
// the test if any request got through the handshake anyway.
func StartUntrustedTLS(tb testing.TB, opts ...Option) string {
	tb.Helper()
	fake := New(opts...)
	srv := httptest.NewUnstartedServer(fake)
	// The failed handshakes are the point of such a test, not news for its log.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(func() {
		srv.Close()
		if n := fake.Counters().Requests; n != 0 {
			tb.Errorf("the server with an untrusted certificate answered %d requests", n)
		}
	})
	return srv.URL
}

// SilentListener accepts TCP connections on addr and never says a word, like a host behind a
// stuck proxy. It returns the address it listens on and a count of accepted connections.
func SilentListener(tb testing.TB, addr string) (string, *atomic.Int64) {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	var accepted atomic.Int64
	// The listener and every connection it accepted close when the test ends.
	context.AfterFunc(tb.Context(), func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			context.AfterFunc(tb.Context(), func() { conn.Close() })
		}
	}()
	return ln.Addr().String(), &accepted
}
