// Package approvals keeps the human tasks the workflow waits on: "open" creates a task with
// its deadline and the workflow's task token (the state waits with .waitForTaskToken until the
// decision comes through the API, or the deadline); "escalate" closes an overdue task as
// ESCALATED and opens its successor for the escalation role with a new deadline and the new
// token; "expire" closes the escalated task when its deadline passes too, before the workflow
// fails with ApprovalTimedOut. The same function serves approvals (security, finance, senior
// management) and hr's tasks (consultant sourcing, insurance enrolment), told apart by kind.
//
// Task ids are deterministic (activation, kind, profile, escalation level), so a retried call
// finds the task the first call made and moves the new token onto the task that is live now,
// even when that is an escalated successor. A retried call that finds the task already decided
// answers the workflow as the decision did: the approval through SendTaskSuccess, a rejection
// as ApprovalRejected, an expiry as ApprovalTimedOut.
//
// A retried or redriven wait runs its full timeout again from the new call (Step Functions
// starts a Task state's timeout with each attempt), while the task it finds has the deadline of
// the first call. The two are made to agree: a task still open past its deadline ends the new
// wait at once with ApprovalDeadlinePassed, which the workflow treats as the timeout (escalate,
// then expire); one still within its deadline gets the new wait's end as its deadline
// (RescheduleTask), so that the API accepts a decision exactly as long as the workflow waits.
package approvals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// Name is the function's registry name.
const Name = "approvals"

// StepName is the name of the steps it records on the activation.
const StepName = "approval"

// Actions.
const (
	ActionOpen     = "open"
	ActionEscalate = "escalate"
	ActionExpire   = "expire"
)

// Input is the Payload of the waiting states (open, escalate) and the Parameters of the expiry.
type Input struct {
	Action       string    `json:"action"`
	ActivationID string    `json:"activationId"`
	Task         step.Task `json:"task"`
	// Subject is the Map iteration's input: it names the profile or booking an hr task is
	// about.
	Subject json.RawMessage `json:"subject,omitempty"`
	// Level is 0 for open, 1 for escalate.
	Level     int    `json:"level"`
	TaskToken string `json:"taskToken,omitempty"`
	Execution string `json:"execution,omitempty"`
	State     string `json:"state,omitempty"`
}

// Output says which task is live and until when. The waiting states ignore it (the workflow
// waits for the token); it helps people reading the history.
type Output struct {
	TaskID   string    `json:"taskId"`
	Status   string    `json:"status"`
	Deadline time.Time `json:"deadline"`
}

// ApprovalDeadlinePassed ends a wait at once: a retried or redriven open or escalate found its
// task still open with the deadline already passed (the workflow was stopped, or retrying,
// when it passed). The workflow catches it as it catches States.Timeout, so the task is
// escalated (or expired) now, as it would have been at its deadline, instead of waiting a
// whole new period for a decision the API refuses as late.
type ApprovalDeadlinePassed struct {
	Message string `json:"message"`
	TaskID  string `json:"taskId"`
}

func (e *ApprovalDeadlinePassed) Error() string { return e.Message }

// Decision is what the workflow receives for an approved task, the same document the API sends
// with SendTaskSuccess.
type Decision struct {
	Decision  domain.Outcome `json:"decision"`
	Actor     string         `json:"actor"`
	Role      domain.Role    `json:"role"`
	Comment   string         `json:"comment,omitempty"`
	DecidedAt time.Time      `json:"decidedAt"`
	TaskID    string         `json:"taskId"`
}

// Tasks is what the function needs of the task store; *store.Store has it.
type Tasks interface {
	// CreateTask stores an OPEN task with its token, or moves the token onto the stored task
	// with that id if it is still open.
	CreateTask(ctx context.Context, t domain.ApprovalTask, token string) (domain.ApprovalTask, error)
	GetTask(ctx context.Context, id string) (domain.ApprovalTask, error)
	// Escalate closes the task as ESCALATED and opens its successor.
	Escalate(ctx context.Context, e store.Escalation) (domain.ApprovalTask, domain.ApprovalTask, error)
	// Expire closes an OPEN task as EXPIRED.
	Expire(ctx context.Context, id string) (domain.ApprovalTask, error)
	// RescheduleTask moves an OPEN task's deadline to the end of the wait that holds its token.
	RescheduleTask(ctx context.Context, id string, deadline time.Time) (domain.ApprovalTask, error)
	// TasksOfActivation lists the activation's tasks.
	TasksOfActivation(ctx context.Context, activationID string) ([]domain.ApprovalTask, error)
}

var _ Tasks = (*store.Store)(nil)

// Callbacks answers a waiting state; *sfn.Client has it.
type Callbacks interface {
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, options ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
}

var _ Callbacks = (*sfn.Client)(nil)

// Handler keeps the tasks.
type Handler struct {
	runtime   step.Runtime
	tasks     Tasks
	callbacks Callbacks
	events    step.EventPublisher
}

// NewHandler returns the handler over the runtime, the task store, the workflow's callback API
// and the event publisher (nil publishes nothing).
func NewHandler(runtime step.Runtime, tasks Tasks, callbacks Callbacks, events step.EventPublisher) *Handler {
	runtime.Name = Name
	return &Handler{runtime: runtime.Defaults(), tasks: tasks, callbacks: callbacks, events: events}
}

// New is the registry constructor.
func New(_ context.Context, env registry.Env) (any, error) {
	st, runtime, err := step.Build(env, Name)
	if err != nil {
		return nil, err
	}
	events, err := step.NewEventBridge(env.AWS, env.EventBusName, env.Clock())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return NewHandler(runtime, st, sfn.NewFromConfig(env.AWS), events).Handle, nil
}

// Handle runs the action.
func (h *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	out, err := h.handle(ctx, in)
	return out, step.Boundary(err)
}

func (h *Handler) handle(ctx context.Context, in Input) (Output, error) {
	call := step.Call{ActivationID: in.ActivationID, Execution: in.Execution, State: in.State}
	if err := call.Check(); err != nil {
		return Output{}, err
	}
	if err := in.Task.Check(); err != nil {
		return Output{}, err
	}
	switch in.Action {
	case ActionOpen, ActionEscalate:
		if in.TaskToken == "" {
			return Output{}, domain.Invalid(domain.FieldErrors{{Field: "taskToken", Reason: "is required to " + in.Action}})
		}
	case ActionExpire:
	default:
		return Output{}, domain.Invalid(domain.FieldErrors{{Field: "action", Reason: "must be open, escalate or expire"}})
	}
	a, err := h.runtime.Load(ctx, in.ActivationID)
	if err != nil {
		return Output{}, err
	}
	if err := step.Proceeding(a.Activation); err != nil {
		return Output{}, err
	}
	base := taskBase(a.ID, in.Task.Kind, in.Subject)
	switch in.Action {
	case ActionOpen:
		return h.open(ctx, call, a, in, base)
	case ActionEscalate:
		return h.escalate(ctx, call, a, in, base)
	}
	return h.expire(ctx, call, a, base)
}

// recorded reports whether the activation has an approval step of the status whose detail
// begins with prefix (the task it is about): a retried or redriven call records a task's
// opening or escalation once, even when its deadline has moved since.
func recorded(a domain.Activation, status, prefix string) bool {
	for _, s := range a.Steps {
		if s.Name == StepName && s.Status == status && strings.HasPrefix(s.Detail, prefix) {
			return true
		}
	}
	return false
}

// taskBase is the id of the task's chain without its level: activation, kind and, for hr
// tasks, the profile they are about ("act-1.expert_sourcing.p2").
func taskBase(activationID string, kind domain.TaskKind, subject json.RawMessage) string {
	base := activationID + "." + string(kind)
	var s struct {
		Profile *struct {
			Index *int `json:"index"`
		} `json:"profile"`
		Booking *struct {
			ProfileIndex *int `json:"profileIndex"`
		} `json:"booking"`
	}
	if len(subject) > 0 && json.Unmarshal(subject, &s) == nil {
		switch {
		case s.Booking != nil && s.Booking.ProfileIndex != nil:
			return base + ".p" + strconv.Itoa(*s.Booking.ProfileIndex)
		case s.Profile != nil && s.Profile.Index != nil:
			return base + ".p" + strconv.Itoa(*s.Profile.Index)
		}
	}
	return base
}

func taskID(base string, level int) string { return base + "." + strconv.Itoa(level) }

// detail is what the task is about beyond the activation: the profile to source, or the
// booking and the missing cover.
func detail(subject json.RawMessage) map[string]any {
	var s map[string]any
	if len(subject) == 0 || json.Unmarshal(subject, &s) != nil {
		return nil
	}
	out := map[string]any{}
	for _, key := range []string{"profile", "booking", "shortage", "missing"} {
		if v, ok := s[key]; ok {
			out[key] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (h *Handler) open(ctx context.Context, call step.Call, a store.Current, in Input, base string) (Output, error) {
	now := h.runtime.Clock()
	summary := step.Summary(a.Activation)
	summary.Detail = detail(in.Subject)
	task := domain.ApprovalTask{ID: taskID(base, 0), ActivationID: a.ID, Role: in.Task.Role, Kind: in.Task.Kind,
		Deadline: now.Add(time.Duration(in.Task.DeadlineSeconds) * time.Second), RequestedBy: a.RequestedBy,
		Office: a.Office, Priority: a.Priority, Summary: summary, CreatedAt: now}
	stored, err := h.tasks.CreateTask(ctx, task, in.TaskToken)
	if err != nil {
		return Output{}, err
	}
	live, err := h.live(ctx, stored, in.TaskToken)
	if err != nil {
		return Output{}, err
	}
	fresh := live.ID == task.ID && live.CreatedAt.Equal(now)
	note := fmt.Sprintf("%s: %s %s until %s", live.ID, live.Role, live.Kind, live.Deadline.Format(time.RFC3339))
	a, changed, err := h.runtime.AdvanceFrom(ctx, a, func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if recorded(a, "waiting", live.ID+": ") {
			return nil, nil
		}
		return &store.Change{To: domain.StatusAwaitingApproval, Step: &domain.Step{Name: StepName, Status: "waiting", Detail: note},
			Events: []audit.Event{h.runtime.Event(call, a, audit.ActionTaskCreated, live.ID, nil, map[string]any{"task": live.ID, "role": live.Role,
				"kind": live.Kind, "deadline": live.Deadline, "escalationLevel": live.EscalationLevel})}}, nil
	})
	if err != nil {
		return Output{}, err
	}
	if changed || fresh {
		step.Notify(ctx, h.events, h.runtime.Logger, step.EventTaskOpened, notice(live))
	}
	if live, err = h.rewait(ctx, call, a, live, now, in.Task.DeadlineSeconds); err != nil {
		return Output{}, err
	}
	// The office may have cancelled while the task was being opened, after the API looked for
	// open tasks to wake: then the wait would last until the deadline. Look once more.
	if current, err := h.runtime.Load(ctx, a.ID); err == nil {
		if err := step.Proceeding(current.Activation); err != nil {
			return Output{}, err
		}
	}
	return Output{TaskID: live.ID, Status: string(live.Status), Deadline: live.Deadline}, nil
}

// live follows a task's escalations to the task that stands for it now. An open one gets the
// token the workflow waits on; a decided or expired one answers the workflow as its decision
// did, since no person will decide it again.
func (h *Handler) live(ctx context.Context, t domain.ApprovalTask, token string) (domain.ApprovalTask, error) {
	moved := false
	for range 10 {
		if t.Status != domain.TaskEscalated || t.EscalatedTo == "" {
			break
		}
		next, err := h.tasks.GetTask(ctx, t.EscalatedTo)
		if err != nil {
			return t, err
		}
		t, moved = next, true
	}
	switch t.Status {
	case domain.TaskOpen:
		if moved {
			return h.tasks.CreateTask(ctx, t, token)
		}
		return t, nil
	case domain.TaskDecided:
		return t, h.answer(ctx, t, token)
	case domain.TaskExpired:
		return t, &domain.ApprovalTimedOut{TaskID: t.ID, Message: fmt.Sprintf("task %s expired with no decision", t.ID)}
	}
	return t, fmt.Errorf("task %s is %s", t.ID, t.Status)
}

// answer gives the workflow the decision already taken on the task.
func (h *Handler) answer(ctx context.Context, t domain.ApprovalTask, token string) error {
	if t.Decision == nil {
		return fmt.Errorf("task %s is decided but holds no decision", t.ID)
	}
	if t.Decision.Outcome != domain.Approve {
		return &domain.ApprovalRejected{TaskID: t.ID, Role: t.Role, Message: fmt.Sprintf("%s rejected task %s: %s",
			t.Decision.ActorID, t.ID, t.Decision.Comment)}
	}
	output, err := json.Marshal(Decision{Decision: t.Decision.Outcome, Actor: t.Decision.ActorID, Role: t.Decision.Role,
		Comment: t.Decision.Comment, DecidedAt: t.Decision.At, TaskID: t.ID})
	if err != nil {
		return err
	}
	_, err = h.callbacks.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(output))})
	return err
}

func notice(t domain.ApprovalTask) map[string]any {
	return map[string]any{"taskId": t.ID, "activationId": t.ActivationID, "role": t.Role, "kind": t.Kind,
		"status": t.Status, "deadline": t.Deadline, "escalationLevel": t.EscalationLevel, "priority": t.Priority,
		"country": t.Summary.Country, "dutyStation": t.Summary.DutyStation}
}

func (h *Handler) escalate(ctx context.Context, call step.Call, a store.Current, in Input, base string) (Output, error) {
	first, err := h.tasks.GetTask(ctx, taskID(base, 0))
	if err != nil {
		return Output{}, err
	}
	if in.Task.EscalateTo == "" {
		// Nobody above: the first missed deadline is the last.
		if _, err := h.expire(ctx, call, a, base); err != nil {
			return Output{}, err
		}
		return Output{}, &domain.ApprovalTimedOut{TaskID: first.ID, Message: fmt.Sprintf(
			"task %s passed its deadline and %s tasks are not escalated", first.ID, first.Role)}
	}
	now := h.runtime.Clock()
	wasOpen := first.Status == domain.TaskOpen
	_, successor, err := h.tasks.Escalate(ctx, store.Escalation{TaskID: first.ID, NewTaskID: taskID(base, 1),
		Role: in.Task.EscalateTo, Deadline: now.Add(time.Duration(in.Task.EscalationSeconds) * time.Second)})
	var notOpen *domain.TaskNotOpen
	if errors.As(err, &notOpen) {
		// Decided (or expired) just as its deadline passed: that decision stands.
		current, gerr := h.tasks.GetTask(ctx, first.ID)
		if gerr != nil {
			return Output{}, gerr
		}
		live, lerr := h.live(ctx, current, in.TaskToken)
		return Output{TaskID: live.ID, Status: string(live.Status), Deadline: live.Deadline}, lerr
	}
	if err != nil {
		return Output{}, err
	}
	live, err := h.live(ctx, successor, in.TaskToken)
	if err != nil {
		return Output{}, err
	}
	if live.ID == successor.ID && live.Status == domain.TaskOpen {
		// The successor was made with the first task's token; the workflow now waits on a new one.
		if live, err = h.tasks.CreateTask(ctx, live, in.TaskToken); err != nil {
			return Output{}, err
		}
	}
	note := fmt.Sprintf("%s -> %s: %s until %s", first.ID, successor.ID, successor.Role, successor.Deadline.Format(time.RFC3339))
	if _, _, err := h.runtime.AdvanceFrom(ctx, a, func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if recorded(a, "escalated", first.ID+" -> "+successor.ID+": ") {
			return nil, nil
		}
		return &store.Change{To: domain.StatusAwaitingApproval, Step: &domain.Step{Name: StepName, Status: "escalated", Detail: note},
			Events: []audit.Event{h.runtime.Event(call, a, audit.ActionTaskEscalated, first.ID,
				map[string]any{"task": first.ID, "status": domain.TaskOpen, "role": first.Role, "deadline": first.Deadline},
				map[string]any{"task": successor.ID, "status": successor.Status, "role": successor.Role, "deadline": successor.Deadline,
					"escalationLevel": successor.EscalationLevel})}}, nil
	}); err != nil {
		return Output{}, err
	}
	if wasOpen {
		h.runtime.Metric(registry.MetricApprovalTasksPastDeadline, 1)
		step.Notify(ctx, h.events, h.runtime.Logger, step.EventTaskEscalated, notice(successor))
	}
	// A retried or redriven escalation waits a whole escalation period again.
	if live, err = h.rewait(ctx, call, a, live, now, in.Task.EscalationSeconds); err != nil {
		return Output{}, err
	}
	return Output{TaskID: live.ID, Status: string(live.Status), Deadline: live.Deadline}, nil
}

// rewait makes the live task's deadline agree with the wait that now holds its token, which
// began at now and lasts waitSeconds (the state's TimeoutSecondsPath). A task made by this call
// already has that deadline. One found by a retried or redriven call has the first call's: past
// it, the wait ends at once with ApprovalDeadlinePassed (the workflow escalates or expires the
// task, as it would have at the deadline); before it, the task gets the new wait's end as its
// deadline, recorded in the audit trail. A task decided meanwhile is left as it is: the API
// delivers that decision to the token this call stored.
func (h *Handler) rewait(ctx context.Context, call step.Call, a store.Current, live domain.ApprovalTask, now time.Time, waitSeconds int64) (domain.ApprovalTask, error) {
	if live.Status != domain.TaskOpen {
		return live, nil
	}
	if !now.Before(live.Deadline) {
		return live, &ApprovalDeadlinePassed{TaskID: live.ID, Message: fmt.Sprintf(
			"task %s passed its deadline %s while the workflow was not waiting for it", live.ID, live.Deadline.Format(time.RFC3339))}
	}
	end := now.Add(time.Duration(waitSeconds) * time.Second)
	if live.Deadline.Equal(end) {
		return live, nil
	}
	before := live.Deadline
	rescheduled, err := h.tasks.RescheduleTask(ctx, live.ID, end)
	var notOpen *domain.TaskNotOpen
	if errors.As(err, &notOpen) {
		return rescheduled, nil
	}
	if err != nil {
		return live, err
	}
	note := fmt.Sprintf("%s: %s %s until %s (its wait began again at %s)", rescheduled.ID, rescheduled.Role, rescheduled.Kind,
		end.Format(time.RFC3339), now.Format(time.RFC3339))
	if _, _, err := h.runtime.AdvanceFrom(ctx, a, func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if step.HasStep(a, StepName, "waiting", note) {
			return nil, nil
		}
		return &store.Change{Step: &domain.Step{Name: StepName, Status: "waiting", Detail: note},
			Events: []audit.Event{h.runtime.Event(call, a, audit.ActionTaskRescheduled, rescheduled.ID,
				map[string]any{"task": rescheduled.ID, "deadline": before},
				map[string]any{"task": rescheduled.ID, "deadline": end, "waitStarted": now, "escalationLevel": rescheduled.EscalationLevel})}}, nil
	}); err != nil {
		return rescheduled, err
	}
	step.Notify(ctx, h.events, h.runtime.Logger, step.EventTaskOpened, notice(rescheduled))
	return rescheduled, nil
}

func (h *Handler) expire(ctx context.Context, call step.Call, a store.Current, base string) (Output, error) {
	t, err := h.tasks.GetTask(ctx, taskID(base, 0))
	if err != nil {
		return Output{}, err
	}
	for range 10 {
		if t.Status != domain.TaskEscalated || t.EscalatedTo == "" {
			break
		}
		if t, err = h.tasks.GetTask(ctx, t.EscalatedTo); err != nil {
			return Output{}, err
		}
	}
	wasOpen := t.Status == domain.TaskOpen
	if wasOpen {
		expired, err := h.tasks.Expire(ctx, t.ID)
		var notOpen *domain.TaskNotOpen
		if err != nil && !errors.As(err, &notOpen) {
			return Output{}, err
		}
		if err == nil {
			t = expired
		} else {
			wasOpen = false
		}
	}
	note := t.ID + ": " + string(t.Status)
	if _, _, err := h.runtime.AdvanceFrom(ctx, a, func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if step.HasStep(a, StepName, "expired", note) {
			return nil, nil
		}
		return &store.Change{Step: &domain.Step{Name: StepName, Status: "expired", Detail: note},
			Events: []audit.Event{h.runtime.Event(call, a, audit.ActionTaskExpired, t.ID,
				map[string]any{"task": t.ID, "status": domain.TaskOpen, "deadline": t.Deadline},
				map[string]any{"task": t.ID, "status": t.Status})}}, nil
	}); err != nil {
		return Output{}, err
	}
	if wasOpen {
		h.runtime.Metric(registry.MetricApprovalTasksPastDeadline, 1)
		step.Notify(ctx, h.events, h.runtime.Logger, step.EventTaskExpired, notice(t))
	}
	return Output{TaskID: t.ID, Status: string(t.Status), Deadline: t.Deadline}, nil
}
