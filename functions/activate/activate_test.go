package activate_test

import (
	"context"
	"sync"
	"testing"

	"github.com/fasttrack/fasttrack/functions/activate"
	"github.com/fasttrack/fasttrack/functions/funds"
	"github.com/fasttrack/fasttrack/functions/internal/steptest"
	"github.com/fasttrack/fasttrack/functions/roster"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

type events struct {
	mu   sync.Mutex
	sent []string
}

func (e *events) Publish(_ context.Context, detailType string, _ any) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sent = append(e.sent, detailType)
	return nil
}

func TestActivateConfirmsAndAnnouncesOnce(t *testing.T) {
	f := steptest.New(t)
	published := &events{}
	handler := activate.NewHandler(f.Runtime(activate.Name), f.Store, f.Store, published).Handle
	a := f.Activation(t, f.Request(), domain.StatusInProgress)
	zero := 0
	steptest.Invoke(t, funds.NewHandler(f.Runtime(funds.Name), f.Store, f.Store).Handle, funds.Input{Action: "reserve", ActivationID: a.ID}).MustSucceed(t, nil)
	steptest.Invoke(t, roster.NewHandler(f.Runtime(roster.Name), f.Store, f.Store).Handle,
		roster.Input{Action: "book", ActivationID: a.ID, Profile: roster.Profile{Index: &zero}}).MustSucceed(t, nil)

	var first, second domain.Activation
	steptest.Invoke(t, handler, activate.Input{ActivationID: a.ID}).MustSucceed(t, &first)
	steptest.Invoke(t, handler, activate.Input{ActivationID: a.ID}).MustSucceed(t, &second)
	if first.Status != domain.StatusActive || second.Version != first.Version || first.EndDate == "" {
		t.Fatalf("first %s v%d end %q, second v%d", first.Status, first.Version, first.EndDate, second.Version)
	}
	bookings, _ := f.Store.BookingsOfActivation(f.Ctx, a.ID)
	if len(bookings) != 1 || bookings[0].Status != domain.BookingConfirmed {
		t.Fatalf("bookings = %+v", bookings)
	}
	if balance, _ := f.Store.Balance(f.Ctx, "USD"); balance.Released != 1_000_000 || balance.Reserved != 0 {
		t.Fatalf("balance = %+v", balance)
	}
	if len(published.sent) != 1 || published.sent[0] != "Activation Active" {
		t.Fatalf("events = %v", published.sent)
	}
	if n := f.Actions(t, a.ID)[audit.ActionActivationStatus]; n != 1 {
		t.Fatalf("%d status events, want 1", n)
	}
}

func TestActivateRefusals(t *testing.T) {
	f := steptest.New(t)
	handler := activate.NewHandler(f.Runtime(activate.Name), f.Store, f.Store, nil).Handle
	req := f.Request()
	req.Country, req.DutyStation = "HT", "Port-au-Prince"
	uncleared := f.Activation(t, req, domain.StatusInProgress)
	steptest.Invoke(t, handler, activate.Input{ActivationID: uncleared.ID}).MustFail(t, "SecurityClearanceDenied")
	a := f.Activation(t, f.Request(), domain.StatusInProgress)
	if _, err := f.Store.RequestCancel(f.Ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	steptest.Invoke(t, handler, activate.Input{ActivationID: a.ID}).MustFail(t, "ActivationCancelled")
	if stored := f.Get(t, a.ID); stored.Status != domain.StatusInProgress {
		t.Fatalf("status = %s", stored.Status)
	}
}
