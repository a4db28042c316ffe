package provider

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

const testAPIKey = "sk-test-0123456789"

// TestMain fails the run when the tests leave a new file in this package's directory. The tests
// serve the provider from this process, whose working directory is the package's, so a relative
// path in a test's configuration would land here instead of in the test's own workspace.
func TestMain(m *testing.M) {
	list := func() []string {
		files, err := filesUnder(".")
		if err != nil {
			fmt.Fprintln(os.Stderr, "listing the package's files:", err)
			os.Exit(1)
		}
		return files
	}
	before := list()
	code := m.Run()
	added := slices.DeleteFunc(list(), func(name string) bool {
		_, found := slices.BinarySearch(before, name)
		return found || namedByTestFlag(name)
	})
	if len(added) > 0 {
		fmt.Fprintf(os.Stderr, "the tests left files in the package's directory, probably through a relative path that the served "+
			"provider resolved here: %s\n", strings.Join(added, ", "))
		code = cmp.Or(code, 1)
	}
	os.Exit(code)
}

// namedByTestFlag reports whether one of go test's own flags names the file, as -cpuprofile does
// when go test runs from this directory.
func namedByTestFlag(name string) bool {
	named := false
	flag.VisitAll(func(f *flag.Flag) {
		named = named || strings.HasPrefix(f.Name, "test.") && filepath.Base(f.Value.String()) == filepath.Base(name)
	})
	return named
}

// filesUnder lists the files under dir, sorted.
func filesUnder(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, name)
		}
		return err
	})
	slices.Sort(files)
	return files, err
}

// testAccProviders starts a fresh provider for every terraform command, as terraform itself does,
// so that nothing held in memory can leak from one command into the next. Its client waits on
// the wall clock: it is for the tests whose point is real time (a create timeout, a slow server).
func testAccProviders() map[string]func() (tfprotov6.ProviderServer, error) {
	return providersOn(nil, nil)
}

// providersOn serves the provider with clock and, unless env is nil, with env in place of the
// process environment.
func providersOn(clock apimart.Clock, env *testEnv) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"apimart": func() (tfprotov6.ProviderServer, error) {
			getenv := os.Getenv
			if env != nil {
				getenv = env.get
			}
			return providerserver.NewProtocol6(newProvider("test", clock, getenv))(), nil
		},
	}
}

// unitTest runs c without TF_ACC, as it needs nothing but loopback, and gives its provider the
// test's fake time, so that no wait of the provider takes real time.
func unitTest(t *testing.T, c resource.TestCase) {
	t.Helper()
	unitTestWithEnv(t, nil, c)
}

// parallelUnitTest is unitTest alongside the other parallel tests.
func parallelUnitTest(t *testing.T, c resource.TestCase) {
	t.Helper()
	t.Parallel()
	unitTest(t, c)
}

// parallelUnitTestWithEnv is parallelUnitTest with env as the provider's APIMART_* variables: a
// test that set them in the process environment could not run alongside the others.
func parallelUnitTestWithEnv(t *testing.T, env *testEnv, c resource.TestCase) {
	t.Helper()
	t.Parallel()
	unitTestWithEnv(t, env, c)
}

// unitTestWithEnv is unitTest with env, unless nil, as the provider's environment.
func unitTestWithEnv(t *testing.T, env *testEnv, c resource.TestCase) {
	t.Helper()
	c.ProtoV6ProviderFactories = providersOn(fakeTimeOf(t), env)
	resource.UnitTest(t, checkStateOnThePlan(c))
}

// parallelAccTest runs c with TF_ACC only, alongside the other parallel tests: for the tests whose
// point is real time, with testAccProviders.
func parallelAccTest(t *testing.T, c resource.TestCase) {
	t.Helper()
	resource.ParallelTest(t, checkStateOnThePlan(c))
}

// checkStateOnThePlan moves the state checks of every step that applies onto the first plan after
// its apply, where they check the plan's prior state: the state that the apply left, as that plan
// does not refresh. plugin-testing would read the state for them with a terraform run of its own.
func checkStateOnThePlan(c resource.TestCase) resource.TestCase {
	c.Steps = slices.Clone(c.Steps)
	for i := range c.Steps {
		step := &c.Steps[i]
		if len(step.ConfigStateChecks) == 0 || step.PlanOnly || step.Destroy || step.ExpectError != nil || step.ImportState || step.RefreshState {
			continue
		}
		step.ConfigPlanChecks.PostApplyPreRefresh = append(slices.Clip(step.ConfigPlanChecks.PostApplyPreRefresh),
			stateAfterApply(step.ConfigStateChecks))
		step.ConfigStateChecks = nil
	}
	return c
}

// stateAfterApply runs state checks on a plan's prior state.
type stateAfterApply []statecheck.StateCheck

func (checks stateAfterApply) CheckPlan(ctx context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	state, err := priorStateOf(req.Plan)
	if err != nil {
		resp.Error = fmt.Errorf("state checks: %w", err)
		return
	}
	var failed []error
	for _, check := range checks {
		var r statecheck.CheckStateResponse
		check.CheckState(ctx, statecheck.CheckStateRequest{State: state}, &r)
		failed = append(failed, r.Error)
	}
	if err := errors.Join(failed...); err != nil {
		resp.Error = fmt.Errorf("state after the apply: %w", err)
	}
}

// priorStateOf is a plan's prior state with its numbers as json.Number, as state checks expect
// them and as a terraform show of the state gives them; a saved plan's are float64.
func priorStateOf(plan *tfjson.Plan) (*tfjson.State, error) {
	if plan.PriorState == nil {
		return nil, errors.New("the plan has no prior state")
	}
	raw, err := json.Marshal(plan.PriorState)
	if err != nil {
		return nil, err
	}
	state := &tfjson.State{}
	state.UseJSONNumber(true)
	return state, state.UnmarshalJSON(raw)
}

// testEnv is the environment one test gives its provider.
type testEnv struct {
	mu   sync.Mutex
	vars map[string]string
}

func newTestEnv(vars map[string]string) *testEnv { return &testEnv{vars: vars} }

func (e *testEnv) get(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[name]
}

func (e *testEnv) unset(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.vars, name)
}

// casesAsSteps makes the cases of a table the steps of one test case, in the order of their names:
// a test case pays for its working directory, terraform init and the final destroy once, and a
// step pays only for its own plans and apply. stepsOf gets each case's position, from 0, to name
// its resources apart from the case before, whose resources leave the configuration.
func casesAsSteps[C any](t *testing.T, cases map[string]C, stepsOf func(i int, c C) []resource.TestStep) []resource.TestStep {
	t.Helper()
	var steps []resource.TestStep
	for i, name := range slices.Sorted(maps.Keys(cases)) {
		t.Logf("case %d, from step %d: %s", i, len(steps)+1, name)
		steps = append(steps, stepsOf(i, cases[name])...)
	}
	return steps
}

// fakeTime is the clock that a test's fake server and its provider share: the wall clock plus an
// offset that grows by every wait of the provider. A wait thus ends at once, and the task it
// waited for is as far along as it would be after waiting for real.
type fakeTime struct{ offset atomic.Int64 }

func (c *fakeTime) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.offset.Add(int64(max(d, 0)))
	return nil
}

// fakeTimes holds each test's fake time. A test whose fake reads a clock of its own, which it
// moves itself (to expire URLs, say), has none: its provider waits on the wall clock.
var fakeTimes sync.Map // *testing.T -> apimart.Clock

func fakeTimeOf(t *testing.T) apimart.Clock {
	stored, loaded := fakeTimes.LoadOrStore(t, &fakeTime{})
	if !loaded {
		t.Cleanup(func() { fakeTimes.Delete(t) })
	}
	clock, _ := stored.(apimart.Clock)
	return clock
}

// startFake starts a fake APIMart server with short tasks on the test's fake time; opts come
// after the defaults.
func startFake(t *testing.T, opts ...fakeapimart.Option) (*fakeapimart.Server, string) {
	t.Helper()
	clock := fakeTimeOf(t)
	probe := fakeapimart.Settings{Balances: map[string]float64{}, Prices: map[string]float64{}}
	for _, opt := range opts {
		opt(&probe)
	}
	if probe.Now != nil {
		fakeTimes.Store(t, nil)
	}
	defaults := func(set *fakeapimart.Settings) {
		set.Keys = []string{testAPIKey}
		set.TaskDuration = 300 * time.Millisecond
		if clock != nil {
			set.Now = clock.Now
		}
	}
	return fakeapimart.Start(t, append([]fakeapimart.Option{defaults}, opts...)...)
}

func providerConfig(baseURL string) string {
	return providerConfigWith(baseURL, "")
}

// providerConfigWith adds extra arguments to the test provider block.
func providerConfigWith(baseURL, extra string) string {
	return fmt.Sprintf(`
provider "apimart" {
  base_url   = %q
  api_key    = %q
  rate_limit = 0
  %s
}
`, baseURL, testAPIKey, extra)
}

// imageConfig is the test provider block and one image with the given body.
func imageConfig(baseURL, name, body string) string {
	return providerConfig(baseURL) + fmt.Sprintf(`
resource "apimart_image" %q {
%s
}
`, name, body)
}

func expectCompleted(address string) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(address, tfjsonpath.New("status"), knownvalue.StringExact("completed")),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("progress"), knownvalue.Int64Exact(100)),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("url"), knownvalue.StringRegexp(regexp.MustCompile(`^http://127\.0\.0\.1:\d+/.+\.png`))),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("task_id"), knownvalue.StringRegexp(regexp.MustCompile(`^task_01[0-9A-Z]{24}$`))),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("interrupted"), knownvalue.Bool(false)),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("expires_at"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
	}
}

// counts is what a test expects of the fake server's counters over the whole test, keyed by the
// counters' JSON names; counters left out are not checked.
type counts map[string]int64

// checkCounts is counts as a test step check, for a refresh step: it takes no state checks.
func checkCounts(fake *fakeapimart.Server, want counts) resource.TestCheckFunc {
	return func(*terraform.State) error { return want.compare(fake) }
}

// countsInPlan is counts as a plan check. A plan-only step needs it: plugin-testing calls a
// step's Check only after an apply, and after no step that failed as expected.
func countsInPlan(fake *fakeapimart.Server, want counts) plancheck.PlanCheck {
	return countsCheck{fake, want}
}

// countsInState is counts as a state check. State checks cost no terraform run of their own
// (checkStateOnThePlan), while a step's Check costs one that reads the state.
func countsInState(fake *fakeapimart.Server, want counts) statecheck.StateCheck {
	return countsCheck{fake, want}
}

// stateFunc is a state check written as a function of the state's attributes, for what the
// statecheck package cannot say: that the state agrees with the fake, the disk or the bucket.
type stateFunc func(attributes) error

func (f stateFunc) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(attributesOf(req.State))
}

// attributes are the attribute values of a state's resources, by address and then by name, as
// strings. A list's elements are name.0, name.1 and so on; a null is absent.
type attributes map[string]map[string]string

func attributesOf(state *tfjson.State) attributes {
	all := attributes{}
	if state == nil || state.Values == nil || state.Values.RootModule == nil {
		return all
	}
	for _, res := range state.Values.RootModule.Resources {
		values := map[string]string{}
		for name, value := range res.AttributeValues {
			flattenInto(values, name, value)
		}
		all[res.Address] = values
	}
	return all
}

func flattenInto(values map[string]string, name string, value any) {
	switch v := value.(type) {
	case nil:
	case []any:
		for i, element := range v {
			flattenInto(values, fmt.Sprintf("%s.%d", name, i), element)
		}
	case map[string]any:
		for key, element := range v {
			flattenInto(values, name+"."+key, element)
		}
	default:
		values[name] = fmt.Sprint(v)
	}
}

type countsCheck struct {
	fake *fakeapimart.Server
	want counts
}

func (c countsCheck) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = c.want.compare(c.fake)
}

func (c countsCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c.want.compare(c.fake)
}

// plansNothing is a step that plans config again and fails unless both of its plans, the second
// with a refresh, are empty and the fake's counters are then as wanted. A plan-only step costs
// half the terraform runs of an apply step whose plan is empty.
func plansNothing(config string, fake *fakeapimart.Server, want counts) resource.TestStep {
	return resource.TestStep{
		Config:           config,
		PlanOnly:         true,
		ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{countsInPlan(fake, want)}},
	}
}

// requireCounts is counts for tests that run terraform themselves, and for the step after one
// that failed as expected (in its PreConfig).
func requireCounts(t *testing.T, fake *fakeapimart.Server, want counts) {
	t.Helper()
	if err := want.compare(fake); err != nil {
		t.Fatal(err)
	}
}

// compare names every counter that differs from want, and gives the whole snapshot so that a
// failure shows what the server did instead.
func (want counts) compare(fake *fakeapimart.Server) error {
	got, err := counterSnapshot(fake)
	if err != nil {
		return err
	}
	var mismatches []string
	for name, n := range want {
		value, known := got[name]
		switch {
		case !known:
			mismatches = append(mismatches, fmt.Sprintf("%s is not a counter of the fake server", name))
		case value != n:
			mismatches = append(mismatches, fmt.Sprintf("%s = %d, want %d", name, value, n))
		}
	}
	if len(mismatches) == 0 {
		return nil
	}
	slices.Sort(mismatches)
	return fmt.Errorf("fake server counters: %s\nall counters: %v", strings.Join(mismatches, "; "), got)
}

func counterSnapshot(fake *fakeapimart.Server) (map[string]int64, error) {
	raw, err := json.Marshal(fake.Counters())
	if err != nil {
		return nil, err
	}
	var snapshot map[string]int64
	return snapshot, json.Unmarshal(raw, &snapshot)
}

func TestCountsNameEveryMismatchAndUnknownCounter(t *testing.T) {
	fake, _ := startFake(t)
	if err := (counts{"requests": 0, "tasks_created": 0}).compare(fake); err != nil {
		t.Fatalf("a fresh server should match zero counts: %v", err)
	}
	err := counts{"requests": 1, "submits": 0, "no_such_counter": 0}.compare(fake)
	if err == nil {
		t.Fatal("want an error for a wrong count and an unknown counter")
	}
	for _, want := range []string{"requests = 0, want 1", "no_such_counter is not a counter", "all counters: map["} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "submits = ") {
		t.Errorf("error %q names a counter that matched", err)
	}
}

// importByID is an import block that takes the task with id into state as address.
func importByID(address, id string) string {
	return fmt.Sprintf(`
import {
  to = %s
  id = %q
}
`, address, id)
}
