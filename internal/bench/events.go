package bench

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// applyEvents is what the machine-readable UI of `terraform apply -json` reported about the
// resources (with microsecond timestamps).
type applyEvents struct {
	finished    map[string]time.Time // when each resource's apply ended, by address
	first, last time.Time            // the first resource start and the last resource finish
}

func parseApply(stdout string) (applyEvents, error) {
	ev := applyEvents{finished: map[string]time.Time{}}
	for _, line := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var e struct {
			Type string    `json:"type"`
			At   time.Time `json:"@timestamp"`
			Hook struct {
				Resource struct {
					Addr string `json:"addr"`
				} `json:"resource"`
			} `json:"hook"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			return ev, fmt.Errorf("parsing a terraform UI event: %w: %s", err, line)
		}
		switch e.Type {
		case "apply_start":
			if ev.first.IsZero() || e.At.Before(ev.first) {
				ev.first = e.At
			}
		case "apply_complete":
			ev.finished[e.Hook.Resource.Addr] = e.At
			if e.At.After(ev.last) {
				ev.last = e.At
			}
		}
	}
	return ev, nil
}

// span is the time from the first resource start to the last resource finish: the part of an
// apply in which resources are worked on, without Terraform's start-up and plan.
func (ev applyEvents) span() time.Duration {
	if ev.first.IsZero() || ev.last.IsZero() {
		return 0
	}
	return ev.last.Sub(ev.first)
}
