// Package insurance is the insurance check: a deployee needs cover for every day of the
// deployment, medical and evacuation always and malicious acts from security level 3
// (domain.MissingCover). Missing cover is InsuranceCoverMissing, naming the expert and what is
// missing, which the workflow answers with an hr enrolment task and a second check.
package insurance

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// Name is the function's registry name and the name of its step.
const Name = "insurance"

// ActionCheck is the one action.
const ActionCheck = "check"

// Booking is the roster step's output.
type Booking struct {
	BookingID    string      `json:"bookingId"`
	ExpertID     string      `json:"expertId"`
	ExpertName   string      `json:"expertName,omitempty"`
	From         domain.Date `json:"from"`
	To           domain.Date `json:"to"`
	Area         domain.Area `json:"area,omitempty"`
	ProfileIndex int         `json:"profileIndex"`
}

// Input is the state's Parameters.
type Input struct {
	Action       string  `json:"action"`
	ActivationID string  `json:"activationId"`
	Booking      Booking `json:"booking"`
	Execution    string  `json:"execution,omitempty"`
	State        string  `json:"state,omitempty"`
}

// Output says the expert is covered, by which policies.
type Output struct {
	ExpertID string                   `json:"expertId"`
	Policies []domain.InsurancePolicy `json:"policies"`
}

// Policies gives an expert's insurance policies; *store.Store has it.
type Policies interface {
	Policies(ctx context.Context, expertID string) ([]domain.InsurancePolicy, error)
}

var _ Policies = (*store.Store)(nil)

// Handler checks cover.
type Handler struct {
	runtime  step.Runtime
	policies Policies
	tasks    step.OpenTasks
}

// NewHandler returns the handler over the runtime, the policies and the task store (for the
// activation's status when it records its step).
func NewHandler(runtime step.Runtime, policies Policies, tasks step.OpenTasks) *Handler {
	runtime.Name = Name
	return &Handler{runtime: runtime.Defaults(), policies: policies, tasks: tasks}
}

// New is the registry constructor.
func New(_ context.Context, env registry.Env) (any, error) {
	st, runtime, err := step.Build(env, Name)
	if err != nil {
		return nil, err
	}
	return NewHandler(runtime, st, st).Handle, nil
}

// Handle runs the step.
func (h *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	out, err := h.handle(ctx, in)
	return out, step.Boundary(err)
}

func (h *Handler) handle(ctx context.Context, in Input) (Output, error) {
	call := step.Call{ActivationID: in.ActivationID, Execution: in.Execution, State: in.State}
	if call.State == "" {
		call.State = "CheckCover"
	}
	if err := call.Check(); err != nil {
		return Output{}, err
	}
	if in.Action != ActionCheck {
		return Output{}, domain.Invalid(domain.FieldErrors{{Field: "action", Reason: "must be check"}})
	}
	period := domain.Period{Start: in.Booking.From, End: in.Booking.To}
	if in.Booking.ExpertID == "" || !period.Valid() {
		return Output{}, domain.Invalid(domain.FieldErrors{{Field: "booking", Reason: "needs an expertId and a valid from/to period"}})
	}
	started := h.runtime.Clock()
	// The activation and the expert's policies are independent reads: both at once.
	var policies []domain.InsurancePolicy
	var policiesErr error
	var wg sync.WaitGroup
	wg.Go(func() { policies, policiesErr = h.policies.Policies(ctx, in.Booking.ExpertID) })
	a, err := h.runtime.Load(ctx, in.ActivationID)
	wg.Wait()
	if err != nil {
		return Output{}, err
	}
	if policiesErr != nil {
		return Output{}, policiesErr
	}
	if err := step.Proceeding(a.Activation); err != nil {
		return Output{}, err
	}
	level := a.DeploymentLevel()
	missing := domain.MissingCover(policies, period, level, h.runtime.Config)
	status, note := "succeeded", fmt.Sprintf("%s: %s covered %s to %s", call.State, in.Booking.ExpertID, period.Start, period.End)
	action := audit.ActionStepCompleted
	if len(missing) > 0 {
		kinds := make([]string, len(missing))
		for i, k := range missing {
			kinds[i] = string(k)
		}
		status, note = "failed", fmt.Sprintf("%s: %s lacks %s cover", call.State, in.Booking.ExpertID, strings.Join(kinds, ", "))
		action = audit.ActionStepFailed
	}
	_, _, err = h.runtime.AdvanceFrom(ctx, a, func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if step.HasStep(a, Name, status, note) {
			return nil, nil
		}
		to, err := step.Progress(ctx, h.tasks, a)
		if err != nil {
			return nil, err
		}
		return &store.Change{To: to, Step: &domain.Step{Name: Name, Status: status, Detail: note},
			Events: []audit.Event{h.runtime.Event(call, a, action, fmt.Sprintf("%s.%s", Name, in.Booking.ExpertID), nil, map[string]any{
				"step": Name, "expert": in.Booking.ExpertID, "period": period, "level": level, "missing": missing,
				"startedAt": started, "endedAt": h.runtime.Clock()})}}, nil
	})
	if err != nil {
		return Output{}, err
	}
	if err := domain.CoverError(in.Booking.ExpertID, missing); err != nil {
		return Output{}, err
	}
	if policies == nil {
		policies = []domain.InsurancePolicy{}
	}
	return Output{ExpertID: in.Booking.ExpertID, Policies: policies}, nil
}
