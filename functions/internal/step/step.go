// Package step is what the workflow's step functions share: the runtime every handler is built
// on (the activation store, the clock, the rules), the conditional status change that makes
// each step idempotent, the audit events a step records, the task descriptor the workflow
// carries, the error boundary that names errors for Retry/Catch, the clearance gate,
// embedded-format metrics and the event publisher.
//
// A step is idempotent by construction: its change to the activation (status, fields and its
// own step record), the audit events that record it and the step's other writes (money,
// bookings) are one transaction conditional on the status and version it read (store.Commit),
// and a step that finds its own record already there returns the answer it gave the first
// time and changes nothing: its events and writes are there too. Parallel branches that touch
// the same activation lose the version race at worst, read again and go on.
package step

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Actor is the audit actor of every automated step; the step's function name goes in the
// event's role.
const Actor = "system"

// Activations is what every step needs of the activation store; *store.Store has it.
type Activations interface {
	// ReadActivation reads the activation (strongly consistent) with its audit head;
	// not_found if there is none.
	ReadActivation(ctx context.Context, id string) (store.Current, error)
	// Commit writes a change of the activation with its audit events and other writes in one
	// transaction, conditional on the status, version and audit head read;
	// *domain.StaleVersion on a lost race, *domain.IllegalTransition for an illegal change.
	Commit(ctx context.Context, base store.Current, c store.Change) (store.Current, []audit.Event, error)
}

// OpenTasks is what a step needs to know whether people are still deciding on an activation.
type OpenTasks interface {
	// TasksOfActivation returns the activation's tasks, oldest first.
	TasksOfActivation(ctx context.Context, activationID string) ([]domain.ApprovalTask, error)
}

var (
	_ Activations = (*store.Store)(nil)
	_ OpenTasks   = (*store.Store)(nil)
)

// Runtime is what a step function is built on.
type Runtime struct {
	// Name is the function's registry name ("assess"): the audit role of its events.
	Name        string
	Activations Activations
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Config holds the rules' numbers; config.Default() when nil.
	Config *config.Config
	// Logger receives operational logs and metrics; slog.Default() when nil.
	Logger *slog.Logger
	// Stage is the deployment stage, the dimension of the metrics.
	Stage string
}

// Defaults fills the optional fields.
func (r Runtime) Defaults() Runtime {
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Config == nil {
		r.Config = config.Default()
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	return r
}

// Clock returns the current time in UTC.
func (r Runtime) Clock() time.Time { return r.Now().UTC() }

// Call is the workflow context of one invocation: which activation, which execution and which
// state, for the audit events' workflow reference.
type Call struct {
	ActivationID string `json:"activationId"`
	Execution    string `json:"execution,omitempty"`
	State        string `json:"state,omitempty"`
}

// Check reports a call without an activation id.
func (c Call) Check() error {
	if strings.TrimSpace(c.ActivationID) == "" {
		return domain.Invalid(domain.FieldErrors{{Field: "activationId", Reason: "is required"}})
	}
	return nil
}

// WorkflowEvent is the audit reference of the call: "execution ARN#state name".
func (c Call) WorkflowEvent() string {
	if c.Execution == "" && c.State == "" {
		return ""
	}
	return c.Execution + "#" + c.State
}

// Load reads the activation with its audit head, for Commit.
func (r Runtime) Load(ctx context.Context, id string) (store.Current, error) {
	return r.Activations.ReadActivation(ctx, id)
}

// Proceeding returns *domain.ActivationCancelled when the office asked to cancel the activation
// or compensation has begun: no step works on it any more.
func Proceeding(a domain.Activation) error {
	if a.CancelRequested || a.Status == domain.StatusCompensating || a.Status == domain.StatusCancelled {
		return Cancelled(a.ID)
	}
	return nil
}

// maxRaces bounds how often a step re-reads an activation that others keep changing.
const maxRaces = 25

// Advance applies one change to the activation. decide sees the activation as it is now and
// returns the change to make (with the audit events that record it and the step's other
// writes), or nil when there is nothing to do (the step's work is already recorded: a retry).
// The change, its events and its writes are one transaction, conditional on the status,
// version and audit head decide saw; when another branch changed the activation meanwhile,
// Advance reads it again and asks decide again. It returns the activation after the change (or
// as found) and whether this call changed it.
func (r Runtime) Advance(ctx context.Context, id string, decide func(a domain.Activation) (*store.Change, error)) (store.Current, bool, error) {
	return r.AdvanceFrom(ctx, store.Current{Activation: domain.Activation{ID: id}}, decide)
}

// AdvanceFrom is Advance starting from the activation the step read already (no second read
// when nobody changed it since); a base without a version is read first.
func (r Runtime) AdvanceFrom(ctx context.Context, base store.Current, decide func(a domain.Activation) (*store.Change, error)) (store.Current, bool, error) {
	id := base.ID
	for range maxRaces {
		if base.Version == 0 {
			var err error
			if base, err = r.Load(ctx, id); err != nil {
				return base, false, err
			}
		}
		change, err := decide(base.Activation)
		if err != nil || change == nil {
			return base, false, err
		}
		if change.Step != nil && change.Step.At.IsZero() {
			step := *change.Step
			step.At = r.Clock()
			change.Step = &step
		}
		next, _, err := r.Activations.Commit(ctx, base, *change)
		var moved *store.Changed
		var stale *domain.StaleVersion
		switch {
		case errors.As(err, &moved):
			base = moved.Current // as the failed condition found it: no read
			continue
		case errors.As(err, &stale):
			base = store.Current{Activation: domain.Activation{ID: id}}
			continue
		}
		if err != nil {
			return base, false, err
		}
		return next, true, nil
	}
	return store.Current{}, false, &TransientError{Message: fmt.Sprintf(
		"activation %s kept changing while %s tried to record its step", id, r.Name)}
}

// HasStep reports whether the activation already records a step of that name, status and
// detail.
func HasStep(a domain.Activation, name, status, detail string) bool {
	for _, s := range a.Steps {
		if s.Name == name && s.Status == status && s.Detail == detail {
			return true
		}
	}
	return false
}

// FindStep returns the first step of that name and status.
func FindStep(a domain.Activation, name, status string) (domain.Step, bool) {
	for _, s := range a.Steps {
		if s.Name == name && s.Status == status {
			return s, true
		}
	}
	return domain.Step{}, false
}

// Progress returns the status an activation in progress should have now: AWAITING_APPROVAL
// while any of its tasks is open, IN_PROGRESS otherwise. Other statuses are kept.
//
// An activation IN_PROGRESS stays so without reading its tasks: a task is opened only by the
// approvals step, which moves the activation to AWAITING_APPROVAL itself once the task is
// stored, so an open task that an IN_PROGRESS activation does not show yet is about to show.
// Only AWAITING_APPROVAL, which a decision leaves behind, needs the tasks read.
func Progress(ctx context.Context, tasks OpenTasks, a domain.Activation) (domain.Status, error) {
	if a.Status != domain.StatusAwaitingApproval {
		return a.Status, nil
	}
	all, err := tasks.TasksOfActivation(ctx, a.ID)
	if err != nil {
		return a.Status, err
	}
	for _, t := range all {
		if t.Status == domain.TaskOpen {
			return domain.StatusAwaitingApproval, nil
		}
	}
	return domain.StatusInProgress, nil
}

// Event builds an audit event of the step about the activation.
func (r Runtime) Event(call Call, a domain.Activation, action, subject string, before, after any) audit.Event {
	return audit.Event{Time: r.Clock(), Actor: Actor, Role: r.Name, Office: a.Office, Action: action,
		ActivationID: a.ID, Country: a.Country, Subject: subject, Before: audit.JSON(before), After: audit.JSON(after),
		WorkflowEvent: call.WorkflowEvent()}
}

// Metric logs one value of a CloudWatch metric counted by the stage (registry.LogMetric): in
// embedded metric format on Lambda, which CloudWatch Logs turns into the metric of
// registry.MetricsNamespace; a short DEBUG line in a log for people.
func (r Runtime) Metric(name string, value float64) {
	registry.LogMetric(context.Background(), r.Logger, registry.Metric{Name: name, Unit: "Count", Value: value, At: r.Clock(),
		Dimensions: []registry.Dimension{{Name: registry.MetricDimensionStage, Value: r.Stage}}})
}

// Decode reads a JSON document into v strictly: an unknown field is an error naming it.
func Decode(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return domain.Invalid(domain.FieldErrors{{Field: "input", Reason: err.Error()}})
	}
	return nil
}

// Build makes the store and the runtime of the named registry function from its Env: the
// rules from the environment (config.Load), the tables the function's registry entry grants,
// the Env's clock and logger.
func Build(env registry.Env, name string) (*store.Store, Runtime, error) {
	function, ok := registry.Lookup(name)
	if !ok {
		return nil, Runtime{}, fmt.Errorf("%s: not a registry function", name)
	}
	rules, err := config.Load(os.Getenv)
	if err != nil {
		return nil, Runtime{}, err
	}
	names := tables.Names{}
	for _, grant := range function.Tables {
		physical, err := env.Table(grant.Table)
		if err != nil {
			return nil, Runtime{}, fmt.Errorf("%s: %w", name, err)
		}
		names[grant.Table] = physical
	}
	st := store.New(dynamodb.NewFromConfig(env.AWS), names, store.Options{Now: env.Clock(), IdempotencyTTL: rules.Idempotency.TTL.D()})
	rt := Runtime{Name: name, Activations: st, Now: env.Clock(), Config: rules, Logger: env.Log(), Stage: env.Stage}
	return st, rt.Defaults(), nil
}
