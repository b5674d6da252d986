package api_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
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

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/auth"
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
	store    *memoryStore
	workflow *memoryWorkflow
	clock    *clock
	issuer   *auth.Issuer
	logs     *bytes.Buffer
	ids      int
	idMu     sync.Mutex
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, store: newMemoryStore(), workflow: newMemoryWorkflow(), clock: &clock{now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}, logs: &bytes.Buffer{}}
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
	deps := api.Dependencies{Activations: h.store, Idempotency: h.store, Tasks: h.store, Fund: h.store, Roster: h.store,
		Audit: h.store, Reference: h.store, Workflow: h.workflow}
	h.server, err = api.New(deps, verifier, api.Options{StateMachineARN: stateMachineARN, Now: h.clock.Now,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{buffer: h.logs}, nil)), NewID: h.newID})
	if err != nil {
		t.Fatal(err)
	}
	h.http = httptest.NewServer(h.server)
	t.Cleanup(h.http.Close)
	return h
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
	u.Subject = "sub-" + user
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
