// Command apimart-bench measures what the apimart provider adds to the time and the requests
// that image generation needs: it drives the real terraform binary, with the provider built
// from this checkout, against the fake API, and prints a table of figures and goals.
//
//	apimart-bench                                  # everything; a full run rewrites BENCHMARKS.md
//	BENCH_QUICK=1 BENCH_RUNS=1 BENCH_ONLY=wait,throughput apimart-bench
//
// It reads its settings from BENCH_* variables, which is how make bench passes them. It exits 1
// when a benchmark could not run, and 0 otherwise, also when a goal is missed: the table says which.
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
	"unicode"

	"github.com/apimart/terraform-provider-apimart/internal/bench"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "apimart-bench takes no arguments; set BENCH_RUNS, BENCH_QUICK, BENCH_ONLY or BENCH_UPDATE (see BENCHMARKS.md)")
		os.Exit(2)
	}
	if err := run(ctx, os.LookupEnv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "apimart-bench:", err)
		os.Exit(1)
	}
}

// parseSettings reads BENCH_RUNS (default 5), BENCH_QUICK, BENCH_ONLY (comma-separated
// benchmark names) and BENCH_UPDATE (default true), and refuses a value it cannot parse. A flag
// set parses them: its flags are named after the variables. update says whether a full run
// rewrites the results section of resultsFile.
func parseSettings(lookupEnv func(string) (string, bool)) (opts bench.Options, update bool, err error) {
	fs := flag.NewFlagSet("apimart-bench", flag.ContinueOnError)
	fs.IntVar(&opts.Runs, "BENCH_RUNS", 5, "")
	fs.BoolVar(&opts.Quick, "BENCH_QUICK", false, "")
	fs.Func("BENCH_ONLY", "", func(names string) error {
		opts.Only = strings.FieldsFunc(names, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
		return nil
	})
	fs.BoolVar(&update, "BENCH_UPDATE", true, "")
	fs.VisitAll(func(f *flag.Flag) {
		if v, _ := lookupEnv(f.Name); v != "" && err == nil {
			if err = fs.Set(f.Name, v); err != nil {
				err = fmt.Errorf("%s=%q: %w", f.Name, v, err)
			}
		}
	})
	return opts, update, err
}

// resultsFile is the file, in the module root, whose results section a full run rewrites.
const resultsFile = "BENCHMARKS.md"

func run(ctx context.Context, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	opts, update, err := parseSettings(lookupEnv)
	if err != nil {
		return err
	}
	moduleDir, err := tfharness.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	opts.ModuleDir = moduleDir
	opts.ScratchDir = filepath.Join(moduleDir, ".build", "bench")
	opts.Progress = stderr

	report, err := bench.Run(ctx, opts)
	if report != nil {
		fmt.Fprintln(stdout)
		fmt.Fprint(stdout, report.Markdown())
	}
	if err != nil {
		return err
	}
	// The last run's Markdown is kept beside the scratch directory, whatever the mode, so that a
	// run's figures can be pasted or compared later without running it again.
	lastRun := filepath.Join(moduleDir, ".build", "bench-results.md")
	if err := os.WriteFile(lastRun, []byte(report.Markdown()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "apimart-bench: this run's results as Markdown are in %s\n", lastRun)
	// Only a full run measures every goal as BENCHMARKS.md states it.
	switch {
	case !update:
	case opts.Quick || len(opts.Only) > 0 || opts.Runs < 5:
		fmt.Fprintf(stderr, "apimart-bench: %s left as it is: only a full run of every benchmark with at least 5 runs rewrites it\n", resultsFile)
	default:
		if err := bench.UpdateResults(filepath.Join(moduleDir, resultsFile), report.Markdown()); err != nil {
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
