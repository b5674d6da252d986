// Package clearance is the security clearance step: the duty station's level decides whether
// the deployment is cleared at once (levels 1-2), needs a security approver (3-5), or is denied
// unless senior management overrides it with a written justification (6). The outcome is
// recorded on the activation; the approvals it needs go back to the workflow as task
// descriptors.
package clearance

import (
	"context"
	"fmt"
	"sync"

	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// Name is the function's registry name and the name of its step.
const Name = "clearance"

// Input is the state's Parameters.
type Input struct {
	ActivationID string `json:"activationId"`
	Execution    string `json:"execution,omitempty"`
	State        string `json:"state,omitempty"`
}

// Output is the branch's result: the outcome and the approvals it needs.
type Output struct {
	Outcome   domain.ClearanceDecision `json:"outcome"`
	Level     domain.SecurityLevel     `json:"level"`
	Approvals []step.Task              `json:"approvals"`
}

// Reference gives the duty stations with their current security levels; *store.Store has it.
type Reference interface {
	// DutyStations reads every duty station as the security function set it last (strongly
	// consistent).
	DutyStations(ctx context.Context) ([]domain.DutyStation, error)
}

var _ Reference = (*store.Store)(nil)

// Handler clears activations.
type Handler struct {
	runtime   step.Runtime
	reference Reference
}

// NewHandler returns the handler over the runtime and the reference data.
func NewHandler(runtime step.Runtime, reference Reference) *Handler {
	runtime.Name = Name
	return &Handler{runtime: runtime.Defaults(), reference: reference}
}

// New is the registry constructor.
func New(_ context.Context, env registry.Env) (any, error) {
	st, runtime, err := step.Build(env, Name)
	if err != nil {
		return nil, err
	}
	return NewHandler(runtime, st).Handle, nil
}

// Handle runs the step.
func (h *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	out, err := h.handle(ctx, in)
	return out, step.Boundary(err)
}

func (h *Handler) handle(ctx context.Context, in Input) (Output, error) {
	call := step.Call{ActivationID: in.ActivationID, Execution: in.Execution, State: in.State}
	if call.State == "" {
		call.State = step.ClearanceState
	}
	if err := call.Check(); err != nil {
		return Output{}, err
	}
	started := h.runtime.Clock()
	// The level is the duty station's now: the security function keeps it up to date. The
	// stations are few, and reading them all lets the read run beside the activation's.
	var stations []domain.DutyStation
	var stationsErr error
	var wg sync.WaitGroup
	wg.Go(func() { stations, stationsErr = h.reference.DutyStations(ctx) })
	current, err := h.runtime.Load(ctx, in.ActivationID)
	wg.Wait()
	if err != nil {
		return Output{}, err
	}
	if stationsErr != nil {
		return Output{}, stationsErr
	}
	station, stationFound := domain.NewReferenceSet(nil, stations).DutyStation(current.Country, current.DutyStation)
	var outcome domain.ClearanceOutcome
	_, _, err = h.runtime.AdvanceFrom(ctx, current, func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if _, done := step.FindStep(a, Name, "succeeded"); done && a.Clearance != nil {
			outcome = *a.Clearance
			return nil, nil
		}
		level := a.SecurityLevel
		if stationFound {
			level = station.Level
		}
		outcome = domain.Clearance(level, h.runtime.Config)
		detail := fmt.Sprintf("%s, level %d", outcome.Decision, level)
		return &store.Change{Clearance: &outcome, SecurityLevel: &level,
			Step: &domain.Step{Name: Name, Status: "succeeded", Detail: detail},
			Events: []audit.Event{h.runtime.Event(call, a, audit.ActionStepCompleted, Name, nil, map[string]any{
				"step": Name, "startedAt": started, "endedAt": h.runtime.Clock(), "clearance": outcome})}}, nil
	})
	if err != nil {
		return Output{}, err
	}
	out := Output{Outcome: outcome.Decision, Level: outcome.Level, Approvals: []step.Task{}}
	switch {
	case outcome.Decision == domain.NeedsApproval:
		out.Approvals = append(out.Approvals, step.NewTask(domain.RoleSecurity, domain.KindSecurityClearance, h.runtime.Config))
	case outcome.Decision == domain.Denied && outcome.OverridePossible:
		out.Approvals = append(out.Approvals, step.NewTask(domain.RoleSeniorManagement, domain.KindSecurityOverride, h.runtime.Config))
	case outcome.Decision == domain.Denied:
		return out, &domain.SecurityClearanceDenied{Level: outcome.Level,
			Message: fmt.Sprintf("security clearance denied: level %d cannot be cleared", outcome.Level)}
	}
	return out, nil
}
