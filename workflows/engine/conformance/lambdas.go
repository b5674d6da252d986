package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Registrar is where the test functions are registered; *tasks.Dispatcher satisfies it.
type Registrar interface {
	Register(name string, handler any) error
}

// The error types the test functions return. The Lambda Go runtime names an error after its
// type, so these names are what Retry and Catch match on in the cases.
type (
	// CustomError is the general-purpose failure of FailWith.
	CustomError struct{ Message string }
	// TransientError is the failure FailNTimes returns by default, meant to be retried.
	TransientError struct{ Message string }
	// ErrorA is one of three distinct names for retrier and catcher selection cases.
	ErrorA struct{ Message string }
	// ErrorB is one of three distinct names for retrier and catcher selection cases.
	ErrorB struct{ Message string }
	// ErrorC is one of three distinct names for retrier and catcher selection cases.
	ErrorC struct{ Message string }
)

func (e *CustomError) Error() string    { return e.Message }
func (e *TransientError) Error() string { return e.Message }
func (e *ErrorA) Error() string         { return e.Message }
func (e *ErrorB) Error() string         { return e.Message }
func (e *ErrorC) Error() string         { return e.Message }

// NamedError returns an error of the named type carrying message; an unknown name gives a
// CustomError, as the JavaScript stand-ins of scripts/peer/lambdas.mjs do.
func NamedError(name, message string) error {
	switch name {
	case "TransientError":
		return &TransientError{Message: message}
	case "ErrorA":
		return &ErrorA{Message: message}
	case "ErrorB":
		return &ErrorB{Message: message}
	case "ErrorC":
		return &ErrorC{Message: message}
	default:
		return &CustomError{Message: message}
	}
}

// blockLimit bounds how long Block holds a call when nothing ends it, so that a broken engine
// cannot leave a goroutine behind forever.
const blockLimit = time.Minute

// Lambdas are the suite's test Lambda functions and the state they keep between calls: attempt
// counters for the retry cases, task tokens handed to Park, and the number of calls in flight.
// The runner uses Busy to know when an execution can only move on through a timer. One Lambdas
// serves any number of executions at once: counters are keyed by the caller's key (the cases
// pass $$.Execution.Id).
type Lambdas struct {
	mu       sync.Mutex
	counts   map[string]int
	tokens   map[string]string
	tokenSet chan struct{} // closed and replaced when a token is parked
	release  chan struct{} // closed by Close to end every Block call
	closed   bool
	busy     atomic.Int64
	calls    atomic.Int64
}

// NewLambdas returns the test functions with empty state.
func NewLambdas() *Lambdas {
	return &Lambdas{
		counts:   map[string]int{},
		tokens:   map[string]string{},
		tokenSet: make(chan struct{}),
		release:  make(chan struct{}),
	}
}

// Names lists the functions Register registers.
func (l *Lambdas) Names() []string {
	return []string{"Echo", "Hello", "Add", "FailWith", "FailNTimes", "FailSequence", "Block", "Park"}
}

// Register registers every test function under its name.
func (l *Lambdas) Register(r Registrar) error {
	handlers := map[string]any{
		"Echo":         l.echo,
		"Hello":        l.hello,
		"Add":          l.add,
		"FailWith":     l.failWith,
		"FailNTimes":   l.failNTimes,
		"FailSequence": l.failSequence,
		"Block":        l.block,
		"Park":         l.park,
	}
	for _, name := range l.Names() {
		if err := r.Register(name, handlers[name]); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return nil
}

// Busy is the number of calls running that end on their own (every function but Block).
func (l *Lambdas) Busy() int64 { return l.busy.Load() }

// Calls is the number of calls made so far, Block included.
func (l *Lambdas) Calls() int64 { return l.calls.Load() }

// Close ends every Block call still waiting.
func (l *Lambdas) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.release)
	}
}

// Token returns the task token Park received for key, waiting up to wait (wall clock) for it.
func (l *Lambdas) Token(key string, wait time.Duration) (string, bool) {
	deadline := time.After(wait)
	for {
		l.mu.Lock()
		token, ok := l.tokens[key]
		changed := l.tokenSet
		l.mu.Unlock()
		if ok {
			return token, true
		}
		select {
		case <-changed:
		case <-deadline:
			return "", false
		}
	}
}

func (l *Lambdas) enter() func() {
	l.calls.Add(1)
	l.busy.Add(1)
	return func() { l.busy.Add(-1) }
}

func (l *Lambdas) next(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[key]++
	return l.counts[key]
}

// echo returns its input unchanged.
func (l *Lambdas) echo(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	defer l.enter()()
	return in, nil
}

// hello greets input.who, as the Lambda function of the AWS Step Functions tutorials does.
func (l *Lambdas) hello(_ context.Context, in struct {
	Who string `json:"who"`
}) (string, error) {
	defer l.enter()()
	return "Hello, " + in.Who + "!", nil
}

// add returns a + b. Numbers stay json.Number so that integers come back as integers.
func (l *Lambdas) add(_ context.Context, in struct {
	A *json.Number `json:"a"`
	B *json.Number `json:"b"`
}) (json.Number, error) {
	defer l.enter()()
	if in.A == nil || in.B == nil {
		return "", &CustomError{Message: "Add needs numbers a and b"}
	}
	a, errA := in.A.Int64()
	b, errB := in.B.Int64()
	if errA == nil && errB == nil {
		return json.Number(fmt.Sprint(a + b)), nil
	}
	x, errX := in.A.Float64()
	y, errY := in.B.Float64()
	if errX != nil || errY != nil {
		return "", &CustomError{Message: "Add needs numbers a and b"}
	}
	return json.Number(fmt.Sprint(x + y)), nil
}

// failWith fails with the named error and message.
func (l *Lambdas) failWith(_ context.Context, in struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}) (json.RawMessage, error) {
	defer l.enter()()
	message := in.Message
	if message == "" {
		message = "failed on purpose"
	}
	return nil, NamedError(in.Error, message)
}

// failNTimes fails the first `times` calls for key with the named error (TransientError by
// default), then returns the number of attempts and its input.
func (l *Lambdas) failNTimes(_ context.Context, in json.RawMessage) (any, error) {
	defer l.enter()()
	var args struct {
		Key   string `json:"key"`
		Times int    `json:"times"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(in, &args); err != nil {
		return nil, &CustomError{Message: "FailNTimes input: " + err.Error()}
	}
	attempt := l.next("n:" + args.Key)
	if attempt <= args.Times {
		name := args.Error
		if name == "" {
			name = "TransientError"
		}
		return nil, NamedError(name, fmt.Sprintf("attempt %d failed", attempt))
	}
	return map[string]any{"attempts": attempt, "input": in}, nil
}

// failSequence fails call N for key with errors[N-1]; past the list it returns the attempts.
func (l *Lambdas) failSequence(_ context.Context, in struct {
	Key    string   `json:"key"`
	Errors []string `json:"errors"`
}) (any, error) {
	defer l.enter()()
	attempt := l.next("s:" + in.Key)
	if attempt <= len(in.Errors) {
		return nil, NamedError(in.Errors[attempt-1], fmt.Sprintf("attempt %d failed", attempt))
	}
	return map[string]any{"attempts": attempt}, nil
}

// block never answers on its own: the engine's timeout (which cancels ctx), Close or a long
// safety limit ends it. It does not count as busy, since only a timer can move its execution on.
func (l *Lambdas) block(ctx context.Context, _ json.RawMessage) (any, error) {
	l.calls.Add(1)
	select {
	case <-ctx.Done():
		return nil, &CustomError{Message: "Block cancelled: " + context.Cause(ctx).Error()}
	case <-l.release:
		return nil, &CustomError{Message: "Block released"}
	case <-time.After(blockLimit):
		return nil, &CustomError{Message: "Block gave up"}
	}
}

// park records the task token it is given under key (for .waitForTaskToken scenarios) and
// returns at once; the execution then waits for SendTaskSuccess or SendTaskFailure.
func (l *Lambdas) park(_ context.Context, in struct {
	Key   string `json:"key"`
	Token string `json:"token"`
}) (any, error) {
	defer l.enter()()
	if in.Token == "" {
		return nil, &CustomError{Message: "Park needs a token"}
	}
	l.mu.Lock()
	l.tokens[in.Key] = in.Token
	close(l.tokenSet)
	l.tokenSet = make(chan struct{})
	l.mu.Unlock()
	return map[string]any{"parked": in.Key}, nil
}

// Count returns how many times FailNTimes (kind "n") or FailSequence (kind "s") ran for key.
func (l *Lambdas) Count(kind, key string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.counts[kind+":"+key]
	return n, ok
}
