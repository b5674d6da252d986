package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Tasks keeps approval tasks and approvers' delegations.
type Tasks interface {
	// CreateTask stores a new OPEN task with the workflow's task token (idempotent per id).
	CreateTask(ctx context.Context, t domain.ApprovalTask, token string) (domain.ApprovalTask, error)
	GetTask(ctx context.Context, id string) (domain.ApprovalTask, error)
	// TaskToken returns the task's workflow callback token.
	TaskToken(ctx context.Context, id string) (string, error)
	// ListTasks is a role's inbox.
	ListTasks(ctx context.Context, q TaskQuery) (Page[domain.ApprovalTask], error)
	TasksOfActivation(ctx context.Context, activationID string) ([]domain.ApprovalTask, error)
	// PriorDecisions returns the decisions already taken on the activation's tasks.
	PriorDecisions(ctx context.Context, activationID string) ([]domain.PriorDecision, error)
	// Decide decides an OPEN task once; *domain.TaskNotOpen for a second decision.
	Decide(ctx context.Context, id string, d domain.Decision) (domain.ApprovalTask, string, error)
	// Escalate closes the task as ESCALATED and opens its successor for another role.
	Escalate(ctx context.Context, e Escalation) (domain.ApprovalTask, domain.ApprovalTask, error)
	// Expire closes an OPEN task as EXPIRED.
	Expire(ctx context.Context, id string) (domain.ApprovalTask, error)
	// RescheduleTask moves an OPEN task's deadline.
	RescheduleTask(ctx context.Context, id string, deadline time.Time) (domain.ApprovalTask, error)
	// Reassign gives an OPEN task to one person.
	Reassign(ctx context.Context, id, assignee string) (domain.ApprovalTask, error)
	// DueTasks returns OPEN tasks whose deadline is at or before the time.
	DueTasks(ctx context.Context, at time.Time, limit int) ([]domain.ApprovalTask, error)
	// PutDelegation records a delegation.
	PutDelegation(ctx context.Context, d domain.Delegation) error
	// CreateDelegation records a delegation and returns it with its id.
	CreateDelegation(ctx context.Context, d domain.Delegation) (domain.Delegation, error)
	// DelegationsFrom returns the delegations a person made.
	DelegationsFrom(ctx context.Context, user string) ([]domain.Delegation, error)
	// GetDelegation returns one delegation by id.
	GetDelegation(ctx context.Context, id string) (domain.Delegation, error)
	// ListDelegations lists delegations, newest first.
	ListDelegations(ctx context.Context, q DelegationQuery) (Page[domain.Delegation], error)
	// RevokeDelegation ends a delegation now, once.
	RevokeDelegation(ctx context.Context, id, by string) (domain.Delegation, domain.Delegation, error)
}

var _ Tasks = (*Store)(nil)

// taskItem is a task as stored. rank orders a role's inbox: open tasks first, then by
// priority (highest first), then by deadline (earliest first), then by id.
type taskItem struct {
	domain.ApprovalTask
	Token       string `json:"taskToken"`
	Rank        string `json:"rank"`
	CreatedKey  string `json:"createdKey"`
	DeadlineKey string `json:"deadlineKey"`
}

var statusRank = map[domain.TaskStatus]string{domain.TaskOpen: "0", domain.TaskEscalated: "1",
	domain.TaskDecided: "2", domain.TaskExpired: "3"}

func taskRank(t domain.ApprovalTask) string {
	return fmt.Sprintf("%s#%03d#%s#%s", statusRank[t.Status], 100-min(max(t.Priority, 0), 100), timeKey(t.Deadline), t.ID)
}

func newTaskItem(t domain.ApprovalTask, token string) taskItem {
	return taskItem{ApprovalTask: t, Token: token, Rank: taskRank(t), CreatedKey: timeKey(t.CreatedAt) + "#" + t.ID,
		DeadlineKey: timeKey(t.Deadline) + "#" + t.ID}
}

func toTask(m map[string]types.AttributeValue) (domain.ApprovalTask, string, error) {
	var it taskItem
	err := unmarshalMap(m, &it)
	return it.ApprovalTask, it.Token, err
}

func checkTask(t domain.ApprovalTask) error {
	var fe domain.FieldErrors
	if t.ID == "" {
		fe = append(fe, domain.FieldError{Field: "id", Reason: "is required"})
	}
	if t.ActivationID == "" {
		fe = append(fe, domain.FieldError{Field: "activationId", Reason: "is required"})
	}
	if !t.Role.IsApprover() {
		fe = append(fe, domain.FieldError{Field: "role", Reason: "must be an approver role"})
	}
	if !t.Kind.Valid() {
		fe = append(fe, domain.FieldError{Field: "kind", Reason: "is not a task kind"})
	}
	if t.Deadline.IsZero() {
		fe = append(fe, domain.FieldError{Field: "deadline", Reason: "is required"})
	}
	if len(fe) > 0 {
		return domain.Invalid(fe)
	}
	return nil
}

// CreateTask stores a new OPEN task with the workflow's task token. Give a deterministic id
// (activation, kind, escalation level) so that a retried step finds its first task: creating an
// existing id returns the stored task, with the token updated if the stored task is still open
// (a retried step waits on a new token).
func (s *Store) CreateTask(ctx context.Context, t domain.ApprovalTask, token string) (domain.ApprovalTask, error) {
	if err := checkTask(t); err != nil {
		return t, err
	}
	now := s.Now()
	t.Status, t.Decision, t.EscalatedTo = domain.TaskOpen, nil, ""
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	t.UpdatedAt = now
	item, err := marshalMap(newTaskItem(t, token))
	if err != nil {
		return t, err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table(tables.Tasks), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(id)")})
	if !conditionFailed(err) {
		return t, err
	}
	// It exists: a retried step. Hand it the new token if the task still waits.
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.table(tables.Tasks),
		Key: map[string]types.AttributeValue{"id": str(t.ID)}, UpdateExpression: aws.String("SET taskToken = :token"),
		ConditionExpression:      aws.String("#status = :open AND activationId = :activation"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":token": str(token), ":open": str(string(domain.TaskOpen)),
			":activation": str(t.ActivationID)},
		ReturnValues: types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		stored, gerr := s.GetTask(ctx, t.ID)
		if gerr != nil {
			return t, gerr
		}
		if stored.ActivationID != t.ActivationID {
			return stored, &AlreadyExists{Entity: "task", ID: t.ID}
		}
		return stored, nil
	}
	if err != nil {
		return t, err
	}
	stored, _, err := toTask(out.Attributes)
	return stored, err
}

func (s *Store) getTaskItem(ctx context.Context, id string) (domain.ApprovalTask, string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Tasks),
		Key: map[string]types.AttributeValue{"id": str(id)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.ApprovalTask{}, "", err
	}
	if out.Item == nil {
		return domain.ApprovalTask{}, "", domain.NotFound("task", id)
	}
	return toTask(out.Item)
}

// GetTask reads the task (strongly consistent).
func (s *Store) GetTask(ctx context.Context, id string) (domain.ApprovalTask, error) {
	t, _, err := s.getTaskItem(ctx, id)
	return t, err
}

// TaskToken returns the workflow's callback token of the task.
func (s *Store) TaskToken(ctx context.Context, id string) (string, error) {
	_, token, err := s.getTaskItem(ctx, id)
	return token, err
}

// TaskQuery selects a role's tasks.
type TaskQuery struct {
	Role domain.Role
	// Status, when set, lists only tasks of that status (OPEN for an inbox).
	Status domain.TaskStatus
	// Country and CrisisType filter on the activation summary.
	Country    string
	CrisisType domain.CrisisType
	// DueBefore lists only tasks whose deadline is before it.
	DueBefore time.Time
	Limit     int
	Cursor    string
}

// ListTasks lists the role's tasks: open ones first, by priority (highest first), then by
// deadline (earliest first); up to Limit (default 20, at most 100) a page.
func (s *Store) ListTasks(ctx context.Context, q TaskQuery) (Page[domain.ApprovalTask], error) {
	if !q.Role.IsApprover() {
		return Page[domain.ApprovalTask]{}, domain.Invalid(domain.FieldErrors{{Field: "role", Reason: "must be an approver role"}})
	}
	if q.Status != "" && !q.Status.Valid() {
		return Page[domain.ApprovalTask]{}, domain.Invalid(domain.FieldErrors{{Field: "status", Reason: "must be OPEN, DECIDED, ESCALATED or EXPIRED"}})
	}
	in := &dynamodb.QueryInput{TableName: s.table(tables.Tasks), IndexName: aws.String(tables.TasksByRole),
		KeyConditionExpression:    aws.String("#role = :role"),
		ExpressionAttributeNames:  map[string]string{"#role": "role"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":role": str(string(q.Role))}}
	var filters []string
	if q.Status != "" {
		in.KeyConditionExpression = aws.String("#role = :role AND begins_with(#rank, :status)")
		in.ExpressionAttributeNames["#rank"] = "rank"
		in.ExpressionAttributeValues[":status"] = str(statusRank[q.Status] + "#")
	}
	if q.Country != "" {
		filters = append(filters, "#summary.#country = :country")
		in.ExpressionAttributeNames["#summary"], in.ExpressionAttributeNames["#country"] = "summary", "country"
		in.ExpressionAttributeValues[":country"] = str(q.Country)
	}
	if q.CrisisType != "" {
		filters = append(filters, "#summary.#crisisType = :crisis")
		in.ExpressionAttributeNames["#summary"], in.ExpressionAttributeNames["#crisisType"] = "summary", "crisisType"
		in.ExpressionAttributeValues[":crisis"] = str(string(q.CrisisType))
	}
	if !q.DueBefore.IsZero() {
		filters = append(filters, "deadlineKey < :due")
		in.ExpressionAttributeValues[":due"] = str(timeKey(q.DueBefore))
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	query := fmt.Sprintf("tasks:%s:%s:%s:%s:%s", q.Role, q.Status, q.Country, q.CrisisType, timeKey(q.DueBefore))
	start, _, err := decodeCursor(query, q.Cursor)
	if err != nil {
		return Page[domain.ApprovalTask]{}, err
	}
	in.ExclusiveStartKey = start
	items, last, err := s.queryPage(ctx, in, pageLimit(q.Limit, 20, 100))
	if err != nil {
		return Page[domain.ApprovalTask]{}, err
	}
	page := Page[domain.ApprovalTask]{Items: []domain.ApprovalTask{}, Next: encodeCursor(query, "", last)}
	for _, m := range items {
		t, _, err := toTask(m)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// TasksOfActivation returns the activation's tasks, oldest first.
func (s *Store) TasksOfActivation(ctx context.Context, activationID string) ([]domain.ApprovalTask, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Tasks),
		IndexName: aws.String(tables.TasksByActivation), KeyConditionExpression: aws.String("activationId = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": str(activationID)}})
	if err != nil {
		return nil, err
	}
	out := make([]domain.ApprovalTask, 0, len(items))
	for _, m := range items {
		t, _, err := toTask(m)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// PriorDecisions returns the decisions taken on the activation's tasks, for CanDecide.
func (s *Store) PriorDecisions(ctx context.Context, activationID string) ([]domain.PriorDecision, error) {
	tasks, err := s.TasksOfActivation(ctx, activationID)
	if err != nil {
		return nil, err
	}
	var out []domain.PriorDecision
	for _, t := range tasks {
		if t.Decision != nil {
			out = append(out, domain.PriorDecision{TaskID: t.ID, Kind: t.Kind, Decision: *t.Decision})
		}
	}
	return out, nil
}

// closeTask moves an OPEN task to status with extra SET clauses, conditional on it being OPEN
// (and, when beforeDeadline, on its deadline not having passed).
func (s *Store) closeTask(ctx context.Context, id string, status domain.TaskStatus, extra map[string]types.AttributeValue, beforeDeadline bool) (domain.ApprovalTask, string, error) {
	t, _, err := s.getTaskItem(ctx, id)
	if err != nil {
		return t, "", err
	}
	if t.Status != domain.TaskOpen {
		return t, "", &domain.TaskNotOpen{TaskID: id, Status: t.Status}
	}
	now := s.Now()
	if beforeDeadline && !now.Before(t.Deadline) {
		return t, "", &domain.TaskNotOpen{TaskID: id, Status: t.Status, PastDeadline: true}
	}
	next := t
	next.Status = status
	u := newUpdate()
	u.set("status", str(string(status)))
	u.set("rank", str(taskRank(next)))
	u.set("updatedAt", str(now.Format(time.RFC3339Nano)))
	for name, v := range extra {
		u.set(name, v)
	}
	u.values[":open"] = str(string(domain.TaskOpen))
	cond := "#status = :open"
	if beforeDeadline {
		u.values[":nowKey"] = str(timeKey(now) + "#\uffff")
		cond += " AND deadlineKey > :nowKey"
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.table(tables.Tasks),
		Key: map[string]types.AttributeValue{"id": str(id)}, UpdateExpression: u.expression(),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: u.names, ExpressionAttributeValues: u.values,
		ReturnValues: types.ReturnValueAllNew, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	if conditionFailed(err) {
		current, _, _ := toTask(oldItem(err))
		return current, "", &domain.TaskNotOpen{TaskID: id, Status: current.Status, PastDeadline: current.Status == domain.TaskOpen}
	}
	if err != nil {
		return t, "", err
	}
	return toTask(out.Attributes)
}

// Decide records the decision on an OPEN task whose deadline has not passed, as one
// conditional update OPEN -> DECIDED; only the first of concurrent decisions succeeds, the
// others get *domain.TaskNotOpen (409). It returns the decided task and its token, which the
// caller then sends to the workflow. Separation of duties (domain.CanDecide) is the caller's to
// check before.
func (s *Store) Decide(ctx context.Context, id string, d domain.Decision) (domain.ApprovalTask, string, error) {
	if !d.Outcome.Valid() || d.ActorID == "" {
		return domain.ApprovalTask{}, "", domain.Invalid(domain.FieldErrors{{Field: "decision", Reason: "needs an outcome and an actor"}})
	}
	if d.At.IsZero() {
		d.At = s.Now()
	}
	v, err := marshalValue(d)
	if err != nil {
		return domain.ApprovalTask{}, "", err
	}
	return s.closeTask(ctx, id, domain.TaskDecided, map[string]types.AttributeValue{"decision": v}, true)
}

// Escalation closes an overdue task and opens its successor.
type Escalation struct {
	TaskID string
	// NewTaskID is the successor's id (deterministic, so a retry finds it).
	NewTaskID string
	// Role and Deadline of the successor (domain.EscalationTarget, domain.TaskDeadline).
	Role     domain.Role
	Deadline time.Time
}

// Escalate marks the OPEN task ESCALATED and creates its successor for e.Role, at the next
// escalation level, with the same activation, summary and workflow token, in one transaction:
// the first approver can no longer decide, and the workflow still waits on the same token.
// *domain.TaskNotOpen if the task was decided meanwhile. Retrying an escalation that happened
// returns the successor.
func (s *Store) Escalate(ctx context.Context, e Escalation) (domain.ApprovalTask, domain.ApprovalTask, error) {
	old, token, err := s.getTaskItem(ctx, e.TaskID)
	if err != nil {
		return old, domain.ApprovalTask{}, err
	}
	if old.Status == domain.TaskEscalated && old.EscalatedTo == e.NewTaskID {
		successor, err := s.GetTask(ctx, e.NewTaskID)
		return old, successor, err
	}
	if old.Status != domain.TaskOpen {
		return old, domain.ApprovalTask{}, &domain.TaskNotOpen{TaskID: e.TaskID, Status: old.Status}
	}
	now := s.Now()
	successor := old
	successor.ID, successor.Role, successor.Deadline = e.NewTaskID, e.Role, e.Deadline
	successor.EscalationLevel = old.EscalationLevel + 1
	successor.PreviousTaskID, successor.EscalatedTo, successor.Assignee = old.ID, "", ""
	successor.CreatedAt, successor.UpdatedAt = now, now
	if err := checkTask(successor); err != nil {
		return old, successor, err
	}
	closed := old
	closed.Status, closed.EscalatedTo, closed.UpdatedAt = domain.TaskEscalated, e.NewTaskID, now
	item, err := marshalMap(newTaskItem(successor, token))
	if err != nil {
		return old, successor, err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: s.table(tables.Tasks), Key: map[string]types.AttributeValue{"id": str(old.ID)},
			UpdateExpression:         aws.String("SET #status = :escalated, #rank = :rank, escalatedTo = :to, updatedAt = :now"),
			ConditionExpression:      aws.String("#status = :open"),
			ExpressionAttributeNames: map[string]string{"#status": "status", "#rank": "rank"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":escalated": str(string(domain.TaskEscalated)),
				":rank": str(taskRank(closed)), ":to": str(e.NewTaskID), ":now": str(now.Format(time.RFC3339Nano)),
				":open": str(string(domain.TaskOpen))}}},
		{Put: &types.Put{TableName: s.table(tables.Tasks), Item: item, ConditionExpression: aws.String("attribute_not_exists(id)")}},
	}})
	if reasons := cancelReasons(err); len(reasons) == 2 {
		if reasons[0] == "ConditionalCheckFailed" {
			current, _ := s.GetTask(ctx, old.ID)
			if current.Status == domain.TaskEscalated && current.EscalatedTo == e.NewTaskID {
				successor, err := s.GetTask(ctx, e.NewTaskID)
				return current, successor, err
			}
			return current, domain.ApprovalTask{}, &domain.TaskNotOpen{TaskID: old.ID, Status: current.Status}
		}
		if reasons[1] == "ConditionalCheckFailed" {
			return old, successor, &AlreadyExists{Entity: "task", ID: e.NewTaskID}
		}
	}
	if err != nil {
		return old, successor, err
	}
	return closed, successor, nil
}

// Expire closes an OPEN task as EXPIRED (its last deadline passed); *domain.TaskNotOpen if it
// was decided or escalated meanwhile. The caller then fails the workflow's wait with
// ApprovalTimedOut.
func (s *Store) Expire(ctx context.Context, id string) (domain.ApprovalTask, error) {
	t, _, err := s.closeTask(ctx, id, domain.TaskExpired, nil, false)
	return t, err
}

// RescheduleTask moves an OPEN task's deadline (and its place in the inbox and in the
// escalation sweep): a wait that began again (a redriven or retried workflow step) ends at a
// new time, and the task's deadline follows it, so that the API accepts decisions exactly as
// long as the workflow waits for them. *domain.TaskNotOpen, with nothing written, if the task
// was decided, escalated or expired meanwhile.
func (s *Store) RescheduleTask(ctx context.Context, id string, deadline time.Time) (domain.ApprovalTask, error) {
	if deadline.IsZero() {
		return domain.ApprovalTask{}, domain.Invalid(domain.FieldErrors{{Field: "deadline", Reason: "is required"}})
	}
	t, err := s.GetTask(ctx, id)
	if err != nil {
		return t, err
	}
	if t.Status != domain.TaskOpen {
		return t, &domain.TaskNotOpen{TaskID: id, Status: t.Status}
	}
	next := t
	next.Deadline = deadline
	stored, err := marshalValue(deadline)
	if err != nil {
		return t, err
	}
	u := newUpdate()
	u.set("deadline", stored)
	u.set("deadlineKey", str(timeKey(deadline)+"#"+id))
	u.set("rank", str(taskRank(next)))
	u.set("updatedAt", str(s.Now().Format(time.RFC3339Nano)))
	u.names["#status"] = "status"
	u.values[":open"] = str(string(domain.TaskOpen))
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.table(tables.Tasks),
		Key: map[string]types.AttributeValue{"id": str(id)}, UpdateExpression: u.expression(),
		ConditionExpression: aws.String("#status = :open"), ExpressionAttributeNames: u.names, ExpressionAttributeValues: u.values,
		ReturnValues: types.ReturnValueAllNew, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	if conditionFailed(err) {
		current, _, _ := toTask(oldItem(err))
		return current, &domain.TaskNotOpen{TaskID: id, Status: current.Status}
	}
	if err != nil {
		return t, err
	}
	rescheduled, _, err := toTask(out.Attributes)
	return rescheduled, err
}

// ExpireRecorded closes an OPEN task as EXPIRED (compensation) with the audit events that
// record it (made by events from the expired task) appended to the activation's stream in the
// same transaction (Record). *domain.TaskNotOpen, with nothing written, if the task is not
// open.
func (s *Store) ExpireRecorded(ctx context.Context, base Current, id string, events func(domain.ApprovalTask) []audit.Event) (Current, domain.ApprovalTask, error) {
	var result domain.ApprovalTask
	err := s.withRetry(ctx, func() error {
		t, _, err := s.getTaskItem(ctx, id)
		if err != nil {
			return err
		}
		result = t
		if t.Status != domain.TaskOpen {
			return &domain.TaskNotOpen{TaskID: id, Status: t.Status}
		}
		now := s.Now()
		next := t
		next.Status, next.UpdatedAt = domain.TaskExpired, now
		u := newUpdate()
		u.set("status", str(string(domain.TaskExpired)))
		u.set("rank", str(taskRank(next)))
		u.set("updatedAt", str(now.Format(time.RFC3339Nano)))
		u.values[":open"] = str(string(domain.TaskOpen))
		write := Write{item: types.TransactWriteItem{Update: &types.Update{TableName: s.table(tables.Tasks),
			Key: map[string]types.AttributeValue{"id": str(id)}, UpdateExpression: u.expression(),
			ConditionExpression: aws.String("#status = :open"), ExpressionAttributeNames: u.names, ExpressionAttributeValues: u.values}},
			refused: func(context.Context) error { return retryable(&domain.TaskNotOpen{TaskID: id}) }}
		recorded, _, err := s.Record(ctx, base, events(next), write)
		if err != nil {
			return err
		}
		base, result = recorded, next
		return nil
	})
	return base, result, err
}

// Reassign gives an OPEN task to one person (an admin's action); only they, or their delegate,
// may then decide it.
func (s *Store) Reassign(ctx context.Context, id, assignee string) (domain.ApprovalTask, error) {
	if assignee == "" {
		return domain.ApprovalTask{}, domain.Invalid(domain.FieldErrors{{Field: "assignee", Reason: "is required"}})
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.table(tables.Tasks),
		Key: map[string]types.AttributeValue{"id": str(id)}, UpdateExpression: aws.String("SET assignee = :who, updatedAt = :now"),
		ConditionExpression:      aws.String("#status = :open"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":who": str(assignee), ":open": str(string(domain.TaskOpen)),
			":now": str(s.Now().Format(time.RFC3339Nano))},
		ReturnValues: types.ReturnValueAllNew, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	if conditionFailed(err) {
		old := oldItem(err)
		if old == nil {
			return domain.ApprovalTask{}, domain.NotFound("task", id)
		}
		current, _, _ := toTask(old)
		return current, &domain.TaskNotOpen{TaskID: id, Status: current.Status}
	}
	if err != nil {
		return domain.ApprovalTask{}, err
	}
	t, _, err := toTask(out.Attributes)
	return t, err
}

// DueTasks returns up to limit OPEN tasks whose deadline is at or before at, earliest first:
// the escalation sweep's work list.
func (s *Store) DueTasks(ctx context.Context, at time.Time, limit int) ([]domain.ApprovalTask, error) {
	in := &dynamodb.QueryInput{TableName: s.table(tables.Tasks), IndexName: aws.String(tables.TasksByStatus),
		KeyConditionExpression:   aws.String("#status = :open AND deadlineKey <= :at"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":open": str(string(domain.TaskOpen)),
			":at": str(timeKey(at) + "#\uffff")}}
	items, _, err := s.queryPage(ctx, in, pageLimit(limit, 100, 1000))
	if err != nil {
		return nil, err
	}
	out := make([]domain.ApprovalTask, 0, len(items))
	for _, m := range items {
		t, _, err := toTask(m)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// DecisionContextFor gathers what domain.CanDecide needs about a task: the task, the prior
// decisions on its activation and its assignee's delegations.
func (s *Store) DecisionContextFor(ctx context.Context, taskID string, actor domain.Actor, role domain.Role) (domain.DecisionContext, error) {
	t, err := s.GetTask(ctx, taskID)
	if err != nil {
		return domain.DecisionContext{}, err
	}
	prior, err := s.PriorDecisions(ctx, t.ActivationID)
	if err != nil {
		return domain.DecisionContext{}, err
	}
	c := domain.DecisionContext{Actor: actor, Role: role, Task: t, Prior: prior, Now: s.Now()}
	if t.Assignee != "" {
		if c.Delegations, err = s.DelegationsFrom(ctx, t.Assignee); err != nil {
			return c, err
		}
	}
	c.Prior = slices.DeleteFunc(c.Prior, func(p domain.PriorDecision) bool { return p.TaskID == t.ID })
	return c, nil
}
