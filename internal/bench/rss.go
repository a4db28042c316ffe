package bench

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// peakRSS runs fn while it samples /proc every interval for processes started from binary, and
// returns the highest peak resident set size (VmHWM) in bytes that any of them reached. The
// kernel keeps VmHWM itself, so sampling only has to see each process once late in its life, not
// at the instant of its peak.
func peakRSS(binary string, interval time.Duration, fn func() error) (int64, error) {
	var peakKB int64
	seen := false
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			dirs, _ := filepath.Glob("/proc/[0-9]*")
			for _, dir := range dirs {
				if exe, err := os.Readlink(filepath.Join(dir, "exe")); err != nil || exe != binary {
					continue
				}
				status, err := os.ReadFile(filepath.Join(dir, "status"))
				if hwm, ok := peakRSSKB(string(status)); err == nil && ok {
					seen = true
					peakKB = max(peakKB, hwm)
				}
			}
			select {
			case <-stop:
				return
			case <-ticker.C:
			}
		}
	}()
	err := fn()
	close(stop)
	<-done
	if err == nil && !seen {
		err = errors.New("no provider process was seen while sampling memory")
	}
	return peakKB * 1024, err
}

// peakRSSKB reads VmHWM, in kB, from the text of a /proc/PID/status file.
func peakRSSKB(status string) (int64, bool) {
	kb, err := strconv.ParseInt(strings.TrimSuffix(procField(status, "VmHWM", ""), " kB"), 10, 64)
	return kb, err == nil
}
