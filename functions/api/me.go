package api

import (
	"net/http"

	"github.com/fasttrack/fasttrack/shared/auth"
)

// Me is the answer of GET /me: who the caller is, as their token says, and what the policy
// table lets them do. A client shows or hides its actions with it; the API still checks every
// request itself.
type Me struct {
	// ID is the caller's user id (the username; the sub for a token without one), the id the
	// audit trail records and delegations and reassignments name.
	ID       string      `json:"id"`
	Username string      `json:"username,omitempty"`
	Roles    []auth.Role `json:"roles"`
	Office   string      `json:"office,omitempty"`
	// Permissions maps each action the caller may take to its widest scope over their roles:
	// "all", "own-office" (their office's activations), "own-role" (tasks of their roles) or
	// "self" (their own delegations). Actions they may not take are absent.
	Permissions map[auth.Action]string `json:"permissions"`
}

// me handles GET /me.
func (s *Server) me(w http.ResponseWriter, _ *http.Request, caller auth.Principal) error {
	out := Me{ID: caller.Actor(), Username: caller.Username, Roles: caller.Roles, Office: caller.Office,
		Permissions: map[auth.Action]string{}}
	if out.Roles == nil {
		out.Roles = []auth.Role{}
	}
	for _, action := range auth.Actions() {
		if scope := caller.ScopeOf(action); scope != auth.None {
			out.Permissions[action] = scope.String()
		}
	}
	return writeJSON(w, http.StatusOK, out)
}
