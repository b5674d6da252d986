package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// TransientError is what a table that keeps throttling looks like to the workflow: the Lambda
// runtime names an error after its type, and every Task of the workflow retries "TransientError"
// (the step functions return the same name for DynamoDB throttling that outlasted the store's
// own retries).
type TransientError struct {
	Message string `json:"message"`
}

func (e *TransientError) Error() string { return e.Message }

// faults stands between the local Lambda dispatcher and the registry's functions
// (localstack.Options.WrapFunction): it counts every invocation by function, state and Map item,
// and makes the invocations a test plans fail with a TransientError before they reach the
// function. Everything else is the real system: the engine's Retry and Catch, the dispatcher,
// the functions, DynamoDB Local.
type faults struct {
	mu    sync.Mutex
	calls map[string]int
	plan  map[string]int
	holds map[string]func(item int) bool
}

func newFaults() *faults {
	return &faults{calls: map[string]int{}, plan: map[string]int{}, holds: map[string]func(item int) bool{}}
}

// holdUntil makes every invocation of the function in the state wait, before it is counted,
// until ready says so for its Map item (anyItem outside a Map; polled, at most holdLimit): a
// test orders a step after another one of the workflow that runs beside it.
func (f *faults) holdUntil(function, state string, ready func(item int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holds[function+"/"+state] = ready
}

// holdLimit bounds a hold: past it the invocation goes on, and the test's own checks fail.
const holdLimit = 20 * time.Second

// wait blocks while a hold on the function in the state is not ready for the call.
func (f *faults) wait(ctx context.Context, function string, call invocation) {
	f.mu.Lock()
	ready := f.holds[function+"/"+call.State]
	f.mu.Unlock()
	if ready == nil {
		return
	}
	item := call.item()
	deadline := time.Now().Add(holdLimit)
	for !ready(item) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
}

// invocation is what a call's payload says about where it comes from: the state (every
// function of the workflow is given $$.State.Name) and, inside a Map, the profile it is about.
type invocation struct {
	State   string `json:"state"`
	Profile *struct {
		Index *int `json:"index"`
	} `json:"profile"`
	Booking *struct {
		ProfileIndex *int `json:"profileIndex"`
	} `json:"booking"`
	// Task is the descriptor the approvals function is given: its kind tells the approvals of
	// one Map apart.
	Task *struct {
		Kind string `json:"kind"`
	} `json:"task"`
}

func (i invocation) kind() string {
	if i.Task == nil {
		return ""
	}
	return i.Task.Kind
}

func (i invocation) item() int {
	switch {
	case i.Booking != nil && i.Booking.ProfileIndex != nil:
		return *i.Booking.ProfileIndex
	case i.Profile != nil && i.Profile.Index != nil:
		return *i.Profile.Index
	}
	return -1
}

// anyItem matches every Map item (and calls outside a Map).
const anyItem = -1

func faultKey(function, state string, item int) string {
	return fmt.Sprintf("%s/%s#%d", function, state, item)
}

// failNext makes the next n invocations of the function in the state (for one Map item, or
// anyItem) fail with a TransientError.
func (f *faults) failNext(function, state string, item, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan[faultKey(function, state, item)] += n
}

// failNextOfKind makes the next n invocations of the function in the state about a task of
// the kind fail with a TransientError.
func (f *faults) failNextOfKind(function, state, kind string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan[function+"/"+state+"@"+kind] += n
}

// countOfKind returns how often the function was invoked in the state about a task of the kind.
func (f *faults) countOfKind(function, state, kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[function+"/"+state+"@"+kind]
}

// count returns how often the function was invoked in the state (for one Map item, or all).
func (f *faults) count(function, state string, item int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[faultKey(function, state, item)]
}

// record counts an invocation and reports whether it is planned to fail.
func (f *faults) record(function string, call invocation) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	item := call.item()
	f.calls[faultKey(function, call.State, anyItem)]++
	if item != anyItem {
		f.calls[faultKey(function, call.State, item)]++
	}
	byKind := function + "/" + call.State + "@" + call.kind()
	if call.kind() != "" {
		f.calls[byKind]++
	}
	for _, key := range []string{byKind, faultKey(function, call.State, item), faultKey(function, call.State, anyItem)} {
		if f.plan[key] > 0 {
			f.plan[key]--
			return true
		}
	}
	return false
}

// wrap is the WrapFunction of localstack.Options.
func (f *faults) wrap(name string, handler any) any {
	fn := &faultyFunction{faults: f, name: name}
	fn.handlers.New = func() any { return lambda.NewHandler(handler) }
	return fn
}

// faultyFunction is one wrapped function. A handler built by lambda.NewHandler reuses its output
// buffer, so each call takes its own from a pool and the answer is copied before it goes back,
// as the dispatcher does.
type faultyFunction struct {
	faults   *faults
	name     string
	handlers sync.Pool
}

var _ lambda.Handler = (*faultyFunction)(nil)

// Invoke counts the call, fails it if planned, and otherwise calls the function.
func (fn *faultyFunction) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var call invocation
	_ = json.Unmarshal(payload, &call)
	fn.faults.wait(ctx, fn.name, call)
	if fn.faults.record(fn.name, call) {
		return nil, &TransientError{Message: fmt.Sprintf("%s in %s: the table throttled the request (injected fault)", fn.name, call.State)}
	}
	handler := fn.handlers.Get().(lambda.Handler)
	out, err := handler.Invoke(ctx, payload)
	result := append([]byte(nil), out...)
	fn.handlers.Put(handler)
	return result, err
}
