package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// writePhoto writes a small real PNG whose content depends on seed, and returns its path and
// its SHA-256.
func writePhoto(t *testing.T, dir, name, seed string) (string, string) {
	t.Helper()
	content, err := fakeapimart.RenderPNG(seed, 64, 48, 0)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	return file, hex.EncodeToString(sum[:])
}

// editBody is an image of gpt-4o-image, which takes up to 5 references, with the given ones.
func editBody(refs ...string) string {
	quoted := make([]string, len(refs))
	for i, r := range refs {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf(`
  prompt           = "the product on a beach"
  model            = "gpt-4o-image"
  reference_images = [%s]`, strings.Join(quoted, ", "))
}

// checkSentReferences compares the image_urls the server's only task got with reference_urls in
// state, and each upload URL with the file content the server stored.
func checkSentReferences(fake *fakeapimart.Server, address string, wantDigests ...string) stateFunc {
	return stateFunc(func(state attributes) error {
		attrs := state[address]
		tasks := fake.Tasks()
		if len(tasks) == 0 || tasks[len(tasks)-1].ID != attrs["task_id"] {
			return fmt.Errorf("the task in state is not the server's last task")
		}
		sent := tasks[len(tasks)-1].ImageURLs
		stored := map[string]string{}
		for _, u := range fake.Uploads() {
			stored[u.ID] = u.SHA256
		}
		for i, want := range wantDigests {
			inState := attrs[fmt.Sprintf("reference_urls.%d", i)]
			if i >= len(sent) || sent[i] != inState {
				return fmt.Errorf("image_urls %q were sent, state has reference_urls.%d = %q", sent, i, inState)
			}
			if !strings.HasPrefix(want, "http") {
				_, rest, _ := strings.Cut(sent[i], "/uploads/")
				id, _, _ := strings.Cut(rest, "/")
				if stored[id] != want {
					return fmt.Errorf("image_urls[%d] = %s is an upload of content %s, want %s", i, sent[i], stored[id], want)
				}
			} else if sent[i] != want {
				return fmt.Errorf("image_urls[%d] = %s, want the URL %s as given", i, sent[i], want)
			}
		}
		if len(sent) != len(wantDigests) {
			return fmt.Errorf("image_urls %q, want %d elements", sent, len(wantDigests))
		}
		return nil
	})
}

func expectDigests(address string, digests ...string) statecheck.StateCheck {
	values := make([]knownvalue.Check, len(digests))
	for i, d := range digests {
		values[i] = knownvalue.StringExact(d)
	}
	return statecheck.ExpectKnownValue(address, tfjsonpath.New("reference_sha256"), knownvalue.ListExact(values))
}

// References from URLs and local files reach the API in list order; each file is uploaded once
// per create, duplicates of one content included, and refresh sends nothing.
func TestAccImage_referenceImagesFromURLsAndFiles(t *testing.T) {
	fake, baseURL := startFake(t)
	dir := t.TempDir()
	front, frontSum := writePhoto(t, dir, "front.png", "front")
	back, backSum := writePhoto(t, dir, "back.png", "back")
	frontCopy, _ := writePhoto(t, dir, "front-copy.png", "front")
	const url = "https://cdn.example.com/mood.jpg"
	config := imageConfig(baseURL, "edit", editBody(url, front, back, frontCopy))
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("apimart_image.edit", tfjsonpath.New("reference_sha256"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(url), knownvalue.StringExact(frontSum),
							knownvalue.StringExact(backSum), knownvalue.StringExact(frontSum)})),
					plancheck.ExpectUnknownValue("apimart_image.edit", tfjsonpath.New("reference_urls")),
				}},
				ConfigStateChecks: append(expectCompleted("apimart_image.edit"),
					expectDigests("apimart_image.edit", url, frontSum, backSum, frontSum),
					statecheck.CompareValuePairs("apimart_image.edit", tfjsonpath.New("reference_urls").AtSliceIndex(1),
						"apimart_image.edit", tfjsonpath.New("reference_urls").AtSliceIndex(3), compare.ValuesSame()),
					countsInState(fake, counts{"uploads": 2, "uploads_stored": 2, "submits": 1}),
					checkSentReferences(fake, "apimart_image.edit", url, frontSum, backSum, frontSum)),
				PostApplyFunc: fake.ResetCounters,
			},
			{
				RefreshState: true,
				Check:        checkCounts(fake, counts{"requests": 0}),
			},
		},
	})
}

// A list of URLs only is known at plan time and uploads nothing.
func TestAccImage_referenceURLsOnly(t *testing.T) {
	fake, baseURL := startFake(t)
	urls := []string{"https://cdn.example.com/a.png", "http://cdn.example.com/b.webp"}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: imageConfig(baseURL, "u", editBody(urls...)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("apimart_image.u", tfjsonpath.New("reference_urls"),
					knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(urls[0]), knownvalue.StringExact(urls[1])})),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				countsInState(fake, counts{"uploads": 0, "uploads_stored": 0, "submits": 1}),
				checkSentReferences(fake, "apimart_image.u", urls...),
			},
		}},
	})
}

// Touching a file plans nothing; moving it is an in-place update; neither sends a request. A
// changed content plans one replacement, which uploads the new content once.
func TestAccImage_referenceFileTouchedMovedAndChanged(t *testing.T) {
	fake, baseURL := startFake(t)
	dir := t.TempDir()
	photo, sum := writePhoto(t, dir, "photo.png", "v1")
	moved := filepath.Join(dir, "renamed", "photo-final.png")
	sameTask := statecheck.CompareValue(compare.ValuesSame())
	sameUploadURL := statecheck.CompareValue(compare.ValuesSame())
	newUploadURL := statecheck.CompareValue(compare.ValuesDiffer())
	touched := plansNothing(imageConfig(baseURL, "p", editBody(photo)), fake, counts{"requests": 0})
	touched.PreConfig = func() {
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(photo, later, later); err != nil {
			t.Fatal(err)
		}
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config: imageConfig(baseURL, "p", editBody(photo)),
				ConfigStateChecks: []statecheck.StateCheck{
					sameTask.AddStateValue("apimart_image.p", tfjsonpath.New("task_id")),
					sameUploadURL.AddStateValue("apimart_image.p", tfjsonpath.New("reference_urls").AtSliceIndex(0)),
					countsInState(fake, counts{"uploads": 1, "uploads_stored": 1, "submits": 1}),
				},
				PostApplyFunc: fake.ResetCounters,
			},
			touched,
			{
				PreConfig: func() {
					if err := os.MkdirAll(filepath.Dir(moved), 0o700); err != nil {
						t.Fatal(err)
					}
					if err := os.Rename(photo, moved); err != nil {
						t.Fatal(err)
					}
				},
				Config: imageConfig(baseURL, "p", editBody(moved)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.p", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameTask.AddStateValue("apimart_image.p", tfjsonpath.New("task_id")),
					sameUploadURL.AddStateValue("apimart_image.p", tfjsonpath.New("reference_urls").AtSliceIndex(0)),
					newUploadURL.AddStateValue("apimart_image.p", tfjsonpath.New("reference_urls").AtSliceIndex(0)),
					expectDigests("apimart_image.p", sum),
					statecheck.ExpectKnownValue("apimart_image.p", tfjsonpath.New("reference_images").AtSliceIndex(0), knownvalue.StringExact(moved)),
					countsInState(fake, counts{"requests": 0, "tasks_created": 0}),
				},
			},
			{
				PreConfig: func() { writePhoto(t, filepath.Dir(moved), filepath.Base(moved), "v2") },
				Config:    imageConfig(baseURL, "p", editBody(moved)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.p", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: append(expectCompleted("apimart_image.p"),
					newUploadURL.AddStateValue("apimart_image.p", tfjsonpath.New("reference_urls").AtSliceIndex(0)),
					countsInState(fake, counts{"uploads": 1, "uploads_stored": 1, "submits": 1})),
			},
		},
	})
}

// Each bad reference fails the plan, says what is wrong and what to do, and sends nothing.
func TestAccImage_referencePlanTimeErrors(t *testing.T) {
	dir := t.TempDir()
	photo, _ := writePhoto(t, dir, "photo.png", "ok")
	notImage := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(notImage, []byte("this is a text file with an image's name"), 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.png")
	content, _ := os.ReadFile(photo)
	if err := os.WriteFile(huge, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 20<<20+1); err != nil {
		t.Fatal(err)
	}
	tooMany := slices.Repeat([]string{photo}, 6)
	expectPlanErrors(t, map[string]planErrorCase{
		"data URI":     {editBody("data:image/png;base64,iVBORw0KGgo="), `Data URI not accepted(.|\n)*file(.|\n)*path`},
		"other scheme": {editBody("ftp://example.com/a.png"), `Unsupported reference URL(.|\n)*http`},
		"too many":     {editBody(tooMany...), `Too many reference images(.|\n)*"gpt-4o-image"(.|\n)*at most 5(.|\n)*6`},
		"text-only model": {fmt.Sprintf("  prompt           = \"x\"\n  reference_images = [%q]", photo),
			`Reference images not supported(.|\n)*"imagen-4.0-apimart"(.|\n)*"gpt-4o-image"`},
		"missing file": {editBody(filepath.Join(dir, "nowhere.png")), `Reference image not found(.|\n)*nowhere\.png`},
		"not an image": {editBody(notImage), `Unsupported reference image format(.|\n)*notes\.png(.|\n)*starts with \"this is a text file(.|\n)*JPEG, PNG, WebP or GIF`},
		"over 20 MB":   {editBody(huge), `Reference image too large(.|\n)*huge\.png(.|\n)*20971521 bytes(.|\n)*20 MB`},
		"a directory":  {editBody(dir), `Reference image is not a file(.|\n)*directory`},
		"two for flux-kontext": {fmt.Sprintf("  prompt           = \"x\"\n  model            = \"flux-kontext-pro\"\n  reference_images = [%q, %q]", photo, photo),
			`Too many reference images(.|\n)*"flux-kontext-pro"(.|\n)*at most 1`},
	})
}

// A create interrupted after its submit leaves the task in state; the next apply collects that
// task without uploading or submitting again.
func TestAccImage_referenceInterruptedCreateCollects(t *testing.T) {
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.TaskDuration = 3 * time.Second })
	photo, sum := writePhoto(t, t.TempDir(), "photo.png", "interrupted")
	withTimeout := func(timeout string) string {
		return imageConfig(baseURL, "slow", editBody(photo)+fmt.Sprintf(`
  timeouts {
    create = %q
  }`, timeout))
	}
	parallelAccTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config:      withTimeout("1s"),
				ExpectError: regexp.MustCompile(`Timed out waiting for the image(.|\n)*task_01`),
			},
			{
				PreConfig: func() { requireCounts(t, fake, counts{"uploads": 1, "uploads_stored": 1, "submits": 1}) },
				Config:    withTimeout("1m"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.slow", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: append(expectCompleted("apimart_image.slow"), expectDigests("apimart_image.slow", sum),
					countsInState(fake, counts{"uploads": 1, "uploads_stored": 1, "submits": 1}),
					checkStateMatchesOnlyTask(fake, "apimart_image.slow"),
					checkSentReferences(fake, "apimart_image.slow", sum)),
			},
		},
	})
}

// An upload the server refused without storing it is retried; one that may have been stored is
// not, and then nothing is submitted.
func TestAccImage_referenceUploadFaults(t *testing.T) {
	t.Parallel()
	photo, _ := writePhoto(t, t.TempDir(), "photo.png", "faults")
	t.Run("503 is retried", func(t *testing.T) {
		fake, baseURL := startFake(t)
		fake.Configure(func(set *fakeapimart.Settings) { set.FailNextUploads = fakeapimart.UploadFault{N: 1, Status: 503} })
		parallelUnitTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProviders(),
			Steps: []resource.TestStep{{
				Config:            imageConfig(baseURL, "f", editBody(photo)),
				ConfigStateChecks: append(expectCompleted("apimart_image.f"), countsInState(fake, counts{"uploads": 2, "uploads_stored": 1, "submits": 1})),
			}},
		})
	})
	t.Run("500 after storing is not retried", func(t *testing.T) {
		fake, baseURL := startFake(t)
		fake.Configure(func(set *fakeapimart.Settings) { set.FailNextUploads = fakeapimart.UploadFault{N: 1, Store: true} })
		parallelUnitTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProviders(),
			Steps: []resource.TestStep{
				{
					Config: providerConfigWith(baseURL, "max_retries = 5") + fmt.Sprintf(`
resource "apimart_image" "f" {
%s
}
`, editBody(photo)),
					ExpectError: regexp.MustCompile(`Reference image upload may be incomplete(.|\n)*nothing(.|\n)*charged`),
				},
				{
					PreConfig:         func() { requireCounts(t, fake, counts{"uploads": 1, "uploads_stored": 1, "submits": 0}) },
					Config:            imageConfig(baseURL, "f", editBody(photo)),
					ConfigStateChecks: append(expectCompleted("apimart_image.f"), countsInState(fake, counts{"uploads": 2, "uploads_stored": 2, "submits": 1})),
				},
			},
		})
	})
}

// An imported task adopts its configured references without a new image or an upload.
func TestAccImage_referenceImportAdopts(t *testing.T) {
	fake, baseURL := startFake(t)
	photo, sum := writePhoto(t, t.TempDir(), "photo.png", "imported")
	seeded := seedCompletedTask(t, fake, "gpt-4o-image", "the product on a beach", "1:1", 1)
	config := imageConfig(baseURL, "imported", editBody(photo))
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config: config + importByID("apimart_image.imported", seeded.ID),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.imported", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectDigests("apimart_image.imported", sum),
					statecheck.ExpectKnownValue("apimart_image.imported", tfjsonpath.New("reference_urls"), knownvalue.Null()),
				},
			},
			plansNothing(config, fake, counts{"uploads": 0, "uploads_stored": 0, "submits": 0}),
		},
	})
}

// A reference file deleted after the apply keeps the image: the plan warns and changes nothing.
func TestAccImage_referenceFileDeletedKeepsTheImage(t *testing.T) {
	fake, baseURL := startFake(t)
	photo, sum := writePhoto(t, t.TempDir(), "photo.png", "deleted later")
	config := imageConfig(baseURL, "d", editBody(photo))
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: config, PostApplyFunc: fake.ResetCounters},
			{
				PreConfig: func() {
					if err := os.Remove(photo); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectDigests("apimart_image.d", sum), countsInState(fake, counts{"requests": 0})},
			},
		},
	})
}

func TestClassifyReference(t *testing.T) {
	tests := map[string]referenceKind{
		"https://cdn.example.com/a.png": referenceURL,
		"HTTP://cdn.example.com/a.png":  referenceURL,
		"data:image/png;base64,AAAA":    referenceDataURI,
		"DATA:image/png;base64,AAAA":    referenceDataURI,
		"s3://bucket/a.png":             referenceOtherScheme,
		"photos/a.png":                  referenceFile,
		"/abs/path/a.png":               referenceFile,
		`C:\photos\a.png`:               referenceFile,
		"https.png":                     referenceFile,
	}
	for ref, want := range tests {
		if got := classifyReference(ref); got != want {
			t.Errorf("classifyReference(%q) = %d, want %d", ref, got, want)
		}
	}
}

// The format is judged by content, whatever the name, and the digest covers the whole file.
func TestOpenReferenceFile(t *testing.T) {
	dir := t.TempDir()
	png, _ := fakeapimart.RenderPNG("digest", 16, 16, 0)
	named := filepath.Join(dir, "image.txt")
	pdf := filepath.Join(dir, "photo.png")
	if os.WriteFile(named, png, 0o644) != nil || os.WriteFile(pdf, []byte("%PDF-1.7 not an image"), 0o644) != nil {
		t.Fatal("cannot write the test files")
	}
	f, got, err := openReferenceFile(named)
	sum := sha256.Sum256(png)
	if err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("a PNG named image.txt: digest %q, %v; want the SHA-256 of the whole file", got, err)
	}
	f.Close()
	_, _, err = openReferenceFile(pdf)
	var problem *referenceFileProblem
	if !errors.As(err, &problem) || problem.summary != "Unsupported reference image format" ||
		!strings.Contains(problem.detail, "%PDF-1.7") || problem.missing {
		t.Errorf("a PDF named photo.png gave %v, want a format problem that quotes its start", err)
	}
}

// The documented edit example applies as written, with the photo that ships beside it.
func TestAccImage_referenceEditExample(t *testing.T) {
	fake, baseURL := startFake(t)
	dir, err := filepath.Abs("../../examples/resources/apimart_image")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join(dir, "edit.tf"))
	if err != nil {
		t.Fatal(err)
	}
	config := strings.ReplaceAll(string(example), "${path.module}", dir)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:            providerConfig(baseURL) + config,
			ConfigStateChecks: append(expectCompleted("apimart_image.product_on_a_beach"), countsInState(fake, counts{"uploads": 1, "uploads_stored": 1, "submits": 1})),
		}},
	})
}

// A size that takes the ratio of its input counts the configured references: with a local file,
// Seedream's "auto" and FLUX Kontext's "match_input_image" plan and apply.
func TestAccImage_referenceSizeFromTheInput(t *testing.T) {
	t.Parallel()
	photo, sum := writePhoto(t, t.TempDir(), "photo.png", "ratio")
	for model, size := range map[string]string{"doubao-seedream-4-5": "auto", "flux-kontext-pro": "match_input_image"} {
		t.Run(model, func(t *testing.T) {
			fake, baseURL := startFake(t)
			body := fmt.Sprintf(`
  prompt           = "the same, at dusk"
  model            = %q
  size             = %q
  reference_images = [%q]`, model, size, photo)
			parallelUnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders(),
				Steps: []resource.TestStep{{
					Config: imageConfig(baseURL, "r", body),
					ConfigStateChecks: append(expectCompleted("apimart_image.r"), expectDigests("apimart_image.r", sum),
						countsInState(fake, counts{"uploads": 1, "uploads_stored": 1, "submits": 1}),
						checkSentReferences(fake, "apimart_image.r", sum)),
				}},
			})
		})
	}
}

// A reference known only after apply, such as another image's result, is checked once known:
// the plan shows the digests and URLs as unknown, and the apply sends the result URL as it is.
func TestAccImage_referenceToAnotherImage(t *testing.T) {
	fake, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: providerConfig(baseURL) + `
resource "apimart_image" "first" {
  prompt = "a red armchair, studio light"
  model  = "gpt-4o-image"
}

resource "apimart_image" "second" {
  prompt           = "the same armchair in a living room"
  model            = "gpt-4o-image"
  reference_images = [apimart_image.first.url]
}
`,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectUnknownValue("apimart_image.second", tfjsonpath.New("reference_sha256")),
				plancheck.ExpectUnknownValue("apimart_image.second", tfjsonpath.New("reference_urls")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.CompareValuePairs("apimart_image.first", tfjsonpath.New("url"),
					"apimart_image.second", tfjsonpath.New("reference_urls").AtSliceIndex(0), compare.ValuesSame()),
				statecheck.CompareValuePairs("apimart_image.first", tfjsonpath.New("url"),
					"apimart_image.second", tfjsonpath.New("reference_sha256").AtSliceIndex(0), compare.ValuesSame()),
				countsInState(fake, counts{"uploads": 0, "uploads_stored": 0, "submits": 2}),
				stateFunc(func(state attributes) error {
					return checkSentReferences(fake, "apimart_image.second", state["apimart_image.first"]["url"])(state)
				}),
			},
		}},
	})
}
