package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one measurement: one machine on one engine in one mode. The peer's script prints
// the same JSON shape.
type Result struct {
	// Engine is "fasttrack" (ours) or "peer".
	Engine  string `json:"engine"`
	Mode    Mode   `json:"mode"`
	Machine string `json:"machine"`
	// EngineVersion and Runtime say what ran (the peer's package version and Node's, or our
	// revision and Go's).
	EngineVersion string `json:"engineVersion"`
	Runtime       string `json:"runtime"`
	Concurrency   int    `json:"concurrency"`
	Warmup        int    `json:"warmup"`
	// Executions were measured in Seconds.
	Executions int     `json:"executions"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"perSecond"`
	// P50Ms and P99Ms are latencies of one execution, start to end, in milliseconds.
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	// PeakRSSBytes is the process's peak resident set (warm-up included).
	PeakRSSBytes int64 `json:"peakRssBytes"`
	// HeapBytes is the Go heap in use after a collection at the end (ours only).
	HeapBytes uint64 `json:"heapBytes,omitempty"`
	// Output is one execution's output, checked against the machine's expected output.
	Output json.RawMessage `json:"output"`
}

// Config is one measurement of our engine.
type Config struct {
	Machine     Machine
	Mode        Mode
	Executions  int
	Warmup      int
	Concurrency int
	// MaxDuration ends the measured loop early (and the warm-up loop); 0: no limit.
	MaxDuration time.Duration
	Target      TargetOptions
	// Version names the engine's revision in the result.
	Version string
	// CPUProfile, when set, is a file that receives a CPU profile of the measured loop.
	CPUProfile string
}

// maxPrealloc bounds the latencies slice made in advance (a loop bounded by its duration may
// be given a huge count).
const maxPrealloc = 1 << 20

// Loop runs count executions of execute with concurrency of them in flight (a closed loop:
// each lane starts its next execution when its last one ends), until count have run or
// maxDuration has passed (0: no limit). It returns the latency of every execution that ended
// and the time the loop took; the first error stops it.
func Loop(ctx context.Context, count, concurrency int, maxDuration time.Duration, execute func(context.Context) error) ([]time.Duration, time.Duration, error) {
	if concurrency < 1 {
		return nil, 0, fmt.Errorf("bench: concurrency must be at least 1, not %d", concurrency)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var deadline time.Time
	if maxDuration > 0 {
		deadline = time.Now().Add(maxDuration)
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		all      = make([]time.Duration, 0, min(count, 1<<16))
		firstErr error
	)
	lanes := min(concurrency, count)
	begin := time.Now()
	for range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := make([]time.Duration, 0, min(count/lanes+1, maxPrealloc))
			defer func() {
				mu.Lock()
				all = append(all, own...)
				mu.Unlock()
			}()
			for next.Add(1) <= int64(count) && ctx.Err() == nil {
				t0 := time.Now()
				if err := execute(ctx); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
				end := time.Now()
				own = append(own, end.Sub(t0))
				if !deadline.IsZero() && end.After(deadline) {
					return
				}
			}
		}()
	}
	wg.Wait()
	return all, time.Since(begin), firstErr
}

// Percentile returns the p-th percentile (nearest rank) of sorted latencies.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.9999999) - 1
	return sorted[max(0, min(len(sorted)-1, rank))]
}

// Measure runs one measurement of our engine: one execution whose output is checked, the
// warm-up, then the measured loop.
func Measure(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Executions < 1 {
		return Result{}, fmt.Errorf("bench: executions must be at least 1, not %d", cfg.Executions)
	}
	if cfg.Target.Connections == 0 {
		cfg.Target.Connections = cfg.Concurrency
	}
	target, err := NewTarget(ctx, cfg.Mode, cfg.Machine, cfg.Target)
	if err != nil {
		return Result{}, err
	}
	defer target.Close()
	output, err := target.Execute(ctx)
	if err != nil {
		return Result{}, err
	}
	if same, err := cfg.Machine.SameOutput(output); err != nil || !same {
		return Result{}, errors.Join(err, fmt.Errorf("bench: %s in %s mode: output %.300s is not the expected one", cfg.Machine.Name, cfg.Mode, output))
	}
	execute := func(ctx context.Context) error {
		_, err := target.Execute(ctx)
		return err
	}
	if cfg.Warmup > 0 {
		if _, _, err := Loop(ctx, cfg.Warmup, cfg.Concurrency, cfg.MaxDuration, execute); err != nil {
			return Result{}, err
		}
	}
	stopProfile, err := startCPUProfile(cfg.CPUProfile)
	if err != nil {
		return Result{}, err
	}
	latencies, elapsed, err := Loop(ctx, cfg.Executions, cfg.Concurrency, cfg.MaxDuration, execute)
	if perr := stopProfile(); err == nil {
		err = perr
	}
	if err != nil {
		return Result{}, err
	}
	slices.Sort(latencies)
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	peak, _ := ProcessMemory("VmHWM")
	return Result{
		Engine: "fasttrack", Mode: cfg.Mode, Machine: cfg.Machine.Name,
		EngineVersion: cfg.Version, Runtime: runtime.Version(),
		Concurrency: cfg.Concurrency, Warmup: cfg.Warmup,
		Executions: len(latencies), Seconds: elapsed.Seconds(),
		PerSecond: float64(len(latencies)) / elapsed.Seconds(),
		P50Ms:     milliseconds(Percentile(latencies, 50)), P99Ms: milliseconds(Percentile(latencies, 99)),
		PeakRSSBytes: peak, HeapBytes: stats.HeapAlloc,
		Output: json.RawMessage(output),
	}, nil
}

// startCPUProfile starts a CPU profile into path (nothing when path is empty) and returns
// what stops it.
func startCPUProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

func milliseconds(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ProcessMemory reads one memory figure of this process from /proc/self/status, in bytes:
// "VmRSS" (resident now) or "VmHWM" (peak resident).
func ProcessMemory(field string) (int64, error) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	scanner := bufio.NewScanner(bytes.NewReader(raw))
	for scanner.Scan() {
		name, value, ok := strings.Cut(scanner.Text(), ":")
		if !ok || name != field {
			continue
		}
		kilobytes, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: /proc/self/status %s: %w", field, err)
		}
		return kilobytes * 1024, nil
	}
	return 0, fmt.Errorf("bench: /proc/self/status has no %s", field)
}
