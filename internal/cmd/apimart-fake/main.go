// Command apimart-fake serves the fake APIMart API on a loopback address for demos and manual
// tests. It prints its base URL as the first line on stdout, logs one line per request on
// stderr (never the key), and stops cleanly on SIGINT or SIGTERM.
//
//	apimart-fake -listen 127.0.0.1:0 -keys sk-a,sk-b -task-duration 2s
//
// The /_fake/* control routes are on; see package fakeapimart for their JSON.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/felixge/httpsnoop"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// shutdownGrace bounds how long in-flight requests may take once a signal arrived.
const shutdownGrace = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "apimart-fake:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The flags name a few settings. The others (the submit shape, estimated_time, the URL
	// lifetime, faults) keep their defaults and are changed through /_fake/settings, which can
	// change these too.
	fake := fakeapimart.New()
	set := fake.Settings()
	fs := flag.NewFlagSet("apimart-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "loopback `address` to listen on; port 0 picks a free port")
	keys := fs.String("keys", fakeapimart.DefaultKey, "comma-separated API `keys` the server accepts")
	fs.DurationVar(&set.TaskDuration, "task-duration", set.TaskDuration, "time from submit to completion; 0 completes at once")
	fs.Float64Var(&set.ImageScale, "image-scale", set.ImageScale, "factor applied to the real pixel size of result images; 1 is full size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	set.Keys = strings.FieldsFunc(*keys, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(set.Keys) == 0 {
		return errors.New("-keys names no key")
	}
	set.ControlRoutes = true
	fake.Configure(func(s *fakeapimart.Settings) { *s = set })
	// Only loopback: the fake has no real auth and its control routes have none at all.
	host, _, err := net.SplitHostPort(*listen)
	ip := net.ParseIP(host)
	if loopback := strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback(); err != nil || !loopback {
		return fmt.Errorf("-listen %q is not a loopback host:port; the fake server only listens on 127.0.0.1, ::1 or localhost", *listen)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	srv := &http.Server{
		Handler:           logRequests(logger, fake),
		ReadHeaderTimeout: 10 * time.Second,
		// Ending in-flight requests on a signal ends the fake's deliberate sleeps at once.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	if _, err := fmt.Fprintf(stdout, "http://%s\n", ln.Addr()); err != nil {
		_ = ln.Close()
		return err
	}
	shutdown := make(chan error, 1)
	context.AfterFunc(ctx, func() {
		logger.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		shutdown <- srv.Shutdown(shutdownCtx)
	})
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := <-shutdown; err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// logRequests writes one line per request. Only the method, path, status and duration are
// logged: the query holds nothing secret, but headers carry the key. httpsnoop's wrapper lets
// http.ResponseController reach the connection, which the reset faults hijack.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m httpsnoop.Metrics // Code stays 0 until the handler sets a status
		m.CaptureMetrics(w, func(w http.ResponseWriter) { next.ServeHTTP(w, r) })
		status := "no response" // a hijacked connection
		if m.Code != 0 || m.Written > 0 {
			status = fmt.Sprint(cmp.Or(m.Code, http.StatusOK))
		}
		logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", status, "duration", m.Duration.Round(time.Microsecond))
	})
}
