package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// Benchmark names, as Options.Only takes them.
const (
	BenchWait       = "wait"       // (1) wait overhead and reads per image
	BenchThroughput = "throughput" // (2) throughput, and (5) the provider's peak memory
	BenchScale      = "scale"      // (3) refresh cost and (4) apply cost of 1,000 resources
	BenchRateLimit  = "ratelimit"  // (6) a rate-limited server
)

// Options configure a harness run.
type Options struct {
	// ModuleDir is the root of this module; the providers are built from it.
	ModuleDir string
	// ScratchDir receives the binaries and every Terraform workspace; it is emptied first.
	ScratchDir string
	// Runs is how many times each figure is measured; its median is reported.
	Runs int
	// Quick shrinks every workload (shorter tasks, fewer resources) for a smoke run.
	Quick bool
	// Only selects benchmarks by name; empty runs them all.
	Only []string
	// Budget bounds the time one benchmark spends on repeated runs: a run is not started when
	// it would probably end past the budget. At least one run is always made.
	Budget time.Duration
	// ServerRate is R of benchmark (6): the fake server's limit in requests per second.
	ServerRate float64
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

// sizes are the workloads of the benchmarks.
type sizes struct {
	waitTask         time.Duration // (1) task duration
	waitImages       int           // (1) images per estimate case and run
	throughputImages int           // (2)
	throughputTask   time.Duration // (2)
	parallelism      int           // (2) -parallelism
	scaleResources   int           // (3) and (4)
	rateImages       int           // (6)
	rateTask         time.Duration // (6)
}

var (
	fullSizes  = sizes{waitTask: 20 * time.Second, waitImages: 5, throughputImages: 40, throughputTask: 2 * time.Second, parallelism: 10, scaleResources: 1000, rateImages: 100, rateTask: 2 * time.Second}
	quickSizes = sizes{waitTask: 4 * time.Second, waitImages: 2, throughputImages: 20, throughputTask: 2 * time.Second, parallelism: 10, scaleResources: 100, rateImages: 20, rateTask: 2 * time.Second}
)

// harness is what every benchmark shares.
type harness struct {
	env      *tfharness.Env
	opts     Options
	sizes    sizes
	progress io.Writer
	retried  []string // runs that failed once and were repeated
}

func (h *harness) logf(format string, args ...any) {
	if h.progress != nil {
		fmt.Fprintf(h.progress, "bench: "+format+"\n", args...)
	}
}

// outcome is what one benchmark adds to the report.
type outcome struct {
	figures []Figure
	details []Table
}

type benchmark struct {
	name  string
	ids   string // the figure numbers it produces, for the error row
	title string
	run   func(context.Context, *harness) (outcome, error)
}

// benchmarks are every benchmark, in the order they run; a new one needs only its line here.
var benchmarks = []benchmark{
	{BenchWait, "1", "Wait overhead and task reads per image", runWait},
	{BenchThroughput, "2, 5", "Throughput and peak memory", runThroughput},
	{BenchScale, "3, 4", "Refresh and apply cost of 1,000 resources", runScale},
	{BenchRateLimit, "6", "Rate-limited server", runRateLimit},
	{BenchImageFile, "7", "Image files: download memory and plans of intact files", runImageFile},
	{BenchImageObject, "8", "Image objects: copy memory and plans of intact objects", runImageObject},
}

// Names lists every benchmark's name in the order they run.
func Names() []string {
	names := make([]string, len(benchmarks))
	for i, b := range benchmarks {
		names[i] = b.name
	}
	return names
}

// Run builds the providers, runs the selected benchmarks and returns the report. A benchmark
// that fails becomes an error row; the others still run.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	started := time.Now()
	h := &harness{opts: opts, sizes: fullSizes, progress: opts.Progress}
	mode := fmt.Sprintf("full, median of %d runs", opts.Runs)
	if opts.Quick {
		h.sizes = quickSizes
		mode = fmt.Sprintf("QUICK smoke run (smaller workloads than the goals name), %d run(s)", opts.Runs)
	}
	if len(opts.Only) > 0 {
		mode += ", only " + strings.Join(opts.Only, ", ")
	}
	h.logf("building the apimart and no-op providers into %s", opts.ScratchDir)
	env, err := tfharness.NewEnv(ctx, opts.ModuleDir, opts.ScratchDir, tfharness.Apimart, noopProvider)
	if err != nil {
		return nil, err
	}
	h.env = env

	report := &Report{Mode: mode, Code: DescribeCode(ctx, opts.ModuleDir), Machine: DescribeMachine(ctx), Started: started, LoadBefore: LoadAverage()}
	for _, b := range benchmarks {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, b.name) {
			continue
		}
		h.logf("== %s (%s)", b.title, b.name)
		began := time.Now()
		out, err := b.run(ctx, h)
		if err != nil {
			h.logf("%s failed: %v", b.name, err)
			out.figures = append(out.figures, Figure{ID: b.ids, What: b.title, Result: "error: " + firstLine(err.Error()), Verdict: Failed})
		}
		h.logf("%s took %s", b.name, time.Since(began).Round(time.Second))
		report.Figures = append(report.Figures, out.figures...)
		report.Details = append(report.Details, out.details...)
		if ctx.Err() != nil {
			return report, ctx.Err()
		}
	}
	report.Elapsed = time.Since(started)
	report.LoadAfter = LoadAverage()
	for _, r := range h.retried {
		report.Notes = append(report.Notes, "Retried after a failure: "+r)
	}
	return report, nil
}

func checkOptions(opts *Options) error {
	if opts.Runs < 1 {
		return fmt.Errorf("runs must be at least 1, not %d", opts.Runs)
	}
	for _, name := range opts.Only {
		if !slices.Contains(Names(), name) {
			return fmt.Errorf("unknown benchmark %q; choose from %s", name, strings.Join(Names(), ", "))
		}
	}
	if opts.Budget <= 0 {
		opts.Budget = 5 * time.Minute
	}
	if opts.ServerRate <= 0 {
		opts.ServerRate = 5
	}
	return nil
}

// repeat calls run for runs 0, 1, ... up to opts.Runs, but starts another run only while the
// average run so far still fits in the budget. It returns how many runs completed.
func (h *harness) repeat(ctx context.Context, name string, run func(ctx context.Context, i int) error) (int, error) {
	began := time.Now()
	for i := 0; i < h.opts.Runs; i++ {
		if i > 0 {
			elapsed := time.Since(began)
			if elapsed+elapsed/time.Duration(i) > h.opts.Budget {
				h.logf("%s: stopping after %d run(s): another would pass the budget of %s", name, i, h.opts.Budget)
				return i, nil
			}
		}
		if err := run(ctx, i); err != nil {
			if ctx.Err() != nil {
				return i, err
			}
			// One retry keeps a single stray failure (a process killed from outside, say) from
			// costing the whole benchmark; the report lists it.
			h.logf("%s: run %d failed, retrying it once: %v", name, i+1, err)
			h.retried = append(h.retried, fmt.Sprintf("%s run %d: %s", name, i+1, firstLine(err.Error())))
			if err := run(ctx, i); err != nil {
				return i, fmt.Errorf("%s, run %d: %w", name, i+1, err)
			}
		}
	}
	return h.opts.Runs, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// terraformBlock declares the providers a configuration uses, so that no init is needed to
// resolve their addresses.
func terraformBlock(providers ...string) string {
	var b strings.Builder
	b.WriteString("terraform {\n  required_providers {\n")
	for _, p := range providers {
		fmt.Fprintf(&b, "    %s = { source = %q }\n", p, "apimart/"+p)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

// imagesBlock declares count images whose prompts end in their index, so that a task on the
// fake server maps back to its resource address.
func imagesBlock(name string, count int, providerRef string) string {
	var ref string
	if providerRef != "" {
		ref = fmt.Sprintf("  provider = %s\n", providerRef)
	}
	return fmt.Sprintf("resource \"apimart_image\" %q {\n%s  count  = %d\n  prompt = \"%s ${count.index}\"\n}\n",
		name, ref, count, promptPrefix(name))
}

func promptPrefix(resourceName string) string { return "bench " + resourceName }

// imageAddress is the resource address of the image whose prompt is prompt, or "" if it is
// not one of imagesBlock's.
func imageAddress(prompt string) string {
	rest, ok := strings.CutPrefix(prompt, "bench ")
	if !ok {
		return ""
	}
	name, index, ok := strings.Cut(rest, " ")
	if !ok {
		return ""
	}
	return fmt.Sprintf("apimart_image.%s[%s]", name, index)
}

// noopConfig declares count resources of a kind that does no work.
func noopConfig(kind string, count int) (string, error) {
	switch kind {
	case "noop_thing":
		return terraformBlock("noop") + fmt.Sprintf("resource \"noop_thing\" \"t\" {\n  count = %d\n  name  = \"thing ${count.index}\"\n}\n", count), nil
	case "noop_image":
		return terraformBlock("noop") + fmt.Sprintf("resource \"noop_image\" \"i\" {\n  count  = %d\n  prompt = \"image ${count.index}\"\n}\n", count), nil
	case "terraform_data":
		return fmt.Sprintf("resource \"terraform_data\" \"d\" {\n  count = %d\n  input = \"data ${count.index}\"\n}\n", count), nil
	}
	return "", fmt.Errorf("no configuration for resource kind %q", kind)
}
