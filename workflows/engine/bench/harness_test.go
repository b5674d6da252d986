package bench

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoopKeepsConcurrencyExecutionsInFlight(t *testing.T) {
	const concurrency, count = 4, 40
	var inFlight, most, calls atomic.Int64
	// The first `concurrency` calls wait until all of them are in flight: the loop must
	// start that many at once, and never more.
	arrived := make(chan struct{})
	var arrivals atomic.Int64
	latencies, elapsed, err := Loop(context.Background(), count, concurrency, 0, func(ctx context.Context) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if calls.Add(1) <= concurrency {
			if arrivals.Add(1) == concurrency {
				close(arrived)
			}
			select {
			case <-arrived:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(latencies) != count || calls.Load() != count {
		t.Errorf("%d latencies, %d calls; want %d", len(latencies), calls.Load(), count)
	}
	if most.Load() != concurrency {
		t.Errorf("at most %d in flight; want %d", most.Load(), concurrency)
	}
	if elapsed <= 0 {
		t.Errorf("elapsed %v", elapsed)
	}
}

func TestLoopStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int64
	_, _, err := Loop(context.Background(), 1000, 2, 0, func(ctx context.Context) error {
		switch n := calls.Add(1); {
		case n == 5:
			return boom
		case n > 5:
			// The other lane's call in flight when the error comes: it lasts until the loop
			// gives up (or long enough for the assertion to catch a loop that does not).
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
			}
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v; want %v", err, boom)
	}
	if calls.Load() > 7 {
		t.Errorf("%d calls after the error", calls.Load())
	}
}

func TestLoopStopsAtItsDuration(t *testing.T) {
	start := time.Now()
	latencies, _, err := Loop(context.Background(), 1<<40, 2, 20*time.Millisecond, func(ctx context.Context) error {
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(latencies) == 0 || time.Since(start) > 10*time.Second {
		t.Errorf("%d executions in %v", len(latencies), time.Since(start))
	}
}

func TestLoopRefusesNoConcurrency(t *testing.T) {
	if _, _, err := Loop(context.Background(), 1, 0, 0, func(context.Context) error { return nil }); err == nil {
		t.Fatal("concurrency 0 accepted")
	}
}

func TestPercentileIsTheNearestRank(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 200; i++ {
		sorted = append(sorted, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 100}, {99, 198}, {100, 200}, {0, 1}, {0.1, 1}} {
		if got := Percentile(sorted, c.p); got != c.want {
			t.Errorf("p%v = %v; want %v", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
	if got := Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one = %v", got)
	}
}

func TestReportEndsWithTheFlowMemoryRatio(t *testing.T) {
	r := &Report{
		Results: []Result{
			{Engine: "peer", Mode: ModeMemory, Machine: TasksMachine, PerSecond: 400},
			{Engine: "fasttrack", Mode: ModeMemory, Machine: TasksMachine, PerSecond: 4000},
			{Engine: "fasttrack", Mode: ModeDurable, Machine: TasksMachine, PerSecond: 300},
			{Engine: "peer", Mode: ModeMemory, Machine: FlowMachine, PerSecond: 200},
			{Engine: "fasttrack", Mode: ModeMemory, Machine: FlowMachine, PerSecond: 2490},
			{Engine: "fasttrack", Mode: ModeDurable, Machine: FlowMachine, PerSecond: 250},
		},
		Series: &Series{Machine: FlowMachine, RetainClosed: 1000, Samples: []Sample{
			{Executions: 10, HeapBytes: 100}, {Executions: 100, HeapBytes: 105},
		}},
	}
	var out strings.Builder
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; last != "engine/peer throughput ratio: 12.4" {
		t.Errorf("last line %q", last)
	}
	goals := r.Goals()
	want := []bool{true, true, false, true}
	if len(goals) != len(want) {
		t.Fatalf("goals %+v", goals)
	}
	for i, g := range goals {
		if g.Met != want[i] {
			t.Errorf("goal %q met=%v; want %v (%s)", g.Name, g.Met, want[i], g.Outcome)
		}
	}
	if !strings.Contains(out.String(), "NOT met (0.8x)") {
		t.Errorf("the report does not show the durable tasks ratio:\n%s", out.String())
	}
}

func TestReportWithoutThePeerSaysNoRatio(t *testing.T) {
	r := &Report{Results: []Result{{Engine: "fasttrack", Mode: ModeMemory, Machine: FlowMachine, PerSecond: 2490}}}
	var out strings.Builder
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\nengine/peer throughput ratio: n/a\n") {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestMemorySeriesSamplesAtEachCheckpoint(t *testing.T) {
	m, err := LoadMachine(FlowMachine)
	if err != nil {
		t.Fatal(err)
	}
	series, err := MemorySeries(context.Background(), m, []int{20, 60}, 4, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(series.Samples) != 2 || series.Samples[0].Executions != 20 || series.Samples[1].Executions != 60 {
		t.Fatalf("samples %+v", series.Samples)
	}
	for _, s := range series.Samples {
		if s.RSSBytes <= 0 || s.HeapBytes == 0 {
			t.Errorf("sample %+v has no memory", s)
		}
	}
	if series.RetainClosed != 10 {
		t.Errorf("retention %d", series.RetainClosed)
	}
	if _, err := MemorySeries(context.Background(), m, []int{60, 20}, 4, 10); err == nil {
		t.Error("descending checkpoints accepted")
	}
}

func TestLoadMachineNamesTheKnownOnes(t *testing.T) {
	_, err := LoadMachine("nope")
	if err == nil || !strings.Contains(err.Error(), "tasks, flow") {
		t.Fatalf("error %v", err)
	}
	if _, err := ParseMode("fast"); err == nil {
		t.Fatal("mode fast accepted")
	}
}

func TestDurableSeriesKeepsTheEngineRetention(t *testing.T) {
	m, err := LoadMachine(FlowMachine)
	if err != nil {
		t.Fatal(err)
	}
	series, err := RunSeries(context.Background(), m, []int{20, 60}, 4, SeriesOptions{Mode: ModeDurable, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if series.Mode != ModeDurable || series.RetainClosed != DefaultDurableRetainClosed || len(series.Samples) != 2 {
		t.Fatalf("series %+v", series)
	}
	if _, err := series.BytesPerExecution(); err != nil {
		t.Fatal(err)
	}
	r := &Report{DurableSeries: &series}
	var out strings.Builder
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "in durable mode (retention 100000 closed executions") ||
		!strings.Contains(out.String(), "bytes per retained closed execution") {
		t.Errorf("report:\n%s", out.String())
	}
	if _, err := RunSeries(context.Background(), m, []int{20}, 4, SeriesOptions{Mode: ModeAPI}); err == nil {
		t.Error("a series in api mode accepted")
	}
}

func TestBytesPerExecution(t *testing.T) {
	s := Series{Samples: []Sample{{Executions: 1000, HeapBytes: 5000}, {Executions: 3000, HeapBytes: 9000}}}
	if got, err := s.BytesPerExecution(); err != nil || got != 2 {
		t.Fatalf("%v %v, want 2", got, err)
	}
	if _, err := (Series{Samples: s.Samples[:1]}).BytesPerExecution(); err == nil {
		t.Fatal("one sample accepted")
	}
}
