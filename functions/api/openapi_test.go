package api_test

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// contract is the OpenAPI document, loaded for schema validation.
type contract struct {
	t        *testing.T
	doc      map[string]any
	compiler *jsonschema.Compiler
	cache    map[string]*jsonschema.Schema
	// checked are the responses without content that were checked, by location.
	checked []string
}

const documentURL = "https://fasttrack.example/openapi.json"

func loadContract(t *testing.T) *contract {
	t.Helper()
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(api.OpenAPIDocument()))
	if err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	if err := compiler.AddResource(documentURL, raw); err != nil {
		t.Fatal(err)
	}
	return &contract{t: t, doc: raw.(map[string]any), compiler: compiler, cache: map[string]*jsonschema.Schema{}}
}

func pointer(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("/" + strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func (c *contract) schema(location string) *jsonschema.Schema {
	c.t.Helper()
	if s, ok := c.cache[location]; ok {
		return s
	}
	s, err := c.compiler.Compile(documentURL + "#" + location)
	if err != nil {
		c.t.Fatalf("compile %s: %v", location, err)
	}
	c.cache[location] = s
	return s
}

func (c *contract) operation(method, path string) map[string]any {
	c.t.Helper()
	item, _ := c.doc["paths"].(map[string]any)[path].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	if op == nil {
		c.t.Fatalf("the document has no %s %s", method, path)
	}
	return op
}

// validateResponse checks a response against the schema the document gives for its operation,
// status and media type.
func (c *contract) validateResponse(method, path string, resp response) {
	c.t.Helper()
	responses := c.operation(method, path)["responses"].(map[string]any)
	status := strconv.Itoa(resp.Status)
	entry, ok := responses[status].(map[string]any)
	if !ok {
		c.t.Fatalf("%s %s answered %d, which the document does not list: %s", method, path, resp.Status, resp.Body)
	}
	location := pointer("paths", path, strings.ToLower(method), "responses", status)
	if ref, ok := entry["$ref"].(string); ok {
		location = strings.TrimPrefix(ref, "#")
		entry = c.resolve(location)
	}
	// Every header the document gives the response is sent.
	headers, _ := entry["headers"].(map[string]any)
	for name := range headers {
		if resp.Header.Get(name) == "" {
			c.t.Fatalf("%s %s %d: no %s header, which the document gives it", method, path, resp.Status, name)
		}
	}
	content, _ := entry["content"].(map[string]any)
	if content == nil {
		// A response documented without content (304 Not Modified) has no body.
		if len(resp.Body) != 0 {
			c.t.Fatalf("%s %s %d: a body the document does not give it: %s", method, path, resp.Status, resp.Body)
		}
		c.checked = append(c.checked, location)
		return
	}
	mediaType := strings.TrimSpace(strings.Split(resp.Header.Get("Content-Type"), ";")[0])
	if _, ok := content[mediaType]; !ok {
		c.t.Fatalf("%s %s %d: media type %q is not documented", method, path, resp.Status, mediaType)
	}
	var value any = string(resp.Body) // a stream (JSON lines, CSV) is documented as a string
	if mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") {
		var err error
		if value, err = jsonschema.UnmarshalJSON(bytes.NewReader(resp.Body)); err != nil {
			c.t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
		}
	}
	if err := c.schema(location + pointer("content", mediaType, "schema")).Validate(value); err != nil {
		c.t.Fatalf("%s %s %d does not match the document: %v\nbody: %s", method, path, resp.Status, err, resp.Body)
	}
}

func (c *contract) resolve(location string) map[string]any {
	var node any = c.doc
	for _, part := range strings.Split(strings.TrimPrefix(location, "/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		node = node.(map[string]any)[part]
	}
	return node.(map[string]any)
}

func TestRouterAndDocumentAgree(t *testing.T) {
	h := newHarness(t)
	c := loadContract(t)
	if c.doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", c.doc["openapi"])
	}
	documented := map[string]bool{}
	for path, item := range c.doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			key := strings.ToUpper(method) + " " + path
			documented[key] = true
			responses := op.(map[string]any)["responses"].(map[string]any)
			security, hasSecurity := op.(map[string]any)["security"].([]any)
			public := hasSecurity && len(security) == 0
			if !public {
				if _, ok := responses["401"]; !ok {
					t.Errorf("%s needs a token but documents no 401", key)
				}
			}
		}
	}
	routed := map[string]bool{}
	for _, route := range h.server.Routes() {
		key := route.Method + " " + route.Path
		routed[key] = true
		if !documented[key] {
			t.Errorf("%s is routed but not documented", key)
		}
		op := c.operation(route.Method, route.Path)
		security, hasSecurity := op["security"].([]any)
		if documentedPublic := hasSecurity && len(security) == 0; documentedPublic != route.Public {
			t.Errorf("%s: public in router %v, in document %v", key, route.Public, documentedPublic)
		}
	}
	for key := range documented {
		if !routed[key] {
			t.Errorf("%s is documented but not routed", key)
		}
	}
	// Every problem type the API can send is listed in the document's Problem description.
	description := c.resolve("/components/schemas/Problem")["description"].(string)
	for _, kind := range api.ProblemKinds() {
		if !strings.Contains(description, kind.Type()) {
			t.Errorf("problem type %s is not documented", kind.Type())
		}
	}
	// The document is served as it is.
	resp := h.do("", http.MethodGet, "/openapi.json", nil)
	if resp.Status != http.StatusOK || !bytes.Equal(resp.Body, api.OpenAPIDocument()) {
		t.Fatalf("served document differs: %d", resp.Status)
	}
}

func TestExampleRequestsAgainstTheDocument(t *testing.T) {
	c := loadContract(t)
	requestSchema := func(name string) *jsonschema.Schema { return c.schema("/components/schemas/" + name) }
	valid := map[string]string{
		"ActivationRequest": `{"country":"HT","dutyStation":"Port-au-Prince","crisisType":"natural_disaster","phase":"response",
			"peopleAffected":{"women":52000,"men":48000,"girls":31000,"boys":30000},"targetGroups":["women","youth","persons_with_disabilities"],
			"amount":{"value":12000000,"currency":"USD"},"purpose":"Employment-intensive rubble removal and skills assessment",
			"profiles":[{"area":"employment_intensive_investment","languages":["fr"],"startDate":"2026-12-01","days":45},
			{"area":"needs_assessment","languages":["fr","en"],"startDate":"2026-12-01","days":30}],
			"demandReference":"Request of the Ministry of Social Affairs and Labour, ref. 2026/114",
			"justification":"Hurricane landfall; 160,000 people affected in the western department."}`,
		"DecisionRequest":     `{"decision":"approve","comment":"cleared for deployment"}`,
		"ContributionRequest": `{"amount":{"value":50000000,"currency":"USD"},"donor":"Government of Norway","reference":"NO-2026-7"}`,
		"DelegationRequest":   `{"toUser":"security-2","role":"security","start":"2026-11-01T00:00:00Z","until":"2026-11-15T00:00:00Z","reason":"leave"}`,
		"ReassignRequest":     `{"assignee":"security-2","reason":"on leave"}`,
		"RevokeRequest":       `{"reason":"back early"}`,
		"ExpertInput":         `{"name":"A. Odhiambo","employment":"consultant","areas":["gender"],"languages":["en"],"training":{"level":"basic","expires":"2027-01-01"}}`,
		"PolicyInput":         `{"kind":"medical","validFrom":"2026-01-01","validTo":"2026-12-31"}`,
		"CancelRequest":       `{"reason":"the floods receded"}`,
	}
	invalid := map[string]string{
		"ActivationRequest":   `{"country":"HT","office":"KE"}`,
		"DecisionRequest":     `{"decision":"maybe"}`,
		"ContributionRequest": `{"amount":{"value":"5","currency":"USD"},"donor":"x"}`,
		"PolicyInput":         `{"kind":"dental","validFrom":"2026-01-01","validTo":"2026-12-31"}`,
		"RevokeRequest":       `{"reason":"back early","until":"2026-01-01T00:00:00Z"}`,
	}
	for name, example := range valid {
		value, err := jsonschema.UnmarshalJSON(strings.NewReader(example))
		if err != nil {
			t.Fatal(err)
		}
		if err := requestSchema(name).Validate(value); err != nil {
			t.Errorf("valid %s example refused: %v", name, err)
		}
	}
	for name, example := range invalid {
		value, _ := jsonschema.UnmarshalJSON(strings.NewReader(example))
		if err := requestSchema(name).Validate(value); err == nil {
			t.Errorf("invalid %s example accepted", name)
		}
	}
}

// TestResponsesMatchTheDocument drives every operation through the handler and validates each
// answer (successes and problems) against the schema the document gives for it.
func TestResponsesMatchTheDocument(t *testing.T) {
	h := newHarness(t)
	c := loadContract(t)
	check := func(user, method, pattern, path string, body any, headers ...string) response {
		t.Helper()
		resp := h.do(user, method, path, body, headers...)
		c.validateResponse(method, pattern, resp)
		return resp
	}
	var a domain.Activation
	check("office-ke", http.MethodPost, "/activations", "/activations", request("KE", "Mombasa", 1_000_000), "Idempotency-Key", "doc-1").json(t, &a)
	check("office-ke", http.MethodPost, "/activations", "/activations", request("KE", "Mombasa", 1_000_000), "Idempotency-Key", "doc-1")
	check("office-ke", http.MethodPost, "/activations", "/activations", request("KE", "Mombasa", 2_000_000), "Idempotency-Key", "doc-1")
	check("office-ke", http.MethodPost, "/activations", "/activations", `{"country":1}`)
	check("office-ke", http.MethodPost, "/activations", "/activations", `{"justification":"`+strings.Repeat("x", 70_000)+`"}`)
	check("office-ke", http.MethodPost, "/activations", "/activations", request("KE", "Mombasa", 1), "Content-Type", "text/plain")
	check("auditor-1", http.MethodPost, "/activations", "/activations", request("KE", "Mombasa", 1))
	check("", http.MethodPost, "/activations", "/activations", request("KE", "Mombasa", 1))
	check("office-ke", http.MethodGet, "/activations", "/activations?limit=1", nil)
	check("office-ke", http.MethodGet, "/activations", "/activations?limit=0", nil)
	check("office-ke", http.MethodGet, "/activations/{id}", "/activations/"+a.ID, nil)
	check("office-ht", http.MethodGet, "/activations/{id}", "/activations/"+a.ID, nil)
	check("office-ke", http.MethodGet, "/activations/{id}/history", "/activations/"+a.ID+"/history", nil)

	h.addTask(domain.ApprovalTask{ID: "task-1", ActivationID: a.ID, Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Office: "KE"})
	check("security-1", http.MethodGet, "/tasks", "/tasks", nil)
	check("security-1", http.MethodGet, "/tasks", "/tasks?dueBefore=tomorrow", nil)
	check("security-1", http.MethodGet, "/tasks/{id}", "/tasks/task-1", nil)
	check("finance-1", http.MethodGet, "/tasks/{id}", "/tasks/task-1", nil)
	check("office-ke", http.MethodGet, "/tasks/{id}", "/tasks/task-1", nil)
	check("finance-1", http.MethodPost, "/tasks/{id}/decision", "/tasks/task-1/decision", map[string]string{"decision": "approve"})
	check("security-1", http.MethodPost, "/tasks/{id}/decision", "/tasks/task-1/decision", map[string]string{"decision": "approve"})
	check("security-2", http.MethodPost, "/tasks/{id}/decision", "/tasks/task-1/decision", map[string]string{"decision": "approve"})
	check("security-2", http.MethodPost, "/tasks/{id}/decision", "/tasks/none/decision", map[string]string{"decision": "approve"})
	h.addTask(domain.ApprovalTask{ID: "task-2", ActivationID: a.ID, Role: domain.RoleFinance, Kind: domain.KindFundRelease, Office: "KE"})
	check("admin-1", http.MethodPost, "/tasks/{id}/reassign", "/tasks/task-2/reassign", map[string]string{"assignee": "finance-2", "reason": "leave"})
	var delegation api.DelegationView
	check("finance-2", http.MethodPost, "/delegations", "/delegations", map[string]any{"toUser": "finance-1", "role": "finance",
		"start": h.clock.Now(), "until": h.clock.Now().Add(time.Hour)}).json(t, &delegation)
	check("finance-1", http.MethodGet, "/delegations", "/delegations", nil)
	check("auditor-1", http.MethodGet, "/delegations", "/delegations?active=true&role=finance&limit=1", nil)
	check("auditor-1", http.MethodGet, "/delegations", "/delegations?active=maybe", nil)
	check("office-ke", http.MethodGet, "/delegations", "/delegations", nil)
	check("auditor-1", http.MethodPost, "/delegations/{id}/revoke", "/delegations/"+delegation.ID+"/revoke", nil)
	check("finance-1", http.MethodPost, "/delegations/{id}/revoke", "/delegations/"+delegation.ID+"/revoke", nil)
	check("security-1", http.MethodPost, "/delegations/{id}/revoke", "/delegations/"+delegation.ID+"/revoke", nil)
	check("finance-2", http.MethodPost, "/delegations/{id}/revoke", "/delegations/"+delegation.ID+"/revoke", map[string]string{"reason": "back early"})
	check("finance-2", http.MethodPost, "/delegations/{id}/revoke", "/delegations/"+delegation.ID+"/revoke", nil)
	check("auditor-1", http.MethodGet, "/audit", "/audit?limit=2", nil)
	check("auditor-1", http.MethodGet, "/audit/export", "/audit/export?format=csv", nil)
	check("auditor-1", http.MethodGet, "/audit/export", "/audit/export", nil)
	check("office-ke", http.MethodGet, "/audit/export", "/audit/export", nil)
	check("auditor-1", http.MethodGet, "/metrics/activations", "/metrics/activations", nil)
	check("admin-1", http.MethodPost, "/fund/contributions", "/fund/contributions", map[string]any{"amount": map[string]any{"value": 100, "currency": "USD"}, "donor": "d"})
	check("finance-1", http.MethodGet, "/fund", "/fund", nil)
	check("admin-1", http.MethodPut, "/experts/{id}", "/experts/exp-1", map[string]any{"name": "N", "employment": "staff", "areas": []string{"gender"}, "languages": []string{"en"}})
	check("admin-1", http.MethodPut, "/experts/{id}", "/experts/exp-1", map[string]any{"name": "N", "employment": "staff", "areas": []string{"gender"}, "languages": []string{"en"}})
	check("admin-1", http.MethodPut, "/experts/{id}/policies/{policyId}", "/experts/exp-1/policies/p1", map[string]any{"kind": "medical", "validFrom": "2026-01-01", "validTo": "2026-12-31"})
	check("hr-1", http.MethodGet, "/experts", "/experts", nil)
	check("admin-1", http.MethodPut, "/experts/{id}", "/experts/exp-1", map[string]any{"name": "N", "employment": "staff", "areas": []string{"gender"}, "languages": []string{"en"}}, "If-None-Match", "*")
	check("admin-1", http.MethodPut, "/experts/{id}", "/experts/exp-1", map[string]any{"name": "N", "employment": "staff", "areas": []string{"gender"}, "languages": []string{"en"}}, "If-Match", `"0"`)
	check("admin-1", http.MethodPut, "/experts/{id}", "/experts/exp-new", map[string]any{"name": "N", "employment": "staff", "areas": []string{"gender"}, "languages": []string{"en"}}, "If-None-Match", "*")
	expert := check("hr-1", http.MethodGet, "/experts/{id}", "/experts/exp-1", nil)
	if resp := check("hr-1", http.MethodGet, "/experts/{id}", "/experts/exp-1", nil, "If-None-Match", expert.Header.Get("ETag")); resp.Status != http.StatusNotModified {
		t.Fatalf("revalidation: %d", resp.Status)
	}
	check("hr-1", http.MethodGet, "/experts/{id}", "/experts/exp-none", nil)
	check("security-1", http.MethodGet, "/experts/{id}", "/experts/exp-1", nil)
	check("auditor-1", http.MethodGet, "/experts/{id}/policies", "/experts/exp-1/policies", nil)
	check("auditor-1", http.MethodGet, "/experts/{id}/policies", "/experts/exp-none/policies", nil)
	check("admin-1", http.MethodPost, "/activations/{id}/redrive", "/activations/"+a.ID+"/redrive", nil)
	h.stall(a.ID)
	check("auditor-1", http.MethodGet, "/activations/{id}", "/activations/"+a.ID, nil)
	check("admin-1", http.MethodPost, "/activations/{id}/redrive", "/activations/"+a.ID+"/redrive", nil)
	check("auditor-1", http.MethodGet, "/activations/{id}", "/activations/"+a.ID, nil)
	check("office-ke", http.MethodGet, "/me", "/me", nil)
	check("finance-security", http.MethodGet, "/me", "/me", nil)
	check("auditor-1", http.MethodGet, "/audit/verify", "/audit/verify", nil)
	check("auditor-1", http.MethodGet, "/audit/verify", "/audit/verify?activationId="+a.ID, nil)
	check("auditor-1", http.MethodGet, "/audit/verify", "/audit/verify?activationId=act-none", nil)
	check("auditor-1", http.MethodGet, "/audit/verify", "/audit/verify?limit=0", nil)
	check("office-ke", http.MethodGet, "/audit/verify", "/audit/verify", nil)
	check("office-ke", http.MethodPost, "/activations/{id}/cancel", "/activations/"+a.ID+"/cancel", nil)
	check("", http.MethodGet, "/healthz", "/healthz", nil)

	// Every routed operation was exercised at least once above.
	for _, route := range h.server.Routes() {
		if route.Path == "/openapi.json" {
			continue
		}
		prefix := pointer("paths", route.Path, strings.ToLower(route.Method))
		if !slices.ContainsFunc(c.cacheKeys(), func(k string) bool { return strings.HasPrefix(k, prefix) }) {
			t.Errorf("no response of %s %s was checked against the document", route.Method, route.Path)
		}
	}
}

func (c *contract) cacheKeys() []string {
	keys := make([]string, 0, len(c.cache)+len(c.checked))
	for k := range c.cache {
		keys = append(keys, k)
	}
	return append(keys, c.checked...)
}
