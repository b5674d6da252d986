package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// restart closes the harness's engine and opens a new one on the same data directory and
// clock, as a process restart would.
func (h *harness) restart(t *testing.T, dir string, configure ...func(*Options)) *harness {
	t.Helper()
	if err := h.e.Close(); err != nil {
		t.Fatal(err)
	}
	return newHarnessAt(t, h.clock, dir, configure...)
}

func newHarnessAt(t *testing.T, c *clock.Fake, dir string, configure ...func(*Options)) *harness {
	return newHarness(t, append([]func(*Options){func(o *Options) { o.DataDir = dir; o.NoSync = true }, func(o *Options) {
		o.Clock = c
	}}, configure...)...)
}

func TestDurableStateSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessAt(t, clock.NewFake(epoch), dir)
	waits := h.machine(`{"StartAt":"Fan","States":{"Fan":{"Type":"Parallel","Branches":[
		{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}},
		{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}],
		"Next":"Done"},"Done":{"Type":"Pass","Parameters":{"out.$":"$[1]"},"End":true}}}`)
	asks := h.machine(`{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"approve","Payload":{"token.$":"$$.Task.Token"}},"ResultPath":"$.decision","TimeoutSeconds":3600,"End":true}}}`)
	quick := h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"done","End":true}}}`)
	waiting := h.start(waits, `{"items":[1,2,3]}`)
	asking := h.start(asks, `{"case":9}`)
	token := h.token()
	done := h.start(quick, `{}`)
	h.wait(done)
	h.waitFor("the ask to be submitted", func() bool { return strings.Contains(strings.Join(h.types(asking), " "), "TaskSubmitted") })
	h.waitTimers(2)
	before := len(h.history(waiting))

	h = h.restart(t, dir)
	d, err := h.e.DescribeExecution(context.Background(), done)
	if err != nil || d.Status != StatusSucceeded || *d.Output != `"done"` {
		t.Fatalf("closed execution after restart: %+v %v", d, err)
	}
	if got := len(h.history(waiting)); got != before {
		t.Fatalf("history of the waiting execution: %d events after restart, %d before", got, before)
	}
	h.waitTimers(2)
	h.clock.Advance(time.Minute)
	expectSucceeded(t, h.wait(waiting), `{"out":[1,2,3]}`)
	if err := h.e.SendTaskSuccess(context.Background(), token, `{"ok":true}`); err != nil {
		t.Fatalf("token from before the restart: %v", err)
	}
	expectSucceeded(t, h.wait(asking), `{"case":9,"decision":{"ok":true}}`)
	for _, arn := range []string{waiting, asking} {
		for i, ev := range h.history(arn) {
			if ev.ID != int64(i+1) {
				t.Fatalf("%s: event %d has id %d", arn, i, ev.ID)
			}
		}
	}
	// State machines, names and idempotency survive too.
	if _, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: quick, Name: machineName(done)}); apiCode(err) != CodeExecutionAlreadyExists {
		t.Fatalf("reusing a name from before the restart: %v", err)
	}
	list, _, err := h.e.ListStateMachines(context.Background(), 0, "")
	if err != nil || len(list) != 3 {
		t.Fatalf("state machines after restart: %v %v", list, err)
	}
}

func TestInFlightTaskIsIssuedAgainAfterRestart(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessAt(t, clock.NewFake(epoch), dir)
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	h.register("slow", func(ctx context.Context) (string, error) {
		started <- struct{}{}
		select {
		case <-release:
			return "first", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
	before := h.counter("before")
	machine := h.machine(`{"StartAt":"Before","States":{"Before":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:before","Next":"Slow"},
		"Slow":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:slow","End":true}}}`)
	arn := h.start(machine, `{}`)
	<-started
	var after *int64
	h = h.restart(t, dir, beforeStart(func(h *harness) {
		h.register("slow", func() (string, error) { return "second", nil })
		after = h.counter("before")
	}))
	close(release)
	expectSucceeded(t, h.wait(arn), `"second"`)
	if *before != 1 || *after != 0 {
		t.Fatalf("the completed step ran %d times before and %d after the restart", *before, *after)
	}
}

func TestTornJournalTailIsIgnored(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessAt(t, clock.NewFake(epoch), dir)
	machine := h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}`)
	arn := h.start(machine, `{}`)
	h.waitTimers(1)
	if err := h.e.Close(); err != nil {
		t.Fatal(err)
	}
	segments, _ := filepath.Glob(filepath.Join(dir, "seg-*.log"))
	last := segments[len(segments)-1]
	f, err := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0x40, 0, 0, 0, 1, 2}) // half a record header: a write cut short
	f.Close()
	h = newHarnessAt(t, h.clock, dir)
	h.waitTimers(1)
	h.clock.Advance(5 * time.Second)
	if d := h.wait(arn); d.Status != StatusSucceeded {
		t.Fatalf("status %s", d.Status)
	}
}

func TestDurableRetentionReleasesJournalSegments(t *testing.T) {
	dir := t.TempDir()
	small := func(o *Options) { o.RetainClosed = 10; o.SegmentSize = 64 << 10 }
	h := newHarnessAt(t, clock.NewFake(epoch), dir, small)
	machine := h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + strings.Repeat("x", 2000) + `","End":true}}}`)
	var last string
	for i := 0; i < 300; i++ {
		last = h.start(machine, fmt.Sprintf(`{"i":%d}`, i))
		h.wait(last)
	}
	known := func() int { return len(h.e.allExecutions()) }
	if n := known(); n != 10 {
		t.Fatalf("%d executions known, want 10", n)
	}
	h.waitFor("old segments to be deleted", func() bool {
		segments, _ := filepath.Glob(filepath.Join(dir, "seg-*.log"))
		// 300 executions wrote about 1.8 MB: 28 segments of 64 KiB. What is left: the
		// first (it holds the state machine), the segments of the last 10 executions,
		// and the one being written.
		return len(segments) <= 5
	})
	h = h.restart(t, dir, small)
	if n := known(); n != 10 {
		t.Fatalf("%d executions known after restart, want 10", n)
	}
	if d, err := h.e.DescribeExecution(context.Background(), last); err != nil || d.Status != StatusSucceeded {
		t.Fatalf("the last execution after restart: %+v %v", d, err)
	}
	if events := h.history(last); len(events) != 4 || events[3].Type != "ExecutionSucceeded" {
		t.Fatalf("history of the last execution read back from disk: %v", h.types(last))
	}
}

// A long-running execution whose first records sit in an old segment is copied forward by
// compaction, so the segment can go; its history stays whole across a restart.
func TestCompactionMovesLongRunningExecutions(t *testing.T) {
	dir := t.TempDir()
	small := func(o *Options) { o.RetainClosed = 5; o.SegmentSize = 32 << 10 }
	h := newHarnessAt(t, clock.NewFake(epoch), dir, small)
	waiter := h.start(h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"big":"`+strings.Repeat("y", 1000)+`"},"ResultPath":"$.r","Next":"W"},
		"W":{"Type":"Wait","Seconds":3600,"Next":"Q"},"Q":{"Type":"Pass","End":true}}}`), `{"keep":"me"}`)
	h.waitTimers(1)
	before := h.history(waiter)
	machine := h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + strings.Repeat("x", 2000) + `","End":true}}}`)
	for i := 0; i < 200; i++ {
		h.wait(h.start(machine, fmt.Sprintf(`{"i":%d}`, i)))
	}
	h.waitFor("the first segment to go", func() bool {
		_, err := os.Stat(filepath.Join(dir, "seg-0000000001.log"))
		return os.IsNotExist(err)
	})
	h = h.restart(t, dir, small)
	after := h.history(waiter)
	if len(after) != len(before) {
		t.Fatalf("%d events after compaction and restart, %d before", len(after), len(before))
	}
	for i := range before {
		b, a := before[i], after[i]
		if b.Type != a.Type || b.ID != a.ID || deref(stateInput(b)) != deref(stateInput(a)) {
			t.Fatalf("event %d differs: %+v / %+v", i, b, a)
		}
	}
	h.waitTimers(1)
	h.clock.Advance(time.Hour)
	expectSucceeded(t, h.wait(waiter), `{"keep":"me","r":{"big":"`+strings.Repeat("y", 1000)+`"}}`)
}

func stateInput(ev HistoryEvent) *string {
	if d := ev.StateEnteredEventDetails; d != nil {
		return d.Input
	}
	return nil
}

// A copy of an execution cut short (the process died while compaction wrote it) is ignored:
// the execution stays as it was.
func TestUnfinishedCopyIsIgnored(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessAt(t, clock.NewFake(epoch), dir)
	arn := h.start(h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":60,"End":true}}}`), `{"v":1}`)
	h.waitTimers(1)
	before := h.types(arn)
	x, err := h.e.execution(arn)
	if err != nil {
		t.Fatal(err)
	}
	x.mu.Lock()
	first, err := h.e.journal.Read(x.locs[0])
	if err == nil {
		first, err = withGeneration(first, x.generation+1)
	}
	if err == nil {
		_, _, err = h.e.journal.Append(first) // a start and nothing more
	}
	x.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	h = h.restart(t, dir)
	if got := h.types(arn); strings.Join(got, " ") != strings.Join(before, " ") {
		t.Fatalf("history after the unfinished copy: %v, want %v", got, before)
	}
	h.waitTimers(1)
	h.clock.Advance(time.Minute)
	expectSucceeded(t, h.wait(arn), `{"v":1}`)
}

// A waiting task's heartbeat and TimeoutSeconds deadlines are the same absolute times after a
// restart: the heartbeat counts from the last heartbeat recorded before it, the timeout from the
// recorded TaskStarted.
func TestTaskDeadlinesSurviveARestart(t *testing.T) {
	machine := `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"approve","Payload":{"token.$":"$$.Task.Token"}},"TimeoutSeconds":300,"HeartbeatSeconds":60,"End":true}}}`
	t.Run("heartbeat", func(t *testing.T) {
		dir := t.TempDir()
		h := newHarnessAt(t, clock.NewFake(epoch), dir)
		arn := h.start(h.machine(machine), `{}`)
		token := h.token()
		h.waitEvent(arn, "TaskSubmitted")
		h.waitTimersAt(epoch.Add(60 * time.Second))
		h.clock.Advance(30 * time.Second)
		if err := h.e.SendTaskHeartbeat(context.Background(), token); err != nil {
			t.Fatal(err)
		}
		h.waitTimersAt(epoch.Add(90 * time.Second))
		h.clock.Advance(20 * time.Second)
		h = h.restart(t, dir)
		// 90 s from the start, as before the restart; not 60 s from now.
		h.waitTimersAt(epoch.Add(90 * time.Second))
		h.clock.Advance(39 * time.Second)
		h.waitTimersAt(epoch.Add(90 * time.Second))
		h.clock.Advance(time.Second)
		d := h.wait(arn)
		expectFailed(t, d, StatusFailed, states.ErrHeartbeatTimeout)
		if !d.StopDate.Equal(epoch.Add(90 * time.Second)) {
			t.Fatalf("timed out at %v, want 90 s after the start", d.StopDate.Sub(epoch))
		}
	})
	t.Run("timeout", func(t *testing.T) {
		dir := t.TempDir()
		h := newHarnessAt(t, clock.NewFake(epoch), dir)
		arn := h.start(h.machine(machine), `{}`)
		token := h.token()
		h.waitEvent(arn, "TaskSubmitted")
		// Heartbeats every 50 s keep it alive; the last one before the restart is at 250 s.
		for at := 50 * time.Second; at <= 250*time.Second; at += 50 * time.Second {
			h.clock.Advance(50 * time.Second)
			if err := h.e.SendTaskHeartbeat(context.Background(), token); err != nil {
				t.Fatal(err)
			}
			h.waitTimersAt(epoch.Add(min(at+60*time.Second, 300*time.Second)))
		}
		h = h.restart(t, dir)
		// TimeoutSeconds ends 300 s after TaskStarted, before the heartbeat's 310 s.
		h.waitTimersAt(epoch.Add(300 * time.Second))
		h.clock.Advance(50 * time.Second)
		d := h.wait(arn)
		expectFailed(t, d, StatusFailed, states.ErrTimeout)
		if !d.StopDate.Equal(epoch.Add(300 * time.Second)) {
			t.Fatalf("timed out at %v, want 300 s after the start", d.StopDate.Sub(epoch))
		}
	})
	t.Run("passed while down", func(t *testing.T) {
		dir := t.TempDir()
		h := newHarnessAt(t, clock.NewFake(epoch), dir)
		arn := h.start(h.machine(machine), `{}`)
		token := h.token()
		h.waitEvent(arn, "TaskSubmitted")
		h.waitTimers(1)
		if err := h.e.Close(); err != nil {
			t.Fatal(err)
		}
		// Down for two minutes: the heartbeat deadline (60 s) passes meanwhile.
		h.clock.Advance(2 * time.Minute)
		h = newHarnessAt(t, h.clock, dir)
		d := h.wait(arn)
		expectFailed(t, d, StatusFailed, states.ErrHeartbeatTimeout)
		if !d.StopDate.Equal(epoch.Add(2 * time.Minute)) {
			t.Fatalf("timed out at %v, want at the restart, 2 min after the start", d.StopDate.Sub(epoch))
		}
		if err := h.e.SendTaskSuccess(context.Background(), token, `{}`); apiCode(err) != CodeTaskTimedOut {
			t.Fatalf("token of the timed out task: %v", err)
		}
	})
}

// Readers of closed executions' histories and descriptions run while retention forgets
// executions and compaction moves the kept ones to new segments: no reader of an execution
// still known finds its records gone.
func TestReadersRaceCompaction(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessAt(t, clock.NewFake(epoch), dir, func(o *Options) { o.RetainClosed = 10; o.SegmentSize = 32 << 10 })
	machine := h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + strings.Repeat("x", 1000) + `","Next":"Q"},"Q":{"Type":"Pass","End":true}}}`)
	var (
		mu      sync.Mutex
		closed  []string
		stop    = make(chan struct{})
		readers sync.WaitGroup
		failed  atomic.Value
	)
	stillKnown := func(arn string) bool {
		x, err := h.e.execution(arn)
		return err == nil && !x.evicted.Load()
	}
	for r := 0; r < 4; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				if len(closed) == 0 {
					mu.Unlock()
					continue
				}
				arn := closed[len(closed)-1-i%min(len(closed), 10)]
				mu.Unlock()
				_, _, err := h.e.GetExecutionHistory(context.Background(), GetExecutionHistoryInput{ExecutionArn: arn, MaxResults: 1000})
				if err == nil {
					_, err = h.e.DescribeExecution(context.Background(), arn)
				}
				if err != nil && stillKnown(arn) {
					failed.CompareAndSwap(nil, fmt.Sprintf("%s: %v", arn, err))
				}
			}
		}()
	}
	for i := 0; i < 600 && failed.Load() == nil; i++ {
		arn := h.start(machine, fmt.Sprintf(`{"i":%d}`, i))
		h.wait(arn)
		mu.Lock()
		closed = append(closed, arn)
		mu.Unlock()
	}
	close(stop)
	readers.Wait()
	if f := failed.Load(); f != nil {
		t.Fatalf("a reader of a known execution failed: %s", f)
	}
	if segments, _ := filepath.Glob(filepath.Join(dir, "seg-*.log")); len(segments) > 20 {
		t.Fatalf("%d segments left: compaction and retention did not run", len(segments))
	}
}
