package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
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

// createActivation handles POST /activations: decode strictly, validate every field, apply
// eligibility and priority, store as REQUESTED, start the workflow with the activation id as the
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
	ref, err := s.deps.Reference.Reference(r.Context())
	if err != nil {
		return err
	}
	if fieldErrors := domain.ValidateRequest(req, now, s.options.Config, ref); len(fieldErrors) > 0 {
		return domain.Invalid(fieldErrors)
	}
	country, _ := ref.Country(req.Country)
	station, _ := ref.DutyStation(req.Country, req.DutyStation)
	if err := domain.CheckEligibility(req, country, s.options.Config).Err(); err != nil {
		s.audit(r, caller, AuditEvent{Action: "activation.refused", Country: req.Country, After: map[string]any{"reason": err.Error()}})
		return err
	}

	id := s.options.NewID()
	var idempotencyKey string
	if key != "" {
		canonical, _ := json.Marshal(req)
		sum := sha256.Sum256(canonical)
		idempotencyKey = caller.Subject + "/" + key
		record, claimed, err := s.deps.Idempotency.ClaimKey(r.Context(), IdempotencyRecord{
			Key: idempotencyKey, Fingerprint: hex.EncodeToString(sum[:]), ActivationID: id,
			CreatedAt: now, ExpiresAt: now.Add(s.options.Config.Idempotency.TTL.D()),
		})
		if err != nil {
			return err
		}
		if !claimed {
			if record.Fingerprint != hex.EncodeToString(sum[:]) {
				return NewProblem(ProblemIdempotencyReuse, "this Idempotency-Key was used with a different request body; use a new key for a new request")
			}
			if record.Status != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(record.Body)
				return nil
			}
			// The first request with this key has not answered (it is running, or it stopped
			// half-way): carry on with its activation id. Creating the activation and starting
			// its execution are both idempotent for one id, so the two requests end in one.
			id = record.ActivationID
		}
	}

	activation := domain.Activation{
		ID:                id,
		ActivationRequest: req,
		Office:            caller.Office,
		RequestedBy:       caller.Actor(),
		Status:            domain.StatusRequested,
		Version:           1,
		Priority:          domain.PriorityScore(req, country, station.Level, s.options.Config).Score,
		SecurityLevel:     station.Level,
		CreatedAt:         now,
		UpdatedAt:         now,
		ExecutionArn:      executionARN(s.options.StateMachineARN, id),
		Steps:             []domain.Step{{Name: "request", Status: "succeeded", At: now}},
	}
	status := http.StatusCreated
	if err := s.deps.Activations.CreateActivation(r.Context(), activation); err != nil {
		if domain.CodeOf(err) != domain.CodeConflict || idempotencyKey == "" {
			return err
		}
		// Another request with the same key stored it first: answer with what it stored.
		if activation, err = s.deps.Activations.GetActivation(r.Context(), id); err != nil {
			return err
		}
		status = http.StatusOK
	} else {
		s.audit(r, caller, AuditEvent{ActivationID: id, Country: req.Country, Action: "activation.requested", Step: "request",
			After: map[string]any{"status": activation.Status, "priority": activation.Priority, "amount": req.Amount,
				"dutyStation": req.DutyStation, "securityLevel": activation.SecurityLevel}})
	}
	if err := s.startExecution(r, id); err != nil {
		return err
	}
	body, err := json.Marshal(activation)
	if err != nil {
		return err
	}
	if idempotencyKey != "" {
		if err := s.deps.Idempotency.CompleteKey(r.Context(), idempotencyKey, http.StatusOK, body); err != nil {
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
	filter := ActivationFilter{
		Status:        oneOf(q, "status", domain.Statuses),
		Country:       q.country("country"),
		CrisisType:    oneOf(q, "crisisType", domain.CrisisTypes),
		Office:        q.text("office", 64),
		CreatedAfter:  q.time("createdAfter"),
		CreatedBefore: q.time("createdBefore"),
		Limit:         q.limit(),
		Cursor:        q.cursor(),
	}
	if p := q.problem(); p != nil {
		return p
	}
	if scope != auth.All {
		if caller.Office == "" || (filter.Office != "" && filter.Office != caller.Office) {
			return NewProblem(ProblemForbidden, "you may list your own office's activations only")
		}
		filter.Office = caller.Office
	}
	items, next, err := s.deps.Activations.ListActivations(r.Context(), filter)
	if err != nil {
		return err
	}
	if items == nil {
		items = []domain.Activation{}
	}
	return writeJSON(w, http.StatusOK, ActivationList{Items: items, Next: next})
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

// getActivation handles GET /activations/{id}.
func (s *Server) getActivation(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	activation, err := s.visibleActivation(r, caller, auth.ReadActivation)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, activation)
}

// cancelActivation handles POST /activations/{id}/cancel. It does not stop the execution (a
// stopped execution cannot compensate): it marks the activation cancel-requested with a
// conditional update, then fails every open task token of the activation with
// ActivationCancelled. A waiting workflow leaves its wait through the Catch; a running one meets
// the mark at its next step, whose function refuses with the same error. Either way the
// workflow's compensation releases the fund reservation and the bookings and ends in CANCELLED.
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
	if activation.Status.Terminal() || activation.Status == domain.StatusCompensating {
		return NewProblem(ProblemConflict, fmt.Sprintf("the activation is %s and can no longer be cancelled", activation.Status))
	}
	if !activation.CancelRequested {
		reason := req.Reason
		if reason == "" {
			reason = "cancelled by " + caller.Actor()
		}
		before := activation
		activation, err = s.deps.Activations.RequestCancellation(r.Context(), activation.ID, activation.Version, reason, s.options.Now().UTC())
		if err != nil {
			return err
		}
		s.audit(r, caller, AuditEvent{ActivationID: activation.ID, Country: activation.Country, Action: "activation.cancel_requested",
			Before: map[string]any{"status": before.Status}, After: map[string]any{"status": activation.Status, "cancelRequested": true, "reason": reason}})
	}
	if err := s.failOpenTasks(r, activation.ID); err != nil {
		return err
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
		if task.Status != domain.TaskOpen || task.TaskToken == "" {
			continue
		}
		_, err := s.deps.Workflow.SendTaskFailure(r.Context(), &sfn.SendTaskFailureInput{
			TaskToken: aws.String(task.TaskToken),
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

// RedriveResult is the answer of POST /activations/{id}/redrive.
type RedriveResult struct {
	Activation  domain.Activation `json:"activation"`
	RedriveDate string            `json:"redriveDate,omitempty"`
}

// redriveActivation handles POST /activations/{id}/redrive: an admin retries a failed
// execution from its failed step.
func (s *Server) redriveActivation(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.RedriveExecution) == auth.None {
		return forbidden(auth.RedriveExecution)
	}
	activation, err := s.visibleActivation(r, caller, auth.RedriveExecution)
	if err != nil {
		return err
	}
	arn := activation.ExecutionArn
	if arn == "" {
		arn = executionARN(s.options.StateMachineARN, activation.ID)
	}
	described, err := s.deps.Workflow.DescribeExecution(r.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		var missing *sfntypes.ExecutionDoesNotExist
		if errors.As(err, &missing) {
			return NewProblem(ProblemConflict, "the activation has no execution to redrive")
		}
		return err
	}
	switch described.Status {
	case sfntypes.ExecutionStatusFailed, sfntypes.ExecutionStatusTimedOut, sfntypes.ExecutionStatusAborted:
	default:
		return NewProblem(ProblemConflict, fmt.Sprintf("the execution is %s; only a failed, timed-out or aborted execution can be redriven", described.Status))
	}
	out, err := s.deps.Workflow.RedriveExecution(r.Context(), &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		var notRedrivable *sfntypes.ExecutionNotRedrivable
		if errors.As(err, &notRedrivable) {
			return NewProblem(ProblemConflict, "the execution cannot be redriven")
		}
		return err
	}
	result := RedriveResult{Activation: activation}
	if out.RedriveDate != nil {
		result.RedriveDate = out.RedriveDate.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	s.audit(r, caller, AuditEvent{ActivationID: activation.ID, Country: activation.Country, Action: "activation.redriven",
		Before: map[string]any{"execution": string(described.Status)}, After: map[string]any{"redriveDate": result.RedriveDate}})
	return writeJSON(w, http.StatusAccepted, result)
}

// audit appends an event stamped with the caller and the clock. An audit failure is logged and
// the request still answers: the state change it describes has happened, and refusing the
// answer would make the client retry a change that is done.
func (s *Server) audit(r *http.Request, caller auth.Principal, event AuditEvent) {
	event.Time = s.options.Now().UTC()
	event.Actor = caller.Actor()
	event.Office = caller.Office
	if len(caller.Roles) > 0 {
		roles := make([]string, len(caller.Roles))
		for i, role := range caller.Roles {
			roles[i] = string(role)
		}
		event.Role = strings.Join(roles, ",")
	}
	if err := s.deps.Audit.Append(r.Context(), event); err != nil {
		s.options.Logger.Error("api: audit append failed", "action", event.Action, "activation", event.ActivationID, "error", err.Error())
	}
}
