package tests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// russian is a profile nobody in the seed roster can take at a level 3+ station: the two
// Russian speakers have only basic security training.
func (h *harness) russian() domain.Profile {
	return domain.Profile{Area: domain.EmploymentIntensiveInvestment, Languages: []string{"ru"}, StartDate: h.day(20), Days: 20}
}

// english is a profile the seed's staff experts take anywhere.
func (h *harness) english() domain.Profile {
	return domain.Profile{Area: domain.Gender, Languages: []string{"en"}, StartDate: h.day(20), Days: 20}
}

// coverUntil is the end of the policies the tests add: past every deployment they request.
const coverUntil domain.Date = "2031-12-31"

// putExpert adds or changes an expert through the admin API as the user, and returns the status.
func (h *harness) putExpert(user string, e api.ExpertInput, id string) (int, []byte) {
	h.tb.Helper()
	return h.as(user, http.MethodPut, "/experts/"+id, e)
}

// putPolicy adds an insurance policy through the admin API as the user.
func (h *harness) putPolicy(user, expertID string, kind domain.CoverKind) (int, []byte) {
	h.tb.Helper()
	return h.as(user, http.MethodPut, "/experts/"+expertID+"/policies/"+expertID+"-"+string(kind), api.PolicyInput{
		Kind: kind, Insurer: "Demo Mutual", ValidFrom: domain.DateOf(h.clock.Now()), ValidTo: coverUntil})
}

// timelineEntry is one expected history entry: its source, type, actor, and text its step or
// detail must contain ("" for any).
type timelineEntry struct {
	source, kind, actor, about string
}

func (e timelineEntry) String() string {
	return fmt.Sprintf("%s %s by %s about %q", e.source, e.kind, e.actor, e.about)
}

// history reads the activation's timeline as an auditor, checks that it is in time order and
// that every entry says when and who, and that it holds each expected entry in the order given
// among the entries of its source (the fake clock gives many entries of both sources the same
// time, so the order across sources is only the order of time).
func (h *harness) history(id string, want ...timelineEntry) []api.HistoryEvent {
	h.tb.Helper()
	status, body := h.as("auditor-1", http.MethodGet, "/activations/"+id+"/history", nil)
	if status != http.StatusOK {
		h.tb.Fatalf("history: %d %s", status, body)
	}
	items := decode[api.History](h.tb, body).Items
	var last time.Time
	for _, e := range items {
		if e.Time.IsZero() || e.Time.Before(last) || e.Actor == "" {
			h.tb.Fatalf("history entry out of order or without time or actor: %+v", e)
		}
		last = e.Time
	}
	for _, source := range []string{"audit", "workflow"} {
		var expected []timelineEntry
		for _, w := range want {
			if w.source == source {
				expected = append(expected, w)
			}
		}
		next := 0
		for _, e := range items {
			if next == len(expected) {
				break
			}
			w := expected[next]
			if e.Source != w.source || e.Type != w.kind || (w.actor != "" && e.Actor != w.actor) {
				continue
			}
			if w.about != "" && !strings.Contains(e.Step, w.about) && !strings.Contains(fmt.Sprint(e.Detail), w.about) {
				continue
			}
			next++
		}
		if next < len(expected) {
			var have []string
			for _, e := range items {
				if e.Source == source {
					have = append(have, fmt.Sprintf("%s %s %s by %s", e.Time.Format(time.RFC3339Nano), e.Type, e.Step, e.Actor))
				}
			}
			h.tb.Fatalf("the history lacks, in order, %s (after %v); its %s entries:\n%s", expected[next], expected[:next], source, strings.Join(have, "\n"))
		}
	}
	return items
}

// No expert in the roster matches a profile: an hr sourcing task opens; hr adds a matching
// consultant with their cover through the API (the people who source consultants keep the
// roster), approves, and the profile is booked with that consultant; the activation goes ACTIVE.
func TestNoExpertMatchesAnHRSourcingTaskAndAConsultantAddedThroughTheAPIIsBooked(t *testing.T) {
	h := start(t)
	fundBefore := h.fund()
	a := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000, h.english(), h.russian()))
	h.mustDecide("security-1", h.waitTask("security-1", a.ID, domain.KindSecurityClearance).ID, domain.Approve, "Coastal road open.")
	sourcing := h.waitTask("hr-1", a.ID, domain.KindExpertSourcing)
	if sourcing.Role != domain.RoleHR || sourcing.Summary.Detail["profile"] == nil || sourcing.Summary.Detail["shortage"] == nil {
		t.Fatalf("the sourcing task does not say what to source: %+v", sourcing)
	}
	if !contains(fmt.Sprint(sourcing.Summary.Detail["shortage"]), "NoExpertAvailable") {
		t.Fatalf("the sourcing task does not say why: %v", sourcing.Summary.Detail["shortage"])
	}
	// The profiles are staffed side by side (a Map): the English expert's booking and the
	// activation's move to AWAITING_APPROVAL (recorded just after the task is stored) may land in
	// either order after the sourcing task shows. Wait for both; the booking must be the only one.
	var got domain.Activation
	h.eventually("the other profile's booking and AWAITING_APPROVAL while sourcing", func() bool {
		got = h.activation("office-ke", a.ID)
		return len(got.Deployments) > 0 && got.Status == domain.StatusAwaitingApproval
	})
	if len(got.Deployments) != 1 || got.Deployments[0].ProfileIndex != 0 {
		t.Fatalf("while sourcing, status %s, deployments %+v", got.Status, got.Deployments)
	}

	// hr sources the consultant and records them and their cover itself; finance may not.
	consultant := api.ExpertInput{Name: "Irina Volkova", Employment: domain.Consultant,
		Areas: []domain.Area{domain.EmploymentIntensiveInvestment, domain.SkillsTraining}, Languages: []string{"ru", "en"},
		Training: domain.SecurityTraining{Level: domain.TrainingAdvanced, Expires: coverUntil}, HomeOffice: "KE"}
	if status, _ := h.putExpert("finance-1", consultant, "consultant-12"); status != http.StatusForbidden {
		t.Fatalf("finance adding an expert: %d", status)
	}
	if status, body := h.putExpert("hr-1", consultant, "consultant-12"); status != http.StatusCreated {
		t.Fatalf("hr adding an expert: %d %s", status, body)
	}
	for _, kind := range domain.CoverKinds {
		if status, body := h.putPolicy("hr-1", "consultant-12", kind); status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("hr adding %s cover: %d %s", kind, status, body)
		}
	}
	// The roster's trail says hr added them.
	status, body := h.as("auditor-1", http.MethodGet, "/audit?action=roster.expert_changed&limit=100", nil)
	if status != http.StatusOK || !contains(string(body), `"actor":"hr-1"`) || !contains(string(body), `"subject":"consultant-12"`) {
		t.Fatalf("the new expert is not audited as hr's: %d %s", status, body)
	}
	h.clock.Advance(time.Hour)
	h.mustDecide("hr-1", sourcing.ID, domain.Approve, "Irina Volkova contracted and added to the roster.")

	a = h.waitStatus("office-ke", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected, domain.StatusCancelled)
	if a.Status != domain.StatusActive {
		t.Fatalf("status %s reason %q", a.Status, a.Reason)
	}
	booked := map[int]string{}
	for _, d := range a.Deployments {
		booked[d.ProfileIndex] = d.ExpertID
	}
	if len(a.Deployments) != 2 || booked[1] != "consultant-12" || booked[0] == "" {
		t.Fatalf("deployments %+v", a.Deployments)
	}
	if n := h.activeBookings()["consultant-12"]; n != 1 {
		t.Fatalf("the sourced consultant holds %d bookings", n)
	}
	if after := h.fund(); fundBefore.Available-after.Available != 1_000_000 || after.Released-fundBefore.Released != 1_000_000 {
		t.Fatalf("fund %+v, before %+v", after, fundBefore)
	}
	if tasks := h.openTasks("hr-1", a.ID); len(tasks) != 0 {
		t.Fatalf("open hr tasks after activation: %+v", tasks)
	}
	h.history(a.ID,
		timelineEntry{"audit", "activation.requested", "office-ke", ""},
		timelineEntry{"audit", "task.decided", "security-1", "security_clearance"},
		timelineEntry{"workflow", "LambdaFunctionFailed", "", "BookExpert"},
		timelineEntry{"audit", "task.created", "system", "expert_sourcing"},
		timelineEntry{"audit", "task.decided", "hr-1", "expert_sourcing"},
		timelineEntry{"workflow", "TaskStateEntered", "", "BookSourcedExpert"},
		timelineEntry{"audit", "roster.booked", "system", "consultant-12"},
		timelineEntry{"audit", "step.completed", "system", "insurance"},
		timelineEntry{"audit", "activation.status_changed", "system", "ACTIVE"},
	)
}

// hr cannot source anyone and rejects the task: the activation ends REJECTED with the money back
// in the fund and the other profile's booking released.
func TestHRRejectingTheSourcingTaskEndsRejectedWithFundAndRosterRestored(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	a := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000, h.english(), h.russian()))
	h.mustDecide("security-1", h.waitTask("security-1", a.ID, domain.KindSecurityClearance).ID, domain.Approve, "")
	sourcing := h.waitTask("hr-1", a.ID, domain.KindExpertSourcing)
	// The other profile is staffed side by side with this one and may be booked just after the
	// task opens: wait for its booking, then it must be the only one held.
	var held int
	h.eventually("the other profile's booking while sourcing", func() bool {
		held = total(h.activeBookings())
		return held > total(bookingsBefore)
	})
	if held != total(bookingsBefore)+1 {
		t.Fatalf("%d bookings held while sourcing, %d before", held, total(bookingsBefore))
	}
	h.mustDecide("hr-1", sourcing.ID, domain.Reject, "No Russian-speaking consultant with advanced training is free.")
	a = h.waitStatus("office-ke", a.ID, domain.StatusRejected, domain.StatusFailed, domain.StatusCancelled, domain.StatusActive)
	if a.Status != domain.StatusRejected || !contains(a.Reason, "hr-1") || !contains(a.Reason, "Russian-speaking") {
		t.Fatalf("status %s reason %q", a.Status, a.Reason)
	}
	h.assertRestored(fundBefore, bookingsBefore)
	h.history(a.ID,
		timelineEntry{"audit", "activation.requested", "office-ke", ""},
		timelineEntry{"audit", "fund.reserved", "system", ""},
		timelineEntry{"audit", "task.created", "system", "expert_sourcing"},
		timelineEntry{"audit", "task.decided", "hr-1", "expert_sourcing"},
		timelineEntry{"workflow", "TaskStateEntered", "", "Compensate"},
		timelineEntry{"audit", "fund.reversed", "system", ""},
		timelineEntry{"audit", "roster.booking_cancelled", "system", ""},
		timelineEntry{"audit", "activation.status_changed", "system", "REJECTED"},
	)
	// The other profile's booking runs beside the sourcing task's creation (a Map), in either
	// order; it comes before hr's decision and is cancelled by the compensation.
	h.history(a.ID,
		timelineEntry{"audit", "roster.booked", "system", ""},
		timelineEntry{"audit", "task.decided", "hr-1", "expert_sourcing"},
		timelineEntry{"audit", "roster.booking_cancelled", "system", ""},
	)
}

// A deployee lacks malicious-acts cover at a level 3 station: an hr enrolment task opens. hr's
// approval before the policy is recorded is refused (409 cover-missing, naming the expert, the
// cover and the days) and changes nothing; hr records the policy through the API, approves, the
// cover is checked again and the activation goes ACTIVE.
func TestAnInsuranceGapAnHREnrolmentTaskAndAPolicyAddedThroughTheAPI(t *testing.T) {
	h := start(t)
	a := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000, h.portuguese()))
	h.mustDecide("security-1", h.waitTask("security-1", a.ID, domain.KindSecurityClearance).ID, domain.Approve, "")
	enrolment := h.waitTask("hr-1", a.ID, domain.KindInsuranceEnrolment)
	if !contains(fmt.Sprint(enrolment.Summary.Detail["missing"]), "malicious_acts") {
		t.Fatalf("the enrolment task does not say what is missing: %+v", enrolment.Summary.Detail)
	}
	waiting := h.activation("office-ke", a.ID)
	if len(waiting.Deployments) != 1 {
		t.Fatalf("deployments while enrolling: %+v", waiting.Deployments)
	}
	expert := waiting.Deployments[0].ExpertID
	if !strings.HasPrefix(expert, "consultant-0") {
		t.Fatalf("booked %s, not a Portuguese-speaking consultant", expert)
	}
	period := waiting.Deployments[0].Period

	// Approving before the policy is recorded would fail the activation at the second check:
	// the approval is refused, says what to record, and the task stays open.
	status, body := h.decide("hr-1", enrolment.ID, domain.Approve, "Enrolment sent to the insurer.")
	problem := decode[api.Problem](t, body)
	if status != http.StatusConflict || !strings.HasSuffix(problem.Type, "/cover-missing") {
		t.Fatalf("approval without the cover: %d %s", status, body)
	}
	for _, part := range []string{expert, "malicious_acts", fmt.Sprintf("%s to %s", period.Start, period.End), "record the policy"} {
		if !contains(problem.Detail, part) {
			t.Fatalf("the refusal does not say %q: %s", part, problem.Detail)
		}
	}
	if still := h.openTasks("hr-1", a.ID); len(still) != 1 || still[0].ID != enrolment.ID || still[0].Decision != nil {
		t.Fatalf("the refused approval changed the task: %+v", still)
	}
	if got := h.activation("office-ke", a.ID); got.Status != domain.StatusAwaitingApproval {
		t.Fatalf("status after the refused approval %s (%s)", got.Status, got.Reason)
	}

	// hr enrols the expert: it records the policy itself, as the task asks.
	if status, body := h.putPolicy("hr-1", expert, domain.CoverMaliciousActs); status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("hr adding the policy: %d %s", status, body)
	}
	h.clock.Advance(2 * time.Hour)
	h.mustDecide("hr-1", enrolment.ID, domain.Approve, "Enrolled in the malicious-acts scheme.")
	a = h.waitStatus("office-ke", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected, domain.StatusCancelled)
	if a.Status != domain.StatusActive || len(a.Deployments) != 1 || a.Deployments[0].ExpertID != expert {
		t.Fatalf("status %s reason %q deployments %+v", a.Status, a.Reason, a.Deployments)
	}
	h.history(a.ID,
		timelineEntry{"audit", "activation.requested", "office-ke", ""},
		timelineEntry{"audit", "roster.booked", "system", expert},
		timelineEntry{"audit", "step.failed", "system", "malicious_acts"},
		timelineEntry{"audit", "task.created", "system", "insurance_enrolment"},
		timelineEntry{"audit", "task.decided", "hr-1", "insurance_enrolment"},
		timelineEntry{"workflow", "TaskStateEntered", "", "RecheckCover"},
		timelineEntry{"audit", "step.completed", "system", "insurance"},
		timelineEntry{"audit", "activation.status_changed", "system", "ACTIVE"},
	)
	// The policy hr recorded is in the expert's own trail, with who recorded it.
	status, body = h.as("auditor-1", http.MethodGet, "/audit?action=roster.policy_changed&limit=100", nil)
	if status != http.StatusOK || !contains(string(body), `"actor":"hr-1"`) || !contains(string(body), expert+"/"+expert+"-malicious_acts") {
		t.Fatalf("the policy change is not audited as hr's: %d %s", status, body)
	}
}

// hr cannot enrol the expert and rejects the task: the activation ends REJECTED, with the money
// back in the fund and the booking released.
func TestHRRejectingTheEnrolmentEndsRejectedWithFundAndRosterRestored(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	a := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000, h.portuguese()))
	h.mustDecide("security-1", h.waitTask("security-1", a.ID, domain.KindSecurityClearance).ID, domain.Approve, "")
	h.mustDecide("hr-1", h.waitTask("hr-1", a.ID, domain.KindInsuranceEnrolment).ID, domain.Reject, "No insurer covers malicious acts there.")
	a = h.waitStatus("office-ke", a.ID, domain.StatusRejected, domain.StatusFailed, domain.StatusActive, domain.StatusCancelled)
	if a.Status != domain.StatusRejected || !contains(a.Reason, "hr-1") || !contains(a.Reason, "No insurer") {
		t.Fatalf("status %s reason %q", a.Status, a.Reason)
	}
	h.assertRestored(fundBefore, bookingsBefore)
}

// sanaa is a request for Sana'a (level 6) above the automatic release: finance must approve
// and senior management must override the denial.
func (h *harness) sanaa() domain.ActivationRequest {
	req := h.request("YE", "Sana'a", 10_000_000, domain.Profile{Area: domain.NeedsAssessment, Languages: []string{"en"},
		StartDate: h.day(15), Days: 15})
	req.CrisisType = domain.ArmedConflict
	return req
}

// justification is a written override of the level-6 denial, long enough for the rule.
const justification = "Mission-critical needs assessment requested by the UN Resident Coordinator; " +
	"movement under UNDSS escort, hardened accommodation in the compound, daily check-ins."

// At level 6 clearance is denied unless senior management overrides it: the override task
// opens beside finance's; an approval without a written justification is refused (400) and
// decides nothing; with one, and finance's approval, the activation goes ACTIVE, cleared by
// override.
func TestLevelSixNeedsASeniorManagementOverrideWithAJustification(t *testing.T) {
	h := start(t)
	a := h.create("office-ye", h.sanaa())
	override := h.waitTask("senior-1", a.ID, domain.KindSecurityOverride)
	finance := h.waitTask("finance-1", a.ID, domain.KindFundRelease)
	if override.Role != domain.RoleSeniorManagement {
		t.Fatalf("override task %+v", override)
	}
	for _, comment := range []string{"", "Approved.", strings.Repeat(" ", 60)} {
		status, body := h.decide("senior-1", override.ID, domain.Approve, comment)
		if status != http.StatusBadRequest || !contains(string(body), "comment") || !contains(string(body), "justification") {
			t.Fatalf("an override approved with comment %q: %d %s", comment, status, body)
		}
	}
	if still := h.openTasks("senior-1", a.ID); len(still) != 1 || still[0].ID != override.ID || still[0].Status != domain.TaskOpen {
		t.Fatalf("the refused approvals changed the task: %+v", still)
	}
	h.clock.Advance(time.Hour)
	h.mustDecide("finance-1", finance.ID, domain.Approve, "Within the envelope.")
	h.clock.Advance(time.Hour)
	h.mustDecide("senior-1", override.ID, domain.Approve, justification)
	a = h.waitStatus("office-ye", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected, domain.StatusCancelled)
	if a.Status != domain.StatusActive || len(a.Deployments) != 1 {
		t.Fatalf("status %s reason %q deployments %+v", a.Status, a.Reason, a.Deployments)
	}
	if c := a.Clearance; c == nil || c.Decision != domain.ClearedByOverride || c.Level != 6 || c.Override == nil ||
		c.Override.ActorID != "senior-1" || c.Override.Comment != justification {
		t.Fatalf("clearance %+v", a.Clearance)
	}
	items := h.history(a.ID,
		timelineEntry{"audit", "activation.requested", "office-ye", ""},
		timelineEntry{"audit", "step.completed", "system", "DENIED"},
		timelineEntry{"audit", "task.created", "system", "security_override"},
		timelineEntry{"audit", "task.decided", "finance-1", "fund_release"},
		timelineEntry{"audit", "task.decided", "senior-1", "security_override"},
		timelineEntry{"audit", "step.completed", "senior-1", "CLEARED_BY_OVERRIDE"},
		timelineEntry{"audit", "roster.booked", "system", ""},
		timelineEntry{"audit", "activation.status_changed", "system", "ACTIVE"},
	)
	// The override is the clearance step's, by the person who overrode, though the roster's
	// clearance gate applied it.
	var overrides []api.HistoryEvent
	for _, e := range items {
		if e.Source == "audit" && e.Type == "step.completed" && contains(fmt.Sprint(e.Detail), "CLEARED_BY_OVERRIDE") {
			overrides = append(overrides, e)
		}
	}
	if len(overrides) != 1 {
		t.Fatalf("%d override events: %+v", len(overrides), overrides)
	}
	recorded := overrides[0]
	detail, _ := recorded.Detail.(map[string]any)
	after, _ := detail["after"].(map[string]any)
	if recorded.Actor != "senior-1" || recorded.Step != "SecurityClearance" || detail["role"] != "senior-management" || detail["subject"] != "clearance" ||
		after["step"] != "clearance" || after["overriddenBy"] != "senior-1" || after["justification"] != justification || after["appliedIn"] != "BookExpert" {
		t.Fatalf("the override is recorded as %+v", recorded)
	}
}

// Senior management declines to override the level-6 denial: REJECTED, the reservation back in
// the fund, nobody booked, and finance's task can no longer be decided.
func TestLevelSixOverrideRejectedEndsRejected(t *testing.T) {
	h := start(t)
	fundBefore, bookingsBefore := h.fund(), h.activeBookings()
	a := h.create("office-ye", h.sanaa())
	override := h.waitTask("senior-1", a.ID, domain.KindSecurityOverride)
	finance := h.waitTask("finance-1", a.ID, domain.KindFundRelease)
	// A rejection needs no justification beyond the usual rules.
	h.mustDecide("senior-1", override.ID, domain.Reject, "The airport road is under fire; no movement this month.")
	a = h.waitStatus("office-ye", a.ID, domain.StatusRejected, domain.StatusFailed, domain.StatusCancelled, domain.StatusActive)
	if a.Status != domain.StatusRejected || !contains(a.Reason, "senior-1") || len(a.Deployments) != 0 {
		t.Fatalf("status %s reason %q deployments %+v", a.Status, a.Reason, a.Deployments)
	}
	if a.Clearance == nil || a.Clearance.Decision != domain.Denied {
		t.Fatalf("clearance %+v", a.Clearance)
	}
	h.assertRestored(fundBefore, bookingsBefore)
	if status, _ := h.decide("finance-1", finance.ID, domain.Approve, ""); status != http.StatusConflict {
		t.Fatalf("deciding finance's task after the rejection: %d", status)
	}
	h.history(a.ID,
		timelineEntry{"audit", "activation.requested", "office-ye", ""},
		timelineEntry{"audit", "task.created", "system", "security_override"},
		timelineEntry{"audit", "task.decided", "senior-1", "security_override"},
		timelineEntry{"audit", "fund.reversed", "system", ""},
		timelineEntry{"audit", "task.expired", "system", "fund_release"},
		timelineEntry{"audit", "activation.status_changed", "system", "REJECTED"},
	)
}
