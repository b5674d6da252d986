package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

func newTask(id string, role domain.Role, priority int, deadline time.Time, country string) domain.ApprovalTask {
	kind := domain.KindSecurityClearance
	if role == domain.RoleFinance {
		kind = domain.KindFundRelease
	}
	return domain.ApprovalTask{ID: id, ActivationID: "a-" + id, Role: role, Kind: kind, Deadline: deadline,
		RequestedBy: "office-ht", Office: country, Priority: priority,
		Summary: domain.TaskSummary{Country: country, CrisisType: domain.NaturalDisaster, Amount: domain.USD(100)}}
}

func TestTaskInboxOrderFiltersAndPaging(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	now := clk.Now()
	tasks := []domain.ApprovalTask{
		newTask("low-early", domain.RoleSecurity, 10, now.Add(1*time.Hour), "HT"),
		newTask("high-late", domain.RoleSecurity, 90, now.Add(20*time.Hour), "YE"),
		newTask("high-early", domain.RoleSecurity, 90, now.Add(2*time.Hour), "HT"),
		newTask("mid", domain.RoleSecurity, 50, now.Add(3*time.Hour), "KE"),
		newTask("decided", domain.RoleSecurity, 100, now.Add(3*time.Hour), "HT"),
		newTask("finance", domain.RoleFinance, 100, now.Add(3*time.Hour), "HT"),
	}
	tasks[3].Summary.CrisisType = domain.ArmedConflict
	for _, task := range tasks {
		if _, err := st.CreateTask(ctx, task, "token-"+task.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.Decide(ctx, "decided", domain.Decision{Outcome: domain.Approve, ActorID: "security-1", Role: domain.RoleSecurity}); err != nil {
		t.Fatal(err)
	}
	list := func(q store.TaskQuery) []string {
		t.Helper()
		var ids []string
		for pages := 0; pages < 10; pages++ {
			page, err := st.ListTasks(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range page.Items {
				ids = append(ids, task.ID)
			}
			if page.Next == "" {
				return ids
			}
			q.Cursor = page.Next
		}
		t.Fatal("paging does not end")
		return nil
	}
	cases := []struct {
		name string
		q    store.TaskQuery
		want string
	}{
		{"all, open first", store.TaskQuery{Role: domain.RoleSecurity, Limit: 2}, "[high-early high-late mid low-early decided]"},
		{"open", store.TaskQuery{Role: domain.RoleSecurity, Status: domain.TaskOpen, Limit: 3}, "[high-early high-late mid low-early]"},
		{"decided", store.TaskQuery{Role: domain.RoleSecurity, Status: domain.TaskDecided}, "[decided]"},
		{"country", store.TaskQuery{Role: domain.RoleSecurity, Status: domain.TaskOpen, Country: "HT", Limit: 1}, "[high-early low-early]"},
		{"crisis type", store.TaskQuery{Role: domain.RoleSecurity, CrisisType: domain.ArmedConflict}, "[mid]"},
		{"due before", store.TaskQuery{Role: domain.RoleSecurity, Status: domain.TaskOpen, DueBefore: now.Add(150 * time.Minute)}, "[high-early low-early]"},
		{"finance", store.TaskQuery{Role: domain.RoleFinance}, "[finance]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := fmt.Sprint(list(c.q)); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
	if _, err := st.ListTasks(ctx, store.TaskQuery{Role: "auditor"}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("auditor inbox: %v", err)
	}
	if token, err := st.TaskToken(ctx, "mid"); err != nil || token != "token-mid" {
		t.Errorf("token %q %v", token, err)
	}
	task, _ := st.GetTask(ctx, "mid")
	if task.TaskToken != "" {
		t.Error("the token leaks through GetTask")
	}
	due, err := st.DueTasks(ctx, now.Add(2*time.Hour), 10)
	if err != nil || len(due) != 2 || due[0].ID != "low-early" || due[1].ID != "high-early" {
		t.Errorf("due %+v %v", due, err)
	}
}

// Fifty approvers decide one task at once: exactly one decision is recorded.
func TestConcurrentDecisionsHaveOneWinner(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	if _, err := st.CreateTask(ctx, newTask("t-1", domain.RoleFinance, 50, clk.Now().Add(time.Hour), "HT"), "tok"); err != nil {
		t.Fatal(err)
	}
	var wins, conflicts atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			actor := fmt.Sprintf("finance-%d", i)
			task, token, err := st.Decide(ctx, "t-1", domain.Decision{Outcome: domain.Approve, ActorID: actor, Role: domain.RoleFinance})
			var notOpen *domain.TaskNotOpen
			switch {
			case err == nil && token == "tok" && task.Decision.ActorID == actor:
				wins.Add(1)
				winner.Store(actor)
			case errors.As(err, &notOpen) && domain.CodeOf(err) == domain.CodeConflict:
				conflicts.Add(1)
			default:
				t.Errorf("decide: %+v %v", task, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 49 {
		t.Fatalf("%d wins, %d conflicts", wins.Load(), conflicts.Load())
	}
	task, _ := st.GetTask(ctx, "t-1")
	if task.Status != domain.TaskDecided || task.Decision.ActorID != winner.Load() {
		t.Errorf("stored %+v", task)
	}
	prior, err := st.PriorDecisions(ctx, "a-t-1")
	if err != nil || len(prior) != 1 || prior[0].Decision.ActorID != winner.Load() {
		t.Errorf("prior %+v %v", prior, err)
	}
}

func TestEscalateExpireReassignAndDelegate(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	start := clk.Now()
	if _, err := st.CreateTask(ctx, newTask("t-sec", domain.RoleSecurity, 70, start.Add(24*time.Hour), "HT"), "tok-1"); err != nil {
		t.Fatal(err)
	}
	// A retried step re-creating the task hands it its new token and changes nothing else.
	again, err := st.CreateTask(ctx, newTask("t-sec", domain.RoleSecurity, 70, start.Add(48*time.Hour), "HT"), "tok-2")
	if err != nil || !again.Deadline.Equal(start.Add(24*time.Hour)) {
		t.Fatalf("re-create %+v %v", again, err)
	}
	if token, _ := st.TaskToken(ctx, "t-sec"); token != "tok-2" {
		t.Errorf("token %q", token)
	}
	// Past the deadline nobody may decide; the sweep escalates.
	clk.Advance(24 * time.Hour)
	_, _, err = st.Decide(ctx, "t-sec", domain.Decision{Outcome: domain.Approve, ActorID: "security-1", Role: domain.RoleSecurity})
	var notOpen *domain.TaskNotOpen
	if !errors.As(err, &notOpen) || !notOpen.PastDeadline {
		t.Fatalf("late decision: %v", err)
	}
	old, next, err := st.Escalate(ctx, store.Escalation{TaskID: "t-sec", NewTaskID: "t-sec-1", Role: domain.RoleSeniorManagement,
		Deadline: clk.Now().Add(24 * time.Hour)})
	if err != nil || old.Status != domain.TaskEscalated || old.EscalatedTo != "t-sec-1" || next.EscalationLevel != 1 ||
		next.Role != domain.RoleSeniorManagement || next.PreviousTaskID != "t-sec" || next.Status != domain.TaskOpen {
		t.Fatalf("escalate %+v %+v %v", old, next, err)
	}
	if token, _ := st.TaskToken(ctx, "t-sec-1"); token != "tok-2" {
		t.Errorf("successor token %q", token)
	}
	// Retrying the escalation returns the successor; the first approver still cannot decide.
	if _, again, err := st.Escalate(ctx, store.Escalation{TaskID: "t-sec", NewTaskID: "t-sec-1", Role: domain.RoleSeniorManagement,
		Deadline: clk.Now().Add(24 * time.Hour)}); err != nil || again.ID != "t-sec-1" {
		t.Fatalf("retried escalation %+v %v", again, err)
	}
	if _, _, err := st.Decide(ctx, "t-sec", domain.Decision{Outcome: domain.Approve, ActorID: "security-1", Role: domain.RoleSecurity}); !errors.As(err, &notOpen) {
		t.Fatalf("decision on escalated task: %v", err)
	}
	// Reassign to one person; a delegation lets another decide, for its period only.
	if _, err := st.Reassign(ctx, "t-sec-1", "senior-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.PutDelegation(ctx, domain.Delegation{FromUser: "senior-1", ToUser: "senior-2", Role: domain.RoleSeniorManagement,
		Start: clk.Now(), Until: clk.Now().Add(2 * time.Hour), CreatedBy: "senior-1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutDelegation(ctx, domain.Delegation{FromUser: "x", ToUser: "x", Role: "auditor"}); len(domain.FieldsOf(err)) != 3 {
		t.Errorf("bad delegation: %v", err)
	}
	senior2 := domain.Actor{ID: "senior-2", Roles: []domain.Role{domain.RoleSeniorManagement}, Office: "HQ"}
	dc, err := st.DecisionContextFor(ctx, "t-sec-1", senior2, domain.RoleSeniorManagement)
	if err != nil {
		t.Fatal(err)
	}
	if err := domain.CanDecide(dc); err != nil {
		t.Errorf("delegate refused: %v", err)
	}
	clk.Advance(3 * time.Hour)
	dc, _ = st.DecisionContextFor(ctx, "t-sec-1", senior2, domain.RoleSeniorManagement)
	var refused *domain.DecisionRefused
	if err := domain.CanDecide(dc); !errors.As(err, &refused) || refused.Rule != "assignee-or-delegate" {
		t.Errorf("after the delegation: %v", err)
	}
	// The second deadline passes: the task expires, and cannot expire or be decided again.
	clk.Advance(24 * time.Hour)
	expired, err := st.Expire(ctx, "t-sec-1")
	if err != nil || expired.Status != domain.TaskExpired {
		t.Fatalf("expire %+v %v", expired, err)
	}
	if _, err := st.Expire(ctx, "t-sec-1"); !errors.As(err, &notOpen) {
		t.Errorf("second expiry: %v", err)
	}
	if _, err := st.Reassign(ctx, "t-sec-1", "senior-2"); !errors.As(err, &notOpen) {
		t.Errorf("reassign expired: %v", err)
	}
	list, err := st.TasksOfActivation(ctx, "a-t-sec")
	if err != nil || len(list) != 2 {
		t.Errorf("tasks of activation %+v %v", list, err)
	}
}

// A rescheduled task keeps its place in the inbox and the sweep by its new deadline, may be
// decided until then, and a task that is no longer open is not rescheduled.
func TestRescheduleMovesTheDeadlineOfAnOpenTaskOnly(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	now := clk.Now()
	early := newTask("resched-early", domain.RoleSecurity, 50, now.Add(time.Hour), "HT")
	late := newTask("resched-late", domain.RoleSecurity, 50, now.Add(2*time.Hour), "HT")
	for _, task := range []domain.ApprovalTask{early, late} {
		if _, err := st.CreateTask(ctx, task, "token-"+task.ID); err != nil {
			t.Fatal(err)
		}
	}
	moved, err := st.RescheduleTask(ctx, early.ID, now.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !moved.Deadline.Equal(now.Add(3*time.Hour)) || moved.Status != domain.TaskOpen {
		t.Fatalf("rescheduled task %+v", moved)
	}
	if stored, _ := st.GetTask(ctx, early.ID); !stored.Deadline.Equal(now.Add(3 * time.Hour)) {
		t.Fatalf("stored deadline %s", stored.Deadline)
	}
	if token, _ := st.TaskToken(ctx, early.ID); token != "token-"+early.ID {
		t.Fatalf("the token changed: %q", token)
	}
	page, err := st.ListTasks(ctx, store.TaskQuery{Role: domain.RoleSecurity, Status: domain.TaskOpen})
	if err != nil || len(page.Items) != 2 || page.Items[0].ID != late.ID {
		t.Fatalf("the inbox after the reschedule: %+v (%v)", page.Items, err)
	}
	due, err := st.DueTasks(ctx, now.Add(150*time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].ID != late.ID {
		t.Fatalf("due tasks %+v (%v)", due, err)
	}
	// Past its first deadline, the task may still be decided: the deadline is the new one.
	clk.Advance(2 * time.Hour)
	if _, _, err := st.Decide(ctx, early.ID, domain.Decision{Outcome: domain.Approve, ActorID: "security-1", Role: domain.RoleSecurity}); err != nil {
		t.Fatalf("deciding before the new deadline: %v", err)
	}
	_, err = st.RescheduleTask(ctx, early.ID, now.Add(10*time.Hour))
	var notOpen *domain.TaskNotOpen
	if !errors.As(err, &notOpen) || notOpen.Status != domain.TaskDecided {
		t.Fatalf("rescheduling a decided task: %v", err)
	}
	if stored, _ := st.GetTask(ctx, early.ID); !stored.Deadline.Equal(now.Add(3 * time.Hour)) {
		t.Fatalf("a refused reschedule moved the deadline to %s", stored.Deadline)
	}
	if _, err := st.RescheduleTask(ctx, "no-such-task", now); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("rescheduling a missing task: %v", err)
	}
	if _, err := st.RescheduleTask(ctx, late.ID, time.Time{}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("rescheduling without a deadline: %v", err)
	}
}
