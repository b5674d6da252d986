package tests

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// refusalRecord is the after-image of a refused attempt's audit event.
type refusalRecord struct {
	Rule            string      `json:"rule"`
	Reason          string      `json:"reason"`
	Action          string      `json:"action"`
	FromUser        string      `json:"fromUser"`
	ToUser          string      `json:"toUser"`
	Role            domain.Role `json:"role"`
	Start           *time.Time  `json:"start"`
	Until           *time.Time  `json:"until"`
	Delegation      string      `json:"delegation"`
	Task            string      `json:"task"`
	Kind            string      `json:"kind"`
	Assignee        string      `json:"assignee"`
	CurrentAssignee string      `json:"currentAssignee"`
	RequestReason   string      `json:"requestReason"`
}

// refusals reads the trail's events of a refusal action as the API answers GET /audit, each
// with its after-image, and fails unless every one carries an actor and a rule.
func (h *harness) refusals(action string) ([]audit.Event, []refusalRecord) {
	h.tb.Helper()
	events := h.auditOf(action)
	records := make([]refusalRecord, len(events))
	for i, e := range events {
		if err := json.Unmarshal(e.After, &records[i]); err != nil || e.Actor == "" || records[i].Rule == "" || records[i].Reason == "" {
			h.tb.Fatalf("%s event %d: actor %q after %s (%v)", action, i, e.Actor, e.After, err)
		}
	}
	return events, records
}

// forbiddenWith fails unless the answer is 403 with detail.
func (h *harness) forbiddenWith(what string, status int, body []byte, detail string) {
	h.tb.Helper()
	if p := decode[api.Problem](h.tb, body); status != http.StatusForbidden || p.Detail != detail {
		h.tb.Fatalf("%s: want 403 %q, got %d %s", what, detail, status, body)
	}
}

// TestRefusedDelegationsAreAudited: finance-1 delegating finance-2's tasks, finance-1 delegating
// in the security role and an auditor recording a delegation are each refused with 403 and
// recorded as delegation.refused, with the actor, the rule, the reason and what was asked.
// Requests refused for their form (400) or without a token (401) are not recorded, and nothing
// is stored: no delegation, no delegation.created.
func TestRefusedDelegationsAreAudited(t *testing.T) {
	h := start(t)
	now := h.clock.Now()
	week := now.Add(7 * 24 * time.Hour)
	request := func(from, to string, role domain.Role) api.DelegationRequest {
		return api.DelegationRequest{FromUser: from, ToUser: to, Role: role, Start: now, Until: week, Reason: "annual leave"}
	}

	status, body := h.as("finance-1", http.MethodPost, "/delegations", request("finance-2", "finance-1", domain.RoleFinance))
	h.forbiddenWith("finance-1 delegates finance-2's tasks", status, body, "you may delegate your own tasks only")
	status, body = h.as("finance-1", http.MethodPost, "/delegations", request("", "security-2", domain.RoleSecurity))
	h.forbiddenWith("finance-1 delegates security tasks", status, body, "you do not hold the security role")
	status, body = h.as("auditor-1", http.MethodPost, "/delegations", request("finance-1", "finance-2", domain.RoleFinance))
	h.forbiddenWith("an auditor records a delegation", status, body, "your role does not allow delegations create")

	// Not attempts: a malformed request (400) and one without a token (401).
	if status, body := h.as("finance-1", http.MethodPost, "/delegations", api.DelegationRequest{ToUser: "finance-2",
		Role: domain.RoleFinance, Start: week, Until: now}); status != http.StatusBadRequest {
		t.Fatalf("until before start: %d %s", status, body)
	}
	if status, body := h.call(http.MethodPost, "/delegations", "", request("", "finance-2", domain.RoleFinance), nil); status != http.StatusUnauthorized {
		t.Fatalf("no token: %d %s", status, body)
	}

	events, records := h.refusals(api.ActionDelegationRefused)
	if len(events) != 3 {
		t.Fatalf("%d delegation refusals in the trail, want 3: %+v", len(events), events)
	}
	byRule := map[string]int{}
	for i, r := range records {
		byRule[r.Rule] = i
	}
	for _, want := range []struct {
		rule, actor, from, to string
		role                  domain.Role
	}{
		{api.RuleDelegatesOwnTasks, "finance-1", "finance-2", "finance-1", domain.RoleFinance},
		{api.RuleDelegatesHeldRole, "finance-1", "finance-1", "security-2", domain.RoleSecurity},
		{api.RuleRoleAllowsAction, "auditor-1", "finance-1", "finance-2", domain.RoleFinance},
	} {
		i, ok := byRule[want.rule]
		if !ok {
			t.Fatalf("no refusal by rule %s: %+v", want.rule, records)
		}
		e, r := events[i], records[i]
		if e.Actor != want.actor || e.Subject != want.from || r.FromUser != want.from || r.ToUser != want.to || r.Role != want.role ||
			r.RequestReason != "annual leave" ||
			r.Start == nil || !r.Start.Equal(now) || r.Until == nil || !r.Until.Equal(week) || e.ActivationID != "" {
			t.Errorf("refusal by %s: event %+v after %s", want.rule, e, e.After)
		}
	}
	if r := records[byRule[api.RuleRoleAllowsAction]]; r.Action != "delegations:create" || events[byRule[api.RuleRoleAllowsAction]].Role != "auditor" {
		t.Errorf("the auditor's refusal: %s (role %q)", events[byRule[api.RuleRoleAllowsAction]].After, events[byRule[api.RuleRoleAllowsAction]].Role)
	}

	// Nothing else changed.
	if list := h.delegationsOf("auditor-1", ""); len(list) != 0 {
		t.Fatalf("refused delegations stored: %+v", list)
	}
	if created := h.auditOf(audit.ActionDelegationCreated); len(created) != 0 {
		t.Fatalf("refused delegations recorded as created: %+v", created)
	}
}

// TestRefusedRevocationsAreAudited: security-1 delegates to security-2. The delegate and an
// auditor trying to end it, and a country office naming a delegation that does not exist, are
// each refused with 403 and recorded as delegation.revoke_refused with the actor, the rule and
// the delegation's parties. A malformed body (400) and a delegation the caller may not see
// (404) are not recorded; the delegation stays active and unrevoked.
func TestRefusedRevocationsAreAudited(t *testing.T) {
	h := start(t)
	now := h.clock.Now()
	status, body := h.as("security-1", http.MethodPost, "/delegations", api.DelegationRequest{ToUser: "security-2", Role: domain.RoleSecurity,
		Start: now, Until: now.Add(72 * time.Hour), Reason: "mission"})
	if status != http.StatusCreated {
		t.Fatalf("delegation: %d %s", status, body)
	}
	delegation := decode[api.DelegationView](t, body)
	revoke := "/delegations/" + delegation.ID + "/revoke"

	status, body = h.as("security-2", http.MethodPost, revoke, api.RevokeRequest{Reason: "not needed"})
	h.forbiddenWith("the delegate ends it", status, body, "only the delegator or an administrator may end a delegation")
	status, body = h.as("auditor-1", http.MethodPost, revoke, api.RevokeRequest{Reason: "audit finding"})
	h.forbiddenWith("an auditor ends it", status, body, "your role does not allow delegations revoke")
	status, body = h.as("office-ke", http.MethodPost, "/delegations/dlg-none/revoke", nil)
	h.forbiddenWith("a country office ends another", status, body, "your role does not allow delegations revoke")

	// Not attempts: a malformed body (400) and a delegation finance-1 may not see (404).
	if status, body := h.as("security-2", http.MethodPost, revoke, map[string]string{"until": "now"}); status != http.StatusBadRequest {
		t.Fatalf("malformed body: %d %s", status, body)
	}
	if status, body := h.as("finance-1", http.MethodPost, revoke, nil); status != http.StatusNotFound {
		t.Fatalf("someone else's delegation: %d %s", status, body)
	}

	events, records := h.refusals(api.ActionDelegationRevokeRefused)
	if len(events) != 3 {
		t.Fatalf("%d revocation refusals in the trail, want 3: %+v", len(events), events)
	}
	found := map[string]bool{}
	for i, e := range events {
		r := records[i]
		switch e.Actor {
		case "security-2":
			found[e.Actor] = r.Rule == api.RuleRevokesOwnDelegation && e.Subject == delegation.ID && r.Delegation == delegation.ID &&
				r.FromUser == "security-1" && r.ToUser == "security-2" && r.Role == domain.RoleSecurity &&
				r.Reason == "only the delegator or an administrator may end a delegation" && r.RequestReason == "not needed"
		case "auditor-1":
			found[e.Actor] = r.Rule == api.RuleRoleAllowsAction && r.Action == "delegations:revoke" && e.Subject == delegation.ID &&
				r.FromUser == "security-1" && r.ToUser == "security-2" && r.RequestReason == "audit finding"
		case "office-ke":
			found[e.Actor] = r.Rule == api.RuleRoleAllowsAction && e.Subject == "dlg-none" && r.Delegation == "dlg-none" && r.FromUser == "" &&
				r.RequestReason == ""
		}
		if !found[e.Actor] {
			t.Errorf("refusal of %s: subject %q after %s", e.Actor, e.Subject, e.After)
		}
	}
	if len(found) != 3 {
		t.Fatalf("refusals by %v, want security-2, auditor-1 and office-ke", found)
	}

	// Nothing else changed: the delegation is active and unrevoked, and no revocation recorded.
	list := h.delegationsOf("security-1", "?active=true")
	if len(list) != 1 || list[0].ID != delegation.ID || list[0].Status != domain.DelegationActive || list[0].RevokedAt != nil {
		t.Fatalf("the delegation after refused revocations: %+v", list)
	}
	if revoked := h.auditOf(api.ActionDelegationRevoked); len(revoked) != 0 {
		t.Fatalf("refused revocations recorded as done: %+v", revoked)
	}
}

// TestRefusedReassignmentsAreAudited: a security officer and an auditor trying to give an open
// security task to someone else, and a country office naming a task that does not exist, are
// refused with 403 and recorded as task.reassign_refused: on the task's activation (whose hash
// chain stays intact) with the task's role, its assignee and the one asked for. An admin's
// malformed request (400) is not recorded; the task keeps its assignee and no reassignment is
// recorded.
func TestRefusedReassignmentsAreAudited(t *testing.T) {
	h := start(t)
	a := h.create("office-ht", h.request("HT", "Cap-Haïtien", 1_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	task := h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	reassign := "/tasks/" + task.ID + "/reassign"

	status, body := h.as("security-1", http.MethodPost, reassign, api.ReassignRequest{Assignee: "security-2", Reason: "I am away"})
	h.forbiddenWith("an approver reassigns", status, body, "your role does not allow tasks reassign")
	status, body = h.as("auditor-1", http.MethodPost, reassign, "not a reassignment")
	h.forbiddenWith("an auditor reassigns", status, body, "your role does not allow tasks reassign")
	status, body = h.as("office-ke", http.MethodPost, "/tasks/task-none/reassign", api.ReassignRequest{Assignee: "security-2", Reason: "faster"})
	h.forbiddenWith("a country office reassigns", status, body, "your role does not allow tasks reassign")

	// Not an attempt: an admin's request without a reason.
	if status, body := h.as("admin-1", http.MethodPost, reassign, api.ReassignRequest{Assignee: "security-2"}); status != http.StatusBadRequest {
		t.Fatalf("no reason: %d %s", status, body)
	}

	events, records := h.refusals(api.ActionReassignRefused)
	if len(events) != 3 {
		t.Fatalf("%d reassignment refusals in the trail, want 3: %+v", len(events), events)
	}
	seen := map[string]bool{}
	for i, e := range events {
		r := records[i]
		ok := r.Rule == api.RuleRoleAllowsAction && r.Action == "tasks:reassign" && r.Reason == "your role does not allow tasks reassign"
		switch e.Actor {
		case "security-1":
			ok = ok && e.ActivationID == a.ID && e.Country == "HT" && e.Subject == task.ID && r.Task == task.ID &&
				r.Role == domain.RoleSecurity && r.Kind == string(domain.KindSecurityClearance) && r.CurrentAssignee == task.Assignee &&
				r.Assignee == "security-2" && r.RequestReason == "I am away"
		case "auditor-1":
			ok = ok && e.ActivationID == a.ID && e.Subject == task.ID && r.Task == task.ID && r.Assignee == ""
		case "office-ke":
			ok = ok && e.ActivationID == "" && e.Subject == "task-none" && r.Task == "task-none" && r.Role == "" && r.Assignee == "security-2"
		default:
			ok = false
		}
		seen[e.Actor] = ok
		if !ok {
			t.Errorf("refusal of %s: %+v after %s", e.Actor, e, e.After)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("refusals by %v, want security-1, auditor-1 and office-ke", seen)
	}

	// Nothing else changed: the task is open with its assignee, no reassignment is recorded,
	// and the activation's chain, which holds two of the refusals, verifies.
	if open := h.openTasks("auditor-1", a.ID); len(open) == 0 || !slices.ContainsFunc(open, func(v api.TaskView) bool {
		return v.ID == task.ID && v.Assignee == task.Assignee && v.Status == domain.TaskOpen
	}) {
		t.Fatalf("the task after refused reassignments: %+v", open)
	}
	if reassigned := h.auditOf(audit.ActionTaskReassigned); len(reassigned) != 0 {
		t.Fatalf("refused reassignments recorded as done: %+v", reassigned)
	}
	status, body = h.as("auditor-1", http.MethodGet, "/audit/verify?activationId="+a.ID, nil)
	if check := decode[api.AuditVerification](t, body); status != http.StatusOK || len(check.Breaks) != 0 || check.Events < 3 {
		t.Fatalf("the activation's chain: %d %s", status, body)
	}
}
