package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Idempotency remembers the first answer to a POST with an Idempotency-Key.
type Idempotency interface {
	// ClaimIdempotencyKey binds (office, key) to a request fingerprint and an activation id.
	ClaimIdempotencyKey(ctx context.Context, office, key, fingerprint, newID string) (Claim, error)
	// CompleteIdempotencyKey records the answer given to the first request.
	CompleteIdempotencyKey(ctx context.Context, office, key string, status int, body []byte) error
	// CreateActivationOnce creates the activation at most once per (office, key).
	CreateActivationOnce(ctx context.Context, key, fingerprint string, a domain.Activation, events ...audit.Event) (domain.Activation, bool, error)
}

var _ Idempotency = (*Store)(nil)

// Claim is what an idempotency key is bound to.
type Claim struct {
	// ActivationID is the id of the first request's activation; a replay must use it.
	ActivationID string `json:"activationId"`
	// Fresh is true for the request that made the claim, false for a replay.
	Fresh       bool   `json:"-"`
	Fingerprint string `json:"fingerprint"`
	// Status and Body are the first answer, once recorded (Status 0 before).
	Status    int       `json:"status,omitempty"`
	Body      []byte    `json:"body,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt int64     `json:"expiresAt"`
}

func idempotencyKey(office, key string) string { return office + "#" + key }

// ClaimIdempotencyKey binds (office, key) to the request's fingerprint (a hash of its body) and
// to newID, the activation id this request would create; the first caller wins. A later caller
// with the same key gets the first claim (Fresh false), whose ActivationID it must use, so that
// concurrent retries all converge on one activation. A key reused with a different fingerprint
// is refused (unprocessable). The claim expires after the configured TTL.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, office, key, fingerprint, newID string) (Claim, error) {
	now := s.Now()
	c := Claim{ActivationID: newID, Fresh: true, Fingerprint: fingerprint, CreatedAt: now,
		ExpiresAt: now.Add(s.idTTL).Unix()}
	item, err := marshalMap(c)
	if err != nil {
		return c, err
	}
	item["key"] = str(idempotencyKey(office, key))
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table(tables.Idempotency), Item: item,
		// An expired claim that DynamoDB has not yet deleted counts as absent.
		ConditionExpression:                 aws.String("attribute_not_exists(#key) OR expiresAt < :now"),
		ExpressionAttributeNames:            map[string]string{"#key": "key"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": num(now.Unix())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return c, nil
	}
	if !conditionFailed(err) {
		return c, err
	}
	var first Claim
	if err := unmarshalMap(oldItem(err), &first); err != nil {
		return c, err
	}
	if first.Fingerprint != fingerprint {
		return first, &domain.Error{Code: domain.CodeUnprocessable,
			Message: "this Idempotency-Key was already used with a different request"}
	}
	return first, nil
}

// CompleteIdempotencyKey records the first answer (HTTP status and body) under the key.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, office, key string, status int, body []byte) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table(tables.Idempotency), Key: map[string]types.AttributeValue{"key": str(idempotencyKey(office, key))},
		UpdateExpression:         aws.String("SET #status = :status, body = :body"),
		ConditionExpression:      aws.String("attribute_exists(#key) AND attribute_not_exists(#status)"),
		ExpressionAttributeNames: map[string]string{"#key": "key", "#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":status": &types.AttributeValueMemberN{Value: strconv.Itoa(status)}, ":body": &types.AttributeValueMemberB{Value: body},
		},
	})
	if conditionFailed(err) {
		return nil // completed by a concurrent retry: the first answer stays
	}
	return err
}

// GetIdempotencyKey returns the claim of (office, key); not_found if there is none (or expired).
func (s *Store) GetIdempotencyKey(ctx context.Context, office, key string) (Claim, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: s.table(tables.Idempotency), Key: map[string]types.AttributeValue{"key": str(idempotencyKey(office, key))},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Claim{}, err
	}
	var c Claim
	if out.Item == nil {
		return c, domain.NotFound("idempotency key", key)
	}
	if err := unmarshalMap(out.Item, &c); err != nil {
		return c, err
	}
	if c.ExpiresAt < s.Now().Unix() {
		return Claim{}, domain.NotFound("idempotency key", key)
	}
	return c, nil
}

// CreateActivationOnce creates the activation a for a POST carrying an Idempotency-Key
// (a.Office is the office). The first request creates it and gets created == true; every
// retry, concurrent or later, gets the same stored activation and created == false, even if
// the first request died between claiming the key and creating the activation (the retry then
// creates it under the claimed id). A key reused with a different fingerprint is refused. The
// events that record the request are stored with the activation, in its transaction (see
// CreateActivationRecorded), under the claimed id.
func (s *Store) CreateActivationOnce(ctx context.Context, key, fingerprint string, a domain.Activation, events ...audit.Event) (domain.Activation, bool, error) {
	claim, err := s.ClaimIdempotencyKey(ctx, a.Office, key, fingerprint, a.ID)
	if err != nil {
		return domain.Activation{}, false, err
	}
	a.ID = claim.ActivationID
	for i := range events {
		events[i].ActivationID = a.ID
	}
	created, _, err := s.CreateActivationRecorded(ctx, a, events...)
	var exists *AlreadyExists
	switch {
	case err == nil:
		return created, true, nil
	case errors.As(err, &exists):
		stored, err := s.GetActivation(ctx, a.ID)
		return stored, false, err
	default:
		return domain.Activation{}, false, err
	}
}
