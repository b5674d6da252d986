package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// TaskView is an approval task as the API shows it: the stored task and the time left before
// its deadline.
type TaskView struct {
	domain.ApprovalTask
	// TimeLeftSeconds is negative once the deadline has passed.
	TimeLeftSeconds int64 `json:"timeLeftSeconds"`
}

// TaskList is the answer of GET /tasks.
type TaskList struct {
	Items []TaskView `json:"items"`
	Next  string     `json:"next,omitempty"`
}

// DecisionRequest is the body of POST /tasks/{id}/decision.
type DecisionRequest struct {
	Decision domain.Outcome `json:"decision"`
	Comment  string         `json:"comment"`
}

// DecisionOutput is what SendTaskSuccess hands the waiting workflow.
type DecisionOutput struct {
	Decision  domain.Outcome `json:"decision"`
	Actor     string         `json:"actor"`
	Role      domain.Role    `json:"role"`
	Comment   string         `json:"comment,omitempty"`
	DecidedAt time.Time      `json:"decidedAt"`
	TaskID    string         `json:"taskId"`
}

// ReassignRequest is the body of POST /tasks/{id}/reassign.
type ReassignRequest struct {
	Assignee string `json:"assignee"`
	Reason   string `json:"reason"`
}

func (s *Server) view(task domain.ApprovalTask) TaskView {
	return TaskView{ApprovalTask: task, TimeLeftSeconds: int64(task.Deadline.Sub(s.options.Now()) / time.Second)}
}

// listTasks handles GET /tasks: approvers see the tasks of their roles, auditors and admins
// every role's; open first, then by priority and deadline.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	scope := caller.ScopeOf(auth.ListTasks)
	if scope == auth.None {
		return forbidden(auth.ListTasks)
	}
	q := newQuery(r, "status", "country", "crisisType", "dueBefore", "role", "limit", "cursor")
	query := store.TaskQuery{
		Status:     oneOf(q, "status", domain.TaskStatuses),
		Country:    q.country("country"),
		CrisisType: oneOf(q, "crisisType", domain.CrisisTypes),
		DueBefore:  q.time("dueBefore"),
		Limit:      q.limit(),
	}
	role := oneOf(q, "role", domain.ApproverRoles)
	cursor, cursorOK := decodeRolesCursor(q.cursor())
	if !cursorOK {
		q.fail("cursor", "is not a cursor this API gave")
	}
	if p := q.problem(); p != nil {
		return p
	}
	var roles []domain.Role
	for _, candidate := range domain.ApproverRoles {
		if role != "" && candidate != role {
			continue
		}
		if scope == auth.All || caller.Allows(auth.ListTasks, auth.Resource{Role: auth.Role(candidate)}) {
			roles = append(roles, candidate)
		}
	}
	if len(roles) == 0 {
		return NewProblem(ProblemForbidden, "you may list the tasks of your own roles only")
	}
	list, err := s.inbox(r, roles, query, cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

// getTask handles GET /tasks/{id}: one task, as the inbox shows it, to whoever the inbox shows
// it to: an approver the tasks of their roles (a delegate holds the role of the tasks delegated
// to them), auditors and admins every task. A caller who lists no tasks at all gets 403; a task
// of a role the caller does not read is 404, the same answer as a task that does not exist.
func (s *Server) getTask(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ListTasks) == auth.None {
		return forbidden(auth.ListTasks)
	}
	task, err := s.taskOf(r)
	if err != nil {
		return err
	}
	if !caller.Allows(auth.ListTasks, auth.Resource{Role: auth.Role(task.Role)}) {
		return notFound("task")
	}
	return writeJSON(w, http.StatusOK, s.view(task))
}

// rolesCursor continues an inbox that spans several roles: the store pages one role at a time,
// so the cursor says which role comes next and where in it.
type rolesCursor struct {
	Role   int    `json:"r"`
	Cursor string `json:"c,omitempty"`
}

func decodeRolesCursor(s string) (rolesCursor, bool) {
	if s == "" {
		return rolesCursor{}, true
	}
	data, err := base64.RawURLEncoding.DecodeString(s)
	var c rolesCursor
	if err != nil || json.Unmarshal(data, &c) != nil || c.Role < 0 || c.Role >= len(domain.ApproverRoles) {
		return rolesCursor{}, false
	}
	return c, true
}

func (c rolesCursor) encode() string {
	data, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(data)
}

// inbox reads one page of tasks over roles, role after role, each role's tasks in the store's
// inbox order (open first, by priority then deadline).
func (s *Server) inbox(r *http.Request, roles []domain.Role, query store.TaskQuery, cursor rolesCursor) (TaskList, error) {
	list := TaskList{Items: []TaskView{}}
	limit := query.Limit
	for index := cursor.Role; index < len(roles); index++ {
		query.Role = roles[index]
		query.Cursor = ""
		if index == cursor.Role {
			query.Cursor = cursor.Cursor
		}
		query.Limit = limit - len(list.Items)
		page, err := s.deps.Tasks.ListTasks(r.Context(), query)
		if err != nil {
			return list, err
		}
		for _, task := range page.Items {
			list.Items = append(list.Items, s.view(task))
		}
		if page.Next != "" {
			list.Next = rolesCursor{Role: index, Cursor: page.Next}.encode()
			return list, nil
		}
		if len(list.Items) >= limit {
			if index+1 < len(roles) {
				list.Next = rolesCursor{Role: index + 1}.encode()
			}
			return list, nil
		}
	}
	return list, nil
}

func (s *Server) taskOf(r *http.Request) (domain.ApprovalTask, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return domain.ApprovalTask{}, notFound("task")
	}
	task, err := s.deps.Tasks.GetTask(r.Context(), id)
	if err != nil {
		if domain.CodeOf(err) == domain.CodeNotFound {
			return domain.ApprovalTask{}, notFound("task")
		}
		return domain.ApprovalTask{}, err
	}
	return task, nil
}

// decideTask handles POST /tasks/{id}/decision. The order of checks is the order of the
// answers: the caller's role (403), the body (400), the task (404), the task's role (403),
// whether it is still open (409), the separation-of-duties policy (403), and for the approval
// of an insurance enrolment the expert's cover (409 cover-missing). The decision is stored
// with a conditional update OPEN -> DECIDED, and only after it succeeds is the task token sent,
// so two approvers racing on one task produce one decision and one token delivery.
func (s *Server) decideTask(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.DecideTask) == auth.None {
		return forbidden(auth.DecideTask)
	}
	var req DecisionRequest
	if p := decodeJSON(w, r, &req); p != nil {
		return p
	}
	if fieldErrors := domain.ValidateDecision(req.Decision, req.Comment, s.options.Config); len(fieldErrors) > 0 {
		return domain.Invalid(fieldErrors)
	}
	task, err := s.taskOf(r)
	if err != nil {
		return err
	}
	if !caller.Allows(auth.DecideTask, auth.Resource{Role: auth.Role(task.Role)}) {
		return s.refuseDecision(r, caller, task, &domain.DecisionRefused{Rule: "decides-in-task-role",
			Reason: fmt.Sprintf("this task is for the %s role", task.Role)})
	}
	// Overriding a level-6 denial needs a written justification; without one the approval
	// would be recorded and then refused by the clearance gate.
	minimum := s.options.Config.Security.OverrideJustificationMin
	if task.Kind == domain.KindSecurityOverride && req.Decision == domain.Approve &&
		len([]rune(strings.TrimSpace(req.Comment))) < minimum {
		return domain.Invalid(domain.FieldErrors{{Field: "comment",
			Reason: fmt.Sprintf("an override needs a written justification of at least %d characters", minimum)}})
	}
	now := s.options.Now().UTC()
	actor := caller.Actor()
	if task.Status != domain.TaskOpen {
		if resent, err := s.redeliver(r, task, actor, req.Decision); resent || err != nil {
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, s.view(task))
		}
		return &domain.TaskNotOpen{TaskID: task.ID, Status: task.Status}
	}
	if !now.Before(task.Deadline) {
		return &domain.TaskNotOpen{TaskID: task.ID, Status: task.Status, PastDeadline: true}
	}
	prior, err := s.deps.Tasks.PriorDecisions(r.Context(), task.ActivationID)
	if err != nil {
		return err
	}
	var delegations []domain.Delegation
	if task.Assignee != "" && task.Assignee != actor {
		if delegations, err = s.deps.Tasks.DelegationsFrom(r.Context(), task.Assignee); err != nil {
			return err
		}
	}
	domainRoles := make([]domain.Role, len(caller.Roles))
	for i, role := range caller.Roles {
		domainRoles[i] = domain.Role(role)
	}
	if err := domain.CanDecide(domain.DecisionContext{
		Actor:       domain.Actor{ID: actor, Roles: domainRoles, Office: caller.Office},
		Role:        task.Role,
		Task:        task,
		Prior:       prior,
		Delegations: delegations,
		Now:         now,
		Config:      s.options.Config,
	}); err != nil {
		var refused *domain.DecisionRefused
		if errors.As(err, &refused) {
			return s.refuseDecision(r, caller, task, refused)
		}
		return err
	}
	if task.Kind == domain.KindInsuranceEnrolment && req.Decision == domain.Approve {
		if err := s.enrolmentComplete(r.Context(), task); err != nil {
			return err
		}
	}
	if task.Kind == domain.KindExpertSourcing && req.Decision == domain.Approve {
		if err := s.sourcingComplete(r.Context(), task); err != nil {
			return err
		}
	}
	decision := domain.Decision{Outcome: req.Decision, ActorID: actor, Role: task.Role, Comment: req.Comment, At: now}
	if task.Assignee != "" && task.Assignee != actor {
		decision.OnBehalfOf = task.Assignee
	}
	before := task.Status
	decided, token, err := s.deps.Tasks.Decide(r.Context(), task.ID, decision)
	if err != nil {
		return err
	}
	s.audit(r, caller, auditNote{ActivationID: task.ActivationID, Country: task.Summary.Country, Action: audit.ActionTaskDecided, Subject: task.ID,
		Before: map[string]any{"task": task.ID, "status": before},
		After:  map[string]any{"task": task.ID, "status": decided.Status, "decision": decision.Outcome, "comment": decision.Comment, "onBehalfOf": decision.OnBehalfOf}})
	s.recordDecisionStep(r, decided, decision)
	if err := s.sendDecision(r, decided, token, decision); err != nil {
		if !errors.Is(err, errTokenGone) {
			return err
		}
		// A workflow stalled at another step has dropped this wait; its redrive opens the task
		// again, finds it decided and answers with this decision, so the decision stands.
		if workflow, describeErr := s.describeWorkflowOf(r, task.ActivationID); describeErr == nil && workflow != nil && workflow.Stalled {
			return writeJSON(w, http.StatusOK, s.view(decided))
		}
		return NewProblem(ProblemConflict, "the decision is recorded but the workflow no longer waits for this task (it was escalated, expired or cancelled)")
	}
	return writeJSON(w, http.StatusOK, s.view(decided))
}

// enrolmentComplete applies domain.EnrolmentComplete to an insurance enrolment task about to be
// approved: the expert of the booking the task is about must hold every cover the deployment
// needs now. After an approval the workflow checks the cover once more (RecheckCover), and a
// cover still missing there fails the activation, so the approval is refused here instead (409
// cover-missing, naming the expert, the kinds and the days), nothing is stored, and the task
// stays open for the policy to be recorded. The recheck stays the authority: a policy changed
// between the two is still caught there. A task that names no booking is left to it.
func (s *Server) enrolmentComplete(ctx context.Context, task domain.ApprovalTask) error {
	var subject struct {
		Booking struct {
			ExpertID string      `json:"expertId"`
			From     domain.Date `json:"from"`
			To       domain.Date `json:"to"`
		} `json:"booking"`
	}
	data, err := json.Marshal(task.Summary.Detail)
	if err != nil || json.Unmarshal(data, &subject) != nil {
		return nil
	}
	booking := subject.Booking
	period := domain.Period{Start: booking.From, End: booking.To}
	if booking.ExpertID == "" || !period.Valid() {
		return nil
	}
	activation, err := s.deps.Activations.GetActivation(ctx, task.ActivationID)
	if err != nil {
		return err
	}
	policies, err := s.deps.Roster.Policies(ctx, booking.ExpertID)
	if err != nil {
		return err
	}
	return domain.EnrolmentComplete(booking.ExpertID, policies, period, activation.DeploymentLevel(), s.options.Config)
}

// sourcingComplete applies store.SourcingComplete to an hr sourcing task about to be approved:
// somebody on the roster must be able to take the task's profile now, through the same matching
// the booking step uses (store.Matching). Right after an approval the workflow books again
// (BookSourcedExpert), and nobody matching there fails the activation, so the approval is
// refused here instead (409 no-match, naming the profile and why the closest experts do not
// fit), nothing is stored, and the task stays open for hr to add the expert. The booking stays
// the authority: an expert booked by another activation in between is still caught there. A
// task that names no profile of its activation, or whose profile is staffed already, is left to
// the workflow.
func (s *Server) sourcingComplete(ctx context.Context, task domain.ApprovalTask) error {
	var subject struct {
		Profile struct {
			Index *int `json:"index"`
		} `json:"profile"`
	}
	data, err := json.Marshal(task.Summary.Detail)
	if err != nil || json.Unmarshal(data, &subject) != nil || subject.Profile.Index == nil {
		return nil
	}
	index := *subject.Profile.Index
	activation, err := s.deps.Activations.GetActivation(ctx, task.ActivationID)
	if err != nil {
		return err
	}
	if index < 0 || index >= len(activation.Profiles) {
		return nil
	}
	for _, d := range activation.Deployments {
		if d.ProfileIndex == index && d.BookingID != "" {
			return nil
		}
	}
	candidates, err := s.deps.Roster.Candidates(ctx)
	if err != nil {
		return err
	}
	return store.SourcingComplete(activation.ID, index, candidates, activation.Profiles[index], activation.DeploymentLevel(), s.options.Config)
}

// errTokenGone is sendDecision's answer when the workflow no longer waits on the task's token.
var errTokenGone = errors.New("the workflow no longer waits for this task")

// describeWorkflowOf describes the workflow of the activation with that id.
func (s *Server) describeWorkflowOf(r *http.Request, activationID string) (*WorkflowStatus, error) {
	activation, err := s.deps.Activations.GetActivation(r.Context(), activationID)
	if err != nil {
		return nil, err
	}
	return s.describeWorkflow(r.Context(), activation)
}

// ActionDecisionRefused is the audit action of a decision the separation-of-duties policy
// refused: auditors see who tried what, and which rule stopped it.
const ActionDecisionRefused = audit.ActionDecisionRefused

// refuseDecision records a refused decision in the audit trail and answers 403 with the rule's
// reason.
func (s *Server) refuseDecision(r *http.Request, caller auth.Principal, task domain.ApprovalTask, refused *domain.DecisionRefused) error {
	s.audit(r, caller, auditNote{ActivationID: task.ActivationID, Country: task.Summary.Country, Action: ActionDecisionRefused, Subject: task.ID,
		After: map[string]any{"task": task.ID, "role": task.Role, "kind": task.Kind, "rule": refused.Rule, "reason": refused.Reason}})
	return NewProblem(ProblemForbidden, refused.Reason)
}

// DecisionStep is the name of the step a decision records on its activation, the same as the
// approvals function's "waiting" step for the task, so that the activation shows the approval
// done (status succeeded) or refused (status failed) once a person has decided.
const DecisionStep = "approval"

// recordDecisionStep notes the decision on the activation. The decision itself is stored on the
// task; a failure here is logged and the answer still given.
func (s *Server) recordDecisionStep(r *http.Request, task domain.ApprovalTask, decision domain.Decision) {
	status := "succeeded"
	if decision.Outcome != domain.Approve {
		status = "failed"
	}
	detail := fmt.Sprintf("%s: %s by %s (%s)", task.ID, decision.Outcome.PastTense(), decision.ActorID, decision.Role)
	if decision.OnBehalfOf != "" {
		detail += " on behalf of " + decision.OnBehalfOf
	}
	step := domain.Step{Name: DecisionStep, Status: status, At: decision.At, Detail: detail}
	if err := s.deps.Activations.AppendStep(r.Context(), task.ActivationID, step); err != nil {
		s.options.Logger.Error("api: record the decision step", "task", task.ID, "error", err.Error())
	}
}

// redeliver sends the token again when the same person repeats the same decision on a task
// whose decision was stored but whose token may not have reached the workflow (the first request
// failed between the two). It reports false when there is nothing to redeliver, and the
// workflow's refusal of an already delivered token makes it false too: then the answer is 409.
func (s *Server) redeliver(r *http.Request, task domain.ApprovalTask, actor string, outcome domain.Outcome) (bool, error) {
	if task.Status != domain.TaskDecided || task.Decision == nil || task.Decision.ActorID != actor || task.Decision.Outcome != outcome {
		return false, nil
	}
	token, err := s.deps.Tasks.TaskToken(r.Context(), task.ID)
	if err != nil {
		return false, err
	}
	err = s.sendDecision(r, task, token, *task.Decision)
	var p *Problem
	if errors.Is(err, errTokenGone) || errors.As(err, &p) && p.Status == http.StatusConflict {
		return false, nil
	}
	return err == nil, err
}

// sendDecision hands the decision to the waiting workflow: SendTaskSuccess for an approval,
// SendTaskFailure with ApprovalRejected for a rejection (the workflow's Catch compensates). It
// returns errTokenGone when the workflow no longer waits on the token.
func (s *Server) sendDecision(r *http.Request, task domain.ApprovalTask, token string, decision domain.Decision) error {
	if token == "" {
		s.options.Logger.Error("api: decided task has no token", "task", task.ID)
		return NewProblem(ProblemConflict, "the decision is recorded but the workflow does not wait for this task")
	}
	var err error
	if decision.Outcome == domain.Approve {
		output, _ := json.Marshal(DecisionOutput{Decision: decision.Outcome, Actor: decision.ActorID, Role: decision.Role,
			Comment: decision.Comment, DecidedAt: decision.At, TaskID: task.ID})
		_, err = s.deps.Workflow.SendTaskSuccess(r.Context(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(output))})
	} else {
		cause, _ := json.Marshal(DecisionOutput{Decision: decision.Outcome, Actor: decision.ActorID, Role: decision.Role,
			Comment: decision.Comment, DecidedAt: decision.At, TaskID: task.ID})
		_, err = s.deps.Workflow.SendTaskFailure(r.Context(), &sfn.SendTaskFailureInput{TaskToken: aws.String(token),
			Error: aws.String("ApprovalRejected"), Cause: aws.String(string(cause))})
	}
	if err == nil {
		return nil
	}
	if tokenGone(err) {
		return errTokenGone
	}
	s.options.Logger.Error("api: send decision", "task", task.ID, "error", err.Error())
	return NewProblem(ProblemUnavailable, "the decision is recorded but the workflow could not be told yet; send the same decision again")
}

// reassignTask handles POST /tasks/{id}/reassign (admins): gives an open task to one person who
// holds its role. The order of answers: the caller's role (403), the body's fields (400), the
// task (404), the caller's right on its role (403), whether it is still open (409), the assignee
// as the directory knows them (400: not a user, or not holding the task's role). Each 403 is
// recorded in the audit trail (ActionReassignRefused), on the task's activation when the id
// names a task, with the assignee and reason the body asked for.
func (s *Server) reassignTask(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	var req ReassignRequest
	if caller.ScopeOf(auth.ReassignTask) == auth.None {
		return s.refuseReassignAction(w, r, caller)
	}
	if p := decodeJSON(w, r, &req); p != nil {
		return p
	}
	var fieldErrors []FieldError
	if !validUser(req.Assignee) {
		fieldErrors = append(fieldErrors, FieldError{Field: "assignee", Reason: "must be a user name of 1 to 128 letters, digits, '-', '_', '.', '@'"})
	}
	if req.Reason == "" || len(req.Reason) > 1000 {
		fieldErrors = append(fieldErrors, FieldError{Field: "reason", Reason: "is required, at most 1000 characters"})
	}
	if len(fieldErrors) > 0 {
		return NewProblem(ProblemValidation, "the request has invalid fields", fieldErrors...)
	}
	task, err := s.taskOf(r)
	if err != nil {
		return err
	}
	if !caller.Allows(auth.ReassignTask, auth.Resource{Role: auth.Role(task.Role)}) {
		return s.refuse(r, caller, reassignRefused(task), reassignAttempt(task.ID, &task, req),
			RuleReassignsInTaskRole, fmt.Sprintf("you may not reassign tasks of the %s role", task.Role))
	}
	if task.Status != domain.TaskOpen {
		return &domain.TaskNotOpen{TaskID: task.ID, Status: task.Status}
	}
	// Only someone who holds the task's role can decide it: anyone else would leave it to
	// escalate.
	assignee, fieldError, err := s.roleHolder(r.Context(), "assignee", req.Assignee, task.Role)
	if err != nil {
		return err
	}
	if fieldError != nil {
		return NewProblem(ProblemValidation, "the request has invalid fields", *fieldError)
	}
	updated, err := s.deps.Tasks.Reassign(r.Context(), task.ID, assignee.ID)
	if err != nil {
		return err
	}
	s.audit(r, caller, auditNote{ActivationID: task.ActivationID, Country: task.Summary.Country, Action: audit.ActionTaskReassigned, Subject: task.ID,
		Before: map[string]any{"task": task.ID, "assignee": task.Assignee},
		After:  map[string]any{"task": task.ID, "assignee": updated.Assignee, "reason": req.Reason}})
	return writeJSON(w, http.StatusOK, s.view(updated))
}

// refuseReassignAction refuses a caller whose roles do not allow reassigning at all (anyone
// but an admin) and records the attempt: on the task's activation when the id names a task,
// with what the body asked.
func (s *Server) refuseReassignAction(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	var req ReassignRequest
	readAttempt(w, r, &req)
	id := r.PathValue("id")
	if !validID(id) {
		return s.refuseAction(r, caller, auditNote{Action: ActionReassignRefused}, reassignAttempt("", nil, req), auth.ReassignTask)
	}
	task, err := s.deps.Tasks.GetTask(r.Context(), id)
	switch {
	case err == nil:
		return s.refuseAction(r, caller, reassignRefused(task), reassignAttempt(id, &task, req), auth.ReassignTask)
	case domain.CodeOf(err) != domain.CodeNotFound:
		// The refusal stands and is recorded with the id alone.
		s.options.Logger.Error("api: read the task of a refused reassignment", "task", id, "error", err.Error())
	}
	return s.refuseAction(r, caller, auditNote{Action: ActionReassignRefused, Subject: id}, reassignAttempt(id, nil, req), auth.ReassignTask)
}

// reassignRefused is the audit note of a refused reassignment of the task: on its activation,
// as the reassignments themselves are.
func reassignRefused(task domain.ApprovalTask) auditNote {
	return auditNote{ActivationID: task.ActivationID, Country: task.Summary.Country, Action: ActionReassignRefused, Subject: task.ID}
}

// validUser reports whether s looks like a user name.
func validUser(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '@') {
			return false
		}
	}
	return true
}

// roleHolder looks the person up in the directory and checks that they hold role. It returns
// the person, or a field error naming field for someone who is not a user or does not hold the
// role; the error is for a directory that could not answer.
func (s *Server) roleHolder(ctx context.Context, field, id string, role domain.Role) (domain.Account, *FieldError, error) {
	person, err := s.deps.Directory.Person(ctx, id)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.Account{}, &FieldError{Field: field, Reason: domain.MessageOf(err)}, nil
	}
	if err != nil {
		return domain.Account{}, nil, err
	}
	if !slices.Contains(person.Roles, role) {
		return domain.Account{}, &FieldError{Field: field, Reason: fmt.Sprintf("%s does not hold the %s role", id, role)}, nil
	}
	return person, nil, nil
}
