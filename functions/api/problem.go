package api

import (
	"encoding/json"
	"net/http"
)

// ProblemBase is the prefix of every problem type URI. The URIs are stable: clients match on them.
const ProblemBase = "https://fasttrack.example/problems/"

// ProblemKind is one kind of error the API answers with. Each has a stable type URI, a title and
// an HTTP status.
type ProblemKind struct {
	Slug   string
	Title  string
	Status int
}

// Type is the kind's type URI.
func (k ProblemKind) Type() string { return ProblemBase + k.Slug }

// The kinds of problem the API answers with. The OpenAPI document lists the same set.
var (
	ProblemMalformed        = ProblemKind{"malformed-request", "The request body is not valid JSON", http.StatusBadRequest}
	ProblemValidation       = ProblemKind{"validation", "The request has invalid fields", http.StatusBadRequest}
	ProblemUnauthenticated  = ProblemKind{"unauthenticated", "A valid bearer token is required", http.StatusUnauthorized}
	ProblemForbidden        = ProblemKind{"forbidden", "This action is not allowed for the caller", http.StatusForbidden}
	ProblemNotFound         = ProblemKind{"not-found", "No such resource", http.StatusNotFound}
	ProblemMethodNotAllowed = ProblemKind{"method-not-allowed", "Method not allowed on this resource", http.StatusMethodNotAllowed}
	ProblemConflict         = ProblemKind{"conflict", "The resource is not in a state that allows this", http.StatusConflict}
	ProblemAlreadyDecided   = ProblemKind{"already-decided", "The task has already been decided", http.StatusConflict}
	ProblemCoverMissing     = ProblemKind{"cover-missing", "The expert still lacks the insurance cover the task is about", http.StatusConflict}
	ProblemNoMatch          = ProblemKind{"no-match", "Nobody on the roster can take the profile the task is about", http.StatusConflict}
	ProblemPrecondition     = ProblemKind{"precondition-failed", "A precondition of the request (If-Match, If-None-Match) does not hold", http.StatusPreconditionFailed}
	ProblemIdempotencyReuse = ProblemKind{"idempotency-key-reused", "The Idempotency-Key was used with a different request", http.StatusUnprocessableEntity}
	ProblemNotEligible      = ProblemKind{"not-eligible", "The activation is not eligible for the fast track", http.StatusUnprocessableEntity}
	ProblemTooLarge         = ProblemKind{"payload-too-large", "The request body is too large", http.StatusRequestEntityTooLarge}
	ProblemMediaType        = ProblemKind{"unsupported-media-type", "The request body must be application/json", http.StatusUnsupportedMediaType}
	ProblemInternal         = ProblemKind{"internal", "Internal error", http.StatusInternalServerError}
	ProblemUnavailable      = ProblemKind{"unavailable", "A service the API depends on is unavailable; retry later", http.StatusServiceUnavailable}
)

// ProblemKinds lists every kind.
func ProblemKinds() []ProblemKind {
	return []ProblemKind{
		ProblemMalformed, ProblemValidation, ProblemUnauthenticated, ProblemForbidden, ProblemNotFound,
		ProblemMethodNotAllowed, ProblemConflict, ProblemAlreadyDecided, ProblemCoverMissing, ProblemNoMatch, ProblemPrecondition, ProblemIdempotencyReuse,
		ProblemNotEligible, ProblemTooLarge, ProblemMediaType, ProblemInternal, ProblemUnavailable,
	}
}

// FieldError is one invalid field: its JSON path ("amount.value", "profiles[1].startDate") and
// the reason in words.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Problem is an RFC 9457 problem details object. It is also an error, so handlers return it.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
	// Instance is the request path the problem is about.
	Instance string `json:"instance,omitempty"`
}

// Error returns the detail, or the title.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Title + ": " + p.Detail
	}
	return p.Title
}

// NewProblem returns a problem of kind with a detail.
func NewProblem(kind ProblemKind, detail string, errors ...FieldError) *Problem {
	return &Problem{Type: kind.Type(), Title: kind.Title, Status: kind.Status, Detail: detail, Errors: errors}
}

// writeProblem sends p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	out := *p
	if r != nil && out.Instance == "" {
		out.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if out.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fasttrack"`)
	}
	w.WriteHeader(out.Status)
	_ = json.NewEncoder(w).Encode(out)
}
