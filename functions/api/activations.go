package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// IdempotencyHeader makes a retried POST /activations return the first answer.
const IdempotencyHeader = "Idempotency-Key"

// ActivationList is the answer of GET /activations.
type ActivationList struct {
	Items []domain.Activation `json:"items"`
	Next  string              `json:"next,omitempty"`
}

// CancelRequest is the optional body of POST /activations/{id}/cancel.
type CancelRequest struct {
	Reason string `json:"reason"`
}

// createActivation handles POST /activations: decode strictly, validate every field, check that
// the caller's office may request for the country (domain.CheckRequestingOffice: 403 naming the
// country field, nothing stored), apply eligibility and priority, store as REQUESTED, start the workflow with the activation id as the
// execution name. With an Idempotency-Key, a replay answers 200 with the first answer; the same
// key with a different body is refused with 422 (as the IETF Idempotency-Key draft says).
func (s *Server) createActivation(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.CreateActivation) == auth.None {
		return forbidden(auth.CreateActivation)
	}
	if caller.Office == "" {
		return NewProblem(ProblemForbidden, "your token names no country office to request for")
	}
	key := r.Header.Get(IdempotencyHeader)
	if p := s.checkIdempotencyKey(key); p != nil {
		return p
	}
	var req domain.ActivationRequest
	if p := decodeJSON(w, r, &req); p != nil {
		return p
	}
	now := s.options.Now().UTC()
	ref, err := s.reference(r.Context())
	if err != nil {
		return err
	}
	if fieldErrors := domain.ValidateRequest(req, now, s.options.Config, ref); len(fieldErrors) > 0 {
		return domain.Invalid(fieldErrors)
	}
	// A country office requests for its own country; the central task team for any.
	if err := domain.CheckRequestingOffice(caller.Office, req.Country); err != nil {
		return NewProblem(ProblemForbidden, domain.MessageOf(err), FieldError{Field: "country",
			Reason: fmt.Sprintf("your office %s may not request for %s", caller.Office, req.Country)})
	}
	country, _ := ref.Country(req.Country)
	station, _ := ref.DutyStation(req.Country, req.DutyStation)
	if err := domain.CheckEligibility(req, country, s.options.Config).Err(); err != nil {
		s.audit(r, caller, auditNote{Action: "activation.refused", Country: req.Country, After: map[string]any{"reason": err.Error()}})
		return err
	}

	activation := domain.Activation{
		ID:                s.options.NewID(),
		ActivationRequest: req,
		Office:            caller.Office,
		RequestedBy:       caller.Actor(),
		Status:            domain.StatusRequested,
		Version:           1,
		Priority:          domain.PriorityScore(req, country, station.Level, s.options.Config).Score,
		SecurityLevel:     station.Level,
		CreatedAt:         now,
		UpdatedAt:         now,
		Steps:             []domain.Step{{Name: "request", Status: "succeeded", At: now}},
	}
	// The request's audit event is stored in the activation's own transaction: no activation
	// exists without the record of who asked for it.
	requested := s.auditEvent(caller, auditNote{ActivationID: activation.ID, Country: req.Country, Action: audit.ActionActivationRequested, Subject: "request",
		After: map[string]any{"status": activation.Status, "priority": activation.Priority, "amount": req.Amount,
			"dutyStation": req.DutyStation, "securityLevel": activation.SecurityLevel}})
	status := http.StatusCreated
	if key == "" {
		if activation, _, err = s.deps.Activations.CreateActivationRecorded(r.Context(), activation, requested); err != nil {
			return err
		}
	} else {
		canonical, _ := json.Marshal(req)
		sum := sha256.Sum256(canonical)
		fingerprint := hex.EncodeToString(sum[:])
		// A key with a recorded answer is a replay: the first answer, as it was.
		if claim, err := s.deps.Idempotency.GetIdempotencyKey(r.Context(), caller.Office, key); err == nil && claim.Status != 0 {
			if claim.Fingerprint != fingerprint {
				return NewProblem(ProblemIdempotencyReuse, "this Idempotency-Key was used with a different request body; use a new key for a new request")
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(claim.Body)
			return nil
		}
		// Otherwise the store binds the key to one activation id: concurrent retries, and a
		// retry after a first request that died half-way, all end in the same activation.
		created, fresh, err := s.deps.Idempotency.CreateActivationOnce(r.Context(), key, fingerprint, activation, requested)
		if err != nil {
			if domain.CodeOf(err) == domain.CodeUnprocessable {
				return NewProblem(ProblemIdempotencyReuse, "this Idempotency-Key was used with a different request body; use a new key for a new request")
			}
			return err
		}
		activation = created
		if !fresh {
			status = http.StatusOK
		}
	}
	id := activation.ID
	if err := s.startExecution(r, id); err != nil {
		return err
	}
	body, err := json.Marshal(activation)
	if err != nil {
		return err
	}
	if key != "" {
		if err := s.deps.Idempotency.CompleteIdempotencyKey(r.Context(), caller.Office, key, http.StatusOK, body); err != nil {
			// The activation exists and runs; a replay will find it through the claimed id.
			s.options.Logger.Warn("api: idempotency answer not stored", "activation", id, "error", err.Error())
		}
	}
	w.Header().Set("Location", "/activations/"+id)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
	return nil
}

func (s *Server) checkIdempotencyKey(key string) *Problem {
	if key == "" {
		return nil
	}
	maxLength := s.options.Config.Idempotency.MaxKeyLength
	if maxLength <= 0 || maxLength > 200 {
		maxLength = 128
	}
	bad := len(key) > maxLength
	for _, c := range []byte(key) {
		if c < 0x21 || c > 0x7e {
			bad = true
		}
	}
	if bad {
		return NewProblem(ProblemValidation, "the Idempotency-Key header is not valid",
			FieldError{Field: IdempotencyHeader, Reason: fmt.Sprintf("must be 1 to %d visible ASCII characters", maxLength)})
	}
	return nil
}

// startExecution starts the activation's workflow. The execution name is the activation id, so
// a second start (a retry, a replayed request) meets ExecutionAlreadyExists, which means the
// one execution is already there: exactly-once start.
func (s *Server) startExecution(r *http.Request, id string) error {
	input, _ := json.Marshal(map[string]string{"activationId": id})
	_, err := s.deps.Workflow.StartExecution(r.Context(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.options.StateMachineARN),
		Name:            aws.String(id),
		Input:           aws.String(string(input)),
	})
	var exists *sfntypes.ExecutionAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		s.options.Logger.Error("api: start execution", "activation", id, "error", err.Error())
		return NewProblem(ProblemUnavailable, "the activation is stored but its workflow could not be started; retry with the same Idempotency-Key")
	}
	return nil
}

// executionARN derives the ARN of the execution named name of a state machine:
// arn:aws:states:REGION:ACCOUNT:stateMachine:NAME -> ...:execution:NAME:name.
func executionARN(stateMachineARN, name string) string {
	if !strings.Contains(stateMachineARN, ":stateMachine:") {
		return ""
	}
	return strings.Replace(stateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// listActivations handles GET /activations: a country office sees its own office's, callers
// who read every office see all (optionally one office's).
func (s *Server) listActivations(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	scope := caller.ScopeOf(auth.ReadActivation)
	if scope == auth.None {
		return forbidden(auth.ReadActivation)
	}
	q := newQuery(r, "status", "country", "crisisType", "office", "createdAfter", "createdBefore", "limit", "cursor")
	status := oneOf(q, "status", domain.Statuses)
	country := q.country("country")
	crisisType := oneOf(q, "crisisType", domain.CrisisTypes)
	office := q.text("office", 64)
	createdAfter, createdBefore := q.time("createdAfter"), q.time("createdBefore")
	query := store.ActivationQuery{Office: office, Status: status, Limit: q.limit(), Cursor: q.cursor()}
	if p := q.problem(); p != nil {
		return p
	}
	if scope != auth.All {
		if caller.Office == "" || (office != "" && office != caller.Office) {
			return NewProblem(ProblemForbidden, "you may list your own office's activations only")
		}
		query.Office = caller.Office
	}
	page, err := s.deps.Activations.ListActivations(r.Context(), query)
	if err != nil {
		return err
	}
	// The store selects by office and status; the other filters apply to the page, so a page
	// may hold fewer items than the limit while Next still leads on.
	items := make([]domain.Activation, 0, len(page.Items))
	for _, a := range page.Items {
		if (country == "" || a.Country == country) && (crisisType == "" || a.CrisisType == crisisType) &&
			(createdAfter.IsZero() || !a.CreatedAt.Before(createdAfter)) && (createdBefore.IsZero() || a.CreatedAt.Before(createdBefore)) {
			items = append(items, a)
		}
	}
	return writeJSON(w, http.StatusOK, ActivationList{Items: items, Next: page.Next})
}

// visibleActivation loads the activation named in the path if the caller may do action on it;
// otherwise the answer is 404, the same as for an activation that does not exist.
func (s *Server) visibleActivation(r *http.Request, caller auth.Principal, action auth.Action) (domain.Activation, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return domain.Activation{}, notFound("activation")
	}
	activation, err := s.deps.Activations.GetActivation(r.Context(), id)
	if err != nil {
		if domain.CodeOf(err) == domain.CodeNotFound {
			return domain.Activation{}, notFound("activation")
		}
		return domain.Activation{}, err
	}
	if !caller.Allows(action, auth.Resource{Office: activation.Office}) {
		return domain.Activation{}, notFound("activation")
	}
	return activation, nil
}

// cancelActivation handles POST /activations/{id}/cancel. It does not stop the execution (a
// stopped execution cannot compensate): it marks the activation cancel-requested with a
// conditional update, then fails every open task token of the activation with
// ActivationCancelled. A waiting workflow leaves its wait through the Catch; a running one meets
// the mark at its next step, whose function refuses with the same error; a stalled one (stopped
// at a step after its retries) is redriven into that step. Either way the workflow's
// compensation releases the fund reservation and the bookings and ends in CANCELLED.
func (s *Server) cancelActivation(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.CancelActivation) == auth.None {
		return forbidden(auth.CancelActivation)
	}
	var req CancelRequest
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if p := decodeJSON(w, r, &req); p != nil {
			return p
		}
	} else if extra, _ := io.ReadAll(io.LimitReader(r.Body, 1)); len(extra) > 0 {
		return NewProblem(ProblemMediaType, "send the body with Content-Type: application/json")
	}
	if len(req.Reason) > 1000 {
		return NewProblem(ProblemValidation, "the request has invalid fields", FieldError{Field: "reason", Reason: "must be at most 1000 characters"})
	}
	activation, err := s.visibleActivation(r, caller, auth.CancelActivation)
	if err != nil {
		return err
	}
	if activation.Status == domain.StatusActive {
		return NewProblem(ProblemConflict, "the activation is ACTIVE: its experts are deployed and its money released; it runs until its end date")
	}
	if activation.Status.Terminal() || activation.Status == domain.StatusCompensating {
		return NewProblem(ProblemConflict, fmt.Sprintf("the activation is %s and can no longer be cancelled", activation.Status))
	}
	if !activation.CancelRequested {
		reason := req.Reason
		if reason == "" {
			reason = "cancelled by " + caller.Actor()
		}
		before := activation
		activation, err = s.deps.Activations.RequestCancel(r.Context(), activation.ID)
		if err != nil {
			if domain.CodeOf(err) == domain.CodeConflict {
				return NewProblem(ProblemConflict, "the activation has ended and can no longer be cancelled")
			}
			return err
		}
		s.audit(r, caller, auditNote{ActivationID: activation.ID, Country: activation.Country, Action: audit.ActionActivationCancel,
			Before: map[string]any{"status": before.Status}, After: map[string]any{"status": activation.Status, "cancelRequested": true, "reason": reason}})
	}
	if err := s.failOpenTasks(r, activation.ID); err != nil {
		return err
	}
	// A workflow that stopped at a step (its retries spent on a transient failure) would never
	// see the mark: it is redriven, the step runs again, meets ActivationCancelled and the Catch
	// compensates.
	workflow, err := s.describeWorkflow(r.Context(), activation)
	if err != nil {
		s.options.Logger.Error("api: describe execution", "activation", activation.ID, "error", err.Error())
		return NewProblem(ProblemUnavailable, "the cancellation is recorded but the workflow could not be told yet; retry")
	}
	if workflow != nil && workflow.Stalled {
		if _, err := s.redrive(r, caller, activation, workflow, "cancellation of a stopped workflow"); err != nil {
			var p *Problem
			if errors.As(err, &p) {
				return err
			}
			s.options.Logger.Error("api: redrive for cancellation", "activation", activation.ID, "error", err.Error())
			return NewProblem(ProblemUnavailable, "the cancellation is recorded but the stopped workflow could not be resumed yet; retry")
		}
	}
	return writeJSON(w, http.StatusAccepted, activation)
}

// failOpenTasks wakes every approval wait of the activation with ActivationCancelled. A token
// the workflow no longer waits on is skipped: the wait has ended some other way.
func (s *Server) failOpenTasks(r *http.Request, activationID string) error {
	tasks, err := s.deps.Tasks.TasksOfActivation(r.Context(), activationID)
	if err != nil {
		return err
	}
	for _, task := range tasks {
		if task.Status != domain.TaskOpen {
			continue
		}
		token, err := s.deps.Tasks.TaskToken(r.Context(), task.ID)
		if err != nil {
			return err
		}
		if token == "" {
			continue
		}
		_, err = s.deps.Workflow.SendTaskFailure(r.Context(), &sfn.SendTaskFailureInput{
			TaskToken: aws.String(token),
			Error:     aws.String("ActivationCancelled"),
			Cause:     aws.String("the requesting office cancelled the activation"),
		})
		if err != nil && !tokenGone(err) {
			s.options.Logger.Error("api: fail task token", "task", task.ID, "error", err.Error())
			return NewProblem(ProblemUnavailable, "the cancellation is recorded but the workflow could not be told yet; retry")
		}
	}
	return nil
}

// tokenGone reports whether a task token error means the workflow no longer waits on it.
func tokenGone(err error) bool {
	var invalid *sfntypes.InvalidToken
	var timedOut *sfntypes.TaskTimedOut
	var missing *sfntypes.TaskDoesNotExist
	return errors.As(err, &invalid) || errors.As(err, &timedOut) || errors.As(err, &missing)
}

// auditNote is what a handler says about a change; audit adds who and when.
type auditNote struct {
	ActivationID string
	Country      string
	Action       string
	// Subject is the thing acted on when it is not the activation (a task, an expert).
	Subject string
	Before  any
	After   any
}

// audit appends an event stamped with the caller and the clock. An audit failure is logged and
// the request still answers: the state change it describes has happened, and refusing the
// answer would make the client retry a change that is done.
func (s *Server) audit(r *http.Request, caller auth.Principal, note auditNote) {
	event := s.auditEvent(caller, note)
	if _, err := s.deps.Audit.AppendAudit(r.Context(), event); err != nil {
		s.options.Logger.Error("api: audit append failed", "action", event.Action, "activation", event.ActivationID, "error", err.Error())
	}
}

// auditEvent is the audit event of what the caller did, not yet sealed into its stream.
func (s *Server) auditEvent(caller auth.Principal, note auditNote) audit.Event {
	event := audit.Event{
		Time: s.options.Now().UTC(), Actor: caller.Actor(), Office: caller.Office, Action: note.Action,
		ActivationID: note.ActivationID, Country: note.Country, Subject: note.Subject,
	}
	roles := make([]string, len(caller.Roles))
	for i, role := range caller.Roles {
		roles[i] = string(role)
	}
	event.Role = strings.Join(roles, ",")
	if note.Before != nil {
		event.Before, _ = json.Marshal(note.Before)
	}
	if note.After != nil {
		event.After, _ = json.Marshal(note.After)
	}
	return event
}

// referenceMaxAge is how long reference data is used before it is read again. Duty stations'
// security levels change rarely and by hand; a minute's delay is harmless.
const referenceMaxAge = time.Minute

// reference returns the reference data, read at most once per referenceMaxAge.
func (s *Server) reference(ctx context.Context) (domain.Reference, error) {
	s.referenceMu.Lock()
	defer s.referenceMu.Unlock()
	now := s.options.Now()
	if s.referenceSet != nil && now.Sub(s.referenceRead) < referenceMaxAge && !now.Before(s.referenceRead) {
		return s.referenceSet, nil
	}
	set, err := s.deps.Reference.LoadReference(ctx)
	if err != nil {
		return nil, err
	}
	s.referenceSet, s.referenceRead = set, now
	return set, nil
}
