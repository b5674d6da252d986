package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// WorkflowStatus is where an activation's workflow execution stands, as Step Functions
// describes it (DescribeExecution).
type WorkflowStatus struct {
	// Status is the execution's: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or
	// PENDING_REDRIVE.
	Status string `json:"status"`
	// Error and Cause say why a FAILED, TIMED_OUT or ABORTED execution stopped. The cause is
	// the failing function's error document; it is shown to central roles only, since it may
	// name internal resources.
	Error        string    `json:"error,omitempty"`
	Cause        string    `json:"cause,omitempty"`
	StartDate    time.Time `json:"startDate,omitzero"`
	StopDate     time.Time `json:"stopDate,omitzero"`
	RedriveCount int       `json:"redriveCount"`
	RedriveDate  time.Time `json:"redriveDate,omitzero"`
	// Stalled is set when the execution stopped at a step on a failure that is not a business
	// outcome (its retries were spent on a transient error, or it timed out or was stopped):
	// the activation keeps its reservations, bookings and approvals until an administrator
	// redrives the execution, or its office cancels it (which redrives it into compensation).
	Stalled bool `json:"stalled"`
}

// ActivationView is an activation as GET /activations/{id} shows it: the stored activation and
// the status of its workflow execution (absent when there is none, or Step Functions could not
// be asked).
type ActivationView struct {
	domain.Activation
	Workflow *WorkflowStatus `json:"workflow,omitempty"`
}

// executionOf is the ARN of the activation's execution: the one the workflow recorded, or the
// one its name (the activation id) gives.
func (s *Server) executionOf(a domain.Activation) string {
	if a.ExecutionArn != "" {
		return a.ExecutionArn
	}
	return executionARN(s.options.StateMachineARN, a.ID)
}

// describeWorkflow describes the activation's execution; nil when it does not exist.
func (s *Server) describeWorkflow(ctx context.Context, a domain.Activation) (*WorkflowStatus, error) {
	arn := s.executionOf(a)
	if arn == "" {
		return nil, nil
	}
	out, err := s.deps.Workflow.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	var missing *sfntypes.ExecutionDoesNotExist
	if errors.As(err, &missing) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	status := &WorkflowStatus{Status: string(out.Status), Error: aws.ToString(out.Error), Cause: aws.ToString(out.Cause),
		StartDate: aws.ToTime(out.StartDate).UTC(), RedriveCount: int(aws.ToInt32(out.RedriveCount))}
	if out.StopDate != nil {
		status.StopDate = out.StopDate.UTC()
	}
	if out.RedriveDate != nil {
		status.RedriveDate = out.RedriveDate.UTC()
	}
	switch out.Status {
	case sfntypes.ExecutionStatusFailed, sfntypes.ExecutionStatusTimedOut, sfntypes.ExecutionStatusAborted:
		final, err := s.endedInFailState(ctx, arn)
		if err != nil {
			return nil, err
		}
		status.Stalled = !final
	}
	return status, nil
}

// endedInFailState reports whether a failed execution ended in a Fail state of the workflow: the
// end the workflow chose for an activation it compensated as FAILED. Such an execution is
// finished; only one that stopped at a step on a failure it did not handle can be resumed.
func (s *Server) endedInFailState(ctx context.Context, arn string) (bool, error) {
	out, err := s.deps.Workflow.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn),
		ReverseOrder: true, MaxResults: 2})
	if err != nil {
		return false, err
	}
	return len(out.Events) >= 2 && out.Events[0].Type == sfntypes.HistoryEventTypeExecutionFailed &&
		out.Events[1].Type == sfntypes.HistoryEventTypeFailStateEntered, nil
}

// getActivation handles GET /activations/{id}: the activation and its workflow's status. A
// failure to ask Step Functions leaves the workflow out rather than failing the read.
func (s *Server) getActivation(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	activation, err := s.visibleActivation(r, caller, auth.ReadActivation)
	if err != nil {
		return err
	}
	view := ActivationView{Activation: activation}
	workflow, err := s.describeWorkflow(r.Context(), activation)
	if err != nil {
		s.options.Logger.Warn("api: describe execution", "activation", activation.ID, "error", err.Error())
	}
	if workflow != nil && caller.ScopeOf(auth.ReadActivation) != auth.All {
		workflow.Cause = ""
	}
	view.Workflow = workflow
	return writeJSON(w, http.StatusOK, view)
}

// RedriveResult is the answer of POST /activations/{id}/redrive.
type RedriveResult struct {
	Activation  domain.Activation `json:"activation"`
	RedriveDate string            `json:"redriveDate,omitempty"`
}

// redriveActivation handles POST /activations/{id}/redrive: an admin resumes a stalled
// execution from the step where it stopped (RedriveExecution); the steps that completed do not
// run again. An execution that is running, succeeded, or ended in the workflow's Fail state
// after compensation has nothing to resume: 409.
func (s *Server) redriveActivation(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.RedriveExecution) == auth.None {
		return forbidden(auth.RedriveExecution)
	}
	activation, err := s.visibleActivation(r, caller, auth.RedriveExecution)
	if err != nil {
		return err
	}
	workflow, err := s.describeWorkflow(r.Context(), activation)
	if err != nil {
		return err
	}
	switch {
	case workflow == nil:
		return NewProblem(ProblemConflict, "the activation has no workflow execution to redrive")
	case !workflow.Stalled && workflow.Status == string(sfntypes.ExecutionStatusFailed):
		return NewProblem(ProblemConflict, fmt.Sprintf("the workflow ended the activation %s after compensation; there is nothing to resume", activation.Status))
	case !workflow.Stalled:
		return NewProblem(ProblemConflict, fmt.Sprintf("the execution is %s; only a stopped execution can be redriven", workflow.Status))
	}
	when, err := s.redrive(r, caller, activation, workflow, "redriven by an administrator")
	if err != nil {
		return err
	}
	result := RedriveResult{Activation: activation}
	if !when.IsZero() {
		result.RedriveDate = when.UTC().Format(time.RFC3339Nano)
	}
	return writeJSON(w, http.StatusAccepted, result)
}

// redrive resumes the activation's stalled execution and records it in the audit trail. A
// redrive that another request made first (the execution runs again) is no error.
func (s *Server) redrive(r *http.Request, caller auth.Principal, activation domain.Activation, workflow *WorkflowStatus, reason string) (time.Time, error) {
	out, err := s.deps.Workflow.RedriveExecution(r.Context(), &sfn.RedriveExecutionInput{ExecutionArn: aws.String(s.executionOf(activation))})
	var notRedrivable *sfntypes.ExecutionNotRedrivable
	if errors.As(err, &notRedrivable) {
		now, describeErr := s.describeWorkflow(r.Context(), activation)
		if describeErr == nil && now != nil && now.Status == string(sfntypes.ExecutionStatusRunning) {
			return time.Time{}, nil
		}
		return time.Time{}, NewProblem(ProblemConflict, "the execution cannot be redriven: "+aws.ToString(notRedrivable.Message))
	}
	if err != nil {
		return time.Time{}, err
	}
	when := aws.ToTime(out.RedriveDate).UTC()
	s.audit(r, caller, auditNote{ActivationID: activation.ID, Country: activation.Country, Action: audit.ActionRedrive,
		Before: map[string]any{"execution": workflow.Status, "error": workflow.Error, "redriveCount": workflow.RedriveCount},
		After:  map[string]any{"execution": string(sfntypes.ExecutionStatusRunning), "redriveDate": when, "reason": reason}})
	return when, nil
}
