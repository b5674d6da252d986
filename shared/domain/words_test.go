package domain_test

import (
	"testing"

	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestListWords(t *testing.T) {
	cases := []struct {
		items []domain.Role
		want  string
	}{
		{nil, ""},
		{[]domain.Role{domain.RoleFinance}, "finance"},
		{[]domain.Role{domain.RoleFinance, domain.RoleSeniorManagement}, "finance and senior-management"},
		{[]domain.Role{domain.RoleSecurity, domain.RoleFinance, domain.RoleHR}, "security, finance and hr"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if got := domain.ListWords(c.items); got != c.want {
				t.Fatalf("%q, want %q", got, c.want)
			}
		})
	}
}

func TestOutcomePastTense(t *testing.T) {
	cases := []struct {
		outcome domain.Outcome
		want    string
	}{
		{domain.Approve, "approved"},
		{domain.Reject, "rejected"},
		{domain.Outcome("abstain"), "abstain"},
	}
	for _, c := range cases {
		t.Run(string(c.outcome), func(t *testing.T) {
			if got := c.outcome.PastTense(); got != c.want {
				t.Fatalf("%q, want %q", got, c.want)
			}
		})
	}
}
