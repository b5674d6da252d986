package engine

import (
	"context"
	"errors"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/journal"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// HistoryEvent is one event of GetExecutionHistory. Its details carry the JSON names of the
// Step Functions API, so that the server can write them as they are.
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	Type            string
	EventDetails
}

// EventDetails holds the one details object an event has.
type EventDetails struct {
	ExecutionStartedEventDetails        *ExecutionStartedEventDetails        `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceededEventDetails      *OutputEventDetails                  `json:"executionSucceededEventDetails,omitempty"`
	ExecutionFailedEventDetails         *FailureEventDetails                 `json:"executionFailedEventDetails,omitempty"`
	ExecutionAbortedEventDetails        *FailureEventDetails                 `json:"executionAbortedEventDetails,omitempty"`
	ExecutionTimedOutEventDetails       *FailureEventDetails                 `json:"executionTimedOutEventDetails,omitempty"`
	ExecutionRedrivenEventDetails       *ExecutionRedrivenEventDetails       `json:"executionRedrivenEventDetails,omitempty"`
	StateEnteredEventDetails            *StateEnteredEventDetails            `json:"stateEnteredEventDetails,omitempty"`
	StateExitedEventDetails             *StateExitedEventDetails             `json:"stateExitedEventDetails,omitempty"`
	TaskScheduledEventDetails           *TaskScheduledEventDetails           `json:"taskScheduledEventDetails,omitempty"`
	TaskStartedEventDetails             *TaskEventDetails                    `json:"taskStartedEventDetails,omitempty"`
	TaskSubmittedEventDetails           *TaskOutputEventDetails              `json:"taskSubmittedEventDetails,omitempty"`
	TaskSucceededEventDetails           *TaskOutputEventDetails              `json:"taskSucceededEventDetails,omitempty"`
	TaskFailedEventDetails              *TaskFailureEventDetails             `json:"taskFailedEventDetails,omitempty"`
	TaskTimedOutEventDetails            *TaskFailureEventDetails             `json:"taskTimedOutEventDetails,omitempty"`
	LambdaFunctionScheduledEventDetails *LambdaFunctionScheduledEventDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaFunctionSucceededEventDetails *OutputEventDetails                  `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFunctionFailedEventDetails    *FailureEventDetails                 `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaFunctionTimedOutEventDetails  *FailureEventDetails                 `json:"lambdaFunctionTimedOutEventDetails,omitempty"`
	MapStateStartedEventDetails         *MapStateStartedEventDetails         `json:"mapStateStartedEventDetails,omitempty"`
	MapIterationStartedEventDetails     *MapIterationEventDetails            `json:"mapIterationStartedEventDetails,omitempty"`
	MapIterationSucceededEventDetails   *MapIterationEventDetails            `json:"mapIterationSucceededEventDetails,omitempty"`
	MapIterationFailedEventDetails      *MapIterationEventDetails            `json:"mapIterationFailedEventDetails,omitempty"`
	MapIterationAbortedEventDetails     *MapIterationEventDetails            `json:"mapIterationAbortedEventDetails,omitempty"`
}

// DataDetails says whether the data beside it was truncated.
type DataDetails struct {
	Truncated bool `json:"truncated"`
}

// ExecutionStartedEventDetails are the details of ExecutionStarted.
type ExecutionStartedEventDetails struct {
	Input        *string      `json:"input,omitempty"`
	InputDetails *DataDetails `json:"inputDetails,omitempty"`
	RoleArn      string       `json:"roleArn,omitempty"`
}

// OutputEventDetails are the details of ExecutionSucceeded and LambdaFunctionSucceeded.
type OutputEventDetails struct {
	Output        *string      `json:"output,omitempty"`
	OutputDetails *DataDetails `json:"outputDetails,omitempty"`
}

// FailureEventDetails are the details of the failure events.
type FailureEventDetails struct {
	Error *string `json:"error,omitempty"`
	Cause *string `json:"cause,omitempty"`
}

// ExecutionRedrivenEventDetails are the details of ExecutionRedriven.
type ExecutionRedrivenEventDetails struct {
	RedriveCount int `json:"redriveCount"`
}

// StateEnteredEventDetails are the details of the *StateEntered events.
type StateEnteredEventDetails struct {
	Name         string       `json:"name"`
	Input        *string      `json:"input,omitempty"`
	InputDetails *DataDetails `json:"inputDetails,omitempty"`
}

// StateExitedEventDetails are the details of the *StateExited events.
type StateExitedEventDetails struct {
	Name          string       `json:"name"`
	Output        *string      `json:"output,omitempty"`
	OutputDetails *DataDetails `json:"outputDetails,omitempty"`
}

// TaskScheduledEventDetails are the details of TaskScheduled.
type TaskScheduledEventDetails struct {
	ResourceType       string `json:"resourceType"`
	Resource           string `json:"resource"`
	Region             string `json:"region"`
	Parameters         string `json:"parameters"`
	TimeoutInSeconds   *int64 `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds *int64 `json:"heartbeatInSeconds,omitempty"`
}

// TaskEventDetails are the details of TaskStarted.
type TaskEventDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
}

// TaskOutputEventDetails are the details of TaskSubmitted and TaskSucceeded.
type TaskOutputEventDetails struct {
	ResourceType  string       `json:"resourceType"`
	Resource      string       `json:"resource"`
	Output        *string      `json:"output,omitempty"`
	OutputDetails *DataDetails `json:"outputDetails,omitempty"`
}

// TaskFailureEventDetails are the details of TaskFailed and TaskTimedOut.
type TaskFailureEventDetails struct {
	ResourceType string  `json:"resourceType"`
	Resource     string  `json:"resource"`
	Error        *string `json:"error,omitempty"`
	Cause        *string `json:"cause,omitempty"`
}

// LambdaFunctionScheduledEventDetails are the details of LambdaFunctionScheduled.
type LambdaFunctionScheduledEventDetails struct {
	Resource         string       `json:"resource"`
	Input            *string      `json:"input,omitempty"`
	InputDetails     *DataDetails `json:"inputDetails,omitempty"`
	TimeoutInSeconds *int64       `json:"timeoutInSeconds,omitempty"`
}

// MapStateStartedEventDetails are the details of MapStateStarted.
type MapStateStartedEventDetails struct {
	Length int `json:"length"`
}

// MapIterationEventDetails are the details of the MapIteration* events.
type MapIterationEventDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// GetExecutionHistoryInput is the input of GetExecutionHistory.
type GetExecutionHistoryInput struct {
	ExecutionArn string
	MaxResults   int
	NextToken    string
	ReverseOrder bool
	// IncludeExecutionData includes inputs and outputs; true when nil.
	IncludeExecutionData *bool
}

// GetExecutionHistory returns an execution's events, oldest first (newest first with
// ReverseOrder), MaxResults at a time. Errors: InvalidArn, ExecutionDoesNotExist,
// InvalidToken, ValidationException.
func (e *Engine) GetExecutionHistory(ctx context.Context, in GetExecutionHistoryInput) ([]HistoryEvent, string, error) {
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, "", err
	}
	from, err := parsePageToken(in.NextToken, "h")
	if err != nil {
		return nil, "", err
	}
	x, err := e.execution(in.ExecutionArn)
	if err != nil {
		return nil, "", err
	}
	events, seq, err := x.history()
	if err != nil {
		return nil, "", err
	}
	if err := e.waitDurable(ctx, seq); err != nil {
		return nil, "", err
	}
	public := make([]*event, 0, len(events))
	for i := range events {
		if events[i].typ.Public() {
			public = append(public, &events[i])
		}
	}
	data := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	// Public event ids run from 1 without gaps, so a position is an id.
	n := uint64(len(public))
	var page []*event
	var next uint64
	if !in.ReverseOrder {
		start := uint64(1)
		if from != 0 {
			start = from
		}
		for id := start; id <= n && len(page) < limit; id++ {
			page = append(page, public[id-1])
		}
		if last := start + uint64(len(page)); len(page) == limit && last <= n {
			next = last
		}
	} else {
		start := n
		if from != 0 {
			start = from
		}
		for id := start; id >= 1 && id <= n && len(page) < limit; id-- {
			page = append(page, public[id-1])
		}
		if len(page) == limit && start > uint64(limit) {
			next = start - uint64(limit)
		}
	}
	out := make([]HistoryEvent, len(page))
	for i, ev := range page {
		out[i] = x.historyEvent(ev, data)
	}
	var token string
	if next != 0 {
		token = pageToken("h", next)
	}
	return out, token, nil
}

// history returns the execution's events (from memory, or from the journal for a closed
// execution whose history was written out) and the journal sequence number of the last one.
func (x *execution) history() ([]event, uint64, error) {
	if x.engine.journal != nil {
		x.engine.reading.RLock()
		defer x.engine.reading.RUnlock()
	}
	x.mu.Lock()
	if !x.stored() && (x.engine.journal == nil || len(x.events) == len(x.locs)) {
		events := x.events[:len(x.events):len(x.events)]
		seq := x.lastSeq
		x.mu.Unlock()
		return events, seq, nil
	}
	locs := append([]journal.Location(nil), x.locations()...)
	seq := x.lastSeq
	x.mu.Unlock()
	events, err := x.engine.readEvents(locs, true)
	if err != nil {
		var apiErr *Error
		if errors.As(err, &apiErr) {
			return nil, 0, err
		}
		return nil, 0, errorf(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s' (its history is gone: %v)", x.arn, err)
	}
	return events, seq, nil
}

// readEvents reads event records back from the journal. inOrder says the records are an
// execution's events from the first on, so that an event may refer to the one before it; a
// record read alone must not. Errors from the journal are returned as they are (the records
// are gone); a record that does not decode is an InternalError.
func (e *Engine) readEvents(locs []journal.Location, inOrder bool) ([]event, error) {
	events := make([]event, 0, len(locs))
	for _, loc := range locs {
		payload, err := e.journal.Read(loc)
		if err != nil {
			return nil, err
		}
		r := &decoder{buf: payload}
		if r.byte() != recEvent {
			return nil, errorf(CodeInternalError, "journal record at %v is not an event", loc)
		}
		r.uvarint()
		if r.bool() {
			skipIdentity(r)
		}
		var prev *event
		if n := len(events); n > 0 && inOrder {
			prev = &events[n-1]
		}
		ev, err := decodeEvent(r, prev)
		if err != nil {
			return nil, errorf(CodeInternalError, "journal record at %v: %v", loc, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// startInput reads the execution input from the record that starts an execution.
func startInput(payload []byte) (string, error) {
	r := &decoder{buf: payload}
	kind := r.byte()
	r.uvarint() // id
	if kind != recEvent || !r.bool() {
		return "", errors.New("not the first record of an execution")
	}
	r.uvarint() // generation
	r.string()  // ARN
	r.string()  // name
	r.uvarint() // state machine
	r.string()  // revision
	input := r.string()
	return input, r.err
}

func encodeValue(v any) *string {
	s, err := jsonvalue.EncodeString(v)
	if err != nil {
		s = "null"
	}
	return &s
}

func failureDetails(fl *failure) *FailureEventDetails {
	d := &FailureEventDetails{}
	if fl != nil {
		d.Error, d.Cause = optional(fl.name), optional(fl.cause)
	}
	return d
}

func int64Ptr(v int64) *int64 {
	if v <= 0 {
		return nil
	}
	return &v
}

// historyEvent renders an event for the API.
func (x *execution) historyEvent(ev *event, data bool) HistoryEvent {
	h := HistoryEvent{ID: ev.id, PreviousEventID: ev.previous, Timestamp: ev.time, Type: ev.typ.String()}
	value := func(v any) (*string, *DataDetails) {
		if !data {
			return nil, nil
		}
		return encodeValue(v), &DataDetails{}
	}
	d := &h.EventDetails
	switch ev.typ {
	case EventExecutionStarted:
		in, det := value(ev.input)
		d.ExecutionStartedEventDetails = &ExecutionStartedEventDetails{Input: in, InputDetails: det, RoleArn: x.revision.roleARN}
	case EventExecutionSucceeded:
		out, det := value(ev.output)
		d.ExecutionSucceededEventDetails = &OutputEventDetails{Output: out, OutputDetails: det}
	case EventExecutionFailed:
		d.ExecutionFailedEventDetails = failureDetails(ev.failure)
	case EventExecutionAborted:
		d.ExecutionAbortedEventDetails = failureDetails(ev.failure)
	case EventExecutionTimedOut:
		d.ExecutionTimedOutEventDetails = failureDetails(ev.failure)
	case EventExecutionRedriven:
		d.ExecutionRedrivenEventDetails = &ExecutionRedrivenEventDetails{RedriveCount: int(ev.index)}
	case EventTaskScheduled:
		params := jsonvalue.MustEncodeString(ev.input)
		t := ev.task
		d.TaskScheduledEventDetails = &TaskScheduledEventDetails{ResourceType: t.resourceType, Resource: t.resource, Region: t.region,
			Parameters: params, TimeoutInSeconds: int64Ptr(t.timeout), HeartbeatInSeconds: int64Ptr(t.heartbeat)}
	case EventTaskStarted:
		d.TaskStartedEventDetails = &TaskEventDetails{ResourceType: ev.task.resourceType, Resource: ev.task.resource}
	case EventTaskSubmitted, EventTaskSucceeded:
		out, det := value(ev.output)
		td := &TaskOutputEventDetails{ResourceType: ev.task.resourceType, Resource: ev.task.resource, Output: out, OutputDetails: det}
		if ev.typ == EventTaskSubmitted {
			d.TaskSubmittedEventDetails = td
		} else {
			d.TaskSucceededEventDetails = td
		}
	case EventTaskFailed, EventTaskTimedOut:
		td := &TaskFailureEventDetails{}
		if ev.task != nil {
			td.ResourceType, td.Resource = ev.task.resourceType, ev.task.resource
		}
		if ev.failure != nil {
			td.Error, td.Cause = optional(ev.failure.name), optional(ev.failure.cause)
		}
		if ev.typ == EventTaskFailed {
			d.TaskFailedEventDetails = td
		} else {
			d.TaskTimedOutEventDetails = td
		}
	case EventLambdaFunctionScheduled:
		in, det := value(ev.input)
		d.LambdaFunctionScheduledEventDetails = &LambdaFunctionScheduledEventDetails{Resource: ev.task.resource, Input: in,
			InputDetails: det, TimeoutInSeconds: int64Ptr(ev.task.timeout)}
	case EventLambdaFunctionSucceeded:
		out, det := value(ev.output)
		d.LambdaFunctionSucceededEventDetails = &OutputEventDetails{Output: out, OutputDetails: det}
	case EventLambdaFunctionFailed:
		d.LambdaFunctionFailedEventDetails = failureDetails(ev.failure)
	case EventLambdaFunctionTimedOut:
		d.LambdaFunctionTimedOutEventDetails = failureDetails(ev.failure)
	case EventMapStateStarted:
		d.MapStateStartedEventDetails = &MapStateStartedEventDetails{Length: int(ev.index)}
	case EventMapIterationStarted:
		d.MapIterationStartedEventDetails = &MapIterationEventDetails{Name: ev.name, Index: int(ev.index)}
	case EventMapIterationSucceeded:
		d.MapIterationSucceededEventDetails = &MapIterationEventDetails{Name: ev.name, Index: int(ev.index)}
	case EventMapIterationFailed:
		d.MapIterationFailedEventDetails = &MapIterationEventDetails{Name: ev.name, Index: int(ev.index)}
	case EventMapIterationAborted:
		d.MapIterationAbortedEventDetails = &MapIterationEventDetails{Name: ev.name, Index: int(ev.index)}
	default:
		switch {
		case isEntered(ev.typ):
			in, det := value(ev.input)
			d.StateEnteredEventDetails = &StateEnteredEventDetails{Name: ev.name, Input: in, InputDetails: det}
		case isExited(ev.typ):
			out, det := value(ev.output)
			d.StateExitedEventDetails = &StateExitedEventDetails{Name: ev.name, Output: out, OutputDetails: det}
		}
	}
	return h
}
