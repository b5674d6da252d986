package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/localstack"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
)

// TransientError is how a throttled table looks to the workflow (the Lambda runtime names an
// error after its type, and every Task of the workflow retries "TransientError").
type TransientError struct {
	Message string `json:"message"`
}

func (e *TransientError) Error() string { return e.Message }

// failingReservations stands between the local Lambda dispatcher and the funds function and
// fails its next n reservations, so that a workflow stops at ReserveFunds for an admin to
// redrive. Everything else is the real system.
type failingReservations struct {
	mu sync.Mutex
	n  int
}

func (f *failingReservations) wrap(name string, handler any) any {
	if name != "funds" {
		return handler
	}
	var pool sync.Pool
	pool.New = func() any { return lambda.NewHandler(handler) }
	return lambdaFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		var call struct {
			State string `json:"state"`
		}
		_ = json.Unmarshal(payload, &call)
		f.mu.Lock()
		fail := call.State == "ReserveFunds" && f.n > 0
		if fail {
			f.n--
		}
		f.mu.Unlock()
		if fail {
			return nil, &TransientError{Message: "funds: the table throttled the request (injected fault)"}
		}
		// A handler reuses its output buffer: each call takes its own and copies the answer.
		h := pool.Get().(lambda.Handler)
		out, err := h.Invoke(ctx, payload)
		result := append([]byte(nil), out...)
		pool.Put(h)
		return result, err
	})
}

// lambdaFunc is a function that is a lambda.Handler.
type lambdaFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke calls the function.
func (f lambdaFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

var _ lambda.Handler = lambdaFunc(nil)

// clockedSystem is localSystem with its fake clock at hand, and optionally a function wrapper.
func clockedSystem(t *testing.T, wrap func(string, any) any) (*localstack.System, *clock.Fake) {
	t.Helper()
	prefix := make([]byte, 5)
	_, _ = rand.Read(prefix)
	fake := clock.NewFake(time.Now().UTC().Truncate(time.Millisecond))
	sys, err := localstack.Start(context.Background(), localstack.Options{
		DynamoDBEndpoint: dynamolocal.TestEndpoint(t), TablePrefix: "cla" + hex.EncodeToString(prefix) + "-",
		Addr: "127.0.0.1:0", Clock: fake, MemoryJournal: true, NoSync: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), WrapFunction: wrap,
	})
	if err != nil {
		t.Fatalf("start the system: %v", err)
	}
	t.Cleanup(func() { _ = sys.Close() })
	return sys, fake
}

// mustRun runs the CLI and fails the test on an error or when the output lacks a part.
func mustRun(t *testing.T, parts []string, args ...string) string {
	t.Helper()
	out, err := run(t, "", args...)
	if err != nil {
		t.Fatalf("fasttrack %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, part := range parts {
		if !strings.Contains(out, part) {
			t.Fatalf("fasttrack %s: no %q in\n%s", strings.Join(args, " "), part, out)
		}
	}
	return out
}

// mustFail runs the CLI and expects an error that holds every part.
func mustFail(t *testing.T, parts []string, args ...string) {
	t.Helper()
	out, err := run(t, "", args...)
	if err == nil {
		t.Fatalf("fasttrack %s succeeded:\n%s", strings.Join(args, " "), out)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Fatalf("fasttrack %s: no %q in the error %q", strings.Join(args, " "), part, err)
		}
	}
}

// openTask waits for the activation's open task in the user's inbox and returns its id.
func openTask(t *testing.T, apiURL, user, activationID string) string {
	t.Helper()
	as(t, apiURL, user)
	var id string
	eventually(t, "the task of "+activationID, func() bool {
		var list api.TaskList
		out := mustRun(t, nil, "tasks", "--status", "OPEN", "--json")
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatalf("tasks --json: %v", err)
		}
		for _, task := range list.Items {
			if task.ActivationID == activationID {
				id = task.ID
				return true
			}
		}
		return false
	})
	return id
}

func TestDelegationCommands(t *testing.T) {
	sys, fake := clockedSystem(t, nil)
	isolateConfig(t)
	t.Setenv(envAPI, sys.APIURL)
	// A security officer beyond the demo accounts, known to the API's directory.
	if err := sys.Store.PutAccount(t.Context(), domain.Account{ID: "security-3", Roles: []domain.Role{domain.RoleSecurity}, Office: "HQ"}); err != nil {
		t.Fatal(err)
	}
	start := fake.Now()
	stamp := func(d time.Duration) string { return start.Add(d).Format(time.RFC3339Nano) }

	as(t, sys.APIURL, "security-1")
	out := mustRun(t, []string{"'s security tasks to security-3", "(active)"},
		"delegate", "--to", "security-3", "--role", "security", "--from", stamp(0), "--until", stamp(48*time.Hour), "--reason", "annual leave")
	id := strings.TrimSuffix(strings.Fields(out)[1], ":")
	if !strings.HasPrefix(id, "dlg-") {
		t.Fatalf("delegation id %q in %q", id, out)
	}
	// Refusals and bad input: a role not held (403), a delegation to oneself (400, by field),
	// a date that is not one, a missing flag.
	mustFail(t, []string{"HTTP 403", "finance"}, "delegate", "--to", "finance-2", "--role", "finance", "--until", stamp(time.Hour))
	mustFail(t, []string{"HTTP 400", "--to: must be someone else"}, "delegate", "--to", "security-1", "--role", "security", "--until", stamp(time.Hour))
	mustFail(t, []string{"HTTP 400", "--to: hr-1 does not hold the security role"}, "delegate", "--to", "hr-1", "--role", "security", "--until", stamp(time.Hour))
	mustFail(t, []string{"--until", "is not a date"}, "delegate", "--to", "security-3", "--role", "security", "--until", "next week")
	mustFail(t, []string{"required flag", "until"}, "delegate", "--to", "security-3", "--role", "security")

	// The delegator lists it; the JSON form is the API's list.
	mustRun(t, []string{"ID", "STATUS", id, "active", "security-3", "annual leave"}, "delegations")
	out = mustRun(t, nil, "delegations", "list", "--active", "--json")
	var list api.DelegationList
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Items) != 1 || list.Items[0].ID != id || !list.Items[0].Active {
		t.Fatalf("delegations --json: %v %s", err, out)
	}
	as(t, sys.APIURL, "auditor-1")
	mustRun(t, []string{id}, "delegations", "--delegator", "security-1", "--role", "security")
	mustFail(t, []string{"HTTP 400", "--role: must be one of"}, "delegations", "--role", "janitor")
	mustFail(t, []string{"HTTP 403"}, "delegations", "revoke", id)
	as(t, sys.APIURL, "office-ke")
	mustFail(t, []string{"HTTP 403"}, "delegations")

	// The delegator ends it; a second end is a conflict.
	fake.Advance(time.Hour)
	as(t, sys.APIURL, "security-1")
	mustRun(t, []string{"delegation " + id + " revoked by security-1", "security-3 no longer decides security-1's security tasks"},
		"delegations", "revoke", id, "--reason", "back early")
	mustFail(t, []string{"HTTP 409", "already revoked"}, "delegations", "revoke", id)
	mustRun(t, []string{id, "revoked"}, "delegations")
	if out := mustRun(t, nil, "delegations", "--active"); strings.Contains(out, id) {
		t.Fatalf("a revoked delegation listed as active:\n%s", out)
	}
	mustFail(t, []string{"HTTP 404"}, "delegations", "revoke", "dlg-none")
}

func TestAdministratorCommands(t *testing.T) {
	sys, _ := clockedSystem(t, nil)
	isolateConfig(t)
	t.Setenv(envAPI, sys.APIURL)
	dir := t.TempDir()

	// A request that waits for security: an admin gives its task to security-1.
	as(t, sys.APIURL, "office-ke")
	file := filepath.Join(dir, "request.json")
	if err := os.WriteFile(file, []byte(requestJSON(t, "Mombasa", "KE")), 0o600); err != nil {
		t.Fatal(err)
	}
	activation := strings.Fields(mustRun(t, []string{"requested"}, "activate", "-f", file))[1]
	task := openTask(t, sys.APIURL, "security-1", activation)
	mustFail(t, []string{"HTTP 403"}, "tasks", "reassign", task, "--to", "security-3", "--comment", "mine now")
	as(t, sys.APIURL, "admin-1")
	mustRun(t, []string{"task " + task, "assigned to security-1"}, "tasks", "reassign", task, "--to", "security-1", "--comment", "knows the port")
	mustFail(t, []string{"required flag", "comment"}, "tasks", "reassign", task, "--to", "security-1")
	mustFail(t, []string{"HTTP 400", "--to: "}, "tasks", "reassign", task, "--to", "not a user", "--comment", "x")
	mustFail(t, []string{"HTTP 404"}, "tasks", "reassign", "no-such-task", "--to", "security-1", "--comment", "x")

	// A workflow that waits for a person has nothing to redrive.
	mustFail(t, []string{"HTTP 409", "only a stopped execution"}, "activations", "redrive", activation)

	// Metrics: a table for people, the API's JSON with --json.
	as(t, sys.APIURL, "auditor-1")
	mustRun(t, []string{"Activations", "1", "AWAITING_APPROVAL 1", "Approvals within deadline", "Open tasks past deadline"}, "metrics")
	var metrics api.Metrics
	if out := mustRun(t, nil, "metrics", "--json", "--from", "2026-01-01"); json.Unmarshal([]byte(out), &metrics) != nil || metrics.Activations.Total != 1 {
		t.Fatalf("metrics --json: %s", out)
	}
	mustFail(t, []string{"--from", "is not a date"}, "metrics", "--from", "yesterday")
	as(t, sys.APIURL, "office-ke")
	mustFail(t, []string{"HTTP 403"}, "metrics")

	// Experts: hr lists them; an auditor may not add one; an admin adds one, changes them, gives
	// them a policy.
	as(t, sys.APIURL, "hr-1")
	mustRun(t, []string{"ID", "NAME", "EMPLOYMENT", "more: --cursor"}, "experts", "--limit", "5")
	expert := filepath.Join(dir, "expert.json")
	if err := os.WriteFile(expert, []byte(`{"name":"A. Odhiambo","employment":"consultant","areas":["gender"],"languages":["en","sw"],`+
		`"training":{"level":"basic","expires":"2030-06-30"},"homeOffice":"KE"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// Auditors read the roster and change nothing.
	as(t, sys.APIURL, "auditor-1")
	mustFail(t, []string{"HTTP 403"}, "experts", "set", "exp-cli-1", "--file", expert)
	as(t, sys.APIURL, "admin-1")
	mustRun(t, []string{"expert exp-cli-1 (A. Odhiambo, consultant) added"}, "experts", "set", "exp-cli-1", "--file", expert)
	mustRun(t, []string{"expert exp-cli-1 (A. Odhiambo, consultant) changed"}, "experts", "set", "exp-cli-1", "-f", expert)
	mustRun(t, []string{"exp-cli-1", "A. Odhiambo", "gender", "en,sw"}, "experts", "list", "--area", "gender", "--language", "sw")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name":"","employment":"volunteer","areas":[],"languages":["english"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mustFail(t, []string{"HTTP 400", "name: is required", "employment: ", "languages[0]: "}, "experts", "set", "exp-cli-2", "--file", bad)
	mustFail(t, []string{"--file expert.json is required"}, "experts", "set", "exp-cli-2")
	as(t, sys.APIURL, "hr-1")
	if out := mustRun(t, nil, "experts", "--area", "gender", "--limit", "100"); strings.Contains(out, "exp-cli-2") {
		t.Fatalf("a refused expert was added:\n%s", out)
	}

	as(t, sys.APIURL, "admin-1")
	mustRun(t, []string{"policy med-1 of expert exp-cli-1 added: medical cover from 2026-01-01 to 2030-12-31"},
		"experts", "policy", "exp-cli-1", "med-1", "--kind", "medical", "--insurer", "Allianz Care", "--valid-from", "2026-01-01", "--valid-to", "2030-12-31")
	policy := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(policy, []byte(`{"kind":"medical","insurer":"Allianz Care","validFrom":"2026-01-01","validTo":"2031-12-31"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, []string{"policy med-1 of expert exp-cli-1 replaced: medical cover from 2026-01-01 to 2031-12-31"},
		"experts", "policy", "exp-cli-1", "med-1", "--file", policy)
	mustFail(t, []string{"HTTP 400", "--kind: must be medical"}, "experts", "policy", "exp-cli-1", "den-1", "--kind", "dental", "--valid-from", "2026-01-01", "--valid-to", "2026-12-31")
	mustFail(t, []string{"HTTP 404"}, "experts", "policy", "exp-none", "med-1", "--kind", "medical", "--valid-from", "2026-01-01", "--valid-to", "2026-12-31")
	mustFail(t, []string{"either with --file"}, "experts", "policy", "exp-cli-1", "med-1", "--file", policy, "--kind", "medical")

	// --create never replaces an expert: a taken id fails and changes nothing.
	mustFail(t, []string{"HTTP 412", "id: is taken by an existing expert"}, "experts", "set", "exp-cli-1", "--create", "--file", other(t, dir, expert))
	mustRun(t, []string{"expert exp-cli-3 (A. Odhiambo, consultant) added, version 0"}, "experts", "set", "exp-cli-3", "--create", "--file", expert)
	// --if-match changes the version read and nothing newer (two sets of exp-cli-1: version 1).
	mustFail(t, []string{"HTTP 412", "changed meanwhile"}, "experts", "set", "exp-cli-1", "--if-match", "0", "--file", other(t, dir, expert))
	mustRun(t, []string{"expert exp-cli-1 (A. Odhiambo, consultant) changed, version 2"}, "experts", "set", "exp-cli-1", "--if-match", "1", "--file", expert)
	mustFail(t, []string{"give one of them"}, "experts", "set", "exp-cli-1", "--create", "--if-match", "1", "--file", expert)
	mustFail(t, []string{"is not a version"}, "experts", "set", "exp-cli-1", "--if-match", "latest", "--file", expert)

	// show: the profile, bookings and policies, for whoever may read the roster.
	as(t, sys.APIURL, "hr-1")
	out := mustRun(t, []string{"Expert", "exp-cli-1", "Name", "A. Odhiambo", "Version", "2", "Bookings (0 active)",
		"POLICY", "COVERS TODAY", "med-1", "medical", "Allianz Care", "2031-12-31", "yes", "Not covered today: evacuation, malicious_acts"},
		"experts", "show", "exp-cli-1")
	if strings.Contains(out, "Someone Else") {
		t.Fatalf("a refused change was kept:\n%s", out)
	}
	var view api.ExpertView
	if out := mustRun(t, nil, "experts", "show", "exp-cli-1", "--json"); json.Unmarshal([]byte(out), &view) != nil ||
		view.Expert.ID != "exp-cli-1" || len(view.Policies.Items) != 1 || !view.Policies.Items[0].CoversToday {
		t.Fatalf("show --json: %s", out)
	}
	mustFail(t, []string{"HTTP 404"}, "experts", "show", "exp-none")
	as(t, sys.APIURL, "office-ke")
	mustFail(t, []string{"HTTP 403"}, "experts", "show", "exp-cli-1")
}

// other writes a copy of the expert file under another name, so that a change that must be
// refused would show if it were kept.
func other(t *testing.T, dir, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "other-"+filepath.Base(file))
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), "A. Odhiambo", "Someone Else", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRedriveCommand stops a workflow at its fund reservation with injected throttling and
// resumes it with `fasttrack activations redrive`, up to ACTIVE.
func TestRedriveCommand(t *testing.T) {
	faults := &failingReservations{n: 5} // the first attempt and its four retries
	sys, fake := clockedSystem(t, faults.wrap)
	isolateConfig(t)
	t.Setenv(envAPI, sys.APIURL)
	as(t, sys.APIURL, "office-ke")
	file := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(file, []byte(requestJSON(t, "Nairobi", "KE")), 0o600); err != nil {
		t.Fatal(err)
	}
	activation := strings.Fields(mustRun(t, []string{"requested"}, "activate", "-f", file))[1]

	// The retries wait on the fake clock: fire the short timers until the workflow stops.
	as(t, sys.APIURL, "admin-1")
	eventually(t, "the workflow to stop", func() bool {
		for _, due := range fake.Pending() {
			if due.Sub(fake.Now()) <= 10*time.Minute {
				fake.Set(due)
				break
			}
		}
		var view api.ActivationView
		out := mustRun(t, nil, "activations", "show", activation, "--json")
		if err := json.Unmarshal([]byte(out), &view); err != nil {
			t.Fatal(err)
		}
		return view.Workflow != nil && view.Workflow.Stalled
	})
	// The table says it stopped, that nothing is undone, and how it goes on.
	mustRun(t, []string{"Workflow", "FAILED", "stopped on a failure with nothing undone", "fasttrack activations redrive " + activation},
		"activations", "show", activation)
	as(t, sys.APIURL, "security-1")
	mustFail(t, []string{"HTTP 403"}, "activations", "redrive", activation)
	as(t, sys.APIURL, "admin-1")
	mustRun(t, []string{fmt.Sprintf("activation %s redriven at ", activation), "resumes from the step that stopped"}, "activations", "redrive", activation)
	eventually(t, "the redriven activation to be ACTIVE", func() bool {
		var a domain.Activation
		out := mustRun(t, nil, "activations", "show", activation, "--json")
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatal(err)
		}
		if a.Status == domain.StatusFailed || a.Status == domain.StatusCancelled {
			t.Fatalf("the redriven activation ended %s (%q)", a.Status, a.Reason)
		}
		return a.Status == domain.StatusActive
	})
	mustFail(t, []string{"HTTP 409"}, "activations", "redrive", activation)
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		text string
		want time.Time
		ok   bool
	}{
		{"now", now, true},
		{" now ", now, true},
		{"2026-12-01T08:00:00Z", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), true},
		{"2026-12-01T08:00:00.5+03:00", time.Date(2026, 12, 1, 5, 0, 0, 500_000_000, time.UTC), true},
		{"2026-12-01", time.Date(2026, 12, 1, 0, 0, 0, 0, time.Local), true},
		{"", time.Time{}, false},
		{"tomorrow", time.Time{}, false},
		{"2026-13-01", time.Time{}, false},
		{"01/12/2026", time.Time{}, false},
	} {
		got, err := parseWhen("until", tc.text, now)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseWhen(%q) = %v, %v", tc.text, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "--until") {
			t.Errorf("parseWhen(%q): the error %q does not name the flag", tc.text, err)
		}
	}
}
