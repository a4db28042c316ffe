package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ResourceTimes is when Terraform started and finished applying each resource, by address, as
// its machine-readable UI reported them (microsecond timestamps).
type ResourceTimes struct {
	Started  map[string]time.Time
	Finished map[string]time.Time
	// Errored lists the addresses whose apply failed.
	Errored []string
}

// uiEvent is the part of a `terraform apply -json` line the harness reads.
type uiEvent struct {
	Type      string `json:"type"`
	Timestamp string `json:"@timestamp"`
	Hook      struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
	} `json:"hook"`
}

// ParseApplyEvents reads the output of `terraform apply -json`.
func ParseApplyEvents(stdout string) (ResourceTimes, error) {
	times := ResourceTimes{Started: map[string]time.Time{}, Finished: map[string]time.Time{}}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var ev uiEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return times, fmt.Errorf("parsing a terraform UI event: %w: %s", err, line)
		}
		var target map[string]time.Time
		switch ev.Type {
		case "apply_start":
			target = times.Started
		case "apply_complete":
			target = times.Finished
		case "apply_errored":
			times.Errored = append(times.Errored, ev.Hook.Resource.Addr)
			continue
		default:
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, ev.Timestamp)
		if err != nil {
			return times, fmt.Errorf("terraform UI event time %q: %w", ev.Timestamp, err)
		}
		target[ev.Hook.Resource.Addr] = at
	}
	return times, sc.Err()
}

// Span is the time from the first resource start to the last resource finish: the part of an
// apply in which resources are worked on, without Terraform's start-up and plan.
func (t ResourceTimes) Span() time.Duration {
	var first, last time.Time
	for _, at := range t.Started {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	for _, at := range t.Finished {
		if at.After(last) {
			last = at
		}
	}
	if first.IsZero() || last.IsZero() {
		return 0
	}
	return last.Sub(first)
}
