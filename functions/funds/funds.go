// Package funds is the rapid action fund's step: "reserve" sets the requested amount aside in
// one transaction that never overdraws the fund and says who must approve its release (nobody
// up to the first threshold, finance above it, finance and senior management above the second:
// four eyes); "release" confirms the reservation once every approval is in.
package funds

import (
	"context"
	"errors"
	"fmt"

	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// Name is the function's registry name.
const Name = "funds"

// Actions.
const (
	ActionReserve = "reserve"
	ActionRelease = "release"
)

// Step names recorded on the activation.
const (
	StepReserve = "reserve"
	StepRelease = "release"
)

// Input is the state's Parameters.
type Input struct {
	Action       string `json:"action"`
	ActivationID string `json:"activationId"`
	Execution    string `json:"execution,omitempty"`
	State        string `json:"state,omitempty"`
}

// Output answers both actions: Reserved, Route and Approvals for reserve; Released and EntryID
// for release.
type Output struct {
	Reserved  *domain.Money     `json:"reserved,omitempty"`
	Route     *domain.FundRoute `json:"route,omitempty"`
	Approvals []step.Task       `json:"approvals"`
	Released  *domain.Money     `json:"released,omitempty"`
	EntryID   string            `json:"entryId,omitempty"`
}

// Fund is what the step needs of the fund; *store.Store has it.
type Fund interface {
	// ReservationWrites are a reservation's writes, committed with the step's record.
	ReservationWrites(activationID string, amount domain.Money, actor string) (domain.LedgerEntry, []store.Write, error)
	// ReleaseWrites are a release's writes, committed with the step's record.
	ReleaseWrites(activationID string, amount domain.Money, actor string) (domain.LedgerEntry, []store.Write, error)
	// Reserve sets the amount aside on its own (idempotent: a retry returns the first).
	Reserve(ctx context.Context, activationID string, amount domain.Money, actor string) (domain.LedgerEntry, error)
	// Release confirms the reservation on its own (idempotent).
	Release(ctx context.Context, activationID, currency, actor string) (domain.LedgerEntry, error)
}

var _ Fund = (*store.Store)(nil)

// Handler reserves and releases money.
type Handler struct {
	runtime step.Runtime
	fund    Fund
	tasks   step.OpenTasks
}

// NewHandler returns the handler over the runtime, the fund and the task store (to know whether
// people are still deciding when it records its step).
func NewHandler(runtime step.Runtime, fund Fund, tasks step.OpenTasks) *Handler {
	runtime.Name = Name
	return &Handler{runtime: runtime.Defaults(), fund: fund, tasks: tasks}
}

// New is the registry constructor.
func New(_ context.Context, env registry.Env) (any, error) {
	st, runtime, err := step.Build(env, Name)
	if err != nil {
		return nil, err
	}
	return NewHandler(runtime, st, st).Handle, nil
}

// Handle runs the action.
func (h *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	var out Output
	var err error
	switch in.Action {
	case ActionReserve:
		out, err = h.reserve(ctx, in)
	case ActionRelease:
		out, err = h.release(ctx, in)
	default:
		err = domain.Invalid(domain.FieldErrors{{Field: "action", Reason: "must be reserve or release"}})
	}
	return out, step.Boundary(err)
}

func (h *Handler) reserve(ctx context.Context, in Input) (Output, error) {
	call := step.Call{ActivationID: in.ActivationID, Execution: in.Execution, State: in.State}
	if call.State == "" {
		call.State = "ReserveFunds"
	}
	if err := call.Check(); err != nil {
		return Output{}, err
	}
	started := h.runtime.Clock()
	a, err := h.runtime.Load(ctx, in.ActivationID)
	if err != nil {
		return Output{}, err
	}
	if err := step.Proceeding(a.Activation); err != nil {
		return Output{}, err
	}
	route, err := domain.RouteFunds(a.Amount, h.runtime.Config)
	if err != nil {
		return Output{}, err
	}
	reserved := a.Amount
	detail := fmt.Sprintf("%s reserved", reserved)
	if route.AutoRelease {
		detail += "; released at once"
	} else {
		detail += "; approvals: " + domain.ListWords(route.Approvals)
	}
	// The reservation, the step's record and its audit events are one transaction. A
	// reservation found without the record (made on its own, before the step recorded both at
	// once) is taken as it is and recorded.
	var found *domain.LedgerEntry
	decide := func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if step.HasStep(a, StepReserve, "succeeded", detail) {
			return nil, nil
		}
		var entry domain.LedgerEntry
		var writes []store.Write
		if found != nil {
			entry = *found
		} else {
			var err error
			if entry, writes, err = h.fund.ReservationWrites(a.ID, a.Amount, step.Actor); err != nil {
				return nil, err
			}
		}
		return &store.Change{Step: &domain.Step{Name: StepReserve, Status: "succeeded", Detail: detail}, Writes: writes,
			Events: []audit.Event{
				h.runtime.Event(call, a, audit.ActionFundReserved, a.Amount.Currency, nil, entry),
				h.runtime.Event(call, a, audit.ActionStepCompleted, StepReserve, nil, map[string]any{
					"step": StepReserve, "startedAt": started, "endedAt": h.runtime.Clock(), "route": route}),
			}}, nil
	}
	_, _, err = h.runtime.AdvanceFrom(ctx, a, decide)
	var already *store.AlreadyWritten
	if errors.As(err, &already) {
		entry, rerr := h.fund.Reserve(ctx, a.ID, a.Amount, step.Actor)
		if rerr != nil {
			return Output{}, rerr
		}
		found = &entry
		_, _, err = h.runtime.Advance(ctx, a.ID, decide)
	}
	if err != nil {
		return Output{}, err
	}
	out := Output{Reserved: &reserved, Route: &route, Approvals: []step.Task{}}
	for _, role := range route.Approvals {
		kind := domain.KindFundRelease
		if role == domain.RoleSeniorManagement {
			kind = domain.KindSeniorFundRelease
		}
		out.Approvals = append(out.Approvals, step.NewTask(role, kind, h.runtime.Config))
	}
	return out, nil
}

func (h *Handler) release(ctx context.Context, in Input) (Output, error) {
	call := step.Call{ActivationID: in.ActivationID, Execution: in.Execution, State: in.State}
	if call.State == "" {
		call.State = "ReleaseFunds"
	}
	if err := call.Check(); err != nil {
		return Output{}, err
	}
	started := h.runtime.Clock()
	a, err := h.runtime.Load(ctx, in.ActivationID)
	if err != nil {
		return Output{}, err
	}
	if err := step.Proceeding(a.Activation); err != nil {
		return Output{}, err
	}
	released := a.Amount
	detail := fmt.Sprintf("%s released", released)
	// The release, the step's record and its audit events are one transaction; a release found
	// without the record is taken as it is and recorded.
	var found *domain.LedgerEntry
	decide := func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if step.HasStep(a, StepRelease, "succeeded", detail) {
			return nil, nil
		}
		to, err := step.Progress(ctx, h.tasks, a)
		if err != nil {
			return nil, err
		}
		var entry domain.LedgerEntry
		var writes []store.Write
		if found != nil {
			entry = *found
		} else if entry, writes, err = h.fund.ReleaseWrites(a.ID, a.Amount, step.Actor); err != nil {
			return nil, err
		}
		return &store.Change{To: to, Step: &domain.Step{Name: StepRelease, Status: "succeeded", Detail: detail}, Writes: writes,
			Events: []audit.Event{
				h.runtime.Event(call, a, audit.ActionFundReleased, a.Amount.Currency, nil, entry),
				h.runtime.Event(call, a, audit.ActionStepCompleted, StepRelease, nil, map[string]any{
					"step": StepRelease, "startedAt": started, "endedAt": h.runtime.Clock()}),
			}}, nil
	}
	_, _, err = h.runtime.AdvanceFrom(ctx, a, decide)
	var already *store.AlreadyWritten
	if errors.As(err, &already) {
		entry, rerr := h.fund.Release(ctx, a.ID, a.Amount.Currency, step.Actor)
		if rerr != nil {
			return Output{}, rerr
		}
		found = &entry
		_, _, err = h.runtime.Advance(ctx, a.ID, decide)
	}
	if err != nil {
		return Output{}, err
	}
	return Output{Released: &released, EntryID: store.ReleaseEntryID(a.ID)}, nil
}
