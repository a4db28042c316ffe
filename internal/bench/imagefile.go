package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// BenchImageFile is (7): apimart_image_file's memory while downloading and its plan of intact files.
const BenchImageFile = "imagefile"

// Goals of (7).
const (
	downloadRSSGoal = 60 << 20
	// hashShare is how much of sha256sum's time over the same files a plan may spend above the
	// no-op plan floor.
	hashShare = 1.2
)

// imageFileSizes are the workloads of (7).
type imageFileSizes struct {
	parallelFiles int   // (7a) files downloaded side by side
	parallelBytes int64 // (7a) size of each
	intactFiles   int   // (7b, 7c) files in the plan
	intactBytes   int64 // (7b, 7c) size of each
}

var (
	fullImageFileSizes  = imageFileSizes{parallelFiles: 10, parallelBytes: 20 << 20, intactFiles: 200, intactBytes: 2 << 20}
	quickImageFileSizes = imageFileSizes{parallelFiles: 4, parallelBytes: 5 << 20, intactFiles: 40, intactBytes: 1 << 20}
)

// imageFileStats is what the runs of (7) measured.
type imageFileStats struct {
	peaks                      []float64 // (7a) bytes
	requests                   []float64 // (7b)
	plans, noopPlans, hashSums []float64 // (7c) seconds
	margins                    []float64 // (7c) plan minus its allowance, per run
}

func runImageFile(ctx context.Context, h *harness) (outcome, error) {
	sz := fullImageFileSizes
	if h.opts.Quick {
		sz = quickImageFileSizes
	}
	f := StartFake(func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	defer f.Close()
	intact, err := prepareIntactPlans(ctx, h, f, sz)
	if err != nil {
		return outcome{}, err
	}
	var st imageFileStats
	runs, err := h.repeat(ctx, BenchImageFile, func(ctx context.Context, i int) error {
		if err := measureDownloadRSS(ctx, h, f, sz, &st); err != nil {
			return err
		}
		if err := intact.measure(ctx, f, &st); err != nil {
			return err
		}
		h.logf("imagefile: run %d/%d: peak RSS %.1f MB; plan %s vs noop %s + %.1f × sha256sum %s; %s requests",
			i+1, h.opts.Runs, last(st.peaks)/(1<<20), fmtSeconds(last(st.plans)), fmtSeconds(last(st.noopPlans)),
			hashShare, fmtSeconds(last(st.hashSums)), fmtCount(last(st.requests)))
		return nil
	})
	if err != nil {
		return outcome{}, err
	}
	return imageFileOutcome(sz, runs, st), nil
}

// seedFiles creates n completed tasks on the fake and returns the URL of each one's file.
func seedFiles(f *Fake, n int, prompt string) []string {
	urls := make([]string, n)
	for i := range urls {
		rec := f.SeedTask(fakeapimart.DefaultKey, "imagen-4.0-apimart", fmt.Sprintf("%s %d", prompt, i), "1:1", 1)
		urls[i] = fakeapimart.ResultURL(f.URL, rec.ID, 0)
	}
	return urls
}

// imageFilesConfig saves each URL into files/<index>.png.
func imageFilesConfig(f *Fake, urls []string) string {
	quoted := make([]string, len(urls))
	for i, u := range urls {
		quoted[i] = fmt.Sprintf("%q", u)
	}
	return terraformBlock("apimart") + f.ProviderBlock("") + fmt.Sprintf(
		"locals {\n  urls = [%s]\n}\n\nresource \"apimart_image_file\" \"f\" {\n  count = %d\n  url   = local.urls[count.index]\n  path  = \"files/${count.index}.png\"\n}\n",
		strings.Join(quoted, ", "), len(urls))
}

// measureDownloadRSS applies files of parallelBytes each, all at once, in a fresh workspace and
// records the provider's peak RSS. The files are removed afterwards to spare the disk.
func measureDownloadRSS(ctx context.Context, h *harness, f *Fake, sz imageFileSizes, st *imageFileStats) error {
	f.Configure(func(set *fakeapimart.Settings) { set.MinImageBytes = sz.parallelBytes })
	ws, err := h.env.Workspace("imagefile-download")
	if err != nil {
		return err
	}
	defer os.RemoveAll(ws.Dir)
	if err := ws.WriteFile("main.tf", imageFilesConfig(f, seedFiles(f, sz.parallelFiles, "big file"))); err != nil {
		return err
	}
	f.ResetCounters()
	sampler := StartRSSSampler(h.env.ProviderBinary(tfharness.Apimart), 20*time.Millisecond)
	_, err = apply(ctx, ws, sz.parallelFiles)
	peak, processes := sampler.Stop()
	if err != nil {
		return err
	}
	if processes == 0 {
		return fmt.Errorf("no provider process was seen while sampling memory")
	}
	if got := f.Counters().ImageDownloads; got != int64(sz.parallelFiles) {
		return fmt.Errorf("the apply downloaded %d files, want %d", got, sz.parallelFiles)
	}
	st.peaks = append(st.peaks, float64(peak))
	return nil
}

// intactPlans holds the workspaces whose plans (7b) and (7c) time.
type intactPlans struct {
	files, noop *tfharness.Workspace
	paths       []string
}

// prepareIntactPlans applies the intact files and their no-op twins once, then plans and hashes
// each once unmeasured, so that every measured run reads the files from the page cache.
func prepareIntactPlans(ctx context.Context, h *harness, f *Fake, sz imageFileSizes) (*intactPlans, error) {
	f.Configure(func(set *fakeapimart.Settings) { set.MinImageBytes = sz.intactBytes })
	ws, err := h.env.Workspace("imagefile-intact")
	if err != nil {
		return nil, err
	}
	if err := ws.WriteFile("main.tf", imageFilesConfig(f, seedFiles(f, sz.intactFiles, "intact file"))); err != nil {
		return nil, err
	}
	h.logf("imagefile: saving %d files of %d MiB for the plans", sz.intactFiles, sz.intactBytes>>20)
	if _, err := apply(ctx, ws, scaleParallelism); err != nil {
		return nil, err
	}
	p := &intactPlans{files: ws}
	for i := range sz.intactFiles {
		p.paths = append(p.paths, filepath.Join(ws.Dir, "files", fmt.Sprintf("%d.png", i)))
	}
	if p.noop, _, err = applyNoop(ctx, h, "noop_thing", sz.intactFiles); err != nil {
		return nil, err
	}
	for _, w := range []*tfharness.Workspace{p.files, p.noop} {
		if _, err := plan(ctx, w); err != nil {
			return nil, err
		}
	}
	_, err = p.sha256sum(ctx)
	return p, err
}

// measure times, back to back, the plan of the files, the plan of as many no-op resources, and
// sha256sum over the files.
func (p *intactPlans) measure(ctx context.Context, f *Fake, st *imageFileStats) error {
	f.ResetCounters()
	files, err := plan(ctx, p.files)
	if err != nil {
		return err
	}
	if !strings.Contains(files.Stdout, "No changes") {
		return fmt.Errorf("the plan of intact files is not empty:\n%s", tfharness.Tail(files.Stdout, 2000))
	}
	st.requests = append(st.requests, float64(f.Counters().Requests))
	noop, err := plan(ctx, p.noop)
	if err != nil {
		return err
	}
	hashed, err := p.sha256sum(ctx)
	if err != nil {
		return err
	}
	st.plans = append(st.plans, seconds(files.Wall))
	st.noopPlans = append(st.noopPlans, seconds(noop.Wall))
	st.hashSums = append(st.hashSums, seconds(hashed))
	st.margins = append(st.margins, seconds(files.Wall)-(seconds(noop.Wall)+hashShare*seconds(hashed)))
	return nil
}

func (p *intactPlans) sha256sum(ctx context.Context) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, "sha256sum", p.paths...)
	start := time.Now()
	if out, err := cmd.Output(); err != nil {
		return 0, fmt.Errorf("sha256sum over the saved files: %w (%d bytes of output)", err, len(out))
	}
	return time.Since(start), nil
}

func imageFileOutcome(sz imageFileSizes, runs int, st imageFileStats) outcome {
	noop, hash := Median(st.noopPlans), Median(st.hashSums)
	allowance := noop + hashShare*hash
	figures := []Figure{{
		ID: "7a", What: fmt.Sprintf("Peak RSS of the provider while %d apimart_image_file download %d MiB each in parallel: median of runs (max)",
			sz.parallelFiles, sz.parallelBytes>>20),
		Result: fmt.Sprintf("%.1f MB (max %.1f MB)", Median(st.peaks)/(1<<20), Max(st.peaks)/(1<<20)),
		Goal:   "≤ 60 MB", Verdict: verdict(Max(st.peaks) > 0 && Median(st.peaks) <= downloadRSSGoal), Runs: runs,
	}, {
		ID: "7b", What: fmt.Sprintf("Plan of %d intact files of %d MiB: network requests (max over runs)", sz.intactFiles, sz.intactBytes>>20),
		Result: fmtCount(Max(st.requests)), Goal: "0", Verdict: verdict(Max(st.requests) == 0), Runs: runs,
	}, {
		ID: "7c", What: fmt.Sprintf("Plan of those %d files vs the plan of %d noop_thing + %.1f × sha256sum over the files", sz.intactFiles, sz.intactFiles, hashShare),
		Result: fmt.Sprintf("%s vs %s + %.1f × %s = %s", fmtSeconds(Median(st.plans)), fmtSeconds(noop), hashShare, fmtSeconds(hash), fmtSeconds(allowance)),
		Goal:   "plan ≤ that sum", Verdict: verdict(Median(st.margins) <= 0), Runs: runs,
	}}
	details := Table{
		Title:  fmt.Sprintf("(7) apimart_image_file: %d intact files of %d MiB (medians; the three commands run back to back in each run)", sz.intactFiles, sz.intactBytes>>20),
		Header: []string{"Command", "Wall time", "Runs"},
		Rows: [][]string{
			{fmt.Sprintf("terraform plan, %d apimart_image_file", sz.intactFiles), fmtSeconds(Median(st.plans)), fmt.Sprint(runs)},
			{fmt.Sprintf("terraform plan, %d noop_thing", sz.intactFiles), fmtSeconds(noop), fmt.Sprint(runs)},
			{fmt.Sprintf("sha256sum over the %d files", sz.intactFiles), fmtSeconds(hash), fmt.Sprint(runs)},
			{"plan minus (noop plan + 1.2 × sha256sum), median of runs", fmtSeconds(Median(st.margins)), fmt.Sprint(runs)},
		},
		Notes: []string{
			"The files are in the page cache: one unmeasured plan and sha256sum precede the runs. Every plan refreshes, at Terraform's default -parallelism=10.",
			fmt.Sprintf("(7a) applies %d files with -parallelism=%d from a fake whose files are padded with incompressible bytes; peak RSS is the highest VmHWM of any provider process, sampled every 20 ms.",
				sz.parallelFiles, sz.parallelFiles),
		},
	}
	return outcome{figures: figures, details: []Table{details}}
}
