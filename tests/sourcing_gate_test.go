package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// hr approves the sourcing task before anyone who can take the profile is on the roster: the
// approval is refused (409 no-match naming the profile, the activation and why the closest
// experts do not fit), nothing is decided and the workflow still waits; hr adds a consultant
// who fits first with the wrong languages (still refused), then one who fits, approves again,
// and the workflow books the consultant and the activation reaches ACTIVE.
func TestASourcingApprovalIsRefusedUntilSomebodyOnTheRosterFits(t *testing.T) {
	h := start(t)
	a := h.create("office-ke", h.request("KE", "Mombasa", 1_000_000, h.english(), h.russian()))
	h.mustDecide("security-1", h.waitTask("security-1", a.ID, domain.KindSecurityClearance).ID, domain.Approve, "Coastal road open.")
	sourcing := h.waitTask("hr-1", a.ID, domain.KindExpertSourcing)

	refusal := func(what string) api.Problem {
		t.Helper()
		status, body := h.decide("hr-1", sourcing.ID, domain.Approve, "Consultant contracted.")
		p := decode[api.Problem](t, body)
		if status != http.StatusConflict || !strings.HasSuffix(p.Type, "/no-match") {
			t.Fatalf("approval %s: %d %s", what, status, body)
		}
		if !strings.Contains(p.Detail, "profile 1 of activation "+a.ID) || !strings.Contains(p.Detail, string(domain.EmploymentIntensiveInvestment)) ||
			!strings.Contains(p.Detail, "speaking ru") || len(p.Errors) == 0 {
			t.Fatalf("approval %s does not name the profile and the closest experts: %s", what, body)
		}
		return p
	}
	p := refusal("with the seed roster")
	// The seed's Russian speakers are in the area and speak Russian but have basic training only:
	// they are the closest, and the reason is the training the level needs.
	if !strings.Contains(p.Errors[0].Reason, "needs advanced security training") {
		t.Errorf("the closest expert's reason: %+v", p.Errors)
	}
	// Nothing was decided: the task is open and the activation waits.
	if tasks := h.openTasks("hr-1", a.ID); len(tasks) != 1 || tasks[0].ID != sourcing.ID {
		t.Fatalf("open hr tasks after the refusal: %+v", tasks)
	}
	if got := h.activation("office-ke", a.ID); got.Status != domain.StatusAwaitingApproval {
		t.Fatalf("after the refusal, status %s reason %q", got.Status, got.Reason)
	}

	// A Russian-speaking consultant trained for the level, but whose training expires before the
	// deployment ends, does not fit either: now the closest, named first.
	expiring := api.ExpertInput{Name: "Jonas Berg", Employment: domain.Consultant, Areas: []domain.Area{domain.EmploymentIntensiveInvestment},
		Languages: []string{"ru", "en"}, Training: domain.SecurityTraining{Level: domain.TrainingAdvanced, Expires: h.day(25)}, HomeOffice: "KE"}
	if status, body := h.putExpert("hr-1", expiring, "consultant-81"); status != http.StatusCreated {
		t.Fatalf("hr adding an expert: %d %s", status, body)
	}
	p = refusal("with a consultant whose training expires")
	if p.Errors[0].Reason != "consultant-81: security training expires before the deployment ends" {
		t.Errorf("the closest expert's reason: %+v", p.Errors)
	}

	consultant := api.ExpertInput{Name: "Irina Volkova", Employment: domain.Consultant,
		Areas: []domain.Area{domain.EmploymentIntensiveInvestment}, Languages: []string{"ru", "en"},
		Training: domain.SecurityTraining{Level: domain.TrainingAdvanced, Expires: coverUntil}, HomeOffice: "KE"}
	if status, body := h.putExpert("hr-1", consultant, "consultant-12"); status != http.StatusCreated {
		t.Fatalf("hr adding an expert: %d %s", status, body)
	}
	for _, kind := range domain.CoverKinds {
		if status, body := h.putPolicy("hr-1", "consultant-12", kind); status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("hr adding %s cover: %d %s", kind, status, body)
		}
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
	if len(a.Deployments) != 2 || booked[1] != "consultant-12" {
		t.Fatalf("deployments %+v", a.Deployments)
	}
	if n := h.activeBookings()["consultant-81"]; n != 0 {
		t.Fatalf("the consultant who does not fit holds %d bookings", n)
	}
}
