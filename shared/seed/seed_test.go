package seed_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/seed"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

func TestDemoUsers(t *testing.T) {
	want := []string{"office-ke", "office-ht", "office-ye", "office-hq", "security-1", "security-2", "finance-1", "finance-2",
		"hr-1", "senior-1", "auditor-1", "admin-1"}
	var got []string
	for _, u := range seed.DemoUsers() {
		got = append(got, u.ID)
		if len(u.Roles) == 0 || u.Office == "" || u.DisplayName == "" {
			t.Errorf("incomplete account %+v", u)
		}
		for _, r := range u.Roles {
			if !r.Valid() {
				t.Errorf("%s has role %q", u.ID, r)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("accounts %v", got)
	}
	offices := map[string]string{}
	for _, u := range seed.DemoUsers() {
		offices[u.ID] = u.Office
	}
	if offices["office-ke"] != "KE" || offices["office-ht"] != "HT" || offices["office-ye"] != "YE" || offices["office-hq"] != domain.HeadquartersOffice {
		t.Errorf("country offices %v", offices)
	}
	// Every requesting account is the office of a seeded country that has one, or the central
	// task team at headquarters, which requests for the others.
	countries := map[string]domain.Country{}
	for _, c := range seed.Countries() {
		countries[c.Code] = c
	}
	for _, u := range seed.DemoUsers() {
		if !slices.Contains(u.Roles, domain.RoleCountryOffice) || u.Office == domain.HeadquartersOffice {
			continue
		}
		if c, ok := countries[u.Office]; !ok || !c.HasCountryOffice {
			t.Errorf("%s requests for %s, which has no country office in the seed", u.ID, u.Office)
		}
	}
}

func policiesByExpert() map[string][]domain.InsurancePolicy {
	out := map[string][]domain.InsurancePolicy{}
	for _, p := range seed.Policies() {
		out[p.ExpertID] = append(out[p.ExpertID], p)
	}
	return out
}

// Any one area, in English or in French, at any demo duty station up to level 5, on any start
// date of the next two years, finds an expert with the training and the full cover, using the
// matching and cover rules of the workflow.
func TestRosterCanStaffEveryAreaAtEveryStationUpToLevel5(t *testing.T) {
	cfg := config.Default()
	experts := seed.Experts()
	if len(experts) < 30 {
		t.Fatalf("%d experts", len(experts))
	}
	policies := policiesByExpert()
	perArea := map[domain.Area]int{}
	for _, e := range experts {
		for _, a := range e.Areas {
			perArea[a]++
		}
	}
	for _, a := range domain.Areas {
		if perArea[a] < 2 {
			t.Errorf("area %s has %d experts", a, perArea[a])
		}
	}
	stations := 0
	for _, station := range seed.DutyStations() {
		if station.Level > 5 {
			continue
		}
		stations++
		for _, area := range domain.Areas {
			for _, lang := range []string{"en", "fr"} {
				for _, start := range []domain.Date{"2026-12-01", "2027-06-15", "2028-10-01"} {
					profile := domain.Profile{Area: area, Languages: []string{lang}, StartDate: start, Days: 90}
					staffed := false
					for _, e := range domain.MatchExperts(profile, station.Level, experts, nil, cfg) {
						if len(domain.MissingCover(policies[e.ID], profile.Period(), station.Level, cfg)) == 0 {
							staffed = true
							break
						}
					}
					if !staffed {
						t.Errorf("%s in %s at %s (level %d) from %s: nobody", area, lang, station.Name, station.Level, start)
					}
				}
			}
		}
	}
	if stations < 5 {
		t.Errorf("only %d stations up to level 5", stations)
	}
}

// The paths the demo data is there to show.
func TestRosterShowsTheHRPaths(t *testing.T) {
	cfg := config.Default()
	experts := seed.Experts()
	policies := policiesByExpert()
	// Portuguese at Port-au-Prince (level 4): a consultant matches but lacks malicious-acts cover.
	pt := domain.Profile{Area: domain.Areas[0], Languages: []string{"pt"}, StartDate: "2026-12-01", Days: 30}
	matches := domain.MatchExperts(pt, 4, experts, nil, cfg)
	if len(matches) == 0 || matches[0].Employment != domain.Consultant {
		t.Fatalf("Portuguese matches %v", matches)
	}
	if missing := domain.MissingCover(policies[matches[0].ID], pt.Period(), 4, cfg); !slices.Equal(missing, []domain.CoverKind{domain.CoverMaliciousActs}) {
		t.Errorf("missing %v", missing)
	}
	// At level 2 the same consultant is fully covered.
	if missing := domain.MissingCover(policies[matches[0].ID], pt.Period(), 2, cfg); len(missing) != 0 {
		t.Errorf("level 2 missing %v", missing)
	}
	// Russian at Mombasa (level 3): only basic training on the roster, nobody matches.
	ru := domain.Profile{Area: domain.Areas[0], Languages: []string{"ru"}, StartDate: "2026-12-01", Days: 30}
	if matches := domain.MatchExperts(ru, 3, experts, nil, cfg); len(matches) != 0 {
		t.Errorf("Russian at level 3 matched %v", matches)
	}
	if matches := domain.MatchExperts(ru, 2, experts, nil, cfg); len(matches) == 0 {
		t.Error("Russian at level 2 matched nobody")
	}
	// Sana'a is level 6.
	for _, d := range seed.DutyStations() {
		if d.Name == "Sana'a" && domain.Clearance(d.Level, cfg).Decision != domain.Denied {
			t.Error("Sana'a is not denied")
		}
	}
}

func newStore(t *testing.T) (*store.Store, *dynamodb.Client, tables.Names) {
	t.Helper()
	client := dynamodb.New(dynamodb.Options{HTTPClient: sdkhttp.NewClient(), Region: "us-east-1", BaseEndpoint: aws.String(dynamolocal.TestEndpoint(t)),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	names, err := tables.EnsureTables(context.Background(), client, "seed"+hex.EncodeToString(b)+"-")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(time.Second); return now }
	return store.New(client, names, store.Options{Now: clock}), client, names
}

func snapshot(t *testing.T, client *dynamodb.Client, names tables.Names) map[string][]map[string]types.AttributeValue {
	t.Helper()
	out := map[string][]map[string]types.AttributeValue{}
	for _, decl := range tables.All() {
		res, err := client.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(names.Of(decl.Name)), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		out[decl.Name] = res.Items
	}
	return out
}

// Seeding twice changes nothing, and the fund holds 2,000,000 USD with a ledger that agrees.
func TestApplyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st, client, names := newStore(t)
	first, err := seed.Apply(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if first.ExpertsCreated != len(seed.Experts()) {
		t.Errorf("report %+v", first)
	}
	before := snapshot(t, client, names)
	second, err := seed.Apply(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if second.ExpertsCreated != 0 {
		t.Errorf("second run created %d experts", second.ExpertsCreated)
	}
	after := snapshot(t, client, names)
	for table := range before {
		if len(before[table]) != len(after[table]) || !reflect.DeepEqual(asSet(t, before[table]), asSet(t, after[table])) {
			t.Errorf("table %s changed: %d -> %d items", table, len(before[table]), len(after[table]))
		}
	}
	check, err := st.CheckLedger(ctx, "USD")
	if err != nil || !check.Consistent() || check.Balance.Available != 200_000_000 || check.Entries != 1 {
		t.Errorf("fund %+v %v", check, err)
	}
	ref, err := st.LoadReference(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		country, name string
		level         domain.SecurityLevel
	}{{"KE", "Nairobi", 2}, {"KE", "Mombasa", 3}, {"HT", "Port-au-Prince", 4}, {"YE", "Aden", 5}, {"YE", "Sana'a", 6}} {
		if d, ok := ref.DutyStation(want.country, want.name); !ok || d.Level != want.level {
			t.Errorf("%s: %+v", want.name, d)
		}
	}
	accounts, err := st.Accounts(ctx)
	if err != nil || len(accounts) != len(seed.DemoUsers()) {
		t.Errorf("accounts %d %v", len(accounts), err)
	}
}

func asSet(t *testing.T, items []map[string]types.AttributeValue) map[string]map[string]types.AttributeValue {
	out := map[string]map[string]types.AttributeValue{}
	for _, it := range items {
		key := ""
		for _, k := range []string{"pk", "sk", "id", "key", "stream"} {
			if v, ok := it[k].(*types.AttributeValueMemberS); ok {
				key += v.Value + "|"
			}
		}
		out[key] = it
	}
	return out
}
