package console_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/console"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/localstack"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/seed"
	"github.com/fasttrack/fasttrack/shared/store"
)

// stack is the system as `fasttrack local` runs it (internal/localstack), on one origin, with
// the console under /console/: the real API over the real store in DynamoDB Local (fresh tables,
// the demo seed), the embedded engine running workflows/fasttrack.asl.json with every workflow
// function behind its local Lambda dispatcher, and the local token endpoint.
type stack struct {
	t      *testing.T
	url    string
	store  *store.Store
	issuer *auth.Issuer
	logs   *lockedWriter
	// system is the running whole, for tests that reach under the API (a tampered audit item).
	system *localstack.System
}

// newStack starts the system with its own tables; it stops with the test.
func newStack(t *testing.T) *stack {
	t.Helper()
	return newStackWith(t, nil)
}

// newStackWith starts the system with the options configure changes (a clock, a function
// wrapper), after the ones every browser test uses.
func newStackWith(t *testing.T, configure func(*localstack.Options)) *stack {
	t.Helper()
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	logs := &lockedWriter{buffer: &bytes.Buffer{}}
	options := localstack.Options{
		DynamoDBEndpoint: dynamolocal.TestEndpoint(t),
		TablePrefix:      "console-" + hex.EncodeToString(suffix) + "-",
		Addr:             "127.0.0.1:0",
		MemoryJournal:    true,
		Logger:           slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Console: func(*localstack.System) (http.Handler, error) {
			return console.Handler(), nil
		},
	}
	if configure != nil {
		configure(&options)
	}
	system, err := localstack.Start(context.Background(), options)
	if err != nil {
		t.Fatalf("start the system: %v", err)
	}
	t.Cleanup(func() {
		if err := system.Close(); err != nil {
			t.Errorf("close the system: %v", err)
		}
		if t.Failed() {
			t.Logf("system log:\n%s", logs.String())
		}
	})
	return &stack{t: t, url: system.APIURL, store: system.Store, issuer: system.Issuer, logs: logs, system: system}
}

type lockedWriter struct {
	mu     sync.Mutex
	buffer *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buffer.Write(p)
}

// token mints a token for a demo user, as the local token endpoint does.
func (s *stack) token(username string) string {
	s.t.Helper()
	for _, account := range seed.DemoUsers() {
		if account.ID == username {
			token, err := s.issuer.Mint(auth.FromAccount(account), time.Hour)
			if err != nil {
				s.t.Fatal(err)
			}
			return token
		}
	}
	s.t.Fatalf("no demo user %s", username)
	return ""
}

// call sends one API request as a demo user and decodes the JSON answer into out.
func (s *stack) call(username, method, path string, body any, out any) int {
	s.t.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.url+path, reader)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token(username))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	if resp.StatusCode >= 300 {
		s.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// request returns a valid activation request for a duty station, starting in two weeks.
func request(country, station string, cents int64) map[string]any {
	start := time.Now().AddDate(0, 0, 14).Format("2006-01-02")
	return map[string]any{
		"country": country, "dutyStation": station, "crisisType": "natural_disaster", "phase": "response",
		"peopleAffected":  map[string]any{"women": 5200, "men": 4800, "girls": 3100, "boys": 3000},
		"targetGroups":    []string{"women", "youth"},
		"amount":          map[string]any{"value": cents, "currency": "USD"},
		"purpose":         "Employment-intensive debris clearance",
		"profiles":        []map[string]any{{"area": "needs_assessment", "languages": []string{"en"}, "startDate": start, "days": 30}},
		"demandReference": "Request of the Ministry of Labour, ref. 2026/77",
		"justification":   "Floods displaced thousands of households along the coast.",
	}
}

// requestActivation asks for an activation through the API and waits until the workflow has
// brought it to status.
func (s *stack) requestActivation(username string, body map[string]any, status domain.Status) domain.Activation {
	s.t.Helper()
	var created domain.Activation
	if code := s.call(username, http.MethodPost, "/activations", body, &created); code != http.StatusCreated {
		s.t.Fatalf("POST /activations: %d", code)
	}
	return s.awaitStatus(created.ID, status)
}

// awaitStatus polls the store until the activation has status (or the deadline passes).
func (s *stack) awaitStatus(id string, status domain.Status) domain.Activation {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, err := s.store.GetActivation(context.Background(), id)
		if err == nil && a.Status == status {
			return a
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("activation %s is %s (err %v), want %s", id, a.Status, err, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buffer.String()
}
