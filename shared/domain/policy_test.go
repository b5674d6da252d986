package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func baseDecision() domain.DecisionContext {
	return domain.DecisionContext{
		Actor: domain.Actor{ID: "finance-1", Roles: []domain.Role{domain.RoleFinance}, Office: "HQ"},
		Role:  domain.RoleFinance,
		Task: domain.ApprovalTask{ID: "t-fin", ActivationID: "a-1", Role: domain.RoleFinance, Kind: domain.KindFundRelease,
			Status: domain.TaskOpen, Deadline: now.Add(time.Hour), RequestedBy: "office-ht", Office: "HT",
			Summary: domain.TaskSummary{Amount: domain.USD(30_000_000)}},
		Now:    now,
		Config: config.Default(),
	}
}

// Every rule of the separation-of-duties policy refuses its case, and allows the base case.
func TestCanDecide(t *testing.T) {
	if err := domain.CanDecide(baseDecision()); err != nil {
		t.Fatalf("base case refused: %v", err)
	}
	cases := []struct {
		name   string
		change func(*domain.DecisionContext)
		rule   string // "" when allowed
	}{
		{"role not held", func(c *domain.DecisionContext) { c.Actor.Roles = []domain.Role{domain.RoleHR}; c.Role = domain.RoleHR }, "decides-in-task-role"},
		{"deciding in another role", func(c *domain.DecisionContext) {
			c.Actor.Roles = []domain.Role{domain.RoleFinance, domain.RoleSecurity}
			c.Role = domain.RoleSecurity
		}, "decides-in-task-role"},
		{"task decided", func(c *domain.DecisionContext) { c.Task.Status = domain.TaskDecided }, "task-open"},
		{"task escalated", func(c *domain.DecisionContext) { c.Task.Status = domain.TaskEscalated }, "task-open"},
		{"past deadline", func(c *domain.DecisionContext) { c.Now = c.Task.Deadline }, "task-open"},
		{"assigned to someone else", func(c *domain.DecisionContext) { c.Task.Assignee = "finance-2" }, "assignee-or-delegate"},
		{"assigned to the actor", func(c *domain.DecisionContext) { c.Task.Assignee = "finance-1" }, ""},
		{"delegate within the period", func(c *domain.DecisionContext) {
			c.Task.Assignee = "finance-2"
			c.Delegations = []domain.Delegation{{FromUser: "finance-2", ToUser: "finance-1", Role: domain.RoleFinance,
				Start: now.Add(-time.Hour), Until: now.Add(time.Hour)}}
		}, ""},
		{"delegation expired", func(c *domain.DecisionContext) {
			c.Task.Assignee = "finance-2"
			c.Delegations = []domain.Delegation{{FromUser: "finance-2", ToUser: "finance-1", Role: domain.RoleFinance,
				Start: now.Add(-48 * time.Hour), Until: now}}
		}, "assignee-or-delegate"},
		{"delegation not started", func(c *domain.DecisionContext) {
			c.Task.Assignee = "finance-2"
			c.Delegations = []domain.Delegation{{FromUser: "finance-2", ToUser: "finance-1", Role: domain.RoleFinance,
				Start: now.Add(time.Minute), Until: now.Add(time.Hour)}}
		}, "assignee-or-delegate"},
		{"delegation of another role", func(c *domain.DecisionContext) {
			c.Task.Assignee = "finance-2"
			c.Delegations = []domain.Delegation{{FromUser: "finance-2", ToUser: "finance-1", Role: domain.RoleSecurity,
				Start: now.Add(-time.Hour), Until: now.Add(time.Hour)}}
		}, "assignee-or-delegate"},
		{"own request", func(c *domain.DecisionContext) { c.Task.RequestedBy = "finance-1" }, "not-own-request"},
		{"own office", func(c *domain.DecisionContext) { c.Actor.Office = "HT" }, "not-own-office"},
		{"headquarters approver on the central task team's request", func(c *domain.DecisionContext) {
			c.Task.Office, c.Task.RequestedBy = domain.HeadquartersOffice, "office-hq"
		}, ""},
		{"headquarters approver on their own request", func(c *domain.DecisionContext) {
			c.Task.Office, c.Task.RequestedBy = domain.HeadquartersOffice, "finance-1"
		}, "not-own-request"},
		{"country office approver on the central task team's request", func(c *domain.DecisionContext) {
			c.Actor.Office, c.Task.Office, c.Task.RequestedBy = "KE", domain.HeadquartersOffice, "office-hq"
		}, ""},
		{"own office allowed by policy", func(c *domain.DecisionContext) {
			c.Actor.Office = "HT"
			c.Config.Policy.SameOfficeForbidden = []string{"security"}
		}, ""},
		{"two roles on one activation", func(c *domain.DecisionContext) {
			c.Actor.Roles = []domain.Role{domain.RoleFinance, domain.RoleSecurity}
			c.Prior = []domain.PriorDecision{{TaskID: "t-sec", Kind: domain.KindSecurityClearance,
				Decision: domain.Decision{ActorID: "finance-1", Role: domain.RoleSecurity, Outcome: domain.Approve}}}
		}, "one-role-per-activation"},
		{"another person's decision in another role", func(c *domain.DecisionContext) {
			c.Prior = []domain.PriorDecision{{TaskID: "t-sec", Kind: domain.KindSecurityClearance,
				Decision: domain.Decision{ActorID: "security-1", Role: domain.RoleSecurity, Outcome: domain.Approve}}}
		}, ""},
		{"four eyes: one person both fund approvals", func(c *domain.DecisionContext) {
			c.Actor = domain.Actor{ID: "senior-1", Roles: []domain.Role{domain.RoleSeniorManagement}, Office: "HQ"}
			c.Role = domain.RoleSeniorManagement
			c.Task.Role, c.Task.Kind, c.Task.ID = domain.RoleSeniorManagement, domain.KindSeniorFundRelease, "t-senior"
			// senior-1 already decided the finance task after it escalated to senior management.
			c.Prior = []domain.PriorDecision{{TaskID: "t-fin-escalated", Kind: domain.KindFundRelease,
				Decision: domain.Decision{ActorID: "senior-1", Role: domain.RoleSeniorManagement, Outcome: domain.Approve}}}
		}, "four-eyes"},
		{"four eyes: below the threshold one person may", func(c *domain.DecisionContext) {
			c.Actor = domain.Actor{ID: "senior-1", Roles: []domain.Role{domain.RoleSeniorManagement}, Office: "HQ"}
			c.Role = domain.RoleSeniorManagement
			c.Task.Role, c.Task.Kind, c.Task.ID = domain.RoleSeniorManagement, domain.KindFundRelease, "t-fin-escalated-2"
			c.Task.Summary.Amount = domain.USD(25_000_000)
			c.Prior = []domain.PriorDecision{{TaskID: "t-fin-escalated", Kind: domain.KindFundRelease,
				Decision: domain.Decision{ActorID: "senior-1", Role: domain.RoleSeniorManagement, Outcome: domain.Approve}}}
		}, ""},
		{"four eyes: two different people", func(c *domain.DecisionContext) {
			c.Actor = domain.Actor{ID: "senior-1", Roles: []domain.Role{domain.RoleSeniorManagement}, Office: "HQ"}
			c.Role = domain.RoleSeniorManagement
			c.Task.Role, c.Task.Kind, c.Task.ID = domain.RoleSeniorManagement, domain.KindSeniorFundRelease, "t-senior"
			c.Prior = []domain.PriorDecision{{TaskID: "t-fin", Kind: domain.KindFundRelease,
				Decision: domain.Decision{ActorID: "finance-1", Role: domain.RoleFinance, Outcome: domain.Approve}}}
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := baseDecision()
			c.change(&ctx)
			err := domain.CanDecide(ctx)
			if c.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var refused *domain.DecisionRefused
			if !errors.As(err, &refused) || refused.Rule != c.rule {
				t.Fatalf("got %v, want refusal by %s", err, c.rule)
			}
			if domain.CodeOf(err) != domain.CodeForbidden || refused.Reason == "" {
				t.Errorf("refusal %+v code %s", refused, domain.CodeOf(err))
			}
		})
	}
}

// Every policy row has a refusing case above.
func TestEveryPolicyRowIsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, rule := range domain.DecisionPolicy {
		if rule.ID == "" || rule.Description == "" || seen[rule.ID] {
			t.Errorf("bad row %+v", rule)
		}
		seen[rule.ID] = true
	}
	if len(seen) != 7 {
		t.Errorf("%d rules", len(seen))
	}
}

func TestErrorModel(t *testing.T) {
	wrapped := errors.Join(errors.New("context"), domain.NotFound("activation", "a-1"))
	if domain.CodeOf(wrapped) != domain.CodeNotFound || domain.MessageOf(wrapped) != `activation "a-1" not found` {
		t.Errorf("code %s message %q", domain.CodeOf(wrapped), domain.MessageOf(wrapped))
	}
	internal := errors.New("dynamodb: connection refused at 10.0.0.1")
	if domain.CodeOf(internal) != domain.CodeInternal || domain.MessageOf(internal) != "an internal error occurred" {
		t.Error("internal errors must not leak")
	}
	if domain.CodeOf(nil) != "" {
		t.Error("nil has a code")
	}
	funds := &domain.InsufficientFunds{Message: "the fund has 10.00 USD"}
	if domain.CodeOf(funds) != domain.CodeUnprocessable || domain.MessageOf(funds) != funds.Message {
		t.Error("named business error")
	}
}

func TestCheckRequestingOffice(t *testing.T) {
	cases := []struct {
		name, office, country string
		allowed               bool
		says                  string
	}{
		{"a country office for its own country", "KE", "KE", true, ""},
		{"a country office for another country", "KE", "HT", false, "the KE country office requests activations for KE only, not for HT"},
		{"a country office for a country without an office", "HT", "SO", false, "central task team (office HQ)"},
		{"the central task team for a country without an office", domain.HeadquartersOffice, "SO", true, ""},
		{"the central task team for a country with an office", domain.HeadquartersOffice, "KE", true, ""},
		{"no office", "", "KE", false, "names no office"},
		{"an office code in another case", "ke", "KE", false, "not for KE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := domain.CheckRequestingOffice(c.office, c.country)
			if c.allowed {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if domain.CodeOf(err) != domain.CodeForbidden || !strings.Contains(domain.MessageOf(err), c.says) {
				t.Fatalf("%v (%s), want forbidden saying %q", err, domain.CodeOf(err), c.says)
			}
		})
	}
}
