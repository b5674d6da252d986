// Package roster is the deployment step: for one requested profile it books the best available
// expert (store.DeployExpert: area, languages, training for the level, free over the dates,
// booked with a conditional write so that no expert is ever booked twice for the same days) and
// records the deployment on the activation. Nobody matching is NoExpertAvailable, which the
// workflow answers with an hr sourcing task. Security clearance is a hard gate: nobody is
// booked for an activation that is not cleared.
package roster

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
	// DeployExpert matches and books the best available expert for the profile.
	DeployExpert(ctx context.Context, r store.DeployRequest) (store.Deployed, error)
	GetExpert(ctx context.Context, id string) (domain.Expert, error)
}

// Deployments records bookings on the activation; *store.Store has it.
type Deployments interface {
	SetDeployment(ctx context.Context, id string, d domain.Deployment) error
}

var (
	_ Roster      = (*store.Store)(nil)
	_ Deployments = (*store.Store)(nil)
)

// Handler books experts.
type Handler struct {
	runtime     step.Runtime
	roster      Roster
	deployments Deployments
	tasks       step.OpenTasks
}

// NewHandler returns the handler over the runtime, the roster, the activation's deployments
// and the task store (the clearance gate and the activation's status read it).
func NewHandler(runtime step.Runtime, roster Roster, deployments Deployments, tasks step.OpenTasks) *Handler {
	runtime.Name = Name
	return &Handler{runtime: runtime.Defaults(), roster: roster, deployments: deployments, tasks: tasks}
}

// New is the registry constructor.
func New(_ context.Context, env registry.Env) (any, error) {
	st, runtime, err := step.Build(env, Name)
	if err != nil {
		return nil, err
	}
	return NewHandler(runtime, st, st, st).Handle, nil
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
	a, err := h.runtime.Load(ctx, in.ActivationID)
	if err != nil {
		return Output{}, err
	}
	if err := step.Proceeding(a); err != nil {
		return Output{}, err
	}
	index, profile, err := requested(a, in.Profile)
	if err != nil {
		return Output{}, err
	}
	if a, err = h.runtime.ClearanceGate(ctx, call, h.tasks, a); err != nil {
		return Output{}, err
	}
	level := a.SecurityLevel
	if a.Clearance != nil && a.Clearance.Level.Valid() {
		level = a.Clearance.Level
	}
	booking, expert, err := h.book(ctx, a, index, profile, level)
	if err != nil {
		return Output{}, err
	}
	if err := h.deployments.SetDeployment(ctx, a.ID, domain.Deployment{ProfileIndex: index, ExpertID: booking.ExpertID,
		BookingID: booking.ID, Period: booking.Period}); err != nil {
		return Output{}, err
	}
	note := fmt.Sprintf("profile %d: %s booked %s to %s", index, booking.ExpertID, booking.Period.Start, booking.Period.End)
	a, changed, err := h.runtime.Advance(ctx, a.ID, func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if step.HasStep(a, Name, "succeeded", note) {
			return nil, nil
		}
		to, err := step.Progress(ctx, h.tasks, a)
		if err != nil {
			return nil, err
		}
		return &store.Change{To: to, Step: &domain.Step{Name: Name, Status: "succeeded", Detail: note}}, nil
	})
	if err != nil {
		return Output{}, err
	}
	events := []audit.Event{
		h.runtime.Event(call, a, audit.ActionExpertBooked, booking.ExpertID, nil, map[string]any{"booking": booking.ID,
			"expert": booking.ExpertID, "profileIndex": index, "period": booking.Period}),
		h.runtime.Event(call, a, audit.ActionStepCompleted, fmt.Sprintf("%s.p%d", Name, index), nil, map[string]any{
			"step": Name, "profileIndex": index, "startedAt": started, "endedAt": h.runtime.Clock()}),
	}
	if err := h.runtime.Record(ctx, !changed, events...); err != nil {
		return Output{}, err
	}
	return Output{BookingID: booking.ID, ExpertID: booking.ExpertID, ExpertName: expert.Name,
		From: booking.Period.Start, To: booking.Period.End, Area: profile.Area, ProfileIndex: index}, nil
}

// book returns the profile's booking: the one recorded on the activation by an earlier call
// (the roster's index of an activation's bookings may lag behind it), or a new one.
func (h *Handler) book(ctx context.Context, a domain.Activation, index int, profile domain.Profile, level domain.SecurityLevel) (domain.Booking, domain.Expert, error) {
	for _, d := range a.Deployments {
		if d.ProfileIndex == index && d.BookingID != "" {
			expert, err := h.roster.GetExpert(ctx, d.ExpertID)
			return domain.Booking{ID: d.BookingID, ExpertID: d.ExpertID, ActivationID: a.ID, ProfileIndex: index,
				Period: d.Period}, expert, err
		}
	}
	deployed, err := h.roster.DeployExpert(ctx, store.DeployRequest{ActivationID: a.ID, ProfileIndex: index,
		Profile: profile, Level: level, Config: h.runtime.Config})
	return deployed.Booking, deployed.Expert, err
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
