package auth_test

import (
	"testing"

	"github.com/fasttrack/fasttrack/shared/auth"
)

func principal(office string, roles ...auth.Role) auth.Principal {
	return auth.Principal{Subject: "sub-" + string(roles[0]), Username: "user-" + string(roles[0]), Office: office, Roles: roles}
}

func TestPolicyAllows(t *testing.T) {
	ke := principal("KE", auth.CountryOffice)
	security := principal("", auth.Security)
	finance := principal("", auth.Finance)
	hr := principal("", auth.HR)
	senior := principal("", auth.SeniorManagement)
	auditor := principal("", auth.Auditor)
	admin := principal("", auth.Admin)
	nobody := auth.Principal{Subject: "x"}
	officeWithoutOffice := principal("", auth.CountryOffice)
	twoRoles := principal("", auth.Security, auth.Finance)

	keActivation := auth.Resource{Office: "KE"}
	htActivation := auth.Resource{Office: "HT"}
	securityTask := auth.Resource{Role: auth.Security}
	financeTask := auth.Resource{Role: auth.Finance}

	cases := []struct {
		name     string
		who      auth.Principal
		action   auth.Action
		resource auth.Resource
		want     bool
	}{
		{"office creates for its own office", ke, auth.CreateActivation, keActivation, true},
		{"office cannot create for another office", ke, auth.CreateActivation, htActivation, false},
		{"office reads its own activation", ke, auth.ReadActivation, keActivation, true},
		{"office cannot read another office's activation", ke, auth.ReadActivation, htActivation, false},
		{"office cancels its own activation", ke, auth.CancelActivation, keActivation, true},
		{"office cannot cancel another office's activation", ke, auth.CancelActivation, htActivation, false},
		{"office reads its own history", ke, auth.ReadHistory, keActivation, true},
		{"office cannot read another office's history", ke, auth.ReadHistory, htActivation, false},
		{"office without an office claim reads nothing", officeWithoutOffice, auth.ReadActivation, auth.Resource{}, false},
		{"office does not list tasks", ke, auth.ListTasks, securityTask, false},
		{"office does not decide", ke, auth.DecideTask, securityTask, false},
		{"office does not search the audit trail", ke, auth.SearchAudit, auth.Resource{}, false},
		{"office does not contribute to the fund", ke, auth.ContributeFund, auth.Resource{}, false},

		{"security decides a security task", security, auth.DecideTask, securityTask, true},
		{"security cannot decide a finance task", security, auth.DecideTask, financeTask, false},
		{"finance decides a finance task", finance, auth.DecideTask, financeTask, true},
		{"finance cannot decide a security task", finance, auth.DecideTask, securityTask, false},
		{"hr cannot decide a finance task", hr, auth.DecideTask, financeTask, false},
		{"senior management cannot decide a security task", senior, auth.DecideTask, securityTask, false},
		{"a person with two roles decides either role's task", twoRoles, auth.DecideTask, financeTask, true},
		{"security lists security tasks", security, auth.ListTasks, securityTask, true},
		{"approvers read every activation", security, auth.ReadActivation, htActivation, true},
		{"approvers do not create activations", security, auth.CreateActivation, keActivation, false},
		{"approvers do not cancel activations", finance, auth.CancelActivation, keActivation, false},
		{"approvers delegate their own tasks", security, auth.CreateDelegation, auth.Resource{Owner: "user-security"}, true},
		{"approvers cannot delegate someone else's tasks", security, auth.CreateDelegation, auth.Resource{Owner: "security-2"}, false},
		{"approvers list the delegations they gave", security, auth.ListDelegations, auth.Resource{Owner: "user-security"}, true},
		{"approvers cannot list someone else's delegations", security, auth.ListDelegations, auth.Resource{Owner: "security-2"}, false},
		{"approvers revoke their own delegations", finance, auth.RevokeDelegation, auth.Resource{Owner: "user-finance"}, true},
		{"approvers cannot revoke someone else's delegations", finance, auth.RevokeDelegation, auth.Resource{Owner: "finance-2"}, false},
		{"office does not list delegations", ke, auth.ListDelegations, auth.Resource{Owner: "user-country-office"}, false},
		{"approvers do not reassign", security, auth.ReassignTask, securityTask, false},
		{"finance reads the fund", finance, auth.ReadFund, auth.Resource{}, true},
		{"finance does not contribute to the fund", finance, auth.ContributeFund, auth.Resource{}, false},
		{"security does not read the fund", security, auth.ReadFund, auth.Resource{}, false},
		{"hr reads the roster", hr, auth.ReadExperts, auth.Resource{}, true},
		{"hr adds and changes experts and their insurance policies", hr, auth.ManageExperts, auth.Resource{}, true},
		{"hr does not read the fund", hr, auth.ReadFund, auth.Resource{}, false},
		{"hr does not contribute to the fund", hr, auth.ContributeFund, auth.Resource{}, false},
		{"hr does not reassign", hr, auth.ReassignTask, auth.Resource{Role: auth.HR}, false},
		{"finance does not change the roster", finance, auth.ManageExperts, auth.Resource{}, false},
		{"security does not change the roster", security, auth.ManageExperts, auth.Resource{}, false},
		{"senior management does not change the roster", senior, auth.ManageExperts, auth.Resource{}, false},
		{"office does not change the roster", ke, auth.ManageExperts, auth.Resource{}, false},

		{"auditor reads any activation", auditor, auth.ReadActivation, htActivation, true},
		{"auditor reads any history", auditor, auth.ReadHistory, keActivation, true},
		{"auditor lists every task", auditor, auth.ListTasks, financeTask, true},
		{"auditor searches the audit trail", auditor, auth.SearchAudit, auth.Resource{}, true},
		{"auditor exports the audit trail", auditor, auth.ExportAudit, auth.Resource{}, true},
		{"auditor cannot create", auditor, auth.CreateActivation, keActivation, false},
		{"auditor cannot cancel", auditor, auth.CancelActivation, keActivation, false},
		{"auditor cannot decide", auditor, auth.DecideTask, securityTask, false},
		{"auditor cannot reassign", auditor, auth.ReassignTask, securityTask, false},
		{"auditor cannot delegate", auditor, auth.CreateDelegation, auth.Resource{Owner: "user-auditor"}, false},
		{"auditor lists every delegation", auditor, auth.ListDelegations, auth.Resource{Owner: "security-2"}, true},
		{"auditor cannot revoke a delegation", auditor, auth.RevokeDelegation, auth.Resource{Owner: "security-2"}, false},
		{"auditor cannot contribute", auditor, auth.ContributeFund, auth.Resource{}, false},
		{"auditor cannot change experts", auditor, auth.ManageExperts, auth.Resource{}, false},
		{"auditor cannot redrive", auditor, auth.RedriveExecution, keActivation, false},

		{"admin contributes to the fund", admin, auth.ContributeFund, auth.Resource{}, true},
		{"admin manages experts", admin, auth.ManageExperts, auth.Resource{}, true},
		{"admin reassigns", admin, auth.ReassignTask, securityTask, true},
		{"admin delegates for anyone", admin, auth.CreateDelegation, auth.Resource{Owner: "security-2"}, true},
		{"admin lists every delegation", admin, auth.ListDelegations, auth.Resource{Owner: "security-2"}, true},
		{"admin revokes anyone's delegation", admin, auth.RevokeDelegation, auth.Resource{Owner: "security-2"}, true},
		{"admin redrives", admin, auth.RedriveExecution, keActivation, true},
		{"admin does not decide", admin, auth.DecideTask, securityTask, false},
		{"admin does not create activations", admin, auth.CreateActivation, keActivation, false},

		{"no roles, nothing", nobody, auth.ReadActivation, keActivation, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.who.Allows(tc.action, tc.resource); got != tc.want {
				t.Fatalf("Allows(%s) = %v, want %v", tc.action, got, tc.want)
			}
		})
	}
}

// Auditors must never hold a grant for a changing action, whatever is added to the table later.
func TestAuditorsChangeNothing(t *testing.T) {
	readOnly := map[auth.Action]bool{
		auth.ReadActivation: true, auth.ReadHistory: true, auth.ListTasks: true, auth.SearchAudit: true,
		auth.ExportAudit: true, auth.ReadMetrics: true, auth.ReadFund: true, auth.ReadExperts: true,
		auth.ListDelegations: true,
	}
	for _, action := range auth.Actions() {
		if !readOnly[action] && auth.Grant(auth.Auditor, action) != auth.None {
			t.Errorf("auditor holds %s (%s)", action, auth.Grant(auth.Auditor, action))
		}
	}
}

func TestEveryRoleAndActionIsKnown(t *testing.T) {
	actions := map[auth.Action]bool{}
	for _, a := range auth.Actions() {
		actions[a] = true
	}
	for role, grants := range auth.Policy() {
		if !role.Known() {
			t.Errorf("policy lists unknown role %q", role)
		}
		for action := range grants {
			if !actions[action] {
				t.Errorf("policy of %s lists unknown action %q", role, action)
			}
		}
	}
	for _, role := range auth.Roles() {
		if _, ok := auth.Policy()[role]; !ok {
			t.Errorf("role %s has no row in the policy", role)
		}
	}
}

func TestScopeOfTakesTheWidest(t *testing.T) {
	p := principal("KE", auth.CountryOffice, auth.Auditor)
	if got := p.ScopeOf(auth.ReadActivation); got != auth.All {
		t.Fatalf("scope = %s, want all", got)
	}
	if got := principal("KE", auth.CountryOffice).ScopeOf(auth.ReadActivation); got != auth.OwnOffice {
		t.Fatalf("scope = %s, want own-office", got)
	}
}
