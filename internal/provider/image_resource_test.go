package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// createTimeoutBody is the body of an image with a prompt and a create timeout.
func createTimeoutBody(prompt, timeout string) string {
	return fmt.Sprintf(`
  prompt = %q
  timeouts {
    create = %q
  }`, prompt, timeout)
}

// checkTaskRecord compares the server's record of the task in state with what was asked for.
func checkTaskRecord(fake *fakeapimart.Server, address, model, size string, n int64) statecheck.StateCheck {
	return stateFunc(func(state attributes) error {
		attrs, ok := state[address]
		if !ok {
			return fmt.Errorf("%s not in state", address)
		}
		for _, rec := range fake.Tasks() {
			if rec.ID != attrs["task_id"] {
				continue
			}
			if rec.Model != model || rec.RequestedSize != size || rec.N != n {
				return fmt.Errorf("server saw model %q size %q n %d, want %q %q %d", rec.Model, rec.RequestedSize, rec.N, model, size, n)
			}
			return nil
		}
		return fmt.Errorf("task %s in state is unknown to the server", attrs["task_id"])
	})
}

func TestAccImage_multipleImages(t *testing.T) {
	fake, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: imageConfig(baseURL, "four", `  prompt = "four variations"
  model  = "gpt-4o-image"
  size   = "3:2"
  n      = 4`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("apimart_image.four", tfjsonpath.New("urls"), knownvalue.ListSizeExact(4)),
				statecheck.CompareValuePairs("apimart_image.four", tfjsonpath.New("url"),
					"apimart_image.four", tfjsonpath.New("urls").AtSliceIndex(0), compare.ValuesSame()),
				checkTaskRecord(fake, "apimart_image.four", "gpt-4o-image", "3:2", 4),
			},
		}},
	})
}

// Each bad input fails at plan time, names what was wrong and what is allowed, and pays nothing.
func TestAccImage_planTimeValidation(t *testing.T) {
	expectPlanErrors(t, map[string]planErrorCase{
		"unknown model": {
			body: `  prompt = "x"
  model  = "dall-e-9"`,
			want: `Unsupported model(.|\n)*"dall-e-9"(.|\n)*"imagen-4.0-apimart"`,
		},
		"size the API would silently change": {
			body: `  prompt = "x"
  size   = "21:9"`,
			want: `Unsupported size(.|\n)*"21:9"(.|\n)*"1:1",(.|\n)*"4:3",(.|\n)*"3:4",(.|\n)*"16:9",(.|\n)*"9:16"(.|\n)*silently`,
		},
		"size of another model": {
			body: `  prompt = "x"
  model  = "gpt-4o-image"
  size   = "16:9"`,
			want: `Unsupported size(.|\n)*"gpt-4o-image"(.|\n)*"1:1",(.|\n)*"2:3",(.|\n)*"3:2"`,
		},
		"count above the model's range": {
			body: `  prompt = "x"
  n      = 2`,
			want: `Unsupported image count(.|\n)*n = 2(.|\n)*Allowed(.|\n)*1`,
		},
		"count between allowed values": {
			body: `  prompt = "x"
  model  = "gpt-4o-image"
  n      = 3`,
			want: `Unsupported image count(.|\n)*1, 2, 4`,
		},
		"no image at all": {
			body: `  prompt = "x"
  n      = 0`,
			want: `n(.|\n)*at least 1, got: 0`,
		},
		"empty size": {
			body: `  prompt = "x"
  size   = ""`,
			want: `size(.|\n)*length must be at least 1`,
		},
		"blank prompt": {
			body: `  prompt = "   "`,
			want: `Empty prompt`,
		},
		"prompt over the limit": {
			body: fmt.Sprintf("  prompt = %q\n  model  = \"z-image-turbo\"", strings.Repeat("a", 801)),
			want: `Prompt too long(.|\n)*801(.|\n)*800`,
		},
	})
}

// Values known only after apply are not rejected at plan time; they are checked once known.
func TestAccImage_unknownValuesAccepted(t *testing.T) {
	fake, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: providerConfig(baseURL) + `
resource "apimart_image" "first" {
  prompt = "a red fox"
  size   = "1:1"
}

resource "apimart_image" "second" {
  prompt = "a sequel to ${apimart_image.first.task_id}"
  size   = apimart_image.first.size
  n      = length(apimart_image.first.urls)
}
`,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectUnknownValue("apimart_image.second", tfjsonpath.New("prompt")),
			}},
			ConfigStateChecks: append(expectCompleted("apimart_image.second"),
				statecheck.ExpectKnownValue("apimart_image.second", tfjsonpath.New("size"), knownvalue.StringExact("1:1")),
				countsInState(fake, counts{"tasks_created": 2})),
		}},
	})
}

func TestAccImage_keepersReplace(t *testing.T) {
	fake, baseURL := startFake(t)
	withKeepers := func(release string) string {
		return imageConfig(baseURL, "k", fmt.Sprintf(`
  prompt  = "release banner"
  keepers = { release = %q }`, release))
	}
	sameTaskID := statecheck.CompareValue(compare.ValuesDiffer())
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			// The step's own plans after the apply are empty: the same keepers change nothing.
			{
				Config:            withKeepers("1.0"),
				ConfigStateChecks: []statecheck.StateCheck{sameTaskID.AddStateValue("apimart_image.k", tfjsonpath.New("task_id")), countsInState(fake, counts{"tasks_created": 1})},
			},
			{
				Config: withKeepers("2.0"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.k", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{sameTaskID.AddStateValue("apimart_image.k", tfjsonpath.New("task_id")), countsInState(fake, counts{"tasks_created": 2})},
			},
		},
	})
}

// Every input forces a new image, because the API cannot change a finished task. Each image
// changes one input, all in one apply: a new prompt, an input set where it was left to its
// default, and an input left out again, which returns it to its default.
func TestAccImage_inputsForceReplacement(t *testing.T) {
	fake, baseURL := startFake(t)
	prompt, size, model, n := `prompt = "two"`, `size   = "1:1"`, `model  = "qwen-image-2.0"`, `n      = 2`
	changes := []struct{ before, after []string }{
		{[]string{`prompt = "one"`}, []string{prompt}},
		{[]string{prompt}, []string{prompt, size}},
		{[]string{prompt, size}, []string{prompt, size, model}},
		{[]string{prompt, size, model}, []string{prompt, size, model, n}},
		{[]string{prompt, size, model, n}, []string{prompt, size, model}},
		{[]string{prompt, size, model}, []string{prompt, size}},
	}
	image := func(i int, inputs []string) string {
		return fmt.Sprintf("\nresource \"apimart_image\" \"r%d\" {\n  %s\n}\n", i, strings.Join(inputs, "\n  "))
	}
	before, after := providerConfig(baseURL), providerConfig(baseURL)
	var replaced []plancheck.PlanCheck
	for i, c := range changes {
		before += image(i, c.before)
		after += image(i, c.after)
		replaced = append(replaced, plancheck.ExpectResourceAction(fmt.Sprintf("apimart_image.r%d", i), plancheck.ResourceActionDestroyBeforeCreate))
	}
	parallelUnitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: before},
			{
				Config:            after,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: replaced},
				ConfigStateChecks: []statecheck.StateCheck{countsInState(fake, counts{"tasks_created": int64(2 * len(changes))})},
			},
		},
	})
}

// A refresh of completed images makes no API call, and an image the API has forgotten stays.
func TestAccImage_refreshWithoutAPICalls(t *testing.T) {
	fake, baseURL := startFake(t)
	config := providerConfig(baseURL) + `
resource "apimart_image" "a" {
  count  = 3
  prompt = "refresh me ${count.index}"
}
`
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: config, ConfigStateChecks: []statecheck.StateCheck{countsInState(fake, counts{"tasks_created": 3})}, PostApplyFunc: fake.ResetCounters},
			{
				RefreshState: true,
				Check:        checkCounts(fake, counts{"task_reads": 0}),
			},
			{
				PreConfig: fake.ForgetAllTasks,
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: append(expectCompleted("apimart_image.a[2]"), countsInState(fake, counts{"task_reads": 0, "tasks_created": 0})),
			},
		},
	})
}

func TestAccImage_countMakesDistinctTasks(t *testing.T) {
	fake, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: providerConfig(baseURL) + `
resource "apimart_image" "twin" {
  count  = 2
  prompt = "identical twins"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.CompareValuePairs("apimart_image.twin[0]", tfjsonpath.New("task_id"),
					"apimart_image.twin[1]", tfjsonpath.New("task_id"), compare.ValuesDiffer()),
				countsInState(fake, counts{"tasks_created": 2}),
				checkDistinctIdempotencyKeys(fake),
			},
		}},
	})
}

func checkDistinctIdempotencyKeys(fake *fakeapimart.Server) statecheck.StateCheck {
	return stateFunc(func(attributes) error {
		seen := map[string]bool{}
		for _, rec := range fake.Tasks() {
			if rec.IdempotencyKey == "" || seen[rec.IdempotencyKey] {
				return fmt.Errorf("task %s has an empty or repeated Idempotency-Key %q", rec.ID, rec.IdempotencyKey)
			}
			seen[rec.IdempotencyKey] = true
		}
		return nil
	})
}

// Replacing a completed image (taint, like -replace) makes exactly one new task.
func TestAccImage_replaceCompletedMakesOneTask(t *testing.T) {
	fake, baseURL := startFake(t)
	config := imageConfig(baseURL, "r", `  prompt = "replace me"`)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: config, ConfigStateChecks: []statecheck.StateCheck{countsInState(fake, counts{"tasks_created": 1})}},
			{
				Config: config,
				Taint:  []string{"apimart_image.r"},
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.r", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: append(expectCompleted("apimart_image.r"), countsInState(fake, counts{"tasks_created": 2})),
			},
		},
	})
}

// A create that times out keeps the task id; the next apply collects the same task.
func TestAccImage_timeoutThenReapplyCollects(t *testing.T) {
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.TaskDuration = 3 * time.Second })
	withTimeout := func(timeout string) string {
		return imageConfig(baseURL, "slow", createTimeoutBody("a slow sunrise", timeout))
	}
	parallelAccTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config:      withTimeout("1s"),
				ExpectError: regexp.MustCompile(`Timed out waiting for the image(.|\n)*task_01[0-9A-Z]{24}(.|\n)*Apply again`),
			},
			{
				Config: withTimeout("1m"),
				ConfigStateChecks: append(expectCompleted("apimart_image.slow"),
					countsInState(fake, counts{"tasks_created": 1}),
					checkStateMatchesOnlyTask(fake, "apimart_image.slow")),
			},
		},
	})
}

func checkStateMatchesOnlyTask(fake *fakeapimart.Server, address string) statecheck.StateCheck {
	return stateFunc(func(state attributes) error {
		tasks := fake.Tasks()
		if len(tasks) != 1 {
			return fmt.Errorf("server has %d tasks, want 1", len(tasks))
		}
		if got := state[address]["task_id"]; got != tasks[0].ID {
			return fmt.Errorf("state has task %s, server's only task is %s", got, tasks[0].ID)
		}
		return nil
	})
}

func TestAccImage_failedTaskQuotesAPIMessage(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTasks = fakeapimart.TaskOutcome{N: 1, Status: "failed", Error: &fakeapimart.TaskError{
			Code: 400, Message: "prompt rejected by the content policy", Type: "moderation_error",
		}}
	})
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config:      imageConfig(baseURL, "f", `  prompt = "something forbidden"`),
				ExpectError: regexp.MustCompile(`Image generation failed(.|\n)*task_01[0-9A-Z]{24}(.|\n)*prompt\s+rejected\s+by\s+the\s+content\s+policy`),
			},
			{
				// The failed task stays in state, tainted: the next plan replaces it, and nothing
				// was paid twice until then.
				Config:             imageConfig(baseURL, "f", `  prompt = "something forbidden"`),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks:   resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{countsInPlan(fake, counts{"tasks_created": 1})}},
			},
		},
	})
}

func TestAccImage_cancelledTaskIsNotResubmitted(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTasks = fakeapimart.TaskOutcome{N: 1, Status: "cancelled"}
	})
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:      imageConfig(baseURL, "c", `  prompt = "cancel me"`),
			ExpectError: regexp.MustCompile(`Image generation cancelled(.|\n)*task_01`),
		}},
		CheckDestroy: checkCounts(fake, counts{"tasks_created": 1}),
	})
}

func TestAccImage_importCommand(t *testing.T) {
	fake, baseURL := startFake(t)
	seeded := seedCompletedTask(t, fake, "imagen-4.0-apimart", "made outside terraform", "9:16", 1)
	config := imageConfig(baseURL, "imported", `  prompt = "made outside terraform"
  size   = "9:16"`)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config:             config,
				ResourceName:       "apimart_image.imported",
				ImportState:        true,
				ImportStateId:      seeded.ID,
				ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || states[0].Attributes["status"] != "completed" || states[0].Attributes["url"] == "" {
						return fmt.Errorf("imported state lacks the completed task: %+v", states)
					}
					return nil
				},
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.imported", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: expectImported("apimart_image.imported", seeded.ID),
			},
			plansNothing(config, fake, counts{"tasks_created": 1}), // the seeded task only
		},
	})
}

func TestAccImage_importBlock(t *testing.T) {
	fake, baseURL := startFake(t)
	seeded := seedCompletedTask(t, fake, "qwen-image-2.0", "adopted by an import block", "3:4", 1)
	config := imageConfig(baseURL, "imported", `  prompt = "adopted by an import block"
  model  = "qwen-image-2.0"
  size   = "3:4"`)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config: config + importByID("apimart_image.imported", seeded.ID),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.imported", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: expectImported("apimart_image.imported", seeded.ID),
			},
			plansNothing(config, fake, counts{"tasks_created": 1}), // the seeded task only
		},
	})
}

// Terraform 1.12 and later store an image's identity, its task id, and import an image by it.
func TestAccImage_identity(t *testing.T) {
	fake, baseURL := startFake(t)
	config := imageConfig(baseURL, "hero", `  prompt = "known by its task"`)
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("apimart_image.hero", map[string]knownvalue.Check{
						"task_id": knownvalue.StringRegexp(regexp.MustCompile(`^task_01[0-9A-Z]{24}$`)),
					}),
					statecheck.ExpectIdentityValueMatchesState("apimart_image.hero", tfjsonpath.New("task_id")),
				},
			},
			{
				// An import block with the identity of the image created above, in a fresh state.
				Config:          config,
				ResourceName:    "apimart_image.hero",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				// The first plan after an import takes the configured inputs, in place.
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.hero", plancheck.ResourceActionUpdate),
				}},
			},
		},
		CheckDestroy: checkCounts(fake, counts{"tasks_created": 1}),
	})
}

// A task made outside Terraform is imported by an import block that names its identity.
func TestAccImage_importBlockByIdentity(t *testing.T) {
	fake, baseURL := startFake(t)
	seeded := seedCompletedTask(t, fake, "imagen-4.0-apimart", "adopted by identity", "16:9", 1)
	config := imageConfig(baseURL, "imported", `  prompt = "adopted by identity"
  size   = "16:9"`)
	importBlock := fmt.Sprintf(`
import {
  to       = apimart_image.imported
  identity = { task_id = %q }
}
`, seeded.ID)
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config: config + importBlock,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.imported", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: append(expectImported("apimart_image.imported", seeded.ID),
					statecheck.ExpectIdentity("apimart_image.imported", map[string]knownvalue.Check{
						"task_id": knownvalue.StringExact(seeded.ID),
					})),
			},
			plansNothing(config, fake, counts{"tasks_created": 1}), // the seeded task only
		},
	})
}

func expectImported(address, taskID string) []statecheck.StateCheck {
	return append(expectCompleted(address),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("task_id"), knownvalue.StringExact(taskID)),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("id"), knownvalue.StringExact(taskID)))
}

// seedCompletedTask creates a task on the server, as another tool would, and waits until it is done.
func seedCompletedTask(t *testing.T, fake *fakeapimart.Server, model, prompt, size string, n int64) fakeapimart.TaskRecord {
	t.Helper()
	rec := fake.SeedTask(testAPIKey, model, prompt, size, n)
	time.Sleep(time.Until(rec.CompletedAt) + 50*time.Millisecond)
	return rec
}

func TestAccImage_importUnknownTask(t *testing.T) {
	_, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:        imageConfig(baseURL, "ghost", `  prompt = "nobody made me"`),
			ResourceName:  "apimart_image.ghost",
			ImportState:   true,
			ImportStateId: "task_01NOPE00000000000000000000",
			ExpectError:   regexp.MustCompile(`Task not found(.|\n)*task_01NOPE`),
		}},
	})
}

// Every submit response shape and both forms of url give the same state. The two are independent
// answers (the submit's, then the task's), so three cases cover every shape and both forms.
func TestAccImage_responseShapes(t *testing.T) {
	shape := func(submit fakeapimart.Shape, urlAsString bool) []fakeapimart.Option {
		return []fakeapimart.Option{func(set *fakeapimart.Settings) { set.SubmitShape, set.URLAsString = submit, urlAsString }}
	}
	cases := map[string][]fakeapimart.Option{
		"V1 data array, url as string list": shape(fakeapimart.ShapeV1, false),
		"V2 data object, url as string":     shape(fakeapimart.ShapeV2, true),
		"V3 string code, url as string":     shape(fakeapimart.ShapeV3, true),
	}
	parallelUnitTest(t, resource.TestCase{Steps: casesAsSteps(t, cases, func(i int, opts []fakeapimart.Option) []resource.TestStep {
		fake, baseURL := startFake(t, opts...)
		name := fmt.Sprintf("shape%d", i)
		return []resource.TestStep{{
			Config:            imageConfig(baseURL, name, `  prompt = "shape test"`),
			ConfigStateChecks: append(expectCompleted("apimart_image."+name), countsInState(fake, counts{"tasks_created": 1})),
		}}
	})})
}

// Changing only timeouts updates in place, keeps every reported value known and pays nothing.
func TestAccImage_timeoutsChangeInPlace(t *testing.T) {
	fake, baseURL := startFake(t)
	withTimeout := func(timeout string) string {
		return imageConfig(baseURL, "t", createTimeoutBody("patient", timeout))
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: withTimeout("5m")},
			{
				Config: withTimeout("10m"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apimart_image.t", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("apimart_image.t", tfjsonpath.New("status"), knownvalue.StringExact("completed")),
					plancheck.ExpectKnownValue("apimart_image.t", tfjsonpath.New("task_id"), knownvalue.StringRegexp(regexp.MustCompile(`^task_01`))),
					plancheck.ExpectKnownValue("apimart_image.t", tfjsonpath.New("urls"), knownvalue.ListSizeExact(1)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{countsInState(fake, counts{"tasks_created": 1})},
			},
		},
	})
}

// ---- the catalog's arguments ----

// Every id and alias of the catalog applies with its defaults, in one configuration: one task
// each, with the model's default size and tier in state and on the wire.
func TestAccImage_everyModelID(t *testing.T) {
	fake, baseURL := startFake(t)
	var ids []string
	var config strings.Builder
	config.WriteString(providerConfig(baseURL))
	var checks []statecheck.StateCheck
	for _, m := range apimart.Models() {
		for _, id := range m.IDs() {
			address := fmt.Sprintf("apimart_image.m%d", len(ids))
			fmt.Fprintf(&config, `
resource "apimart_image" "m%d" {
  prompt = "a lighthouse at dusk"
  model  = %q
}
`, len(ids), id)
			ids = append(ids, id)
			checks = append(checks,
				statecheck.ExpectKnownValue(address, tfjsonpath.New("status"), knownvalue.StringExact("completed")),
				statecheck.ExpectKnownValue(address, tfjsonpath.New("size"), stringOrNullValue(m.DefaultSize)),
				statecheck.ExpectKnownValue(address, tfjsonpath.New("resolution"), stringOrNullValue(m.DefaultResolution)))
		}
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: config.String(),
			ConfigStateChecks: append(checks,
				countsInState(fake, counts{"tasks_created": int64(len(ids))}),
				checkEveryIDSentOnce(fake, ids)),
		}},
	})
}

func stringOrNullValue(s string) knownvalue.Check {
	if s == "" {
		return knownvalue.Null()
	}
	return knownvalue.StringExact(s)
}

// checkEveryIDSentOnce also checks that the size went into the field the model reads it from.
func checkEveryIDSentOnce(fake *fakeapimart.Server, ids []string) statecheck.StateCheck {
	return stateFunc(func(attributes) error {
		sent := map[string]int{}
		for _, rec := range fake.Tasks() {
			sent[rec.Model]++
			m, _ := apimart.LookupModel(rec.Model)
			body := submitBody(rec)
			if _, wrong := body[apimart.FieldSize]; wrong && m.SizeFieldName() != apimart.FieldSize {
				return fmt.Errorf("%s got the size in \"size\", want it in %q: %v", rec.Model, m.SizeFieldName(), body)
			}
			if rec.Size != m.DefaultSize {
				return fmt.Errorf("%s generated size %q, want the default %q", rec.Model, rec.Size, m.DefaultSize)
			}
		}
		for _, id := range ids {
			if sent[id] != 1 {
				return fmt.Errorf("model %q was sent %d times, want once", id, sent[id])
			}
		}
		return nil
	})
}

func submitBody(rec fakeapimart.TaskRecord) map[string]json.RawMessage {
	var body map[string]json.RawMessage
	_ = json.Unmarshal(rec.Body, &body)
	return body
}

// Each typed argument is checked against the model at plan time, and nothing is sent.
func TestAccImage_argumentsCheckedPerModel(t *testing.T) {
	expectPlanErrors(t, map[string]planErrorCase{
		"quality on a model without it": {`
  prompt  = "x"
  quality = "high"`,
			`Argument not supported by the model(.|\n)*"imagen-4.0-apimart" takes no(.|\n)*quality(.|\n)*"gpt-image-1-official"`},
		"background value": {`
  prompt     = "x"
  model      = "gpt-image-1"
  background = "clear"`,
			`Unsupported background(.|\n)*"clear"(.|\n)*"transparent"`},
		"output_format value": {`
  prompt        = "x"
  model         = "seedream-5-0-lite"
  output_format = "webp"`,
			`Unsupported output_format(.|\n)*"jpeg", "png"`},
		"negative_prompt on imagen": {`
  prompt          = "x"
  negative_prompt = "fog"`,
			`takes no negative_prompt(.|\n)*"qwen-image-2.0"`},
		"negative_prompt too long": {fmt.Sprintf(`
  prompt          = "x"
  model           = "qwen-image-2.0"
  negative_prompt = %q`, strings.Repeat("n", 501)),
			`501(.|\n)*500`},
		"resolution on a model without tiers": {`
  prompt     = "x"
  resolution = "2K"`,
			`takes no resolution tiers(.|\n)*"gemini-3-pro-image-preview"`},
		"unknown tier": {`
  prompt     = "x"
  model      = "gemini-3-pro-image-preview"
  resolution = "8K"`,
			`Unsupported resolution(.|\n)*"8K"(.|\n)*"1K", "2K", "4K"`},
		"tier the API would downgrade": {`
  prompt     = "x"
  model      = "gemini-3.1-flash-lite-image"
  resolution = "2k"`,
			`silently generate a 1K image`},
		"n the API would clamp": {`
  prompt = "x"
  model  = "gpt-image-1"
  n      = 6`,
			`n = 6(.|\n)*silently generate 4`},
		"auto without references": {`
  prompt = "x"
  model  = "seedream-4-5"
  size   = "auto"`,
			`Size needs reference images(.|\n)*"auto"`},
		"reserved parameter": {`
  prompt     = "x"
  parameters = { seed = 1, size = "1:1", resolution = "2K" }`,
			`Reserved key in parameters(.|\n)*"resolution", "size"`},
		"parameters not an object": {`
  prompt     = "x"
  parameters = ["seed"]`,
			`parameters must be an object`},
		"typo of a model": {`
  prompt = "x"
  model  = "imagen-4-apimart"`,
			`Did you mean "imagen-4.0-apimart"\?`},
	})
}

type planErrorCase struct{ body, want string }

// expectPlanErrors plans each body as the only image and expects its error, and checks that
// none of the plans sent a request.
func expectPlanErrors(t *testing.T, cases map[string]planErrorCase) {
	t.Helper()
	fake, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{Steps: casesAsSteps(t, cases, func(_ int, c planErrorCase) []resource.TestStep {
		return []resource.TestStep{{Config: imageConfig(baseURL, "bad", c.body), PlanOnly: true, ExpectError: wrappedText(c.want)}}
	})})
	requireCounts(t, fake, counts{"requests": 0}) // plan-time checks
}

// Each argument reaches the API with its JSON type; the tier is sent in the model's spelling
// while state keeps it as written; grok gets the ratio as aspect_ratio.
func TestAccImage_argumentsReachTheAPIWithTheirTypes(t *testing.T) {
	fake, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: providerConfig(baseURL) + `
resource "apimart_image" "qwen" {
  prompt          = "a tea house"
  model           = "qwen-image-2.0"
  resolution      = "2k"
  negative_prompt = "people"
  parameters = {
    seed          = 42
    guidance      = 0.5
    watermark     = false
    prompt_extend = true
    tags          = ["a", "b"]
    options       = { max_images = 3 }
  }
}

resource "apimart_image" "gpt" {
  prompt        = "a logo"
  model         = "gpt-image-1"
  quality       = "high"
  background    = "transparent"
  output_format = "png"
}

resource "apimart_image" "grok" {
  prompt     = "a wide desert"
  model      = "grok-imagine-image"
  size       = "16:9"
  resolution = "2K"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("apimart_image.qwen", tfjsonpath.New("resolution"), knownvalue.StringExact("2k")),
				statecheck.ExpectKnownValue("apimart_image.qwen", tfjsonpath.New("parameters").AtMapKey("seed"), knownvalue.Int64Exact(42)),
				checkSentFields(fake, "qwen-image-2.0", map[string]string{
					"resolution": `"2K"`, "negative_prompt": `"people"`, "seed": `42`, "guidance": `0.5`, "watermark": `false`,
					"prompt_extend": `true`, "tags": `["a","b"]`, "options": `{"max_images":3}`, "size": `"1:1"`, "n": `1`,
				}),
				checkSentFields(fake, "gpt-image-1", map[string]string{
					"quality": `"high"`, "background": `"transparent"`, "output_format": `"png"`,
				}),
				checkSentFields(fake, "grok-imagine-image", map[string]string{"aspect_ratio": `"16:9"`, "resolution": `"2k"`}),
			},
		}},
	})
}

// checkSentFields compares fields of the submit body of the model's task, as raw JSON.
func checkSentFields(fake *fakeapimart.Server, model string, want map[string]string) statecheck.StateCheck {
	return stateFunc(func(attributes) error {
		for _, rec := range fake.Tasks() {
			if rec.Model != model {
				continue
			}
			body := submitBody(rec)
			for field, value := range want {
				if got := string(body[field]); got != value {
					return fmt.Errorf("%s: %s was sent as %s, want %s (body %s)", model, field, got, value, rec.Body)
				}
			}
			return nil
		}
		return fmt.Errorf("no task of model %s", model)
	})
}

// Changing a typed argument or a parameter generates a new image; re-planning the same one does
// not. One image changes its quality, the other its seed.
func TestAccImage_argumentsForceReplacement(t *testing.T) {
	fake, baseURL := startFake(t)
	image := func(name, quality, seed string) string {
		return fmt.Sprintf(`
resource "apimart_image" %q {
  prompt     = "a logo"
  model      = "gpt-image-1.5"
  quality    = %q
  parameters = { seed = %s }
}
`, name, quality, seed)
	}
	replaced := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction("apimart_image.quality", plancheck.ResourceActionReplace),
		plancheck.ExpectResourceAction("apimart_image.seed", plancheck.ResourceActionReplace),
	}}
	parallelUnitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:            providerConfig(baseURL) + image("quality", "low", "1") + image("seed", "low", "1"),
				ConfigStateChecks: []statecheck.StateCheck{countsInState(fake, counts{"tasks_created": 2})},
			},
			// The step's own plans after the apply are empty, so the same arguments change nothing.
			{
				Config:            providerConfig(baseURL) + image("quality", "high", "1") + image("seed", "low", "2"),
				ConfigPlanChecks:  replaced,
				ConfigStateChecks: []statecheck.StateCheck{countsInState(fake, counts{"tasks_created": 4})},
			},
		},
		CheckDestroy: checkCounts(fake, counts{"tasks_created": 4}),
	})
}

// A model outside the catalog is refused unless the provider allows it; then it plans with a
// warning and is sent as written, unchecked.
func TestAccImage_unlistedModel(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	w := cliWorkspace(t, baseURL, `
provider "apimart" {
  allow_unlisted_models = true
}

resource "apimart_image" "new" {
  prompt     = "from the future"
  model      = "imagen-9.0-apimart"
  size       = "7:3"
  n          = 3
  resolution = "16K"
  parameters = { seed = 7 }
}
`)
	plan := w.MustRun(t, "plan", "-no-color")
	if !wrappedText(`Warning: Model not in the catalog(.|\n)*are not checked`).MatchString(plan.Stdout) {
		t.Fatalf("the plan should warn that the model is not checked:\n%s", plan.Stdout)
	}
	requireCounts(t, fake, counts{"requests": 0})
	// The fake knows only catalog models, so its refusal proves the id was sent as written.
	apply := w.Run(context.Background(), "apply", "-auto-approve", "-no-color")
	if apply.Err == nil || !wrappedText(`"imagen-9\.0-apimart" is not supported`).MatchString(apply.Stderr) {
		t.Fatalf("apply should reach the API with the model as written; err %v\n%s", apply.Err, apply.Stderr)
	}
	requireCounts(t, fake, counts{"submits": 1, "tasks_created": 0})

	w.WriteConfig(t, requiredProviders+`
resource "apimart_image" "new" {
  prompt = "from the future"
  model  = "imagen-9.0-apimart"
}
`)
	refused := w.Run(context.Background(), "plan", "-no-color")
	if refused.Err == nil || !wrappedText(`Did you mean "imagen-4\.0-apimart"\?(.|\n)*allow_unlisted_models`).MatchString(refused.Stderr) {
		t.Fatalf("without the opt-in the plan should fail naming the closest id; err %v\n%s", refused.Err, refused.Stderr)
	}
}

// onlyInstanceAttributes returns the attributes of the one resource instance in a state file.
func onlyInstanceAttributes(t *testing.T, state map[string]any) map[string]any {
	t.Helper()
	resources, _ := state["resources"].([]any)
	if len(resources) != 1 {
		t.Fatalf("state has %d resources, want 1", len(resources))
	}
	res, _ := resources[0].(map[string]any)
	instances, _ := res["instances"].([]any)
	if len(instances) != 1 {
		t.Fatalf("state has %d instances, want 1", len(instances))
	}
	instance, _ := instances[0].(map[string]any)
	attributes, ok := instance["attributes"].(map[string]any)
	if !ok {
		t.Fatalf("state instance has no attributes: %v", instance)
	}
	return attributes
}

// wrappedText compiles a pattern whose spaces also match the line breaks Terraform wraps
// diagnostics with.
func wrappedText(pattern string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`))
}

// State written before the provider had these arguments plans no change, so an upgrade never
// replaces a paid image.
func TestAccImage_stateWithoutArgumentsPlansNoChange(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	w := cliWorkspace(t, baseURL, `
resource "apimart_image" "old" {
  prompt = "made by an older provider"
  model  = "qwen-image-2.0"
}
`)
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	statePath := filepath.Join(w.Dir, "terraform.tfstate")
	raw, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	var state map[string]any
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	attributes := onlyInstanceAttributes(t, state)
	if attributes["resolution"] != "1K" {
		t.Fatalf("a new image should record the default tier, got %v", attributes["resolution"])
	}
	delete(attributes, "resolution")
	delete(attributes, "parameters")
	for _, a := range apimart.Arguments {
		delete(attributes, a.Name)
	}
	raw, _ = json.Marshal(state)
	if err := os.WriteFile(statePath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	plan := w.MustRun(t, "plan", "-no-color")
	if !strings.Contains(plan.Stdout, "No changes") {
		t.Fatalf("an image from before the arguments existed should plan no change:\n%s", plan.Stdout)
	}
	requireCounts(t, fake, counts{"tasks_created": 1})
}
