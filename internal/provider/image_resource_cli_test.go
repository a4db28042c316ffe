package provider

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// These tests drive the terraform binary directly, for the commands that terraform-plugin-testing
// cannot run: untaint, apply -replace, and an apply interrupted by a signal.

// cliWorkspace is a workspace with config whose provider, served by the test process as
// terraform-plugin-testing serves it, talks to the fake at baseURL on the wall clock.
func cliWorkspace(t *testing.T, baseURL, config string) *tfharness.Workspace {
	t.Helper()
	skipWithoutTFAcc(t)
	w := servedWorkspace(t, map[string]string{EnvAPIKey: testAPIKey, EnvBaseURL: baseURL})
	w.WriteConfig(t, requiredProviders+config)
	return w
}

// servedWorkspace is an empty workspace whose provider, served by the test process, has env as
// its environment.
func servedWorkspace(t *testing.T, env map[string]string) *tfharness.Workspace {
	return tfharness.ServedWorkspace(t, tfharness.Apimart.Source, providersOn(nil, newTestEnv(env))["apimart"])
}

// binaryWorkspace is cliWorkspace with the provider built and run as its own process, as
// Terraform runs it, for the tests that give it environment variables of its own (the cloud SDKs
// read theirs from the process) or relative paths (which the process resolves from the
// workspace, as a served provider cannot).
func binaryWorkspace(t *testing.T, baseURL, config string) *tfharness.Workspace {
	t.Helper()
	skipWithoutTFAcc(t)
	w := tfharness.NewWorkspace(t, map[string]string{EnvAPIKey: testAPIKey, EnvBaseURL: baseURL})
	w.WriteConfig(t, requiredProviders+config)
	return w
}

func skipWithoutTFAcc(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it")
	}
}

// requiredProviders names this provider's source. A built provider comes through dev_overrides
// and a served one through TF_REATTACH_PROVIDERS, so neither needs terraform init.
const requiredProviders = `
terraform {
  required_providers {
    apimart = { source = "apimart/apimart" }
  }
}
`

func requireOneCompletedTask(t *testing.T, w *tfharness.Workspace, fake *fakeapimart.Server, address string) {
	t.Helper()
	requireCounts(t, fake, counts{"tasks_created": 1})
	tasks := fake.Tasks()
	res, ok := w.Resources(t)[address]
	if !ok {
		t.Fatalf("%s is not in state", address)
	}
	if res.AttributeValues["task_id"] != tasks[0].ID || res.AttributeValues["status"] != "completed" || res.Tainted {
		t.Fatalf("state has task %v status %v tainted %v; want the server's only task %s, completed, not tainted",
			res.AttributeValues["task_id"], res.AttributeValues["status"], res.Tainted, tasks[0].ID)
	}
	if url, _ := res.AttributeValues["url"].(string); url == "" {
		t.Fatal("state has no url")
	}
}

func TestAccImage_untaintThenApplyCollects(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.TaskDuration = 5 * time.Second })
	w := cliWorkspace(t, baseURL, `
resource "apimart_image" "u" {
  prompt = "wait for me"
  timeouts {
    create = "1s"
  }
}
`)
	first := w.Run(context.Background(), "apply", "-auto-approve", "-no-color")
	if first.Err == nil || !strings.Contains(first.Stderr, "Timed out waiting for the image") {
		t.Fatalf("first apply should time out; err %v\nstderr:\n%s", first.Err, first.Stderr)
	}
	if res := w.Resources(t)["apimart_image.u"]; !res.Tainted || res.AttributeValues["interrupted"] != true {
		t.Fatalf("after the timeout the object should be tainted and interrupted: %+v", res)
	}
	w.MustRun(t, "untaint", "apimart_image.u")
	plan := w.MustRun(t, "plan", "-no-color")
	if !strings.Contains(plan.Stdout, "updated in-place") {
		t.Fatalf("after untaint the plan should collect the task in place:\n%s", plan.Stdout)
	}
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireOneCompletedTask(t, w, fake, "apimart_image.u")
}

func TestAccImage_interruptThenApplyCollects(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.TaskDuration = 4 * time.Second })
	w := cliWorkspace(t, baseURL, `
resource "apimart_image" "i" {
  prompt = "interrupt me"
}
`)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	cmd, err := w.Command(ctx, "apply", "-auto-approve", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, func() bool { return len(fake.Tasks()) == 1 })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("interrupted apply exited 0:\n%s", out.String())
	}
	res := w.Resources(t)["apimart_image.i"]
	if res.AttributeValues["task_id"] != fake.Tasks()[0].ID || res.AttributeValues["interrupted"] != true {
		t.Fatalf("after the interrupt, state should keep the task and mark it interrupted: %+v\n%s", res, out.String())
	}
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireOneCompletedTask(t, w, fake, "apimart_image.i")
}

func TestAccImage_replaceFlagMakesOneTask(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	w := cliWorkspace(t, baseURL, `
resource "apimart_image" "r" {
  prompt = "replace me on purpose"
}
`)
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	before := w.Resources(t)["apimart_image.r"].AttributeValues["task_id"]
	w.MustRun(t, "apply", "-auto-approve", "-no-color", "-replace=apimart_image.r")
	after := w.Resources(t)["apimart_image.r"].AttributeValues["task_id"]
	requireCounts(t, fake, counts{"tasks_created": 2}) // apply, then apply -replace
	if before == after {
		t.Fatalf("-replace kept task %v", before)
	}
}

// forgetUnfinishedTask runs an apply that times out, so the object keeps an unfinished task and
// is tainted, and then makes the API forget that task. It returns the task id.
func forgetUnfinishedTask(t *testing.T, fake *fakeapimart.Server, w *tfharness.Workspace, address string) string {
	t.Helper()
	first := w.Run(context.Background(), "apply", "-auto-approve", "-no-color")
	if first.Err == nil || !strings.Contains(first.Stderr, "Timed out waiting for the image") {
		t.Fatalf("first apply should time out; err %v\nstderr:\n%s", first.Err, first.Stderr)
	}
	res := w.Resources(t)[address]
	if !res.Tainted || res.AttributeValues["interrupted"] != true {
		t.Fatalf("after the timeout the object should be tainted and interrupted: %+v", res)
	}
	fake.ForgetAllTasks()
	fake.Configure(func(set *fakeapimart.Settings) { set.TaskDuration = 300 * time.Millisecond })
	taskID, _ := res.AttributeValues["task_id"].(string)
	return taskID
}

const forgottenConfig = `
resource "apimart_image" "f" {
  prompt = "forgotten while it ran"
  timeouts {
    create = "1s"
  }
}
`

// Untainted, an object whose unfinished task the API forgot stays in state and plans no new
// image; the plan names the task and the command that pays for one, which then pays once.
func TestAccImage_forgottenTaskUntaintedPlansNoImage(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.TaskDuration = 10 * time.Second })
	w := cliWorkspace(t, baseURL, forgottenConfig)
	taskID := forgetUnfinishedTask(t, fake, w, "apimart_image.f")
	w.MustRun(t, "untaint", "apimart_image.f")

	plan := w.MustRun(t, "plan", "-no-color")
	if !strings.Contains(plan.Stdout, "No changes") || !strings.Contains(plan.Stdout, taskID) ||
		!wrappedText(`Image task forgotten by APIMart(.|\n)*submits no new image(.|\n)*terraform apply -replace=`).MatchString(plan.Stdout) {
		t.Fatalf("the plan should change nothing and warn about task %s with the way to replace it:\n%s", taskID, plan.Stdout)
	}
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireCounts(t, fake, counts{"tasks_created": 1})
	if kept := w.Resources(t)["apimart_image.f"].AttributeValues["task_id"]; kept != taskID {
		t.Fatalf("state has task %v, want the forgotten task %s kept", kept, taskID)
	}

	w.MustRun(t, "apply", "-auto-approve", "-no-color", "-replace=apimart_image.f")
	requireCounts(t, fake, counts{"tasks_created": 2}) // the timed-out create, then -replace
	if res := w.Resources(t)["apimart_image.f"]; res.AttributeValues["task_id"] == taskID || res.AttributeValues["status"] != "completed" {
		t.Fatalf("after -replace the state should hold a new, completed task: %+v", res.AttributeValues)
	}
}

// Tainted, as a timed-out create leaves it, an object whose task the API forgot is replaced as
// Terraform plans it. The plan says the replacement pays for a new image, and it pays once: the
// forgotten task is not handed over, so the replacement does not wait for a task that is gone.
func TestAccImage_forgottenTaskTaintedIsReplacedOnce(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.TaskDuration = 10 * time.Second })
	w := cliWorkspace(t, baseURL, forgottenConfig)
	taskID := forgetUnfinishedTask(t, fake, w, "apimart_image.f")

	plan := w.MustRun(t, "plan", "-no-color")
	if !strings.Contains(plan.Stdout, "tainted") || !strings.Contains(plan.Stdout, taskID) ||
		!wrappedText(`submits a new, paid image, because the old task is gone`).MatchString(plan.Stdout) {
		t.Fatalf("the plan should replace the tainted object and say that task %s is gone and a new image is paid for:\n%s", taskID, plan.Stdout)
	}
	w.MustRun(t, "apply", "-auto-approve", "-no-color")
	requireCounts(t, fake, counts{"tasks_created": 2}) // the timed-out create, then the replacement
	if res := w.Resources(t)["apimart_image.f"]; res.Tainted || res.AttributeValues["task_id"] == taskID || res.AttributeValues["status"] != "completed" {
		t.Fatalf("the replacement should hold a new, completed task: %+v", res)
	}
}

func waitFor(t *testing.T, limit time.Duration, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
