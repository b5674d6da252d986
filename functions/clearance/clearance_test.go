package clearance_test

import (
	"testing"

	"github.com/fasttrack/fasttrack/functions/clearance"
	"github.com/fasttrack/fasttrack/functions/internal/steptest"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestClearanceByLevel(t *testing.T) {
	f := steptest.New(t)
	handler := clearance.NewHandler(f.Runtime(clearance.Name), f.Store).Handle
	tests := []struct {
		name, country, station string
		outcome                domain.ClearanceDecision
		approvals              []domain.TaskKind
		role                   domain.Role
	}{
		{"level 2 is cleared at once", "KE", "Nairobi", domain.AutoCleared, nil, ""},
		{"level 4 needs security", "HT", "Port-au-Prince", domain.NeedsApproval, []domain.TaskKind{domain.KindSecurityClearance}, domain.RoleSecurity},
		{"level 6 needs an override by senior management", "YE", "Sana'a", domain.Denied, []domain.TaskKind{domain.KindSecurityOverride}, domain.RoleSeniorManagement},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			req := f.Request()
			req.Country, req.DutyStation = test.country, test.station
			a := f.Activation(t, req, domain.StatusInProgress)
			input := clearance.Input{ActivationID: a.ID, Execution: "exec", State: "SecurityClearance"}
			var out clearance.Output
			steptest.Invoke(t, handler, input).MustSucceed(t, &out)
			if out.Outcome != test.outcome || len(out.Approvals) != len(test.approvals) {
				t.Fatalf("output = %+v", out)
			}
			for i, kind := range test.approvals {
				if out.Approvals[i].Kind != kind || out.Approvals[i].Role != test.role || out.Approvals[i].DeadlineSeconds != 24*3600 {
					t.Fatalf("approval %d = %+v", i, out.Approvals[i])
				}
			}
			stored := f.Get(t, a.ID)
			if stored.Clearance == nil || stored.Clearance.Decision != test.outcome || stored.Status != domain.StatusInProgress {
				t.Fatalf("stored clearance %+v status %s", stored.Clearance, stored.Status)
			}
			var again clearance.Output
			steptest.Invoke(t, handler, input).MustSucceed(t, &again)
			if again.Outcome != out.Outcome || len(again.Approvals) != len(out.Approvals) {
				t.Fatalf("second answer %+v, first %+v", again, out)
			}
			if after := f.Get(t, a.ID); after.Version != stored.Version {
				t.Fatalf("the second call changed the activation (v%d -> v%d)", stored.Version, after.Version)
			}
			if n := f.Actions(t, a.ID)[audit.ActionStepCompleted]; n != 1 {
				t.Fatalf("%d step events, want 1", n)
			}
		})
	}
}

func TestClearanceRefusesACancellingActivation(t *testing.T) {
	f := steptest.New(t)
	handler := clearance.NewHandler(f.Runtime(clearance.Name), f.Store).Handle
	a := f.Activation(t, f.Request(), domain.StatusInProgress)
	if _, err := f.Store.RequestCancel(f.Ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	steptest.Invoke(t, handler, clearance.Input{ActivationID: a.ID}).MustFail(t, "ActivationCancelled")
}
