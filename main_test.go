package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestLoggingRequested(t *testing.T) {
	cases := []struct {
		environ []string
		want    bool
	}{
		{[]string{"HOME=/root", "PATH=/bin"}, false},
		{[]string{"TF_LOG=trace"}, true},
		{[]string{"PATH=/bin", "TF_LOG_PROVIDER=INFO"}, true},
		{[]string{"TF_LOG_PATH=tf.log"}, true},
		{[]string{"TF_LOG_SDK_FRAMEWORK=debug"}, true},
		{[]string{"MY_TF_LOG=trace"}, false},
	}
	for _, c := range cases {
		if got := loggingRequested(c.environ); got != c.want {
			t.Errorf("loggingRequested(%q) = %v, want %v", c.environ, got, c.want)
		}
	}
}

// The provider collects less often than Go's default unless the user's GOGC says otherwise.
func TestCollectLessOften(t *testing.T) {
	t.Setenv("GOGC", "")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	os.Unsetenv("GOGC")
	collectLessOften()
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC the collector's target is %d, want %d", got, gcPercent)
	}

	t.Setenv("GOGC", "50")
	collectLessOften()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=50 set the provider changed the collector's target to %d", got)
	}
}
