package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// inProgress stores an activation and moves it to IN_PROGRESS, as the assess step does.
func inProgress(t *testing.T, st *store.Store, id string) {
	t.Helper()
	if _, err := st.CreateActivation(context.Background(), newActivation(id, "HT")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(context.Background(), store.Change{ID: id, From: domain.StatusRequested, Version: 1, To: domain.StatusInProgress}); err != nil {
		t.Fatal(err)
	}
}

func gender(days int) domain.Profile {
	return domain.Profile{Area: domain.Gender, Languages: []string{"fr"}, StartDate: "2026-12-01", Days: days}
}

// recordBooking is a step's record of a booking: its step and one audit event; nothing when the
// activation records it already.
func recordBooking(at func() audit.Event) func(a store.Current, d store.Deployed) (*store.Change, error) {
	return func(a store.Current, d store.Deployed) (*store.Change, error) {
		note := "booked " + d.Booking.ExpertID
		for _, s := range a.Steps {
			if s.Name == "roster" && s.Detail == note {
				return nil, nil
			}
		}
		e := at()
		e.ActivationID, e.Office, e.Country = a.ID, a.Office, a.Country
		return &store.Change{Step: &domain.Step{Name: "roster", Status: "succeeded", Detail: note}, Events: []audit.Event{e}}, nil
	}
}

// Twenty activations want the one expert who fits, for the same days, at once: one gets them,
// booked and recorded together; the others find nobody, and nothing of theirs is written.
func TestConcurrentStaffingBooksAnExpertOnce(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	mustExpert(t, st, "e-1")
	const n = 20
	var staffed, nobody atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		id := fmt.Sprintf("a-%d", i)
		inProgress(t, st, id)
		wg.Go(func() {
			base, err := st.ReadActivation(ctx, id)
			if err != nil {
				t.Error(err)
				return
			}
			_, d, wrote, err := st.StaffProfile(ctx, base, store.DeployRequest{ActivationID: id, Profile: gender(10), Level: 2}, nil,
				recordBooking(func() audit.Event {
					return audit.Event{Time: clk.Now(), Actor: "system", Action: audit.ActionExpertBooked}
				}))
			var none *domain.NoExpertAvailable
			switch {
			case err == nil && wrote && d.Booking.ExpertID == "e-1":
				staffed.Add(1)
			case errors.As(err, &none):
				nobody.Add(1)
			default:
				t.Errorf("%s: %+v %v %v", id, d, wrote, err)
			}
		})
	}
	wg.Wait()
	if staffed.Load() != 1 || nobody.Load() != n-1 {
		t.Fatalf("%d staffed, %d found nobody", staffed.Load(), nobody.Load())
	}
	bookings, _ := st.BookingsOfExpert(ctx, "e-1")
	expert, _ := st.GetExpert(ctx, "e-1")
	if len(bookings) != 1 || expert.ActiveBookings != 1 {
		t.Fatalf("%d bookings, %d active", len(bookings), expert.ActiveBookings)
	}
	recorded := 0
	for i := range n {
		a, _ := st.ReadActivation(ctx, fmt.Sprintf("a-%d", i))
		page, _ := st.AuditOfActivation(ctx, a.ID, 100, "")
		switch {
		case len(a.Deployments) == 1 && a.Deployments[0].BookingID == bookings[0].ID && len(page.Items) == 1 && a.Audit.Seq == 1:
			recorded++
		case len(a.Deployments) != 0 || len(page.Items) != 0 || a.Version != 2:
			t.Fatalf("%s holds %+v and %d events without the booking", a.ID, a.Deployments, len(page.Items))
		}
	}
	if recorded != 1 {
		t.Fatalf("%d activations record the booking", recorded)
	}
}

// Staffing a profile again finds the booking the activation records and books nothing more;
// the record is written once.
func TestStaffingAgainAnswersWithTheFirstBooking(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	mustExpert(t, st, "e-1")
	mustExpert(t, st, "e-2")
	inProgress(t, st, "a-1")
	record := recordBooking(func() audit.Event {
		return audit.Event{Time: clk.Now(), Actor: "system", Action: audit.ActionExpertBooked}
	})
	req := store.DeployRequest{ActivationID: "a-1", Profile: gender(3), Level: 2}
	base, _ := st.ReadActivation(ctx, "a-1")
	_, first, wrote, err := st.StaffProfile(ctx, base, req, nil, record)
	if err != nil || !wrote {
		t.Fatalf("first %+v %v %v", first, wrote, err)
	}
	// From the same stale read (a retried call that read before the first committed), and
	// from a fresh one.
	for _, from := range []string{"stale", "fresh"} {
		if from == "fresh" {
			base, _ = st.ReadActivation(ctx, "a-1")
		}
		_, again, wrote, err := st.StaffProfile(ctx, base, req, nil, record)
		if err != nil || wrote || again.Booking.ID != first.Booking.ID || again.Expert.ID != first.Expert.ID {
			t.Fatalf("%s: %+v %v %v", from, again, wrote, err)
		}
	}
	total := 0
	for _, id := range []string{"e-1", "e-2"} {
		bookings, _ := st.BookingsOfExpert(ctx, id)
		total += len(bookings)
	}
	if total != 1 {
		t.Fatalf("%d bookings", total)
	}
	mustChain(t, st, "a-1", 1)
}

// The holds on the expert item follow bookings and cancellations; an expert item written
// before items kept holds is read from its bookings, and its next booking writes them all.
func TestHoldsFollowTheBookings(t *testing.T) {
	ctx := context.Background()
	st, _, client, names := mustStoreWithClient(t)
	mustExpert(t, st, "e-1")
	holds := func() map[string]domain.Period {
		t.Helper()
		candidates, err := st.Candidates(ctx)
		if err != nil || len(candidates) != 1 {
			t.Fatalf("candidates %+v %v", candidates, err)
		}
		return candidates[0].Holds
	}
	for i, start := range []domain.Date{"2026-12-01", "2026-12-11"} {
		if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: fmt.Sprint("a-", i), Period: period(start, 10)}); err != nil {
			t.Fatal(err)
		}
	}
	if h := holds(); len(h) != 2 || h["a-0#0"] != period("2026-12-01", 10) {
		t.Fatalf("holds %+v", h)
	}
	if _, _, err := st.CancelBooking(ctx, "e-1", "a-0#0"); err != nil {
		t.Fatal(err)
	}
	if h := holds(); len(h) != 1 || h["a-1#0"] != period("2026-12-11", 10) {
		t.Fatalf("holds after the cancellation %+v", h)
	}
	// An item without holds (written before items kept them): read from the bookings, and
	// written back.
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "EXPERT#e-1"}, "sk": &types.AttributeValueMemberS{Value: "PROFILE"}}
	storedHolds := func() (int, bool) {
		t.Helper()
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(names.Of(tables.Roster)), ConsistentRead: aws.Bool(true), Key: key})
		if err != nil {
			t.Fatal(err)
		}
		m, ok := out.Item["holds"].(*types.AttributeValueMemberM)
		if !ok {
			return 0, false
		}
		return len(m.Value), true
	}
	removeHolds := func() {
		t.Helper()
		if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(names.Of(tables.Roster)), Key: key,
			UpdateExpression: aws.String("REMOVE holds")}); err != nil {
			t.Fatal(err)
		}
		if _, kept := storedHolds(); kept {
			t.Fatal("holds not removed")
		}
	}
	removeHolds()
	if h := holds(); len(h) != 1 || h["a-1#0"] != period("2026-12-11", 10) {
		t.Fatalf("holds read from the bookings %+v", h)
	}
	if n, kept := storedHolds(); !kept || n != 1 {
		t.Fatalf("the holds read from the bookings were not written back: %d %v", n, kept)
	}
	removeHolds()
	var unavailable *domain.ExpertUnavailable
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-2", Period: period("2026-12-15", 3)}); !errors.As(err, &unavailable) {
		t.Fatalf("overlap with a booking the item does not hold: %v", err)
	}
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-3", Period: period("2027-01-01", 3)}); err != nil {
		t.Fatal(err)
	}
	if n, kept := storedHolds(); !kept || n != 2 {
		t.Fatalf("after a booking the item holds %d (%v)", n, kept)
	}
	// A period older than the items keep holds for is checked against the bookings.
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-4", Period: period("2020-01-01", 3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-5", Period: period("2020-01-02", 3)}); !errors.As(err, &unavailable) {
		t.Fatalf("overlap with an old booking: %v", err)
	}
}
