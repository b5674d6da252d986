package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Roster keeps experts, their insurance policies and their bookings.
//
// No expert is ever booked twice for overlapping days. Each expert item carries a version; a
// booking reads the expert and all their bookings, checks the new period against them, and
// writes the booking and the expert's version+1 in one transaction conditional on the version
// read. Two concurrent bookings of one expert cannot both commit: the second fails its version
// condition, reads again, and sees the first. Per-day items were the alternative; they cost a
// write per day and a 365-day deployment would not fit in one transaction (100 items at most).
type Roster interface {
	// CreateExpert adds an expert if the id is free (false if it exists: nothing changes).
	CreateExpert(ctx context.Context, e domain.Expert) (bool, error)
	// UpdateExpert changes an expert's profile (not their bookings or version).
	UpdateExpert(ctx context.Context, e domain.Expert) (domain.Expert, error)
	GetExpert(ctx context.Context, id string) (domain.Expert, error)
	ListExperts(ctx context.Context) ([]domain.Expert, error)
	PutPolicy(ctx context.Context, p domain.InsurancePolicy) error
	Policies(ctx context.Context, expertID string) ([]domain.InsurancePolicy, error)
	// Book books the expert; *domain.ExpertUnavailable if any day is taken.
	Book(ctx context.Context, r BookingRequest) (domain.Booking, error)
	// CancelBooking frees the booking's days (idempotent).
	CancelBooking(ctx context.Context, expertID, bookingID string) (domain.Booking, bool, error)
	// ConfirmBooking marks a booking confirmed when the activation goes ACTIVE (idempotent).
	ConfirmBooking(ctx context.Context, expertID, bookingID string) (domain.Booking, error)
	BookingsOfActivation(ctx context.Context, activationID string) ([]domain.Booking, error)
	BookingsOfExpert(ctx context.Context, expertID string) ([]domain.Booking, error)
	// DeployExpert matches and books the best available expert for a profile.
	DeployExpert(ctx context.Context, r DeployRequest) (Deployed, error)
}

var _ Roster = (*Store)(nil)

const expertKind = "EXPERT"

func expertPK(id string) string { return "EXPERT#" + id }

const profileSK = "PROFILE"

func policySK(id string) string  { return "POLICY#" + id }
func bookingSK(id string) string { return "BOOKING#" + id }

// BookingID is the id of the booking of an activation's profile: deterministic, so a retried
// booking finds the first.
func BookingID(activationID string, profileIndex int) string {
	return activationID + "#" + strconv.Itoa(profileIndex)
}

type expertItem struct {
	PK   string `json:"pk"`
	SK   string `json:"sk"`
	Kind string `json:"kind"`
	domain.Expert
}

type policyItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	domain.InsurancePolicy
}

type bookingItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	domain.Booking
}

func rosterKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk), "sk": str(sk)}
}

func checkExpert(e domain.Expert) error {
	var fe domain.FieldErrors
	if e.ID == "" || strings.ContainsAny(e.ID, "#") {
		fe = append(fe, domain.FieldError{Field: "id", Reason: "is required and must not contain #"})
	}
	if e.Employment != domain.Staff && e.Employment != domain.Consultant {
		fe = append(fe, domain.FieldError{Field: "employment", Reason: "must be staff or consultant"})
	}
	for i, a := range e.Areas {
		if !a.Valid() {
			fe = append(fe, domain.FieldError{Field: fmt.Sprintf("areas[%d]", i), Reason: "is not a technical area"})
		}
	}
	for i, l := range e.Languages {
		if !domain.ValidLanguage(l) {
			fe = append(fe, domain.FieldError{Field: fmt.Sprintf("languages[%d]", i), Reason: "must be an ISO 639-1 code"})
		}
	}
	if e.Training.Level != domain.TrainingNone && !e.Training.Expires.Valid() {
		fe = append(fe, domain.FieldError{Field: "training.expires", Reason: "must be a date YYYY-MM-DD"})
	}
	if len(fe) > 0 {
		return domain.Invalid(fe)
	}
	return nil
}

// CreateExpert adds the expert, conditional on the id being free; it returns false and
// changes nothing if the expert exists.
func (s *Store) CreateExpert(ctx context.Context, e domain.Expert) (bool, error) {
	if err := checkExpert(e); err != nil {
		return false, err
	}
	e.Version, e.ActiveBookings, e.UpdatedAt = 0, 0, s.Now()
	item, err := marshalMap(expertItem{PK: expertPK(e.ID), SK: profileSK, Kind: expertKind, Expert: e})
	if err != nil {
		return false, err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table(tables.Roster), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if conditionFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// UpdateExpert replaces the expert's profile (name, areas, languages, training, office,
// unavailability), keeping their version and booking count. not_found if there is no such
// expert.
func (s *Store) UpdateExpert(ctx context.Context, e domain.Expert) (domain.Expert, error) {
	if err := checkExpert(e); err != nil {
		return e, err
	}
	e.UpdatedAt = s.Now()
	all, err := marshalMap(e)
	if err != nil {
		return e, err
	}
	u := newUpdate()
	for _, name := range []string{"name", "employment", "areas", "languages", "training", "homeOffice", "unavailable", "updatedAt"} {
		if v, ok := all[name]; ok {
			u.set(name, v)
		} else {
			u.set(name, &types.AttributeValueMemberNULL{Value: true})
		}
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.table(tables.Roster),
		Key: rosterKey(expertPK(e.ID), profileSK), UpdateExpression: u.expression(),
		ConditionExpression:      aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames: u.names, ExpressionAttributeValues: u.values, ReturnValues: types.ReturnValueAllNew})
	if conditionFailed(err) {
		return e, domain.NotFound("expert", e.ID)
	}
	if err != nil {
		return e, err
	}
	var it expertItem
	err = unmarshalMap(out.Attributes, &it)
	return it.Expert, err
}

// GetExpert reads the expert (strongly consistent).
func (s *Store) GetExpert(ctx context.Context, id string) (domain.Expert, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Roster),
		Key: rosterKey(expertPK(id), profileSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.Expert{}, err
	}
	if out.Item == nil {
		return domain.Expert{}, domain.NotFound("expert", id)
	}
	var it expertItem
	err = unmarshalMap(out.Item, &it)
	return it.Expert, err
}

// ListExperts returns every expert, by id. The roster is hundreds of people, not millions.
func (s *Store) ListExperts(ctx context.Context) ([]domain.Expert, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Roster),
		IndexName: aws.String(tables.RosterByKind), KeyConditionExpression: aws.String("kind = :kind"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":kind": str(expertKind)}})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Expert, 0, len(items))
	for _, m := range items {
		var it expertItem
		if err := unmarshalMap(m, &it); err != nil {
			return nil, err
		}
		out = append(out, it.Expert)
	}
	return out, nil
}

// PutPolicy adds or replaces an insurance policy of an existing expert.
func (s *Store) PutPolicy(ctx context.Context, p domain.InsurancePolicy) error {
	var fe domain.FieldErrors
	if p.ID == "" || strings.Contains(p.ID, "#") {
		fe = append(fe, domain.FieldError{Field: "id", Reason: "is required and must not contain #"})
	}
	if !slices.Contains(domain.CoverKinds, p.Kind) {
		fe = append(fe, domain.FieldError{Field: "kind", Reason: "must be medical, evacuation or malicious_acts"})
	}
	if !p.Period().Valid() {
		fe = append(fe, domain.FieldError{Field: "validTo", Reason: "validFrom and validTo must be dates, validTo not before validFrom"})
	}
	if len(fe) > 0 {
		return domain.Invalid(fe)
	}
	item, err := marshalMap(policyItem{PK: expertPK(p.ExpertID), SK: policySK(p.ID), InsurancePolicy: p})
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table(tables.Roster), Item: item}},
		{ConditionCheck: &types.ConditionCheck{TableName: s.table(tables.Roster), Key: rosterKey(expertPK(p.ExpertID), profileSK),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
	}})
	if reasons := cancelReasons(err); len(reasons) == 2 && reasons[1] == "ConditionalCheckFailed" {
		return domain.NotFound("expert", p.ExpertID)
	}
	return err
}

// Policies returns the expert's insurance policies.
func (s *Store) Policies(ctx context.Context, expertID string) ([]domain.InsurancePolicy, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Roster), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(expertPK(expertID)), ":prefix": str("POLICY#")}})
	if err != nil {
		return nil, err
	}
	out := make([]domain.InsurancePolicy, 0, len(items))
	for _, m := range items {
		var it policyItem
		if err := unmarshalMap(m, &it); err != nil {
			return nil, err
		}
		out = append(out, it.InsurancePolicy)
	}
	return out, nil
}

// BookingRequest asks to book an expert for an activation's profile.
type BookingRequest struct {
	ExpertID     string
	ActivationID string
	ProfileIndex int
	Period       domain.Period
}

// Book books the expert over the period for the activation's profile. A retry of the same
// booking returns the first (a conflict if that one was cancelled). *domain.ExpertUnavailable
// if any day overlaps another booking of the expert or their unavailability; not_found if there
// is no such expert. Lost races are retried with backoff.
func (s *Store) Book(ctx context.Context, r BookingRequest) (domain.Booking, error) {
	if !r.Period.Valid() {
		return domain.Booking{}, domain.Invalid(domain.FieldErrors{{Field: "period", Reason: "must be two dates, end not before start"}})
	}
	id := BookingID(r.ActivationID, r.ProfileIndex)
	var result domain.Booking
	err := s.withRetry(ctx, func() error {
		expert, err := s.GetExpert(ctx, r.ExpertID)
		if err != nil {
			return err
		}
		bookings, err := s.BookingsOfExpert(ctx, r.ExpertID)
		if err != nil {
			return err
		}
		for _, b := range bookings {
			if b.ID == id {
				if !b.Status.Holds() {
					return domain.Errorf(domain.CodeConflict, "booking %s was cancelled", id)
				}
				result = b
				return nil
			}
		}
		for _, b := range bookings {
			if b.Status.Holds() && b.Period.Overlaps(r.Period) {
				return &domain.ExpertUnavailable{ExpertID: r.ExpertID, Message: fmt.Sprintf(
					"expert %s is booked from %s to %s", r.ExpertID, b.Period.Start, b.Period.End)}
			}
		}
		for _, u := range expert.Unavailable {
			if u.Overlaps(r.Period) {
				return &domain.ExpertUnavailable{ExpertID: r.ExpertID, Message: fmt.Sprintf(
					"expert %s is unavailable from %s to %s", r.ExpertID, u.Start, u.End)}
			}
		}
		now := s.Now()
		b := domain.Booking{ID: id, ExpertID: r.ExpertID, ActivationID: r.ActivationID, ProfileIndex: r.ProfileIndex,
			Period: r.Period, Status: domain.BookingActive, CreatedAt: now, UpdatedAt: now}
		item, err := marshalMap(bookingItem{PK: expertPK(r.ExpertID), SK: bookingSK(id), Booking: b})
		if err != nil {
			return err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: s.table(tables.Roster), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
			s.expertVersionBump(r.ExpertID, expert.Version, 1),
		}})
		if err == nil {
			result = b
			return nil
		}
		if slices.Contains(cancelReasons(err), "ConditionalCheckFailed") {
			return retryable(err) // someone booked or cancelled meanwhile: read again
		}
		return err
	})
	return result, err
}

// expertVersionBump is the transaction item that moves the expert from version to version+1,
// adding delta to their active bookings.
func (s *Store) expertVersionBump(expertID string, version, delta int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{TableName: s.table(tables.Roster),
		Key:                      rosterKey(expertPK(expertID), profileSK),
		UpdateExpression:         aws.String("SET #version = :next, activeBookings = activeBookings + :delta"),
		ConditionExpression:      aws.String("#version = :version"),
		ExpressionAttributeNames: map[string]string{"#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":next": num(int64(version + 1)),
			":version": num(int64(version)), ":delta": num(int64(delta))}}}
}

func (s *Store) getBooking(ctx context.Context, expertID, bookingID string) (domain.Booking, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Roster),
		Key: rosterKey(expertPK(expertID), bookingSK(bookingID)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.Booking{}, err
	}
	if out.Item == nil {
		return domain.Booking{}, domain.NotFound("booking", bookingID)
	}
	var it bookingItem
	err = unmarshalMap(out.Item, &it)
	return it.Booking, err
}

// CancelBooking cancels the booking and frees its days (compensation). Idempotent: cancelling
// a cancelled booking returns it with changed == false. not_found if there is no such booking.
func (s *Store) CancelBooking(ctx context.Context, expertID, bookingID string) (domain.Booking, bool, error) {
	var result domain.Booking
	changed := false
	err := s.withRetry(ctx, func() error {
		b, err := s.getBooking(ctx, expertID, bookingID)
		if err != nil {
			return err
		}
		if b.Status == domain.BookingCancelled {
			result = b
			return nil
		}
		expert, err := s.GetExpert(ctx, expertID)
		if err != nil {
			return err
		}
		now := s.Now()
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: s.table(tables.Roster), Key: rosterKey(expertPK(expertID), bookingSK(bookingID)),
				UpdateExpression:         aws.String("SET #status = :cancelled, updatedAt = :now"),
				ConditionExpression:      aws.String("#status = :status"),
				ExpressionAttributeNames: map[string]string{"#status": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":cancelled": str(string(domain.BookingCancelled)),
					":status": str(string(b.Status)), ":now": str(now.Format(time.RFC3339Nano))}}},
			s.expertVersionBump(expertID, expert.Version, -1),
		}})
		if err == nil {
			b.Status, b.UpdatedAt = domain.BookingCancelled, now
			result, changed = b, true
			return nil
		}
		if slices.Contains(cancelReasons(err), "ConditionalCheckFailed") {
			return retryable(err)
		}
		return err
	})
	return result, changed, err
}

// ConfirmBooking marks an active booking CONFIRMED (the activation went ACTIVE). Idempotent;
// a conflict if the booking was cancelled.
func (s *Store) ConfirmBooking(ctx context.Context, expertID, bookingID string) (domain.Booking, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.table(tables.Roster),
		Key:                      rosterKey(expertPK(expertID), bookingSK(bookingID)),
		UpdateExpression:         aws.String("SET #status = :confirmed, updatedAt = :now"),
		ConditionExpression:      aws.String("#status IN (:active, :confirmed)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":confirmed": str(string(domain.BookingConfirmed)),
			":active": str(string(domain.BookingActive)), ":now": str(s.Now().Format(time.RFC3339Nano))},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if conditionFailed(err) {
		if oldItem(err) == nil {
			return domain.Booking{}, domain.NotFound("booking", bookingID)
		}
		return domain.Booking{}, domain.Errorf(domain.CodeConflict, "booking %s was cancelled", bookingID)
	}
	if err != nil {
		return domain.Booking{}, err
	}
	var it bookingItem
	err = unmarshalMap(out.Attributes, &it)
	return it.Booking, err
}

// BookingsOfExpert returns every booking of the expert, cancelled ones included.
func (s *Store) BookingsOfExpert(ctx context.Context, expertID string) ([]domain.Booking, error) {
	return s.bookings(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Roster), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(expertPK(expertID)), ":prefix": str("BOOKING#")}})
}

// BookingsOfActivation returns every booking of the activation, cancelled ones included, by
// profile. It reads an index, so a booking made an instant ago may be missing: compensation
// should also use the activation's own deployments.
func (s *Store) BookingsOfActivation(ctx context.Context, activationID string) ([]domain.Booking, error) {
	out, err := s.bookings(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Roster),
		IndexName: aws.String(tables.RosterByActivation), KeyConditionExpression: aws.String("activationId = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": str(activationID)}})
	slices.SortFunc(out, func(a, b domain.Booking) int { return a.ProfileIndex - b.ProfileIndex })
	return out, err
}

func (s *Store) bookings(ctx context.Context, in *dynamodb.QueryInput) ([]domain.Booking, error) {
	items, err := s.queryAll(ctx, in)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Booking, 0, len(items))
	for _, m := range items {
		var it bookingItem
		if err := unmarshalMap(m, &it); err != nil {
			return nil, err
		}
		out = append(out, it.Booking)
	}
	return out, nil
}

// BookingsByExpert returns the bookings of each of the experts, for matching.
func (s *Store) BookingsByExpert(ctx context.Context, experts []domain.Expert) (map[string][]domain.Booking, error) {
	out := make(map[string][]domain.Booking, len(experts))
	for _, e := range experts {
		b, err := s.BookingsOfExpert(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		out[e.ID] = b
	}
	return out, nil
}
