package bench

import (
	"testing"
	"time"
)

const applyJSON = `{"@level":"info","@message":"Terraform 1.11.4","@timestamp":"2026-01-02T10:00:00.000000Z","type":"version"}
{"@level":"info","@message":"apimart_image.img[0]: Creating...","@timestamp":"2026-01-02T10:00:01.250000Z","hook":{"resource":{"addr":"apimart_image.img[0]"},"action":"create"},"type":"apply_start"}
{"@level":"info","@message":"apimart_image.img[1]: Creating...","@timestamp":"2026-01-02T10:00:01.500000Z","hook":{"resource":{"addr":"apimart_image.img[1]"},"action":"create"},"type":"apply_start"}
not json: terraform sometimes prints plain lines
{"@level":"info","@message":"apimart_image.img[0]: Creation complete after 20s","@timestamp":"2026-01-02T10:00:21.400123Z","hook":{"resource":{"addr":"apimart_image.img[0]"},"action":"create","elapsed_seconds":20},"type":"apply_complete"}
{"@level":"error","@message":"apimart_image.img[1]: Creation errored after 3s","@timestamp":"2026-01-02T10:00:04.500000Z","hook":{"resource":{"addr":"apimart_image.img[1]"},"action":"create","elapsed_seconds":3},"type":"apply_errored"}
`

func TestParseApplyEvents(t *testing.T) {
	times, err := ParseApplyEvents(applyJSON)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 1, 2, 10, 0, 21, 400123000, time.UTC)
	if got := times.Finished["apimart_image.img[0]"]; !got.Equal(want) {
		t.Errorf("finish of img[0] = %v, want %v (microseconds kept)", got, want)
	}
	if len(times.Started) != 2 || len(times.Finished) != 1 {
		t.Errorf("started %d, finished %d; want 2 and 1", len(times.Started), len(times.Finished))
	}
	if len(times.Errored) != 1 || times.Errored[0] != "apimart_image.img[1]" {
		t.Errorf("errored = %v, want img[1]", times.Errored)
	}
	if got, want := times.Span(), 20*time.Second+150123*time.Microsecond; got != want {
		t.Errorf("span = %v, want %v", got, want)
	}
}

func TestParseApplyEventsRejectsBrokenJSON(t *testing.T) {
	if _, err := ParseApplyEvents(`{"type":"apply_start",`); err == nil {
		t.Error("a cut JSON event was accepted")
	}
	if _, err := ParseApplyEvents(`{"type":"apply_start","@timestamp":"yesterday"}`); err == nil {
		t.Error("an unreadable timestamp was accepted")
	}
}

func TestSpanWithoutEvents(t *testing.T) {
	if got := (ResourceTimes{}).Span(); got != 0 {
		t.Errorf("span of nothing = %v", got)
	}
}
