package api

import (
	"maps"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// Audit actions of attempts the policy refused with 403. Auditors see who tried to record or end
// a delegation, or to reassign a task, what the request named, and which rule stopped it, as
// they see refused decisions (ActionDecisionRefused). Requests refused for their form (400) or
// without a valid token (401) attempted nothing and are not recorded.
const (
	// ActionDelegationRefused is a refused POST /delegations.
	ActionDelegationRefused = audit.ActionDelegationRefused
	// ActionDelegationRevokeRefused is a refused POST /delegations/{id}/revoke.
	ActionDelegationRevokeRefused = audit.ActionDelegationRevokeRefused
	// ActionReassignRefused is a refused POST /tasks/{id}/reassign.
	ActionReassignRefused = audit.ActionReassignRefused
)

// The rules a refused attempt names in its audit event ("rule"), with the reason the caller was
// told ("reason").
const (
	// RuleRoleAllowsAction: none of the caller's roles grants the action at all (the policy
	// table in shared/auth), such as an auditor ending a delegation or an approver reassigning.
	RuleRoleAllowsAction = "role-allows-action"
	// RuleDelegatesOwnTasks: an approver may delegate only their own tasks.
	RuleDelegatesOwnTasks = "delegates-own-tasks"
	// RuleDelegatesHeldRole: an approver may delegate only in a role they hold.
	RuleDelegatesHeldRole = "delegates-held-role"
	// RuleRevokesOwnDelegation: only the delegator (or an admin) ends a delegation.
	RuleRevokesOwnDelegation = "revokes-own-delegation"
	// RuleReassignsInTaskRole: the caller's grant to reassign does not reach the task's role.
	RuleReassignsInTaskRole = "reassigns-in-task-role"
)

// refuse records a refused attempt in the audit trail and answers 403 with the reason. attempt
// is what the request named (well-formed values only; the reason a request gives for itself is
// its "requestReason"); the event's after-image is attempt with the rule and the reason.
func (s *Server) refuse(r *http.Request, caller auth.Principal, note auditNote, attempt map[string]any, rule, reason string) error {
	after := map[string]any{}
	maps.Copy(after, attempt)
	after["rule"], after["reason"] = rule, reason
	note.After = after
	s.audit(r, caller, note)
	return NewProblem(ProblemForbidden, reason)
}

// refuseAction is refuse for a caller none of whose roles grants action: the answer is the
// same as forbidden's, and the event names the action.
func (s *Server) refuseAction(r *http.Request, caller auth.Principal, note auditNote, attempt map[string]any, action auth.Action) error {
	withAction := map[string]any{"action": action}
	maps.Copy(withAction, attempt)
	return s.refuse(r, caller, note, withAction, RuleRoleAllowsAction, forbidden(action).Detail)
}

// readAttempt reads the body of a request that will be refused anyway, so that the audit
// event can say what it asked: target stays as it was when the body is missing or not
// well-formed, and nothing of that reaches the caller, whose answer is the refusal.
func readAttempt(w http.ResponseWriter, r *http.Request, target any) {
	if r.Header.Get("Content-Type") == "" && r.ContentLength == 0 {
		return
	}
	_ = decodeJSON(w, r, target)
}

// attemptText reports whether a free text the request sent is fit for the audit trail: valid
// UTF-8, at most maxLength characters, no control characters. A refused request's text is
// recorded only then, as a valid request's would be.
func attemptText(value string, maxLength int) bool {
	return value != "" && utf8.ValidString(value) && utf8.RuneCountInString(value) <= maxLength &&
		!strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f })
}

// delegationAttempt is what a POST /delegations asked, for the audit trail: each field that is
// well-formed.
func delegationAttempt(req DelegationRequest) map[string]any {
	attempt := map[string]any{}
	if validUser(req.FromUser) {
		attempt["fromUser"] = req.FromUser
	}
	if validUser(req.ToUser) {
		attempt["toUser"] = req.ToUser
	}
	if auth.Role(req.Role).Known() {
		attempt["role"] = req.Role
	}
	if !req.Start.IsZero() {
		attempt["start"] = req.Start.UTC()
	}
	if !req.Until.IsZero() {
		attempt["until"] = req.Until.UTC()
	}
	if attemptText(req.Reason, 1000) {
		attempt["requestReason"] = req.Reason
	}
	return attempt
}

// revokeAttempt is what a POST /delegations/{id}/revoke asked, for the audit trail: the
// delegation (with its parties and role when it was read) and the reason given.
func revokeAttempt(id string, delegation *domain.Delegation, reason string) map[string]any {
	attempt := map[string]any{}
	if id != "" {
		attempt["delegation"] = id
	}
	if delegation != nil {
		attempt["fromUser"], attempt["toUser"], attempt["role"] = delegation.FromUser, delegation.ToUser, delegation.Role
	}
	if attemptText(reason, 1000) {
		attempt["requestReason"] = reason
	}
	return attempt
}

// reassignAttempt is what a POST /tasks/{id}/reassign asked, for the audit trail: the task
// (with its role, kind and current assignee when it was read), the assignee asked for and the
// reason, when well-formed.
func reassignAttempt(id string, task *domain.ApprovalTask, req ReassignRequest) map[string]any {
	attempt := map[string]any{}
	if id != "" {
		attempt["task"] = id
	}
	if task != nil {
		attempt["role"], attempt["kind"], attempt["currentAssignee"] = task.Role, task.Kind, task.Assignee
	}
	if validUser(req.Assignee) {
		attempt["assignee"] = req.Assignee
	}
	if attemptText(req.Reason, 1000) {
		attempt["requestReason"] = req.Reason
	}
	return attempt
}
