package store_test

import (
	"context"
	"testing"

	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestReferenceData(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	if err := st.PutCountry(ctx, domain.Country{Code: "HT", Name: "Haiti", Population: 11_700_000, MemberState: true, Fragile: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutCountry(ctx, domain.Country{Code: "hti", Population: -1}); len(domain.FieldsOf(err)) != 2 {
		t.Errorf("bad country: %v", err)
	}
	if err := st.PutDutyStation(ctx, domain.DutyStation{Country: "HT", Name: "Port-au-Prince", Level: 4}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutDutyStation(ctx, domain.DutyStation{Country: "HT", Name: "Nowhere", Level: 7}); len(domain.FieldsOf(err)) != 1 {
		t.Errorf("bad level: %v", err)
	}
	ref, err := st.LoadReference(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := ref.Country("HT"); !ok || c.Population != 11_700_000 || !c.Fragile {
		t.Errorf("country %+v", c)
	}
	if d, ok := ref.DutyStation("HT", "Port-au-Prince"); !ok || d.Level != domain.LevelSubstantial {
		t.Errorf("station %+v", d)
	}
	type rules struct{ Deadline string }
	var got rules
	if ok, err := st.GetSetting(ctx, "rules", &got); ok || err != nil {
		t.Errorf("unset setting %v %v", ok, err)
	}
	if err := st.PutSetting(ctx, "rules", rules{Deadline: "12h"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.GetSetting(ctx, "rules", &got); !ok || err != nil || got.Deadline != "12h" {
		t.Errorf("setting %+v %v %v", got, ok, err)
	}
	if err := st.PutAccount(ctx, domain.Account{ID: "office-ht", Roles: []domain.Role{domain.RoleCountryOffice}, Office: "HT"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutAccount(ctx, domain.Account{ID: "x", Roles: []domain.Role{"root"}}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("bad role: %v", err)
	}
	if a, err := st.GetAccount(ctx, "office-ht"); err != nil || a.Office != "HT" {
		t.Errorf("account %+v %v", a, err)
	}
	if _, err := st.GetAccount(ctx, "nobody"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("missing account: %v", err)
	}
}
