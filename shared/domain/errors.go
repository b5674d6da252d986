package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrorCode is a machine-readable class of error; the API maps each to one HTTP status.
type ErrorCode string

// Error codes.
const (
	// CodeInvalid: bad input (400); FieldErrors say which fields and why.
	CodeInvalid ErrorCode = "invalid"
	// CodeUnauthorized: no or bad credentials (401).
	CodeUnauthorized ErrorCode = "unauthorized"
	// CodeForbidden: the caller may not do this (403).
	CodeForbidden ErrorCode = "forbidden"
	// CodeNotFound: no such thing, or not visible to the caller (404).
	CodeNotFound ErrorCode = "not_found"
	// CodeConflict: the state changed or forbids it: a second decision, a lost race, an
	// illegal transition, a reused idempotency key (409).
	CodeConflict ErrorCode = "conflict"
	// CodeUnprocessable: valid input that the business rules refuse (422), such as an
	// ineligible request.
	CodeUnprocessable ErrorCode = "unprocessable"
	// CodeUnavailable: a dependency is down or throttling; retry later (503).
	CodeUnavailable ErrorCode = "unavailable"
	// CodeInternal: a fault of ours (500); the message says nothing internal.
	CodeInternal ErrorCode = "internal"
)

// FieldError says which field of the input is wrong and why.
type FieldError struct {
	// Field is the path of the field, such as "profiles[1].startDate".
	Field string `json:"field"`
	// Reason is why, such as "must be a date YYYY-MM-DD".
	Reason string `json:"reason"`
}

// String returns "field: reason".
func (f FieldError) String() string { return f.Field + ": " + f.Reason }

// FieldErrors is a list of field errors; as an error it lists them all.
type FieldErrors []FieldError

// Error lists every field error.
func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, f := range fe {
		parts[i] = f.String()
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Error is the one error model of the API layer: a code, a message for people, and the field
// errors of bad input. Read it with errors.As, or use ErrorCode and ErrorMessage.
type Error struct {
	Code    ErrorCode
	Message string
	Fields  FieldErrors
	// Err is the underlying cause, for logs and errors.Is/As; never shown to users.
	Err error
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Error returns the message.
func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return e.Message + ": " + e.Fields.Error()
	}
	return e.Message
}

// ErrorCode returns the code.
func (e *Error) ErrorCode() ErrorCode { return e.Code }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an *Error of code invalid carrying the field errors.
func Invalid(fields FieldErrors) *Error {
	return &Error{Code: CodeInvalid, Message: "the request is not valid", Fields: fields}
}

// NotFound returns an *Error of code not_found for the named thing.
func NotFound(what, id string) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("%s %q not found", what, id)}
}

// Coded is any error that knows its ErrorCode. Every error type of this package is Coded.
type Coded interface {
	error
	ErrorCode() ErrorCode
}

// CodeOf returns the code of the first Coded error in err's chain, CodeInternal if there is
// none, and "" for nil.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var c Coded
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return CodeInternal
}

// MessageOf returns the message to show for err: the Coded error's own message, or a generic
// one for internal errors (so no internal detail reaches a user).
func MessageOf(err error) string {
	var c Coded
	if errors.As(err, &c) && c.ErrorCode() != CodeInternal {
		var e *Error
		if errors.As(err, &e) {
			return e.Message
		}
		return c.Error()
	}
	return "an internal error occurred"
}

// FieldsOf returns the field errors carried by err (an *Error or FieldErrors), if any.
func FieldsOf(err error) FieldErrors {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// The named business errors below are returned by Lambda handlers as they are (never wrapped
// with %w at the handler boundary): the Go runtime names an error after its type, so
// Step Functions sees "InsufficientFunds" and the workflow's Retry/Catch match that name.
// Each has a Message (what the runtime reports as errorMessage) and a Code for the API.

// SecurityClearanceDenied: the duty station's level forbids deployment (level 6 with no
// override), or a security approver rejected it.
type SecurityClearanceDenied struct {
	Message string `json:"message"`
	Level   SecurityLevel
}

func (e *SecurityClearanceDenied) Error() string { return e.Message }

// ErrorCode is CodeUnprocessable.
func (e *SecurityClearanceDenied) ErrorCode() ErrorCode { return CodeUnprocessable }

// InsufficientFunds: the fund cannot cover the reservation. Not retried.
type InsufficientFunds struct {
	Message   string `json:"message"`
	Requested Money
	Available int64
}

func (e *InsufficientFunds) Error() string { return e.Message }

// ErrorCode is CodeUnprocessable.
func (e *InsufficientFunds) ErrorCode() ErrorCode { return CodeUnprocessable }

// FundLimitExceeded: the amount is above the per-activation cap, or the currency has no fund.
type FundLimitExceeded struct {
	Message string `json:"message"`
	Amount  Money
}

func (e *FundLimitExceeded) Error() string { return e.Message }

// ErrorCode is CodeUnprocessable.
func (e *FundLimitExceeded) ErrorCode() ErrorCode { return CodeUnprocessable }

// NoExpertAvailable: nobody on the roster matches a profile (area, languages, dates, training).
type NoExpertAvailable struct {
	Message      string `json:"message"`
	ProfileIndex int
}

func (e *NoExpertAvailable) Error() string { return e.Message }

// ErrorCode is CodeUnprocessable.
func (e *NoExpertAvailable) ErrorCode() ErrorCode { return CodeUnprocessable }

// ExpertUnavailable: the chosen expert is already booked on some of the days (a lost race or
// a stale match); the caller tries the next candidate.
type ExpertUnavailable struct {
	Message  string `json:"message"`
	ExpertID string
}

func (e *ExpertUnavailable) Error() string { return e.Message }

// ErrorCode is CodeConflict.
func (e *ExpertUnavailable) ErrorCode() ErrorCode { return CodeConflict }

// InsuranceCoverMissing: a deployee lacks cover of some kind for some days.
type InsuranceCoverMissing struct {
	Message  string `json:"message"`
	ExpertID string
	Missing  []CoverKind
}

func (e *InsuranceCoverMissing) Error() string { return e.Message }

// ErrorCode is CodeUnprocessable.
func (e *InsuranceCoverMissing) ErrorCode() ErrorCode { return CodeUnprocessable }

// CoverStillMissing: an insurance enrolment task is approved while its expert still lacks cover
// the deployment needs (EnrolmentComplete). Nothing is decided; the policy comes first.
type CoverStillMissing struct {
	Message  string
	ExpertID string
	Missing  []CoverKind
	Period   Period
	Level    SecurityLevel
}

func (e *CoverStillMissing) Error() string { return e.Message }

// ErrorCode is CodeConflict: the task cannot be approved in the state the roster is in.
func (e *CoverStillMissing) ErrorCode() ErrorCode { return CodeConflict }

// ApprovalRejected: an approver said no.
type ApprovalRejected struct {
	Message string `json:"message"`
	TaskID  string
	Role    Role
}

func (e *ApprovalRejected) Error() string { return e.Message }

// ErrorCode is CodeUnprocessable.
func (e *ApprovalRejected) ErrorCode() ErrorCode { return CodeUnprocessable }

// ApprovalTimedOut: the last escalation's deadline passed with no decision.
type ApprovalTimedOut struct {
	Message string `json:"message"`
	TaskID  string
}

func (e *ApprovalTimedOut) Error() string { return e.Message }

// ErrorCode is CodeUnprocessable.
func (e *ApprovalTimedOut) ErrorCode() ErrorCode { return CodeUnprocessable }

// ActivationCancelled: the office cancelled the activation; steps stop and compensation runs.
type ActivationCancelled struct {
	Message      string `json:"message"`
	ActivationID string
}

func (e *ActivationCancelled) Error() string { return e.Message }

// ErrorCode is CodeConflict.
func (e *ActivationCancelled) ErrorCode() ErrorCode { return CodeConflict }

// NotEligible: the request fails the eligibility rules (Reasons lists each).
type NotEligible struct {
	Message string `json:"message"`
	Reasons []string
}

func (e *NotEligible) Error() string { return e.Message }

// ErrorCode is CodeUnprocessable.
func (e *NotEligible) ErrorCode() ErrorCode { return CodeUnprocessable }

// IllegalTransition: the activation's status may not change from From to To.
type IllegalTransition struct {
	From Status
	To   Status
}

func (e *IllegalTransition) Error() string {
	return fmt.Sprintf("an activation cannot go from %s to %s", e.From, e.To)
}

// ErrorCode is CodeConflict.
func (e *IllegalTransition) ErrorCode() ErrorCode { return CodeConflict }

// StaleVersion: someone else changed the item since it was read (a lost race); re-read and
// decide again.
type StaleVersion struct {
	Entity   string
	ID       string
	Expected int
	Actual   int
	// ActualStatus is the status found, when the entity has one.
	ActualStatus string
}

func (e *StaleVersion) Error() string {
	return fmt.Sprintf("%s %s changed meanwhile (version %d, expected %d)", e.Entity, e.ID, e.Actual, e.Expected)
}

// ErrorCode is CodeConflict.
func (e *StaleVersion) ErrorCode() ErrorCode { return CodeConflict }

// TaskNotOpen: the task was already decided, escalated or expired, or its deadline passed.
type TaskNotOpen struct {
	TaskID string
	Status TaskStatus
	// PastDeadline is set when the task is still OPEN but its deadline has passed.
	PastDeadline bool
}

func (e *TaskNotOpen) Error() string {
	if e.PastDeadline {
		return fmt.Sprintf("task %s is past its deadline and awaits escalation", e.TaskID)
	}
	return fmt.Sprintf("task %s is %s, not open", e.TaskID, e.Status)
}

// ErrorCode is CodeConflict.
func (e *TaskNotOpen) ErrorCode() ErrorCode { return CodeConflict }

// DecisionRefused: the separation-of-duties policy forbids this person deciding this task.
type DecisionRefused struct {
	// Rule is the policy row that refused, such as "not-own-request".
	Rule   string
	Reason string
}

func (e *DecisionRefused) Error() string { return e.Reason }

// ErrorCode is CodeForbidden.
func (e *DecisionRefused) ErrorCode() ErrorCode { return CodeForbidden }
