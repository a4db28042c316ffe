package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// TestSettingsMeanTheSameFromFlagsAndEnvironment: BENCH_UPDATE=0 once reached the harness as a
// file named "0".
func TestSettingsMeanTheSameFromFlagsAndEnvironment(t *testing.T) {
	f, err := parseFlags(nil, lookup(map[string]string{"BENCH_UPDATE": "0", "BENCH_RUNS": "3", "BENCH_ONLY": "scale, wait", "BENCH_BUDGET": "90s"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.update || f.opts.Runs != 3 || f.opts.Budget != 90*time.Second || strings.Join(f.opts.Only, ",") != "scale,wait" {
		t.Errorf("from the environment: %+v", f)
	}
	if f.fullRun() {
		t.Error("a run of some benchmarks counts as full")
	}

	f, err = parseFlags([]string{"-runs", "7", "-update=false"}, lookup(map[string]string{"BENCH_RUNS": "3"}), io.Discard)
	if err != nil || f.opts.Runs != 7 || f.update {
		t.Errorf("a flag should win over its variable: %+v, %v", f, err)
	}

	f, err = parseFlags(nil, lookup(nil), io.Discard)
	if err != nil || !f.update || f.opts.Runs != 5 || !f.fullRun() {
		t.Errorf("defaults: %+v, %v", f, err)
	}
}

func TestBadSettingsAreRefusedByName(t *testing.T) {
	for name, value := range map[string]string{"BENCH_RUNS": "many", "BENCH_UPDATE": "sometimes", "BENCH_BUDGET": "5"} {
		_, err := parseFlags(nil, lookup(map[string]string{name: value}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: error %v, want one that names the variable", name, value, err)
		}
	}
}
