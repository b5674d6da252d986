package store

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Activations keeps activations.
type Activations interface {
	// CreateActivation stores a new activation (its Status is normally REQUESTED); an
	// *AlreadyExists if the id is taken.
	CreateActivation(ctx context.Context, a domain.Activation) (domain.Activation, error)
	// GetActivation returns the activation; not_found if there is none.
	GetActivation(ctx context.Context, id string) (domain.Activation, error)
	// ListActivations lists activations newest first, of one office or of all.
	ListActivations(ctx context.Context, q ActivationQuery) (Page[domain.Activation], error)
	// Transition changes the status if it is still From at Version and From -> To is legal.
	Transition(ctx context.Context, c Change) (domain.Activation, error)
	// AppendStep records a step's progress without changing the status or version.
	AppendStep(ctx context.Context, id string, step domain.Step) error
	// SetDeployment records the expert booked for one profile (idempotent per profile).
	SetDeployment(ctx context.Context, id string, d domain.Deployment) error
	// RequestCancel marks a non-terminal activation for cancellation.
	RequestCancel(ctx context.Context, id string) (domain.Activation, error)
}

var _ Activations = (*Store)(nil)

// activationItem is an activation as stored: deployments are a map by profile index so that
// parallel roster branches each set their own entry without a read-modify-write.
type activationItem struct {
	domain.Activation
	Deployments map[string]domain.Deployment `json:"deployments"`
	Kind        string                       `json:"kind"`
	CreatedKey  string                       `json:"createdKey"`
	// AuditSeq and AuditHash are the head of the activation's audit stream (see Commit).
	AuditSeq  *int64 `json:"auditSeq,omitempty"`
	AuditHash string `json:"auditHash,omitempty"`
}

const activationKind = "ACTIVATION"

func toActivation(m map[string]types.AttributeValue) (domain.Activation, error) {
	var it activationItem
	if err := unmarshalMap(m, &it); err != nil {
		return domain.Activation{}, err
	}
	a := it.Activation
	a.Deployments = nil
	for _, d := range it.Deployments {
		a.Deployments = append(a.Deployments, d)
	}
	slices.SortFunc(a.Deployments, func(x, y domain.Deployment) int { return x.ProfileIndex - y.ProfileIndex })
	if a.Steps == nil {
		a.Steps = []domain.Step{}
	}
	return a, nil
}

// CreateActivation stores a new activation, conditional on its id being free. CreatedAt and
// UpdatedAt default to now, Version to 1 and Status to REQUESTED.
func (s *Store) CreateActivation(ctx context.Context, a domain.Activation) (domain.Activation, error) {
	created, _, err := s.CreateActivationRecorded(ctx, a)
	return created, err
}

// CreateActivationRecorded is CreateActivation with the audit events that record the request
// (the first events of the activation's stream, sealed from its start) in the same
// transaction: no activation is stored without them. With no events it is one conditional put.
func (s *Store) CreateActivationRecorded(ctx context.Context, a domain.Activation, events ...audit.Event) (domain.Activation, []audit.Event, error) {
	if a.ID == "" {
		return a, nil, domain.Errorf(domain.CodeInvalid, "an activation needs an id")
	}
	now := s.Now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	a.UpdatedAt = a.CreatedAt
	if a.Version == 0 {
		a.Version = 1
	}
	if a.Status == "" {
		a.Status = domain.StatusRequested
	}
	if a.Steps == nil {
		a.Steps = []domain.Step{}
	}
	sealed, err := sealAfter(events, a.ID, AuditHead{Known: true, Hash: audit.GenesisHash})
	if err != nil {
		return a, nil, err
	}
	// The audit stream of a new activation starts here: its head is known from the start.
	head := AuditHead{Known: true, Hash: audit.GenesisHash}
	if n := len(sealed); n > 0 {
		head = AuditHead{Known: true, Seq: sealed[n-1].Seq, Hash: sealed[n-1].Hash}
	}
	it := activationItem{Activation: a, Deployments: map[string]domain.Deployment{}, Kind: activationKind,
		CreatedKey: timeKey(a.CreatedAt) + "#" + a.ID, AuditSeq: &head.Seq, AuditHash: head.Hash}
	for _, d := range a.Deployments {
		it.Deployments[strconv.Itoa(d.ProfileIndex)] = d
	}
	item, err := marshalMap(it)
	if err != nil {
		return a, nil, err
	}
	put := &types.Put{TableName: s.table(tables.Activations), Item: item, ConditionExpression: aws.String("attribute_not_exists(id)")}
	if len(sealed) == 0 {
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression})
		if conditionFailed(err) {
			return a, nil, &AlreadyExists{Entity: "activation", ID: a.ID}
		}
	} else {
		writes := []Write{{item: types.TransactWriteItem{Put: put},
			refused: func(context.Context) error { return &AlreadyExists{Entity: "activation", ID: a.ID} }}}
		for _, e := range sealed {
			eventPut, perr := s.eventPut(e)
			if perr != nil {
				return a, nil, perr
			}
			// A stream with events but no activation (appended before it was stored) cannot
			// take this one's first events: the stream is not new.
			writes = append(writes, Write{item: eventPut, refused: func(context.Context) error {
				return domain.Errorf(domain.CodeConflict, "the audit trail of activation %s has events already", a.ID)
			}})
		}
		err = s.transact(ctx, writes...)
	}
	if err != nil {
		return a, nil, err
	}
	s.heads.put(a.ID, head)
	return a, sealed, nil
}

// GetActivation reads the activation (strongly consistent).
func (s *Store) GetActivation(ctx context.Context, id string) (domain.Activation, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: s.table(tables.Activations), Key: map[string]types.AttributeValue{"id": str(id)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return domain.Activation{}, err
	}
	if out.Item == nil {
		return domain.Activation{}, domain.NotFound("activation", id)
	}
	return toActivation(out.Item)
}

// ActivationQuery selects activations to list.
type ActivationQuery struct {
	// Office limits the list to one office's activations; "" lists everyone's.
	Office string
	// Status limits the list to one status (ignored when Office is set: filter instead).
	Status domain.Status
	Limit  int
	Cursor string
}

// ListActivations lists activations newest first, up to Limit (default 20, at most 100).
func (s *Store) ListActivations(ctx context.Context, q ActivationQuery) (Page[domain.Activation], error) {
	in := &dynamodb.QueryInput{TableName: s.table(tables.Activations), ScanIndexForward: aws.Bool(false),
		ExpressionAttributeNames: map[string]string{}, ExpressionAttributeValues: map[string]types.AttributeValue{}}
	var query string
	switch {
	case q.Office != "":
		query = "office:" + q.Office
		in.IndexName = aws.String(tables.ActivationsByOffice)
		in.KeyConditionExpression = aws.String("office = :p")
		in.ExpressionAttributeValues[":p"] = str(q.Office)
		if q.Status != "" {
			query += ":" + string(q.Status)
			in.FilterExpression = aws.String("#status = :status")
			in.ExpressionAttributeNames["#status"] = "status"
			in.ExpressionAttributeValues[":status"] = str(string(q.Status))
		}
	case q.Status != "":
		query = "status:" + string(q.Status)
		in.IndexName = aws.String(tables.ActivationsByStatus)
		in.KeyConditionExpression = aws.String("#status = :p")
		in.ExpressionAttributeNames["#status"] = "status"
		in.ExpressionAttributeValues[":p"] = str(string(q.Status))
	default:
		query = "all"
		in.IndexName = aws.String(tables.ActivationsAll)
		in.KeyConditionExpression = aws.String("kind = :p")
		in.ExpressionAttributeValues[":p"] = str(activationKind)
	}
	if len(in.ExpressionAttributeNames) == 0 {
		in.ExpressionAttributeNames = nil
	}
	start, _, err := decodeCursor(query, q.Cursor)
	if err != nil {
		return Page[domain.Activation]{}, err
	}
	in.ExclusiveStartKey = start
	items, last, err := s.queryPage(ctx, in, pageLimit(q.Limit, 20, 100))
	if err != nil {
		return Page[domain.Activation]{}, err
	}
	page := Page[domain.Activation]{Items: []domain.Activation{}, Next: encodeCursor(query, "", last)}
	for _, m := range items {
		a, err := toActivation(m)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, a)
	}
	return page, nil
}

// Change is a status change of an activation, with the fields that change along with it.
type Change struct {
	ID string
	// From and Version are what the caller read; the update happens only if they still hold.
	From    domain.Status
	Version int
	To      domain.Status
	// Step, when set, is appended to the activation's steps.
	Step *domain.Step
	// The fields below change only when set.
	Reason        *string
	Outcome       *domain.Status
	Priority      *int
	SecurityLevel *domain.SecurityLevel
	Clearance     *domain.ClearanceOutcome
	EndDate       *domain.Date
	ExecutionArn  *string
	// Deployment, when set, records (or replaces) the expert booked for one profile.
	Deployment *domain.Deployment
	// Events are the audit events that record the change; Commit appends them in the same
	// transaction (Transition refuses them).
	Events []audit.Event
	// Writes are other items that change with it (Commit only).
	Writes []Write
}

// Transition changes the activation's status from c.From to c.To, conditional on the stored
// status being c.From and the version c.Version, and bumps the version. It returns the
// activation as it became. Errors: *domain.IllegalTransition if From -> To is not legal
// (nothing is written); not_found; *domain.StaleVersion if the status or version changed
// meanwhile (a lost race: re-read and decide again).
func (s *Store) Transition(ctx context.Context, c Change) (domain.Activation, error) {
	if len(c.Events) > 0 || len(c.Writes) > 0 {
		return domain.Activation{}, domain.Errorf(domain.CodeInvalid, "a change with audit events or other writes is written with Commit")
	}
	if err := domain.CheckTransition(c.From, c.To); err != nil {
		return domain.Activation{}, err
	}
	now := s.Now()
	if c.Step != nil && c.Step.At.IsZero() {
		step := *c.Step
		step.At = now
		c.Step = &step
	}
	out, err := s.transition(ctx, c, now)
	if err != nil {
		return domain.Activation{}, err
	}
	return toActivation(out)
}

// transition runs the conditional update of a change and returns the item as it became.
func (s *Store) transition(ctx context.Context, c Change, now time.Time) (map[string]types.AttributeValue, error) {
	u, err := s.changeUpdate(c, now)
	if err != nil {
		return nil, err
	}
	u.values[":from"] = str(string(c.From))
	u.values[":expectedVersion"] = num(int64(c.Version))
	u.names["#status"] = "status"
	u.names["#version"] = "version"
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table(tables.Activations), Key: map[string]types.AttributeValue{"id": str(c.ID)},
		UpdateExpression:                    u.expression(),
		ConditionExpression:                 aws.String("#status = :from AND #version = :expectedVersion"),
		ExpressionAttributeNames:            u.names,
		ExpressionAttributeValues:           u.values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if conditionFailed(err) {
		old := oldItem(err)
		if old == nil {
			return nil, domain.NotFound("activation", c.ID)
		}
		return nil, changed(old, c.ID, c.Version)
	}
	if err != nil {
		return nil, err
	}
	return out.Attributes, nil
}

// changeUpdate is the SET clauses of a change: status, version+1, the time, the step record,
// the deployment and the fields that are set.
func (s *Store) changeUpdate(c Change, now time.Time) (*update, error) {
	u := newUpdate()
	u.set("status", str(string(c.To)))
	u.set("version", num(int64(c.Version+1)))
	u.set("updatedAt", str(now.Format(time.RFC3339Nano)))
	if c.Step != nil {
		if err := u.appendList("steps", []domain.Step{*c.Step}); err != nil {
			return nil, err
		}
	}
	for name, v := range map[string]any{"reason": c.Reason, "outcome": c.Outcome, "priority": c.Priority,
		"securityLevel": c.SecurityLevel, "clearance": c.Clearance, "endDate": c.EndDate, "executionArn": c.ExecutionArn} {
		if err := u.setIfNotNil(name, v); err != nil {
			return nil, err
		}
	}
	if c.Deployment != nil {
		v, err := marshalValue(*c.Deployment)
		if err != nil {
			return nil, err
		}
		u.names["#deployments"] = "deployments"
		u.names["#profile"] = strconv.Itoa(c.Deployment.ProfileIndex)
		u.values[":deployment"] = v
		u.sets = append(u.sets, "#deployments.#profile = :deployment")
	}
	return u, nil
}

// AppendStep appends a step record. Steps are progress notes, not state: they do not bump the
// version, so parallel branches can record theirs without conflicting.
func (s *Store) AppendStep(ctx context.Context, id string, step domain.Step) error {
	if step.At.IsZero() {
		step.At = s.Now()
	}
	u := newUpdate()
	if err := u.appendList("steps", []domain.Step{step}); err != nil {
		return err
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table(tables.Activations), Key: map[string]types.AttributeValue{"id": str(id)},
		UpdateExpression: u.expression(), ConditionExpression: aws.String("attribute_exists(id)"),
		ExpressionAttributeNames: u.names, ExpressionAttributeValues: u.values,
	})
	if conditionFailed(err) {
		return domain.NotFound("activation", id)
	}
	return err
}

// SetDeployment records (or replaces) the deployment of one profile.
func (s *Store) SetDeployment(ctx context.Context, id string, d domain.Deployment) error {
	v, err := marshalValue(d)
	if err != nil {
		return err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table(tables.Activations), Key: map[string]types.AttributeValue{"id": str(id)},
		UpdateExpression:          aws.String("SET deployments.#index = :d"),
		ConditionExpression:       aws.String("attribute_exists(id)"),
		ExpressionAttributeNames:  map[string]string{"#index": strconv.Itoa(d.ProfileIndex)},
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": v},
	})
	if conditionFailed(err) {
		return domain.NotFound("activation", id)
	}
	return err
}

// RequestCancel marks the activation for cancellation; the workflow notices and compensates.
// A conflict if it already ended (or is compensating).
func (s *Store) RequestCancel(ctx context.Context, id string) (domain.Activation, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table(tables.Activations), Key: map[string]types.AttributeValue{"id": str(id)},
		UpdateExpression:         aws.String("SET cancelRequested = :true, updatedAt = :now"),
		ConditionExpression:      aws.String("attribute_exists(id) AND NOT #status IN (:rejected, :failed, :cancelled, :compensating)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":true": &types.AttributeValueMemberBOOL{Value: true}, ":now": str(s.Now().Format(time.RFC3339Nano)),
			":rejected": str(string(domain.StatusRejected)), ":failed": str(string(domain.StatusFailed)),
			":cancelled": str(string(domain.StatusCancelled)), ":compensating": str(string(domain.StatusCompensating)),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if conditionFailed(err) {
		old := oldItem(err)
		if old == nil {
			return domain.Activation{}, domain.NotFound("activation", id)
		}
		current, _ := toActivation(old)
		return current, domain.Errorf(domain.CodeConflict, "activation %s is %s and can no longer be cancelled", id, current.Status)
	}
	if err != nil {
		return domain.Activation{}, err
	}
	return toActivation(out.Attributes)
}

// update builds an UpdateExpression of SET clauses.
type update struct {
	sets   []string
	names  map[string]string
	values map[string]types.AttributeValue
}

func newUpdate() *update {
	return &update{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

func (u *update) set(name string, v types.AttributeValue) {
	n := "#" + name
	u.names[n] = name
	u.values[":"+name] = v
	u.sets = append(u.sets, n+" = :"+name)
}

func (u *update) setIfNotNil(name string, v any) error {
	rv := v
	switch p := v.(type) {
	case *string:
		if p == nil {
			return nil
		}
	case *int:
		if p == nil {
			return nil
		}
	case *domain.Status:
		if p == nil {
			return nil
		}
	case *domain.SecurityLevel:
		if p == nil {
			return nil
		}
	case *domain.ClearanceOutcome:
		if p == nil {
			return nil
		}
	case *domain.Date:
		if p == nil {
			return nil
		}
	}
	av, err := marshalValue(rv)
	if err != nil {
		return err
	}
	u.set(name, av)
	return nil
}

func (u *update) appendList(name string, items any) error {
	av, err := marshalValue(items)
	if err != nil {
		return err
	}
	n := "#" + name
	u.names[n] = name
	u.values[":"+name] = av
	u.values[":emptyList"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{}}
	u.sets = append(u.sets, n+" = list_append(if_not_exists("+n+", :emptyList), :"+name+")")
	return nil
}

func (u *update) expression() *string {
	expr := "SET "
	for i, s := range u.sets {
		if i > 0 {
			expr += ", "
		}
		expr += s
	}
	return aws.String(expr)
}
