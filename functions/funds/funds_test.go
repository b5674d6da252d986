package funds_test

import (
	"testing"

	"github.com/fasttrack/fasttrack/functions/funds"
	"github.com/fasttrack/fasttrack/functions/internal/steptest"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestReserveRoutesByAmountAndIsIdempotent(t *testing.T) {
	f := steptest.New(t)
	handler := funds.NewHandler(f.Runtime(funds.Name), f.Store, f.Store).Handle
	tests := []struct {
		name   string
		amount int64
		roles  []domain.Role
		// detail is the step's note, for people.
		detail string
	}{
		{"small amounts are released at once", 1_000_000, nil, "10000.00 USD reserved; released at once"},
		{"above 50,000 USD finance approves", 10_000_000, []domain.Role{domain.RoleFinance}, "100000.00 USD reserved; approvals: finance"},
		{"above 250,000 USD finance and senior management", 30_000_000, []domain.Role{domain.RoleFinance, domain.RoleSeniorManagement},
			"300000.00 USD reserved; approvals: finance and senior-management"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			req := f.Request()
			req.Amount = domain.USD(test.amount)
			a := f.Activation(t, req, domain.StatusInProgress)
			before, _ := f.Store.Balance(f.Ctx, "USD")
			input := funds.Input{Action: funds.ActionReserve, ActivationID: a.ID}
			var out funds.Output
			steptest.Invoke(t, handler, input).MustSucceed(t, &out)
			if out.Reserved == nil || out.Reserved.Value != test.amount || out.Route.AutoRelease != (test.roles == nil) || len(out.Approvals) != len(test.roles) {
				t.Fatalf("output = %+v", out)
			}
			for i, role := range test.roles {
				if out.Approvals[i].Role != role {
					t.Fatalf("approval %d = %+v, want %s", i, out.Approvals[i], role)
				}
			}
			if len(test.roles) == 2 && out.Approvals[1].Kind != domain.KindSeniorFundRelease {
				t.Fatalf("the senior approval is %s", out.Approvals[1].Kind)
			}
			steptest.Invoke(t, handler, input).MustSucceed(t, &out)
			after, _ := f.Store.Balance(f.Ctx, "USD")
			if before.Available-after.Available != test.amount {
				t.Fatalf("balance moved by %d, want %d once", before.Available-after.Available, test.amount)
			}
			if n := f.Actions(t, a.ID)[audit.ActionFundReserved]; n != 1 {
				t.Fatalf("%d reservation events, want 1", n)
			}
			var details []string
			for _, step := range f.Get(t, a.ID).Steps {
				if step.Name == funds.StepReserve {
					details = append(details, step.Detail)
				}
			}
			if len(details) != 1 || details[0] != test.detail {
				t.Fatalf("reserve steps %q, want one %q", details, test.detail)
			}
		})
	}
}

func TestReserveRefusals(t *testing.T) {
	f := steptest.New(t)
	handler := funds.NewHandler(f.Runtime(funds.Name), f.Store, f.Store).Handle
	req := f.Request()
	req.Amount = domain.USD(200_000_000) // above the cap
	a := f.Activation(t, req, domain.StatusInProgress)
	steptest.Invoke(t, handler, funds.Input{Action: funds.ActionReserve, ActivationID: a.ID}).MustFail(t, "FundLimitExceeded")

	// Drain the fund to below one request's amount: the next reservation is refused.
	balance, _ := f.Store.Balance(f.Ctx, "USD")
	for spent := int64(0); balance.Available-spent >= 100_000_000; spent += 100_000_000 {
		big := f.Request()
		big.Amount = domain.USD(100_000_000)
		drain := f.Activation(t, big, domain.StatusInProgress)
		steptest.Invoke(t, handler, funds.Input{Action: funds.ActionReserve, ActivationID: drain.ID}).MustSucceed(t, nil)
	}
	req.Amount = domain.USD(100_000_000)
	poor := f.Activation(t, req, domain.StatusInProgress)
	steptest.Invoke(t, handler, funds.Input{Action: funds.ActionReserve, ActivationID: poor.ID}).MustFail(t, "InsufficientFunds")
	// The refusal wrote nothing: no step record, no audit event, no ledger entry.
	if stored := f.Get(t, poor.ID); stored.Version != poor.Version || len(stored.Steps) != len(poor.Steps) {
		t.Fatalf("a refused reservation changed the activation: %+v", stored)
	}
	if events := f.Audit(t, poor.ID); len(events) != 0 {
		t.Fatalf("a refused reservation recorded %d events", len(events))
	}
	if _, found, _ := f.Store.ReservationOf(f.Ctx, poor.ID, "USD"); found {
		t.Fatal("a refused reservation left a ledger entry")
	}

	steptest.Invoke(t, handler, funds.Input{Action: "spend", ActivationID: poor.ID}).MustFail(t, "Error")
	if _, err := f.Store.RequestCancel(f.Ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	steptest.Invoke(t, handler, funds.Input{Action: funds.ActionReserve, ActivationID: a.ID}).MustFail(t, "ActivationCancelled")
}

func TestReleaseConfirmsTheReservationOnce(t *testing.T) {
	f := steptest.New(t)
	handler := funds.NewHandler(f.Runtime(funds.Name), f.Store, f.Store).Handle
	a := f.Activation(t, f.Request(), domain.StatusAwaitingApproval)
	steptest.Invoke(t, handler, funds.Input{Action: funds.ActionRelease, ActivationID: a.ID}).MustFail(t, "Error")
	steptest.Invoke(t, handler, funds.Input{Action: funds.ActionReserve, ActivationID: a.ID}).MustSucceed(t, nil)
	var out funds.Output
	for range 2 {
		steptest.Invoke(t, handler, funds.Input{Action: funds.ActionRelease, ActivationID: a.ID}).MustSucceed(t, &out)
	}
	if out.Released == nil || out.Released.Value != 1_000_000 {
		t.Fatalf("output = %+v", out)
	}
	balance, _ := f.Store.Balance(f.Ctx, "USD")
	if balance.Released != 1_000_000 || balance.Reserved != 0 {
		t.Fatalf("balance = %+v", balance)
	}
	if stored := f.Get(t, a.ID); stored.Status != domain.StatusInProgress {
		t.Fatalf("status after release = %s, want IN_PROGRESS (no task open)", stored.Status)
	}
	if n := f.Actions(t, a.ID)[audit.ActionFundReleased]; n != 1 {
		t.Fatalf("%d release events, want 1", n)
	}
}

// A reservation made on its own (by code that did not record it with the step) is taken as it
// is: the step records it once and the money moves once.
func TestAReservationWithoutItsRecordIsRecorded(t *testing.T) {
	f := steptest.New(t)
	handler := funds.NewHandler(f.Runtime(funds.Name), f.Store, f.Store).Handle
	a := f.Activation(t, f.Request(), domain.StatusInProgress)
	before, _ := f.Store.Balance(f.Ctx, "USD")
	if _, err := f.Store.Reserve(f.Ctx, a.ID, a.Amount, "funds"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		steptest.Invoke(t, handler, funds.Input{Action: funds.ActionReserve, ActivationID: a.ID}).MustSucceed(t, nil)
	}
	if after, _ := f.Store.Balance(f.Ctx, "USD"); before.Available-after.Available != a.Amount.Value {
		t.Fatalf("balance moved by %d", before.Available-after.Available)
	}
	if n := f.Actions(t, a.ID)[audit.ActionFundReserved]; n != 1 {
		t.Fatalf("%d reservation events, want 1", n)
	}
	if _, err := f.Store.Release(f.Ctx, a.ID, "USD", "funds"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		steptest.Invoke(t, handler, funds.Input{Action: funds.ActionRelease, ActivationID: a.ID}).MustSucceed(t, nil)
	}
	if n := f.Actions(t, a.ID)[audit.ActionFundReleased]; n != 1 {
		t.Fatalf("%d release events, want 1", n)
	}
}
