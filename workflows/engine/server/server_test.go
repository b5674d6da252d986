package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/workflows/engine"
	"github.com/fasttrack/fasttrack/workflows/engine/server"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

const role = "arn:aws:iam::123456789012:role/test"

// approvals remembers the task tokens handed to the "approve" function.
type approvals struct {
	mu     sync.Mutex
	tokens []string
}

func (a *approvals) take(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		if len(a.tokens) > 0 {
			tok := a.tokens[0]
			a.tokens = a.tokens[1:]
			a.mu.Unlock()
			return tok
		}
		a.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no task token arrived")
	return ""
}

func newClient(t *testing.T) (*sfn.Client, *approvals) {
	t.Helper()
	functions := tasks.NewDispatcher()
	a := &approvals{}
	if err := functions.Register("approve", func(ctx context.Context, in struct {
		Token string `json:"token"`
	}) (string, error) {
		a.mu.Lock()
		a.tokens = append(a.tokens, in.Token)
		a.mu.Unlock()
		return "asked", nil
	}); err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Options{Lambda: functions})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(e, server.Options{}))
	t.Cleanup(func() {
		srv.Close()
		e.Close()
	})
	client := sfn.New(sfn.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	return client, a
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func createMachine(t *testing.T, c *sfn.Client, name, definition string) string {
	t.Helper()
	out, err := c.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(definition), RoleArn: aws.String(role),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	return *out.StateMachineArn
}

func waitClosed(t *testing.T, c *sfn.Client, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != types.ExecutionStatusRunning {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still running", arn)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const passChoice = `{"Comment":"doubles when asked","StartAt":"Route","States":{
	"Route":{"Type":"Choice","Choices":[{"Variable":"$.double","BooleanEquals":true,"Next":"Double"}],"Default":"Keep"},
	"Double":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, $.n)"},"End":true},
	"Keep":{"Type":"Pass","End":true}}}`

func TestStateMachineLifecycle(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	arn := createMachine(t, c, "lifecycle", passChoice)
	if arn != "arn:aws:states:us-east-1:123456789012:stateMachine:lifecycle" {
		t.Fatalf("arn %s", arn)
	}
	// The same name, definition and role again is the same state machine.
	again, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("lifecycle"), Definition: aws.String(passChoice), RoleArn: aws.String(role)})
	if err != nil || *again.StateMachineArn != arn {
		t.Fatalf("idempotent create: %v %v", again, err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("lifecycle"), Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`), RoleArn: aws.String(role)})
	if apiCode(err) != "StateMachineAlreadyExists" {
		t.Fatalf("create with another definition: %v", err)
	}
	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil || *d.Definition != passChoice || *d.RoleArn != role || d.Status != types.StateMachineStatusActive || d.Type != types.StateMachineTypeStandard || d.CreationDate == nil {
		t.Fatalf("describe: %+v %v", d, err)
	}
	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`)})
	if err != nil || up.RevisionId == nil || up.UpdateDate == nil {
		t.Fatalf("update: %+v %v", up, err)
	}
	_, err = c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(`{"StartAt":"A"}`)})
	if apiCode(err) != "InvalidDefinition" {
		t.Fatalf("update with a bad definition: %v", err)
	}
	createMachine(t, c, "second", passChoice)
	var names []string
	var token *string
	for {
		page, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.StateMachines {
			names = append(names, *m.Name)
		}
		if token = page.NextToken; token == nil {
			break
		}
	}
	if strings.Join(names, ",") != "lifecycle,second" {
		t.Fatalf("listed %v", names)
	}
	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if apiCode(err) != "StateMachineDoesNotExist" {
		t.Fatalf("describe after delete: %v", err)
	}
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("not-an-arn")})
	if apiCode(err) != "InvalidArn" {
		t.Fatalf("describe with a bad ARN: %v", err)
	}
}

func TestCreateStateMachineReportsEveryProblem(t *testing.T) {
	c, _ := newClient(t)
	_, err := c.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{Name: aws.String("broken"), RoleArn: aws.String(role),
		Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}`)})
	var invalid *types.InvalidDefinition
	if !errors.As(err, &invalid) {
		t.Fatalf("error %v, want InvalidDefinition", err)
	}
	msg := invalid.ErrorMessage()
	for _, want := range []string{"MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next", "/States/C/Resource", "sqs:sendMessage"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("message %q lacks %q", msg, want)
		}
	}
	_, err = c.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{Name: aws.String("bad name!"), RoleArn: aws.String(role), Definition: aws.String(passChoice)})
	if apiCode(err) != "InvalidName" {
		t.Fatalf("bad name: %v", err)
	}
	v, err := c.ValidateStateMachineDefinition(context.Background(), &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`)})
	if err != nil || v.Result != types.ValidateStateMachineDefinitionResultCodeFail || len(v.Diagnostics) == 0 || *v.Diagnostics[0].Location != "/States/A" {
		t.Fatalf("validate: %+v %v", v, err)
	}
}

func TestExecutionsThroughTheAPI(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	arn := createMachine(t, c, "doubler", passChoice)
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("first"), Input: aws.String(`{"double":true,"n":21}`)})
	if err != nil {
		t.Fatal(err)
	}
	if *start.ExecutionArn != "arn:aws:states:us-east-1:123456789012:execution:doubler:first" {
		t.Fatalf("execution arn %s", *start.ExecutionArn)
	}
	d := waitClosed(t, c, *start.ExecutionArn)
	if d.Status != types.ExecutionStatusSucceeded || *d.Output != `{"n":42}` || *d.Input != `{"double":true,"n":21}` || d.StopDate == nil {
		t.Fatalf("describe: %+v", d)
	}
	// Same name and input once closed: the name is taken.
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("first"), Input: aws.String(`{"double":true,"n":21}`)})
	if apiCode(err) != "ExecutionAlreadyExists" {
		t.Fatalf("restart of a closed execution: %v", err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{not json`)})
	if apiCode(err) != "InvalidExecutionInput" {
		t.Fatalf("bad input: %v", err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn + "x")})
	if apiCode(err) != "StateMachineDoesNotExist" {
		t.Fatalf("unknown machine: %v", err)
	}
	for i := 0; i < 5; i++ {
		if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(fmt.Sprintf(`{"n":%d}`, i))}); err != nil {
			t.Fatal(err)
		}
	}
	var seen int
	var token *string
	for {
		page, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.Executions)
		if token = page.NextToken; token == nil {
			break
		}
	}
	if seen != 6 {
		t.Fatalf("listed %d executions, want 6", seen)
	}
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:doubler:none")})
	if apiCode(err) != "ExecutionDoesNotExist" {
		t.Fatalf("unknown execution: %v", err)
	}
	forExec, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil || *forExec.Definition != passChoice {
		t.Fatalf("DescribeStateMachineForExecution: %+v %v", forExec, err)
	}
}

func TestHistoryThroughTheAPI(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	arn := createMachine(t, c, "history", passChoice)
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"double":true,"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, c, *start.ExecutionArn)
	var all []types.HistoryEvent
	var token *string
	for {
		page, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Events...)
		if token = page.NextToken; token == nil {
			break
		}
	}
	want := []types.HistoryEventType{"ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if len(all) != len(want) {
		t.Fatalf("%d events, want %d", len(all), len(want))
	}
	for i, ev := range all {
		if ev.Type != want[i] || ev.Id != int64(i+1) || ev.Timestamp == nil {
			t.Fatalf("event %d: %s id %d", i, ev.Type, ev.Id)
		}
	}
	if d := all[3].StateEnteredEventDetails; d == nil || *d.Name != "Double" || *d.Input != `{"double":true,"n":1}` {
		t.Fatalf("PassStateEntered details %+v", d)
	}
	if d := all[5].ExecutionSucceededEventDetails; d == nil || *d.Output != `{"n":2}` {
		t.Fatalf("ExecutionSucceeded details %+v", d)
	}
	if d := all[0].ExecutionStartedEventDetails; d == nil || *d.RoleArn != role {
		t.Fatalf("ExecutionStarted details %+v", d)
	}
	rev, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, MaxResults: 4, IncludeExecutionData: aws.Bool(false)})
	if err != nil || len(rev.Events) != 4 || rev.Events[0].Type != "ExecutionSucceeded" || rev.Events[0].ExecutionSucceededEventDetails.Output != nil || rev.NextToken == nil {
		t.Fatalf("reverse page: %+v %v", rev, err)
	}
	rest, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, MaxResults: 4, NextToken: rev.NextToken})
	if err != nil || len(rest.Events) != 2 || rest.Events[1].Type != "ExecutionStarted" || rest.NextToken != nil {
		t.Fatalf("reverse second page: %+v %v", rest, err)
	}
	_, err = c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, NextToken: aws.String("garbage")})
	if apiCode(err) != "InvalidToken" {
		t.Fatalf("bad token: %v", err)
	}
}

const approval = `{"StartAt":"Ask","States":{
	"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
	       "Parameters":{"FunctionName":"approve","Payload":{"token.$":"$$.Task.Token"}},"ResultPath":"$.decision","End":true}}}`

func TestTaskTokensThroughTheAPI(t *testing.T) {
	c, a := newClient(t)
	ctx := context.Background()
	arn := createMachine(t, c, "approval", approval)
	ok, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"case":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	token := a.take(t)
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`not json`)})
	if apiCode(err) != "InvalidOutput" {
		t.Fatalf("bad output: %v", err)
	}
	if _, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"approved":true}`)}); err != nil {
		t.Fatal(err)
	}
	d := waitClosed(t, c, *ok.ExecutionArn)
	if *d.Output != `{"case":1,"decision":{"approved":true}}` {
		t.Fatalf("output %s", *d.Output)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	if apiCode(err) != "TaskTimedOut" {
		t.Fatalf("token used twice: %v", err)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("nonsense"), Output: aws.String(`{}`)})
	if apiCode(err) != "InvalidToken" {
		t.Fatalf("nonsense token: %v", err)
	}

	failing, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(a.take(t)), Error: aws.String("Rejected"), Cause: aws.String("no budget")}); err != nil {
		t.Fatal(err)
	}
	d = waitClosed(t, c, *failing.ExecutionArn)
	if d.Status != types.ExecutionStatusFailed || *d.Error != "Rejected" || *d.Cause != "no budget" {
		t.Fatalf("failed execution %+v", d)
	}

	stopped, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	pending := a.take(t)
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: stopped.ExecutionArn, Error: aws.String("Cancelled"), Cause: aws.String("by the requester")}); err != nil {
		t.Fatal(err)
	}
	d = waitClosed(t, c, *stopped.ExecutionArn)
	if d.Status != types.ExecutionStatusAborted || *d.Error != "Cancelled" {
		t.Fatalf("stopped execution %+v", d)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(pending), Output: aws.String(`{}`)})
	if apiCode(err) != "TaskTimedOut" {
		t.Fatalf("token of a stopped execution: %v", err)
	}
	page, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: types.ExecutionStatusAborted})
	if err != nil || len(page.Executions) != 1 || *page.Executions[0].ExecutionArn != *stopped.ExecutionArn {
		t.Fatalf("ListExecutions ABORTED: %+v %v", page, err)
	}
}

func TestStartExecutionIsIdempotentWhileRunning(t *testing.T) {
	c, a := newClient(t)
	ctx := context.Background()
	arn := createMachine(t, c, "idem", approval)
	in := sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("once"), Input: aws.String(`{"x":1}`)}
	first, err := c.StartExecution(ctx, &in)
	if err != nil {
		t.Fatal(err)
	}
	a.take(t)
	second, err := c.StartExecution(ctx, &in)
	if err != nil || *second.ExecutionArn != *first.ExecutionArn || !second.StartDate.Equal(*first.StartDate) {
		t.Fatalf("same name and input while running: %+v %v", second, err)
	}
	in.Input = aws.String(`{"x":2}`)
	_, err = c.StartExecution(ctx, &in)
	if apiCode(err) != "ExecutionAlreadyExists" {
		t.Fatalf("same name, other input: %v", err)
	}
}

func TestUnknownOperationAndMalformedRequests(t *testing.T) {
	e, err := engine.New(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	h := server.New(e, server.Options{})
	for _, c := range []struct {
		target, body, code string
	}{
		{"AWSStepFunctions.Nope", `{}`, "UnknownOperationException"},
		{"Other.DescribeExecution", `{}`, "UnknownOperationException"},
		{"AWSStepFunctions.DescribeExecution", `{"executionArn":`, "SerializationException"},
		{"AWSStepFunctions.DescribeExecution", `{}`, "ValidationException"},
		{"AWSStepFunctions.SendTaskSuccess", `{"taskToken":"t"}`, "ValidationException"},
		{"AWSStepFunctions.CreateStateMachine", `{"name":"n","definition":"{}"}`, "ValidationException"},
		{"AWSStepFunctions.ListExecutions", `{"mapRunArn":"m"}`, "ValidationException"},
	} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
		req.Header.Set("X-Amz-Target", c.target)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 400 || body["__type"] != c.code || body["message"] == "" {
			t.Errorf("%s %s: %d %s", c.target, c.body, rec.Code, rec.Body.String())
		}
	}
}
