// Package store keeps Fast-Track's data in DynamoDB with the rules of the design: money in minor
// units and a fund that changes its balance and its ledger in one transaction that can never
// overdraw; expert bookings that can never overlap; activation status changes conditional on
// status and version; approval tasks decided once; an append-only, hash-chained audit trail;
// idempotency keys; reference data.
//
// A workflow step's change of its activation, the audit events that record it and the money or
// bookings it moves are written in one TransactWriteItems (Commit, Record; see commit.go), so
// that none of them exists without the others and a step costs one write.
//
// One *Store serves all of it. Callers depend on the small interfaces (Activations, Fund,
// Roster, Tasks, AuditTrail, ReferenceData, Idempotency) so that handlers declare what they use.
// Errors are the domain's: *domain.Error with a code, or a named type (*domain.StaleVersion,
// *domain.IllegalTransition, *domain.InsufficientFunds, *domain.ExpertUnavailable,
// *domain.TaskNotOpen, ...); read them with errors.As or domain.CodeOf. Transaction conflicts
// and throttling are retried here with backoff and jitter; business refusals never are.
package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// API is the part of the DynamoDB client the store uses; *dynamodb.Client has it.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Retry says how the store retries transaction conflicts, throttling and lost races.
type Retry struct {
	// MaxAttempts bounds the attempts of one operation (default 60).
	MaxAttempts int
	// BaseDelay is the first backoff (default 2ms); each attempt doubles it up to MaxDelay
	// (default 100ms), and the actual wait is drawn at random below it (full jitter).
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

// Options configure a Store.
type Options struct {
	// Now is the clock (time.Now if nil); tests inject their own.
	Now   func() time.Time
	Retry Retry
	// IdempotencyTTL is how long idempotency keys are kept (default 24h).
	IdempotencyTTL time.Duration
}

// Store is Fast-Track's data in DynamoDB.
type Store struct {
	db    API
	names tables.Names
	now   func() time.Time
	retry Retry
	idTTL time.Duration
	heads headCache
}

// New returns a Store over the client and the physical table names.
func New(db API, names tables.Names, opts Options) *Store {
	s := &Store{db: db, names: names, now: opts.Now, retry: opts.Retry, idTTL: opts.IdempotencyTTL}
	if s.now == nil {
		s.now = time.Now
	}
	if s.retry.MaxAttempts <= 0 {
		s.retry.MaxAttempts = 60
	}
	if s.retry.BaseDelay <= 0 {
		s.retry.BaseDelay = 2 * time.Millisecond
	}
	if s.retry.MaxDelay <= 0 {
		s.retry.MaxDelay = 100 * time.Millisecond
	}
	if s.idTTL <= 0 {
		s.idTTL = 24 * time.Hour
	}
	return s
}

// Now returns the store's clock reading.
func (s *Store) Now() time.Time { return s.now().UTC() }

func (s *Store) table(logical string) *string { return aws.String(s.names.Of(logical)) }

// AlreadyExists is returned when creating something whose id is taken.
type AlreadyExists struct {
	Entity string
	ID     string
}

func (e *AlreadyExists) Error() string { return fmt.Sprintf("%s %s already exists", e.Entity, e.ID) }

// ErrorCode is conflict.
func (e *AlreadyExists) ErrorCode() domain.ErrorCode { return domain.CodeConflict }

// Page is one page of a listing. Next is the cursor of the following page, "" on the last.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// --- encoding ---

func marshalMap(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
}

func marshalValue(v any) (types.AttributeValue, error) {
	return attributevalue.MarshalWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
}

func unmarshalMap(m map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(m, v, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" })
}

// decodeItems reads query results as the stored item type I and returns the record each holds.
func decodeItems[I, T any](items []map[string]types.AttributeValue, record func(I) T) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, m := range items {
		var it I
		if err := unmarshalMap(m, &it); err != nil {
			return nil, err
		}
		out = append(out, record(it))
	}
	return out, nil
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

// timeKey writes t in UTC with a fixed width, so that keys compare in time order as strings.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// --- cursors ---

// cursor is the opaque paging token: the query it belongs to and DynamoDB's last evaluated key.
type cursor struct {
	Query string            `json:"q"`
	Key   map[string]string `json:"k,omitempty"`
	// Numbers lists the key attributes that are numbers.
	Numbers []string `json:"n,omitempty"`
	// Part is a query-specific position (the month of an audit search).
	Part string `json:"p,omitempty"`
}

func encodeCursor(query, part string, key map[string]types.AttributeValue) string {
	if len(key) == 0 && part == "" {
		return ""
	}
	c := cursor{Query: query, Key: map[string]string{}, Part: part}
	for k, v := range key {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			c.Key[k] = v.Value
		case *types.AttributeValueMemberN:
			c.Key[k] = v.Value
			c.Numbers = append(c.Numbers, k)
		}
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = &domain.Error{Code: domain.CodeInvalid, Message: "the cursor is not valid for this listing",
	Fields: domain.FieldErrors{{Field: "cursor", Reason: "is not a cursor of this listing"}}}

func decodeCursor(query, token string) (map[string]types.AttributeValue, string, error) {
	if token == "" {
		return nil, "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, "", errBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Query != query {
		return nil, "", errBadCursor
	}
	key := map[string]types.AttributeValue{}
	isNum := map[string]bool{}
	for _, n := range c.Numbers {
		isNum[n] = true
	}
	for k, v := range c.Key {
		if isNum[k] {
			key[k] = &types.AttributeValueMemberN{Value: v}
		} else {
			key[k] = str(v)
		}
	}
	if len(key) == 0 {
		key = nil
	}
	return key, c.Part, nil
}

func pageLimit(limit, def, maxLimit int) int32 {
	switch {
	case limit <= 0:
		return int32(def)
	case limit > maxLimit:
		return int32(maxLimit)
	}
	return int32(limit)
}

// --- errors and retries ---

// errRetry marks an attempt that lost a race and may be tried again.
type errRetry struct{ cause error }

func (e errRetry) Error() string { return "retry: " + e.cause.Error() }
func (e errRetry) Unwrap() error { return e.cause }

func retryable(err error) error { return errRetry{cause: err} }

// withRetry runs op until it succeeds, fails with an error that is not marked retryable, or
// runs out of attempts. Transaction conflicts and throttling are retryable by themselves.
func (s *Store) withRetry(ctx context.Context, op func() error) error {
	delay := s.retry.BaseDelay
	var err error
	for attempt := 1; ; attempt++ {
		err = op()
		if err == nil {
			return nil
		}
		var r errRetry
		if !errors.As(err, &r) && !transient(err) {
			return err
		}
		if attempt >= s.retry.MaxAttempts {
			break
		}
		if err := s.pause(ctx, delay); err != nil {
			return err
		}
		delay = min(delay*2, s.retry.MaxDelay)
	}
	var r errRetry
	if errors.As(err, &r) {
		err = r.cause
	}
	return &domain.Error{Code: domain.CodeUnavailable, Err: err,
		Message: fmt.Sprintf("the operation kept conflicting with others after %d attempts; try again", s.retry.MaxAttempts)}
}

// pause waits a random time below delay (full jitter), or until ctx ends.
func (s *Store) pause(ctx context.Context, delay time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(rand.Int64N(int64(delay) + 1))):
		return nil
	}
}

// transient reports whether err is a transaction conflict or throttling: worth another try.
func transient(err error) bool {
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		for _, r := range tc.CancellationReasons {
			code := aws.ToString(r.Code)
			if code == "TransactionConflict" || code == "ThrottlingError" || code == "ProvisionedThroughputExceeded" {
				return true
			}
		}
		return false
	}
	var conflict *types.TransactionConflictException
	var inProgress *types.TransactionInProgressException
	var throughput *types.ProvisionedThroughputExceededException
	var limit *types.RequestLimitExceeded
	return errors.As(err, &conflict) || errors.As(err, &inProgress) || errors.As(err, &throughput) || errors.As(err, &limit)
}

// cancelReasons returns the cancellation reason code of each item of a cancelled transaction
// ("None", "ConditionalCheckFailed", "TransactionConflict", ...), or nil for other errors.
func cancelReasons(err error) []string {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return nil
	}
	out := make([]string, len(tc.CancellationReasons))
	for i, r := range tc.CancellationReasons {
		out[i] = aws.ToString(r.Code)
	}
	return out
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// oldItem returns the item a failed conditional write saw (ReturnValuesOnConditionCheckFailure).
func oldItem(err error) map[string]types.AttributeValue {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item
	}
	return nil
}

// queryAll runs a query to its end and returns every item.
func (s *Store) queryAll(ctx context.Context, in *dynamodb.QueryInput) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// queryPage fills one page of up to limit items that pass the query's filter, following
// DynamoDB's pages as needed. Each request asks for no more than the items still missing, so
// the returned cursor resumes exactly after the last item given.
func (s *Store) queryPage(ctx context.Context, in *dynamodb.QueryInput, limit int32) ([]map[string]types.AttributeValue, map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for {
		in.Limit = aws.Int32(limit - int32(len(items)))
		out, err := s.db.Query(ctx, in)
		if err != nil {
			var ve *types.ResourceNotFoundException
			if errors.As(err, &ve) {
				return nil, nil, err
			}
			if in.ExclusiveStartKey != nil && isValidation(err) {
				return nil, nil, errBadCursor
			}
			return nil, nil, err
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil, nil
		}
		if int32(len(items)) >= limit {
			return items, out.LastEvaluatedKey, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func isValidation(err error) bool {
	var apiErr interface{ ErrorCode() string }
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException"
}
