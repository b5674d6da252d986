package console_test

// pathWorkflow stands in for the Step Functions API behind the real API handler until the
// local stack (the embedded engine with the path's functions) can be started from a test. It
// walks an activation along the fast-track path with the real store in DynamoDB Local and the
// real domain rules: assess, clearance (domain.Clearance) beside the fund reservation
// (store.Reserve, domain.RouteFunds), approval tasks (store.CreateTask) that wait for their
// task tokens, then fund release, roster deployment (store.DeployExpert) and activation; a
// failed token (rejection, cancellation) compensates. It records an execution history in the
// shape of GetExecutionHistory, so the console's timeline has workflow events to show.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

type execution struct {
	arn     string
	status  sfntypes.ExecutionStatus
	events  []sfntypes.HistoryEvent
	pending map[string]string // task token -> task id
}

type pathWorkflow struct {
	store *store.Store
	rules *config.Config
	// fail receives errors of the background steps; the test fails on any.
	fail func(error)

	mu         sync.Mutex
	executions map[string]*execution // by activation id
	tokens     map[string]string     // task token -> activation id
	running    sync.WaitGroup
}

var _ api.Workflow = (*pathWorkflow)(nil)

func newPathWorkflow(st *store.Store, fail func(error)) *pathWorkflow {
	return &pathWorkflow{store: st, rules: config.Default(), fail: fail,
		executions: map[string]*execution{}, tokens: map[string]string{}}
}

// wait blocks until every background step has finished.
func (w *pathWorkflow) wait() { w.running.Wait() }

func (w *pathWorkflow) record(id string, kind sfntypes.HistoryEventType, state string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e := w.executions[id]
	event := sfntypes.HistoryEvent{Id: int64(len(e.events) + 1), PreviousEventId: int64(len(e.events)),
		Timestamp: aws.Time(time.Now().UTC()), Type: kind}
	switch kind {
	case sfntypes.HistoryEventTypeTaskStateEntered:
		event.StateEnteredEventDetails = &sfntypes.StateEnteredEventDetails{Name: aws.String(state)}
	case sfntypes.HistoryEventTypeTaskStateExited:
		event.StateExitedEventDetails = &sfntypes.StateExitedEventDetails{Name: aws.String(state)}
	}
	e.events = append(e.events, event)
}

func (w *pathWorkflow) background(step func() error) {
	w.running.Add(1)
	go func() {
		defer w.running.Done()
		if err := step(); err != nil {
			w.fail(err)
		}
	}()
}

// StartExecution starts the path for the activation named by the execution name.
func (w *pathWorkflow) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	id := aws.ToString(in.Name)
	arn := strings.Replace(aws.ToString(in.StateMachineArn), ":stateMachine:", ":execution:", 1) + ":" + id
	w.mu.Lock()
	if _, exists := w.executions[id]; exists {
		w.mu.Unlock()
		return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("execution already exists")}
	}
	w.executions[id] = &execution{arn: arn, status: sfntypes.ExecutionStatusRunning, pending: map[string]string{}}
	w.mu.Unlock()
	w.record(id, sfntypes.HistoryEventTypeExecutionStarted, "")
	w.background(func() error { return w.assessAndCheck(id, arn) })
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn), StartDate: aws.Time(time.Now())}, nil
}

func (w *pathWorkflow) assessAndCheck(id, arn string) error {
	ctx := context.Background()
	a, err := w.store.GetActivation(ctx, id)
	if err != nil {
		return err
	}
	w.record(id, sfntypes.HistoryEventTypeTaskStateEntered, "Assess")
	if a, err = w.store.Transition(ctx, store.Change{ID: id, From: a.Status, Version: a.Version, To: domain.StatusInProgress,
		ExecutionArn: aws.String(arn), Step: &domain.Step{Name: "assess", Status: "succeeded", Detail: fmt.Sprintf("priority %d", a.Priority)}}); err != nil {
		return fmt.Errorf("assess: %w", err)
	}
	w.record(id, sfntypes.HistoryEventTypeTaskStateExited, "Assess")

	clearance := domain.Clearance(a.SecurityLevel, w.rules)
	w.record(id, sfntypes.HistoryEventTypeTaskStateEntered, "SecurityClearance")
	if err := w.store.AppendStep(ctx, id, domain.Step{Name: "clearance", Status: "succeeded",
		Detail: fmt.Sprintf("%s, level %d", clearance.Decision, a.SecurityLevel)}); err != nil {
		return err
	}
	w.record(id, sfntypes.HistoryEventTypeTaskStateExited, "SecurityClearance")
	w.record(id, sfntypes.HistoryEventTypeTaskStateEntered, "ReserveFunds")
	if _, err := w.store.Reserve(ctx, id, a.Amount, "funds"); err != nil {
		return fmt.Errorf("reserve: %w", err)
	}
	route, err := domain.RouteFunds(a.Amount, w.rules)
	if err != nil {
		return err
	}
	if err := w.store.AppendStep(ctx, id, domain.Step{Name: "funds", Status: "succeeded", Detail: "reserved " + a.Amount.String()}); err != nil {
		return err
	}
	w.record(id, sfntypes.HistoryEventTypeTaskStateExited, "ReserveFunds")

	type approval struct {
		role domain.Role
		kind domain.TaskKind
	}
	var approvals []approval
	if clearance.Decision == domain.NeedsApproval {
		approvals = append(approvals, approval{domain.RoleSecurity, domain.KindSecurityClearance})
	}
	for _, role := range route.Approvals {
		kind := domain.KindFundRelease
		if role == domain.RoleSeniorManagement {
			kind = domain.KindSeniorFundRelease
		}
		approvals = append(approvals, approval{role, kind})
	}
	if len(approvals) == 0 {
		return w.finish(ctx, id)
	}
	// The status changes before the tasks exist, so that a decision can never arrive while the
	// activation is not yet awaiting it.
	if err := w.store.AppendStep(ctx, id, domain.Step{Name: "approvals", Status: "waiting", Detail: fmt.Sprintf("%d approval(s) asked", len(approvals))}); err != nil {
		return err
	}
	current, err := w.store.GetActivation(ctx, id)
	if err != nil {
		return err
	}
	if _, err := w.store.Transition(ctx, store.Change{ID: id, From: current.Status, Version: current.Version, To: domain.StatusAwaitingApproval}); err != nil {
		return err
	}
	// Every token waits before any task is visible, so the last answer is known to be the last.
	taskID := func(kind domain.TaskKind) string { return fmt.Sprintf("task-%s-%s-0", id, kind) }
	w.mu.Lock()
	for _, need := range approvals {
		w.tokens["token-"+taskID(need.kind)] = id
		w.executions[id].pending["token-"+taskID(need.kind)] = taskID(need.kind)
	}
	w.mu.Unlock()
	for _, need := range approvals {
		task := domain.ApprovalTask{
			ID: taskID(need.kind), ActivationID: id, Role: need.role, Kind: need.kind,
			Deadline: domain.TaskDeadline(need.role, time.Now(), w.rules), RequestedBy: a.RequestedBy, Office: a.Office, Priority: a.Priority,
			Summary: domain.TaskSummary{Country: a.Country, DutyStation: a.DutyStation, SecurityLevel: a.SecurityLevel, CrisisType: a.CrisisType,
				Phase: a.Phase, Amount: a.Amount, Purpose: a.Purpose, PeopleTotal: a.PeopleAffected.Total(), Profiles: len(a.Profiles),
				Justification: a.Justification},
		}
		token := "token-" + task.ID
		w.record(id, sfntypes.HistoryEventTypeTaskStateEntered, "ApprovalRequested")
		if _, err := w.store.CreateTask(ctx, task, token); err != nil {
			return fmt.Errorf("create task: %w", err)
		}
		if _, err := w.store.AppendAudit(ctx, audit.Event{Time: time.Now().UTC(), Actor: "approvals", Action: audit.ActionTaskCreated,
			ActivationID: id, Country: a.Country, Subject: task.ID, WorkflowEvent: a.ExecutionArn + "#ApprovalRequested"}); err != nil {
			return err
		}
		w.record(id, sfntypes.HistoryEventTypeTaskSubmitted, "ApprovalRequested")
	}
	return nil
}

// finish releases the money, deploys the experts and activates.
func (w *pathWorkflow) finish(ctx context.Context, id string) error {
	a, err := w.store.GetActivation(ctx, id)
	if err != nil {
		return err
	}
	if a.Status == domain.StatusAwaitingApproval {
		if a, err = w.store.Transition(ctx, store.Change{ID: id, From: a.Status, Version: a.Version, To: domain.StatusInProgress,
			Step: &domain.Step{Name: "approvals", Status: "succeeded"}}); err != nil {
			return err
		}
	}
	w.record(id, sfntypes.HistoryEventTypeTaskStateEntered, "ReleaseFunds")
	if _, err := w.store.Release(ctx, id, a.Amount.Currency, "funds"); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	w.record(id, sfntypes.HistoryEventTypeTaskStateExited, "ReleaseFunds")
	for index, profile := range a.Profiles {
		w.record(id, sfntypes.HistoryEventTypeTaskStateEntered, "BookExpert")
		deployed, err := w.store.DeployExpert(ctx, store.DeployRequest{ActivationID: id, ProfileIndex: index, Profile: profile,
			Level: a.SecurityLevel, Config: w.rules})
		if err != nil {
			return fmt.Errorf("deploy profile %d: %w", index, err)
		}
		if err := w.store.SetDeployment(ctx, id, domain.Deployment{ProfileIndex: index, ExpertID: deployed.Expert.ID,
			BookingID: deployed.Booking.ID, Period: deployed.Booking.Period}); err != nil {
			return err
		}
		w.record(id, sfntypes.HistoryEventTypeTaskStateExited, "BookExpert")
	}
	if err := w.store.AppendStep(ctx, id, domain.Step{Name: "roster", Status: "succeeded", Detail: fmt.Sprintf("%d expert(s) booked", len(a.Profiles))}); err != nil {
		return err
	}
	w.record(id, sfntypes.HistoryEventTypeTaskStateEntered, "Activate")
	if _, err := w.store.Transition(ctx, store.Change{ID: id, From: a.Status, Version: a.Version, To: domain.StatusActive,
		Step: &domain.Step{Name: "activate", Status: "succeeded"}}); err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	w.record(id, sfntypes.HistoryEventTypeTaskStateExited, "Activate")
	w.end(id, sfntypes.ExecutionStatusSucceeded)
	return nil
}

func (w *pathWorkflow) end(id string, status sfntypes.ExecutionStatus) {
	w.record(id, sfntypes.HistoryEventTypeExecutionSucceeded, "")
	w.mu.Lock()
	w.executions[id].status = status
	w.mu.Unlock()
}

// claim takes a waiting token: the activation it belongs to and whether it was the last one.
func (w *pathWorkflow) claim(token string) (string, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	id, ok := w.tokens[token]
	if !ok {
		return "", false, &sfntypes.InvalidToken{Message: aws.String("invalid token")}
	}
	e := w.executions[id]
	if _, waiting := e.pending[token]; !waiting {
		return "", false, &sfntypes.TaskTimedOut{Message: aws.String("task already answered")}
	}
	delete(e.pending, token)
	return id, len(e.pending) == 0, nil
}

// SendTaskSuccess answers an approval; the path goes on once every approval is in.
func (w *pathWorkflow) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	id, last, err := w.claim(aws.ToString(in.TaskToken))
	if err != nil {
		return nil, err
	}
	w.record(id, sfntypes.HistoryEventTypeTaskSucceeded, "")
	w.record(id, sfntypes.HistoryEventTypeTaskStateExited, "ApprovalRequested")
	if last {
		w.background(func() error { return w.finish(context.Background(), id) })
	}
	return &sfn.SendTaskSuccessOutput{}, nil
}

// SendTaskFailure answers a rejection or a cancellation: compensation returns the money.
func (w *pathWorkflow) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	id, _, err := w.claim(aws.ToString(in.TaskToken))
	if err != nil {
		return nil, err
	}
	w.record(id, sfntypes.HistoryEventTypeTaskFailed, "")
	outcome := domain.StatusRejected
	if aws.ToString(in.Error) == "ActivationCancelled" {
		outcome = domain.StatusCancelled
	}
	w.background(func() error {
		ctx := context.Background()
		a, err := w.store.GetActivation(ctx, id)
		if err != nil {
			return err
		}
		w.record(id, sfntypes.HistoryEventTypeTaskStateEntered, "Compensate")
		reason := aws.ToString(in.Error)
		if a, err = w.store.Transition(ctx, store.Change{ID: id, From: a.Status, Version: a.Version, To: domain.StatusCompensating,
			Outcome: &outcome, Reason: &reason}); err != nil {
			return err
		}
		if _, _, err := w.store.Reverse(ctx, id, a.Amount.Currency, "compensate"); err != nil {
			return err
		}
		if _, err := w.store.Transition(ctx, store.Change{ID: id, From: a.Status, Version: a.Version, To: outcome,
			Step: &domain.Step{Name: "compensate", Status: "succeeded", Detail: "fund reservation reversed"}}); err != nil {
			return err
		}
		w.record(id, sfntypes.HistoryEventTypeTaskStateExited, "Compensate")
		w.end(id, sfntypes.ExecutionStatusSucceeded)
		return nil
	})
	return &sfn.SendTaskFailureOutput{}, nil
}

func (w *pathWorkflow) execution(arn string) (*execution, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.executions {
		if e.arn == arn {
			return e, nil
		}
	}
	return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("no such execution")}
}

// DescribeExecution reports the execution's status.
func (w *pathWorkflow) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	e, err := w.execution(aws.ToString(in.ExecutionArn))
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return &sfn.DescribeExecutionOutput{ExecutionArn: aws.String(e.arn), Status: e.status}, nil
}

// GetExecutionHistory returns every recorded event, oldest first, in one page.
func (w *pathWorkflow) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	e, err := w.execution(aws.ToString(in.ExecutionArn))
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return &sfn.GetExecutionHistoryOutput{Events: append([]sfntypes.HistoryEvent(nil), e.events...)}, nil
}

// StopExecution is not used by the console's paths.
func (w *pathWorkflow) StopExecution(context.Context, *sfn.StopExecutionInput, ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error) {
	return nil, errors.New("stop execution is not part of the console tests")
}

// RedriveExecution is not used by the console's paths.
func (w *pathWorkflow) RedriveExecution(context.Context, *sfn.RedriveExecutionInput, ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error) {
	return nil, &sfntypes.ExecutionNotRedrivable{Message: aws.String("not redrivable")}
}
