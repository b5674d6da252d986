package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
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
	currencies := []string{currency}
	if currency == "" {
		currencies = currencies[:0]
		for c := range s.options.Config.Fund.Currencies {
			currencies = append(currencies, c)
		}
		slices.Sort(currencies)
	}
	view := FundView{Balances: []domain.FundBalance{}, Ledger: []domain.LedgerEntry{}}
	for _, c := range currencies {
		balance, err := s.deps.Fund.Balance(r.Context(), c)
		if err != nil {
			return err
		}
		view.Balances = append(view.Balances, balance)
		ledger, err := s.deps.Fund.Ledger(r.Context(), c, limit, "")
		if err != nil {
			return err
		}
		view.Ledger = append(view.Ledger, ledger.Items...)
	}
	// Newest first across currencies, then at most limit of them.
	slices.SortStableFunc(view.Ledger, func(a, b domain.LedgerEntry) int { return b.At.Compare(a.At) })
	view.Ledger = view.Ledger[:min(len(view.Ledger), limit)]
	return writeJSON(w, http.StatusOK, view)
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
	// A retried contribution with the same Idempotency-Key adds the money once: the key is
	// the contribution's id in the ledger.
	id := newActivationID()[len("act-"):]
	if key := r.Header.Get(IdempotencyHeader); key != "" {
		if p := s.checkIdempotencyKey(key); p != nil {
			return p
		}
		sum := sha256.Sum256([]byte(caller.Actor() + "/" + key))
		id = hex.EncodeToString(sum[:12])
	}
	entry, err := s.deps.Fund.Contribute(r.Context(), store.Contribution{ID: id, Amount: req.Amount, Reference: reference, Actor: caller.Actor()})
	if err != nil {
		return err
	}
	balance, err := s.deps.Fund.Balance(r.Context(), req.Amount.Currency)
	if err != nil {
		return err
	}
	s.audit(r, caller, auditNote{Action: audit.ActionFundContributed, Subject: req.Amount.Currency, After: map[string]any{"entry": entry, "available": balance.Available}})
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

// expertFilter selects experts for GET /experts.
type expertFilter struct {
	Area     domain.Area
	Language string
	Limit    int
	Cursor   string
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
	filter := expertFilter{Area: oneOf(q, "area", domain.Areas), Language: q.text("language", 2), Limit: q.limit(), Cursor: q.cursor()}
	if filter.Language != "" && !domain.ValidLanguage(filter.Language) {
		q.fail("language", "must be an ISO 639-1 code such as \"fr\"")
	}
	if p := q.problem(); p != nil {
		return p
	}
	all, err := s.deps.Roster.ListExperts(r.Context())
	if err != nil {
		return err
	}
	experts := []domain.Expert{}
	for _, e := range all {
		if (filter.Area == "" || slices.Contains(e.Areas, filter.Area)) && (filter.Language == "" || slices.Contains(e.Languages, filter.Language)) {
			experts = append(experts, e)
		}
	}
	start := 0
	if filter.Cursor != "" {
		n, err := strconv.Atoi(filter.Cursor)
		if err != nil || n < 0 || n > len(experts) {
			return NewProblem(ProblemValidation, "the query has invalid parameters", FieldError{Field: "cursor", Reason: "is not a cursor this API gave"})
		}
		start = n
	}
	end := min(start+filter.Limit, len(experts))
	list := ExpertList{Items: experts[start:end]}
	if end < len(experts) {
		list.Next = strconv.Itoa(end)
	}
	return writeJSON(w, http.StatusOK, list)
}

// putExpert handles PUT /experts/{id} (admins): adds or changes an expert's profile. Bookings
// belong to the store and are kept. With If-None-Match: * it only adds (412 if the id is
// taken); with If-Match it only changes the version named (412 if the expert moved on or does
// not exist); with neither it adds or changes, as before.
func (s *Server) putExpert(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ManageExperts) == auth.None {
		return forbidden(auth.ManageExperts)
	}
	id := r.PathValue("id")
	pre, problem := preconditionOf(r.Header)
	if problem != nil {
		return problem
	}
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
	if req.HomeOffice != "" && req.HomeOffice != domain.HeadquartersOffice && !domain.ValidCountryCode(req.HomeOffice) {
		add("homeOffice", "must be HQ or an ISO 3166-1 alpha-2 code such as \"KE\"")
	}
	for i, period := range req.Unavailable {
		if !period.Valid() {
			add(fmt.Sprintf("unavailable[%d]", i), "must have valid dates with end not before start")
		}
	}
	if len(fieldErrors) > 0 {
		return NewProblem(ProblemValidation, "the request has invalid fields", fieldErrors...)
	}
	expert := domain.Expert{ID: id, Name: req.Name, Employment: req.Employment, Areas: req.Areas, Languages: req.Languages,
		Training: req.Training, HomeOffice: req.HomeOffice, Unavailable: req.Unavailable}
	switch {
	case pre.createOnly:
		return s.createExpert(w, r, caller, expert)
	case pre.conditional():
		return s.replaceExpert(w, r, caller, expert, pre)
	}
	// No precondition: add the expert if the id is free, change them otherwise.
	before, err := s.deps.Roster.GetExpert(r.Context(), id)
	created := false
	switch {
	case domain.CodeOf(err) == domain.CodeNotFound:
		if created, err = s.deps.Roster.CreateExpert(r.Context(), expert); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	saved := expert
	if created {
		if saved, err = s.deps.Roster.GetExpert(r.Context(), id); err != nil {
			return err
		}
		s.audit(r, caller, auditNote{Action: audit.ActionExpertChanged, Subject: id, After: saved})
		w.Header().Set("ETag", expertETag(saved))
		return writeJSON(w, http.StatusCreated, saved)
	}
	// The expert existed (or was added by a concurrent request): change their profile.
	if saved, err = s.deps.Roster.UpdateExpert(r.Context(), expert); err != nil {
		return err
	}
	s.audit(r, caller, auditNote{Action: audit.ActionExpertChanged, Subject: id, Before: before, After: saved})
	w.Header().Set("ETag", expertETag(saved))
	return writeJSON(w, http.StatusOK, saved)
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
	existing, err := s.deps.Roster.Policies(r.Context(), expertID)
	if err != nil {
		return err
	}
	var before *domain.InsurancePolicy
	for i := range existing {
		if existing[i].ID == policyID {
			before = &existing[i]
		}
	}
	if err := s.deps.Roster.PutPolicy(r.Context(), policy); err != nil {
		if domain.CodeOf(err) == domain.CodeNotFound {
			return notFound("expert")
		}
		return err
	}
	note := auditNote{Action: audit.ActionPolicyChanged, Subject: expertID + "/" + policyID, After: policy}
	status := http.StatusCreated
	if before != nil {
		note.Before, status = before, http.StatusOK
	}
	s.audit(r, caller, note)
	return writeJSON(w, status, policy)
}
