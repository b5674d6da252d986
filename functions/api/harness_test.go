package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

const stateMachineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:fasttrack"

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var demoUsers = map[string]auth.User{
	"office-ke":  {Username: "office-ke", Roles: []auth.Role{auth.CountryOffice}, Office: "KE"},
	"office-ht":  {Username: "office-ht", Roles: []auth.Role{auth.CountryOffice}, Office: "HT"},
	"security-1": {Username: "security-1", Roles: []auth.Role{auth.Security}},
	"security-2": {Username: "security-2", Roles: []auth.Role{auth.Security}},
	"finance-1":  {Username: "finance-1", Roles: []auth.Role{auth.Finance}},
	"finance-2":  {Username: "finance-2", Roles: []auth.Role{auth.Finance}},
	"senior-1":   {Username: "senior-1", Roles: []auth.Role{auth.SeniorManagement}},
	"hr-1":       {Username: "hr-1", Roles: []auth.Role{auth.HR}},
	"auditor-1":  {Username: "auditor-1", Roles: []auth.Role{auth.Auditor}},
	"admin-1":    {Username: "admin-1", Roles: []auth.Role{auth.Admin}},
	// A person who both requests for Kenya and approves security: the separation-of-duties
	// rules must stop them deciding on their own request.
	"office-ke-security": {Username: "office-ke-security", Roles: []auth.Role{auth.CountryOffice, auth.Security}, Office: "KE"},
	"finance-security":   {Username: "finance-security", Roles: []auth.Role{auth.Finance, auth.Security}},
}

type harness struct {
	t        *testing.T
	server   *api.Server
	http     *httptest.Server
	store    *store.Store
	workflow *memoryWorkflow
	clock    *clock
	issuer   *auth.Issuer
	logs     *bytes.Buffer
	ids      int
	idMu     sync.Mutex
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, workflow: newMemoryWorkflow(), clock: &clock{now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}, logs: &bytes.Buffer{}}
	h.store = newStore(t, h.clock)
	issuer, err := auth.NewIssuer(issuerKey(t), auth.WithIssuerClock(h.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	h.issuer = issuer
	jwks := httptest.NewServer(issuer.JWKSHandler())
	t.Cleanup(jwks.Close)
	verifier, err := auth.NewVerifier(auth.VerifierConfig{Issuer: auth.LocalIssuerName, Audience: auth.LocalAudience,
		Keys: &auth.RemoteKeySet{URL: jwks.URL, Now: h.clock.Now}, Now: h.clock.Now, Leeway: -1})
	if err != nil {
		t.Fatal(err)
	}
	h.server, err = api.New(api.StoreDependencies(h.store, h.workflow), verifier, api.Options{StateMachineARN: stateMachineARN, Now: h.clock.Now,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{buffer: h.logs}, nil)), NewID: h.newID})
	if err != nil {
		t.Fatal(err)
	}
	h.http = httptest.NewServer(h.server)
	t.Cleanup(h.http.Close)
	return h
}

// newStore returns the real store on fresh tables (a random prefix) in DynamoDB Local.
func newStore(t *testing.T, c *clock) *store.Store {
	t.Helper()
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(dynamolocal.TestEndpoint(t)),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	prefix := make([]byte, 5)
	_, _ = rand.Read(prefix)
	names, err := tables.EnsureTables(context.Background(), client, "api"+hex.EncodeToString(prefix)+"-")
	if err != nil {
		t.Fatalf("tables: %v", err)
	}
	s := store.New(client, names, store.Options{Now: c.Now})
	for _, country := range testReference().Countries {
		if err := s.PutCountry(context.Background(), country); err != nil {
			t.Fatal(err)
		}
	}
	for _, station := range testReference().DutyStations {
		if err := s.PutDutyStation(context.Background(), station); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// testReference is the demo duty stations, and one country that is not a member state.
func testReference() *domain.ReferenceSet {
	return domain.NewReferenceSet(
		[]domain.Country{
			{Code: "KE", Name: "Kenya", Population: 55_000_000, MemberState: true, HasCountryOffice: true},
			{Code: "HT", Name: "Haiti", Population: 11_500_000, MemberState: true, Fragile: true, HasCountryOffice: true},
			{Code: "YE", Name: "Yemen", Population: 34_000_000, MemberState: true, Fragile: true, HasCountryOffice: true},
			{Code: "TW", Name: "Taiwan", Population: 23_000_000, MemberState: false},
		},
		[]domain.DutyStation{
			{Country: "KE", Name: "Nairobi", Level: 2}, {Country: "KE", Name: "Mombasa", Level: 3},
			{Country: "HT", Name: "Port-au-Prince", Level: 4}, {Country: "YE", Name: "Aden", Level: 5},
			{Country: "YE", Name: "Sana'a", Level: 6}, {Country: "TW", Name: "Taipei", Level: 1},
		})
}

// activations lists every stored activation.
func (h *harness) activations() []domain.Activation {
	h.t.Helper()
	page, err := h.store.ListActivations(context.Background(), store.ActivationQuery{Limit: 100})
	if err != nil {
		h.t.Fatal(err)
	}
	return page.Items
}

// auditEvents returns the audit trail's events of one action (every action when empty).
func (h *harness) auditEvents(action string) []audit.Event {
	h.t.Helper()
	page, err := h.store.QueryAudit(context.Background(), store.AuditQuery{Action: action, From: h.clock.Now().Add(-24 * time.Hour),
		To: h.clock.Now().Add(24 * time.Hour), Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	return page.Items
}

// addTask stores an open task of the activation with a token the workflow waits on.
func (h *harness) addTask(task domain.ApprovalTask, token string) domain.ApprovalTask {
	h.t.Helper()
	now := h.clock.Now()
	if task.Deadline.IsZero() {
		task.Deadline = now.Add(24 * time.Hour)
	}
	if a, err := h.store.GetActivation(context.Background(), task.ActivationID); err == nil {
		task.RequestedBy = a.RequestedBy
		task.Office = a.Office
		task.Summary = domain.TaskSummary{Country: a.Country, DutyStation: a.DutyStation, CrisisType: a.CrisisType, Amount: a.Amount}
		if task.Priority == 0 {
			task.Priority = a.Priority
		}
	}
	stored, err := h.store.CreateTask(context.Background(), task, token)
	if err != nil {
		h.t.Fatalf("create task: %v", err)
	}
	h.workflow.mu.Lock()
	h.workflow.tokens[token] = true
	h.workflow.mu.Unlock()
	return stored
}

var (
	keyOnce   sync.Once
	sharedKey *rsa.PrivateKey
	keyErr    error
)

// issuerKey is one RSA key for every test of the package: making a 2048-bit key takes a while.
func issuerKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() { sharedKey, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	return sharedKey
}

type lockedWriter struct{ buffer *bytes.Buffer }

var logMu sync.Mutex

func (w lockedWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return w.buffer.Write(p)
}

func (h *harness) newID() string {
	h.idMu.Lock()
	defer h.idMu.Unlock()
	h.ids++
	return fmt.Sprintf("act-test%04d", h.ids)
}

func (h *harness) token(user string) string {
	h.t.Helper()
	u, ok := demoUsers[user]
	if !ok {
		h.t.Fatalf("no demo user %s", user)
	}
	u.Subject = user
	token, err := h.issuer.Mint(u, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return token
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T, into any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, into); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r response) problem(t *testing.T) api.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json; body %s", ct, r.Body)
	}
	var p api.Problem
	r.json(t, &p)
	return p
}

// do sends a request as user ("" for none) with a JSON body (a string is sent as it is).
func (h *harness) do(user, method, path string, body any, headers ...string) response {
	h.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.http.URL+path, reader)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+h.token(user))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := h.http.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// request returns a valid activation request body for a duty station.
func request(country, station string, amount int64) map[string]any {
	return map[string]any{
		"country": country, "dutyStation": station, "crisisType": "natural_disaster", "phase": "response",
		"peopleAffected": map[string]any{"women": 52000, "men": 48000, "girls": 31000, "boys": 30000},
		"targetGroups":   []string{"women", "youth", "persons_with_disabilities"},
		"amount":         map[string]any{"value": amount, "currency": "USD"},
		"purpose":        "Employment-intensive rubble removal and skills assessment",
		"profiles": []map[string]any{
			{"area": "employment_intensive_investment", "languages": []string{"fr"}, "startDate": "2026-12-01", "days": 45},
			{"area": "needs_assessment", "languages": []string{"fr", "en"}, "startDate": "2026-12-01", "days": 30},
		},
		"demandReference": "Request of the Ministry of Social Affairs and Labour, ref. 2026/114",
		"justification":   "Hurricane landfall; 160,000 people affected in the western department.",
	}
}
