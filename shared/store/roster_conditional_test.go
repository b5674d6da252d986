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

// Twenty goroutines add an expert under one id, each with another name: exactly one is
// created and the stored expert is that one's, never overwritten by the others.
func TestConcurrentCreatesOfOneExpertMakeOne(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	const racers = 20
	var wins atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			e := testExpert("e-new")
			e.Name = fmt.Sprintf("Candidate %d", i)
			created, err := st.CreateExpert(ctx, e)
			if err != nil {
				t.Errorf("create %d: %v", i, err)
				return
			}
			if created {
				wins.Add(1)
				winner.Store(e.Name)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d creates succeeded, want 1", wins.Load())
	}
	stored, err := st.GetExpert(ctx, "e-new")
	if err != nil || stored.Name != winner.Load() || stored.Version != 0 {
		t.Fatalf("stored %+v (%v), want %v at version 0", stored, err, winner.Load())
	}
}

// A profile change moves the version on; a change conditional on a version the expert has
// left is refused with the version now and changes nothing.
func TestUpdateExpertAtVersion(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	mustExpert(t, st, "e-1")
	e := testExpert("e-1")
	e.Name = "First change"
	first, err := st.UpdateExpertAt(ctx, e, []int{0})
	if err != nil || first.Version != 1 || first.Name != "First change" {
		t.Fatalf("first change: %+v %v", first, err)
	}
	e.Name = "Stale change"
	var changed *store.ExpertChanged
	if _, err := st.UpdateExpertAt(ctx, e, []int{0}); !errors.As(err, &changed) || changed.Version != 1 || changed.ExpertID != "e-1" ||
		domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("stale change: %v", err)
	}
	// One of several versions is enough.
	e.Name = "Second change"
	second, err := st.UpdateExpertAt(ctx, e, []int{7, 1})
	if err != nil || second.Version != 2 {
		t.Fatalf("second change: %+v %v", second, err)
	}
	// An unconditional change moves the version on too.
	e.Name = "Third change"
	if third, err := st.UpdateExpert(ctx, e); err != nil || third.Version != 3 {
		t.Fatalf("third change: %+v %v", third, err)
	}
	// A booking moves it on: a change read before the booking is refused.
	if _, err := st.Book(ctx, store.BookingRequest{ExpertID: "e-1", ActivationID: "a-1", Period: period("2027-02-01", 5)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateExpertAt(ctx, e, []int{3}); !errors.As(err, &changed) || changed.Version != 4 {
		t.Fatalf("change read before a booking: %v", err)
	}
	stored, err := st.GetExpert(ctx, "e-1")
	if err != nil || stored.Name != "Third change" || stored.Version != 4 || stored.ActiveBookings != 1 {
		t.Fatalf("stored %+v %v", stored, err)
	}
	if _, err := st.UpdateExpertAt(ctx, testExpert("nobody"), []int{0}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("missing expert: %v", err)
	}
	if _, err := st.UpdateExpertAt(ctx, e, nil); len(domain.FieldsOf(err)) != 1 {
		t.Errorf("no version: %v", err)
	}
}

// Twenty goroutines change one expert, each conditional on the version they all read:
// exactly one change is kept, the others are refused with the new version.
func TestConcurrentConditionalChangesKeepOne(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	mustExpert(t, st, "e-1")
	read, err := st.GetExpert(ctx, "e-1")
	if err != nil {
		t.Fatal(err)
	}
	const racers = 20
	var wins, refused atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			e := testExpert("e-1")
			e.Name = fmt.Sprintf("Change %d", i)
			_, err := st.UpdateExpertAt(ctx, e, []int{read.Version})
			var changed *store.ExpertChanged
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(e.Name)
			case errors.As(err, &changed) && changed.Version == read.Version+1:
				refused.Add(1)
			default:
				t.Errorf("change %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || refused.Load() != racers-1 {
		t.Fatalf("%d kept, %d refused", wins.Load(), refused.Load())
	}
	stored, err := st.GetExpert(ctx, "e-1")
	if err != nil || stored.Name != winner.Load() || stored.Version != read.Version+1 {
		t.Fatalf("stored %+v (%v), want %v", stored, err, winner.Load())
	}
}
