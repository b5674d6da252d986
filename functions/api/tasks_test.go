package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// withActivation stores an activation requested by office-ke and returns it.
func (h *harness) withActivation(station string, amount int64) domain.Activation {
	h.t.Helper()
	var a domain.Activation
	resp := h.do("office-ke", http.MethodPost, "/activations", request("KE", station, amount))
	if resp.Status != http.StatusCreated {
		h.t.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	resp.json(h.t, &a)
	return a
}

// hasStep reports whether the activation records the step.
func hasStep(a domain.Activation, name, status, detail string) bool {
	for _, s := range a.Steps {
		if s.Name == name && s.Status == status && s.Detail == detail {
			return true
		}
	}
	return false
}

// count counts the occurrences of item.
func count(items []string, item string) int {
	n := 0
	for _, i := range items {
		if i == item {
			n++
		}
	}
	return n
}

func TestDecisionApprovesOnceAndSendsTheTokenAfterTheUpdate(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-1", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Office: "KE"})

	resp := h.do("security-1", http.MethodPost, "/tasks/task-1/decision", map[string]string{"decision": "approve", "comment": "cleared"})
	if resp.Status != http.StatusOK {
		t.Fatalf("decide: %d %s", resp.Status, resp.Body)
	}
	var task api.TaskView
	resp.json(t, &task)
	if task.Status != domain.TaskDecided || task.Decision == nil || task.Decision.ActorID != "security-1" || task.Decision.Outcome != domain.Approve {
		t.Fatalf("task %+v", task)
	}
	// The waiting execution received the decision as its task's output.
	delivered := h.decisionDelivered("task-1")
	var output api.DecisionOutput
	if err := json.Unmarshal([]byte(aws.ToString(delivered.Output)), &output); delivered.Status != sfntypes.ExecutionStatusSucceeded || err != nil {
		t.Fatalf("the wait ended %s with output %q: %v", delivered.Status, aws.ToString(delivered.Output), err)
	}
	if output.Decision != domain.Approve || output.Actor != "security-1" || output.Role != domain.RoleSecurity || output.Comment != "cleared" {
		t.Fatalf("output %+v", output)
	}
	if token, _ := h.store.TaskToken(t.Context(), "task-1"); token == "" || strings.Contains(string(resp.Body), token) {
		t.Fatal("the task token reached the client")
	}
	// The activation shows the approval done.
	if stored, _ := h.store.GetActivation(t.Context(), a.ID); !hasStep(stored, "approval", "succeeded", "task-1: approved by security-1 (security)") {
		t.Fatalf("no approval step on the activation: %+v", stored.Steps)
	}

	second := h.do("security-2", http.MethodPost, "/tasks/task-1/decision", map[string]string{"decision": "reject", "comment": "no"})
	if second.Status != http.StatusConflict || !strings.HasSuffix(second.problem(t).Type, "/already-decided") {
		t.Fatalf("second decision: %d %s", second.Status, second.Body)
	}
	// The same approver repeating the same decision also gets 409: the token was delivered.
	if again := h.do("security-1", http.MethodPost, "/tasks/task-1/decision", map[string]string{"decision": "approve"}); again.Status != http.StatusConflict {
		t.Fatalf("repeat: %d %s", again.Status, again.Body)
	}
	if got := h.historyTypes(taskMachineARN, "task-1"); count(got, "TaskSucceeded") != 1 || count(got, "TaskFailed") != 0 {
		t.Fatalf("the wait was answered %d times with success, %d with failure: %v", count(got, "TaskSucceeded"), count(got, "TaskFailed"), got)
	}
	if decided := h.auditEvents(audit.ActionTaskDecided); len(decided) != 1 || decided[0].Actor != "security-1" || decided[0].Subject != "task-1" {
		t.Fatalf("task.decided audit events %+v", decided)
	}
}

func TestRejectionFailsTheTokenWithApprovalRejected(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-1", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Office: "KE"})

	noComment := h.do("security-1", http.MethodPost, "/tasks/task-1/decision", map[string]string{"decision": "reject"})
	if p := noComment.problem(t); noComment.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "comment" {
		t.Fatalf("reject without comment: %d %+v", noComment.Status, p)
	}
	bad := h.do("security-1", http.MethodPost, "/tasks/task-1/decision", map[string]any{"decision": "maybe", "comment": 3})
	if p := bad.problem(t); bad.Status != http.StatusBadRequest || p.Errors[0].Field != "comment" {
		t.Fatalf("wrong type: %d %+v", bad.Status, p)
	}
	resp := h.do("security-1", http.MethodPost, "/tasks/task-1/decision", map[string]string{"decision": "reject", "comment": "too risky this week"})
	if resp.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", resp.Status, resp.Body)
	}
	if got := h.decisionDelivered("task-1"); got.Status != sfntypes.ExecutionStatusFailed || aws.ToString(got.Error) != "ApprovalRejected" ||
		!strings.Contains(aws.ToString(got.Cause), "too risky") {
		t.Fatalf("the wait ended %s with %q: %q", got.Status, aws.ToString(got.Error), aws.ToString(got.Cause))
	}
	if stored, _ := h.store.GetActivation(t.Context(), a.ID); !hasStep(stored, "approval", "failed", "task-1: rejected by security-1 (security)") {
		t.Fatalf("no rejected approval step on the activation: %+v", stored.Steps)
	}
}

func TestConcurrentDecisionsProduceOneDecision(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-1", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Office: "KE"})
	users := []string{"security-1", "security-2", "finance-security"}
	statuses := make([]int, 9)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = h.do(users[i%len(users)], http.MethodPost, "/tasks/task-1/decision", map[string]string{"decision": "approve"}).Status
		})
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			conflict++
		default:
			t.Fatalf("status %d", s)
		}
	}
	if ok != 1 || conflict != len(statuses)-1 {
		t.Fatalf("%d decisions succeeded, %d conflicts: %v", ok, conflict, statuses)
	}
	if got := h.historyTypes(taskMachineARN, "task-1"); count(got, "TaskSucceeded") != 1 {
		t.Fatalf("the wait was answered %d times: %v", count(got, "TaskSucceeded"), got)
	}
}

func TestDecisionRefusals(t *testing.T) {
	h := newHarness(t)
	own := h.do("office-ke-security", http.MethodPost, "/activations", request("KE", "Mombasa", 1_000_000))
	var ownActivation domain.Activation
	own.json(t, &ownActivation)
	a := h.withActivation("Mombasa", 40_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-sec", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Office: "KE"})
	h.addTask(domain.ApprovalTask{ID: "task-own", ActivationID: ownActivation.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Office: "KE"})
	h.addTask(domain.ApprovalTask{ID: "task-fin", ActivationID: a.ID, Role: domain.RoleFinance, Kind: domain.KindFundRelease, Office: "KE"})
	h.addTask(domain.ApprovalTask{ID: "task-senior", ActivationID: a.ID, Role: domain.RoleSeniorManagement, Kind: domain.KindSeniorFundRelease, Office: "KE"})
	h.addTask(domain.ApprovalTask{ID: "task-late", ActivationID: a.ID, Role: domain.RoleFinance, Kind: domain.KindFundRelease, Office: "KE",
		Deadline: h.clock.Now().Add(time.Minute)})
	h.addTask(domain.ApprovalTask{ID: "task-assigned", ActivationID: a.ID, Role: domain.RoleHR, Kind: domain.KindExpertSourcing, Office: "KE",
		Assignee: "hr-2"})

	approve := map[string]string{"decision": "approve", "comment": "ok"}
	cases := []struct {
		name, user, task string
		status           int
		detail           string
	}{
		{"auditor decides", "auditor-1", "task-sec", http.StatusForbidden, ""},
		{"admin decides", "admin-1", "task-sec", http.StatusForbidden, ""},
		{"country office decides", "office-ke", "task-sec", http.StatusForbidden, ""},
		{"approver of another role", "finance-1", "task-sec", http.StatusForbidden, "security role"},
		{"self-approval", "office-ke-security", "task-own", http.StatusForbidden, "request they made"},
		{"missing task", "security-1", "task-none", http.StatusNotFound, ""},
		{"assigned to someone else", "hr-1", "task-assigned", http.StatusForbidden, "assigned to hr-2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do(tc.user, http.MethodPost, "/tasks/"+tc.task+"/decision", approve)
			p := resp.problem(t)
			if resp.Status != tc.status || !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("status %d, detail %q; want %d containing %q", resp.Status, p.Detail, tc.status, tc.detail)
			}
		})
	}

	// One person with two roles cannot use both on one activation.
	if resp := h.do("finance-security", http.MethodPost, "/tasks/task-sec/decision", approve); resp.Status != http.StatusOK {
		t.Fatalf("first decision of a two-role person: %d %s", resp.Status, resp.Body)
	}
	resp := h.do("finance-security", http.MethodPost, "/tasks/task-fin/decision", approve)
	if p := resp.problem(t); resp.Status != http.StatusForbidden || !strings.Contains(p.Detail, "already decided on this activation as security") {
		t.Fatalf("second role on one activation: %d %+v", resp.Status, p)
	}

	// Past its deadline a task awaits escalation and cannot be decided.
	h.clock.Advance(2 * time.Minute)
	if resp := h.do("finance-1", http.MethodPost, "/tasks/task-late/decision", approve); resp.Status != http.StatusConflict {
		t.Fatalf("decision past the deadline: %d %s", resp.Status, resp.Body)
	}

	// Delegation lets hr-1 decide hr-2's task for its period, and not after.
	start := h.clock.Now().Add(-time.Hour)
	delegate := h.do("admin-1", http.MethodPost, "/delegations", map[string]any{"fromUser": "hr-2", "toUser": "hr-1", "role": "hr",
		"start": start, "until": h.clock.Now().Add(time.Hour), "reason": "field mission"})
	if delegate.Status != http.StatusCreated {
		t.Fatalf("delegation: %d %s", delegate.Status, delegate.Body)
	}
	if resp := h.do("hr-1", http.MethodPost, "/tasks/task-assigned/decision", approve); resp.Status != http.StatusOK {
		t.Fatalf("delegate decides: %d %s", resp.Status, resp.Body)
	}
	task, _ := h.store.GetTask(t.Context(), "task-assigned")
	if task.Decision.OnBehalfOf != "hr-2" {
		t.Fatalf("decision not recorded on behalf of the assignee: %+v", task.Decision)
	}
	// Only the decisions given were delivered; the refused ones left their waits alone.
	if got := h.decisionDelivered("task-sec"); got.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("task-sec's wait is %s", got.Status)
	}
	for _, id := range []string{"task-fin", "task-own", "task-senior"} {
		if got := h.taskExecution(id); got.Status != sfntypes.ExecutionStatusRunning {
			t.Fatalf("%s's wait is %s after refused decisions", id, got.Status)
		}
	}
	// Every refusal of the policy is in the audit trail with its rule.
	rules := map[string]bool{}
	for _, e := range h.auditEvents(api.ActionDecisionRefused) {
		var after struct{ Rule string }
		_ = json.Unmarshal(e.After, &after)
		rules[after.Rule] = true
	}
	for _, rule := range []string{"decides-in-task-role", "not-own-request", "assignee-or-delegate", "one-role-per-activation"} {
		if !rules[rule] {
			t.Errorf("no audit event of a refusal by %s; have %v", rule, rules)
		}
	}
}

func TestDelegationExpires(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-assigned", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance,
		Office: "KE", Assignee: "security-2", Deadline: h.clock.Now().Add(72 * time.Hour)})
	// security-2 delegates their own tasks to security-1 for a day.
	resp := h.do("security-2", http.MethodPost, "/delegations", map[string]any{"toUser": "security-1", "role": "security",
		"start": h.clock.Now(), "until": h.clock.Now().Add(24 * time.Hour)})
	if resp.Status != http.StatusCreated {
		t.Fatalf("delegation: %d %s", resp.Status, resp.Body)
	}
	h.clock.Advance(25 * time.Hour)
	if resp := h.do("security-1", http.MethodPost, "/tasks/task-assigned/decision", map[string]string{"decision": "approve"}); resp.Status != http.StatusForbidden {
		t.Fatalf("decision after the delegation ended: %d %s", resp.Status, resp.Body)
	}
	// Nobody delegates someone else's tasks, or a role they do not hold.
	for _, body := range []map[string]any{
		{"fromUser": "security-1", "toUser": "security-2", "role": "security", "start": h.clock.Now(), "until": h.clock.Now().Add(time.Hour)},
		{"toUser": "finance-1", "role": "finance", "start": h.clock.Now(), "until": h.clock.Now().Add(time.Hour)},
	} {
		if resp := h.do("security-2", http.MethodPost, "/delegations", body); resp.Status != http.StatusForbidden {
			t.Fatalf("delegation %v: %d %s", body, resp.Status, resp.Body)
		}
	}
	if resp := h.do("auditor-1", http.MethodPost, "/delegations", map[string]any{"toUser": "x", "role": "security",
		"start": h.clock.Now(), "until": h.clock.Now().Add(time.Hour)}); resp.Status != http.StatusForbidden {
		t.Fatalf("auditor delegation: %d", resp.Status)
	}
	bad := h.do("security-2", http.MethodPost, "/delegations", map[string]any{"toUser": "security-2", "role": "janitor",
		"start": h.clock.Now(), "until": h.clock.Now().Add(-time.Hour)})
	if p := bad.problem(t); bad.Status != http.StatusBadRequest || len(p.Errors) != 3 {
		t.Fatalf("bad delegation: %d %+v", bad.Status, p)
	}
}

func TestInboxOrderFiltersAndTimeLeft(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	now := h.clock.Now()
	h.addTask(domain.ApprovalTask{ID: "t-low-soon", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Priority: 10, Deadline: now.Add(time.Hour)})
	h.addTask(domain.ApprovalTask{ID: "t-high-late", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Priority: 90, Deadline: now.Add(5 * time.Hour)})
	h.addTask(domain.ApprovalTask{ID: "t-high-soon", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Priority: 90, Deadline: now.Add(2 * time.Hour)})
	h.addTask(domain.ApprovalTask{ID: "t-decided", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Priority: 95, Deadline: now.Add(time.Minute)})
	h.addTask(domain.ApprovalTask{ID: "t-finance", ActivationID: a.ID, Role: domain.RoleFinance, Kind: domain.KindFundRelease})
	if _, _, err := h.store.Decide(t.Context(), "t-decided", domain.Decision{Outcome: domain.Approve, ActorID: "security-2", Role: domain.RoleSecurity}); err != nil {
		t.Fatal(err)
	}

	var list api.TaskList
	h.do("security-1", http.MethodGet, "/tasks", nil).json(t, &list)
	var ids []string
	for _, item := range list.Items {
		ids = append(ids, item.ID)
	}
	if strings.Join(ids, ",") != "t-high-soon,t-high-late,t-low-soon,t-decided" {
		t.Fatalf("inbox order %v", ids)
	}
	if list.Items[0].TimeLeftSeconds != 7200 || list.Items[0].Summary.Country != "KE" {
		t.Fatalf("first item %+v", list.Items[0])
	}
	h.do("security-1", http.MethodGet, "/tasks?status=OPEN&dueBefore="+now.Add(3*time.Hour).Format(time.RFC3339), nil).json(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("filtered inbox %+v", list.Items)
	}
	if resp := h.do("security-1", http.MethodGet, "/tasks?role=finance", nil); resp.Status != http.StatusForbidden {
		t.Fatalf("security asking for finance tasks: %d", resp.Status)
	}
	if resp := h.do("office-ke", http.MethodGet, "/tasks", nil); resp.Status != http.StatusForbidden {
		t.Fatalf("office listing tasks: %d", resp.Status)
	}
	h.do("auditor-1", http.MethodGet, "/tasks", nil).json(t, &list)
	if len(list.Items) != 5 {
		t.Fatalf("auditor sees %d tasks", len(list.Items))
	}
}

func TestReassign(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-1", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance})
	body := map[string]string{"assignee": "security-2", "reason": "security-1 is on leave"}
	if resp := h.do("security-1", http.MethodPost, "/tasks/task-1/reassign", body); resp.Status != http.StatusForbidden {
		t.Fatalf("approver reassigns: %d", resp.Status)
	}
	if resp := h.do("auditor-1", http.MethodPost, "/tasks/task-1/reassign", body); resp.Status != http.StatusForbidden {
		t.Fatalf("auditor reassigns: %d", resp.Status)
	}
	resp := h.do("admin-1", http.MethodPost, "/tasks/task-1/reassign", body)
	var task api.TaskView
	resp.json(t, &task)
	if resp.Status != http.StatusOK || task.Assignee != "security-2" {
		t.Fatalf("reassign: %d %s", resp.Status, resp.Body)
	}
	if resp := h.do("security-1", http.MethodPost, "/tasks/task-1/decision", map[string]string{"decision": "approve"}); resp.Status != http.StatusForbidden {
		t.Fatalf("former approver decides a reassigned task: %d", resp.Status)
	}
	if events := h.auditEvents(audit.ActionTaskReassigned); len(events) != 1 || events[0].Actor != "admin-1" {
		t.Fatalf("audit %+v", events)
	}
}

// A level-6 override is approved only with a written justification; nothing is decided without.
func TestOverrideApprovalNeedsAJustification(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-override", ActivationID: a.ID, Role: domain.RoleSeniorManagement,
		Kind: domain.KindSecurityOverride, Office: "KE"})

	resp := h.do("senior-1", http.MethodPost, "/tasks/task-override/decision", map[string]string{"decision": "approve", "comment": "ok"})
	if resp.Status != http.StatusBadRequest {
		t.Fatalf("short justification: %d %s", resp.Status, resp.Body)
	}
	if p := resp.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "comment" {
		t.Fatalf("problem %+v", p)
	}
	task, err := h.store.GetTask(context.Background(), "task-override")
	if err != nil || task.Status != domain.TaskOpen {
		t.Fatalf("task after refusal: %+v %v", task, err)
	}

	justification := "The evacuation corridor is secured by the host government until the end of the mission."
	resp = h.do("senior-1", http.MethodPost, "/tasks/task-override/decision", map[string]string{"decision": "approve", "comment": justification})
	if resp.Status != http.StatusOK {
		t.Fatalf("with justification: %d %s", resp.Status, resp.Body)
	}
}

// A decision whose wait is gone stands when the activation's workflow is stalled: the redrive
// opens the task again and finds it decided. With the workflow running, the wait is gone for
// good (escalated, expired, cancelled): 409.
func TestADecisionWhileTheWorkflowIsStalledStands(t *testing.T) {
	h := newHarness(t)
	stalled := h.withActivation("Mombasa", 1_000_000)
	running := h.withActivation("Mombasa", 1_000_000)
	for _, id := range []string{"task-stalled", "task-running"} {
		activation := stalled.ID
		if id == "task-running" {
			activation = running.ID
		}
		h.addTask(domain.ApprovalTask{ID: id, ActivationID: activation, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Office: "KE"})
		// The wait ends without a decision, as a wait does when its Map fails around it.
		if _, err := h.workflow.StopExecution(t.Context(), &sfn.StopExecutionInput{
			ExecutionArn: aws.String(strings.Replace(taskMachineARN, ":stateMachine:", ":execution:", 1) + ":" + id)}); err != nil {
			t.Fatal(err)
		}
	}
	h.stall(stalled.ID)
	h.stepToken(running.ID)

	resp := h.do("security-1", http.MethodPost, "/tasks/task-stalled/decision", map[string]string{"decision": "approve"})
	var task api.TaskView
	resp.json(t, &task)
	if resp.Status != http.StatusOK || task.Status != domain.TaskDecided {
		t.Fatalf("decision while stalled: %d %s", resp.Status, resp.Body)
	}
	resp = h.do("security-1", http.MethodPost, "/tasks/task-running/decision", map[string]string{"decision": "approve"})
	if resp.Status != http.StatusConflict || !strings.Contains(resp.problem(t).Detail, "no longer waits") {
		t.Fatalf("decision on a gone wait of a running workflow: %d %s", resp.Status, resp.Body)
	}
	for _, id := range []string{"task-stalled", "task-running"} {
		if stored, _ := h.store.GetTask(t.Context(), id); stored.Status != domain.TaskDecided || stored.Decision.ActorID != "security-1" {
			t.Fatalf("%s: %+v", id, stored)
		}
	}
}

// GET /tasks/{id} shows a task to whoever's inbox shows it: approvers of its role (with the
// same view as the inbox's), auditors and admins; any other approver gets the 404 of a task
// that does not exist, with nothing of the task in it; a role that lists no tasks gets 403.
func TestOneTaskIsShownAsTheInboxShowsIt(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.addTask(domain.ApprovalTask{ID: "task-1", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Office: "KE"})

	var inbox api.TaskList
	h.do("security-1", http.MethodGet, "/tasks", nil).json(t, &inbox)
	if len(inbox.Items) != 1 {
		t.Fatalf("inbox %+v", inbox.Items)
	}
	for _, user := range []string{"security-1", "security-2", "finance-security", "auditor-1", "admin-1"} {
		resp := h.do(user, http.MethodGet, "/tasks/task-1", nil)
		if resp.Status != http.StatusOK {
			t.Fatalf("%s reading the task: %d %s", user, resp.Status, resp.Body)
		}
		var task api.TaskView
		resp.json(t, &task)
		if task.ID != "task-1" || task.ActivationID != a.ID || task.Role != domain.RoleSecurity || task.Status != domain.TaskOpen ||
			task.Summary.DutyStation != "Mombasa" || task.TimeLeftSeconds != inbox.Items[0].TimeLeftSeconds {
			t.Fatalf("%s reads %+v, the inbox shows %+v", user, task, inbox.Items[0])
		}
	}
	for _, user := range []string{"finance-1", "hr-1", "senior-1"} {
		other := h.do(user, http.MethodGet, "/tasks/task-1", nil)
		missing := h.do(user, http.MethodGet, "/tasks/task-none", nil)
		if other.Status != http.StatusNotFound || missing.Status != http.StatusNotFound || other.problem(t).Detail != missing.problem(t).Detail ||
			strings.Contains(string(other.Body), a.ID) || strings.Contains(string(other.Body), "Mombasa") {
			t.Fatalf("%s reading another role's task: %d %s (missing: %d %s)", user, other.Status, other.Body, missing.Status, missing.Body)
		}
	}
	if resp := h.do("office-ke", http.MethodGet, "/tasks/task-1", nil); resp.Status != http.StatusForbidden || strings.Contains(string(resp.Body), a.ID) {
		t.Fatalf("a country office reading a task: %d %s", resp.Status, resp.Body)
	}
	// Once decided, the task shows its decision.
	if resp := h.do("security-1", http.MethodPost, "/tasks/task-1/decision", map[string]string{"decision": "approve", "comment": "cleared"}); resp.Status != http.StatusOK {
		t.Fatalf("decide: %d %s", resp.Status, resp.Body)
	}
	var decided api.TaskView
	h.do("auditor-1", http.MethodGet, "/tasks/task-1", nil).json(t, &decided)
	if decided.Status != domain.TaskDecided || decided.Decision == nil || decided.Decision.ActorID != "security-1" || decided.Decision.Comment != "cleared" {
		t.Fatalf("decided task %+v", decided)
	}
}
