package domain

import "time"

// EntryKind is the kind of a fund ledger entry.
type EntryKind string

// Ledger entry kinds and how each changes the available balance:
//
//	CONTRIBUTION  +amount  a donor's money comes in
//	RESERVATION   -amount  an activation sets money aside
//	RELEASE        0       the reservation is confirmed (spent); the balance already excludes it
//	REVERSAL      +amount  compensation returns a reservation to the fund
const (
	EntryContribution EntryKind = "CONTRIBUTION"
	EntryReservation  EntryKind = "RESERVATION"
	EntryRelease      EntryKind = "RELEASE"
	EntryReversal     EntryKind = "REVERSAL"
)

// LedgerEntry is one movement of the fund. The entries' Delta always sum to the balance.
type LedgerEntry struct {
	ID       string    `json:"id"`
	Kind     EntryKind `json:"kind"`
	Currency string    `json:"currency"`
	// Amount is the money the entry is about (positive, minor units).
	Amount int64 `json:"amount"`
	// Delta is the change to the available balance (see EntryKind).
	Delta int64 `json:"delta"`
	// ActivationID is set for reservations, releases and reversals.
	ActivationID string `json:"activationId,omitempty"`
	// Reference is the donor's reference for a contribution, or a note.
	Reference string    `json:"reference,omitempty"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
}

// FundBalance is the state of the fund in one currency.
type FundBalance struct {
	Currency string `json:"currency"`
	// Available is what can still be reserved; never below zero.
	Available int64 `json:"available"`
	// Reserved is set aside for activations not yet released or reversed.
	Reserved int64 `json:"reserved"`
	// Released is what was confirmed for activations.
	Released int64 `json:"released"`
	// Contributed is every contribution so far.
	Contributed int64     `json:"contributed"`
	UpdatedAt   time.Time `json:"updatedAt"`
}
