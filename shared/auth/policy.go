package auth

// Action is something a caller may try to do through the API or the console.
type Action string

// The actions of the system.
const (
	CreateActivation Action = "activations:create"
	ReadActivation   Action = "activations:read"
	CancelActivation Action = "activations:cancel"
	ReadHistory      Action = "activations:history"
	RedriveExecution Action = "activations:redrive"
	ListTasks        Action = "tasks:list"
	DecideTask       Action = "tasks:decide"
	ReassignTask     Action = "tasks:reassign"
	CreateDelegation Action = "delegations:create"
	ListDelegations  Action = "delegations:list"
	RevokeDelegation Action = "delegations:revoke"
	SearchAudit      Action = "audit:search"
	ExportAudit      Action = "audit:export"
	ReadMetrics      Action = "metrics:read"
	ReadFund         Action = "fund:read"
	ContributeFund   Action = "fund:contribute"
	ReadExperts      Action = "experts:read"
	ManageExperts    Action = "experts:write"
)

// Actions lists every action, in a stable order.
func Actions() []Action {
	return []Action{
		CreateActivation, ReadActivation, CancelActivation, ReadHistory, RedriveExecution,
		ListTasks, DecideTask, ReassignTask, CreateDelegation, ListDelegations, RevokeDelegation,
		SearchAudit, ExportAudit, ReadMetrics,
		ReadFund, ContributeFund, ReadExperts, ManageExperts,
	}
}

// Scope is how far a grant reaches. Scopes are ordered: a wider scope includes the narrower
// ones' resources, so that a caller with two roles gets the widest of their grants.
type Scope int

// Scopes, narrowest first.
const (
	// None: the action is refused.
	None Scope = iota
	// Self: only resources the caller owns (their own delegations).
	Self
	// OwnRole: only resources addressed to one of the caller's roles (approval tasks).
	OwnRole
	// OwnOffice: only resources of the caller's office (activations of a country office).
	OwnOffice
	// All: every resource.
	All
)

// String names the scope.
func (s Scope) String() string {
	switch s {
	case Self:
		return "self"
	case OwnRole:
		return "own-role"
	case OwnOffice:
		return "own-office"
	case All:
		return "all"
	default:
		return "none"
	}
}

// approverGrants are what every approver role may do.
var approverGrants = map[Action]Scope{
	ReadActivation:   All,
	ReadHistory:      All,
	ListTasks:        OwnRole,
	DecideTask:       OwnRole,
	CreateDelegation: Self,
	// Their own delegations: given (Owner is the delegator) or received (the delegate).
	ListDelegations: Self,
	// Only the delegator ends a delegation early.
	RevokeDelegation: Self,
}

func with(base map[Action]Scope, extra map[Action]Scope) map[Action]Scope {
	out := make(map[Action]Scope, len(base)+len(extra))
	for a, s := range base {
		out[a] = s
	}
	for a, s := range extra {
		out[a] = s
	}
	return out
}

// policy is the one table of roles and permissions. The API authorises every request with it,
// the console shows or hides actions with it, and the tests check it case by case. Anything not
// listed is refused. Separation-of-duties rules that depend on the activation (nobody approves
// what they asked for) are domain rules applied on top of this table.
var policy = map[Role]map[Action]Scope{
	// Country offices ask for activations and follow their own office's, nothing else.
	CountryOffice: {
		CreateActivation: OwnOffice,
		ReadActivation:   OwnOffice,
		CancelActivation: OwnOffice,
		ReadHistory:      OwnOffice,
	},
	Security: approverGrants,
	Finance:  with(approverGrants, map[Action]Scope{ReadFund: All}),
	// HR sources the consultants and enrols the experts in insurance that its tasks ask for, so
	// it keeps the roster and the policies itself, as the rapid-response team does.
	HR: with(approverGrants, map[Action]Scope{ReadExperts: All, ManageExperts: All}),
	SeniorManagement: with(approverGrants, map[Action]Scope{
		ReadFund: All, ReadMetrics: All,
	}),
	// Auditors read everything and change nothing.
	Auditor: {
		ReadActivation: All,
		ReadHistory:    All,
		ListTasks:      All,
		SearchAudit:    All,
		ExportAudit:    All,
		ReadMetrics:    All,
		ReadFund:       All,
		ReadExperts:    All,
		// Every delegation, to check who acted for whom.
		ListDelegations: All,
	},
	// The rapid-response team keeps the fund, the roster and the tasks moving; it neither asks
	// for activations nor decides them.
	Admin: {
		ReadActivation:   All,
		ReadHistory:      All,
		RedriveExecution: All,
		ListTasks:        All,
		ReassignTask:     All,
		CreateDelegation: All,
		ListDelegations:  All,
		RevokeDelegation: All,
		SearchAudit:      All,
		ExportAudit:      All,
		ReadMetrics:      All,
		ReadFund:         All,
		ContributeFund:   All,
		ReadExperts:      All,
		ManageExperts:    All,
	},
}

// Grant is the scope a role has for an action; None when the table does not list it.
func Grant(role Role, action Action) Scope { return policy[role][action] }

// Policy returns a copy of the whole table, for display (the console, documentation).
func Policy() map[Role]map[Action]Scope {
	out := make(map[Role]map[Action]Scope, len(policy))
	for role, grants := range policy {
		out[role] = with(grants, nil)
	}
	return out
}

// ScopeOf is the widest scope any of the principal's roles has for action.
func (p Principal) ScopeOf(action Action) Scope {
	widest := None
	for _, role := range p.Roles {
		widest = max(widest, Grant(role, action))
	}
	return widest
}

// Can reports whether the principal may do action on at least some resources.
func (p Principal) Can(action Action) bool { return p.ScopeOf(action) != None }

// Resource describes what an action touches, for the scope checks.
type Resource struct {
	// Office owns the resource (an activation's requesting office).
	Office string
	// Role is the role the resource is addressed to (an approval task's role).
	Role Role
	// Owner is the username or subject of the person who owns it (a delegation's delegator).
	Owner string
}

// Allows reports whether the principal may do action on resource: some role of theirs grants
// the action with a scope that covers the resource.
func (p Principal) Allows(action Action, resource Resource) bool {
	for _, role := range p.Roles {
		switch Grant(role, action) {
		case All:
			return true
		case OwnOffice:
			if p.Office != "" && resource.Office == p.Office {
				return true
			}
		case OwnRole:
			if role == resource.Role {
				return true
			}
		case Self:
			if resource.Owner != "" && (resource.Owner == p.Username || resource.Owner == p.Subject) {
				return true
			}
		}
	}
	return false
}
