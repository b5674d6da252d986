package domain

import (
	"slices"
	"time"
)

// TaskKind says what an approval task asks.
type TaskKind string

// Task kinds.
const (
	// KindSecurityClearance: a security approver clears a deployment to a level 3-5 duty station.
	KindSecurityClearance TaskKind = "security_clearance"
	// KindSecurityOverride: senior management overrides the denial at level 6, with a
	// written justification.
	KindSecurityOverride TaskKind = "security_override"
	// KindFundRelease: finance releases an amount above the auto-release threshold.
	KindFundRelease TaskKind = "fund_release"
	// KindSeniorFundRelease: senior management's second approval above the second threshold.
	KindSeniorFundRelease TaskKind = "senior_fund_release"
	// KindExpertSourcing: hr sources a consultant where no expert matches.
	KindExpertSourcing TaskKind = "expert_sourcing"
	// KindInsuranceEnrolment: hr enrols a deployee lacking cover.
	KindInsuranceEnrolment TaskKind = "insurance_enrolment"
)

// TaskKinds lists every task kind.
var TaskKinds = []TaskKind{KindSecurityClearance, KindSecurityOverride, KindFundRelease,
	KindSeniorFundRelease, KindExpertSourcing, KindInsuranceEnrolment}

// Valid reports whether k is one of TaskKinds.
func (k TaskKind) Valid() bool { return slices.Contains(TaskKinds, k) }

// FundApproval reports whether the task approves the release of money.
func (k TaskKind) FundApproval() bool { return k == KindFundRelease || k == KindSeniorFundRelease }

// TaskStatus is the state of an approval task.
type TaskStatus string

// Task statuses. Only OPEN tasks can be decided.
const (
	TaskOpen      TaskStatus = "OPEN"
	TaskDecided   TaskStatus = "DECIDED"
	TaskEscalated TaskStatus = "ESCALATED"
	TaskExpired   TaskStatus = "EXPIRED"
)

// TaskStatuses lists every task status, open first.
var TaskStatuses = []TaskStatus{TaskOpen, TaskDecided, TaskEscalated, TaskExpired}

// Valid reports whether s is one of TaskStatuses.
func (s TaskStatus) Valid() bool { return slices.Contains(TaskStatuses, s) }

// Outcome is an approver's answer.
type Outcome string

// Outcomes.
const (
	Approve Outcome = "approve"
	Reject  Outcome = "reject"
)

// Valid reports whether o is approve or reject.
func (o Outcome) Valid() bool { return o == Approve || o == Reject }

// PastTense is the outcome as people read it of a decision taken: "approved", "rejected". The
// outcome itself is the verb a person sends ("approve"), which reads wrongly in "... by
// security-1" in a reason or a step's detail.
func (o Outcome) PastTense() string {
	switch o {
	case Approve:
		return "approved"
	case Reject:
		return "rejected"
	}
	return string(o)
}

// Decision is what an approver decided, by whom and when.
type Decision struct {
	Outcome Outcome `json:"decision"`
	ActorID string  `json:"actor"`
	// Role is the role the actor decided in.
	Role    Role      `json:"role"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
	// OnBehalfOf is the assignee whose delegation let the actor decide, if any.
	OnBehalfOf string `json:"onBehalfOf,omitempty"`
}

// TaskSummary is what an approver needs to decide without opening the activation.
type TaskSummary struct {
	Country       string         `json:"country"`
	DutyStation   string         `json:"dutyStation"`
	SecurityLevel SecurityLevel  `json:"securityLevel,omitempty"`
	CrisisType    CrisisType     `json:"crisisType"`
	Phase         Phase          `json:"phase,omitempty"`
	Amount        Money          `json:"amount"`
	Purpose       string         `json:"purpose,omitempty"`
	PeopleTotal   int64          `json:"peopleAffected,omitempty"`
	Profiles      int            `json:"profiles,omitempty"`
	Justification string         `json:"justification,omitempty"`
	Detail        map[string]any `json:"detail,omitempty"`
}

// ApprovalTask is a human decision the workflow waits for.
type ApprovalTask struct {
	ID           string     `json:"id"`
	ActivationID string     `json:"activationId"`
	Role         Role       `json:"role"`
	Kind         TaskKind   `json:"kind"`
	Status       TaskStatus `json:"status"`
	Deadline     time.Time  `json:"deadline"`
	// EscalationLevel is 0 for the first task, 1 after the first escalation, ...
	EscalationLevel int `json:"escalationLevel"`
	// RequestedBy is the user who made the activation request; never its approver.
	RequestedBy string `json:"requestedBy"`
	// Office is the requesting office.
	Office   string      `json:"office"`
	Priority int         `json:"priority"`
	Summary  TaskSummary `json:"summary"`
	// Assignee, when set, is the one person who may decide (or their delegate); otherwise
	// anyone of Role may.
	Assignee string `json:"assignee,omitempty"`
	// TaskToken is the workflow's callback token; never shown to users.
	TaskToken string    `json:"-"`
	Decision  *Decision `json:"decision,omitempty"`
	// PreviousTaskID is the task this one escalates; EscalatedTo the task that escalated this.
	PreviousTaskID string    `json:"previousTaskId,omitempty"`
	EscalatedTo    string    `json:"escalatedTo,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// Delegation lets ToUser act on FromUser's tasks of Role during [Start, Until).
type Delegation struct {
	// ID names the delegation, to list and revoke it by.
	ID       string    `json:"id,omitempty"`
	FromUser string    `json:"fromUser"`
	ToUser   string    `json:"toUser"`
	Role     Role      `json:"role"`
	Start    time.Time `json:"start"`
	Until    time.Time `json:"until"`
	Reason   string    `json:"reason,omitempty"`
	// CreatedBy is who recorded the delegation (the delegator or an admin).
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	// RevokedAt and RevokedBy say when and by whom the delegation was ended early; Until is
	// then the time it ended.
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	RevokedBy string     `json:"revokedBy,omitempty"`
}

// ActiveAt reports whether the delegation is in force at t.
func (d Delegation) ActiveAt(t time.Time) bool { return !t.Before(d.Start) && t.Before(d.Until) }

// DelegationStatus is where a delegation stands at a given time.
type DelegationStatus string

// Delegation statuses.
const (
	// DelegationScheduled: it starts later.
	DelegationScheduled DelegationStatus = "scheduled"
	// DelegationActive: it is in force.
	DelegationActive DelegationStatus = "active"
	// DelegationEnded: its period is over.
	DelegationEnded DelegationStatus = "ended"
	// DelegationRevoked: it was ended early.
	DelegationRevoked DelegationStatus = "revoked"
)

// StatusAt says where the delegation stands at t.
func (d Delegation) StatusAt(t time.Time) DelegationStatus {
	switch {
	case d.RevokedAt != nil:
		return DelegationRevoked
	case t.Before(d.Start):
		return DelegationScheduled
	case t.Before(d.Until):
		return DelegationActive
	default:
		return DelegationEnded
	}
}

// Revoke ends the delegation at the time at, on behalf of by: from then on the delegate no
// longer acts for the delegator. A delegation that has not started ends before it begins (Until
// becomes Start). A delegation already revoked, or whose period is over, cannot be revoked: a
// conflict, and d is returned unchanged.
func (d Delegation) Revoke(at time.Time, by string) (Delegation, error) {
	if d.RevokedAt != nil {
		return d, Errorf(CodeConflict, "the delegation %s was already revoked by %s at %s", d.ID, d.RevokedBy, d.RevokedAt.UTC().Format(time.RFC3339))
	}
	if !at.Before(d.Until) {
		return d, Errorf(CodeConflict, "the delegation %s already ended at %s", d.ID, d.Until.UTC().Format(time.RFC3339))
	}
	revoked := d
	at = at.UTC()
	revoked.RevokedAt, revoked.RevokedBy = &at, by
	revoked.Until = at
	if at.Before(d.Start) {
		revoked.Until = d.Start
	}
	return revoked, nil
}
