package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // the reads measured alone open the same s3:// URL
	"golang.org/x/sync/errgroup"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/storetest"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// BenchImageObject is (8): apimart_image_object's memory while copying images into an
// S3-compatible server, and its plan of intact objects.
const BenchImageObject = "imageobject"

// readShare is how far a plan of intact objects may be from its floor: the no-op plan plus the
// attribute reads it needs, measured alone.
const readShare = 1.2

// objectStats is what the runs of (8) measured.
type objectStats struct {
	peaks                       []float64 // (8a) bytes
	apiRequests, storageReqs    []float64 // (8b)
	plans, noopPlans, readTimes []float64 // (8c) seconds
	ratios                      []float64 // (8c) plan over floor, per run
}

// objectBench is the fake API, the storage and the workspaces that (8) shares between runs.
type objectBench struct {
	h        *harness
	f        *Fake
	store    *storetest.S3
	sz       imageFileSizes
	intact   *tfharness.Workspace
	noop     *tfharness.Workspace
	dataDir  string // the server's buckets
	keys     []string
	bucket   string // the URL of the bucket the intact objects are in
	runIndex int
}

func runImageObject(ctx context.Context, h *harness) (outcome, error) {
	b := &objectBench{h: h, sz: fullImageFileSizes}
	if h.opts.Quick {
		b.sz = quickImageFileSizes
	}
	b.f = StartFake(func(set *fakeapimart.Settings) { set.TaskDuration = 0 })
	defer b.f.Close()
	b.dataDir = filepath.Join(h.env.Root, "s3-data")
	if err := os.MkdirAll(b.dataDir, 0o700); err != nil {
		return outcome{}, err
	}
	defer os.RemoveAll(b.dataDir)
	var err error
	if b.store, err = storetest.Start(b.dataDir); err != nil {
		return outcome{}, err
	}
	defer b.store.Close()
	// The reads measured alone run in this process, with the credentials the provider gets.
	for _, kv := range b.store.Env() {
		name, value, _ := strings.Cut(kv, "=")
		if err := os.Setenv(name, value); err != nil {
			return outcome{}, err
		}
	}
	if err := b.prepareIntact(ctx); err != nil {
		return outcome{}, err
	}
	var st objectStats
	runs, err := h.repeat(ctx, BenchImageObject, func(ctx context.Context, i int) error {
		if err := b.measureCopyRSS(ctx, &st); err != nil {
			return err
		}
		if err := b.measurePlans(ctx, &st); err != nil {
			return err
		}
		h.logf("imageobject: run %d/%d: peak RSS %.1f MB; plan %s vs noop %s + reads %s; %s API and %s storage requests",
			i+1, h.opts.Runs, last(st.peaks)/(1<<20), fmtSeconds(last(st.plans)), fmtSeconds(last(st.noopPlans)),
			fmtSeconds(last(st.readTimes)), fmtCount(last(st.apiRequests)), fmtCount(last(st.storageReqs)))
		return nil
	})
	if err != nil {
		return outcome{}, err
	}
	return imageObjectOutcome(b.sz, runs, st), nil
}

// objectsConfig copies each URL into the bucket as <prefix>/<index>.png.
func (b *objectBench) objectsConfig(bucketURL, prefix string, urls []string) string {
	quoted := make([]string, len(urls))
	for i, u := range urls {
		quoted[i] = fmt.Sprintf("%q", u)
	}
	return terraformBlock("apimart") + b.f.ProviderBlock("") + fmt.Sprintf(`
locals {
  urls = [%s]
}

resource "apimart_image_object" "o" {
  count  = %d
  url    = local.urls[count.index]
  bucket = %q
  key    = "%s/${count.index}.png"
}
`, strings.Join(quoted, ", "), len(urls), bucketURL, prefix)
}

// workspace is a fresh workspace whose terraform commands get the storage's credentials.
func (b *objectBench) workspace(name, config string) (*tfharness.Workspace, error) {
	ws, err := b.h.env.Workspace(name)
	if err != nil {
		return nil, err
	}
	ws = ws.WithEnv(b.store.Env()...)
	return ws, ws.WriteFile("main.tf", config)
}

// measureCopyRSS copies parallelFiles images of parallelBytes each into a new bucket, all at
// once, and records the provider's peak RSS. The objects are removed afterwards to spare the
// disk.
func (b *objectBench) measureCopyRSS(ctx context.Context, st *objectStats) error {
	b.runIndex++
	name := fmt.Sprintf("copy-%d", b.runIndex)
	bucketURL, err := b.store.NewBucket(ctx, name)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Join(b.dataDir, name, "big"))
	b.f.Configure(func(set *fakeapimart.Settings) { set.MinImageBytes = b.sz.parallelBytes })
	ws, err := b.workspace("imageobject-copy", b.objectsConfig(bucketURL, "big", seedFiles(b.f, b.sz.parallelFiles, "big object")))
	if err != nil {
		return err
	}
	defer os.RemoveAll(ws.Dir)
	b.f.ResetCounters()
	sampler := StartRSSSampler(b.h.env.ProviderBinary(tfharness.Apimart), 20*time.Millisecond)
	_, err = apply(ctx, ws, b.sz.parallelFiles)
	peak, processes := sampler.Stop()
	if err != nil {
		return err
	}
	if processes == 0 {
		return fmt.Errorf("no provider process was seen while sampling memory")
	}
	if got := b.f.Counters().ImageDownloads; got != int64(b.sz.parallelFiles) {
		return fmt.Errorf("the apply downloaded %d images, want %d", got, b.sz.parallelFiles)
	}
	st.peaks = append(st.peaks, float64(peak))
	return nil
}

// prepareIntact stores the intact objects (unpadded: a plan reads their attributes, never their
// bytes) and applies their no-op twins, then plans each once unmeasured.
func (b *objectBench) prepareIntact(ctx context.Context) error {
	var err error
	if b.bucket, err = b.store.NewBucket(ctx, "intact"); err != nil {
		return err
	}
	b.f.Configure(func(set *fakeapimart.Settings) { set.MinImageBytes = 0 })
	b.intact, err = b.workspace("imageobject-intact", b.objectsConfig(b.bucket, "intact", seedFiles(b.f, b.sz.intactFiles, "intact object")))
	if err != nil {
		return err
	}
	b.h.logf("imageobject: storing %d objects for the plans", b.sz.intactFiles)
	if _, err := apply(ctx, b.intact, scaleParallelism); err != nil {
		return err
	}
	for i := range b.sz.intactFiles {
		b.keys = append(b.keys, fmt.Sprintf("intact/%d.png", i))
	}
	if b.noop, _, err = applyNoop(ctx, b.h, "noop_thing", b.sz.intactFiles); err != nil {
		return err
	}
	for _, ws := range []*tfharness.Workspace{b.intact, b.noop} {
		if _, err := plan(ctx, ws); err != nil {
			return err
		}
	}
	_, err = b.readAttributes(ctx)
	return err
}

// measurePlans times, back to back, the plan of the intact objects, the plan of as many no-op
// resources, and the objects' attribute reads alone, and counts what the first plan sent.
func (b *objectBench) measurePlans(ctx context.Context, st *objectStats) error {
	b.f.ResetCounters()
	b.store.Reset()
	objects, err := plan(ctx, b.intact)
	if err != nil {
		return err
	}
	if !strings.Contains(objects.Stdout, "No changes") {
		return fmt.Errorf("the plan of intact objects is not empty:\n%s", tfharness.Tail(objects.Stdout, 2000))
	}
	st.apiRequests = append(st.apiRequests, float64(b.f.Counters().Requests))
	st.storageReqs = append(st.storageReqs, float64(b.store.Total()))
	noop, err := plan(ctx, b.noop)
	if err != nil {
		return err
	}
	reads, err := b.readAttributes(ctx)
	if err != nil {
		return err
	}
	floor := seconds(noop.Wall) + seconds(reads)
	st.plans = append(st.plans, seconds(objects.Wall))
	st.noopPlans = append(st.noopPlans, seconds(noop.Wall))
	st.readTimes = append(st.readTimes, seconds(reads))
	st.ratios = append(st.ratios, seconds(objects.Wall)/floor)
	return nil
}

// readAttributes reads every intact object's attributes through gocloud.dev/blob, as the
// provider's Read does, scaleParallelism at a time as Terraform refreshes them.
func (b *objectBench) readAttributes(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	bucket, err := blob.OpenBucket(ctx, b.bucket)
	if err != nil {
		return 0, err
	}
	defer bucket.Close()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(scaleParallelism)
	for _, key := range b.keys {
		g.Go(func() error {
			_, err := bucket.Attributes(gctx, key)
			return err
		})
	}
	err = g.Wait()
	return time.Since(start), err
}

func imageObjectOutcome(sz imageFileSizes, runs int, st objectStats) outcome {
	plans, noop, reads := Median(st.plans), Median(st.noopPlans), Median(st.readTimes)
	figures := []Figure{{
		ID: "8a", What: fmt.Sprintf("Peak RSS of the provider while %d apimart_image_object copy %d MiB each into the S3-compatible server in parallel: median of runs (max)",
			sz.parallelFiles, sz.parallelBytes>>20),
		Result: fmt.Sprintf("%.1f MB (max %.1f MB)", Median(st.peaks)/(1<<20), Max(st.peaks)/(1<<20)),
		Goal:   "≤ 60 MB", Verdict: verdict(Max(st.peaks) > 0 && Median(st.peaks) <= downloadRSSGoal), Runs: runs,
	}, {
		ID: "8b", What: fmt.Sprintf("Plan of %d intact objects: API requests, storage requests (max over runs)", sz.intactFiles),
		Result:  fmt.Sprintf("%s API, %s storage", fmtCount(Max(st.apiRequests)), fmtCount(Max(st.storageReqs))),
		Goal:    fmt.Sprintf("0 API, ≤ %d storage", sz.intactFiles),
		Verdict: verdict(len(st.apiRequests) > 0 && Max(st.apiRequests) == 0 && Max(st.storageReqs) <= float64(sz.intactFiles)),
		Runs:    runs,
	}, {
		ID: "8c", What: fmt.Sprintf("Plan of those %d objects vs the plan of %d noop_thing + their %d attribute reads alone", sz.intactFiles, sz.intactFiles, sz.intactFiles),
		Result: fmt.Sprintf("%s vs %s + %s: %.2f ×", fmtSeconds(plans), fmtSeconds(noop), fmtSeconds(reads), Median(st.ratios)),
		Goal:   fmt.Sprintf("≤ %.1f ×", readShare), Verdict: verdict(len(st.ratios) > 0 && Median(st.ratios) <= readShare), Runs: runs,
	}}
	details := Table{
		Title:  fmt.Sprintf("(8) apimart_image_object: %d intact objects in versitygw on loopback (medians; the three measurements run back to back in each run)", sz.intactFiles),
		Header: []string{"Measurement", "Wall time", "Runs"},
		Rows: [][]string{
			{fmt.Sprintf("terraform plan, %d apimart_image_object", sz.intactFiles), fmtSeconds(plans), fmt.Sprint(runs)},
			{fmt.Sprintf("terraform plan, %d noop_thing", sz.intactFiles), fmtSeconds(noop), fmt.Sprint(runs)},
			{fmt.Sprintf("%d attribute reads through gocloud.dev/blob, %d at a time", sz.intactFiles, scaleParallelism), fmtSeconds(reads), fmt.Sprint(runs)},
		},
		Notes: []string{
			"The server is versitygw (make s3-server) over a directory, behind a loopback proxy that counts its requests; every plan refreshes, at Terraform's default -parallelism=10.",
			fmt.Sprintf("(8a) applies %d objects with -parallelism=%d from a fake whose files are padded with incompressible bytes; peak RSS is the highest VmHWM of any provider process, sampled every 20 ms.",
				sz.parallelFiles, sz.parallelFiles),
		},
	}
	return outcome{figures: figures, details: []Table{details}}
}
