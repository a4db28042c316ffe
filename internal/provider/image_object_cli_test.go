package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/storetest"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// These tests run terraform itself against the fake API and a real S3-compatible server, so
// that they can count what one plan sends to each.

// s3Counts is what a test expects the S3 server to have received, by method; methods left out
// must not have been used.
type s3Counts map[string]int

func requireS3Counts(t *testing.T, s3 *storetest.S3, want s3Counts) {
	t.Helper()
	got := s3.Counts()
	for method, n := range got {
		if want[method] != n {
			t.Fatalf("the S3 server received %v, want %v", got, want)
		}
	}
	for method, n := range want {
		if got[method] != n {
			t.Fatalf("the S3 server received %v, want %v", got, want)
		}
	}
}

// words is terraform's output with its wrapping and box drawing taken out.
func outputWords(r tfharness.Result) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(r.Stdout+r.Stderr, "│", " ")), " ")
}

func requireWords(t *testing.T, r tfharness.Result, want ...string) {
	t.Helper()
	out := outputWords(r)
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("terraform %s does not say %q:\n%s", strings.Join(r.Args, " "), w, r.Stdout+r.Stderr)
		}
	}
}

// s3ObjectConfig is an image copied into an S3 bucket, and a dependent of its hash.
func s3ObjectConfig(bucket, key string) string {
	return `
resource "apimart_image" "hero" {
  prompt = "a lighthouse at dusk"
}

resource "apimart_image_object" "hero" {
  url    = apimart_image.hero.url
  bucket = "` + bucket + `"
  key    = "` + key + `"
}

resource "terraform_data" "uses_object_hash" {
  triggers_replace = apimart_image_object.hero.sha256
}
`
}

func TestAccImageObject_s3CopyPlanMoveRestoreExpire(t *testing.T) {
	t.Parallel()
	s3 := storetest.StartS3(t)
	first, second := s3.CreateBucket(t, "first"), s3.CreateBucket(t, "second")
	clock := &testClock{}
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) {
		set.Now, set.URLLifetime = clock.Now, time.Hour
	})
	w := cliWorkspace(t, baseURL, s3ObjectConfig(first, "images/hero.png"))

	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireCounts(t, fake, fileCounts(1, 1, 0))
	requireS3Counts(t, s3, s3Counts{"PUT": 1}) // one upload, nothing read
	saved := w.Resources(t)["apimart_image_object.hero"].AttributeValues
	requireStoredAsInState(t, first, "images/hero.png", saved)
	requireOnlyImageMetadata(t, first, "images/hero.png")

	// A plan of an intact object: one attribute read, nothing to the API.
	fake.ResetCounters()
	s3.Reset()
	requireWords(t, w.MustRun(t, "plan", "-no-color"), "No changes")
	requireCounts(t, fake, counts{"requests": 0})
	requireS3Counts(t, s3, s3Counts{"HEAD": 1})

	// A new key is a copy inside the bucket, a new bucket a stream through the provider; the old
	// object goes, and the URL is not downloaded.
	w.WriteConfig(t, requiredProviders+s3ObjectConfig(first, "moved/hero.png"))
	s3.Reset()
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	// refresh, check of the source, copy, removal (the S3 driver reads the attributes first)
	requireS3Counts(t, s3, s3Counts{"HEAD": 3, "PUT": 1, "DELETE": 1})
	requireStoredAsInState(t, first, "moved/hero.png", saved)
	requireNoObject(t, first, "images/hero.png")

	w.WriteConfig(t, requiredProviders+s3ObjectConfig(second, "moved/hero.png"))
	s3.Reset()
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireS3Counts(t, s3, s3Counts{"HEAD": 3, "GET": 1, "PUT": 1, "DELETE": 1})
	requireStoredAsInState(t, second, "moved/hero.png", saved)
	requireNoObject(t, first, "moved/hero.png")
	requireCounts(t, fake, fileCounts(0, 0, 0))

	// A missing object while the URL serves: an in-place restore, hashes known, dependents still.
	deleteObject(t, second, "moved/hero.png")
	fake.ResetCounters()
	s3.Reset()
	plan := w.MustRun(t, "plan", "-no-color")
	requireWords(t, plan, "apimart_image_object.hero will be updated in-place", `- drift = "is missing" -> null`, "0 to add, 1 to change, 0 to destroy")
	if strings.Contains(plan.Stdout, "known after apply") {
		t.Fatalf("the restore plan leaves a value unknown:\n%s", plan.Stdout)
	}
	requireCounts(t, fake, fileCounts(0, 0, 1))
	requireS3Counts(t, s3, s3Counts{"HEAD": 1})
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireCounts(t, fake, fileCounts(0, 1, 2))
	requireStoredAsInState(t, second, "moved/hero.png", saved)

	// After the URL expires a move still works; a missing object then keeps state and warns.
	clock.Advance(2 * time.Hour)
	w.WriteConfig(t, requiredProviders+s3ObjectConfig(second, "after-expiry/hero.png"))
	fake.ResetCounters()
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireStoredAsInState(t, second, "after-expiry/hero.png", saved)
	deleteObject(t, second, "after-expiry/hero.png")
	s3.Reset()
	plan = w.MustRun(t, "plan", "-no-color", "-detailed-exitcode")
	requireS3Counts(t, s3, s3Counts{"HEAD": 1})
	requireWords(t, plan, "No changes", "Image object cannot be downloaded again", fmt.Sprint(saved["sha256"]), "-replace=apimart_image.NAME")
	requireCounts(t, fake, fileCounts(0, 0, 1))
	if got := w.Resources(t)["apimart_image_object.hero"].AttributeValues["sha256"]; got != saved["sha256"] {
		t.Fatalf("state lost the object's hash: %v", got)
	}
}

func requireStoredAsInState(t *testing.T, bucket, key string, values map[string]any) {
	t.Helper()
	facts, _, err := storedObject(bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	if facts.SHA256 != values["sha256"] || float64(facts.Bytes) != values["bytes"] || facts.ContentType != values["content_type"] {
		t.Fatalf("object %s holds %+v; state says %v", key, facts, values)
	}
}

// requireOnlyImageMetadata asserts that an object carries its facts and nothing else: no key
// or other setting of the provider travels to the storage.
func requireOnlyImageMetadata(t *testing.T, bucketURL, key string) {
	t.Helper()
	ctx := context.Background()
	b, err := openBucket(ctx, bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	attrs, err := b.Attributes(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(attrs.Metadata) != 3 || attrs.Metadata[metaSHA256] == "" || attrs.Metadata[metaWidth] == "" || attrs.Metadata[metaHeight] == "" {
		t.Fatalf("object %s carries the metadata %v; want sha256, width and height only", key, attrs.Metadata)
	}
}

func requireNoObject(t *testing.T, bucket, key string) {
	t.Helper()
	if err := noObjectAt(bucket, key); err != nil {
		t.Fatal(err)
	}
}

func deleteObject(t *testing.T, bucketURL, key string) {
	t.Helper()
	ctx := context.Background()
	b, err := openBucket(ctx, bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
}

// freshRunnerConfig is a file and an object of one image, each with a dependent of its hash.
func freshRunnerConfig(bucket string) string {
	return s3ObjectConfig(bucket, "images/hero.png") + `
resource "apimart_image_file" "hero" {
  url  = apimart_image.hero.url
  path = "assets/hero.png"
}

resource "terraform_data" "uses_file_hash" {
  triggers_replace = apimart_image_file.hero.sha256
}
`
}

// A CI runner starts with the configuration and the state only: the object needs nothing, the
// file is restored in place with its hashes known, and nothing that uses a hash changes.
func TestAccImageObject_freshRunnerPlansNothingForObjectsAndRestoresFiles(t *testing.T) {
	t.Parallel()
	s3 := storetest.StartS3(t)
	bucket := s3.CreateBucket(t, "assets")
	fake, baseURL := startFake(t)
	config := freshRunnerConfig(bucket)
	first := binaryWorkspace(t, baseURL, config)
	first.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireCounts(t, fake, fileCounts(1, 2, 0))

	runner := binaryWorkspace(t, baseURL, config)
	state, err := os.ReadFile(filepath.Join(first.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runner.Dir, "terraform.tfstate"), state, 0o600); err != nil {
		t.Fatal(err)
	}
	fake.ResetCounters()
	s3.Reset()
	runner.MustRun(t, "plan", "-no-color", "-out=ci.plan")
	requireCounts(t, fake, fileCounts(0, 0, 1)) // one HEAD for the missing file
	requireS3Counts(t, s3, s3Counts{"HEAD": 1}) // one attribute read for the object
	changes := plannedActions(t, runner, "ci.plan")
	if len(changes) != 1 || changes["apimart_image_file.hero"] != "update" {
		t.Fatalf("the fresh runner plans %v; want only an in-place update of the file", changes)
	}
	runner.MustRun(t, "apply", "-auto-approve", "-no-color", "ci.plan")
	requireCounts(t, fake, fileCounts(0, 1, 1))
	if got, want := fileSHA256(filepath.Join(runner.Dir, "assets", "hero.png")), runner.Resources(t)["apimart_image_file.hero"].AttributeValues["sha256"]; got != want {
		t.Fatalf("the restored file has SHA-256 %s, state says %v", got, want)
	}
	requireWords(t, runner.MustRun(t, "plan", "-no-color"), "No changes")
	requireCounts(t, fake, counts{"tasks_created": 0, "downloads_with_authorization": 0})
}

// plannedActions reads a saved plan: the action of every resource that changes, with the
// values that must stay known in a restore checked on the way.
func plannedActions(t *testing.T, w *tfharness.Workspace, planFile string) map[string]string {
	t.Helper()
	var doc struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string       `json:"actions"`
				After   map[string]any `json:"after"`
				Unknown map[string]any `json:"after_unknown"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(w.MustRun(t, "show", "-json", planFile).Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	actions := map[string]string{}
	for _, rc := range doc.ResourceChanges {
		action := strings.Join(rc.Change.Actions, ",")
		if action == "no-op" {
			continue
		}
		actions[rc.Address] = action
		for _, name := range []string{"sha256", "bytes", "content_type", "width", "height"} {
			if rc.Change.Unknown[name] == true || rc.Change.After[name] == nil {
				t.Errorf("%s plans %s with %s unknown", rc.Address, action, name)
			}
		}
	}
	return actions
}

// twoObjectsConfig copies one image to two keys of a directory bucket, one kept on destroy.
func twoObjectsConfig(bucket string) string {
	return `
resource "apimart_image" "hero" {
  prompt = "a lighthouse at dusk"
}

resource "apimart_image_object" "kept" {
  url             = apimart_image.hero.url
  bucket          = "` + bucket + `"
  key             = "kept.png"
  keep_on_destroy = true
}

resource "apimart_image_object" "changed" {
  url    = apimart_image.hero.url
  bucket = "` + bucket + `"
  key    = "changed.png"
}
`
}

func TestAccImageObject_destroyKeepsOnRequestAndLeavesAChangedObject(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	bucket, _ := fileBucket(t)
	w := cliWorkspace(t, baseURL, twoObjectsConfig(bucket))
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	ctx := context.Background()
	b, err := openBucket(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteAll(ctx, "changed.png", []byte("someone else's bytes"), nil); err != nil {
		t.Fatal(err)
	}
	destroy := w.MustRun(t, "destroy", "-auto-approve", "-no-color")
	requireWords(t, destroy, "Image object left in place", `"changed.png"`, "has changed")
	for _, key := range []string{"kept.png", "changed.png"} {
		if ok, err := b.Exists(ctx, key); !ok || err != nil {
			t.Errorf("destroy removed %s (%v)", key, err)
		}
	}
	requireCounts(t, fake, fileCounts(1, 2, 1)) // the HEAD asked, at destroy's refresh, about the changed object
}

// A restore whose download is not the image recorded stores nothing and fails the apply.
func TestAccImageObject_restoreRefusesOtherBytes(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	bucket, _ := fileBucket(t)
	w := cliWorkspace(t, baseURL, s3ObjectConfig(bucket, "hero.png"))
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	stored, _, err := storedObject(bucket, "hero.png")
	if err != nil {
		t.Fatal(err)
	}
	// State that records another image, as if the URL now served other bytes than it did.
	statePath := filepath.Join(w.Dir, "terraform.tfstate")
	state, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Repeat("ab", 32)
	if err := os.WriteFile(statePath, []byte(strings.ReplaceAll(string(state), stored.SHA256, other)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := w.Run(context.Background(), "apply", "-auto-approve", "-no-color")
	if r.Err == nil {
		t.Fatalf("a restore of other bytes succeeded:\n%s", r.Stdout)
	}
	requireWords(t, r, "Download is not the image recorded", other, `Nothing was stored at key "hero.png"`)
	if now, _, err := storedObject(bucket, "hero.png"); err != nil || now.SHA256 != stored.SHA256 {
		t.Fatalf("the object was touched: %+v, %v", now, err)
	}
	requireCounts(t, fake, counts{"tasks_created": 1, "image_downloads": 2, "downloads_with_authorization": 0})
}

// A bucket that does not exist fails the apply with the bucket and the key named, and the image
// is not paid for again on the next apply.
func TestAccImageObject_missingBucketFailsTheApplyAndKeepsTheImage(t *testing.T) {
	t.Parallel()
	s3 := storetest.StartS3(t)
	bucket := s3.BucketURL("not-created-yet")
	fake, baseURL := startFake(t)
	w := cliWorkspace(t, baseURL, s3ObjectConfig(bucket, "images/hero.png"))
	for range 2 {
		r := w.Run(context.Background(), "apply", "-auto-approve", "-no-color")
		if r.Err == nil {
			t.Fatalf("apply into a missing bucket succeeded:\n%s", r.Stdout)
		}
		requireWords(t, r, "Unable to store the image object", bucket, `"images/hero.png"`, "The image and its task are kept", "Check that the bucket exists")
	}
	if _, ok := w.Resources(t)["apimart_image.hero"]; !ok {
		t.Fatal("the image left state")
	}
	if _, err := s3.NewBucket(context.Background(), "not-created-yet"); err != nil {
		t.Fatal(err)
	}
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireCounts(t, fake, counts{"tasks_created": 1, "downloads_with_authorization": 0})
}
