// Package tests holds the end-to-end tests: each starts the whole system (internal/localstack)
// on DynamoDB Local with its own tables, the embedded engine in memory and a fake clock, and
// talks to it only through HTTP with tokens of the local issuer.
package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/localstack"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
)

// waitLimit bounds every wait on the wall clock.
const waitLimit = 60 * time.Second

type harness struct {
	tb     testing.TB
	sys    *localstack.System
	clock  *clock.Fake
	client *http.Client
	// faults counts the functions' invocations and fails those a test plans to.
	faults *faults
}

func start(tb testing.TB) *harness {
	tb.Helper()
	return startLogging(tb, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startLogging starts the system with its log going to logger.
func startLogging(tb testing.TB, logger *slog.Logger) *harness {
	tb.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	fake := clock.NewFake(time.Now().UTC().Truncate(time.Millisecond))
	injected := newFaults()
	sys, err := localstack.Start(context.Background(), localstack.Options{
		DynamoDBEndpoint: dynamolocal.TestEndpoint(tb), TablePrefix: "e" + hex.EncodeToString(b) + "-",
		Addr: "127.0.0.1:0", Clock: fake, MemoryJournal: true, NoSync: true,
		Logger:       logger,
		WrapFunction: injected.wrap,
	})
	if err != nil {
		tb.Fatalf("start the system: %v", err)
	}
	tb.Cleanup(func() {
		if err := sys.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	addPeople(tb, sys)
	return &harness{tb: tb, sys: sys, clock: fake, client: &http.Client{Timeout: 30 * time.Second}, faults: injected}
}

// token asks the local issuer for a demo user's token over HTTP, as `fasttrack token` does.
func (h *harness) token(user string) string {
	h.tb.Helper()
	status, body := h.call(http.MethodPost, "/local/token", "", auth.TokenRequest{Username: user}, nil)
	if status != http.StatusOK {
		h.tb.Fatalf("token for %s: %d %s", user, status, body)
	}
	var answer auth.TokenResponse
	if err := json.Unmarshal(body, &answer); err != nil {
		h.tb.Fatal(err)
	}
	return answer.Token
}

// call sends a request with a bearer token (none when token is "") and returns the answer.
func (h *harness) call(method, path, token string, body any, headers map[string]string) (int, []byte) {
	h.tb.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			h.tb.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.sys.APIURL+path, reader)
	if err != nil {
		h.tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// as calls the API as a demo user.
func (h *harness) as(user, method, path string, body any) (int, []byte) {
	h.tb.Helper()
	return h.call(method, path, h.token(user), body, nil)
}

func decode[T any](tb testing.TB, data []byte) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatalf("decode %s: %v", data, err)
	}
	return v
}

// request is a valid request for a duty station, one profile a month ahead.
func (h *harness) request(country, station string, amountCents int64, profiles ...domain.Profile) domain.ActivationRequest {
	if len(profiles) == 0 {
		profiles = []domain.Profile{{Area: "skills_training", Languages: []string{"en"}, StartDate: h.day(30), Days: 30}}
	}
	return domain.ActivationRequest{
		Country: country, DutyStation: station, CrisisType: domain.NaturalDisaster, Phase: domain.Response,
		PeopleAffected: domain.PeopleAffected{Women: 5200, Men: 4800, Girls: 3100, Boys: 3000},
		TargetGroups:   []domain.TargetGroup{domain.Women, domain.Youth}, Amount: domain.USD(amountCents),
		Purpose: "Employment-intensive rubble removal", Profiles: profiles,
		DemandReference: "Request of the Ministry of Labour, ref. 2026/114", Justification: "Hurricane landfall.",
	}
}

// day is the date days after the clock's today.
func (h *harness) day(days int) domain.Date { return domain.DateOf(h.clock.Now().AddDate(0, 0, days)) }

// create posts the request as the user and returns the activation.
func (h *harness) create(user string, req domain.ActivationRequest) domain.Activation {
	h.tb.Helper()
	status, body := h.as(user, http.MethodPost, "/activations", req)
	if status != http.StatusCreated {
		h.tb.Fatalf("POST /activations as %s: %d %s", user, status, body)
	}
	return decode[domain.Activation](h.tb, body)
}

func (h *harness) activation(user, id string) domain.Activation {
	h.tb.Helper()
	status, body := h.as(user, http.MethodGet, "/activations/"+id, nil)
	if status != http.StatusOK {
		h.tb.Fatalf("GET /activations/%s as %s: %d %s", id, user, status, body)
	}
	return decode[domain.Activation](h.tb, body)
}

// nudge fires the engine's short timers (retry intervals, at most ten minutes away) so that a
// retried step is not left waiting on a clock that only tests move; deadlines are hours away
// and stay untouched.
func (h *harness) nudge() {
	for _, due := range h.clock.Pending() {
		if due.Sub(h.clock.Now()) <= 10*time.Minute {
			h.clock.Set(due)
			return
		}
	}
}

// eventually polls check until it holds or the wall-clock limit passes.
func (h *harness) eventually(what string, check func() bool) {
	h.tb.Helper()
	deadline := time.Now().Add(waitLimit)
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	for !check() {
		if time.Now().After(deadline) {
			h.tb.Fatalf("timed out waiting for %s", what)
		}
		h.nudge()
		<-ticker.C
	}
}

// waitStatus waits until the activation is in one of the statuses.
func (h *harness) waitStatus(user, id string, statuses ...domain.Status) domain.Activation {
	h.tb.Helper()
	var a domain.Activation
	h.eventually(fmt.Sprintf("activation %s to be %v", id, statuses), func() bool {
		a = h.activation(user, id)
		for _, s := range statuses {
			if a.Status == s {
				return true
			}
		}
		return false
	})
	return a
}

// openTasks returns the open tasks of the activation in the user's inbox.
func (h *harness) openTasks(user, activationID string) []api.TaskView {
	h.tb.Helper()
	status, body := h.as(user, http.MethodGet, "/tasks?status=OPEN&limit=100", nil)
	if status != http.StatusOK {
		h.tb.Fatalf("GET /tasks as %s: %d %s", user, status, body)
	}
	var out []api.TaskView
	for _, t := range decode[api.TaskList](h.tb, body).Items {
		if t.ActivationID == activationID {
			out = append(out, t)
		}
	}
	return out
}

// waitTask waits for an open task of the kind in the user's inbox.
func (h *harness) waitTask(user, activationID string, kind domain.TaskKind) api.TaskView {
	h.tb.Helper()
	var found api.TaskView
	h.eventually(fmt.Sprintf("a %s task for %s", kind, user), func() bool {
		for _, t := range h.openTasks(user, activationID) {
			if t.Kind == kind {
				found = t
				return true
			}
		}
		return false
	})
	return found
}

func (h *harness) decide(user, taskID string, outcome domain.Outcome, comment string) (int, []byte) {
	h.tb.Helper()
	return h.as(user, http.MethodPost, "/tasks/"+taskID+"/decision", api.DecisionRequest{Decision: outcome, Comment: comment})
}

func (h *harness) mustDecide(user, taskID string, outcome domain.Outcome, comment string) {
	h.tb.Helper()
	if status, body := h.decide(user, taskID, outcome, comment); status != http.StatusOK {
		h.tb.Fatalf("%s deciding %s: %d %s", user, taskID, status, body)
	}
}

// fund is the USD balance as an auditor reads it.
func (h *harness) fund() domain.FundBalance {
	h.tb.Helper()
	status, body := h.as("auditor-1", http.MethodGet, "/fund", nil)
	if status != http.StatusOK {
		h.tb.Fatalf("GET /fund: %d %s", status, body)
	}
	for _, b := range decode[api.FundView](h.tb, body).Balances {
		if b.Currency == "USD" {
			return b
		}
	}
	h.tb.Fatalf("no USD balance in %s", body)
	return domain.FundBalance{}
}

// activeBookings is each expert's count of bookings that hold days, as an auditor reads it.
func (h *harness) activeBookings() map[string]int {
	h.tb.Helper()
	var all []domain.Expert
	cursor := ""
	for range 20 {
		status, body := h.as("auditor-1", http.MethodGet, "/experts?limit=100&cursor="+cursor, nil)
		if status != http.StatusOK {
			h.tb.Fatalf("GET /experts: %d %s", status, body)
		}
		page := decode[api.ExpertList](h.tb, body)
		all = append(all, page.Items...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	list := api.ExpertList{Items: all}
	if len(list.Items) < 30 {
		h.tb.Fatalf("the roster lists %d experts", len(list.Items))
	}
	out := map[string]int{}
	for _, e := range list.Items {
		out[e.ID] = e.ActiveBookings
	}
	return out
}

// assertRestored checks that the fund and the roster are as they were before.
func (h *harness) assertRestored(fundBefore domain.FundBalance, bookingsBefore map[string]int) {
	h.tb.Helper()
	after := h.fund()
	if after.Available != fundBefore.Available || after.Reserved != fundBefore.Reserved || after.Released != fundBefore.Released {
		h.tb.Fatalf("fund not restored: %+v, before %+v", after, fundBefore)
	}
	for expert, n := range h.activeBookings() {
		if n != bookingsBefore[expert] {
			h.tb.Fatalf("expert %s holds %d bookings, %d before", expert, n, bookingsBefore[expert])
		}
	}
}

func contains(s, part string) bool { return strings.Contains(s, part) }
