package fakeapimart_test

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildCommand compiles cmd/apimart-fake into a temporary directory. Compiling takes most of a
// minute on a loaded machine, so it runs with the acceptance tests (make testall), which build
// binaries anyway.
func buildCommand(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("builds and runs the command; runs with TF_ACC=1 (make testall)")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	bin := filepath.Join(t.TempDir(), "apimart-fake")
	build := exec.Command(goTool, "build", "-o", bin, "../cmd/apimart-fake")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func TestCommand(t *testing.T) {
	bin := buildCommand(t)

	t.Run("serves, then stops on SIGTERM", func(t *testing.T) {
		cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-keys", "sk-a, sk-b", "-task-duration", "0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() }) // no-op once it has exited
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			t.Fatalf("first line: %v (stderr %s)", err, stderr.String())
		}
		base := strings.TrimSpace(line)
		if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(base) {
			t.Fatalf("first line = %q, want the base URL", line)
		}
		if a := call(t, http.MethodGet, base+"/v1/balance", "sk-b", ""); a.status != 200 || a.json(t)["success"] != true {
			t.Errorf("balance: %d %s", a.status, a.body)
		}
		if a := call(t, http.MethodGet, base+"/_fake/counters", "", ""); a.status != 200 || a.json(t)["requests"] != float64(1) {
			t.Errorf("control endpoint: %d %s", a.status, a.body)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("exit: %v (stderr %s)", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("did not stop within 10s of SIGTERM")
		}
		logs := stderr.String()
		if !strings.Contains(logs, "/v1/balance") || strings.Contains(logs, "sk-b") {
			t.Errorf("stderr should log the request and never the key:\n%s", logs)
		}
	})

	t.Run("refuses a non-loopback address", func(t *testing.T) {
		out, err := exec.Command(bin, "-listen", "0.0.0.0:0").CombinedOutput()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() == 0 || !strings.Contains(string(out), "loopback") {
			t.Errorf("err %v, output %s", err, out)
		}
	})
}
