package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// fileCounts is what a test of files expects the fake server to count: tasks, downloads and HEADs,
// and never a request for a file that carried an Authorization header.
func fileCounts(tasks, downloads, heads int64) counts {
	return counts{"tasks_created": tasks, "image_downloads": downloads, "image_heads": heads, "downloads_with_authorization": 0}
}

// heroConfig is one image and the file it is saved to.
func heroConfig(baseURL, filePath string) string {
	return providerConfig(baseURL) + fmt.Sprintf(`
resource "apimart_image" "hero" {
  prompt = "a lighthouse at dusk"
}

resource "apimart_image_file" "hero" {
  url  = apimart_image.hero.url
  path = %q
}
`, filePath)
}

// fileSHA256 is the hex SHA-256 of a file, or "" when it cannot be read.
func fileSHA256(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// checkFileMatchesState asserts that the file at the path in state is the one state describes.
func checkFileMatchesState(address string) statecheck.StateCheck {
	return stateFunc(func(state attributes) error {
		attrs := state[address]
		info, err := os.Stat(attrs["path"])
		if err != nil {
			return fmt.Errorf("the file of %s: %w", address, err)
		}
		if sum := fileSHA256(attrs["path"]); sum != attrs["sha256"] || fmt.Sprint(info.Size()) != attrs["bytes"] || attrs["id"] != sum {
			return fmt.Errorf("file %s has SHA-256 %s and %d bytes; state says %s (id %s) and %s", attrs["path"], sum, info.Size(), attrs["sha256"], attrs["id"], attrs["bytes"])
		}
		return nil
	})
}

// checkPixelsOfOnlyTask compares the width and height in state with the size the fake drew the
// result of its only task at.
func checkPixelsOfOnlyTask(fake *fakeapimart.Server, address string) statecheck.StateCheck {
	return stateFunc(func(state attributes) error {
		tasks := fake.Tasks()
		if len(tasks) != 1 {
			return fmt.Errorf("server has %d tasks, want 1", len(tasks))
		}
		width, height := fakeapimart.Dimensions(tasks[0], fakeapimart.DefaultImageScale)
		attrs := state[address]
		if attrs["width"] != fmt.Sprint(width) || attrs["height"] != fmt.Sprint(height) {
			return fmt.Errorf("state says %sx%s pixels, the fake drew %dx%d", attrs["width"], attrs["height"], width, height)
		}
		return nil
	})
}

func checkNoFile(path string) statecheck.StateCheck {
	return stateFunc(func(attributes) error { return noFileAt(path) })
}

// noFileAt asserts that neither path nor a temporary file beside it exists.
func noFileAt(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s exists (stat: %v)", path, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	if len(leftovers) > 0 {
		return fmt.Errorf("temporary files were left behind: %v", leftovers)
	}
	return nil
}

func TestAccImageFile_downloadThenNoNetworkWhileIntact(t *testing.T) {
	fake, baseURL := startFake(t)
	target := filepath.Join(t.TempDir(), "assets", "img", "hero.png")
	config := heroConfig(baseURL, target)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("apimart_image_file.hero", tfjsonpath.New("content_type"), knownvalue.StringExact("image/png")),
					statecheck.ExpectKnownValue("apimart_image_file.hero", tfjsonpath.New("keep_on_destroy"), knownvalue.Bool(false)),
					checkFileMatchesState("apimart_image_file.hero"),
					checkPixelsOfOnlyTask(fake, "apimart_image_file.hero"),
					countsInState(fake, fileCounts(1, 1, 0)),
				},
				PostApplyFunc: fake.ResetCounters,
			},
			plansNothing(config, fake, counts{"requests": 0}), // plans of an intact file
		},
		CheckDestroy: func(*terraform.State) error { return noFileAt(target) },
	})
}

func TestAccImageFile_interruptedDownloadLeavesNoFile(t *testing.T) {
	fake, baseURL := startFake(t)
	// Large enough to be cut in the middle of the body.
	fake.Configure(func(set *fakeapimart.Settings) { set.MinImageBytes = 1 << 20 })
	target := filepath.Join(t.TempDir(), "hero.png")
	config := heroConfig(baseURL, target)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					fake.Configure(func(set *fakeapimart.Settings) {
						set.FailNextDownloads = fakeapimart.DownloadFault{N: 1, Kind: fakeapimart.DownloadCut}
					})
				},
				Config:      config,
				ExpectError: regexp.MustCompile(`Unable to download the image(.|\n)*cut(.|\n)*off(.|\n)*Nothing(.|\n)*was(.|\n)*written`),
			},
			{
				PreConfig: func() {
					if err := noFileAt(target); err != nil {
						t.Errorf("after the cut download: %v", err)
					}
					fake.Configure(func(set *fakeapimart.Settings) {
						set.FailNextDownloads = fakeapimart.DownloadFault{N: 1, Kind: fakeapimart.DownloadHTML}
					})
				},
				Config:      config,
				ExpectError: regexp.MustCompile(`Download is not an image(.|\n)*<html>`),
			},
			{
				PreConfig: func() {
					if err := noFileAt(target); err != nil {
						t.Errorf("after the HTML page: %v", err)
					}
				},
				// Downloads are free, so applying again simply downloads again.
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					checkFileMatchesState("apimart_image_file.hero"),
					countsInState(fake, fileCounts(1, 2, 0)), // the cut one and the whole one
				},
			},
		},
	})
}

func TestAccImageFile_transientFailuresAreRetried(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextDownloads = fakeapimart.DownloadFault{N: 2, Kind: fakeapimart.DownloadStatus, Status: 503}
	})
	target := filepath.Join(t.TempDir(), "hero.png")
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: heroConfig(baseURL, target),
			ConfigStateChecks: []statecheck.StateCheck{
				checkFileMatchesState("apimart_image_file.hero"),
				countsInState(fake, fileCounts(1, 1, 0)),
				countsInState(fake, counts{"faults": 2}), // the 2 503s
			},
		}},
	})
}

// testClock is a clock for the fake that tests move forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

func TestAccImageFile_moveNeedsNoDownloadEvenAfterExpiry(t *testing.T) {
	clock := &testClock{}
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) {
		set.Now = clock.Now
		set.URLLifetime = time.Hour
	})
	dir := t.TempDir()
	from, to := filepath.Join(dir, "hero.png"), filepath.Join(dir, "moved", "hero-final.png")
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: heroConfig(baseURL, from), PostApplyFunc: func() { clock.Advance(2 * time.Hour) }},
			{
				Config: heroConfig(baseURL, to),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image_file.hero", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("apimart_image.hero", plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					checkFileMatchesState("apimart_image_file.hero"),
					checkNoFile(from),
					countsInState(fake, fileCounts(1, 1, 0)),
				},
			},
		},
	})
}

func TestAccImageFile_keepOnDestroy(t *testing.T) {
	fake, baseURL := startFake(t)
	dir := t.TempDir()
	kept, removed := filepath.Join(dir, "kept.png"), filepath.Join(dir, "removed.png")
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: providerConfig(baseURL) + fmt.Sprintf(`
resource "apimart_image" "hero" {
  prompt = "kept and removed"
}

resource "apimart_image_file" "kept" {
  url             = apimart_image.hero.url
  path            = %q
  keep_on_destroy = true
}

resource "apimart_image_file" "removed" {
  url  = apimart_image.hero.url
  path = %q
}
`, kept, removed),
			ConfigStateChecks: []statecheck.StateCheck{
				checkFileMatchesState("apimart_image_file.kept"),
				checkFileMatchesState("apimart_image_file.removed"),
			},
		}},
		CheckDestroy: func(*terraform.State) error {
			if _, err := os.Stat(kept); err != nil {
				return fmt.Errorf("the file with keep_on_destroy was removed: %w", err)
			}
			if err := noFileAt(removed); err != nil {
				return err
			}
			return fileCounts(1, 2, 0).compare(fake)
		},
	})
}

// A destroy leaves a file alone that someone changed since it was saved.
func TestAccImageFile_destroyLeavesAChangedFile(t *testing.T) {
	clock := &testClock{}
	_, baseURL := startFake(t, func(set *fakeapimart.Settings) {
		set.Now = clock.Now
		set.URLLifetime = time.Hour
	})
	target := filepath.Join(t.TempDir(), "hero.png")
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: heroConfig(baseURL, target),
			PostApplyFunc: func() {
				// Expired, so refresh keeps the object in state instead of planning a download.
				clock.Advance(2 * time.Hour)
				if err := os.WriteFile(target, []byte("edited by hand"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
		}},
		CheckDestroy: func(*terraform.State) error {
			if data, err := os.ReadFile(target); err != nil || string(data) != "edited by hand" {
				return fmt.Errorf("destroy touched a file it did not write: %q, %v", data, err)
			}
			return nil
		},
	})
}

// Changing the URL is a new image: the file is replaced, and only the old file is removed.
func TestAccImageFile_newURLReplacesTheFile(t *testing.T) {
	fake, baseURL := startFake(t)
	first := seedCompletedTask(t, fake, "imagen-4.0-apimart", "first picture", "1:1", 1)
	second := seedCompletedTask(t, fake, "imagen-4.0-apimart", "second picture", "1:1", 1)
	target := filepath.Join(t.TempDir(), "pic.png")
	config := func(rec fakeapimart.TaskRecord) string {
		return fileConfig(baseURL, "pic", fileURL(baseURL, rec), target)
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: config(first), ConfigStateChecks: []statecheck.StateCheck{checkFileMatchesState("apimart_image_file.pic")}},
			{
				Config: config(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image_file.pic", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					checkFileMatchesState("apimart_image_file.pic"),
					countsInState(fake, fileCounts(2, 2, 0)),
				},
			},
		},
	})
}

// fileConfig is one file saved from a literal URL.
func fileConfig(baseURL, name, url, filePath string) string {
	return providerConfig(baseURL) + fmt.Sprintf(`
resource "apimart_image_file" %q {
  url  = %q
  path = %q
}
`, name, url, filePath)
}

// fileURL is the first result URL of a task on the fake, as its task answer would give it.
func fileURL(baseURL string, rec fakeapimart.TaskRecord) string {
	return fakeapimart.ResultURL(baseURL, rec.ID, 0)
}

func TestAccImageFile_importHashesWithoutDownloading(t *testing.T) {
	fake, baseURL := startFake(t)
	rec := seedCompletedTask(t, fake, "imagen-4.0-apimart", "saved by another tool", "4:3", 1)
	target := filepath.Join(t.TempDir(), "saved.png")
	width, height := fakeapimart.Dimensions(rec, fakeapimart.DefaultImageScale)
	body, err := fakeapimart.RenderPNG(rec.Prompt, width, height, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, body, 0o644); err != nil {
		t.Fatal(err)
	}
	config := fileConfig(baseURL, "saved", fileURL(baseURL, rec), target)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config:             config,
				ResourceName:       "apimart_image_file.saved",
				ImportState:        true,
				ImportStateId:      target + "=" + fileURL(baseURL, rec),
				ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || states[0].Attributes["sha256"] != fileSHA256(target) || states[0].Attributes["width"] != fmt.Sprint(width) {
						return fmt.Errorf("imported state does not describe the file: %+v", states)
					}
					return fileCounts(1, 0, 0).compare(fake)
				},
			},
			plansNothing(config, fake, fileCounts(1, 0, 0)),
		},
	})
}

func TestAccImageFile_importIDMustNameAPathAndAURL(t *testing.T) {
	_, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:        fileConfig(baseURL, "x", "https://cdn.example.com/x.png", "x.png"),
			ResourceName:  "apimart_image_file.x",
			ImportState:   true,
			ImportStateId: "x.png",
			ExpectError:   regexp.MustCompile(`Invalid import id(.|\n)*<path>=<url>`),
		}},
	})
}

func TestSplitImportID(t *testing.T) {
	for _, tt := range []struct{ id, path, url string }{
		{"assets/hero.png=https://cdn.example.com/a.png?x=1&y=2", "assets/hero.png", "https://cdn.example.com/a.png?x=1&y=2"},
		{"a=b.png=http://127.0.0.1:9/f/0.png?expires=1", "a=b.png", "http://127.0.0.1:9/f/0.png?expires=1"},
	} {
		p, u, ok := splitImportID(tt.id)
		if !ok || p != tt.path || u != tt.url {
			t.Errorf("splitImportID(%q) = %q, %q, %v", tt.id, p, u, ok)
		}
	}
	if _, _, ok := splitImportID("=https://cdn.example.com/a.png"); ok {
		t.Error("an id without a path was accepted")
	}
}

// The tests below drive the terraform binary directly, so that each plan is one refresh and
// the fake's HEAD count is exact.

func fileWorkspace(t *testing.T, baseURL string) (*tfharness.Workspace, string) {
	t.Helper()
	w := binaryWorkspace(t, baseURL, `
resource "apimart_image" "hero" {
  prompt = "a lighthouse at dusk"
}

resource "apimart_image_file" "hero" {
  url  = apimart_image.hero.url
  path = "assets/hero.png"
}
`)
	return w, filepath.Join(w.Dir, "assets", "hero.png")
}

func TestAccImageFile_missingFileIsRestoredInPlaceForFree(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	w, target := fileWorkspace(t, baseURL)
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	saved := fileSHA256(target)
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	plan := w.MustRun(t, "plan", "-no-color")
	for _, want := range []string{"apimart_image_file.hero will be updated in-place", `- drift = "is missing" -> null`, "0 to add, 1 to change, 0 to destroy"} {
		if !strings.Contains(strings.Join(strings.Fields(plan.Stdout), " "), want) {
			t.Fatalf("the plan should restore the file in place and do nothing else (no %q):\n%s", want, plan.Stdout)
		}
	}
	if strings.Contains(plan.Stdout, "known after apply") {
		t.Fatalf("the restore plan leaves a value unknown:\n%s", plan.Stdout)
	}
	requireCounts(t, fake, fileCounts(1, 1, 1))
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	if got := fileSHA256(target); got != saved {
		t.Fatalf("the file restored has SHA-256 %q, want %s", got, saved)
	}
	requireCounts(t, fake, fileCounts(1, 2, 2)) // the apply's own refresh asked once more
}

func TestAccImageFile_expiredURLKeepsStateAndWarns(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) {
		set.Now = clock.Now
		set.URLLifetime = time.Hour
	})
	w, target := fileWorkspace(t, baseURL)
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	saved := fileSHA256(target)
	clock.Advance(2 * time.Hour)
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	plan := w.MustRun(t, "plan", "-no-color", "-detailed-exitcode")
	out := plan.Stdout + plan.Stderr
	for _, want := range []string{"No changes", "Image file cannot be downloaded again", saved, "-replace=apimart_image.NAME", "HTTP 403"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("the plan output lacks %q:\n%s", want, out)
		}
	}
	requireCounts(t, fake, fileCounts(1, 1, 1))
	if res := w.Resources(t)["apimart_image_file.hero"]; res.AttributeValues["sha256"] != saved {
		t.Fatalf("state changed: %+v", res.AttributeValues)
	}
}

// A download needs no API key: a file of an image made elsewhere is saved without one.
func TestAccImageFile_needsNoKey(t *testing.T) {
	fake, baseURL := startFake(t)
	rec := seedCompletedTask(t, fake, "imagen-4.0-apimart", "made with another key", "1:1", 1)
	target := filepath.Join(t.TempDir(), "keyless.png")
	parallelUnitTestWithEnv(t, newTestEnv(map[string]string{}), resource.TestCase{
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "apimart" {}

resource "apimart_image_file" "k" {
  url  = %q
  path = %q
}
`, fileURL(baseURL, rec), target),
			ConfigStateChecks: []statecheck.StateCheck{
				checkFileMatchesState("apimart_image_file.k"),
				countsInState(fake, fileCounts(1, 1, 0)),
			},
		}},
	})
}
