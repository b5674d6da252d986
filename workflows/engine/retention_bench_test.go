package engine

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkRetainedClosedExecution measures what a closed execution kept by retention costs in
// memory with a journal: b.N executions of the flow machine run to their end and stay retained
// (RetainClosed is above b.N); the Go heap after a collection, before and after, divided by
// b.N is the "bytes/retained" metric. Run it with a fixed count for a steady figure:
// go test -run '^$' -bench RetainedClosed -benchtime 20000x ./workflows/engine
func BenchmarkRetainedClosedExecution(b *testing.B) {
	e, err := New(Options{DataDir: b.TempDir(), NoSync: true, RetainClosed: b.N + 1000})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "retained", Definition: benchFlow})
	if err != nil {
		b.Fatal(err)
	}
	input := benchInput()
	before := liveHeap()
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				d, err := e.RunExecution(ctx, StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: &input})
				if err != nil || d.Status != StatusSucceeded {
					b.Errorf("%v %v", d, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	after := liveHeap()
	if n := len(e.allExecutions()); n != b.N {
		b.Fatalf("%d executions retained, want %d", n, b.N)
	}
	b.ReportMetric(float64(int64(after)-int64(before))/float64(b.N), "bytes/retained")
}

// liveHeap is the Go heap in use after two collections.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
