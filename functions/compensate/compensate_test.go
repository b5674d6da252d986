package compensate_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/compensate"
	"github.com/fasttrack/fasttrack/functions/funds"
	"github.com/fasttrack/fasttrack/functions/internal/steptest"
	"github.com/fasttrack/fasttrack/functions/roster"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestOutcome(t *testing.T) {
	tests := []struct {
		error     string
		cancelled bool
		want      domain.Status
	}{
		{"ApprovalRejected", false, domain.StatusRejected},
		{"NotEligible", false, domain.StatusRejected},
		{"SecurityClearanceDenied", false, domain.StatusRejected},
		{"ActivationCancelled", false, domain.StatusCancelled},
		{"InsufficientFunds", true, domain.StatusCancelled},
		{"ApprovalTimedOut", false, domain.StatusFailed},
		{"States.TaskFailed", false, domain.StatusFailed},
	}
	for _, test := range tests {
		if got := compensate.Outcome(test.error, test.cancelled); got != test.want {
			t.Errorf("Outcome(%s, %v) = %s, want %s", test.error, test.cancelled, got, test.want)
		}
	}
	if got := compensate.Reason(compensate.Failure{Error: "InsufficientFunds", Cause: `{"errorMessage":"the fund cannot reserve","errorType":"InsufficientFunds"}`}); got != "InsufficientFunds: the fund cannot reserve" {
		t.Errorf("Reason = %q", got)
	}
	if got := compensate.Reason(compensate.Failure{Error: "ApprovalRejected", Cause: `{"decision":"reject","actor":"finance-1","role":"finance","comment":"no"}`}); got != "ApprovalRejected: rejected by finance-1 (finance): no" {
		t.Errorf("Reason = %q", got)
	}
}

func TestCompensationUndoesEverythingOnce(t *testing.T) {
	for _, c := range []struct {
		error string
		want  domain.Status
	}{{"ApprovalRejected", domain.StatusRejected}, {"ActivationCancelled", domain.StatusCancelled}, {"ApprovalTimedOut", domain.StatusFailed}} {
		t.Run(c.error, func(t *testing.T) {
			f := steptest.New(t)
			handler := compensate.NewHandler(f.Runtime(compensate.Name), f.Store, nil).Handle
			before, _ := f.Store.Balance(f.Ctx, "USD")
			req := f.Request()
			req.Profiles = append(req.Profiles, domain.Profile{Area: "gender", Languages: []string{"en"}, StartDate: req.Profiles[0].StartDate, Days: 5})
			a := f.Activation(t, req, domain.StatusInProgress)
			steptest.Invoke(t, funds.NewHandler(f.Runtime(funds.Name), f.Store, f.Store).Handle, funds.Input{Action: "reserve", ActivationID: a.ID}).MustSucceed(t, nil)
			book := roster.NewHandler(f.Runtime(roster.Name), f.Store, f.Store).Handle
			for i := range 2 {
				steptest.Invoke(t, book, roster.Input{Action: "book", ActivationID: a.ID, Profile: roster.Profile{Index: &i}}).MustSucceed(t, nil)
			}
			task := domain.ApprovalTask{ID: a.ID + ".t", ActivationID: a.ID, Role: domain.RoleFinance, Kind: domain.KindFundRelease,
				Deadline: f.Clock.Now().Add(time.Hour)}
			if _, err := f.Store.CreateTask(f.Ctx, task, "tok"); err != nil {
				t.Fatal(err)
			}
			input := compensate.Input{ActivationID: a.ID, Failure: compensate.Failure{Error: c.error, Cause: "because"}}
			var first, second compensate.Output
			steptest.Invoke(t, handler, input).MustSucceed(t, &first)
			trail := len(f.Audit(t, a.ID))
			steptest.Invoke(t, handler, input).MustSucceed(t, &second)
			j1, _ := json.Marshal(first)
			j2, _ := json.Marshal(second)
			if string(j1) != string(j2) || first.Status != c.want || first.ReleasedBookings != 2 || first.Reversed.Value != 1_000_000 {
				t.Fatalf("first %s second %s", j1, j2)
			}
			if after, _ := f.Store.Balance(f.Ctx, "USD"); after.Available != before.Available || after.Reserved != before.Reserved {
				t.Fatalf("balance %+v, before %+v", after, before)
			}
			bookings, _ := f.Store.BookingsOfActivation(f.Ctx, a.ID)
			for _, b := range bookings {
				if b.Status != domain.BookingCancelled {
					t.Fatalf("booking %s is %s", b.ID, b.Status)
				}
			}
			if stored, _ := f.Store.GetTask(f.Ctx, task.ID); stored.Status != domain.TaskExpired {
				t.Fatalf("task is %s", stored.Status)
			}
			stored := f.Get(t, a.ID)
			if stored.Status != c.want || stored.Reason == "" {
				t.Fatalf("activation %s reason %q", stored.Status, stored.Reason)
			}
			if n := len(f.Audit(t, a.ID)); n != trail {
				t.Fatalf("the second compensation appended %d audit events", n-trail)
			}
		})
	}
}
