package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

func TestImageAddressMatchesImagesBlock(t *testing.T) {
	block := imagesBlock("right", 5, "apimart.right")
	if !strings.Contains(block, `prompt = "bench right ${count.index}"`) || !strings.Contains(block, "provider = apimart.right") {
		t.Fatalf("unexpected block:\n%s", block)
	}
	if got := imageAddress("bench right 3"); got != "apimart_image.right[3]" {
		t.Errorf("imageAddress = %q", got)
	}
	for _, prompt := range []string{"client 3", "bench", "bench right"} {
		if got := imageAddress(prompt); got != "" {
			t.Errorf("imageAddress(%q) = %q, want none", prompt, got)
		}
	}
}

func TestBaselinePhaseCoversOnePeriodEvenly(t *testing.T) {
	const runs, images = 5, 5
	var phases []time.Duration
	for run := range runs {
		var perRun []time.Duration
		for image := range images {
			p := baselinePhase(run, image, runs, images)
			if p < 0 || p >= baselinePeriod {
				t.Fatalf("phase %v is outside one period", p)
			}
			perRun = append(perRun, p)
		}
		// Each run spans the period, so per-run medians do not drift from run to run.
		if spread := slices.Max(perRun) - slices.Min(perRun); spread < baselinePeriod*3/4 {
			t.Errorf("run %d covers only %v of the period", run, spread)
		}
		phases = append(phases, perRun...)
	}
	slices.Sort(phases)
	want := baselinePeriod / (runs * images)
	for i := 1; i < len(phases); i++ {
		if gap := phases[i] - phases[i-1]; gap < want-time.Microsecond || gap > want+time.Microsecond {
			t.Fatalf("phases are not evenly spaced: gap %v, want %v", gap, want)
		}
	}
}

func TestRepeatStopsAtTheBudget(t *testing.T) {
	h := &harness{opts: Options{Runs: 50}, budget: 100 * time.Millisecond}
	runs, err := h.repeat(context.Background(), "test", func(context.Context, int) error {
		time.Sleep(30 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs < 1 || runs > 4 {
		t.Errorf("made %d runs of 30 ms within a 100 ms budget", runs)
	}

	h.opts.Runs = 3
	runs, err = h.repeat(context.Background(), "test", func(_ context.Context, i int) error {
		if i == 1 {
			return errors.New("boom")
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "run 2: boom") || runs != 1 {
		t.Errorf("runs %d, err %v; want 1 and the failing run named", runs, err)
	}
}

func TestRepeatRetriesAFailedRunOnce(t *testing.T) {
	h := &harness{opts: Options{Runs: 3}, budget: time.Minute}
	attempts := map[int]int{}
	runs, err := h.repeat(context.Background(), "test", func(_ context.Context, i int) error {
		attempts[i]++
		if i == 1 && attempts[i] == 1 {
			return errors.New("killed from outside")
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Fatalf("runs %d, err %v; want 3 runs and no error", runs, err)
	}
	if attempts[1] != 2 || len(h.retried) != 1 || !strings.Contains(h.retried[0], "killed from outside") {
		t.Errorf("attempts %v, retried %v; want run 2 tried twice and listed", attempts, h.retried)
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	if _, err := Run(context.Background(), Options{Runs: 0}); err == nil {
		t.Error("zero runs accepted")
	}
	if _, err := Run(context.Background(), Options{Runs: 1, Only: []string{"nope"}}); err == nil {
		t.Error("an unknown benchmark accepted")
	}
}

// submitOne starts a fake whose tasks last taskDuration and submits one task to it.
func submitOne(t *testing.T, taskDuration time.Duration, prompt string) (*fake, *apimart.Client, string) {
	t.Helper()
	f := startFake(taskDuration)
	t.Cleanup(f.Close)
	client, err := apimart.NewClient(apimart.Config{BaseURL: f.URL, APIKey: fakeapimart.DefaultKey})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := client.Submit(context.Background(), apimart.GenerationRequest{Model: apimart.DefaultModel, Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	return f, client, sub.TaskID
}

// TestWaitStatsCountReadsAndOverhead reads a finished task twice through the real client and
// expects the run to show both reads, their gap, and the overhead measured from completion.
func TestWaitStatsCountReadsAndOverhead(t *testing.T) {
	f, client, taskID := submitOne(t, 0, "bench img 0")
	ctx := context.Background()
	for range 2 {
		if _, err := client.GetTask(ctx, taskID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s := newWaitStats()
	err := s.add(f, func(rec fakeapimart.TaskRecord) (time.Time, error) {
		return rec.CompletedAt.Add(300 * time.Millisecond), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.readsText() != "2 (max 2)" || s.overhead() != 0.3 || s.minGap < 0.02 {
		t.Errorf("reads %s, overhead %v, shortest gap %v; want 2 reads, 0.3 s overhead, a gap of at least 0.02 s", s.readsText(), s.overhead(), s.minGap)
	}

	err = s.add(f, func(fakeapimart.TaskRecord) (time.Time, error) { return time.Time{}, errors.New("no end") })
	if err == nil {
		t.Error("an error from returned was dropped")
	}
}

func TestPollEveryReadsOnItsClockUntilTheEnd(t *testing.T) {
	f, client, taskID := submitOne(t, 350*time.Millisecond, "poll")
	ctx := context.Background()
	if err := pollEvery(ctx, client, taskID, 100*time.Millisecond, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// Reads at 150, 250, 350 (maybe just short of the end) and 450 ms after the submit.
	if reads := len(f.TaskReadTimes(taskID)); reads < 3 || reads > 4 {
		t.Errorf("%d reads, want 3 or 4", reads)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := pollEvery(cancelled, client, taskID, time.Second, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled poll returned %v", err)
	}
}

// TestQuickSmoke runs the wait, throughput and image object benchmarks in quick mode, once,
// through the real terraform binary: the harness end to end, in under a minute.
func TestQuickSmoke(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("drives terraform: set TF_ACC=1 to run it")
	}
	moduleDir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	report, err := Run(context.Background(), Options{
		ModuleDir: moduleDir, ScratchDir: t.TempDir(), Runs: 1, Quick: true,
		Only: []string{"wait", "throughput", "imageobject"}, Progress: &progress,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	ids := map[string]Figure{}
	for _, f := range report.Figures {
		ids[f.ID] = f
		if f.Verdict == Failed {
			t.Errorf("figure %s failed: %s", f.ID, f.Result)
		}
	}
	for _, id := range []string{"1a", "1b", "1c", "1d", "1e", "1f", "2a", "2b", "2c", "5", "8a", "8b", "8c", "8d", "8e"} {
		if _, ok := ids[id]; !ok {
			t.Errorf("figure %s is missing", id)
		}
	}
	if r := ids["5"].Result; !strings.HasSuffix(strings.Fields(r)[1], "MB") || strings.HasPrefix(r, "0.0") {
		t.Errorf("peak RSS %q is not a positive size", r)
	}
	if ids["8b"].Verdict != Met {
		t.Errorf("the plan of intact objects made API or too many storage requests: %s", ids["8b"].Result)
	}
	if r := ids["8d"].Result; !strings.Contains(r, " + ") || !strings.HasSuffix(r, "×") {
		t.Errorf("the floor of 8c is %q, not a comparison of two plans", r)
	}
	if md := report.Markdown(); !strings.Contains(md, "| 2a |") {
		t.Errorf("the Markdown report lacks figure 2a:\n%s", md)
	}
	t.Logf("\n%s", report.Markdown())
}
