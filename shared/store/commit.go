package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// A workflow step writes three things that belong together: the activation's change (its
// status, fields and step record, conditional on the status and version the step read), the
// audit events that record the change, and whatever else the step changes (a ledger entry and
// the fund's balance, a booking and its expert). Commit writes all of it in one
// TransactWriteItems: a crash cannot leave a change without its audit events, and a step costs
// one write round trip.
//
// The audit chain's head (the last sequence number and hash of the activation's stream) is kept
// on the activation item, so that sealing the next events needs no read of the audit table: the
// step has the head from the activation it read. The audit table itself is only ever put to,
// each event on the condition that its sequence number is free; the head on the activation item
// is updated in the same transaction, on the condition that it is still the head the events
// were chained after. A head that is behind the stream (events appended by a writer that did
// not keep it) shows as a taken sequence number; Commit then reads the stream's last event and
// chains after it. Tampering with the head cannot hide anything: Verify reads the events.

// AuditHead is the last event of an activation's audit stream as the activation item records it.
type AuditHead struct {
	// Known is false for an item written before heads were kept: the stream's last event must
	// be read from the audit table.
	Known bool
	// Seq and Hash are the last event's sequence number and hash (0 and audit.GenesisHash for
	// an empty stream).
	Seq  int64
	Hash string
}

// Current is an activation as read, with the head of its audit stream: what Commit and Record
// need to write the activation's next change and events without reading it again.
type Current struct {
	domain.Activation
	Audit AuditHead
}

// Write is an item of another table that changes in the same transaction as an activation
// (Commit, Record): a ledger entry and the fund's balance, a booking and its expert, a task.
// The store's ...Writes methods make them.
type Write struct {
	item types.TransactWriteItem
	// refused says what a failed condition on the item means.
	refused func(ctx context.Context) error
}

// AlreadyWritten is the refusal of a Write whose item exists already: the operation was done
// before (by an earlier attempt of the step). The caller reads what is there instead.
type AlreadyWritten struct {
	Entity string
	ID     string
}

func (e *AlreadyWritten) Error() string {
	return fmt.Sprintf("%s %s was already written", e.Entity, e.ID)
}

// ErrorCode is conflict.
func (e *AlreadyWritten) ErrorCode() domain.ErrorCode { return domain.CodeConflict }

// headCache remembers the audit heads this Store wrote or read in the last minute, so that an
// append right after (the API's audit of the request it has just stored) needs no read. A head
// out of date costs one refused transaction, which returns the head as it is: the condition on
// the head, not the cache, keeps the chain whole.
type headCache struct {
	mu    sync.Mutex
	heads map[string]cachedHead
}

type cachedHead struct {
	head AuditHead
	at   time.Time
}

const (
	headCacheSize = 4096
	headCacheAge  = time.Minute
)

func (c *headCache) put(id string, h AuditHead) {
	if !h.Known {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heads == nil || len(c.heads) >= headCacheSize {
		c.heads = map[string]cachedHead{}
	}
	c.heads[id] = cachedHead{head: h, at: time.Now()}
}

func (c *headCache) get(id string) (AuditHead, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cached, ok := c.heads[id]
	if !ok || time.Since(cached.at) > headCacheAge {
		return AuditHead{}, false
	}
	return cached.head, true
}

// ReadActivation reads the activation (strongly consistent: the step's change is conditional on
// what it read) with the head of its audit stream.
func (s *Store) ReadActivation(ctx context.Context, id string) (Current, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: s.table(tables.Activations), Key: map[string]types.AttributeValue{"id": str(id)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Current{}, err
	}
	if out.Item == nil {
		return Current{}, domain.NotFound("activation", id)
	}
	current, err := toCurrent(out.Item)
	if err == nil {
		s.heads.put(id, current.Audit)
	}
	return current, err
}

func toCurrent(m map[string]types.AttributeValue) (Current, error) {
	a, err := toActivation(m)
	if err != nil {
		return Current{}, err
	}
	return Current{Activation: a, Audit: headOf(m)}, nil
}

// headOf reads the audit head attributes of an activation item.
func headOf(m map[string]types.AttributeValue) AuditHead {
	seq, ok := m["auditSeq"].(*types.AttributeValueMemberN)
	if !ok {
		return AuditHead{}
	}
	n, err := strconv.ParseInt(seq.Value, 10, 64)
	if err != nil {
		return AuditHead{}
	}
	h := AuditHead{Known: true, Seq: n, Hash: audit.GenesisHash}
	if hash, ok := m["auditHash"].(*types.AttributeValueMemberS); ok && hash.Value != "" {
		h.Hash = hash.Value
	}
	return h
}

// Commit writes the change of the activation base (as the step read it), the audit events that
// record it, and c.Writes, in one TransactWriteItems. The change is conditional on the status,
// version and audit head of base; the events are sealed after that head and each put on the
// condition that its sequence number is free; each write carries its own condition. Either all
// of it is written or nothing.
//
// It returns the activation as it became (base with the change applied, version bumped, head
// moved) and the sealed events. Errors: *domain.IllegalTransition (nothing written);
// *domain.StaleVersion if the activation changed since base was read (read again and decide
// again); not_found; a write's own refusal (such as *domain.InsufficientFunds or
// *AlreadyWritten). A change with no events and no writes is a plain conditional update
// (Transition).
func (s *Store) Commit(ctx context.Context, base Current, c Change) (Current, []audit.Event, error) {
	c.ID, c.From, c.Version = base.ID, base.Status, base.Version
	if c.To == "" {
		c.To = base.Status
	}
	if err := domain.CheckTransition(c.From, c.To); err != nil {
		return base, nil, err
	}
	now := s.Now()
	if c.Step != nil && c.Step.At.IsZero() {
		step := *c.Step
		step.At = now
		c.Step = &step
	}
	if len(c.Events) == 0 && len(c.Writes) == 0 {
		out, err := s.transition(ctx, c, now)
		if err != nil {
			return base, nil, err
		}
		next, err := toCurrent(out)
		return next, nil, err
	}
	u, err := s.changeUpdate(c, now)
	if err != nil {
		return base, nil, err
	}
	u.names["#status"], u.names["#version"] = "status", "version"
	u.values[":from"] = str(string(c.From))
	u.values[":expectedVersion"] = num(int64(c.Version))
	next, sealed, err := s.writeWithEvents(ctx, base, u, "#status = :from AND #version = :expectedVersion", c.Events, c.Writes)
	if err != nil {
		return base, nil, err
	}
	s.heads.put(base.ID, next.Audit)
	next.Activation = applyChange(next.Activation, c, now)
	return next, sealed, nil
}

// Record appends audit events to the activation's stream together with c writes, in one
// TransactWriteItems, without changing the activation's status or version: for changes that
// are not a status change of their own (compensation returning money, cancelling a booking,
// closing a task). base gives the head to chain after; when another writer moved the head
// meanwhile, Record reads the activation again and chains after the new head. It returns base
// with the head moved and the sealed events.
func (s *Store) Record(ctx context.Context, base Current, events []audit.Event, writes ...Write) (Current, []audit.Event, error) {
	delay := s.retry.BaseDelay
	for attempt := 1; ; attempt++ {
		next, sealed, err := s.writeWithEvents(ctx, base, newUpdate(), "attribute_exists(id)", events, writes)
		var stale *domain.StaleVersion
		if !errors.As(err, &stale) {
			if err != nil {
				return base, nil, err
			}
			s.heads.put(base.ID, next.Audit)
			next.Activation = base.Activation
			return next, sealed, nil
		}
		if attempt >= s.retry.MaxAttempts {
			return base, nil, &domain.Error{Code: domain.CodeUnavailable, Err: err,
				Message: fmt.Sprintf("the audit trail of activation %s kept moving while events were recorded; try again", base.ID)}
		}
		// Another writer moved the head: chain after the new one (the failed condition returned
		// it) at once the first time (the head given was old), then after a pause drawn at
		// random (full jitter) so that many appenders do not collide again and again.
		if attempt > 1 {
			if err := s.pause(ctx, delay); err != nil {
				return base, nil, err
			}
			delay = min(delay*2, s.retry.MaxDelay)
		}
		var moved *Changed
		if errors.As(err, &moved) {
			base.Audit = moved.Current.Audit
		}
	}
}

// maxHeadRepairs bounds how often one write chains again after finding its head behind the
// stream (a head written before heads were kept, or a writer that did not keep it).
const maxHeadRepairs = 5

// writeWithEvents runs one TransactWriteItems: the activation update u (with the audit head
// moved past events) on condition cond and the head base read, the events' puts and the writes.
// A failed condition on the activation is *domain.StaleVersion; on a write, its refusal; on an
// event's put, the head was behind the stream: it reads the stream's last event and tries again.
func (s *Store) writeWithEvents(ctx context.Context, base Current, u *update, cond string, events []audit.Event, writes []Write) (Current, []audit.Event, error) {
	stream := audit.StreamOf(base.ID)
	chainAfter := base.Audit // what the events follow; the item's head stays the condition
	if !chainAfter.Known {
		last, err := s.lastHead(ctx, stream)
		if err != nil {
			return base, nil, err
		}
		chainAfter = last
	}
	for range maxHeadRepairs {
		sealed, err := sealAfter(events, base.ID, chainAfter)
		if err != nil {
			return base, nil, err
		}
		items := make([]types.TransactWriteItem, 0, 1+len(sealed)+len(writes))
		update := *u
		update.names, update.values = cloneMap(u.names), cloneMap(u.values)
		update.sets = slices.Clone(u.sets)
		fullCond := cond
		if len(sealed) > 0 {
			last := sealed[len(sealed)-1]
			update.set("auditSeq", num(last.Seq))
			update.set("auditHash", str(last.Hash))
			if base.Audit.Known {
				update.values[":headSeq"] = num(base.Audit.Seq)
				fullCond += " AND #auditSeq = :headSeq"
			} else {
				fullCond += " AND attribute_not_exists(#auditSeq)"
			}
		}
		in := &types.Update{TableName: s.table(tables.Activations), Key: map[string]types.AttributeValue{"id": str(base.ID)},
			ConditionExpression: aws.String(fullCond), ExpressionAttributeNames: update.names,
			ExpressionAttributeValues:           nilIfEmpty(update.values),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
		if len(update.sets) > 0 {
			in.UpdateExpression = update.expression()
		} else {
			// Nothing to set (a Record with no events): the item is only checked.
			items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: in.TableName, Key: in.Key,
				ConditionExpression: in.ConditionExpression, ExpressionAttributeNames: nilIfEmptyNames(update.names),
				ExpressionAttributeValues: in.ExpressionAttributeValues}})
		}
		if len(update.sets) > 0 {
			items = append(items, types.TransactWriteItem{Update: in})
		}
		for _, e := range sealed {
			put, err := s.eventPut(e)
			if err != nil {
				return base, nil, err
			}
			items = append(items, put)
		}
		for _, w := range writes {
			items = append(items, w.item)
		}
		err = s.withRetry(ctx, func() error {
			_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
			return err
		})
		if err == nil {
			next := base
			if len(sealed) > 0 {
				last := sealed[len(sealed)-1]
				next.Audit = AuditHead{Known: true, Seq: last.Seq, Hash: last.Hash}
			}
			return next, sealed, nil
		}
		reasons := cancelReasons(err)
		if len(reasons) != len(items) {
			return base, nil, err
		}
		if reasons[0] == "ConditionalCheckFailed" {
			return base, nil, s.staleActivation(ctx, err, base)
		}
		for i, w := range writes {
			if reasons[1+len(sealed)+i] == "ConditionalCheckFailed" {
				return base, nil, w.refused(ctx)
			}
		}
		if !slices.Contains(reasons[1:1+len(sealed)], "ConditionalCheckFailed") {
			return base, nil, err
		}
		// A sequence number the head said was free is taken: chain after the stream's real end.
		if chainAfter, err = s.lastHead(ctx, stream); err != nil {
			return base, nil, err
		}
	}
	return base, nil, &domain.Error{Code: domain.CodeUnavailable,
		Message: fmt.Sprintf("the audit trail of activation %s kept moving while a change was recorded; try again", base.ID)}
}

// Changed is the refusal of a change whose activation changed since it was read. It carries the
// activation as the failed condition found it, so that the caller decides again without
// reading it, and unwraps to *domain.StaleVersion.
type Changed struct {
	Stale   *domain.StaleVersion
	Current Current
}

func (e *Changed) Error() string { return e.Stale.Error() }

// Unwrap returns the *domain.StaleVersion.
func (e *Changed) Unwrap() error { return e.Stale }

// changed makes the refusal of a change from the item its failed condition found.
func changed(old map[string]types.AttributeValue, id string, expected int) error {
	current, err := toCurrent(old)
	if err != nil {
		return err
	}
	return &Changed{Current: current, Stale: &domain.StaleVersion{Entity: "activation", ID: id, Expected: expected,
		Actual: current.Version, ActualStatus: string(current.Status)}}
}

// staleActivation turns the failed condition of the activation's update into the error the
// caller acts on: not_found, or *Changed with what is there now.
func (s *Store) staleActivation(ctx context.Context, err error, base Current) error {
	var old map[string]types.AttributeValue
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) && len(tc.CancellationReasons) > 0 {
		old = tc.CancellationReasons[0].Item
	}
	if old == nil {
		// No item came back: it is gone, or the service did not return it. Look.
		out, gerr := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Activations),
			Key: map[string]types.AttributeValue{"id": str(base.ID)}, ConsistentRead: aws.Bool(true)})
		if gerr != nil {
			return gerr
		}
		if out.Item == nil {
			return domain.NotFound("activation", base.ID)
		}
		old = out.Item
	}
	return changed(old, base.ID, base.Version)
}

// lastHead reads the stream's last event from the audit table (strongly consistent).
func (s *Store) lastHead(ctx context.Context, stream string) (AuditHead, error) {
	last, err := s.lastEvent(ctx, stream)
	if err != nil {
		return AuditHead{}, err
	}
	if last == nil {
		return AuditHead{Known: true, Hash: audit.GenesisHash}, nil
	}
	return AuditHead{Known: true, Seq: last.Seq, Hash: last.Hash}, nil
}

// sealAfter seals the events of one activation in order after head. Their times default to now
// (set by the caller); each must have an actor and an action.
func sealAfter(events []audit.Event, activationID string, head AuditHead) ([]audit.Event, error) {
	sealed := make([]audit.Event, 0, len(events))
	prev := &audit.Event{Seq: head.Seq, Hash: head.Hash}
	if head.Seq == 0 {
		prev = nil
	}
	for _, e := range events {
		if e.Actor == "" || e.Action == "" {
			return nil, domain.Invalid(domain.FieldErrors{{Field: "actor", Reason: "an audit event needs an actor and an action"}})
		}
		if e.ActivationID != activationID {
			return nil, domain.Errorf(domain.CodeInvalid, "an audit event of activation %q cannot be recorded on activation %s", e.ActivationID, activationID)
		}
		if e.Time.IsZero() {
			return nil, domain.Errorf(domain.CodeInvalid, "audit event %s has no time", e.Action)
		}
		next, err := audit.Seal(e, prev)
		if err != nil {
			return nil, domain.Errorf(domain.CodeInvalid, "%v", err)
		}
		sealed = append(sealed, next)
		prev = &sealed[len(sealed)-1]
	}
	return sealed, nil
}

// eventPut is the transaction item that appends a sealed event: a put on the condition that its
// sequence number is free. Events are only ever put, never updated.
func (s *Store) eventPut(e audit.Event) (types.TransactWriteItem, error) {
	item, err := marshalMap(toAuditItem(e))
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: s.table(tables.Audit), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(#stream)"), ExpressionAttributeNames: map[string]string{"#stream": "stream"}}}, nil
}

// transact runs writes in one TransactWriteItems (retrying conflicts and throttling) and turns a
// failed condition into the refusal of the write that failed.
func (s *Store) transact(ctx context.Context, writes ...Write) error {
	items := make([]types.TransactWriteItem, len(writes))
	for i, w := range writes {
		items[i] = w.item
	}
	err := s.withRetry(ctx, func() error {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		return err
	})
	if reasons := cancelReasons(err); len(reasons) == len(writes) {
		for i, r := range reasons {
			if r == "ConditionalCheckFailed" {
				return writes[i].refused(ctx)
			}
		}
	}
	return err
}

// applyChange returns a with the change c applied, as the update writes it.
func applyChange(a domain.Activation, c Change, now time.Time) domain.Activation {
	a.Status = c.To
	a.Version = c.Version + 1
	a.UpdatedAt = now
	if c.Step != nil {
		a.Steps = append(slices.Clone(a.Steps), *c.Step)
	}
	if c.Reason != nil {
		a.Reason = *c.Reason
	}
	if c.Outcome != nil {
		a.Outcome = *c.Outcome
	}
	if c.Priority != nil {
		a.Priority = *c.Priority
	}
	if c.SecurityLevel != nil {
		a.SecurityLevel = *c.SecurityLevel
	}
	if c.Clearance != nil {
		clearance := *c.Clearance
		a.Clearance = &clearance
	}
	if c.EndDate != nil {
		a.EndDate = *c.EndDate
	}
	if c.ExecutionArn != nil {
		a.ExecutionArn = *c.ExecutionArn
	}
	if c.Deployment != nil {
		a.Deployments = slices.DeleteFunc(slices.Clone(a.Deployments), func(d domain.Deployment) bool {
			return d.ProfileIndex == c.Deployment.ProfileIndex
		})
		a.Deployments = append(a.Deployments, *c.Deployment)
		slices.SortFunc(a.Deployments, func(x, y domain.Deployment) int { return x.ProfileIndex - y.ProfileIndex })
	}
	return a
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func nilIfEmpty(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nilIfEmptyNames(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// batchGet reads the items of the keys from one table in one BatchGetItem (strongly
// consistent), following unprocessed keys; items that do not exist are left out.
func (s *Store) batchGet(ctx context.Context, logical string, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	table := s.names.Of(logical)
	var out []map[string]types.AttributeValue
	request := map[string]types.KeysAndAttributes{table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for range 20 {
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Responses[table]...)
		if len(res.UnprocessedKeys) == 0 {
			return out, nil
		}
		request = res.UnprocessedKeys
	}
	return nil, &domain.Error{Code: domain.CodeUnavailable, Message: "DynamoDB kept keys of a batch read unprocessed; try again"}
}
