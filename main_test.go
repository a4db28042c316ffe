package main

import "testing"

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
