package provider

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// The fault matrix through Terraform: each test injects one fault with the fake server's knobs
// and checks what the user sees, what is in state, and how many paid tasks the server made.
// FAULT_MATRIX.md maps every row of the fault matrix to these tests and the client's.

// faultImage is an image whose prompt names its fault.
func faultImage(name string) string {
	return fmt.Sprintf(`
resource "apimart_image" %q {
  prompt = "fault matrix: %s"
}
`, name, name)
}

// words matches a phrase however Terraform wraps it and frames it in a diagnostic box.
func words(phrase string) string {
	return strings.Join(strings.Fields(regexp.QuoteMeta(phrase)), `[\s│]+`)
}

func errorWith(phrases ...string) *regexp.Regexp {
	parts := make([]string, len(phrases))
	for i, p := range phrases {
		parts[i] = words(p)
	}
	return regexp.MustCompile(strings.Join(parts, `(.|\n)*`))
}

// notInState checks, in a plan-only step after a failed apply, that the failure left nothing in
// state: the image is still to be created, neither tainted nor half-written.
func notInState(address string) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(address, plancheck.ResourceActionCreate),
	}}
}

// Refusals that say no task was made (429, 408, 503) are retried, and exactly one task is paid.
func TestAccFault_submitRetriedUntilAccepted(t *testing.T) {
	cases := map[string]fakeapimart.SubmitFault{
		"429 with Retry-After":    {Status: 429, RetryAfter: time.Second},
		"429 without Retry-After": {Status: 429},
		"408":                     {Status: 408},
		"503":                     {Status: 503},
	}
	parallelUnitTest(t, resource.TestCase{Steps: casesAsSteps(t, cases, func(i int, fault fakeapimart.SubmitFault) []resource.TestStep {
		fake, baseURL := startFake(t)
		fake.Configure(func(set *fakeapimart.Settings) {
			set.FailNextSubmits = fault
			set.FailNextSubmits.N = 1
		})
		name := fmt.Sprintf("retried%d", i)
		return []resource.TestStep{{
			Config: providerConfig(baseURL) + faultImage(name),
			ConfigStateChecks: append(expectCompleted("apimart_image."+name),
				countsInState(fake, counts{"submits": 2, "tasks_created": 1}),
				checkStateMatchesOnlyTask(fake, "apimart_image."+name)),
		}}
	})})
}

// A Retry-After that ends after the create timeout is not waited for: the apply fails at once
// with advice, and nothing was paid.
func TestAccFault_submitRetryAfterPastTheTimeout(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextSubmits = fakeapimart.SubmitFault{N: 1, Status: 429, RetryAfter: 10 * time.Minute}
	})
	config := providerConfig(baseURL) + `
resource "apimart_image" "limited" {
  prompt = "rate limited"
  timeouts {
    create = "1m"
  }
}
`
	var began time.Time
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				PreConfig:   func() { began = time.Now() },
				Config:      config,
				ExpectError: errorWith("APIMart rate limit reached", "rate_limit", "-parallelism"),
			},
			{
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks:   notInState("apimart_image.limited"),
			},
		},
		CheckDestroy: func(*terraform.State) error {
			// Waiting out the server's ten minutes, or the create timeout, would take a minute at least.
			if took := time.Since(began); took > 45*time.Second {
				return fmt.Errorf("the test took %s; the apply should have given up at once", took)
			}
			return counts{"submits": 1, "tasks_created": 0}.compare(fake)
		},
	})
}

// A failure after the submit may have reached the server is never retried: the user is told that
// a task may exist (and may be charged), and state holds nothing half-written. The client's fault
// matrix proves each such status (500, 502, 504); here one of them and a reset, the two ways it
// reaches the provider (a status and a transport error), go through Terraform.
func TestAccFault_submitMayHaveCreatedATask(t *testing.T) {
	cases := map[string]fakeapimart.SubmitFault{
		"502":                             {Status: 502, CreateTask: true},
		"reset after the submit was sent": {Reset: true},
	}
	var fakes []*fakeapimart.Server
	steps := casesAsSteps(t, cases, func(i int, fault fakeapimart.SubmitFault) []resource.TestStep {
		fake, baseURL := startFake(t)
		fake.Configure(func(set *fakeapimart.Settings) {
			set.FailNextSubmits = fault
			set.FailNextSubmits.N = 1
		})
		fakes = append(fakes, fake)
		name := fmt.Sprintf("ambiguous%d", i)
		config := providerConfigWith(baseURL, "max_retries = 5") + faultImage(name)
		return []resource.TestStep{
			{
				Config:      config,
				ExpectError: errorWith("Image request may have been charged", "a task may have been created", "nothing was saved in state"),
			},
			{
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks:   notInState("apimart_image." + name),
			},
		}
	})
	parallelUnitTest(t, resource.TestCase{
		Steps: steps,
		// One submit each, never retried; each server did create (and charge) a task, and
		// neither the later cases nor the destroy sent it anything.
		CheckDestroy: func(*terraform.State) error {
			for _, fake := range fakes {
				if err := (counts{"submits": 1, "tasks_created": 1}).compare(fake); err != nil {
					return err
				}
			}
			return nil
		},
	})
}

// Faults while polling are retried and the apply succeeds with the one task it paid for.
// The client's fault matrix proves every status it retries (500, 502, 503, 504, 429); through
// Terraform, one status stands for them beside each other kind of fault.
func TestAccFault_readFaultsDuringApply(t *testing.T) {
	cases := map[string]readFaultCase{
		"503":            {fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadStatus, Status: 503}, faults: 2},
		"HTML 502 page":  {fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadNonJSON, Status: 502}, faults: 2},
		"slow answers":   {fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadSlow, Delay: 5 * time.Second}, faults: 2, extra: `request_timeout = "1s"`},
		"malformed JSON": {fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadMalformed}, faults: 1},
		"resets":         {fault: fakeapimart.ReadFault{Kind: fakeapimart.ReadReset}, faults: 2},
	}
	parallelUnitTest(t, resource.TestCase{Steps: casesAsSteps(t, cases, func(i int, tc readFaultCase) []resource.TestStep {
		fake, baseURL := startFake(t)
		fake.Configure(func(set *fakeapimart.Settings) {
			set.FailNextTaskReads = tc.fault
			set.FailNextTaskReads.N = tc.faults
		})
		name := fmt.Sprintf("polled%d", i)
		return []resource.TestStep{{
			Config: providerConfigWith(baseURL, tc.extra) + faultImage(name),
			ConfigStateChecks: append(expectCompleted("apimart_image."+name),
				checkStateMatchesOnlyTask(fake, "apimart_image."+name),
				countsInState(fake, counts{"faults": int64(tc.faults), "submits": 1}),
				stateFunc(func(attributes) error {
					if c := fake.Counters(); c.TaskReads <= int64(tc.faults) {
						return fmt.Errorf("server answered %d task reads with %d faults among them; want more reads than faults", c.TaskReads, tc.faults)
					}
					return nil
				})),
		}}
	})})
}

type readFaultCase struct {
	fault  fakeapimart.ReadFault
	faults int
	extra  string
}

// An answer far over the size cap is read only in part and named in the error; the task stays in
// state and the next apply collects it. The create timeout ends the wait, so this runs on the wall
// clock, with TF_ACC.
func TestAccFault_hugeTaskAnswer(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTaskReads = fakeapimart.ReadFault{N: 1000, Kind: fakeapimart.ReadHuge}
	})
	config := func(timeout string) string {
		return imageConfig(baseURL, "huge", createTimeoutBody("answered with 32 MiB", timeout))
	}
	parallelAccTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config:      config("2s"),
				ExpectError: errorWith("waiting", "larger than the client accepts"),
			},
			{
				PreConfig: func() {
					fake.Configure(func(set *fakeapimart.Settings) {
						set.FailNextTaskReads = fakeapimart.ReadFault{N: 0}
					})
				},
				Config:            config("1m"),
				ConfigStateChecks: append(expectCompleted("apimart_image.huge"), checkStateMatchesOnlyTask(fake, "apimart_image.huge")),
			},
		},
	})
}

// A failed task keeps its id and the API's error in state, so nothing paid is forgotten; the
// next plan replaces it.
func TestAccFault_failedTaskKeepsItsIDInState(t *testing.T) {
	fake, baseURL := startFake(t)
	const message = "the prompt was refused by the safety system"
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTasks = fakeapimart.TaskOutcome{N: 1, Status: "failed",
			Error: &fakeapimart.TaskError{Code: 451, Message: message, Type: "moderation_error"}}
	})
	config := providerConfig(baseURL) + faultImage("refused")
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: config, ExpectError: errorWith("Image generation failed", message)},
			{
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					stateAfterApply{
						checkStateMatchesOnlyTask(fake, "apimart_image.refused"),
						statecheck.ExpectKnownValue("apimart_image.refused", tfjsonpath.New("status"), knownvalue.StringExact("failed")),
						statecheck.ExpectKnownValue("apimart_image.refused", tfjsonpath.New("error_message"), knownvalue.StringExact(message)),
						statecheck.ExpectKnownValue("apimart_image.refused", tfjsonpath.New("error_code"), knownvalue.StringExact("451")),
						statecheck.ExpectKnownValue("apimart_image.refused", tfjsonpath.New("interrupted"), knownvalue.Bool(false)),
					},
					plancheck.ExpectResourceAction("apimart_image.refused", plancheck.ResourceActionDestroyBeforeCreate),
				}},
			},
		},
	})
}

// A status the API may add one day is kept verbatim and waited on until the timeout, without a
// crash; the task stays in state for the next apply. The timeout is real time, hence TF_ACC.
func TestAccFault_unknownTaskStatus(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTasks = fakeapimart.TaskOutcome{N: 1, Status: "quarantined"}
	})
	config := providerConfig(baseURL) + `
resource "apimart_image" "odd" {
  prompt = "ends in a status nobody documented"
  timeouts {
    create = "2s"
  }
}
`
	parallelAccTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: config, ExpectError: errorWith("Timed out waiting for the image", `"quarantined"`)},
			{
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					stateAfterApply{
						checkStateMatchesOnlyTask(fake, "apimart_image.odd"),
						statecheck.ExpectKnownValue("apimart_image.odd", tfjsonpath.New("status"), knownvalue.StringExact("quarantined")),
						statecheck.ExpectKnownValue("apimart_image.odd", tfjsonpath.New("interrupted"), knownvalue.Bool(true)),
					},
					countsInPlan(fake, counts{"tasks_created": 1}),
				}},
			},
		},
	})
}

// A rejected key is reported once, naming where the key came from, and never retried.
func TestAccFault_unauthorizedNamesTheKeySource(t *testing.T) {
	t.Parallel()
	const revoked = "sk-revoked-0000000000"
	run := func(t *testing.T, env map[string]string, providerBlock, source string) {
		fake, baseURL := startFake(t)
		parallelUnitTestWithEnv(t, newTestEnv(env), resource.TestCase{
			Steps: []resource.TestStep{{
				Config:      fmt.Sprintf(providerBlock, baseURL) + faultImage("denied"),
				ExpectError: errorWith("APIMart rejected the API key", "The key came from "+source, "not retried"),
			}},
		})
		requireCounts(t, fake, counts{"requests": 1, "unauthorized": 1, "tasks_created": 0})
	}
	t.Run("key from configuration", func(t *testing.T) {
		run(t, nil, `
provider "apimart" {
  base_url    = %q
  api_key     = "`+revoked+`"
  max_retries = 10
}
`, "the provider's api_key argument")
	})
	t.Run("key from the environment", func(t *testing.T) {
		run(t, map[string]string{EnvAPIKey: revoked}, `
provider "apimart" {
  base_url    = %q
  max_retries = 10
}
`, "the "+EnvAPIKey+" environment variable")
	})
}

// A 403 on submit is a refusal: reported with the key's source, not retried, nothing paid.
func TestAccFault_forbiddenSubmit(t *testing.T) {
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.FailNextSubmits = fakeapimart.SubmitFault{N: 1, Status: 403} })
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:      providerConfigWith(baseURL, "max_retries = 10") + faultImage("forbidden"),
			ExpectError: errorWith("Access denied by APIMart", "the provider's api_key argument"),
		}},
		CheckDestroy: checkCounts(fake, counts{"submits": 1, "tasks_created": 0}),
	})
}

// Each way of not reaching the API fails clearly, says that nothing was paid for, and ends within
// the request timeout rather than the 60 s default. Name lookups and timeouts are real, hence TF_ACC.
func TestAccFault_unreachableAPI(t *testing.T) {
	cases := map[string]unreachableCase{
		"closed port":           {baseURL: fakeapimart.ClosedPortURL, want: "connection refused"},
		"DNS failure":           {baseURL: func(testing.TB) string { return "https://apimart-fault-matrix.invalid" }, want: "apimart-fault-matrix.invalid"},
		"untrusted certificate": {baseURL: untrustedTLSServer, want: "certificate"},
		"no TLS handshake":      {baseURL: silentServer, want: "request timeout"},
	}
	// Each case's plan and failing apply, with a 2 s request timeout, ends well within 30 s; the
	// default timeout would take 60 s. The next case, or the destroy, checks the one before.
	var began time.Time
	tookLittle := func() error {
		if took := time.Since(began); took > 30*time.Second {
			return fmt.Errorf("the failing apply took %s; request_timeout was 2s", took)
		}
		return nil
	}
	steps := casesAsSteps(t, cases, func(i int, tc unreachableCase) []resource.TestStep {
		baseURL := tc.baseURL(t)
		return []resource.TestStep{{
			PreConfig: func() {
				if err := tookLittle(); i > 0 && err != nil {
					t.Error(err)
				}
				began = time.Now()
			},
			Config:      providerConfigWith(baseURL, "max_retries = 0\n  request_timeout = \"2s\"") + faultImage(fmt.Sprintf("unreachable%d", i)),
			ExpectError: errorWith("Unable to submit the image request", "no task was created", tc.want),
		}}
	})
	parallelAccTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps:                    steps,
		CheckDestroy:             func(*terraform.State) error { return tookLittle() },
	})
}

type unreachableCase struct {
	baseURL func(tb testing.TB) string
	want    string
}

func untrustedTLSServer(tb testing.TB) string {
	return fakeapimart.StartUntrustedTLS(tb, func(set *fakeapimart.Settings) { set.Keys = []string{testAPIKey} })
}

func silentServer(tb testing.TB) string {
	addr, _ := fakeapimart.SilentListener(tb, "127.0.0.1:0")
	return "https://" + addr
}

// Plain http to a host other than loopback is refused before any connection: a listener on this
// machine's own network address sees none. That address is not loopback, hence TF_ACC.
func TestAccFault_plainHTTPToRemoteHostSendsNothing(t *testing.T) {
	ip := nonLoopbackIPv4(t)
	addr, accepted := fakeapimart.SilentListener(t, net.JoinHostPort(ip, "0"))
	parallelAccTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config:      providerConfigWith("http://"+addr, "") + faultImage("cleartext"),
			ExpectError: errorWith("Invalid APIMart base URL", "clear text"),
		}},
	})
	if n := accepted.Load(); n != 0 {
		t.Errorf("the provider opened %d connections to a plain-http base_url it refused", n)
	}
}

func nonLoopbackIPv4(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ipNet, ok := a.(*net.IPNet); ok && ipNet.IP.To4() != nil && !ipNet.IP.IsLoopback() {
			return ipNet.IP.String()
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address to listen on")
	return ""
}

// Fifty images at -parallelism=20 against a server that allows 20 requests a second, with the
// provider's own limiter set above that: every image is made, each exactly once.
func TestAccFault_rateLimitedServerFiftyImages(t *testing.T) {
	t.Parallel()
	const images = 50
	fake, baseURL := startFake(t)
	fake.Configure(func(set *fakeapimart.Settings) { set.RateLimit = fakeapimart.RateLimit{PerSecond: 40, Burst: 10} })
	w := cliWorkspace(t, baseURL, fmt.Sprintf(`
provider "apimart" {
  rate_limit  = 80
  max_retries = 10
}

resource "apimart_image" "crowd" {
  count  = %d
  prompt = "one of a crowd, number ${count.index}"
}
`, images))
	began := time.Now()
	w.MustRun(t, "apply", "-auto-approve", "-no-color", "-parallelism=20")
	t.Logf("apply of %d images took %s; the server answered 429 %d times", images, time.Since(began), fake.Counters().RateLimited)

	var inState []string
	for address, res := range w.Resources(t) {
		if res.AttributeValues["status"] != "completed" || res.AttributeValues["url"] == nil || res.Tainted {
			t.Errorf("%s: status %v, url %v, tainted %v", address, res.AttributeValues["status"], res.AttributeValues["url"], res.Tainted)
		}
		inState = append(inState, fmt.Sprint(res.AttributeValues["task_id"]))
	}
	var onServer []string
	for _, task := range fake.Tasks() {
		onServer = append(onServer, task.ID)
	}
	slices.Sort(inState)
	slices.Sort(onServer)
	if len(inState) != images || !slices.Equal(inState, onServer) {
		t.Errorf("state holds %d tasks, the server made %d; want the same %d", len(inState), len(onServer), images)
	}
	if fake.Counters().RateLimited == 0 {
		t.Error("server never answered 429; want some 429s")
	}
	requireCounts(t, fake, counts{"tasks_created": images})
}

// A refresh keeps images the API has forgotten; see TestAccImage_refreshWithoutAPICalls. This
// variant forgets them while an unfinished one waits in state, tainted by its timeout: it is
// replaced, with one new task, since no paid result can come of the old one. Its first apply must time out, in real time (TF_ACC).
func TestAccFault_forgottenUnfinishedTaskIsRecreated(t *testing.T) {
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.TaskDuration = 10 * time.Second })
	withTimeout := func(timeout string) string {
		return imageConfig(baseURL, "lost", createTimeoutBody("forgotten while running", timeout))
	}
	parallelAccTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{Config: withTimeout("1s"), ExpectError: errorWith("Timed out waiting for the image")},
			{
				PreConfig: func() {
					fake.ForgetAllTasks()
					fake.Configure(func(set *fakeapimart.Settings) { set.TaskDuration = 300 * time.Millisecond })
				},
				Config: withTimeout("1m"),
				ConfigStateChecks: append(expectCompleted("apimart_image.lost"),
					statecheck.ExpectKnownValue("apimart_image.lost", tfjsonpath.New("interrupted"), knownvalue.Bool(false)),
					countsInState(fake, counts{"tasks_created": 2})),
			},
		},
	})
}

// Malformed user input is a fault too: the targets below feed any value to the provider's own
// validation and configuration.

// FuzzProviderConfigure runs Configure on any provider arguments that HCL can express. An error must name its real cause.
func FuzzProviderConfigure(f *testing.F) {
	f.Add("sk-key", "https://api.apimart.ai", int64(4), 10.0, "60s")
	f.Add("", "http://127.0.0.1:1", int64(0), 0.0, "1ms")
	f.Add("   ", "https://api.apimart.ai", int64(20), 5.0, "2m")
	f.Add("sk-key", "https://api.apimart.ai", int64(20), math.Inf(1), "2m")
	f.Add("sk-key", "http://api.example.com", int64(-1), -1.0, "-5s")
	f.Add("sk-key", "https://h/?q=1", int64(3), 1e-300, "1e9h")
	p := New("fuzz")()
	var schemaResp provider.SchemaResponse
	p.Schema(context.Background(), provider.SchemaRequest{}, &schemaResp)
	f.Fuzz(func(t *testing.T, apiKey, baseURL string, retries int64, rateLimit float64, timeout string) {
		if math.IsNaN(rateLimit) {
			return // HCL has no NaN
		}
		raw := tftypes.NewValue(schemaResp.Schema.Type().TerraformType(context.Background()), map[string]tftypes.Value{
			"api_key":               tftypes.NewValue(tftypes.String, apiKey),
			"base_url":              tftypes.NewValue(tftypes.String, baseURL),
			"max_retries":           tftypes.NewValue(tftypes.Number, new(big.Float).SetInt64(retries)),
			"rate_limit":            tftypes.NewValue(tftypes.Number, big.NewFloat(rateLimit)),
			"request_timeout":       tftypes.NewValue(tftypes.String, timeout),
			"allow_unlisted_models": tftypes.NewValue(tftypes.Bool, nil),
		})
		var resp provider.ConfigureResponse
		p.Configure(context.Background(), provider.ConfigureRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: raw}}, &resp)
		if math.IsInf(rateLimit, 0) {
			// HCL's 1/0: the framework refuses it while converting the configuration, before
			// any code of ours runs, with its own (misleading) "Value Conversion Error".
			if !resp.Diagnostics.HasError() {
				t.Fatal("an infinite rate_limit was accepted")
			}
			return
		}

		_, urlErr := apimart.ParseBaseURL(baseURL)
		d, durErr := time.ParseDuration(timeout)
		timeoutBad := durErr != nil || d <= 0
		summaries := map[string]bool{}
		for _, d := range resp.Diagnostics.Errors() {
			summaries[d.Summary()] = true
		}
		if summaries["Invalid APIMart base URL"] != (urlErr != nil) {
			t.Fatalf("base_url %q (parse error %v) gave diagnostics %v", baseURL, urlErr, resp.Diagnostics)
		}
		if summaries["Invalid request timeout"] != timeoutBad {
			t.Fatalf("request_timeout %q gave diagnostics %v", timeout, resp.Diagnostics)
		}
		if !resp.Diagnostics.HasError() {
			data, ok := resp.ResourceData.(*providerData)
			if !ok {
				t.Fatalf("Configure handed over %T", resp.ResourceData)
			}
			if (data.client != nil) != (strings.TrimSpace(apiKey) != "") {
				t.Fatalf("key %q: client built %v", apiKey, data.client != nil)
			}
		}
	})
}

// FuzzImageConfigValidation checks plan-time validation against the catalog for any value, known
// or not, and that every problem points at an attribute the resource has.
func FuzzImageConfigValidation(f *testing.F) {
	for _, m := range apimart.Models() {
		f.Add(m.ID, "a lighthouse", m.DefaultSize, m.Counts[0], uint8(0))
	}
	f.Add("", "", "", int64(0), uint8(0))
	f.Add("gpt-4o-image", strings.Repeat("字", 1001), "16:9", int64(3), uint8(0))
	f.Add("dall-e-9", "x", "1:1", int64(1), uint8(0b1010))
	var schemaResp fwresource.SchemaResponse
	NewImageResource().Schema(context.Background(), fwresource.SchemaRequest{}, &schemaResp)
	f.Fuzz(func(t *testing.T, model, prompt, size string, n int64, unknown uint8) {
		config := imageResourceModel{
			Model:  stringInput(model, unknown&1 != 0, unknown&16 != 0),
			Prompt: stringInput(prompt, unknown&2 != 0, false),
			Size:   stringInput(size, unknown&4 != 0, unknown&32 != 0),
			N:      types.Int64Value(n),
		}
		if unknown&8 != 0 {
			config.N = types.Int64Unknown()
		}
		problems := validateImageConfig(config)
		seen := map[string]bool{}
		for _, p := range problems {
			if _, ok := schemaResp.Schema.Attributes[p.Field]; !ok || seen[p.Field] || p.Summary == "" || p.Detail == "" {
				t.Fatalf("problem %+v: it must name a distinct attribute of the resource and explain itself", p)
			}
			seen[p.Field] = true
		}
		if config.Model.IsUnknown() {
			if len(problems) != 0 {
				t.Fatalf("an unknown model gave problems %+v", problems)
			}
			return
		}
		modelID := apimart.DefaultModel
		if !config.Model.IsNull() {
			modelID = model
		}
		m, ok := apimart.LookupModel(modelID)
		if !ok {
			if len(problems) != 1 || problems[0].Field != apimart.FieldModel {
				t.Fatalf("unknown model %q gave %+v", modelID, problems)
			}
			return
		}
		known := func(v interface {
			IsUnknown() bool
			IsNull() bool
		}) bool {
			return !v.IsUnknown() && !v.IsNull()
		}
		// An empty size and n = 0 are refused by the schema's validators before this check runs.
		want := map[string]bool{
			apimart.FieldPrompt: known(config.Prompt) && len(m.ValidatePrompt(prompt)) > 0,
			apimart.FieldSize: known(config.Size) && size != "" &&
				(len(m.ValidateSize(size)) > 0 || slices.Contains(m.SizesNeedingReferences, size)),
			apimart.FieldN: known(config.N) && n != 0 && !slices.Contains(m.Counts, n),
		}
		for field, bad := range want {
			if seen[field] != bad {
				t.Fatalf("%s: problem %v, want %v (problems %+v)", field, seen[field], bad, problems)
			}
		}
	})
}

func stringInput(value string, unknown, null bool) types.String {
	switch {
	case unknown:
		return types.StringUnknown()
	case null:
		return types.StringNull()
	}
	return types.StringValue(value)
}
