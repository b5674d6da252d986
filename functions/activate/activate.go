// Package activate is the last step of the path: with clearance given, the money released and
// every deployee booked and insured, it confirms the fund release and the bookings, sets the
// activation's end date, moves it to ACTIVE and announces it on the event bus.
package activate

import (
	"context"
	"fmt"

	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// Name is the function's registry name and the name of its step.
const Name = "activate"

// Input is the state's Parameters.
type Input struct {
	ActivationID string `json:"activationId"`
	Execution    string `json:"execution,omitempty"`
	State        string `json:"state,omitempty"`
}

// Confirmations is what the step confirms; *store.Store has it.
type Confirmations interface {
	// Release confirms the activation's fund reservation (idempotent).
	Release(ctx context.Context, activationID, currency, actor string) (domain.LedgerEntry, error)
	// ConfirmBooking marks a booking confirmed (idempotent).
	ConfirmBooking(ctx context.Context, expertID, bookingID string) (domain.Booking, error)
}

var _ Confirmations = (*store.Store)(nil)

// Handler activates.
type Handler struct {
	runtime step.Runtime
	confirm Confirmations
	tasks   step.OpenTasks
	events  step.EventPublisher
}

// NewHandler returns the handler over the runtime, the fund and roster confirmations, the task
// store (the clearance gate reads it) and the event publisher (nil publishes nothing).
func NewHandler(runtime step.Runtime, confirm Confirmations, tasks step.OpenTasks, events step.EventPublisher) *Handler {
	runtime.Name = Name
	return &Handler{runtime: runtime.Defaults(), confirm: confirm, tasks: tasks, events: events}
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
	return NewHandler(runtime, st, st, events).Handle, nil
}

// Handle runs the step; the output is the activation as it became.
func (h *Handler) Handle(ctx context.Context, in Input) (domain.Activation, error) {
	out, err := h.handle(ctx, in)
	return out, step.Boundary(err)
}

func (h *Handler) handle(ctx context.Context, in Input) (domain.Activation, error) {
	call := step.Call{ActivationID: in.ActivationID, Execution: in.Execution, State: in.State}
	if call.State == "" {
		call.State = "Activate"
	}
	if err := call.Check(); err != nil {
		return domain.Activation{}, err
	}
	started := h.runtime.Clock()
	a, err := h.runtime.Load(ctx, in.ActivationID)
	if err != nil {
		return a, err
	}
	if err := step.Proceeding(a); err != nil {
		return a, err
	}
	if a.Status != domain.StatusActive {
		if a, err = h.runtime.ClearanceGate(ctx, call, h.tasks, a); err != nil {
			return a, err
		}
		if len(a.Deployments) < len(a.Profiles) {
			return a, fmt.Errorf("activation %s has %d of its %d profiles staffed", a.ID, len(a.Deployments), len(a.Profiles))
		}
	}
	release, err := h.confirm.Release(ctx, a.ID, a.Amount.Currency, step.Actor)
	if err != nil {
		return a, err
	}
	for _, d := range a.Deployments {
		if _, err := h.confirm.ConfirmBooking(ctx, d.ExpertID, d.BookingID); err != nil {
			return a, err
		}
	}
	// An approval's open call that was still recording its wait when the decision came may have
	// left AWAITING_APPROVAL behind; with no task open the activation is in progress.
	if _, _, err := h.runtime.Advance(ctx, a.ID, func(a domain.Activation) (*store.Change, error) {
		if a.Status != domain.StatusAwaitingApproval {
			return nil, nil
		}
		to, err := step.Progress(ctx, h.tasks, a)
		if err != nil || to != domain.StatusInProgress {
			return nil, err
		}
		return &store.Change{To: to}, nil
	}); err != nil {
		return a, err
	}
	before := a.Status
	a, changed, err := h.runtime.Advance(ctx, a.ID, func(a domain.Activation) (*store.Change, error) {
		if a.Status == domain.StatusActive {
			return nil, nil
		}
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		now := h.runtime.Clock()
		end := domain.ActivationEndDate(a.Profiles, now, h.runtime.Config)
		detail := fmt.Sprintf("%s released; %d experts confirmed; ends %s", domain.Money{Value: release.Amount, Currency: release.Currency},
			len(a.Deployments), end)
		return &store.Change{To: domain.StatusActive, EndDate: &end,
			Step: &domain.Step{Name: Name, Status: "succeeded", At: now, Detail: detail}}, nil
	})
	if err != nil {
		return a, err
	}
	events := []audit.Event{
		h.runtime.Event(call, a, audit.ActionActivationStatus, "", map[string]any{"status": before},
			map[string]any{"status": a.Status, "endDate": a.EndDate, "released": release.ID, "deployments": a.Deployments}),
		h.runtime.Event(call, a, audit.ActionStepCompleted, Name, nil, map[string]any{
			"step": Name, "startedAt": started, "endedAt": h.runtime.Clock()}),
	}
	if err := h.runtime.Record(ctx, !changed, events...); err != nil {
		return a, err
	}
	if changed {
		step.Notify(ctx, h.events, h.runtime.Logger, step.EventActivationActive, map[string]any{"activationId": a.ID,
			"office": a.Office, "country": a.Country, "dutyStation": a.DutyStation, "status": a.Status,
			"endDate": a.EndDate, "deployments": a.Deployments, "amount": a.Amount})
		h.publishTimings(a, a.UpdatedAt)
	}
	return a, nil
}
