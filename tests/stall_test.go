package tests

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// retries is how often every Task retries a TransientError (MaxAttempts): a step fails for good
// after 1 + retries attempts.
const retries = 4

// compensationRetries is how often Compensate retries any error.
const compensationRetries = 6

// view reads the activation with its workflow's status.
func (h *harness) view(user, id string) api.ActivationView {
	h.tb.Helper()
	status, body := h.as(user, http.MethodGet, "/activations/"+id, nil)
	if status != http.StatusOK {
		h.tb.Fatalf("GET /activations/%s as %s: %d %s", id, user, status, body)
	}
	return decode[api.ActivationView](h.tb, body)
}

// waitStalled waits until the activation's workflow has stopped at a step.
func (h *harness) waitStalled(id string) api.ActivationView {
	h.tb.Helper()
	var v api.ActivationView
	h.eventually("the workflow of "+id+" to stop", func() bool {
		v = h.view("admin-1", id)
		return v.Workflow != nil && v.Workflow.Stalled
	})
	return v
}

// workflowHas reports whether the activation's workflow history has an event of the type in
// the state (a TaskStateExited: the Task completed; an aborted state has no exit).
func (h *harness) workflowHas(id string, typ sfntypes.HistoryEventType, state string) bool {
	status, body := h.as("auditor-1", http.MethodGet, "/activations/"+id+"/history", nil)
	if status != http.StatusOK {
		return false
	}
	var history api.History
	if json.Unmarshal(body, &history) != nil {
		return false
	}
	for _, e := range history.Items {
		if e.Source == "workflow" && e.Type == string(typ) && e.Step == state {
			return true
		}
	}
	return false
}

// waitWorkflow waits until the activation's workflow has the status.
func (h *harness) waitWorkflow(id, status string) *api.WorkflowStatus {
	h.tb.Helper()
	var v api.ActivationView
	h.eventually("the workflow of "+id+" to be "+status, func() bool {
		v = h.view("admin-1", id)
		return v.Workflow != nil && v.Workflow.Status == status
	})
	return v.Workflow
}

// auditActions lists the activation's audit trail, oldest first.
func (h *harness) auditActions(id string) []audit.Event {
	h.tb.Helper()
	status, body := h.as("auditor-1", http.MethodGet, "/audit?limit=100&activationId="+id, nil)
	if status != http.StatusOK {
		h.tb.Fatalf("GET /audit: %d %s", status, body)
	}
	return decode[api.AuditList](h.tb, body).Items
}

func (h *harness) redrives(id string) []audit.Event {
	var out []audit.Event
	for _, e := range h.auditActions(id) {
		if e.Action == audit.ActionRedrive {
			out = append(out, e)
		}
	}
	return out
}

func (h *harness) twoProfiles() domain.ActivationRequest {
	return h.request("KE", "Nairobi", 1_000_000,
		domain.Profile{Area: "skills_training", Languages: []string{"en"}, StartDate: h.day(30), Days: 30},
		domain.Profile{Area: "gender", Languages: []string{"en"}, StartDate: h.day(30), Days: 20})
}

func total(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// A step whose table keeps throttling beyond its retries stops the workflow at that step: the
// activation keeps its money and its bookings, shows that its workflow stopped, and the
// admin's redrive runs the failed step again, and only it, to ACTIVE.
func TestATransientFailureBeyondItsRetriesStopsTheWorkflowAndARedriveCompletesIt(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	// The insurance check of the second profile fails on its first attempt and every retry,
	// once the first profile's iteration has completed (one still running when the Map fails
	// is aborted, and a redrive runs it again).
	var activationID atomic.Value
	activationID.Store("")
	h.faults.holdUntil("insurance", "CheckCover", func(item int) bool {
		id := activationID.Load().(string)
		return item != 1 || (id != "" && h.workflowHas(id, sfntypes.HistoryEventTypeMapIterationSucceeded, "Insurance"))
	})
	h.faults.failNext("insurance", "CheckCover", 1, 1+retries)
	a := h.create("office-ke", h.twoProfiles())
	activationID.Store(a.ID)

	stalled := h.waitStalled(a.ID)
	if w := stalled.Workflow; w.Status != "FAILED" || w.Error != "TransientError" || !contains(w.Cause, "injected fault") {
		t.Fatalf("workflow %+v", w)
	}
	if stalled.Status != domain.StatusInProgress || len(stalled.Deployments) != 2 || stalled.Reason != "" {
		t.Fatalf("the stalled activation is %s with %d deployments (reason %q)", stalled.Status, len(stalled.Deployments), stalled.Reason)
	}
	fund := h.fund()
	if fundBefore.Available-fund.Available != 1_000_000 || fund.Released-fundBefore.Released != 1_000_000 {
		t.Fatalf("the money went back while stalled: %+v, before %+v", fund, fundBefore)
	}
	if held := total(h.activeBookings()); held != total(bookingsBefore)+2 {
		t.Fatalf("%d bookings held while stalled, %d before", held, total(bookingsBefore))
	}
	// The office sees that its activation stopped (not the internal cause); nobody but an admin
	// may redrive it.
	if office := h.view("office-ke", a.ID); office.Workflow == nil || !office.Workflow.Stalled || office.Workflow.Cause != "" {
		t.Fatalf("the office's view %+v", office.Workflow)
	}
	for _, user := range []string{"office-ke", "auditor-1", "security-1"} {
		if status, _ := h.as(user, http.MethodPost, "/activations/"+a.ID+"/redrive", nil); status != http.StatusForbidden {
			t.Fatalf("%s redrives: %d", user, status)
		}
	}
	if got := h.faults.count("insurance", "CheckCover", 1); got != 1+retries {
		t.Fatalf("the failing check ran %d times, want %d", got, 1+retries)
	}

	status, body := h.as("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil)
	if status != http.StatusAccepted {
		t.Fatalf("redrive: %d %s", status, body)
	}
	a = h.waitStatus("office-ke", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusCancelled, domain.StatusRejected)
	if a.Status != domain.StatusActive {
		t.Fatalf("after the redrive: %s (%q)", a.Status, a.Reason)
	}
	// Only the failed step ran again; every step that had completed ran once.
	for _, c := range []struct {
		function, state string
		item, want      int
	}{
		{"assess", "Assess", anyItem, 1}, {"clearance", "SecurityClearance", anyItem, 1}, {"funds", "ReserveFunds", anyItem, 1},
		{"funds", "ReleaseFunds", anyItem, 1}, {"roster", "BookExpert", 0, 1}, {"roster", "BookExpert", 1, 1},
		{"insurance", "CheckCover", 0, 1}, {"insurance", "CheckCover", 1, 1 + retries + 1}, {"activate", "Activate", anyItem, 1},
		{"compensate", "Compensate", anyItem, 0},
	} {
		if got := h.faults.count(c.function, c.state, c.item); got != c.want {
			t.Errorf("%s in %s (item %d) ran %d times, want %d", c.function, c.state, c.item, got, c.want)
		}
	}
	if w := h.waitWorkflow(a.ID, "SUCCEEDED"); w.RedriveCount != 1 || w.Stalled {
		t.Fatalf("workflow after the redrive %+v", w)
	}
	fund = h.fund()
	if fundBefore.Available-fund.Available != 1_000_000 || fund.Released-fundBefore.Released != 1_000_000 || fund.Reserved != fundBefore.Reserved {
		t.Fatalf("fund %+v, before %+v", fund, fundBefore)
	}
	if redriven := h.redrives(a.ID); len(redriven) != 1 || redriven[0].Actor != "admin-1" || redriven[0].Role != "admin" {
		t.Fatalf("redrive audit events %+v", redriven)
	}
	if status, _ := h.as("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil); status != http.StatusConflict {
		t.Fatalf("redrive of a succeeded workflow: %d", status)
	}
}

// A stall inside the Parallel state: the redrive runs the failed branch again and keeps the one
// that completed.
func TestARedriveRunsOnlyTheFailedBranchAgain(t *testing.T) {
	h := start(t)
	// The reservation fails only once the clearance branch has completed in the workflow: a
	// branch still running when the other one fails is aborted, and a redrive runs it again.
	var activationID atomic.Value
	activationID.Store("")
	h.faults.holdUntil("funds", "ReserveFunds", func(int) bool {
		id := activationID.Load().(string)
		return id != "" && h.workflowHas(id, sfntypes.HistoryEventTypeTaskStateExited, "SecurityClearance")
	})
	h.faults.failNext("funds", "ReserveFunds", anyItem, 1+retries)
	a := h.create("office-ke", h.request("KE", "Nairobi", 1_000_000))
	activationID.Store(a.ID)
	if stalled := h.waitStalled(a.ID); stalled.Status != domain.StatusInProgress || stalled.Clearance == nil {
		t.Fatalf("stalled %s with clearance %+v", stalled.Status, stalled.Clearance)
	}
	if status, body := h.as("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil); status != http.StatusAccepted {
		t.Fatalf("redrive: %d %s", status, body)
	}
	if a = h.waitStatus("office-ke", a.ID, domain.StatusActive, domain.StatusFailed); a.Status != domain.StatusActive {
		t.Fatalf("after the redrive: %s (%q)", a.Status, a.Reason)
	}
	if clearance, reserve := h.faults.count("clearance", "SecurityClearance", anyItem), h.faults.count("funds", "ReserveFunds", anyItem); clearance != 1 || reserve != 1+retries+1 {
		t.Fatalf("clearance ran %d times, the reservation %d", clearance, reserve)
	}
}

// The office cancels a stalled activation: the cancellation redrives the workflow, the stopped
// step meets ActivationCancelled, and compensation restores the fund and the roster.
func TestCancellingAStalledActivationCompensatesIt(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	h.faults.failNext("insurance", "CheckCover", 1, 1+retries)
	a := h.create("office-ke", h.twoProfiles())
	h.waitStalled(a.ID)
	status, body := h.as("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", api.CancelRequest{Reason: "The roads reopened."})
	if status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", status, body)
	}
	a = h.waitStatus("office-ke", a.ID, domain.StatusCancelled, domain.StatusFailed, domain.StatusActive, domain.StatusRejected)
	if a.Status != domain.StatusCancelled || !contains(a.Reason, "ActivationCancelled") {
		t.Fatalf("status %s reason %q", a.Status, a.Reason)
	}
	h.assertRestored(fundBefore, bookingsBefore)
	if checks, compensations, activations := h.faults.count("insurance", "CheckCover", 1), h.faults.count("compensate", "Compensate", anyItem),
		h.faults.count("activate", "Activate", anyItem); checks != 1+retries+1 || compensations != 1 || activations != 0 {
		t.Fatalf("the stopped check ran %d times, compensation %d, activation %d", checks, compensations, activations)
	}
	if redriven := h.redrives(a.ID); len(redriven) != 1 || redriven[0].Actor != "office-ke" || !contains(string(redriven[0].After), "cancellation") {
		t.Fatalf("redrive audit events %+v", redriven)
	}
	if w := h.waitWorkflow(a.ID, "SUCCEEDED"); w.RedriveCount != 1 || w.Stalled {
		t.Fatalf("workflow after the cancellation %+v", w)
	}
}

// Compensation that keeps failing beyond its retries stops too, with the activation
// COMPENSATING and what it holds still held; a redrive finishes it.
func TestACompensationThatStopsIsRedrivenToItsEnd(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	h.faults.failNext("compensate", "Compensate", anyItem, 1+compensationRetries)
	a := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000))
	h.mustDecide("security-1", h.waitTask("security-1", a.ID, domain.KindSecurityClearance).ID, domain.Reject, "The port is closed.")

	stalled := h.waitStalled(a.ID)
	if stalled.Status != domain.StatusAwaitingApproval && stalled.Status != domain.StatusInProgress {
		t.Fatalf("the compensation's first attempts changed the activation: %s", stalled.Status)
	}
	if fund := h.fund(); fundBefore.Available-fund.Available != 1_000_000 {
		t.Fatalf("the money went back before compensation ran: %+v", fund)
	}
	// While it is stopped, the office's cancellation redrives it as well; here an admin does.
	status, body := h.as("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil)
	if status != http.StatusAccepted {
		t.Fatalf("redrive: %d %s", status, body)
	}
	a = h.waitStatus("office-ke", a.ID, domain.StatusRejected, domain.StatusFailed, domain.StatusCancelled, domain.StatusActive)
	if a.Status != domain.StatusRejected || !contains(a.Reason, "security-1") {
		t.Fatalf("status %s reason %q", a.Status, a.Reason)
	}
	h.assertRestored(fundBefore, bookingsBefore)
	if got := h.faults.count("compensate", "Compensate", anyItem); got != 1+compensationRetries+1 {
		t.Fatalf("compensation ran %d times", got)
	}
	if got := h.faults.count("clearance", "SecurityClearance", anyItem); got != 1 {
		t.Fatalf("clearance ran %d times", got)
	}
	if redriven := h.redrives(a.ID); len(redriven) != 1 || redriven[0].Actor != "admin-1" {
		t.Fatalf("redrive audit events %+v", redriven)
	}
}

// An approval given while the workflow is stalled at another approval stands: the approver is
// answered 200, and the redrive opens the decided task again, which answers the workflow with
// that decision; nobody decides twice, and the checks do not run again.
func TestAnApprovalGivenWhileStalledIsDeliveredByTheRedrive(t *testing.T) {
	h := start(t)
	// Opening the finance approval fails on its first attempt and every retry.
	h.faults.failNextOfKind("approvals", "ApprovalRequested", string(domain.KindFundRelease), 1+retries)
	a := h.create("office-ht", h.request("HT", "Port-au-Prince", 10_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	security := h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	stalled := h.waitStalled(a.ID)
	if stalled.Workflow.Error != "TransientError" {
		t.Fatalf("stalled %s, workflow %+v", stalled.Status, stalled.Workflow)
	}
	// The function that opened the security task records the wait after storing the task, and
	// may finish after the execution stopped (a Lambda call is not cancelled with its state).
	h.waitStatus("office-ht", a.ID, domain.StatusAwaitingApproval)
	// The security approver decides while the workflow is stopped: the decision is kept.
	h.mustDecide("security-1", security.ID, domain.Approve, "Convoy arranged.")
	if status, _ := h.decide("security-2", security.ID, domain.Approve, ""); status != http.StatusConflict {
		t.Fatalf("a second decision: %d", status)
	}

	if status, body := h.as("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil); status != http.StatusAccepted {
		t.Fatalf("redrive: %d %s", status, body)
	}
	finance := h.waitTask("finance-1", a.ID, domain.KindFundRelease)
	h.mustDecide("finance-1", finance.ID, domain.Approve, "Within the envelope.")
	if a = h.waitStatus("office-ht", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}
	for _, c := range []struct {
		kind string
		want int
	}{{string(domain.KindSecurityClearance), 2}, {string(domain.KindFundRelease), 1 + retries + 1}} {
		if got := h.faults.countOfKind("approvals", "ApprovalRequested", c.kind); got != c.want {
			t.Errorf("the %s approval was opened %d times, want %d", c.kind, got, c.want)
		}
	}
	if clearance, reserve := h.faults.count("clearance", "SecurityClearance", anyItem), h.faults.count("funds", "ReserveFunds", anyItem); clearance != 1 || reserve != 1 {
		t.Fatalf("clearance ran %d times, the reservation %d", clearance, reserve)
	}
	decided := 0
	for _, e := range h.auditActions(a.ID) {
		if e.Action == audit.ActionTaskDecided {
			decided++
		}
	}
	if decided != 2 {
		t.Fatalf("%d decisions recorded, want 2", decided)
	}
}
