package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

func apiCode(err error) string {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestStopExecution(t *testing.T) {
	inBothModes(t, func(t *testing.T, h *harness) {
		arn := h.start(h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}`), `{}`)
		h.waitTimers(1)
		stop, err := h.e.StopExecution(context.Background(), arn, "UserCancelled", "changed my mind")
		if err != nil || !stop.Equal(epoch) {
			t.Fatalf("StopExecution: %v %v", stop, err)
		}
		d := h.wait(arn)
		expectFailed(t, d, StatusAborted, "UserCancelled")
		if len(h.clock.Pending()) != 0 {
			t.Fatalf("timers left after stopping: %v", h.clock.Pending())
		}
		again, err := h.e.StopExecution(context.Background(), arn, "", "")
		if err != nil || !again.Equal(stop) {
			t.Fatalf("stopping twice: %v %v", again, err)
		}
		if _, err := h.e.StopExecution(context.Background(), arn+"x", "", ""); apiCode(err) != CodeExecutionDoesNotExist {
			t.Fatalf("stopping an unknown execution: %v", err)
		}
		if _, err := h.e.StopExecution(context.Background(), arn, strings.Repeat("e", 300), ""); apiCode(err) != CodeValidationException {
			t.Fatalf("error too long: %v", err)
		}
	})
}

func TestStartExecutionRules(t *testing.T) {
	h := newHarness(t)
	machine := h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}`)
	for _, name := range []string{"has space", "a/b", "semi;colon", "brace{", "tab\t", "star*", strings.Repeat("n", 81), "ctl\u0085"} {
		_, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: machine, Name: name})
		if apiCode(err) != CodeInvalidName {
			t.Errorf("name %q: %v", name, err)
		}
	}
	for _, input := range []string{`{`, `{"a":1} trailing`, ``} {
		_, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: machine, Input: &input})
		if apiCode(err) != CodeInvalidExecutionInput {
			t.Errorf("input %q: %v", input, err)
		}
	}
	if _, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:none"}); apiCode(err) != CodeStateMachineDoesNotExist {
		t.Errorf("unknown machine: %v", err)
	}
	if _, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: "arn:aws:states:us-east-1:123456789012:execution:a:b"}); apiCode(err) != CodeInvalidArn {
		t.Errorf("execution ARN as machine: %v", err)
	}
	// A valid name with unicode letters is fine.
	if _, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: machine, Name: "déploiement-été_2024.1"}); err != nil {
		t.Errorf("unicode name: %v", err)
	}
}

func TestExecutionLimit(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxRunning = 2 })
	machine := h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}`)
	h.start(machine, `{}`)
	h.start(machine, `{}`)
	if _, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: machine}); apiCode(err) != CodeExecutionLimitExceeded {
		t.Fatalf("third execution: %v", err)
	}
}

func TestUpdateKeepsRunningExecutionsOnTheirRevision(t *testing.T) {
	h := newHarness(t)
	machine := h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"P"},"P":{"Type":"Pass","Result":"old","End":true}}}`)
	arn := h.start(machine, `{}`)
	h.waitTimers(1)
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"new","End":true}}}`
	if _, err := h.e.UpdateStateMachine(context.Background(), UpdateStateMachineInput{StateMachineArn: machine, Definition: &def}); err != nil {
		t.Fatal(err)
	}
	expectSucceeded(t, h.wait(h.start(machine, `{}`)), `"new"`)
	h.clock.Advance(10 * time.Second)
	expectSucceeded(t, h.wait(arn), `"old"`)
	d, err := h.e.DescribeStateMachineForExecution(context.Background(), arn)
	if err != nil || !strings.Contains(d.Definition, `"old"`) {
		t.Fatalf("DescribeStateMachineForExecution: %+v %v", d, err)
	}
}

func TestRetentionForgetsTheOldestClosedExecutions(t *testing.T) {
	inBothModes(t, func(t *testing.T, h *harness) {
		machine := h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
		var arns []string
		for i := 0; i < 20; i++ {
			arn := h.start(machine, fmt.Sprintf(`{"i":%d}`, i))
			h.wait(arn)
			arns = append(arns, arn)
		}
		for i, arn := range arns {
			_, err := h.e.DescribeExecution(context.Background(), arn)
			if i < 15 && apiCode(err) != CodeExecutionDoesNotExist {
				t.Fatalf("execution %d still known: %v", i, err)
			}
			if i >= 15 && err != nil {
				t.Fatalf("execution %d forgotten: %v", i, err)
			}
		}
		items, _, err := h.e.ListExecutions(context.Background(), ListExecutionsInput{StateMachineArn: machine})
		if err != nil || len(items) != 5 || items[0].ExecutionArn != arns[19] {
			t.Fatalf("ListExecutions: %d items, %v", len(items), err)
		}
		if known := len(h.e.allExecutions()); known != 5 {
			t.Fatalf("%d executions in memory, want 5", known)
		}
	}, func(o *Options) { o.RetainClosed = 5 })
}

func TestRedriveRunsOnlyWhatFailed(t *testing.T) {
	inBothModes(t, func(t *testing.T, h *harness) {
		before := h.counter("before")
		var mu sync.Mutex
		broken := true
		calls := map[string]int{}
		h.register("step", func(in struct {
			Branch string `json:"branch"`
		}) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			calls[in.Branch]++
			if in.Branch == "b" && broken {
				return "", errors.New("broken")
			}
			return in.Branch + " done", nil
		})
		machine := h.machine(`{"StartAt":"Before","States":{
		"Before":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:before","Next":"Fan"},
		"Fan":{"Type":"Parallel","Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"step","Payload":{"branch":"a"}},"OutputPath":"$.Payload","End":true}}},
			{"StartAt":"Later","States":{"Later":{"Type":"Wait","Seconds":1,"Next":"B"},"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"step","Payload":{"branch":"b"}},"OutputPath":"$.Payload","End":true}}}],
		 "Next":"Count"},
		"Count":{"Type":"Pass","Parameters":{"results.$":"$","redrives.$":"$$.Execution.RedriveCount"},"End":true}}}`)
		arn := h.start(machine, `{}`)
		// Branch a is done before b, one second later, fails: b alone runs again.
		h.waitEvent(arn, "TaskSucceeded")
		h.waitTimers(1)
		h.clock.Advance(time.Second)
		expectFailed(t, h.wait(arn), StatusFailed, "errorString")
		// The redrive starts again at the failed state B, after the Wait.
		if _, err := h.e.RedriveExecution(context.Background(), arn); err != nil {
			t.Fatal(err)
		}
		d := h.wait(arn)
		if d.Status != StatusFailed || d.RedriveCount != 1 {
			t.Fatalf("after one redrive: %s, %d redrives", d.Status, d.RedriveCount)
		}
		mu.Lock()
		broken = false
		mu.Unlock()
		if _, err := h.e.RedriveExecution(context.Background(), arn); err != nil {
			t.Fatal(err)
		}
		d = h.wait(arn)
		expectSucceeded(t, d, `{"results":["a done","b done"],"redrives":2}`)
		mu.Lock()
		defer mu.Unlock()
		if *before != 1 || calls["a"] != 1 || calls["b"] != 3 {
			t.Fatalf("calls: before %d, a %d, b %d; want 1, 1, 3", *before, calls["a"], calls["b"])
		}
		types := h.types(arn)
		redriven := 0
		for _, ty := range types {
			if ty == "ExecutionRedriven" {
				redriven++
			}
		}
		if redriven != 2 || types[len(types)-1] != "ExecutionSucceeded" {
			t.Fatalf("history %v", types)
		}
		for i, ev := range h.history(arn) {
			if ev.ID != int64(i+1) {
				t.Fatalf("event %d has id %d", i, ev.ID)
			}
		}
		if _, err := h.e.RedriveExecution(context.Background(), arn); apiCode(err) != CodeExecutionNotRedrivable {
			t.Fatalf("redrive of a succeeded execution: %v", err)
		}
	})
}

func TestRedriveMapRerunsFailedIterations(t *testing.T) {
	inBothModes(t, func(t *testing.T, h *harness) {
		var mu sync.Mutex
		calls := map[int]int{}
		fixed := false
		h.register("item", func(in struct {
			N int `json:"n"`
		}) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			calls[in.N]++
			if in.N == 2 && !fixed {
				return 0, errors.New("bad item")
			}
			return in.N * in.N, nil
		})
		arn := h.start(h.machine(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"ItemSelector":{"n.$":"$$.Map.Item.Value"},
		"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:item","End":true}}},"End":true}}}`), `[1,2,3]`)
		expectFailed(t, h.wait(arn), StatusFailed, "errorString")
		mu.Lock()
		fixed = true
		mu.Unlock()
		if _, err := h.e.RedriveExecution(context.Background(), arn); err != nil {
			t.Fatal(err)
		}
		expectSucceeded(t, h.wait(arn), `[1,4,9]`)
		mu.Lock()
		defer mu.Unlock()
		if calls[1] != 1 || calls[2] != 2 || calls[3] != 1 {
			t.Fatalf("calls %v", calls)
		}
	})
}

func TestRedriveAfterTimeoutAndAbort(t *testing.T) {
	inBothModes(t, func(t *testing.T, h *harness) {
		machine := h.machine(`{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.wait","End":true}}}`)
		arn := h.start(machine, `{"wait":10}`)
		h.waitTimers(2)
		h.clock.Advance(5 * time.Second)
		expectFailed(t, h.wait(arn), StatusTimedOut, states.ErrTimeout)
		if _, err := h.e.RedriveExecution(context.Background(), arn); err != nil {
			t.Fatal(err)
		}
		// The Wait starts over and the execution gets a new TimeoutSeconds.
		h.waitTimers(2)
		if _, err := h.e.StopExecution(context.Background(), arn, "Stop", ""); err != nil {
			t.Fatal(err)
		}
		expectFailed(t, h.wait(arn), StatusAborted, "Stop")
		d, _ := h.e.DescribeExecution(context.Background(), arn)
		if d.RedriveStatus != "REDRIVABLE" {
			t.Fatalf("redrive status %s %s", d.RedriveStatus, d.RedriveStatusReason)
		}
		h.clock.Advance(15 * 24 * time.Hour)
		if _, err := h.e.RedriveExecution(context.Background(), arn); apiCode(err) != CodeExecutionNotRedrivable {
			t.Fatalf("redrive after 14 days: %v", err)
		}
	})
}

func TestManyConcurrentExecutions(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.RetainClosed = 10000 })
	h.counter("echo")
	machine := h.machine(`{"StartAt":"Fan","States":{
		"Fan":{"Type":"Parallel","Branches":[
			{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"Echo","States":{"Echo":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","End":true}}},"End":true}}},
			{"StartAt":"Route","States":{"Route":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":50,"Next":"Big"}],"Default":"Small"},"Big":{"Type":"Pass","Result":"big","End":true},"Small":{"Type":"Pass","Result":"small","End":true}}}]
		,"End":true}}}`)
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			input := fmt.Sprintf(`{"n":%d,"items":[%d,%d]}`, i, i, i+1)
			out, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: machine, Input: &input})
			if err != nil {
				errs <- err
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			d, err := h.e.WaitExecution(ctx, out.ExecutionArn)
			if err != nil {
				errs <- err
				return
			}
			size := "small"
			if i > 50 {
				size = "big"
			}
			want := fmt.Sprintf(`[[%d,%d],"%s"]`, i, i+1, size)
			if d.Status != StatusSucceeded || *d.Output != want {
				errs <- fmt.Errorf("execution %d: %s %s, want %s", i, d.Status, deref(d.Output), want)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// An execution that loops through Pass states forever does not keep the others from running,
// and it fails when its history reaches the quota of 25,000 events.
func TestLoopingExecutionYields(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Workers = 1 })
	loop := h.start(h.machine(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],"Default":"A"},"Done":{"Type":"Succeed"}}}`), `{}`)
	expectSucceeded(t, h.run(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"ran","End":true}}}`, `{}`), `"ran"`)
	expectFailed(t, h.wait(loop), StatusFailed, states.ErrRuntime)
	if events := h.history(loop); len(events) != maxHistoryEvents {
		t.Fatalf("%d events", len(events))
	}
}

// inBothModes runs a test on an engine in memory and on one with a journal, where a closed
// execution keeps only its summary in memory and is read back (described, listed, redriven)
// from the journal.
func inBothModes(t *testing.T, test func(t *testing.T, h *harness), configure ...func(*Options)) {
	t.Run("memory", func(t *testing.T) { test(t, newHarness(t, configure...)) })
	t.Run("durable", func(t *testing.T) { test(t, newHarnessAt(t, clock.NewFake(epoch), t.TempDir(), configure...)) })
}

// Stopping an execution aborts every state in progress, innermost first, each with its event
// (the *StateAborted and MapIterationAborted types of API_HistoryEvent), before
// ExecutionAborted; the execution can be redriven from where it was stopped.
func TestStopExecutionAbortsTheStatesInProgress(t *testing.T) {
	inBothModes(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		machine := h.machine(`{"StartAt":"Fan","States":{"Fan":{"Type":"Parallel","Branches":[
			{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":100,"End":true}}},
			{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"Ask","States":{"Ask":{"Type":"Task",
				"Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"approve","Payload":{"token.$":"$$.Task.Token"}},
				"End":true}}},"End":true}}},
			{"StartAt":"Quick","States":{"Quick":{"Type":"Pass","End":true}}}],"End":true}}}`)
		arn := h.start(machine, `{"items":[1,2]}`)
		first := []string{h.token(), h.token()}
		h.waitFor("both asks to be submitted", func() bool {
			return strings.Count(strings.Join(h.types(arn), " "), "TaskSubmitted") == 2
		})
		h.waitTimers(1)
		if _, err := h.e.StopExecution(ctx, arn, "Halt", "stopped mid-flight"); err != nil {
			t.Fatal(err)
		}
		expectFailed(t, h.wait(arn), StatusAborted, "Halt")
		events := h.history(arn)
		var tail []string
		for _, ev := range events[len(events)-8:] {
			name := ev.Type
			if d := ev.MapIterationAbortedEventDetails; d != nil {
				name += fmt.Sprintf("(%s %d)", d.Name, d.Index)
			}
			tail = append(tail, name)
		}
		want := "WaitStateAborted TaskStateAborted MapIterationAborted(Each 0) TaskStateAborted MapIterationAborted(Each 1) " +
			"MapStateAborted ParallelStateAborted ExecutionAborted"
		if got := strings.Join(tail, " "); got != want {
			t.Fatalf("history ends with\n %s\nwant\n %s", got, want)
		}
		byID := map[int64]HistoryEvent{}
		for i, ev := range events {
			if ev.ID != int64(i+1) || ev.PreviousEventID >= ev.ID {
				t.Fatalf("event %d: id %d, previous %d", i, ev.ID, ev.PreviousEventID)
			}
			byID[ev.ID] = ev
		}
		// Each aborted event follows its own state's last event: the Wait its Entered event, the
		// Task of an iteration its TaskSubmitted.
		for _, ev := range events[len(events)-8:] {
			before := byID[ev.PreviousEventID].Type
			switch ev.Type {
			case "WaitStateAborted":
				if before != "WaitStateEntered" {
					t.Errorf("WaitStateAborted follows %s", before)
				}
			case "TaskStateAborted":
				if before != "TaskSubmitted" {
					t.Errorf("TaskStateAborted follows %s", before)
				}
			}
		}
		// The tokens of the aborted tasks are dead.
		if err := h.e.SendTaskSuccess(ctx, first[0], `{}`); apiCode(err) != CodeTaskTimedOut {
			t.Fatalf("token of an aborted task: %v", err)
		}
		// A redrive runs again what the stop cut short: the Wait and both iterations.
		if _, err := h.e.RedriveExecution(ctx, arn); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := h.e.SendTaskSuccess(ctx, h.token(), `"yes"`); err != nil {
				t.Fatal(err)
			}
		}
		h.waitTimers(1)
		h.clock.Advance(100 * time.Second)
		expectSucceeded(t, h.wait(arn), `[{"items":[1,2]},["yes","yes"],{"items":[1,2]}]`)
	})
}
