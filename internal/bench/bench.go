package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// Options configure a harness run.
type Options struct {
	ModuleDir  string    // the root of this module; the providers are built from it
	ScratchDir string    // receives the binaries and every Terraform workspace; emptied first
	Runs       int       // how many times each figure is measured; its median is reported
	Quick      bool      // shrinks every workload (shorter tasks, fewer resources) for a smoke run
	Only       []string  // selects benchmarks by name; empty runs them all
	Progress   io.Writer // receives one line per step; nil discards them
}

// budget bounds the time one benchmark spends on repeated runs: a run is not started when it
// would probably end past it. At least one run is always made.
const budget = 5 * time.Minute

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
	parallelFiles    int           // (7a, 8a) files copied side by side
	parallelBytes    int64         // (7a, 8a) size of each
	intactFiles      int           // (7b, 7c, 8b, 8c) files or objects in the plan
	intactBytes      int64         // (7b, 7c) size of each
}

var (
	fullSizes = sizes{waitTask: 20 * time.Second, waitImages: 5, throughputImages: 40, throughputTask: 2 * time.Second,
		parallelism: 10, scaleResources: 1000, rateImages: 100, rateTask: 2 * time.Second,
		parallelFiles: 10, parallelBytes: 20 << 20, intactFiles: 200, intactBytes: 2 << 20}
	quickSizes = sizes{waitTask: 4 * time.Second, waitImages: 2, throughputImages: 20, throughputTask: 2 * time.Second,
		parallelism: 10, scaleResources: 100, rateImages: 20, rateTask: 2 * time.Second,
		parallelFiles: 4, parallelBytes: 5 << 20, intactFiles: 40, intactBytes: 1 << 20}
)

// harness is what every benchmark shares.
type harness struct {
	env     *tfharness.Env
	opts    Options
	sizes   sizes
	budget  time.Duration
	retried []string // runs that failed once and were repeated
}

func (h *harness) logf(format string, args ...any) {
	if h.opts.Progress != nil {
		fmt.Fprintf(h.opts.Progress, "bench: "+format+"\n", args...)
	}
}

// benchmarks are every benchmark, in the order they run; a new one needs only its line here.
// Their names are what Options.Only takes.
var benchmarks = []struct {
	name  string
	ids   string // the figure numbers it produces, for the error row
	title string
	run   func(context.Context, *harness) ([]Figure, error)
}{
	{"wait", "1", "Wait overhead and task reads per image", runWait},
	{"throughput", "2, 5", "Throughput and peak memory", runThroughput},
	{"scale", "3, 4", "Refresh and apply cost of 1,000 resources", runScale},
	{"ratelimit", "6", "Rate-limited server", runRateLimit},
	{"imagefile", "7", "Image files: download memory and plans of intact files", runImageFile},
	{"imageobject", "8", "Image objects: copy memory and plans of intact objects", runImageObject},
}

// Run builds the providers, runs the selected benchmarks and returns the report. A benchmark
// that fails becomes an error row; the others still run.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Runs < 1 {
		return nil, fmt.Errorf("runs must be at least 1, not %d", opts.Runs)
	}
	var names []string
	for _, b := range benchmarks {
		names = append(names, b.name)
	}
	for _, name := range opts.Only {
		if !slices.Contains(names, name) {
			return nil, fmt.Errorf("unknown benchmark %q; choose from %s", name, strings.Join(names, ", "))
		}
	}
	started := time.Now()
	h := &harness{opts: opts, sizes: fullSizes, budget: budget}
	mode := fmt.Sprintf("full, median of %d runs", opts.Runs)
	if opts.Quick {
		h.sizes = quickSizes
		mode = fmt.Sprintf("QUICK smoke run (smaller workloads than the goals name), %d run(s)", opts.Runs)
	}
	if len(opts.Only) > 0 {
		mode += ", only " + strings.Join(opts.Only, ", ")
	}
	h.logf("building the apimart and no-op providers into %s", opts.ScratchDir)
	var err error
	if h.env, err = tfharness.NewEnv(ctx, opts.ModuleDir, opts.ScratchDir, tfharness.Apimart, noopProvider); err != nil {
		return nil, err
	}

	report := &Report{}
	// The code is named before the benchmarks, which may take long enough for a commit to land.
	code, loadBefore := describeCode(ctx, opts.ModuleDir), loadAverage()
	for _, b := range benchmarks {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, b.name) {
			continue
		}
		h.logf("== %s (%s)", b.title, b.name)
		began := time.Now()
		figures, err := b.run(ctx, h)
		if err != nil {
			h.logf("%s failed: %v", b.name, err)
			figures = append(figures, Figure{ID: b.ids, What: b.title, Result: "error: " + firstLine(err.Error()), Verdict: Failed})
		}
		h.logf("%s took %s", b.name, time.Since(began).Round(time.Second))
		report.Figures = append(report.Figures, figures...)
		if ctx.Err() != nil {
			break
		}
	}
	report.Header = header(ctx, code, mode, started, loadBefore)
	for _, r := range h.retried {
		report.Notes = append(report.Notes, "Retried after a failure: "+r)
	}
	return report, ctx.Err()
}

// repeat calls run for runs 0, 1, ... up to opts.Runs, but starts another run only while the
// average run so far still fits in the budget. It returns how many runs completed.
func (h *harness) repeat(ctx context.Context, name string, run func(ctx context.Context, i int) error) (int, error) {
	began := time.Now()
	for i := 0; i < h.opts.Runs; i++ {
		if elapsed := time.Since(began); i > 0 && elapsed+elapsed/time.Duration(i) > h.budget {
			h.logf("%s: stopping after %d run(s): another would pass the budget of %s", name, i, h.budget)
			return i, nil
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
		h.logf("%s: run %d/%d done after %s", name, i+1, h.opts.Runs, time.Since(began).Round(time.Second))
	}
	return h.opts.Runs, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// noopProvider does no work; its resources are the floors the benchmarks compare against.
var noopProvider = tfharness.Provider{Source: "apimart/noop", Package: "./internal/bench/noopprovider"}

// apply runs terraform apply with the machine-readable UI, whose events carry the time each
// resource started and finished.
func apply(ctx context.Context, ws *tfharness.Workspace, parallelism int) (tfharness.Result, error) {
	r := ws.Run(ctx, "apply", "-auto-approve", "-input=false", "-json", fmt.Sprintf("-parallelism=%d", parallelism))
	return r, r.Err
}

// plan runs terraform plan with a refresh, as a user's plan would.
func plan(ctx context.Context, ws *tfharness.Workspace) (tfharness.Result, error) {
	r := ws.Run(ctx, "plan", "-input=false")
	return r, r.Err
}

// applyPeak is apply while sampling the memory of the apimart provider's processes; it returns
// their highest peak RSS in bytes.
func (h *harness) applyPeak(ctx context.Context, ws *tfharness.Workspace, parallelism int) (tfharness.Result, float64, error) {
	var r tfharness.Result
	peak, err := peakRSS(h.env.ProviderBinary(tfharness.Apimart), 20*time.Millisecond, func() (err error) {
		r, err = apply(ctx, ws, parallelism)
		return err
	})
	return r, float64(peak), err
}

// applyNoop applies count resources of a kind that does no work (noop_thing, noop_image or
// terraform_data) in a fresh workspace, and returns it with the command's wall time. Each kind
// has one string input, whose values end in the index as the images' prompts do.
func (h *harness) applyNoop(ctx context.Context, kind string, count int) (*tfharness.Workspace, time.Duration, error) {
	input := map[string]string{"noop_thing": `name = "thing`, "noop_image": `prompt = "image`, "terraform_data": `input = "data`}[kind]
	config := fmt.Sprintf("resource %q \"r\" {\n  count = %d\n  %s ${count.index}\"\n}\n", kind, count, input)
	if kind != "terraform_data" {
		config = terraformBlock("noop") + config
	}
	var env []string
	if kind == "noop_image" {
		env = sdkLogsOff // the floor of apimart_image runs with the logs off, as apimart_image does
	}
	ws, err := h.env.Workspace(kind, config, env...)
	if err != nil {
		return nil, 0, err
	}
	r, err := apply(ctx, ws, scaleParallelism)
	return ws, r.Wall, err
}

// terraformBlock declares the provider a configuration uses, so that no init is needed to
// resolve its address.
func terraformBlock(name string) string {
	return fmt.Sprintf("terraform {\n  required_providers {\n    %s = { source = \"apimart/%s\" }\n  }\n}\n", name, name)
}

// imagesBlock declares count images whose prompts end in their index, so that a task on the
// fake server maps back to its resource address.
func imagesBlock(name string, count int, providerRef string) string {
	var ref string
	if providerRef != "" {
		ref = fmt.Sprintf("  provider = %s\n", providerRef)
	}
	return fmt.Sprintf("resource \"apimart_image\" %q {\n%s  count  = %d\n  prompt = \"bench %s ${count.index}\"\n}\n",
		name, ref, count, name)
}

// imageAddress is the resource address of the image whose prompt is prompt, or "" if it is
// not one of imagesBlock's.
func imageAddress(prompt string) string {
	rest, ok := strings.CutPrefix(prompt, "bench ")
	name, index, ok2 := strings.Cut(rest, " ")
	if !ok || !ok2 {
		return ""
	}
	return fmt.Sprintf("apimart_image.%s[%s]", name, index)
}

// fake is the fake API served on a loopback port inside the harness process, so that the
// harness reads its task records and read times directly.
type fake struct {
	*fakeapimart.Server
	URL   string
	Close func()
}

// startFake serves a new fake API whose tasks last task.
func startFake(task time.Duration, opts ...fakeapimart.Option) *fake {
	opts = append([]fakeapimart.Option{func(set *fakeapimart.Settings) { set.TaskDuration = task }}, opts...)
	s, url, stop := fakeapimart.Serve(opts...)
	return &fake{Server: s, URL: url, Close: stop}
}

// providerBlock is an apimart provider block aimed at this fake. alias may be empty; extra
// lines (such as "rate_limit = 20") are added as they are.
func (f *fake) providerBlock(alias string, extra ...string) string {
	block := "provider \"apimart\" {\n"
	if alias != "" {
		block += fmt.Sprintf("  alias    = %q\n", alias)
	}
	block += fmt.Sprintf("  base_url = %q\n  api_key  = %q\n", f.URL, fakeapimart.DefaultKey)
	for _, line := range extra {
		block += "  " + line + "\n"
	}
	return block + "}\n"
}
