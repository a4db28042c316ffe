// Package tfharness runs the real terraform binary against a freshly built provider, for the
// tests and benchmarks that need what terraform-plugin-testing cannot do: untaint, -replace,
// signals, and timing whole commands.
package tfharness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// ProviderDir builds the provider binary once per process and returns the directory holding it,
// ready for a dev_overrides entry.
func ProviderDir(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = buildProvider()
	})
	if buildErr != nil {
		tb.Fatalf("building the provider: %v", buildErr)
	}
	return buildDir
}

func buildProvider() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "apimart-provider-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-apimart"), ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return dir, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// Workspace is a terraform working directory wired to the built provider through dev_overrides,
// so no terraform init (and no registry) is needed.
type Workspace struct {
	Dir string
	env []string
}

// NewWorkspace creates a workspace in a temporary directory. env adds variables such as
// APIMART_API_KEY to every command.
func NewWorkspace(tb testing.TB, env map[string]string) *Workspace {
	tb.Helper()
	dir := tb.TempDir()
	cliConfig := filepath.Join(dir, ".terraformrc")
	overrides := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n",
		"apimart/apimart", ProviderDir(tb))
	if err := os.WriteFile(cliConfig, []byte(overrides), 0o600); err != nil {
		tb.Fatal(err)
	}
	w := &Workspace{Dir: dir}
	w.env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	for k, v := range env {
		w.env = append(w.env, k+"="+v)
	}
	return w
}

// WriteConfig replaces main.tf.
func (w *Workspace) WriteConfig(tb testing.TB, hcl string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(hcl), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// Binary is the terraform or tofu binary to run: the one terraform-plugin-testing is told to use in
// TF_ACC_TERRAFORM_PATH, so that one variable moves every test to another CLI, else terraform on PATH.
func Binary() string {
	if path := os.Getenv("TF_ACC_TERRAFORM_PATH"); path != "" {
		return path
	}
	return "terraform"
}

// Result is what one terraform command printed.
type Result struct {
	Stdout, Stderr string
	Err            error
}

// Command prepares a terraform command without starting it, for callers that send signals.
func (w *Workspace) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, Binary(), args...)
	cmd.Dir = w.Dir
	cmd.Env = w.env
	return cmd
}

// Run runs terraform with args and returns its output.
func (w *Workspace) Run(ctx context.Context, args ...string) Result {
	var stdout, stderr bytes.Buffer
	cmd := w.Command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// MustRun runs terraform and fails the test when it fails.
func (w *Workspace) MustRun(tb testing.TB, args ...string) Result {
	tb.Helper()
	r := w.Run(context.Background(), args...)
	if r.Err != nil {
		tb.Fatalf("terraform %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Err, r.Stdout, r.Stderr)
	}
	return r
}

// Resource is one resource instance from `terraform show -json`.
type Resource struct {
	Address string         `json:"address"`
	Values  map[string]any `json:"values"`
	Tainted bool           `json:"tainted"`
}

// Resources lists the resource instances in state by address.
func (w *Workspace) Resources(tb testing.TB) map[string]Resource {
	tb.Helper()
	r := w.MustRun(tb, "show", "-json")
	var doc struct {
		Values struct {
			RootModule struct {
				Resources []Resource `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		tb.Fatalf("parsing terraform show -json: %v\n%s", err, r.Stdout)
	}
	out := map[string]Resource{}
	for _, res := range doc.Values.RootModule.Resources {
		out[res.Address] = res
	}
	return out
}
