// Package roster is the deployment step: for one requested profile it books the best available
// expert (area, languages, training for the level, free over the dates) and records the
// deployment on the activation, in one transaction (store.StaffProfile) conditional on the
// expert's version, so that no expert is ever booked twice for the same days and no booking
// exists that its activation does not record. Nobody matching is NoExpertAvailable, which the
// workflow answers with an hr sourcing task. Security clearance is a hard gate: nobody is
// booked for an activation that is not cleared.
package roster

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
const Name = "roster"

// ActionBook is the one action.
const ActionBook = "book"

// Profile is one requested profile as assess hands it out.
type Profile struct {
	Index     *int        `json:"index"`
	Area      domain.Area `json:"area"`
	Languages []string    `json:"languages"`
	StartDate domain.Date `json:"startDate"`
	Days      int         `json:"days"`
}

// Input is the state's Parameters.
type Input struct {
	Action       string  `json:"action"`
	ActivationID string  `json:"activationId"`
	Profile      Profile `json:"profile"`
	Execution    string  `json:"execution,omitempty"`
	State        string  `json:"state,omitempty"`
}

// Output is the booking, which the insurance step checks.
type Output struct {
	BookingID    string      `json:"bookingId"`
	ExpertID     string      `json:"expertId"`
	ExpertName   string      `json:"expertName"`
	From         domain.Date `json:"from"`
	To           domain.Date `json:"to"`
	Area         domain.Area `json:"area"`
	ProfileIndex int         `json:"profileIndex"`
}

// Roster is what the step needs of the roster; *store.Store has it.
type Roster interface {
	// Candidates reads the roster with the days each expert's bookings hold.
	Candidates(ctx context.Context) ([]store.Candidate, error)
	// StaffProfile books the best available expert for the profile and records the booking
	// on the activation, in one transaction.
	StaffProfile(ctx context.Context, base store.Current, r store.DeployRequest, candidates []store.Candidate,
		record func(a store.Current, d store.Deployed) (*store.Change, error)) (store.Current, store.Deployed, bool, error)
}

var _ Roster = (*store.Store)(nil)

// Handler books experts.
type Handler struct {
	runtime step.Runtime
	roster  Roster
	tasks   step.OpenTasks
}

// NewHandler returns the handler over the runtime, the roster and the task store (the
// clearance gate and the activation's status read it).
func NewHandler(runtime step.Runtime, roster Roster, tasks step.OpenTasks) *Handler {
	runtime.Name = Name
	return &Handler{runtime: runtime.Defaults(), roster: roster, tasks: tasks}
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
		call.State = "BookExpert"
	}
	if err := call.Check(); err != nil {
		return Output{}, err
	}
	if in.Action != ActionBook {
		return Output{}, domain.Invalid(domain.FieldErrors{{Field: "action", Reason: "must be book"}})
	}
	started := h.runtime.Clock()
	// The activation and the roster are independent reads: both at once.
	var a store.Current
	var candidates []store.Candidate
	var candidatesErr error
	var wg sync.WaitGroup
	wg.Go(func() { candidates, candidatesErr = h.roster.Candidates(ctx) })
	a, err := h.runtime.Load(ctx, in.ActivationID)
	wg.Wait()
	if err != nil {
		return Output{}, err
	}
	if candidatesErr != nil {
		return Output{}, candidatesErr
	}
	if err := step.Proceeding(a.Activation); err != nil {
		return Output{}, err
	}
	index, profile, err := requested(a.Activation, in.Profile)
	if err != nil {
		return Output{}, err
	}
	if a, err = h.runtime.ClearanceGate(ctx, call, h.tasks, a); err != nil {
		return Output{}, err
	}
	level := a.DeploymentLevel()
	// The booking, the deployment, the step's record and its audit events are one transaction.
	record := func(a store.Current, d store.Deployed) (*store.Change, error) {
		if err := step.Proceeding(a.Activation); err != nil {
			return nil, err
		}
		booking := d.Booking
		note := fmt.Sprintf("profile %d: %s booked %s to %s", index, booking.ExpertID, booking.Period.Start, booking.Period.End)
		if step.HasStep(a.Activation, Name, "succeeded", note) {
			return nil, nil
		}
		to, err := step.Progress(ctx, h.tasks, a.Activation)
		if err != nil {
			return nil, err
		}
		return &store.Change{To: to, Step: &domain.Step{Name: Name, Status: "succeeded", Detail: note},
			Events: []audit.Event{
				h.runtime.Event(call, a.Activation, audit.ActionExpertBooked, booking.ExpertID, nil, map[string]any{"booking": booking.ID,
					"expert": booking.ExpertID, "profileIndex": index, "period": booking.Period}),
				h.runtime.Event(call, a.Activation, audit.ActionStepCompleted, fmt.Sprintf("%s.p%d", Name, index), nil, map[string]any{
					"step": Name, "profileIndex": index, "startedAt": started, "endedAt": h.runtime.Clock()}),
			}}, nil
	}
	_, deployed, _, err := h.roster.StaffProfile(ctx, a, store.DeployRequest{ActivationID: a.ID, ProfileIndex: index,
		Profile: profile, Level: level, Config: h.runtime.Config}, candidates, record)
	if err != nil {
		return Output{}, err
	}
	booking := deployed.Booking
	return Output{BookingID: booking.ID, ExpertID: booking.ExpertID, ExpertName: deployed.Expert.Name,
		From: booking.Period.Start, To: booking.Period.End, Area: profile.Area, ProfileIndex: index}, nil
}

// requested returns the stored profile the input names: the workflow's copy says which one,
// the activation's says what it is.
func requested(a domain.Activation, p Profile) (int, domain.Profile, error) {
	if p.Index == nil || *p.Index < 0 || *p.Index >= len(a.Profiles) {
		return 0, domain.Profile{}, domain.Invalid(domain.FieldErrors{{Field: "profile.index",
			Reason: fmt.Sprintf("must name one of the activation's %d profiles", len(a.Profiles))}})
	}
	return *p.Index, a.Profiles[*p.Index], nil
}
