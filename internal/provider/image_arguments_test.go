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

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

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
			Config:            config.String(),
			ConfigStateChecks: checks,
			Check: resource.ComposeAggregateTestCheckFunc(
				checkCounts(fake, counts{"tasks_created": int64(len(ids))}),
				checkEveryIDSentOnce(fake, ids),
			),
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
func checkEveryIDSentOnce(fake *fakeapimart.Server, ids []string) resource.TestCheckFunc {
	return func(*terraform.State) error {
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
	}
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
	fake, baseURL := startFake(t)
	// Cleanup runs after the parallel subtests have finished.
	t.Cleanup(func() {
		requireCounts(t, fake, counts{"requests": 0}) // plan-time checks
	})
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			parallelUnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders(),
				Steps: []resource.TestStep{{
					Config:      imageConfig(baseURL, "bad", tc.body),
					PlanOnly:    true,
					ExpectError: wrappedText(tc.want),
				}},
			})
		})
	}
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
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				checkSentFields(fake, "qwen-image-2.0", map[string]string{
					"resolution": `"2K"`, "negative_prompt": `"people"`, "seed": `42`, "guidance": `0.5`, "watermark": `false`,
					"prompt_extend": `true`, "tags": `["a","b"]`, "options": `{"max_images":3}`, "size": `"1:1"`, "n": `1`,
				}),
				checkSentFields(fake, "gpt-image-1", map[string]string{
					"quality": `"high"`, "background": `"transparent"`, "output_format": `"png"`,
				}),
				checkSentFields(fake, "grok-imagine-image", map[string]string{"aspect_ratio": `"16:9"`, "resolution": `"2k"`}),
			),
		}},
	})
}

// checkSentFields compares fields of the submit body of the model's task, as raw JSON.
func checkSentFields(fake *fakeapimart.Server, model string, want map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
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
	}
}

// Changing a typed argument or a parameter generates a new image; re-planning the same one does not.
func TestAccImage_argumentsForceReplacement(t *testing.T) {
	fake, baseURL := startFake(t)
	config := func(quality, seed string) string {
		return imageConfig(baseURL, "r", fmt.Sprintf(`
  prompt     = "a logo"
  model      = "gpt-image-1.5"
  quality    = %q
  parameters = { seed = %s }`, quality, seed))
	}
	replace := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("apimart_image.r", plancheck.ResourceActionReplace)}}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: config("low", "1"), Check: checkCounts(fake, counts{"tasks_created": 1})},
			{Config: config("high", "1"), ConfigPlanChecks: replace, Check: checkCounts(fake, counts{"tasks_created": 2})},
			{Config: config("high", "2"), ConfigPlanChecks: replace, Check: checkCounts(fake, counts{"tasks_created": 3})},
			{Config: config("high", "2"), ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: checkCounts(fake, counts{"tasks_created": 3})},
		},
	})
}

// A model outside the catalog is refused unless the provider allows it; then it plans with a
// warning and is sent as written, unchecked.
func TestAccImage_unlistedModel(t *testing.T) {
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
	for name := range argumentAttributes() {
		delete(attributes, name)
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
