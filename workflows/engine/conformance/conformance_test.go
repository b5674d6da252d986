package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamotypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

const (
	// caseDeadline bounds one case on the wall clock; the suite's own clock is fake.
	caseDeadline = 30 * time.Second
	// quietPeriod is how long an execution must show no new event and no task call in flight
	// before the runner concludes it waits on a timer and moves the clock to it.
	quietPeriod = 50 * time.Millisecond
	// pollInterval is the wall-clock pause between two looks at a running execution.
	pollInterval = 2 * time.Millisecond
	// roleARN is the role every state machine is created with; the engine does not use it.
	roleARN = "arn:aws:iam::123456789012:role/conformance"
	// elapsedTolerance absorbs rounding in the start and stop dates the API returns.
	elapsedTolerance = 0.01
)

// TestConformance runs every case through the engine's Step Functions API with the sfn client:
// one engine on its own fake clock per case, cases in parallel, in memory and with a journal.
func TestConformance(t *testing.T) {
	cases, err := LoadCases(casesDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < minimumCases {
		t.Fatalf("found %d cases, want at least %d", len(cases), minimumCases)
	}
	var dynamo *dynamodb.Client
	for _, c := range cases {
		if len(c.Tables) > 0 || strings.Contains(string(c.Definition), "arn:aws:states:::dynamodb:") {
			dynamo = newDynamoDBClient(t)
			break
		}
	}
	// Each case runs in memory, and on a journal, where the closed execution's description and
	// history are read back from disk.
	for _, durable := range []bool{false, true} {
		mode := "memory"
		if durable {
			mode = "durable"
		}
		t.Run(mode, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.ID, func(t *testing.T) {
					t.Parallel()
					var h *harness
					if dynamo != nil {
						h = newHarnessIn(t, dynamo, durable)
					} else {
						h = newHarnessIn(t, nil, durable)
					}
					h.run(t, c, dynamo)
				})
			}
		})
	}
}

// run creates the case's tables and state machine, starts the execution, waits for its end and
// checks everything the case expects.
func (h *harness) run(t *testing.T, c Case, dynamo *dynamodb.Client) {
	ctx := context.Background()
	tables := map[string]string{}
	for _, table := range c.Tables {
		tables[table.Name] = createTable(t, dynamo, table)
	}
	machineName := c.StateMachineName
	if machineName == "" {
		machineName = strings.ReplaceAll(c.ID, "/", "-")
		if len(machineName) > 80 {
			machineName = machineName[:80]
		}
	}
	created, err := h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(machineName),
		Definition: aws.String(c.DefinitionFor(tables)),
		RoleArn:    aws.String(roleARN),
	})
	if c.Expect.CreateError != "" {
		checkCreateError(t, c, err)
		return
	}
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	executionName := c.ExecutionName
	if executionName == "" {
		executionName = "conformance"
	}
	started, err := h.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: created.StateMachineArn,
		Name:            aws.String(executionName),
		Input:           aws.String(string(c.Input)),
	})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	out := h.waitForEnd(t, aws.ToString(started.ExecutionArn))
	h.checkOutcome(t, c, out)
	if len(c.Events) > 0 {
		got := h.eventTypes(t, aws.ToString(started.ExecutionArn))
		if ok, at := HasSubsequence(got, c.Events); !ok {
			t.Errorf("history lacks %s (expected in order %v)\nhistory: %v", c.Events[at], c.Events, got)
		}
	}
	if c.ElapsedSeconds != nil && out.StartDate != nil && out.StopDate != nil {
		elapsed := out.StopDate.Sub(*out.StartDate).Seconds()
		if elapsed < c.ElapsedSeconds.Min-elapsedTolerance || elapsed > c.ElapsedSeconds.Max+elapsedTolerance {
			t.Errorf("execution took %.3f s on the suite's clock, want %s", elapsed, describeElapsed(*c.ElapsedSeconds))
		}
	}
}

func describeElapsed(e Elapsed) string {
	if e.Min == e.Max {
		return fmt.Sprintf("%g s", e.Min)
	}
	return fmt.Sprintf("between %g and %g s", e.Min, e.Max)
}

func checkCreateError(t *testing.T, c Case, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("CreateStateMachine accepted the definition; want %s", c.Expect.CreateError)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("CreateStateMachine: %v; want the API error %s", err, c.Expect.CreateError)
	}
	if apiErr.ErrorCode() != c.Expect.CreateError {
		t.Errorf("CreateStateMachine error code %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), c.Expect.CreateError)
	}
	for _, part := range c.Expect.MessageContains {
		if !strings.Contains(apiErr.ErrorMessage(), part) {
			t.Errorf("CreateStateMachine message %q lacks %q", apiErr.ErrorMessage(), part)
		}
	}
}

// waitForEnd polls the execution until it leaves RUNNING. When for quietPeriod nothing has
// happened (no new history event, no task call in flight) and a timer is pending, the execution
// can only move on through that timer, so the clock is moved to it.
func (h *harness) waitForEnd(t *testing.T, executionARN string) *sfn.DescribeExecutionOutput {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(caseDeadline)
	lastEvent, quietSince := int64(-1), time.Now()
	for {
		out, err := h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution still RUNNING after %s of wall time (suite clock at %s, pending timers %v)\nhistory: %v",
				caseDeadline, h.clock.Now().Format(time.RFC3339), h.clock.Pending(), h.eventTypes(t, executionARN))
		}
		latest := h.latestEventID(t, executionARN)
		switch {
		case latest != lastEvent || h.inFlight.Load() > 0:
			lastEvent, quietSince = latest, time.Now()
		case time.Since(quietSince) >= quietPeriod:
			if pending := h.clock.Pending(); len(pending) > 0 {
				h.clock.Set(pending[0])
				quietSince = time.Now()
			}
		}
		time.Sleep(pollInterval)
	}
}

func (h *harness) latestEventID(t *testing.T, executionARN string) int64 {
	t.Helper()
	out, err := h.client.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(executionARN),
		ReverseOrder: true,
		MaxResults:   1,
	})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	if len(out.Events) == 0 {
		return 0
	}
	return out.Events[0].Id
}

// eventTypes reads the whole history, page by page.
func (h *harness) eventTypes(t *testing.T, executionARN string) []string {
	t.Helper()
	var got []string
	pages := sfn.NewGetExecutionHistoryPaginator(h.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(executionARN)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		for _, e := range page.Events {
			got = append(got, string(e.Type))
		}
	}
	return got
}

func (h *harness) checkOutcome(t *testing.T, c Case, out *sfn.DescribeExecutionOutput) {
	t.Helper()
	e := c.Expect
	if string(out.Status) != e.Status {
		t.Fatalf("status %s (error %q, cause %q, output %s), want %s",
			out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), aws.ToString(out.Output), e.Status)
	}
	if len(e.Output) > 0 {
		compare := SameJSON
		if e.OrderedOutput {
			compare = SameText
		}
		same, err := compare([]byte(aws.ToString(out.Output)), e.Output)
		if err != nil {
			t.Fatalf("output %q: %v", aws.ToString(out.Output), err)
		}
		if !same {
			t.Errorf("output %s\nwant   %s", aws.ToString(out.Output), compact(e.Output))
		}
	}
	if e.Error != "" && aws.ToString(out.Error) != e.Error {
		t.Errorf("error %q (cause %q), want %q", aws.ToString(out.Error), aws.ToString(out.Cause), e.Error)
	}
	if e.Cause != nil && aws.ToString(out.Cause) != *e.Cause {
		t.Errorf("cause %q, want %q", aws.ToString(out.Cause), *e.Cause)
	}
	if e.CauseContains != "" && !strings.Contains(aws.ToString(out.Cause), e.CauseContains) {
		t.Errorf("cause %q does not contain %q", aws.ToString(out.Cause), e.CauseContains)
	}
}

func compact(raw json.RawMessage) string {
	text, err := CompactText(raw)
	if err != nil {
		return string(raw)
	}
	return text
}

// createTable creates a table with a unique name for one case, seeds it, and deletes it at the
// end of the test.
func createTable(t *testing.T, dynamo *dynamodb.Client, table Table) string {
	t.Helper()
	if dynamo == nil {
		t.Fatal("the case needs DynamoDB, but no client was made")
	}
	ctx := context.Background()
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := "conformance-" + hex.EncodeToString(suffix) + "-" + table.Name
	_, err := dynamo.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          dynamotypes.BillingModePayPerRequest,
		AttributeDefinitions: []dynamotypes.AttributeDefinition{{AttributeName: aws.String(table.PartitionKey), AttributeType: dynamotypes.ScalarAttributeTypeS}},
		KeySchema:            []dynamotypes.KeySchemaElement{{AttributeName: aws.String(table.PartitionKey), KeyType: dynamotypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = dynamo.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	for _, raw := range table.Items {
		item, err := attributeMap(raw)
		if err != nil {
			t.Fatalf("table %s item %s: %v", table.Name, raw, err)
		}
		if _, err := dynamo.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item}); err != nil {
			t.Fatalf("seed %s: %v", name, err)
		}
	}
	return name
}

// attributeMap reads an item written in DynamoDB JSON ({"pk": {"S": "x"}, "n": {"N": "1"}}).
func attributeMap(raw json.RawMessage) (map[string]dynamotypes.AttributeValue, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	out := make(map[string]dynamotypes.AttributeValue, len(fields))
	for name, value := range fields {
		v, err := attributeValue(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

func attributeValue(raw json.RawMessage) (dynamotypes.AttributeValue, error) {
	var typed map[string]json.RawMessage
	if err := json.Unmarshal(raw, &typed); err != nil || len(typed) != 1 {
		return nil, fmt.Errorf("want one type key in %s", raw)
	}
	for kind, value := range typed {
		switch kind {
		case "S", "N":
			var s string
			if err := json.Unmarshal(value, &s); err != nil {
				return nil, err
			}
			if kind == "S" {
				return &dynamotypes.AttributeValueMemberS{Value: s}, nil
			}
			return &dynamotypes.AttributeValueMemberN{Value: s}, nil
		case "BOOL":
			var b bool
			if err := json.Unmarshal(value, &b); err != nil {
				return nil, err
			}
			return &dynamotypes.AttributeValueMemberBOOL{Value: b}, nil
		case "M":
			m, err := attributeMap(value)
			if err != nil {
				return nil, err
			}
			return &dynamotypes.AttributeValueMemberM{Value: m}, nil
		}
		return nil, fmt.Errorf("attribute type %s is not used by the cases", kind)
	}
	return nil, errors.New("unreachable")
}
