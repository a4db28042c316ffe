package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// These tests give the provider a canary key, drive it through successes, retries and every kind
// of error with TF_LOG=trace, and then search everything Terraform and the provider produced:
// stdout, stderr (which carries the trace logs of Terraform, the plugin SDK and the provider),
// the state files, the saved plan and, where it is safe, the raw protocol dump.
//
// Where the key does appear, it is Terraform's doing and outside the provider's reach; the tests
// leave out exactly those places, and say why:
//
//   - A saved plan file stores the values of input variables, so a key passed as a variable is in
//     it, and in `terraform show -json` of it. A key written literally in the configuration is in
//     the plan's copy of the configuration and in the same JSON (as a constant_value).
//   - TF_LOG_SDK_PROTO_DATA_DIR, a debugging switch of terraform-plugin-go that is off unless set,
//     writes every request's raw data to files, the provider configuration included. Its trace
//     logging (TF_LOG=trace) prints no values, and no option of the framework or of tflog changes
//     what the dump writes. A key from APIMART_API_KEY never enters the protocol, so it is not in
//     the dump either; the environment test proves that.

const canaryKey = "sk-CANARY-4be1c3d2f09a7e65"

// echoKeyServer answers every request with a 401 that quotes the bearer token, once raw and once
// JSON-escaped, as a careless gateway might.
func echoKeyServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		var escaped strings.Builder
		for _, c := range token {
			fmt.Fprintf(&escaped, `\u%04x`, c)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"code":401,"message":"invalid token `+token+` (`+escaped.String()+`)","type":"`+escaped.String()+`"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// canaryRun collects what one scenario produced, to be searched for the key.
type canaryRun struct {
	w      *tfharness.Workspace
	output strings.Builder
}

// terraform runs a command that should succeed, or, when wantError is set, fail with that
// diagnostic summary.
func (c *canaryRun) terraform(t *testing.T, wantError string, args ...string) {
	t.Helper()
	r := c.w.Run(context.Background(), args...)
	c.output.WriteString(r.Stdout)
	c.output.WriteString(r.Stderr)
	failedAsExpected := r.Err != nil && wantError != "" && strings.Contains(r.Stderr, "Error: "+wantError)
	if (r.Err == nil && wantError == "") || failedAsExpected {
		return
	}
	t.Fatalf("terraform %s: error %v, want error %q\nstdout:\n%s\nstderr (last 4000 bytes):\n%s",
		strings.Join(args, " "), r.Err, wantError, r.Stdout, tail(r.Stderr, 4000))
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// canaryScenario runs plan, apply, a failing apply and a refresh with trace logging, through a
// 429 and 502s that make the client log retries, a failed task, an ambiguous submit and a server
// that echoes the key. providerBlock configures the key; baseURL comes from the environment.
func canaryScenario(t *testing.T, env map[string]string, providerBlock string) *canaryRun {
	t.Helper()
	skipWithoutTFAcc(t)
	fake, baseURL := startFake(t, func(set *fakeapimart.Settings) { set.Keys = []string{canaryKey} })
	echoURL := echoKeyServer(t)
	env[EnvBaseURL] = baseURL
	env["TF_LOG"] = "trace"
	run := &canaryRun{w: tfharness.NewWorkspace(t, env)}
	images := func(names ...string) string {
		var b strings.Builder
		for _, n := range names {
			b.WriteString(faultImage(n))
		}
		return b.String()
	}

	run.w.WriteConfig(t, requiredProviders+providerBlock+images("a", "b"))
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextSubmits = fakeapimart.SubmitFault{N: 1, Status: 429, RetryAfter: time.Second}
	})
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTaskReads = fakeapimart.ReadFault{N: 2, Kind: fakeapimart.ReadStatus, Status: 502}
	})
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextTasks = fakeapimart.TaskOutcome{N: 1, Status: "failed", Error: &fakeapimart.TaskError{Code: 500, Message: "upstream refused"}}
	})
	run.terraform(t, "", "plan", "-no-color", "-out=canary.tfplan")
	run.terraform(t, "", "show", "-no-color", "canary.tfplan")
	run.terraform(t, "Image generation failed", "apply", "-no-color", "canary.tfplan")

	run.w.WriteConfig(t, requiredProviders+providerBlock+images("a", "b", "c"))
	fake.Configure(func(set *fakeapimart.Settings) {
		set.FailNextSubmits = fakeapimart.SubmitFault{N: 1, Status: 500, CreateTask: true}
	})
	run.terraform(t, "Image request may have been charged", "apply", "-no-color", "-auto-approve")

	echoing := strings.Replace(providerBlock, "provider \"apimart\" {", "provider \"apimart\" {\n  base_url = \""+echoURL+"\"", 1)
	run.w.WriteConfig(t, requiredProviders+echoing+images("a", "b", "c", "d"))
	run.terraform(t, "APIMart rejected the API key", "apply", "-no-color", "-auto-approve")
	run.terraform(t, "", "refresh", "-no-color")
	run.terraform(t, "", "show", "-no-color")
	run.terraform(t, "", "show", "-json")

	// The searches below are meaningful only if the run went through the paths they cover.
	for _, want := range []string{
		"APIMart request", "retrying APIMart request", "Bearer [REDACTED]", "ConfigureProvider", "ApplyResourceChange",
		"Image generation failed", "Image request may have been charged", "APIMart rejected the API key", "[REDACTED]",
	} {
		if !strings.Contains(run.output.String(), want) {
			t.Errorf("the output lacks %q, so the scenario did not cover what it should", want)
		}
	}
	if c := fake.Counters(); c.RateLimited == 0 || c.Faults < 4 || c.TasksCreated < 3 {
		t.Errorf("the fake served %d 429s and %d faults, made %d tasks; the scenario did not run as planned", c.RateLimited, c.Faults, c.TasksCreated)
	}
	return run
}

// searchForKey fails the test for every place the canary key appears.
func searchForKey(t *testing.T, what string, content []byte) {
	t.Helper()
	if bytes.Contains(content, []byte(canaryKey)) {
		i := bytes.Index(content, []byte(canaryKey))
		t.Errorf("%s contains the key: ...%s...", what, content[max(0, i-200):min(len(content), i+100)])
	}
}

// searchFiles searches every file under dir, and the files inside zip archives such as saved
// plans, except those skip names.
func searchFiles(t *testing.T, dir string, skip func(name string) bool) int {
	t.Helper()
	searched := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || skip(d.Name()) {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		searched++
		searchForKey(t, path, content)
		if archive, err := zip.NewReader(bytes.NewReader(content), int64(len(content))); err == nil {
			for _, f := range archive.File {
				rc, err := f.Open()
				if err != nil {
					return err
				}
				inner, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return err
				}
				searchForKey(t, path+"!"+f.Name, inner)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return searched
}

func TestAccSecrets_keyFromEnvironment(t *testing.T) {
	t.Parallel()
	protoDir := t.TempDir()
	run := canaryScenario(t, map[string]string{EnvAPIKey: canaryKey, "TF_LOG_SDK_PROTO_DATA_DIR": protoDir},
		"\nprovider \"apimart\" {\n}\n")
	run.terraform(t, "", "show", "-json", "canary.tfplan")

	searchForKey(t, "terraform's stdout and stderr (with TF_LOG=trace)", []byte(run.output.String()))
	if n := searchFiles(t, run.w.Dir, func(string) bool { return false }); n < 3 {
		t.Errorf("searched only %d files in the working directory; the state and the plan should be there", n)
	}
	if n := searchFiles(t, protoDir, func(string) bool { return false }); n == 0 {
		t.Error("TF_LOG_SDK_PROTO_DATA_DIR received no files, so the protocol dump was not searched")
	}
}

func TestAccSecrets_keyFromVariable(t *testing.T) {
	t.Parallel()
	run := canaryScenario(t, map[string]string{"TF_VAR_apimart_key": canaryKey}, `
variable "apimart_key" {
  type      = string
  sensitive = true
}

provider "apimart" {
  api_key = var.apimart_key
}
`)
	searchForKey(t, "terraform's stdout and stderr (with TF_LOG=trace)", []byte(run.output.String()))
	// The saved plan holds variable values by Terraform's design; see the comment at the top.
	isPlan := func(name string) bool { return strings.HasSuffix(name, ".tfplan") }
	if n := searchFiles(t, run.w.Dir, isPlan); n < 2 {
		t.Errorf("searched only %d files in the working directory; the state should be there", n)
	}
}

// The client's log lines reach tflog with the key masked, even when the key is in a URL (a task
// id pasted by mistake) and in a transport error.
func TestClientLogLinesMaskTheKey(t *testing.T) {
	var logs bytes.Buffer
	ctx := maskKey(tflogtest.RootLogger(context.Background(), &logs), canaryKey)
	client := newFailingClient(t)
	if _, err := client.GetTask(ctx, "task-"+canaryKey); err == nil {
		t.Fatal("GetTask succeeded against a server that only fails")
	}
	text := logs.String()
	for _, want := range []string{"APIMart request", "retrying APIMart request", "APIMart request failed", "***"} {
		if !strings.Contains(text, want) {
			t.Errorf("the logs lack %q:\n%s", want, text)
		}
	}
	searchForKey(t, "the provider's log lines", logs.Bytes())
}

// newFailingClient points a client at a server that answers 502 once, then drops every connection.
func newFailingClient(t *testing.T) *apimart.Client {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if hijacker, ok := w.(http.Hijacker); ok {
			if conn, _, err := hijacker.Hijack(); err == nil {
				conn.Close()
			}
		}
	}))
	t.Cleanup(srv.Close)
	client, err := apimart.NewClient(apimart.Config{
		BaseURL: srv.URL, APIKey: canaryKey, MaxRetries: 2,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond, Logger: tflogLogger{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// Parallel resources share one client; each log line must carry the fields of the request it
// belongs to, not those of another request or of Configure. Run with -race.
func TestClientLogLinesCarryTheirRequestContext(t *testing.T) {
	var logs bytes.Buffer
	root := tflogtest.RootLogger(context.Background(), &logs)
	client := newFailingClient(t)
	const requests = 4
	var wg sync.WaitGroup
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := maskKey(tflog.SetField(root, "tf_req_id", fmt.Sprintf("req-%d", i)), canaryKey)
			_, _ = client.GetTask(ctx, fmt.Sprintf("task-%d", i))
		}()
	}
	wg.Wait()
	entries, err := tflogtest.MultilineJSONDecode(&logs)
	if err != nil || len(entries) < requests {
		t.Fatalf("decoded %d log entries (%v), want at least %d", len(entries), err, requests)
	}
	for _, e := range entries {
		id, _ := e["tf_req_id"].(string)
		path, _ := e["path"].(string)
		if id == "" {
			t.Errorf("a client log line carries no request id: %v", e)
		}
		if path != "" && !strings.HasSuffix(path, "task-"+strings.TrimPrefix(id, "req-")) {
			t.Errorf("a line for %q carries request id %q", path, id)
		}
	}
	searchForKey(t, "the provider's log lines", logs.Bytes())
}
