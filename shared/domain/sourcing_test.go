package domain_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func sourcingExpert(id string, employment domain.EmploymentType, area domain.Area, languages ...string) domain.Expert {
	return domain.Expert{ID: id, Employment: employment, Areas: []domain.Area{area}, Languages: languages,
		Training: domain.SecurityTraining{Level: domain.TrainingAdvanced, Expires: "2030-12-31"}}
}

// The closest experts are those who pass more of the match's checks, ties ordered as matching
// orders experts (staff first, then fewer bookings, then id); experts who fit are left out.
func TestClosestMismatches(t *testing.T) {
	cfg := config.Default()
	profile := domain.Profile{Area: domain.NeedsAssessment, Languages: []string{"fr"}, StartDate: "2026-12-01", Days: 20}
	basic := sourcingExpert("c-basic", domain.Consultant, domain.NeedsAssessment, "fr")
	basic.Training.Level = domain.TrainingBasic
	expiring := sourcingExpert("c-expiring", domain.Consultant, domain.NeedsAssessment, "fr")
	expiring.Training.Expires = "2026-12-10"
	away := sourcingExpert("c-away", domain.Consultant, domain.NeedsAssessment, "fr")
	away.Unavailable = []domain.Period{{Start: "2026-12-15", End: "2026-12-24"}}
	booked := sourcingExpert("c-booked", domain.Consultant, domain.NeedsAssessment, "fr")
	bookings := map[string][]domain.Booking{"c-booked": {{ID: "b-1", ExpertID: "c-booked", Status: domain.BookingActive,
		Period: domain.Period{Start: "2026-11-20", End: "2026-12-02"}}}}
	english := sourcingExpert("c-english", domain.Consultant, domain.NeedsAssessment, "en")
	staffEnglish := sourcingExpert("s-english", domain.Staff, domain.NeedsAssessment, "en")
	other := sourcingExpert("a-other", domain.Staff, domain.Gender, "fr")
	fits := sourcingExpert("c-fits", domain.Consultant, domain.NeedsAssessment, "fr", "en")

	cases := []struct {
		name    string
		level   domain.SecurityLevel
		experts []domain.Expert
		n       int
		want    []domain.Mismatch
	}{
		{"no experts", 3, nil, 5, []domain.Mismatch{}},
		{"every stage, closest first", 3, []domain.Expert{other, english, basic, expiring, away, booked}, 10, []domain.Mismatch{
			{ExpertID: "c-booked", Reason: "booked from 2026-11-20 to 2026-12-02"},
			{ExpertID: "c-away", Reason: "unavailable from 2026-12-15 to 2026-12-24"},
			{ExpertID: "c-expiring", Reason: "security training expires before the deployment ends"},
			{ExpertID: "c-basic", Reason: "needs advanced security training"},
			{ExpertID: "c-english", Reason: "does not speak fr"},
			{ExpertID: "a-other", Reason: "not in the area needs_assessment"},
		}},
		{"basic training is enough below the advanced level", 2, []domain.Expert{basic, english}, 5, []domain.Mismatch{
			{ExpertID: "c-english", Reason: "does not speak fr"},
		}},
		{"ties go to staff first, and n bounds the list", 3, []domain.Expert{english, staffEnglish, other}, 2, []domain.Mismatch{
			{ExpertID: "s-english", Reason: "does not speak fr"},
			{ExpertID: "c-english", Reason: "does not speak fr"},
		}},
		{"experts who fit are left out", 3, []domain.Expert{fits, english}, 5, []domain.Mismatch{
			{ExpertID: "c-english", Reason: "does not speak fr"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := domain.ClosestMismatches(profile, c.level, c.experts, bookings, cfg, c.n)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// The refusal names the profile, the activation, the days, the level and the closest experts'
// reasons, and is a conflict.
func TestNobodyCanTake(t *testing.T) {
	cfg := config.Default()
	profile := domain.Profile{Area: domain.NeedsAssessment, Languages: []string{"fr", "en"}, StartDate: "2026-12-01", Days: 30}
	cases := []struct {
		name    string
		experts []domain.Expert
		message string
		closest int
	}{
		{"an empty roster", nil, "nobody on the roster can take profile 1 of activation act-1 (needs_assessment, speaking fr and en, " +
			"2026-12-01 to 2026-12-30, security level 3); the roster has no experts", 0},
		{"the closest experts", []domain.Expert{sourcingExpert("consultant-12", domain.Consultant, domain.NeedsAssessment, "en")},
			"nobody on the roster can take profile 1 of activation act-1 (needs_assessment, speaking fr and en, " +
				"2026-12-01 to 2026-12-30, security level 3); closest: consultant-12: does not speak fr", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error = domain.NobodyCanTake("act-1", 1, profile, 3, c.experts, nil, cfg)
			var nobody *domain.NobodyFits
			if !errors.As(err, &nobody) || domain.CodeOf(err) != domain.CodeConflict {
				t.Fatalf("error %v (code %s), want a *NobodyFits conflict", err, domain.CodeOf(err))
			}
			if nobody.Message != c.message || len(nobody.Closest) != c.closest || nobody.ProfileIndex != 1 || nobody.ActivationID != "act-1" {
				t.Fatalf("got %+v", nobody)
			}
		})
	}
}
