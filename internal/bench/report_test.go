package bench

import (
	"strings"
	"testing"
)

func TestReplaceResults(t *testing.T) {
	doc := "# Title\n\nbefore\n" + ResultsBegin + "\nold table\n" + ResultsEnd + "\nafter\n"
	got, err := ReplaceResults(doc, "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\nbefore\n" + ResultsBegin + "\nnew table\n" + ResultsEnd + "\nafter\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := ReplaceResults("no markers here", "x"); err == nil {
		t.Error("a document without markers was accepted")
	}
	if _, err := ReplaceResults(ResultsEnd+ResultsBegin, "x"); err == nil {
		t.Error("markers in the wrong order were accepted")
	}
}

func testReport() *Report {
	return &Report{
		Mode:    "test",
		Machine: Machine{CPU: "cpu", Cores: 2, MemoryGiB: 24, Kernel: "6", Go: "go1", Terraform: "1.11.4"},
		Figures: []Figure{
			{ID: "1a", What: "overhead", Result: "0.2 s", Goal: "≤ 0.5 s", Verdict: Met, Runs: 5},
			{ID: "2a", What: "wall | span", Result: "12 s", Goal: "≤ 1.15×", Verdict: Missed, Runs: 5},
			{ID: "2b", What: "diagnostic", Result: "9 s", Verdict: Info, Runs: 5},
		},
	}
}

func TestReportRendering(t *testing.T) {
	r := testReport()
	md := r.Markdown()
	for _, want := range []string{"| 1a | overhead | 0.2 s | ≤ 0.5 s | 5 | met |", `wall \| span`, "| MISSED |", "1 goals met, 1 missed, 0 figures could not be measured."} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if !strings.Contains(md, "Terraform 1.11.4") {
		t.Errorf("Markdown lacks the machine:\n%s", md)
	}
	if !r.Missed() {
		t.Error("Missed() = false with a missed goal")
	}
	r.Figures = r.Figures[:1]
	if r.Missed() {
		t.Error("Missed() = true with every goal met")
	}
}

func TestProcField(t *testing.T) {
	info := "processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\nflags\t\t: fpu\n"
	if got := procField(info, "model name", "?"); got != "Some CPU @ 2.0GHz" {
		t.Errorf("got %q", got)
	}
	if got := procField(info, "missing", "?"); got != "?" {
		t.Errorf("got %q for a missing field", got)
	}
}
