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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
	"github.com/fasttrack/fasttrack/workflows/engine"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/server"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

const (
	region  = "us-east-1"
	account = "123456789012"
	// stateMachineARN is the state machine the API starts for each activation: in these tests a
	// small one whose execution waits at one step until the test ends it (activationMachine).
	stateMachineARN = "arn:aws:states:" + region + ":" + account + ":stateMachine:fasttrack"
	// taskMachineARN opens an approval task with a real task token and waits for its decision.
	taskMachineARN = "arn:aws:states:" + region + ":" + account + ":stateMachine:approval"
)

// activationMachine stands for the fast-track workflow: one step that waits for a task token,
// which the activation-step function hands to the test. The test ends the step as it needs: a
// failure the state does not handle stops the execution at the step, as a transient error that
// outlasted its retries does (stall); a success with outcome FAILED ends it in a Fail state, as
// the workflow ends an activation it compensated as FAILED (finish). So the API's start,
// history, stall and redrive handling run against real executions.
const activationMachine = `{
  "Comment": "One step that waits until the test ends it.",
  "StartAt": "Step",
  "States": {
    "Step": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {"FunctionName": "activation-step", "Payload": {"activationId.$": "$.activationId", "token.$": "$$.Task.Token"}},
      "Next": "Outcome"
    },
    "Outcome": {
      "Type": "Choice",
      "Choices": [{"Variable": "$.outcome", "StringEquals": "FAILED", "Next": "Failed"}],
      "Default": "Done"
    },
    "Done": {"Type": "Succeed"},
    "Failed": {"Type": "Fail", "Error": "InsufficientFunds", "Cause": "compensated"}
  }
}`

// taskMachine opens an approval task as the approvals function does: the open-task function
// stores it with the execution's task token, and the execution waits for the decision the API
// sends (SendTaskSuccess with the decision, SendTaskFailure with ApprovalRejected or
// ActivationCancelled). Its output, or its error and cause, is what the API delivered.
const taskMachine = `{
  "Comment": "Opens an approval task and waits for its decision.",
  "StartAt": "Decision",
  "States": {
    "Decision": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {"FunctionName": "open-task", "Payload": {"task.$": "$.task", "token.$": "$$.Task.Token"}},
      "End": true
    }
  }
}`

// waitLimit bounds every wait on the wall clock.
const waitLimit = 30 * time.Second

var demoUsers = map[string]auth.User{
	"office-ke": {Username: "office-ke", Roles: []auth.Role{auth.CountryOffice}, Office: "KE"},
	"office-ht": {Username: "office-ht", Roles: []auth.Role{auth.CountryOffice}, Office: "HT"},
	// The central task team requests for any country.
	"office-hq":  {Username: "office-hq", Roles: []auth.Role{auth.CountryOffice}, Office: "HQ"},
	"security-1": {Username: "security-1", Roles: []auth.Role{auth.Security}},
	"security-2": {Username: "security-2", Roles: []auth.Role{auth.Security}},
	"finance-1":  {Username: "finance-1", Roles: []auth.Role{auth.Finance}},
	"finance-2":  {Username: "finance-2", Roles: []auth.Role{auth.Finance}},
	"senior-1":   {Username: "senior-1", Roles: []auth.Role{auth.SeniorManagement}},
	"hr-1":       {Username: "hr-1", Roles: []auth.Role{auth.HR}},
	"hr-2":       {Username: "hr-2", Roles: []auth.Role{auth.HR}},
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
	dynamo   *dynamodb.Client
	tables   tables.Names
	engine   *engine.Engine
	workflow *sfn.Client
	clock    *clock.Fake
	issuer   *auth.Issuer
	logs     *bytes.Buffer
	ids      int
	idMu     sync.Mutex

	stepMu sync.Mutex
	steps  map[string]string // activation id -> the token its execution's step waits on
}

// harnessOptions change what newHarness sets up.
type harnessOptions struct {
	// noActivationMachine leaves the API's state machine uncreated, so that starting an
	// execution fails until the test creates it (createActivationMachine).
	noActivationMachine bool
}

// newHarness serves the API over the real store on DynamoDB Local and the embedded Step
// Functions engine behind its JSON API server, reached through the ordinary sfn client.
func newHarness(t *testing.T, options ...harnessOptions) *harness {
	t.Helper()
	var opts harnessOptions
	if len(options) > 0 {
		opts = options[0]
	}
	h := &harness{t: t, clock: clock.NewFake(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)), logs: &bytes.Buffer{}, steps: map[string]string{}}
	h.store, h.dynamo, h.tables = newStore(t, h.clock)
	h.startEngine()
	if !opts.noActivationMachine {
		h.createActivationMachine()
	}
	h.createMachine("approval", taskMachine)
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

// startEngine runs the engine in memory on the harness clock, with the test machines'
// functions behind its local Lambda dispatcher, and its Step Functions API on loopback.
func (h *harness) startEngine() {
	h.t.Helper()
	functions := tasks.NewDispatcher()
	if err := functions.Register("activation-step", h.activationStep); err != nil {
		h.t.Fatal(err)
	}
	if err := functions.Register("open-task", h.openTask); err != nil {
		h.t.Fatal(err)
	}
	e, err := engine.New(engine.Options{Region: region, Account: account, Clock: h.clock, Lambda: functions,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.engine = e
	endpoint := httptest.NewServer(server.New(e, server.Options{}))
	h.t.Cleanup(func() {
		endpoint.Close()
		_ = e.Close()
	})
	h.workflow = sfn.New(sfn.Options{HTTPClient: sdkhttp.NewClient(), Region: region, BaseEndpoint: aws.String(endpoint.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}

func (h *harness) createMachine(name, definition string) {
	h.t.Helper()
	_, err := h.workflow.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{Name: aws.String(name),
		Definition: aws.String(definition), RoleArn: aws.String("arn:aws:iam::" + account + ":role/fasttrack-test")})
	if err != nil {
		h.t.Fatalf("create state machine %s: %v", name, err)
	}
}

// createActivationMachine creates the state machine the API starts.
func (h *harness) createActivationMachine() { h.createMachine("fasttrack", activationMachine) }

// activationStep is the function of the activation machine's step: it hands the token the
// execution waits on to the test.
func (h *harness) activationStep(_ context.Context, in struct {
	ActivationID string `json:"activationId"`
	Token        string `json:"token"`
}) error {
	h.stepMu.Lock()
	defer h.stepMu.Unlock()
	h.steps[in.ActivationID] = in.Token
	return nil
}

// openTask is the function of the task machine: it stores the task with the token the
// execution waits on, as the approvals function does.
func (h *harness) openTask(ctx context.Context, in struct {
	Task  domain.ApprovalTask `json:"task"`
	Token string              `json:"token"`
}) error {
	_, err := h.store.CreateTask(ctx, in.Task, in.Token)
	return err
}

// eventually polls check until it holds or the wall-clock limit passes.
func (h *harness) eventually(what string, check func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitLimit)
	ticker := time.NewTicker(2 * time.Millisecond)
	defer ticker.Stop()
	for !check() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		<-ticker.C
	}
}

// execution describes an execution of a state machine by name.
func (h *harness) execution(machineARN, name string) *sfn.DescribeExecutionOutput {
	h.t.Helper()
	arn := strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":" + name
	out, err := h.workflow.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		h.t.Fatalf("describe %s: %v", arn, err)
	}
	return out
}

// awaitExecution waits until the execution has one of the statuses.
func (h *harness) awaitExecution(machineARN, name string, statuses ...sfntypes.ExecutionStatus) *sfn.DescribeExecutionOutput {
	h.t.Helper()
	var out *sfn.DescribeExecutionOutput
	h.eventually(fmt.Sprintf("execution %s to be %v", name, statuses), func() bool {
		out = h.execution(machineARN, name)
		return slices.Contains(statuses, out.Status)
	})
	return out
}

// executions counts the executions of a state machine.
func (h *harness) executions(machineARN string) int {
	h.t.Helper()
	out, err := h.workflow.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineARN), MaxResults: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(out.Executions)
}

// stepToken waits for the token the activation's execution waits on at its step.
func (h *harness) stepToken(activationID string) string {
	h.t.Helper()
	var token string
	h.eventually("the step of "+activationID, func() bool {
		h.stepMu.Lock()
		defer h.stepMu.Unlock()
		token = h.steps[activationID]
		return token != ""
	})
	return token
}

// finish ends the activation's step with the outcome: "FAILED" ends the execution in its Fail
// state, anything else in success.
func (h *harness) finish(activationID, outcome string) {
	h.t.Helper()
	token := h.stepToken(activationID)
	h.stepMu.Lock()
	delete(h.steps, activationID)
	h.stepMu.Unlock()
	output, _ := json.Marshal(map[string]string{"outcome": outcome})
	if _, err := h.workflow.SendTaskSuccess(context.Background(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token),
		Output: aws.String(string(output))}); err != nil {
		h.t.Fatal(err)
	}
	h.awaitExecution(stateMachineARN, activationID, sfntypes.ExecutionStatusSucceeded, sfntypes.ExecutionStatusFailed)
}

// historyTypes lists the event types of an execution's history, oldest first.
func (h *harness) historyTypes(machineARN, name string) []string {
	h.t.Helper()
	arn := strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":" + name
	out, err := h.workflow.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	types := make([]string, len(out.Events))
	for i, e := range out.Events {
		types[i] = string(e.Type)
	}
	return types
}

// stall ends the activation's step with a failure its state does not handle, as a step whose
// retries were spent on a transient error: the execution stops FAILED at that step.
func (h *harness) stall(activationID string) {
	h.t.Helper()
	token := h.stepToken(activationID)
	h.stepMu.Lock()
	delete(h.steps, activationID)
	h.stepMu.Unlock()
	if _, err := h.workflow.SendTaskFailure(context.Background(), &sfn.SendTaskFailureInput{TaskToken: aws.String(token),
		Error: aws.String("TransientError"), Cause: aws.String(`{"errorMessage":"throttled","errorType":"TransientError"}`)}); err != nil {
		h.t.Fatal(err)
	}
	h.awaitExecution(stateMachineARN, activationID, sfntypes.ExecutionStatusFailed)
}

// newStore returns the real store on fresh tables (a random prefix) in DynamoDB Local.
func newStore(t *testing.T, c *clock.Fake) (*store.Store, *dynamodb.Client, tables.Names) {
	t.Helper()
	client := dynamodb.New(dynamodb.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       region,
		BaseEndpoint: aws.String(dynamolocal.TestEndpoint(t)),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	prefix := make([]byte, 5)
	_, _ = rand.Read(prefix)
	names, err := tables.EnsureTables(context.Background(), client, "api"+hex.EncodeToString(prefix)+"-")
	if err != nil {
		t.Fatalf("tables: %v", err)
	}
	// The harness clock stands at a fixed date, long past by the wall clock that DynamoDB
	// Local's TTL sweep goes by: a TTL of a century keeps idempotency keys from vanishing
	// mid-test.
	s := store.New(client, names, store.Options{Now: c.Now, IdempotencyTTL: 100 * 365 * 24 * time.Hour})
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
	// Every user the tests sign in as is a person of the directory (the stored accounts), as
	// the seed's demo accounts are on the local system.
	for _, user := range demoUsers {
		account := domain.Account{ID: user.Username, Office: user.Office}
		for _, role := range user.Roles {
			account.Roles = append(account.Roles, domain.Role(role))
		}
		if err := s.PutAccount(context.Background(), account); err != nil {
			t.Fatal(err)
		}
	}
	return s, client, names
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

// addTask opens a task of the activation as the workflow does: an execution of the task
// machine stores it with a real task token and waits for its decision.
func (h *harness) addTask(task domain.ApprovalTask) domain.ApprovalTask {
	h.t.Helper()
	now := h.clock.Now()
	if task.Deadline.IsZero() {
		task.Deadline = now.Add(24 * time.Hour)
	}
	if task.CreatedAt.IsZero() {
		task.CreatedAt = now
	}
	if a, err := h.store.GetActivation(context.Background(), task.ActivationID); err == nil {
		task.RequestedBy = a.RequestedBy
		task.Office = a.Office
		// What the task is about (an hr task's booking or profile) is the test's to give.
		task.Summary = domain.TaskSummary{Country: a.Country, DutyStation: a.DutyStation, CrisisType: a.CrisisType, Amount: a.Amount,
			Detail: task.Summary.Detail}
		if task.Priority == 0 {
			task.Priority = a.Priority
		}
	}
	input, err := json.Marshal(map[string]any{"task": task})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.workflow.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(taskMachineARN),
		Name: aws.String(task.ID), Input: aws.String(string(input))}); err != nil {
		h.t.Fatalf("start the task's execution: %v", err)
	}
	var stored domain.ApprovalTask
	h.eventually("task "+task.ID+" to be opened", func() bool {
		stored, err = h.store.GetTask(context.Background(), task.ID)
		return err == nil
	})
	return stored
}

// taskExecution describes the execution that waits for the task's decision.
func (h *harness) taskExecution(taskID string) *sfn.DescribeExecutionOutput {
	h.t.Helper()
	return h.execution(taskMachineARN, taskID)
}

// decisionDelivered waits until the task's execution has ended and returns it: SUCCEEDED with
// the decision as output, or FAILED with the error the API sent.
func (h *harness) decisionDelivered(taskID string) *sfn.DescribeExecutionOutput {
	h.t.Helper()
	return h.awaitExecution(taskMachineARN, taskID, sfntypes.ExecutionStatusSucceeded, sfntypes.ExecutionStatusFailed)
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
