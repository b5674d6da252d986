package approvals_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/fasttrack/fasttrack/functions/approvals"
	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/functions/internal/steptest"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// callbacks records what the handler tells the workflow.
type callbacks struct {
	mu      sync.Mutex
	success map[string]string
}

func (c *callbacks) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.success[aws.ToString(in.TaskToken)] = aws.ToString(in.Output)
	return &sfn.SendTaskSuccessOutput{}, nil
}

type world struct {
	*steptest.Fixture
	handler   func(context.Context, approvals.Input) (approvals.Output, error)
	callbacks *callbacks
}

func newWorld(t *testing.T) world {
	f := steptest.New(t)
	cb := &callbacks{success: map[string]string{}}
	return world{Fixture: f, callbacks: cb, handler: approvals.NewHandler(f.Runtime(approvals.Name), f.Store, cb, nil).Handle}
}

func (w world) input(a domain.Activation, action string, task step.Task, token string) approvals.Input {
	subject, _ := json.Marshal(map[string]any{"activationId": a.ID, "approval": task})
	return approvals.Input{Action: action, ActivationID: a.ID, Task: task, Subject: subject, TaskToken: token,
		Execution: "exec", State: "ApprovalRequested"}
}

func TestOpenEscalateExpire(t *testing.T) {
	w := newWorld(t)
	a := w.Activation(t, w.Request(), domain.StatusInProgress)
	task := step.NewTask(domain.RoleSecurity, domain.KindSecurityClearance, w.Config)
	opened := w.Clock.Now()

	var out approvals.Output
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "token-1")).MustSucceed(t, &out)
	first, err := w.Store.GetTask(w.Ctx, out.TaskID)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != domain.TaskOpen || first.Role != domain.RoleSecurity || !first.Deadline.Equal(opened.Add(24*time.Hour)) ||
		first.RequestedBy != a.RequestedBy || first.Summary.Country != "KE" {
		t.Fatalf("task = %+v", first)
	}
	if stored := w.Get(t, a.ID); stored.Status != domain.StatusAwaitingApproval {
		t.Fatalf("status = %s", stored.Status)
	}
	// A retried open (a new token) finds the same task and moves the token onto it.
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "token-2")).MustSucceed(t, &out)
	if token, _ := w.Store.TaskToken(w.Ctx, first.ID); token != "token-2" || out.TaskID != first.ID {
		t.Fatalf("after a retried open: task %s token %q", out.TaskID, token)
	}
	if n := w.Actions(t, a.ID)[audit.ActionTaskCreated]; n != 1 {
		t.Fatalf("%d task.created events, want 1", n)
	}

	// The deadline passes: the task goes to senior management with a new deadline and token.
	w.Clock.Advance(24 * time.Hour)
	escalate := w.input(a, approvals.ActionEscalate, task, "token-3")
	escalate.Level = 1
	steptest.Invoke(t, w.handler, escalate).MustSucceed(t, &out)
	old, _ := w.Store.GetTask(w.Ctx, first.ID)
	successor, _ := w.Store.GetTask(w.Ctx, out.TaskID)
	if old.Status != domain.TaskEscalated || old.EscalatedTo != successor.ID || successor.Role != domain.RoleSeniorManagement ||
		successor.Status != domain.TaskOpen || successor.EscalationLevel != 1 || !successor.Deadline.Equal(w.Clock.Now().Add(24*time.Hour)) {
		t.Fatalf("old %+v successor %+v", old, successor)
	}
	if token, _ := w.Store.TaskToken(w.Ctx, successor.ID); token != "token-3" {
		t.Fatalf("successor token %q, want the escalation's", token)
	}
	steptest.Invoke(t, w.handler, escalate).MustSucceed(t, &out)
	if out.TaskID != successor.ID {
		t.Fatalf("a retried escalation answered %s", out.TaskID)
	}
	// A retried open after the escalation moves its token to the live task.
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "token-4")).MustSucceed(t, &out)
	if token, _ := w.Store.TaskToken(w.Ctx, successor.ID); token != "token-4" || out.TaskID != successor.ID {
		t.Fatalf("after open on an escalated task: live %s token %q", out.TaskID, token)
	}

	// The escalated deadline passes too: expired.
	w.Clock.Advance(24 * time.Hour)
	expire := w.input(a, approvals.ActionExpire, task, "")
	for range 2 {
		steptest.Invoke(t, w.handler, expire).MustSucceed(t, &out)
	}
	if expired, _ := w.Store.GetTask(w.Ctx, successor.ID); expired.Status != domain.TaskExpired {
		t.Fatalf("status after expiry = %s", expired.Status)
	}
	actions := w.Actions(t, a.ID)
	if actions[audit.ActionTaskEscalated] != 1 || actions[audit.ActionTaskExpired] != 1 {
		t.Fatalf("audit = %v", actions)
	}
	// An open retried after the expiry fails the wait as the expiry did.
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "token-5")).MustFail(t, "ApprovalTimedOut")
}

func TestOpenOnADecidedTaskAnswersWithTheDecision(t *testing.T) {
	w := newWorld(t)
	task := step.NewTask(domain.RoleFinance, domain.KindFundRelease, w.Config)
	for _, outcome := range []domain.Outcome{domain.Approve, domain.Reject} {
		a := w.Activation(t, w.Request(), domain.StatusInProgress)
		var out approvals.Output
		steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "first")).MustSucceed(t, &out)
		if _, _, err := w.Store.Decide(w.Ctx, out.TaskID, domain.Decision{Outcome: outcome, ActorID: "finance-1",
			Role: domain.RoleFinance, Comment: "seen"}); err != nil {
			t.Fatal(err)
		}
		result := steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "again-"+string(outcome)))
		if outcome == domain.Reject {
			result.MustFail(t, "ApprovalRejected")
			continue
		}
		result.MustSucceed(t, nil)
		var decision approvals.Decision
		if err := json.Unmarshal([]byte(w.callbacks.success["again-approve"]), &decision); err != nil ||
			decision.Decision != domain.Approve || decision.Actor != "finance-1" || decision.TaskID != out.TaskID {
			t.Fatalf("decision sent = %q (%v)", w.callbacks.success["again-approve"], err)
		}
	}
}

func TestEscalationWithoutATargetTimesOut(t *testing.T) {
	w := newWorld(t)
	a := w.Activation(t, w.Request(), domain.StatusInProgress)
	task := step.NewTask(domain.RoleSeniorManagement, domain.KindSeniorFundRelease, w.Config)
	if task.EscalateTo != "" {
		t.Fatalf("senior management escalates to %s", task.EscalateTo)
	}
	var out approvals.Output
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "t1")).MustSucceed(t, &out)
	w.Clock.Advance(25 * time.Hour)
	in := w.input(a, approvals.ActionEscalate, task, "t2")
	in.Level = 1
	steptest.Invoke(t, w.handler, in).MustFail(t, "ApprovalTimedOut")
	if expired, _ := w.Store.GetTask(w.Ctx, out.TaskID); expired.Status != domain.TaskExpired {
		t.Fatalf("status = %s, want EXPIRED", expired.Status)
	}
}

func TestApprovalsRefusals(t *testing.T) {
	w := newWorld(t)
	a := w.Activation(t, w.Request(), domain.StatusInProgress)
	task := step.NewTask(domain.RoleSecurity, domain.KindSecurityClearance, w.Config)
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "")).MustFail(t, "Error")
	steptest.Invoke(t, w.handler, w.input(a, "approve", task, "x")).MustFail(t, "Error")
	bad := task
	bad.Role = "country-office"
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, bad, "x")).MustFail(t, "Error")
	if _, err := w.Store.RequestCancel(w.Ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "x")).MustFail(t, "ActivationCancelled")
	if tasks, _ := w.Store.TasksOfActivation(w.Ctx, a.ID); len(tasks) != 0 {
		t.Fatalf("refused calls created %d tasks", len(tasks))
	}
}

func TestHRTasksAreOnePerProfile(t *testing.T) {
	w := newWorld(t)
	a := w.Activation(t, w.Request(), domain.StatusInProgress)
	task := step.NewTask(domain.RoleHR, domain.KindExpertSourcing, w.Config)
	ids := map[string]bool{}
	for index := range 2 {
		subject, _ := json.Marshal(map[string]any{"activationId": a.ID, "profile": map[string]any{"index": index, "area": "gender"}})
		in := approvals.Input{Action: approvals.ActionOpen, ActivationID: a.ID, Task: task, Subject: subject, TaskToken: "t"}
		var out approvals.Output
		steptest.Invoke(t, w.handler, in).MustSucceed(t, &out)
		ids[out.TaskID] = true
		stored, _ := w.Store.GetTask(w.Ctx, out.TaskID)
		if !stored.Deadline.Equal(w.Clock.Now().Add(48*time.Hour)) || stored.Summary.Detail["profile"] == nil {
			t.Fatalf("hr task = %+v", stored)
		}
	}
	if len(ids) != 2 {
		t.Fatalf("two profiles made tasks %v", ids)
	}
}

// A redriven (or retried) wait runs its whole timeout again from the new call. Its task, found
// open within its deadline, gets the new wait's end as its deadline, recorded; found open past
// its deadline, the wait ends at once with ApprovalDeadlinePassed, which the workflow catches as
// the timeout. The same holds for the escalated task and the escalation's wait.
func TestARedrivenWaitAndItsTaskAgreeOnTheDeadline(t *testing.T) {
	w := newWorld(t)
	a := w.Activation(t, w.Request(), domain.StatusInProgress)
	task := step.NewTask(domain.RoleSecurity, domain.KindSecurityClearance, w.Config)
	var out approvals.Output
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "token-1")).MustSucceed(t, &out)
	opened := w.Clock.Now()
	if !out.Deadline.Equal(opened.Add(24 * time.Hour)) {
		t.Fatalf("first deadline %s", out.Deadline)
	}
	if n := w.Actions(t, a.ID)[audit.ActionTaskRescheduled]; n != 0 {
		t.Fatalf("a first open rescheduled %d times", n)
	}

	// Redriven 20 hours later: the wait lasts 24 hours from now, and so does the task.
	w.Clock.Advance(20 * time.Hour)
	redriven := w.Clock.Now()
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "token-2")).MustSucceed(t, &out)
	stored, _ := w.Store.GetTask(w.Ctx, out.TaskID)
	if !out.Deadline.Equal(redriven.Add(24*time.Hour)) || !stored.Deadline.Equal(out.Deadline) || stored.Status != domain.TaskOpen {
		t.Fatalf("after the redrive: answered %s, stored %+v", out.Deadline, stored)
	}
	if token, _ := w.Store.TaskToken(w.Ctx, stored.ID); token != "token-2" {
		t.Fatalf("token %q", token)
	}
	var rescheduled []audit.Event
	for _, e := range w.Audit(t, a.ID) {
		if e.Action == audit.ActionTaskRescheduled {
			rescheduled = append(rescheduled, e)
		}
	}
	if len(rescheduled) != 1 || rescheduled[0].Subject != stored.ID || !strings.Contains(string(rescheduled[0].Before), opened.Add(24*time.Hour).Format("2006-01-02T15:04")) ||
		!strings.Contains(string(rescheduled[0].After), stored.Deadline.Format("2006-01-02T15:04")) {
		t.Fatalf("rescheduled events %+v", rescheduled)
	}
	// The same call again (a retry at the same moment) changes nothing more.
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "token-3")).MustSucceed(t, &out)
	if n := w.Actions(t, a.ID)[audit.ActionTaskRescheduled]; n != 1 || !out.Deadline.Equal(stored.Deadline) {
		t.Fatalf("a second call at the same time: %d reschedules, deadline %s", n, out.Deadline)
	}

	// Redriven after the (new) deadline passed: no new wait; the timeout's path runs now.
	w.Clock.Advance(25 * time.Hour)
	steptest.Invoke(t, w.handler, w.input(a, approvals.ActionOpen, task, "token-4")).MustFail(t, "ApprovalDeadlinePassed")
	if still, _ := w.Store.GetTask(w.Ctx, stored.ID); still.Status != domain.TaskOpen || !still.Deadline.Equal(stored.Deadline) {
		t.Fatalf("the late open changed the task: %+v", still)
	}
	escalate := w.input(a, approvals.ActionEscalate, task, "token-5")
	escalate.Level = 1
	steptest.Invoke(t, w.handler, escalate).MustSucceed(t, &out)
	escalatedAt := w.Clock.Now()
	if !out.Deadline.Equal(escalatedAt.Add(24*time.Hour)) || out.TaskID == stored.ID {
		t.Fatalf("escalation %+v", out)
	}

	// The escalation's wait redriven within its deadline, then after it.
	w.Clock.Advance(10 * time.Hour)
	escalate.TaskToken = "token-6"
	steptest.Invoke(t, w.handler, escalate).MustSucceed(t, &out)
	successor, _ := w.Store.GetTask(w.Ctx, out.TaskID)
	if !successor.Deadline.Equal(w.Clock.Now().Add(24*time.Hour)) || successor.EscalationLevel != 1 {
		t.Fatalf("the redriven escalation's task %+v", successor)
	}
	w.Clock.Advance(24 * time.Hour)
	escalate.TaskToken = "token-7"
	steptest.Invoke(t, w.handler, escalate).MustFail(t, "ApprovalDeadlinePassed")
	if actions := w.Actions(t, a.ID); actions[audit.ActionTaskCreated] != 1 || actions[audit.ActionTaskEscalated] != 1 || actions[audit.ActionTaskRescheduled] != 2 {
		t.Fatalf("audit = %v", actions)
	}

	// A decided task found by a redrive answers with its decision whatever the time.
	b := w.Activation(t, w.Request(), domain.StatusInProgress)
	steptest.Invoke(t, w.handler, w.input(b, approvals.ActionOpen, task, "b-1")).MustSucceed(t, &out)
	if _, _, err := w.Store.Decide(w.Ctx, out.TaskID, domain.Decision{Outcome: domain.Approve, ActorID: "security-1", Role: domain.RoleSecurity}); err != nil {
		t.Fatal(err)
	}
	w.Clock.Advance(48 * time.Hour)
	steptest.Invoke(t, w.handler, w.input(b, approvals.ActionOpen, task, "b-2")).MustSucceed(t, nil)
	if w.callbacks.success["b-2"] == "" {
		t.Fatal("the decision was not sent to the redriven wait")
	}
}
