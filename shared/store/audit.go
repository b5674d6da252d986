package store

import (
	"cmp"
	"context"
	"encoding/json"
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

// AuditTrail is the append-only audit trail. No method updates or deletes an event.
type AuditTrail interface {
	// AppendAudit appends the event to its activation's chain and returns it sealed.
	AppendAudit(ctx context.Context, e audit.Event) (audit.Event, error)
	// AuditOfActivation lists an activation's events in order.
	AuditOfActivation(ctx context.Context, activationID string, limit int, cursor string) (Page[audit.Event], error)
	// QueryAudit searches the trail.
	QueryAudit(ctx context.Context, q AuditQuery) (Page[audit.Event], error)
	// VerifyAudit checks one activation's chain.
	VerifyAudit(ctx context.Context, activationID string) ([]audit.Break, error)
	// VerifyAllAudit checks every chain.
	VerifyAllAudit(ctx context.Context) (VerifyReport, error)
}

var _ AuditTrail = (*Store)(nil)

// auditItem is an event as stored: Before/After as JSON strings (exactly the canonical text
// that was hashed), the time as RFC 3339 with nanoseconds, plus the index keys.
type auditItem struct {
	Stream        string `json:"stream"`
	Seq           int64  `json:"seq"`
	Time          string `json:"time"`
	Actor         string `json:"actor"`
	Role          string `json:"role,omitempty"`
	Office        string `json:"office,omitempty"`
	Action        string `json:"action"`
	ActivationID  string `json:"activationId,omitempty"`
	Country       string `json:"country,omitempty"`
	Subject       string `json:"subject,omitempty"`
	Before        string `json:"before,omitempty"`
	After         string `json:"after,omitempty"`
	WorkflowEvent string `json:"workflowEvent,omitempty"`
	PrevHash      string `json:"prevHash"`
	Hash          string `json:"hash"`
	TimeKey       string `json:"timeKey"`
	Month         string `json:"month"`
}

func toAuditItem(e audit.Event) auditItem {
	return auditItem{Stream: e.Stream, Seq: e.Seq, Time: e.Time.UTC().Format(time.RFC3339Nano), Actor: e.Actor,
		Role: e.Role, Office: e.Office, Action: e.Action, ActivationID: e.ActivationID, Country: e.Country,
		Subject: e.Subject, Before: string(e.Before), After: string(e.After), WorkflowEvent: e.WorkflowEvent,
		PrevHash: e.PrevHash, Hash: e.Hash,
		TimeKey: timeKey(e.Time) + "#" + e.Stream + "#" + fmt.Sprintf("%012d", e.Seq), Month: e.Time.UTC().Format("2006-01")}
}

func toEvent(m map[string]types.AttributeValue) (audit.Event, error) {
	var it auditItem
	if err := unmarshalMap(m, &it); err != nil {
		return audit.Event{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, it.Time)
	if err != nil {
		// A malformed time is kept visible (zero time) so that Verify reports the event.
		t = time.Time{}
	}
	e := audit.Event{Stream: it.Stream, Seq: it.Seq, Time: t, Actor: it.Actor, Role: it.Role, Office: it.Office,
		Action: it.Action, ActivationID: it.ActivationID, Country: it.Country, Subject: it.Subject,
		WorkflowEvent: it.WorkflowEvent, PrevHash: it.PrevHash, Hash: it.Hash}
	if it.Before != "" {
		e.Before = json.RawMessage(it.Before)
	}
	if it.After != "" {
		e.After = json.RawMessage(it.After)
	}
	return e, nil
}

// lastEvent returns the newest event of the stream, or nil.
func (s *Store) lastEvent(ctx context.Context, stream string) (*audit.Event, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Audit), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("#stream = :s"),
		ExpressionAttributeNames:  map[string]string{"#stream": "stream"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": str(stream)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(1)})
	if err != nil || len(out.Items) == 0 {
		return nil, err
	}
	e, err := toEvent(out.Items[0])
	return &e, err
}

// AppendAudit appends the event to its stream (its activation's, or the system stream) and
// returns it sealed (sequence and hash chain). Time defaults to now. Events are only ever put,
// never updated, each on the condition that its sequence number is still free, so concurrent
// appends to one stream collide and the loser chains again after the winner: the stream stays
// one unbroken chain.
//
// An activation's events chain after the head kept on the activation item (see Commit): one
// read of the item, then one transaction that puts the event and moves the head. Events of the
// system stream, and of an activation that does not exist, chain after the stream's last event,
// read from the audit table.
func (s *Store) AppendAudit(ctx context.Context, e audit.Event) (audit.Event, error) {
	if e.Actor == "" || e.Action == "" {
		return e, domain.Invalid(domain.FieldErrors{{Field: "actor", Reason: "an audit event needs an actor and an action"}})
	}
	if e.Time.IsZero() {
		e.Time = s.Now()
	}
	if e.ActivationID != "" {
		head, found := s.heads.get(e.ActivationID)
		if !found {
			var err error
			if head, found, err = s.readHead(ctx, e.ActivationID); err != nil {
				return e, err
			}
		}
		if found {
			_, sealed, err := s.Record(ctx, Current{Activation: domain.Activation{ID: e.ActivationID}, Audit: head}, []audit.Event{e})
			if err != nil {
				return e, err
			}
			return sealed[0], nil
		}
	}
	var sealed audit.Event
	err := s.withRetry(ctx, func() error {
		prev, err := s.lastEvent(ctx, audit.StreamOf(e.ActivationID))
		if err != nil {
			return err
		}
		sealed, err = audit.Seal(e, prev)
		if err != nil {
			return domain.Errorf(domain.CodeInvalid, "%v", err)
		}
		item, err := marshalMap(toAuditItem(sealed))
		if err != nil {
			return err
		}
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table(tables.Audit), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(#stream)"), ExpressionAttributeNames: map[string]string{"#stream": "stream"}})
		if conditionFailed(err) {
			return retryable(err)
		}
		return err
	})
	return sealed, err
}

// readHead reads the audit head of an activation item, and whether the activation exists.
func (s *Store) readHead(ctx context.Context, activationID string) (AuditHead, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Activations),
		Key: map[string]types.AttributeValue{"id": str(activationID)}, ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("id, auditSeq, auditHash")})
	if err != nil || out.Item == nil {
		return AuditHead{}, false, err
	}
	return headOf(out.Item), true, nil
}

// AuditOfActivation lists the activation's events in sequence order (default 100 a page, at
// most 1000).
func (s *Store) AuditOfActivation(ctx context.Context, activationID string, limit int, cursor string) (Page[audit.Event], error) {
	stream := audit.StreamOf(activationID)
	query := "audit-stream:" + stream
	start, _, err := decodeCursor(query, cursor)
	if err != nil {
		return Page[audit.Event]{}, err
	}
	in := &dynamodb.QueryInput{TableName: s.table(tables.Audit), ConsistentRead: aws.Bool(true), ExclusiveStartKey: start,
		KeyConditionExpression:    aws.String("#stream = :s"),
		ExpressionAttributeNames:  map[string]string{"#stream": "stream"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": str(stream)}}
	items, last, err := s.queryPage(ctx, in, pageLimit(limit, 100, 1000))
	if err != nil {
		return Page[audit.Event]{}, err
	}
	return eventsPage(items, encodeCursor(query, "", last))
}

func eventsPage(items []map[string]types.AttributeValue, next string) (Page[audit.Event], error) {
	page := Page[audit.Event]{Items: []audit.Event{}, Next: next}
	for _, m := range items {
		e, err := toEvent(m)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, e)
	}
	return page, nil
}

// AuditQuery searches the audit trail. The most selective field given picks the index
// (activation, then actor, then country, then action, else month by month over the time range);
// the other fields filter. Results come in time order (sequence order for an activation).
type AuditQuery struct {
	ActivationID string
	Actor        string
	Country      string
	Action       string
	// From and To bound the time (From included, To excluded); a zero To is now. With no other
	// field a zero From is a year before To.
	From, To time.Time
	Limit    int
	Cursor   string
}

// QueryAudit searches the trail, a page at a time (default 100, at most 1000).
func (s *Store) QueryAudit(ctx context.Context, q AuditQuery) (Page[audit.Event], error) {
	to := q.To
	if to.IsZero() {
		to = s.Now().Add(time.Nanosecond)
	}
	if !q.From.IsZero() && !q.From.Before(to) {
		return Page[audit.Event]{}, domain.Invalid(domain.FieldErrors{{Field: "from", Reason: "must be before to"}})
	}
	limit := pageLimit(q.Limit, 100, 1000)
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	var filters []string
	filter := func(attr, value string) {
		if value == "" {
			return
		}
		names["#"+attr] = attr
		values[":"+attr] = str(value)
		filters = append(filters, "#"+attr+" = :"+attr)
	}
	in := &dynamodb.QueryInput{TableName: s.table(tables.Audit)}
	var partitionAttr, partition string
	switch {
	case q.ActivationID != "":
		partitionAttr, partition = "stream", audit.StreamOf(q.ActivationID)
		filter("actor", q.Actor)
		filter("country", q.Country)
		filter("action", q.Action)
	case q.Actor != "":
		in.IndexName, partitionAttr, partition = aws.String(tables.AuditByActor), "actor", q.Actor
		filter("country", q.Country)
		filter("action", q.Action)
	case q.Country != "":
		in.IndexName, partitionAttr, partition = aws.String(tables.AuditByCountry), "country", q.Country
		filter("action", q.Action)
	case q.Action != "":
		in.IndexName, partitionAttr, partition = aws.String(tables.AuditByAction), "action", q.Action
	}
	fromKey := "0"
	if !q.From.IsZero() {
		fromKey = timeKey(q.From)
	}
	toKey := timeKey(to)
	query := fmt.Sprintf("audit:%s:%s:%s:%s:%s:%s", q.ActivationID, q.Actor, q.Country, q.Action, fromKey, toKey)
	start, part, err := decodeCursor(query, q.Cursor)
	if err != nil {
		return Page[audit.Event]{}, err
	}
	if partitionAttr == "stream" {
		// The activation's own stream, in sequence order; time bounds filter.
		if !q.From.IsZero() {
			names["#timeKey"] = "timeKey"
			values[":from"] = str(fromKey)
			filters = append(filters, "#timeKey >= :from")
		}
		names["#timeKey"] = "timeKey"
		values[":to"] = str(toKey)
		filters = append(filters, "#timeKey < :to")
	}
	if partitionAttr != "" {
		names["#p"] = partitionAttr
		values[":p"] = str(partition)
		in.KeyConditionExpression = aws.String("#p = :p")
		if partitionAttr != "stream" {
			in.KeyConditionExpression = aws.String("#p = :p AND timeKey BETWEEN :from AND :to")
			values[":from"] = str(fromKey)
			values[":to"] = str(toKey)
		}
		if len(filters) > 0 {
			in.FilterExpression = aws.String(joinAnd(filters))
		}
		in.ExpressionAttributeNames, in.ExpressionAttributeValues = names, values
		in.ExclusiveStartKey = start
		items, last, err := s.queryPage(ctx, in, limit)
		if err != nil {
			return Page[audit.Event]{}, err
		}
		// BETWEEN includes its upper bound; To is excluded.
		items = dropAtOrAfter(items, toKey)
		return eventsPage(items, encodeCursor(query, "", last))
	}
	// Time range alone: month partitions from the cursor's month (or From's) up to To.
	from := q.From
	if from.IsZero() {
		from = to.AddDate(-1, 0, 0)
		fromKey = timeKey(from)
	}
	month := from.UTC().Format("2006-01")
	if part != "" {
		month = part
	}
	lastMonth := to.UTC().Format("2006-01")
	var collected []map[string]types.AttributeValue
	for {
		in := &dynamodb.QueryInput{TableName: s.table(tables.Audit), IndexName: aws.String(tables.AuditByMonth),
			KeyConditionExpression:    aws.String("#month = :m AND timeKey BETWEEN :from AND :to"),
			ExpressionAttributeNames:  map[string]string{"#month": "month"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":m": str(month), ":from": str(fromKey), ":to": str(toKey)},
			ExclusiveStartKey:         start}
		items, last, err := s.queryPage(ctx, in, limit-int32(len(collected)))
		if err != nil {
			return Page[audit.Event]{}, err
		}
		collected = append(collected, dropAtOrAfter(items, toKey)...)
		if last != nil {
			return eventsPage(collected, encodeCursor(query, month, last))
		}
		if month >= lastMonth {
			return eventsPage(collected, "")
		}
		month = nextMonth(month)
		start = nil
		if int32(len(collected)) >= limit {
			return eventsPage(collected, encodeCursor(query, month, nil))
		}
	}
}

func joinAnd(parts []string) string { return strings.Join(parts, " AND ") }

func dropAtOrAfter(items []map[string]types.AttributeValue, toKey string) []map[string]types.AttributeValue {
	out := items[:0]
	for _, m := range items {
		if k, ok := m["timeKey"].(*types.AttributeValueMemberS); ok && k.Value >= toKey {
			continue
		}
		out = append(out, m)
	}
	return out
}

func nextMonth(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return "9999-12"
	}
	return t.AddDate(0, 1, 0).Format("2006-01")
}

// VerifyAudit walks the activation's chain and returns the events that break it (none for an
// intact chain); see audit.Verify.
func (s *Store) VerifyAudit(ctx context.Context, activationID string) ([]audit.Break, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Audit), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("#stream = :s"),
		ExpressionAttributeNames:  map[string]string{"#stream": "stream"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": str(audit.StreamOf(activationID))}})
	if err != nil {
		return nil, err
	}
	events := make([]audit.Event, 0, len(items))
	for _, m := range items {
		e, err := toEvent(m)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return audit.Verify(events), nil
}

// VerifyReport is the result of checking every chain.
type VerifyReport struct {
	Streams int           `json:"streams"`
	Events  int           `json:"events"`
	Breaks  []audit.Break `json:"breaks"`
}

// VerifyAllAudit reads the whole trail (a scan, for `fasttrack audit verify`) and checks every
// stream's chain.
func (s *Store) VerifyAllAudit(ctx context.Context) (VerifyReport, error) {
	byStream := map[string][]audit.Event{}
	in := &dynamodb.ScanInput{TableName: s.table(tables.Audit), ConsistentRead: aws.Bool(true)}
	for {
		out, err := s.db.Scan(ctx, in)
		if err != nil {
			return VerifyReport{}, err
		}
		for _, m := range out.Items {
			e, err := toEvent(m)
			if err != nil {
				return VerifyReport{}, err
			}
			byStream[e.Stream] = append(byStream[e.Stream], e)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	report := VerifyReport{Streams: len(byStream), Breaks: []audit.Break{}}
	streams := make([]string, 0, len(byStream))
	for stream := range byStream {
		streams = append(streams, stream)
	}
	slices.Sort(streams)
	for _, stream := range streams {
		events := byStream[stream]
		slices.SortFunc(events, func(a, b audit.Event) int { return cmp.Compare(a.Seq, b.Seq) })
		report.Events += len(events)
		report.Breaks = append(report.Breaks, audit.Verify(events)...)
	}
	return report, nil
}
