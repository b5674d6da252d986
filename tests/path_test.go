package tests

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestAutoClearedSmallActivationGoesActiveWithNoHumanStep(t *testing.T) {
	h := start(t)
	fundBefore := h.fund()
	a := h.create("office-ke", h.request("KE", "Nairobi", 1_000_000))
	a = h.waitStatus("office-ke", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected)
	if a.Status != domain.StatusActive {
		t.Fatalf("status %s, reason %q", a.Status, a.Reason)
	}
	if a.Clearance == nil || a.Clearance.Decision != domain.AutoCleared || len(a.Deployments) != 1 || a.EndDate == "" {
		t.Fatalf("activation = %+v", a)
	}
	for _, user := range []string{"security-1", "finance-1", "hr-1", "senior-1"} {
		if tasks := h.openTasks(user, a.ID); len(tasks) != 0 {
			t.Fatalf("%s has %d tasks for an auto-cleared activation", user, len(tasks))
		}
	}
	after := h.fund()
	if fundBefore.Available-after.Available != 1_000_000 || after.Released-fundBefore.Released != 1_000_000 || after.Reserved != fundBefore.Reserved {
		t.Fatalf("fund %+v, before %+v", after, fundBefore)
	}
	for _, step := range []string{"assess", "clearance", "reserve", "release", "roster", "insurance", "activate"} {
		found := false
		for _, s := range a.Steps {
			found = found || (s.Name == step && s.Status == "succeeded" && !s.At.IsZero())
		}
		if !found {
			t.Errorf("no succeeded %s step in %+v", step, a.Steps)
		}
	}

	// The history shows every step with who and when, the workflow's events and the audit trail.
	status, body := h.as("auditor-1", http.MethodGet, "/activations/"+a.ID+"/history", nil)
	if status != http.StatusOK {
		t.Fatalf("history: %d %s", status, body)
	}
	history := decode[api.History](t, body)
	actors := map[string]bool{}
	var workflowEvents int
	var last time.Time
	for _, e := range history.Items {
		if e.Time.Before(last) || e.Time.IsZero() || e.Actor == "" {
			t.Fatalf("history entry out of order or without time or actor: %+v", e)
		}
		last = e.Time
		if e.Source == "workflow" {
			workflowEvents++
		}
		if e.Source == "audit" {
			actors[e.Actor+"/"+e.Type] = true
		}
	}
	for _, want := range []string{"office-ke/activation.requested", "system/activation.status_changed", "system/step.completed",
		"system/fund.reserved", "system/fund.released", "system/roster.booked"} {
		if !actors[want] {
			t.Errorf("history lacks %s; has %v", want, actors)
		}
	}
	if workflowEvents < 10 {
		t.Errorf("history has %d workflow events", workflowEvents)
	}
}

func TestLevelFourLargeAmountWaitsForSecurityFinanceAndSeniorManagement(t *testing.T) {
	h := start(t)
	req := h.request("HT", "Port-au-Prince", 30_000_000, domain.Profile{Area: "employment_intensive_investment",
		Languages: []string{"fr"}, StartDate: h.day(20), Days: 45})
	a := h.create("office-ht", req)
	security := h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	finance := h.waitTask("finance-1", a.ID, domain.KindFundRelease)
	senior := h.waitTask("senior-1", a.ID, domain.KindSeniorFundRelease)
	if got := h.waitStatus("office-ht", a.ID, domain.StatusAwaitingApproval); len(got.Deployments) != 0 {
		t.Fatalf("experts booked before the approvals: %+v", got.Deployments)
	}
	if security.Deadline.Sub(h.clock.Now()) > 24*time.Hour || security.Summary.DutyStation != "Port-au-Prince" || security.TimeLeftSeconds <= 0 {
		t.Fatalf("security task %+v", security)
	}

	// Refusals: the requester, another office, an auditor, a person with two roles on their own
	// request, an approver of the wrong role.
	if status, _ := h.decide("office-ht", security.ID, domain.Approve, ""); status != http.StatusForbidden {
		t.Fatalf("the requesting office deciding: %d", status)
	}
	if status, _ := h.as("office-ke", http.MethodGet, "/activations/"+a.ID, nil); status != http.StatusNotFound {
		t.Fatalf("another office reading: %d", status)
	}
	if status, _ := h.decide("auditor-1", finance.ID, domain.Approve, ""); status != http.StatusForbidden {
		t.Fatalf("an auditor deciding: %d", status)
	}
	if status, _ := h.as("auditor-1", http.MethodPost, "/activations", req); status != http.StatusForbidden {
		t.Fatalf("an auditor requesting: %d", status)
	}
	if status, _ := h.as("auditor-1", http.MethodPost, "/activations/"+a.ID+"/cancel", nil); status != http.StatusForbidden && status != http.StatusNotFound {
		t.Fatalf("an auditor cancelling: %d", status)
	}
	if status, _ := h.decide("hr-1", security.ID, domain.Approve, ""); status != http.StatusForbidden {
		t.Fatalf("hr deciding a security task: %d", status)
	}

	h.mustDecide("security-1", security.ID, domain.Approve, "Movement plan agreed with the security cell.")
	h.mustDecide("finance-1", finance.ID, domain.Approve, "Within the fund's envelope.")
	// Four eyes: the finance approver cannot give the second approval (wrong role anyway), and
	// a second decision on a decided task is a conflict.
	if status, _ := h.decide("finance-1", finance.ID, domain.Approve, "again"); status != http.StatusConflict {
		t.Fatalf("a second decision: %d", status)
	}
	if status, _ := h.decide("finance-2", finance.ID, domain.Reject, "late"); status != http.StatusConflict {
		t.Fatalf("a second decision by someone else: %d", status)
	}
	h.mustDecide("senior-1", senior.ID, domain.Approve, "Second approval above the threshold.")
	a = h.waitStatus("office-ht", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected)
	if a.Status != domain.StatusActive || len(a.Deployments) != 1 {
		t.Fatalf("status %s reason %q deployments %+v", a.Status, a.Reason, a.Deployments)
	}
}

func TestSelfApprovalIsRefused(t *testing.T) {
	h := start(t)
	// A person who is both a country office and a finance approver: their own request's finance
	// task is not theirs to decide.
	token, err := h.sys.Issuer.Mint(auth.User{Username: "dual-ht", Roles: []auth.Role{auth.CountryOffice, auth.Finance}, Office: "HT"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	status, body := h.call(http.MethodPost, "/activations", token, h.request("HT", "Cap-Haïtien", 10_000_000, domain.Profile{
		Area: "skills_training", Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}), nil)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	a := decode[domain.Activation](t, body)
	finance := h.waitTask("finance-1", a.ID, domain.KindFundRelease)
	status, body = h.call(http.MethodPost, "/tasks/"+finance.ID+"/decision", token, api.DecisionRequest{Decision: domain.Approve}, nil)
	if status != http.StatusForbidden {
		t.Fatalf("self-approval: %d %s", status, body)
	}
	// security-2 works in the Kenya office: not on Kenya's requests.
	k := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000))
	task := h.waitTask("security-2", k.ID, domain.KindSecurityClearance)
	if status, _ := h.decide("security-2", task.ID, domain.Approve, ""); status != http.StatusForbidden {
		t.Fatalf("own-office approval: %d", status)
	}
}

func TestRejectionEndsRejectedWithTheFundRestored(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	a := h.create("office-ht", h.request("HT", "Port-au-Prince", 10_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	security := h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	finance := h.waitTask("finance-1", a.ID, domain.KindFundRelease)
	if reserved := h.fund(); fundBefore.Available-reserved.Available != 10_000_000 {
		t.Fatalf("not reserved while waiting: %+v", reserved)
	}
	h.mustDecide("security-1", security.ID, domain.Reject, "The route from the airport is closed.")
	a = h.waitStatus("office-ht", a.ID, domain.StatusRejected, domain.StatusFailed, domain.StatusCancelled)
	// The reason says what was decided, in words, by whom and why.
	if want := "ApprovalRejected: rejected by security-1 (security): The route from the airport is closed."; a.Status != domain.StatusRejected || a.Reason != want {
		t.Fatalf("status %s reason %q, want %q", a.Status, a.Reason, want)
	}
	h.assertRestored(fundBefore, bookingsBefore)
	// The other approval can no longer be given.
	if status, _ := h.decide("finance-1", finance.ID, domain.Approve, ""); status != http.StatusConflict {
		t.Fatalf("deciding a task of a rejected activation: %d", status)
	}
}

// portuguese is a profile only consultants without malicious-acts cover can take.
func (h *harness) portuguese() domain.Profile {
	return domain.Profile{Area: domain.Areas[0], Languages: []string{"pt"}, StartDate: h.day(20), Days: 20}
}

func TestMissingInsuranceFailsAtTheEnrolmentDeadlineAndRestoresEverything(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	a := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000, h.portuguese()))
	h.mustDecide("security-1", h.waitTask("security-1", a.ID, domain.KindSecurityClearance).ID, domain.Approve, "")
	enrolment := h.waitTask("hr-1", a.ID, domain.KindInsuranceEnrolment)
	if enrolment.Summary.Detail["booking"] == nil {
		t.Fatalf("the enrolment task does not say whom: %+v", enrolment.Summary)
	}
	booked := h.activeBookings()
	total := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	if total(booked) != total(bookingsBefore)+1 {
		t.Fatalf("bookings while waiting for the enrolment: %d, before %d", total(booked), total(bookingsBefore))
	}
	h.clock.Advance(48 * time.Hour)
	escalated := h.waitTask("senior-1", a.ID, domain.KindInsuranceEnrolment)
	if escalated.EscalationLevel != 1 {
		t.Fatalf("escalated task %+v", escalated)
	}
	h.clock.Advance(24 * time.Hour)
	a = h.waitStatus("office-ke", a.ID, domain.StatusFailed, domain.StatusRejected, domain.StatusCancelled, domain.StatusActive)
	if a.Status != domain.StatusFailed || !contains(a.Reason, "ApprovalTimedOut") {
		t.Fatalf("status %s reason %q", a.Status, a.Reason)
	}
	h.assertRestored(fundBefore, bookingsBefore)
}

func TestCancellationEndsCancelledWithFundAndBookingsRestored(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	a := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000, h.portuguese(),
		domain.Profile{Area: "gender", Languages: []string{"en"}, StartDate: h.day(20), Days: 20}))
	h.mustDecide("security-1", h.waitTask("security-1", a.ID, domain.KindSecurityClearance).ID, domain.Approve, "")
	h.waitTask("hr-1", a.ID, domain.KindInsuranceEnrolment)
	status, body := h.as("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", api.CancelRequest{Reason: "The floods receded."})
	if status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", status, body)
	}
	a = h.waitStatus("office-ke", a.ID, domain.StatusCancelled, domain.StatusFailed, domain.StatusRejected, domain.StatusActive)
	if a.Status != domain.StatusCancelled || len(a.Deployments) != 2 {
		t.Fatalf("status %s reason %q deployments %d", a.Status, a.Reason, len(a.Deployments))
	}
	h.assertRestored(fundBefore, bookingsBefore)
	if tasks := h.openTasks("hr-1", a.ID); len(tasks) != 0 {
		t.Fatalf("open tasks after the cancellation: %+v", tasks)
	}
	if status, _ := h.as("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", nil); status != http.StatusConflict {
		t.Fatalf("cancelling a cancelled activation: %d", status)
	}
}

func TestRetriedPostWithTheSameIdempotencyKeyMakesOneActivation(t *testing.T) {
	h := start(t)
	req := h.request("KE", "Nairobi", 500_000)
	token := h.token("office-ke")
	headers := map[string]string{api.IdempotencyHeader: "retry-7f3a"}
	status1, body1 := h.call(http.MethodPost, "/activations", token, req, headers)
	status2, body2 := h.call(http.MethodPost, "/activations", token, req, headers)
	if status1 != http.StatusCreated || status2 != http.StatusOK {
		t.Fatalf("statuses %d then %d", status1, status2)
	}
	first, second := decode[domain.Activation](t, body1), decode[domain.Activation](t, body2)
	if first.ID != second.ID {
		t.Fatalf("two activations: %s and %s", first.ID, second.ID)
	}
	h.waitStatus("office-ke", first.ID, domain.StatusActive)
	status, body := h.as("office-ke", http.MethodGet, "/activations", nil)
	if status != http.StatusOK {
		t.Fatal(status)
	}
	if list := decode[api.ActivationList](t, body); len(list.Items) != 1 {
		t.Fatalf("%d activations listed", len(list.Items))
	}
	// One workflow execution, asked of the local Step Functions endpoint as any sfn client would.
	executions, err := sfn.NewFromConfig(h.sys.AWS).ListExecutions(context.Background(), &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(h.sys.StateMachineARN)})
	if err != nil || len(executions.Executions) != 1 {
		t.Fatalf("executions %+v (%v)", executions, err)
	}
}

func TestEscalationAtTheFirstDeadline(t *testing.T) {
	h := start(t)
	a := h.create("office-ht", h.request("HT", "Cap-Haïtien", 1_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	first := h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	h.clock.Advance(24 * time.Hour)
	escalated := h.waitTask("senior-1", a.ID, domain.KindSecurityClearance)
	if escalated.Role != domain.RoleSeniorManagement || escalated.PreviousTaskID != first.ID {
		t.Fatalf("escalated %+v", escalated)
	}
	if status, body := h.decide("security-1", first.ID, domain.Approve, "too late"); status != http.StatusConflict {
		t.Fatalf("the first approver after the escalation: %d %s", status, body)
	}
	h.mustDecide("senior-1", escalated.ID, domain.Approve, "Cleared on escalation.")
	a = h.waitStatus("office-ht", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected)
	if a.Status != domain.StatusActive {
		t.Fatalf("status %s reason %q", a.Status, a.Reason)
	}
}

func TestExpiryAtTheSecondDeadlineCompensates(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	a := h.create("office-ht", h.request("HT", "Cap-Haïtien", 10_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	h.mustDecide("finance-1", h.waitTask("finance-1", a.ID, domain.KindFundRelease).ID, domain.Approve, "")
	h.clock.Advance(24 * time.Hour)
	h.waitTask("senior-1", a.ID, domain.KindSecurityClearance)
	h.clock.Advance(24 * time.Hour)
	a = h.waitStatus("office-ht", a.ID, domain.StatusFailed, domain.StatusActive, domain.StatusRejected)
	if a.Status != domain.StatusFailed || !contains(a.Reason, "ApprovalTimedOut") {
		t.Fatalf("status %s reason %q", a.Status, a.Reason)
	}
	h.assertRestored(fundBefore, bookingsBefore)
	if tasks := h.openTasks("senior-1", a.ID); len(tasks) != 0 {
		t.Fatalf("open tasks after expiry: %+v", tasks)
	}
}
