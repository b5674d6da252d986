package step

import (
	"context"
	"fmt"
	"time"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// Task is the descriptor of a human task as the workflow carries it: who decides, what, and
// how long they have. The function that asks for the task makes it from the configured
// deadlines; the workflow waits with TimeoutSecondsPath on its two durations.
type Task struct {
	Role domain.Role     `json:"role"`
	Kind domain.TaskKind `json:"kind"`
	// DeadlineSeconds is how long the first approver has.
	DeadlineSeconds int64 `json:"deadlineSeconds"`
	// EscalationSeconds is how long the escalated task has (the escalation role's deadline).
	EscalationSeconds int64 `json:"escalationSeconds"`
	// EscalateTo is the role an overdue task goes to; empty when it cannot be escalated (the
	// first missed deadline then fails the step with ApprovalTimedOut).
	EscalateTo domain.Role `json:"escalateTo,omitempty"`
}

// NewTask describes a task of the kind for the role, with the configured deadlines.
func NewTask(role domain.Role, kind domain.TaskKind, cfg *config.Config) Task {
	t := Task{Role: role, Kind: kind, DeadlineSeconds: seconds(cfg.Deadline(string(role)))}
	t.EscalationSeconds = t.DeadlineSeconds
	if target, ok := domain.EscalationTarget(role, 0, cfg); ok {
		t.EscalateTo = target
		t.EscalationSeconds = seconds(cfg.Deadline(string(target)))
	}
	return t
}

func seconds(d time.Duration) int64 { return max(int64(d/time.Second), 1) }

// Check reports a descriptor the workflow could not have made.
func (t Task) Check() error {
	var fe domain.FieldErrors
	if !t.Role.IsApprover() {
		fe = append(fe, domain.FieldError{Field: "task.role", Reason: "must be an approver role"})
	}
	if !t.Kind.Valid() {
		fe = append(fe, domain.FieldError{Field: "task.kind", Reason: "is not a task kind"})
	}
	if t.DeadlineSeconds <= 0 || t.EscalationSeconds <= 0 {
		fe = append(fe, domain.FieldError{Field: "task.deadlineSeconds", Reason: "deadlines must be positive"})
	}
	if t.EscalateTo != "" && !t.EscalateTo.IsApprover() {
		fe = append(fe, domain.FieldError{Field: "task.escalateTo", Reason: "must be an approver role"})
	}
	if len(fe) > 0 {
		return domain.Invalid(fe)
	}
	return nil
}

// Summary is what an approver sees of the activation without opening it.
func Summary(a domain.Activation) domain.TaskSummary {
	return domain.TaskSummary{Country: a.Country, DutyStation: a.DutyStation, SecurityLevel: a.SecurityLevel,
		CrisisType: a.CrisisType, Phase: a.Phase, Amount: a.Amount, Purpose: a.Purpose,
		PeopleTotal: a.PeopleAffected.Total(), Profiles: len(a.Profiles), Justification: a.Justification}
}

// ClearanceStep and ClearanceState are the clearance function's step (its record on the
// activation, its events' "step") and the workflow state that runs it. The clearance gate
// records a level-6 override under them: it changes the clearance step's outcome, whichever
// step's gate finds the override.
const (
	ClearanceStep  = "clearance"
	ClearanceState = "SecurityClearance"
)

// ClearanceTasks is what the clearance gate needs of the task store.
type ClearanceTasks interface {
	OpenTasks
}

// ClearanceGate enforces that nobody is deployed and nothing activated without security
// clearance: cleared automatically, or by an approved security task (or its escalation), or,
// at a level that is denied, by senior management's approved override with a written
// justification (domain.ApplyOverride), which the gate then records on the activation as
// CLEARED_BY_OVERRIDE. Anything else is *domain.SecurityClearanceDenied. It returns the
// activation as it is after the gate.
//
// The override's audit event belongs to the clearance step, not to the step whose gate applied
// it (the roster's BookExpert, or Activate): its actor is the person who overrode, in the role
// they decided in, its workflow reference the clearance state, its "step" the clearance step;
// the state that applied it is kept as "appliedIn".
func (r Runtime) ClearanceGate(ctx context.Context, call Call, tasks ClearanceTasks, a store.Current) (store.Current, error) {
	denied := func(why string) error {
		level := a.SecurityLevel
		if a.Clearance != nil {
			level = a.Clearance.Level
		}
		return &domain.SecurityClearanceDenied{Message: "security clearance denied: " + why, Level: level}
	}
	if a.Clearance == nil {
		return a, denied("no clearance has been given")
	}
	switch a.Clearance.Decision {
	case domain.AutoCleared, domain.ClearedByOverride:
		return a, nil
	}
	all, err := tasks.TasksOfActivation(ctx, a.ID)
	if err != nil {
		return a, err
	}
	approved := func(kind domain.TaskKind) *domain.ApprovalTask {
		for _, t := range all {
			if t.Kind == kind && t.Status == domain.TaskDecided && t.Decision != nil && t.Decision.Outcome == domain.Approve {
				return &t
			}
		}
		return nil
	}
	switch a.Clearance.Decision {
	case domain.NeedsApproval:
		if approved(domain.KindSecurityClearance) != nil {
			return a, nil
		}
		return a, denied("no security approver has cleared the deployment")
	case domain.Denied:
		if !a.Clearance.OverridePossible {
			return a, denied(fmt.Sprintf("level %d cannot be cleared", a.Clearance.Level))
		}
		task := approved(domain.KindSecurityOverride)
		if task == nil {
			return a, denied("senior management has not overridden the denial")
		}
		decision := *task.Decision
		overridden, err := domain.ApplyOverride(*a.Clearance, decision, r.Config)
		if err != nil {
			return a, err
		}
		before := *a.Clearance
		next, _, err := r.AdvanceFrom(ctx, a, func(current domain.Activation) (*store.Change, error) {
			if err := Proceeding(current); err != nil {
				return nil, err
			}
			if current.Clearance != nil && current.Clearance.Decision == domain.ClearedByOverride {
				return nil, nil
			}
			detail := fmt.Sprintf("level %d cleared by override of %s", overridden.Level, decision.ActorID)
			clearance := Call{ActivationID: call.ActivationID, Execution: call.Execution, State: ClearanceState}
			event := r.Event(clearance, current, audit.ActionStepCompleted, ClearanceStep, before, map[string]any{
				"step": ClearanceStep, "clearance": overridden, "task": task.ID, "overriddenBy": decision.ActorID,
				"justification": decision.Comment, "appliedIn": call.State})
			event.Actor, event.Role = decision.ActorID, string(decision.Role)
			return &store.Change{Clearance: &overridden,
				Step:   &domain.Step{Name: ClearanceStep, Status: "overridden", Detail: detail},
				Events: []audit.Event{event}}, nil
		})
		if err != nil {
			return a, err
		}
		return next, nil
	}
	return a, denied(fmt.Sprintf("clearance is %s", a.Clearance.Decision))
}
