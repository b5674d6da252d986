package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/localstack"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
)

// localSystem starts the whole system (internal/localstack, as `fasttrack local` runs it) on
// DynamoDB Local with its own tables, the embedded engine in memory and a fake clock, for the
// client commands to talk to.
func localSystem(t *testing.T) *localstack.System {
	t.Helper()
	prefix := make([]byte, 5)
	_, _ = rand.Read(prefix)
	sys, err := localstack.Start(context.Background(), localstack.Options{
		DynamoDBEndpoint: dynamolocal.TestEndpoint(t), TablePrefix: "cli" + hex.EncodeToString(prefix) + "-",
		Addr: "127.0.0.1:0", Clock: clock.NewFake(time.Now().UTC().Truncate(time.Millisecond)), MemoryJournal: true, NoSync: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("start the system: %v", err)
	}
	t.Cleanup(func() { _ = sys.Close() })
	return sys
}

// run runs the CLI with args and returns what it printed and its error.
func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := execute(context.Background(), root)
	return out.String(), err
}

func isolateConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	t.Setenv(envAPI, "")
	t.Setenv(envToken, "")
	return dir
}

func requestJSON(t *testing.T, station, country string) string {
	t.Helper()
	start := domain.DateOf(timeNowPlusDays(30))
	body := map[string]any{
		"country": country, "dutyStation": station, "crisisType": "natural_disaster", "phase": "response",
		"peopleAffected": map[string]int{"women": 100, "men": 100, "girls": 50, "boys": 50},
		"targetGroups":   []string{"women"}, "amount": map[string]any{"value": 1_000_000, "currency": "USD"},
		"purpose": "Rubble removal", "demandReference": "Ministry ref. 2026/1", "justification": "Floods",
		"profiles": []map[string]any{{"area": "needs_assessment", "languages": []string{"en"}, "startDate": start, "days": 10}},
	}
	data, _ := json.Marshal(body)
	return string(data)
}

func TestClientCommandsAgainstTheLocalAPI(t *testing.T) {
	server := localSystem(t)
	dir := isolateConfig(t)

	// token prints a token that works for the API.
	token, err := run(t, "", "token", "office-ke", "--api", server.APIURL)
	if err != nil || strings.Count(strings.TrimSpace(token), ".") != 2 {
		t.Fatalf("token: %q %v", token, err)
	}
	if _, err := run(t, "", "token", "nobody", "--api", server.APIURL); err == nil || !strings.Contains(err.Error(), "no demo user") {
		t.Fatalf("token of an unknown user: %v", err)
	}

	// login saves the API and the token (0600); later commands need neither flag.
	out, err := run(t, "", "login", "office-ke", "--api", server.APIURL)
	if err != nil || !strings.Contains(out, "signed in as office-ke (country-office, office KE)") {
		t.Fatalf("login: %q %v", out, err)
	}
	info, err := os.Stat(filepath.Join(dir, "fasttrack", "credentials.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", info, err)
	}

	file := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(file, []byte(requestJSON(t, "Mombasa", "KE")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "", "activate", "-f", file)
	if err != nil || !strings.Contains(out, "requested: status REQUESTED") {
		t.Fatalf("activate: %q %v", out, err)
	}
	id := strings.Fields(out)[1]

	// The same request again with a fixed key is a replay.
	for range 2 {
		out, err = run(t, "", "activate", "-f", file, "--idempotency-key", "same")
	}
	if err != nil || !strings.Contains(out, "already requested") {
		t.Fatalf("replay: %q %v", out, err)
	}

	out, err = run(t, "", "activations")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "Mombasa") || !strings.HasPrefix(out, "ID") {
		t.Fatalf("activations: %q %v", out, err)
	}
	out, err = run(t, "", "activations", "show", id, "--json")
	var shown domain.Activation
	if err != nil || json.Unmarshal([]byte(out), &shown) != nil || shown.ID != id || shown.Office != "KE" {
		t.Fatalf("show --json: %q %v", out, err)
	}

	// Bad input: the API's field errors are printed, each with its field.
	bad := strings.Replace(requestJSON(t, "Atlantis", "KE"), `"value":1000000`, `"value":-5`, 1)
	_, err = run(t, bad, "activate", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "dutyStation: ") || !strings.Contains(err.Error(), "amount.value: ") || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("bad request: %v", err)
	}

	// Another office cannot see it; an auditor can, and cannot cancel it.
	htToken, _ := run(t, "", "token", "office-ht", "--api", server.APIURL)
	if _, err := run(t, "", "activations", "show", id, "--token", strings.TrimSpace(htToken)); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("cross-office show: %v", err)
	}
	auditorToken, _ := run(t, "", "token", "auditor-1", "--api", server.APIURL)
	t.Setenv(envToken, strings.TrimSpace(auditorToken))
	if _, err := run(t, "", "activations", "cancel", id); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("auditor cancel: %v", err)
	}
	out, err = run(t, "", "audit", "search", "--activation", id)
	if err != nil || !strings.Contains(out, "activation.requested") || !strings.Contains(out, "office-ke") {
		t.Fatalf("audit search: %q %v", out, err)
	}
	out, err = run(t, "", "audit", "export", "--format", "csv", "--activation", id)
	if err != nil || !strings.HasPrefix(out, "time,stream,seq") {
		t.Fatalf("audit export: %q %v", out, err)
	}
	out, err = run(t, "", "fund")
	if err != nil || !strings.Contains(out, "2,000,000.00 USD") {
		t.Fatalf("fund: %q %v", out, err)
	}
	out, err = run(t, "", "history", id)
	if err != nil || !strings.Contains(out, "activation.requested") {
		t.Fatalf("history: %q %v", out, err)
	}

	// The office cancels its own.
	t.Setenv(envToken, "")
	out, err = run(t, "", "activations", "cancel", id, "--reason", "floods receded")
	if err != nil || !strings.Contains(out, "cancellation of "+id+" accepted") {
		t.Fatalf("cancel: %q %v", out, err)
	}

	// The workflow compensates the cancelled one; the other waits for its security approval with
	// its money reserved.
	settled := func() bool {
		out, err := run(t, "", "activations", "--json")
		var list api.ActivationList
		if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list.Items) != 2 {
			t.Fatalf("activations --json: %q %v", out, err)
		}
		for _, a := range list.Items {
			want := domain.StatusAwaitingApproval
			if a.ID == id {
				want = domain.StatusCancelled
			}
			if a.Status != want {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(30 * time.Second)
	for tick := time.NewTicker(5 * time.Millisecond); !settled(); <-tick.C {
		if time.Now().After(deadline) {
			t.Fatal("the activations did not settle")
		}
	}

	// An admin's contribution, in major units converted exactly.
	adminToken, _ := run(t, "", "token", "admin-1", "--api", server.APIURL)
	out, err = run(t, "", "fund", "contribute", "--amount", "2500.50", "--donor", "Norway", "--token", strings.TrimSpace(adminToken))
	if err != nil || !strings.Contains(out, "contributed 2,500.50 USD; available now 1,992,500.50 USD") {
		t.Fatalf("contribute: %q %v", out, err)
	}
	if _, err := run(t, "", "tasks"); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("office tasks: %v", err)
	}
	if _, err := run(t, "", "decide", "task-1", "maybe"); err == nil || !strings.Contains(err.Error(), "approve or reject") {
		t.Fatalf("decide maybe: %v", err)
	}
}

func TestClientWithoutTokenOrAPI(t *testing.T) {
	isolateConfig(t)
	if _, err := run(t, "", "activations"); err == nil || !strings.Contains(err.Error(), "fasttrack login") {
		t.Fatalf("no token: %v", err)
	}
	if _, err := run(t, "", "activations", "--api", "ftp://x", "--token", "t"); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
		t.Fatalf("bad API URL: %v", err)
	}
	out, err := run(t, "", "config", "set", "api", "http://127.0.0.1:1")
	if err != nil || !strings.Contains(out, "saved api") {
		t.Fatalf("config set: %q %v", out, err)
	}
	if _, err := run(t, "", "activations", "--token", "t"); err == nil || !strings.Contains(err.Error(), "cannot reach the API at http://127.0.0.1:1") {
		t.Fatalf("unreachable API: %v", err)
	}
}

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		text, currency string
		want           int64
		ok             bool
	}{
		{"250000.00", "USD", 25_000_000, true}, {"0.01", "USD", 1, true}, {"12", "USD", 1200, true},
		{"1000", "JPY", 1000, true}, {"1.5", "JPY", 0, false}, {"1.234", "USD", 0, false}, {"-5", "USD", 0, false},
		{"1e6", "USD", 0, false}, {"", "USD", 0, false}, {"0", "USD", 0, false}, {"99999999999999999999", "USD", 0, false},
	} {
		got, err := parseAmount(tc.text, tc.currency)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAmount(%q, %s) = %d, %v", tc.text, tc.currency, got, err)
		}
	}
}

func timeNowPlusDays(days int) time.Time { return time.Now().AddDate(0, 0, days) }
