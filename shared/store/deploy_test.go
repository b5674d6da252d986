package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

func TestDeployExpert(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	for _, id := range []string{"e-1", "e-2"} {
		mustExpert(t, st, id)
	}
	consultant := testExpert("c-1")
	consultant.Employment = domain.Consultant
	if _, err := st.CreateExpert(ctx, consultant); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []domain.CoverKind{domain.CoverMedical, domain.CoverEvacuation} {
		for _, id := range []string{"e-1", "e-2", "c-1"} {
			if err := st.PutPolicy(ctx, domain.InsurancePolicy{ID: id + string(kind), ExpertID: id, Kind: kind,
				ValidFrom: "2026-01-01", ValidTo: "2030-12-31"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	profile := domain.Profile{Area: domain.Gender, Languages: []string{"fr"}, StartDate: "2026-12-01", Days: 20}
	req := func(activation string) store.DeployRequest {
		return store.DeployRequest{ActivationID: activation, Profile: profile, Level: 4, Config: cfgDefault()}
	}
	// Three activations want the same days at once: staff first, then the consultant.
	results := make([]store.Deployed, 3)
	var wg sync.WaitGroup
	for i, a := range []string{"a-1", "a-2", "a-3"} {
		wg.Go(func() {
			d, err := st.DeployExpert(ctx, req(a))
			if err != nil {
				t.Errorf("deploy %s: %v", a, err)
			}
			results[i] = d
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, d := range results {
		seen[d.Expert.ID] = true
		if len(d.Missing) != 1 || d.Missing[0] != domain.CoverMaliciousActs {
			t.Errorf("%s missing %v", d.Expert.ID, d.Missing)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("experts %v", seen)
	}
	// A retry returns the same booking; a fourth activation finds nobody.
	again, err := st.DeployExpert(ctx, req("a-2"))
	if err != nil || again.Booking.ID != results[1].Booking.ID {
		t.Errorf("retry %+v %v", again, err)
	}
	_, err = st.DeployExpert(ctx, req("a-4"))
	var none *domain.NoExpertAvailable
	if !errors.As(err, &none) {
		t.Errorf("fourth: %v", err)
	}
}
