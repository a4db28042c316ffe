package provider

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

const bothBalances = `
data "apimart_balance" "key" {}

data "apimart_balance" "account" {
  scope = "account"
}
`

func TestAccBalanceDataSource_bothScopes(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.Balances[testAPIKey] = 7.5 })
	fake.Configure(func(set *fakeapimart.Settings) { set.AccountBalance = fakeapimart.Unlimited })
	key := func(attr string, want knownvalue.Check) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("data.apimart_balance.key", tfjsonpath.New(attr), want)
	}
	account := func(attr string, want knownvalue.Check) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("data.apimart_balance.account", tfjsonpath.New(attr), want)
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: providerConfig(baseURL) + bothBalances,
			ConfigStateChecks: []statecheck.StateCheck{
				key("scope", knownvalue.StringExact("key")),
				key("remain_balance", knownvalue.Float64Exact(7.5)),
				key("used_balance", knownvalue.Float64Exact(0)),
				key("unlimited", knownvalue.Bool(false)),
				key("remain_credits", knownvalue.Null()),
				key("used_credits", knownvalue.Null()),
				account("scope", knownvalue.StringExact("account")),
				account("remain_balance", knownvalue.Float64Exact(-1)),
				account("unlimited", knownvalue.Bool(true)),
			},
		}},
	})
}

func TestAccBalanceDataSource_failureFormIsAnError(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.BalanceFailure = "User Quota Query Failed" })
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:      providerConfig(baseURL) + bothBalances,
			ExpectError: errorWith("APIMart did not report the balance", "User Quota Query Failed"),
		}},
	})
}

func TestAccBalanceDataSource_unknownKeyIsAnError(t *testing.T) {
	_, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.Keys = []string{"sk-only-this-one"} })
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:      providerConfig(baseURL) + `data "apimart_balance" "key" {}`,
			ExpectError: errorWith("APIMart did not report the balance", "Token Not Found", "the provider's api_key argument"),
		}},
	})
}

func TestAccBalanceDataSource_unknownScopeIsRefusedAtPlan(t *testing.T) {
	_, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:      providerConfig(baseURL) + `data "apimart_balance" "team" { scope = "team" }`,
			ExpectError: regexp.MustCompile(`scope(.|\n)*"key"(.|\n)*"account"(.|\n)*"team"`),
		}},
	})
}

// guardExample is the example of the docs, so that the test proves what the page shows.
func guardExample(t *testing.T) string {
	t.Helper()
	example, err := os.ReadFile("../../examples/data-sources/apimart_balance/data-source.tf")
	if err != nil {
		t.Fatal(err)
	}
	return string(example)
}

func TestAccBalanceGuard_preconditionStopsTheApply(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.Balances[testAPIKey] = 1.5 })
	variables := config.Variables{"minimum_balance": config.IntegerVariable(2)}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config:          providerConfig(baseURL) + guardExample(t),
				ConfigVariables: variables,
				ExpectError:     errorWith("has 1.5 left, below the minimum of 2; no image was submitted"),
			},
			{
				// Nothing was sent by the refused apply; an unlimited key then passes the same guard.
				PreConfig: func() {
					requireCounts(t, fake, counts{"submits": 0, "tasks_created": 0})
					fake.Configure(func(set *fakeapimart.Settings) { set.Balances[testAPIKey] = fakeapimart.Unlimited })
				},
				Config:            providerConfig(baseURL) + guardExample(t),
				ConfigVariables:   variables,
				ConfigStateChecks: append(expectCompleted("apimart_image.banner"), countsInState(fake, counts{"tasks_created": 1})),
			},
		},
	})
}

func TestAccBalanceGuard_checkBlockWarns(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	// Above the minimum of 2, below the warning at 10.
	fake.Configure(func(set *fakeapimart.Settings) { set.Balances[testAPIKey] = 5 })
	w := cliWorkspace(t, baseURL, guardExample(t))
	apply := w.MustRun(t, "apply", "-auto-approve", "-no-color")
	output := apply.Stdout + apply.Stderr
	if !strings.Contains(output, "Check block assertion failed") || !strings.Contains(output, "has 5 left, below 10: top it up soon") {
		t.Fatalf("the apply should warn of the low balance:\n%s", output)
	}
	requireCounts(t, fake, counts{"tasks_created": 1}) // a warning must not stop the apply
	fake.Configure(func(set *fakeapimart.Settings) { set.Balances[testAPIKey] = 50 })
	plan := w.MustRun(t, "plan", "-no-color")
	if strings.Contains(plan.Stdout+plan.Stderr, "Check block assertion failed") {
		t.Fatalf("no warning is due with 50 left:\n%s%s", plan.Stdout, plan.Stderr)
	}
}
