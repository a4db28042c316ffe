// Command apimart-fake serves the fake APIMart API on a loopback address for demos and manual
// tests. It prints its base URL as the first line on stdout, logs one line per request on
// stderr (never the key), and stops cleanly on SIGINT or SIGTERM.
//
//	apimart-fake -listen 127.0.0.1:0 -keys sk-a,sk-b -task-duration 2s
//
// The /_fake/* control routes are on; see package fakeapimart for their JSON.
package main

import (
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

// parseFlags reads the listen address and the settings the flags name. The others (the submit
// shape, estimated_time, the URL lifetime, faults) keep their defaults and are changed through
// /_fake/settings, which can change these too.
func parseFlags(args []string, stderr io.Writer) (string, fakeapimart.Option, error) {
	set := fakeapimart.New().Settings()
	var listen, keys string
	fs := flag.NewFlagSet("apimart-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&listen, "listen", "127.0.0.1:0", "loopback `address` to listen on; port 0 picks a free port")
	fs.StringVar(&keys, "keys", fakeapimart.DefaultKey, "comma-separated API `keys` the server accepts")
	fs.DurationVar(&set.TaskDuration, "task-duration", set.TaskDuration, "time from submit to completion; 0 completes at once")
	fs.Float64Var(&set.ImageScale, "image-scale", set.ImageScale, "factor applied to the real pixel size of result images; 1 is full size")
	if err := fs.Parse(args); err != nil {
		return "", nil, err
	}
	if fs.NArg() > 0 {
		return "", nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	set.Keys = nil
	for _, k := range strings.Split(keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			set.Keys = append(set.Keys, k)
		}
	}
	if len(set.Keys) == 0 {
		return "", nil, errors.New("-keys names no key")
	}
	set.ControlRoutes = true
	return listen, func(s *fakeapimart.Settings) { *s = set }, checkLoopback(listen)
}

// checkLoopback refuses addresses reachable from other machines: the fake has no real auth and
// its control routes have none at all.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q is not host:port: %w", addr, err)
	}
	if ip := net.ParseIP(host); strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-listen %q is not a loopback address; the fake server only listens on 127.0.0.1, ::1 or localhost", addr)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	listen, settings, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	fake := fakeapimart.New(settings)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
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
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// logRequests writes one line per request. Only the method, path, status and duration are
// logged: the query holds nothing secret, but headers carry the key.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(rec, r)
		status := "no response"
		if rec.status != 0 {
			status = fmt.Sprint(rec.status)
		}
		logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", status, "duration", time.Since(start).Round(time.Microsecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection, which the reset faults hijack.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
