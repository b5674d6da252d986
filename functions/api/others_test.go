package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

func TestHistoryMergesWorkflowEventsAndAuditTrailInTimeOrder(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	h.stepToken(a.ID) // the execution waits at its step
	h.clock.Advance(4 * time.Second)
	h.do("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", nil)
	h.clock.Advance(time.Second)
	h.stall(a.ID)

	resp := h.do("auditor-1", http.MethodGet, "/activations/"+a.ID+"/history", nil)
	var history api.History
	resp.json(t, &history)
	index := map[string]int{}
	var last time.Time
	for i, item := range history.Items {
		if item.Time.Before(last) || item.Actor == "" {
			t.Fatalf("entry %d out of order or without actor: %+v", i, item)
		}
		last = item.Time
		key := item.Source + ":" + item.Type + ":" + item.Step + ":" + item.Actor
		if _, seen := index[key]; !seen {
			index[key] = i
		}
	}
	position := func(key string) int {
		t.Helper()
		i, ok := index[key]
		if !ok {
			t.Fatalf("the timeline has no %s: %v", key, index)
		}
		return i
	}
	requested := position("audit:activation.requested:request:office-ke")
	entered := position("workflow:TaskStateEntered:Step:workflow")
	cancel := position("audit:activation.cancel_requested::office-ke")
	failed := position("workflow:TaskFailed:Step:workflow")
	stopped := position("workflow:ExecutionFailed::workflow")
	if !(requested < cancel && entered < cancel && cancel < failed && failed < stopped) {
		t.Fatalf("timeline order: requested %d, entered %d, cancel %d, failed %d, stopped %d", requested, entered, cancel, failed, stopped)
	}
	if detail := history.Items[failed].Detail.(map[string]any); detail["error"] != "TransientError" {
		t.Fatalf("failure detail %+v", detail)
	}
	if resp := h.do("office-ke", http.MethodGet, "/activations/"+a.ID+"/history", nil); resp.Status != http.StatusOK {
		t.Fatalf("own office history: %d", resp.Status)
	}
}

func TestAuditSearchAndExport(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Nairobi", 1_000_000)
	h.clock.Advance(time.Minute)
	h.withActivation("Nairobi", 2_000_000)
	h.clock.Advance(time.Minute)
	h.do("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", nil)

	var list api.AuditList
	if resp := h.do("office-ke", http.MethodGet, "/audit", nil); resp.Status != http.StatusForbidden {
		t.Fatalf("office searching the audit trail: %d", resp.Status)
	}
	h.do("auditor-1", http.MethodGet, "/audit?activationId="+a.ID, nil).json(t, &list)
	if len(list.Items) != 2 || list.Items[0].Action != "activation.requested" || list.Items[1].Action != "activation.cancel_requested" {
		t.Fatalf("audit of one activation %+v", list.Items)
	}
	h.do("auditor-1", http.MethodGet, "/audit?action=activation.requested&limit=1", nil).json(t, &list)
	if len(list.Items) != 1 || list.Next == "" {
		t.Fatalf("first page %+v", list)
	}
	if resp := h.do("auditor-1", http.MethodGet, "/audit?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z", nil); resp.Status != http.StatusBadRequest {
		t.Fatalf("inverted range: %d", resp.Status)
	}

	jsonl := h.do("auditor-1", http.MethodGet, "/audit/export?format=jsonl", nil)
	if jsonl.Status != http.StatusOK || jsonl.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("jsonl export: %d %s", jsonl.Status, jsonl.Header.Get("Content-Type"))
	}
	var actions []string
	scanner := bufio.NewScanner(bytes.NewReader(jsonl.Body))
	for scanner.Scan() {
		var e audit.Event
		if err := json.Unmarshal(scanner.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", scanner.Text(), err)
		}
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "activation.requested,activation.requested,activation.cancel_requested" {
		t.Fatalf("exported %v", actions)
	}
	csvExport := h.do("auditor-1", http.MethodGet, "/audit/export?format=csv&activationId="+a.ID, nil)
	rows, err := csv.NewReader(bytes.NewReader(csvExport.Body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "time" || rows[2][8] != "activation.cancel_requested" {
		t.Fatalf("csv export %q, %v", rows, err)
	}
	if resp := h.do("auditor-1", http.MethodGet, "/audit/export?format=xml", nil); resp.Status != http.StatusBadRequest {
		t.Fatalf("xml export: %d", resp.Status)
	}
}

func TestFundContributions(t *testing.T) {
	h := newHarness(t)
	body := map[string]any{"amount": map[string]any{"value": 50_000_000, "currency": "USD"}, "donor": "Government of Norway", "reference": "NO-2026-7"}
	for _, user := range []string{"finance-1", "auditor-1", "office-ke"} {
		if resp := h.do(user, http.MethodPost, "/fund/contributions", body); resp.Status != http.StatusForbidden {
			t.Fatalf("%s contributes: %d", user, resp.Status)
		}
	}
	resp := h.do("admin-1", http.MethodPost, "/fund/contributions", body)
	var result api.ContributionResult
	resp.json(t, &result)
	if resp.Status != http.StatusCreated || result.Balance.Available != 50_000_000 || result.Entry.Kind != domain.EntryContribution || result.Entry.Actor != "admin-1" {
		t.Fatalf("contribution: %d %s", resp.Status, resp.Body)
	}
	for name, bad := range map[string]map[string]any{
		"negative":         {"amount": map[string]any{"value": -1, "currency": "USD"}, "donor": "x"},
		"absurd":           {"amount": map[string]any{"value": int64(1e15), "currency": "USD"}, "donor": "x"},
		"unknown currency": {"amount": map[string]any{"value": 1, "currency": "ABC"}, "donor": "x"},
		"no donor":         {"amount": map[string]any{"value": 1, "currency": "USD"}},
	} {
		if resp := h.do("admin-1", http.MethodPost, "/fund/contributions", bad); resp.Status != http.StatusBadRequest {
			t.Fatalf("%s contribution: %d", name, resp.Status)
		}
	}
	var fund api.FundView
	h.do("finance-1", http.MethodGet, "/fund?currency=USD", nil).json(t, &fund)
	if len(fund.Balances) != 1 || fund.Balances[0].Available != 50_000_000 || len(fund.Ledger) != 1 {
		t.Fatalf("fund %+v", fund)
	}
	if resp := h.do("security-1", http.MethodGet, "/fund", nil); resp.Status != http.StatusForbidden {
		t.Fatalf("security reads the fund: %d", resp.Status)
	}
}

func TestExpertsAndPolicies(t *testing.T) {
	h := newHarness(t)
	expert := map[string]any{"name": "Amina Odhiambo", "employment": "consultant", "areas": []string{"gender"}, "languages": []string{"en", "sw"},
		"training": map[string]any{"level": "advanced", "expires": "2027-06-30"}, "homeOffice": "KE"}
	// Roles that neither source consultants nor keep the roster may not change it.
	for _, user := range []string{"finance-1", "security-1", "senior-1", "auditor-1", "office-ke"} {
		resp := h.do(user, http.MethodPut, "/experts/exp-1", expert)
		if resp.Status != http.StatusForbidden || !strings.Contains(resp.problem(t).Detail, "experts write") {
			t.Fatalf("%s changes the roster: %d %s", user, resp.Status, resp.Body)
		}
		if resp := h.do(user, http.MethodPut, "/experts/exp-1/policies/pol-0", map[string]any{"kind": "medical",
			"validFrom": "2026-01-01", "validTo": "2026-12-31"}); resp.Status != http.StatusForbidden {
			t.Fatalf("%s records a policy: %d %s", user, resp.Status, resp.Body)
		}
	}
	// hr sources the consultants its tasks ask for: it adds them, as an admin does.
	if resp := h.do("hr-1", http.MethodPut, "/experts/exp-1", expert); resp.Status != http.StatusCreated {
		t.Fatalf("hr adds an expert: %d %s", resp.Status, resp.Body)
	}
	expert["languages"] = []string{"en", "sw", "fr"}
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-1", expert); resp.Status != http.StatusOK {
		t.Fatalf("change expert: %d %s", resp.Status, resp.Body)
	}
	// Experts not posted to a country office belong to headquarters, as the seeded roster shows.
	expert["homeOffice"] = "HQ"
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-1", expert); resp.Status != http.StatusOK {
		t.Fatalf("expert at headquarters: %d %s", resp.Status, resp.Body)
	}
	expert["homeOffice"] = "Geneva"
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-1", expert); resp.Status != http.StatusBadRequest ||
		len(resp.problem(t).Errors) != 1 || resp.problem(t).Errors[0].Field != "homeOffice" {
		t.Fatalf("home office not a code: %d %s", resp.Status, resp.Body)
	}
	expert["homeOffice"] = "KE"
	bad := h.do("admin-1", http.MethodPut, "/experts/exp-2", map[string]any{"name": "", "employment": "volunteer", "areas": []string{"juggling"},
		"languages": []string{"english"}, "training": map[string]any{"level": "advanced", "expires": "soon"}})
	if p := bad.problem(t); bad.Status != http.StatusBadRequest || len(p.Errors) != 5 {
		t.Fatalf("bad expert: %d %+v", bad.Status, p)
	}
	policy := map[string]any{"kind": "malicious_acts", "insurer": "Lloyd's", "validFrom": "2026-01-01", "validTo": "2026-12-31"}
	// hr enrols experts in insurance: it records their policies.
	if resp := h.do("hr-1", http.MethodPut, "/experts/exp-1/policies/pol-1", policy); resp.Status != http.StatusCreated {
		t.Fatalf("hr adds a policy: %d %s", resp.Status, resp.Body)
	}
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-9/policies/pol-1", policy); resp.Status != http.StatusNotFound {
		t.Fatalf("policy of a missing expert: %d", resp.Status)
	}
	policy["validTo"] = "2025-12-31"
	if resp := h.do("admin-1", http.MethodPut, "/experts/exp-1/policies/pol-1", policy); resp.Status != http.StatusBadRequest {
		t.Fatalf("policy ending before it starts: %d", resp.Status)
	}
	var list api.ExpertList
	h.do("hr-1", http.MethodGet, "/experts?language=fr", nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != "exp-1" {
		t.Fatalf("experts %+v", list.Items)
	}
	if changes := len(h.auditEvents(audit.ActionExpertChanged)) + len(h.auditEvents(audit.ActionPolicyChanged)); changes != 4 {
		t.Fatalf("%d roster audit events, want 4", changes)
	}
	// hr's changes are audited as an admin's are, with who made them.
	byHR := func(action, subject string) bool {
		for _, e := range h.auditEvents(action) {
			if e.Actor == "hr-1" && e.Subject == subject && e.Role == string(auth.HR) && len(e.After) > 0 {
				return true
			}
		}
		return false
	}
	if !byHR(audit.ActionExpertChanged, "exp-1") || !byHR(audit.ActionPolicyChanged, "exp-1/pol-1") {
		t.Fatalf("hr's changes are not recorded as hr's: %+v %+v", h.auditEvents(audit.ActionExpertChanged), h.auditEvents(audit.ActionPolicyChanged))
	}
}

// TestRedriveResumesAStalledExecution: an execution stopped at its step shows as stalled, and
// only an admin can redrive it; the redrive runs the step again, is recorded, and cannot be
// repeated while the execution runs.
func TestRedriveResumesAStalledExecution(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Nairobi", 1_000_000)
	h.stepToken(a.ID)
	if resp := h.do("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil); resp.Status != http.StatusConflict {
		t.Fatalf("redrive of a running execution: %d %s", resp.Status, resp.Body)
	}
	var view api.ActivationView
	h.do("office-ke", http.MethodGet, "/activations/"+a.ID, nil).json(t, &view)
	if view.Workflow == nil || view.Workflow.Status != "RUNNING" || view.Workflow.Stalled {
		t.Fatalf("running workflow %+v", view.Workflow)
	}

	h.clock.Advance(time.Minute)
	h.stall(a.ID)
	h.do("auditor-1", http.MethodGet, "/activations/"+a.ID, nil).json(t, &view)
	if w := view.Workflow; w == nil || w.Status != "FAILED" || w.Error != "TransientError" || !w.Stalled || !strings.Contains(w.Cause, "throttled") ||
		w.StopDate.IsZero() || view.Status != domain.StatusRequested {
		t.Fatalf("stalled activation %s, workflow %+v", view.Status, view.Workflow)
	}
	// A country office sees that its activation stopped, not the internal cause.
	var officeView api.ActivationView
	h.do("office-ke", http.MethodGet, "/activations/"+a.ID, nil).json(t, &officeView)
	if w := officeView.Workflow; w == nil || !w.Stalled || w.Error != "TransientError" || w.Cause != "" {
		t.Fatalf("the office's view of the workflow %+v", officeView.Workflow)
	}
	for _, user := range []string{"auditor-1", "office-ke", "security-1"} {
		if resp := h.do(user, http.MethodPost, "/activations/"+a.ID+"/redrive", nil); resp.Status != http.StatusForbidden {
			t.Fatalf("%s redrives: %d", user, resp.Status)
		}
	}
	resp := h.do("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil)
	var result api.RedriveResult
	resp.json(t, &result)
	if resp.Status != http.StatusAccepted || result.RedriveDate == "" || result.Activation.ID != a.ID {
		t.Fatalf("redrive: %d %s", resp.Status, resp.Body)
	}
	// The stopped step runs again: it waits for a new token.
	h.stepToken(a.ID)
	execution := h.execution(stateMachineARN, a.ID)
	if execution.Status != sfntypes.ExecutionStatusRunning || aws.ToInt32(execution.RedriveCount) != 1 {
		t.Fatalf("after the redrive the execution is %s, redriven %d times", execution.Status, aws.ToInt32(execution.RedriveCount))
	}
	if resp := h.do("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil); resp.Status != http.StatusConflict {
		t.Fatalf("second redrive while running: %d %s", resp.Status, resp.Body)
	}
	redriven := h.auditEvents(audit.ActionRedrive)
	if len(redriven) != 1 || redriven[0].Actor != "admin-1" || redriven[0].ActivationID != a.ID || !strings.Contains(string(redriven[0].Before), "TransientError") {
		t.Fatalf("redrive audit events %+v", redriven)
	}
	h.finish(a.ID, "ACTIVE")
	if resp := h.do("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil); resp.Status != http.StatusConflict {
		t.Fatalf("redrive of a succeeded execution: %d %s", resp.Status, resp.Body)
	}
}

// An execution the workflow ended in its Fail state (an activation compensated as FAILED) is
// finished, not stalled: there is nothing to redrive.
func TestAnExecutionEndedByTheWorkflowIsNotRedriven(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Nairobi", 1_000_000)
	h.finish(a.ID, "FAILED")
	var view api.ActivationView
	h.do("auditor-1", http.MethodGet, "/activations/"+a.ID, nil).json(t, &view)
	if w := view.Workflow; w == nil || w.Status != "FAILED" || w.Error != "InsufficientFunds" || w.Stalled {
		t.Fatalf("workflow %+v", view.Workflow)
	}
	resp := h.do("admin-1", http.MethodPost, "/activations/"+a.ID+"/redrive", nil)
	if resp.Status != http.StatusConflict || !strings.Contains(resp.problem(t).Detail, "nothing to resume") {
		t.Fatalf("redrive: %d %s", resp.Status, resp.Body)
	}
	if execution := h.execution(stateMachineARN, a.ID); aws.ToInt32(execution.RedriveCount) != 0 {
		t.Fatalf("redriven %d times", aws.ToInt32(execution.RedriveCount))
	}
}

// Cancelling a stalled activation marks it and redrives the execution, so that the stopped step
// runs again and meets the mark.
func TestCancellingAStalledActivationRedrivesIt(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Nairobi", 1_000_000)
	h.stall(a.ID)
	resp := h.do("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", map[string]string{"reason": "the rains stopped"})
	if resp.Status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", resp.Status, resp.Body)
	}
	h.stepToken(a.ID)
	if execution := h.execution(stateMachineARN, a.ID); execution.Status != sfntypes.ExecutionStatusRunning || aws.ToInt32(execution.RedriveCount) != 1 {
		t.Fatalf("execution %s, redriven %d times", execution.Status, aws.ToInt32(execution.RedriveCount))
	}
	stored, _ := h.store.GetActivation(t.Context(), a.ID)
	if !stored.CancelRequested {
		t.Fatal("the activation is not marked")
	}
	redriven := h.auditEvents(audit.ActionRedrive)
	if len(redriven) != 1 || redriven[0].Actor != "office-ke" || !strings.Contains(string(redriven[0].After), "cancellation") {
		t.Fatalf("redrive audit events %+v", redriven)
	}
	// A second cancel finds the workflow running: nothing more to redrive.
	if again := h.do("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", nil); again.Status != http.StatusAccepted {
		t.Fatalf("second cancel: %d %s", again.Status, again.Body)
	}
	if execution := h.execution(stateMachineARN, a.ID); aws.ToInt32(execution.RedriveCount) != 1 {
		t.Fatalf("redriven %d times", aws.ToInt32(execution.RedriveCount))
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	ctx := t.Context()
	if err := h.store.AppendStep(ctx, a.ID, domain.Step{Name: "clearance", Status: "succeeded", At: a.CreatedAt.Add(30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(90 * time.Second)
	running, err := h.store.Transition(ctx, store.Change{ID: a.ID, From: domain.StatusRequested, Version: a.Version, To: domain.StatusInProgress})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Transition(ctx, store.Change{ID: a.ID, From: domain.StatusInProgress, Version: running.Version, To: domain.StatusActive}); err != nil {
		t.Fatal(err)
	}
	h.addTask(domain.ApprovalTask{ID: "t1", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance})
	h.addTask(domain.ApprovalTask{ID: "t2", ActivationID: a.ID, Role: domain.RoleFinance, Kind: domain.KindFundRelease, Deadline: h.clock.Now().Add(time.Minute)})
	if resp := h.do("security-1", http.MethodPost, "/tasks/t1/decision", map[string]string{"decision": "approve"}); resp.Status != http.StatusOK {
		t.Fatalf("decide: %d %s", resp.Status, resp.Body)
	}
	h.clock.Advance(time.Hour)

	if resp := h.do("office-ke", http.MethodGet, "/metrics/activations", nil); resp.Status != http.StatusForbidden {
		t.Fatalf("office reads metrics: %d", resp.Status)
	}
	var m api.Metrics
	h.do("auditor-1", http.MethodGet, "/metrics/activations", nil).json(t, &m)
	if m.Activations.Total != 1 || m.Activations.ByStatus[domain.StatusActive] != 1 || m.Approvals.Decided != 1 ||
		m.Approvals.Share == nil || *m.Approvals.Share != 1 || m.OpenTasksPastDeadline != 1 {
		t.Fatalf("metrics %+v", m)
	}
	found := map[string]float64{}
	for _, s := range m.TimeToStep {
		found[s.Step] = s.AverageSeconds
	}
	// The decision recorded the approval step 90 seconds after the request.
	if found["clearance"] != 30 || found["ACTIVE"] != 90 || found["approval"] != 90 {
		t.Fatalf("time to step %+v", m.TimeToStep)
	}
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	if resp := h.do("", http.MethodGet, "/activations", nil); resp.Status != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %d", resp.Status)
	}
	token := h.token("auditor-1")
	h.clock.Advance(2 * time.Hour)
	resp := h.do("", http.MethodGet, "/activations", nil, "Authorization", "Bearer "+token)
	if p := resp.problem(t); resp.Status != http.StatusUnauthorized || strings.Contains(p.Detail, "exp") {
		t.Fatalf("expired token: %d %+v", resp.Status, p)
	}
	if resp := h.do("", http.MethodGet, "/healthz", nil); resp.Status != http.StatusOK {
		t.Fatalf("health: %d", resp.Status)
	}
}

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	h := newHarness(t)
	resp := h.do("auditor-1", http.MethodGet, "/nothing/here", nil)
	if resp.Status != http.StatusNotFound || resp.problem(t).Status != http.StatusNotFound {
		t.Fatalf("unknown path: %d", resp.Status)
	}
	resp = h.do("auditor-1", http.MethodDelete, "/activations", nil)
	if resp.Status != http.StatusMethodNotAllowed || resp.problem(t).Status != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "POST") {
		t.Fatalf("wrong method: %d %v", resp.Status, resp.Header)
	}
}

// explodingActivations panics on every listing, as a bug deep in a dependency would.
type explodingActivations struct{ *store.Store }

func (explodingActivations) ListActivations(context.Context, store.ActivationQuery) (store.Page[domain.Activation], error) {
	panic("store exploded: table fasttrack-activations-internal")
}

func TestAPanicIsAnInternalProblemWithNothingInternalShown(t *testing.T) {
	h := newHarness(t)
	deps := api.StoreDependencies(h.store, h.workflow)
	deps.Activations = explodingActivations{h.store}
	logs := &bytes.Buffer{}
	verifier, _ := auth.NewVerifier(auth.VerifierConfig{Issuer: auth.LocalIssuerName, Audience: auth.LocalAudience, Keys: h.issuer.KeySet(), Now: h.clock.Now})
	server, err := api.New(deps, verifier, api.Options{StateMachineARN: stateMachineARN, Now: h.clock.Now, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/activations", nil)
	req.Header.Set("Authorization", "Bearer "+h.token("auditor-1"))
	rec := httptest.NewRecorder()
	server.ServeHTTP(rec, req)
	resp := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	p := resp.problem(t)
	if resp.Status != http.StatusInternalServerError || strings.Contains(string(resp.Body), "exploded") || strings.Contains(string(resp.Body), "fasttrack-activations") {
		t.Fatalf("panic answer: %d %s", resp.Status, resp.Body)
	}
	if p.Type != api.ProblemInternal.Type() {
		t.Fatalf("problem %+v", p)
	}
	if !strings.Contains(logs.String(), "exploded") {
		t.Fatal("the panic was not logged")
	}
}

func TestLambdaAdapterServesHTTPAPIEvents(t *testing.T) {
	h := newHarness(t)
	handler := api.LambdaHandler(h.server)
	body, _ := json.Marshal(request("KE", "Nairobi", 1_000_000))
	event := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: "/activations", Body: string(body),
		Headers: map[string]string{"authorization": "Bearer " + h.token("office-ke"), "content-type": "application/json", "idempotency-key": "lambda-1"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method: http.MethodPost, Path: "/activations", SourceIP: "203.0.113.9"}, DomainName: "api.example.org"},
	}
	resp, err := handler(context.Background(), event)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("lambda: %v %d %s", err, resp.StatusCode, resp.Body)
	}
	var a domain.Activation
	if err := json.Unmarshal([]byte(resp.Body), &a); err != nil || a.Office != "KE" {
		t.Fatalf("lambda body %s", resp.Body)
	}
	event.Headers["authorization"] = ""
	resp, _ = handler(context.Background(), event)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("lambda without token: %d", resp.StatusCode)
	}
}

func TestNewLambdaNeedsItsConfiguration(t *testing.T) {
	env := registry.Env{
		AWS:             aws.Config{Region: "us-east-1"},
		Tables:          map[string]string{},
		StateMachineARN: stateMachineARN,
		AuthIssuer:      "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool",
		AuthAudience:    "client",
		AuthJWKSURL:     "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool/.well-known/jwks.json",
		UserPoolID:      "us-east-1_pool",
	}
	if _, err := api.NewLambda(context.Background(), env); err == nil || !strings.Contains(err.Error(), "FASTTRACK_TABLE_") {
		t.Fatalf("missing tables: %v", err)
	}
	env.Tables = tables.NamesWithPrefix("prod-")
	handler, err := api.NewLambda(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := handler.(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)); !ok {
		t.Fatalf("handler is a %T", handler)
	}
	env.UserPoolID = ""
	if _, err := api.NewLambda(context.Background(), env); err == nil || !strings.Contains(err.Error(), registry.EnvUserPoolID) {
		t.Fatalf("built without the user pool: %v", err)
	}
	env.UserPoolID = "us-east-1_pool"
	env.AuthJWKSURL = ""
	if _, err := api.NewLambda(context.Background(), env); err == nil {
		t.Fatal("built without a JWKS URL")
	}
}
