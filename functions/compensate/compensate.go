// Package compensate is the saga's compensation, reached from every step's Catch: it decides
// the outcome from the failure (a rejection, a refused request or a denied clearance ends
// REJECTED, a cancellation CANCELLED, anything else FAILED), moves the activation to
// COMPENSATING with the reason, returns the fund reservation, cancels every booking of the
// activation, closes every task still open, and ends in the outcome. Each part is idempotent
// in the store, and a compensation that finds the activation already ended changes nothing and
// answers as the first did.
package compensate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// Name is the function's registry name and the name of its step.
const Name = "compensate"

// Failure is what the Catch put in $.failure.
type Failure struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Input is the state's Parameters.
type Input struct {
	ActivationID string  `json:"activationId"`
	Failure      Failure `json:"failure"`
	Execution    string  `json:"execution,omitempty"`
	State        string  `json:"state,omitempty"`
}

// Output goes to $.compensation; the workflow's Outcome state reads Status.
type Output struct {
	Status           domain.Status `json:"status"`
	Reason           string        `json:"reason"`
	Reversed         domain.Money  `json:"reversed"`
	ReleasedBookings int           `json:"releasedBookings"`
}

// Outcome maps a failure's error name to the activation's terminal status. A cancellation the
// office asked for wins over whatever error surfaced while it was being honoured.
func Outcome(errorName string, cancelRequested bool) domain.Status {
	switch {
	case errorName == "ActivationCancelled" || cancelRequested:
		return domain.StatusCancelled
	case errorName == "ApprovalRejected" || errorName == "NotEligible" || errorName == "SecurityClearanceDenied":
		return domain.StatusRejected
	}
	return domain.StatusFailed
}

// Reason is the failure in words for people: the function's own message when the cause is
// the Lambda runtime's error document, the decision when it is a rejection.
func Reason(f Failure) string {
	var document struct {
		ErrorMessage string `json:"errorMessage"`
		Actor        string `json:"actor"`
		Role         string `json:"role"`
		Comment      string `json:"comment"`
		Decision     string `json:"decision"`
	}
	message := strings.TrimSpace(f.Cause)
	if json.Unmarshal([]byte(f.Cause), &document) == nil {
		switch {
		case document.ErrorMessage != "":
			message = document.ErrorMessage
		case document.Actor != "":
			message = fmt.Sprintf("%s by %s (%s)", domain.Outcome(document.Decision).PastTense(), document.Actor, document.Role)
			if document.Comment != "" {
				message += ": " + document.Comment
			}
		}
	}
	name := f.Error
	if name == "" {
		name = "Failure"
	}
	if message == "" {
		return name
	}
	if len(message) > 1000 {
		message = message[:1000]
	}
	return name + ": " + message
}

// Stores is what compensation undoes; *store.Store has it. Each undoing is written with the
// audit events that record it, in one transaction.
type Stores interface {
	// ReverseRecorded returns the activation's reservation to the fund (idempotent).
	ReverseRecorded(ctx context.Context, base store.Current, actor string, events func(domain.LedgerEntry) []audit.Event) (store.Current, domain.LedgerEntry, bool, error)
	// CancelBookingRecorded frees a booking's days (idempotent).
	CancelBookingRecorded(ctx context.Context, base store.Current, expertID, bookingID string, events func(domain.Booking) []audit.Event) (store.Current, domain.Booking, bool, error)
	// BookingsOfActivation lists the activation's bookings from the roster's index.
	BookingsOfActivation(ctx context.Context, activationID string) ([]domain.Booking, error)
	// TasksOfActivation lists the activation's tasks.
	TasksOfActivation(ctx context.Context, activationID string) ([]domain.ApprovalTask, error)
	// ExpireRecorded closes an OPEN task as EXPIRED.
	ExpireRecorded(ctx context.Context, base store.Current, id string, events func(domain.ApprovalTask) []audit.Event) (store.Current, domain.ApprovalTask, error)
}

var _ Stores = (*store.Store)(nil)

// Handler compensates.
type Handler struct {
	runtime step.Runtime
	stores  Stores
	events  step.EventPublisher
}

// NewHandler returns the handler over the runtime, the stores it undoes and the event
// publisher (nil publishes nothing).
func NewHandler(runtime step.Runtime, stores Stores, events step.EventPublisher) *Handler {
	runtime.Name = Name
	return &Handler{runtime: runtime.Defaults(), stores: stores, events: events}
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
	return NewHandler(runtime, st, events).Handle, nil
}

// Handle runs the compensation.
func (h *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	out, err := h.handle(ctx, in)
	return out, step.Boundary(err)
}

type bookingRef struct{ expert, booking string }

func (h *Handler) handle(ctx context.Context, in Input) (Output, error) {
	call := step.Call{ActivationID: in.ActivationID, Execution: in.Execution, State: in.State}
	if call.State == "" {
		call.State = "Compensate"
	}
	if err := call.Check(); err != nil {
		return Output{}, err
	}
	started := h.runtime.Clock()
	// Each part writes its change with the audit events that record it, in one transaction,
	// and finds it done on a retry.
	// 1. COMPENSATING, with the outcome and the reason, unless it already is (or is over).
	a, _, err := h.runtime.Advance(ctx, in.ActivationID, func(a domain.Activation) (*store.Change, error) {
		if a.Status == domain.StatusCompensating || a.Status.Terminal() {
			return nil, nil
		}
		outcome := Outcome(in.Failure.Error, a.CancelRequested)
		reason := Reason(in.Failure)
		return &store.Change{To: domain.StatusCompensating, Outcome: &outcome, Reason: &reason,
			Step: &domain.Step{Name: Name, Status: "started", Detail: reason},
			Events: []audit.Event{h.runtime.Event(call, a, audit.ActionActivationStatus, "compensation",
				map[string]any{"status": a.Status}, map[string]any{"status": domain.StatusCompensating, "outcome": outcome, "reason": reason})}}, nil
	})
	if err != nil {
		return Output{}, err
	}
	outcome := a.Outcome
	if a.Status.Terminal() {
		outcome = a.Status
	}
	if outcome == "" {
		outcome = Outcome(in.Failure.Error, a.CancelRequested)
	}

	// 2. The money back.
	a, reversal, _, err := h.stores.ReverseRecorded(ctx, a, step.Actor, func(e domain.LedgerEntry) []audit.Event {
		return []audit.Event{h.runtime.Event(call, a.Activation, audit.ActionFundReversed, a.Amount.Currency, nil, e)}
	})
	if err != nil {
		return Output{}, err
	}

	// 3. Every booking, from the activation's own record and from the roster's index (which may
	// lag, or know of a booking that the activation does not record).
	refs := map[bookingRef]bool{}
	for _, d := range a.Deployments {
		refs[bookingRef{d.ExpertID, d.BookingID}] = true
	}
	indexed, err := h.stores.BookingsOfActivation(ctx, a.ID)
	if err != nil {
		return Output{}, err
	}
	for _, b := range indexed {
		refs[bookingRef{b.ExpertID, b.ID}] = true
	}
	released := 0
	for ref := range refs {
		next, _, _, err := h.stores.CancelBookingRecorded(ctx, a, ref.expert, ref.booking, func(b domain.Booking) []audit.Event {
			return []audit.Event{h.runtime.Event(call, a.Activation, audit.ActionBookingCancelled, ref.expert+"/"+ref.booking, nil,
				map[string]any{"booking": b.ID, "expert": b.ExpertID, "period": b.Period, "status": b.Status})}
		})
		if domain.CodeOf(err) == domain.CodeNotFound {
			continue
		}
		if err != nil {
			return Output{}, err
		}
		a = next
		released++
	}

	// 4. Nobody decides on it any more.
	tasks, err := h.stores.TasksOfActivation(ctx, a.ID)
	if err != nil {
		return Output{}, err
	}
	for _, t := range tasks {
		if t.Status != domain.TaskOpen {
			continue
		}
		next, _, err := h.stores.ExpireRecorded(ctx, a, t.ID, func(expired domain.ApprovalTask) []audit.Event {
			return []audit.Event{h.runtime.Event(call, a.Activation, audit.ActionTaskExpired, t.ID,
				map[string]any{"task": t.ID, "status": domain.TaskOpen}, map[string]any{"task": expired.ID, "status": expired.Status, "reason": "compensation"})}
		})
		var notOpen *domain.TaskNotOpen
		if errors.As(err, &notOpen) {
			continue
		}
		if err != nil {
			return Output{}, err
		}
		a = next
	}

	// 5. The outcome.
	detail := fmt.Sprintf("%s; %s returned; %d bookings released", outcome, domain.Money{Value: reversal.Amount, Currency: a.Amount.Currency}, released)
	final, ended, err := h.runtime.AdvanceFrom(ctx, a, func(a domain.Activation) (*store.Change, error) {
		if a.Status.Terminal() {
			return nil, nil
		}
		return &store.Change{To: outcome, Step: &domain.Step{Name: Name, Status: "succeeded", Detail: detail},
			Events: []audit.Event{
				h.runtime.Event(call, a, audit.ActionActivationStatus, "outcome", map[string]any{"status": domain.StatusCompensating},
					map[string]any{"status": outcome, "reason": a.Reason}),
				h.runtime.Event(call, a, audit.ActionStepCompleted, Name, nil, map[string]any{"step": Name, "startedAt": started,
					"endedAt": h.runtime.Clock(), "reversed": reversal.Amount, "releasedBookings": released}),
			}}, nil
	})
	if err != nil {
		return Output{}, err
	}
	if ended {
		step.Notify(ctx, h.events, h.runtime.Logger, step.EventActivationFinished, map[string]any{"activationId": final.ID,
			"office": final.Office, "country": final.Country, "status": final.Status, "reason": final.Reason})
	}
	return Output{Status: final.Status, Reason: final.Reason, Reversed: domain.Money{Value: reversal.Amount, Currency: a.Amount.Currency},
		ReleasedBookings: released}, nil
}
