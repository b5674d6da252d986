package api_test

import (
	"net/http"
	"strings"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// sourcingDetail is what the workflow puts in a sourcing task's detail: the Map item of the
// profile nobody could take, and the error that said so.
func sourcingDetail(index int) map[string]any {
	return map[string]any{
		"profile":  map[string]any{"index": index, "area": "needs_assessment", "languages": []string{"fr", "en"}, "startDate": "2026-12-01", "days": 30},
		"shortage": map[string]any{"Error": "NoExpertAvailable", "Cause": "nobody on the roster can take profile 1"},
	}
}

// An hr sourcing task is approved only once somebody on the roster can take its profile:
// before, the approval is 409 no-match naming the profile, the activation and why the closest
// experts do not fit (closest first), the task stays open and the workflow is not answered; hr
// adds an expert who fits and the approval goes through.
func TestASourcingTaskIsApprovedOnceSomebodyCanTakeTheProfile(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000) // profile 1: needs_assessment, fr and en, level 3
	put := func(id string, areas, languages []string) {
		t.Helper()
		expert := map[string]any{"name": id, "employment": "consultant", "areas": areas, "languages": languages,
			"training": map[string]any{"level": "advanced", "expires": "2030-12-31"}, "homeOffice": "HQ"}
		if resp := h.do("hr-1", http.MethodPut, "/experts/"+id, expert); resp.Status != http.StatusCreated {
			t.Fatalf("add expert %s: %d %s", id, resp.Status, resp.Body)
		}
	}
	put("consultant-12", []string{"needs_assessment"}, []string{"en"})
	put("consultant-20", []string{"gender"}, []string{"fr", "en"})
	h.addTask(domain.ApprovalTask{ID: "task-source", ActivationID: a.ID, Role: domain.RoleHR, Kind: domain.KindExpertSourcing,
		Summary: domain.TaskSummary{Detail: sourcingDetail(1)}})

	approve := map[string]string{"decision": "approve", "comment": "Consultant contracted."}
	refused := h.do("hr-1", http.MethodPost, "/tasks/task-source/decision", approve)
	p := refused.problem(t)
	if refused.Status != http.StatusConflict || !strings.HasSuffix(p.Type, "/no-match") {
		t.Fatalf("approval with nobody who fits: %d %s", refused.Status, refused.Body)
	}
	for _, part := range []string{"profile 1 of activation " + a.ID, "needs_assessment", "fr and en", "2026-12-01 to 2026-12-30",
		"security level 3", "consultant-12: does not speak fr", "consultant-20: not in the area needs_assessment", "PUT /experts/"} {
		if !strings.Contains(p.Detail, part) {
			t.Errorf("the refusal does not say %q: %s", part, p.Detail)
		}
	}
	if len(p.Errors) != 2 || p.Errors[0].Reason != "consultant-12: does not speak fr" || p.Errors[1].Reason != "consultant-20: not in the area needs_assessment" {
		t.Errorf("the closest experts, closest first: %+v", p.Errors)
	}
	// Nothing was decided: the task is open, the workflow still waits, nothing is recorded.
	if task, err := h.store.GetTask(t.Context(), "task-source"); err != nil || task.Status != domain.TaskOpen || task.Decision != nil {
		t.Fatalf("task after the refusal: %+v %v", task, err)
	}
	if got := h.taskExecution("task-source"); got.Status != sfntypes.ExecutionStatusRunning {
		t.Fatalf("the wait ended: %s", got.Status)
	}
	if decided := h.auditEvents(audit.ActionTaskDecided); len(decided) != 0 {
		t.Fatalf("a refused approval was recorded: %+v", decided)
	}

	// An expert in the area who speaks both but whose training ends before the deployment does
	// is not enough either, and is now the closest.
	expiring := map[string]any{"name": "Léa Martin", "employment": "consultant", "areas": []string{"needs_assessment"},
		"languages": []string{"fr", "en"}, "training": map[string]any{"level": "advanced", "expires": "2026-12-15"}, "homeOffice": "HQ"}
	if resp := h.do("hr-1", http.MethodPut, "/experts/consultant-30", expiring); resp.Status != http.StatusCreated {
		t.Fatalf("add expert: %d %s", resp.Status, resp.Body)
	}
	again := h.do("hr-1", http.MethodPost, "/tasks/task-source/decision", approve)
	if p := again.problem(t); again.Status != http.StatusConflict || len(p.Errors) != 3 ||
		p.Errors[0].Reason != "consultant-30: security training expires before the deployment ends" {
		t.Fatalf("approval with an expert whose training expires: %d %s", again.Status, again.Body)
	}

	put("consultant-31", []string{"needs_assessment", "gender"}, []string{"fr", "en", "pt"})
	if resp := h.do("hr-1", http.MethodPost, "/tasks/task-source/decision", approve); resp.Status != http.StatusOK {
		t.Fatalf("approval with an expert who fits: %d %s", resp.Status, resp.Body)
	}
	if got := h.decisionDelivered("task-source"); got.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("the wait ended %s", got.Status)
	}
}

// Rejecting a sourcing task needs nobody on the roster: it ends the request.
func TestASourcingTaskIsRejectedWithNobodyWhoFits(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-source", ActivationID: a.ID, Role: domain.RoleHR, Kind: domain.KindExpertSourcing,
		Summary: domain.TaskSummary{Detail: sourcingDetail(1)}})
	if resp := h.do("hr-1", http.MethodPost, "/tasks/task-source/decision", map[string]string{"decision": "reject",
		"comment": "No French-speaking consultant is free."}); resp.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", resp.Status, resp.Body)
	}
	if got := h.decisionDelivered("task-source"); got.Status != sfntypes.ExecutionStatusFailed {
		t.Fatalf("the wait ended %s", got.Status)
	}
}

// A sourcing task whose detail names no profile of its activation is left to the workflow's
// booking, which stays the authority: the approval is delivered.
func TestASourcingTaskWithoutAProfileIsLeftToTheWorkflow(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-source", ActivationID: a.ID, Role: domain.RoleHR, Kind: domain.KindExpertSourcing,
		Summary: domain.TaskSummary{Detail: sourcingDetail(7)}})
	if resp := h.do("hr-1", http.MethodPost, "/tasks/task-source/decision", map[string]string{"decision": "approve",
		"comment": "Sourced."}); resp.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", resp.Status, resp.Body)
	}
	if got := h.decisionDelivered("task-source"); got.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("the wait ended %s", got.Status)
	}
}
