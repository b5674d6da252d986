package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// DeployRequest asks to staff one profile of an activation.
type DeployRequest struct {
	ActivationID string
	ProfileIndex int
	Profile      domain.Profile
	// Level is the duty station's security level (it sets the training needed).
	Level  domain.SecurityLevel
	Config *config.Config
}

// Deployed is the outcome of DeployExpert.
type Deployed struct {
	Expert  domain.Expert
	Booking domain.Booking
	// Missing lists the cover the expert lacks for the deployment (empty when insured); only
	// DeployExpert fills it.
	Missing []domain.CoverKind
}

// DeployExpert staffs one profile: it ranks the roster with domain.MatchExperts and books the
// best candidate; if someone else took that expert's days meanwhile it tries the next. A retry
// for the same activation and profile returns the booking already made. It also reports the
// cover the booked expert lacks (the insurance step decides what to do about it). With nobody
// left it returns *domain.NoExpertAvailable.
func (s *Store) DeployExpert(ctx context.Context, r DeployRequest) (Deployed, error) {
	cfg := r.Config
	if cfg == nil {
		cfg = config.Default()
	}
	existing, err := s.BookingsOfActivation(ctx, r.ActivationID)
	if err != nil {
		return Deployed{}, err
	}
	for _, b := range existing {
		if b.ProfileIndex == r.ProfileIndex && b.Status.Holds() {
			return s.deployed(ctx, b, r, cfg)
		}
	}
	candidates, err := s.Candidates(ctx)
	if err != nil {
		return Deployed{}, err
	}
	period := r.Profile.Period()
	for _, e := range Matching(candidates, r.Profile, r.Level, cfg) {
		b, err := s.Book(ctx, BookingRequest{ExpertID: e.ID, ActivationID: r.ActivationID, ProfileIndex: r.ProfileIndex, Period: period})
		var unavailable *domain.ExpertUnavailable
		if errors.As(err, &unavailable) {
			continue
		}
		if err != nil {
			return Deployed{}, err
		}
		return s.deployed(ctx, b, r, cfg)
	}
	return Deployed{}, noExpert(r)
}

func noExpert(r DeployRequest) error {
	period := r.Profile.Period()
	return &domain.NoExpertAvailable{ProfileIndex: r.ProfileIndex, Message: fmt.Sprintf(
		"nobody on the roster can take profile %d (%s, %v, %s to %s, level %d)", r.ProfileIndex, r.Profile.Area,
		r.Profile.Languages, period.Start, period.End, r.Level)}
}

// matchInput splits candidates into what domain.MatchExperts takes.
func matchInput(candidates []Candidate) ([]domain.Expert, map[string][]domain.Booking) {
	experts := make([]domain.Expert, len(candidates))
	bookings := make(map[string][]domain.Booking, len(candidates))
	for i, c := range candidates {
		experts[i] = c.Expert
		bookings[c.ID] = c.Bookings()
	}
	return experts, bookings
}

func (s *Store) deployed(ctx context.Context, b domain.Booking, r DeployRequest, cfg *config.Config) (Deployed, error) {
	e, err := s.GetExpert(ctx, b.ExpertID)
	if err != nil {
		return Deployed{}, err
	}
	policies, err := s.Policies(ctx, b.ExpertID)
	if err != nil {
		return Deployed{}, err
	}
	return Deployed{Expert: e, Booking: b, Missing: domain.MissingCover(policies, b.Period, r.Level, cfg)}, nil
}

// maxStaffAttempts bounds how often StaffProfile reads again after losing a race (on the
// activation or on an expert).
const maxStaffAttempts = 50

// StaffProfile staffs one profile of the activation base and records it, in one transaction:
// the booking of the best available expert (Matching over candidates, the roster as
// Candidates read it; nil reads it), the expert's new version and hold, and the change record
// returns for the activation given the booking (its step record and audit events; StaffProfile
// adds the deployment). No expert is booked without the activation recording it, and no
// deployment is recorded without its booking.
//
// When the activation already records a deployment of the profile (a retried step, or a
// duplicate call that won the race), nothing is booked: record is asked for the change that
// records it (nil when it is recorded already). Lost races are read again: the activation (then
// record decides again), or the expert (then the roster is ranked again). It returns the
// activation as it became, the deployment and whether this call wrote anything.
// *domain.NoExpertAvailable when nobody matches.
func (s *Store) StaffProfile(ctx context.Context, base Current, r DeployRequest, candidates []Candidate,
	record func(a Current, d Deployed) (*Change, error)) (Current, Deployed, bool, error) {
	cfg := r.Config
	if cfg == nil {
		cfg = config.Default()
	}
	if candidates == nil {
		var err error
		if candidates, err = s.Candidates(ctx); err != nil {
			return base, Deployed{}, false, err
		}
	}
	candidates = append([]Candidate(nil), candidates...)
	find := func(id string) (Candidate, error) {
		for _, c := range candidates {
			if c.ID == id {
				return c, nil
			}
		}
		return s.candidate(ctx, id)
	}
	refresh := func(id string) error {
		fresh, err := s.candidate(ctx, id)
		if err != nil {
			return err
		}
		for i := range candidates {
			if candidates[i].ID == id {
				candidates[i] = fresh
			}
		}
		return nil
	}
	period := r.Profile.Period()
	var lastErr error
	for range maxStaffAttempts {
		// Staffed already: record it if the activation does not record it yet, and answer with it.
		if d, ok := deploymentOf(base.Activation, r.ProfileIndex); ok {
			e, err := find(d.ExpertID)
			if err != nil {
				return base, Deployed{}, false, err
			}
			deployed := Deployed{Expert: e.Expert, Booking: domain.Booking{ID: d.BookingID, ExpertID: d.ExpertID,
				ActivationID: base.ID, ProfileIndex: r.ProfileIndex, Period: d.Period, Status: domain.BookingActive}}
			change, err := record(base, deployed)
			if err != nil || change == nil {
				return base, deployed, false, err
			}
			next, _, err := s.Commit(ctx, base, *change)
			if lastErr = err; isStale(err) {
				if base, err = s.rebase(ctx, err, base.ID); err != nil {
					return base, deployed, false, err
				}
				continue
			}
			return next, deployed, err == nil, err
		}
		ranked := Matching(candidates, r.Profile, r.Level, cfg)
		if len(ranked) == 0 {
			return base, Deployed{}, false, noExpert(r)
		}
		chosen := ranked[0]
		booking, writes, err := s.bookingWrites(ctx, chosen, BookingRequest{ExpertID: chosen.ID, ActivationID: base.ID,
			ProfileIndex: r.ProfileIndex, Period: period})
		var unavailable *domain.ExpertUnavailable
		if errors.As(err, &unavailable) {
			// The holds say the expert is free but the bookings say not (an old period): drop them.
			candidates = removeCandidate(candidates, chosen.ID)
			continue
		}
		if err != nil {
			return base, Deployed{}, false, err
		}
		deployed := Deployed{Expert: chosen.Expert, Booking: booking}
		change, err := record(base, deployed)
		if err != nil || change == nil {
			return base, deployed, false, err
		}
		change.Deployment = &domain.Deployment{ProfileIndex: r.ProfileIndex, ExpertID: chosen.ID, BookingID: booking.ID, Period: period}
		change.Writes = append(append([]Write(nil), change.Writes...), writes...)
		next, _, err := s.Commit(ctx, base, *change)
		lastErr = err
		var already *AlreadyWritten
		switch {
		case err == nil:
			return next, deployed, true, nil
		case isStale(err):
			if base, err = s.rebase(ctx, err, base.ID); err != nil {
				return base, deployed, false, err
			}
		case errors.Is(err, errExpertChanged):
			if err := refresh(chosen.ID); err != nil {
				return base, deployed, false, err
			}
		case errors.As(err, &already):
			// This profile's booking of this expert exists but the activation does not record
			// it (it was made by code that did not record both at once): take it over if it
			// still holds its days.
			first, gerr := s.getBooking(ctx, chosen.ID, booking.ID)
			if gerr != nil {
				return base, deployed, false, gerr
			}
			if !first.Status.Holds() {
				return base, deployed, false, domain.Errorf(domain.CodeConflict, "booking %s was cancelled", first.ID)
			}
			deployed.Booking = first
			change, err := record(base, deployed)
			if err != nil || change == nil {
				return base, deployed, false, err
			}
			change.Deployment = &domain.Deployment{ProfileIndex: r.ProfileIndex, ExpertID: first.ExpertID, BookingID: first.ID, Period: first.Period}
			next, _, err := s.Commit(ctx, base, *change)
			if lastErr = err; isStale(err) {
				if base, err = s.rebase(ctx, err, base.ID); err != nil {
					return base, deployed, false, err
				}
				continue
			}
			return next, deployed, err == nil, err
		default:
			return base, deployed, false, err
		}
	}
	return base, Deployed{}, false, &domain.Error{Code: domain.CodeUnavailable, Err: lastErr,
		Message: fmt.Sprintf("profile %d of activation %s kept losing races for its expert; try again", r.ProfileIndex, base.ID)}
}

func deploymentOf(a domain.Activation, profileIndex int) (domain.Deployment, bool) {
	for _, d := range a.Deployments {
		if d.ProfileIndex == profileIndex && d.BookingID != "" {
			return d, true
		}
	}
	return domain.Deployment{}, false
}

func removeCandidate(candidates []Candidate, id string) []Candidate {
	out := candidates[:0]
	for _, c := range candidates {
		if c.ID != id {
			out = append(out, c)
		}
	}
	return out
}

func isStale(err error) bool {
	var stale *domain.StaleVersion
	return errors.As(err, &stale)
}

// rebase returns the activation as a lost race found it, or reads it.
func (s *Store) rebase(ctx context.Context, err error, id string) (Current, error) {
	var moved *Changed
	if errors.As(err, &moved) {
		return moved.Current, nil
	}
	return s.ReadActivation(ctx, id)
}
