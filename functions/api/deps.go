package api

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/fasttrack/fasttrack/shared/domain"
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

// ActivationFilter selects activations for GET /activations.
type ActivationFilter struct {
	// Office, when set, keeps only that office's activations (always set for country offices).
	Office        string
	Status        domain.Status
	Country       string
	CrisisType    domain.CrisisType
	CreatedAfter  time.Time
	CreatedBefore time.Time
	Limit         int
	// Cursor continues a previous page.
	Cursor string
}

// Activations stores activations.
type Activations interface {
	// CreateActivation stores a new activation; a conflict error if the id is taken.
	CreateActivation(ctx context.Context, activation domain.Activation) error
	// GetActivation returns one activation; a not-found error if there is none.
	GetActivation(ctx context.Context, id string) (domain.Activation, error)
	// ListActivations returns a page of activations, newest first, and the next page's cursor.
	ListActivations(ctx context.Context, filter ActivationFilter) ([]domain.Activation, string, error)
	// RequestCancellation marks the activation as cancel-requested, conditionally on its
	// version; a conflict error if it changed meanwhile or cannot be cancelled.
	RequestCancellation(ctx context.Context, id string, version int, reason string, at time.Time) (domain.Activation, error)
}

// IdempotencyRecord is what an Idempotency-Key stands for: who sent which request, and the
// answer once there is one.
type IdempotencyRecord struct {
	// Key is the caller's subject and the header value, so two callers never share a key.
	Key string
	// Fingerprint is the SHA-256 of the request body.
	Fingerprint string
	// ActivationID is the id the first request was given.
	ActivationID string
	// Status and Body are the first answer; Status is zero while it is being made.
	Status    int
	Body      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// IdempotencyKeys keeps the answers of POST requests by idempotency key.
type IdempotencyKeys interface {
	// ClaimKey stores record if its key is new and returns (record, true); otherwise it
	// returns the stored record and false.
	ClaimKey(ctx context.Context, record IdempotencyRecord) (IdempotencyRecord, bool, error)
	// CompleteKey records the first answer of a claimed key.
	CompleteKey(ctx context.Context, key string, status int, body []byte) error
}

// TaskFilter selects approval tasks for GET /tasks.
type TaskFilter struct {
	// Roles keeps tasks of these roles; empty means every role (auditors and admins).
	Roles      []domain.Role
	Status     domain.TaskStatus
	Country    string
	CrisisType domain.CrisisType
	DueBefore  time.Time
	Limit      int
	Cursor     string
}

// Tasks stores approval tasks and delegations.
type Tasks interface {
	// GetTask returns one task, with its task token; a not-found error if there is none.
	GetTask(ctx context.Context, id string) (domain.ApprovalTask, error)
	// ListTasks returns a page of tasks, open ones first, then by priority (highest first) and
	// deadline (soonest first).
	ListTasks(ctx context.Context, filter TaskFilter) ([]domain.ApprovalTask, string, error)
	// TasksOfActivation returns every task of an activation.
	TasksOfActivation(ctx context.Context, activationID string) ([]domain.ApprovalTask, error)
	// DecideTask records the decision with a conditional update OPEN -> DECIDED; a
	// *domain.TaskNotOpen if the task is no longer open.
	DecideTask(ctx context.Context, id string, decision domain.Decision) (domain.ApprovalTask, error)
	// ReassignTask gives an open task to one person; *domain.TaskNotOpen if it is not open.
	ReassignTask(ctx context.Context, id, assignee string, at time.Time) (domain.ApprovalTask, error)
	// PutDelegation stores a delegation.
	PutDelegation(ctx context.Context, delegation domain.Delegation) error
	// DelegationsFrom returns the delegations a user has given, in force or not.
	DelegationsFrom(ctx context.Context, user string) ([]domain.Delegation, error)
}

// Fund is the rapid action fund.
type Fund interface {
	// Balances returns the balance of every currency.
	Balances(ctx context.Context) ([]domain.FundBalance, error)
	// Ledger returns the latest entries of a currency (every currency when empty), newest first.
	Ledger(ctx context.Context, currency string, limit int) ([]domain.LedgerEntry, error)
	// Contribute adds a donor contribution: balance and ledger entry in one transaction.
	Contribute(ctx context.Context, amount domain.Money, reference, actor string, at time.Time) (domain.LedgerEntry, domain.FundBalance, error)
}

// ExpertFilter selects experts for GET /experts.
type ExpertFilter struct {
	Area     domain.Area
	Language string
	Limit    int
	Cursor   string
}

// Roster stores experts and their insurance policies.
type Roster interface {
	// PutExpert adds or replaces an expert's profile (keeping their bookings); created says
	// which.
	PutExpert(ctx context.Context, expert domain.Expert) (domain.Expert, bool, error)
	// GetExpert returns one expert; a not-found error if there is none.
	GetExpert(ctx context.Context, id string) (domain.Expert, error)
	// ListExperts returns a page of experts.
	ListExperts(ctx context.Context, filter ExpertFilter) ([]domain.Expert, string, error)
	// PutPolicy adds or replaces an insurance policy; created says which.
	PutPolicy(ctx context.Context, policy domain.InsurancePolicy) (domain.InsurancePolicy, bool, error)
	// Policies returns an expert's policies.
	Policies(ctx context.Context, expertID string) ([]domain.InsurancePolicy, error)
}

// AuditEvent is one event of the audit trail as the API records and shows it.
type AuditEvent struct {
	ActivationID string    `json:"activationId,omitempty"`
	Seq          int64     `json:"seq,omitempty"`
	Time         time.Time `json:"time"`
	Actor        string    `json:"actor"`
	Role         string    `json:"role,omitempty"`
	Office       string    `json:"office,omitempty"`
	Country      string    `json:"country,omitempty"`
	Action       string    `json:"action"`
	Step         string    `json:"step,omitempty"`
	Before       any       `json:"before,omitempty"`
	After        any       `json:"after,omitempty"`
	// WorkflowEvent is the execution and event the audit event belongs to, if any.
	WorkflowEvent any    `json:"workflowEvent,omitempty"`
	Hash          string `json:"hash,omitempty"`
	PreviousHash  string `json:"previousHash,omitempty"`
}

// AuditFilter selects audit events for GET /audit and the export.
type AuditFilter struct {
	ActivationID string
	Actor        string
	Country      string
	Action       string
	From         time.Time
	To           time.Time
	Limit        int
	Cursor       string
}

// AuditTrail is the append-only audit trail.
type AuditTrail interface {
	// Append adds an event (chained to the previous one of its activation).
	Append(ctx context.Context, event AuditEvent) error
	// Search returns a page of events, oldest first.
	Search(ctx context.Context, filter AuditFilter) ([]AuditEvent, string, error)
}

// Reference loads reference data (countries, duty stations) for validation.
type Reference interface {
	Reference(ctx context.Context) (domain.Reference, error)
}

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
}

func (d Dependencies) check() error {
	if d.Activations == nil || d.Idempotency == nil || d.Tasks == nil || d.Fund == nil || d.Roster == nil ||
		d.Audit == nil || d.Reference == nil || d.Workflow == nil {
		return errors.New("api: every dependency is required")
	}
	return nil
}
