package tests

import (
	"net/http"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// stallWithSecurityWaiting asks for a Port-au-Prince activation that needs security and finance,
// and makes the opening of the finance task fail beyond its retries: the Approvals Map fails and
// the execution stops while the security task waits. It returns the activation and the security
// task as first opened.
func (h *harness) stallWithSecurityWaiting() (domain.Activation, api.TaskView) {
	h.tb.Helper()
	h.faults.failNextOfKind("approvals", "ApprovalRequested", string(domain.KindFundRelease), 1+retries)
	a := h.create("office-ht", h.request("HT", "Port-au-Prince", 10_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(60), Days: 10}))
	security := h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	h.waitStalled(a.ID)
	return a, security
}

func (h *harness) redrive(id string) time.Time {
	h.tb.Helper()
	status, body := h.as("admin-1", http.MethodPost, "/activations/"+id+"/redrive", nil)
	if status != http.StatusAccepted {
		h.tb.Fatalf("redrive: %d %s", status, body)
	}
	return h.clock.Now()
}

// task reads one task as an auditor (every role's tasks, any status).
func (h *harness) task(activationID, taskID string) api.TaskView {
	h.tb.Helper()
	for _, role := range domain.ApproverRoles {
		status, body := h.as("auditor-1", http.MethodGet, "/tasks?limit=100&role="+string(role), nil)
		if status != http.StatusOK {
			h.tb.Fatalf("GET /tasks: %d %s", status, body)
		}
		for _, t := range decode[api.TaskList](h.tb, body).Items {
			if t.ID == taskID && t.ActivationID == activationID {
				return t
			}
		}
	}
	h.tb.Fatalf("no task %s", taskID)
	return api.TaskView{}
}

// A redrive within the task's deadline: the redriven wait lasts its whole timeout from the
// redrive, and the task's deadline moves with it, so that the approver may decide past the first
// deadline for as long as the workflow waits, and the workflow escalates exactly when the API
// stops accepting decisions.
func TestARedriveWithinTheDeadlineMovesTheTaskDeadlineToTheNewWait(t *testing.T) {
	h := start(t)
	a, security := h.stallWithSecurityWaiting()
	firstDeadline := security.Deadline
	h.clock.Advance(20 * time.Hour)
	redriven := h.redrive(a.ID)
	newDeadline := redriven.Add(24 * time.Hour)

	finance := h.waitTask("finance-1", a.ID, domain.KindFundRelease)
	if !finance.Deadline.Equal(newDeadline) {
		t.Fatalf("finance's task, opened by the redrive, is due %s, want %s", finance.Deadline, newDeadline)
	}
	h.eventually("the security task's deadline to follow the redriven wait", func() bool {
		return h.task(a.ID, security.ID).Deadline.Equal(newDeadline)
	})
	if got := h.task(a.ID, security.ID); got.Status != domain.TaskOpen || got.TimeLeftSeconds != int64(24*time.Hour/time.Second) {
		t.Fatalf("the security task after the redrive: %+v", got)
	}

	// Past the first deadline, before the new one: the workflow still waits, and the API takes
	// the decision.
	h.clock.Advance(23 * time.Hour)
	if !h.clock.Now().After(firstDeadline) {
		t.Fatal("the test should be past the first deadline")
	}
	if tasks := h.openTasks("senior-1", a.ID); len(tasks) != 0 {
		t.Fatalf("escalated before the redriven wait ended: %+v", tasks)
	}
	h.mustDecide("security-1", security.ID, domain.Approve, "Convoy arranged with the mission.")

	// Finance does not decide: at the new deadline the workflow escalates, and the API refuses
	// finance's late decision.
	h.clock.Advance(time.Hour)
	escalated := h.waitTask("senior-1", a.ID, domain.KindFundRelease)
	if escalated.PreviousTaskID != finance.ID || escalated.EscalationLevel != 1 {
		t.Fatalf("escalated task %+v", escalated)
	}
	if status, body := h.decide("finance-1", finance.ID, domain.Approve, "late"); status != http.StatusConflict {
		t.Fatalf("finance after the escalation: %d %s", status, body)
	}
	h.mustDecide("senior-1", escalated.ID, domain.Approve, "Released on escalation.")
	if a = h.waitStatus("office-ht", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}
	// The API records the redrive once RedriveExecution has answered (with its date); by then
	// the redriven workflow may have rescheduled the task: the two are in either order.
	h.history(a.ID,
		timelineEntry{"audit", "task.created", "system", security.ID},
		timelineEntry{"audit", "activation.redriven", "admin-1", ""},
		timelineEntry{"audit", "task.decided", "security-1", security.ID},
	)
	h.history(a.ID,
		timelineEntry{"audit", "task.created", "system", security.ID},
		timelineEntry{"audit", "task.rescheduled", "system", security.ID},
		timelineEntry{"audit", "task.decided", "security-1", security.ID},
		timelineEntry{"audit", "task.escalated", "system", finance.ID},
		timelineEntry{"audit", "task.decided", "senior-1", escalated.ID},
		timelineEntry{"audit", "activation.status_changed", "system", "ACTIVE"},
	)
}

// A redrive after the task's deadline passed: the approver can no longer decide (the API says
// so while the workflow is stopped), and the redriven wait does not wait a whole new period for
// a decision nobody may give: the task is escalated at once, with its own new deadline.
func TestARedriveAfterTheDeadlineEscalatesAtOnce(t *testing.T) {
	h := start(t)
	a, security := h.stallWithSecurityWaiting()
	h.clock.Advance(30 * time.Hour)
	if status, body := h.decide("security-1", security.ID, domain.Approve, "late"); status != http.StatusConflict {
		t.Fatalf("a decision past the deadline while stalled: %d %s", status, body)
	}
	redriven := h.redrive(a.ID)

	escalated := h.waitTask("senior-1", a.ID, domain.KindSecurityClearance)
	if escalated.PreviousTaskID != security.ID || escalated.EscalationLevel != 1 || !escalated.Deadline.Equal(redriven.Add(24*time.Hour)) {
		t.Fatalf("escalated task %+v, redriven at %s", escalated, redriven)
	}
	if !h.clock.Now().Equal(redriven) {
		t.Fatalf("the clock moved from %s to %s: the escalation waited", redriven, h.clock.Now())
	}
	if got := h.task(a.ID, security.ID); got.Status != domain.TaskEscalated {
		t.Fatalf("the first task is %s", got.Status)
	}
	if status, _ := h.decide("security-1", security.ID, domain.Approve, "later still"); status != http.StatusConflict {
		t.Fatalf("the first approver after the escalation: %d", status)
	}
	h.mustDecide("senior-1", escalated.ID, domain.Approve, "Cleared on escalation.")
	h.mustDecide("finance-1", h.waitTask("finance-1", a.ID, domain.KindFundRelease).ID, domain.Approve, "Within the envelope.")
	if a = h.waitStatus("office-ht", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}
	// The redrive's audit event and the escalation it causes are in either order (above).
	h.history(a.ID,
		timelineEntry{"audit", "task.created", "system", security.ID},
		timelineEntry{"audit", "activation.redriven", "admin-1", ""},
		timelineEntry{"audit", "task.decided", "senior-1", escalated.ID},
	)
	h.history(a.ID,
		timelineEntry{"audit", "task.created", "system", security.ID},
		timelineEntry{"audit", "task.escalated", "system", security.ID},
		timelineEntry{"audit", "task.decided", "senior-1", escalated.ID},
		timelineEntry{"workflow", "ExecutionRedriven", "", ""},
		timelineEntry{"workflow", "TaskFailed", "", "ApprovalDeadlinePassed"},
		timelineEntry{"workflow", "TaskStateEntered", "", "ApprovalEscalated"},
	)
}
