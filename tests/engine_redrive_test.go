package tests

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

// stepFailure is the error the test's function fails with before the redrive.
type stepFailure struct{ message string }

func (e *stepFailure) Error() string { return e.message }

// TestRedriveOfAnAbortedSiblingCompletes is the engine's part of redriving a stalled activation
// (TestAnApprovalGivenWhileStalledIsDeliveredByTheRedrive): a Map (or Parallel) state with two
// items (branches) that each wait for a task token. Item b's function fails, so the state fails
// and item a, still waiting, is aborted; the execution fails. After RedriveExecution both run
// again; once both have succeeded the state must succeed and the execution with it.
func TestRedriveOfAnAbortedSiblingCompletes(t *testing.T) {
	wait := func(item string) string {
		return `{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
			"Parameters": {"FunctionName": "step", "Payload": {"item": "` + item + `", "token.$": "$$.Task.Token"}}, "End": true}`
	}
	definitions := map[string]string{
		"map": `{"StartAt": "Items", "States": {"Items": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
			"ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Wait", "States": {"Wait":
			{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
			 "Parameters": {"FunctionName": "step", "Payload": {"item.$": "$", "token.$": "$$.Task.Token"}}, "End": true}}},
			"End": true}}}`,
		"parallel": `{"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
			{"StartAt": "A", "States": {"A": ` + wait("a") + `}},
			{"StartAt": "B", "States": {"B": ` + wait("b") + `}}]}}}`,
	}
	for name, definition := range definitions {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			// Every token each item's function was called with since the last clear: a call of the
			// first run, aborted with its state, may still be in flight and record its (dead) token
			// after the redrive's call has recorded the live one.
			tokens := map[string][]string{}
			failing := true
			functions := tasks.NewDispatcher()
			if err := functions.Register("step", func(_ context.Context, in struct{ Item, Token string }) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				if in.Item == "b" && failing {
					return "", &stepFailure{"b fails before the redrive"}
				}
				tokens[in.Item] = append(tokens[in.Item], in.Token)
				return "waiting", nil
			}); err != nil {
				t.Fatal(err)
			}
			e, err := engine.New(engine.Options{Clock: clock.NewFake(time.Now()), Lambda: functions,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			machine, err := e.CreateStateMachine(ctx, engine.CreateStateMachineInput{Name: name, Definition: definition,
				RoleArn: "arn:aws:iam::123456789012:role/test"})
			if err != nil {
				t.Fatal(err)
			}
			input := `{"items": ["a", "b"]}`
			started, err := e.StartExecution(ctx, engine.StartExecutionInput{StateMachineArn: machine.StateMachineArn, Name: "x", Input: &input})
			if err != nil {
				t.Fatal(err)
			}
			if first, err := e.WaitExecution(ctx, started.ExecutionArn); err != nil || first.Status != engine.StatusFailed {
				t.Fatalf("before the redrive: %+v %v", first, err)
			}

			mu.Lock()
			failing = false
			clear(tokens)
			mu.Unlock()
			if _, err := e.RedriveExecution(ctx, started.ExecutionArn); err != nil {
				t.Fatal(err)
			}
			// Both wait again; answer them.
			ticker := time.NewTicker(time.Millisecond)
			defer ticker.Stop()
			for answered := map[string]bool{}; len(answered) < 2; <-ticker.C {
				if ctx.Err() != nil {
					t.Fatalf("the redriven items did not both wait: answered %v", answered)
				}
				mu.Lock()
				waiting := map[string][]string{}
				for item, seen := range tokens {
					waiting[item] = append([]string(nil), seen...)
				}
				mu.Unlock()
				for item, seen := range waiting {
					for _, token := range seen {
						if !answered[item] && e.SendTaskSuccess(ctx, token, `"`+item+` done"`) == nil {
							answered[item] = true
						}
					}
				}
			}
			second, err := e.WaitExecution(ctx, started.ExecutionArn)
			if err != nil || second.Status != engine.StatusSucceeded {
				events, _, _ := e.GetExecutionHistory(context.Background(), engine.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn, MaxResults: 1000})
				var last []string
				for _, ev := range events[max(0, len(events)-6):] {
					last = append(last, string(ev.Type))
				}
				t.Fatalf("after both redriven items succeeded the execution is not done (%v); its last events: %v", err, last)
			}
		})
	}
}
