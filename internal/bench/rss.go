package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RSSSampler watches every process started from one binary and keeps the highest peak resident
// set size (VmHWM) any of them reached. The kernel keeps VmHWM itself, so sampling only has to
// see each process once late in its life, not at the instant of its peak.
type RSSSampler struct {
	binary string
	stop   chan struct{}
	done   chan struct{}

	mu     sync.Mutex
	peakKB int64
	pids   map[int]bool
}

// StartRSSSampler samples /proc every interval until Stop.
func StartRSSSampler(binary string, interval time.Duration) *RSSSampler {
	s := &RSSSampler{binary: binary, stop: make(chan struct{}), done: make(chan struct{}), pids: map[int]bool{}}
	go s.loop(interval)
	return s
}

func (s *RSSSampler) loop(interval time.Duration) {
	defer close(s.done)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-ticker.C:
		}
	}
}

func (s *RSSSampler) sample() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err != nil || exe != s.binary {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		hwm, ok := peakRSSKB(string(status))
		if err != nil || !ok {
			continue
		}
		s.mu.Lock()
		s.pids[pid] = true
		s.peakKB = max(s.peakKB, hwm)
		s.mu.Unlock()
	}
}

// Stop ends sampling and returns the highest peak seen in bytes, and how many processes were seen.
func (s *RSSSampler) Stop() (peakBytes int64, processes int) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakKB * 1024, len(s.pids)
}

// peakRSSKB reads VmHWM, in kB, from the text of a /proc/PID/status file.
func peakRSSKB(status string) (int64, bool) {
	fields := strings.Fields(procField(status, "VmHWM", ""))
	if len(fields) == 0 {
		return 0, false
	}
	kb, err := strconv.ParseInt(fields[0], 10, 64)
	return kb, err == nil
}
