// Package asl reads Amazon States Language definitions. Parse checks a definition the way
// CreateStateMachine does (every problem, with the state, the field and the reason) and compiles
// it into a Program: an immutable tree of states whose paths, payload templates and Choice rules
// are compiled once, so that any number of executions can run it from any number of goroutines.
//
// The methods on State carry out a state's input and output processing in the documented order
// (InputPath, Parameters, ResultSelector, ResultPath, OutputPath) and the other per-state
// computations the interpreter needs (Wait deadlines, task timeouts, Map items and limits, Fail
// errors, Retry and Catch matching). They never modify the values they are given.
package asl

import (
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/choice"
	"github.com/fasttrack/fasttrack/workflows/engine/intrinsic"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonpath"
	"github.com/fasttrack/fasttrack/workflows/engine/template"
)

// StateType is the Type of a state.
type StateType uint8

// The state types of the Amazon States Language.
const (
	TypePass StateType = iota + 1
	TypeTask
	TypeChoice
	TypeWait
	TypeSucceed
	TypeFail
	TypeParallel
	TypeMap
)

var typeNames = [...]string{"", "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}

// String returns the name used in definitions ("Pass", "Task", ...).
func (t StateType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Unknown"
}

// Program is a compiled definition. It is immutable: share it freely.
type Program struct {
	// Definition is the definition text as it was given.
	Definition string
	// Comment is the top-level Comment.
	Comment string
	// TimeoutSeconds is the execution timeout; 0 when the definition sets none.
	TimeoutSeconds int64
	// Root is the top-level state machine.
	Root *Machine
	// States lists every state of the program, nested ones included; State.ID indexes it.
	States []*State
}

// Machine is a set of states with a start state: the top level, a Parallel branch or a Map
// iteration's processor.
type Machine struct {
	// StartAt is the first state.
	StartAt *State
	// States holds the machine's own states by name (not those of nested machines).
	States map[string]*State
	// Order lists the machine's states in definition order.
	Order []*State
	// Owner is the Parallel or Map state that runs this machine; nil for the top level.
	Owner *State
	// Branch is the index of this machine in its Parallel state's Branches.
	Branch int
}

// Path is a compiled path field. A path that starts with "$$" reads the context object.
type Path struct {
	// Text is the path as written.
	Text string
	// Context is true for a "$$..." path.
	Context bool
	path    *jsonpath.Path
}

// Selector is an InputPath or OutputPath: absent (the whole value), null (an empty object) or a
// path.
type Selector struct {
	// Null is true when the field is JSON null.
	Null bool
	// Path is the compiled path; nil when the field is absent or null.
	Path *Path
}

// ResultPathField is a ResultPath: absent ("$", the result replaces the input), null (the
// result is discarded) or a reference path.
type ResultPathField struct {
	// Null is true when the field is JSON null.
	Null bool
	// Path is the compiled reference path; nil when the field is absent or null.
	Path *Path
}

// Retrier is one entry of a Retry field.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds int64
	MaxAttempts     int64
	BackoffRate     float64
	// MaxDelaySeconds caps the interval; 0 when unset.
	MaxDelaySeconds int64
	// JitterFull is true for "JitterStrategy": "FULL".
	JitterFull bool
}

// Catcher is one entry of a Catch field.
type Catcher struct {
	ErrorEquals []string
	// Next is the state to go to.
	Next *State
	// NextName is the name written in the definition.
	NextName   string
	ResultPath ResultPathField
}

// Dynamic is a Fail state's ErrorPath or CausePath: a reference path or an intrinsic function.
type Dynamic struct {
	Text string
	path *Path
	call *intrinsic.Call
}

// State is one compiled state. Fields that do not apply to its type are zero.
type State struct {
	// ID is the state's index in Program.States.
	ID      int
	Name    string
	Type    StateType
	Comment string
	// Machine is the machine the state belongs to.
	Machine *Machine
	// Next is the state that follows; nil for a state that ends its machine.
	Next     *State
	NextName string
	// End is true when the state ends its machine (End: true, Succeed and Fail).
	End bool

	InputPath      Selector
	OutputPath     Selector
	ResultPath     ResultPathField
	Parameters     *template.Template
	ResultSelector *template.Template
	// Result is a Pass state's Result; HasResult tells it apart from an absent one.
	Result    any
	HasResult bool
	Retry     []*Retrier
	Catch     []*Catcher
	// UsesContext is true when some field of the state reads the context object ("$$"), so that
	// the interpreter builds the context object only for the states that need it.
	UsesContext bool

	// Task.
	Resource             string
	TimeoutSeconds       int64
	TimeoutSecondsPath   *Path
	HeartbeatSeconds     int64
	HeartbeatSecondsPath *Path

	// Choice.
	Choices []*choice.Rule
	// ChoiceNext[i] is the state Choices[i] leads to.
	ChoiceNext  []*State
	choiceNames []string
	Default     *State
	DefaultName string

	// Wait.
	Seconds       int64
	HasSeconds    bool
	Timestamp     time.Time
	HasTimestamp  bool
	SecondsPath   *Path
	TimestampPath *Path

	// Fail.
	Error     string
	Cause     string
	ErrorPath *Dynamic
	CausePath *Dynamic

	// Parallel.
	Branches []*Machine

	// Map.
	Iterator                       *Machine
	ItemsPath                      *Path
	ItemSelector                   *template.Template
	MaxConcurrency                 int64
	MaxConcurrencyPath             *Path
	ToleratedFailurePercentage     float64
	HasToleratedFailurePercentage  bool
	ToleratedFailurePercentagePath *Path
	ToleratedFailureCount          int64
	HasToleratedFailureCount       bool
	ToleratedFailureCountPath      *Path
}

// CanRetry reports whether the state type takes Retry and Catch fields.
func (s *State) CanRetry() bool {
	return s.Type == TypeTask || s.Type == TypeParallel || s.Type == TypeMap
}
