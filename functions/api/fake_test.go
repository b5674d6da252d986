package api_test

// An in-memory stand-in for the Step Functions client, for the handler tests until the embedded
// engine's server is wired in. It keeps the contracts of the API: execution names are unique
// (ExecutionAlreadyExists), a task token is answered once (then TaskTimedOut), an unknown token
// is InvalidToken.

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/functions/api"
)

// memoryWorkflow stands in for the Step Functions API: execution names are unique, a task token
// can be answered once.
type memoryWorkflow struct {
	mu         sync.Mutex
	executions map[string]string // name -> input
	starts     int
	tokens     map[string]bool // token -> still waiting
	successes  map[string]string
	failures   map[string][2]string
	history    map[string][]sfntypes.HistoryEvent
	status     map[string]sfntypes.ExecutionStatus
	redrives   int
	// failStarts makes the next StartExecution calls fail as if the service were down.
	failStarts int
}

var _ api.Workflow = (*memoryWorkflow)(nil)

func newMemoryWorkflow() *memoryWorkflow {
	return &memoryWorkflow{executions: map[string]string{}, tokens: map[string]bool{}, successes: map[string]string{},
		failures: map[string][2]string{}, history: map[string][]sfntypes.HistoryEvent{}, status: map[string]sfntypes.ExecutionStatus{}}
}

func (f *memoryWorkflow) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	if f.failStarts > 0 {
		f.failStarts--
		return nil, errors.New("the service is unavailable")
	}
	name := aws.ToString(in.Name)
	if _, ok := f.executions[name]; ok {
		return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("exists")}
	}
	f.executions[name] = aws.ToString(in.Input)
	f.status[name] = sfntypes.ExecutionStatusRunning
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(aws.ToString(in.StateMachineArn) + ":" + name)}, nil
}

func nameOf(arn string) string { return arn[lastColon(arn)+1:] }

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

func (f *memoryWorkflow) StopExecution(context.Context, *sfn.StopExecutionInput, ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error) {
	return &sfn.StopExecutionOutput{}, nil
}

func (f *memoryWorkflow) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	status, ok := f.status[nameOf(aws.ToString(in.ExecutionArn))]
	if !ok {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("no execution")}
	}
	return &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: status}, nil
}

func (f *memoryWorkflow) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := nameOf(aws.ToString(in.ExecutionArn))
	if _, ok := f.executions[name]; !ok {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("no execution")}
	}
	events := f.history[name]
	start := 0
	if in.NextToken != nil {
		raw, _ := base64.StdEncoding.DecodeString(*in.NextToken)
		start, _ = strconv.Atoi(string(raw))
	}
	end := min(start+2, len(events)) // small pages, so that paging is exercised
	out := &sfn.GetExecutionHistoryOutput{Events: events[start:end]}
	if end < len(events) {
		out.NextToken = aws.String(base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(end))))
	}
	return out, nil
}

func (f *memoryWorkflow) answer(token string) error {
	waiting, known := f.tokens[token]
	if !known {
		return &sfntypes.InvalidToken{Message: aws.String("invalid token")}
	}
	if !waiting {
		return &sfntypes.TaskTimedOut{Message: aws.String("task already completed")}
	}
	f.tokens[token] = false
	return nil
}

func (f *memoryWorkflow) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.answer(aws.ToString(in.TaskToken)); err != nil {
		return nil, err
	}
	f.successes[aws.ToString(in.TaskToken)] = aws.ToString(in.Output)
	return &sfn.SendTaskSuccessOutput{}, nil
}

func (f *memoryWorkflow) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.answer(aws.ToString(in.TaskToken)); err != nil {
		return nil, err
	}
	f.failures[aws.ToString(in.TaskToken)] = [2]string{aws.ToString(in.Error), aws.ToString(in.Cause)}
	return &sfn.SendTaskFailureOutput{}, nil
}

func (f *memoryWorkflow) RedriveExecution(_ context.Context, in *sfn.RedriveExecutionInput, _ ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := nameOf(aws.ToString(in.ExecutionArn))
	if f.status[name] != sfntypes.ExecutionStatusFailed {
		return nil, &sfntypes.ExecutionNotRedrivable{Message: aws.String("not redrivable")}
	}
	f.status[name] = sfntypes.ExecutionStatusRunning
	f.redrives++
	return &sfn.RedriveExecutionOutput{RedriveDate: aws.Time(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))}, nil
}

func (f *memoryWorkflow) snapshot() (starts, executions, successes, failures int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts, len(f.executions), len(f.successes), len(f.failures)
}
