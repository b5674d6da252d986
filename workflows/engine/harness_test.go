package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

var epoch = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// harness is an engine on a fake clock with local Lambda functions.
type harness struct {
	t         *testing.T
	machines  *atomic.Int64
	e         *Engine
	clock     *clock.Fake
	functions *tasks.Dispatcher
	tokens    chan string

	beforeStart []func(*harness)
}

func newHarness(t *testing.T, configure ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, machines: new(atomic.Int64), clock: clock.NewFake(epoch), functions: tasks.NewDispatcher(), tokens: make(chan string, 100)}
	opts := Options{Clock: h.clock, Lambda: h.functions, Random: func() float64 { return 0.5 }}
	for _, c := range configure {
		c(&opts)
	}
	if fake, ok := opts.Clock.(*clock.Fake); ok {
		h.clock = fake
	}
	h.beforeStart, pendingBeforeStart = pendingBeforeStart, nil
	h.register("approve", func(ctx context.Context, in map[string]any) (string, error) {
		token, _ := in["token"].(string)
		h.tokens <- token
		return "asked", nil
	})
	for _, f := range h.beforeStart {
		f(h)
	}
	h.beforeStart = nil
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return h
}

// beforeStart is an option of newHarness: it runs before the engine starts (and resumes what a
// data directory holds), to register functions the resumed executions call.
func beforeStart(f func(h *harness)) func(*Options) {
	return func(o *Options) { pendingBeforeStart = append(pendingBeforeStart, f) }
}

// pendingBeforeStart carries beforeStart functions from the options to the harness; tests that
// use it do not run in parallel.
var pendingBeforeStart []func(*harness)

// sub is the harness for a subtest.
func (h *harness) sub(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

func (h *harness) register(name string, handler any) {
	h.t.Helper()
	if err := h.functions.Register(name, handler); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) machine(definition string) string {
	h.t.Helper()
	name := strings.NewReplacer("/", "-", " ", "-", ":", "-").Replace(h.t.Name())
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	name = fmt.Sprintf("%s-%d", name, h.machines.Add(1))
	out, err := h.e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: name, Definition: definition})
	if err != nil {
		var de *DefinitionError
		if errors.As(err, &de) {
			h.t.Fatalf("CreateStateMachine: %s", de.Message)
		}
		h.t.Fatalf("CreateStateMachine: %v", err)
	}
	return out.StateMachineArn
}

func (h *harness) start(machine, input string) string {
	h.t.Helper()
	out, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: machine, Input: &input})
	if err != nil {
		h.t.Fatalf("StartExecution: %v", err)
	}
	return out.ExecutionArn
}

// run starts an execution and waits for it to close.
func (h *harness) run(definition, input string) *Execution {
	h.t.Helper()
	return h.wait(h.start(h.machine(definition), input))
}

func (h *harness) wait(arn string) *Execution {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := h.e.WaitExecution(ctx, arn)
	if err != nil {
		h.t.Fatalf("execution %s did not close: %v (history: %v)", arn, err, h.types(arn))
	}
	return d
}

func (h *harness) history(arn string) []HistoryEvent {
	h.t.Helper()
	var all []HistoryEvent
	token := ""
	for {
		events, next, err := h.e.GetExecutionHistory(context.Background(), GetExecutionHistoryInput{ExecutionArn: arn, MaxResults: 1000, NextToken: token})
		if err != nil {
			h.t.Fatal(err)
		}
		all = append(all, events...)
		if token = next; token == "" {
			return all
		}
	}
}

func (h *harness) types(arn string) []string {
	var out []string
	for _, ev := range h.history(arn) {
		out = append(out, ev.Type)
	}
	return out
}

// waitFor polls cond until it holds (with a wall-clock deadline; the engine works in the
// background even though its clock only moves when the test says so).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitTimers waits until the engine has armed n timers.
func (h *harness) waitTimers(n int) {
	h.t.Helper()
	if !h.clock.WaitForTimers(n, 10*time.Second) {
		h.t.Fatalf("expected %d timers, have %v", n, h.clock.Pending())
	}
}

// waitTimersAt waits until the engine's pending timers are due exactly at these times. A test
// that moves the clock after something re-arms a timer (a heartbeat, a result) uses it, so
// that the clock does not move while the engine still holds the timer armed before.
func (h *harness) waitTimersAt(due ...time.Time) {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("timers at %v", due), func() bool {
		return slices.EqualFunc(h.clock.Pending(), due, time.Time.Equal)
	})
}

// waitEvent waits until the execution's history has an event of that type.
func (h *harness) waitEvent(arn, typ string) {
	h.t.Helper()
	h.waitFor(arn+" "+typ, func() bool {
		for _, ty := range h.types(arn) {
			if ty == typ {
				return true
			}
		}
		return false
	})
}

func (h *harness) token() string {
	h.t.Helper()
	select {
	case tok := <-h.tokens:
		return tok
	case <-time.After(10 * time.Second):
		h.t.Fatal("no task token arrived")
		return ""
	}
}

// counter registers a function that counts its calls and returns its input.
func (h *harness) counter(name string) *int64 {
	var mu sync.Mutex
	n := new(int64)
	h.register(name, func(in any) (any, error) {
		mu.Lock()
		*n++
		mu.Unlock()
		return in, nil
	})
	return n
}

func canonical(t *testing.T, s string) string {
	t.Helper()
	v, err := jsonvalue.DecodeString(s)
	if err != nil {
		t.Fatalf("not JSON: %s", s)
	}
	return jsonvalue.MustEncodeString(v)
}

func expectSucceeded(t *testing.T, d *Execution, want string) {
	t.Helper()
	if d.Status != StatusSucceeded {
		t.Fatalf("status %s (%v: %v), want SUCCEEDED", d.Status, deref(d.Error), deref(d.Cause))
	}
	if got := canonical(t, *d.Output); got != canonical(t, want) {
		t.Fatalf("output\n got %s\nwant %s", got, canonical(t, want))
	}
}

func expectFailed(t *testing.T, d *Execution, status Status, errorName string) {
	t.Helper()
	if d.Status != status || deref(d.Error) != errorName {
		t.Fatalf("status %s error %q (cause %q), want %s %q", d.Status, deref(d.Error), deref(d.Cause), status, errorName)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
