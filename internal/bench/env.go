package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Provider addresses as the dev_overrides of the harness know them.
const (
	apimartSource = "apimart/apimart"
	noopSource    = "apimart/noop"
)

// Env is a scratch directory with both provider binaries built from this checkout and a
// Terraform CLI configuration that serves them through dev_overrides, so no workspace needs
// terraform init.
type Env struct {
	// Root is the scratch directory; every workspace is created below it.
	Root string
	// ProviderBinary is the apimart provider, as Terraform starts it.
	ProviderBinary string
	cliConfig      string
	seq            int
}

// NewEnv builds the apimart provider (the module at moduleDir) and the no-op provider into
// root/bin and writes the CLI configuration. root is emptied first.
func NewEnv(ctx context.Context, moduleDir, root string) (*Env, error) {
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	builds := map[string]string{
		"terraform-provider-apimart": ".",
		"terraform-provider-noop":    "./internal/bench/noopprovider",
	}
	for name, pkg := range builds {
		if err := goBuild(ctx, moduleDir, filepath.Join(bin, name), pkg); err != nil {
			return nil, err
		}
	}
	env := &Env{Root: root, ProviderBinary: filepath.Join(bin, "terraform-provider-apimart"), cliConfig: filepath.Join(root, "terraform.rc")}
	overrides := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n    %q = %q\n  }\n  direct {}\n}\n",
		apimartSource, bin, noopSource, bin)
	if err := os.WriteFile(env.cliConfig, []byte(overrides), 0o600); err != nil {
		return nil, err
	}
	return env, nil
}

func goBuild(ctx context.Context, moduleDir, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = moduleDir
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, output)
	}
	return nil
}

// Workspace is one Terraform working directory.
type Workspace struct {
	Dir string
	env []string
}

// Workspace creates a new, empty working directory whose name starts with name.
func (e *Env) Workspace(name string) (*Workspace, error) {
	e.seq++
	dir := filepath.Join(e.Root, fmt.Sprintf("%s-%03d", name, e.seq))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+e.cliConfig,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
	)
	return &Workspace{Dir: dir, env: withoutTerraformLogging(env)}, nil
}

// withoutTerraformLogging drops the caller's TF_LOG settings: logging would slow every figure.
func withoutTerraformLogging(env []string) []string {
	kept := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "TF_LOG") && !strings.HasPrefix(kv, "APIMART_") {
			kept = append(kept, kv)
		}
	}
	return kept
}

// WithEnv returns the same workspace with more environment variables ("NAME=value") for its
// commands.
func (w *Workspace) WithEnv(kv ...string) *Workspace {
	return &Workspace{Dir: w.Dir, env: append(slices.Clip(w.env), kv...)}
}

// WriteConfig replaces main.tf.
func (w *Workspace) WriteConfig(hcl string) error {
	return os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(hcl), 0o600)
}

// Command is one finished terraform command.
type Command struct {
	Args           []string
	Wall           time.Duration // from starting the process to its exit
	Stdout, Stderr string
}

// Terraform runs one command and times it. A command that fails returns its Command and an error
// that quotes the end of its output.
func (w *Workspace) Terraform(ctx context.Context, args ...string) (Command, error) {
	cmd := exec.CommandContext(ctx, "terraform", args...)
	cmd.Dir, cmd.Env = w.Dir, w.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	run := Command{Args: args, Wall: time.Since(start), Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		// The whole output stays in the workspace for a post-mortem; the error quotes its end.
		log := filepath.Join(w.Dir, "failed-"+args[0]+".log")
		_ = os.WriteFile(log, []byte(run.Stdout+"\n--- stderr ---\n"+run.Stderr), 0o600)
		return run, fmt.Errorf("terraform %s in %s: %w (output in %s)\n%s", strings.Join(args, " "), w.Dir, err, log, tail(run.Stderr, 2000))
	}
	return run, nil
}

// Apply runs terraform apply with the machine-readable UI, whose events carry the time each
// resource started and finished.
func (w *Workspace) Apply(ctx context.Context, parallelism int) (Command, error) {
	return w.Terraform(ctx, "apply", "-auto-approve", "-input=false", "-json", fmt.Sprintf("-parallelism=%d", parallelism))
}

// Plan runs terraform plan with a refresh, as a user's plan would.
func (w *Workspace) Plan(ctx context.Context) (Command, error) {
	return w.Terraform(ctx, "plan", "-input=false")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
