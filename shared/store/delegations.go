package store

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// A delegation is stored twice in the reference table, both items written and changed in one
// transaction:
//
//   - under its delegator (pk DELEGATION#<user>, sk <start>#<id>), the few items that a decision
//     on a task assigned to that person reads (DelegationsFrom);
//   - in the register (pk DELEGATIONS, sk <id>), which the listings read newest first and a
//     revocation finds by id. Delegations are rare (leave, missions), so one partition holds
//     them all without becoming a hot spot.
const delegationRegister = "DELEGATIONS"

func delegationPK(user string) string { return "DELEGATION#" + user }

// delegationItem is a delegation as stored. StartKey and UntilKey are its period in fixed-width
// form, so that a filter compares them as strings in time order.
type delegationItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	domain.Delegation
	StartKey string `json:"startKey,omitempty"`
	UntilKey string `json:"untilKey,omitempty"`
}

var delegationIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newDelegationID returns an id that sorts by creation time, so that the register lists the
// newest first; the random tail keeps two made in the same second apart.
func newDelegationID(created time.Time) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "dlg-" + created.UTC().Format("20060102t150405") + "-" + strings.ToLower(delegationIDEncoding.EncodeToString(b[:]))
}

func delegationKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk), "sk": str(sk)}
}

// delegatorSK is the sort key of the delegation's item under its delegator.
func delegatorSK(d domain.Delegation) string { return timeKey(d.Start) + "#" + d.ID }

func newDelegationItem(pk, sk string, d domain.Delegation) delegationItem {
	return delegationItem{PK: pk, SK: sk, Delegation: d, StartKey: timeKey(d.Start), UntilKey: timeKey(d.Until)}
}

func checkDelegation(d domain.Delegation) error {
	var fe domain.FieldErrors
	if d.FromUser == "" || d.ToUser == "" || d.FromUser == d.ToUser {
		fe = append(fe, domain.FieldError{Field: "toUser", Reason: "must be another person"})
	}
	if !d.Role.IsApprover() {
		fe = append(fe, domain.FieldError{Field: "role", Reason: "must be an approver role"})
	}
	if !d.Until.After(d.Start) {
		fe = append(fe, domain.FieldError{Field: "until", Reason: "must be after start"})
	}
	if len(fe) > 0 {
		return domain.Invalid(fe)
	}
	return nil
}

// PutDelegation records that FromUser's tasks of Role may be decided by ToUser during
// [Start, Until). Both must hold the role; that is the caller's to check against the accounts.
func (s *Store) PutDelegation(ctx context.Context, d domain.Delegation) error {
	_, err := s.CreateDelegation(ctx, d)
	return err
}

// CreateDelegation records the delegation under its delegator and in the register, in one
// transaction, and returns it as stored: with an id (a new one when d has none) and its
// creation time. *AlreadyExists if the id is taken.
func (s *Store) CreateDelegation(ctx context.Context, d domain.Delegation) (domain.Delegation, error) {
	if err := checkDelegation(d); err != nil {
		return d, err
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = s.Now()
	}
	if d.ID == "" {
		d.ID = newDelegationID(d.CreatedAt)
	}
	d.Start, d.Until, d.CreatedAt = d.Start.UTC(), d.Until.UTC(), d.CreatedAt.UTC()
	d.RevokedAt, d.RevokedBy = nil, ""
	register, err := marshalMap(newDelegationItem(delegationRegister, d.ID, d))
	if err != nil {
		return d, err
	}
	own, err := marshalMap(newDelegationItem(delegationPK(d.FromUser), delegatorSK(d), d))
	if err != nil {
		return d, err
	}
	put := func(item map[string]types.AttributeValue) types.TransactWriteItem {
		return types.TransactWriteItem{Put: &types.Put{TableName: s.table(tables.Reference), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(pk)")}}
	}
	err = s.withRetry(ctx, func() error {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put(register), put(own)}})
		for _, reason := range cancelReasons(err) {
			if reason == "ConditionalCheckFailed" {
				return &AlreadyExists{Entity: "delegation", ID: d.ID}
			}
		}
		return err
	})
	return d, err
}

// DelegationsFrom returns the delegations the user made, by start.
func (s *Store) DelegationsFrom(ctx context.Context, user string) ([]domain.Delegation, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Reference), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(delegationPK(user))}})
	if err != nil {
		return nil, err
	}
	return decodeItems(items, func(it delegationItem) domain.Delegation { return it.Delegation })
}

// GetDelegation returns the delegation with that id (strongly consistent); not_found if there
// is none.
func (s *Store) GetDelegation(ctx context.Context, id string) (domain.Delegation, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Reference),
		Key: delegationKey(delegationRegister, id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.Delegation{}, err
	}
	if out.Item == nil {
		return domain.Delegation{}, domain.NotFound("delegation", id)
	}
	var it delegationItem
	err = unmarshalMap(out.Item, &it)
	return it.Delegation, err
}

// DelegationQuery selects delegations. Every field that is set narrows the list.
type DelegationQuery struct {
	// Party lists only the delegations this person gave or received.
	Party string
	// Delegator and Delegate list only the delegations of that delegator, to that delegate.
	Delegator string
	Delegate  string
	Role      domain.Role
	// ActiveAt lists only the delegations in force at that time.
	ActiveAt time.Time
	// Limit is the page size (default 25, at most 100); Cursor continues a listing.
	Limit  int
	Cursor string
}

// ListDelegations lists the delegations newest first, one page at a time.
func (s *Store) ListDelegations(ctx context.Context, q DelegationQuery) (Page[domain.Delegation], error) {
	if q.Role != "" && !q.Role.IsApprover() {
		return Page[domain.Delegation]{}, domain.Invalid(domain.FieldErrors{{Field: "role", Reason: "must be an approver role"}})
	}
	in := &dynamodb.QueryInput{TableName: s.table(tables.Reference), KeyConditionExpression: aws.String("pk = :pk"),
		ScanIndexForward: aws.Bool(false), ExpressionAttributeNames: map[string]string{},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(delegationRegister)}}
	var filters []string
	if q.Party != "" {
		filters = append(filters, "(fromUser = :party OR toUser = :party)")
		in.ExpressionAttributeValues[":party"] = str(q.Party)
	}
	if q.Delegator != "" {
		filters = append(filters, "fromUser = :delegator")
		in.ExpressionAttributeValues[":delegator"] = str(q.Delegator)
	}
	if q.Delegate != "" {
		filters = append(filters, "toUser = :delegate")
		in.ExpressionAttributeValues[":delegate"] = str(q.Delegate)
	}
	if q.Role != "" {
		filters = append(filters, "#role = :role")
		in.ExpressionAttributeNames["#role"] = "role"
		in.ExpressionAttributeValues[":role"] = str(string(q.Role))
	}
	active := !q.ActiveAt.IsZero()
	if active {
		filters = append(filters, "startKey <= :at AND untilKey > :at")
		in.ExpressionAttributeValues[":at"] = str(timeKey(q.ActiveAt))
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	if len(in.ExpressionAttributeNames) == 0 {
		in.ExpressionAttributeNames = nil
	}
	// The cursor names the filters but not the time of "active": the next page is asked for
	// a little later and is still the same listing.
	query := fmt.Sprintf("delegations:%s:%s:%s:%s:%t", q.Party, q.Delegator, q.Delegate, q.Role, active)
	start, _, err := decodeCursor(query, q.Cursor)
	if err != nil {
		return Page[domain.Delegation]{}, err
	}
	in.ExclusiveStartKey = start
	items, last, err := s.queryPage(ctx, in, pageLimit(q.Limit, 25, 100))
	if err != nil {
		return Page[domain.Delegation]{}, err
	}
	records, err := decodeItems(items, func(it delegationItem) domain.Delegation { return it.Delegation })
	if err != nil {
		return Page[domain.Delegation]{}, err
	}
	return Page[domain.Delegation]{Items: records, Next: encodeCursor(query, "", last)}, nil
}

// RevokeDelegation ends the delegation now (domain.Delegation.Revoke), on behalf of by, and
// returns it as it was and as it is. Both stored items change in one transaction conditional on
// the delegation not being revoked yet, so of concurrent revocations exactly one succeeds; the
// others, and any revocation of a delegation already revoked or over, get a conflict with
// nothing written.
func (s *Store) RevokeDelegation(ctx context.Context, id, by string) (domain.Delegation, domain.Delegation, error) {
	if by == "" {
		return domain.Delegation{}, domain.Delegation{}, domain.Invalid(domain.FieldErrors{{Field: "revokedBy", Reason: "is required"}})
	}
	var before, after domain.Delegation
	err := s.withRetry(ctx, func() error {
		current, err := s.GetDelegation(ctx, id)
		if err != nil {
			return err
		}
		before = current
		revoked, err := current.Revoke(s.Now(), by)
		if err != nil {
			return err
		}
		until, err := marshalValue(revoked.Until)
		if err != nil {
			return err
		}
		revokedAt, err := marshalValue(revoked.RevokedAt)
		if err != nil {
			return err
		}
		u := newUpdate()
		u.set("until", until)
		u.set("untilKey", str(timeKey(revoked.Until)))
		u.set("revokedAt", revokedAt)
		u.set("revokedBy", str(by))
		change := func(key map[string]types.AttributeValue) types.TransactWriteItem {
			return types.TransactWriteItem{Update: &types.Update{TableName: s.table(tables.Reference), Key: key,
				UpdateExpression: u.expression(), ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(revokedAt)"),
				ExpressionAttributeNames: u.names, ExpressionAttributeValues: u.values}}
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			change(delegationKey(delegationRegister, id)), change(delegationKey(delegationPK(current.FromUser), delegatorSK(current))),
		}})
		if reasons := cancelReasons(err); len(reasons) == 2 {
			switch {
			case reasons[0] == "ConditionalCheckFailed":
				// Revoked meanwhile: the next attempt reads it and answers with the conflict.
				return retryable(domain.Errorf(domain.CodeConflict, "the delegation %s was revoked meanwhile", id))
			case reasons[1] == "ConditionalCheckFailed":
				return fmt.Errorf("store: delegation %s has no item under its delegator %s", id, current.FromUser)
			}
		}
		if err != nil {
			return err
		}
		after = revoked
		return nil
	})
	return before, after, err
}
