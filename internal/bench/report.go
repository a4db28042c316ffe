package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Verdict says how a figure compares with its goal, as the results table shows it.
type Verdict string

// Verdicts. Info marks a figure with no goal of its own (a baseline or a diagnostic).
const (
	Info   Verdict = "-"
	Met    Verdict = "met"
	Missed Verdict = "MISSED"
	Failed Verdict = "ERROR" // the benchmark could not produce the figure
)

func verdict(ok bool) Verdict {
	if ok {
		return Met
	}
	return Missed
}

// Figure is one row of the results table.
type Figure struct {
	ID, What, Result, Goal string
	Verdict                Verdict
	Runs                   int // how many runs the figure is the median of
}

// Report is everything one harness run measured.
type Report struct {
	// Header names the mode, the code and the machine measured, and the load around the run.
	Header  []string
	Figures []Figure
	// Notes are printed after the table, such as runs that had to be repeated.
	Notes []string
}

// Markdown renders the report as the results section of BENCHMARKS.md; the terminal gets it too.
// How each figure is measured is described in BENCHMARKS.md's method, not restated here.
func (r *Report) Markdown() string {
	var b strings.Builder
	for _, line := range r.Header {
		fmt.Fprintf(&b, "%s\n\n", line)
	}
	b.WriteString("#### Results\n\n| # | Figure | Result | Goal | Runs | Verdict |\n|---|---|---|---|---|---|\n")
	counts := map[Verdict]int{}
	for _, f := range r.Figures {
		cells := []string{f.ID, f.What, f.Result, f.Goal, strconv.Itoa(f.Runs), string(f.Verdict)}
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
		counts[f.Verdict]++
	}
	b.WriteString("\n")
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "%s\n\n", n)
	}
	fmt.Fprintf(&b, "%d goals met, %d missed, %d figures could not be measured.\n", counts[Met], counts[Missed], counts[Failed])
	return b.String()
}

// Markers that delimit the generated results in BENCHMARKS.md.
const (
	ResultsBegin = "<!-- bench-results:begin -->"
	ResultsEnd   = "<!-- bench-results:end -->"
)

// UpdateResults puts results between the markers of the Markdown file at path, leaving the rest
// as it is.
func UpdateResults(path, results string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc := string(b)
	begin, end := strings.Index(doc, ResultsBegin), strings.Index(doc, ResultsEnd)
	if begin < 0 || end < begin {
		return errors.New(path + " has no " + ResultsBegin + " ... " + ResultsEnd + " section")
	}
	return os.WriteFile(path, []byte(doc[:begin+len(ResultsBegin)]+"\n"+results+doc[end:]), 0o644)
}

// header names what was measured, where, and how busy the machine was: other work on it shows
// in every wall time, and ratios only partly cancel it. Parts it cannot read stay "unknown".
func header(ctx context.Context, code, mode string, started time.Time, loadBefore float64) []string {
	cpu, memKB, kernel, tf := "unknown CPU", 0.0, "unknown", "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		cpu = procField(string(b), "model name", cpu)
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		_, _ = fmt.Sscan(procField(string(b), "MemTotal", ""), &memKB)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	cmd := exec.CommandContext(ctx, "terraform", "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	if out, err := cmd.Output(); err == nil {
		tf = strings.TrimPrefix(firstLine(string(out)), "Terraform v")
	}
	return []string{
		fmt.Sprintf("Mode: %s. Started %s, took %s.", mode, started.UTC().Format("2006-01-02 15:04 UTC"), time.Since(started).Round(time.Second)),
		"Code: " + code + ".",
		fmt.Sprintf("Machine: %s, %d cores, %.0f GiB memory, Linux %s, %s, Terraform %s.", cpu, runtime.NumCPU(), memKB/(1<<20), kernel, runtime.Version(), tf),
		fmt.Sprintf("Load average (1 min) %.2f at the start, %.2f at the end, on %d cores.", loadBefore, loadAverage(), runtime.NumCPU()),
	}
}

// describeCode names the commit of the module at dir, and says when its work tree differs from
// it. It takes no lock, since the lead may be committing meanwhile.
func describeCode(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "--no-optional-locks", "-C", dir, "describe", "--always", "--dirty= with uncommitted changes").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	return "commit " + strings.TrimSpace(string(out))
}

// loadAverage is the 1-minute load average, or NaN where /proc/loadavg cannot be read.
func loadAverage() float64 {
	load := math.NaN()
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		_, _ = fmt.Sscan(string(b), &load) // a failed scan leaves the NaN
	}
	return load
}

// procField returns the value of the first "name : value" line of a /proc file.
func procField(text, name, fallback string) string {
	for _, line := range strings.Split(text, "\n") {
		if key, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(key) == name {
			return strings.TrimSpace(value)
		}
	}
	return fallback
}
