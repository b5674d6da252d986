package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

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
