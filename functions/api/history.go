package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
)

// HistoryEvent is one entry of an activation's timeline.
type HistoryEvent struct {
	Time time.Time `json:"time"`
	// Source is "workflow" (the execution's history) or "audit" (the audit trail).
	Source string `json:"source"`
	Type   string `json:"type"`
	Step   string `json:"step,omitempty"`
	Actor  string `json:"actor,omitempty"`
	Detail any    `json:"detail,omitempty"`
}

// History is the answer of GET /activations/{id}/history.
type History struct {
	Items []HistoryEvent `json:"items"`
}

// historyPageLimit bounds how many pages of execution history and audit trail one timeline
// reads, so that one request cannot read without end.
const historyPageLimit = 50

// activationHistory handles GET /activations/{id}/history: the execution's events (while Step
// Functions keeps them) and the audit trail (kept for years) merged into one timeline, in time
// order. Audit events say who; workflow events are the workflow's own.
func (s *Server) activationHistory(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ReadHistory) == auth.None {
		return forbidden(auth.ReadHistory)
	}
	activation, err := s.visibleActivation(r, caller, auth.ReadHistory)
	if err != nil {
		return err
	}
	items := []HistoryEvent{}
	arn := activation.ExecutionArn
	if arn == "" {
		arn = executionARN(s.options.StateMachineARN, activation.ID)
	}
	if arn != "" {
		workflowEvents, err := s.workflowHistory(r, arn)
		if err != nil {
			return err
		}
		items = append(items, workflowEvents...)
	}
	cursor := ""
	for range historyPageLimit {
		page, err := s.deps.Audit.AuditOfActivation(r.Context(), activation.ID, 1000, cursor)
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			detail := map[string]any{"seq": e.Seq}
			for key, value := range map[string]any{"role": e.Role, "office": e.Office, "subject": e.Subject, "workflowEvent": e.WorkflowEvent} {
				if value != "" {
					detail[key] = value
				}
			}
			if len(e.Before) > 0 {
				detail["before"] = e.Before
			}
			if len(e.After) > 0 {
				detail["after"] = e.After
			}
			items = append(items, HistoryEvent{Time: e.Time.UTC(), Source: "audit", Type: e.Action, Step: stepOf(e), Actor: e.Actor, Detail: detail})
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	slices.SortStableFunc(items, func(a, b HistoryEvent) int { return a.Time.Compare(b.Time) })
	return writeJSON(w, http.StatusOK, History{Items: items})
}

// workflowHistory reads the execution's events, oldest first. An execution that does not exist
// (not started yet, or its history expired) has no events.
func (s *Server) workflowHistory(r *http.Request, arn string) ([]HistoryEvent, error) {
	var items []HistoryEvent
	in := &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000}
	steps := newStepTracker()
	for range historyPageLimit {
		out, err := s.deps.Workflow.GetExecutionHistory(r.Context(), in)
		if err != nil {
			var missing *sfntypes.ExecutionDoesNotExist
			if errors.As(err, &missing) {
				return nil, nil
			}
			return nil, err
		}
		for _, event := range out.Events {
			items = append(items, workflowEvent(event, steps.stepOf(event)))
		}
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	return items, nil
}

// stepTracker names the state each history event belongs to. Events of parallel branches and
// map iterations interleave, so the state is found through the chain of previous events, not
// from the event listed before.
type stepTracker struct {
	events map[int64]trackedEvent
}

type trackedEvent struct {
	previous int64
	kind     sfntypes.HistoryEventType
	step     string
}

func newStepTracker() *stepTracker { return &stepTracker{events: map[int64]trackedEvent{}} }

// stepOf returns the state of event; events must be given oldest first.
func (t *stepTracker) stepOf(event sfntypes.HistoryEvent) string {
	var step string
	switch {
	case event.StateEnteredEventDetails != nil:
		step = aws.ToString(event.StateEnteredEventDetails.Name)
	case event.StateExitedEventDetails != nil:
		step = aws.ToString(event.StateExitedEventDetails.Name)
	case event.MapIterationStartedEventDetails != nil:
		step = aws.ToString(event.MapIterationStartedEventDetails.Name)
	case event.MapIterationSucceededEventDetails != nil:
		step = aws.ToString(event.MapIterationSucceededEventDetails.Name)
	case event.MapIterationFailedEventDetails != nil:
		step = aws.ToString(event.MapIterationFailedEventDetails.Name)
	case event.MapIterationAbortedEventDetails != nil:
		step = aws.ToString(event.MapIterationAbortedEventDetails.Name)
	case strings.HasPrefix(string(event.Type), "Execution"):
		step = "" // the execution as a whole
	case isContainerEvent(event.Type):
		step = t.enclosingContainer(event.PreviousEventId)
	default:
		step = t.events[event.PreviousEventId].step
	}
	t.events[event.Id] = trackedEvent{previous: event.PreviousEventId, kind: event.Type, step: step}
	return step
}

// isContainerEvent tells the events of a Parallel or Map state as a whole (started, succeeded,
// failed, aborted), which carry no state name and follow an event of one of their branches.
func isContainerEvent(kind sfntypes.HistoryEventType) bool {
	switch kind {
	case sfntypes.HistoryEventTypeParallelStateStarted, sfntypes.HistoryEventTypeParallelStateSucceeded,
		sfntypes.HistoryEventTypeParallelStateFailed, sfntypes.HistoryEventTypeParallelStateAborted,
		sfntypes.HistoryEventTypeMapStateStarted, sfntypes.HistoryEventTypeMapStateSucceeded,
		sfntypes.HistoryEventTypeMapStateFailed, sfntypes.HistoryEventTypeMapStateAborted:
		return true
	}
	return false
}

// enclosingContainer walks back from id to the Parallel or Map state that is still open there,
// skipping nested ones that were entered and exited on the way.
func (t *stepTracker) enclosingContainer(id int64) string {
	depth := 0
	for seen := 0; id != 0 && seen < len(t.events); seen++ {
		event, ok := t.events[id]
		if !ok {
			return ""
		}
		switch event.kind {
		case sfntypes.HistoryEventTypeParallelStateExited, sfntypes.HistoryEventTypeMapStateExited:
			depth++
		case sfntypes.HistoryEventTypeParallelStateEntered, sfntypes.HistoryEventTypeMapStateEntered:
			if depth == 0 {
				return event.step
			}
			depth--
		}
		id = event.previous
	}
	return ""
}

// workflowEvent turns one execution history event into a timeline entry, in the given step.
func workflowEvent(event sfntypes.HistoryEvent, step string) HistoryEvent {
	detail := map[string]any{"id": event.Id}
	if event.PreviousEventId != 0 {
		detail["previousEventId"] = event.PreviousEventId
	}
	note := func(key string, value *string) {
		if value != nil && *value != "" {
			detail[key] = jsonOrString(*value)
		}
	}
	switch {
	case event.StateExitedEventDetails != nil:
		note("output", event.StateExitedEventDetails.Output)
	case event.ExecutionStartedEventDetails != nil:
		note("input", event.ExecutionStartedEventDetails.Input)
	case event.ExecutionSucceededEventDetails != nil:
		note("output", event.ExecutionSucceededEventDetails.Output)
	case event.ExecutionFailedEventDetails != nil:
		note("error", event.ExecutionFailedEventDetails.Error)
		note("cause", event.ExecutionFailedEventDetails.Cause)
	case event.ExecutionAbortedEventDetails != nil:
		note("error", event.ExecutionAbortedEventDetails.Error)
		note("cause", event.ExecutionAbortedEventDetails.Cause)
	case event.ExecutionTimedOutEventDetails != nil:
		note("error", event.ExecutionTimedOutEventDetails.Error)
	case event.TaskFailedEventDetails != nil:
		note("error", event.TaskFailedEventDetails.Error)
		note("cause", event.TaskFailedEventDetails.Cause)
	case event.TaskTimedOutEventDetails != nil:
		note("error", event.TaskTimedOutEventDetails.Error)
	case event.TaskSucceededEventDetails != nil:
		note("output", event.TaskSucceededEventDetails.Output)
	case event.LambdaFunctionFailedEventDetails != nil:
		note("error", event.LambdaFunctionFailedEventDetails.Error)
		note("cause", event.LambdaFunctionFailedEventDetails.Cause)
	case event.LambdaFunctionSucceededEventDetails != nil:
		note("output", event.LambdaFunctionSucceededEventDetails.Output)
	}
	return HistoryEvent{
		Time:   aws.ToTime(event.Timestamp).UTC(),
		Source: "workflow",
		Type:   string(event.Type),
		Step:   step,
		Actor:  "workflow",
		Detail: detail,
	}
}

// jsonOrString keeps a JSON payload as JSON in the timeline, and anything else as text.
func jsonOrString(s string) any {
	var v any
	if json.Unmarshal([]byte(s), &v) == nil {
		return v
	}
	return s
}

// stepOf names the workflow step an audit event belongs to: the state named after '#' in its
// workflow event reference ("arn:...:exec#ReserveFunds"), when that is a name and not an event id.
func stepOf(e audit.Event) string {
	if e.Action == audit.ActionActivationRequested {
		return "request" // the request step happens in the API, before any execution
	}
	_, after, found := strings.Cut(e.WorkflowEvent, "#")
	if !found || after == "" || strings.Trim(after, "0123456789") == "" {
		return ""
	}
	return after
}
