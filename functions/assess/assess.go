// Package assess is the workflow's first step: it applies the eligibility rules to the stored
// request, scores its priority, records the duty station's security level, moves the activation
// from REQUESTED to IN_PROGRESS, and tells the rest of the workflow what to work on (the
// profiles to staff) and how to ask people for help (the hr task descriptors).
package assess

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// Name is the function's registry name and the name of its step.
const Name = "assess"

// Input is the state's Parameters.
type Input struct {
	ActivationID string `json:"activationId"`
	// Execution is the execution ARN ($$.Execution.Id).
	Execution string `json:"execution"`
	// StartedAt is when the execution started ($$.Execution.StartTime).
	StartedAt string `json:"startedAt,omitempty"`
	State     string `json:"state,omitempty"`
}

// Profile is one requested expert profile, with its position in the request.
type Profile struct {
	Index     int         `json:"index"`
	Area      domain.Area `json:"area"`
	Languages []string    `json:"languages"`
	StartDate domain.Date `json:"startDate"`
	Days      int         `json:"days"`
}

// Tasks are the descriptors of the hr tasks the later steps may open.
type Tasks struct {
	Sourcing  step.Task `json:"sourcing"`
	Enrolment step.Task `json:"enrolment"`
}

// Output goes to $.assessment.
type Output struct {
	Priority      int                  `json:"priority"`
	SecurityLevel domain.SecurityLevel `json:"securityLevel"`
	Profiles      []Profile            `json:"profiles"`
	Tasks         Tasks                `json:"tasks"`
}

// Reference gives the countries and duty stations; *store.Store has it.
type Reference interface {
	LoadReference(ctx context.Context) (*domain.ReferenceSet, error)
}

var _ Reference = (*store.Store)(nil)

// referenceMaxAge is how long the step uses the reference data it read, as the API does: a
// country's membership or a duty station's level changes rarely and by hand, and the API
// checked the request against data as old a moment before. A country or duty station missing
// from what was read is read again at once. The level that decides clearance is read fresh by
// the clearance step.
const referenceMaxAge = time.Minute

// Handler assesses activations.
type Handler struct {
	runtime   step.Runtime
	reference Reference

	mu     sync.Mutex
	cached *domain.ReferenceSet
	readAt time.Time
}

// NewHandler returns the handler over the runtime and the reference data.
func NewHandler(runtime step.Runtime, reference Reference) *Handler {
	runtime.Name = Name
	return &Handler{runtime: runtime.Defaults(), reference: reference}
}

// New is the registry constructor: the handler on the deployment's tables.
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
		call.State = "Assess"
	}
	if err := call.Check(); err != nil {
		return Output{}, err
	}
	started := h.runtime.Clock()
	current, err := h.runtime.Load(ctx, in.ActivationID)
	if err != nil {
		return Output{}, err
	}
	ref, err := h.referenceFor(ctx, current.Country, current.DutyStation)
	if err != nil {
		return Output{}, err
	}
	cfg := h.runtime.Config
	a, _, err := h.runtime.AdvanceFrom(ctx, current, func(a domain.Activation) (*store.Change, error) {
		if err := step.Proceeding(a); err != nil {
			return nil, err
		}
		if _, done := step.FindStep(a, Name, "succeeded"); done {
			return nil, nil
		}
		if a.Status != domain.StatusRequested {
			return nil, &domain.IllegalTransition{From: a.Status, To: domain.StatusInProgress}
		}
		country, _ := ref.Country(a.Country)
		station, found := ref.DutyStation(a.Country, a.DutyStation)
		eligibility := domain.CheckEligibility(a.ActivationRequest, country, cfg)
		if !found {
			eligibility.Eligible = false
			eligibility.Reasons = append(eligibility.Reasons, fmt.Sprintf("%s is not a known duty station of %s", a.DutyStation, a.Country))
		}
		if err := eligibility.Err(); err != nil {
			return nil, err
		}
		breakdown := domain.PriorityScore(a.ActivationRequest, country, station.Level, cfg)
		level := station.Level
		detail := fmt.Sprintf("eligible; priority %d; %s level %d", breakdown.Score, a.DutyStation, level)
		return &store.Change{To: domain.StatusInProgress, Priority: &breakdown.Score, SecurityLevel: &level,
			ExecutionArn: nonEmpty(in.Execution), Step: &domain.Step{Name: Name, Status: "succeeded", Detail: detail},
			Events: []audit.Event{
				h.runtime.Event(call, a, audit.ActionActivationStatus, "", map[string]any{"status": a.Status, "version": a.Version},
					map[string]any{"status": domain.StatusInProgress, "priority": breakdown.Score, "securityLevel": level}),
				h.runtime.Event(call, a, audit.ActionStepCompleted, Name, nil, map[string]any{
					"step": Name, "startedAt": started, "endedAt": h.runtime.Clock(), "priority": breakdown}),
			}}, nil
	})
	if err != nil {
		return Output{}, err
	}
	return answer(a.Activation, h.runtime), nil
}

// referenceFor returns reference data no older than referenceMaxAge that knows the country and
// the duty station, reading it again when needed.
func (h *Handler) referenceFor(ctx context.Context, country, station string) (domain.Reference, error) {
	now := h.runtime.Clock()
	h.mu.Lock()
	set, readAt := h.cached, h.readAt
	h.mu.Unlock()
	if set != nil && now.Sub(readAt) < referenceMaxAge && !now.Before(readAt) {
		_, knownCountry := set.Country(country)
		_, knownStation := set.DutyStation(country, station)
		if knownCountry && knownStation {
			return set, nil
		}
	}
	set, err := h.reference.LoadReference(ctx)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.cached, h.readAt = set, now
	h.mu.Unlock()
	return set, nil
}

// answer is the step's output, made only from what is stored and configured, so that a retry
// answers the same.
func answer(a domain.Activation, runtime step.Runtime) Output {
	out := Output{Priority: a.Priority, SecurityLevel: a.SecurityLevel, Profiles: make([]Profile, len(a.Profiles)),
		Tasks: Tasks{
			Sourcing:  step.NewTask(domain.RoleHR, domain.KindExpertSourcing, runtime.Config),
			Enrolment: step.NewTask(domain.RoleHR, domain.KindInsuranceEnrolment, runtime.Config),
		}}
	for i, p := range a.Profiles {
		out.Profiles[i] = Profile{Index: i, Area: p.Area, Languages: p.Languages, StartDate: p.StartDate, Days: p.Days}
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
