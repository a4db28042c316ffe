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

// TestPeakRSSFindsAChildProcess runs a copy of sleep under a known path, as Terraform runs
// the provider, and expects peakRSS to see it.
func TestPeakRSSFindsAChildProcess(t *testing.T) {
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
	peak, err := peakRSS(binary, 10*time.Millisecond, func() error { return exec.Command(binary, "0.3").Run() })
	if err != nil || peak <= 0 {
		t.Errorf("peak %d bytes, err %v; want a positive peak", peak, err)
	}
	if _, err := peakRSS(binary, 10*time.Millisecond, func() error { return nil }); err == nil {
		t.Error("no error when no process was seen")
	}
}
