package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"
)

// Sample is the memory of the process after a number of executions, each read after a
// garbage collection.
type Sample struct {
	Executions  int    `json:"executions"`
	RSSBytes    int64  `json:"rssBytes"`
	HeapBytes   uint64 `json:"heapBytes"`
	HeapObjects uint64 `json:"heapObjects"`
	Goroutines  int    `json:"goroutines"`
}

// Series is the memory of our engine over many executions of one machine in one mode.
type Series struct {
	Machine string `json:"machine"`
	// Mode is memory (when empty) or durable.
	Mode        Mode `json:"mode,omitempty"`
	Concurrency int  `json:"concurrency"`
	// RetainClosed is the engine's retention of closed executions during the series.
	RetainClosed int      `json:"retainClosed"`
	Samples      []Sample `json:"samples"`
	Seconds      float64  `json:"seconds"`
}

// DefaultRetainClosed is the engine's retention of closed executions in memory mode when
// Options.RetainClosed is zero; the series passes it explicitly so that the report can name it.
const DefaultRetainClosed = 1000

// DefaultDurableRetainClosed is the engine's retention of closed executions with a journal
// when Options.RetainClosed is zero.
const DefaultDurableRetainClosed = 100000

// MemorySeries runs executions of m in memory mode, concurrency in flight, and samples the
// process's memory when the count reaches each checkpoint (ascending).
func MemorySeries(ctx context.Context, m Machine, checkpoints []int, concurrency, retainClosed int) (Series, error) {
	return RunSeries(ctx, m, checkpoints, concurrency, SeriesOptions{Mode: ModeMemory, RetainClosed: retainClosed})
}

// SeriesOptions configure RunSeries.
type SeriesOptions struct {
	// Mode is ModeMemory or ModeDurable (with fsync, as in production).
	Mode Mode
	// RetainClosed is the engine's retention; the engine's default for the mode when zero.
	RetainClosed int
	// DataDir is where the durable mode's journal goes (see TargetOptions).
	DataDir string
}

// RunSeries runs executions of m, concurrency in flight, and samples the process's memory when
// the count reaches each checkpoint (ascending). In durable mode, with the default retention,
// every closed execution is still retained at the end of a series of up to 100,000: the growth
// between two samples is what a retained closed execution costs.
func RunSeries(ctx context.Context, m Machine, checkpoints []int, concurrency int, opts SeriesOptions) (Series, error) {
	if len(checkpoints) == 0 || !slices.IsSorted(checkpoints) || checkpoints[0] < 1 {
		return Series{}, fmt.Errorf("bench: checkpoints %v must be ascending and positive", checkpoints)
	}
	retainClosed := opts.RetainClosed
	switch {
	case opts.Mode != ModeMemory && opts.Mode != ModeDurable:
		return Series{}, fmt.Errorf("bench: a series runs in memory or durable mode, not %q", opts.Mode)
	case retainClosed > 0:
	case opts.Mode == ModeDurable:
		retainClosed = DefaultDurableRetainClosed
	default:
		retainClosed = DefaultRetainClosed
	}
	target, err := NewTarget(ctx, opts.Mode, m, TargetOptions{Connections: concurrency, RetainClosed: retainClosed, DataDir: opts.DataDir})
	if err != nil {
		return Series{}, err
	}
	defer target.Close()
	execute := func(ctx context.Context) error {
		_, err := target.Execute(ctx)
		return err
	}
	series := Series{Machine: m.Name, Concurrency: concurrency, RetainClosed: retainClosed}
	if opts.Mode == ModeDurable {
		series.Mode = ModeDurable
	}
	begin := time.Now()
	done := 0
	for _, checkpoint := range checkpoints {
		if checkpoint == done {
			continue
		}
		latencies, _, err := Loop(ctx, checkpoint-done, concurrency, 0, execute)
		if err != nil {
			return Series{}, err
		}
		if len(latencies) != checkpoint-done {
			return Series{}, fmt.Errorf("bench: %d of %d executions ended", len(latencies), checkpoint-done)
		}
		done = checkpoint
		runtime.GC()
		var stats runtime.MemStats
		runtime.ReadMemStats(&stats)
		rss, err := ProcessMemory("VmRSS")
		if err != nil {
			return Series{}, err
		}
		series.Samples = append(series.Samples, Sample{Executions: done, RSSBytes: rss, HeapBytes: stats.HeapAlloc,
			HeapObjects: stats.HeapObjects, Goroutines: runtime.NumGoroutine()})
	}
	series.Seconds = time.Since(begin).Seconds()
	return series, nil
}

// FlatTolerance is how much the Go heap may grow between the first and the last sample of a
// series for it to count as flat: retention is full long before the first sample, so what
// remains is noise.
const FlatTolerance = 0.10

// BytesPerExecution is the Go heap's growth from the first to the last sample divided by the
// executions run in between: in a durable series whose retention holds every execution, what
// one retained closed execution costs.
func (s Series) BytesPerExecution() (float64, error) {
	if len(s.Samples) < 2 {
		return 0, errors.New("bench: a series needs two samples")
	}
	first, last := s.Samples[0], s.Samples[len(s.Samples)-1]
	return (float64(last.HeapBytes) - float64(first.HeapBytes)) / float64(last.Executions-first.Executions), nil
}

// HeapGrowth is the Go heap's relative growth from the first to the last sample.
func (s Series) HeapGrowth() (float64, error) {
	if len(s.Samples) < 2 {
		return 0, errors.New("bench: a series needs two samples")
	}
	first, last := s.Samples[0].HeapBytes, s.Samples[len(s.Samples)-1].HeapBytes
	if first == 0 {
		return 0, errors.New("bench: the first sample has no heap")
	}
	return float64(last)/float64(first) - 1, nil
}
