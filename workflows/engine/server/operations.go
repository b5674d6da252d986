package server

import (
	"context"
	"errors"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine"
)

// The request types below mark the members an operation cannot do without with
// `required:"true"`; operation refuses a request that lacks one, as AWS does.

type createStateMachineRequest struct {
	Name       string `json:"name" required:"true"`
	Definition string `json:"definition" required:"true"`
	RoleArn    string `json:"roleArn" required:"true"`
	Type       string `json:"type"`
	Publish    bool   `json:"publish"`
}

func (s *Server) createStateMachine(ctx context.Context, in *createStateMachineRequest) (any, error) {
	if in.Publish {
		return nil, validation("publishing state machine versions is not supported by this engine")
	}
	out, err := s.engine.CreateStateMachine(ctx, engine.CreateStateMachineInput{Name: in.Name, Definition: in.Definition, RoleArn: in.RoleArn, Type: in.Type})
	if err != nil {
		return nil, err
	}
	return struct {
		StateMachineArn string `json:"stateMachineArn"`
		CreationDate    *epoch `json:"creationDate"`
	}{out.StateMachineArn, stamp(out.CreationDate)}, nil
}

type stateMachineRequest struct {
	StateMachineArn string `json:"stateMachineArn" required:"true"`
}

type loggingConfiguration struct {
	Level                string `json:"level"`
	IncludeExecutionData bool   `json:"includeExecutionData"`
}

type tracingConfiguration struct {
	Enabled bool `json:"enabled"`
}

func (s *Server) describeStateMachine(ctx context.Context, in *stateMachineRequest) (any, error) {
	d, err := s.engine.DescribeStateMachine(ctx, in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	return struct {
		StateMachineArn      string               `json:"stateMachineArn"`
		Name                 string               `json:"name"`
		Status               string               `json:"status"`
		Definition           string               `json:"definition"`
		RoleArn              string               `json:"roleArn"`
		Type                 string               `json:"type"`
		CreationDate         *epoch               `json:"creationDate"`
		RevisionID           string               `json:"revisionId,omitempty"`
		Description          string               `json:"description,omitempty"`
		LoggingConfiguration loggingConfiguration `json:"loggingConfiguration"`
		TracingConfiguration tracingConfiguration `json:"tracingConfiguration"`
	}{d.StateMachineArn, d.Name, d.Status, d.Definition, d.RoleArn, d.Type, stamp(d.CreationDate), d.RevisionId, d.Description,
		loggingConfiguration{Level: "OFF"}, tracingConfiguration{}}, nil
}

type pageRequest struct {
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

type listItem struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	CreationDate    *epoch `json:"creationDate"`
}

func (s *Server) listStateMachines(ctx context.Context, in *pageRequest) (any, error) {
	items, token, err := s.engine.ListStateMachines(ctx, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := make([]listItem, len(items))
	for i, it := range items {
		out[i] = listItem{it.StateMachineArn, it.Name, it.Type, stamp(it.CreationDate)}
	}
	return struct {
		StateMachines []listItem `json:"stateMachines"`
		NextToken     string     `json:"nextToken,omitempty"`
	}{out, token}, nil
}

type updateStateMachineRequest struct {
	StateMachineArn string  `json:"stateMachineArn" required:"true"`
	Definition      *string `json:"definition"`
	RoleArn         *string `json:"roleArn"`
	Publish         bool    `json:"publish"`
}

func (s *Server) updateStateMachine(ctx context.Context, in *updateStateMachineRequest) (any, error) {
	if in.Publish {
		return nil, validation("publishing state machine versions is not supported by this engine")
	}
	out, err := s.engine.UpdateStateMachine(ctx, engine.UpdateStateMachineInput{StateMachineArn: in.StateMachineArn, Definition: in.Definition, RoleArn: in.RoleArn})
	if err != nil {
		return nil, err
	}
	return struct {
		UpdateDate *epoch `json:"updateDate"`
		RevisionID string `json:"revisionId"`
	}{stamp(out.UpdateDate), out.RevisionId}, nil
}

func (s *Server) deleteStateMachine(ctx context.Context, in *stateMachineRequest) (any, error) {
	return struct{}{}, s.engine.DeleteStateMachine(ctx, in.StateMachineArn)
}

type diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

type validateDefinitionRequest struct {
	Definition string `json:"definition" required:"true"`
	MaxResults int    `json:"maxResults"`
}

func (s *Server) validateStateMachineDefinition(_ context.Context, in *validateDefinitionRequest) (any, error) {
	diagnostics := []diagnostic{}
	_, err := engine.Compile(in.Definition)
	var de *engine.DefinitionError
	if errors.As(err, &de) {
		for _, p := range de.Problems {
			diagnostics = append(diagnostics, diagnostic{Severity: "ERROR", Code: p.Code, Message: p.Message, Location: p.Location})
		}
	} else if err != nil {
		return nil, err
	}
	limit, truncated := in.MaxResults, false
	if limit <= 0 {
		limit = 100
	}
	if len(diagnostics) > limit {
		diagnostics, truncated = diagnostics[:limit], true
	}
	result := "OK"
	if len(diagnostics) > 0 {
		result = "FAIL"
	}
	return struct {
		Result      string       `json:"result"`
		Diagnostics []diagnostic `json:"diagnostics"`
		Truncated   bool         `json:"truncated"`
	}{result, diagnostics, truncated}, nil
}

type startExecutionRequest struct {
	StateMachineArn string  `json:"stateMachineArn" required:"true"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
}

func (s *Server) startExecution(ctx context.Context, in *startExecutionRequest) (any, error) {
	out, err := s.engine.StartExecution(ctx, engine.StartExecutionInput{StateMachineArn: in.StateMachineArn, Name: in.Name, Input: in.Input})
	if err != nil {
		return nil, err
	}
	return struct {
		ExecutionArn string `json:"executionArn"`
		StartDate    *epoch `json:"startDate"`
	}{out.ExecutionArn, stamp(out.StartDate)}, nil
}

type executionRequest struct {
	ExecutionArn string `json:"executionArn" required:"true"`
}

type included struct {
	Included bool `json:"included"`
}

func (s *Server) describeExecution(ctx context.Context, in *executionRequest) (any, error) {
	d, err := s.engine.DescribeExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := struct {
		ExecutionArn        string    `json:"executionArn"`
		StateMachineArn     string    `json:"stateMachineArn"`
		Name                string    `json:"name"`
		Status              string    `json:"status"`
		StartDate           *epoch    `json:"startDate"`
		StopDate            *epoch    `json:"stopDate,omitempty"`
		Input               string    `json:"input"`
		InputDetails        included  `json:"inputDetails"`
		Output              *string   `json:"output,omitempty"`
		OutputDetails       *included `json:"outputDetails,omitempty"`
		Error               *string   `json:"error,omitempty"`
		Cause               *string   `json:"cause,omitempty"`
		RedriveCount        int       `json:"redriveCount"`
		RedriveDate         *epoch    `json:"redriveDate,omitempty"`
		RedriveStatus       string    `json:"redriveStatus,omitempty"`
		RedriveStatusReason string    `json:"redriveStatusReason,omitempty"`
	}{
		ExecutionArn: d.ExecutionArn, StateMachineArn: d.StateMachineArn, Name: d.Name, Status: string(d.Status),
		StartDate: stamp(d.StartDate), StopDate: stamp(d.StopDate), Input: d.Input, InputDetails: included{true},
		Output: d.Output, Error: d.Error, Cause: d.Cause, RedriveCount: d.RedriveCount, RedriveDate: stamp(d.RedriveDate),
		RedriveStatus: d.RedriveStatus, RedriveStatusReason: d.RedriveStatusReason,
	}
	if d.Output != nil {
		out.OutputDetails = &included{true}
	}
	return out, nil
}

type executionItem struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	StartDate       *epoch `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
	RedriveCount    int    `json:"redriveCount"`
	RedriveDate     *epoch `json:"redriveDate,omitempty"`
}

// listExecutionsRequest marks no member required: on AWS a mapRunArn may stand in for the
// stateMachineArn, so the refusal of Map Runs comes before the check for the state machine.
type listExecutionsRequest struct {
	StateMachineArn string `json:"stateMachineArn"`
	StatusFilter    string `json:"statusFilter"`
	MaxResults      int    `json:"maxResults"`
	NextToken       string `json:"nextToken"`
	MapRunArn       string `json:"mapRunArn"`
}

func (s *Server) listExecutions(ctx context.Context, in *listExecutionsRequest) (any, error) {
	if in.MapRunArn != "" {
		return nil, validation("Map Runs (Distributed Map) are not supported by this engine")
	}
	if in.StateMachineArn == "" {
		return nil, missing("stateMachineArn")
	}
	items, token, err := s.engine.ListExecutions(ctx, engine.ListExecutionsInput{StateMachineArn: in.StateMachineArn,
		StatusFilter: engine.Status(in.StatusFilter), MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := make([]executionItem, len(items))
	for i, it := range items {
		out[i] = executionItem{it.ExecutionArn, it.StateMachineArn, it.Name, string(it.Status), stamp(it.StartDate), stamp(it.StopDate), it.RedriveCount, stamp(it.RedriveDate)}
	}
	return struct {
		Executions []executionItem `json:"executions"`
		NextToken  string          `json:"nextToken,omitempty"`
	}{out, token}, nil
}

type stopExecutionRequest struct {
	ExecutionArn string `json:"executionArn" required:"true"`
	Error        string `json:"error"`
	Cause        string `json:"cause"`
}

func (s *Server) stopExecution(ctx context.Context, in *stopExecutionRequest) (any, error) {
	stop, err := s.engine.StopExecution(ctx, in.ExecutionArn, in.Error, in.Cause)
	if err != nil {
		return nil, err
	}
	return struct {
		StopDate *epoch `json:"stopDate"`
	}{stamp(stop)}, nil
}

type historyEvent struct {
	Timestamp       *epoch `json:"timestamp"`
	Type            string `json:"type"`
	ID              int64  `json:"id"`
	PreviousEventID int64  `json:"previousEventId"`
	engine.EventDetails
}

type historyRequest struct {
	ExecutionArn         string `json:"executionArn" required:"true"`
	MaxResults           int    `json:"maxResults"`
	ReverseOrder         bool   `json:"reverseOrder"`
	NextToken            string `json:"nextToken"`
	IncludeExecutionData *bool  `json:"includeExecutionData"`
}

func (s *Server) getExecutionHistory(ctx context.Context, in *historyRequest) (any, error) {
	events, token, err := s.engine.GetExecutionHistory(ctx, engine.GetExecutionHistoryInput{ExecutionArn: in.ExecutionArn,
		MaxResults: in.MaxResults, NextToken: in.NextToken, ReverseOrder: in.ReverseOrder, IncludeExecutionData: in.IncludeExecutionData})
	if err != nil {
		return nil, err
	}
	out := make([]historyEvent, len(events))
	for i, ev := range events {
		out[i] = historyEvent{stamp(ev.Timestamp), ev.Type, ev.ID, ev.PreviousEventID, ev.EventDetails}
	}
	return struct {
		Events    []historyEvent `json:"events"`
		NextToken string         `json:"nextToken,omitempty"`
	}{out, token}, nil
}

type taskSuccessRequest struct {
	TaskToken string `json:"taskToken" required:"true"`
	Output    string `json:"output" required:"true"`
}

func (s *Server) sendTaskSuccess(ctx context.Context, in *taskSuccessRequest) (any, error) {
	return struct{}{}, s.engine.SendTaskSuccess(ctx, in.TaskToken, in.Output)
}

type taskFailureRequest struct {
	TaskToken string `json:"taskToken" required:"true"`
	Error     string `json:"error"`
	Cause     string `json:"cause"`
}

func (s *Server) sendTaskFailure(ctx context.Context, in *taskFailureRequest) (any, error) {
	return struct{}{}, s.engine.SendTaskFailure(ctx, in.TaskToken, in.Error, in.Cause)
}

type taskHeartbeatRequest struct {
	TaskToken string `json:"taskToken" required:"true"`
}

func (s *Server) sendTaskHeartbeat(ctx context.Context, in *taskHeartbeatRequest) (any, error) {
	return struct{}{}, s.engine.SendTaskHeartbeat(ctx, in.TaskToken)
}

func (s *Server) redriveExecution(ctx context.Context, in *executionRequest) (any, error) {
	when, err := s.engine.RedriveExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	return struct {
		RedriveDate *epoch `json:"redriveDate"`
	}{stamp(when)}, nil
}

func (s *Server) describeStateMachineForExecution(ctx context.Context, in *executionRequest) (any, error) {
	d, err := s.engine.DescribeStateMachineForExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	update := d.UpdateDate
	if update.IsZero() {
		update = time.Now()
	}
	return struct {
		StateMachineArn      string               `json:"stateMachineArn"`
		Name                 string               `json:"name"`
		Definition           string               `json:"definition"`
		RoleArn              string               `json:"roleArn"`
		UpdateDate           *epoch               `json:"updateDate"`
		RevisionID           string               `json:"revisionId,omitempty"`
		LoggingConfiguration loggingConfiguration `json:"loggingConfiguration"`
		TracingConfiguration tracingConfiguration `json:"tracingConfiguration"`
	}{d.StateMachineArn, d.Name, d.Definition, d.RoleArn, stamp(update), d.RevisionId, loggingConfiguration{Level: "OFF"}, tracingConfiguration{}}, nil
}
