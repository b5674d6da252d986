package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/fasttrack/fasttrack/shared/config"
)

// Actor is a person acting through the API, as their token says.
type Actor struct {
	ID     string `json:"id"`
	Roles  []Role `json:"roles"`
	Office string `json:"office"`
}

// Has reports whether the actor holds the role.
func (a Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// PriorDecision is a decision already taken on the same activation (on any of its tasks).
type PriorDecision struct {
	TaskID   string   `json:"taskId"`
	Kind     TaskKind `json:"kind"`
	Decision Decision `json:"decision"`
}

// DecisionContext is everything the separation-of-duties policy looks at.
type DecisionContext struct {
	Actor Actor
	// Role is the role the actor decides in (one of theirs).
	Role Role
	Task ApprovalTask
	// Prior are the decisions already taken on the task's activation.
	Prior []PriorDecision
	// Delegations are the delegations recorded by the task's assignee (if it has one).
	Delegations []Delegation
	Now         time.Time
	Config      *config.Config
}

// PolicyRule is one row of the separation-of-duties policy.
type PolicyRule struct {
	// ID names the rule in refusals, logs and tests, such as "not-own-request".
	ID          string
	Description string
	// refuse returns why the rule refuses the decision, or "".
	refuse func(DecisionContext) string
}

// DecisionPolicy is the separation-of-duties policy, one rule a row, checked in order. The
// first rule that refuses gives the reason.
var DecisionPolicy = []PolicyRule{
	{
		ID:          "decides-in-task-role",
		Description: "The approver holds the task's role and decides in it.",
		refuse: func(c DecisionContext) string {
			if c.Role != c.Task.Role || !c.Actor.Has(c.Task.Role) {
				return fmt.Sprintf("this task is for the %s role", c.Task.Role)
			}
			return ""
		},
	},
	{
		ID:          "task-open",
		Description: "Only an open task before its deadline can be decided; an escalated, expired or decided task cannot.",
		refuse: func(c DecisionContext) string {
			if c.Task.Status != TaskOpen {
				return fmt.Sprintf("the task is %s", c.Task.Status)
			}
			if !c.Now.Before(c.Task.Deadline) {
				return "the task is past its deadline"
			}
			return ""
		},
	},
	{
		ID:          "assignee-or-delegate",
		Description: "A task assigned to one person is decided by them or by someone they delegated to, for the delegation's period.",
		refuse: func(c DecisionContext) string {
			if c.Task.Assignee == "" || c.Task.Assignee == c.Actor.ID {
				return ""
			}
			for _, d := range c.Delegations {
				if d.FromUser == c.Task.Assignee && d.ToUser == c.Actor.ID && d.Role == c.Task.Role && d.ActiveAt(c.Now) {
					return ""
				}
			}
			return fmt.Sprintf("the task is assigned to %s", c.Task.Assignee)
		},
	},
	{
		ID:          "not-own-request",
		Description: "Nobody approves a request they made.",
		refuse: func(c DecisionContext) string {
			if c.Task.RequestedBy != "" && c.Task.RequestedBy == c.Actor.ID {
				return "nobody may decide on a request they made"
			}
			return ""
		},
	},
	{
		ID: "not-own-office",
		Description: "An approver of a role listed in policy.sameOfficeForbidden does not decide activations of their own country office. " +
			"Headquarters is not a country office: its approvers decide the central task team's requests (nobody still decides their own).",
		refuse: func(c DecisionContext) string {
			// Every central approver sits at headquarters, where the central task team asks for
			// countries without an office: refusing them would leave its requests undecidable.
			if c.Actor.Office == "" || c.Actor.Office == HeadquartersOffice || c.Actor.Office != c.Task.Office {
				return ""
			}
			if slices.Contains(c.Config.Policy.SameOfficeForbidden, string(c.Role)) {
				return fmt.Sprintf("a %s approver may not decide on a request of their own office", c.Role)
			}
			return ""
		},
	},
	{
		ID:          "one-role-per-activation",
		Description: "A person with two roles cannot use both on one activation.",
		refuse: func(c DecisionContext) string {
			for _, p := range c.Prior {
				if p.Decision.ActorID == c.Actor.ID && p.Decision.Role != c.Role {
					return fmt.Sprintf("you already decided on this activation as %s", p.Decision.Role)
				}
			}
			return ""
		},
	},
	{
		ID:          "four-eyes",
		Description: "Above the second fund threshold, the fund approvals are given by two different people.",
		refuse: func(c DecisionContext) string {
			if !c.Task.Kind.FundApproval() || !FourEyes(c.Task.Summary.Amount, c.Config) {
				return ""
			}
			for _, p := range c.Prior {
				if p.Kind.FundApproval() && p.TaskID != c.Task.ID && p.Decision.ActorID == c.Actor.ID {
					return "above the second threshold two different people must approve the funds"
				}
			}
			return ""
		},
	},
}

// CanDecide applies DecisionPolicy and returns a *DecisionRefused naming the first rule that
// refuses, or nil if the actor may decide the task.
func CanDecide(c DecisionContext) error {
	if c.Config == nil {
		c.Config = config.Default()
	}
	for _, rule := range DecisionPolicy {
		if reason := rule.refuse(c); reason != "" {
			return &DecisionRefused{Rule: rule.ID, Reason: reason}
		}
	}
	return nil
}

// HeadquartersOffice is the office of the central teams (approvers, auditors, administrators,
// the central task team that requests activations where there is no country office) and of
// experts who are not posted to a country office: not a country code.
const HeadquartersOffice = "HQ"

// CheckRequestingOffice is who may request an activation for which country. Responses are led
// by country offices: a country office (its office is the country's ISO code) requests for its
// own country only. The central task team, whose office is HeadquartersOffice, requests for any
// country: where there is no country office, and wherever headquarters leads the response. It
// returns nil, or a forbidden error saying why.
func CheckRequestingOffice(office, country string) error {
	switch {
	case office == "":
		return Errorf(CodeForbidden, "your token names no office to request for")
	case office == HeadquartersOffice || office == country:
		return nil
	}
	return Errorf(CodeForbidden, "the %s country office requests activations for %s only, not for %s; "+
		"the central task team (office %s) requests for other countries", office, office, country, HeadquartersOffice)
}

// Account is a person who can sign in: the local token issuer mints tokens for accounts, and on
// AWS they are Cognito users with these groups and office.
type Account struct {
	// ID is the user id (the token's sub), such as "office-ke".
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	// Roles are the groups (cognito:groups).
	Roles []Role `json:"roles"`
	// Office is the country office's ISO code, or "HQ" for the central teams (custom:office).
	Office string `json:"office"`
}

// Actor returns the account as an actor.
func (a Account) Actor() Actor { return Actor{ID: a.ID, Roles: a.Roles, Office: a.Office} }
