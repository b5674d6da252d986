package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Host describes the machine the benchmark ran on.
type Host struct {
	CPUs     int
	CPUModel string
	Memory   int64
	Kernel   string
	// Load is /proc/loadavg's 1-minute load average when the run started and when it ended:
	// other work on the machine skews every figure.
	LoadBefore, LoadAfter string
}

// Report is everything one run of the benchmark measured.
type Report struct {
	Host Host
	// Results in the order they ran: for each machine the peer, then our modes.
	Results []Result
	// Series is the memory series; nil when it was not run.
	Series *Series
	// DurableSeries is the memory series with a journal; nil when it was not run.
	DurableSeries *Series
	// Settings says how the loop was run (counts, concurrency, limits), for the header.
	Settings string
}

// Peer returns the peer's result for a machine.
func (r *Report) Peer(machine string) (Result, bool) {
	for _, x := range r.Results {
		if x.Engine == "peer" && x.Machine == machine {
			return x, true
		}
	}
	return Result{}, false
}

// Ours returns our engine's result for a machine in a mode.
func (r *Report) Ours(machine string, mode Mode) (Result, bool) {
	for _, x := range r.Results {
		if x.Engine != "peer" && x.Machine == machine && x.Mode == mode {
			return x, true
		}
	}
	return Result{}, false
}

// Ratio is our throughput over the peer's for a machine in a mode.
func (r *Report) Ratio(machine string, mode Mode) (float64, bool) {
	peer, ok := r.Peer(machine)
	ours, ok2 := r.Ours(machine, mode)
	if !ok || !ok2 || peer.PerSecond <= 0 {
		return 0, false
	}
	return ours.PerSecond / peer.PerSecond, true
}

const mebibyte = 1 << 20

// Write prints the report. Its last line is "engine/peer throughput ratio: X.X", the ratio on
// the flow machine in memory mode ("n/a" when either side did not run).
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	h := r.Host
	fmt.Fprintf(&b, "host: %d CPUs (%s), %.1f GiB, %s; load average %s before the run, %s after\n",
		h.CPUs, h.CPUModel, float64(h.Memory)/(1<<30), h.Kernel, h.LoadBefore, h.LoadAfter)
	seen := map[string]bool{}
	for _, x := range r.Results {
		key := x.Engine + " " + x.EngineVersion + " (" + x.Runtime + ")"
		if !seen[key] {
			seen[key] = true
			fmt.Fprintf(&b, "%s: %s (%s)\n", x.Engine, x.EngineVersion, x.Runtime)
		}
	}
	if r.Settings != "" {
		fmt.Fprintf(&b, "run: %s\n", r.Settings)
	}
	b.WriteString("\n")
	table := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "machine\tengine\tmode\texecutions\texec/s\tp50 ms\tp99 ms\tpeak RSS MiB\tGo heap MiB\tvs peer\t")
	for _, x := range r.Results {
		ratio := "-"
		if x.Engine != "peer" {
			if v, ok := r.Ratio(x.Machine, x.Mode); ok {
				ratio = fmt.Sprintf("%.1fx", v)
			}
		}
		heap := "-"
		if x.HeapBytes > 0 {
			heap = fmt.Sprintf("%.1f", float64(x.HeapBytes)/mebibyte)
		}
		fmt.Fprintf(table, "%s\t%s\t%s\t%d\t%.0f\t%.2f\t%.2f\t%.1f\t%s\t%s\t\n", x.Machine, x.Engine, x.Mode, x.Executions,
			x.PerSecond, x.P50Ms, x.P99Ms, float64(x.PeakRSSBytes)/mebibyte, heap, ratio)
	}
	table.Flush()
	for _, s := range []*Series{r.Series, r.DurableSeries} {
		if s == nil || len(s.Samples) == 0 {
			continue
		}
		mode := s.Mode
		if mode == "" {
			mode = ModeMemory
		}
		fmt.Fprintf(&b, "\nmemory of our engine over %d executions of %s in %s mode (retention %d closed executions, concurrency %d, %.0f s):\n",
			s.Samples[len(s.Samples)-1].Executions, s.Machine, mode, s.RetainClosed, s.Concurrency, s.Seconds)
		table := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(table, "executions\tRSS MiB\tGo heap MiB\theap objects\tgoroutines\t")
		for _, x := range s.Samples {
			fmt.Fprintf(table, "%d\t%.1f\t%.1f\t%d\t%d\t\n", x.Executions, float64(x.RSSBytes)/mebibyte, float64(x.HeapBytes)/mebibyte, x.HeapObjects, x.Goroutines)
		}
		table.Flush()
		if last := s.Samples[len(s.Samples)-1].Executions; mode == ModeDurable && last <= s.RetainClosed {
			if per, err := s.BytesPerExecution(); err == nil {
				fmt.Fprintf(&b, "every closed execution is retained: the Go heap grows by %.0f bytes per retained closed execution\n", per)
			}
		}
	}
	b.WriteString("\ntargets:\n")
	for _, t := range r.Goals() {
		fmt.Fprintf(&b, "  %-52s %s\n", t.Name, t.Outcome)
	}
	if v, ok := r.Ratio(FlowMachine, ModeMemory); ok {
		fmt.Fprintf(&b, "engine/peer throughput ratio: %.1f\n", v)
	} else {
		b.WriteString("engine/peer throughput ratio: n/a\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Goal is one of the speed targets and how this run did against it.
type Goal struct {
	Name    string
	Met     bool
	Outcome string
}

// Goals checks the run against the targets: 10x the peer's throughput on the flow machine in
// memory, at least the peer's throughput with durability on, and flat memory.
func (r *Report) Goals() []Goal {
	var out []Goal
	check := func(name string, machine string, mode Mode, want float64) {
		v, ok := r.Ratio(machine, mode)
		switch {
		case !ok:
			out = append(out, Goal{Name: name, Outcome: "not measured"})
		case v >= want:
			out = append(out, Goal{Name: name, Met: true, Outcome: fmt.Sprintf("met (%.1fx)", v)})
		default:
			out = append(out, Goal{Name: name, Outcome: fmt.Sprintf("NOT met (%.1fx)", v)})
		}
	}
	check("flow, memory: at least 10x the peer's throughput", FlowMachine, ModeMemory, 10)
	check("flow, durable: at least the peer's throughput", FlowMachine, ModeDurable, 1)
	check("tasks, durable: at least the peer's throughput", TasksMachine, ModeDurable, 1)
	name := "memory flat over the series (Go heap, first to last)"
	if r.Series == nil {
		out = append(out, Goal{Name: name, Outcome: "not measured"})
	} else if growth, err := r.Series.HeapGrowth(); err != nil {
		out = append(out, Goal{Name: name, Outcome: err.Error()})
	} else if growth <= FlatTolerance {
		out = append(out, Goal{Name: name, Met: true, Outcome: fmt.Sprintf("met (%+.1f%%)", 100*growth)})
	} else {
		out = append(out, Goal{Name: name, Outcome: fmt.Sprintf("NOT met (%+.1f%%)", 100*growth)})
	}
	return out
}
