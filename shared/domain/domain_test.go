package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
)

var now = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

func reference() *domain.ReferenceSet {
	return domain.NewReferenceSet(
		[]domain.Country{
			{Code: "HT", Name: "Haiti", Population: 11_700_000, MemberState: true, Fragile: true, HasCountryOffice: true},
			{Code: "KE", Name: "Kenya", Population: 55_100_000, MemberState: true, HasCountryOffice: true},
			{Code: "TW", Name: "Taiwan", Population: 23_000_000},
		},
		[]domain.DutyStation{{Country: "HT", Name: "Port-au-Prince", Level: 4}, {Country: "KE", Name: "Nairobi", Level: 2}},
	)
}

// validRequest is the example of the API contract.
func validRequest() domain.ActivationRequest {
	return domain.ActivationRequest{
		Country: "HT", DutyStation: "Port-au-Prince", CrisisType: domain.NaturalDisaster, Phase: domain.Response,
		PeopleAffected: domain.PeopleAffected{Women: 52000, Men: 48000, Girls: 31000, Boys: 30000},
		TargetGroups:   []domain.TargetGroup{domain.Women, domain.Youth, domain.PersonsWithDisabilities},
		Amount:         domain.USD(12_000_000),
		Purpose:        "Employment-intensive rubble removal and skills assessment",
		Profiles: []domain.Profile{
			{Area: domain.EmploymentIntensiveInvestment, Languages: []string{"fr"}, StartDate: "2026-12-01", Days: 45},
			{Area: domain.NeedsAssessment, Languages: []string{"fr", "en"}, StartDate: "2026-12-01", Days: 30},
		},
		DemandReference: "Request of the Ministry of Social Affairs and Labour, ref. 2026/114",
		Justification:   "Hurricane landfall; 160,000 people affected in the western department.",
	}
}

func TestValidateRequestAcceptsTheContractExample(t *testing.T) {
	if errs := domain.ValidateRequest(validRequest(), now, config.Default(), reference()); errs != nil {
		t.Fatalf("unexpected errors: %v", errs)
	}
}

func TestValidateRequestNamesEachBadField(t *testing.T) {
	cases := []struct {
		name   string
		change func(*domain.ActivationRequest)
		field  string
		reason string
	}{
		{"missing country", func(r *domain.ActivationRequest) { r.Country = "" }, "country", "is required"},
		{"lower-case country", func(r *domain.ActivationRequest) { r.Country = "ht" }, "country", "ISO 3166-1"},
		{"unassigned country", func(r *domain.ActivationRequest) { r.Country = "XX" }, "country", "ISO 3166-1"},
		{"unknown country", func(r *domain.ActivationRequest) { r.Country = "FR" }, "country", "not a country known"},
		{"unknown duty station", func(r *domain.ActivationRequest) { r.DutyStation = "Jacmel" }, "dutyStation", "not a duty station known in HT"},
		{"station of another country", func(r *domain.ActivationRequest) { r.DutyStation = "Nairobi" }, "dutyStation", "not a duty station"},
		{"empty duty station", func(r *domain.ActivationRequest) { r.DutyStation = " " }, "dutyStation", "is required"},
		{"bad crisis type", func(r *domain.ActivationRequest) { r.CrisisType = "earthquake" }, "crisisType", "must be one of"},
		{"bad phase", func(r *domain.ActivationRequest) { r.Phase = "" }, "phase", "must be one of"},
		{"negative people", func(r *domain.ActivationRequest) { r.PeopleAffected.Girls = -1 }, "peopleAffected.girls", "negative"},
		{"absurd people", func(r *domain.ActivationRequest) { r.PeopleAffected.Men = 2_000_000_000 }, "peopleAffected.men", "at most"},
		{"bad target group", func(r *domain.ActivationRequest) { r.TargetGroups[1] = "elderly" }, "targetGroups[1]", "must be one of"},
		{"repeated target group", func(r *domain.ActivationRequest) { r.TargetGroups[2] = domain.Women }, "targetGroups[2]", "repeated"},
		{"zero amount", func(r *domain.ActivationRequest) { r.Amount.Value = 0 }, "amount.value", "positive"},
		{"negative amount", func(r *domain.ActivationRequest) { r.Amount.Value = -5 }, "amount.value", "positive"},
		{"amount above cap", func(r *domain.ActivationRequest) { r.Amount.Value = 100_000_001 }, "amount.value", "at most 1000000.00 USD"},
		{"not a currency", func(r *domain.ActivationRequest) { r.Amount.Currency = "XYZ" }, "amount.currency", "ISO 4217"},
		{"currency not in the fund", func(r *domain.ActivationRequest) { r.Amount.Currency = "KES" }, "amount.currency", "holds no KES"},
		{"missing purpose", func(r *domain.ActivationRequest) { r.Purpose = "" }, "purpose", "is required"},
		{"long justification", func(r *domain.ActivationRequest) { r.Justification = strings.Repeat("x", 2001) }, "justification", "at most 2000"},
		{"control characters", func(r *domain.ActivationRequest) { r.Purpose = "a\x00b" }, "purpose", "control characters"},
		{"invalid UTF-8", func(r *domain.ActivationRequest) { r.Purpose = "a\xffb" }, "purpose", "UTF-8"},
		{"no profiles", func(r *domain.ActivationRequest) { r.Profiles = nil }, "profiles", "at least one"},
		{"too many profiles", func(r *domain.ActivationRequest) {
			first := r.Profiles[0]
			r.Profiles = make([]domain.Profile, 21)
			for i := range r.Profiles {
				r.Profiles[i] = first
			}
		}, "profiles", "at most 20"},
		{"bad area", func(r *domain.ActivationRequest) { r.Profiles[0].Area = "logistics" }, "profiles[0].area", "must be one of"},
		{"no languages", func(r *domain.ActivationRequest) { r.Profiles[1].Languages = nil }, "profiles[1].languages", "at least one"},
		{"bad language", func(r *domain.ActivationRequest) { r.Profiles[1].Languages[1] = "eng" }, "profiles[1].languages[1]", "ISO 639-1"},
		{"not a date", func(r *domain.ActivationRequest) { r.Profiles[1].StartDate = "01/12/2026" }, "profiles[1].startDate", "must be a date YYYY-MM-DD"},
		{"not a real day", func(r *domain.ActivationRequest) { r.Profiles[1].StartDate = "2026-02-30" }, "profiles[1].startDate", "must be a date YYYY-MM-DD"},
		{"date in the past", func(r *domain.ActivationRequest) { r.Profiles[0].StartDate = "2026-11-19" }, "profiles[0].startDate", "must not be in the past"},
		{"date too far", func(r *domain.ActivationRequest) { r.Profiles[0].StartDate = "2028-01-01" }, "profiles[0].startDate", "at most"},
		{"zero days", func(r *domain.ActivationRequest) { r.Profiles[0].Days = 0 }, "profiles[0].days", "between 1 and 365"},
		{"too many days", func(r *domain.ActivationRequest) { r.Profiles[0].Days = 366 }, "profiles[0].days", "between 1 and 365"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := validRequest()
			req.TargetGroups = append([]domain.TargetGroup(nil), req.TargetGroups...)
			req.Profiles = append([]domain.Profile(nil), req.Profiles...)
			for i := range req.Profiles {
				req.Profiles[i].Languages = append([]string(nil), req.Profiles[i].Languages...)
			}
			c.change(&req)
			errs := domain.ValidateRequest(req, now, config.Default(), reference())
			if len(errs) != 1 {
				t.Fatalf("want one error on %s, got %v", c.field, errs)
			}
			if errs[0].Field != c.field || !strings.Contains(errs[0].Reason, c.reason) {
				t.Errorf("got %s, want %s: ...%s...", errs[0], c.field, c.reason)
			}
		})
	}
}

func TestValidateRequestReportsEveryErrorAtOnce(t *testing.T) {
	req := validRequest()
	req.Country = "ZZ"
	req.Amount = domain.Money{Value: -1, Currency: "usd"}
	req.Profiles = []domain.Profile{{Area: "x", StartDate: "tomorrow", Days: 0}}
	errs := domain.ValidateRequest(req, now, config.Default(), reference())
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	want := []string{"country", "amount.currency", "amount.value", "profiles[0].area", "profiles[0].languages",
		"profiles[0].startDate", "profiles[0].days"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("fields %v, want %v", fields, want)
	}
	problem := domain.ProblemFields(errs)
	if problem[5]["field"] != "profiles[0].startDate" || problem[5]["reason"] != "must be a date YYYY-MM-DD" {
		t.Errorf("problem fields: %v", problem[5])
	}
	apiErr := domain.Invalid(errs)
	if domain.CodeOf(apiErr) != domain.CodeInvalid || len(domain.FieldsOf(apiErr)) != len(want) {
		t.Errorf("Invalid: %v", apiErr)
	}
}

func TestValidateRequestAcceptsToday(t *testing.T) {
	req := validRequest()
	req.Profiles[0].StartDate = domain.DateOf(now)
	req.Profiles[0].Days = 365
	req.Amount.Value = 100_000_000
	if errs := domain.ValidateRequest(req, now, config.Default(), reference()); errs != nil {
		t.Fatal(errs)
	}
}

func TestValidateDecision(t *testing.T) {
	cfg := config.Default()
	if errs := domain.ValidateDecision(domain.Approve, "", cfg); errs != nil {
		t.Errorf("approve without comment: %v", errs)
	}
	if errs := domain.ValidateDecision(domain.Reject, " ", cfg); len(errs) != 1 || errs[0].Field != "comment" {
		t.Errorf("reject without comment: %v", errs)
	}
	if errs := domain.ValidateDecision("maybe", "", cfg); len(errs) != 1 || errs[0].Field != "decision" {
		t.Errorf("bad outcome: %v", errs)
	}
}

func TestTransitions(t *testing.T) {
	legal := map[[2]domain.Status]bool{}
	for _, pair := range [][2]domain.Status{
		{"REQUESTED", "IN_PROGRESS"}, {"REQUESTED", "CANCELLED"}, {"REQUESTED", "REJECTED"}, {"REQUESTED", "FAILED"},
		{"REQUESTED", "COMPENSATING"},
		{"IN_PROGRESS", "IN_PROGRESS"}, {"IN_PROGRESS", "AWAITING_APPROVAL"}, {"IN_PROGRESS", "ACTIVE"}, {"IN_PROGRESS", "COMPENSATING"},
		{"AWAITING_APPROVAL", "AWAITING_APPROVAL"}, {"AWAITING_APPROVAL", "IN_PROGRESS"}, {"AWAITING_APPROVAL", "COMPENSATING"},
		{"ACTIVE", "COMPENSATING"},
		{"COMPENSATING", "REJECTED"}, {"COMPENSATING", "FAILED"}, {"COMPENSATING", "CANCELLED"},
	} {
		legal[pair] = true
	}
	for _, from := range domain.Statuses {
		for _, to := range domain.Statuses {
			want := legal[[2]domain.Status{from, to}]
			err := domain.CheckTransition(from, to)
			if (err == nil) != want {
				t.Errorf("%s -> %s: err %v, want legal=%v", from, to, err, want)
			}
			var illegal *domain.IllegalTransition
			if err != nil && (!errors.As(err, &illegal) || domain.CodeOf(err) != domain.CodeConflict) {
				t.Errorf("%s -> %s: wrong error type %T", from, to, err)
			}
		}
		if from.Terminal() && len(domain.NextStatuses(from)) != 0 {
			t.Errorf("terminal %s has successors", from)
		}
	}
}

func TestEligibility(t *testing.T) {
	cfg := config.Default()
	member := domain.Country{Code: "HT", MemberState: true}
	cases := []struct {
		name    string
		change  func(*domain.ActivationRequest)
		country domain.Country
		reasons int
		want    string
	}{
		{"eligible", func(*domain.ActivationRequest) {}, member, 0, ""},
		{"no demand", func(r *domain.ActivationRequest) { r.DemandReference = "  " }, member, 1, "demand"},
		{"not a member state", func(*domain.ActivationRequest) {}, domain.Country{Code: "TW"}, 1, "not a member state"},
		{"above cap", func(r *domain.ActivationRequest) { r.Amount.Value = 100_000_001 }, member, 1, "cap"},
		{"at cap", func(r *domain.ActivationRequest) { r.Amount.Value = 100_000_000 }, member, 0, ""},
		{"unknown currency", func(r *domain.ActivationRequest) { r.Amount.Currency = "GBP" }, member, 1, "holds no GBP"},
		{"everything", func(r *domain.ActivationRequest) { r.DemandReference = ""; r.Amount.Value = 200_000_000 }, domain.Country{}, 3, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := validRequest()
			c.change(&req)
			got := domain.CheckEligibility(req, c.country, cfg)
			if len(got.Reasons) != c.reasons || got.Eligible != (c.reasons == 0) {
				t.Fatalf("got %+v", got)
			}
			if c.want != "" && !strings.Contains(got.Reasons[0], c.want) {
				t.Errorf("reason %q, want %q", got.Reasons[0], c.want)
			}
			var ne *domain.NotEligible
			if err := got.Err(); (err != nil) != (c.reasons > 0) || (err != nil && !errors.As(err, &ne)) {
				t.Errorf("Err() = %v", err)
			}
		})
	}
}

func TestPriorityScore(t *testing.T) {
	cfg := config.Default()
	people := func(n int64) domain.PeopleAffected { return domain.PeopleAffected{Women: n} }
	cases := []struct {
		name    string
		crisis  domain.CrisisType
		phase   domain.Phase
		people  domain.PeopleAffected
		country domain.Country
		level   domain.SecurityLevel
		want    int
	}{
		// Severity 40% x 40% x 25 = 4; nothing else.
		{"lowest", domain.PoliticalTransition, domain.Preparedness, people(0),
			domain.Country{Population: 1000, HasCountryOffice: true}, 1, 4},
		// Everything full: 35 + 25 + 15 + 15 + 10.
		{"highest", domain.ArmedConflict, domain.Response, people(100),
			domain.Country{Population: 1000, Fragile: true}, 6, 100},
		// 10% of the population saturates; more does not add.
		{"saturated", domain.ArmedConflict, domain.Response, people(5000),
			domain.Country{Population: 1000, Fragile: true}, 6, 100},
		// 5% affected is half the affected weight: 17.5 + 25 = 42.5, rounded half up.
		{"half share rounds up", domain.ArmedConflict, domain.Response, people(50),
			domain.Country{Population: 1000, HasCountryOffice: true}, 1, 43},
		// Unknown population gives no affected points.
		{"unknown population", domain.ArmedConflict, domain.Response, people(1_000_000),
			domain.Country{HasCountryOffice: true}, 1, 25},
		// Level 4: 15 x 3/5 = 9; natural disaster in recovery 25 x 0.9 x 0.6 = 13.5; fragile 15; office 0.
		{"haiti recovery", domain.NaturalDisaster, domain.Recovery, people(0),
			domain.Country{Population: 1000, Fragile: true, HasCountryOffice: true}, 4, 38},
		// Out-of-range levels are clamped.
		{"level clamped", domain.PoliticalTransition, domain.Preparedness, people(0),
			domain.Country{Population: 1000, HasCountryOffice: true}, 9, 19},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := validRequest()
			req.CrisisType, req.Phase, req.PeopleAffected = c.crisis, c.phase, c.people
			got := domain.PriorityScore(req, c.country, c.level, cfg)
			if got.Score != c.want {
				t.Errorf("score %d, want %d (%+v)", got.Score, c.want, got)
			}
		})
	}
	// The contract example: 161,000 of 11.7M is 1.376% -> 35 x 0.1376 = 4.82; 22.5; 15; 9; 0.
	req := validRequest()
	got := domain.PriorityScore(req, domain.Country{Population: 11_700_000, Fragile: true, HasCountryOffice: true}, 4, cfg)
	if got.Score != 51 {
		t.Errorf("example score %d (%+v)", got.Score, got)
	}
}

func TestClearance(t *testing.T) {
	cfg := config.Default()
	cases := []struct {
		level    domain.SecurityLevel
		decision domain.ClearanceDecision
		role     domain.Role
		training domain.TrainingLevel
	}{
		{0, domain.Denied, "", domain.TrainingBasic},
		{1, domain.AutoCleared, "", domain.TrainingBasic},
		{2, domain.AutoCleared, "", domain.TrainingBasic},
		{3, domain.NeedsApproval, domain.RoleSecurity, domain.TrainingAdvanced},
		{4, domain.NeedsApproval, domain.RoleSecurity, domain.TrainingAdvanced},
		{5, domain.NeedsApproval, domain.RoleSecurity, domain.TrainingAdvanced},
		{6, domain.Denied, domain.RoleSeniorManagement, domain.TrainingAdvanced},
		{7, domain.Denied, "", domain.TrainingAdvanced},
	}
	for _, c := range cases {
		got := domain.Clearance(c.level, cfg)
		if got.Decision != c.decision || got.Role != c.role || got.Training != c.training {
			t.Errorf("level %d: %+v", c.level, got)
		}
	}
	if domain.LevelSubstantial.String() != "Substantial" || domain.SecurityLevel(6).String() != "Extreme" {
		t.Error("level names")
	}
}

func TestApplyOverride(t *testing.T) {
	cfg := config.Default()
	denied := domain.Clearance(6, cfg)
	just := "Life-saving assessment mission, escorted, three days only."
	cases := []struct {
		name string
		out  domain.ClearanceOutcome
		d    domain.Decision
		ok   bool
	}{
		{"senior with justification", denied, domain.Decision{Outcome: domain.Approve, Role: domain.RoleSeniorManagement, Comment: just}, true},
		{"senior rejects", denied, domain.Decision{Outcome: domain.Reject, Role: domain.RoleSeniorManagement, Comment: just}, false},
		{"security may not", denied, domain.Decision{Outcome: domain.Approve, Role: domain.RoleSecurity, Comment: just}, false},
		{"short justification", denied, domain.Decision{Outcome: domain.Approve, Role: domain.RoleSeniorManagement, Comment: "ok"}, false},
		{"level 0 denial cannot be overridden", domain.Clearance(0, cfg), domain.Decision{Outcome: domain.Approve, Role: domain.RoleSeniorManagement, Comment: just}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := domain.ApplyOverride(c.out, c.d, cfg)
			var denied *domain.SecurityClearanceDenied
			if c.ok {
				if err != nil || got.Decision != domain.ClearedByOverride || got.Override == nil {
					t.Errorf("got %+v, %v", got, err)
				}
			} else if !errors.As(err, &denied) || got.Decision == domain.ClearedByOverride {
				t.Errorf("got %+v, %v", got, err)
			}
		})
	}
}

func TestRouteFunds(t *testing.T) {
	cfg := config.Default()
	fin := []domain.Role{domain.RoleFinance}
	both := []domain.Role{domain.RoleFinance, domain.RoleSeniorManagement}
	cases := []struct {
		amount domain.Money
		auto   bool
		roles  []domain.Role
		refuse bool
	}{
		{domain.USD(1), true, nil, false},
		{domain.USD(5_000_000), true, nil, false},
		{domain.USD(5_000_001), false, fin, false},
		{domain.USD(25_000_000), false, fin, false},
		{domain.USD(25_000_001), false, both, false},
		{domain.USD(100_000_000), false, both, false},
		{domain.USD(100_000_001), false, nil, true},
		{domain.USD(0), false, nil, true},
		{domain.Money{Value: 4_500_001, Currency: "EUR"}, false, fin, false},
		{domain.Money{Value: 100, Currency: "GBP"}, false, nil, true},
	}
	for _, c := range cases {
		got, err := domain.RouteFunds(c.amount, cfg)
		var limit *domain.FundLimitExceeded
		if c.refuse {
			if !errors.As(err, &limit) {
				t.Errorf("%s: want FundLimitExceeded, got %+v %v", c.amount, got, err)
			}
			continue
		}
		if err != nil || got.AutoRelease != c.auto || !reflect.DeepEqual(got.Approvals, c.roles) {
			t.Errorf("%s: got %+v %v", c.amount, got, err)
		}
		if domain.FourEyes(c.amount, cfg) != (len(c.roles) == 2) {
			t.Errorf("%s: FourEyes wrong", c.amount)
		}
	}
}

func expert(id string, emp domain.EmploymentType, bookings int, langs ...string) domain.Expert {
	return domain.Expert{ID: id, Employment: emp, Areas: []domain.Area{domain.Gender, domain.Microfinance},
		Languages: langs, Training: domain.SecurityTraining{Level: domain.TrainingAdvanced, Expires: "2028-01-01"},
		ActiveBookings: bookings}
}

func ids(experts []domain.Expert) []string {
	out := []string{}
	for _, e := range experts {
		out = append(out, e.ID)
	}
	return out
}

func TestMatchExperts(t *testing.T) {
	cfg := config.Default()
	profile := domain.Profile{Area: domain.Gender, Languages: []string{"fr", "en"}, StartDate: "2026-12-01", Days: 30}
	basic := expert("basic", domain.Staff, 0, "en", "fr")
	basic.Training.Level = domain.TrainingBasic
	expiring := expert("expiring", domain.Staff, 0, "en", "fr")
	expiring.Training.Expires = "2026-12-29" // the deployment ends on 2026-12-30
	onLeave := expert("on-leave", domain.Staff, 0, "en", "fr")
	onLeave.Unavailable = []domain.Period{{Start: "2026-12-30", End: "2027-01-10"}}
	other := expert("other-area", domain.Staff, 0, "en", "fr")
	other.Areas = []domain.Area{domain.SocialDialogue}
	experts := []domain.Expert{
		expert("c-1", domain.Consultant, 0, "en", "fr"),
		expert("s-busy", domain.Staff, 3, "en", "fr", "ar"),
		expert("s-b", domain.Staff, 1, "fr", "en"),
		expert("s-a", domain.Staff, 1, "en", "fr"),
		expert("english-only", domain.Staff, 0, "en"),
		expert("booked", domain.Staff, 1, "en", "fr"),
		basic, expiring, onLeave, other,
	}
	bookings := map[string][]domain.Booking{
		"booked": {{ExpertID: "booked", Period: domain.Period{Start: "2026-11-01", End: "2026-12-01"}, Status: domain.BookingActive}},
		"s-a":    {{ExpertID: "s-a", Period: domain.Period{Start: "2026-12-31", End: "2027-01-31"}, Status: domain.BookingActive}},
		"s-b":    {{ExpertID: "s-b", Period: domain.Period{Start: "2026-12-01", End: "2026-12-30"}, Status: domain.BookingCancelled}},
	}
	got := ids(domain.MatchExperts(profile, 4, experts, bookings, cfg))
	want := []string{"s-a", "s-b", "s-busy", "c-1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("level 4 match %v, want %v", got, want)
	}
	// At level 2 basic training is enough.
	got = ids(domain.MatchExperts(profile, 2, experts, bookings, cfg))
	want = []string{"basic", "s-a", "s-b", "s-busy", "c-1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("level 2 match %v, want %v", got, want)
	}
	reasons := map[string]string{"basic": "advanced", "expiring": "expires", "on-leave": "unavailable",
		"other-area": "area", "english-only": "does not speak fr", "booked": "booked"}
	for _, e := range experts {
		want, ok := reasons[e.ID]
		if !ok {
			continue
		}
		if r := domain.MatchReason(e, profile, 4, bookings[e.ID], cfg); !strings.Contains(r, want) {
			t.Errorf("%s: reason %q, want %q", e.ID, r, want)
		}
	}
}

func policy(kind domain.CoverKind, from, to domain.Date) domain.InsurancePolicy {
	return domain.InsurancePolicy{Kind: kind, ValidFrom: from, ValidTo: to}
}

func TestMissingCover(t *testing.T) {
	cfg := config.Default()
	period := domain.Period{Start: "2026-12-01", End: "2026-12-31"}
	full := []domain.InsurancePolicy{
		policy(domain.CoverMedical, "2026-01-01", "2027-12-31"),
		policy(domain.CoverEvacuation, "2026-01-01", "2027-12-31"),
	}
	cases := []struct {
		name     string
		policies []domain.InsurancePolicy
		level    domain.SecurityLevel
		want     []domain.CoverKind
	}{
		{"level 2 needs no malicious acts", full, 2, nil},
		{"level 3 needs malicious acts", full, 3, []domain.CoverKind{domain.CoverMaliciousActs}},
		{"nothing", nil, 1, []domain.CoverKind{domain.CoverMedical, domain.CoverEvacuation}},
		{"chained policies cover", append([]domain.InsurancePolicy{
			policy(domain.CoverMaliciousActs, "2026-12-16", "2027-06-30"),
			policy(domain.CoverMaliciousActs, "2026-06-01", "2026-12-15"),
		}, full...), 5, nil},
		{"a one-day gap is missing", append([]domain.InsurancePolicy{
			policy(domain.CoverMaliciousActs, "2026-06-01", "2026-12-15"),
			policy(domain.CoverMaliciousActs, "2026-12-17", "2027-06-30"),
		}, full...), 5, []domain.CoverKind{domain.CoverMaliciousActs}},
		{"overlapping policies cover", append([]domain.InsurancePolicy{
			policy(domain.CoverMaliciousActs, "2026-11-01", "2026-12-20"),
			policy(domain.CoverMaliciousActs, "2026-12-10", "2026-12-31"),
		}, full...), 4, nil},
		{"ends a day early", []domain.InsurancePolicy{
			policy(domain.CoverMedical, "2026-12-01", "2026-12-30"),
			policy(domain.CoverEvacuation, "2026-12-01", "2026-12-31"),
		}, 1, []domain.CoverKind{domain.CoverMedical}},
		{"starts a day late", []domain.InsurancePolicy{
			policy(domain.CoverMedical, "2026-12-01", "2026-12-31"),
			policy(domain.CoverEvacuation, "2026-12-02", "2026-12-31"),
		}, 1, []domain.CoverKind{domain.CoverEvacuation}},
		{"exactly the period", []domain.InsurancePolicy{
			policy(domain.CoverMedical, "2026-12-01", "2026-12-31"),
			policy(domain.CoverEvacuation, "2026-12-01", "2026-12-31"),
		}, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := domain.MissingCover(c.policies, period, c.level, cfg)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("missing %v, want %v", got, c.want)
			}
			err := domain.CoverError("e-1", got)
			var missing *domain.InsuranceCoverMissing
			if (err != nil) != (len(c.want) > 0) || (err != nil && !errors.As(err, &missing)) {
				t.Errorf("CoverError: %v", err)
			}
		})
	}
}

func TestDeadlinesAndEscalation(t *testing.T) {
	cfg := config.Default()
	for role, want := range map[domain.Role]time.Duration{domain.RoleSecurity: 24 * time.Hour,
		domain.RoleFinance: 24 * time.Hour, domain.RoleHR: 48 * time.Hour} {
		if got := domain.TaskDeadline(role, now, cfg).Sub(now); got != want {
			t.Errorf("%s deadline %s, want %s", role, got, want)
		}
	}
	for _, role := range []domain.Role{domain.RoleSecurity, domain.RoleFinance, domain.RoleHR} {
		if target, ok := domain.EscalationTarget(role, 0, cfg); !ok || target != domain.RoleSeniorManagement {
			t.Errorf("%s escalates to %q %v", role, target, ok)
		}
		if _, ok := domain.EscalationTarget(role, 1, cfg); ok {
			t.Errorf("%s escalated twice", role)
		}
	}
	if _, ok := domain.EscalationTarget(domain.RoleSeniorManagement, 0, cfg); ok {
		t.Error("senior management has nobody above")
	}
}

func TestActivationEndDate(t *testing.T) {
	cfg := config.Default()
	profiles := validRequest().Profiles
	if got := domain.ActivationEndDate(profiles, now, cfg); got != "2027-01-14" {
		t.Errorf("end %s", got)
	}
	long := []domain.Profile{{StartDate: "2027-06-01", Days: 365}}
	if got := domain.ActivationEndDate(long, now, cfg); got != domain.DateOf(now.Add(183*24*time.Hour)) {
		t.Errorf("capped end %s", got)
	}
}

func TestDatesAndMoney(t *testing.T) {
	p := domain.PeriodOf("2026-12-30", 3)
	if p.End != "2027-01-01" || p.Days() != 3 {
		t.Errorf("period %+v days %d", p, p.Days())
	}
	if !p.Overlaps(domain.Period{Start: "2027-01-01", End: "2027-01-05"}) || p.Overlaps(domain.Period{Start: "2027-01-02", End: "2027-01-05"}) {
		t.Error("overlap at the boundary")
	}
	if _, err := domain.ParseDate("2026-1-5"); err == nil {
		t.Error("unpadded date accepted")
	}
	for m, want := range map[domain.Money]string{
		domain.USD(12_000_000):              "120000.00 USD",
		domain.USD(-5):                      "-0.05 USD",
		{Value: 1500, Currency: "JPY"}:      "1500 JPY",
		{Value: 1_234_567, Currency: "KWD"}: "1234.567 KWD",
	} {
		if m.String() != want {
			t.Errorf("%#v = %s, want %s", m, m.String(), want)
		}
	}
}
