package domain

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fasttrack/fasttrack/shared/config"
)

// Eligibility is the outcome of the eligibility rules.
type Eligibility struct {
	Eligible bool `json:"eligible"`
	// Reasons lists every rule the request fails.
	Reasons []string `json:"reasons,omitempty"`
}

// Err returns a *NotEligible error listing the reasons, or nil when eligible.
func (e Eligibility) Err() error {
	if e.Eligible {
		return nil
	}
	return &NotEligible{Message: "not eligible: " + strings.Join(e.Reasons, "; "), Reasons: e.Reasons}
}

// CheckEligibility applies the eligibility rules: the request answers a government's or
// constituents' demand (a reference is given), the country is a member state (the country's
// reference record says so), and the amount is within the per-activation cap of a currency the
// fund holds.
func CheckEligibility(req ActivationRequest, country Country, cfg *config.Config) Eligibility {
	var reasons []string
	if strings.TrimSpace(req.DemandReference) == "" {
		reasons = append(reasons, "no government or constituents' demand is referenced")
	}
	if !country.MemberState {
		reasons = append(reasons, fmt.Sprintf("%s is not a member state", req.Country))
	}
	if t, ok := cfg.Thresholds(req.Amount.Currency); !ok {
		reasons = append(reasons, "the fund holds no "+req.Amount.Currency)
	} else if req.Amount.Value > t.Cap {
		reasons = append(reasons, fmt.Sprintf("the amount is above the cap of %s",
			Money{Value: t.Cap, Currency: req.Amount.Currency}))
	}
	return Eligibility{Eligible: len(reasons) == 0, Reasons: reasons}
}

// PriorityBreakdown shows how a priority score was made, in points.
type PriorityBreakdown struct {
	Affected float64 `json:"affected"`
	Severity float64 `json:"severity"`
	Fragile  float64 `json:"fragile"`
	Security float64 `json:"security"`
	Office   float64 `json:"office"`
	Score    int     `json:"score"`
}

// PriorityScore returns the request's priority, 0 to 100, and how it was made. It orders the
// approvers' inboxes; it never skips an approval. With the configured weights (defaults in
// brackets, summing to 100):
//
//	affected  [35] x min(1, people affected / population / saturation [10%])
//	severity  [25] x severity of the crisis type [%] x factor of the phase [%]
//	fragile   [15] if the country is on the fragility list
//	security  [15] x (level - 1) / 5, so level 1 gives 0 and level 6 the full weight
//	office    [10] if the organisation has NO country office there: the response then rests
//	               on the central task team, which needs the earliest start
//
// A country of unknown population (0) gets no affected points. The sum is rounded half up and
// kept within 0..100. The arithmetic is in integers (1/10000 of a point) so that the score is
// exactly reproducible.
func PriorityScore(req ActivationRequest, country Country, level SecurityLevel, cfg *config.Config) PriorityBreakdown {
	const unit = 10_000
	p := cfg.Priority
	var affected int64
	if country.Population > 0 {
		shareBP := req.PeopleAffected.Total() * unit / country.Population // basis points
		affected = int64(p.AffectedWeight) * min(shareBP, p.AffectedSaturation) * unit / p.AffectedSaturation
	}
	severity := int64(p.SeverityWeight) * int64(clampPercent(p.Severity[string(req.CrisisType)])) *
		int64(clampPercent(p.PhaseFactor[string(req.Phase)]))
	var fragile, office int64
	if country.Fragile {
		fragile = int64(p.FragileWeight) * unit
	}
	if !country.HasCountryOffice {
		office = int64(p.OfficeWeight) * unit
	}
	lvl := min(max(int64(level), 1), 6)
	security := int64(p.SecurityWeight) * (lvl - 1) * unit / 5
	total := affected + severity + fragile + security + office
	score := int((total + unit/2) / unit)
	score = min(max(score, 0), 100)
	pts := func(v int64) float64 { return float64(v) / unit }
	return PriorityBreakdown{Affected: pts(affected), Severity: pts(severity), Fragile: pts(fragile),
		Security: pts(security), Office: pts(office), Score: score}
}

func clampPercent(v int) int { return min(max(v, 0), 100) }

// ClearanceDecision is the outcome of security clearance.
type ClearanceDecision string

// Clearance decisions.
const (
	AutoCleared       ClearanceDecision = "AUTO_CLEARED"
	NeedsApproval     ClearanceDecision = "NEEDS_APPROVAL"
	Denied            ClearanceDecision = "DENIED"
	ClearedByOverride ClearanceDecision = "CLEARED_BY_OVERRIDE"
)

// ClearanceOutcome is what security clearance decided for a duty station.
type ClearanceOutcome struct {
	Decision ClearanceDecision `json:"decision"`
	Level    SecurityLevel     `json:"level"`
	// Role decides when Decision is NEEDS_APPROVAL (security), or may override a DENIED
	// (senior-management, OverridePossible).
	Role             Role `json:"role,omitempty"`
	OverridePossible bool `json:"overridePossible,omitempty"`
	// Training is what every deployee needs at this level.
	Training TrainingLevel `json:"training"`
	// Override records who overrode a denial and why.
	Override *Decision `json:"override,omitempty"`
}

// Clearance applies the clearance rule to a duty station's level: up to AutoClearMax [2] it is
// cleared at once; up to ApprovalMax [5] a security approver decides; above, it is denied unless
// senior management overrides (see ApplyOverride). An invalid level is denied.
func Clearance(level SecurityLevel, cfg *config.Config) ClearanceOutcome {
	out := ClearanceOutcome{Level: level, Training: RequiredTraining(level, cfg)}
	s := cfg.Security
	switch {
	case !level.Valid():
		out.Decision = Denied
	case int(level) <= s.AutoClearMax:
		out.Decision = AutoCleared
	case int(level) <= s.ApprovalMax:
		out.Decision, out.Role = NeedsApproval, RoleSecurity
	default:
		out.Decision, out.Role, out.OverridePossible = Denied, RoleSeniorManagement, true
	}
	return out
}

// ApplyOverride turns a DENIED clearance into CLEARED_BY_OVERRIDE when a senior-management
// approver approved it with a written justification of at least OverrideJustificationMin
// characters. Anything else leaves it denied, with a *SecurityClearanceDenied error saying why.
func ApplyOverride(out ClearanceOutcome, d Decision, cfg *config.Config) (ClearanceOutcome, error) {
	denied := func(why string) (ClearanceOutcome, error) {
		return out, &SecurityClearanceDenied{Message: "security clearance denied: " + why, Level: out.Level}
	}
	switch {
	case out.Decision != Denied || !out.OverridePossible:
		return denied("this clearance cannot be overridden")
	case d.Role != RoleSeniorManagement:
		return denied("only senior management may override")
	case d.Outcome != Approve:
		return denied("senior management did not override")
	case len([]rune(strings.TrimSpace(d.Comment))) < cfg.Security.OverrideJustificationMin:
		return denied(fmt.Sprintf("an override needs a justification of at least %d characters",
			cfg.Security.OverrideJustificationMin))
	}
	out.Decision = ClearedByOverride
	out.Override = &d
	return out, nil
}

// RequiredTraining returns the field security training a deployee needs at the level:
// advanced from AdvancedTrainingFrom [3], basic below.
func RequiredTraining(level SecurityLevel, cfg *config.Config) TrainingLevel {
	if int(level) >= cfg.Security.AdvancedTrainingFrom {
		return TrainingAdvanced
	}
	return TrainingBasic
}

// FundRoute says who must approve the release of an amount.
type FundRoute struct {
	// AutoRelease: released at once, no approval.
	AutoRelease bool `json:"autoRelease"`
	// Approvals are the roles that must each approve, in order: finance, then senior
	// management above the second threshold (two different people: four eyes).
	Approvals []Role `json:"approvals,omitempty"`
}

// RouteFunds applies the release tiers of the amount's currency: up to AutoRelease [50,000 USD]
// at once; above it finance; above SeniorManagement [250,000 USD] finance and senior management;
// above Cap [1,000,000 USD], or in a currency the fund does not hold, a *FundLimitExceeded.
func RouteFunds(amount Money, cfg *config.Config) (FundRoute, error) {
	t, ok := cfg.Thresholds(amount.Currency)
	switch {
	case !ok:
		return FundRoute{}, &FundLimitExceeded{Message: "the fund holds no " + amount.Currency, Amount: amount}
	case amount.Value <= 0:
		return FundRoute{}, &FundLimitExceeded{Message: "the amount must be positive", Amount: amount}
	case amount.Value > t.Cap:
		return FundRoute{}, &FundLimitExceeded{Message: fmt.Sprintf("%s is above the cap of %s per activation",
			amount, Money{Value: t.Cap, Currency: amount.Currency}), Amount: amount}
	case amount.Value <= t.AutoRelease:
		return FundRoute{AutoRelease: true}, nil
	case amount.Value <= t.SeniorManagement:
		return FundRoute{Approvals: []Role{RoleFinance}}, nil
	default:
		return FundRoute{Approvals: []Role{RoleFinance, RoleSeniorManagement}}, nil
	}
}

// FourEyes reports whether the amount is above the second threshold, where two different
// people of two roles must approve.
func FourEyes(amount Money, cfg *config.Config) bool {
	t, ok := cfg.Thresholds(amount.Currency)
	return ok && amount.Value > t.SeniorManagement
}

// MatchReason says why an expert does not match a profile ("" when they do).
func MatchReason(e Expert, p Profile, level SecurityLevel, bookings []Booking, cfg *config.Config) string {
	_, reason := mismatch(e, p, level, bookings, cfg)
	return reason
}

// mismatch is MatchReason with how many of its checks the expert passed before the one that
// failed (area, languages, training level, training validity, unavailability, bookings): the
// more, the closer the expert is to taking the profile (ClosestMismatches ranks by it).
func mismatch(e Expert, p Profile, level SecurityLevel, bookings []Booking, cfg *config.Config) (int, string) {
	if !slices.Contains(e.Areas, p.Area) {
		return 0, "not in the area " + string(p.Area)
	}
	for _, l := range p.Languages {
		if !slices.Contains(e.Languages, l) {
			return 1, "does not speak " + l
		}
	}
	need := RequiredTraining(level, cfg)
	period := p.Period()
	if !e.Training.Level.Satisfies(need) {
		return 2, fmt.Sprintf("needs %s security training", need)
	}
	if !e.Training.Expires.Valid() || e.Training.Expires.Before(period.End) {
		return 3, "security training expires before the deployment ends"
	}
	for _, u := range e.Unavailable {
		if u.Overlaps(period) {
			return 4, "unavailable from " + u.Start.String() + " to " + u.End.String()
		}
	}
	for _, b := range bookings {
		if b.ExpertID == e.ID && b.Status.Holds() && b.Period.Overlaps(period) {
			return 5, "booked from " + b.Period.Start.String() + " to " + b.Period.End.String()
		}
	}
	return 6, ""
}

// MatchExperts returns the experts who can take the profile at a duty station of the level,
// best first: in the area, speaking every requested language, free over the whole period
// (bookings holds every expert's bookings, by expert id), and trained for the level with the
// training valid until the last day. Ties go to staff before consultants, then to the expert
// with fewer active bookings, then to the smaller id, so the order is deterministic.
func MatchExperts(p Profile, level SecurityLevel, experts []Expert, bookings map[string][]Booking, cfg *config.Config) []Expert {
	var out []Expert
	for _, e := range experts {
		if MatchReason(e, p, level, bookings[e.ID], cfg) == "" {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, preferred)
	return out
}

// preferred orders experts who can equally take a profile: staff before consultants, then
// fewer active bookings, then the smaller id.
func preferred(a, b Expert) int {
	if a.Employment != b.Employment {
		if a.Employment == Staff {
			return -1
		}
		if b.Employment == Staff {
			return 1
		}
	}
	return cmp.Or(cmp.Compare(a.ActiveBookings, b.ActiveBookings), cmp.Compare(a.ID, b.ID))
}

// RequiredCover returns the kinds of cover a deployee needs at the level: medical and
// evacuation always, malicious acts from MaliciousActsFrom [3].
func RequiredCover(level SecurityLevel, cfg *config.Config) []CoverKind {
	kinds := []CoverKind{CoverMedical, CoverEvacuation}
	if int(level) >= cfg.Security.MaliciousActsFrom {
		kinds = append(kinds, CoverMaliciousActs)
	}
	return kinds
}

// MissingCover returns the kinds of required cover that the policies do not give for every
// day of the period. Several policies of one kind may chain (one ending the day before the next
// starts); a day between two policies is a gap, and the kind is missing.
func MissingCover(policies []InsurancePolicy, period Period, level SecurityLevel, cfg *config.Config) []CoverKind {
	var missing []CoverKind
	for _, kind := range RequiredCover(level, cfg) {
		if !covered(policies, kind, period) {
			missing = append(missing, kind)
		}
	}
	return missing
}

func covered(policies []InsurancePolicy, kind CoverKind, period Period) bool {
	var spans []Period
	for _, p := range policies {
		if p.Kind == kind && p.Period().Valid() {
			spans = append(spans, p.Period())
		}
	}
	slices.SortFunc(spans, func(a, b Period) int { return strings.Compare(string(a.Start), string(b.Start)) })
	next := period.Start // the first day not yet known to be covered
	for _, s := range spans {
		if s.Start.After(next) {
			return false
		}
		if !s.End.Before(next) {
			next = s.End.AddDays(1)
		}
		if next.After(period.End) {
			return true
		}
	}
	return false
}

// CoverError returns an *InsuranceCoverMissing for the expert if anything is missing, else nil.
func CoverError(expertID string, missing []CoverKind) error {
	if len(missing) == 0 {
		return nil
	}
	names := make([]string, len(missing))
	for i, k := range missing {
		names[i] = string(k)
	}
	return &InsuranceCoverMissing{Message: fmt.Sprintf("expert %s lacks %s cover for the deployment",
		expertID, strings.Join(names, ", ")), ExpertID: expertID, Missing: missing}
}

// EnrolmentComplete is the rule for approving an hr insurance enrolment task: the expert it is
// about must hold, now, every cover the deployment needs (MissingCover over the booked days at
// the level). The workflow checks the cover once more after the approval and fails the
// activation if anything is still missing, so an approval given before the policy is recorded
// is refused at once instead: a *CoverStillMissing (a conflict) that names the expert, the
// kinds and the days, and the task stays open for the policy to be recorded.
func EnrolmentComplete(expertID string, policies []InsurancePolicy, period Period, level SecurityLevel, cfg *config.Config) error {
	missing := MissingCover(policies, period, level, cfg)
	if len(missing) == 0 {
		return nil
	}
	return &CoverStillMissing{
		Message: fmt.Sprintf("expert %s still lacks %s cover for %s to %s (security level %d)",
			expertID, ListWords(missing), period.Start, period.End, level),
		ExpertID: expertID, Missing: missing, Period: period, Level: level,
	}
}

// TaskDeadline returns when a task of the role created at created must be decided.
func TaskDeadline(role Role, created time.Time, cfg *config.Config) time.Time {
	return created.Add(cfg.Deadline(string(role)))
}

// EscalationTarget returns the role an overdue task of the role at the escalation level goes
// to, or false when it may not be escalated again (then the step fails with ApprovalTimedOut).
// Defaults: security, finance and hr escalate to senior management, once. The project has no
// separate regional security advisor role: senior management takes that part.
func EscalationTarget(role Role, level int, cfg *config.Config) (Role, bool) {
	if level >= cfg.Escalation.MaxLevel {
		return "", false
	}
	target, ok := cfg.Escalation.Targets[string(role)]
	if !ok || target == "" {
		return "", false
	}
	return Role(target), true
}

// ActivationEndDate returns the day an activation expires: the last day of its longest
// deployment, but no later than MaxDuration after the activation day.
func ActivationEndDate(profiles []Profile, activated time.Time, cfg *config.Config) Date {
	limit := DateOf(activated.Add(cfg.Activation.MaxDuration.D()))
	end := DateOf(activated)
	for _, p := range profiles {
		if e := p.Period().End; e.After(end) {
			end = e
		}
	}
	if end.After(limit) {
		return limit
	}
	return end
}
