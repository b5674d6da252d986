package engine

import "time"

// EventType is the type of a history event. The public ones carry AWS's names; the internal
// ones (stateFailed, taskHeartbeat) are kept in the journal so that recovery folds exactly what
// happened, but GetExecutionHistory does not show them.
type EventType uint8

// History event types.
const (
	eventNone EventType = iota
	EventExecutionStarted
	EventExecutionSucceeded
	EventExecutionFailed
	EventExecutionTimedOut
	EventExecutionAborted
	EventExecutionRedriven
	EventPassStateEntered
	EventPassStateExited
	EventChoiceStateEntered
	EventChoiceStateExited
	EventWaitStateEntered
	EventWaitStateExited
	EventWaitStateAborted
	EventSucceedStateEntered
	EventSucceedStateExited
	EventFailStateEntered
	EventTaskStateEntered
	EventTaskStateExited
	EventTaskStateAborted
	EventTaskScheduled
	EventTaskStarted
	EventTaskSubmitted
	EventTaskSucceeded
	EventTaskFailed
	EventTaskTimedOut
	EventLambdaFunctionScheduled
	EventLambdaFunctionStarted
	EventLambdaFunctionSucceeded
	EventLambdaFunctionFailed
	EventLambdaFunctionTimedOut
	EventParallelStateEntered
	EventParallelStateStarted
	EventParallelStateSucceeded
	EventParallelStateFailed
	EventParallelStateAborted
	EventParallelStateExited
	EventMapStateEntered
	EventMapStateStarted
	EventMapStateSucceeded
	EventMapStateFailed
	EventMapStateAborted
	EventMapStateExited
	EventMapIterationStarted
	EventMapIterationSucceeded
	EventMapIterationFailed
	EventMapIterationAborted
	// Internal events.
	eventStateFailed
	eventTaskHeartbeat
	eventTypeCount
)

var eventNames = [eventTypeCount]string{
	EventExecutionStarted:        "ExecutionStarted",
	EventExecutionSucceeded:      "ExecutionSucceeded",
	EventExecutionFailed:         "ExecutionFailed",
	EventExecutionTimedOut:       "ExecutionTimedOut",
	EventExecutionAborted:        "ExecutionAborted",
	EventExecutionRedriven:       "ExecutionRedriven",
	EventPassStateEntered:        "PassStateEntered",
	EventPassStateExited:         "PassStateExited",
	EventChoiceStateEntered:      "ChoiceStateEntered",
	EventChoiceStateExited:       "ChoiceStateExited",
	EventWaitStateEntered:        "WaitStateEntered",
	EventWaitStateExited:         "WaitStateExited",
	EventWaitStateAborted:        "WaitStateAborted",
	EventSucceedStateEntered:     "SucceedStateEntered",
	EventSucceedStateExited:      "SucceedStateExited",
	EventFailStateEntered:        "FailStateEntered",
	EventTaskStateEntered:        "TaskStateEntered",
	EventTaskStateExited:         "TaskStateExited",
	EventTaskStateAborted:        "TaskStateAborted",
	EventTaskScheduled:           "TaskScheduled",
	EventTaskStarted:             "TaskStarted",
	EventTaskSubmitted:           "TaskSubmitted",
	EventTaskSucceeded:           "TaskSucceeded",
	EventTaskFailed:              "TaskFailed",
	EventTaskTimedOut:            "TaskTimedOut",
	EventLambdaFunctionScheduled: "LambdaFunctionScheduled",
	EventLambdaFunctionStarted:   "LambdaFunctionStarted",
	EventLambdaFunctionSucceeded: "LambdaFunctionSucceeded",
	EventLambdaFunctionFailed:    "LambdaFunctionFailed",
	EventLambdaFunctionTimedOut:  "LambdaFunctionTimedOut",
	EventParallelStateEntered:    "ParallelStateEntered",
	EventParallelStateStarted:    "ParallelStateStarted",
	EventParallelStateSucceeded:  "ParallelStateSucceeded",
	EventParallelStateFailed:     "ParallelStateFailed",
	EventParallelStateAborted:    "ParallelStateAborted",
	EventParallelStateExited:     "ParallelStateExited",
	EventMapStateEntered:         "MapStateEntered",
	EventMapStateStarted:         "MapStateStarted",
	EventMapStateSucceeded:       "MapStateSucceeded",
	EventMapStateFailed:          "MapStateFailed",
	EventMapStateAborted:         "MapStateAborted",
	EventMapStateExited:          "MapStateExited",
	EventMapIterationStarted:     "MapIterationStarted",
	EventMapIterationSucceeded:   "MapIterationSucceeded",
	EventMapIterationFailed:      "MapIterationFailed",
	EventMapIterationAborted:     "MapIterationAborted",
	eventStateFailed:             "StateFailed",
	eventTaskHeartbeat:           "TaskHeartbeat",
}

// String returns the AWS name of the event type.
func (t EventType) String() string {
	if t < eventTypeCount {
		return eventNames[t]
	}
	return "Unknown"
}

// Public reports whether GetExecutionHistory shows events of this type.
func (t EventType) Public() bool { return t > eventNone && t < eventStateFailed }

// decisionKind says what a failure leads to.
type decisionKind uint8

const (
	decidePropagate decisionKind = iota // the state fails; its machine (branch, iteration, execution) fails
	decideRetry                         // Retry[index] applies after delay
	decideCatch                         // Catch[index] applies
)

// decision is recorded with every failure event, so that recovery follows the choice made
// live (including a jittered delay) instead of making it again.
type decision struct {
	kind  decisionKind
	index int
	delay time.Duration
}

// taskInfo describes a task attempt; the TaskScheduled event and the ones that follow share it.
type taskInfo struct {
	resourceType string
	resource     string
	region       string
	timeout      int64 // seconds; 0 none
	heartbeat    int64 // seconds; 0 none
	token        string
	lambda       bool // a plain Lambda function ARN (LambdaFunction* events)
}

// event is one history event as the engine keeps it. Values are shared, never copied or
// encoded until someone asks for the history or the journal writes them.
type event struct {
	id       int64 // public id, 0 for internal events
	previous int64
	time     time.Time
	typ      EventType
	frame    int32
	index    int32  // Map iteration index, Map length, redrive count
	name     string // state name
	input    any    // state input, task parameters, ExecutionStarted input
	output   any    // state output, task result
	failure  *failure
	next     string // the state an Exited event leads to; "" when the machine ends
	task     *taskInfo
	limits   *mapLimits // MapStateStarted: the resolved concurrency and tolerated failures
}

// failure is the error part of a failure event and the decision it led to.
type failure struct {
	name     string
	cause    string
	decision decision
}
