package assess_test

import (
	"encoding/json"
	"testing"

	"github.com/fasttrack/fasttrack/functions/assess"
	"github.com/fasttrack/fasttrack/functions/internal/steptest"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestAssessMovesTheActivationInProgressOnceAndAnswersTheSameTwice(t *testing.T) {
	f := steptest.New(t)
	handler := assess.NewHandler(f.Runtime(assess.Name), f.Store).Handle
	req := f.Request()
	req.Profiles = append(req.Profiles, domain.Profile{Area: "gender", Languages: []string{"fr"}, StartDate: req.Profiles[0].StartDate, Days: 10})
	a := f.Activation(t, req, "")
	input := assess.Input{ActivationID: a.ID, Execution: "arn:aws:states:us-east-1:123456789012:execution:fasttrack:" + a.ID, State: "Assess"}

	var first assess.Output
	steptest.Invoke(t, handler, input).MustSucceed(t, &first)
	if first.SecurityLevel != 2 || len(first.Profiles) != 2 || first.Profiles[1].Index != 1 || first.Profiles[1].Area != "gender" {
		t.Fatalf("output = %+v", first)
	}
	if first.Tasks.Sourcing.Role != domain.RoleHR || first.Tasks.Sourcing.Kind != domain.KindExpertSourcing ||
		first.Tasks.Sourcing.DeadlineSeconds != 48*3600 || first.Tasks.Sourcing.EscalateTo != domain.RoleSeniorManagement ||
		first.Tasks.Sourcing.EscalationSeconds != 24*3600 || first.Tasks.Enrolment.Kind != domain.KindInsuranceEnrolment {
		t.Fatalf("task descriptors = %+v", first.Tasks)
	}
	stored := f.Get(t, a.ID)
	if stored.Status != domain.StatusInProgress || stored.Version != 2 || stored.ExecutionArn != input.Execution || stored.Priority != first.Priority {
		t.Fatalf("stored = %s v%d exec %q priority %d", stored.Status, stored.Version, stored.ExecutionArn, stored.Priority)
	}

	var second assess.Output
	steptest.Invoke(t, handler, input).MustSucceed(t, &second)
	a1, _ := json.Marshal(first)
	a2, _ := json.Marshal(second)
	if string(a1) != string(a2) {
		t.Fatalf("second answer %s, first %s", a2, a1)
	}
	again := f.Get(t, a.ID)
	if again.Version != stored.Version || len(again.Steps) != len(stored.Steps) {
		t.Fatalf("the second call changed the activation: v%d -> v%d, %d -> %d steps", stored.Version, again.Version, len(stored.Steps), len(again.Steps))
	}
	actions := f.Actions(t, a.ID)
	if actions[audit.ActionActivationStatus] != 1 || actions[audit.ActionStepCompleted] != 1 {
		t.Fatalf("audit actions = %v, want one status change and one step", actions)
	}
	for _, e := range f.Audit(t, a.ID) {
		if e.Actor != "system" || e.Role != assess.Name || e.WorkflowEvent != input.Execution+"#Assess" {
			t.Fatalf("audit event %+v: want actor system, role assess and the workflow reference", e)
		}
	}
}

func TestAssessRefusesAnIneligibleRequest(t *testing.T) {
	f := steptest.New(t)
	handler := assess.NewHandler(f.Runtime(assess.Name), f.Store).Handle
	req := f.Request()
	req.DemandReference = ""
	a := f.Activation(t, req, "")
	result := steptest.Invoke(t, handler, assess.Input{ActivationID: a.ID})
	result.MustFail(t, "NotEligible")
	if stored := f.Get(t, a.ID); stored.Status != domain.StatusRequested || stored.Version != 1 {
		t.Fatalf("an ineligible request changed the activation: %s v%d", stored.Status, stored.Version)
	}
}

func TestAssessRefusesACancellingActivation(t *testing.T) {
	f := steptest.New(t)
	handler := assess.NewHandler(f.Runtime(assess.Name), f.Store).Handle
	a := f.Activation(t, f.Request(), "")
	if _, err := f.Store.RequestCancel(f.Ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	steptest.Invoke(t, handler, assess.Input{ActivationID: a.ID}).MustFail(t, "ActivationCancelled")
	if stored := f.Get(t, a.ID); stored.Status != domain.StatusRequested {
		t.Fatalf("status = %s", stored.Status)
	}
}

func TestAssessRefusesBadInput(t *testing.T) {
	f := steptest.New(t)
	handler := assess.NewHandler(f.Runtime(assess.Name), f.Store).Handle
	result := steptest.Invoke(t, handler, map[string]any{"activationId": ""})
	if result.Err == nil {
		t.Fatal("an empty activation id was accepted")
	}
	result = steptest.Invoke(t, handler, map[string]any{"activationId": "act-none"})
	if result.Err == nil || domain.CodeOf(result.Err) != domain.CodeNotFound {
		t.Fatalf("unknown activation: %v", result.Err)
	}
}
