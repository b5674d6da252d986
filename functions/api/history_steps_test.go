package api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// historyEvent builds an event; name fills the details that carry a state name.
func historyEvent(id, previous int64, kind sfntypes.HistoryEventType, name string) sfntypes.HistoryEvent {
	e := sfntypes.HistoryEvent{Id: id, PreviousEventId: previous, Type: kind}
	switch kind {
	case sfntypes.HistoryEventTypeTaskStateEntered, sfntypes.HistoryEventTypeParallelStateEntered,
		sfntypes.HistoryEventTypeMapStateEntered, sfntypes.HistoryEventTypePassStateEntered:
		e.StateEnteredEventDetails = &sfntypes.StateEnteredEventDetails{Name: aws.String(name)}
	case sfntypes.HistoryEventTypeTaskStateExited, sfntypes.HistoryEventTypeParallelStateExited,
		sfntypes.HistoryEventTypeMapStateExited, sfntypes.HistoryEventTypePassStateExited:
		e.StateExitedEventDetails = &sfntypes.StateExitedEventDetails{Name: aws.String(name)}
	case sfntypes.HistoryEventTypeMapIterationStarted:
		e.MapIterationStartedEventDetails = &sfntypes.MapIterationEventDetails{Name: aws.String(name)}
	case sfntypes.HistoryEventTypeMapIterationSucceeded:
		e.MapIterationSucceededEventDetails = &sfntypes.MapIterationEventDetails{Name: aws.String(name)}
	}
	return e
}

// Interleaved branch events are attributed through their previous events, and the events of a
// Parallel or Map state as a whole to that state, even with a nested Map inside a branch.
func TestStepTrackerFollowsPreviousEvents(t *testing.T) {
	type row struct {
		event sfntypes.HistoryEvent
		want  string
	}
	rows := []row{
		{historyEvent(1, 0, sfntypes.HistoryEventTypeExecutionStarted, ""), ""},
		{historyEvent(2, 1, sfntypes.HistoryEventTypeParallelStateEntered, "Checks"), "Checks"},
		{historyEvent(3, 2, sfntypes.HistoryEventTypeParallelStateStarted, ""), "Checks"},
		{historyEvent(4, 3, sfntypes.HistoryEventTypeTaskStateEntered, "Clearance"), "Clearance"},
		{historyEvent(5, 3, sfntypes.HistoryEventTypeMapStateEntered, "Inner"), "Inner"},
		{historyEvent(6, 4, sfntypes.HistoryEventTypeLambdaFunctionScheduled, ""), "Clearance"},
		{historyEvent(7, 5, sfntypes.HistoryEventTypeMapStateStarted, ""), "Inner"},
		{historyEvent(8, 7, sfntypes.HistoryEventTypeMapIterationStarted, "Inner"), "Inner"},
		{historyEvent(9, 8, sfntypes.HistoryEventTypePassStateEntered, "Item"), "Item"},
		{historyEvent(10, 6, sfntypes.HistoryEventTypeLambdaFunctionSucceeded, ""), "Clearance"},
		{historyEvent(11, 9, sfntypes.HistoryEventTypePassStateExited, "Item"), "Item"},
		{historyEvent(12, 11, sfntypes.HistoryEventTypeMapIterationSucceeded, "Inner"), "Inner"},
		{historyEvent(13, 12, sfntypes.HistoryEventTypeMapStateSucceeded, ""), "Inner"},
		{historyEvent(14, 13, sfntypes.HistoryEventTypeMapStateExited, "Inner"), "Inner"},
		{historyEvent(15, 10, sfntypes.HistoryEventTypeTaskStateExited, "Clearance"), "Clearance"},
		// The last branch to finish was the one with the nested Map: walking back must skip it.
		{historyEvent(16, 14, sfntypes.HistoryEventTypeParallelStateSucceeded, ""), "Checks"},
		{historyEvent(17, 16, sfntypes.HistoryEventTypeParallelStateExited, "Checks"), "Checks"},
		{historyEvent(18, 17, sfntypes.HistoryEventTypeExecutionSucceeded, ""), ""},
	}
	tracker := newStepTracker()
	for _, r := range rows {
		if got := tracker.stepOf(r.event); got != r.want {
			t.Errorf("event %d (%s): step %q, want %q", r.event.Id, r.event.Type, got, r.want)
		}
	}
}
