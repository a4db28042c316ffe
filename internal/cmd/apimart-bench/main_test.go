package main

import (
	"strings"
	"testing"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// TestSettings: BENCH_UPDATE=0 once reached the harness as a file named "0".
func TestSettings(t *testing.T) {
	s, err := parseSettings(lookup(map[string]string{"BENCH_UPDATE": "0", "BENCH_RUNS": "3", "BENCH_ONLY": "scale, wait", "BENCH_QUICK": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.update || s.opts.Runs != 3 || !s.opts.Quick || strings.Join(s.opts.Only, ",") != "scale,wait" {
		t.Errorf("from the environment: %+v", s)
	}
	if s.fullRun() {
		t.Error("a quick run of some benchmarks counts as full")
	}

	s, err = parseSettings(lookup(nil))
	if err != nil || !s.update || s.opts.Runs != 5 || !s.fullRun() {
		t.Errorf("defaults: %+v, %v", s, err)
	}
}

func TestBadSettingsAreRefusedByName(t *testing.T) {
	for name, value := range map[string]string{"BENCH_RUNS": "many", "BENCH_UPDATE": "sometimes", "BENCH_QUICK": "yes please"} {
		_, err := parseSettings(lookup(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: error %v, want one that names the variable", name, value, err)
		}
	}
}
