// Command benchengine measures the embedded Step Functions engine against its peer, the npm
// package aws-local-stepfunctions: the same state machines with the same inputs, one engine
// after the other, the same number of executions in flight. It prints, for each machine and
// engine, executions per second, p50 and p99 latency, peak RSS and the ratio to the peer; then
// the memory of our engine over a long series; its last line is
// "engine/peer throughput ratio: X.X" (the flow machine, in memory).
//
// Every measurement runs in a process of its own (this program again, with -child, or Node for
// the peer), so that peak RSS is that measurement's alone. `make bench-engine` installs the
// peer first (scripts/peer-bench/install.sh) and runs this from the repository root.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/bench"
)

type options struct {
	machines    string
	modes       string
	executions  int
	warmup      int
	concurrency int
	seconds     float64
	series      int
	seriesModes string
	node        string
	script      string
	noPeer      bool
	dataDir     string
	jsonOut     string
	profileDir  string

	child   string
	machine string
	mode    string
}

func main() {
	var o options
	flag.StringVar(&o.machines, "machines", strings.Join(bench.MachineNames(), ","), "machines to run, comma-separated")
	flag.StringVar(&o.modes, "modes", "memory,durable,api", "modes of our engine, comma-separated: memory, durable, api")
	flag.IntVar(&o.executions, "executions", 1000000, "at most this many measured executions per machine, engine and mode")
	flag.IntVar(&o.warmup, "warmup", 2000, "executions run before measuring (within -seconds)")
	flag.IntVar(&o.concurrency, "concurrency", 16, "executions in flight")
	flag.Float64Var(&o.seconds, "seconds", 10, "each measurement runs this long, unless -executions end it first")
	flag.IntVar(&o.series, "series", 100000, "executions of the flow machine in the memory series, sampled at a tenth, a half and the end (in durable mode also at a quarter and three quarters; 0: no series)")
	flag.StringVar(&o.seriesModes, "series-modes", "memory,durable", "modes of the memory series, comma-separated: memory, durable (with fsync and the default retention)")
	flag.StringVar(&o.node, "node", ".cache/peer-bench/node_modules/.bin/node", "the Node 22+ binary that runs the peer")
	flag.StringVar(&o.script, "peer-script", "scripts/peer-bench/run.mjs", "the peer's benchmark script")
	flag.BoolVar(&o.noPeer, "no-peer", false, "measure our engine only")
	flag.StringVar(&o.dataDir, "data-dir", "", "where the durable mode's journal goes (a temporary directory in it); the system's temporary directory by default")
	flag.StringVar(&o.jsonOut, "json", "", "also write every result as JSON to this file")
	flag.StringVar(&o.profileDir, "cpuprofile-dir", "", "write a CPU profile of each of our measurements (warm-up excluded) to DIR/MACHINE-MODE.cpu.prof")
	flag.StringVar(&o.child, "child", "", "internal: run one measurement (measure) or the memory series (series) and print it as JSON")
	flag.StringVar(&o.machine, "machine", "", "internal: the machine of a -child measurement")
	flag.StringVar(&o.mode, "mode", "", "internal: the mode of a -child measurement")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch o.child {
	case "":
		err = run(ctx, o)
	case "measure":
		err = childMeasure(ctx, o)
	case "series":
		err = childSeries(ctx, o)
	default:
		err = fmt.Errorf("unknown -child %q", o.child)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchengine:", err)
		os.Exit(1)
	}
}

func (o options) maxDuration() time.Duration {
	return time.Duration(o.seconds * float64(time.Second))
}

func (o options) check() error {
	switch {
	case o.executions < 1:
		return fmt.Errorf("-executions must be at least 1, not %d", o.executions)
	case o.warmup < 0:
		return fmt.Errorf("-warmup must not be negative, not %d", o.warmup)
	case o.concurrency < 1:
		return fmt.Errorf("-concurrency must be at least 1, not %d", o.concurrency)
	case o.seconds <= 0:
		return fmt.Errorf("-seconds must be positive, not %g", o.seconds)
	case o.series != 0 && o.series < 10:
		return fmt.Errorf("-series must be 0 or at least 10, not %d", o.series)
	}
	return nil
}

// run is the parent: it runs every measurement in a child process and prints the report.
func run(ctx context.Context, o options) error {
	if err := o.check(); err != nil {
		return err
	}
	var machines []bench.Machine
	for _, name := range split(o.machines) {
		m, err := bench.LoadMachine(name)
		if err != nil {
			return err
		}
		machines = append(machines, m)
	}
	var modes []bench.Mode
	for _, name := range split(o.modes) {
		mode, err := bench.ParseMode(name)
		if err != nil {
			return err
		}
		modes = append(modes, mode)
	}
	if !o.noPeer {
		if _, err := os.Stat(o.node); err != nil {
			return fmt.Errorf("the peer's Node binary: %w (scripts/peer-bench/install.sh installs it; -no-peer skips the peer)", err)
		}
	}
	version := engineVersion()
	report := &bench.Report{
		Host: host(),
		Settings: fmt.Sprintf("each measurement %g s (at most %d executions) after %d warm-up executions, %d in flight, one measurement at a time",
			o.seconds, o.executions, o.warmup, o.concurrency),
	}
	for _, m := range machines {
		if !o.noPeer {
			progress("%s on the peer", m.Name)
			result, err := bench.RunPeer(ctx, m, bench.PeerOptions{Node: o.node, Script: o.script, Executions: o.executions,
				Warmup: o.warmup, Concurrency: o.concurrency, MaxDuration: o.maxDuration()})
			if err != nil {
				return err
			}
			progress("%s on the peer: %.0f executions/s", m.Name, result.PerSecond)
			report.Results = append(report.Results, result)
		}
		for _, mode := range modes {
			progress("%s on our engine, %s", m.Name, mode)
			var result bench.Result
			if err := child(ctx, o, &result, "-child", "measure", "-machine", m.Name, "-mode", string(mode)); err != nil {
				return err
			}
			result.EngineVersion = version
			progress("%s on our engine, %s: %.0f executions/s", m.Name, mode, result.PerSecond)
			report.Results = append(report.Results, result)
		}
	}
	for _, name := range split(o.seriesModes) {
		if o.series <= 0 {
			break
		}
		mode, err := bench.ParseMode(name)
		if err != nil {
			return err
		}
		progress("memory series: %d executions of %s, %s", o.series, bench.FlowMachine, mode)
		var series bench.Series
		if err := child(ctx, o, &series, "-child", "series", "-mode", string(mode)); err != nil {
			return err
		}
		switch mode {
		case bench.ModeMemory:
			report.Series = &series
		case bench.ModeDurable:
			report.DurableSeries = &series
		default:
			return fmt.Errorf("-series-modes: a series runs in memory or durable mode, not %s", mode)
		}
	}
	report.Host.LoadAfter = loadAverage()
	if o.jsonOut != "" {
		raw, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, append(raw, '\n'), 0o644); err != nil {
			return err
		}
	}
	return report.Write(os.Stdout)
}

// child runs this program again with the shared flags and args, and decodes what it prints.
func child(ctx context.Context, o options, into any, args ...string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args = append(args,
		"-executions", strconv.Itoa(o.executions), "-warmup", strconv.Itoa(o.warmup),
		"-concurrency", strconv.Itoa(o.concurrency), "-seconds", strconv.FormatFloat(o.seconds, 'f', -1, 64),
		"-series", strconv.Itoa(o.series), "-data-dir", o.dataDir, "-cpuprofile-dir", o.profileDir)
	cmd := exec.CommandContext(ctx, self, args...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(args[:min(len(args), 6)], " "), err)
	}
	if err := json.Unmarshal(stdout.Bytes(), into); err != nil {
		return fmt.Errorf("%s printed %.300q: %w", strings.Join(args[:min(len(args), 6)], " "), stdout.String(), err)
	}
	return nil
}

func childMeasure(ctx context.Context, o options) error {
	if err := o.check(); err != nil {
		return err
	}
	m, err := bench.LoadMachine(o.machine)
	if err != nil {
		return err
	}
	mode, err := bench.ParseMode(o.mode)
	if err != nil {
		return err
	}
	cfg := bench.Config{Machine: m, Mode: mode, Executions: o.executions, Warmup: o.warmup,
		Concurrency: o.concurrency, MaxDuration: o.maxDuration(), Target: bench.TargetOptions{DataDir: o.dataDir}}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
		cfg.CPUProfile = filepath.Join(o.profileDir, m.Name+"-"+string(mode)+".cpu.prof")
	}
	result, err := bench.Measure(ctx, cfg)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(result)
}

func childSeries(ctx context.Context, o options) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.series < 10 {
		return errors.New("-series must be at least 10")
	}
	m, err := bench.LoadMachine(bench.FlowMachine)
	if err != nil {
		return err
	}
	opts := bench.SeriesOptions{Mode: bench.ModeMemory, RetainClosed: bench.DefaultRetainClosed}
	checkpoints := []int{o.series / 10, o.series / 2, o.series}
	if o.mode == string(bench.ModeDurable) {
		// The engine's own retention: the series shows what retained closed executions cost.
		opts = bench.SeriesOptions{Mode: bench.ModeDurable, DataDir: o.dataDir}
		checkpoints = []int{o.series / 10, o.series / 4, o.series / 2, o.series * 3 / 4, o.series}
	}
	series, err := bench.RunSeries(ctx, m, checkpoints, o.concurrency, opts)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(series)
}

func split(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// engineVersion names the revision measured: git describe in the working tree (with -dirty
// when it has changes), else the revision the binary was built from.
func engineVersion() string {
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		return "fasttrack " + strings.TrimSpace(string(out))
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return "fasttrack " + s.Value
			}
		}
	}
	return "fasttrack (revision unknown)"
}

func host() bench.Host {
	h := bench.Host{CPUs: runtime.NumCPU(), CPUModel: "unknown CPU", Kernel: runtime.GOOS}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				h.CPUModel = strings.TrimSpace(value)
				break
			}
		}
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if value, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64); err == nil {
					h.Memory = kb * 1024
				}
			}
		}
	}
	if raw, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = runtime.GOOS + " " + strings.TrimSpace(string(raw))
	}
	h.LoadBefore = loadAverage()
	return h
}

// loadAverage is the 1-minute load average, "?" when unknown.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return "?"
	}
	return fields[0]
}
