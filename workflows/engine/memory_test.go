package engine

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// Memory must stay flat however many executions run: closed executions are kept up to
// RetainClosed and then forgotten, with everything that refers to them.
func TestMemoryStaysFlatOver100000Executions(t *testing.T) {
	e, err := New(Options{RetainClosed: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "flat", Definition: `{"StartAt":"P","States":{
		"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
			{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"ItemsPath":"$.items","End":true}}}],"End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	input := `{"items":[1,2,3]}`
	run := func(n int) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(n) {
					d, err := e.RunExecution(ctx, StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: &input})
					if err != nil {
						t.Error(err)
						return
					}
					if d.Status != StatusSucceeded {
						t.Errorf("status %s", d.Status)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	run(20000)
	after20k := heap()
	run(80000)
	after100k := heap()
	t.Logf("heap after 20,000 executions: %d KiB; after 100,000: %d KiB", after20k>>10, after100k>>10)
	if after100k > after20k+after20k/5+(1<<20) {
		t.Fatalf("heap grew from %d KiB to %d KiB between 20,000 and 100,000 executions", after20k>>10, after100k>>10)
	}
	if n := len(e.allExecutions()); n > 1000 {
		t.Fatalf("%d executions kept, RetainClosed is 1000", n)
	}
	sm2 := e.machines[sm.StateMachineArn]
	sm2.listMu.Lock()
	listed := len(sm2.executions)
	sm2.listMu.Unlock()
	if listed > 2200 {
		t.Fatalf("the state machine still lists %d executions", listed)
	}
}
