package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tterraform-provi\nVmPeak:\t  812345 kB\nVmHWM:\t   31416 kB\nVmRSS:\t   30000 kB\n"
	kb, ok := peakRSSKB(status)
	if !ok || kb != 31416 {
		t.Errorf("got %d, %v; want 31416, true", kb, ok)
	}
	if _, ok := peakRSSKB("Name:\tx\n"); ok {
		t.Error("a status without VmHWM gave a value")
	}
}

// TestRSSSamplerFindsAChildProcess runs a copy of sleep under a known path, as Terraform runs
// the provider, and expects the sampler to see it.
func TestRSSSamplerFindsAChildProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	sleepPath, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	binary := filepath.Join(t.TempDir(), "sleeper")
	data, err := os.ReadFile(sleepPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(binary, data, 0o755); err != nil {
		t.Fatal(err)
	}
	sampler := StartRSSSampler(binary, 10*time.Millisecond)
	cmd := exec.Command(binary, "0.3")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	peak, processes := sampler.Stop()
	if processes != 1 || peak <= 0 {
		t.Errorf("saw %d processes with peak %d bytes; want 1 with a positive peak", processes, peak)
	}
}
