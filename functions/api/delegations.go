package api

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// DelegationRequest is the body of POST /delegations.
type DelegationRequest struct {
	FromUser string      `json:"fromUser"`
	ToUser   string      `json:"toUser"`
	Role     domain.Role `json:"role"`
	Start    time.Time   `json:"start"`
	Until    time.Time   `json:"until"`
	Reason   string      `json:"reason"`
}

// RevokeRequest is the optional body of POST /delegations/{id}/revoke.
type RevokeRequest struct {
	Reason string `json:"reason"`
}

// DelegationView is a delegation as the API shows it: the stored delegation and where it stands
// now.
type DelegationView struct {
	domain.Delegation
	// Status is scheduled, active, ended or revoked, at the time of the answer.
	Status domain.DelegationStatus `json:"status"`
	// Active says whether the delegate may act for the delegator now.
	Active bool `json:"active"`
}

// DelegationList is the answer of GET /delegations.
type DelegationList struct {
	Items []DelegationView `json:"items"`
	Next  string           `json:"next,omitempty"`
}

// ActionDelegationRevoked is the audit action of a delegation ended early.
const ActionDelegationRevoked = audit.ActionDelegationRevoked

// MaxDelegation is the longest delegation period.
const MaxDelegation = 180 * 24 * time.Hour

func (s *Server) delegationView(d domain.Delegation) DelegationView {
	now := s.options.Now()
	return DelegationView{Delegation: d, Status: d.StatusAt(now), Active: d.ActiveAt(now)}
}

// createDelegation handles POST /delegations: an approver delegates their own tasks of one of
// their roles to another person of that role for a period; an admin records any delegation
// between two people of the role. The order of answers: the caller's role (403), the body's
// fields (400), the right to delegate for fromUser in that role (403), the people as the
// directory knows them (400 on toUser, and on fromUser for an admin: not a user, or not holding
// the role). Nothing is stored unless all pass. Each 403 is recorded in the audit trail
// (ActionDelegationRefused) with what the body asked, as far as it is well-formed.
func (s *Server) createDelegation(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	var req DelegationRequest
	if caller.ScopeOf(auth.CreateDelegation) == auth.None {
		readAttempt(w, r, &req)
		if req.FromUser == "" {
			req.FromUser = caller.Actor()
		}
		attempt := delegationAttempt(req)
		subject, _ := attempt["fromUser"].(string)
		return s.refuseAction(r, caller, auditNote{Action: ActionDelegationRefused, Subject: subject}, attempt, auth.CreateDelegation)
	}
	if p := decodeJSON(w, r, &req); p != nil {
		return p
	}
	if req.FromUser == "" {
		req.FromUser = caller.Actor()
	}
	now := s.options.Now().UTC()
	var fieldErrors []FieldError
	add := func(field, reason string) {
		fieldErrors = append(fieldErrors, FieldError{Field: field, Reason: reason})
	}
	if !validUser(req.FromUser) {
		add("fromUser", "must be a user name")
	}
	if !validUser(req.ToUser) {
		add("toUser", "must be a user name")
	} else if req.ToUser == req.FromUser {
		add("toUser", "must be someone else than fromUser")
	}
	if !req.Role.IsApprover() {
		add("role", "must be one of security, finance, hr, senior-management")
	}
	switch {
	case req.Start.IsZero():
		add("start", "is required")
	case req.Until.IsZero():
		add("until", "is required")
	case !req.Until.After(req.Start):
		add("until", "must be after start")
	case req.Until.Sub(req.Start) > MaxDelegation:
		add("until", "must be at most 180 days after start")
	case !req.Until.After(now):
		add("until", "must be in the future")
	}
	if len(req.Reason) > 1000 {
		add("reason", "must be at most 1000 characters")
	}
	if len(fieldErrors) > 0 {
		return NewProblem(ProblemValidation, "the request has invalid fields", fieldErrors...)
	}
	refused := auditNote{Action: ActionDelegationRefused, Subject: req.FromUser}
	if !caller.Allows(auth.CreateDelegation, auth.Resource{Owner: req.FromUser}) {
		return s.refuse(r, caller, refused, delegationAttempt(req), RuleDelegatesOwnTasks, "you may delegate your own tasks only")
	}
	if caller.ScopeOf(auth.CreateDelegation) != auth.All && !caller.Has(auth.Role(req.Role)) {
		return s.refuse(r, caller, refused, delegationAttempt(req), RuleDelegatesHeldRole, fmt.Sprintf("you do not hold the %s role", req.Role))
	}
	// A delegation works only between two people of the role: the delegate decides in it, and
	// the delegator's tasks of it are what is handed over. The caller's token says what the
	// caller holds; anyone else is looked up, only once the caller may record the delegation.
	if caller.ScopeOf(auth.CreateDelegation) == auth.All {
		from, fieldError, err := s.roleHolder(r.Context(), "fromUser", req.FromUser, req.Role)
		if err != nil {
			return err
		}
		if fieldError != nil {
			add(fieldError.Field, fieldError.Reason)
		} else {
			req.FromUser = from.ID
		}
	}
	to, fieldError, err := s.roleHolder(r.Context(), "toUser", req.ToUser, req.Role)
	if err != nil {
		return err
	}
	if fieldError != nil {
		add(fieldError.Field, fieldError.Reason)
	} else if req.ToUser = to.ID; req.ToUser == req.FromUser {
		// The same person under another name (an e-mail alias, another case).
		add("toUser", "must be someone else than fromUser")
	}
	if len(fieldErrors) > 0 {
		return NewProblem(ProblemValidation, "the request has invalid fields", fieldErrors...)
	}
	delegation, err := s.deps.Tasks.CreateDelegation(r.Context(), domain.Delegation{FromUser: req.FromUser, ToUser: req.ToUser,
		Role: req.Role, Start: req.Start.UTC(), Until: req.Until.UTC(), Reason: req.Reason, CreatedBy: caller.Actor(), CreatedAt: now})
	if err != nil {
		return err
	}
	s.audit(r, caller, auditNote{Action: audit.ActionDelegationCreated, Subject: delegation.FromUser, After: delegation})
	return writeJSON(w, http.StatusCreated, s.delegationView(delegation))
}

// listDelegations handles GET /delegations: an approver sees the delegations they gave and
// received; auditors and admins see every one, and may filter by delegator, delegate and role.
// active=true keeps only those in force now. Newest first, paged.
func (s *Server) listDelegations(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	scope := caller.ScopeOf(auth.ListDelegations)
	if scope == auth.None {
		return forbidden(auth.ListDelegations)
	}
	q := newQuery(r, "delegator", "delegate", "role", "active", "limit", "cursor")
	query := store.DelegationQuery{Role: oneOf(q, "role", domain.ApproverRoles), Limit: q.limit(), Cursor: q.cursor()}
	user := func(name string) string {
		v := q.values.Get(name)
		if v != "" && !validUser(v) {
			q.fail(name, "must be a user name")
		}
		return v
	}
	query.Delegator, query.Delegate = user("delegator"), user("delegate")
	switch q.values.Get("active") {
	case "", "false":
	case "true":
		query.ActiveAt = s.options.Now().UTC()
	default:
		q.fail("active", "must be true or false")
	}
	if p := q.problem(); p != nil {
		return p
	}
	if scope != auth.All {
		// Self: only the caller's own, given or received, whatever else the filters say.
		query.Party = caller.Actor()
	}
	page, err := s.deps.Tasks.ListDelegations(r.Context(), query)
	if err != nil {
		return err
	}
	list := DelegationList{Items: make([]DelegationView, 0, len(page.Items)), Next: page.Next}
	for _, d := range page.Items {
		list.Items = append(list.Items, s.delegationView(d))
	}
	return writeJSON(w, http.StatusOK, list)
}

// revokeDelegation handles POST /delegations/{id}/revoke: the delegator (or an admin) ends a
// delegation now, for instance on coming back early from leave. From then on the delegate no
// longer decides the delegator's tasks. The order of answers: the caller's role (403), the body
// (400), the delegation (404, also for one the caller may not see), the right to end it (403),
// its state (409: revoked already or over). Each 403 is recorded in the audit trail
// (ActionDelegationRevokeRefused) with the delegation and the reason given.
func (s *Server) revokeDelegation(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	var req RevokeRequest
	if caller.ScopeOf(auth.RevokeDelegation) == auth.None {
		return s.refuseRevokeAction(w, r, caller)
	}
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if p := decodeJSON(w, r, &req); p != nil {
			return p
		}
	} else if extra, _ := io.ReadAll(io.LimitReader(r.Body, 1)); len(extra) > 0 {
		return NewProblem(ProblemMediaType, "send the body with Content-Type: application/json")
	}
	var fieldErrors []FieldError
	checkText(&fieldErrors, "reason", req.Reason, false, 1000)
	if len(fieldErrors) > 0 {
		return NewProblem(ProblemValidation, "the request has invalid fields", fieldErrors...)
	}
	id := r.PathValue("id")
	if !validID(id) {
		return notFound("delegation")
	}
	delegation, err := s.deps.Tasks.GetDelegation(r.Context(), id)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return notFound("delegation")
	}
	if err != nil {
		return err
	}
	if !caller.Allows(auth.ListDelegations, auth.Resource{Owner: delegation.FromUser}) &&
		!caller.Allows(auth.ListDelegations, auth.Resource{Owner: delegation.ToUser}) {
		return notFound("delegation")
	}
	if !caller.Allows(auth.RevokeDelegation, auth.Resource{Owner: delegation.FromUser}) {
		return s.refuse(r, caller, auditNote{Action: ActionDelegationRevokeRefused, Subject: id}, revokeAttempt(id, &delegation, req.Reason),
			RuleRevokesOwnDelegation, "only the delegator or an administrator may end a delegation")
	}
	before, after, err := s.deps.Tasks.RevokeDelegation(r.Context(), id, caller.Actor())
	if err != nil {
		return err
	}
	s.audit(r, caller, auditNote{Action: ActionDelegationRevoked, Subject: id, Before: map[string]any{"delegation": before},
		After: map[string]any{"delegation": after, "reason": req.Reason}})
	return writeJSON(w, http.StatusOK, s.delegationView(after))
}

// refuseRevokeAction refuses a caller whose roles do not allow ending delegations at all (an
// auditor, a country office) and records the attempt: the delegation as stored, when the id
// names one, and the reason the body gave.
func (s *Server) refuseRevokeAction(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	var req RevokeRequest
	readAttempt(w, r, &req)
	id := r.PathValue("id")
	if !validID(id) {
		return s.refuseAction(r, caller, auditNote{Action: ActionDelegationRevokeRefused}, revokeAttempt("", nil, req.Reason), auth.RevokeDelegation)
	}
	var stored *domain.Delegation
	delegation, err := s.deps.Tasks.GetDelegation(r.Context(), id)
	switch {
	case err == nil:
		stored = &delegation
	case domain.CodeOf(err) != domain.CodeNotFound:
		// The refusal stands and is recorded with the id alone.
		s.options.Logger.Error("api: read the delegation of a refused revocation", "delegation", id, "error", err.Error())
	}
	return s.refuseAction(r, caller, auditNote{Action: ActionDelegationRevokeRefused, Subject: id}, revokeAttempt(id, stored, req.Reason), auth.RevokeDelegation)
}
