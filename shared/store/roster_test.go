package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

func testExpert(id string) domain.Expert {
	return domain.Expert{ID: id, Name: "Expert " + id, Employment: domain.Staff, Areas: []domain.Area{domain.Gender},
		Languages: []string{"en", "fr"}, HomeOffice: "HQ",
		Training: domain.SecurityTraining{Level: domain.TrainingAdvanced, Expires: "2029-12-31"}}
}

func mustExpert(t testing.TB, st *store.Store, id string) {
	t.Helper()
	if created, err := st.CreateExpert(context.Background(), testExpert(id)); err != nil || !created {
		t.Fatalf("create expert: %v %v", created, err)
	}
}

func period(start domain.Date, days int) domain.Period { return domain.PeriodOf(start, days) }

func TestRosterExpertsAndPolicies(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	mustExpert(t, st, "e-1")
	mustExpert(t, st, "e-2")
	if created, err := st.CreateExpert(ctx, testExpert("e-1")); err != nil || created {
		t.Fatalf("second create: %v %v", created, err)
	}
	bad := testExpert("x#y")
	bad.Languages = []string{"english"}
	if _, err := st.CreateExpert(ctx, bad); len(domain.FieldsOf(err)) != 2 {
		t.Fatalf("bad expert: %v", err)
	}
	e := testExpert("e-1")
	e.Languages = []string{"en", "fr", "ar"}
	e.Unavailable = []domain.Period{period("2027-01-01", 10)}
	updated, err := st.UpdateExpert(ctx, e)
	if err != nil || len(updated.Languages) != 3 || len(updated.Unavailable) != 1 {
		t.Fatalf("update %+v %v", updated, err)
	}
	if _, err := st.UpdateExpert(ctx, testExpert("nobody")); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("update missing: %v", err)
	}
	experts, err := st.ListExperts(ctx)
	if err != nil || len(experts) != 2 || experts[0].ID != "e-1" {
		t.Fatalf("list %+v %v", experts, err)
	}
	for _, kind := range domain.CoverKinds {
		if err := st.PutPolicy(ctx, domain.InsurancePolicy{ID: "p-" + string(kind), ExpertID: "e-1", Kind: kind,
			ValidFrom: "2026-01-01", ValidTo: "2027-12-31"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutPolicy(ctx, domain.InsurancePolicy{ID: "p", ExpertID: "nobody", Kind: domain.CoverMedical,
		ValidFrom: "2026-01-01", ValidTo: "2027-12-31"}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("policy of nobody: %v", err)
	}
	if err := st.PutPolicy(ctx, domain.InsurancePolicy{ID: "p", ExpertID: "e-1", Kind: "life",
		ValidFrom: "2027-01-01", ValidTo: "2026-12-31"}); len(domain.FieldsOf(err)) != 2 {
		t.Errorf("bad policy: %v", err)
	}
	policies, err := st.Policies(ctx, "e-1")
	if err != nil || len(policies) != 3 {
		t.Fatalf("policies %+v %v", policies, err)
	}
	if missing := domain.MissingCover(policies, period("2026-12-01", 30), 5, cfgDefault()); len(missing) != 0 {
		t.Errorf("missing %v", missing)
	}
}

func TestBookingLifecycle(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	mustExpert(t, st, "e-1")
	b, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-1", ProfileIndex: 0, Period: period("2026-12-01", 10)})
	if err != nil || b.Status != domain.BookingActive || b.ID != "a-1#0" {
		t.Fatalf("book %+v %v", b, err)
	}
	// A retry returns the first booking.
	again, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-1", ProfileIndex: 0, Period: period("2026-12-01", 10)})
	if err != nil || again.CreatedAt != b.CreatedAt {
		t.Fatalf("retry %+v %v", again, err)
	}
	// The last day overlaps; the day after does not.
	_, err = st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-2", Period: period("2026-12-10", 5)})
	var unavailable *domain.ExpertUnavailable
	if !errors.As(err, &unavailable) {
		t.Fatalf("overlap: %v", err)
	}
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-2", Period: period("2026-12-11", 5)}); err != nil {
		t.Fatalf("adjacent: %v", err)
	}
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "nobody", ActivationID: "a-3", Period: period("2026-12-11", 5)}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("nobody: %v", err)
	}
	expert, _ := st.GetExpert(ctx, "e-1")
	if expert.ActiveBookings != 2 || expert.Version != 2 {
		t.Errorf("expert after bookings %+v", expert)
	}
	// Cancel twice: the second changes nothing; the days are free again.
	c, changed, err := st.CancelBooking(ctx, "e-1", "a-1#0")
	if err != nil || !changed || c.Status != domain.BookingCancelled {
		t.Fatalf("cancel %+v %v %v", c, changed, err)
	}
	if _, changed, err := st.CancelBooking(ctx, "e-1", "a-1#0"); err != nil || changed {
		t.Fatalf("second cancel %v %v", changed, err)
	}
	expert, _ = st.GetExpert(ctx, "e-1")
	if expert.ActiveBookings != 1 || expert.Version != 3 {
		t.Errorf("expert after cancel %+v", expert)
	}
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-1", ProfileIndex: 0, Period: period("2026-12-01", 10)}); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("rebooking a cancelled booking: %v", err)
	}
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-4", Period: period("2026-12-01", 10)}); err != nil {
		t.Errorf("freed days: %v", err)
	}
	if _, err := st.ConfirmBooking(ctx, "e-1", "a-2#0"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConfirmBooking(ctx, "e-1", "a-1#0"); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("confirm cancelled: %v", err)
	}
	list, err := st.BookingsOfActivation(ctx, "a-2")
	if err != nil || len(list) != 1 || list[0].Status != domain.BookingConfirmed {
		t.Errorf("bookings of a-2: %+v %v", list, err)
	}
	// Unavailability blocks a booking too.
	e := testExpert("e-1")
	e.Unavailable = []domain.Period{period("2027-03-01", 5)}
	if _, err := st.UpdateExpert(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-5", Period: period("2027-02-25", 10)}); !errors.As(err, &unavailable) {
		t.Errorf("unavailable: %v", err)
	}
}

// Fifty goroutines book one expert for overlapping periods: exactly one wins. Fifty more book
// disjoint periods of another expert at once: all succeed.
func TestConcurrentBookingsNeverOverlap(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	mustExpert(t, st, "e-hot")
	mustExpert(t, st, "e-busy")
	var wins, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			// Every period contains 2026-12-20.
			start := domain.Date("2026-12-01").AddDays(i % 20)
			_, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-hot", ActivationID: fmt.Sprintf("a-%d", i), Period: period(start, 20)})
			var unavailable *domain.ExpertUnavailable
			switch {
			case err == nil:
				wins.Add(1)
			case errors.As(err, &unavailable):
				refused.Add(1)
			default:
				t.Errorf("book %d: %v", i, err)
			}
		})
	}
	for i := range 50 {
		wg.Go(func() {
			start := domain.Date("2027-01-01").AddDays(3 * i)
			if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-busy", ActivationID: fmt.Sprintf("b-%d", i), Period: period(start, 3)}); err != nil {
				t.Errorf("disjoint %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || refused.Load() != 49 {
		t.Fatalf("overlapping: %d won, %d refused", wins.Load(), refused.Load())
	}
	for id, want := range map[string]int{"e-hot": 1, "e-busy": 50} {
		bookings, err := st.BookingsOfExpert(ctx, id)
		if err != nil || len(bookings) != want {
			t.Fatalf("%s has %d bookings (%v), want %d", id, len(bookings), err, want)
		}
		for i := range bookings {
			for j := i + 1; j < len(bookings); j++ {
				if bookings[i].Period.Overlaps(bookings[j].Period) {
					t.Errorf("%s: %v overlaps %v", id, bookings[i].Period, bookings[j].Period)
				}
			}
		}
		expert, _ := st.GetExpert(ctx, id)
		if expert.ActiveBookings != want {
			t.Errorf("%s counts %d bookings", id, expert.ActiveBookings)
		}
	}
}
