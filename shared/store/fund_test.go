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

func assertLedger(t *testing.T, st *store.Store, currency string, wantAvailable int64) store.LedgerCheck {
	t.Helper()
	check, err := st.CheckLedger(context.Background(), currency)
	if err != nil {
		t.Fatal(err)
	}
	if !check.Consistent() || check.Balance.Available != wantAvailable {
		t.Fatalf("ledger %+v, want available %d", check, wantAvailable)
	}
	return check
}

func TestFundLifecycle(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	if _, err := st.Reserve(ctx, "a-0", domain.USD(1), "funds"); !isInsufficient(err) {
		t.Fatalf("reserve from no fund: %v", err)
	}
	if _, err := st.Contribute(ctx, store.Contribution{ID: "donor-1", Amount: domain.USD(1_000_000), Actor: "admin-1"}); err != nil {
		t.Fatal(err)
	}
	// A repeated contribution adds nothing; the same id with another amount is a conflict.
	if _, err := st.Contribute(ctx, store.Contribution{ID: "donor-1", Amount: domain.USD(1_000_000), Actor: "admin-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Contribute(ctx, store.Contribution{ID: "donor-1", Amount: domain.USD(5), Actor: "admin-1"}); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("changed contribution: %v", err)
	}
	if _, err := st.Contribute(ctx, store.Contribution{Amount: domain.Money{Value: -1, Currency: "usd"}}); len(domain.FieldsOf(err)) != 3 {
		t.Fatalf("bad contribution: %v", err)
	}
	assertLedger(t, st, "USD", 1_000_000)

	r, err := st.Reserve(ctx, "a-1", domain.USD(400_000), "funds")
	if err != nil || r.Delta != -400_000 {
		t.Fatalf("reserve %+v %v", r, err)
	}
	again, err := st.Reserve(ctx, "a-1", domain.USD(400_000), "funds")
	if err != nil || again.At != r.At {
		t.Fatalf("idempotent reserve %+v %v", again, err)
	}
	if _, err := st.Reserve(ctx, "a-1", domain.USD(1), "funds"); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("reserve another amount: %v", err)
	}
	check := assertLedger(t, st, "USD", 600_000)
	if check.Balance.Reserved != 400_000 {
		t.Errorf("reserved %d", check.Balance.Reserved)
	}
	// Too much is refused and changes nothing.
	_, err = st.Reserve(ctx, "a-2", domain.USD(600_001), "funds")
	var insufficient *domain.InsufficientFunds
	if !errors.As(err, &insufficient) || insufficient.Available != 600_000 {
		t.Fatalf("overdraw: %v", err)
	}
	assertLedger(t, st, "USD", 600_000)
	if _, err := st.Reserve(ctx, "a-2", domain.USD(600_000), "funds"); err != nil {
		t.Fatalf("exact remainder: %v", err)
	}
	assertLedger(t, st, "USD", 0)

	// Release confirms a-1; releasing twice is one release.
	if _, err := st.Release(ctx, "a-1", "USD", "activate"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Release(ctx, "a-1", "USD", "activate"); err != nil {
		t.Fatal(err)
	}
	check = assertLedger(t, st, "USD", 0)
	if check.Balance.Released != 400_000 || check.Balance.Reserved != 600_000 {
		t.Errorf("after release %+v", check.Balance)
	}
	if _, err := st.Release(ctx, "a-none", "USD", "activate"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("release without reservation: %v", err)
	}

	// Compensation: reversing twice changes nothing the second time.
	rev, changed, err := st.Reverse(ctx, "a-2", "USD", "compensate")
	if err != nil || !changed || rev.Delta != 600_000 {
		t.Fatalf("reverse %+v %v %v", rev, changed, err)
	}
	before := assertLedger(t, st, "USD", 600_000)
	rev2, changed, err := st.Reverse(ctx, "a-2", "USD", "compensate")
	if err != nil || changed || rev2.At != rev.At {
		t.Fatalf("second reverse %+v %v %v", rev2, changed, err)
	}
	after := assertLedger(t, st, "USD", 600_000)
	if before.Entries != after.Entries || before.Balance != after.Balance {
		t.Errorf("second reversal changed the fund: %+v -> %+v", before, after)
	}
	// A late retry of the reservation cannot take the money again, nor be released.
	if _, err := st.Reserve(ctx, "a-2", domain.USD(600_000), "funds"); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("reserve after reversal: %v", err)
	}
	if _, err := st.Release(ctx, "a-2", "USD", "activate"); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("release after reversal: %v", err)
	}
	// Reversing a released reservation returns it too (cancellation of an active activation).
	if _, changed, err := st.Reverse(ctx, "a-1", "USD", "compensate"); err != nil || !changed {
		t.Fatal(err)
	}
	check = assertLedger(t, st, "USD", 1_000_000)
	if check.Balance.Released != 0 || check.Balance.Reserved != 0 {
		t.Errorf("after reversing everything %+v", check.Balance)
	}
	// Reversing what was never reserved records a zero reversal and blocks a late reservation.
	if rev, changed, err := st.Reverse(ctx, "a-3", "USD", "compensate"); err != nil || !changed || rev.Amount != 0 {
		t.Fatalf("empty reversal %+v %v", rev, err)
	}
	if _, err := st.Reserve(ctx, "a-3", domain.USD(1), "funds"); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("reserve after empty reversal: %v", err)
	}
	assertLedger(t, st, "USD", 1_000_000)

	page, err := st.Ledger(ctx, "USD", 3, "")
	if err != nil || len(page.Items) != 3 || page.Next == "" {
		t.Fatalf("ledger page %+v %v", page, err)
	}
	rest, err := st.Ledger(ctx, "USD", 100, page.Next)
	if err != nil || len(page.Items)+len(rest.Items) != 7 || rest.Next != "" {
		t.Fatalf("ledger rest %d %v", len(rest.Items), err)
	}
}

func isInsufficient(err error) bool {
	var insufficient *domain.InsufficientFunds
	return errors.As(err, &insufficient)
}

// A hundred activations race for a fund that can pay for exactly ten of them.
func TestConcurrentReservationsNeverOverdraw(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	const each = 150_000
	if _, err := st.Contribute(ctx, store.Contribution{ID: "seed", Amount: domain.USD(10 * each), Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			_, err := st.Reserve(ctx, fmt.Sprintf("a-%03d", i), domain.USD(each), "funds")
			switch {
			case err == nil:
				ok.Add(1)
			case isInsufficient(err):
				refused.Add(1)
			default:
				t.Errorf("reserve %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 10 || refused.Load() != 90 {
		t.Fatalf("%d reserved, %d refused", ok.Load(), refused.Load())
	}
	check := assertLedger(t, st, "USD", 0)
	if check.Entries != 11 || check.Balance.Reserved != 10*each {
		t.Errorf("ledger %+v", check)
	}
	// Compensating everything, twice and concurrently, restores the fund exactly.
	for range 2 {
		for i := range 100 {
			wg.Go(func() {
				if _, _, err := st.Reverse(ctx, fmt.Sprintf("a-%03d", i), "USD", "compensate"); err != nil {
					t.Errorf("reverse: %v", err)
				}
			})
		}
	}
	wg.Wait()
	check = assertLedger(t, st, "USD", 10*each)
	if check.Entries != 111 || check.Balance.Reserved != 0 {
		t.Errorf("after compensation %+v", check)
	}
}
