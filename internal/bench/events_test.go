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

func TestParseApply(t *testing.T) {
	ev, err := parseApply(applyJSON)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 1, 2, 10, 0, 21, 400123000, time.UTC)
	if got := ev.finished["apimart_image.img[0]"]; !got.Equal(want) {
		t.Errorf("finish of img[0] = %v, want %v (microseconds kept)", got, want)
	}
	if len(ev.finished) != 1 {
		t.Errorf("finished %d, want 1", len(ev.finished))
	}
	if got, want := ev.span(), 20*time.Second+150123*time.Microsecond; got != want {
		t.Errorf("span = %v, want %v", got, want)
	}
}

func TestParseApplyRejectsBrokenJSON(t *testing.T) {
	if _, err := parseApply(`{"type":"apply_start",`); err == nil {
		t.Error("a cut JSON event was accepted")
	}
	if _, err := parseApply(`{"type":"apply_start","@timestamp":"yesterday"}`); err == nil {
		t.Error("an unreadable timestamp was accepted")
	}
}

func TestSpanWithoutEvents(t *testing.T) {
	if got := (applyEvents{}).span(); got != 0 {
		t.Errorf("span of nothing = %v", got)
	}
}
