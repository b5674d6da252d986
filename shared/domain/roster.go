package domain

import "time"

// EmploymentType says whether an expert is staff or an external consultant.
type EmploymentType string

// Employment types.
const (
	Staff      EmploymentType = "staff"
	Consultant EmploymentType = "consultant"
)

// TrainingLevel is a field security training level.
type TrainingLevel string

// Training levels. Advanced includes basic.
const (
	TrainingNone     TrainingLevel = ""
	TrainingBasic    TrainingLevel = "basic"
	TrainingAdvanced TrainingLevel = "advanced"
)

// rank orders training levels so that advanced satisfies a need for basic.
func (t TrainingLevel) rank() int {
	switch t {
	case TrainingBasic:
		return 1
	case TrainingAdvanced:
		return 2
	}
	return 0
}

// Satisfies reports whether training t meets the need.
func (t TrainingLevel) Satisfies(need TrainingLevel) bool { return t.rank() >= need.rank() }

// SecurityTraining is an expert's field security training.
type SecurityTraining struct {
	Level TrainingLevel `json:"level"`
	// Expires is the last day the training is valid.
	Expires Date `json:"expires"`
}

// Expert is a person on the roster.
type Expert struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Employment EmploymentType `json:"employment"`
	Areas      []Area         `json:"areas"`
	// Languages are ISO 639-1 codes.
	Languages []string         `json:"languages"`
	Training  SecurityTraining `json:"training"`
	// HomeOffice is where the expert is based.
	HomeOffice string `json:"homeOffice"`
	// Unavailable lists periods the expert cannot be deployed (leave, other duties), besides
	// their bookings.
	Unavailable []Period `json:"unavailable,omitempty"`
	// ActiveBookings counts the expert's bookings that are not cancelled; the store keeps it.
	ActiveBookings int `json:"activeBookings"`
	// Version increases with every change of the expert (a booking, a cancellation, a profile
	// change); bookings and conditional profile changes (If-Match) are conditional on it.
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CoverKind is a kind of insurance cover.
type CoverKind string

// Cover kinds.
const (
	CoverMedical       CoverKind = "medical"
	CoverEvacuation    CoverKind = "evacuation"
	CoverMaliciousActs CoverKind = "malicious_acts"
)

// CoverKinds lists every cover kind.
var CoverKinds = []CoverKind{CoverMedical, CoverEvacuation, CoverMaliciousActs}

// InsurancePolicy is one insurance policy of an expert.
type InsurancePolicy struct {
	ID       string    `json:"id"`
	ExpertID string    `json:"expertId"`
	Kind     CoverKind `json:"kind"`
	Insurer  string    `json:"insurer,omitempty"`
	// ValidFrom and ValidTo are the first and last days of cover.
	ValidFrom Date `json:"validFrom"`
	ValidTo   Date `json:"validTo"`
}

// Period returns the days the policy covers.
func (p InsurancePolicy) Period() Period { return Period{Start: p.ValidFrom, End: p.ValidTo} }

// BookingStatus is the state of a booking.
type BookingStatus string

// Booking statuses. Only ACTIVE and CONFIRMED bookings hold the expert's days.
const (
	BookingActive    BookingStatus = "ACTIVE"
	BookingConfirmed BookingStatus = "CONFIRMED"
	BookingCancelled BookingStatus = "CANCELLED"
)

// Holds reports whether a booking in this status keeps the expert's days.
func (s BookingStatus) Holds() bool { return s == BookingActive || s == BookingConfirmed }

// Booking reserves an expert for an activation over a period.
type Booking struct {
	// ID is deterministic (activation id and profile index) so that a retried booking finds
	// the first one.
	ID           string        `json:"id"`
	ExpertID     string        `json:"expertId"`
	ActivationID string        `json:"activationId"`
	ProfileIndex int           `json:"profileIndex"`
	Period       Period        `json:"period"`
	Status       BookingStatus `json:"status"`
	CreatedAt    time.Time     `json:"createdAt"`
	UpdatedAt    time.Time     `json:"updatedAt"`
}
