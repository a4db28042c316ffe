// Command apimart-bench measures what the apimart provider adds to the time and the requests
// that image generation needs: it drives the real terraform binary, with the provider built
// from this checkout, against the fake API, and prints a table of figures and goals.
//
//	apimart-bench -runs 5 -update BENCHMARKS.md
//	apimart-bench -quick -runs 1 -only wait,throughput
//
// Every flag has an environment variable for scripts/bench.sh. It exits 1 when a benchmark
// could not run, and 0 otherwise, also when a goal is missed: the table says which.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/bench"
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
	update string
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("apimart-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&f.opts.Runs, "runs", envInt("BENCH_RUNS", 5), "runs per figure; the median is reported (env BENCH_RUNS)")
	fs.BoolVar(&f.opts.Quick, "quick", envBool("BENCH_QUICK"), "smaller workloads, for a smoke run (env BENCH_QUICK=1)")
	fs.StringVar(&f.only, "only", os.Getenv("BENCH_ONLY"), "comma-separated benchmarks to run: "+strings.Join(bench.AllBenchmarks, ", ")+" (env BENCH_ONLY)")
	fs.DurationVar(&f.opts.Budget, "budget", envDuration("BENCH_BUDGET", 5*time.Minute), "time one benchmark may spend on repeated runs (env BENCH_BUDGET)")
	fs.Float64Var(&f.opts.ServerRate, "server-rate", envFloat("BENCH_SERVER_RATE", 5), "R of benchmark 6: the fake server's limit in requests per second (env BENCH_SERVER_RATE)")
	fs.StringVar(&f.opts.ScratchDir, "scratch", os.Getenv("BENCH_SCRATCH"), "scratch directory, emptied first (default .build/bench in the module; env BENCH_SCRATCH)")
	fs.StringVar(&f.update, "update", os.Getenv("BENCH_UPDATE"), "Markdown `file` whose results section is replaced by this run's (env BENCH_UPDATE)")
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	moduleDir, err := moduleRoot(ctx)
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
		report.WriteText(stdout)
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
	if f.update != "" {
		if f.opts.Quick || len(f.opts.Only) > 0 {
			return errors.New("-update takes only a full run of every benchmark; drop -quick and -only")
		}
		if err := bench.UpdateResultsFile(f.update, report.Markdown()); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "apimart-bench: wrote the results into %s\n", f.update)
	}
	for _, fig := range report.Figures {
		if fig.Verdict == bench.Failed {
			return fmt.Errorf("figure %s could not be measured", fig.ID)
		}
	}
	return nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run apimart-bench from inside the module")
	}
	return filepath.Dir(gomod), nil
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if f, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return f
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}
