package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

func TestPassAndChoiceAndSucceedAndFail(t *testing.T) {
	cases := []struct {
		name       string
		definition string
		input      string
		output     string // SUCCEEDED with this output, or
		status     Status // this status with
		errorName  string // this error
		cause      string
	}{
		{name: "pass through", definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, input: `{"a":1}`, output: `{"a":1}`},
		{name: "result at a path", definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"x":[1,2]},"ResultPath":"$.r","End":true}}}`, input: `{"a":1}`, output: `{"a":1,"r":{"x":[1,2]}}`},
		{name: "parameters and output path", definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.in","Parameters":{"sum.$":"States.MathAdd($.a,$.b)","list.$":"States.Array($.a,$.b)"},"ResultPath":"$.calc","OutputPath":"$.calc","End":true}}}`, input: `{"in":{"a":2,"b":3}}`, output: `{"sum":5,"list":[2,3]}`},
		{name: "numbers keep their text", definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, input: `{"big":12345678901234567890,"f":1.50}`, output: `{"big":12345678901234567890,"f":1.50}`},
		{name: "result path null keeps the input", definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"gone","ResultPath":null,"End":true}}}`, input: `{"keep":true}`, output: `{"keep":true}`},
		{name: "chain of passes", definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},"B":{"Type":"Pass","Result":2,"ResultPath":"$.b","Next":"C"},"C":{"Type":"Pass","Parameters":{"total.$":"States.MathAdd($.a,$.b)"},"End":true}}}`, input: `{}`, output: `{"total":3}`},
		{name: "choice first match", definition: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":0,"Next":"Neg"},{"Variable":"$.n","NumericGreaterThanEquals":0,"Next":"Pos"}]},"Neg":{"Type":"Pass","Result":"neg","End":true},"Pos":{"Type":"Pass","Result":"pos","End":true}}}`, input: `{"n":4}`, output: `"pos"`},
		{name: "choice default", definition: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.s","StringEquals":"x","Next":"X"}],"Default":"D"},"X":{"Type":"Succeed"},"D":{"Type":"Pass","Result":"default","End":true}}}`, input: `{"s":"y"}`, output: `"default"`},
		{name: "choice input and output paths", definition: `{"StartAt":"C","States":{"C":{"Type":"Choice","InputPath":"$.in","OutputPath":"$.v","Choices":[{"Variable":"$.v","IsPresent":true,"Next":"S"}]},"S":{"Type":"Succeed"}}}`, input: `{"in":{"v":7}}`, output: `7`},
		{name: "choice on the context object", definition: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$$.State.Name","StringEquals":"C","Next":"S"}]},"S":{"Type":"Succeed"}}}`, input: `{}`, output: `{}`},
		{name: "choice with no match fails", definition: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"S"}]},"S":{"Type":"Succeed"}}}`, input: `{"n":2}`, status: StatusFailed, errorName: states.ErrNoChoiceMatched},
		{name: "choice on a missing variable fails", definition: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`, input: `{}`, status: StatusFailed, errorName: states.ErrRuntime},
		{name: "succeed output path", definition: `{"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.a","OutputPath":"$.b"}}}`, input: `{"a":{"b":"x"}}`, output: `"x"`},
		{name: "fail with error and cause", definition: `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Rejected","Cause":"too expensive"}}}`, input: `{}`, status: StatusFailed, errorName: "Rejected", cause: "too expensive"},
		{name: "fail with paths", definition: `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('code {}', $.c)"}}}`, input: `{"e":"Dynamic","c":42}`, status: StatusFailed, errorName: "Dynamic", cause: "code 42"},
		{name: "input path finds nothing", definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.missing","End":true}}}`, input: `{}`, status: StatusFailed, errorName: states.ErrRuntime},
		{name: "result path into a string", definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"ResultPath":"$.s.x","End":true}}}`, input: `{"s":"text"}`, status: StatusFailed, errorName: states.ErrResultPathMatchFailure},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			d := h.run(c.definition, c.input)
			if c.output != "" {
				expectSucceeded(t, d, c.output)
				return
			}
			expectFailed(t, d, c.status, c.errorName)
			if c.cause != "" && deref(d.Cause) != c.cause {
				t.Fatalf("cause %q, want %q", deref(d.Cause), c.cause)
			}
		})
	}
}

func TestHistoryOfPassChoiceSucceed(t *testing.T) {
	h := newHarness(t)
	arn := h.start(h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.go","BooleanEquals":true,"Next":"S"}]},"S":{"Type":"Succeed"}}}`), `{"go":true}`)
	h.wait(arn)
	events := h.history(arn)
	want := "ExecutionStarted PassStateEntered PassStateExited ChoiceStateEntered ChoiceStateExited SucceedStateEntered SucceedStateExited ExecutionSucceeded"
	var got []string
	for i, ev := range events {
		got = append(got, ev.Type)
		if ev.ID != int64(i+1) || ev.PreviousEventID != int64(i) {
			t.Fatalf("event %d %s has id %d previous %d", i, ev.Type, ev.ID, ev.PreviousEventID)
		}
		if !ev.Timestamp.Equal(epoch) {
			t.Fatalf("event %s at %v, want the fake clock's %v", ev.Type, ev.Timestamp, epoch)
		}
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("history %v", got)
	}
	if d := events[1].StateEnteredEventDetails; d == nil || d.Name != "P" || *d.Input != `{"go":true}` {
		t.Fatalf("PassStateEntered details %+v", d)
	}
}

func TestWaitStates(t *testing.T) {
	h := newHarness(t)
	machine := h.machine(`{"StartAt":"Seconds","States":{
		"Seconds":{"Type":"Wait","Seconds":10,"Next":"Path"},
		"Path":{"Type":"Wait","SecondsPath":"$.delay","Next":"Stamp"},
		"Stamp":{"Type":"Wait","TimestampPath":"$.until","Next":"Past"},
		"Past":{"Type":"Wait","Timestamp":"2000-01-01T00:00:00Z","End":true}}}`)
	arn := h.start(machine, `{"delay":5,"until":"2024-03-01T12:01:00Z"}`)
	h.waitTimers(1)
	if p := h.clock.Pending(); !p[0].Equal(epoch.Add(10 * time.Second)) {
		t.Fatalf("first wait until %v", p[0])
	}
	h.clock.Advance(9 * time.Second)
	d, _ := h.e.DescribeExecution(context.Background(), arn)
	if d.Status != StatusRunning {
		t.Fatalf("status %s before the wait is over", d.Status)
	}
	h.clock.Advance(time.Second)
	h.waitFor("the second wait", func() bool {
		p := h.clock.Pending()
		return len(p) == 1 && p[0].Equal(epoch.Add(15*time.Second))
	})
	h.clock.Advance(5 * time.Second)
	h.waitFor("the timestamp wait", func() bool {
		p := h.clock.Pending()
		return len(p) == 1 && p[0].Equal(epoch.Add(time.Minute))
	})
	h.clock.Advance(45 * time.Second)
	d = h.wait(arn)
	expectSucceeded(t, d, `{"delay":5,"until":"2024-03-01T12:01:00Z"}`)
	if !d.StopDate.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("stopped at %v, want a minute after the start", d.StopDate)
	}
	events := h.history(arn)
	if ev := events[len(events)-2]; ev.Type != "WaitStateExited" || !ev.Timestamp.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("last wait exited %s at %v", ev.Type, ev.Timestamp)
	}
}

func TestWaitCostsNoGoroutine(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.RetainClosed = 5000 })
	machine := h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	const n = 2000
	arns := make([]string, n)
	for i := range arns {
		arns[i] = h.start(machine, `{}`)
	}
	h.waitTimers(n)
	if g := runtime.NumGoroutine(); g > 100 {
		t.Fatalf("%d goroutines while %d executions wait", g, n)
	}
	h.clock.Advance(time.Hour)
	for _, arn := range arns {
		if d := h.wait(arn); d.Status != StatusSucceeded {
			t.Fatalf("%s: %s", arn, d.Status)
		}
	}
}

func TestLambdaTasks(t *testing.T) {
	h := newHarness(t)
	h.register("double", func(in struct{ N int }) (map[string]int, error) { return map[string]int{"n": in.N * 2}, nil })
	h.register("refuse", func() error { return &tasksRefused{Reason: "closed"} })
	cases := []struct {
		name, definition, input, output string
		errorName                       string
		events                          string
	}{
		{name: "function ARN", definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:double","ResultPath":"$.r","End":true}}}`,
			input: `{"N":4}`, output: `{"N":4,"r":{"n":8}}`,
			events: "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded"},
		{name: "lambda:invoke", definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"double","Payload":{"N.$":"$.v"}},"ResultSelector":{"out.$":"$.Payload.n","code.$":"$.StatusCode"},"End":true}}}`,
			input: `{"v":21}`, output: `{"out":42,"code":200}`,
			events: "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded"},
		{name: "function error fails the execution", definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"refuse"},"End":true}}}`,
			input: `{}`, errorName: "tasksRefused",
			events: "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed ExecutionFailed"},
		{name: "function error caught", definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:refuse","Catch":[{"ErrorEquals":["tasksRefused"],"ResultPath":"$.err","Next":"After"}],"End":true},"After":{"Type":"Pass","Parameters":{"error.$":"$.err.Error","kept.$":"$.keep"},"End":true}}}`,
			input: `{"keep":1}`, output: `{"error":"tasksRefused","kept":1}`,
			events: "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded"},
		{name: "unknown function", definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:none","End":true}}}`,
			input: `{}`, errorName: "Lambda.ResourceNotFoundException"},
		{name: "parameter path failure is caught by name", definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"double","Payload.$":"States.StringToJson($.notjson)"},"Catch":[{"ErrorEquals":["States.IntrinsicFailure"],"Next":"C"}],"End":true},"C":{"Type":"Pass","Result":"caught","End":true}}}`,
			input: `{"notjson":"{"}`, output: `"caught"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := h.sub(t)
			arn := h.start(h.machine(c.definition), c.input)
			d := h.wait(arn)
			if c.errorName != "" {
				expectFailed(t, d, StatusFailed, c.errorName)
			} else {
				expectSucceeded(t, d, c.output)
			}
			if c.events != "" {
				if got := strings.Join(h.types(arn), " "); got != c.events {
					t.Fatalf("history\n got %s\nwant %s", got, c.events)
				}
			}
		})
	}
}

type tasksRefused struct{ Reason string }

func (e *tasksRefused) Error() string { return "refused: " + e.Reason }

// flaky fails its first failures calls with the given error, then returns its input.
func (h *harness) flaky(name string, failures int, err func() error) *int {
	calls := new(int)
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	h.register(name, func(in any) (any, error) {
		<-mu
		*calls++
		n := *calls
		mu <- struct{}{}
		if n <= failures {
			return nil, err()
		}
		return in, nil
	})
	return calls
}

type Transient struct{}

func (Transient) Error() string { return "try again" }

func TestRetryWaitsWithBackoff(t *testing.T) {
	h := newHarness(t)
	calls := h.flaky("flaky", 2, func() error { return Transient{} })
	arn := h.start(h.machine(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky",
		"Retry":[{"ErrorEquals":["Transient"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3}],"End":true}}}`), `{"v":1}`)
	h.waitTimers(1)
	if p := h.clock.Pending()[0]; !p.Equal(epoch.Add(2 * time.Second)) {
		t.Fatalf("first retry at %v, want +2s", p)
	}
	h.clock.Advance(2 * time.Second)
	h.waitFor("the second retry timer", func() bool {
		p := h.clock.Pending()
		return len(p) == 1 && p[0].Equal(epoch.Add(8*time.Second))
	})
	h.clock.Advance(6 * time.Second)
	expectSucceeded(t, h.wait(arn), `{"v":1}`)
	got := strings.Join(h.types(arn), " ")
	want := "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded"
	if got != want || *calls != 3 {
		t.Fatalf("%d calls, history %s", *calls, got)
	}
}

func TestRetryMaxDelayAndJitter(t *testing.T) {
	h := newHarness(t) // Random returns 0.5
	h.flaky("flaky", 3, func() error { return Transient{} })
	arn := h.start(h.machine(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky",
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":4,"BackoffRate":10,"MaxDelaySeconds":30,"JitterStrategy":"FULL","MaxAttempts":5}],"End":true}}}`), `{}`)
	// Delays: 4s (jittered to 2s), 40s capped at 30s (15s), 400s capped at 30s (15s).
	at := epoch
	for _, delay := range []time.Duration{2 * time.Second, 15 * time.Second, 15 * time.Second} {
		want := at.Add(delay)
		h.waitFor(fmt.Sprintf("a retry at %v", want), func() bool {
			p := h.clock.Pending()
			return len(p) == 1 && p[0].Equal(want)
		})
		h.clock.Set(want)
		at = want
	}
	expectSucceeded(t, h.wait(arn), `{}`)
}

func TestRetryThenCatchAndRetryCount(t *testing.T) {
	h := newHarness(t)
	h.flaky("flaky", 100, func() error { return Transient{} })
	arn := h.start(h.machine(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"flaky","Payload":{"retry.$":"$$.State.RetryCount"}},
		"Retry":[{"ErrorEquals":["Transient"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1}],
		"Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.error","Next":"Handled"}],"End":true},
		"Handled":{"Type":"Pass","End":true}}}`), `{"id":7}`)
	for i := 1; i <= 2; i++ {
		h.waitTimers(1)
		h.clock.Advance(time.Second)
	}
	d := h.wait(arn)
	if d.Status != StatusSucceeded || !strings.Contains(*d.Output, `"Error":"Transient"`) || !strings.Contains(*d.Output, `"id":7`) {
		t.Fatalf("%s %s", d.Status, deref(d.Output))
	}
	var retryCounts []string
	for _, ev := range h.history(arn) {
		if ev.TaskScheduledEventDetails != nil {
			retryCounts = append(retryCounts, ev.TaskScheduledEventDetails.Parameters)
		}
	}
	if len(retryCounts) != 3 || !strings.Contains(retryCounts[2], `"retry":2`) || !strings.Contains(retryCounts[0], `"retry":0`) {
		t.Fatalf("scheduled parameters %v", retryCounts)
	}
}

func TestRuntimeErrorsAreNotCaught(t *testing.T) {
	h := newHarness(t)
	h.counter("echo")
	d := h.run(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","InputPath":"$.missing",
		"Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Succeed"}}}`, `{}`)
	expectFailed(t, d, StatusFailed, states.ErrRuntime)
}

func TestTaskTimeoutAndHeartbeat(t *testing.T) {
	h := newHarness(t)
	machine := h.machine(`{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"approve","Payload":{"token.$":"$$.Task.Token"}},"TimeoutSecondsPath":"$.timeout","HeartbeatSeconds":10,
		"Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"ResultPath":"$.why","Next":"Heartbeat"},{"ErrorEquals":["States.Timeout"],"ResultPath":"$.why","Next":"Timeout"}],"End":true},
		"Heartbeat":{"Type":"Pass","Result":"heartbeat","End":true},"Timeout":{"Type":"Pass","Result":"timeout","End":true}}}`)

	// No heartbeat: the heartbeat timeout comes first.
	quiet := h.start(machine, `{"timeout":30}`)
	h.token()
	h.waitEvent(quiet, "TaskSubmitted")
	h.waitTimers(1)
	h.clock.Advance(10 * time.Second)
	expectSucceeded(t, h.wait(quiet), `"heartbeat"`)
	if !strings.Contains(strings.Join(h.types(quiet), " "), "TaskSubmitted TaskTimedOut TaskStateExited") {
		t.Fatalf("history %v", h.types(quiet))
	}

	// Heartbeats keep it alive until TimeoutSeconds.
	busy := h.start(machine, `{"timeout":30}`)
	token := h.token()
	started := h.clock.Now()
	for i := 0; i < 3; i++ {
		// The heartbeat timeout, 10 s after the last heartbeat (or the start).
		h.waitTimersAt(started.Add(time.Duration(8*i+10) * time.Second))
		h.clock.Advance(8 * time.Second)
		if err := h.e.SendTaskHeartbeat(context.Background(), token); err != nil {
			t.Fatal(err)
		}
	}
	// TimeoutSeconds comes before the next heartbeat timeout.
	h.waitTimersAt(started.Add(30 * time.Second))
	h.clock.Advance(6 * time.Second)
	expectSucceeded(t, h.wait(busy), `"timeout"`)
	if err := h.e.SendTaskSuccess(context.Background(), token, `{}`); err == nil || !strings.Contains(err.Error(), CodeTaskTimedOut) {
		t.Fatalf("success after the timeout: %v", err)
	}
}

func TestExecutionTimeout(t *testing.T) {
	h := newHarness(t)
	arn := h.start(h.machine(`{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`), `{}`)
	h.waitTimers(2)
	h.clock.Advance(5 * time.Second)
	d := h.wait(arn)
	expectFailed(t, d, StatusTimedOut, states.ErrTimeout)
	if types := h.types(arn); types[len(types)-1] != "ExecutionTimedOut" {
		t.Fatalf("history %v", types)
	}
}

func TestParallel(t *testing.T) {
	h := newHarness(t)
	h.register("boom", func() error { return errors.New("boom") })
	ok := h.run(`{"StartAt":"P","States":{"P":{"Type":"Parallel","InputPath":"$.in","ResultSelector":{"first.$":"$[0]","second.$":"$[1].x"},"ResultPath":"$.out",
		"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
		            {"StartAt":"B","States":{"B":{"Type":"Pass","Parameters":{"x.$":"$.v"},"Next":"B2"},"B2":{"Type":"Pass","End":true}}}],"End":true}}}`, `{"in":{"v":5}}`)
	expectSucceeded(t, ok, `{"in":{"v":5},"out":{"first":"a","second":5}}`)

	caught := h.run(`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
		{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}},
		{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:boom","End":true}}}],
		"Catch":[{"ErrorEquals":["errorString"],"ResultPath":"$.error","Next":"C"}],"End":true},"C":{"Type":"Pass","OutputPath":"$.error.Error","End":true}}}`, `{}`)
	expectSucceeded(t, caught, `"errorString"`)
	if pending := h.clock.Pending(); len(pending) != 0 {
		t.Fatalf("the aborted branch left timers %v", pending)
	}

	failed := h.run(`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"BranchBroke"}}}],"End":true}}}`, `{}`)
	expectFailed(t, failed, StatusFailed, "BranchBroke")
}

func TestMap(t *testing.T) {
	h := newHarness(t)
	h.register("check", func(in struct {
		Value int `json:"value"`
	}) (int, error) {
		if in.Value < 0 {
			return 0, &NegativeValue{}
		}
		return in.Value * 10, nil
	})
	cases := []struct {
		name, definition, input, output, errorName string
	}{
		{name: "items and selector", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.list","ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","c.$":"$.common"},
			"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"ResultPath":"$.out","End":true}}}`,
			input: `{"list":["a","b"],"common":1}`, output: `{"list":["a","b"],"common":1,"out":[{"i":0,"v":"a","c":1},{"i":1,"v":"b","c":1}]}`},
		{name: "legacy iterator and parameters", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","Parameters":{"x.$":"$$.Map.Item.Value"},"Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$.x","End":true}}},"End":true}}}`,
			input: `[3,4]`, output: `[3,4]`},
		{name: "empty list", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, input: `[]`, output: `[]`},
		{name: "tasks in iterations", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,"ItemSelector":{"value.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:check","End":true}}},"End":true}}}`,
			input: `[1,2,3,4,5]`, output: `[10,20,30,40,50]`},
		{name: "an iteration failure fails the map", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"value.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:check","End":true}}},"End":true}}}`,
			input: `[1,-2,3]`, errorName: "NegativeValue"},
		{name: "tolerated count", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"ItemSelector":{"value.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:check","End":true}}},"End":true}}}`,
			input: `[1,-2,3]`, output: `[10,{"Error":"NegativeValue","Cause":"{\"errorMessage\":\"negative\",\"errorType\":\"NegativeValue\"}"},30]`},
		{name: "tolerated count exceeded", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"MaxConcurrency":1,"ItemSelector":{"value.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:check","End":true}}},"End":true}}}`,
			input: `[-1,-2,3]`, errorName: states.ErrExceedToleratedFailureThreshold},
		{name: "tolerated percentage", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":50,"ItemSelector":{"value.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:check","End":true}}},"ResultSelector":{"n.$":"States.ArrayLength($)"},"End":true}}}`,
			input: `[1,-2,3,-4]`, output: `{"n":4}`},
		{name: "map failure caught", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"value.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:check","End":true}}},
			"Catch":[{"ErrorEquals":["NegativeValue"],"ResultPath":null,"Next":"C"}],"End":true},"C":{"Type":"Pass","Result":"caught","End":true}}}`,
			input: `[-1]`, output: `"caught"`},
		{name: "items not an array", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.x","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			input: `{"x":"no"}`, errorName: states.ErrRuntime},
		{name: "nested map", definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"Inner","States":{"Inner":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}},"End":true}}}`,
			input: `[[1,2],[3]]`, output: `[[1,2],[3]]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := h.sub(t)
			d := h.run(c.definition, c.input)
			if c.errorName != "" {
				expectFailed(t, d, StatusFailed, c.errorName)
				return
			}
			expectSucceeded(t, d, c.output)
		})
	}
}

type NegativeValue struct{}

func (*NegativeValue) Error() string { return "negative" }

func TestMapMaxConcurrencyRunsItemsInOrder(t *testing.T) {
	h := newHarness(t)
	arn := h.start(h.machine(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"ItemSelector":{"token.$":"$$.Map.Item.Value"},
		"ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}},"End":true}}}`), `["a","b","c"]`)
	for i := 0; i < 3; i++ {
		h.waitTimers(1)
		if n := len(h.clock.Pending()); n != 1 {
			t.Fatalf("%d iterations waiting at once with MaxConcurrency 1", n)
		}
		h.clock.Advance(time.Second)
	}
	expectSucceeded(t, h.wait(arn), `[{"token":"a"},{"token":"b"},{"token":"c"}]`)
	var started []string
	for _, ev := range h.history(arn) {
		if ev.Type == "MapIterationStarted" || ev.Type == "MapIterationSucceeded" {
			started = append(started, fmt.Sprintf("%s%d", ev.Type[12:], ev.EventDetails.index()))
		}
	}
	if strings.Join(started, " ") != "Started0 Succeeded0 Started1 Succeeded1 Started2 Succeeded2" {
		t.Fatalf("iterations %v", started)
	}
}

func (d EventDetails) index() int {
	switch {
	case d.MapIterationStartedEventDetails != nil:
		return d.MapIterationStartedEventDetails.Index
	case d.MapIterationSucceededEventDetails != nil:
		return d.MapIterationSucceededEventDetails.Index
	}
	return -1
}

func TestContextObject(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Region, o.Account = "eu-west-1", "111122223333" })
	machine := h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{
		"id.$":"$$.Execution.Id","name.$":"$$.Execution.Name","input.$":"$$.Execution.Input","start.$":"$$.Execution.StartTime",
		"role.$":"$$.Execution.RoleArn","redrives.$":"$$.Execution.RedriveCount","machine.$":"$$.StateMachine.Id","machineName.$":"$$.StateMachine.Name",
		"state.$":"$$.State.Name","entered.$":"$$.State.EnteredTime","retries.$":"$$.State.RetryCount"},"End":true}}}`)
	out, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: machine, Name: "ctx-1", Input: strPtr(`{"k":"v"}`)})
	if err != nil {
		t.Fatal(err)
	}
	d := h.wait(out.ExecutionArn)
	want := `{"id":"arn:aws:states:eu-west-1:111122223333:execution:` + machineName(machine) + `:ctx-1","name":"ctx-1","input":{"k":"v"},
		"start":"2024-03-01T12:00:00.000Z","role":"arn:aws:iam::111122223333:role/fasttrack-local","redrives":0,"machine":"` + machine + `",
		"machineName":"` + machineName(machine) + `","state":"P","entered":"2024-03-01T12:00:00.000Z","retries":0}`
	expectSucceeded(t, d, want)
}

func strPtr(s string) *string { return &s }

func machineName(arn string) string { return arn[strings.LastIndexByte(arn, ':')+1:] }

func TestMapFailureAbortsRunningIterations(t *testing.T) {
	h := newHarness(t)
	arn := h.start(h.machine(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"n.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":0,"Next":"Bad"}],"Default":"W"},
		"W":{"Type":"Wait","Seconds":100,"End":true},"Bad":{"Type":"Fail","Error":"Negative"}}},"End":true}}}`), `[1,-2,3]`)
	expectFailed(t, h.wait(arn), StatusFailed, "Negative")
	history := strings.Join(h.types(arn), " ")
	if strings.Count(history, "MapIterationAborted") != 2 || !strings.Contains(history, "MapIterationFailed") ||
		!strings.HasSuffix(history, "MapIterationAborted MapIterationAborted MapStateFailed ExecutionFailed") {
		t.Fatalf("history %s", history)
	}
	if n := len(h.clock.Pending()); n != 0 {
		t.Fatalf("%d timers left by aborted iterations", n)
	}
}
