package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// FundView is the answer of GET /fund.
type FundView struct {
	Balances []domain.FundBalance `json:"balances"`
	Ledger   []domain.LedgerEntry `json:"ledger"`
}

// ContributionRequest is the body of POST /fund/contributions.
type ContributionRequest struct {
	Amount    domain.Money `json:"amount"`
	Donor     string       `json:"donor"`
	Reference string       `json:"reference"`
}

// ContributionResult is the answer of POST /fund/contributions.
type ContributionResult struct {
	Entry   domain.LedgerEntry `json:"entry"`
	Balance domain.FundBalance `json:"balance"`
}

// MaxContribution bounds one contribution, in minor units (one billion in the currency's major
// unit): anything larger is a typing error, not a donation.
const MaxContribution = 100_000_000_000

// getFund handles GET /fund.
func (s *Server) getFund(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ReadFund) == auth.None {
		return forbidden(auth.ReadFund)
	}
	q := newQuery(r, "currency", "limit")
	currency := q.text("currency", 3)
	if currency != "" && !domain.ValidCurrency(currency) {
		q.fail("currency", "must be an ISO 4217 code such as \"USD\"")
	}
	limit := q.limit()
	if p := q.problem(); p != nil {
		return p
	}
	balances, err := s.deps.Fund.Balances(r.Context())
	if err != nil {
		return err
	}
	if currency != "" {
		balances = slices.DeleteFunc(balances, func(b domain.FundBalance) bool { return b.Currency != currency })
	}
	ledger, err := s.deps.Fund.Ledger(r.Context(), currency, limit)
	if err != nil {
		return err
	}
	if balances == nil {
		balances = []domain.FundBalance{}
	}
	if ledger == nil {
		ledger = []domain.LedgerEntry{}
	}
	return writeJSON(w, http.StatusOK, FundView{Balances: balances, Ledger: ledger})
}

// addContribution handles POST /fund/contributions (admins): balance and ledger entry change in
// one transaction in the store.
func (s *Server) addContribution(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ContributeFund) == auth.None {
		return forbidden(auth.ContributeFund)
	}
	var req ContributionRequest
	if p := decodeJSON(w, r, &req); p != nil {
		return p
	}
	var fieldErrors []FieldError
	add := func(field, reason string) {
		fieldErrors = append(fieldErrors, FieldError{Field: field, Reason: reason})
	}
	switch {
	case !domain.ValidCurrency(req.Amount.Currency):
		add("amount.currency", "must be an ISO 4217 code such as \"USD\"")
	default:
		if _, ok := s.options.Config.Thresholds(req.Amount.Currency); !ok {
			add("amount.currency", "the fund holds no "+req.Amount.Currency)
		}
	}
	switch {
	case req.Amount.Value <= 0:
		add("amount.value", "must be positive (minor units, such as cents)")
	case req.Amount.Value > MaxContribution:
		add("amount.value", fmt.Sprintf("must be at most %d minor units", int64(MaxContribution)))
	}
	checkText(&fieldErrors, "donor", req.Donor, true, 200)
	checkText(&fieldErrors, "reference", req.Reference, false, 300)
	if len(fieldErrors) > 0 {
		return NewProblem(ProblemValidation, "the request has invalid fields", fieldErrors...)
	}
	reference := req.Donor
	if req.Reference != "" {
		reference += ": " + req.Reference
	}
	entry, balance, err := s.deps.Fund.Contribute(r.Context(), req.Amount, reference, caller.Actor(), s.options.Now().UTC())
	if err != nil {
		return err
	}
	s.audit(r, caller, AuditEvent{Action: "fund.contribution", After: map[string]any{"entry": entry, "available": balance.Available}})
	return writeJSON(w, http.StatusCreated, ContributionResult{Entry: entry, Balance: balance})
}

// checkText checks a free-text field: required when asked, bounded, no control characters.
func checkText(errs *[]FieldError, field, value string, required bool, maxLength int) {
	add := func(reason string) { *errs = append(*errs, FieldError{Field: field, Reason: reason}) }
	switch {
	case required && strings.TrimSpace(value) == "":
		add("is required")
	case !utf8.ValidString(value):
		add("must be valid UTF-8")
	case utf8.RuneCountInString(value) > maxLength:
		add(fmt.Sprintf("must be at most %d characters", maxLength))
	case strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }):
		add("must not contain control characters")
	}
}

// ExpertInput is the body of PUT /experts/{id}.
type ExpertInput struct {
	Name        string                  `json:"name"`
	Employment  domain.EmploymentType   `json:"employment"`
	Areas       []domain.Area           `json:"areas"`
	Languages   []string                `json:"languages"`
	Training    domain.SecurityTraining `json:"training"`
	HomeOffice  string                  `json:"homeOffice"`
	Unavailable []domain.Period         `json:"unavailable"`
}

// PolicyInput is the body of PUT /experts/{id}/policies/{policyId}.
type PolicyInput struct {
	Kind      domain.CoverKind `json:"kind"`
	Insurer   string           `json:"insurer"`
	ValidFrom domain.Date      `json:"validFrom"`
	ValidTo   domain.Date      `json:"validTo"`
}

// ExpertList is the answer of GET /experts.
type ExpertList struct {
	Items []domain.Expert `json:"items"`
	Next  string          `json:"next,omitempty"`
}

// listExperts handles GET /experts.
func (s *Server) listExperts(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ReadExperts) == auth.None {
		return forbidden(auth.ReadExperts)
	}
	q := newQuery(r, "area", "language", "limit", "cursor")
	filter := ExpertFilter{Area: oneOf(q, "area", domain.Areas), Language: q.text("language", 2), Limit: q.limit(), Cursor: q.cursor()}
	if filter.Language != "" && !domain.ValidLanguage(filter.Language) {
		q.fail("language", "must be an ISO 639-1 code such as \"fr\"")
	}
	if p := q.problem(); p != nil {
		return p
	}
	experts, next, err := s.deps.Roster.ListExperts(r.Context(), filter)
	if err != nil {
		return err
	}
	if experts == nil {
		experts = []domain.Expert{}
	}
	return writeJSON(w, http.StatusOK, ExpertList{Items: experts, Next: next})
}

// putExpert handles PUT /experts/{id} (admins): adds or changes an expert's profile. Bookings
// and the booking version belong to the store and are kept.
func (s *Server) putExpert(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ManageExperts) == auth.None {
		return forbidden(auth.ManageExperts)
	}
	id := r.PathValue("id")
	var req ExpertInput
	if p := decodeJSON(w, r, &req); p != nil {
		return p
	}
	var fieldErrors []FieldError
	add := func(field, reason string) {
		fieldErrors = append(fieldErrors, FieldError{Field: field, Reason: reason})
	}
	if !validID(id) {
		add("id", "must be 1 to 128 letters, digits, '-', '_' or '.'")
	}
	checkText(&fieldErrors, "name", req.Name, true, 200)
	if req.Employment != domain.Staff && req.Employment != domain.Consultant {
		add("employment", "must be staff or consultant")
	}
	if len(req.Areas) == 0 {
		add("areas", "must have at least one area")
	}
	for i, area := range req.Areas {
		if !area.Valid() {
			add(fmt.Sprintf("areas[%d]", i), "is not a technical area")
		}
	}
	if len(req.Languages) == 0 {
		add("languages", "must have at least one language")
	}
	for i, language := range req.Languages {
		if !domain.ValidLanguage(language) {
			add(fmt.Sprintf("languages[%d]", i), "must be an ISO 639-1 code such as \"fr\"")
		}
	}
	switch req.Training.Level {
	case domain.TrainingNone:
		if req.Training.Expires != "" {
			add("training.expires", "must be empty without training")
		}
	case domain.TrainingBasic, domain.TrainingAdvanced:
		if !req.Training.Expires.Valid() {
			add("training.expires", "must be a date YYYY-MM-DD")
		}
	default:
		add("training.level", "must be basic, advanced or empty")
	}
	if req.HomeOffice != "" && !domain.ValidCountryCode(req.HomeOffice) {
		add("homeOffice", "must be an ISO 3166-1 alpha-2 code such as \"KE\"")
	}
	for i, period := range req.Unavailable {
		if !period.Valid() {
			add(fmt.Sprintf("unavailable[%d]", i), "must have valid dates with end not before start")
		}
	}
	if len(fieldErrors) > 0 {
		return NewProblem(ProblemValidation, "the request has invalid fields", fieldErrors...)
	}
	before, err := s.deps.Roster.GetExpert(r.Context(), id)
	if err != nil && domain.CodeOf(err) != domain.CodeNotFound {
		return err
	}
	expert := before
	expert.ID, expert.Name, expert.Employment, expert.Areas, expert.Languages = id, req.Name, req.Employment, req.Areas, req.Languages
	expert.Training, expert.HomeOffice, expert.Unavailable = req.Training, req.HomeOffice, req.Unavailable
	expert.UpdatedAt = s.options.Now().UTC()
	saved, created, err := s.deps.Roster.PutExpert(r.Context(), expert)
	if err != nil {
		return err
	}
	event := AuditEvent{Action: "expert.changed", After: saved}
	if created {
		event.Action = "expert.added"
	} else {
		event.Before = before
	}
	s.audit(r, caller, event)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, saved)
}

// putPolicy handles PUT /experts/{id}/policies/{policyId} (admins).
func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ManageExperts) == auth.None {
		return forbidden(auth.ManageExperts)
	}
	expertID, policyID := r.PathValue("id"), r.PathValue("policyId")
	var req PolicyInput
	if p := decodeJSON(w, r, &req); p != nil {
		return p
	}
	var fieldErrors []FieldError
	add := func(field, reason string) {
		fieldErrors = append(fieldErrors, FieldError{Field: field, Reason: reason})
	}
	if !validID(policyID) {
		add("policyId", "must be 1 to 128 letters, digits, '-', '_' or '.'")
	}
	if !slices.Contains(domain.CoverKinds, req.Kind) {
		add("kind", "must be medical, evacuation or malicious_acts")
	}
	checkText(&fieldErrors, "insurer", req.Insurer, false, 200)
	if !req.ValidFrom.Valid() {
		add("validFrom", "must be a date YYYY-MM-DD")
	}
	if !req.ValidTo.Valid() {
		add("validTo", "must be a date YYYY-MM-DD")
	} else if req.ValidFrom.Valid() && req.ValidTo.Before(req.ValidFrom) {
		add("validTo", "must not be before validFrom")
	}
	if len(fieldErrors) > 0 {
		return NewProblem(ProblemValidation, "the request has invalid fields", fieldErrors...)
	}
	if !validID(expertID) {
		return notFound("expert")
	}
	if _, err := s.deps.Roster.GetExpert(r.Context(), expertID); err != nil {
		if domain.CodeOf(err) == domain.CodeNotFound {
			return notFound("expert")
		}
		return err
	}
	policy := domain.InsurancePolicy{ID: policyID, ExpertID: expertID, Kind: req.Kind, Insurer: req.Insurer, ValidFrom: req.ValidFrom, ValidTo: req.ValidTo}
	saved, created, err := s.deps.Roster.PutPolicy(r.Context(), policy)
	if err != nil {
		return err
	}
	action := "insurance_policy.changed"
	status := http.StatusOK
	if created {
		action, status = "insurance_policy.added", http.StatusCreated
	}
	s.audit(r, caller, AuditEvent{Action: action, After: saved})
	return writeJSON(w, status, saved)
}
