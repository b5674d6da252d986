package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

func TestCreateActivationStoresAndStartsOnce(t *testing.T) {
	h := newHarness(t)
	resp := h.do("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 1_000_000))
	if resp.Status != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	var a domain.Activation
	resp.json(t, &a)
	if a.Status != domain.StatusRequested || a.Office != "KE" || a.RequestedBy != "office-ke" || a.SecurityLevel != 2 {
		t.Fatalf("activation %+v", a)
	}
	if a.Priority < 1 || a.Priority > 100 {
		t.Fatalf("priority %d", a.Priority)
	}
	if got := resp.Header.Get("Location"); got != "/activations/"+a.ID {
		t.Fatalf("Location %q", got)
	}
	stored, err := h.store.GetActivation(t.Context(), a.ID)
	if err != nil || stored.Status != domain.StatusRequested || stored.RequestedBy != "office-ke" {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	// The execution is named after the activation (exactly-once start) and given its id.
	if execution := h.execution(stateMachineARN, a.ID); aws.ToString(execution.Input) != `{"activationId":"`+a.ID+`"}` ||
		execution.Status != sfntypes.ExecutionStatusRunning {
		t.Fatalf("execution %s input %q", execution.Status, aws.ToString(execution.Input))
	}
	events := h.auditEvents("")
	if len(events) != 1 || events[0].Action != "activation.requested" || events[0].Actor != "office-ke" || events[0].ActivationID != a.ID || events[0].Hash == "" {
		t.Fatalf("audit %+v", events)
	}
}

func TestOfficeComesFromTheTokenNotTheBody(t *testing.T) {
	h := newHarness(t)
	body := request("KE", "Nairobi", 1_000_000)
	body["office"] = "HT"
	resp := h.do("office-ke", http.MethodPost, "/activations", body)
	p := resp.problem(t)
	if resp.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "office" {
		t.Fatalf("status %d, %+v", resp.Status, p)
	}
}

func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	h := newHarness(t)
	first := h.do("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 1_000_000), "Idempotency-Key", "retry-1")
	second := h.do("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 1_000_000), "Idempotency-Key", "retry-1")
	if first.Status != http.StatusCreated || second.Status != http.StatusOK {
		t.Fatalf("statuses %d, %d: %s", first.Status, second.Status, second.Body)
	}
	var a, b domain.Activation
	first.json(t, &a)
	second.json(t, &b)
	if a.ID != b.ID || a.CreatedAt != b.CreatedAt {
		t.Fatalf("replay answered another activation: %s vs %s", a.ID, b.ID)
	}
	if activations := h.activations(); len(activations) != 1 {
		t.Fatalf("%d activations stored", len(activations))
	}
	if executions := h.executions(stateMachineARN); executions != 1 {
		t.Fatalf("%d executions", executions)
	}

	// The same key from another office is another key.
	other := h.do("office-ht", http.MethodPost, "/activations", request("HT", "Port-au-Prince", 1_000_000), "Idempotency-Key", "retry-1")
	if other.Status != http.StatusCreated {
		t.Fatalf("other caller's key: %d %s", other.Status, other.Body)
	}

	// The same key with another body is refused and changes nothing.
	changed := h.do("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 2_000_000), "Idempotency-Key", "retry-1")
	if changed.Status != http.StatusUnprocessableEntity || !strings.HasSuffix(changed.problem(t).Type, "/idempotency-key-reused") {
		t.Fatalf("reused key: %d %s", changed.Status, changed.Body)
	}
	if activations := h.activations(); len(activations) != 2 {
		t.Fatalf("%d activations stored, want 2", len(activations))
	}
}

func TestConcurrentRetriesWithOneKeyMakeOneActivation(t *testing.T) {
	h := newHarness(t)
	const n = 12
	ids := make([]string, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp := h.do("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 1_000_000), "Idempotency-Key", "storm")
			statuses[i] = resp.Status
			var a domain.Activation
			_ = json.Unmarshal(resp.Body, &a)
			ids[i] = a.ID
		})
	}
	wg.Wait()
	created := 0
	for i := range n {
		if statuses[i] == http.StatusCreated {
			created++
		} else if statuses[i] != http.StatusOK {
			t.Fatalf("answer %d: status %d", i, statuses[i])
		}
		if ids[i] != ids[0] || ids[i] == "" {
			t.Fatalf("answers name different activations: %v", ids)
		}
	}
	if created != 1 {
		t.Fatalf("%d answers were 201, want 1", created)
	}
	if activations := h.activations(); len(activations) != 1 {
		t.Fatalf("%d activations stored", len(activations))
	}
	if executions := h.executions(stateMachineARN); executions != 1 {
		t.Fatalf("%d executions", executions)
	}
}

func TestRetryAfterAFailedStartStartsTheSameExecution(t *testing.T) {
	// The state machine is not there yet (a deployment half done): the first request stores the
	// activation and claims the key, then cannot start the execution. It answers 503, and the
	// retry with the same key, once the state machine exists, starts exactly that one.
	h := newHarness(t, harnessOptions{noActivationMachine: true})
	first := h.do("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 1_000_000), "Idempotency-Key", "k")
	if first.Status != http.StatusServiceUnavailable || first.problem(t).Type != api.ProblemUnavailable.Type() {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	stored := h.activations()
	if len(stored) != 1 {
		t.Fatalf("%d activations after the failed start", len(stored))
	}
	h.createActivationMachine()
	retry := h.do("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 1_000_000), "Idempotency-Key", "k")
	var b domain.Activation
	retry.json(t, &b)
	if retry.Status != http.StatusOK || b.ID != stored[0].ID {
		t.Fatalf("retry: %d, id %s want %s", retry.Status, b.ID, stored[0].ID)
	}
	if execution := h.execution(stateMachineARN, b.ID); execution.Status != sfntypes.ExecutionStatusRunning {
		t.Fatalf("the retry's execution is %s", execution.Status)
	}
	if executions := h.executions(stateMachineARN); executions != 1 {
		t.Fatalf("%d executions", executions)
	}
	if activations := h.activations(); len(activations) != 1 {
		t.Fatalf("%d activations", len(activations))
	}
}

func TestBadInputIsRefusedWithTheFieldNamedAndNothingStored(t *testing.T) {
	h := newHarness(t)
	with := func(change func(map[string]any)) map[string]any {
		body := request("KE", "Nairobi", 1_000_000)
		change(body)
		return body
	}
	cases := []struct {
		name    string
		body    any
		headers []string
		status  int
		fields  []string
	}{
		{"unknown field", with(func(b map[string]any) { b["priority"] = 100 }), nil, 400, []string{"priority"}},
		{"wrong type", with(func(b map[string]any) { b["amount"] = map[string]any{"value": "12000", "currency": "USD"} }), nil, 400, []string{"amount.value"}},
		{"fractional amount", with(func(b map[string]any) { b["amount"] = map[string]any{"value": 12.5, "currency": "USD"} }), nil, 400, []string{"amount.value"}},
		{"negative amount", with(func(b map[string]any) { b["amount"] = map[string]any{"value": -5, "currency": "USD"} }), nil, 400, []string{"amount.value"}},
		{"absurd amount", with(func(b map[string]any) {
			b["amount"] = map[string]any{"value": int64(9_000_000_000_000_000), "currency": "USD"}
		}), nil, 400, []string{"amount.value"}},
		{"amount beyond int64", `{"amount":{"value":99999999999999999999999,"currency":"USD"}}`, nil, 400, []string{"amount.value"}},
		{"unknown currency", with(func(b map[string]any) { b["amount"] = map[string]any{"value": 5, "currency": "XYZ"} }), nil, 400, []string{"amount.currency"}},
		{"bad date", with(func(b map[string]any) {
			b["profiles"] = []map[string]any{{"area": "gender", "languages": []string{"fr"}, "startDate": "2026-02-30", "days": 10}}
		}), nil, 400, []string{"profiles[0].startDate"}},
		{"date in the past", with(func(b map[string]any) {
			b["profiles"] = []map[string]any{{"area": "gender", "languages": []string{"fr"}, "startDate": "2026-10-01", "days": 10}}
		}), nil, 400, []string{"profiles[0].startDate"}},
		{"unknown country", with(func(b map[string]any) { b["country"] = "QQ" }), nil, 400, []string{"country"}},
		{"unknown duty station", with(func(b map[string]any) { b["dutyStation"] = "Atlantis" }), nil, 400, []string{"dutyStation"}},
		{"every error at once", with(func(b map[string]any) {
			b["crisisType"] = "meteor"
			b["phase"] = "after"
			b["purpose"] = ""
			b["profiles"] = []map[string]any{{"area": "juggling", "languages": []string{"xx"}, "startDate": "2026-12-01", "days": 0}}
		}), nil, 400, []string{"crisisType", "phase", "purpose", "profiles[0].area", "profiles[0].languages[0]", "profiles[0].days"}},
		{"oversize body", `{"justification":"` + strings.Repeat("x", 70_000) + `"}`, nil, 413, nil},
		{"not JSON", `{"country":`, nil, 400, nil},
		{"wrong media type", request("KE", "Nairobi", 1_000_000), []string{"Content-Type", "text/plain"}, 415, nil},
		{"bad idempotency key", request("KE", "Nairobi", 1_000_000), []string{"Idempotency-Key", strings.Repeat("k", 300)}, 400, []string{"Idempotency-Key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do("office-ke", http.MethodPost, "/activations", tc.body, tc.headers...)
			if resp.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			p := resp.problem(t)
			if p.Status != tc.status || p.Type == "" || p.Title == "" {
				t.Fatalf("problem %+v", p)
			}
			got := map[string]bool{}
			for _, e := range p.Errors {
				got[e.Field] = true
				if e.Reason == "" {
					t.Fatalf("field %s has no reason", e.Field)
				}
			}
			for _, field := range tc.fields {
				if !got[field] {
					t.Fatalf("field %q not named; errors %+v", field, p.Errors)
				}
			}
			if strings.Contains(string(resp.Body), "goroutine") || strings.Contains(string(resp.Body), ".go:") {
				t.Fatalf("internal detail in %s", resp.Body)
			}
		})
	}
	if _, err := h.store.GetIdempotencyKey(t.Context(), "KE", strings.Repeat("k", 300)); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("the refused key was stored: %v", err)
	}
	activations, events := h.activations(), h.auditEvents("")
	if starts := h.executions(stateMachineARN); len(activations) != 0 || len(events) != 0 || starts != 0 {
		t.Fatalf("bad input changed something: %d activations, %d audit events, %d executions", len(activations), len(events), starts)
	}
}

// A country office requests for its own country only: another country's request is 403 with
// the reason and the country field, and changes nothing (no activation, no audit event, no
// execution, no idempotency key); the central task team (office HQ) requests for any country.
func TestACountryOfficeRequestsForItsOwnCountry(t *testing.T) {
	h := newHarness(t)
	resp := h.do("office-ke", http.MethodPost, "/activations", request("HT", "Port-au-Prince", 1_000_000), api.IdempotencyHeader, "k-1")
	p := resp.problem(t)
	if resp.Status != http.StatusForbidden || !strings.HasSuffix(p.Type, "/forbidden") || !strings.Contains(p.Detail, "for KE only, not for HT") ||
		len(p.Errors) != 1 || p.Errors[0].Field != "country" {
		t.Fatalf("office-ke asking for HT: %d %s", resp.Status, resp.Body)
	}
	if _, err := h.store.GetIdempotencyKey(t.Context(), "KE", "k-1"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("the refused request's key was stored: %v", err)
	}
	if activations, events, starts := h.activations(), h.auditEvents(""), h.executions(stateMachineARN); len(activations) != 0 || len(events) != 0 || starts != 0 {
		t.Fatalf("a refused request changed something: %d activations, %d audit events, %d executions", len(activations), len(events), starts)
	}
	for _, country := range []struct{ code, station string }{{"HT", "Port-au-Prince"}, {"KE", "Nairobi"}} {
		var a domain.Activation
		if resp := h.do("office-hq", http.MethodPost, "/activations", request(country.code, country.station, 1_000_000)); resp.Status != http.StatusCreated {
			t.Fatalf("the central task team asking for %s: %d %s", country.code, resp.Status, resp.Body)
		} else if resp.json(t, &a); a.Office != "HQ" || a.Country != country.code {
			t.Fatalf("activation %+v", a)
		}
	}
}

func TestIneligibleRequestIsRefusedAndRecorded(t *testing.T) {
	h := newHarness(t)
	// The central task team may ask for any country; Taiwan is not a member state.
	resp := h.do("office-hq", http.MethodPost, "/activations", request("TW", "Taipei", 1_000_000))
	p := resp.problem(t)
	if resp.Status != http.StatusUnprocessableEntity || !strings.HasSuffix(p.Type, "/not-eligible") || !strings.Contains(p.Detail, "member state") {
		t.Fatalf("status %d, %+v", resp.Status, p)
	}
	if activations, events := h.activations(), h.auditEvents(""); len(activations) != 0 || len(events) != 1 || events[0].Action != "activation.refused" {
		t.Fatalf("%d activations, audit %+v", len(activations), events)
	}
}

func TestCountryOfficesSeeOnlyTheirOwnOffice(t *testing.T) {
	h := newHarness(t)
	var ke, ht domain.Activation
	h.do("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 1_000_000)).json(t, &ke)
	h.do("office-ht", http.MethodPost, "/activations", request("HT", "Port-au-Prince", 1_000_000)).json(t, &ht)

	for _, path := range []string{"/activations/" + ke.ID, "/activations/" + ke.ID + "/history"} {
		resp := h.do("office-ht", http.MethodGet, path, nil)
		if resp.Status != http.StatusNotFound || strings.Contains(string(resp.Body), ke.ID+"\"") && strings.Contains(string(resp.Body), "Nairobi") {
			t.Fatalf("%s by another office: %d %s", path, resp.Status, resp.Body)
		}
		// The same answer as for an activation that does not exist.
		missing := h.do("office-ht", http.MethodGet, strings.Replace(path, ke.ID, "act-missing", 1), nil)
		if missing.Status != resp.Status || missing.problem(t).Type != resp.problem(t).Type {
			t.Fatalf("other office's and missing activation answer differently: %d vs %d", resp.Status, missing.Status)
		}
	}
	if resp := h.do("office-ht", http.MethodPost, "/activations/"+ke.ID+"/cancel", nil); resp.Status != http.StatusNotFound {
		t.Fatalf("cancel by another office: %d", resp.Status)
	}
	if a, _ := h.store.GetActivation(t.Context(), ke.ID); a.CancelRequested {
		t.Fatal("another office cancelled")
	}

	var list struct{ Items []domain.Activation }
	h.do("office-ht", http.MethodGet, "/activations", nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != ht.ID {
		t.Fatalf("office-ht lists %+v", list.Items)
	}
	if resp := h.do("office-ht", http.MethodGet, "/activations?office=KE", nil); resp.Status != http.StatusForbidden {
		t.Fatalf("office filter for another office: %d", resp.Status)
	}
	h.do("auditor-1", http.MethodGet, "/activations", nil).json(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("auditor lists %d", len(list.Items))
	}
	h.do("auditor-1", http.MethodGet, "/activations?office=KE", nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != ke.ID {
		t.Fatalf("auditor office filter %+v", list.Items)
	}
	if resp := h.do("auditor-1", http.MethodGet, "/activations/"+ke.ID, nil); resp.Status != http.StatusOK {
		t.Fatalf("auditor read: %d", resp.Status)
	}
}

func TestListActivationsPagesAndFilters(t *testing.T) {
	h := newHarness(t)
	for range 5 {
		h.do("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 1_000_000))
		h.clock.Advance(time.Minute)
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		var list struct {
			Items []domain.Activation
			Next  string
		}
		path := "/activations?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		h.do("office-ke", http.MethodGet, path, nil).json(t, &list)
		for _, a := range list.Items {
			seen[a.ID] = true
		}
		if list.Next == "" {
			break
		}
		cursor = list.Next
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d activations, want 5", len(seen))
	}
	resp := h.do("office-ke", http.MethodGet, "/activations?status=DONE&limit=500&country=Kenya&createdAfter=yesterday&color=red", nil)
	p := resp.problem(t)
	fields := map[string]bool{}
	for _, e := range p.Errors {
		fields[e.Field] = true
	}
	for _, want := range []string{"status", "limit", "country", "createdAfter", "color"} {
		if !fields[want] {
			t.Fatalf("query error for %s missing: %+v", want, p.Errors)
		}
	}
}

func TestCancelMarksTheActivationAndWakesItsWaits(t *testing.T) {
	h := newHarness(t)
	var a domain.Activation
	h.do("office-ke", http.MethodPost, "/activations", request("KE", "Mombasa", 1_000_000)).json(t, &a)
	h.addTask(domain.ApprovalTask{ID: "task-sec", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Office: "KE"})

	if resp := h.do("auditor-1", http.MethodPost, "/activations/"+a.ID+"/cancel", nil); resp.Status != http.StatusForbidden {
		t.Fatalf("auditor cancel: %d", resp.Status)
	}
	resp := h.do("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", map[string]string{"reason": "the floods receded"})
	if resp.Status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", resp.Status, resp.Body)
	}
	var cancelled domain.Activation
	resp.json(t, &cancelled)
	if !cancelled.CancelRequested {
		t.Fatalf("cancelled %+v", cancelled)
	}
	// The wait on the open task ends with ActivationCancelled, which the workflow's Catch
	// compensates; the activation's own execution goes on to meet the mark.
	if waited := h.decisionDelivered("task-sec"); waited.Status != sfntypes.ExecutionStatusFailed || aws.ToString(waited.Error) != "ActivationCancelled" {
		t.Fatalf("the open task's wait ended %s with %q", waited.Status, aws.ToString(waited.Error))
	}
	if execution := h.execution(stateMachineARN, a.ID); execution.Status != sfntypes.ExecutionStatusRunning || aws.ToInt32(execution.RedriveCount) != 0 {
		t.Fatalf("the running execution was %s, redriven %d times", execution.Status, aws.ToInt32(execution.RedriveCount))
	}
	// Cancelling again is harmless.
	if again := h.do("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", nil); again.Status != http.StatusAccepted {
		t.Fatalf("second cancel: %d %s", again.Status, again.Body)
	}
	// A finished activation cannot be cancelled.
	current, _ := h.store.GetActivation(t.Context(), a.ID)
	if _, err := h.store.Transition(t.Context(), store.Change{ID: a.ID, From: current.Status, Version: current.Version, To: domain.StatusCancelled}); err != nil {
		t.Fatal(err)
	}
	if resp := h.do("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", nil); resp.Status != http.StatusConflict {
		t.Fatalf("cancel of a cancelled activation: %d", resp.Status)
	}
}

// An ACTIVE activation has released its money and deployed its experts: a cancellation would
// flag it with no step left to act on the flag, so it is refused and nothing changes.
func TestCancellingAnActiveActivationIsAConflict(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Nairobi", 1_000_000)
	ctx := context.Background()
	inProgress, err := h.store.Transition(ctx, store.Change{ID: a.ID, From: a.Status, Version: a.Version, To: domain.StatusInProgress})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Transition(ctx, store.Change{ID: a.ID, From: inProgress.Status, Version: inProgress.Version, To: domain.StatusActive}); err != nil {
		t.Fatal(err)
	}
	resp := h.do("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", nil)
	if resp.Status != http.StatusConflict {
		t.Fatalf("cancel: %d %s", resp.Status, resp.Body)
	}
	after, err := h.store.GetActivation(ctx, a.ID)
	if err != nil || after.Status != domain.StatusActive || after.CancelRequested {
		t.Fatalf("after refusal: %+v %v", after, err)
	}
}
