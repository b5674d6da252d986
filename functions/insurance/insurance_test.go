package insurance_test

import (
	"strings"
	"testing"

	"github.com/fasttrack/fasttrack/functions/insurance"
	"github.com/fasttrack/fasttrack/functions/internal/steptest"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestCover(t *testing.T) {
	f := steptest.New(t)
	handler := insurance.NewHandler(f.Runtime(insurance.Name), f.Store, f.Store).Handle
	req := f.Request()
	req.Country, req.DutyStation = "KE", "Mombasa" // level 3: malicious-acts cover is needed
	a := f.Activation(t, req, domain.StatusInProgress)
	from := req.Profiles[0].StartDate
	booking := func(expert string) insurance.Booking {
		return insurance.Booking{BookingID: a.ID + "#0", ExpertID: expert, From: from, To: from.AddDays(29)}
	}
	var out insurance.Output
	for range 2 {
		steptest.Invoke(t, handler, insurance.Input{Action: insurance.ActionCheck, ActivationID: a.ID, Booking: booking("staff-01")}).MustSucceed(t, &out)
	}
	if out.ExpertID != "staff-01" || len(out.Policies) != 3 {
		t.Fatalf("output = %+v", out)
	}
	result := steptest.Invoke(t, handler, insurance.Input{Action: insurance.ActionCheck, ActivationID: a.ID, Booking: booking("consultant-01")})
	result.MustFail(t, "InsuranceCoverMissing")
	if !strings.Contains(result.Err.Error(), "consultant-01") || !strings.Contains(result.Err.Error(), "malicious_acts") {
		t.Fatalf("message %q names neither the expert nor the cover", result.Err)
	}
	actions := f.Actions(t, a.ID)
	if actions[audit.ActionStepCompleted] != 1 || actions[audit.ActionStepFailed] != 1 {
		t.Fatalf("audit = %v", actions)
	}
	steptest.Invoke(t, handler, insurance.Input{Action: insurance.ActionCheck, ActivationID: a.ID, Booking: insurance.Booking{ExpertID: "x"}}).MustFail(t, "Error")
}
