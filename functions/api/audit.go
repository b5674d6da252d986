package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// AuditList is the answer of GET /audit.
type AuditList struct {
	Items []audit.Event `json:"items"`
	Next  string        `json:"next,omitempty"`
}

func auditFilter(q *queryReader) store.AuditQuery {
	filter := store.AuditQuery{
		ActivationID: q.text("activationId", 128),
		Actor:        q.text("actor", 128),
		Country:      q.country("country"),
		Action:       q.text("action", 128),
		From:         q.time("from"),
		To:           q.time("to"),
	}
	if !filter.From.IsZero() && !filter.To.IsZero() && filter.To.Before(filter.From) {
		q.fail("to", "must not be before from")
	}
	return filter
}

// searchAudit handles GET /audit.
func (s *Server) searchAudit(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.SearchAudit) == auth.None {
		return forbidden(auth.SearchAudit)
	}
	q := newQuery(r, "activationId", "actor", "country", "action", "from", "to", "limit", "cursor")
	filter := auditFilter(q)
	filter.Limit = q.limit()
	filter.Cursor = q.cursor()
	if p := q.problem(); p != nil {
		return p
	}
	page, err := s.deps.Audit.QueryAudit(r.Context(), filter)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, AuditList{Items: page.Items, Next: page.Next})
}

// auditCSVHeader is the header row of the CSV export.
var auditCSVHeader = []string{"time", "stream", "seq", "activationId", "actor", "role", "office", "country", "action", "subject", "before", "after", "workflowEvent", "prevHash", "hash"}

// exportAudit handles GET /audit/export?format=jsonl|csv: every matching event, page by page,
// written as it is read, so that an export of years of trail never sits in memory.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ExportAudit) == auth.None {
		return forbidden(auth.ExportAudit)
	}
	q := newQuery(r, "format", "activationId", "actor", "country", "action", "from", "to")
	filter := auditFilter(q)
	format := oneOf(q, "format", []string{"jsonl", "csv"})
	if format == "" {
		format = "jsonl"
	}
	if p := q.problem(); p != nil {
		return p
	}
	filter.Limit = 1000
	// The first page is read before any byte is written, so that a failing store still gets
	// a proper problem answer.
	page, err := s.deps.Audit.QueryAudit(r.Context(), filter)
	if err != nil {
		return err
	}
	events, next := page.Items, page.Next
	name := "audit-" + s.options.Now().UTC().Format("20060102T150405Z")
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.jsonl"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	csvWriter := csv.NewWriter(w)
	encoder := json.NewEncoder(w)
	if format == "csv" {
		_ = csvWriter.Write(auditCSVHeader)
	}
	for {
		for _, e := range events {
			if format == "csv" {
				_ = csvWriter.Write([]string{e.Time.UTC().Format(time.RFC3339Nano), e.Stream, strconv.FormatInt(e.Seq, 10),
					e.ActivationID, e.Actor, e.Role, e.Office, e.Country, e.Action, e.Subject, string(e.Before), string(e.After),
					e.WorkflowEvent, e.PrevHash, e.Hash})
			} else if err := encoder.Encode(e); err != nil {
				return nil // the client went away
			}
		}
		if format == "csv" {
			csvWriter.Flush()
		}
		if flusher != nil {
			flusher.Flush()
		}
		if next == "" || r.Context().Err() != nil {
			return nil
		}
		filter.Cursor = next
		if page, err = s.deps.Audit.QueryAudit(r.Context(), filter); err != nil {
			// The status is sent; all that is left is to stop and say so in the log. The
			// missing end is visible to a reader: a CSV or JSON lines file cut short.
			s.options.Logger.Error("api: audit export cut short", "error", err.Error())
			return nil
		}
		events, next = page.Items, page.Next
	}
}

// AuditVerification is the answer of GET /audit/verify: the hash chains checked and every event
// that breaks one.
type AuditVerification struct {
	// Streams are the chains this answer checked: "ACT#" + activation id, or "SYSTEM" for the
	// events that belong to no activation.
	Streams []string `json:"streams"`
	// Events is how many events the checked chains hold.
	Events int `json:"events"`
	// Breaks name each event that breaks its chain (stream, sequence number, what is wrong); an
	// intact trail has none.
	Breaks []audit.Break `json:"breaks"`
	// Next continues the check with the next page of activations.
	Next string `json:"next,omitempty"`
}

// verifyAudit handles GET /audit/verify: with activationId, that activation's chain; without,
// the chains of one page of activations (newest first) and, on the first page, the system
// stream, so that a client walks the whole trail page by page and no request reads more than a
// page's chains. Each chain is read in sequence order from the table itself (not an index) and
// checked with audit.Verify.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ExportAudit) == auth.None {
		return forbidden(auth.ExportAudit)
	}
	q := newQuery(r, "activationId", "limit", "cursor")
	activationID := q.text("activationId", 128)
	if activationID != "" && !validID(activationID) {
		q.fail("activationId", "is not an activation id")
	}
	limit, cursor := q.limit(), q.cursor()
	if p := q.problem(); p != nil {
		return p
	}
	result := AuditVerification{Streams: []string{}, Breaks: []audit.Break{}}
	check := func(activationID string) error {
		events, err := s.auditStream(r, activationID)
		if err != nil {
			return err
		}
		result.Streams = append(result.Streams, audit.StreamOf(activationID))
		result.Events += len(events)
		result.Breaks = append(result.Breaks, audit.Verify(events)...)
		return nil
	}
	if activationID != "" {
		if _, err := s.deps.Activations.GetActivation(r.Context(), activationID); err != nil {
			if domain.CodeOf(err) == domain.CodeNotFound {
				return notFound("activation")
			}
			return err
		}
		if err := check(activationID); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, result)
	}
	if cursor == "" {
		if err := check(""); err != nil {
			return err
		}
	}
	page, err := s.deps.Activations.ListActivations(r.Context(), store.ActivationQuery{Limit: limit, Cursor: cursor})
	if err != nil {
		return err
	}
	for _, a := range page.Items {
		if err := check(a.ID); err != nil {
			return err
		}
	}
	result.Next = page.Next
	return writeJSON(w, http.StatusOK, result)
}

// auditStream reads one stream's events in sequence order (an activation's, or the system
// stream for "").
func (s *Server) auditStream(r *http.Request, activationID string) ([]audit.Event, error) {
	var events []audit.Event
	cursor := ""
	for range historyPageLimit {
		page, err := s.deps.Audit.AuditOfActivation(r.Context(), activationID, 1000, cursor)
		if err != nil {
			return nil, err
		}
		events = append(events, page.Items...)
		if page.Next == "" {
			return events, nil
		}
		cursor = page.Next
	}
	return nil, domain.Errorf(domain.CodeUnprocessable, "the stream %s is too long to check in one request", audit.StreamOf(activationID))
}
