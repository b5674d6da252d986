package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// delegate records a delegation as user and returns it.
func (h *harness) delegate(t *testing.T, user string, body map[string]any) api.DelegationView {
	t.Helper()
	resp := h.do(user, http.MethodPost, "/delegations", body)
	var d api.DelegationView
	resp.json(t, &d)
	if resp.Status != http.StatusCreated || d.ID == "" {
		t.Fatalf("delegation by %s: %d %s", user, resp.Status, resp.Body)
	}
	return d
}

// delegationIDs lists the ids GET /delegations answers user with the query.
func (h *harness) delegationIDs(t *testing.T, user, query string) []string {
	t.Helper()
	resp := h.do(user, http.MethodGet, "/delegations"+query, nil)
	var list api.DelegationList
	resp.json(t, &list)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /delegations%s as %s: %d %s", query, user, resp.Status, resp.Body)
	}
	ids := []string{}
	for _, d := range list.Items {
		ids = append(ids, d.ID)
	}
	return ids
}

func TestDelegationsListedByWhoMaySeeThem(t *testing.T) {
	h := newHarness(t)
	now := h.clock.Now()
	given := h.delegate(t, "security-1", map[string]any{"toUser": "security-2", "role": "security", "start": now, "until": now.Add(48 * time.Hour)})
	h.clock.Advance(time.Second)
	later := h.delegate(t, "security-2", map[string]any{"toUser": "security-1", "role": "security",
		"start": now.Add(72 * time.Hour), "until": now.Add(96 * time.Hour), "reason": "field mission"})
	h.clock.Advance(time.Second)
	finance := h.delegate(t, "admin-1", map[string]any{"fromUser": "finance-1", "toUser": "finance-2", "role": "finance",
		"start": now, "until": now.Add(time.Hour)})
	if given.Status != domain.DelegationActive || !given.Active || later.Status != domain.DelegationScheduled || later.Active || finance.CreatedBy != "admin-1" {
		t.Fatalf("views: %+v %+v %+v", given, later, finance)
	}

	for _, tc := range []struct {
		user, query string
		want        []string
	}{
		// An approver sees what they gave and received, whatever the filters name.
		{"security-1", "", []string{later.ID, given.ID}},
		{"security-2", "?delegate=security-2", []string{given.ID}},
		{"security-1", "?active=true", []string{given.ID}},
		{"finance-2", "", []string{finance.ID}},
		{"hr-1", "", []string{}},
		{"hr-1", "?delegator=security-1", []string{}},
		// Auditors and admins see every one, and filter.
		{"auditor-1", "", []string{finance.ID, later.ID, given.ID}},
		{"auditor-1", "?role=finance", []string{finance.ID}},
		{"admin-1", "?delegator=security-2", []string{later.ID}},
		{"admin-1", "?delegate=security-2&active=true", []string{given.ID}},
		{"admin-1", "?active=false&limit=2", []string{finance.ID, later.ID}},
	} {
		if got := h.delegationIDs(t, tc.user, tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%s %q: %v, want %v", tc.user, tc.query, got, tc.want)
		}
	}
	// The second page follows the cursor.
	resp := h.do("admin-1", http.MethodGet, "/delegations?limit=2", nil)
	var page api.DelegationList
	resp.json(t, &page)
	if page.Next == "" {
		t.Fatalf("no next page: %s", resp.Body)
	}
	if got := h.delegationIDs(t, "admin-1", "?limit=2&cursor="+page.Next); !slices.Equal(got, []string{given.ID}) {
		t.Fatalf("second page: %v", got)
	}

	// Refusals: a country office lists nothing; bad filters are named.
	if resp := h.do("office-ke", http.MethodGet, "/delegations", nil); resp.Status != http.StatusForbidden {
		t.Fatalf("office: %d %s", resp.Status, resp.Body)
	}
	bad := h.do("auditor-1", http.MethodGet, "/delegations?active=yes&role=janitor&delegator=a%20b&limit=0&colour=red", nil)
	fields := []string{}
	for _, e := range bad.problem(t).Errors {
		fields = append(fields, e.Field)
	}
	slices.Sort(fields)
	if bad.Status != http.StatusBadRequest || !slices.Equal(fields, []string{"active", "colour", "delegator", "limit", "role"}) {
		t.Fatalf("bad query: %d %v", bad.Status, fields)
	}
	if resp := h.do("auditor-1", http.MethodGet, "/delegations?role=finance&cursor="+page.Next, nil); resp.Status != http.StatusBadRequest {
		t.Fatalf("cursor of another listing: %d %s", resp.Status, resp.Body)
	}
}

func TestRevokingADelegation(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-assigned", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance,
		Office: "KE", Assignee: "security-2", Deadline: h.clock.Now().Add(72 * time.Hour)})
	now := h.clock.Now()
	d := h.delegate(t, "security-2", map[string]any{"toUser": "security-1", "role": "security", "start": now, "until": now.Add(48 * time.Hour)})
	path := "/delegations/" + d.ID + "/revoke"

	// Who may not: an auditor (no grant), the delegate (sees it, may not end it), another
	// approver (may not see it), a missing or malformed id.
	for _, tc := range []struct {
		user, path string
		status     int
	}{
		{"auditor-1", path, http.StatusForbidden},
		{"office-ke", path, http.StatusForbidden},
		{"security-1", path, http.StatusForbidden},
		{"finance-1", path, http.StatusNotFound},
		{"security-2", "/delegations/dlg-none/revoke", http.StatusNotFound},
		{"security-2", "/delegations/a%20b/revoke", http.StatusNotFound},
	} {
		if resp := h.do(tc.user, http.MethodPost, tc.path, nil); resp.Status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.user, tc.path, resp.Status, tc.status, resp.Body)
		}
	}
	if resp := h.do("security-2", http.MethodPost, path, map[string]any{"reason": "back", "until": "now"}); resp.Status != http.StatusBadRequest {
		t.Fatalf("unknown field: %d %s", resp.Status, resp.Body)
	}
	if resp := h.do("security-2", http.MethodPost, path, "text", "Content-Type", "text/plain"); resp.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("text body: %d %s", resp.Status, resp.Body)
	}
	// Nothing of the refusals changed it.
	if got := h.delegationIDs(t, "security-2", "?active=true"); !slices.Equal(got, []string{d.ID}) {
		t.Fatalf("after the refusals: %v", got)
	}

	h.clock.Advance(time.Hour)
	resp := h.do("security-2", http.MethodPost, path, map[string]string{"reason": "back from leave early"})
	var revoked api.DelegationView
	resp.json(t, &revoked)
	if resp.Status != http.StatusOK || revoked.Status != domain.DelegationRevoked || revoked.Active || revoked.RevokedBy != "security-2" ||
		!revoked.Until.Equal(h.clock.Now()) {
		t.Fatalf("revoke: %d %s", resp.Status, resp.Body)
	}
	if again := h.do("security-2", http.MethodPost, path, nil); again.Status != http.StatusConflict {
		t.Fatalf("second revoke: %d %s", again.Status, again.Body)
	}
	if again := h.do("admin-1", http.MethodPost, path, nil); again.Status != http.StatusConflict {
		t.Fatalf("admin's revoke after it: %d %s", again.Status, again.Body)
	}
	// The delegate no longer decides the delegator's task.
	if resp := h.do("security-1", http.MethodPost, "/tasks/task-assigned/decision", map[string]string{"decision": "approve"}); resp.Status != http.StatusForbidden {
		t.Fatalf("the delegate decides after the revocation: %d %s", resp.Status, resp.Body)
	}
	// The audit trail has the revocation with the delegation before and after.
	events := h.auditEvents(api.ActionDelegationRevoked)
	if len(events) != 1 || events[0].Actor != "security-2" || events[0].Subject != d.ID {
		t.Fatalf("audit: %+v", events)
	}
	var before, after struct {
		Delegation domain.Delegation `json:"delegation"`
		Reason     string            `json:"reason"`
	}
	if json.Unmarshal(events[0].Before, &before) != nil || json.Unmarshal(events[0].After, &after) != nil ||
		before.Delegation.RevokedAt != nil || !before.Delegation.Until.Equal(now.Add(48*time.Hour)) ||
		after.Delegation.RevokedAt == nil || !after.Delegation.Until.Equal(h.clock.Now()) || after.Reason != "back from leave early" {
		t.Fatalf("audit before %s after %s", events[0].Before, events[0].After)
	}

	// An admin ends anyone's delegation, also one that has not begun.
	future := h.delegate(t, "security-1", map[string]any{"toUser": "security-2", "role": "security",
		"start": h.clock.Now().Add(24 * time.Hour), "until": h.clock.Now().Add(48 * time.Hour)})
	resp = h.do("admin-1", http.MethodPost, "/delegations/"+future.ID+"/revoke", nil)
	resp.json(t, &revoked)
	if resp.Status != http.StatusOK || revoked.RevokedBy != "admin-1" || !revoked.Until.Equal(future.Start) {
		t.Fatalf("admin revokes a scheduled one: %d %s", resp.Status, resp.Body)
	}
}
