// Package auth is Fast-Track's identity: the claims of a bearer token (the ones Cognito puts in
// an ID token), the verifier that checks such a token against a JSON Web Key Set, the local
// issuer that stands in for Cognito on one machine, and the one policy table that says which
// role may do what.
//
// The same Verifier checks Cognito's tokens on AWS (keys from the user pool's JWKS URL) and the
// local issuer's tokens (keys from the local system's /.well-known/jwks.json), so that the code
// path that decides who a caller is does not differ between the two.
package auth

import (
	"context"
	"slices"
)

// Role is a group a user belongs to (the token's cognito:groups claim).
type Role string

// The roles of the system.
const (
	CountryOffice    Role = "country-office"
	Security         Role = "security"
	Finance          Role = "finance"
	HR               Role = "hr"
	SeniorManagement Role = "senior-management"
	Auditor          Role = "auditor"
	Admin            Role = "admin"
)

// Roles lists every role, in a stable order.
func Roles() []Role {
	return []Role{CountryOffice, Security, Finance, HR, SeniorManagement, Auditor, Admin}
}

// Known reports whether r is one of the system's roles.
func (r Role) Known() bool { return slices.Contains(Roles(), r) }

// ApproverRoles are the roles that decide approval tasks.
func ApproverRoles() []Role { return []Role{Security, Finance, HR, SeniorManagement} }

// IsApprover reports whether r decides approval tasks.
func (r Role) IsApprover() bool { return slices.Contains(ApproverRoles(), r) }

// Principal is the verified caller: who they are, their roles and their office.
type Principal struct {
	// Subject is the stable user id (the token's sub).
	Subject string `json:"sub"`
	// Username is the login name (cognito:username), shown in the audit trail.
	Username string `json:"username"`
	// Roles are the caller's groups that are known roles; unknown groups are dropped.
	Roles []Role `json:"roles"`
	// Office is the caller's country office (custom:office), such as "KE"; empty for central
	// functions.
	Office string `json:"office,omitempty"`
}

// Has reports whether the principal holds role.
func (p Principal) Has(role Role) bool { return slices.Contains(p.Roles, role) }

// Actor is the person's id: recorded in the audit trail, on decisions and as the requester of
// an activation, and matched against delegations and reassignments. It is the login name
// (cognito:username): Cognito keeps it unique and unchangeable in a pool, and it is what an
// administrator types to reassign a task or an approver to delegate, whereas the sub is an
// opaque UUID nobody knows. Locally the two are the same (domain.Account.ID). The sub stands in
// only for a token without a username.
func (p Principal) Actor() string {
	if p.Username != "" {
		return p.Username
	}
	return p.Subject
}

type principalKey struct{}

// WithPrincipal returns a context that carries the verified principal.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal carried by ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
