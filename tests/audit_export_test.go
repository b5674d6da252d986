package tests

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// export downloads the audit export of one activation in the format as an auditor.
func (h *harness) export(activationID, format string) (string, []byte) {
	h.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, h.sys.APIURL+"/audit/export?format="+format+"&activationId="+activationID, nil)
	if err != nil {
		h.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token("auditor-1"))
	resp, err := h.client.Do(req)
	if err != nil {
		h.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.tb.Fatalf("export %s: %d %s", format, resp.StatusCode, body)
	}
	return resp.Header.Get("Content-Type"), body
}

// TestTheAuditExportOfAFullScenarioHoldsEveryStepInOrder: a request that needs security and
// finance goes ACTIVE; its export, in JSON lines and in CSV alike, holds the request, every
// automated step, both tasks and both decisions, the booking and the activation, in order, each
// with who and when, one unbroken chain.
func TestTheAuditExportOfAFullScenarioHoldsEveryStepInOrder(t *testing.T) {
	h := start(t)
	a := h.create("office-ht", h.request("HT", "Port-au-Prince", 10_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	security := h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	finance := h.waitTask("finance-1", a.ID, domain.KindFundRelease)
	h.clock.Advance(time.Hour)
	h.mustDecide("security-1", security.ID, domain.Approve, "Convoy arranged.")
	h.clock.Advance(time.Hour)
	h.mustDecide("finance-1", finance.ID, domain.Approve, "Within the envelope.")
	if a = h.waitStatus("office-ht", a.ID, domain.StatusActive, domain.StatusFailed, domain.StatusRejected); a.Status != domain.StatusActive {
		t.Fatalf("status %s (%q)", a.Status, a.Reason)
	}
	// The last step's events are written after the status change: wait for the activation's
	// own step to be in the trail.
	h.eventually("the activate step in the audit trail", func() bool {
		for _, e := range h.auditActions(a.ID) {
			if e.Action == audit.ActionStepCompleted && e.Subject == "activate" {
				return true
			}
		}
		return false
	})

	contentType, body := h.export(a.ID, "jsonl")
	if contentType != "application/x-ndjson" {
		t.Fatalf("content type %q", contentType)
	}
	var events []audit.Event
	scanner := bufio.NewScanner(bytes.NewReader(body))
	scanner.Buffer(make([]byte, 0, 1<<20), 1<<20)
	for scanner.Scan() {
		var e audit.Event
		if err := json.Unmarshal(scanner.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", scanner.Text(), err)
		}
		events = append(events, e)
	}
	if breaks := audit.Verify(events); len(breaks) != 0 {
		t.Fatalf("the exported chain is broken: %v", breaks)
	}
	var last time.Time
	for i, e := range events {
		if e.Seq != int64(i+1) || e.Actor == "" || e.Time.IsZero() || e.Time.Before(last) || e.ActivationID != a.ID {
			t.Fatalf("event %d out of order or without who and when: %+v", i, e)
		}
		last = e.Time
	}
	// find returns the position of the first event that matches, after from.
	find := func(from int, actor, action, subjectPrefix string) int {
		t.Helper()
		for i := from; i < len(events); i++ {
			e := events[i]
			if e.Actor == actor && e.Action == action && strings.HasPrefix(e.Subject, subjectPrefix) {
				return i
			}
		}
		t.Fatalf("no %s %s %s after event %d in the export", actor, action, subjectPrefix, from)
		return -1
	}
	requested := find(0, "office-ht", audit.ActionActivationRequested, "")
	assessed := find(requested, "system", audit.ActionStepCompleted, "assess")
	cleared := find(assessed, "system", audit.ActionStepCompleted, "clearance")
	reserved := find(assessed, "system", audit.ActionStepCompleted, "reserve")
	checks := max(cleared, reserved)
	securityTask := find(checks, "system", audit.ActionTaskCreated, security.ID)
	financeTask := find(checks, "system", audit.ActionTaskCreated, finance.ID)
	securityDecided := find(securityTask, "security-1", audit.ActionTaskDecided, security.ID)
	financeDecided := find(max(financeTask, securityDecided), "finance-1", audit.ActionTaskDecided, finance.ID)
	released := find(financeDecided, "system", audit.ActionStepCompleted, "release")
	booked := find(released, "system", audit.ActionExpertBooked, "")
	staffed := find(booked, "system", audit.ActionStepCompleted, "roster")
	insured := find(staffed, "system", audit.ActionStepCompleted, "insurance")
	active := find(insured, "system", audit.ActionActivationStatus, "")
	find(active, "system", audit.ActionStepCompleted, "activate")
	if !strings.Contains(string(events[active].After), `"status":"ACTIVE"`) {
		t.Fatalf("the status change after the insurance check is %s", events[active].After)
	}
	for _, i := range []int{securityDecided, financeDecided} {
		if events[i].Role == "" || !strings.Contains(string(events[i].After), `"decision":"approve"`) {
			t.Fatalf("decision event without role or decision: %+v", events[i])
		}
	}

	// The CSV export holds the same events in the same order.
	contentType, body = h.export(a.ID, "csv")
	if !strings.HasPrefix(contentType, "text/csv") {
		t.Fatalf("content type %q", contentType)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) != len(events)+1 {
		t.Fatalf("%d CSV rows for %d events: %v", len(rows), len(events), err)
	}
	header := map[string]int{}
	for i, name := range rows[0] {
		header[name] = i
	}
	for i, e := range events {
		row := rows[i+1]
		at, err := time.Parse(time.RFC3339Nano, row[header["time"]])
		if err != nil || !at.Equal(e.Time) || row[header["seq"]] != strconv.FormatInt(e.Seq, 10) || row[header["actor"]] != e.Actor ||
			row[header["action"]] != e.Action || row[header["subject"]] != e.Subject || row[header["hash"]] != e.Hash {
			t.Fatalf("CSV row %d %v differs from the JSON line %+v", i+1, row, e)
		}
	}
}
