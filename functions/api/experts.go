package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// PolicyView is an insurance policy as the API shows it: with whether it covers today.
type PolicyView struct {
	domain.InsurancePolicy
	// CoversToday is true when today (UTC) is between validFrom and validTo, both included.
	CoversToday bool `json:"coversToday"`
}

// PolicyList is the answer of GET /experts/{id}/policies.
type PolicyList struct {
	ExpertID string `json:"expertId"`
	// Today is the day (UTC) coversToday and uncoveredToday are about.
	Today domain.Date `json:"today"`
	// Items are the policies by cover kind, then by first day.
	Items []PolicyView `json:"items"`
	// UncoveredToday lists the cover kinds no policy covers today, in the order of
	// domain.CoverKinds: what an enrolment would have to add before a deployment starting now.
	UncoveredToday []domain.CoverKind `json:"uncoveredToday"`
}

// ExpertView is the answer of GET /experts/{id}: the expert, their bookings and their cover.
type ExpertView struct {
	Expert domain.Expert `json:"expert"`
	// Bookings are every booking of the expert, cancelled ones included, by first day.
	Bookings []domain.Booking `json:"bookings"`
	Policies PolicyList       `json:"policies"`
}

// policyList orders the expert's policies and says which cover today.
func policyList(expertID string, policies []domain.InsurancePolicy, today domain.Date) PolicyList {
	list := PolicyList{ExpertID: expertID, Today: today, Items: make([]PolicyView, 0, len(policies)), UncoveredToday: []domain.CoverKind{}}
	covered := map[domain.CoverKind]bool{}
	for _, p := range policies {
		covers := p.Period().Contains(domain.Period{Start: today, End: today})
		covered[p.Kind] = covered[p.Kind] || covers
		list.Items = append(list.Items, PolicyView{InsurancePolicy: p, CoversToday: covers})
	}
	slices.SortStableFunc(list.Items, func(a, b PolicyView) int {
		return cmp.Or(cmp.Compare(slices.Index(domain.CoverKinds, a.Kind), slices.Index(domain.CoverKinds, b.Kind)),
			cmp.Compare(a.ValidFrom, b.ValidFrom), cmp.Compare(a.ID, b.ID))
	})
	for _, kind := range domain.CoverKinds {
		if !covered[kind] {
			list.UncoveredToday = append(list.UncoveredToday, kind)
		}
	}
	return list
}

// expertPolicies reads the expert (not_found as a problem) and their policies.
func (s *Server) expertPolicies(r *http.Request, id string) (domain.Expert, PolicyList, error) {
	if !validID(id) {
		return domain.Expert{}, PolicyList{}, notFound("expert")
	}
	expert, err := s.deps.Roster.GetExpert(r.Context(), id)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return expert, PolicyList{}, notFound("expert")
	}
	if err != nil {
		return expert, PolicyList{}, err
	}
	policies, err := s.deps.Roster.Policies(r.Context(), id)
	if err != nil {
		return expert, PolicyList{}, err
	}
	return expert, policyList(id, policies, domain.DateOf(s.options.Now())), nil
}

// getExpert handles GET /experts/{id}: whoever may read the roster. The ETag is the expert's
// version and a digest of the answer (expertViewETag), which PUT /experts/{id} takes in
// If-Match. A request whose If-None-Match matches it is answered 304 Not Modified, with the ETag
// and no body, once the caller's right to read and the expert's existence are checked: the
// client's copy is the answer it would get.
func (s *Server) getExpert(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ReadExperts) == auth.None {
		return forbidden(auth.ReadExperts)
	}
	expert, policies, err := s.expertPolicies(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	bookings, err := s.deps.Roster.BookingsOfExpert(r.Context(), expert.ID)
	if err != nil {
		return err
	}
	slices.SortStableFunc(bookings, func(a, b domain.Booking) int {
		return cmp.Or(cmp.Compare(a.Period.Start, b.Period.Start), cmp.Compare(a.ID, b.ID))
	})
	if bookings == nil {
		bookings = []domain.Booking{}
	}
	body, err := json.Marshal(ExpertView{Expert: expert, Bookings: bookings, Policies: policies})
	if err != nil {
		return fmt.Errorf("encode the expert: %w", err)
	}
	etag := expertViewETag(expert.Version, body)
	w.Header().Set("ETag", etag)
	if noneMatch(r.Header, etag) {
		// RFC 9110, 15.4.5: the header fields a 200 would have had that describe caching.
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writeEncoded(w, http.StatusOK, body)
	return nil
}

// listPolicies handles GET /experts/{id}/policies: whoever may read the roster, as the people
// who enrol experts need to see what cover exists.
func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ReadExperts) == auth.None {
		return forbidden(auth.ReadExperts)
	}
	_, policies, err := s.expertPolicies(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, policies)
}

// expertETag is the expert's entity tag: their version, which moves on with every change of
// the expert (profile, booking, cancellation) and which the store can make a write
// conditional on.
func expertETag(e domain.Expert) string { return strconv.Quote(strconv.Itoa(e.Version)) }

// precondition is what a PUT's If-Match or If-None-Match header asks.
type precondition struct {
	// createOnly is If-None-Match: *: the write must not replace anything.
	createOnly bool
	// mustExist is If-Match: *: the write must replace something.
	mustExist bool
	// versions are the versions of If-Match ETags: the write replaces one of those.
	versions []int
}

// conditional is true when the request carries If-Match.
func (p precondition) conditional() bool { return p.mustExist || len(p.versions) > 0 }

// maxETags bounds an If-Match list.
const maxETags = 20

// preconditionOf reads If-Match and If-None-Match. If-None-Match takes only "*" (create
// only): matching another ETag would need a read before the write, and "*" is what a client
// adding a new record means. If-Match takes "*", the ETags this API gave (a PUT's "3", a GET's
// "3-9f86d081884c7d65": the write is conditional on the version, which is what a change of
// the profile can replace) or bare versions (3). A weak ETag never matches in If-Match (RFC
// 9110, strong comparison), and the API gives none, so one is refused as an error of the
// client rather than silently failing.
func preconditionOf(h http.Header) (precondition, *Problem) {
	var p precondition
	invalid := func(field, reason string) (precondition, *Problem) {
		return p, NewProblem(ProblemValidation, "the request has invalid headers", FieldError{Field: field, Reason: reason})
	}
	noneMatch, match := headerList(h, "If-None-Match"), headerList(h, "If-Match")
	if len(noneMatch) > 0 && len(match) > 0 {
		return invalid("If-Match", "send If-Match (change an existing expert) or If-None-Match (add a new one), not both")
	}
	if len(noneMatch) > 0 {
		if len(noneMatch) != 1 || noneMatch[0] != "*" {
			return invalid("If-None-Match", `must be "*" (add only if the id is free)`)
		}
		p.createOnly = true
		return p, nil
	}
	if len(match) > maxETags {
		return invalid("If-Match", fmt.Sprintf("must list at most %d ETags", maxETags))
	}
	for _, tag := range match {
		if tag == "*" {
			if len(match) != 1 {
				return invalid("If-Match", `"*" stands alone`)
			}
			p.mustExist = true
			return p, nil
		}
		unquoted := tag
		if len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"' {
			unquoted = tag[1 : len(tag)-1]
		}
		version, ok := versionOfTag(unquoted)
		if !ok {
			return invalid("If-Match", `must be "*" or the expert's ETag as given (such as "3"), or their version`)
		}
		p.versions = append(p.versions, version)
	}
	return p, nil
}

// headerList splits every value of a list header at commas, trimmed, empty items dropped.
func headerList(h http.Header, name string) []string {
	var out []string
	for _, value := range h.Values(name) {
		for item := range strings.SplitSeq(value, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// createExpert adds the expert on the condition that the id is free (If-None-Match: *): the
// store's write is conditional, so of two racing creates one gets 201 and the other 412.
func (s *Server) createExpert(w http.ResponseWriter, r *http.Request, caller auth.Principal, expert domain.Expert) error {
	created, err := s.deps.Roster.CreateExpert(r.Context(), expert)
	if err != nil {
		return err
	}
	if !created {
		return NewProblem(ProblemPrecondition, fmt.Sprintf("an expert with id %s exists already; choose another id, or change them with If-Match", expert.ID),
			FieldError{Field: "id", Reason: "is taken by an existing expert"})
	}
	saved, err := s.deps.Roster.GetExpert(r.Context(), expert.ID)
	if err != nil {
		return err
	}
	s.audit(r, caller, auditNote{Action: audit.ActionExpertChanged, Subject: expert.ID, After: saved})
	w.Header().Set("ETag", expertETag(saved))
	return writeJSON(w, http.StatusCreated, saved)
}

// replaceExpert changes an existing expert on the condition of If-Match. The store's write is
// conditional on the version read for the audit trail's "before", which must be one the
// client named, so a change made meanwhile is never overwritten and "before" is exactly what
// was replaced. If-Match: * names any version: a change made between the read and the write
// is read again (a few times), not refused.
func (s *Server) replaceExpert(w http.ResponseWriter, r *http.Request, caller auth.Principal, expert domain.Expert, pre precondition) error {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		before, err := s.deps.Roster.GetExpert(r.Context(), expert.ID)
		if domain.CodeOf(err) == domain.CodeNotFound {
			return NewProblem(ProblemPrecondition, fmt.Sprintf("there is no expert %s to change; add them with If-None-Match: *", expert.ID))
		}
		if err != nil {
			return err
		}
		if !pre.mustExist && !slices.Contains(pre.versions, before.Version) {
			return NewProblem(ProblemPrecondition, fmt.Sprintf("expert %s changed meanwhile: their ETag is now %s; read them again", expert.ID, expertETag(before)))
		}
		saved, err := s.deps.Roster.UpdateExpertAt(r.Context(), expert, []int{before.Version})
		var changed *store.ExpertChanged
		switch {
		case errors.As(err, &changed) && pre.mustExist && attempt < attempts:
			continue
		case errors.As(err, &changed):
			return NewProblem(ProblemPrecondition, fmt.Sprintf("expert %s changed meanwhile: their ETag is now %s; read them again", expert.ID, expertETag(domain.Expert{Version: changed.Version})))
		case domain.CodeOf(err) == domain.CodeNotFound:
			return NewProblem(ProblemPrecondition, fmt.Sprintf("there is no expert %s to change", expert.ID))
		case err != nil:
			return err
		}
		s.audit(r, caller, auditNote{Action: audit.ActionExpertChanged, Subject: expert.ID, Before: before, After: saved})
		w.Header().Set("ETag", expertETag(saved))
		return writeJSON(w, http.StatusOK, saved)
	}
}
