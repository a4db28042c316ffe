// Command apimart-bench measures what the apimart provider adds to the time and the requests
// that image generation needs: it drives the real terraform binary, with the provider built
// from this checkout, against the fake API, and prints a table of figures and goals.
//
//	apimart-bench                                  # everything; a full run rewrites BENCHMARKS.md
//	apimart-bench -quick -runs 1 -only wait,throughput
//
// Every flag has an environment variable, which is how make bench passes settings. It exits 1 when a benchmark
// could not run, and 0 otherwise, also when a goal is missed: the table says which.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/bench"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "apimart-bench:", err)
		os.Exit(1)
	}
}

type flags struct {
	opts   bench.Options
	only   string
	update bool
}

// envFlags name the environment variable behind each flag, for make bench. The flag parser reads
// both, so a setting means the same whichever way it is given; a flag wins over its variable.
var envFlags = []struct{ flag, env string }{
	{"runs", "BENCH_RUNS"},
	{"quick", "BENCH_QUICK"},
	{"only", "BENCH_ONLY"},
	{"budget", "BENCH_BUDGET"},
	{"server-rate", "BENCH_SERVER_RATE"},
	{"scratch", "BENCH_SCRATCH"},
	{"update", "BENCH_UPDATE"},
}

func parseFlags(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("apimart-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&f.opts.Runs, "runs", 5, "runs per figure; the median is reported (env BENCH_RUNS)")
	fs.BoolVar(&f.opts.Quick, "quick", false, "smaller workloads, for a smoke run (env BENCH_QUICK)")
	fs.StringVar(&f.only, "only", "", "comma-separated benchmarks to run: "+strings.Join(bench.Names(), ", ")+" (env BENCH_ONLY)")
	fs.DurationVar(&f.opts.Budget, "budget", 5*time.Minute, "time one benchmark may spend on repeated runs (env BENCH_BUDGET)")
	fs.Float64Var(&f.opts.ServerRate, "server-rate", 5, "R of benchmark 6: the fake server's limit in requests per second (env BENCH_SERVER_RATE)")
	fs.StringVar(&f.opts.ScratchDir, "scratch", "", "scratch directory, emptied first (default .build/bench in the module; env BENCH_SCRATCH)")
	fs.BoolVar(&f.update, "update", true, "after a full run (every benchmark, not quick, at least 5 runs), rewrite the results section of "+resultsFile+" (env BENCH_UPDATE)")
	for _, ef := range envFlags {
		if value, ok := lookupEnv(ef.env); ok && value != "" {
			if err := fs.Set(ef.flag, value); err != nil {
				return f, fmt.Errorf("%s=%q: %w", ef.env, value, err)
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, name := range strings.Split(f.only, ",") {
		if name = strings.TrimSpace(name); name != "" {
			f.opts.Only = append(f.opts.Only, name)
		}
	}
	return f, nil
}

// resultsFile is the file, in the module root, whose results section a full run rewrites.
const resultsFile = "BENCHMARKS.md"

// fullRun reports whether a run measured every goal as BENCHMARKS.md states it.
func (f flags) fullRun() bool {
	return !f.opts.Quick && len(f.opts.Only) == 0 && f.opts.Runs >= 5
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, os.LookupEnv, stderr)
	if err != nil {
		return err
	}
	moduleDir, err := tfharness.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	f.opts.ModuleDir = moduleDir
	if f.opts.ScratchDir == "" {
		f.opts.ScratchDir = filepath.Join(moduleDir, ".build", "bench")
	}
	f.opts.Progress = stderr

	report, err := bench.Run(ctx, f.opts)
	if report != nil {
		fmt.Fprintln(stdout)
		fmt.Fprint(stdout, report.Markdown())
	}
	if err != nil {
		return err
	}
	// The last run's Markdown is kept beside the scratch directory, whatever the mode, so that a
	// run's figures can be pasted or compared later without running it again.
	lastRun := filepath.Join(filepath.Dir(f.opts.ScratchDir), "bench-results.md")
	if err := os.WriteFile(lastRun, []byte(report.Markdown()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "apimart-bench: this run's results as Markdown are in %s\n", lastRun)
	switch {
	case !f.update:
	case !f.fullRun():
		fmt.Fprintf(stderr, "apimart-bench: %s left as it is: only a full run of every benchmark with at least 5 runs rewrites it\n", resultsFile)
	default:
		if err := bench.UpdateResultsFile(filepath.Join(moduleDir, resultsFile), report.Markdown()); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "apimart-bench: wrote the results into %s\n", resultsFile)
	}
	for _, fig := range report.Figures {
		if fig.Verdict == bench.Failed {
			return fmt.Errorf("figure %s could not be measured", fig.ID)
		}
	}
	return nil
}
