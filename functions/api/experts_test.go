package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"testing"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

func expertBody(name string) map[string]any {
	return map[string]any{"name": name, "employment": "consultant", "areas": []string{"gender"}, "languages": []string{"en", "fr"},
		"training": map[string]any{"level": "advanced", "expires": "2027-06-30"}, "homeOffice": "KE"}
}

// An expert's policies are readable by whoever may read the roster, each saying whether it
// covers today (the harness clock: 2026-11-01), with the kinds nothing covers today.
func TestExpertPoliciesAreReadable(t *testing.T) {
	h := newHarness(t)
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Amina Odhiambo")); resp.Status != http.StatusCreated {
		t.Fatalf("add expert: %d %s", resp.Status, resp.Body)
	}
	for id, policy := range map[string]map[string]any{
		"pol-future":  {"kind": "malicious_acts", "insurer": "Lloyd's", "validFrom": "2027-01-01", "validTo": "2027-12-31"},
		"pol-medical": {"kind": "medical", "insurer": "Cigna", "validFrom": "2026-01-01", "validTo": "2026-11-01"},
		"pol-expired": {"kind": "evacuation", "validFrom": "2025-01-01", "validTo": "2026-10-31"},
	} {
		if resp := h.do("admin-1", http.MethodPut, "/experts/exp-1/policies/"+id, policy); resp.Status != http.StatusCreated {
			t.Fatalf("add %s: %d %s", id, resp.Status, resp.Body)
		}
	}
	for _, user := range []string{"hr-1", "auditor-1", "admin-1"} {
		var list api.PolicyList
		resp := h.do(user, http.MethodGet, "/experts/exp-1/policies", nil)
		if resp.Status != http.StatusOK {
			t.Fatalf("%s reads the policies: %d %s", user, resp.Status, resp.Body)
		}
		resp.json(t, &list)
		if list.ExpertID != "exp-1" || list.Today != "2026-11-01" || len(list.Items) != 3 {
			t.Fatalf("%s: %+v", user, list)
		}
		want := []struct {
			id     string
			kind   domain.CoverKind
			covers bool
		}{{"pol-medical", domain.CoverMedical, true}, {"pol-expired", domain.CoverEvacuation, false}, {"pol-future", domain.CoverMaliciousActs, false}}
		for i, w := range want {
			if got := list.Items[i]; got.ID != w.id || got.Kind != w.kind || got.CoversToday != w.covers || got.ExpertID != "exp-1" {
				t.Errorf("%s: item %d is %+v, want %+v", user, i, got, w)
			}
		}
		if list.Items[0].Insurer != "Cigna" || list.Items[0].ValidTo != "2026-11-01" {
			t.Errorf("medical policy %+v", list.Items[0])
		}
		if fmt.Sprint(list.UncoveredToday) != "[evacuation malicious_acts]" {
			t.Errorf("uncovered today %v", list.UncoveredToday)
		}
	}
	for _, user := range []string{"security-1", "office-ke", "finance-1"} {
		if resp := h.do(user, http.MethodGet, "/experts/exp-1/policies", nil); resp.Status != http.StatusForbidden {
			t.Errorf("%s reads policies: %d", user, resp.Status)
		}
	}
	for _, path := range []string{"/experts/exp-9/policies", "/experts/bad%23id/policies", "/experts/exp-9"} {
		if resp := h.do("hr-1", http.MethodGet, path, nil); resp.Status != http.StatusNotFound || resp.problem(t).Status != http.StatusNotFound {
			t.Errorf("%s: %d %s", path, resp.Status, resp.Body)
		}
	}
	// An expert without policies has an empty list and lacks every kind of cover.
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-2", expertBody("Jean Baptiste")); resp.Status != http.StatusCreated {
		t.Fatalf("add second expert: %d", resp.Status)
	}
	var empty api.PolicyList
	h.do("hr-1", http.MethodGet, "/experts/exp-2/policies", nil).json(t, &empty)
	if empty.Items == nil || len(empty.Items) != 0 || len(empty.UncoveredToday) != len(domain.CoverKinds) {
		t.Errorf("no policies: %+v", empty)
	}
}

// GET /experts/{id} answers the expert, their bookings (cancelled ones included) and their
// policies, with the expert's version and a digest of the answer as ETag.
func TestGetExpertWithBookingsAndPolicies(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Amina Odhiambo"))
	h.do("admin-1", http.MethodPut, "/experts/exp-1/policies/pol-1", map[string]any{"kind": "medical", "validFrom": "2026-01-01", "validTo": "2026-12-31"})
	for i, start := range []domain.Date{"2027-03-01", "2026-12-01"} {
		if _, err := h.store.Book(ctx, store.BookingRequest{ExpertID: "exp-1", ActivationID: fmt.Sprintf("act-%d", i), Period: domain.PeriodOf(start, 10)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := h.store.CancelBooking(ctx, "exp-1", store.BookingID("act-0", 0)); err != nil {
		t.Fatal(err)
	}
	resp := h.do("hr-1", http.MethodGet, "/experts/exp-1", nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("get expert: %d %s", resp.Status, resp.Body)
	}
	var view api.ExpertView
	resp.json(t, &view)
	if view.Expert.ID != "exp-1" || view.Expert.Name != "Amina Odhiambo" || view.Expert.ActiveBookings != 1 || view.Expert.Version != 3 {
		t.Fatalf("expert %+v", view.Expert)
	}
	if etag := resp.Header.Get("ETag"); !regexp.MustCompile(`^"3-[0-9a-f]{16}"$`).MatchString(etag) {
		t.Errorf("ETag %q, want \"3-\" and a digest", etag)
	}
	if len(view.Bookings) != 2 || view.Bookings[0].Period.Start != "2026-12-01" || view.Bookings[0].Status != domain.BookingActive ||
		view.Bookings[1].Status != domain.BookingCancelled {
		t.Errorf("bookings %+v", view.Bookings)
	}
	if len(view.Policies.Items) != 1 || !view.Policies.Items[0].CoversToday || len(view.Policies.UncoveredToday) != 2 {
		t.Errorf("policies %+v", view.Policies)
	}
	if resp := h.do("security-1", http.MethodGet, "/experts/exp-1", nil); resp.Status != http.StatusForbidden {
		t.Errorf("security reads an expert: %d", resp.Status)
	}
}

// If-None-Match: * adds a new expert and never replaces one: a taken id is 412 on the id
// field, and the stored expert is unchanged.
func TestCreateOnlyNeverOverwritesAnExpert(t *testing.T) {
	h := newHarness(t)
	resp := h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Amina Odhiambo"), "If-None-Match", "*")
	if resp.Status != http.StatusCreated || resp.Header.Get("ETag") != `"0"` {
		t.Fatalf("add: %d %q %s", resp.Status, resp.Header.Get("ETag"), resp.Body)
	}
	taken := h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Someone Else"), "If-None-Match", "*")
	p := taken.problem(t)
	if taken.Status != http.StatusPreconditionFailed || p.Type != api.ProblemPrecondition.Type() || len(p.Errors) != 1 || p.Errors[0].Field != "id" {
		t.Fatalf("taken id: %d %s", taken.Status, taken.Body)
	}
	stored, err := h.store.GetExpert(context.Background(), "exp-1")
	if err != nil || stored.Name != "Amina Odhiambo" || stored.Version != 0 {
		t.Fatalf("stored %+v %v", stored, err)
	}
	if n := len(h.auditEvents(audit.ActionExpertChanged)); n != 1 {
		t.Errorf("%d roster changes audited, want 1", n)
	}
	// Invalid bodies are refused before anything is written, precondition or not.
	bad := expertBody("")
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-2", bad, "If-None-Match", "*"); resp.Status != http.StatusBadRequest {
		t.Errorf("invalid body: %d", resp.Status)
	}
	for _, headers := range [][]string{
		{"If-None-Match", `"0"`},
		{"If-None-Match", "*, *"},
		{"If-None-Match", "*", "If-Match", `"0"`},
		{"If-Match", "soon"},
		{"If-Match", `W/"0"`},
		{"If-Match", `*, "0"`},
	} {
		resp := h.do("admin-1", http.MethodPut, "/experts/exp-2", expertBody("New"), headers...)
		if p := resp.problem(t); resp.Status != http.StatusBadRequest || len(p.Errors) != 1 || (p.Errors[0].Field != "If-Match" && p.Errors[0].Field != "If-None-Match") {
			t.Errorf("%v: %d %s", headers, resp.Status, resp.Body)
		}
	}
	if _, err := h.store.GetExpert(context.Background(), "exp-2"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("a refused request wrote exp-2: %v", err)
	}
}

// Twelve admins add an expert under one id at once with If-None-Match: *: one 201, eleven
// 412, and the stored expert is the one that got 201.
func TestRacingCreatesGiveOneCreatedAndPreconditionFailures(t *testing.T) {
	h := newHarness(t)
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = h.do("admin-1", http.MethodPut, "/experts/exp-race", expertBody(fmt.Sprintf("Candidate %d", i)), "If-None-Match", "*").Status
		})
	}
	wg.Wait()
	winner := -1
	for i, status := range statuses {
		switch status {
		case http.StatusCreated:
			if winner >= 0 {
				t.Fatalf("two creates succeeded: %v", statuses)
			}
			winner = i
		case http.StatusPreconditionFailed:
		default:
			t.Fatalf("answer %d: %d", i, status)
		}
	}
	if winner < 0 {
		t.Fatalf("no create succeeded: %v", statuses)
	}
	stored, err := h.store.GetExpert(context.Background(), "exp-race")
	if err != nil || stored.Name != fmt.Sprintf("Candidate %d", winner) {
		t.Fatalf("stored %+v %v, want candidate %d", stored, err, winner)
	}
	if n := len(h.auditEvents(audit.ActionExpertChanged)); n != 1 {
		t.Errorf("%d roster changes audited, want 1", n)
	}
}

// If-Match changes the version read and nothing newer: a stale ETag, a booking since, or a
// missing expert is 412 and changes nothing.
func TestIfMatchChangesOnlyTheVersionRead(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Amina Odhiambo"), "If-None-Match", "*")
	read := h.do("admin-1", http.MethodGet, "/experts/exp-1", nil)
	etag := read.Header.Get("ETag")
	first := h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Amina O."), "If-Match", etag)
	if first.Status != http.StatusOK || first.Header.Get("ETag") != `"1"` {
		t.Fatalf("change at %s: %d %q %s", etag, first.Status, first.Header.Get("ETag"), first.Body)
	}
	stale := h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Lost Update"), "If-Match", etag)
	if p := stale.problem(t); stale.Status != http.StatusPreconditionFailed || p.Type != api.ProblemPrecondition.Type() {
		t.Fatalf("stale ETag: %d %s", stale.Status, stale.Body)
	}
	// A bare version is taken too, and one of a list is enough.
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Amina Odhiambo"), "If-Match", `"7", 1`); resp.Status != http.StatusOK {
		t.Fatalf("version in a list: %d %s", resp.Status, resp.Body)
	}
	// A booking moves the version on.
	if _, err := h.store.Book(ctx, store.BookingRequest{ExpertID: "exp-1", ActivationID: "act-1", Period: domain.PeriodOf("2026-12-01", 5)}); err != nil {
		t.Fatal(err)
	}
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("After Booking"), "If-Match", `"2"`); resp.Status != http.StatusPreconditionFailed {
		t.Fatalf("change read before a booking: %d %s", resp.Status, resp.Body)
	}
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Any Version"), "If-Match", "*"); resp.Status != http.StatusOK {
		t.Fatalf("If-Match *: %d %s", resp.Status, resp.Body)
	}
	for _, tag := range []string{"*", `"0"`} {
		if resp := h.do("admin-1", http.MethodPut, "/experts/exp-9", expertBody("Nobody"), "If-Match", tag); resp.Status != http.StatusPreconditionFailed {
			t.Errorf("If-Match %s on a missing expert: %d", tag, resp.Status)
		}
	}
	if _, err := h.store.GetExpert(ctx, "exp-9"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("If-Match created exp-9: %v", err)
	}
	stored, err := h.store.GetExpert(ctx, "exp-1")
	if err != nil || stored.Name != "Any Version" || stored.Version != 4 || stored.ActiveBookings != 1 {
		t.Fatalf("stored %+v %v", stored, err)
	}
	// Every change kept is audited with what it replaced; refusals are not.
	changes := h.auditEvents(audit.ActionExpertChanged)
	if len(changes) != 4 {
		t.Fatalf("%d roster changes audited, want 4", len(changes))
	}
}

// A client holding GET /experts/{id}'s answer revalidates it with If-None-Match: 304 with the
// ETag and no body while the answer is the same, 200 with the new answer once anything in it
// changed, also what does not move the expert's version (a booking confirmed). The 304 comes
// after the checks a 200 would pass: the caller's role (403) and the expert (404).
func TestGetExpertRevalidates(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.do("admin-1", http.MethodPut, "/experts/exp-1", expertBody("Amina Odhiambo"), "If-None-Match", "*")
	booking, err := h.store.Book(ctx, store.BookingRequest{ExpertID: "exp-1", ActivationID: "act-1", Period: domain.PeriodOf("2026-12-01", 5)})
	if err != nil {
		t.Fatal(err)
	}
	first := h.do("hr-1", http.MethodGet, "/experts/exp-1", nil)
	etag := first.Header.Get("ETag")
	if first.Status != http.StatusOK || etag == "" {
		t.Fatalf("read: %d %q", first.Status, etag)
	}
	for _, header := range []string{etag, "W/" + etag, `"1", ` + etag, "*"} {
		resp := h.do("hr-1", http.MethodGet, "/experts/exp-1", nil, "If-None-Match", header)
		if resp.Status != http.StatusNotModified || len(resp.Body) != 0 || resp.Header.Get("ETag") != etag || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("If-None-Match %s: %d %q %q", header, resp.Status, resp.Header.Get("ETag"), resp.Body)
		}
	}
	if resp := h.do("hr-1", http.MethodGet, "/experts/exp-1", nil, "If-None-Match", `"1"`); resp.Status != http.StatusOK || !bytes.Equal(resp.Body, first.Body) {
		t.Fatalf("the version alone: %d %s", resp.Status, resp.Body)
	}
	if resp := h.do("security-1", http.MethodGet, "/experts/exp-1", nil, "If-None-Match", etag); resp.Status != http.StatusForbidden {
		t.Fatalf("security revalidates: %d", resp.Status)
	}
	if resp := h.do("hr-1", http.MethodGet, "/experts/exp-9", nil, "If-None-Match", "*"); resp.Status != http.StatusNotFound {
		t.Fatalf("a missing expert with *: %d", resp.Status)
	}

	// Confirming the booking changes the answer, not the version.
	if _, err := h.store.ConfirmBooking(ctx, "exp-1", booking.ID); err != nil {
		t.Fatal(err)
	}
	resp := h.do("hr-1", http.MethodGet, "/experts/exp-1", nil, "If-None-Match", etag)
	var view api.ExpertView
	resp.json(t, &view)
	if resp.Status != http.StatusOK || resp.Header.Get("ETag") == etag || view.Expert.Version != 1 || view.Bookings[0].Status != domain.BookingConfirmed {
		t.Fatalf("after the confirmation: %d %q %s", resp.Status, resp.Header.Get("ETag"), resp.Body)
	}
	if again := h.do("hr-1", http.MethodGet, "/experts/exp-1", nil, "If-None-Match", resp.Header.Get("ETag")); again.Status != http.StatusNotModified {
		t.Fatalf("the new ETag: %d", again.Status)
	}
}
