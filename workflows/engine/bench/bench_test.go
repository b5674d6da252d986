package bench

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// benchConcurrency is the number of executions in flight in the Go benchmarks, as in the
// benchmark command's default.
const benchConcurrency = 16

// BenchmarkEngine runs every machine in every mode; one op is one execution, start to end, with
// benchConcurrency of them in flight. Besides ns/op (the inverse of throughput) it reports the
// p50 and p99 latency.
func BenchmarkEngine(b *testing.B) {
	for _, name := range MachineNames() {
		machine, err := LoadMachine(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range Modes() {
			b.Run(fmt.Sprintf("%s/%s", name, mode), func(b *testing.B) {
				ctx := context.Background()
				target, err := NewTarget(ctx, mode, machine, TargetOptions{DataDir: b.TempDir(), Connections: benchConcurrency})
				if err != nil {
					b.Fatal(err)
				}
				defer target.Close()
				execute := func(ctx context.Context) error {
					_, err := target.Execute(ctx)
					return err
				}
				if _, _, err := Loop(ctx, 200, benchConcurrency, 0, execute); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				latencies, _, err := Loop(ctx, b.N, benchConcurrency, 0, execute)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				slices.Sort(latencies)
				b.ReportMetric(milliseconds(Percentile(latencies, 50)), "p50-ms")
				b.ReportMetric(milliseconds(Percentile(latencies, 99)), "p99-ms")
			})
		}
	}
}

// BenchmarkEngineSequential runs the flow machine in memory one execution at a time: the
// latency of one execution with nothing else running.
func BenchmarkEngineSequential(b *testing.B) {
	machine, err := LoadMachine(FlowMachine)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	target, err := NewTarget(ctx, ModeMemory, machine, TargetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer target.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := target.Execute(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMachinesGiveTheExpectedOutputInEveryMode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, name := range MachineNames() {
		machine, err := LoadMachine(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range Modes() {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				target, err := NewTarget(ctx, mode, machine, TargetOptions{DataDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				defer func() {
					if err := target.Close(); err != nil {
						t.Error(err)
					}
				}()
				for range 3 {
					output, err := target.Execute(ctx)
					if err != nil {
						t.Fatal(err)
					}
					same, err := machine.SameOutput(output)
					if err != nil {
						t.Fatal(err)
					}
					if !same {
						t.Fatalf("output %s\nwant %s", output, machine.Output)
					}
				}
			})
		}
	}
}
