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
	opts, update, err := parseSettings(lookup(map[string]string{"BENCH_UPDATE": "0", "BENCH_RUNS": "3", "BENCH_ONLY": "scale, wait", "BENCH_QUICK": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	if update || opts.Runs != 3 || !opts.Quick || strings.Join(opts.Only, ",") != "scale,wait" {
		t.Errorf("from the environment: %+v, update %v", opts, update)
	}

	opts, update, err = parseSettings(lookup(nil))
	if err != nil || !update || opts.Runs != 5 || opts.Quick || len(opts.Only) > 0 {
		t.Errorf("defaults: %+v, update %v, %v", opts, update, err)
	}
}

func TestBadSettingsAreRefusedByName(t *testing.T) {
	for name, value := range map[string]string{"BENCH_RUNS": "many", "BENCH_UPDATE": "sometimes", "BENCH_QUICK": "yes please"} {
		_, _, err := parseSettings(lookup(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: error %v, want one that names the variable", name, value, err)
		}
	}
}
