package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Roster keeps experts, their insurance policies and their bookings.
//
// No expert is ever booked twice for overlapping days. Each expert item carries a version and
// the days their bookings hold (holds: booking id -> period); a booking checks the new period
// against the holds it read and writes the booking and the expert's version+1 (with the new
// hold) in one transaction conditional on the version read. Two concurrent bookings of one
// expert cannot both commit: the second fails its version condition, reads again, and sees the
// first. Keeping the holds on the expert item lets matching read the whole roster, bookings
// included, in one query. Per-day items were the alternative; they cost a write per day and a
// 365-day deployment would not fit in one transaction (100 items at most).
type Roster interface {
	// CreateExpert adds an expert if the id is free (false if it exists: nothing changes).
	CreateExpert(ctx context.Context, e domain.Expert) (bool, error)
	// UpdateExpert changes an expert's profile (not their bookings), moving their version on.
	UpdateExpert(ctx context.Context, e domain.Expert) (domain.Expert, error)
	// UpdateExpertAt is UpdateExpert on the condition that the expert's version is one of
	// versions (*ExpertChanged if not).
	UpdateExpertAt(ctx context.Context, e domain.Expert, versions []int) (domain.Expert, error)
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
	// Holds are the periods of the expert's bookings that hold days, by booking id.
	Holds map[string]domain.Period `json:"holds"`
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
	item, err := marshalMap(expertItem{PK: expertPK(e.ID), SK: profileSK, Kind: expertKind, Expert: e, Holds: map[string]domain.Period{}})
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

// ExpertChanged refuses a write conditional on an expert's version when the expert has
// another version now (someone changed their profile or bookings since they were read).
type ExpertChanged struct {
	ExpertID string
	// Version is the expert's version now.
	Version int
}

// Error says which expert moved on, and to which version.
func (e *ExpertChanged) Error() string {
	return fmt.Sprintf("expert %s changed meanwhile: their version is now %d", e.ExpertID, e.Version)
}

// ErrorCode is conflict: the state changed under the caller.
func (e *ExpertChanged) ErrorCode() domain.ErrorCode { return domain.CodeConflict }

// maxVersions bounds the versions a conditional update accepts (an If-Match list).
const maxVersions = 20

// UpdateExpert replaces the expert's profile (name, areas, languages, training, office,
// unavailability), keeping their booking count and moving their version on: a booking that
// read the expert before the change fails its version condition and reads the new
// unavailability, and a conditional update (UpdateExpertAt) that read the old profile is
// refused. not_found if there is no such expert.
func (s *Store) UpdateExpert(ctx context.Context, e domain.Expert) (domain.Expert, error) {
	return s.updateExpert(ctx, e, nil)
}

// UpdateExpertAt is UpdateExpert on the condition, checked in the same write, that the
// expert's version is one of versions: *ExpertChanged (with the version now) if it is not,
// not_found if there is no such expert. It is how an If-Match on the expert's ETag is kept
// against a concurrent change.
func (s *Store) UpdateExpertAt(ctx context.Context, e domain.Expert, versions []int) (domain.Expert, error) {
	if len(versions) == 0 || len(versions) > maxVersions {
		return e, domain.Invalid(domain.FieldErrors{{Field: "version", Reason: fmt.Sprintf("must name 1 to %d versions", maxVersions)}})
	}
	return s.updateExpert(ctx, e, versions)
}

func (s *Store) updateExpert(ctx context.Context, e domain.Expert, versions []int) (domain.Expert, error) {
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
	u.names["#version"] = "version"
	u.values[":zero"], u.values[":one"] = num(0), num(1)
	u.sets = append(u.sets, "#version = if_not_exists(#version, :zero) + :one")
	condition := "attribute_exists(pk)"
	if len(versions) > 0 {
		placeholders := make([]string, len(versions))
		for i, v := range versions {
			placeholders[i] = fmt.Sprintf(":v%d", i)
			u.values[placeholders[i]] = num(int64(v))
		}
		condition += " AND #version IN (" + strings.Join(placeholders, ", ") + ")"
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.table(tables.Roster),
		Key: rosterKey(expertPK(e.ID), profileSK), UpdateExpression: u.expression(),
		ConditionExpression:      aws.String(condition),
		ExpressionAttributeNames: u.names, ExpressionAttributeValues: u.values, ReturnValues: types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	if conditionFailed(err) {
		old := oldItem(err)
		if old == nil {
			return e, domain.NotFound("expert", e.ID)
		}
		var it expertItem
		if err := unmarshalMap(old, &it); err != nil {
			return e, err
		}
		return e, &ExpertChanged{ExpertID: e.ID, Version: it.Version}
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
	return decodeItems(items, func(it expertItem) domain.Expert { return it.Expert })
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
	return decodeItems(items, func(it policyItem) domain.InsurancePolicy { return it.InsurancePolicy })
}

// BookingRequest asks to book an expert for an activation's profile.
type BookingRequest struct {
	ExpertID     string
	ActivationID string
	ProfileIndex int
	Period       domain.Period
}

// Candidate is an expert as a booking needs them: the profile, the version bookings are
// conditional on, and the days the expert's bookings hold.
type Candidate struct {
	domain.Expert
	// Holds are the periods of the expert's bookings that hold days, by booking id.
	Holds map[string]domain.Period
	// kept is true when Holds were read from the expert item; false for an item written
	// before the items kept them, whose holds were read from the bookings.
	kept bool
}

// holdHorizon is how long the expert item keeps a hold after its last day. A booking of days
// older than that is checked against the expert's bookings themselves.
const holdHorizon = 366 * 24 * time.Hour

// toCandidate reads an expert item; an item without holds gets them from the bookings.
func (s *Store) toCandidate(ctx context.Context, m map[string]types.AttributeValue) (Candidate, error) {
	var it expertItem
	if err := unmarshalMap(m, &it); err != nil {
		return Candidate{}, err
	}
	c := Candidate{Expert: it.Expert, Holds: it.Holds}
	if _, c.kept = m["holds"].(*types.AttributeValueMemberM); c.kept {
		if c.Holds == nil {
			c.Holds = map[string]domain.Period{}
		}
		return c, nil
	}
	bookings, err := s.BookingsOfExpert(ctx, it.ID)
	if err != nil {
		return c, err
	}
	c.Holds = map[string]domain.Period{}
	for _, b := range bookings {
		if b.Status.Holds() {
			c.Holds[b.ID] = b.Period
		}
	}
	// Keep them on the item from now on. The bookings were read after the item, so they are
	// the holds of the version read; if a booking changed since, the version moved and the
	// item is left as it is (its next booking writes the holds).
	if v, err := marshalValue(c.Holds); err == nil {
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.table(tables.Roster),
			Key: rosterKey(expertPK(c.ID), profileSK), UpdateExpression: aws.String("SET holds = :holds"),
			ConditionExpression:       aws.String("#version = :version AND attribute_not_exists(holds)"),
			ExpressionAttributeNames:  map[string]string{"#version": "version"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":holds": v, ":version": num(int64(c.Version))}})
		if err == nil {
			c.kept = true
		}
	}
	return c, nil
}

// Candidates returns every expert with the days their bookings hold, in one query of the
// roster's index (eventually consistent: a booking conditional on a version the index had not
// caught up with fails its condition and reads the expert again).
func (s *Store) Candidates(ctx context.Context) ([]Candidate, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Roster),
		IndexName: aws.String(tables.RosterByKind), KeyConditionExpression: aws.String("kind = :kind"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":kind": str(expertKind)}})
	if err != nil {
		return nil, err
	}
	out := make([]Candidate, 0, len(items))
	for _, m := range items {
		c, err := s.toCandidate(ctx, m)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// candidate reads one expert with their holds (strongly consistent).
func (s *Store) candidate(ctx context.Context, id string) (Candidate, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Roster),
		Key: rosterKey(expertPK(id), profileSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Candidate{}, err
	}
	if out.Item == nil {
		return Candidate{}, domain.NotFound("expert", id)
	}
	return s.toCandidate(ctx, out.Item)
}

// Bookings returns the candidate's holds as bookings, for domain.MatchExperts.
func (c Candidate) Bookings() []domain.Booking {
	out := make([]domain.Booking, 0, len(c.Holds))
	for id, p := range c.Holds {
		out = append(out, domain.Booking{ID: id, ExpertID: c.ID, Period: p, Status: domain.BookingActive})
	}
	return out
}

// Matching returns the candidates who can take the profile at a duty station of the level,
// best first (domain.MatchExperts over the experts and the days their bookings hold). It is
// the one matching of the roster: the booking step (StaffProfile, DeployExpert) books the first
// it can, and the approval of an hr sourcing task (SourcingComplete) asks whether there is any.
func Matching(candidates []Candidate, p domain.Profile, level domain.SecurityLevel, cfg *config.Config) []Candidate {
	experts, bookings := matchInput(candidates)
	ranked := domain.MatchExperts(p, level, experts, bookings, cfg)
	byID := make(map[string]Candidate, len(candidates))
	for _, c := range candidates {
		byID[c.ID] = c
	}
	out := make([]Candidate, len(ranked))
	for i, e := range ranked {
		out[i] = byID[e.ID]
	}
	return out
}

// SourcingComplete is the rule for approving the hr sourcing task of the activation's profile
// (index): somebody among the candidates (the roster as Candidates reads it) must be able to
// take the profile now (Matching), or the workflow, booking again right after the approval,
// fails the activation with NoExpertAvailable. With nobody it is a *domain.NobodyFits (a
// conflict) naming the profile and why the closest experts do not fit.
func SourcingComplete(activationID string, index int, candidates []Candidate, p domain.Profile, level domain.SecurityLevel, cfg *config.Config) error {
	if cfg == nil {
		cfg = config.Default()
	}
	if len(Matching(candidates, p, level, cfg)) > 0 {
		return nil
	}
	experts, bookings := matchInput(candidates)
	return domain.NobodyCanTake(activationID, index, p, level, experts, bookings, cfg)
}

// errExpertChanged is the refusal of a booking whose expert changed after they were read.
var errExpertChanged = errors.New("the expert's bookings changed meanwhile")

// bookingWrites checks the period against the candidate's holds and unavailability
// (*domain.ExpertUnavailable) and returns the booking and its writes: the booking item (refused
// with *AlreadyWritten if it exists) and the expert's version+1 with one more active booking
// and the new hold (refused with errExpertChanged if the version moved), pruning holds past
// the horizon. A period older than the horizon is checked against the expert's bookings.
func (s *Store) bookingWrites(ctx context.Context, c Candidate, r BookingRequest) (domain.Booking, []Write, error) {
	id := BookingID(r.ActivationID, r.ProfileIndex)
	now := s.Now()
	horizon := domain.DateOf(now.Add(-holdHorizon))
	holds := c.Holds
	if r.Period.Start < horizon {
		bookings, err := s.BookingsOfExpert(ctx, c.ID)
		if err != nil {
			return domain.Booking{}, nil, err
		}
		holds = map[string]domain.Period{}
		for _, b := range bookings {
			if b.Status.Holds() {
				holds[b.ID] = b.Period
			}
		}
	}
	for bookingID, p := range holds {
		if bookingID != id && p.Overlaps(r.Period) {
			return domain.Booking{}, nil, &domain.ExpertUnavailable{ExpertID: c.ID, Message: fmt.Sprintf(
				"expert %s is booked from %s to %s", c.ID, p.Start, p.End)}
		}
	}
	for _, u := range c.Unavailable {
		if u.Overlaps(r.Period) {
			return domain.Booking{}, nil, &domain.ExpertUnavailable{ExpertID: c.ID, Message: fmt.Sprintf(
				"expert %s is unavailable from %s to %s", c.ID, u.Start, u.End)}
		}
	}
	b := domain.Booking{ID: id, ExpertID: c.ID, ActivationID: r.ActivationID, ProfileIndex: r.ProfileIndex,
		Period: r.Period, Status: domain.BookingActive, CreatedAt: now, UpdatedAt: now}
	item, err := marshalMap(bookingItem{PK: expertPK(c.ID), SK: bookingSK(id), Booking: b})
	if err != nil {
		return b, nil, err
	}
	update, err := s.expertUpdate(c, 1, map[string]domain.Period{id: r.Period}, nil, horizon)
	if err != nil {
		return b, nil, err
	}
	return b, []Write{
		{item: types.TransactWriteItem{Put: &types.Put{TableName: s.table(tables.Roster), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(pk)")}},
			refused: func(context.Context) error { return &AlreadyWritten{Entity: "booking", ID: id} }},
		{item: update, refused: func(context.Context) error { return errExpertChanged }},
	}, nil
}

// expertUpdate is the transaction item that moves the expert from their version to version+1,
// adding delta to their active bookings, adding the holds add and removing the holds drop, and
// pruning holds that ended before horizon. An item that did not keep holds gets them all.
func (s *Store) expertUpdate(c Candidate, delta int, add map[string]domain.Period, drop []string, horizon domain.Date) (types.TransactWriteItem, error) {
	u := newUpdate()
	u.names["#version"] = "version"
	u.values[":next"] = num(int64(c.Version + 1))
	u.values[":version"] = num(int64(c.Version))
	u.values[":delta"] = num(int64(delta))
	u.sets = append(u.sets, "#version = :next", "activeBookings = activeBookings + :delta")
	var removes []string
	if c.kept {
		i := 0
		for id, p := range add {
			v, err := marshalValue(p)
			if err != nil {
				return types.TransactWriteItem{}, err
			}
			i++
			n, val := fmt.Sprintf("#add%d", i), fmt.Sprintf(":add%d", i)
			u.names[n], u.values[val] = id, v
			u.sets = append(u.sets, "#holds."+n+" = "+val)
		}
		for id, p := range c.Holds {
			if p.End < horizon || slices.Contains(drop, id) {
				i++
				n := fmt.Sprintf("#drop%d", i)
				u.names[n] = id
				removes = append(removes, "#holds."+n)
			}
		}
	} else {
		all := map[string]domain.Period{}
		for id, p := range c.Holds {
			if p.End >= horizon && !slices.Contains(drop, id) {
				all[id] = p
			}
		}
		maps.Copy(all, add)
		v, err := marshalValue(all)
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		u.values[":holds"] = v
		u.sets = append(u.sets, "#holds = :holds")
	}
	if len(removes) > 0 || len(add) > 0 || !c.kept {
		u.names["#holds"] = "holds"
	}
	expr := *u.expression()
	if len(removes) > 0 {
		expr += " REMOVE " + strings.Join(removes, ", ")
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: s.table(tables.Roster),
		Key: rosterKey(expertPK(c.ID), profileSK), UpdateExpression: aws.String(expr),
		ConditionExpression: aws.String("#version = :version"), ExpressionAttributeNames: u.names,
		ExpressionAttributeValues: u.values}}, nil
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
		expert, err := s.candidate(ctx, r.ExpertID)
		if err != nil {
			return err
		}
		if _, held := expert.Holds[id]; held {
			result, err = s.getBooking(ctx, r.ExpertID, id)
			return err
		}
		b, writes, err := s.bookingWrites(ctx, expert, r)
		if err != nil {
			return err
		}
		err = s.transact(ctx, writes...)
		var already *AlreadyWritten
		switch {
		case err == nil:
			result = b
			return nil
		case errors.Is(err, errExpertChanged):
			return retryable(err) // someone booked or cancelled meanwhile: read again
		case errors.As(err, &already):
			first, gerr := s.getBooking(ctx, r.ExpertID, id)
			if gerr != nil {
				return gerr
			}
			if !first.Status.Holds() {
				return domain.Errorf(domain.CodeConflict, "booking %s was cancelled", id)
			}
			result = first
			return nil
		}
		return err
	})
	return result, err
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

// cancellation reads the booking and its expert and returns the writes that cancel it (the
// booking's status, conditional on the one read; the expert's version+1 with one active
// booking less and the hold dropped); done is true, with no writes, when it is cancelled
// already.
func (s *Store) cancellation(ctx context.Context, expertID, bookingID string) (domain.Booking, []Write, bool, error) {
	b, err := s.getBooking(ctx, expertID, bookingID)
	if err != nil || b.Status == domain.BookingCancelled {
		return b, nil, err == nil, err
	}
	expert, err := s.candidate(ctx, expertID)
	if err != nil {
		return b, nil, false, err
	}
	now := s.Now()
	update, err := s.expertUpdate(expert, -1, nil, []string{bookingID}, domain.DateOf(now.Add(-holdHorizon)))
	if err != nil {
		return b, nil, false, err
	}
	moved := func(context.Context) error { return retryable(errExpertChanged) }
	writes := []Write{
		{item: types.TransactWriteItem{Update: &types.Update{TableName: s.table(tables.Roster), Key: rosterKey(expertPK(expertID), bookingSK(bookingID)),
			UpdateExpression:         aws.String("SET #status = :cancelled, updatedAt = :now"),
			ConditionExpression:      aws.String("#status = :status"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":cancelled": str(string(domain.BookingCancelled)),
				":status": str(string(b.Status)), ":now": str(now.Format(time.RFC3339Nano))}}}, refused: moved},
		{item: update, refused: moved},
	}
	b.Status, b.UpdatedAt = domain.BookingCancelled, now
	return b, writes, false, nil
}

// CancelBooking cancels the booking and frees its days (compensation). Idempotent: cancelling
// a cancelled booking returns it with changed == false. not_found if there is no such booking.
func (s *Store) CancelBooking(ctx context.Context, expertID, bookingID string) (domain.Booking, bool, error) {
	var result domain.Booking
	changed := false
	err := s.withRetry(ctx, func() error {
		b, writes, done, err := s.cancellation(ctx, expertID, bookingID)
		if err != nil || done {
			result = b
			return err
		}
		if err := s.transact(ctx, writes...); err != nil {
			return err
		}
		result, changed = b, true
		return nil
	})
	return result, changed, err
}

// CancelBookingRecorded is CancelBooking with the cancellation's audit events (made by events
// from the cancelled booking) appended to the activation's stream in the same transaction
// (Record). A booking cancelled already changes nothing and records nothing.
func (s *Store) CancelBookingRecorded(ctx context.Context, base Current, expertID, bookingID string, events func(domain.Booking) []audit.Event) (Current, domain.Booking, bool, error) {
	var result domain.Booking
	changed := false
	err := s.withRetry(ctx, func() error {
		b, writes, done, err := s.cancellation(ctx, expertID, bookingID)
		if err != nil || done {
			result = b
			return err
		}
		next, _, err := s.Record(ctx, base, events(b), writes...)
		if err != nil {
			return err
		}
		base, result, changed = next, b, true
		return nil
	})
	return base, result, changed, err
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

// ConfirmBookingWrite is ConfirmBooking as a write for Commit: the booking becomes CONFIRMED
// on the condition that it holds its days (not_found, or a conflict if it was cancelled).
func (s *Store) ConfirmBookingWrite(expertID, bookingID string) Write {
	return Write{item: types.TransactWriteItem{Update: &types.Update{TableName: s.table(tables.Roster),
		Key:                      rosterKey(expertPK(expertID), bookingSK(bookingID)),
		UpdateExpression:         aws.String("SET #status = :confirmed, updatedAt = :now"),
		ConditionExpression:      aws.String("#status IN (:active, :confirmed)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":confirmed": str(string(domain.BookingConfirmed)),
			":active": str(string(domain.BookingActive)), ":now": str(s.Now().Format(time.RFC3339Nano))}}},
		refused: func(ctx context.Context) error {
			if _, err := s.getBooking(ctx, expertID, bookingID); err != nil {
				return err
			}
			return domain.Errorf(domain.CodeConflict, "booking %s was cancelled", bookingID)
		}}
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
	return decodeItems(items, func(it bookingItem) domain.Booking { return it.Booking })
}
