package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// BenchmarkReserve measures a reservation (one three-item transaction) on an uncontended fund.
func BenchmarkReserve(b *testing.B) {
	ctx := context.Background()
	st, _ := mustStore(b)
	if _, err := st.Contribute(ctx, store.Contribution{ID: "bench", Amount: domain.USD(1 << 50), Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := st.Reserve(ctx, fmt.Sprintf("a-%d", i), domain.USD(100), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReserveParallel measures reservations from many goroutines on one fund: every
// transaction touches the one balance item, so they contend and retry.
func BenchmarkReserveParallel(b *testing.B) {
	ctx := context.Background()
	st, _ := mustStore(b)
	if _, err := st.Contribute(ctx, store.Contribution{ID: "bench", Amount: domain.USD(1 << 50), Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := st.Reserve(ctx, fmt.Sprintf("a-%d", n.Add(1)), domain.USD(100), "bench"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBook measures a booking (read expert and bookings, then a two-item transaction),
// spreading bookings over 100 experts so that each has few bookings.
func BenchmarkBook(b *testing.B) {
	ctx := context.Background()
	st, _ := mustStore(b)
	for i := range 100 {
		mustExpert(b, st, fmt.Sprintf("e-%03d", i))
	}
	b.ResetTimer()
	for i := range b.N {
		start := domain.Date("2027-01-01").AddDays(i / 100 * 3)
		_, err := st.Book(ctx, store.BookingRequest{ExpertID: fmt.Sprintf("e-%03d", i%100), ActivationID: fmt.Sprintf("a-%d", i),
			Period: domain.PeriodOf(start, 2)})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecide measures creating and deciding an approval task.
func BenchmarkDecide(b *testing.B) {
	ctx := context.Background()
	st, clk := mustStore(b)
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("t-%d", i)
		if _, err := st.CreateTask(ctx, newTask(id, domain.RoleFinance, 50, clk.Now().Add(1e12), "HT"), "tok"); err != nil {
			b.Fatal(err)
		}
		if _, _, err := st.Decide(ctx, id, domain.Decision{Outcome: domain.Approve, ActorID: "finance-1", Role: domain.RoleFinance}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendAudit measures appending to one activation's chain.
func BenchmarkAppendAudit(b *testing.B) {
	ctx := context.Background()
	st, _ := mustStore(b)
	b.ResetTimer()
	for range b.N {
		if _, err := st.AppendAudit(ctx, event("a-bench", "bench", "step.completed", "HT")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStepRecord measures what a step pays to record a change of its activation with two
// audit events: "separate" as the steps did before (read, conditional update, then each event
// appended after a query of its stream's last event), "commit" as they do now (read, then one
// transaction that holds the update and both events, chained after the head on the item). Each
// iteration records on a fresh activation (made with the timer stopped), as a step of a new
// activation does.
func BenchmarkStepRecord(b *testing.B) {
	ctx := context.Background()
	st, clk := mustStore(b)
	var n atomic.Int64
	fresh := func(b *testing.B) domain.Activation {
		b.StopTimer()
		defer b.StartTimer()
		a, err := st.CreateActivation(ctx, newActivation(fmt.Sprintf("bench-%d", n.Add(1)), "HT"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Transition(ctx, store.Change{ID: a.ID, From: domain.StatusRequested, Version: 1, To: domain.StatusInProgress}); err != nil {
			b.Fatal(err)
		}
		return a
	}
	events := func(a domain.Activation, stream string) []audit.Event {
		e := stepEvent(a, audit.ActionStepCompleted, "bench", clk.Now())
		e.ActivationID = stream
		return []audit.Event{e, e}
	}
	b.Run("separate", func(b *testing.B) {
		for range b.N {
			a := fresh(b)
			current, err := st.GetActivation(ctx, a.ID)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.Transition(ctx, store.Change{ID: a.ID, From: current.Status, Version: current.Version, To: current.Status,
				Step: &domain.Step{Name: "bench", Status: "succeeded"}}); err != nil {
				b.Fatal(err)
			}
			// A stream without an activation item chains by reading its last event, as every
			// stream did before the head was kept on the activation.
			for _, e := range events(a, "separate-"+a.ID) {
				if _, err := st.AppendAudit(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("commit", func(b *testing.B) {
		for range b.N {
			a := fresh(b)
			current, err := st.ReadActivation(ctx, a.ID)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := st.Commit(ctx, current, store.Change{Step: &domain.Step{Name: "bench", Status: "succeeded"},
				Events: events(a, a.ID)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStaffing measures staffing one profile from a roster of 40 experts and recording it
// on the activation: "per-expert-queries" as the roster step did before (list the experts,
// query each one's bookings, book, record the deployment, record the step), "holds" as it does
// now (one query of the roster with each expert's holds, then one transaction). The activation
// is made with the timer stopped.
func BenchmarkStaffing(b *testing.B) {
	ctx := context.Background()
	st, _ := mustStore(b)
	for i := range 40 {
		mustExpert(b, st, fmt.Sprintf("e-%02d", i))
	}
	var n atomic.Int64
	activation := func(b *testing.B) store.Current {
		b.StopTimer()
		defer b.StartTimer()
		id := fmt.Sprintf("a-%d", n.Add(1))
		if _, err := st.CreateActivation(ctx, newActivation(id, "HT")); err != nil {
			b.Fatal(err)
		}
		if _, err := st.Transition(ctx, store.Change{ID: id, From: domain.StatusRequested, Version: 1, To: domain.StatusInProgress}); err != nil {
			b.Fatal(err)
		}
		current, err := st.ReadActivation(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		return current
	}
	// Each staffing books another day, so that every expert stays a candidate.
	profile := func() domain.Profile {
		return domain.Profile{Area: domain.Gender, Languages: []string{"fr"}, StartDate: domain.Date("2027-01-01").AddDays(int(n.Load())), Days: 1}
	}
	b.Run("per-expert-queries", func(b *testing.B) {
		for range b.N {
			a := activation(b)
			experts, err := st.ListExperts(ctx)
			if err != nil {
				b.Fatal(err)
			}
			bookings := map[string][]domain.Booking{}
			for _, e := range experts {
				if bookings[e.ID], err = st.BookingsOfExpert(ctx, e.ID); err != nil {
					b.Fatal(err)
				}
			}
			p := profile()
			ranked := domain.MatchExperts(p, 2, experts, bookings, cfgDefault())
			booking, err := st.Book(ctx, store.BookingRequest{ExpertID: ranked[0].ID, ActivationID: a.ID, Period: p.Period()})
			if err != nil {
				b.Fatal(err)
			}
			if err := st.SetDeployment(ctx, a.ID, domain.Deployment{ExpertID: booking.ExpertID, BookingID: booking.ID, Period: booking.Period}); err != nil {
				b.Fatal(err)
			}
			if _, err := st.Transition(ctx, store.Change{ID: a.ID, From: a.Status, Version: a.Version, To: a.Status,
				Step: &domain.Step{Name: "roster", Status: "succeeded"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("holds", func(b *testing.B) {
		for range b.N {
			a := activation(b)
			_, _, _, err := st.StaffProfile(ctx, a, store.DeployRequest{ActivationID: a.ID, Profile: profile(), Level: 2}, nil,
				func(store.Current, store.Deployed) (*store.Change, error) {
					return &store.Change{Step: &domain.Step{Name: "roster", Status: "succeeded"}}, nil
				})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
