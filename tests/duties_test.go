package tests

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// Accounts beyond the demo ones, for the rules that need a second person of a role or a person
// with two roles. Their tokens come from the local issuer like every other.
var (
	financeAndSenior  = auth.User{Username: "fin-senior-1", Roles: []auth.Role{auth.Finance, auth.SeniorManagement}, Office: "HQ"}
	secondSenior      = auth.User{Username: "senior-2", Roles: []auth.Role{auth.SeniorManagement}, Office: "HQ"}
	thirdSecurity     = auth.User{Username: "security-3", Roles: []auth.Role{auth.Security}, Office: "HQ"}
	officeAndSecurity = auth.User{Username: "office-ke-security", Roles: []auth.Role{auth.CountryOffice, auth.Security}, Office: "KE"}
)

// asUser calls the API with a fresh token of the user, minted at the system's clock.
func (h *harness) asUser(user auth.User, method, path string, body any) (int, []byte) {
	h.tb.Helper()
	token, err := h.sys.Issuer.Mint(user, time.Hour)
	if err != nil {
		h.tb.Fatal(err)
	}
	return h.call(method, path, token, body, nil)
}

// refused expects a decision to be refused with the status and a detail containing want, and
// the task to stay open.
func (h *harness) refused(status int, body []byte, wantStatus int, want, taskID string) {
	h.tb.Helper()
	var p api.Problem
	_ = json.Unmarshal(body, &p)
	if status != wantStatus || !contains(p.Detail, want) {
		h.tb.Fatalf("want %d with %q, got %d %s", wantStatus, want, status, body)
	}
	if wantStatus == http.StatusForbidden {
		status, body := h.as("auditor-1", http.MethodGet, "/tasks?status=OPEN&limit=100", nil)
		if status != http.StatusOK {
			h.tb.Fatal(status)
		}
		for _, t := range decode[api.TaskList](h.tb, body).Items {
			if t.ID == taskID {
				return
			}
		}
		h.tb.Fatalf("task %s is no longer open after a refused decision", taskID)
	}
}

// auditOf lists the audit trail's events of one action, oldest first.
func (h *harness) auditOf(action string) []audit.Event {
	h.tb.Helper()
	status, body := h.as("auditor-1", http.MethodGet, "/audit?limit=100&action="+action, nil)
	if status != http.StatusOK {
		h.tb.Fatalf("GET /audit: %d %s", status, body)
	}
	return decode[api.AuditList](h.tb, body).Items
}

// refusalRules lists the rules of the decision refusals recorded in the audit trail.
func (h *harness) refusalRules() map[string][]string {
	h.tb.Helper()
	rules := map[string][]string{}
	for _, e := range h.auditOf(api.ActionDecisionRefused) {
		var after struct{ Rule string }
		_ = json.Unmarshal(e.After, &after)
		rules[after.Rule] = append(rules[after.Rule], e.Actor)
	}
	return rules
}

// TestEverySeparationOfDutiesRuleRefuses drives each rule of domain.DecisionPolicy to a refusal
// through HTTP on the whole system, and finds each refusal in the audit trail.
func TestEverySeparationOfDutiesRuleRefuses(t *testing.T) {
	h := start(t)
	if len(domain.DecisionPolicy) != 7 {
		t.Fatalf("the policy has %d rules; this test covers 7", len(domain.DecisionPolicy))
	}
	// Above the second threshold: finance and senior management must both approve.
	large := h.request("KE", "Nairobi", 30_000_000)

	// one-role-per-activation: a person with the finance and senior-management roles approves
	// the finance task and cannot also give the senior-management approval: the two approvers
	// are two people, whatever roles one of them holds.
	a := h.create("office-ke", large)
	finance := h.waitTask("finance-1", a.ID, domain.KindFundRelease)
	senior := h.waitTask("senior-1", a.ID, domain.KindSeniorFundRelease)
	// decides-in-task-role: hr decides a finance task.
	status, body := h.decide("hr-1", finance.ID, domain.Approve, "")
	h.refused(status, body, http.StatusForbidden, "this task is for the finance role", finance.ID)
	if status, body := h.asUser(financeAndSenior, http.MethodPost, "/tasks/"+finance.ID+"/decision", api.DecisionRequest{Decision: domain.Approve}); status != http.StatusOK {
		t.Fatalf("the two-role person's first approval: %d %s", status, body)
	}
	status, body = h.asUser(financeAndSenior, http.MethodPost, "/tasks/"+senior.ID+"/decision", api.DecisionRequest{Decision: domain.Approve})
	h.refused(status, body, http.StatusForbidden, "already decided on this activation as finance", senior.ID)
	// task-open: a decided task cannot be decided again.
	status, body = h.decide("finance-2", finance.ID, domain.Approve, "")
	h.refused(status, body, http.StatusConflict, "DECIDED", finance.ID)
	h.mustDecide("senior-1", senior.ID, domain.Approve, "Second pair of eyes.")
	if a = h.waitStatus("office-ke", a.ID, domain.StatusActive, domain.StatusFailed); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}

	// four-eyes: senior management approves; the finance task, missed, escalates to senior
	// management; the same senior manager cannot give the second approval in that role either.
	b := h.create("office-ke", large)
	h.mustDecide("senior-1", h.waitTask("senior-1", b.ID, domain.KindSeniorFundRelease).ID, domain.Approve, "First pair of eyes.")
	h.waitTask("finance-1", b.ID, domain.KindFundRelease)
	h.clock.Advance(24 * time.Hour)
	escalated := h.waitTask("senior-1", b.ID, domain.KindFundRelease)
	if escalated.Role != domain.RoleSeniorManagement || escalated.EscalationLevel != 1 {
		t.Fatalf("escalated task %+v", escalated)
	}
	status, body = h.decide("senior-1", escalated.ID, domain.Approve, "")
	h.refused(status, body, http.StatusForbidden, "two different people must approve", escalated.ID)
	if status, body := h.asUser(secondSenior, http.MethodPost, "/tasks/"+escalated.ID+"/decision", api.DecisionRequest{Decision: domain.Approve}); status != http.StatusOK {
		t.Fatalf("a second senior manager: %d %s", status, body)
	}
	if b = h.waitStatus("office-ke", b.ID, domain.StatusActive, domain.StatusFailed); b.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", b.Status, b.Reason)
	}

	// not-own-office: security-2 works in the Kenya office.
	c := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000))
	security := h.waitTask("security-1", c.ID, domain.KindSecurityClearance)
	status, body = h.decide("security-2", security.ID, domain.Approve, "")
	h.refused(status, body, http.StatusForbidden, "own office", security.ID)
	// assignee-or-delegate: once an admin gives the task to security-1, nobody else decides it.
	if status, body := h.as("admin-1", http.MethodPost, "/tasks/"+security.ID+"/reassign", api.ReassignRequest{Assignee: "security-1", Reason: "knows the port"}); status != http.StatusOK {
		t.Fatalf("reassign: %d %s", status, body)
	}
	status, body = h.asUser(thirdSecurity, http.MethodPost, "/tasks/"+security.ID+"/decision", api.DecisionRequest{Decision: domain.Approve})
	h.refused(status, body, http.StatusForbidden, "assigned to security-1", security.ID)
	h.mustDecide("security-1", security.ID, domain.Approve, "")

	// not-own-request: a person who requests for Kenya and approves security.
	status, body = h.asUser(officeAndSecurity, http.MethodPost, "/activations", h.request("KE", "Mombasa", 1_000_000))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	own := decode[domain.Activation](t, body)
	ownTask := h.waitTask("security-1", own.ID, domain.KindSecurityClearance)
	status, body = h.asUser(officeAndSecurity, http.MethodPost, "/tasks/"+ownTask.ID+"/decision", api.DecisionRequest{Decision: domain.Approve})
	h.refused(status, body, http.StatusForbidden, "request they made", ownTask.ID)

	rules := h.refusalRules()
	for rule, actor := range map[string]string{"decides-in-task-role": "hr-1", "one-role-per-activation": "fin-senior-1", "four-eyes": "senior-1",
		"not-own-office": "security-2", "assignee-or-delegate": "security-3", "not-own-request": "office-ke-security"} {
		if len(rules[rule]) != 1 || rules[rule][0] != actor {
			t.Errorf("refusals by %s in the audit trail: %v, want one by %s", rule, rules[rule], actor)
		}
	}
}

// TestDelegationWorksForItsPeriodAndNotAfter: an admin assigns two tasks to security-1, who
// delegates their security tasks to security-3 for two hours. Within the period security-3
// decides on security-1's behalf; after it, security-3 is refused and security-1 decides. An
// admin's reassignment is decided by the new assignee. All of it is in the audit trail.
func TestDelegationWorksForItsPeriodAndNotAfter(t *testing.T) {
	h := start(t)
	first := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000))
	second := h.create("office-ht", h.request("HT", "Cap-Haïtien", 1_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	third := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000, domain.Profile{Area: "gender",
		Languages: []string{"en"}, StartDate: h.day(20), Days: 20}))
	tasks := map[string]api.TaskView{}
	for _, a := range []domain.Activation{first, second, third} {
		tasks[a.ID] = h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
		assignee := "security-1"
		if a.ID == third.ID {
			assignee = "security-3"
		}
		if status, body := h.as("admin-1", http.MethodPost, "/tasks/"+tasks[a.ID].ID+"/reassign",
			api.ReassignRequest{Assignee: assignee, Reason: "workload"}); status != http.StatusOK {
			t.Fatalf("reassign: %d %s", status, body)
		}
	}

	// The new assignee of a reassigned task decides it; the approver who had it before cannot.
	status, body := h.decide("security-1", tasks[third.ID].ID, domain.Approve, "")
	h.refused(status, body, http.StatusForbidden, "assigned to security-3", tasks[third.ID].ID)
	if status, body := h.asUser(thirdSecurity, http.MethodPost, "/tasks/"+tasks[third.ID].ID+"/decision", api.DecisionRequest{Decision: domain.Approve}); status != http.StatusOK {
		t.Fatalf("the new assignee decides: %d %s", status, body)
	}
	if a := h.waitStatus("office-ke", third.ID, domain.StatusActive, domain.StatusFailed); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}

	// security-1 delegates to security-3 for two hours from now.
	now := h.clock.Now()
	status, body = h.as("security-1", http.MethodPost, "/delegations", api.DelegationRequest{ToUser: "security-3", Role: domain.RoleSecurity,
		Start: now, Until: now.Add(2 * time.Hour), Reason: "field mission"})
	if status != http.StatusCreated {
		t.Fatalf("delegation: %d %s", status, body)
	}
	if status, body := h.asUser(thirdSecurity, http.MethodPost, "/tasks/"+tasks[first.ID].ID+"/decision",
		api.DecisionRequest{Decision: domain.Approve, Comment: "on behalf of security-1"}); status != http.StatusOK {
		t.Fatalf("the delegate decides within the period: %d %s", status, body)
	}
	if a := h.waitStatus("office-ke", first.ID, domain.StatusActive, domain.StatusFailed); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}

	h.clock.Advance(3 * time.Hour)
	status, body = h.asUser(thirdSecurity, http.MethodPost, "/tasks/"+tasks[second.ID].ID+"/decision", api.DecisionRequest{Decision: domain.Approve})
	h.refused(status, body, http.StatusForbidden, "assigned to security-1", tasks[second.ID].ID)
	h.mustDecide("security-1", tasks[second.ID].ID, domain.Approve, "Back from mission.")
	if a := h.waitStatus("office-ht", second.ID, domain.StatusActive, domain.StatusFailed); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}

	// The trail: the reassignments by the admin, the delegation, the decision on behalf of
	// security-1, the refusals.
	var reassigned, delegated, onBehalf int
	for _, e := range h.auditOf(audit.ActionTaskReassigned) {
		if e.Actor == "admin-1" && contains(string(e.After), "workload") {
			reassigned++
		}
	}
	for _, e := range h.auditOf(audit.ActionDelegationCreated) {
		if e.Actor == "security-1" && contains(string(e.After), "security-3") {
			delegated++
		}
	}
	for _, e := range h.auditActions(first.ID) {
		if e.Action == audit.ActionTaskDecided && e.Actor == "security-3" && contains(string(e.After), `"onBehalfOf":"security-1"`) {
			onBehalf++
		}
	}
	if reassigned != 3 || delegated != 1 || onBehalf != 1 {
		t.Fatalf("audit: %d reassignments, %d delegations, %d decisions on behalf", reassigned, delegated, onBehalf)
	}
	if rules := h.refusalRules(); len(rules["assignee-or-delegate"]) != 2 {
		t.Fatalf("refusals recorded %v", rules)
	}
	// The activation shows the approval done, with who decided for whom.
	a := h.activation("office-ke", first.ID)
	done := false
	for _, s := range a.Steps {
		done = done || (s.Name == "approval" && s.Status == "succeeded" && contains(s.Detail, "security-3") && contains(s.Detail, "on behalf of security-1"))
	}
	if !done {
		t.Fatalf("no approval step done on the activation: %+v", a.Steps)
	}
}
