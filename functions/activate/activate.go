// Package activate is the last step of the path: with clearance given, the money released and
// every deployee booked and insured, it confirms the fund release and the bookings, sets the
// activation's end date, moves it to ACTIVE and announces it on the event bus.
package activate

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
	// ReleasedWrite checks, in the step's transaction, that the activation's money was
	// released (refused with store.ErrNotReleased).
	ReleasedWrite(activationID, currency string) store.Write
	// ConfirmBookingWrite marks a booking confirmed in the step's transaction.
	ConfirmBookingWrite(expertID, bookingID string) store.Write
	// Release releases the activation's fund reservation on its own (idempotent), when the
	// workflow's release step did not.
	Release(ctx context.Context, activationID, currency, actor string) (domain.LedgerEntry, error)
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
		return a.Activation, err
	}
	if err := step.Proceeding(a.Activation); err != nil {
		return a.Activation, err
	}
	if a.Status != domain.StatusActive {
		if a, err = h.runtime.ClearanceGate(ctx, call, h.tasks, a); err != nil {
			return a.Activation, err
		}
		if len(a.Deployments) < len(a.Profiles) {
			return a.Activation, fmt.Errorf("activation %s has %d of its %d profiles staffed", a.ID, len(a.Deployments), len(a.Profiles))
		}
	}
	// An approval's open call that was still recording its wait when the decision came may have
	// left AWAITING_APPROVAL behind; with no task open the activation is in progress.
	if a.Status == domain.StatusAwaitingApproval {
		if a, _, err = h.runtime.AdvanceFrom(ctx, a, func(a domain.Activation) (*store.Change, error) {
			if a.Status != domain.StatusAwaitingApproval {
				return nil, nil
			}
			to, err := step.Progress(ctx, h.tasks, a)
			if err != nil || to != domain.StatusInProgress {
				return nil, err
			}
			return &store.Change{To: to}, nil
		}); err != nil {
			return a.Activation, err
		}
	}
	// The release confirmed, the bookings confirmed, the status, the step's record and its
	// audit events are one transaction.
	decide := func(a domain.Activation) (*store.Change, error) {
		if a.Status == domain.StatusActive {
			return nil, nil
		}
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		now := h.runtime.Clock()
		end := domain.ActivationEndDate(a.Profiles, now, h.runtime.Config)
		detail := fmt.Sprintf("%s released; %d experts confirmed; ends %s", a.Amount, len(a.Deployments), end)
		writes := []store.Write{h.confirm.ReleasedWrite(a.ID, a.Amount.Currency)}
		for _, d := range a.Deployments {
			writes = append(writes, h.confirm.ConfirmBookingWrite(d.ExpertID, d.BookingID))
		}
		return &store.Change{To: domain.StatusActive, EndDate: &end, Writes: writes,
			Step: &domain.Step{Name: Name, Status: "succeeded", At: now, Detail: detail},
			Events: []audit.Event{
				h.runtime.Event(call, a, audit.ActionActivationStatus, "", map[string]any{"status": a.Status},
					map[string]any{"status": domain.StatusActive, "endDate": end, "released": store.ReleaseEntryID(a.ID), "deployments": a.Deployments}),
				h.runtime.Event(call, a, audit.ActionStepCompleted, Name, nil, map[string]any{
					"step": Name, "startedAt": started, "endedAt": h.runtime.Clock()}),
			}}, nil
	}
	next, changed, err := h.runtime.AdvanceFrom(ctx, a, decide)
	if errors.Is(err, store.ErrNotReleased) {
		// The workflow releases the money before this step; released here otherwise.
		if _, err := h.confirm.Release(ctx, a.ID, a.Amount.Currency, step.Actor); err != nil {
			return a.Activation, err
		}
		next, changed, err = h.runtime.Advance(ctx, a.ID, decide)
	}
	if err != nil {
		return a.Activation, err
	}
	a = next
	if changed {
		step.Notify(ctx, h.events, h.runtime.Logger, step.EventActivationActive, map[string]any{"activationId": a.ID,
			"office": a.Office, "country": a.Country, "dutyStation": a.DutyStation, "status": a.Status,
			"endDate": a.EndDate, "deployments": a.Deployments, "amount": a.Amount})
		h.publishTimings(a.Activation, a.UpdatedAt)
	}
	return a.Activation, nil
}
