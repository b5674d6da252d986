package approvals_test

import (
	"context"
	"encoding/json"
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
