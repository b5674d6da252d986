// Package audit is the model of the audit trail: the event, its canonical encoding, the hash
// chain that links each event of a stream to the one before, and the check that walks a chain
// and names the events that break it. The store (shared/store) persists events append-only.
//
// Each activation has its own stream; events with no activation (fund contributions, roster
// changes, delegations) go to SystemStream. Within a stream events are numbered 1, 2, 3, ...
// and each carries Hash = sha256(PrevHash || canonical encoding of the event), where PrevHash
// is the Hash of the event before (GenesisHash for the first). Changing any field of a stored
// event, removing one, or reordering them shows up in Verify.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SystemStream is the stream of events that belong to no activation.
const SystemStream = "SYSTEM"

// GenesisHash is the PrevHash of the first event of every stream.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// FormatVersion is the version of the canonical encoding, hashed with every event so that a
// future change of the encoding cannot be confused with tampering.
const FormatVersion = 1

// Actions recorded in the trail. Others may be added; these are the ones the path uses.
const (
	ActionActivationRequested = "activation.requested"
	ActionActivationStatus    = "activation.status_changed"
	ActionActivationCancel    = "activation.cancel_requested"
	ActionStepCompleted       = "step.completed"
	ActionStepFailed          = "step.failed"
	ActionFundReserved        = "fund.reserved"
	ActionFundReleased        = "fund.released"
	ActionFundReversed        = "fund.reversed"
	ActionFundContributed     = "fund.contributed"
	ActionExpertBooked        = "roster.booked"
	ActionBookingCancelled    = "roster.booking_cancelled"
	ActionExpertChanged       = "roster.expert_changed"
	ActionPolicyChanged       = "roster.policy_changed"
	ActionTaskCreated         = "task.created"
	ActionTaskDecided         = "task.decided"
	ActionTaskEscalated       = "task.escalated"
	ActionTaskExpired         = "task.expired"
	ActionTaskRescheduled     = "task.rescheduled"
	ActionTaskReassigned      = "task.reassigned"
	ActionDelegationCreated   = "delegation.created"
	ActionDelegationRevoked   = "delegation.revoked"
	// Attempts the policy refused (403): who tried what, and the rule that stopped it.
	ActionDecisionRefused         = "task.decision_refused"
	ActionReassignRefused         = "task.reassign_refused"
	ActionDelegationRefused       = "delegation.refused"
	ActionDelegationRevokeRefused = "delegation.revoke_refused"
	ActionRedrive                 = "activation.redriven"
	ActionSettingChanged          = "setting.changed"
)

// Event is one entry of the audit trail.
type Event struct {
	// Stream is "ACT#" + activation id, or SystemStream; set by Append.
	Stream string `json:"stream"`
	// Seq numbers the events of a stream from 1; set by Append.
	Seq int64 `json:"seq"`
	// Time is when it happened (UTC, to the nanosecond).
	Time time.Time `json:"time"`
	// Actor is the user id, or "system" / the function name for automated steps.
	Actor  string `json:"actor"`
	Role   string `json:"role,omitempty"`
	Office string `json:"office,omitempty"`
	// Action is what happened, such as ActionTaskDecided.
	Action       string `json:"action"`
	ActivationID string `json:"activationId,omitempty"`
	// Country of the activation, for searches by country.
	Country string `json:"country,omitempty"`
	// Subject is the thing acted on (a task id, an expert id, a currency), if not the activation.
	Subject string `json:"subject,omitempty"`
	// Before and After are the JSON of what changed, as it was and as it became.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	// WorkflowEvent refers to the workflow event this belongs to: the execution ARN and the
	// history event id or state name ("arn:...:exec#12", "arn:...:exec#ReserveFunds").
	WorkflowEvent string `json:"workflowEvent,omitempty"`
	// PrevHash and Hash chain the stream; set by Append.
	PrevHash string `json:"prevHash"`
	Hash     string `json:"hash"`
}

// StreamOf returns the stream of an activation's events ("" gives SystemStream).
func StreamOf(activationID string) string {
	if activationID == "" {
		return SystemStream
	}
	return "ACT#" + activationID
}

// JSON encodes v for Before/After; it returns nil for nil and never fails for plain data.
func JSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf("%q", "unencodable: "+err.Error()))
	}
	return b
}

// canonicalJSON re-encodes a JSON document with sorted object keys and no insignificant space,
// so that the same content always hashes the same whatever encoder wrote it.
func canonicalJSON(raw json.RawMessage) (string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "", nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("audit: before/after is not JSON: %w", err)
	}
	b, err := json.Marshal(v) // maps are written with sorted keys
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Normalize puts Before and After in canonical form and the time in UTC, as they are stored.
func Normalize(e Event) (Event, error) {
	var err error
	e.Time = e.Time.UTC()
	before, err := canonicalJSON(e.Before)
	if err != nil {
		return e, err
	}
	after, err := canonicalJSON(e.After)
	if err != nil {
		return e, err
	}
	e.Before, e.After = nil, nil
	if before != "" {
		e.Before = json.RawMessage(before)
	}
	if after != "" {
		e.After = json.RawMessage(after)
	}
	return e, nil
}

// Canonical returns the bytes that are hashed for the event: a JSON array of every field but
// Hash, in a fixed order, with Before/After in canonical form and the time in RFC 3339 UTC
// with nanoseconds.
func Canonical(e Event) ([]byte, error) {
	before, err := canonicalJSON(e.Before)
	if err != nil {
		return nil, err
	}
	after, err := canonicalJSON(e.After)
	if err != nil {
		return nil, err
	}
	fields := []any{
		FormatVersion, e.Stream, e.Seq, e.Time.UTC().Format(time.RFC3339Nano), e.Actor, e.Role, e.Office,
		e.Action, e.ActivationID, e.Country, e.Subject, before, after, e.WorkflowEvent, e.PrevHash,
	}
	return json.Marshal(fields)
}

// ComputeHash returns the hash the event must carry: hex sha256 of its canonical encoding
// (which includes PrevHash).
func ComputeHash(e Event) (string, error) {
	c, err := Canonical(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// Seal fills Stream, Seq, PrevHash and Hash of e as the event after prev (nil for the first of
// the stream).
func Seal(e Event, prev *Event) (Event, error) {
	e, err := Normalize(e)
	if err != nil {
		return e, err
	}
	e.Stream = StreamOf(e.ActivationID)
	e.Seq, e.PrevHash = 1, GenesisHash
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.Hash, err = ComputeHash(e)
	return e, err
}

// Break is an event that breaks its chain, and why.
type Break struct {
	Stream string `json:"stream"`
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

func (b Break) String() string { return fmt.Sprintf("%s #%d: %s", b.Stream, b.Seq, b.Reason) }

// Verify walks the events of one stream in order of Seq and returns the events that break the
// chain: an event whose content no longer matches its hash (it was changed), an event whose
// PrevHash is not the hash of the event before it (one was changed along with its hash, or
// removed, or inserted), a gap or repeat in the numbering, or an event of another stream. A
// tampered event is reported itself; the events after it still link to its stored hash and are
// not reported, so the report names exactly the items that were changed.
func Verify(events []Event) []Break {
	var breaks []Break
	var prev *Event
	for i := range events {
		e := events[i]
		var reasons []string
		wantStream := e.Stream
		if len(events) > 0 {
			wantStream = events[0].Stream
		}
		if e.Stream != wantStream || e.Stream != StreamOf(e.ActivationID) {
			reasons = append(reasons, "belongs to another stream")
		}
		switch {
		case prev == nil && e.Seq != 1:
			reasons = append(reasons, fmt.Sprintf("the stream starts at #%d, not #1", e.Seq))
		case prev != nil && e.Seq != prev.Seq+1:
			reasons = append(reasons, fmt.Sprintf("follows #%d: events are missing or repeated", prev.Seq))
		}
		wantPrev := GenesisHash
		if prev != nil {
			wantPrev = prev.Hash
		}
		if e.PrevHash != wantPrev {
			reasons = append(reasons, "does not link to the hash of the event before it")
		}
		if h, err := ComputeHash(e); err != nil {
			reasons = append(reasons, err.Error())
		} else if h != e.Hash {
			reasons = append(reasons, "its content does not match its hash (changed after it was written)")
		}
		if len(reasons) > 0 {
			breaks = append(breaks, Break{Stream: e.Stream, Seq: e.Seq, Reason: strings.Join(reasons, "; ")})
		}
		prev = &events[i]
	}
	return breaks
}
