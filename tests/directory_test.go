package tests

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/internal/localstack"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// addPeople makes the tests' people beyond the demo ones (duties_test.go) accounts of the
// system, as an administrator adds a user to the Cognito pool: the API's directory knows them,
// so they can be delegated to and given tasks.
func addPeople(tb testing.TB, sys *localstack.System) {
	tb.Helper()
	for _, user := range []auth.User{financeAndSenior, secondSenior, thirdSecurity, officeAndSecurity} {
		account := domain.Account{ID: user.Username, DisplayName: user.Username, Office: user.Office}
		for _, role := range user.Roles {
			account.Roles = append(account.Roles, domain.Role(role))
		}
		if err := sys.Store.PutAccount(context.Background(), account); err != nil {
			tb.Fatalf("account %s: %v", user.Username, err)
		}
	}
}

// problemFields returns a 400 problem's field errors as "field: reason", failing on any other
// answer.
func (h *harness) problemFields(status int, body []byte) []string {
	h.tb.Helper()
	if status != http.StatusBadRequest {
		h.tb.Fatalf("want 400, got %d %s", status, body)
	}
	p := decode[api.Problem](h.tb, body)
	if p.Type != api.ProblemValidation.Type() {
		h.tb.Fatalf("problem %s", body)
	}
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field+": "+e.Reason)
	}
	return fields
}

// TestDelegationsAndReassignmentsNameSomeoneWhoHoldsTheRole, through HTTP with the issuer's
// tokens on the whole local system: finance-1 delegating to hr-1 (no finance role) or to
// finance-9 (nobody) is refused on toUser and stores nothing; an admin recording a delegation
// for hr-1 is refused on fromUser. An admin reassigning a security task to hr-1 or to a typo is
// refused on assignee and the task stays as it was. The same requests to people of the role go
// through, and the delegate decides.
func TestDelegationsAndReassignmentsNameSomeoneWhoHoldsTheRole(t *testing.T) {
	h := start(t)
	now := h.clock.Now()
	delegation := func(from, to string, role domain.Role) api.DelegationRequest {
		return api.DelegationRequest{FromUser: from, ToUser: to, Role: role, Start: now, Until: now.Add(72 * time.Hour), Reason: "annual leave"}
	}
	for _, c := range []struct {
		user string
		body api.DelegationRequest
		want []string
	}{
		{"finance-1", delegation("", "hr-1", domain.RoleFinance), []string{"toUser: hr-1 does not hold the finance role"}},
		{"finance-1", delegation("", "finance-9", domain.RoleFinance), []string{"toUser: finance-9 is not a user"}},
		{"admin-1", delegation("hr-1", "finance-2", domain.RoleFinance), []string{"fromUser: hr-1 does not hold the finance role"}},
		{"admin-1", delegation("finanse-1", "hr-1", domain.RoleFinance),
			[]string{"fromUser: finanse-1 is not a user", "toUser: hr-1 does not hold the finance role"}},
	} {
		status, body := h.as(c.user, http.MethodPost, "/delegations", c.body)
		if got := h.problemFields(status, body); !slices.Equal(got, c.want) {
			t.Errorf("%s delegating %s -> %s: %q, want %q", c.user, c.body.FromUser, c.body.ToUser, got, c.want)
		}
	}
	// Nothing stored: GET /delegations is as empty as before, for the people and for an auditor.
	for _, user := range []string{"finance-1", "hr-1", "auditor-1"} {
		if list := h.delegationsOf(user, ""); len(list) != 0 {
			t.Fatalf("%s sees refused delegations: %+v", user, list)
		}
	}

	// A security task, reassigned by an admin.
	a := h.create("office-ht", h.request("HT", "Cap-Haïtien", 1_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	task := h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	for _, c := range []struct{ to, want string }{
		{"hr-1", "assignee: hr-1 does not hold the security role"},
		{"securty-2", "assignee: securty-2 is not a user"},
	} {
		status, body := h.as("admin-1", http.MethodPost, "/tasks/"+task.ID+"/reassign", api.ReassignRequest{Assignee: c.to, Reason: "workload"})
		if got := h.problemFields(status, body); !slices.Equal(got, []string{c.want}) {
			t.Errorf("reassign to %s: %q, want %q", c.to, got, c.want)
		}
	}
	status, body := h.as("auditor-1", http.MethodGet, "/tasks?role=security&status=OPEN&limit=100", nil)
	if status != http.StatusOK {
		t.Fatalf("tasks: %d %s", status, body)
	}
	for _, open := range decode[api.TaskList](t, body).Items {
		if open.ID == task.ID && open.Assignee != task.Assignee {
			t.Fatalf("a refused reassignment changed the task: %+v", open)
		}
	}
	if events := h.auditOf(audit.ActionTaskReassigned); len(events) != 0 {
		t.Fatalf("refused reassignments in the trail: %+v", events)
	}
	if events := h.auditOf(audit.ActionDelegationCreated); len(events) != 0 {
		t.Fatalf("refused delegations in the trail: %+v", events)
	}

	// To people of the role: the task goes to security-2, who delegates to security-1, who
	// decides it on security-2's behalf.
	if status, body := h.as("admin-1", http.MethodPost, "/tasks/"+task.ID+"/reassign", api.ReassignRequest{Assignee: "security-2", Reason: "workload"}); status != http.StatusOK {
		t.Fatalf("reassign to security-2: %d %s", status, body)
	}
	status, body = h.as("security-2", http.MethodPost, "/delegations", delegation("", "security-1", domain.RoleSecurity))
	if status != http.StatusCreated {
		t.Fatalf("delegation to security-1: %d %s", status, body)
	}
	if given := h.delegationsOf("security-2", ""); len(given) != 1 || given[0].ToUser != "security-1" || !given[0].Active {
		t.Fatalf("delegations of security-2: %+v", given)
	}
	h.mustDecide("security-1", task.ID, domain.Approve, "Cleared on behalf of security-2.")
	if got := h.waitStatus("office-ht", a.ID, domain.StatusActive, domain.StatusFailed); got.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", got.Status, got.Reason)
	}
	// An admin records one between two finance officers.
	if status, body := h.as("admin-1", http.MethodPost, "/delegations", delegation("finance-1", "finance-2", domain.RoleFinance)); status != http.StatusCreated {
		t.Fatalf("admin's delegation: %d %s", status, body)
	}
	if list := h.delegationsOf("auditor-1", ""); len(list) != 2 {
		t.Fatalf("delegations: %+v", list)
	}
}
