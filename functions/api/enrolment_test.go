package api_test

import (
	"net/http"
	"strings"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// An insurance enrolment task is approved only once the expert holds the cover: before, the
// approval is 409 cover-missing naming the expert, the kind and the days, the task stays open
// and the workflow is not answered; hr records the policy and the approval goes through. A
// rejection needs no cover.
func TestAnEnrolmentIsApprovedOnceTheCoverIsRecorded(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000) // level 3: malicious-acts cover is needed
	expert := map[string]any{"name": "Ana Sousa", "employment": "consultant", "areas": []string{"gender"}, "languages": []string{"pt", "en"},
		"training": map[string]any{"level": "advanced", "expires": "2030-12-31"}, "homeOffice": "HQ"}
	if resp := h.do("hr-1", http.MethodPut, "/experts/exp-pt", expert); resp.Status != http.StatusCreated {
		t.Fatalf("add expert: %d %s", resp.Status, resp.Body)
	}
	for _, kind := range []domain.CoverKind{domain.CoverMedical, domain.CoverEvacuation} {
		if resp := h.do("hr-1", http.MethodPut, "/experts/exp-pt/policies/"+string(kind), map[string]any{"kind": kind,
			"validFrom": "2026-01-01", "validTo": "2030-12-31"}); resp.Status != http.StatusCreated {
			t.Fatalf("add %s cover: %d %s", kind, resp.Status, resp.Body)
		}
	}
	booking := map[string]any{"bookingId": a.ID + ".p0", "expertId": "exp-pt", "from": "2026-12-01", "to": "2026-12-20", "profileIndex": 0}
	h.addTask(domain.ApprovalTask{ID: "task-enrol", ActivationID: a.ID, Role: domain.RoleHR, Kind: domain.KindInsuranceEnrolment,
		Summary: domain.TaskSummary{Detail: map[string]any{"booking": booking}}})

	approve := map[string]string{"decision": "approve", "comment": "Enrolment sent to the insurer."}
	refused := h.do("hr-1", http.MethodPost, "/tasks/task-enrol/decision", approve)
	p := refused.problem(t)
	if refused.Status != http.StatusConflict || !strings.HasSuffix(p.Type, "/cover-missing") {
		t.Fatalf("approval without the cover: %d %s", refused.Status, refused.Body)
	}
	for _, part := range []string{"exp-pt", "malicious_acts", "2026-12-01 to 2026-12-20", "security level 3", "PUT /experts/exp-pt/policies/"} {
		if !strings.Contains(p.Detail, part) {
			t.Errorf("the refusal does not say %q: %s", part, p.Detail)
		}
	}
	// Nothing was decided: the task is open, the workflow still waits, nothing is recorded.
	if task, err := h.store.GetTask(t.Context(), "task-enrol"); err != nil || task.Status != domain.TaskOpen || task.Decision != nil {
		t.Fatalf("task after the refusal: %+v %v", task, err)
	}
	if got := h.taskExecution("task-enrol"); got.Status != sfntypes.ExecutionStatusRunning {
		t.Fatalf("the wait ended: %s", got.Status)
	}
	if decided := h.auditEvents(audit.ActionTaskDecided); len(decided) != 0 {
		t.Fatalf("a refused approval was recorded: %+v", decided)
	}

	// A policy that ends before the deployment does is not enough either.
	short := map[string]any{"kind": "malicious_acts", "insurer": "Demo Mutual", "validFrom": "2026-01-01", "validTo": "2026-12-19"}
	if resp := h.do("hr-1", http.MethodPut, "/experts/exp-pt/policies/ma-1", short); resp.Status != http.StatusCreated {
		t.Fatalf("add a short policy: %d %s", resp.Status, resp.Body)
	}
	if again := h.do("hr-1", http.MethodPost, "/tasks/task-enrol/decision", approve); again.Status != http.StatusConflict {
		t.Fatalf("approval with a policy ending too early: %d %s", again.Status, again.Body)
	}
	short["validTo"] = "2026-12-31"
	if resp := h.do("hr-1", http.MethodPut, "/experts/exp-pt/policies/ma-1", short); resp.Status != http.StatusOK {
		t.Fatalf("extend the policy: %d %s", resp.Status, resp.Body)
	}
	if resp := h.do("hr-1", http.MethodPost, "/tasks/task-enrol/decision", approve); resp.Status != http.StatusOK {
		t.Fatalf("approval with the cover recorded: %d %s", resp.Status, resp.Body)
	}
	if got := h.decisionDelivered("task-enrol"); got.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("the wait ended %s", got.Status)
	}
}

// Rejecting an enrolment task needs no cover: it ends the request.
func TestAnEnrolmentIsRejectedWithoutTheCover(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	booking := map[string]any{"expertId": "exp-none", "from": "2026-12-01", "to": "2026-12-20", "profileIndex": 0}
	h.addTask(domain.ApprovalTask{ID: "task-enrol", ActivationID: a.ID, Role: domain.RoleHR, Kind: domain.KindInsuranceEnrolment,
		Summary: domain.TaskSummary{Detail: map[string]any{"booking": booking}}})
	if resp := h.do("hr-1", http.MethodPost, "/tasks/task-enrol/decision", map[string]string{"decision": "reject",
		"comment": "No insurer covers this duty station."}); resp.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", resp.Status, resp.Body)
	}
	if got := h.decisionDelivered("task-enrol"); got.Status != sfntypes.ExecutionStatusFailed {
		t.Fatalf("the wait ended %s", got.Status)
	}
}
