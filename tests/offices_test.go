package tests

import (
	"net/http"
	"testing"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// A country office requests for its own country only: the Kenya office asking for Haiti is
// refused with 403, the problem says why and names the country field, and nothing is stored,
// not even the Idempotency-Key, which the same office then uses for a request of its own.
func TestACountryOfficeRequestsForItsOwnCountryOnly(t *testing.T) {
	h := start(t)
	token := h.token("office-ke")
	key := map[string]string{api.IdempotencyHeader: "ke-haiti-1"}
	status, body := h.call(http.MethodPost, "/activations", token, h.request("HT", "Port-au-Prince", 1_000_000), key)
	problem := decode[api.Problem](t, body)
	if status != http.StatusForbidden || problem.Type != api.ProblemForbidden.Type() {
		t.Fatalf("office-ke asking for HT: %d %s", status, body)
	}
	for _, part := range []string{"KE", "HT", "central task team", "HQ"} {
		if !contains(problem.Detail, part) {
			t.Fatalf("the refusal does not say %q: %s", part, problem.Detail)
		}
	}
	if len(problem.Errors) != 1 || problem.Errors[0].Field != "country" {
		t.Fatalf("the refusal does not name the country field: %+v", problem.Errors)
	}
	status, body = h.as("auditor-1", http.MethodGet, "/activations", nil)
	if list := decode[api.ActivationList](t, body); status != http.StatusOK || len(list.Items) != 0 {
		t.Fatalf("a refused request was stored: %d %s", status, body)
	}
	// The key was not spent on the refusal.
	status, body = h.call(http.MethodPost, "/activations", token, h.request("KE", "Nairobi", 1_000_000), key)
	if status != http.StatusCreated {
		t.Fatalf("office-ke asking for KE with the same key: %d %s", status, body)
	}
	if a := decode[domain.Activation](t, body); a.Office != "KE" || a.Country != "KE" {
		t.Fatalf("activation %+v", a)
	}
	// The other offices are held to their countries too.
	for _, c := range []struct{ office, country, station string }{
		{"office-ht", "YE", "Aden"}, {"office-ye", "KE", "Mombasa"}, {"office-ht", "SO", "Mogadishu"},
	} {
		if status, body := h.as(c.office, http.MethodPost, "/activations", h.request(c.country, c.station, 1_000_000)); status != http.StatusForbidden {
			t.Fatalf("%s asking for %s: %d %s", c.office, c.country, status, body)
		}
	}
}

// The central task team (office HQ) requests for a country without a country office, and its
// request goes the whole way: headquarters' security approver clears it (headquarters is not a
// country office whose approvers must stand aside) and it goes ACTIVE.
func TestTheCentralTaskTeamRequestsForACountryWithoutAnOffice(t *testing.T) {
	h := start(t)
	a := h.create("office-hq", h.request("SO", "Mogadishu", 1_000_000, h.english()))
	if a.Office != domain.HeadquartersOffice || a.Country != "SO" || a.RequestedBy != "office-hq" {
		t.Fatalf("activation %+v", a)
	}
	h.mustDecide("security-1", h.waitTask("security-1", a.ID, domain.KindSecurityClearance).ID, domain.Approve, "UNDSS escort agreed.")
	a = h.waitStatus("office-hq", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected, domain.StatusCancelled)
	if a.Status != domain.StatusActive || len(a.Deployments) != 1 {
		t.Fatalf("status %s reason %q deployments %+v", a.Status, a.Reason, a.Deployments)
	}
	// It may request where a country office exists too, and sees its own requests only.
	b := h.create("office-hq", h.request("KE", "Nairobi", 1_000_000))
	status, body := h.as("office-hq", http.MethodGet, "/activations", nil)
	list := decode[api.ActivationList](t, body)
	if status != http.StatusOK || len(list.Items) != 2 || list.Items[0].ID != b.ID && list.Items[1].ID != b.ID {
		t.Fatalf("the central task team's activations: %d %s", status, body)
	}
	if status, _ := h.as("office-ke", http.MethodGet, "/activations/"+b.ID, nil); status != http.StatusNotFound {
		t.Fatalf("the Kenya office reads headquarters' request: %d", status)
	}
}
