package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// taskConfig is the test provider block and a look-up of one task.
func taskConfig(baseURL, taskID string) string {
	return providerConfig(baseURL) + fmt.Sprintf(`
data "apimart_task" "t" {
  task_id = %q
}
`, taskID)
}

func TestAccTaskDataSource_found(t *testing.T) {
	fake, baseURL := startFake(t)
	seeded := seedCompletedTask(t, fake, "gpt-4o-image", "two kittens", "2:3", 2)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: taskConfig(baseURL, seeded.ID),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("id"), knownvalue.StringExact(seeded.ID)),
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("status"), knownvalue.StringExact("completed")),
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("progress"), knownvalue.Int64Exact(100)),
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("urls"), knownvalue.ListSizeExact(2)),
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("completed_at"), knownvalue.NotNull()),
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("expires_at"), knownvalue.NotNull()),
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("error_message"), knownvalue.Null()),
			},
		}},
	})
}

// The data source sees what the resource made, including its URLs.
func TestAccTaskDataSource_ofImageResource(t *testing.T) {
	_, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: providerConfig(baseURL) + `
resource "apimart_image" "src" {
  prompt = "look me up"
}

data "apimart_task" "lookup" {
  task_id = apimart_image.src.task_id
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.CompareValuePairs("apimart_image.src", tfjsonpath.New("urls"),
					"data.apimart_task.lookup", tfjsonpath.New("urls"), compare.ValuesSame()),
				statecheck.ExpectKnownValue("data.apimart_task.lookup", tfjsonpath.New("status"), knownvalue.StringExact("completed")),
			},
		}},
	})
}

func TestAccTaskDataSource_failedTaskReportsError(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTasks = fakeapimart.TaskOutcome{N: 1, Status: "failed", Error: &fakeapimart.TaskError{Code: 500, Message: "upstream model crashed", Type: "server_error"}}
	})
	seeded := seedCompletedTask(t, fake, "imagen-4.0-apimart", "doomed", "1:1", 1)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: taskConfig(baseURL, seeded.ID),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("status"), knownvalue.StringExact("failed")),
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("error_message"), knownvalue.StringExact("upstream model crashed")),
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("error_code"), knownvalue.StringExact("500")),
				statecheck.ExpectKnownValue("data.apimart_task.t", tfjsonpath.New("url"), knownvalue.Null()),
			},
		}},
	})
}

func TestAccTaskDataSource_notFound(t *testing.T) {
	_, baseURL := startFake(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:      taskConfig(baseURL, "task_01UNKNOWN0000000000000000"),
			ExpectError: regexp.MustCompile(`Task not found(.|\n)*task_01UNKNOWN`),
		}},
	})
}

func TestAccTaskDataSource_otherKeysTask(t *testing.T) {
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.Keys = []string{testAPIKey, "sk-someone-else"} })
	seeded := fake.SeedTask("sk-someone-else", "imagen-4.0-apimart", "not yours", "1:1", 1)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:      taskConfig(baseURL, seeded.ID),
			ExpectError: regexp.MustCompile(`Access denied by APIMart(.|\n)*the provider's api_key argument`),
		}},
	})
}
