package provider

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

func TestAccProvider_configFromEnvironment(t *testing.T) {
	fake, baseURL := startFake(t)
	parallelUnitTestWithEnv(t, newTestEnv(map[string]string{EnvAPIKey: testAPIKey, EnvBaseURL: baseURL}), resource.TestCase{
		Steps: []resource.TestStep{{
			Config: `
provider "apimart" {}

resource "apimart_image" "env" {
  prompt = "configured from the environment"
}
`,
			ConfigStateChecks: append(expectCompleted("apimart_image.env"), countsInState(fake, counts{"tasks_created": 1})),
		}},
	})
}

func TestAccProvider_configOverridesEnvironment(t *testing.T) {
	fake, baseURL := startFake(t)
	env := newTestEnv(map[string]string{EnvAPIKey: "sk-wrong-key-from-env", EnvBaseURL: "https://unreachable.invalid"})
	parallelUnitTestWithEnv(t, env, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: providerConfig(baseURL) + `
resource "apimart_image" "cfg" {
  prompt = "configuration wins over the environment"
}
`,
			ConfigStateChecks: append(expectCompleted("apimart_image.cfg"), countsInState(fake, counts{"tasks_created": 1})),
		}},
	})
}

// A missing key must not break validate, nor a plan whose images are all in state already.
func TestAccProvider_missingKeyOnlyWhenNeeded(t *testing.T) {
	fake, baseURL := startFake(t)
	env := newTestEnv(map[string]string{EnvBaseURL: baseURL, EnvAPIKey: testAPIKey})
	config := `
provider "apimart" {}

resource "apimart_image" "a" {
  prompt = "kept while the key is gone"
}
`
	parallelUnitTestWithEnv(t, env, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config, ConfigStateChecks: []statecheck.StateCheck{countsInState(fake, counts{"tasks_created": 1})}},
			{
				PreConfig: func() { env.unset(EnvAPIKey) },
				Config:    config,
				PlanOnly:  true,
			},
			{
				Config: config + `
resource "apimart_image" "b" {
  prompt = "needs the key"
}
`,
				ExpectError: regexp.MustCompile(`Missing APIMart API key(.|\n)*APIMART_API_KEY`),
			},
		},
	})
}

func TestAccProvider_plainHTTPRefusedForRemoteHost(t *testing.T) {
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: `
provider "apimart" {
  base_url = "http://api.example.com"
  api_key  = "sk-anything"
}

resource "apimart_image" "a" {
  prompt = "never sent"
}
`,
			ExpectError: regexp.MustCompile(`Invalid APIMart base URL(.|\n)*clear(.|\n)*text`),
		}},
	})
}

func TestResolveSettings_orderAndTrimming(t *testing.T) {
	t.Setenv(EnvAPIKey, "sk-from-env\n")
	t.Setenv(EnvRateLimit, "3.5")
	t.Setenv(EnvMaxRetries, "")
	got, diags := resolveSettings(providerModel{APIKey: types.StringNull(), BaseURL: types.StringValue("http://127.0.0.1:9"),
		MaxRetries: types.Int64Value(0), RateLimit: types.Float64Null(), RequestTimeout: types.StringNull()}, apimart.Config{}, os.Getenv)
	if diags.HasError() {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if got.config.APIKey != "sk-from-env" || got.keySource != "the "+EnvAPIKey+" environment variable" {
		t.Errorf("key %q from %q, want the trimmed environment key", got.config.APIKey, got.keySource)
	}
	if got.config.BaseURL != "http://127.0.0.1:9" || got.config.RateLimit != 3.5 || got.config.MaxRetries != 0 || got.config.RequestTimeout != apimart.DefaultRequestTimeout {
		t.Errorf("settings %+v: want configuration, then environment, then defaults", got)
	}
}

func TestResolveSettings_badEnvironmentNamesTheVariable(t *testing.T) {
	t.Setenv(EnvMaxRetries, "many")
	_, diags := resolveSettings(providerModel{APIKey: types.StringNull(), BaseURL: types.StringNull(),
		MaxRetries: types.Int64Null(), RateLimit: types.Float64Null(), RequestTimeout: types.StringNull()}, apimart.Config{}, os.Getenv)
	if !diags.HasError() || !strings.Contains(diags[0].Summary(), EnvMaxRetries) || !strings.Contains(diags[0].Detail(), `"many"`) {
		t.Fatalf("want an error naming %s and the bad value, got %v", EnvMaxRetries, diags)
	}
}

func TestResolveSettings_rateLimit(t *testing.T) {
	unset := func(limit types.Float64) providerModel {
		return providerModel{APIKey: types.StringNull(), BaseURL: types.StringNull(), MaxRetries: types.Int64Null(),
			RateLimit: limit, RequestTimeout: types.StringNull()}
	}
	for _, tt := range []struct {
		name, env string
		config    types.Float64
		want      float64
		wantError bool
	}{
		{name: "unset means no ceiling", config: types.Float64Null(), want: 0},
		{name: "0 in configuration means no ceiling", env: "7", config: types.Float64Value(0), want: 0},
		{name: "a fraction from the environment", env: "0.25", config: types.Float64Null(), want: 0.25},
		{name: "NaN from the environment", env: "NaN", config: types.Float64Null(), wantError: true},
		{name: "negative from the environment", env: "-1", config: types.Float64Null(), wantError: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvRateLimit, tt.env)
			got, diags := resolveSettings(unset(tt.config), apimart.Config{}, os.Getenv)
			if diags.HasError() != tt.wantError {
				t.Fatalf("diagnostics %v, want an error: %v", diags, tt.wantError)
			}
			if !tt.wantError && got.config.RateLimit != tt.want {
				t.Errorf("rate limit %g, want %g", got.config.RateLimit, tt.want)
			}
		})
	}
}
