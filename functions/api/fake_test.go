package api_test

// In-memory stand-ins for the store and the Step Functions client, for the handler tests until
// the DynamoDB store and the embedded engine's server are wired in. They keep the contracts the
// interfaces document (conditional decisions, exactly-once execution names, consumed tokens).

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

type memoryStore struct {
	mu          sync.Mutex
	activations map[string]domain.Activation
	keys        map[string]api.IdempotencyRecord
	tasks       map[string]domain.ApprovalTask
	delegations []domain.Delegation
	balances    map[string]domain.FundBalance
	ledger      []domain.LedgerEntry
	experts     map[string]domain.Expert
	policies    map[string]domain.InsurancePolicy
	audit       []api.AuditEvent
	reference   *domain.ReferenceSet
	panics      bool
}

var (
	_ api.Activations     = (*memoryStore)(nil)
	_ api.IdempotencyKeys = (*memoryStore)(nil)
	_ api.Tasks           = (*memoryStore)(nil)
	_ api.Fund            = (*memoryStore)(nil)
	_ api.Roster          = (*memoryStore)(nil)
	_ api.AuditTrail      = (*memoryStore)(nil)
	_ api.Reference       = (*memoryStore)(nil)
)

func newMemoryStore() *memoryStore {
	return &memoryStore{
		activations: map[string]domain.Activation{},
		keys:        map[string]api.IdempotencyRecord{},
		tasks:       map[string]domain.ApprovalTask{},
		balances:    map[string]domain.FundBalance{"USD": {Currency: "USD", Available: 200_000_000, Contributed: 200_000_000}},
		experts:     map[string]domain.Expert{},
		policies:    map[string]domain.InsurancePolicy{},
		reference: domain.NewReferenceSet(
			[]domain.Country{
				{Code: "KE", Name: "Kenya", Population: 55_000_000, MemberState: true, HasCountryOffice: true},
				{Code: "HT", Name: "Haiti", Population: 11_500_000, MemberState: true, Fragile: true, HasCountryOffice: true},
				{Code: "YE", Name: "Yemen", Population: 34_000_000, MemberState: true, Fragile: true, HasCountryOffice: true},
				{Code: "TW", Name: "Taiwan", Population: 23_000_000, MemberState: false},
			},
			[]domain.DutyStation{
				{Country: "KE", Name: "Nairobi", Level: 2}, {Country: "KE", Name: "Mombasa", Level: 3},
				{Country: "HT", Name: "Port-au-Prince", Level: 4}, {Country: "YE", Name: "Aden", Level: 5},
				{Country: "YE", Name: "Sana'a", Level: 6}, {Country: "TW", Name: "Taipei", Level: 1},
			}),
	}
}

func (m *memoryStore) lock() func() {
	m.mu.Lock()
	if m.panics {
		m.mu.Unlock()
		panic("store exploded: table fasttrack-activations-internal")
	}
	return m.mu.Unlock
}

func page[T any](items []T, cursor string, limit int) ([]T, string) {
	start, _ := strconv.Atoi(cursor)
	if start > len(items) {
		start = len(items)
	}
	end := min(start+max(limit, 1), len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return slices.Clone(items[start:end]), next
}

func (m *memoryStore) CreateActivation(_ context.Context, a domain.Activation) error {
	defer m.lock()()
	if _, ok := m.activations[a.ID]; ok {
		return domain.Errorf(domain.CodeConflict, "activation %s exists", a.ID)
	}
	m.activations[a.ID] = a
	return nil
}

func (m *memoryStore) GetActivation(_ context.Context, id string) (domain.Activation, error) {
	defer m.lock()()
	a, ok := m.activations[id]
	if !ok {
		return domain.Activation{}, domain.NotFound("activation", id)
	}
	return a, nil
}

func (m *memoryStore) ListActivations(_ context.Context, f api.ActivationFilter) ([]domain.Activation, string, error) {
	defer m.lock()()
	var out []domain.Activation
	for _, a := range m.activations {
		if (f.Office == "" || a.Office == f.Office) && (f.Status == "" || a.Status == f.Status) &&
			(f.Country == "" || a.Country == f.Country) && (f.CrisisType == "" || a.CrisisType == f.CrisisType) &&
			(f.CreatedAfter.IsZero() || !a.CreatedAt.Before(f.CreatedAfter)) && (f.CreatedBefore.IsZero() || a.CreatedAt.Before(f.CreatedBefore)) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b domain.Activation) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return compare(a.ID, b.ID)
	})
	items, next := page(out, f.Cursor, f.Limit)
	return items, next, nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *memoryStore) RequestCancellation(_ context.Context, id string, version int, reason string, at time.Time) (domain.Activation, error) {
	defer m.lock()()
	a, ok := m.activations[id]
	if !ok {
		return a, domain.NotFound("activation", id)
	}
	if a.Version != version {
		return a, &domain.StaleVersion{Entity: "activation", ID: id, Expected: version, Actual: a.Version}
	}
	a.CancelRequested, a.Reason, a.UpdatedAt, a.Version = true, reason, at, a.Version+1
	m.activations[id] = a
	return a, nil
}

func (m *memoryStore) ClaimKey(_ context.Context, r api.IdempotencyRecord) (api.IdempotencyRecord, bool, error) {
	defer m.lock()()
	if existing, ok := m.keys[r.Key]; ok {
		return existing, false, nil
	}
	m.keys[r.Key] = r
	return r, true, nil
}

func (m *memoryStore) CompleteKey(_ context.Context, key string, status int, body []byte) error {
	defer m.lock()()
	r := m.keys[key]
	r.Status, r.Body = status, body
	m.keys[key] = r
	return nil
}

func (m *memoryStore) GetTask(_ context.Context, id string) (domain.ApprovalTask, error) {
	defer m.lock()()
	t, ok := m.tasks[id]
	if !ok {
		return t, domain.NotFound("task", id)
	}
	return t, nil
}

func (m *memoryStore) ListTasks(_ context.Context, f api.TaskFilter) ([]domain.ApprovalTask, string, error) {
	defer m.lock()()
	var out []domain.ApprovalTask
	for _, t := range m.tasks {
		if (len(f.Roles) == 0 || slices.Contains(f.Roles, t.Role)) && (f.Status == "" || t.Status == f.Status) &&
			(f.Country == "" || t.Summary.Country == f.Country) && (f.CrisisType == "" || t.Summary.CrisisType == f.CrisisType) &&
			(f.DueBefore.IsZero() || t.Deadline.Before(f.DueBefore)) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b domain.ApprovalTask) int { return compare(a.ID, b.ID) })
	items, next := page(out, f.Cursor, f.Limit)
	return items, next, nil
}

func (m *memoryStore) TasksOfActivation(_ context.Context, id string) ([]domain.ApprovalTask, error) {
	defer m.lock()()
	var out []domain.ApprovalTask
	for _, t := range m.tasks {
		if t.ActivationID == id {
			out = append(out, t)
		}
	}
	return out, nil
}

func (m *memoryStore) DecideTask(_ context.Context, id string, d domain.Decision) (domain.ApprovalTask, error) {
	defer m.lock()()
	t, ok := m.tasks[id]
	if !ok {
		return t, domain.NotFound("task", id)
	}
	if t.Status != domain.TaskOpen {
		return t, &domain.TaskNotOpen{TaskID: id, Status: t.Status}
	}
	t.Status, t.Decision, t.UpdatedAt = domain.TaskDecided, &d, d.At
	m.tasks[id] = t
	return t, nil
}

func (m *memoryStore) ReassignTask(_ context.Context, id, assignee string, at time.Time) (domain.ApprovalTask, error) {
	defer m.lock()()
	t, ok := m.tasks[id]
	if !ok {
		return t, domain.NotFound("task", id)
	}
	if t.Status != domain.TaskOpen {
		return t, &domain.TaskNotOpen{TaskID: id, Status: t.Status}
	}
	t.Assignee, t.UpdatedAt = assignee, at
	m.tasks[id] = t
	return t, nil
}

func (m *memoryStore) PutDelegation(_ context.Context, d domain.Delegation) error {
	defer m.lock()()
	m.delegations = append(m.delegations, d)
	return nil
}

func (m *memoryStore) DelegationsFrom(_ context.Context, user string) ([]domain.Delegation, error) {
	defer m.lock()()
	var out []domain.Delegation
	for _, d := range m.delegations {
		if d.FromUser == user {
			out = append(out, d)
		}
	}
	return out, nil
}

func (m *memoryStore) Balances(context.Context) ([]domain.FundBalance, error) {
	defer m.lock()()
	var out []domain.FundBalance
	for _, b := range m.balances {
		out = append(out, b)
	}
	return out, nil
}

func (m *memoryStore) Ledger(_ context.Context, currency string, limit int) ([]domain.LedgerEntry, error) {
	defer m.lock()()
	var out []domain.LedgerEntry
	for i := len(m.ledger) - 1; i >= 0 && len(out) < limit; i-- {
		if currency == "" || m.ledger[i].Currency == currency {
			out = append(out, m.ledger[i])
		}
	}
	return out, nil
}

func (m *memoryStore) Contribute(_ context.Context, amount domain.Money, reference, actor string, at time.Time) (domain.LedgerEntry, domain.FundBalance, error) {
	defer m.lock()()
	b := m.balances[amount.Currency]
	b.Currency, b.Available, b.Contributed, b.UpdatedAt = amount.Currency, b.Available+amount.Value, b.Contributed+amount.Value, at
	m.balances[amount.Currency] = b
	e := domain.LedgerEntry{ID: "entry-" + strconv.Itoa(len(m.ledger)+1), Kind: domain.EntryContribution, Currency: amount.Currency,
		Amount: amount.Value, Delta: amount.Value, Reference: reference, Actor: actor, At: at}
	m.ledger = append(m.ledger, e)
	return e, b, nil
}

func (m *memoryStore) PutExpert(_ context.Context, e domain.Expert) (domain.Expert, bool, error) {
	defer m.lock()()
	_, existed := m.experts[e.ID]
	e.Version++
	m.experts[e.ID] = e
	return e, !existed, nil
}

func (m *memoryStore) GetExpert(_ context.Context, id string) (domain.Expert, error) {
	defer m.lock()()
	e, ok := m.experts[id]
	if !ok {
		return e, domain.NotFound("expert", id)
	}
	return e, nil
}

func (m *memoryStore) ListExperts(_ context.Context, f api.ExpertFilter) ([]domain.Expert, string, error) {
	defer m.lock()()
	var out []domain.Expert
	for _, e := range m.experts {
		if (f.Area == "" || slices.Contains(e.Areas, f.Area)) && (f.Language == "" || slices.Contains(e.Languages, f.Language)) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b domain.Expert) int { return compare(a.ID, b.ID) })
	items, next := page(out, f.Cursor, f.Limit)
	return items, next, nil
}

func (m *memoryStore) PutPolicy(_ context.Context, p domain.InsurancePolicy) (domain.InsurancePolicy, bool, error) {
	defer m.lock()()
	_, existed := m.policies[p.ExpertID+"/"+p.ID]
	m.policies[p.ExpertID+"/"+p.ID] = p
	return p, !existed, nil
}

func (m *memoryStore) Policies(_ context.Context, expertID string) ([]domain.InsurancePolicy, error) {
	defer m.lock()()
	var out []domain.InsurancePolicy
	for _, p := range m.policies {
		if p.ExpertID == expertID {
			out = append(out, p)
		}
	}
	return out, nil
}

func (m *memoryStore) Append(_ context.Context, e api.AuditEvent) error {
	defer m.lock()()
	e.Seq = int64(len(m.audit) + 1)
	m.audit = append(m.audit, e)
	return nil
}

func (m *memoryStore) Search(_ context.Context, f api.AuditFilter) ([]api.AuditEvent, string, error) {
	defer m.lock()()
	var out []api.AuditEvent
	for _, e := range m.audit {
		if (f.ActivationID == "" || e.ActivationID == f.ActivationID) && (f.Actor == "" || e.Actor == f.Actor) &&
			(f.Country == "" || e.Country == f.Country) && (f.Action == "" || e.Action == f.Action) &&
			(f.From.IsZero() || !e.Time.Before(f.From)) && (f.To.IsZero() || e.Time.Before(f.To)) {
			out = append(out, e)
		}
	}
	items, next := page(out, f.Cursor, f.Limit)
	return items, next, nil
}

func (m *memoryStore) Reference(context.Context) (domain.Reference, error) {
	defer m.lock()()
	return m.reference, nil
}

func (m *memoryStore) count() (activations, keys, audit int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.activations), len(m.keys), len(m.audit)
}

// memoryWorkflow stands in for the Step Functions API: execution names are unique, a task token
// can be answered once.
type memoryWorkflow struct {
	mu         sync.Mutex
	executions map[string]string // name -> input
	starts     int
	tokens     map[string]bool // token -> still waiting
	successes  map[string]string
	failures   map[string][2]string
	history    map[string][]sfntypes.HistoryEvent
	status     map[string]sfntypes.ExecutionStatus
	redrives   int
}

var _ api.Workflow = (*memoryWorkflow)(nil)

func newMemoryWorkflow() *memoryWorkflow {
	return &memoryWorkflow{executions: map[string]string{}, tokens: map[string]bool{}, successes: map[string]string{},
		failures: map[string][2]string{}, history: map[string][]sfntypes.HistoryEvent{}, status: map[string]sfntypes.ExecutionStatus{}}
}

func (f *memoryWorkflow) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	name := aws.ToString(in.Name)
	if _, ok := f.executions[name]; ok {
		return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("exists")}
	}
	f.executions[name] = aws.ToString(in.Input)
	f.status[name] = sfntypes.ExecutionStatusRunning
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(aws.ToString(in.StateMachineArn) + ":" + name)}, nil
}

func nameOf(arn string) string { return arn[lastColon(arn)+1:] }

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

func (f *memoryWorkflow) StopExecution(context.Context, *sfn.StopExecutionInput, ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error) {
	return &sfn.StopExecutionOutput{}, nil
}

func (f *memoryWorkflow) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	status, ok := f.status[nameOf(aws.ToString(in.ExecutionArn))]
	if !ok {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("no execution")}
	}
	return &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: status}, nil
}

func (f *memoryWorkflow) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := nameOf(aws.ToString(in.ExecutionArn))
	if _, ok := f.executions[name]; !ok {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("no execution")}
	}
	events := f.history[name]
	start := 0
	if in.NextToken != nil {
		raw, _ := base64.StdEncoding.DecodeString(*in.NextToken)
		start, _ = strconv.Atoi(string(raw))
	}
	end := min(start+2, len(events)) // small pages, so that paging is exercised
	out := &sfn.GetExecutionHistoryOutput{Events: events[start:end]}
	if end < len(events) {
		out.NextToken = aws.String(base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(end))))
	}
	return out, nil
}

func (f *memoryWorkflow) answer(token string) error {
	waiting, known := f.tokens[token]
	if !known {
		return &sfntypes.InvalidToken{Message: aws.String("invalid token")}
	}
	if !waiting {
		return &sfntypes.TaskTimedOut{Message: aws.String("task already completed")}
	}
	f.tokens[token] = false
	return nil
}

func (f *memoryWorkflow) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.answer(aws.ToString(in.TaskToken)); err != nil {
		return nil, err
	}
	f.successes[aws.ToString(in.TaskToken)] = aws.ToString(in.Output)
	return &sfn.SendTaskSuccessOutput{}, nil
}

func (f *memoryWorkflow) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.answer(aws.ToString(in.TaskToken)); err != nil {
		return nil, err
	}
	f.failures[aws.ToString(in.TaskToken)] = [2]string{aws.ToString(in.Error), aws.ToString(in.Cause)}
	return &sfn.SendTaskFailureOutput{}, nil
}

func (f *memoryWorkflow) RedriveExecution(_ context.Context, in *sfn.RedriveExecutionInput, _ ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := nameOf(aws.ToString(in.ExecutionArn))
	if f.status[name] != sfntypes.ExecutionStatusFailed {
		return nil, &sfntypes.ExecutionNotRedrivable{Message: aws.String("not redrivable")}
	}
	f.status[name] = sfntypes.ExecutionStatusRunning
	f.redrives++
	return &sfn.RedriveExecutionOutput{RedriveDate: aws.Time(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))}, nil
}

func (f *memoryWorkflow) snapshot() (starts, executions, successes, failures int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts, len(f.executions), len(f.successes), len(f.failures)
}
