package api

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// Workflow is the part of the Step Functions API the API uses. *sfn.Client satisfies it, talking
// to AWS or to the embedded engine's server alike.
type Workflow interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, options ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	StopExecution(ctx context.Context, in *sfn.StopExecutionInput, options ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, options ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, options ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, options ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, options ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	RedriveExecution(ctx context.Context, in *sfn.RedriveExecutionInput, options ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error)
}

var _ Workflow = (*sfn.Client)(nil)

// Activations is what the API needs of the activation store (shared/store).
type Activations interface {
	// CreateActivationRecorded stores a new activation with the audit events that record it,
	// in one transaction; *store.AlreadyExists if the id is taken.
	CreateActivationRecorded(ctx context.Context, a domain.Activation, events ...audit.Event) (domain.Activation, []audit.Event, error)
	// GetActivation returns one activation; not_found if there is none.
	GetActivation(ctx context.Context, id string) (domain.Activation, error)
	// ListActivations lists activations newest first, of one office or of all.
	ListActivations(ctx context.Context, q store.ActivationQuery) (store.Page[domain.Activation], error)
	// RequestCancel marks a non-terminal activation for cancellation; conflict if it ended.
	RequestCancel(ctx context.Context, id string) (domain.Activation, error)
	// AppendStep records a step on the activation (a progress note: no status change, no
	// version bump); not_found if there is no such activation.
	AppendStep(ctx context.Context, id string, step domain.Step) error
}

// IdempotencyKeys is what the API needs of the idempotency store.
type IdempotencyKeys interface {
	// GetIdempotencyKey returns the claim of (office, key); not_found if there is none.
	GetIdempotencyKey(ctx context.Context, office, key string) (store.Claim, error)
	// CreateActivationOnce creates the activation at most once per (office, key);
	// unprocessable if the key was used with another fingerprint.
	CreateActivationOnce(ctx context.Context, key, fingerprint string, a domain.Activation, events ...audit.Event) (domain.Activation, bool, error)
	// CompleteIdempotencyKey records the first answer.
	CompleteIdempotencyKey(ctx context.Context, office, key string, status int, body []byte) error
}

// Tasks is what the API needs of the task store.
type Tasks interface {
	GetTask(ctx context.Context, id string) (domain.ApprovalTask, error)
	// TaskToken returns the task's workflow callback token.
	TaskToken(ctx context.Context, id string) (string, error)
	// ListTasks is one role's inbox: open first, by priority then deadline.
	ListTasks(ctx context.Context, q store.TaskQuery) (store.Page[domain.ApprovalTask], error)
	TasksOfActivation(ctx context.Context, activationID string) ([]domain.ApprovalTask, error)
	// PriorDecisions returns the decisions already taken on the activation's tasks.
	PriorDecisions(ctx context.Context, activationID string) ([]domain.PriorDecision, error)
	// Decide decides an OPEN task once (conditional update) and returns it with its token;
	// *domain.TaskNotOpen for a second decision or a task past its deadline.
	Decide(ctx context.Context, id string, d domain.Decision) (domain.ApprovalTask, string, error)
	// Reassign gives an OPEN task to one person; *domain.TaskNotOpen if it is not open.
	Reassign(ctx context.Context, id, assignee string) (domain.ApprovalTask, error)
	// CreateDelegation records a delegation and returns it with its id.
	CreateDelegation(ctx context.Context, d domain.Delegation) (domain.Delegation, error)
	// DelegationsFrom returns the delegations a person made.
	DelegationsFrom(ctx context.Context, user string) ([]domain.Delegation, error)
	// GetDelegation returns one delegation; not_found if there is none.
	GetDelegation(ctx context.Context, id string) (domain.Delegation, error)
	// ListDelegations lists delegations newest first, one page at a time.
	ListDelegations(ctx context.Context, q store.DelegationQuery) (store.Page[domain.Delegation], error)
	// RevokeDelegation ends a delegation now and returns it before and after; conflict if it
	// was revoked already or is over.
	RevokeDelegation(ctx context.Context, id, by string) (domain.Delegation, domain.Delegation, error)
}

// Fund is what the API needs of the fund store.
type Fund interface {
	// Contribute adds a donor's contribution (idempotent per contribution id).
	Contribute(ctx context.Context, c store.Contribution) (domain.LedgerEntry, error)
	Balance(ctx context.Context, currency string) (domain.FundBalance, error)
	Ledger(ctx context.Context, currency string, limit int, cursor string) (store.Page[domain.LedgerEntry], error)
}

// Roster is what the API needs of the roster store.
type Roster interface {
	// CreateExpert adds an expert if the id is free (false if it exists).
	CreateExpert(ctx context.Context, e domain.Expert) (bool, error)
	// UpdateExpert changes an expert's profile (not their bookings), moving their version on.
	UpdateExpert(ctx context.Context, e domain.Expert) (domain.Expert, error)
	// UpdateExpertAt is UpdateExpert on the condition that the expert's version is one of
	// versions (*store.ExpertChanged if not).
	UpdateExpertAt(ctx context.Context, e domain.Expert, versions []int) (domain.Expert, error)
	GetExpert(ctx context.Context, id string) (domain.Expert, error)
	ListExperts(ctx context.Context) ([]domain.Expert, error)
	PutPolicy(ctx context.Context, p domain.InsurancePolicy) error
	Policies(ctx context.Context, expertID string) ([]domain.InsurancePolicy, error)
	// BookingsOfExpert returns every booking of the expert, cancelled ones included.
	BookingsOfExpert(ctx context.Context, expertID string) ([]domain.Booking, error)
	// Candidates reads the roster with the days each expert's bookings hold, as the booking
	// step reads it (an hr sourcing task's approval asks store.Matching whether anybody fits).
	Candidates(ctx context.Context) ([]store.Candidate, error)
}

// AuditTrail is what the API needs of the audit trail.
type AuditTrail interface {
	// AppendAudit appends the event to its stream's hash chain.
	AppendAudit(ctx context.Context, e audit.Event) (audit.Event, error)
	// AuditOfActivation lists an activation's events in order.
	AuditOfActivation(ctx context.Context, activationID string, limit int, cursor string) (store.Page[audit.Event], error)
	// QueryAudit searches the trail.
	QueryAudit(ctx context.Context, q store.AuditQuery) (store.Page[audit.Event], error)
}

// Reference gives the reference data (countries, duty stations) that validation needs.
type Reference interface {
	// LoadReference reads every country and duty station.
	LoadReference(ctx context.Context) (*domain.ReferenceSet, error)
}

// Directory tells who a person is: their roles and office, by the id delegations and
// reassignments name (auth.Principal.Actor). On one machine it is the stored accounts
// (auth.AccountDirectory), on AWS the Cognito user pool (auth.CognitoDirectory) behind a cache
// (auth.CachedDirectory).
type Directory interface {
	// Person returns the person with that id; a not_found error (domain.CodeNotFound) whose
	// message says in words why ("finance-9 is not a user") if there is none. The account's ID
	// is the person's id as the directory knows it, which is what gets stored: it may differ
	// from what was asked (an e-mail alias, another case).
	Person(ctx context.Context, id string) (domain.Account, error)
}

var (
	_ Directory = auth.AccountDirectory{}
	_ Directory = (*auth.CognitoDirectory)(nil)
	_ Directory = (*auth.CachedDirectory)(nil)
)

// The store satisfies every store-side interface as it is.
var (
	_ Activations     = (*store.Store)(nil)
	_ IdempotencyKeys = (*store.Store)(nil)
	_ Tasks           = (*store.Store)(nil)
	_ Fund            = (*store.Store)(nil)
	_ Roster          = (*store.Store)(nil)
	_ AuditTrail      = (*store.Store)(nil)
	_ Reference       = (*store.Store)(nil)
)

// Dependencies are what the API is built on.
type Dependencies struct {
	Activations Activations
	Idempotency IdempotencyKeys
	Tasks       Tasks
	Fund        Fund
	Roster      Roster
	Audit       AuditTrail
	Reference   Reference
	Workflow    Workflow
	// Directory answers who the people named in delegations and reassignments are.
	Directory Directory
}

// StoreDependencies wires every store-side dependency to one *store.Store, the directory to
// its accounts (the local system's people) included. On AWS, NewLambda puts the Cognito user
// pool's directory in its place.
func StoreDependencies(s *store.Store, workflow Workflow) Dependencies {
	return Dependencies{Activations: s, Idempotency: s, Tasks: s, Fund: s, Roster: s, Audit: s, Reference: s, Workflow: workflow,
		Directory: auth.AccountDirectory{Accounts: s}}
}

func (d Dependencies) check() error {
	if d.Activations == nil || d.Idempotency == nil || d.Tasks == nil || d.Fund == nil || d.Roster == nil ||
		d.Audit == nil || d.Reference == nil || d.Workflow == nil || d.Directory == nil {
		return errors.New("api: every dependency is required")
	}
	return nil
}
