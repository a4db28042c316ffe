// Package tfharness runs the real terraform binary against this module's provider, for the tests
// that need what terraform-plugin-testing cannot do (untaint, -replace, signals) and for the
// benchmarks, which time whole commands. The provider is either a binary built from the module,
// served through dev_overrides, or served by the test process itself (ServedWorkspace).
package tfharness

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// Provider is a provider binary to build from this module.
type Provider struct {
	// Source is the address configurations give in required_providers, such as "apimart/apimart".
	Source string
	// Package is the Go package of its main: an import path, or a path relative to the module
	// root.
	Package string
}

// Apimart is this module's provider. Its import path builds from any directory of the module.
var Apimart = Provider{Source: "apimart/apimart", Package: "github.com/apimart/terraform-provider-apimart"}

// Env is a set of provider binaries and a Terraform CLI configuration that serves them through
// dev_overrides, so no workspace needs terraform init (or a registry).
type Env struct {
	// Root holds the binaries in bin/ and the workspaces that Workspace creates.
	Root      string
	cliConfig string
	seq       int
}

// NewEnv empties root, builds the providers (one at least) from the module at moduleDir, or the
// working directory if it is empty, into root/bin and writes the CLI configuration.
func NewEnv(ctx context.Context, moduleDir, root string, providers ...Provider) (*Env, error) {
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	env := &Env{Root: root, cliConfig: filepath.Join(root, "terraform.rc")}
	var overrides strings.Builder
	for _, p := range providers {
		// go build creates root/bin, where dev_overrides finds every provider. The release build
		// strips the symbol table and DWARF too (.goreleaser.yml), and linking is quicker without.
		binary := env.ProviderBinary(p)
		build := exec.CommandContext(ctx, "go", "build", "-ldflags=-s -w", "-o", binary, p.Package)
		build.Dir = moduleDir
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", p.Package, err, out)
		}
		fmt.Fprintf(&overrides, "    %q = %q\n", p.Source, filepath.Dir(binary))
	}
	config := "provider_installation {\n  dev_overrides {\n" + overrides.String() + "  }\n  direct {}\n}\n"
	if err := os.WriteFile(env.cliConfig, []byte(config), 0o600); err != nil {
		return nil, err
	}
	return env, nil
}

// ProviderBinary is the path of p's built binary, named as Terraform looks for it in a
// dev_overrides directory.
func (e *Env) ProviderBinary(p Provider) string {
	return filepath.Join(e.Root, "bin", "terraform-provider-"+path.Base(p.Source))
}

// Workspace creates a new working directory below Root whose name starts with name, with config
// as its main.tf and env ("NAME=value") added to its commands.
func (e *Env) Workspace(name, config string, env ...string) (*Workspace, error) {
	e.seq++
	w := e.workspaceIn(filepath.Join(e.Root, fmt.Sprintf("%s-%03d", name, e.seq))).WithEnv(env...)
	if err := os.MkdirAll(w.Dir, 0o755); err != nil {
		return nil, err
	}
	return w, os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(config), 0o600)
}

// workspaceIn wires dir to the providers.
func (e *Env) workspaceIn(dir string) *Workspace {
	return &Workspace{Dir: dir, env: commandEnv(e.cliConfig)}
}

// commandEnv is the environment of terraform commands that read the CLI configuration cliConfig.
// The caller's TF_LOG and APIMART_ variables are left out: logs would slow and flood every
// command, and a key or URL from the caller's shell would change what a test or benchmark talks
// to.
func commandEnv(cliConfig string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_LOG") && !strings.HasPrefix(kv, "APIMART_") {
			env = append(env, kv)
		}
	}
	return append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
}

// testEnv builds this module's provider once per test process, in the test's package directory.
var testEnv = sync.OnceValues(func() (*Env, error) {
	root, err := os.MkdirTemp("", "apimart-provider-")
	if err != nil {
		return nil, err
	}
	return NewEnv(context.Background(), "", root, Apimart)
})

// NewWorkspace creates a workspace in a temporary directory, with this module's provider built
// once per test process. env adds variables such as APIMART_API_KEY to every command.
func NewWorkspace(tb testing.TB, env map[string]string) *Workspace {
	tb.Helper()
	e, err := testEnv()
	if err != nil {
		tb.Fatalf("building the provider: %v", err)
	}
	w := e.workspaceIn(tb.TempDir())
	for k, v := range env {
		w.env = append(w.env, k+"="+v)
	}
	return w
}

// ServedWorkspace creates a workspace in a temporary directory whose commands reach a provider
// served by the test process, as terraform-plugin-testing serves it, instead of a built binary:
// nothing is built and no provider process starts, and each command gets a fresh server from
// newServer, as it would get a fresh process. source is the address configurations give, such as
// "apimart/apimart". The provider shares the test process's environment and working directory,
// so a test that must give the provider variables of its own, that uses relative paths, or that
// tests the binary itself needs NewWorkspace.
func ServedWorkspace(t *testing.T, source string, newServer func() (tfprotov6.ProviderServer, error)) *Workspace {
	return &Workspace{Dir: t.TempDir(), env: commandEnv(os.DevNull), served: &servedProvider{t: t, source: source, newServer: newServer}}
}

// servedProvider is a provider that the test process serves to terraform.
type servedProvider struct {
	t         *testing.T
	source    string
	newServer func() (tfprotov6.ProviderServer, error)
}

// serve starts a server that lives until ctx ends, and returns the TF_REATTACH_PROVIDERS value
// that sends terraform to it.
func (p *servedProvider) serve(ctx context.Context) (string, error) {
	server, err := p.newServer()
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", p.source, err)
	}
	listening := make(chan *plugin.ReattachConfig)
	stopped := make(chan error, 1)
	go func() {
		stopped <- tf6server.Serve(p.source, func() tfprotov6.ProviderServer { return server }, tf6server.WithDebug(ctx, listening, make(chan struct{})),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()), tf6server.WithoutLogStderrOverride(), tf6server.WithLoggingSink(p.t))
	}()
	select {
	case c := <-listening:
		return reattachProviders(p.source, c)
	case err := <-stopped:
		return "", fmt.Errorf("serving %s: the server stopped before it listened (%v)", p.source, err)
	}
}

// reattachProviders names the server at c under source on the default registry hosts of both
// Terraform and OpenTofu, so that either CLI takes the address in a configuration to it.
func reattachProviders(source string, c *plugin.ReattachConfig) (string, error) {
	server := tfexec.ReattachConfig{Protocol: string(c.Protocol), ProtocolVersion: c.ProtocolVersion, Pid: c.Pid, Test: c.Test,
		Addr: tfexec.ReattachConfigAddr{Network: c.Addr.Network(), String: c.Addr.String()}}
	value, err := json.Marshal(tfexec.ReattachInfo{"registry.terraform.io/" + source: server, "registry.opentofu.org/" + source: server})
	return string(value), err
}

// ModuleRoot is the root of the module the go command runs in.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// Workspace is one Terraform working directory.
type Workspace struct {
	Dir    string
	env    []string
	served *servedProvider // nil when dev_overrides names a built binary
}

// WithEnv returns the same directory with more environment variables ("NAME=value") for its
// commands.
func (w *Workspace) WithEnv(kv ...string) *Workspace {
	return &Workspace{Dir: w.Dir, env: append(slices.Clip(w.env), kv...), served: w.served}
}

// WriteConfig replaces main.tf and fails the test when it cannot.
func (w *Workspace) WriteConfig(tb testing.TB, hcl string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(hcl), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// Command prepares a terraform command without starting it, for callers that send signals; a
// served provider is up until ctx ends. It runs the binary terraform-plugin-testing is told to use
// in TF_ACC_TERRAFORM_PATH, so that one variable moves every test to another CLI, else terraform
// on PATH.
func (w *Workspace) Command(ctx context.Context, args ...string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, cmp.Or(os.Getenv("TF_ACC_TERRAFORM_PATH"), "terraform"), args...)
	cmd.Dir = w.Dir
	cmd.Env = w.env
	if w.served != nil {
		reattach, err := w.served.serve(ctx)
		if err != nil {
			return nil, err
		}
		cmd.Env = append(slices.Clip(w.env), "TF_REATTACH_PROVIDERS="+reattach)
	}
	return cmd, nil
}

// Result is one finished terraform command.
type Result struct {
	Args           []string
	Stdout, Stderr string
	Wall           time.Duration // from starting the process to its exit
	// Err says why the command failed and quotes the end of its error output; the whole output
	// is kept in the workspace as failed-<command>.log.
	Err error
}

// Run runs terraform with args, times it and returns what it printed.
func (w *Workspace) Run(ctx context.Context, args ...string) Result {
	ctx, stop := context.WithCancel(ctx)
	defer stop() // a served provider ends with the command, as a provider process would
	var stdout, stderr bytes.Buffer
	cmd, err := w.Command(ctx, args...)
	start := time.Now()
	if err == nil {
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
	}
	r := Result{Args: args, Stdout: stdout.String(), Stderr: stderr.String(), Wall: time.Since(start)}
	if err != nil {
		log := filepath.Join(w.Dir, "failed-"+args[0]+".log")
		_ = os.WriteFile(log, []byte(r.Stdout+"\n--- stderr ---\n"+r.Stderr), 0o600)
		r.Err = fmt.Errorf("terraform %s in %s: %w (output in %s)\n%s", strings.Join(args, " "), w.Dir, err, log, Tail(r.Stderr, 2000))
	}
	return r
}

// Tail is the end of a command's long output, for an error message.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// MustRun runs terraform and fails the test when it fails.
func (w *Workspace) MustRun(tb testing.TB, args ...string) Result {
	tb.Helper()
	r := w.Run(context.Background(), args...)
	if r.Err != nil {
		tb.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", r.Err, r.Stdout, r.Stderr)
	}
	return r
}

// Resources lists the resource instances in state by address.
func (w *Workspace) Resources(tb testing.TB) map[string]tfjson.StateResource {
	tb.Helper()
	r := w.MustRun(tb, "show", "-json")
	var state tfjson.State
	if err := json.Unmarshal([]byte(r.Stdout), &state); err != nil {
		tb.Fatalf("parsing terraform show -json: %v\n%s", err, r.Stdout)
	}
	out := map[string]tfjson.StateResource{}
	if state.Values != nil { // nil before the first apply
		for _, res := range state.Values.RootModule.Resources {
			out[res.Address] = *res
		}
	}
	return out
}
