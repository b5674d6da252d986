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
	// Missing lists the cover the expert lacks for the deployment (empty when insured).
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
	experts, err := s.ListExperts(ctx)
	if err != nil {
		return Deployed{}, err
	}
	bookings, err := s.BookingsByExpert(ctx, experts)
	if err != nil {
		return Deployed{}, err
	}
	period := r.Profile.Period()
	for _, e := range domain.MatchExperts(r.Profile, r.Level, experts, bookings, cfg) {
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
	return Deployed{}, &domain.NoExpertAvailable{ProfileIndex: r.ProfileIndex, Message: fmt.Sprintf(
		"nobody on the roster can take profile %d (%s, %v, %s to %s, level %d)", r.ProfileIndex, r.Profile.Area,
		r.Profile.Languages, period.Start, period.End, r.Level)}
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
