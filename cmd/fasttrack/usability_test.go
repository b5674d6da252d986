package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/spf13/cobra"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// TestNewUserWalkthrough follows the README as its users would, on the whole local system:
// a wrong argument, a token in the environment that hides a login, a request file with a typo,
// a reassignment and a delegation with a wrong person, a decision on someone's behalf, a
// rejection without a reason, and what the auditor reads afterwards. Each error must say which
// argument, flag or line is wrong and change nothing; each table must say what happened.
func TestNewUserWalkthrough(t *testing.T) {
	sys, fake := clockedSystem(t, nil)
	isolateConfig(t)
	t.Setenv(envAPI, sys.APIURL)
	dir := t.TempDir()

	// Arguments are named when missing or too many.
	mustFail(t, []string{"fasttrack history needs ACTIVATION_ID", "usage: fasttrack history ACTIVATION_ID"}, "history")
	mustFail(t, []string{"takes one argument, ACTIVATION_ID", `"a" "b"`}, "history", "a", "b")
	mustFail(t, []string{"fasttrack decide needs approve|reject"}, "decide", "task-1")
	mustFail(t, []string{"needs EXPERT_ID and POLICY_ID"}, "experts", "policy")
	mustFail(t, []string{`no demo user "nobody"`, "the demo users are office-ke, office-ht"}, "token", "nobody")

	// A token in the environment comes first: login says so, whoami shows who acts.
	as(t, sys.APIURL, "admin-1")
	mustRun(t, []string{"signed in as office-ht", "$FASTTRACK_TOKEN is set", "unset FASTTRACK_TOKEN"}, "login", "office-ht")
	mustRun(t, []string{"User    admin-1", "Token   $FASTTRACK_TOKEN"}, "whoami")
	t.Setenv(envToken, "")
	mustRun(t, []string{"User    office-ht", "Office  HT", "saved by `fasttrack login office-ht`", "activations:create (own-office)"}, "whoami")
	if out := mustRun(t, nil, "login", "office-ht"); strings.Contains(out, "FASTTRACK_TOKEN") {
		t.Fatalf("a note about a token that is not set:\n%s", out)
	}

	// A typo in the request file is found before anything is sent, with its line and column.
	typo := filepath.Join(dir, "typo.json")
	if err := os.WriteFile(typo, []byte("{\"country\": \"KE\",\n  \"dutyStation\": }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustFail(t, []string{"typo.json is not valid JSON: line 2, column 18: invalid character '}'"}, "activate", "-f", typo)
	mustFail(t, []string{"standard input is empty"}, "activate", "-f", "-")
	if _, err := run(t, "[1, 2]", "activate", "-f", "-"); err == nil || !strings.Contains(err.Error(), "standard input is not a JSON object") {
		t.Fatalf("an array as the request: %v", err)
	}
	mustFail(t, []string{"cannot read the request", "no-such.json"}, "activate", "-f", filepath.Join(dir, "no-such.json"))
	mustRun(t, []string{"no activations"}, "activations")
	mustFail(t, []string{"HTTP 400", "--limit: "}, "activations", "--limit", "-5")
	mustFail(t, []string{"HTTP 401", "fasttrack login USER"}, "activations", "--token", "not-a-token")

	// Two requests that wait for security.
	request := filepath.Join(dir, "port-au-prince.json")
	if err := os.WriteFile(request, []byte(requestJSON(t, "Port-au-Prince", "HT")), 0o600); err != nil {
		t.Fatal(err)
	}
	first := strings.Fields(mustRun(t, []string{"requested"}, "activate", "-f", request))[1]
	second := strings.Fields(mustRun(t, []string{"requested"}, "activate", "-f", request))[1]
	firstTask := openTask(t, sys.APIURL, "security-1", first)
	secondTask := openTask(t, sys.APIURL, "security-1", second)

	// An administrator gives the first task to security-1; a person without the role is named
	// by the flag that gave them.
	as(t, sys.APIURL, "admin-1")
	mustFail(t, []string{"HTTP 400", "--to: hr-1 does not hold the security role"}, "tasks", "reassign", firstTask, "--to", "hr-1", "--comment", "x")
	mustRun(t, []string{"assigned to security-1"}, "tasks", "reassign", firstTask, "--to", "security-1", "--comment", "knows the port")
	if line := lineWith(t, mustRun(t, []string{"ASSIGNEE"}, "tasks", "--status", "OPEN"), firstTask); !strings.Contains(line, "security-1") {
		t.Fatalf("the assignee is not shown: %q", line)
	}

	// An approver reads the request behind a task before deciding it.
	mustRun(t, []string{"Task", firstTask, "OPEN, ", "Duty station", "Port-au-Prince, HT (security level 4)", "Purpose", "Rubble removal",
		"Justification", "Floods", "Assigned to", "security-1", "To decide: `fasttrack decide " + firstTask + " approve --comment ...`"},
		"tasks", "show", firstTask)
	mustFail(t, []string{"HTTP 404", "no task task-none among the tasks of your roles", "`fasttrack tasks` lists them"}, "tasks", "show", "task-none")
	// Another role's task is as unknown to finance as a task that does not exist.
	as(t, sys.APIURL, "finance-1")
	mustFail(t, []string{"HTTP 404", "no task " + firstTask + " among the tasks of your roles"}, "tasks", "show", firstTask)
	as(t, sys.APIURL, "office-ht")
	mustFail(t, []string{"HTTP 403"}, "tasks", "show", firstTask)

	// security-1 goes on a field mission; the delegate decides on their behalf.
	as(t, sys.APIURL, "security-1")
	until := fake.Now().Add(48 * time.Hour).Format(time.RFC3339)
	mustFail(t, []string{"HTTP 400", "--to: hr-1 does not hold the security role"}, "delegate", "--to", "hr-1", "--role", "security", "--until", until)
	from := fake.Now().Format(time.RFC3339Nano) // the system's clock is a fake one
	mustRun(t, []string{"to security-2"}, "delegate", "--to", "security-2", "--role", "security", "--from", from, "--until", until, "--reason", "field mission")
	as(t, sys.APIURL, "security-2")
	mustRun(t, []string{"task " + firstTask, "approved by security-2 on behalf of security-1"}, "decide", firstTask, "approve", "--comment", "Covering the port")

	// A rejection needs a reason, asked for by its flag; then it is recorded with it.
	as(t, sys.APIURL, "security-1")
	if out := mustRun(t, []string{"DECIDED", `Decision         approved by security-2 on behalf of security-1 at`, `"Covering the port"`},
		"tasks", "show", firstTask); strings.Contains(out, "To decide") {
		t.Fatalf("advice on a decided task:\n%s", out)
	}
	mustFail(t, []string{"HTTP 400", "--comment: "}, "decide", secondTask, "reject")
	mustRun(t, []string{"rejected by security-1"}, "decide", secondTask, "reject", "--comment", "No safe access to the port yet")
	// A task that is decided has no time left to count.
	if fields := strings.Fields(lineWith(t, mustRun(t, nil, "tasks"), secondTask)); fields[len(fields)-1] != "-" || fields[1] != "DECIDED" {
		t.Fatalf("a decided task's row: %q", fields)
	}

	// The auditor reads who decided what, with the comments, and where each workflow stands.
	as(t, sys.APIURL, "auditor-1")
	eventually(t, "the rejected activation to end", func() bool {
		var view api.ActivationView
		return json.Unmarshal([]byte(mustRun(t, nil, "activations", "show", second, "--json")), &view) == nil && view.Status == domain.StatusRejected
	})
	history := mustRun(t, []string{"WHAT", `security_clearance.0: reject: "No safe access to the port yet"`, "REQUESTED -> IN_PROGRESS"},
		"history", second, "--source", "audit")
	if strings.Contains(history, "workflow") || strings.Contains(history, "ExecutionStarted") {
		t.Fatalf("--source audit printed the workflow's events:\n%s", history)
	}
	mustRun(t, []string{"ExecutionStarted"}, "history", second, "--source", "workflow")
	mustFail(t, []string{"--source is audit or workflow"}, "history", second, "--source", "everything")
	mustRun(t, []string{`approve on behalf of security-1: "Covering the port"`, "to security-1: knows the port"}, "audit", "search", "--activation", first)
	mustRun(t, []string{"security-1 -> security-2", "field mission"}, "audit", "search", "--action", "delegation.created")
	mustRun(t, []string{"Status", "REJECTED", "Workflow", "SUCCEEDED"}, "activations", "show", second)
	mustFail(t, []string{`--from "last week" is not a date`}, "audit", "search", "--from", "last week")
	mustRun(t, []string{"no audit events"}, "audit", "search", "--activation", first, "--to", "2020-01-01")
	mustRun(t, []string{"checked 1 chain, ", "0 breaks"}, "audit", "verify", "--activation", first)

	// Administrators: a missing amount, and policy fields named by flag (or by the file's field).
	as(t, sys.APIURL, "admin-1")
	mustFail(t, []string{"--amount is required"}, "fund", "contribute", "--donor", "Norway")
	mustFail(t, []string{"HTTP 400", "--kind: must be", "--valid-from: must be a date"},
		"experts", "policy", "staff-01", "p-1", "--kind", "dental", "--valid-from", "1 January", "--valid-to", "2026-12-31")
	policy := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(policy, []byte(`{"kind":"dental","validFrom":"2026-01-01","validTo":"2026-12-31"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "", "experts", "policy", "staff-01", "p-1", "--file", policy); err == nil ||
		!strings.Contains(err.Error(), "\n  - kind: must be") || strings.Contains(err.Error(), "--kind") {
		t.Fatalf("a file's field is named as in the file: %v", err)
	}
	mustRun(t, []string{"Latest ledger entries", "CONTRIBUTION"}, "fund")
}

// lineWith returns the line of out that holds text.
func lineWith(t *testing.T, out, text string) string {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, text) {
			return line
		}
	}
	t.Fatalf("no line with %q in\n%s", text, out)
	return ""
}

func TestFlagOfField(t *testing.T) {
	command := func() *cobra.Command {
		cmd := &cobra.Command{Use: "x"}
		for _, name := range []string{"to", "comment", "crisis-type", "valid-from", "activation", "amount", "currency", "file"} {
			cmd.Flags().String(name, "", "")
		}
		annotateField(cmd, "reason", "comment")
		return cmd
	}
	for _, tc := range []struct{ field, want string }{
		{"toUser", "to"}, {"assignee", "to"}, {"reason", "comment"}, {"crisisType", "crisis-type"},
		{"validFrom", "valid-from"}, {"activationId", "activation"}, {"amount.value", "amount"},
		{"amount.currency", "currency"}, {"comment", "comment"}, {"profiles[0].area", ""}, {"dutyStation", ""}, {"", ""},
	} {
		if got := flagOfField(command(), tc.field); got != tc.want {
			t.Errorf("flagOfField(%q) = %q, want %q", tc.field, got, tc.want)
		}
	}
	// With a request file, the fields are the file's.
	cmd := command()
	if err := cmd.Flags().Set("file", "x.json"); err != nil {
		t.Fatal(err)
	}
	if got := flagOfField(cmd, "comment"); got != "" {
		t.Errorf("with --file: flagOfField(comment) = %q", got)
	}
}

func TestProblemErrorWording(t *testing.T) {
	p := &problemError{Status: 400, Title: "The request has invalid fields", Detail: "the request has invalid fields.",
		Errors: []fieldError{{Field: "toUser", Reason: "is required"}, {Field: "", Reason: "something else"}, {Field: "x", Reason: "bad"}}}
	if got, want := p.Error(), "The request has invalid fields (HTTP 400)\n  - toUser: is required\n  - something else\n  - x: bad"; got != want {
		t.Errorf("without flags:\n%s\nwant\n%s", got, want)
	}
	p.flagOf = func(field string) string { return map[string]string{"toUser": "to"}[field] }
	if got := p.Error(); !strings.Contains(got, "\n  - --to: is required") || !strings.Contains(got, "\n  - x: bad") {
		t.Errorf("with flags:\n%s", got)
	}
	p.Detail = "delegation d-1 was revoked"
	if got := p.Error(); !strings.HasPrefix(got, "The request has invalid fields: delegation d-1 was revoked (HTTP 400)") {
		t.Errorf("with a detail of its own: %s", got)
	}
}

func TestNamedArgs(t *testing.T) {
	cmd := &cobra.Command{Use: "policy EXPERT_ID POLICY_ID"}
	check := namedArgs("EXPERT_ID", "POLICY_ID")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "needs EXPERT_ID and POLICY_ID"},
		{[]string{"e"}, "needs POLICY_ID (usage: policy EXPERT_ID POLICY_ID"},
		{[]string{"e", "p", "x y"}, `takes 2 arguments, EXPERT_ID POLICY_ID, but was given 3 arguments: "e" "p" "x y"`},
		{[]string{"e", "p"}, ""},
	} {
		err := check(cmd, tc.args)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("namedArgs(%q) = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestJSONErrorAt(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"{\"a\": }", "line 1, column 7: invalid character '}'"},
		{"{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, column 7: invalid character '2' after object key"},
		{"{\"a\": 1", "line 1, column 7: unexpected end of JSON input"},
	} {
		var value any
		err := json.Unmarshal([]byte(tc.data), &value)
		if got := jsonErrorAt([]byte(tc.data), err); !strings.HasPrefix(got, tc.want) {
			t.Errorf("jsonErrorAt(%q) = %q, want %q", tc.data, got, tc.want)
		}
	}
}

func TestTimeLeft(t *testing.T) {
	for _, tc := range []struct {
		seconds int64
		want    string
	}{
		{86399, "23h59m"}, {3600, "1h0m"}, {125, "2m"}, {59, "59s"}, {0, "0s"}, {-90, "overdue 1m"}, {-7260, "overdue 2h1m"},
	} {
		if got := timeLeft(tc.seconds); got != tc.want {
			t.Errorf("timeLeft(%d) = %q, want %q", tc.seconds, got, tc.want)
		}
	}
	decided := api.TaskView{ApprovalTask: domain.ApprovalTask{Status: domain.TaskDecided}, TimeLeftSeconds: 3600}
	open := api.TaskView{ApprovalTask: domain.ApprovalTask{Status: domain.TaskOpen}, TimeLeftSeconds: 3600}
	if taskTimeLeft(decided) != "-" || taskTimeLeft(open) != "1h0m" {
		t.Errorf("taskTimeLeft: decided %q, open %q", taskTimeLeft(decided), taskTimeLeft(open))
	}
}

func TestDescribeChange(t *testing.T) {
	for _, tc := range []struct {
		action, before, after, want string
	}{
		{"task.decided", `{"status":"OPEN"}`, `{"decision":"reject","comment":"No access","onBehalfOf":""}`, `reject: "No access"`},
		{"task.decided", ``, `{"decision":"approve","onBehalfOf":"security-1"}`, `approve on behalf of security-1`},
		{"activation.status_changed", `{"status":"REQUESTED"}`, `{"status":"IN_PROGRESS"}`, "REQUESTED -> IN_PROGRESS"},
		{"activation.requested", ``, `{"amount":{"currency":"USD","value":30000000},"dutyStation":"Port-au-Prince","priority":51}`,
			"300,000.00 USD, to Port-au-Prince, priority 51"},
		{"fund.reversed", ``, `{"amount":30000000,"currency":"USD","delta":30000000,"kind":"REVERSAL"}`, "REVERSAL 300,000.00 USD"},
		{"roster.booked", ``, `{"expert":"staff-01","period":{"start":"2027-01-11","end":"2027-02-24"}}`, "staff-01 2027-01-11 to 2027-02-24"},
		{"task.reassigned", `{"assignee":""}`, `{"assignee":"security-2","reason":"knows the port"}`, "to security-2: knows the port"},
		{"step.completed", ``, `{"step":"assess","startedAt":"2026-11-22T20:56:56.035Z","endedAt":"2026-11-22T20:56:56.062Z"}`, "assess in 27ms"},
		{"delegation.refused", ``, `{"reason":"you do not hold the finance role","rule":"holds-role"}`, "refused: you do not hold the finance role"},
		{"setting.changed", ``, `{"name":"threshold","value":5,"nested":{"x":1}}`, "name=threshold value=5"},
		{"anything", `not json`, `[1]`, ""},
	} {
		if got := describeChange(tc.action, json.RawMessage(tc.before), json.RawMessage(tc.after)); got != tc.want {
			t.Errorf("describeChange(%s, %s) = %q, want %q", tc.action, tc.after, got, tc.want)
		}
	}
	long := describeChange("task.decided", nil, json.RawMessage(`{"decision":"approve","comment":"`+strings.Repeat("word ", 50)+`"}`))
	if len([]rune(long)) != maxWhat || !strings.HasSuffix(long, "...") {
		t.Errorf("a long comment is not clipped to %d: %q", maxWhat, long)
	}
}

// TestConfigFromStackWithoutCredentials: with no AWS credentials the command says how to give
// them, and that the local system needs none.
func TestConfigFromStackWithoutCredentials(t *testing.T) {
	client := cloudformation.New(cloudformation.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       "eu-west-1",
		BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no EC2 IMDS role found")
		}),
	})
	_, err := readStackConfig(t.Context(), client, "FastTrack-dev-Stateless", "dev")
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials were found") || !strings.Contains(err.Error(), "--profile") {
		t.Fatalf("without credentials: %v", err)
	}
}

func TestAmountText(t *testing.T) {
	for _, tc := range []struct {
		money domain.Money
		want  string
	}{
		{domain.Money{Value: 123_000_000, Currency: "USD"}, "1,230,000.00 USD"},
		{domain.Money{Value: 30_000_000, Currency: "USD"}, "300,000.00 USD"},
		{domain.Money{Value: 99_999, Currency: "USD"}, "999.99 USD"},
		{domain.Money{Value: 5, Currency: "USD"}, "0.05 USD"},
		{domain.Money{Value: -250_000_050, Currency: "EUR"}, "-2,500,000.50 EUR"},
		{domain.Money{Value: 1_000_000, Currency: "JPY"}, "1,000,000 JPY"},
	} {
		if got := amountText(tc.money); got != tc.want {
			t.Errorf("amountText(%+v) = %q, want %q", tc.money, got, tc.want)
		}
	}
}

// TestTaskAsksAndAdvice reads the details the workflow gives hr's tasks (as the approvals
// function stores them) and says what deciding each kind does.
func TestTaskAsksAndAdvice(t *testing.T) {
	var sourcing, enrolment map[string]any
	if err := json.Unmarshal([]byte(`{"profile":{"area":"microfinance","index":0},"shortage":{"Error":"NoExpertAvailable",`+
		`"Cause":"{\"errorMessage\":\"nobody on the roster can take profile 0\",\"errorType\":\"NoExpertAvailable\"}"}}`), &sourcing); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"booking":{"expertId":"consultant-90","expertName":"A. Odhiambo","from":"2026-12-10","to":"2026-12-19"},`+
		`"missing":{"Error":"InsuranceCoverMissing","Cause":"not JSON: the cause as it is"}}`), &enrolment); err != nil {
		t.Fatal(err)
	}
	if got := taskAsks(sourcing); len(got) != 1 || got[0] != "nobody on the roster can take profile 0" {
		t.Errorf("sourcing asks %q", got)
	}
	if got := taskExpert(sourcing); got != "" {
		t.Errorf("sourcing expert %q", got)
	}
	if got := taskAsks(enrolment); len(got) != 1 || got[0] != "not JSON: the cause as it is" {
		t.Errorf("enrolment asks %q", got)
	}
	if got, want := taskExpert(enrolment), "consultant-90 (A. Odhiambo) booked 2026-12-10 to 2026-12-19"; got != want {
		t.Errorf("enrolment expert %q, want %q", got, want)
	}
	for kind, want := range map[domain.TaskKind]string{
		domain.KindSecurityClearance:  "clears the deployment",
		domain.KindSecurityOverride:   "approve --comment JUSTIFICATION",
		domain.KindFundRelease:        "releases 1,000.00 USD",
		domain.KindSeniorFundRelease:  "releases 1,000.00 USD",
		domain.KindExpertSourcing:     "fasttrack experts set EXPERT_ID --create",
		domain.KindInsuranceEnrolment: "fasttrack experts policy EXPERT_ID",
	} {
		task := api.TaskView{ApprovalTask: domain.ApprovalTask{ID: "t-1", Kind: kind, Summary: domain.TaskSummary{Amount: domain.Money{Value: 100_000, Currency: "USD"}}}}
		if got := taskAdvice(task); !strings.Contains(got, want) || !strings.Contains(got, "fasttrack decide t-1") {
			t.Errorf("advice for %s: %q, want %q", kind, got, want)
		}
	}
	// The enrolment's advice names the expert it is about.
	named := api.TaskView{ApprovalTask: domain.ApprovalTask{ID: "t-2", Kind: domain.KindInsuranceEnrolment, Summary: domain.TaskSummary{Detail: enrolment}}}
	if got := taskAdvice(named); !strings.Contains(got, "fasttrack experts policy consultant-90 POLICY_ID") || !strings.Contains(got, "refused") {
		t.Errorf("advice for an enrolment of consultant-90: %q", got)
	}
}
