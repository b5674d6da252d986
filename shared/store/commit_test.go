package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// stepEvent is an audit event of an automated step about the activation.
func stepEvent(a domain.Activation, action, subject string, at time.Time) audit.Event {
	return audit.Event{Time: at, Actor: "system", Role: "funds", Office: a.Office, Action: action, ActivationID: a.ID,
		Country: a.Country, Subject: subject, After: audit.JSON(map[string]string{"subject": subject})}
}

// mustChain returns the activation's events and fails unless they form one unbroken chain of
// want events.
func mustChain(t *testing.T, st *store.Store, id string, want int) []audit.Event {
	t.Helper()
	page, err := st.AuditOfActivation(context.Background(), id, 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != want {
		t.Fatalf("%s has %d events, want %d", id, len(page.Items), want)
	}
	if breaks, err := st.VerifyAudit(context.Background(), id); err != nil || len(breaks) != 0 {
		t.Fatalf("%s chain breaks %v %v", id, breaks, err)
	}
	return page.Items
}

// A step's change, its audit events and its other writes (here a reservation) are written
// together, and what Commit returns is what a read finds afterwards.
func TestCommitWritesTheChangeItsEventsAndItsWritesTogether(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	if _, err := st.Contribute(ctx, store.Contribution{ID: "c-1", Amount: domain.USD(1_000_000), Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateActivation(ctx, newActivation("a-1", "HT")); err != nil {
		t.Fatal(err)
	}
	base, err := st.ReadActivation(ctx, "a-1")
	if err != nil || !base.Audit.Known || base.Audit.Seq != 0 || base.Audit.Hash != audit.GenesisHash {
		t.Fatalf("new activation's head %+v %v", base.Audit, err)
	}
	clk.Advance(time.Second)
	entry, writes, err := st.ReservationWrites("a-1", domain.USD(400_000), "funds")
	if err != nil {
		t.Fatal(err)
	}
	prio, level := 60, domain.SecurityLevel(4)
	next, sealed, err := st.Commit(ctx, base, store.Change{To: domain.StatusInProgress, Priority: &prio, SecurityLevel: &level,
		Step:       &domain.Step{Name: "reserve", Status: "succeeded", Detail: "400000 reserved"},
		Deployment: &domain.Deployment{ProfileIndex: 0, ExpertID: "e-1", BookingID: "a-1#0", Period: period("2026-12-01", 10)},
		Events: []audit.Event{stepEvent(base.Activation, audit.ActionFundReserved, "USD", clk.Now()),
			stepEvent(base.Activation, audit.ActionStepCompleted, "reserve", clk.Now())},
		Writes: writes})
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != 2 || sealed[0].Seq != 1 || sealed[1].Seq != 2 || sealed[1].PrevHash != sealed[0].Hash {
		t.Fatalf("sealed %+v", sealed)
	}
	if next.Audit.Seq != 2 || next.Audit.Hash != sealed[1].Hash || next.Version != 2 || next.Status != domain.StatusInProgress {
		t.Fatalf("returned %+v head %+v", next.Activation, next.Audit)
	}
	stored, err := st.ReadActivation(ctx, "a-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored, next) {
		t.Fatalf("Commit returned\n%+v\nbut the store holds\n%+v", next, stored)
	}
	events := mustChain(t, st, "a-1", 2)
	if events[1].Hash != stored.Audit.Hash {
		t.Fatalf("the head %s is not the last event's hash %s", stored.Audit.Hash, events[1].Hash)
	}
	if first, ok, _ := st.ReservationOf(ctx, "a-1", "USD"); !ok || first.ID != entry.ID {
		t.Fatalf("reservation %+v %v", first, ok)
	}
	assertLedger(t, st, "USD", 600_000)
	// A change with neither events nor writes is a plain conditional update.
	after, sealed, err := st.Commit(ctx, next, store.Change{Step: &domain.Step{Name: "note", Status: "succeeded"}})
	if err != nil || len(sealed) != 0 || after.Version != 3 || after.Audit != next.Audit {
		t.Fatalf("plain change %+v %v %v", after, sealed, err)
	}
}

// A write refused, or a lost race on the activation, writes nothing at all: not the change, not
// the events, not the other writes.
func TestARefusedCommitWritesNothing(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	if _, err := st.Contribute(ctx, store.Contribution{ID: "c-1", Amount: domain.USD(100), Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateActivation(ctx, newActivation("a-1", "HT")); err != nil {
		t.Fatal(err)
	}
	base, _ := st.ReadActivation(ctx, "a-1")
	_, writes, err := st.ReservationWrites("a-1", domain.USD(101), "funds")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = st.Commit(ctx, base, store.Change{To: domain.StatusInProgress,
		Events: []audit.Event{stepEvent(base.Activation, audit.ActionFundReserved, "USD", clk.Now())}, Writes: writes})
	var insufficient *domain.InsufficientFunds
	if !errors.As(err, &insufficient) || insufficient.Available != 100 {
		t.Fatalf("overdraw: %v", err)
	}
	if stored, _ := st.ReadActivation(ctx, "a-1"); !reflect.DeepEqual(stored, base) {
		t.Fatalf("the refused commit changed the activation: %+v", stored)
	}
	mustChain(t, st, "a-1", 0)
	assertLedger(t, st, "USD", 100)

	// Two steps commit from the same read: the second loses, learns what is there now, and
	// writes nothing.
	first, _, err := st.Commit(ctx, base, store.Change{To: domain.StatusInProgress,
		Events: []audit.Event{stepEvent(base.Activation, audit.ActionStepCompleted, "assess", clk.Now())}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = st.Commit(ctx, base, store.Change{To: domain.StatusInProgress,
		Events: []audit.Event{stepEvent(base.Activation, audit.ActionStepCompleted, "again", clk.Now())}})
	var stale *domain.StaleVersion
	var moved *store.Changed
	if !errors.As(err, &stale) || !errors.As(err, &moved) || domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("second commit from the same read: %v", err)
	}
	if !reflect.DeepEqual(moved.Current, first) {
		t.Fatalf("the lost race reports\n%+v\nthe store holds\n%+v", moved.Current, first)
	}
	mustChain(t, st, "a-1", 1)
	// Events of another activation cannot ride on this one's change.
	other := base.Activation
	other.ID = "a-2"
	if _, _, err := st.Commit(ctx, first, store.Change{Events: []audit.Event{stepEvent(other, "x", "", clk.Now())}}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("an event of another activation: %v", err)
	}
	if _, _, err := st.Commit(ctx, store.Current{Activation: domain.Activation{ID: "nobody", Status: domain.StatusRequested, Version: 1}},
		store.Change{To: domain.StatusInProgress, Events: []audit.Event{stepEvent(domain.Activation{ID: "nobody"}, "x", "", clk.Now())}}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("no such activation: %v", err)
	}
}

// The head kept on the activation may be behind the stream (an item written before heads were
// kept, or changed by hand): appends find the stream's real end and the chain stays whole.
func TestAHeadBehindTheStreamCatchesUp(t *testing.T) {
	ctx := context.Background()
	st, clk, client, names := mustStoreWithClient(t)
	created, err := st.CreateActivation(ctx, newActivation("a-1", "HT"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := st.AppendAudit(ctx, event("a-1", fmt.Sprint("actor-", i), audit.ActionTaskDecided, "HT")); err != nil {
			t.Fatal(err)
		}
	}
	setHead := func(expression string, values map[string]types.AttributeValue) {
		t.Helper()
		if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(names.Of(tables.Activations)),
			Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "a-1"}}, UpdateExpression: aws.String(expression),
			ExpressionAttributeValues: values}); err != nil {
			t.Fatal(err)
		}
	}
	// Back to the start, as if no event had been written.
	setHead("SET auditSeq = :zero, auditHash = :genesis", map[string]types.AttributeValue{
		":zero": &types.AttributeValueMemberN{Value: "0"}, ":genesis": &types.AttributeValueMemberS{Value: audit.GenesisHash}})
	base, _ := st.ReadActivation(ctx, "a-1")
	next, sealed, err := st.Commit(ctx, base, store.Change{To: domain.StatusInProgress,
		Events: []audit.Event{stepEvent(created, audit.ActionStepCompleted, "assess", clk.Now())}})
	if err != nil || len(sealed) != 1 || sealed[0].Seq != 4 || next.Audit.Seq != 4 {
		t.Fatalf("commit after the head went back: %+v %v", sealed, err)
	}
	// No head at all, as items written before heads were kept.
	setHead("REMOVE auditSeq, auditHash", nil)
	if base, _ = st.ReadActivation(ctx, "a-1"); base.Audit.Known {
		t.Fatalf("head %+v", base.Audit)
	}
	if e, err := st.AppendAudit(ctx, event("a-1", "actor-5", audit.ActionTaskDecided, "HT")); err != nil || e.Seq != 5 {
		t.Fatalf("append without a head: %+v %v", e, err)
	}
	if base, _ = st.ReadActivation(ctx, "a-1"); !base.Audit.Known || base.Audit.Seq != 5 {
		t.Fatalf("the append did not restore the head: %+v", base.Audit)
	}
	mustChain(t, st, "a-1", 5)
}

// Status changes with their events and audit appends of other writers (the API's decisions)
// run at once on one activation: every change is recorded once and the stream stays one
// unbroken chain.
func TestConcurrentCommitsAndAppendsKeepOneChain(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	created, err := st.CreateActivation(ctx, newActivation("a-1", "HT"))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := st.ReadActivation(ctx, "a-1")
	if _, _, err := st.Commit(ctx, base, store.Change{To: domain.StatusInProgress}); err != nil {
		t.Fatal(err)
	}
	const steps, appends = 20, 20
	var races atomic.Int32
	var wg sync.WaitGroup
	for i := range steps {
		wg.Go(func() {
			current, err := st.ReadActivation(ctx, "a-1")
			for attempt := 0; err == nil && attempt < 200; attempt++ {
				_, _, err = st.Commit(ctx, current, store.Change{Step: &domain.Step{Name: fmt.Sprint("step-", i), Status: "succeeded"},
					Events: []audit.Event{stepEvent(created, audit.ActionStepCompleted, fmt.Sprint("step-", i), clk.Now())}})
				var moved *store.Changed
				if !errors.As(err, &moved) {
					break
				}
				races.Add(1)
				current, err = moved.Current, nil
			}
			if err != nil {
				t.Errorf("step %d: %v", i, err)
			}
		})
	}
	for i := range appends {
		wg.Go(func() {
			if _, err := st.AppendAudit(ctx, event("a-1", fmt.Sprint("approver-", i), audit.ActionTaskDecided, "HT")); err != nil {
				t.Errorf("append %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	events := mustChain(t, st, "a-1", steps+appends)
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	final, _ := st.ReadActivation(ctx, "a-1")
	if final.Version != 2+steps || len(final.Steps) != steps || final.Audit.Seq != steps+appends || final.Audit.Hash != events[len(events)-1].Hash {
		t.Fatalf("final version %d, %d steps, head %+v", final.Version, len(final.Steps), final.Audit)
	}
	t.Logf("%d lost races read again from the refusal", races.Load())
}

// Tampering with an event of an activation whose head is kept is still found, and appending
// after it still works.
func TestVerifyFindsATamperedEventOfAnActivation(t *testing.T) {
	ctx := context.Background()
	st, clk, client, names := mustStoreWithClient(t)
	created, err := st.CreateActivation(ctx, newActivation("a-1", "HT"))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := st.ReadActivation(ctx, "a-1")
	next, _, err := st.Commit(ctx, base, store.Change{To: domain.StatusInProgress, Events: []audit.Event{
		stepEvent(created, audit.ActionStepCompleted, "one", clk.Now()), stepEvent(created, audit.ActionStepCompleted, "two", clk.Now()),
		stepEvent(created, audit.ActionStepCompleted, "three", clk.Now())}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(names.Of(tables.Audit)),
		Key:              map[string]types.AttributeValue{"stream": &types.AttributeValueMemberS{Value: "ACT#a-1"}, "seq": &types.AttributeValueMemberN{Value: "2"}},
		UpdateExpression: aws.String("SET subject = :s"), ExpressionAttributeValues: map[string]types.AttributeValue{
			":s": &types.AttributeValueMemberS{Value: "forged"}}}); err != nil {
		t.Fatal(err)
	}
	breaks, err := st.VerifyAudit(ctx, "a-1")
	if err != nil || len(breaks) != 1 || breaks[0].Seq != 2 {
		t.Fatalf("breaks %v %v", breaks, err)
	}
	if _, sealed, err := st.Commit(ctx, next, store.Change{Events: []audit.Event{stepEvent(created, audit.ActionStepCompleted, "four", clk.Now())}}); err != nil || sealed[0].Seq != 4 {
		t.Fatalf("append after tampering %+v %v", sealed, err)
	}
	if breaks, _ := st.VerifyAudit(ctx, "a-1"); len(breaks) != 1 {
		t.Fatalf("breaks after a new append %v", breaks)
	}
}

// Record appends events with other writes and no status change; Reverse, cancel and expire
// have recorded variants that write their change and its events at once, once.
func TestRecordedUndoingsWriteTheirEventsOnce(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	if _, err := st.Contribute(ctx, store.Contribution{ID: "c-1", Amount: domain.USD(1_000), Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	mustExpert(t, st, "e-1")
	created, err := st.CreateActivation(ctx, newActivation("a-1", "HT"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Reserve(ctx, "a-1", domain.Money{Value: 300, Currency: "USD"}, "funds"); err != nil {
		t.Fatal(err)
	}
	booking, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-1", Period: period("2026-12-01", 5)})
	if err != nil {
		t.Fatal(err)
	}
	task := newTask("t-1", domain.RoleFinance, 10, clk.Now().Add(time.Hour), "HT")
	task.ActivationID = "a-1"
	if _, err := st.CreateTask(ctx, task, "token"); err != nil {
		t.Fatal(err)
	}
	base, _ := st.ReadActivation(ctx, "a-1")
	base.Amount = domain.Money{Value: 300, Currency: "USD"}
	event := func(action string) []audit.Event {
		return []audit.Event{stepEvent(created, action, action, clk.Now())}
	}
	for round := range 2 {
		var changed bool
		var entry domain.LedgerEntry
		base, entry, changed, err = st.ReverseRecorded(ctx, base, "compensate", func(domain.LedgerEntry) []audit.Event { return event("reversed") })
		if err != nil || changed != (round == 0) || entry.Amount != 300 {
			t.Fatalf("reverse %d: %+v %v %v", round, entry, changed, err)
		}
		var b domain.Booking
		base, b, changed, err = st.CancelBookingRecorded(ctx, base, "e-1", booking.ID, func(domain.Booking) []audit.Event { return event("cancelled") })
		if err != nil || changed != (round == 0) || b.Status != domain.BookingCancelled {
			t.Fatalf("cancel %d: %+v %v %v", round, b, changed, err)
		}
		var expired domain.ApprovalTask
		base, expired, err = st.ExpireRecorded(ctx, base, "t-1", func(domain.ApprovalTask) []audit.Event { return event("expired") })
		var notOpen *domain.TaskNotOpen
		if round == 0 && (err != nil || expired.Status != domain.TaskExpired) || round == 1 && !errors.As(err, &notOpen) {
			t.Fatalf("expire %d: %+v %v", round, expired, err)
		}
	}
	events := mustChain(t, st, "a-1", 3)
	for i, action := range []string{"reversed", "cancelled", "expired"} {
		if events[i].Action != action {
			t.Fatalf("event %d is %s, want %s", i, events[i].Action, action)
		}
	}
	assertLedger(t, st, "USD", 1_000)
	if candidates, err := st.Candidates(ctx); err != nil || len(candidates) != 1 || len(candidates[0].Holds) != 0 || candidates[0].ActiveBookings != 0 {
		t.Fatalf("candidates %+v %v", candidates, err)
	}
	// The activation's status and version did not move.
	if stored, _ := st.ReadActivation(ctx, "a-1"); stored.Version != created.Version || stored.Status != created.Status {
		t.Fatalf("recording changed the activation: %+v", stored)
	}
}

// An activation stored with the events that record its request has them from the start; a
// second store of the same id writes neither.
func TestCreateActivationRecordedStoresTheRequestWithItsEvents(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	a := newActivation("a-1", "HT")
	requested := audit.Event{Time: clk.Now(), Actor: "office-ht", Role: "country-office", Office: "HT",
		Action: audit.ActionActivationRequested, ActivationID: "a-1", Country: "HT", Subject: "request"}
	created, sealed, err := st.CreateActivationRecorded(ctx, a, requested)
	if err != nil || created.Status != domain.StatusRequested || len(sealed) != 1 || sealed[0].Seq != 1 {
		t.Fatalf("created %+v %+v %v", created, sealed, err)
	}
	var exists *store.AlreadyExists
	if _, _, err := st.CreateActivationRecorded(ctx, a, requested); !errors.As(err, &exists) {
		t.Fatalf("second store: %v", err)
	}
	base, _ := st.ReadActivation(ctx, "a-1")
	if base.Audit.Seq != 1 || base.Audit.Hash != sealed[0].Hash {
		t.Fatalf("head %+v", base.Audit)
	}
	if _, next, err := st.Commit(ctx, base, store.Change{To: domain.StatusInProgress,
		Events: []audit.Event{stepEvent(created, audit.ActionStepCompleted, "assess", clk.Now())}}); err != nil || next[0].Seq != 2 {
		t.Fatalf("commit after the request %+v %v", next, err)
	}
	mustChain(t, st, "a-1", 2)
}
