package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// The API scenarios follow the Step Functions API reference:
// https://docs.aws.amazon.com/step-functions/latest/apireference/ (one page per action, with its
// errors). Each drives the engine through the sfn client, as a user of AWS would.

const (
	// waitingMachine waits 100 seconds on the suite's clock, so its executions stay RUNNING
	// until the test moves the clock.
	waitingMachine = `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":100,"End":true}}}`
	// tokenMachine hands a task token to the Park function and waits for it to come back.
	tokenMachine = `{"StartAt":"Approve","States":{"Approve":{"Type":"Task",
		"Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"Park","Payload":{"key.$":"$.key","token.$":"$$.Task.Token"}},
		%s "End":true}}}`
	tokenWait = 10 * time.Second
)

func createMachine(t *testing.T, h *harness, name, definition string) string {
	t.Helper()
	out, err := h.client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(definition), RoleArn: aws.String(roleARN),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

func start(t *testing.T, h *harness, machineARN, name, input string) string {
	t.Helper()
	out, err := h.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN), Name: aws.String(name), Input: aws.String(input),
	})
	if err != nil {
		t.Fatalf("StartExecution %s: %v", name, err)
	}
	return aws.ToString(out.ExecutionArn)
}

// wantAPIError checks that err is the API error code.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want the API error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("got %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
}

// waitForStatus polls DescribeExecution, without moving the clock, until the status is want.
func (h *harness) waitForStatus(t *testing.T, executionARN string, want types.ExecutionStatus) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(caseDeadline)
	for {
		out, err := h.client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		if out.Status == want {
			return out
		}
		if out.Status != types.ExecutionStatusRunning || time.Now().After(deadline) {
			t.Fatalf("execution is %s (error %q, cause %q), want %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), want)
		}
		time.Sleep(pollInterval)
	}
}

// parkedToken waits for the Park function to receive the task token of the execution keyed key.
func (h *harness) parkedToken(t *testing.T, arn, key string) string {
	t.Helper()
	token, ok := h.lambdas.Token(key, tokenWait)
	if !ok {
		t.Fatalf("no task token reached Park for %s", key)
	}
	// Park has the token before its call returns; the execution records TaskSubmitted when it
	// does. A callback sent in between is valid, but the tests read the documented order.
	deadline := time.Now().Add(tokenWait)
	for !slices.Contains(h.eventTypes(t, arn), "TaskSubmitted") {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no TaskSubmitted after Park had the token", arn)
		}
		time.Sleep(time.Millisecond)
	}
	return token
}

// waitForTimers waits until the engine has armed n timers (a Wait state, a task timeout, ...).
func (h *harness) waitForTimers(t *testing.T, n int) {
	t.Helper()
	if !h.clock.WaitForTimers(n, tokenWait) {
		t.Fatalf("the engine armed %d timers, want %d", len(h.clock.Pending()), n)
	}
}

// https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html:
// the same name and input as a running execution returns that execution; a different input, or
// an execution that has ended, gives ExecutionAlreadyExists.
func TestStartExecutionNameIdempotency(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	machine := createMachine(t, h, "idempotency", waitingMachine)
	first := start(t, h, machine, "order-1", `{"a":1}`)

	again, err := h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("order-1"), Input: aws.String(`{"a":1}`)})
	if err != nil {
		t.Fatalf("same name and input while running: %v", err)
	}
	if aws.ToString(again.ExecutionArn) != first {
		t.Errorf("same name and input gave %s, want the running execution %s", aws.ToString(again.ExecutionArn), first)
	}
	_, err = h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("order-1"), Input: aws.String(`{"a":2}`)})
	wantAPIError(t, err, "ExecutionAlreadyExists")

	h.waitForTimers(t, 1)
	h.clock.Advance(100 * time.Second)
	h.waitForStatus(t, first, types.ExecutionStatusSucceeded)
	_, err = h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("order-1"), Input: aws.String(`{"a":1}`)})
	wantAPIError(t, err, "ExecutionAlreadyExists")

	list, err := h.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) != 1 {
		t.Errorf("%d executions, want 1: a repeated start must not create another", len(list.Executions))
	}
}

// https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html and
// API_ListExecutions.html (statusFilter, maxResults, nextToken).
func TestDescribeAndListExecutions(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	machine := createMachine(t, h, "listing", `{"StartAt":"Route","States":{
		"Route":{"Type":"Choice","Choices":[
			{"Variable":"$.outcome","StringEquals":"fail","Next":"Stop"},
			{"Variable":"$.outcome","StringEquals":"wait","Next":"Hold"}],"Default":"Done"},
		"Stop":{"Type":"Fail","Error":"Asked","Cause":"the input asked to fail"},
		"Hold":{"Type":"Wait","Seconds":100,"Next":"Done"},
		"Done":{"Type":"Pass","Result":{"done":true},"End":true}}}`)
	want := map[types.ExecutionStatus][]string{}
	for i, outcome := range []string{"pass", "fail", "wait", "pass", "fail", "pass", "wait"} {
		name := fmt.Sprintf("run-%d", i)
		arn := start(t, h, machine, name, fmt.Sprintf(`{"outcome":%q}`, outcome))
		status := map[string]types.ExecutionStatus{"pass": types.ExecutionStatusSucceeded, "fail": types.ExecutionStatusFailed, "wait": types.ExecutionStatusRunning}[outcome]
		h.waitForStatus(t, arn, status)
		want[status] = append(want[status], arn)
	}

	failed, err := h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(want[types.ExecutionStatusFailed][0])})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(failed.Error) != "Asked" || aws.ToString(failed.Cause) != "the input asked to fail" || failed.StopDate == nil ||
		aws.ToString(failed.StateMachineArn) != machine || aws.ToString(failed.Name) != "run-1" || aws.ToString(failed.Input) != `{"outcome":"fail"}` {
		t.Errorf("DescribeExecution of a failed execution: %+v", failed)
	}
	done, err := h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(want[types.ExecutionStatusSucceeded][0])})
	if err != nil {
		t.Fatal(err)
	}
	if same, _ := SameJSON([]byte(aws.ToString(done.Output)), []byte(`{"done":true}`)); !same || done.StartDate == nil || done.StopDate == nil {
		t.Errorf("DescribeExecution of a succeeded execution: output %q, start %v, stop %v", aws.ToString(done.Output), done.StartDate, done.StopDate)
	}

	for status, arns := range want {
		var got []string
		pages := sfn.NewListExecutionsPaginator(h.client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), StatusFilter: status, MaxResults: 1})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Executions) > 1 {
				t.Errorf("a page of %d executions, want at most 1", len(page.Executions))
			}
			for _, x := range page.Executions {
				if x.Status != status {
					t.Errorf("ListExecutions(%s) returned a %s execution", status, x.Status)
				}
				got = append(got, aws.ToString(x.ExecutionArn))
			}
		}
		sort.Strings(got)
		sort.Strings(arns)
		if strings.Join(got, ",") != strings.Join(arns, ",") {
			t.Errorf("ListExecutions(%s) = %v, want %v", status, got, arns)
		}
	}
	var all []string
	pages := sfn.NewListExecutionsPaginator(h.client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), MaxResults: 3})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.Executions {
			all = append(all, aws.ToString(x.ExecutionArn))
		}
	}
	if len(all) != 7 {
		t.Errorf("paging through every execution found %d, want 7: %v", len(all), all)
	}
	// Newest first, as the API reference says of ListExecutions.
	if len(all) == 7 && !strings.HasSuffix(all[0], ":run-6") {
		t.Errorf("first listed execution %s, want the newest (run-6)", all[0])
	}
}

// https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html and
// https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
func TestStopExecution(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	machine := createMachine(t, h, "stopping", waitingMachine)
	arn := start(t, h, machine, "to-stop", `{}`)
	h.waitForTimers(t, 1)
	stopped, err := h.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn), Error: aws.String("Halted"), Cause: aws.String("stopped by the test")})
	if err != nil {
		t.Fatal(err)
	}
	if stopped.StopDate == nil {
		t.Error("StopExecution returned no stopDate")
	}
	out := h.waitForStatus(t, arn, types.ExecutionStatusAborted)
	if aws.ToString(out.Error) != "Halted" || aws.ToString(out.Cause) != "stopped by the test" {
		t.Errorf("aborted execution error %q cause %q", aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	// The Wait state the stop cut short gets its WaitStateAborted before ExecutionAborted: the
	// HistoryEvent types (API_HistoryEvent.html) have a *StateAborted event for each state that
	// can be in progress (Task, Wait, Parallel, Map; MapIterationAborted for iterations).
	events := h.eventTypes(t, arn)
	if n := len(events); n < 2 || events[n-2] != string(types.HistoryEventTypeWaitStateAborted) || events[n-1] != string(types.HistoryEventTypeExecutionAborted) {
		t.Errorf("history %v does not end with WaitStateAborted, ExecutionAborted", events)
	}
	h.clock.Advance(200 * time.Second)
	if again := h.waitForStatus(t, arn, types.ExecutionStatusAborted); again.Status != types.ExecutionStatusAborted {
		t.Errorf("a stopped execution went on to %s", again.Status)
	}
	_, err = h.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(strings.Replace(arn, "to-stop", "never-started", 1))})
	wantAPIError(t, err, "ExecutionDoesNotExist")
}

// https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html:
// events with ids from 1, previousEventId links, maxResults paging and reverseOrder.
func TestGetExecutionHistory(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	machine := createMachine(t, h, "history", `{"StartAt":"One","States":{
		"One":{"Type":"Pass","Next":"Two"},"Two":{"Type":"Pass","Next":"Three"},"Three":{"Type":"Pass","End":true}}}`)
	arn := start(t, h, machine, "h1", `{}`)
	h.waitForStatus(t, arn, types.ExecutionStatusSucceeded)

	var paged []types.HistoryEvent
	pages := sfn.NewGetExecutionHistoryPaginator(h.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 2})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) > 2 {
			t.Errorf("page of %d events, want at most 2", len(page.Events))
		}
		paged = append(paged, page.Events...)
	}
	wantTypes := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited",
		"PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if len(paged) != len(wantTypes) {
		t.Fatalf("%d events, want %d", len(paged), len(wantTypes))
	}
	for i, e := range paged {
		if string(e.Type) != wantTypes[i] {
			t.Errorf("event %d is %s, want %s", i+1, e.Type, wantTypes[i])
		}
		if e.Id != int64(i+1) {
			t.Errorf("event %d has id %d", i+1, e.Id)
		}
		if i == 0 && e.PreviousEventId != 0 {
			t.Errorf("ExecutionStarted has previousEventId %d, want 0", e.PreviousEventId)
		}
		if i > 0 && e.PreviousEventId != e.Id-1 {
			t.Errorf("event %d (%s) has previousEventId %d, want %d in a sequence of Pass states", e.Id, e.Type, e.PreviousEventId, e.Id-1)
		}
		if e.Timestamp == nil {
			t.Errorf("event %d has no timestamp", e.Id)
		}
	}
	if d := paged[0].ExecutionStartedEventDetails; d == nil || aws.ToString(d.Input) != `{}` {
		t.Errorf("ExecutionStarted details: %+v", d)
	}
	if d := paged[1].StateEnteredEventDetails; d == nil || aws.ToString(d.Name) != "One" {
		t.Errorf("first PassStateEntered details: %+v", d)
	}

	reversed, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: true, MaxResults: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(reversed.Events) != 3 || reversed.Events[0].Id != 8 || reversed.Events[2].Id != 6 || reversed.NextToken == nil {
		ids := []int64{}
		for _, e := range reversed.Events {
			ids = append(ids, e.Id)
		}
		t.Errorf("reverse order first page: ids %v, next token %v; want [8 7 6] and a next token", ids, reversed.NextToken)
	}

	_, err = h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), NextToken: aws.String("not-a-token")})
	wantAPIError(t, err, "InvalidToken")
}

// https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
// and API_SendTaskSuccess.html / API_SendTaskFailure.html.
func TestTaskTokenSuccessAndFailure(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	machine := createMachine(t, h, "callback", fmt.Sprintf(tokenMachine, ""))

	approved := start(t, h, machine, "approved", `{"key":"approved"}`)
	token := h.parkedToken(t, approved, "approved")
	if _, err := h.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String("{not json")}); err == nil {
		t.Error("SendTaskSuccess accepted output that is not JSON")
	} else {
		wantAPIError(t, err, "InvalidOutput")
	}
	if _, err := h.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"approved":true}`)}); err != nil {
		t.Fatal(err)
	}
	out := h.waitForStatus(t, approved, types.ExecutionStatusSucceeded)
	if same, _ := SameJSON([]byte(aws.ToString(out.Output)), []byte(`{"approved":true}`)); !same {
		t.Errorf("output %s, want the task's output {\"approved\":true}", aws.ToString(out.Output))
	}
	events := h.eventTypes(t, approved)
	if ok, at := HasSubsequence(events, []string{"TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "ExecutionSucceeded"}); !ok {
		t.Errorf("history lacks event %d of the callback pattern: %v", at, events)
	}
	_, err := h.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	wantAPIError(t, err, "TaskTimedOut")

	rejected := start(t, h, machine, "rejected", `{"key":"rejected"}`)
	token = h.parkedToken(t, rejected, "rejected")
	if _, err := h.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String("Rejected"), Cause: aws.String("the reviewer said no")}); err != nil {
		t.Fatal(err)
	}
	out = h.waitForStatus(t, rejected, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) != "Rejected" || aws.ToString(out.Cause) != "the reviewer said no" {
		t.Errorf("failed execution error %q cause %q, want Rejected / the reviewer said no", aws.ToString(out.Error), aws.ToString(out.Cause))
	}

	for _, garbage := range []string{"garbage", strings.Repeat("x", 200)} {
		_, err := h.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(garbage), Output: aws.String(`{}`)})
		wantAPIError(t, err, "InvalidToken")
		_, err = h.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(garbage)})
		wantAPIError(t, err, "InvalidToken")
		_, err = h.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(garbage)})
		wantAPIError(t, err, "InvalidToken")
	}
}

// A token whose task timed out is refused with TaskTimedOut
// (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html).
func TestTaskTokenAfterTimeout(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	machine := createMachine(t, h, "callback-timeout", fmt.Sprintf(tokenMachine, `"TimeoutSeconds":5,`))
	arn := start(t, h, machine, "late", `{"key":"late"}`)
	token := h.parkedToken(t, arn, "late")
	h.waitForTimers(t, 1)
	h.clock.Advance(5 * time.Second)
	out := h.waitForStatus(t, arn, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) != "States.Timeout" {
		t.Errorf("error %q, want States.Timeout", aws.ToString(out.Error))
	}
	if events := h.eventTypes(t, arn); !contains(events, "TaskTimedOut") {
		t.Errorf("history lacks TaskTimedOut: %v", events)
	}
	_, err := h.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	wantAPIError(t, err, "TaskTimedOut")
	_, err = h.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)})
	wantAPIError(t, err, "TaskTimedOut")
}

// HeartbeatSeconds: each SendTaskHeartbeat restarts the heartbeat interval; without one the task
// fails with States.HeartbeatTimeout (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html).
func TestTaskHeartbeat(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	machine := createMachine(t, h, "heartbeat", fmt.Sprintf(tokenMachine, `"TimeoutSeconds":100,"HeartbeatSeconds":10,`))
	arn := start(t, h, machine, "beating", `{"key":"beating"}`)
	token := h.parkedToken(t, arn, "beating")
	h.waitForTimers(t, 1)
	h.clock.Advance(8 * time.Second)
	if _, err := h.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(8 * time.Second) // 16 s: past the first interval, within the renewed one
	renewed := clockStart.Add(18 * time.Second)
	if !h.waitForPendingAt(renewed) {
		t.Fatalf("no timer pending at 8 s + 10 s after the heartbeat; pending %v, history %v", h.clock.Pending(), h.eventTypes(t, arn))
	}
	if out := h.waitForStatus(t, arn, types.ExecutionStatusRunning); out.StopDate != nil {
		t.Fatalf("the execution stopped at %s although a heartbeat came in time", out.StopDate)
	}
	h.clock.Set(renewed)
	out := h.waitForStatus(t, arn, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) != "States.HeartbeatTimeout" {
		t.Errorf("error %q, want States.HeartbeatTimeout", aws.ToString(out.Error))
	}
	if got := out.StopDate.Sub(*out.StartDate); got != 18*time.Second {
		t.Errorf("the heartbeat timeout came %s after the start, want 18s", got)
	}
}

// waitForPendingAt waits (wall clock, bounded) until a timer is pending at when.
func (h *harness) waitForPendingAt(when time.Time) bool {
	deadline := time.Now().Add(tokenWait)
	for time.Now().Before(deadline) {
		for _, due := range h.clock.Pending() {
			if due.Equal(when) {
				return true
			}
		}
		time.Sleep(pollInterval)
	}
	return false
}

// A catcher on States.HeartbeatTimeout handles a missed heartbeat
// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html); the
// interval comes from the input through HeartbeatSecondsPath.
func TestTaskHeartbeatTimeoutCaught(t *testing.T) {
	h := newHarness(t, nil)
	machine := createMachine(t, h, "heartbeat-caught", `{"StartAt":"Approve","States":{
		"Approve":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
			"Parameters":{"FunctionName":"Park","Payload":{"key.$":"$.key","token.$":"$$.Task.Token"}},
			"HeartbeatSecondsPath":"$.beat","Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"ResultPath":"$.error","Next":"Escalate"}],"End":true},
		"Escalate":{"Type":"Pass","Parameters":{"error.$":"$.error.Error"},"End":true}}}`)
	arn := start(t, h, machine, "silent", `{"key":"silent","beat":5}`)
	h.parkedToken(t, arn, "silent")
	h.waitForTimers(t, 1)
	h.clock.Advance(5 * time.Second)
	out := h.waitForStatus(t, arn, types.ExecutionStatusSucceeded)
	if got := out.StopDate.Sub(*out.StartDate); got != 5*time.Second {
		t.Errorf("the heartbeat timeout came %s after the start, want 5s from HeartbeatSecondsPath", got)
	}
	if same, _ := SameJSON([]byte(aws.ToString(out.Output)), []byte(`{"error":"States.HeartbeatTimeout"}`)); !same {
		t.Errorf("output %s, want the caught States.HeartbeatTimeout", aws.ToString(out.Output))
	}
}

// The error codes of the API reference, one action at a time.
func TestAPIErrorCodes(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	machine := createMachine(t, h, "errors", waitingMachine)
	missingExecution := strings.Replace(machine, ":stateMachine:", ":execution:", 1) + ":nobody"
	missingMachine := machine + "-gone"

	t.Run("DescribeExecution/ExecutionDoesNotExist", func(t *testing.T) {
		_, err := h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(missingExecution)})
		wantAPIError(t, err, "ExecutionDoesNotExist")
	})
	t.Run("GetExecutionHistory/ExecutionDoesNotExist", func(t *testing.T) {
		_, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(missingExecution)})
		wantAPIError(t, err, "ExecutionDoesNotExist")
	})
	t.Run("DescribeExecution/InvalidArn", func(t *testing.T) {
		_, err := h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("not-an-arn")})
		wantAPIError(t, err, "InvalidArn")
	})
	t.Run("DescribeStateMachine/StateMachineDoesNotExist", func(t *testing.T) {
		_, err := h.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(missingMachine)})
		wantAPIError(t, err, "StateMachineDoesNotExist")
	})
	t.Run("DescribeStateMachine/InvalidArn", func(t *testing.T) {
		_, err := h.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:sqs:us-east-1:123456789012:queue")})
		wantAPIError(t, err, "InvalidArn")
	})
	t.Run("StartExecution/StateMachineDoesNotExist", func(t *testing.T) {
		_, err := h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(missingMachine)})
		wantAPIError(t, err, "StateMachineDoesNotExist")
	})
	t.Run("StartExecution/InvalidName", func(t *testing.T) {
		_, err := h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("has space")})
		wantAPIError(t, err, "InvalidName")
	})
	t.Run("StartExecution/InvalidExecutionInput", func(t *testing.T) {
		_, err := h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String("{not json")})
		wantAPIError(t, err, "InvalidExecutionInput")
	})
	t.Run("CreateStateMachine/InvalidName", func(t *testing.T) {
		_, err := h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad/name"), Definition: aws.String(waitingMachine), RoleArn: aws.String(roleARN)})
		wantAPIError(t, err, "InvalidName")
	})
	t.Run("CreateStateMachine/InvalidDefinition", func(t *testing.T) {
		_, err := h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("broken"), Definition: aws.String(`{"StartAt":"Missing","States":{}}`), RoleArn: aws.String(roleARN)})
		wantAPIError(t, err, "InvalidDefinition")
	})
	t.Run("CreateStateMachine/StateMachineAlreadyExists", func(t *testing.T) {
		_, err := h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("errors"), Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), RoleArn: aws.String(roleARN)})
		wantAPIError(t, err, "StateMachineAlreadyExists")
	})
	t.Run("CreateStateMachine/same definition is idempotent", func(t *testing.T) {
		out, err := h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("errors"), Definition: aws.String(waitingMachine), RoleArn: aws.String(roleARN)})
		if err != nil {
			t.Fatalf("creating the same state machine again: %v", err)
		}
		if aws.ToString(out.StateMachineArn) != machine {
			t.Errorf("got %s, want the existing %s", aws.ToString(out.StateMachineArn), machine)
		}
	})
	t.Run("StopExecution/InvalidArn", func(t *testing.T) {
		_, err := h.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String("arn:nonsense")})
		wantAPIError(t, err, "InvalidArn")
	})
	t.Run("UpdateStateMachine/StateMachineDoesNotExist", func(t *testing.T) {
		_, err := h.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(missingMachine), Definition: aws.String(waitingMachine)})
		wantAPIError(t, err, "StateMachineDoesNotExist")
	})
}

// https://docs.aws.amazon.com/step-functions/latest/apireference/API_UpdateStateMachine.html:
// new executions use the new definition; running ones keep the one they started with.
func TestUpdateStateMachine(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	version := func(v string) string {
		return `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":10,"Next":"Mark"},"Mark":{"Type":"Pass","Result":"` + v + `","End":true}}}`
	}
	machine := createMachine(t, h, "updating", version("v1"))
	old := start(t, h, machine, "old", `{}`)
	h.waitForTimers(t, 1)

	_, err := h.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(machine), Definition: aws.String(`{"StartAt":"Nowhere","States":{}}`)})
	wantAPIError(t, err, "InvalidDefinition")
	if _, err := h.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(machine), Definition: aws.String(version("v2"))}); err != nil {
		t.Fatal(err)
	}
	described, err := h.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(described.Definition) != version("v2") || aws.ToString(described.Name) != "updating" ||
		described.Status != types.StateMachineStatusActive || described.Type != types.StateMachineTypeStandard || aws.ToString(described.RoleArn) != roleARN {
		t.Errorf("DescribeStateMachine after update: %+v", described)
	}
	fresh := start(t, h, machine, "new", `{}`)
	h.waitForTimers(t, 2)
	h.clock.Advance(10 * time.Second)
	for arn, want := range map[string]string{old: `"v1"`, fresh: `"v2"`} {
		out := h.waitForStatus(t, arn, types.ExecutionStatusSucceeded)
		if aws.ToString(out.Output) != want {
			t.Errorf("%s output %s, want %s", arn, aws.ToString(out.Output), want)
		}
	}
}

// https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachines.html
func TestListStateMachinesPaging(t *testing.T) {
	h := newHarness(t, nil)
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		want[createMachine(t, h, fmt.Sprintf("listed-%d", i), waitingMachine)] = true
	}
	seen := map[string]bool{}
	pages := sfn.NewListStateMachinesPaginator(h.client, &sfn.ListStateMachinesInput{MaxResults: 2})
	pageCount := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pageCount++
		if len(page.StateMachines) > 2 {
			t.Errorf("page of %d state machines, want at most 2", len(page.StateMachines))
		}
		for _, m := range page.StateMachines {
			arn := aws.ToString(m.StateMachineArn)
			if seen[arn] {
				t.Errorf("%s listed twice", arn)
			}
			seen[arn] = true
			if m.Type != types.StateMachineTypeStandard || m.CreationDate == nil || !strings.HasSuffix(arn, ":"+aws.ToString(m.Name)) {
				t.Errorf("list item %+v", m)
			}
		}
	}
	for arn := range want {
		if !seen[arn] {
			t.Errorf("%s not listed", arn)
		}
	}
	if pageCount < 3 {
		t.Errorf("5 state machines in %d pages of at most 2", pageCount)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
