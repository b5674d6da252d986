package domain

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/fasttrack/fasttrack/shared/config"
)

// Mismatch is why one expert cannot take a profile (MatchReason's answer for them).
type Mismatch struct {
	ExpertID string `json:"expertId"`
	Reason   string `json:"reason"`
}

// String reads "consultant-12: does not speak fr".
func (m Mismatch) String() string { return m.ExpertID + ": " + m.Reason }

// ClosestMismatches returns why the experts closest to taking the profile cannot, at most n
// of them, closest first. An expert who passes more of MatchReason's checks (area, languages,
// training, its validity, unavailability, bookings) is closer; ties go as MatchExperts orders
// experts. Experts who can take the profile are left out. It is what hr reads to see what the
// roster lacks.
func ClosestMismatches(p Profile, level SecurityLevel, experts []Expert, bookings map[string][]Booking, cfg *config.Config, n int) []Mismatch {
	type ranked struct {
		expert Expert
		passed int
		reason string
	}
	var all []ranked
	for _, e := range experts {
		if passed, reason := mismatch(e, p, level, bookings[e.ID], cfg); reason != "" {
			all = append(all, ranked{expert: e, passed: passed, reason: reason})
		}
	}
	slices.SortFunc(all, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.passed, a.passed), preferred(a.expert, b.expert))
	})
	out := make([]Mismatch, 0, min(n, len(all)))
	for _, r := range all[:min(n, len(all))] {
		out = append(out, Mismatch{ExpertID: r.expert.ID, Reason: r.reason})
	}
	return out
}

// ClosestShown is how many of the closest experts a refused sourcing approval names.
const ClosestShown = 5

// NobodyFits: an hr sourcing task is approved while nobody on the roster can take the profile
// it is about (NobodyCanTake). The workflow would book again at once and fail the activation
// with NoExpertAvailable, so nothing is decided; an expert who fits comes first.
type NobodyFits struct {
	Message      string
	ActivationID string
	ProfileIndex int
	Profile      Profile
	Level        SecurityLevel
	// Closest are why the experts closest to taking the profile cannot, closest first.
	Closest []Mismatch
}

func (e *NobodyFits) Error() string { return e.Message }

// ErrorCode is CodeConflict: the task cannot be approved in the state the roster is in.
func (e *NobodyFits) ErrorCode() ErrorCode { return CodeConflict }

// NobodyCanTake is the refusal of an approval of the sourcing task for the activation's
// profile (index) when nobody on the roster (experts, with their bookings by expert id) can take
// it at the level: it names the profile and the activation, and says why the closest experts
// (at most ClosestShown) do not fit. Whether anybody fits is the caller's to ask first, of the
// matching the booking step uses (store.Matching).
func NobodyCanTake(activationID string, index int, p Profile, level SecurityLevel, experts []Expert, bookings map[string][]Booking, cfg *config.Config) *NobodyFits {
	period := p.Period()
	closest := ClosestMismatches(p, level, experts, bookings, cfg, ClosestShown)
	why := "the roster has no experts"
	if len(closest) > 0 {
		reasons := make([]string, len(closest))
		for i, m := range closest {
			reasons[i] = m.String()
		}
		why = "closest: " + strings.Join(reasons, "; ")
	}
	languages := "any language"
	if len(p.Languages) > 0 {
		languages = "speaking " + ListWords(p.Languages)
	}
	return &NobodyFits{
		Message: fmt.Sprintf("nobody on the roster can take profile %d of activation %s (%s, %s, %s to %s, security level %d); %s",
			index, activationID, p.Area, languages, period.Start, period.End, level, why),
		ActivationID: activationID, ProfileIndex: index, Profile: p, Level: level, Closest: closest,
	}
}
