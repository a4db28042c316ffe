package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpdateResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.md")
	write := func(doc string) {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("# Title\n\nbefore\n" + ResultsBegin + "\nold table\n" + ResultsEnd + "\nafter\n")
	if err := UpdateResults(path, "new table\n"); err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\nbefore\n" + ResultsBegin + "\nnew table\n" + ResultsEnd + "\nafter\n"
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, doc := range []string{"no markers here", ResultsEnd + ResultsBegin} {
		write(doc)
		if err := UpdateResults(path, "x"); err == nil {
			t.Errorf("a document with markers missing or in the wrong order was accepted: %q", doc)
		}
	}
}

func testReport() *Report {
	return &Report{
		Header: []string{"Machine: cpu, 2 cores, 24 GiB memory, Linux 6, go1, Terraform 1.11.4."},
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
	if !strings.HasPrefix(md, r.Header[0]+"\n\n") {
		t.Errorf("Markdown does not start with its header:\n%s", md)
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
