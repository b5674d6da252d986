// Package seed holds the demo data of a local run: the fund of 2,000,000 USD, countries and duty
// stations with their security levels, a roster of experts with their training and insurance,
// and the demo accounts. Apply writes it idempotently: a second run changes nothing.
//
// The roster is built so that a request for any one technical area, in English or French, at
// any demo duty station up to level 5 can be staffed with full insurance cover (a test proves it
// with the matching and cover rules). Some paths are there to be shown:
//
//   - Portuguese-speaking consultants lack malicious-acts cover: a profile in Portuguese at a
//     level 3+ station is staffed but needs an hr enrolment task.
//   - Russian-speaking consultants have only basic training: a profile in Russian at a level 3+
//     station finds nobody and needs an hr sourcing task.
//   - Sana'a is level 6: denied unless senior management overrides.
//   - security-2 is based in the Kenya office: they may not clear Kenya's requests.
package seed

import (
	"context"
	"fmt"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// HeadquartersOffice is the office of the central teams (approvers, auditors, admins).
const HeadquartersOffice = domain.HeadquartersOffice

// FundContributionID is the id of the seed contribution (so seeding twice adds it once).
const FundContributionID = "seed-initial-usd"

// FundAmount is the seed contribution: 2,000,000.00 USD.
var FundAmount = domain.USD(200_000_000)

// DemoUsers returns the demo accounts; the local token issuer mints tokens for them.
func DemoUsers() []domain.Account {
	role := func(r domain.Role) []domain.Role { return []domain.Role{r} }
	return []domain.Account{
		{ID: "office-ke", DisplayName: "Kenya country office", Roles: role(domain.RoleCountryOffice), Office: "KE"},
		{ID: "office-ht", DisplayName: "Haiti country office", Roles: role(domain.RoleCountryOffice), Office: "HT"},
		{ID: "office-ye", DisplayName: "Yemen country office", Roles: role(domain.RoleCountryOffice), Office: "YE"},
		// The central task team requests for countries without a country office (Somalia, Sudan,
		// South Sudan, Mali in the demo data), and for any other.
		{ID: "office-hq", DisplayName: "Central task team (headquarters)", Roles: role(domain.RoleCountryOffice), Office: HeadquartersOffice},
		{ID: "security-1", DisplayName: "Security officer (headquarters)", Roles: role(domain.RoleSecurity), Office: HeadquartersOffice},
		{ID: "security-2", DisplayName: "Regional security adviser (Nairobi)", Roles: role(domain.RoleSecurity), Office: "KE"},
		{ID: "finance-1", DisplayName: "Finance officer", Roles: role(domain.RoleFinance), Office: HeadquartersOffice},
		{ID: "finance-2", DisplayName: "Finance officer (second)", Roles: role(domain.RoleFinance), Office: HeadquartersOffice},
		{ID: "hr-1", DisplayName: "Human resources officer", Roles: role(domain.RoleHR), Office: HeadquartersOffice},
		{ID: "senior-1", DisplayName: "Senior management", Roles: role(domain.RoleSeniorManagement), Office: HeadquartersOffice},
		{ID: "auditor-1", DisplayName: "Auditor", Roles: role(domain.RoleAuditor), Office: HeadquartersOffice},
		{ID: "admin-1", DisplayName: "Rapid-response team administrator", Roles: role(domain.RoleAdmin), Office: HeadquartersOffice},
	}
}

// Countries returns the demo countries (populations rounded, 2024 estimates).
func Countries() []domain.Country {
	c := func(code, name string, population int64, fragile, office bool) domain.Country {
		return domain.Country{Code: code, Name: name, Population: population, MemberState: true, Fragile: fragile, HasCountryOffice: office}
	}
	return []domain.Country{
		c("KE", "Kenya", 55_100_000, false, true),
		c("HT", "Haiti", 11_700_000, true, true),
		c("YE", "Yemen", 34_400_000, true, true),
		c("SO", "Somalia", 18_100_000, true, false),
		c("SS", "South Sudan", 11_100_000, true, false),
		c("SD", "Sudan", 48_100_000, true, false),
		c("CD", "Democratic Republic of the Congo", 105_600_000, true, true),
		c("LB", "Lebanon", 5_350_000, true, true),
		c("JO", "Jordan", 11_400_000, false, true),
		c("UA", "Ukraine", 37_900_000, true, true),
		c("ML", "Mali", 23_300_000, true, false),
		c("PH", "Philippines", 115_800_000, false, true),
		c("CO", "Colombia", 52_300_000, false, true),
		c("CH", "Switzerland", 8_900_000, false, true),
		// Not a member state: requests are not eligible.
		{Code: "VA", Name: "Holy See", Population: 800},
	}
}

// DutyStations returns the demo duty stations with their security levels.
func DutyStations() []domain.DutyStation {
	d := func(country, name string, level domain.SecurityLevel) domain.DutyStation {
		return domain.DutyStation{Country: country, Name: name, Level: level}
	}
	return []domain.DutyStation{
		d("KE", "Nairobi", 2), d("KE", "Mombasa", 3),
		d("HT", "Port-au-Prince", 4), d("HT", "Cap-Haïtien", 3),
		d("YE", "Aden", 5), d("YE", "Sana'a", 6),
		d("SO", "Mogadishu", 5), d("SS", "Juba", 5), d("SD", "Port Sudan", 5),
		d("CD", "Kinshasa", 3), d("CD", "Goma", 5),
		d("LB", "Beirut", 3), d("JO", "Amman", 2), d("UA", "Kyiv", 4), d("ML", "Bamako", 4),
		d("PH", "Manila", 2), d("CO", "Bogotá", 2), d("CH", "Geneva", 1),
	}
}

// Dates of the demo roster's training and insurance.
const (
	coverFrom     domain.Date = "2026-01-01"
	coverTo       domain.Date = "2030-12-31"
	trainingUntil domain.Date = "2030-12-31"
)

var staffNames = []string{
	"Amina Otieno", "Jean-Baptiste Pierre", "Leila Haddad", "Marta Gómez", "Kwame Mensah", "Sofia Petrenko",
	"Youssef Al-Amri", "Claire Dubois", "Daniel Mwangi", "Nadia Benali", "Rahul Mehta", "Fatou Diop",
	"Tomás Herrera", "Ingrid Larsen", "Omar Farah", "Élodie Martin", "Hassan Saleh", "Grace Achieng",
	"Pierre-Louis Joseph", "Mariam Nasser", "Lucas Moreau", "Aisha Abdi",
}

// Experts returns the demo roster: two staff experts for every technical area (English and
// French, Arabic for some, advanced training, full cover) and eleven consultants (some with
// only basic training, some lacking malicious-acts cover).
func Experts() []domain.Expert {
	var out []domain.Expert
	for i, area := range domain.Areas {
		for j := range 2 {
			n := 2*i + j
			langs := []string{"en", "fr"}
			switch {
			case j == 1 && i%2 == 0:
				langs = append(langs, "ar")
			case j == 1:
				langs = append(langs, "es")
			}
			// Each staff expert also covers the next area, so areas have depth.
			areas := []domain.Area{area, domain.Areas[(i+1)%len(domain.Areas)]}
			out = append(out, domain.Expert{
				ID: fmt.Sprintf("staff-%02d", n+1), Name: staffNames[n], Employment: domain.Staff, Areas: areas,
				Languages: langs, HomeOffice: []string{HeadquartersOffice, "KE", "HT", "YE", "LB"}[n%5],
				Training: domain.SecurityTraining{Level: domain.TrainingAdvanced, Expires: trainingUntil},
			})
		}
	}
	consultant := func(id, name string, areas []domain.Area, langs []string, training domain.TrainingLevel, expires domain.Date) domain.Expert {
		return domain.Expert{ID: id, Name: name, Employment: domain.Consultant, Areas: areas, Languages: langs,
			HomeOffice: HeadquartersOffice, Training: domain.SecurityTraining{Level: training, Expires: expires}}
	}
	a := domain.Areas
	out = append(out,
		consultant("consultant-01", "Ana Ferreira", []domain.Area{a[0], a[1], a[2]}, []string{"pt", "en"}, domain.TrainingAdvanced, trainingUntil),
		consultant("consultant-02", "João Silva", []domain.Area{a[3], a[4], a[5]}, []string{"pt", "es"}, domain.TrainingAdvanced, trainingUntil),
		consultant("consultant-03", "Beatriz Costa", []domain.Area{a[6], a[7], a[8], a[9], a[10]}, []string{"pt", "fr"}, domain.TrainingAdvanced, trainingUntil),
		consultant("consultant-04", "Olga Ivanova", []domain.Area{a[0], a[7], a[9]}, []string{"ru", "en"}, domain.TrainingBasic, trainingUntil),
		consultant("consultant-05", "Dmitri Sokolov", []domain.Area{a[1], a[5], a[8]}, []string{"ru", "uk"}, domain.TrainingBasic, trainingUntil),
		consultant("consultant-06", "Zawadi Njeri", []domain.Area{a[2], a[4], a[6]}, []string{"sw", "en"}, domain.TrainingAdvanced, trainingUntil),
		consultant("consultant-07", "Baraka Kiprono", []domain.Area{a[3], a[7], a[10]}, []string{"sw", "en", "fr"}, domain.TrainingAdvanced, "2027-03-31"),
		consultant("consultant-08", "Carmen Ruiz", []domain.Area{a[0], a[4], a[9]}, []string{"es", "en"}, domain.TrainingAdvanced, trainingUntil),
		consultant("consultant-09", "Diego Navarro", []domain.Area{a[1], a[3], a[10]}, []string{"es", "fr"}, domain.TrainingBasic, trainingUntil),
		consultant("consultant-10", "Salma Yousef", []domain.Area{a[5], a[8], a[9]}, []string{"ar", "en"}, domain.TrainingAdvanced, trainingUntil),
		consultant("consultant-11", "Khalid Mansour", []domain.Area{a[2], a[6], a[7]}, []string{"ar", "fr"}, domain.TrainingAdvanced, trainingUntil),
	)
	return out
}

// lacksMaliciousActs lists the consultants with no malicious-acts cover (the Portuguese
// speakers): at level 3 and above they need an hr enrolment.
var lacksMaliciousActs = map[string]bool{"consultant-01": true, "consultant-02": true, "consultant-03": true}

// Policies returns the demo roster's insurance policies. Most cover 2026-2030 in one policy per
// kind; staff-03's medical cover is two policies that chain without a gap, to show chaining.
func Policies() []domain.InsurancePolicy {
	var out []domain.InsurancePolicy
	for _, e := range Experts() {
		for _, kind := range domain.CoverKinds {
			if kind == domain.CoverMaliciousActs && lacksMaliciousActs[e.ID] {
				continue
			}
			p := domain.InsurancePolicy{ID: e.ID + "-" + string(kind), ExpertID: e.ID, Kind: kind,
				Insurer: "Demo Mutual", ValidFrom: coverFrom, ValidTo: coverTo}
			if e.ID == "staff-03" && kind == domain.CoverMedical {
				first := p
				first.ID, first.ValidTo = p.ID+"-1", "2027-06-30"
				p.ID, p.ValidFrom = p.ID+"-2", "2027-07-01"
				out = append(out, first)
			}
			out = append(out, p)
		}
	}
	return out
}

// Store is what Apply writes through; *store.Store has it.
type Store interface {
	PutCountry(ctx context.Context, c domain.Country) error
	PutDutyStation(ctx context.Context, d domain.DutyStation) error
	PutAccount(ctx context.Context, a domain.Account) error
	CreateExpert(ctx context.Context, e domain.Expert) (bool, error)
	PutPolicy(ctx context.Context, p domain.InsurancePolicy) error
	Contribute(ctx context.Context, c store.Contribution) (domain.LedgerEntry, error)
}

var _ Store = (*store.Store)(nil)

// Report says what Apply wrote.
type Report struct {
	Countries, DutyStations, Accounts, Policies int
	// ExpertsCreated counts the experts that did not exist yet (0 on a second run).
	ExpertsCreated int
	Fund           domain.Money
}

// Apply writes the demo data. Reference data, accounts and policies are put as they are (the
// same content again changes nothing); experts are created only if absent, so their bookings
// and any admin's changes survive; the fund contribution is keyed, so it is added once.
func Apply(ctx context.Context, st Store) (Report, error) {
	var r Report
	for _, c := range Countries() {
		if err := st.PutCountry(ctx, c); err != nil {
			return r, fmt.Errorf("seed country %s: %w", c.Code, err)
		}
		r.Countries++
	}
	for _, d := range DutyStations() {
		if err := st.PutDutyStation(ctx, d); err != nil {
			return r, fmt.Errorf("seed duty station %s: %w", d.Name, err)
		}
		r.DutyStations++
	}
	for _, a := range DemoUsers() {
		if err := st.PutAccount(ctx, a); err != nil {
			return r, fmt.Errorf("seed account %s: %w", a.ID, err)
		}
		r.Accounts++
	}
	for _, e := range Experts() {
		created, err := st.CreateExpert(ctx, e)
		if err != nil {
			return r, fmt.Errorf("seed expert %s: %w", e.ID, err)
		}
		if created {
			r.ExpertsCreated++
		}
	}
	for _, p := range Policies() {
		if err := st.PutPolicy(ctx, p); err != nil {
			return r, fmt.Errorf("seed policy %s: %w", p.ID, err)
		}
		r.Policies++
	}
	if _, err := st.Contribute(ctx, store.Contribution{ID: FundContributionID, Amount: FundAmount,
		Reference: "Initial allocation from the regular budget", Actor: "seed"}); err != nil {
		return r, fmt.Errorf("seed fund: %w", err)
	}
	r.Fund = FundAmount
	return r, nil
}
