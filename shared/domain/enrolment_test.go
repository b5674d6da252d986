package domain_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestEnrolmentComplete(t *testing.T) {
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
		missing  []domain.CoverKind
		message  string
	}{
		{"covered at level 2", full, 2, nil, ""},
		{"malicious acts still missing at level 3", full, 3, []domain.CoverKind{domain.CoverMaliciousActs},
			"expert e-1 still lacks malicious_acts cover for 2026-12-01 to 2026-12-31 (security level 3)"},
		{"the policy recorded", append([]domain.InsurancePolicy{policy(domain.CoverMaliciousActs, "2026-11-01", "2027-01-31")}, full...), 3, nil, ""},
		{"a policy ending before the deployment does", append([]domain.InsurancePolicy{policy(domain.CoverMaliciousActs, "2026-11-01", "2026-12-30")}, full...), 4,
			[]domain.CoverKind{domain.CoverMaliciousActs}, "expert e-1 still lacks malicious_acts cover for 2026-12-01 to 2026-12-31 (security level 4)"},
		{"nothing at all", nil, 5, []domain.CoverKind{domain.CoverMedical, domain.CoverEvacuation, domain.CoverMaliciousActs},
			"expert e-1 still lacks medical, evacuation and malicious_acts cover for 2026-12-01 to 2026-12-31 (security level 5)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := domain.EnrolmentComplete("e-1", c.policies, period, c.level, cfg)
			if c.missing == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var still *domain.CoverStillMissing
			if !errors.As(err, &still) {
				t.Fatalf("error %v, want *CoverStillMissing", err)
			}
			if !reflect.DeepEqual(still.Missing, c.missing) || still.ExpertID != "e-1" || still.Period != period || still.Level != c.level {
				t.Fatalf("refusal %+v", still)
			}
			if err.Error() != c.message || domain.CodeOf(err) != domain.CodeConflict {
				t.Fatalf("message %q code %s, want %q conflict", err.Error(), domain.CodeOf(err), c.message)
			}
		})
	}
}

func TestDeploymentLevel(t *testing.T) {
	cases := []struct {
		name       string
		activation domain.Activation
		want       domain.SecurityLevel
	}{
		{"before clearance, the duty station's level", domain.Activation{SecurityLevel: 4}, 4},
		{"after clearance, its level", domain.Activation{SecurityLevel: 4, Clearance: &domain.ClearanceOutcome{Level: 5}}, 5},
		{"a clearance without a level keeps the duty station's", domain.Activation{SecurityLevel: 3, Clearance: &domain.ClearanceOutcome{}}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.activation.DeploymentLevel(); got != c.want {
				t.Fatalf("level %d, want %d", got, c.want)
			}
		})
	}
}
