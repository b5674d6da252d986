package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// watchedDirectory is the stored accounts' directory with a record of who was looked up, names
// that stand for another person (as a Cognito e-mail alias does), and a failure to answer.
type watchedDirectory struct {
	directory api.Directory
	aliases   map[string]string
	failWith  error

	mu     sync.Mutex
	lookup []string
}

func (d *watchedDirectory) Person(ctx context.Context, id string) (domain.Account, error) {
	d.mu.Lock()
	d.lookup = append(d.lookup, id)
	d.mu.Unlock()
	if d.failWith != nil {
		return domain.Account{}, d.failWith
	}
	if name, ok := d.aliases[id]; ok {
		id = name
	}
	return d.directory.Person(ctx, id)
}

func (d *watchedDirectory) lookups() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.lookup)
}

// watchDirectory serves the harness's API again over the same store and workflow with the
// directory watched.
func (h *harness) watchDirectory() *watchedDirectory {
	h.t.Helper()
	deps := api.StoreDependencies(h.store, h.workflow)
	watched := &watchedDirectory{directory: deps.Directory}
	deps.Directory = watched
	verifier, err := auth.NewVerifier(auth.VerifierConfig{Issuer: auth.LocalIssuerName, Audience: auth.LocalAudience,
		Keys: h.issuer.KeySet(), Now: h.clock.Now})
	if err != nil {
		h.t.Fatal(err)
	}
	h.server, err = api.New(deps, verifier, api.Options{StateMachineARN: stateMachineARN, Now: h.clock.Now,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{buffer: h.logs}, nil)), NewID: h.newID})
	if err != nil {
		h.t.Fatal(err)
	}
	h.http = httptest.NewServer(h.server)
	h.t.Cleanup(h.http.Close)
	return watched
}

// fieldErrors returns a 400 problem's field errors as "field: reason", failing on any other
// answer.
func fieldErrors(t *testing.T, resp response) []string {
	t.Helper()
	if resp.Status != http.StatusBadRequest {
		t.Fatalf("want 400, got %d %s", resp.Status, resp.Body)
	}
	p := resp.problem(t)
	if p.Type != api.ProblemValidation.Type() {
		t.Fatalf("problem type %s", p.Type)
	}
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field+": "+e.Reason)
	}
	return out
}

func TestDelegationOnlyBetweenPeopleOfTheRole(t *testing.T) {
	h := newHarness(t)
	now := h.clock.Now()
	body := func(from, to, role string) map[string]any {
		b := map[string]any{"toUser": to, "role": role, "start": now, "until": now.Add(48 * time.Hour), "reason": "annual leave"}
		if from != "" {
			b["fromUser"] = from
		}
		return b
	}
	for _, c := range []struct {
		name, user string
		body       map[string]any
		want       []string
	}{
		{"a delegate without the role", "finance-1", body("", "hr-1", "finance"), []string{"toUser: hr-1 does not hold the finance role"}},
		{"a delegate who is not a user", "finance-1", body("", "finance-9", "finance"), []string{"toUser: finance-9 is not a user"}},
		{"an admin, for a delegator without the role", "admin-1", body("hr-1", "finance-2", "finance"),
			[]string{"fromUser: hr-1 does not hold the finance role"}},
		{"an admin, for neither", "admin-1", body("finance-9", "hr-1", "finance"),
			[]string{"fromUser: finance-9 is not a user", "toUser: hr-1 does not hold the finance role"}},
		// An admin's own token does not hold the role either: the directory is asked.
		{"an admin, for themselves", "admin-1", body("", "finance-2", "finance"), []string{"fromUser: admin-1 does not hold the finance role"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fieldErrors(t, h.do(c.user, http.MethodPost, "/delegations", c.body)); !slices.Equal(got, c.want) {
				t.Errorf("field errors %q, want %q", got, c.want)
			}
		})
	}
	// Nothing of it was stored or recorded.
	if ids := h.delegationIDs(t, "admin-1", ""); len(ids) != 0 {
		t.Fatalf("refused delegations stored: %v", ids)
	}
	if events := h.auditEvents(audit.ActionDelegationCreated); len(events) != 0 {
		t.Fatalf("refused delegations in the audit trail: %+v", events)
	}

	// Between two people of the role it is recorded, by the approver or by an admin.
	own := h.delegate(t, "finance-1", body("", "finance-2", "finance"))
	recorded := h.delegate(t, "admin-1", body("hr-2", "hr-1", "hr"))
	if own.FromUser != "finance-1" || own.ToUser != "finance-2" || recorded.FromUser != "hr-2" || recorded.ToUser != "hr-1" {
		t.Fatalf("delegations %+v %+v", own.Delegation, recorded.Delegation)
	}
	if ids := h.delegationIDs(t, "admin-1", ""); len(ids) != 2 {
		t.Fatalf("delegations %v", ids)
	}
}

func TestDelegationAsksTheDirectoryOnlyWhenAllowedAndStoresItsName(t *testing.T) {
	h := newHarness(t)
	directory := h.watchDirectory()
	directory.aliases = map[string]string{"finance-2@example.org": "finance-2", "finance-1@example.org": "finance-1"}
	now := h.clock.Now()
	body := func(to string) map[string]any {
		return map[string]any{"toUser": to, "role": "finance", "start": now, "until": now.Add(time.Hour)}
	}

	// Refusals that need nobody looked up: the caller's role, the fields, a role not held.
	if resp := h.do("auditor-1", http.MethodPost, "/delegations", body("finance-2")); resp.Status != http.StatusForbidden {
		t.Fatalf("auditor: %d", resp.Status)
	}
	if got := fieldErrors(t, h.do("finance-1", http.MethodPost, "/delegations", body("finance 2"))); len(got) != 1 || !strings.HasPrefix(got[0], "toUser: must be a user name") {
		t.Fatalf("bad name: %q", got)
	}
	if resp := h.do("security-1", http.MethodPost, "/delegations", body("finance-2")); resp.Status != http.StatusForbidden {
		t.Fatalf("a role not held: %d", resp.Status)
	}
	if resp := h.do("security-1", http.MethodPost, "/delegations", map[string]any{"fromUser": "security-2", "toUser": "security-9",
		"role": "security", "start": now, "until": now.Add(time.Hour)}); resp.Status != http.StatusForbidden {
		t.Fatalf("someone else's tasks: %d", resp.Status)
	}
	if got := directory.lookups(); len(got) != 0 {
		t.Fatalf("looked up %v for refused callers", got)
	}

	// The same person under another name is still oneself.
	if got := fieldErrors(t, h.do("finance-1", http.MethodPost, "/delegations", body("finance-1@example.org"))); !slices.Equal(got, []string{"toUser: must be someone else than fromUser"}) {
		t.Fatalf("self by alias: %q", got)
	}
	// The delegation names the person as the directory does, the name tokens carry.
	d := h.delegate(t, "finance-1", body("finance-2@example.org"))
	if d.ToUser != "finance-2" {
		t.Fatalf("stored delegate %q", d.ToUser)
	}
	if got := directory.lookups(); !slices.Equal(got, []string{"finance-1@example.org", "finance-2@example.org"}) {
		t.Fatalf("lookups %v", got)
	}

	// A directory that cannot answer: retry later, nothing stored.
	directory.failWith = &domain.Error{Code: domain.CodeUnavailable, Message: "the user directory is busy; retry later"}
	if resp := h.do("finance-2", http.MethodPost, "/delegations", body("finance-1")); resp.Status != http.StatusServiceUnavailable {
		t.Fatalf("directory unavailable: %d %s", resp.Status, resp.Body)
	}
	if ids := h.delegationIDs(t, "admin-1", ""); !slices.Equal(ids, []string{d.ID}) {
		t.Fatalf("delegations %v", ids)
	}
}

func TestReassignOnlyToAPersonOfTheTaskRole(t *testing.T) {
	h := newHarness(t)
	directory := h.watchDirectory()
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-1", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance,
		Assignee: "security-1", Deadline: h.clock.Now().Add(72 * time.Hour)})
	reassign := func(to string) response {
		return h.do("admin-1", http.MethodPost, "/tasks/task-1/reassign", map[string]string{"assignee": to, "reason": "security-1 is on leave"})
	}
	for _, c := range []struct{ to, want string }{
		{"hr-1", "assignee: hr-1 does not hold the security role"},
		{"security-9", "assignee: security-9 is not a user"},
		{"admin-1", "assignee: admin-1 does not hold the security role"},
	} {
		if got := fieldErrors(t, reassign(c.to)); !slices.Equal(got, []string{c.want}) {
			t.Errorf("reassign to %s: %q, want %q", c.to, got, c.want)
		}
	}
	task, err := h.store.GetTask(t.Context(), "task-1")
	if err != nil || task.Assignee != "security-1" || task.Status != domain.TaskOpen {
		t.Fatalf("task after refusals: %+v %v", task, err)
	}
	if events := h.auditEvents(audit.ActionTaskReassigned); len(events) != 0 {
		t.Fatalf("refused reassignments in the audit trail: %+v", events)
	}

	var view api.TaskView
	resp := reassign("security-2")
	resp.json(t, &view)
	if resp.Status != http.StatusOK || view.Assignee != "security-2" {
		t.Fatalf("reassign to security-2: %d %s", resp.Status, resp.Body)
	}
	// The new assignee decides it; a decided task is not looked up for, it is a conflict.
	if resp := h.do("security-2", http.MethodPost, "/tasks/task-1/decision", map[string]string{"decision": "approve"}); resp.Status != http.StatusOK {
		t.Fatalf("the new assignee decides: %d %s", resp.Status, resp.Body)
	}
	if resp := reassign("security-1"); resp.Status != http.StatusConflict {
		t.Fatalf("reassign a decided task: %d %s", resp.Status, resp.Body)
	}
	if got := directory.lookups(); !slices.Equal(got, []string{"hr-1", "security-9", "admin-1", "security-2"}) {
		t.Fatalf("lookups %v", got)
	}
}
