package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fasttrack/fasttrack/shared/config"
)

// ValidateRequest checks a decoded activation request and returns every field error at once
// (nil if there is none). now is the caller's clock: start dates may not be before its day.
// The HTTP layer has already refused unknown fields and wrong JSON types; this checks values.
func ValidateRequest(req ActivationRequest, now time.Time, cfg *config.Config, ref Reference) FieldErrors {
	v := &validator{}
	lim := cfg.Limits

	countryKnown := false
	switch {
	case req.Country == "":
		v.add("country", "is required")
	case !ValidCountryCode(req.Country):
		v.add("country", "must be an ISO 3166-1 alpha-2 code such as \"HT\"")
	default:
		if _, ok := ref.Country(req.Country); !ok {
			v.add("country", "is not a country known to the system")
		} else {
			countryKnown = true
		}
	}
	switch {
	case strings.TrimSpace(req.DutyStation) == "":
		v.add("dutyStation", "is required")
	case utf8.RuneCountInString(req.DutyStation) > lim.MaxDutyStation:
		v.add("dutyStation", fmt.Sprintf("must be at most %d characters", lim.MaxDutyStation))
	case countryKnown:
		if _, ok := ref.DutyStation(req.Country, req.DutyStation); !ok {
			v.add("dutyStation", fmt.Sprintf("is not a duty station known in %s", req.Country))
		}
	}
	if !req.CrisisType.Valid() {
		v.add("crisisType", "must be one of "+joinCodes(CrisisTypes))
	}
	if !req.Phase.Valid() {
		v.add("phase", "must be one of "+joinCodes(Phases))
	}

	people := map[string]int64{"women": req.PeopleAffected.Women, "men": req.PeopleAffected.Men,
		"girls": req.PeopleAffected.Girls, "boys": req.PeopleAffected.Boys}
	for _, k := range []string{"women", "men", "girls", "boys"} {
		switch n := people[k]; {
		case n < 0:
			v.add("peopleAffected."+k, "must not be negative")
		case n > lim.MaxPeopleEach:
			v.add("peopleAffected."+k, fmt.Sprintf("must be at most %d", lim.MaxPeopleEach))
		}
	}

	if len(req.TargetGroups) > lim.MaxTargetGroups {
		v.add("targetGroups", fmt.Sprintf("must have at most %d entries", lim.MaxTargetGroups))
	}
	seenGroups := map[TargetGroup]bool{}
	for i, g := range req.TargetGroups {
		field := fmt.Sprintf("targetGroups[%d]", i)
		switch {
		case !g.Valid():
			v.add(field, "must be one of "+joinCodes(TargetGroups))
		case seenGroups[g]:
			v.add(field, "is repeated")
		}
		seenGroups[g] = true
	}

	switch {
	case req.Amount.Currency == "":
		v.add("amount.currency", "is required")
	case !ValidCurrency(req.Amount.Currency):
		v.add("amount.currency", "must be an ISO 4217 code such as \"USD\"")
	default:
		if _, ok := cfg.Thresholds(req.Amount.Currency); !ok {
			v.add("amount.currency", "the fund holds no "+req.Amount.Currency)
		}
	}
	if req.Amount.Value <= 0 {
		v.add("amount.value", "must be positive (minor units, such as cents)")
	} else if t, ok := cfg.Thresholds(req.Amount.Currency); ok && req.Amount.Value > t.Cap {
		v.add("amount.value", fmt.Sprintf("must be at most %s per activation",
			Money{Value: t.Cap, Currency: req.Amount.Currency}))
	}

	v.text("purpose", req.Purpose, true, lim.MaxPurpose)
	v.text("demandReference", req.DemandReference, false, lim.MaxDemandReference)
	v.text("justification", req.Justification, true, lim.MaxJustification)

	today := DateOf(now)
	latest := DateOf(now.Add(lim.MaxStartAhead.D()))
	switch {
	case len(req.Profiles) == 0:
		v.add("profiles", "must have at least one profile")
	case len(req.Profiles) > lim.MaxProfiles:
		v.add("profiles", fmt.Sprintf("must have at most %d profiles", lim.MaxProfiles))
	}
	for i, p := range req.Profiles {
		field := fmt.Sprintf("profiles[%d]", i)
		if !p.Area.Valid() {
			v.add(field+".area", "must be one of "+joinCodes(Areas))
		}
		switch {
		case len(p.Languages) == 0:
			v.add(field+".languages", "must have at least one language")
		case len(p.Languages) > lim.MaxLanguages:
			v.add(field+".languages", fmt.Sprintf("must have at most %d languages", lim.MaxLanguages))
		}
		seen := map[string]bool{}
		for j, l := range p.Languages {
			lf := fmt.Sprintf("%s.languages[%d]", field, j)
			switch {
			case !ValidLanguage(l):
				v.add(lf, "must be an ISO 639-1 code such as \"fr\"")
			case seen[l]:
				v.add(lf, "is repeated")
			}
			seen[l] = true
		}
		if _, err := ParseDate(string(p.StartDate)); err != nil {
			v.add(field+".startDate", err.Error())
		} else if p.StartDate.Before(today) {
			v.add(field+".startDate", "must not be in the past (today is "+today.String()+")")
		} else if p.StartDate.After(latest) {
			v.add(field+".startDate", "must be at most "+latest.String())
		}
		if p.Days < 1 || p.Days > lim.MaxDays {
			v.add(field+".days", fmt.Sprintf("must be between 1 and %d", lim.MaxDays))
		}
	}
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

// ValidateDecision checks an approver's decision body.
func ValidateDecision(outcome Outcome, comment string, cfg *config.Config) FieldErrors {
	v := &validator{}
	if !outcome.Valid() {
		v.add("decision", "must be \"approve\" or \"reject\"")
	}
	v.text("comment", comment, outcome == Reject, cfg.Limits.MaxComment)
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

// ProblemFields turns field errors into the list the HTTP layer renders in a problem
// document: [{"field": "profiles[1].startDate", "reason": "must be a date YYYY-MM-DD"}].
func ProblemFields(fe FieldErrors) []map[string]string {
	out := make([]map[string]string, len(fe))
	for i, f := range fe {
		out[i] = map[string]string{"field": f.Field, "reason": f.Reason}
	}
	return out
}

type validator struct{ errs FieldErrors }

func (v *validator) add(field, reason string) {
	v.errs = append(v.errs, FieldError{Field: field, Reason: reason})
}

// text checks a free-text field: required (when asked), bounded, valid UTF-8 with no control
// characters other than newlines and tabs.
func (v *validator) text(field, s string, required bool, maxLen int) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.add(field, "is required")
	case !utf8.ValidString(s):
		v.add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > maxLen:
		v.add(field, fmt.Sprintf("must be at most %d characters", maxLen))
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f }):
		v.add(field, "must not contain control characters")
	}
}

func joinCodes[T ~string](codes []T) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = string(c)
	}
	return strings.Join(parts, ", ")
}
