package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Verdict says how a figure compares with its goal.
type Verdict int

// Verdicts. Info marks a figure with no goal of its own (a baseline or a diagnostic).
const (
	Info Verdict = iota
	Met
	Missed
	Failed // the benchmark could not produce the figure
)

func (v Verdict) String() string {
	switch v {
	case Met:
		return "met"
	case Missed:
		return "MISSED"
	case Failed:
		return "ERROR"
	default:
		return "-"
	}
}

func verdict(ok bool) Verdict {
	if ok {
		return Met
	}
	return Missed
}

// Figure is one row of the results table.
type Figure struct {
	ID      string
	What    string
	Result  string
	Goal    string
	Verdict Verdict
	// Runs is how many runs the figure is the median of.
	Runs int
}

// Table is a titled table of the report.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Notes  []string
}

// Report is everything one harness run measured.
type Report struct {
	Mode string
	// Code names the source measured: its commit, and whether the work tree had changes.
	Code    string
	Machine Machine
	Started time.Time
	Elapsed time.Duration
	// LoadBefore and LoadAfter are the 1-minute load averages when the run began and ended: other
	// work on the machine shows in every wall time, and ratios only partly cancel it.
	LoadBefore, LoadAfter float64
	Figures               []Figure
	Details               []Table
	// Notes are printed after the tables, such as runs that had to be repeated.
	Notes []string
}

// Summary counts the verdicts.
func (r *Report) Summary() string {
	counts := map[Verdict]int{}
	for _, f := range r.Figures {
		counts[f.Verdict]++
	}
	return fmt.Sprintf("%d goals met, %d missed, %d figures could not be measured", counts[Met], counts[Missed], counts[Failed])
}

// Missed reports whether any goal was missed or any figure failed.
func (r *Report) Missed() bool {
	for _, f := range r.Figures {
		if f.Verdict == Missed || f.Verdict == Failed {
			return true
		}
	}
	return false
}

func (r *Report) goalsTable() Table {
	t := Table{Title: "Results", Header: []string{"#", "Figure", "Result", "Goal", "Runs", "Verdict"}}
	for _, f := range r.Figures {
		t.Rows = append(t.Rows, []string{f.ID, f.What, f.Result, f.Goal, strconv.Itoa(f.Runs), f.Verdict.String()})
	}
	return t
}

func (r *Report) header() []string {
	return []string{
		fmt.Sprintf("Mode: %s. Started %s, took %s.", r.Mode, r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Elapsed.Round(time.Second)),
		"Code: " + r.Code + ".",
		"Machine: " + r.Machine.String() + ".",
		fmt.Sprintf("Load average (1 min) %.2f at the start, %.2f at the end, on %d cores.", r.LoadBefore, r.LoadAfter, r.Machine.Cores),
	}
}

// Markdown renders the report as the results section of BENCHMARKS.md; the terminal gets it too.
func (r *Report) Markdown() string {
	var b bytes.Buffer
	for _, line := range r.header() {
		fmt.Fprintln(&b, line)
		fmt.Fprintln(&b)
	}
	for _, t := range append([]Table{r.goalsTable()}, r.Details...) {
		t.writeMarkdown(&b)
		fmt.Fprintln(&b)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "%s\n\n", n)
	}
	fmt.Fprintln(&b, r.Summary()+".")
	return b.String()
}

func (t Table) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "#### %s\n\n", t.Title)
	fmt.Fprintf(w, "| %s |\n", strings.Join(t.Header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(t.Header)))
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	if len(t.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range t.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

// Markers that delimit the generated results in BENCHMARKS.md.
const (
	ResultsBegin = "<!-- bench-results:begin -->"
	ResultsEnd   = "<!-- bench-results:end -->"
)

// ReplaceResults puts results between the markers of doc, leaving the rest as it is.
func ReplaceResults(doc, results string) (string, error) {
	begin := strings.Index(doc, ResultsBegin)
	end := strings.Index(doc, ResultsEnd)
	if begin < 0 || end < begin {
		return "", errors.New("the document has no " + ResultsBegin + " ... " + ResultsEnd + " section")
	}
	return doc[:begin+len(ResultsBegin)] + "\n" + results + doc[end:], nil
}

// UpdateResultsFile rewrites the results section of the Markdown file at path.
func UpdateResultsFile(path, results string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	updated, err := ReplaceResults(string(doc), results)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, []byte(updated), 0o644)
}

// Machine describes where the figures were measured.
type Machine struct {
	CPU       string
	Cores     int
	MemoryGiB float64
	Kernel    string
	Go        string
	Terraform string
}

func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, %.0f GiB memory, Linux %s, %s, Terraform %s",
		m.CPU, m.Cores, m.MemoryGiB, m.Kernel, m.Go, m.Terraform)
}

// DescribeMachine reads the CPU, memory and versions; parts it cannot read stay "unknown".
func DescribeMachine(ctx context.Context) Machine {
	m := Machine{CPU: "unknown CPU", Cores: runtime.NumCPU(), Kernel: "unknown", Go: runtime.Version(), Terraform: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPU = procField(string(b), "model name", m.CPU)
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		fields := strings.Fields(procField(string(b), "MemTotal", ""))
		if len(fields) > 0 {
			if kb, err := strconv.ParseFloat(fields[0], 64); err == nil {
				m.MemoryGiB = kb / (1 << 20)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	cmd := exec.CommandContext(ctx, "terraform", "version", "-json")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	if out, err := cmd.Output(); err == nil {
		var v struct {
			Version string `json:"terraform_version"`
		}
		if json.Unmarshal(out, &v) == nil && v.Version != "" {
			m.Terraform = v.Version
		}
	}
	return m
}

// DescribeCode names the commit of the module at dir, with "+ uncommitted changes" when its work
// tree differs from it, or "unknown" outside a git checkout. It takes no lock, since the lead may
// be committing meanwhile.
func DescribeCode(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "--no-optional-locks", "-C", dir, "describe", "--always", "--dirty=+").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	desc := strings.TrimSpace(string(out))
	if trimmed, dirty := strings.CutSuffix(desc, "+"); dirty {
		return "commit " + trimmed + " with uncommitted changes"
	}
	return "commit " + desc
}

// LoadAverage is the 1-minute load average, or NaN where /proc/loadavg cannot be read.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return math.NaN()
	}
	load, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return math.NaN()
	}
	return load
}

// procField returns the value of the first "name : value" line of a /proc file.
func procField(text, name, fallback string) string {
	for _, line := range strings.Split(text, "\n") {
		key, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == name {
			return strings.TrimSpace(value)
		}
	}
	return fallback
}
