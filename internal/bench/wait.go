package bench

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// estimateCase is how far the server's estimated_time is from the task's real duration.
type estimateCase struct {
	name     string // resource name and key
	label    string
	factor   float64
	maxReads int // the goal
}

var estimateCases = []estimateCase{
	{name: "right", label: "estimate right", factor: 1, maxReads: 4},
	{name: "high", label: "estimate ×2 too high", factor: 2, maxReads: 6},
	{name: "low", label: "estimate ×0.5 too low", factor: 0.5, maxReads: 6},
}

// baselinePeriod is the plain poll loop the provider is compared with: what a script would do.
const baselinePeriod = 2 * time.Second

// minPollGap is the goal for the time between two reads of one task.
const minPollGap = 250 * time.Millisecond

// waitStats gathers the waits of one method and case over the runs.
type waitStats struct {
	mu        sync.Mutex
	overheads []float64 // per-run medians, in seconds
	reads     []float64 // per-run medians
	maxReads  float64
	minGap    float64 // the shortest time between two reads of one task; +Inf while none had two
}

func newWaitStats() *waitStats { return &waitStats{minGap: math.Inf(1)} }

// add records one run from the fake's tasks; returned gives when the wait for a task ended, as
// the caller observed it. Overhead is that end minus the task's completion on the server.
func (s *waitStats) add(f *fake, returned func(fakeapimart.TaskRecord) (time.Time, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var overheads, reads []float64
	for _, rec := range f.Tasks() {
		at, err := returned(rec)
		if err != nil {
			return err
		}
		times := f.TaskReadTimes(rec.ID)
		for i := 1; i < len(times); i++ {
			s.minGap = min(s.minGap, times[i].Sub(times[i-1]).Seconds())
		}
		overheads = append(overheads, at.Sub(rec.CompletedAt).Seconds())
		reads = append(reads, float64(len(times)))
		s.maxReads = max(s.maxReads, float64(len(times)))
	}
	s.overheads = append(s.overheads, median(overheads))
	s.reads = append(s.reads, median(reads))
	return nil
}

func (s *waitStats) overhead() float64 { return median(s.overheads) }

func (s *waitStats) readsText() string {
	return fmt.Sprintf("%s (max %s)", fmtCount(median(s.reads)), fmtCount(s.maxReads))
}

func runWait(ctx context.Context, h *harness) ([]Figure, error) {
	stats := map[string]*waitStats{"baseline": newWaitStats()}
	for _, c := range estimateCases {
		stats["terraform/"+c.name] = newWaitStats()
		stats["client/"+c.name] = newWaitStats()
	}
	h.logf("wait: client column, %d runs side by side (%d tasks of %s each per case)", h.opts.Runs, h.sizes.waitImages, h.sizes.waitTask)
	if err := waitClient(ctx, h, stats); err != nil {
		return nil, err
	}
	runs, err := h.repeat(ctx, "wait", func(ctx context.Context, _ int) error {
		return waitTerraformRun(ctx, h, stats)
	})
	if err != nil {
		return nil, err
	}
	return waitFigures(h, stats, runs), nil
}

func startWaitFake(task time.Duration, factor float64) *fake {
	return startFake(task, func(set *fakeapimart.Settings) { set.EstimatedTime = time.Duration(float64(task) * factor) })
}

// waitTerraformRun applies the images of every estimate case in one apply, each case against
// its own fake server through its own provider alias, all at once.
func waitTerraformRun(ctx context.Context, h *harness, stats map[string]*waitStats) error {
	config := terraformBlock("apimart")
	fakes := map[string]*fake{}
	defer func() {
		for _, f := range fakes {
			f.Close()
		}
	}()
	for _, c := range estimateCases {
		f := startWaitFake(h.sizes.waitTask, c.factor)
		fakes[c.name] = f
		config += f.providerBlock(c.name) + imagesBlock(c.name, h.sizes.waitImages, "apimart."+c.name)
	}
	ws, err := h.env.Workspace("wait", config)
	if err != nil {
		return err
	}
	r, err := apply(ctx, ws, len(estimateCases)*h.sizes.waitImages)
	if err != nil {
		return err
	}
	ev, err := parseApply(r.Stdout)
	if err != nil {
		return err
	}
	for _, c := range estimateCases {
		err := stats["terraform/"+c.name].add(fakes[c.name], func(rec fakeapimart.TaskRecord) (time.Time, error) {
			addr := imageAddress(rec.Prompt)
			at, ok := ev.finished[addr]
			if !ok {
				return time.Time{}, fmt.Errorf("terraform reported no end for %s (task %s)", addr, rec.ID)
			}
			return at, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// waitFunc waits for the task of one submitted image, the image'th of its run.
type waitFunc func(ctx context.Context, c *apimart.Client, sub *apimart.Submission, image int) error

// waitClient measures the client's WaitForTask and the plain poll loop without Terraform.
// Every run of every case has its own server and client, and all of them wait side by side:
// the waits are sleeps, so they do not disturb one another.
func waitClient(ctx context.Context, h *harness, stats map[string]*waitStats) error {
	var g errgroup.Group
	measure := func(key string, factor float64, waitFor waitFunc) {
		g.Go(func() error {
			if err := clientRun(ctx, h.sizes, factor, stats[key], waitFor); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			return nil
		})
	}
	for run := range h.opts.Runs {
		for _, c := range estimateCases {
			measure("client/"+c.name, c.factor, func(ctx context.Context, cl *apimart.Client, sub *apimart.Submission, _ int) error {
				// The same options as the provider's Create.
				_, err := cl.WaitForTask(ctx, sub.TaskID, apimart.WaitOptions{EstimatedTime: sub.EstimatedTime, SubmittedAt: time.Now()})
				return err
			})
		}
		measure("baseline", 1, func(ctx context.Context, cl *apimart.Client, sub *apimart.Submission, image int) error {
			return pollEvery(ctx, cl, sub.TaskID, baselinePeriod, baselinePhase(run, image, h.opts.Runs, h.sizes.waitImages))
		})
	}
	return g.Wait()
}

// baselinePhase spreads the start of the plain poll loop evenly over one period across all its
// samples, interleaved so that each run covers the whole period. A real task's end falls
// anywhere within a poll period; the fake's tasks last exactly a whole number of periods, so a
// loop started at the submit would always read just after the end and flatter the baseline.
func baselinePhase(run, image, runs, images int) time.Duration {
	slot := image*runs + run
	return time.Duration((float64(slot) + 0.5) / float64(runs*images) * float64(baselinePeriod))
}

// clientRun submits the images of one run to a fresh fake, waits for each with waitFor, all at
// once, and adds the run to s.
func clientRun(ctx context.Context, sz sizes, factor float64, s *waitStats, waitFor waitFunc) error {
	f := startWaitFake(sz.waitTask, factor)
	defer f.Close()
	client, err := apimart.NewClient(apimart.Config{BaseURL: f.URL, APIKey: fakeapimart.DefaultKey})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 4*sz.waitTask+time.Minute)
	defer cancel()

	var mu sync.Mutex
	returned := map[string]time.Time{}
	var g errgroup.Group
	for i := range sz.waitImages {
		g.Go(func() error {
			sub, err := client.Submit(ctx, apimart.GenerationRequest{Model: apimart.DefaultModel, Prompt: fmt.Sprintf("client %d", i)})
			if err != nil {
				return err
			}
			if err := waitFor(ctx, client, sub, i); err != nil {
				return err
			}
			at := time.Now()
			mu.Lock()
			defer mu.Unlock()
			returned[sub.TaskID] = at
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return s.add(f, func(rec fakeapimart.TaskRecord) (time.Time, error) { return returned[rec.ID], nil })
}

// pollEvery is the plain loop: read every period, on a fixed clock offset by phase, until the
// task ends.
func pollEvery(ctx context.Context, c *apimart.Client, taskID string, period, phase time.Duration) error {
	start := time.Now()
	for k := 1; ; k++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(start.Add(phase + time.Duration(k)*period))):
		}
		task, err := c.GetTask(ctx, taskID)
		if err != nil {
			return err
		}
		if task.IsTerminal() {
			return nil
		}
	}
}

func waitFigures(h *harness, stats map[string]*waitStats, runs int) []Figure {
	tf := func(c string) *waitStats { return stats["terraform/"+c] }
	cl := func(c string) *waitStats { return stats["client/"+c] }
	base, right := stats["baseline"], tf("right")
	task := h.sizes.waitTask.String()
	minGap := math.Inf(1)
	var gaps []string
	for _, c := range estimateCases {
		gap := min(tf(c.name).minGap, cl(c.name).minGap)
		minGap = min(minGap, gap)
		gaps = append(gaps, c.name+" "+fmtSeconds(gap))
	}
	figures := []Figure{{
		ID: "1a", What: fmt.Sprintf("Wait overhead per image, %s task, estimate right (terraform; client)", task),
		Result: fmt.Sprintf("%s; %s", fmtSeconds(right.overhead()), fmtSeconds(cl("right").overhead())),
		Goal:   "≤ 0.50 s", Verdict: verdict(right.overhead() <= 0.5), Runs: runs,
	}, {
		ID: "1b", What: "Task reads per image, estimate right: median (max) (terraform; client)",
		Result: right.readsText() + "; " + cl("right").readsText(),
		Goal:   "≤ 4", Verdict: verdict(right.maxReads <= 4), Runs: runs,
	}}
	for i, c := range estimateCases[1:] {
		s := tf(c.name)
		figures = append(figures, Figure{
			ID:     fmt.Sprintf("1%c", 'c'+i),
			What:   fmt.Sprintf("Task reads per image, %s: median (max) (terraform; client); overhead (terraform; client)", c.label),
			Result: fmt.Sprintf("%s; %s; overhead %s; %s", s.readsText(), cl(c.name).readsText(), fmtSeconds(s.overhead()), fmtSeconds(cl(c.name).overhead())),
			Goal:   fmt.Sprintf("≤ %d reads", c.maxReads), Verdict: verdict(s.maxReads <= float64(c.maxReads)), Runs: runs,
		})
	}
	return append(figures, Figure{
		ID: "1e", What: "Shortest time between two reads of one task (all cases, terraform and client; by case; plain loop)",
		Result: fmt.Sprintf("%s (%s; plain loop %s)", fmtSeconds(minGap), strings.Join(gaps, ", "), fmtSeconds(base.minGap)),
		Goal:   "≥ 0.25 s", Verdict: verdict(!math.IsInf(minGap, 1) && minGap >= minPollGap.Seconds()), Runs: runs,
	}, Figure{
		ID: "1f", What: fmt.Sprintf("Plain %s poll loop (client): overhead; reads", baselinePeriod),
		Result:  fmt.Sprintf("%s; %s", fmtSeconds(base.overhead()), base.readsText()),
		Goal:    "provider beats it on both (1a, 1b)",
		Verdict: verdict(right.overhead() < base.overhead() && median(right.reads) < median(base.reads)),
		Runs:    len(base.overheads),
	})
}
