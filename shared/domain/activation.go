package domain

import (
	"slices"
	"time"
)

// PeopleAffected counts the people a crisis affects, by sex and age, as the data is collected.
type PeopleAffected struct {
	Women int64 `json:"women"`
	Men   int64 `json:"men"`
	Girls int64 `json:"girls"`
	Boys  int64 `json:"boys"`
}

// Total returns the number of people affected.
func (p PeopleAffected) Total() int64 { return p.Women + p.Men + p.Girls + p.Boys }

// Profile is one expert the activation needs.
type Profile struct {
	Area      Area     `json:"area"`
	Languages []string `json:"languages"`
	// StartDate is the first day of the deployment, YYYY-MM-DD.
	StartDate Date `json:"startDate"`
	// Days is the length of the deployment, 1 to 365.
	Days int `json:"days"`
}

// Period returns the days of the deployment, both ends included.
func (p Profile) Period() Period { return PeriodOf(p.StartDate, p.Days) }

// ActivationRequest is what a country office asks for (the body of POST /activations). The
// requesting office comes from the caller's token, never from the body.
type ActivationRequest struct {
	Country         string         `json:"country"`
	DutyStation     string         `json:"dutyStation"`
	CrisisType      CrisisType     `json:"crisisType"`
	Phase           Phase          `json:"phase"`
	PeopleAffected  PeopleAffected `json:"peopleAffected"`
	TargetGroups    []TargetGroup  `json:"targetGroups"`
	Amount          Money          `json:"amount"`
	Purpose         string         `json:"purpose"`
	Profiles        []Profile      `json:"profiles"`
	DemandReference string         `json:"demandReference"`
	Justification   string         `json:"justification"`
}

// Status is where an activation is on the fast-track path.
type Status string

// Statuses. REQUESTED, IN_PROGRESS, AWAITING_APPROVAL, ACTIVE, REJECTED, FAILED and CANCELLED
// are the API's; COMPENSATING is the saga undoing reservations before one of the three
// unhappy terminal statuses.
const (
	// StatusRequested: stored by the API, the workflow not yet started or not yet running.
	StatusRequested Status = "REQUESTED"
	// StatusInProgress: the workflow is running automated steps.
	StatusInProgress Status = "IN_PROGRESS"
	// StatusAwaitingApproval: at least one approval task is open.
	StatusAwaitingApproval Status = "AWAITING_APPROVAL"
	// StatusActive: cleared, funded, staffed and insured; reservations confirmed.
	StatusActive Status = "ACTIVE"
	// StatusCompensating: a failure, rejection, timeout or cancellation is being compensated
	// (fund reservation reversed, bookings cancelled). Outcome says which terminal status follows.
	StatusCompensating Status = "COMPENSATING"
	// StatusRejected: an approver rejected it, or it was not eligible, or clearance was denied.
	StatusRejected Status = "REJECTED"
	// StatusFailed: a step failed (no funds, no expert, no cover, an approval timed out).
	StatusFailed Status = "FAILED"
	// StatusCancelled: the requesting office cancelled it.
	StatusCancelled Status = "CANCELLED"
)

// Statuses lists every status.
var Statuses = []Status{StatusRequested, StatusInProgress, StatusAwaitingApproval, StatusActive,
	StatusCompensating, StatusRejected, StatusFailed, StatusCancelled}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Terminal reports whether nothing follows s.
func (s Status) Terminal() bool {
	return s == StatusRejected || s == StatusFailed || s == StatusCancelled
}

// transitions is the table of legal status changes. Staying in IN_PROGRESS or
// AWAITING_APPROVAL is legal because the parallel branches of the workflow (clearance and
// funds) each report progress; a self-transition still bumps the version.
var transitions = map[Status][]Status{
	StatusRequested:        {StatusInProgress, StatusCompensating, StatusRejected, StatusCancelled, StatusFailed},
	StatusInProgress:       {StatusInProgress, StatusAwaitingApproval, StatusActive, StatusCompensating},
	StatusAwaitingApproval: {StatusAwaitingApproval, StatusInProgress, StatusCompensating},
	StatusActive:           {StatusCompensating},
	StatusCompensating:     {StatusRejected, StatusFailed, StatusCancelled},
}

// CanTransition reports whether an activation may go from one status to another.
func CanTransition(from, to Status) bool { return slices.Contains(transitions[from], to) }

// CheckTransition returns an *IllegalTransition error unless from -> to is legal.
func CheckTransition(from, to Status) error {
	if !CanTransition(from, to) {
		return &IllegalTransition{From: from, To: to}
	}
	return nil
}

// NextStatuses returns the statuses legal after s.
func NextStatuses(s Status) []Status { return slices.Clone(transitions[s]) }

// Step is one entry of an activation's own progress record (the workflow keeps the full history;
// this is what the activation shows without asking the workflow).
type Step struct {
	// Name is the step, such as "assess", "clearance", "funds", "roster", "insurance".
	Name string `json:"name"`
	// Status is the step's state: "started", "waiting", "succeeded", "failed", "skipped".
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	// Detail is a short human-readable note ("auto-cleared, level 2").
	Detail string `json:"detail,omitempty"`
}

// Deployment is an expert booked for one requested profile.
type Deployment struct {
	ProfileIndex int    `json:"profileIndex"`
	ExpertID     string `json:"expertId"`
	BookingID    string `json:"bookingId"`
	Period       Period `json:"period"`
}

// Activation is a stored activation request and where it is.
type Activation struct {
	ID string `json:"id"`
	ActivationRequest
	// Office is the requesting office, from the caller's token.
	Office string `json:"office"`
	// RequestedBy is the user id of the person who made the request.
	RequestedBy string `json:"requestedBy"`
	Status      Status `json:"status"`
	// Version increases by one with every status change; updates are conditional on it.
	Version int `json:"version"`
	// Priority is the score 0-100 that orders approvers' inboxes.
	Priority int `json:"priority"`
	// SecurityLevel is the duty station's level when the request was made.
	SecurityLevel SecurityLevel `json:"securityLevel,omitempty"`
	// EndDate is when the activation expires (the last day of its longest deployment, or the
	// configured maximum duration).
	EndDate   Date      `json:"endDate,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// ExecutionArn is the workflow execution that runs the activation.
	ExecutionArn string `json:"executionArn,omitempty"`
	// Clearance is the security clearance outcome, once known.
	Clearance *ClearanceOutcome `json:"clearance,omitempty"`
	// Deployments are the experts booked so far.
	Deployments []Deployment `json:"deployments,omitempty"`
	// Reason says why an activation ended in REJECTED, FAILED or CANCELLED (or is compensating).
	Reason string `json:"reason,omitempty"`
	// Outcome is the terminal status a COMPENSATING activation will end in.
	Outcome Status `json:"outcome,omitempty"`
	// CancelRequested is set when the office asked to cancel; the workflow honours it.
	CancelRequested bool `json:"cancelRequested,omitempty"`
	// Steps records the progress of each step.
	Steps []Step `json:"steps"`
}

// DeploymentLevel is the security level the activation's deployees are checked against
// (training, insurance cover): the level of its clearance once recorded, the duty station's
// level at the request before.
func (a Activation) DeploymentLevel() SecurityLevel {
	if a.Clearance != nil && a.Clearance.Level.Valid() {
		return a.Clearance.Level
	}
	return a.SecurityLevel
}
