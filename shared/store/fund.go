package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Fund is the rapid action fund: one balance per currency and its ledger.
//
// Every operation writes its ledger entry and changes the balance in one TransactWriteItems,
// with a condition that keeps the available balance at or above zero, so the entries' deltas
// always sum to the balance. Each activation has at most one RESERVATION, one RELEASE and one
// REVERSAL, keyed by the activation id: retries find the first and change nothing.
type Fund interface {
	// Contribute adds a donor's contribution (idempotent per contribution id).
	Contribute(ctx context.Context, c Contribution) (domain.LedgerEntry, error)
	// Reserve sets the activation's amount aside; *domain.InsufficientFunds if it cannot.
	Reserve(ctx context.Context, activationID string, amount domain.Money, actor string) (domain.LedgerEntry, error)
	// Release confirms the activation's reservation.
	Release(ctx context.Context, activationID, currency, actor string) (domain.LedgerEntry, error)
	// Reverse returns the activation's reservation to the fund (compensation).
	Reverse(ctx context.Context, activationID, currency, actor string) (domain.LedgerEntry, bool, error)
	// Balance returns the fund's balance in the currency.
	Balance(ctx context.Context, currency string) (domain.FundBalance, error)
	// Ledger lists the ledger entries of the currency.
	Ledger(ctx context.Context, currency string, limit int, cursor string) (Page[domain.LedgerEntry], error)
}

var _ Fund = (*Store)(nil)

func fundPK(currency string) string { return "FUND#" + currency }

const balanceSK = "BALANCE"

func entrySK(id string) string { return "ENTRY#" + id }

func entryID(kind domain.EntryKind, ref string) string { return string(kind) + "#" + ref }

type entryItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	domain.LedgerEntry
}

type balanceItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	domain.FundBalance
}

// Contribution is a donor's money coming into the fund.
type Contribution struct {
	// ID identifies the contribution (a donor agreement number); contributing twice with one
	// id adds the money once.
	ID     string
	Amount domain.Money
	// Reference is the donor and agreement, for people.
	Reference string
	Actor     string
}

func (s *Store) fundKey(currency, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(fundPK(currency)), "sk": str(sk)}
}

func (s *Store) getEntry(ctx context.Context, currency, id string) (domain.LedgerEntry, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Fund),
		Key: s.fundKey(currency, entrySK(id)), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		return domain.LedgerEntry{}, false, err
	}
	var it entryItem
	err = unmarshalMap(out.Item, &it)
	return it.LedgerEntry, err == nil, err
}

func (s *Store) putEntry(e domain.LedgerEntry) (types.TransactWriteItem, error) {
	item, err := marshalMap(entryItem{PK: fundPK(e.Currency), SK: entrySK(e.ID), LedgerEntry: e})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: s.table(tables.Fund), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")}}, nil
}

func (s *Store) entryCheck(currency, id string, exists bool) types.TransactWriteItem {
	cond := "attribute_not_exists(pk)"
	if exists {
		cond = "attribute_exists(pk)"
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: s.table(tables.Fund),
		Key: s.fundKey(currency, entrySK(id)), ConditionExpression: aws.String(cond)}}
}

// balanceUpdate changes the balance item by the given amounts; when available goes down, the
// condition keeps it at or above zero.
func (s *Store) balanceUpdate(currency string, available, reserved, released, contributed int64) types.TransactWriteItem {
	values := map[string]types.AttributeValue{
		":available": num(available), ":reserved": num(reserved), ":released": num(released),
		":contributed": num(contributed), ":zero": num(0), ":now": str(s.Now().Format(time.RFC3339Nano)), ":currency": str(currency),
	}
	cond := "attribute_exists(pk)"
	if available < 0 {
		values[":needed"] = num(-available)
		cond = "attribute_exists(pk) AND available >= :needed"
	}
	if contributed > 0 {
		cond = "" // a contribution may create the balance item
	}
	upd := &types.Update{TableName: s.table(tables.Fund), Key: s.fundKey(currency, balanceSK),
		UpdateExpression: aws.String("SET available = if_not_exists(available, :zero) + :available, " +
			"reserved = if_not_exists(reserved, :zero) + :reserved, released = if_not_exists(released, :zero) + :released, " +
			"contributed = if_not_exists(contributed, :zero) + :contributed, updatedAt = :now, currency = :currency"),
		ExpressionAttributeValues: values}
	if cond != "" {
		upd.ConditionExpression = aws.String(cond)
	}
	return types.TransactWriteItem{Update: upd}
}

// Contribute records a donor's contribution and adds it to the balance (creating the fund of
// that currency on its first contribution). Idempotent per contribution id: a second call
// returns the first entry and changes nothing (a conflict if the amount differs).
func (s *Store) Contribute(ctx context.Context, c Contribution) (domain.LedgerEntry, error) {
	if c.ID == "" || c.Amount.Value <= 0 || !domain.ValidCurrency(c.Amount.Currency) {
		var fe domain.FieldErrors
		if c.ID == "" {
			fe = append(fe, domain.FieldError{Field: "id", Reason: "is required"})
		}
		if c.Amount.Value <= 0 {
			fe = append(fe, domain.FieldError{Field: "amount.value", Reason: "must be positive"})
		}
		if !domain.ValidCurrency(c.Amount.Currency) {
			fe = append(fe, domain.FieldError{Field: "amount.currency", Reason: "must be an ISO 4217 code"})
		}
		return domain.LedgerEntry{}, domain.Invalid(fe)
	}
	e := domain.LedgerEntry{ID: entryID(domain.EntryContribution, c.ID), Kind: domain.EntryContribution,
		Currency: c.Amount.Currency, Amount: c.Amount.Value, Delta: c.Amount.Value, Reference: c.Reference,
		Actor: c.Actor, At: s.Now()}
	err := s.withRetry(ctx, func() error {
		put, err := s.putEntry(e)
		if err != nil {
			return err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			put, s.balanceUpdate(e.Currency, e.Amount, 0, 0, e.Amount),
		}})
		return err
	})
	if reasons := cancelReasons(err); len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		first, ok, gerr := s.getEntry(ctx, e.Currency, e.ID)
		if gerr != nil || !ok {
			return domain.LedgerEntry{}, fmt.Errorf("fund: read contribution %s: %v", c.ID, gerr)
		}
		if first.Amount != e.Amount {
			return first, domain.Errorf(domain.CodeConflict, "contribution %s was recorded with another amount", c.ID)
		}
		return first, nil
	}
	return e, err
}

// ReservationWrites are the writes of a reservation, for Commit: the RESERVATION entry (put if
// the activation has none: refused with *AlreadyWritten otherwise), a check that the
// activation's money was not returned already (a conflict otherwise, so that a late retry cannot
// take money after compensation), and the balance lowered on the condition that it stays at or
// above zero (refused with *domain.InsufficientFunds). The ledger entry and the balance change in
// the one transaction, as every fund operation does.
func (s *Store) ReservationWrites(activationID string, amount domain.Money, actor string) (domain.LedgerEntry, []Write, error) {
	if amount.Value <= 0 {
		return domain.LedgerEntry{}, nil, domain.Invalid(domain.FieldErrors{{Field: "amount.value", Reason: "must be positive"}})
	}
	e := domain.LedgerEntry{ID: entryID(domain.EntryReservation, activationID), Kind: domain.EntryReservation,
		Currency: amount.Currency, Amount: amount.Value, Delta: -amount.Value, ActivationID: activationID,
		Actor: actor, At: s.Now()}
	put, err := s.putEntry(e)
	if err != nil {
		return e, nil, err
	}
	// A failed condition is reported by the first write that failed: the reversal comes first
	// because returned money refuses a retry too.
	return e, []Write{
		{item: s.entryCheck(amount.Currency, entryID(domain.EntryReversal, activationID), false), refused: returned(activationID)},
		{item: put, refused: func(context.Context) error {
			return &AlreadyWritten{Entity: "reservation of activation", ID: activationID}
		}},
		{item: s.balanceUpdate(amount.Currency, -amount.Value, amount.Value, 0, 0), refused: func(ctx context.Context) error {
			bal, _ := s.Balance(ctx, amount.Currency)
			return &domain.InsufficientFunds{Message: fmt.Sprintf("the fund cannot reserve %s: %s available",
				amount, domain.Money{Value: bal.Available, Currency: amount.Currency}), Requested: amount, Available: bal.Available}
		}},
	}, nil
}

func returned(activationID string) func(context.Context) error {
	return func(context.Context) error {
		return domain.Errorf(domain.CodeConflict, "the funds of activation %s were already returned", activationID)
	}
}

// Reserve sets amount aside for the activation: a RESERVATION entry and the balance lowered in
// one transaction, refused if the balance would go below zero (*domain.InsufficientFunds, not
// retried). Idempotent per activation: a retry returns the first reservation (a conflict if
// the amount differs). Refused with a conflict once the activation's funds were reversed, so a
// late retry cannot take money after compensation. Transaction conflicts under contention are
// retried with backoff and jitter.
func (s *Store) Reserve(ctx context.Context, activationID string, amount domain.Money, actor string) (domain.LedgerEntry, error) {
	var result domain.LedgerEntry
	err := s.withRetry(ctx, func() error {
		e, writes, err := s.ReservationWrites(activationID, amount, actor)
		if err != nil {
			return err
		}
		err = s.transact(ctx, writes...)
		var already *AlreadyWritten
		if errors.As(err, &already) {
			first, ok, gerr := s.getEntry(ctx, amount.Currency, e.ID)
			if gerr != nil {
				return gerr
			}
			if !ok {
				return retryable(err)
			}
			if first.Amount != amount.Value {
				return domain.Errorf(domain.CodeConflict, "activation %s already reserved %s", activationID,
					domain.Money{Value: first.Amount, Currency: amount.Currency})
			}
			result = first
			return nil
		}
		if err == nil {
			result = e
		}
		return err
	})
	return result, err
}

// ReleaseWrites are the writes of a release, for Commit: the RELEASE entry (delta 0: the money
// already left the available balance; refused with *AlreadyWritten if the activation has one),
// a check that the activation's reservation is there with this amount (not_found or a conflict
// otherwise), a check that its money was not returned, and the amount moved from reserved to
// released on the balance.
func (s *Store) ReleaseWrites(activationID string, amount domain.Money, actor string) (domain.LedgerEntry, []Write, error) {
	e := domain.LedgerEntry{ID: entryID(domain.EntryRelease, activationID), Kind: domain.EntryRelease,
		Currency: amount.Currency, Amount: amount.Value, Delta: 0, ActivationID: activationID, Actor: actor, At: s.Now()}
	put, err := s.putEntry(e)
	if err != nil {
		return e, nil, err
	}
	reservation := entryID(domain.EntryReservation, activationID)
	return e, []Write{
		{item: s.entryCheck(amount.Currency, entryID(domain.EntryReversal, activationID), false), refused: returned(activationID)},
		{item: put, refused: func(context.Context) error { return &AlreadyWritten{Entity: "release of activation", ID: activationID} }},
		{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: s.table(tables.Fund),
			Key: s.fundKey(amount.Currency, entrySK(reservation)), ConditionExpression: aws.String("attribute_exists(pk) AND amount = :amount"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":amount": num(amount.Value)}}},
			refused: func(ctx context.Context) error {
				res, ok, err := s.getEntry(ctx, amount.Currency, reservation)
				switch {
				case err != nil:
					return err
				case !ok:
					return domain.NotFound("reservation of activation", activationID)
				}
				return domain.Errorf(domain.CodeConflict, "activation %s reserved %s, not %s", activationID,
					domain.Money{Value: res.Amount, Currency: amount.Currency}, amount)
			}},
		{item: s.balanceUpdate(amount.Currency, 0, -amount.Value, amount.Value, 0), refused: func(context.Context) error {
			return domain.NotFound("fund", amount.Currency)
		}},
	}, nil
}

// Release confirms the activation's reservation: a RELEASE entry (delta 0: the money already
// left the available balance) moves the amount from reserved to released. Idempotent: a retry
// returns the first release. not_found if there is no reservation; a conflict if it was
// reversed.
func (s *Store) Release(ctx context.Context, activationID, currency, actor string) (domain.LedgerEntry, error) {
	var result domain.LedgerEntry
	err := s.withRetry(ctx, func() error {
		if first, ok, err := s.getEntry(ctx, currency, entryID(domain.EntryRelease, activationID)); err != nil || ok {
			result = first
			return err
		}
		res, ok, err := s.getEntry(ctx, currency, entryID(domain.EntryReservation, activationID))
		if err != nil {
			return err
		}
		if !ok {
			return domain.NotFound("reservation of activation", activationID)
		}
		e, writes, err := s.ReleaseWrites(activationID, domain.Money{Value: res.Amount, Currency: currency}, actor)
		if err != nil {
			return err
		}
		err = s.transact(ctx, writes...)
		var already *AlreadyWritten
		if errors.As(err, &already) {
			return retryable(err) // released concurrently: the next attempt returns it
		}
		if err == nil {
			result = e
		}
		return err
	})
	return result, err
}

// ErrNotReleased is the cause of ReleasedWrite's refusal.
var ErrNotReleased = errors.New("the activation's money was not released")

// ReleasedWrite is a check, for Commit, that the activation's money was released (the
// activation step confirms it); refused with not_found (wrapping ErrNotReleased) when there is
// no RELEASE entry.
func (s *Store) ReleasedWrite(activationID, currency string) Write {
	return Write{item: s.entryCheck(currency, entryID(domain.EntryRelease, activationID), true),
		refused: func(context.Context) error {
			return &domain.Error{Code: domain.CodeNotFound, Err: ErrNotReleased,
				Message: fmt.Sprintf("activation %s has no release of its money", activationID)}
		}}
}

// ReleaseEntryID is the id of the activation's RELEASE entry.
func ReleaseEntryID(activationID string) string { return entryID(domain.EntryRelease, activationID) }

// reversalPlan reads what a reversal of the activation needs (its RESERVATION, RELEASE and
// REVERSAL entries, in one read) and returns the reversal and its writes; done is true (and the
// entry the first reversal) when the money was returned already.
func (s *Store) reversalPlan(ctx context.Context, activationID, currency, actor string) (domain.LedgerEntry, []Write, bool, error) {
	ids := []string{entryID(domain.EntryReservation, activationID), entryID(domain.EntryRelease, activationID),
		entryID(domain.EntryReversal, activationID)}
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = s.fundKey(currency, entrySK(id))
	}
	found, err := s.batchGet(ctx, tables.Fund, keys)
	if err != nil {
		return domain.LedgerEntry{}, nil, false, err
	}
	entries := map[string]domain.LedgerEntry{}
	for _, m := range found {
		var it entryItem
		if err := unmarshalMap(m, &it); err != nil {
			return domain.LedgerEntry{}, nil, false, err
		}
		entries[it.ID] = it.LedgerEntry
	}
	if first, ok := entries[ids[2]]; ok {
		return first, nil, true, nil
	}
	res, reserved := entries[ids[0]]
	_, released := entries[ids[1]]
	e := domain.LedgerEntry{ID: ids[2], Kind: domain.EntryReversal, Currency: currency, ActivationID: activationID,
		Actor: actor, At: s.Now()}
	if reserved {
		e.Amount, e.Delta = res.Amount, res.Amount
	}
	put, err := s.putEntry(e)
	if err != nil {
		return e, nil, false, err
	}
	moved := func(context.Context) error {
		return retryable(domain.Errorf(domain.CodeConflict, "the fund entries of activation %s moved meanwhile", activationID))
	}
	writes := []Write{{item: put, refused: moved},
		{item: s.entryCheck(currency, ids[0], reserved), refused: moved},
		{item: s.entryCheck(currency, ids[1], released), refused: moved}}
	if reserved {
		update := s.balanceUpdate(currency, e.Amount, -e.Amount, 0, 0)
		if released {
			update = s.balanceUpdate(currency, e.Amount, 0, -e.Amount, 0)
		}
		writes = append(writes, Write{item: update, refused: moved})
	}
	return e, writes, false, nil
}

// Reverse returns the activation's money to the fund (compensation): a REVERSAL entry of the
// reserved amount, added back to the available balance, whether the reservation was released
// or not. With no reservation it records a zero reversal, which also stops any later
// reservation of the activation. Idempotent: the second call returns the first reversal and
// changed == false; the balance moves once.
func (s *Store) Reverse(ctx context.Context, activationID, currency, actor string) (domain.LedgerEntry, bool, error) {
	var result domain.LedgerEntry
	changed := false
	err := s.withRetry(ctx, func() error {
		e, writes, done, err := s.reversalPlan(ctx, activationID, currency, actor)
		if err != nil || done {
			result = e
			return err
		}
		if err := s.transact(ctx, writes...); err != nil {
			return err
		}
		result, changed = e, true
		return nil
	})
	return result, changed, err
}

// ReverseRecorded is Reverse with the reversal's audit events (made by events from the
// reversal) appended to the activation's stream in the same transaction (Record). When the
// money was returned already it writes nothing and returns the first reversal with changed ==
// false.
func (s *Store) ReverseRecorded(ctx context.Context, base Current, actor string, events func(domain.LedgerEntry) []audit.Event) (Current, domain.LedgerEntry, bool, error) {
	var result domain.LedgerEntry
	changed := false
	err := s.withRetry(ctx, func() error {
		e, writes, done, err := s.reversalPlan(ctx, base.ID, base.Amount.Currency, actor)
		if err != nil || done {
			result = e
			return err
		}
		next, _, err := s.Record(ctx, base, events(e), writes...)
		if err != nil {
			return err
		}
		base, result, changed = next, e, true
		return nil
	})
	return base, result, changed, err
}

// Balance returns the fund's balance in the currency (zero if it never had any).
func (s *Store) Balance(ctx context.Context, currency string) (domain.FundBalance, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Fund),
		Key: s.fundKey(currency, balanceSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.FundBalance{}, err
	}
	if out.Item == nil {
		return domain.FundBalance{Currency: currency}, nil
	}
	var it balanceItem
	err = unmarshalMap(out.Item, &it)
	return it.FundBalance, err
}

// Ledger lists the ledger entries of the currency, by kind and activation (default 50 a page,
// at most 500).
func (s *Store) Ledger(ctx context.Context, currency string, limit int, cursor string) (Page[domain.LedgerEntry], error) {
	query := "ledger:" + currency
	start, _, err := decodeCursor(query, cursor)
	if err != nil {
		return Page[domain.LedgerEntry]{}, err
	}
	in := &dynamodb.QueryInput{TableName: s.table(tables.Fund), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :entry)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(fundPK(currency)), ":entry": str("ENTRY#")}}
	items, last, err := s.queryPage(ctx, in, pageLimit(limit, 50, 500))
	if err != nil {
		return Page[domain.LedgerEntry]{}, err
	}
	records, err := decodeItems(items, func(it entryItem) domain.LedgerEntry { return it.LedgerEntry })
	if err != nil {
		return Page[domain.LedgerEntry]{}, err
	}
	return Page[domain.LedgerEntry]{Items: records, Next: encodeCursor(query, "", last)}, nil
}

// LedgerCheck is the result of CheckLedger.
type LedgerCheck struct {
	Balance  domain.FundBalance
	Entries  int
	SumDelta int64
	// SumReserved is what the ledger says is reserved and neither released nor reversed.
	SumReserved int64
}

// Consistent reports whether the ledger agrees with the balance item.
func (c LedgerCheck) Consistent() bool {
	return c.SumDelta == c.Balance.Available && c.SumReserved == c.Balance.Reserved && c.Balance.Available >= 0
}

// CheckLedger reads the whole ledger of the currency and sums it, to compare with the balance.
// The read is not one snapshot: run it when the fund is quiet (tests, audits, operations).
func (s *Store) CheckLedger(ctx context.Context, currency string) (LedgerCheck, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Fund), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :entry)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(fundPK(currency)), ":entry": str("ENTRY#")}})
	if err != nil {
		return LedgerCheck{}, err
	}
	var c LedgerCheck
	seen := map[domain.EntryKind]map[string]int64{domain.EntryReservation: {}, domain.EntryRelease: {}, domain.EntryReversal: {}}
	for _, m := range items {
		var it entryItem
		if err := unmarshalMap(m, &it); err != nil {
			return c, err
		}
		c.Entries++
		c.SumDelta += it.Delta
		if byActivation, ok := seen[it.Kind]; ok {
			byActivation[it.ActivationID] = it.Amount
		}
	}
	for id, amount := range seen[domain.EntryReservation] {
		_, released := seen[domain.EntryRelease][id]
		_, reversed := seen[domain.EntryReversal][id]
		if !released && !reversed {
			c.SumReserved += amount
		}
	}
	c.Balance, err = s.Balance(ctx, currency)
	return c, err
}

// ReservationOf returns the activation's reservation entry, if any.
func (s *Store) ReservationOf(ctx context.Context, activationID, currency string) (domain.LedgerEntry, bool, error) {
	return s.getEntry(ctx, currency, entryID(domain.EntryReservation, activationID))
}
