package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // the reads measured alone open the same s3:// URL
	"golang.org/x/sync/errgroup"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/storetest"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// (7) and (8) copy the fake's images somewhere: apimart_image_file into files, and
// apimart_image_object into an S3-compatible server. Each run measures the provider's memory
// while it copies big images side by side, then times the plan of intact copies against its
// floor: the plan of as many noop_thing plus the reads that plan cannot avoid, made alone.

// shareOfReads is how far the plan of intact copies may be from its floor: in (7) it may spend
// this many times sha256sum's time over the files above the no-op plan; in (8) it may take this
// many times the no-op plan plus the objects' attribute reads.
const shareOfReads = 1.2

// copyBench is the fake API and the workspaces that the runs of (7) or (8) share.
type copyBench struct {
	h        *harness
	f        *fake
	name     string        // the benchmark's name
	resource string        // the resource type that copies
	noun     string        // "file" or "object"
	env      []string      // for every terraform command
	store    *storetest.S3 // counts the storage requests of (8b); nil in (7)
	// intactBytes is the size of each intact copy: (8) leaves them unpadded (zero), since a plan
	// reads their attributes, never their bytes.
	intactBytes int64
	// where are the lines that say where each copy goes, the big ones of a run or the intact
	// ones, with what removes the big copies afterwards to spare the disk.
	where func(ctx context.Context, big bool) (lines string, cleanup func(), err error)
	// reads makes, alone, the reads a plan of the intact copies cannot avoid.
	reads        func(context.Context) (time.Duration, error)
	intact, noop *tfharness.Workspace
	// floorType has the copying resource's schema and none of its code (8d, 8e); its workspace,
	// floor, declares as many of it as intact does, with the same arguments. "" in (7).
	floorType string
	floor     *tfharness.Workspace

	peaks                    []float64 // (7a, 8a) bytes
	apiRequests, storageReqs []float64 // (7b, 8b) during the plan of the intact copies
	plans, noopPlans, alone  []float64 // (7c, 8c) seconds
	floorPlans               []float64 // (8d, 8e) seconds; zero in (7), which has no floor
}

// workspace declares copies of n new images of size bytes (padded by the fake) in a fresh
// workspace; kind, "intact" or "big", names it and the images. Intact copies in (8) also get their
// floor's workspace, which declares as many floorType with the same arguments.
func (b *copyBench) workspace(ctx context.Context, kind string, n int, size int64) (*tfharness.Workspace, func(), error) {
	where, cleanup, err := b.where(ctx, kind == "big")
	if err != nil {
		return nil, nil, err
	}
	b.f.Configure(func(set *fakeapimart.Settings) { set.MinImageBytes = size })
	urls := make([]string, n)
	for i := range urls {
		rec := b.f.SeedTask(fakeapimart.DefaultKey, "imagen-4.0-apimart", fmt.Sprintf("%s %s %d", kind, b.noun, i), "1:1", 1)
		urls[i] = fmt.Sprintf("%q", fakeapimart.ResultURL(b.f.URL, rec.ID, 0))
	}
	declare := func(resourceType string) string {
		return fmt.Sprintf(`
locals {
  urls = [%s]
}

resource %q "c" {
  count = %d
  url   = local.urls[count.index]
%s}
`, strings.Join(urls, ", "), resourceType, n, where)
	}
	if kind == "intact" && b.floorType != "" {
		if b.floor, err = b.h.env.Workspace(b.name+"-floor", terraformBlock("noop")+declare(b.floorType), sdkLogsOff...); err != nil {
			return nil, nil, err
		}
	}
	ws, err := b.h.env.Workspace(b.name+"-"+kind, terraformBlock("apimart")+b.f.providerBlock("")+declare(b.resource), b.env...)
	return ws, cleanup, err
}

// run applies the intact copies and their no-op twins once, then plans each and makes the reads
// once unmeasured, so that every measured run reads from the page cache; then it measures.
func (b *copyBench) run(ctx context.Context) (int, error) {
	sz, h := b.h.sizes, b.h
	var err error
	if b.intact, _, err = b.workspace(ctx, "intact", sz.intactFiles, b.intactBytes); err != nil {
		return 0, err
	}
	h.logf("%s: saving %d %ss for the plans", b.name, sz.intactFiles, b.noun)
	if _, err := apply(ctx, b.intact, scaleParallelism); err != nil {
		return 0, err
	}
	if b.noop, _, err = h.applyNoop(ctx, "noop_thing", sz.intactFiles); err != nil {
		return 0, err
	}
	planned := []*tfharness.Workspace{b.intact, b.noop}
	if b.floor != nil {
		if _, err := apply(ctx, b.floor, scaleParallelism); err != nil {
			return 0, err
		}
		planned = append(planned, b.floor)
	}
	for _, ws := range planned {
		if _, err := plan(ctx, ws); err != nil {
			return 0, err
		}
	}
	if _, err := b.reads(ctx); err != nil {
		return 0, err
	}
	return h.repeat(ctx, b.name, func(ctx context.Context, _ int) error { return b.measure(ctx) })
}

// measure makes one run. It copies parallelFiles big images, all at once, in a fresh workspace,
// and records the provider's peak RSS. Then it times, back to back, the plan of the intact
// copies, the plan of their floor if they have one, the plan of as many no-op resources, and the
// reads alone, and counts the requests of the first plan.
func (b *copyBench) measure(ctx context.Context) error {
	sz := b.h.sizes
	ws, cleanup, err := b.workspace(ctx, "big", sz.parallelFiles, sz.parallelBytes)
	if err != nil {
		return err
	}
	b.f.ResetCounters()
	_, peak, err := b.h.applyPeak(ctx, ws, sz.parallelFiles)
	cleanup() // the big copies leave the disk before the plans are timed
	_ = os.RemoveAll(ws.Dir)
	if err != nil {
		return err
	}
	if got := b.f.Counters().ImageDownloads; got != int64(sz.parallelFiles) {
		return fmt.Errorf("the apply downloaded %d images, want %d", got, sz.parallelFiles)
	}
	b.peaks = append(b.peaks, peak)

	b.f.ResetCounters()
	if b.store != nil {
		b.store.Reset()
	}
	copies, err := emptyPlan(ctx, b.intact, "intact "+b.noun+"s")
	if err != nil {
		return err
	}
	b.apiRequests = append(b.apiRequests, float64(b.f.Counters().Requests))
	if b.store != nil {
		b.storageReqs = append(b.storageReqs, float64(b.store.Total()))
	}
	var floor tfharness.Result
	if b.floor != nil {
		if floor, err = emptyPlan(ctx, b.floor, b.floorType+" resources"); err != nil {
			return err
		}
	}
	noop, err := plan(ctx, b.noop)
	if err != nil {
		return err
	}
	alone, err := b.reads(ctx)
	if err != nil {
		return err
	}
	b.plans = append(b.plans, copies.Wall.Seconds())
	b.noopPlans = append(b.noopPlans, noop.Wall.Seconds())
	b.alone = append(b.alone, alone.Seconds())
	b.floorPlans = append(b.floorPlans, floor.Wall.Seconds())
	return nil
}

// emptyPlan is plan of a workspace whose plan must change nothing, for a comparison to hold; what
// names its resources in the error.
func emptyPlan(ctx context.Context, ws *tfharness.Workspace, what string) (tfharness.Result, error) {
	r, err := plan(ctx, ws)
	if err == nil && !strings.Contains(r.Stdout, "No changes") {
		err = fmt.Errorf("the plan of %s is not empty:\n%s", what, tfharness.Tail(r.Stdout, 2000))
	}
	return r, err
}

// perRun is f of each run's plan, no-op plan, reads alone and floor's plan (zero without a floor).
func (b *copyBench) perRun(f func(plan, noop, alone, floor float64) float64) []float64 {
	out := make([]float64, len(b.plans))
	for i := range out {
		out[i] = f(b.plans[i], b.noopPlans[i], b.alone[i], b.floorPlans[i])
	}
	return out
}

func runImageFile(ctx context.Context, h *harness) ([]Figure, error) {
	b := &copyBench{h: h, f: startFake(0), name: "imagefile", resource: "apimart_image_file", noun: "file", intactBytes: h.sizes.intactBytes}
	defer b.f.Close()
	b.where = func(context.Context, bool) (string, func(), error) {
		return "  path  = \"files/${count.index}.png\"\n", func() {}, nil
	}
	b.reads = func(ctx context.Context) (time.Duration, error) {
		var paths []string
		for i := range h.sizes.intactFiles {
			paths = append(paths, filepath.Join(b.intact.Dir, "files", fmt.Sprintf("%d.png", i)))
		}
		start := time.Now()
		if out, err := exec.CommandContext(ctx, "sha256sum", paths...).Output(); err != nil {
			return 0, fmt.Errorf("sha256sum over the saved files: %w (%d bytes of output)", err, len(out))
		}
		return time.Since(start), nil
	}
	runs, err := b.run(ctx)
	if err != nil {
		return nil, err
	}

	sz := h.sizes
	plans, noop, hash := median(b.plans), median(b.noopPlans), median(b.alone)
	margins := b.perRun(func(plan, noop, hash, _ float64) float64 { return plan - (noop + shareOfReads*hash) })
	return []Figure{
		peakFigure("7a", fmt.Sprintf("Peak RSS of the provider while %d apimart_image_file download %d MiB each in parallel",
			sz.parallelFiles, sz.parallelBytes>>20), b.peaks, runs),
		{
			ID: "7b", What: fmt.Sprintf("Plan of %d intact files of %d MiB: network requests (max over runs)", sz.intactFiles, sz.intactBytes>>20),
			Result: fmtCount(slices.Max(b.apiRequests)), Goal: "0", Verdict: verdict(slices.Max(b.apiRequests) == 0), Runs: runs,
		}, {
			ID: "7c", What: fmt.Sprintf("Plan of those %d files vs the plan of %d noop_thing + %.1f × sha256sum over the files", sz.intactFiles, sz.intactFiles, shareOfReads),
			Result: fmt.Sprintf("%s vs %s + %.1f × %s = %s", fmtSeconds(plans), fmtSeconds(noop), shareOfReads, fmtSeconds(hash), fmtSeconds(noop+shareOfReads*hash)),
			Goal:   "plan ≤ that sum", Verdict: verdict(median(margins) <= 0), Runs: runs,
		},
	}, nil
}

func runImageObject(ctx context.Context, h *harness) ([]Figure, error) {
	b := &copyBench{h: h, f: startFake(0), name: "imageobject", resource: "apimart_image_object", noun: "object", floorType: "noop_object"}
	defer b.f.Close()
	dataDir := filepath.Join(h.env.Root, "s3-data") // the server's buckets
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dataDir)
	var err error
	if b.store, err = storetest.Start(dataDir); err != nil {
		return nil, err
	}
	defer b.store.Close()
	b.env = b.store.Env()
	// The reads measured alone run in this process, with the credentials the provider gets.
	for _, kv := range b.env {
		name, value, _ := strings.Cut(kv, "=")
		if err := os.Setenv(name, value); err != nil {
			return nil, err
		}
	}
	var intactBucket string
	copies := 0
	b.where = func(ctx context.Context, big bool) (string, func(), error) {
		name, prefix := "intact", "intact"
		if big {
			copies++
			name, prefix = fmt.Sprintf("copy-%d", copies), "big"
		}
		bucketURL, err := b.store.NewBucket(ctx, name)
		if err != nil {
			return "", nil, err
		}
		if !big {
			intactBucket = bucketURL
		}
		where := fmt.Sprintf("  bucket = %q\n  key    = \"%s/${count.index}.png\"\n", bucketURL, prefix)
		return where, func() { os.RemoveAll(filepath.Join(dataDir, name, prefix)) }, nil
	}
	// The reads go through gocloud.dev/blob, as the provider's Read does, scaleParallelism at a
	// time as Terraform refreshes them.
	b.reads = func(ctx context.Context) (time.Duration, error) {
		start := time.Now()
		bucket, err := blob.OpenBucket(ctx, intactBucket)
		if err != nil {
			return 0, err
		}
		defer bucket.Close()
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(scaleParallelism)
		for i := range h.sizes.intactFiles {
			g.Go(func() error {
				_, err := bucket.Attributes(gctx, fmt.Sprintf("intact/%d.png", i))
				return err
			})
		}
		err = g.Wait()
		return time.Since(start), err
	}
	runs, err := b.run(ctx)
	if err != nil {
		return nil, err
	}

	sz := h.sizes
	plans, noop, reads, floor := median(b.plans), median(b.noopPlans), median(b.alone), median(b.floorPlans)
	ratio := median(b.perRun(func(plan, noop, reads, _ float64) float64 { return plan / (noop + reads) }))
	floorRatio := median(b.perRun(func(_, noop, reads, floor float64) float64 { return (floor + reads) / (noop + reads) }))
	codeRatio := median(b.perRun(func(plan, _, reads, floor float64) float64 { return plan / (floor + reads) }))
	return []Figure{
		peakFigure("8a", fmt.Sprintf("Peak RSS of the provider while %d apimart_image_object copy %d MiB each into the S3-compatible server in parallel",
			sz.parallelFiles, sz.parallelBytes>>20), b.peaks, runs),
		{
			ID: "8b", What: fmt.Sprintf("Plan of %d intact objects: API requests, storage requests (max over runs)", sz.intactFiles),
			Result:  fmt.Sprintf("%s API, %s storage", fmtCount(slices.Max(b.apiRequests)), fmtCount(slices.Max(b.storageReqs))),
			Goal:    fmt.Sprintf("0 API, ≤ %d storage", sz.intactFiles),
			Verdict: verdict(slices.Max(b.apiRequests) == 0 && slices.Max(b.storageReqs) <= float64(sz.intactFiles)), Runs: runs,
		}, {
			ID: "8c", What: fmt.Sprintf("Plan of those %d objects vs the plan of %d noop_thing + their %d attribute reads alone", sz.intactFiles, sz.intactFiles, sz.intactFiles),
			Result: fmt.Sprintf("%s vs %s + %s: %.2f ×", fmtSeconds(plans), fmtSeconds(noop), fmtSeconds(reads), ratio),
			Goal:   fmt.Sprintf("≤ %.1f ×", shareOfReads), Verdict: verdict(ratio <= shareOfReads), Runs: runs,
		}, {
			ID: "8d", What: fmt.Sprintf("Floor of 8c: the plan of %d noop_object (apimart_image_object's schema without its code) + the reads alone vs the plan of %d noop_thing + the reads alone", sz.intactFiles, sz.intactFiles),
			Result: fmt.Sprintf("%s + %s vs %s + %s: %.2f ×", fmtSeconds(floor), fmtSeconds(reads), fmtSeconds(noop), fmtSeconds(reads), floorRatio),
			Goal:   "reference", Verdict: Info, Runs: runs,
		}, {
			ID: "8e", What: fmt.Sprintf("What apimart_image_object's code adds: the plan of the %d objects vs the plan of %d noop_object + the reads alone", sz.intactFiles, sz.intactFiles),
			Result: fmt.Sprintf("%s vs %s + %s: %.2f ×", fmtSeconds(plans), fmtSeconds(floor), fmtSeconds(reads), codeRatio),
			Goal:   "reference", Verdict: Info, Runs: runs,
		},
	}, nil
}
