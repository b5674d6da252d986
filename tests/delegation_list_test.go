package tests

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// delegationsOf lists what GET /delegations answers the user with the query.
func (h *harness) delegationsOf(user, query string) []api.DelegationView {
	h.tb.Helper()
	status, body := h.as(user, http.MethodGet, "/delegations"+query, nil)
	if status != http.StatusOK {
		h.tb.Fatalf("GET /delegations%s as %s: %d %s", query, user, status, body)
	}
	return decode[api.DelegationList](h.tb, body).Items
}

// TestARevokedDelegationNoLongerLetsTheDelegateDecide: an admin assigns two security tasks to
// security-1, who delegates their security tasks to security-3 for a week of leave. Both see
// the delegation (given, received), as do auditors; security-3 decides the first task on
// security-1's behalf. Back early, security-1 ends the delegation: a second end is refused with
// 409, the delegate and an auditor may not end it, security-3 is refused on the second task
// (which stays open), security-1 decides it, and the trail records the revocation with the
// delegation before and after.
func TestARevokedDelegationNoLongerLetsTheDelegateDecide(t *testing.T) {
	h := start(t)
	first := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000))
	second := h.create("office-ht", h.request("HT", "Cap-Haïtien", 1_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	tasks := map[string]api.TaskView{}
	for _, a := range []domain.Activation{first, second} {
		tasks[a.ID] = h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
		if status, body := h.as("admin-1", http.MethodPost, "/tasks/"+tasks[a.ID].ID+"/reassign",
			api.ReassignRequest{Assignee: "security-1", Reason: "knows both offices"}); status != http.StatusOK {
			t.Fatalf("reassign: %d %s", status, body)
		}
	}

	now := h.clock.Now()
	status, body := h.as("security-1", http.MethodPost, "/delegations", api.DelegationRequest{ToUser: "security-3", Role: domain.RoleSecurity,
		Start: now, Until: now.Add(7 * 24 * time.Hour), Reason: "annual leave"})
	if status != http.StatusCreated {
		t.Fatalf("delegation: %d %s", status, body)
	}
	delegation := decode[api.DelegationView](t, body)
	if delegation.ID == "" || delegation.Status != domain.DelegationActive || !delegation.Active {
		t.Fatalf("delegation: %s", body)
	}

	// The delegator sees what they gave, the delegate what they received, an auditor all of it;
	// a country office sees none.
	given := h.delegationsOf("security-1", "?active=true")
	if len(given) != 1 || given[0].ID != delegation.ID || given[0].ToUser != "security-3" {
		t.Fatalf("given: %+v", given)
	}
	status, body = h.asUser(thirdSecurity, http.MethodGet, "/delegations", nil)
	if received := decode[api.DelegationList](t, body).Items; status != http.StatusOK || len(received) != 1 || received[0].FromUser != "security-1" {
		t.Fatalf("received: %d %s", status, body)
	}
	if seen := h.delegationsOf("auditor-1", "?delegator=security-1&role=security"); len(seen) != 1 || seen[0].ID != delegation.ID {
		t.Fatalf("auditor: %+v", seen)
	}
	if status, body := h.as("office-ke", http.MethodGet, "/delegations", nil); status != http.StatusForbidden {
		t.Fatalf("office lists delegations: %d %s", status, body)
	}

	// Within the period the delegate decides for security-1.
	if status, body := h.asUser(thirdSecurity, http.MethodPost, "/tasks/"+tasks[first.ID].ID+"/decision",
		api.DecisionRequest{Decision: domain.Approve, Comment: "on behalf of security-1"}); status != http.StatusOK {
		t.Fatalf("the delegate decides within the period: %d %s", status, body)
	}
	if a := h.waitStatus("office-ke", first.ID, domain.StatusActive, domain.StatusFailed); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}

	// Neither the delegate nor an auditor ends it.
	revoke := "/delegations/" + delegation.ID + "/revoke"
	if status, body := h.asUser(thirdSecurity, http.MethodPost, revoke, nil); status != http.StatusForbidden {
		t.Fatalf("the delegate revokes: %d %s", status, body)
	}
	if status, body := h.as("auditor-1", http.MethodPost, revoke, nil); status != http.StatusForbidden {
		t.Fatalf("an auditor revokes: %d %s", status, body)
	}

	// Back early (within the task's deadline, before any escalation), security-1 ends it; once.
	h.clock.Advance(2 * time.Hour)
	status, body = h.as("security-1", http.MethodPost, revoke, api.RevokeRequest{Reason: "back from leave early"})
	if status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	revoked := decode[api.DelegationView](t, body)
	if revoked.Status != domain.DelegationRevoked || revoked.Active || revoked.RevokedBy != "security-1" || !revoked.Until.Equal(h.clock.Now()) {
		t.Fatalf("revoked: %s", body)
	}
	if status, body := h.as("security-1", http.MethodPost, revoke, nil); status != http.StatusConflict {
		t.Fatalf("second revoke: %d %s", status, body)
	}
	if active := h.delegationsOf("security-1", "?active=true"); len(active) != 0 {
		t.Fatalf("still listed as active: %+v", active)
	}
	if all := h.delegationsOf("security-1", ""); len(all) != 1 || all[0].Status != domain.DelegationRevoked {
		t.Fatalf("listed: %+v", all)
	}

	// The delegate can no longer decide security-1's task; security-1 does.
	status, body = h.asUser(thirdSecurity, http.MethodPost, "/tasks/"+tasks[second.ID].ID+"/decision", api.DecisionRequest{Decision: domain.Approve})
	h.refused(status, body, http.StatusForbidden, "assigned to security-1", tasks[second.ID].ID)
	h.mustDecide("security-1", tasks[second.ID].ID, domain.Approve, "Back from leave.")
	if a := h.waitStatus("office-ht", second.ID, domain.StatusActive, domain.StatusFailed); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}

	// The trail: one revocation by security-1, with the delegation before and after.
	events := h.auditOf(api.ActionDelegationRevoked)
	if len(events) != 1 || events[0].Actor != "security-1" || events[0].Subject != delegation.ID {
		t.Fatalf("revocations in the trail: %+v", events)
	}
	var before, after struct {
		Delegation domain.Delegation `json:"delegation"`
		Reason     string            `json:"reason"`
	}
	if json.Unmarshal(events[0].Before, &before) != nil || json.Unmarshal(events[0].After, &after) != nil ||
		before.Delegation.RevokedAt != nil || !before.Delegation.Until.Equal(now.Add(7*24*time.Hour)) ||
		after.Delegation.RevokedAt == nil || !after.Delegation.Until.Equal(revoked.Until) || after.Reason != "back from leave early" {
		t.Fatalf("before %s after %s", events[0].Before, events[0].After)
	}
}
