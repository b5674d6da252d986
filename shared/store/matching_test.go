package store_test

import (
	"errors"
	"testing"

	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

func matchingCandidate(id string, employment domain.EmploymentType, active int, languages []string, holds map[string]domain.Period) store.Candidate {
	return store.Candidate{Expert: domain.Expert{ID: id, Employment: employment, Areas: []domain.Area{domain.NeedsAssessment},
		Languages: languages, ActiveBookings: active, Training: domain.SecurityTraining{Level: domain.TrainingAdvanced, Expires: "2030-12-31"}},
		Holds: holds}
}

// Matching is domain.MatchExperts over the candidates and the days they hold: the same experts
// in the same order, each with their holds; a hold over the profile's days rules an expert out.
func TestMatchingRanksAsMatchExperts(t *testing.T) {
	cfg := config.Default()
	profile := domain.Profile{Area: domain.NeedsAssessment, Languages: []string{"fr"}, StartDate: "2026-12-01", Days: 20}
	candidates := []store.Candidate{
		matchingCandidate("c-1", domain.Consultant, 0, []string{"fr"}, map[string]domain.Period{}),
		matchingCandidate("s-busy", domain.Staff, 3, []string{"fr"}, map[string]domain.Period{"a#0": {Start: "2027-01-01", End: "2027-01-10"}}),
		matchingCandidate("s-free", domain.Staff, 1, []string{"fr"}, nil),
		matchingCandidate("s-held", domain.Staff, 0, []string{"fr"}, map[string]domain.Period{"b#1": {Start: "2026-12-10", End: "2026-12-12"}}),
		matchingCandidate("s-english", domain.Staff, 0, []string{"en"}, nil),
	}
	got := store.Matching(candidates, profile, 3, cfg)
	want := []string{"s-free", "s-busy", "c-1"}
	if len(got) != len(want) {
		t.Fatalf("matching %+v, want %v", got, want)
	}
	for i, c := range got {
		if c.ID != want[i] {
			t.Fatalf("matching[%d] is %s, want %v", i, c.ID, want)
		}
	}
	if len(got[1].Holds) != 1 {
		t.Fatalf("the candidate lost their holds: %+v", got[1])
	}
	if err := store.SourcingComplete("act-1", 0, candidates, profile, 3, cfg); err != nil {
		t.Fatalf("somebody fits, yet: %v", err)
	}
	// With the ones who fit gone, the approval is refused and names the closest: s-held is
	// booked over the days, s-english does not speak French.
	err := store.SourcingComplete("act-1", 0, candidates[3:], profile, 3, cfg)
	var nobody *domain.NobodyFits
	if !errors.As(err, &nobody) || len(nobody.Closest) != 2 ||
		nobody.Closest[0] != (domain.Mismatch{ExpertID: "s-held", Reason: "booked from 2026-12-10 to 2026-12-12"}) ||
		nobody.Closest[1] != (domain.Mismatch{ExpertID: "s-english", Reason: "does not speak fr"}) {
		t.Fatalf("nobody fits: %v (%+v)", err, nobody)
	}
}
