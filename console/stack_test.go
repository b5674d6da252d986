package console_test

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
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/fasttrack/fasttrack/console"
	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/functions/handlers"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/seed"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
	"github.com/fasttrack/fasttrack/workflows"
	"github.com/fasttrack/fasttrack/workflows/engine"
	"github.com/fasttrack/fasttrack/workflows/engine/server"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

// Names of the local deployment, as `fasttrack local` uses them.
const (
	region       = "us-east-1"
	account      = "123456789012"
	eventBusName = "fasttrack-local"
)

// stack is the system as `fasttrack local` runs it, on one origin: the real API handler over
// the real store in DynamoDB Local (fresh tables, the demo seed), the embedded Step Functions
// engine running workflows/fasttrack.asl.json with every workflow function of the registry
// behind its local Lambda dispatcher, the local token endpoint and key set, and the console
// under /console/.
type stack struct {
	t      *testing.T
	url    string
	store  *store.Store
	issuer *auth.Issuer
}

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
)

// serviceEndpoints points the SDK's clients at the local endpoints by service id, as
// AWS_ENDPOINT_URL_<SERVICE> would.
type serviceEndpoints map[string]string

func (s serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	endpoint, ok := s[sdkID]
	return endpoint, ok, nil
}

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	logs := &lockedWriter{buffer: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	endpoint := dynamolocal.TestEndpoint(t)
	// The local AWS endpoints (Step Functions, EventBridge) listen first, so that every client
	// can be built with them.
	services, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	servicesURL := "http://" + services.Addr().String()
	config := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		ConfigSources: []any{serviceEndpoints{"DynamoDB": endpoint, "SFN": servicesURL, "EventBridge": servicesURL}}}
	client := dynamodb.NewFromConfig(config)
	prefix := make([]byte, 5)
	_, _ = rand.Read(prefix)
	names, err := tables.EnsureTables(ctx, client, "console"+hex.EncodeToString(prefix)+"-")
	if err != nil {
		t.Fatalf("tables: %v", err)
	}
	st := store.New(client, names, store.Options{})
	if _, err := seed.Apply(ctx, st); err != nil {
		t.Fatalf("seed: %v", err)
	}

	stateMachineARN := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:fasttrack", region, account)
	env := registry.Env{AWS: config, Stage: "local", Tables: names, StateMachineARN: stateMachineARN, EventBusName: eventBusName, Logger: logger}
	dispatcher := tasks.NewDispatcher()
	for _, function := range handlers.All() {
		if function.Trigger != registry.Workflow {
			continue
		}
		handler, err := function.New(ctx, env)
		if err != nil {
			t.Fatalf("function %s: %v", function.Name, err)
		}
		if err := dispatcher.Register("fasttrack-"+function.Name, handler); err != nil {
			t.Fatal(err)
		}
	}
	workflowEngine, err := engine.New(engine.Options{Region: region, Account: account, Lambda: dispatcher, DynamoDB: client, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := workflowEngine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stepFunctions := server.New(workflowEngine, server.Options{Logger: logger})
	servicesServer := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSEvents.") {
			// The notifications the functions publish are accepted and dropped.
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			_, _ = io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"local"}]}`)
			return
		}
		stepFunctions.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = servicesServer.Serve(services) }()
	workflow := sfn.NewFromConfig(config)
	if _, err := workflow.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fasttrack"),
		Definition: aws.String(definition(t, names)), RoleArn: aws.String("arn:aws:iam::" + account + ":role/fasttrack-local")}); err != nil {
		t.Fatalf("load the workflow: %v", err)
	}

	keyOnce.Do(func() { key, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	issuer, err := auth.NewIssuer(key)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(auth.VerifierConfig{Issuer: issuer.Name(), Audience: issuer.Audience(), Keys: issuer.KeySet()})
	if err != nil {
		t.Fatal(err)
	}
	apiServer, err := api.New(api.StoreDependencies(st, workflow), verifier, api.Options{StateMachineARN: stateMachineARN, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(name string) (auth.User, bool) {
		for _, account := range seed.DemoUsers() {
			if account.ID == name {
				return auth.FromAccount(account), true
			}
		}
		return auth.User{}, false
	}
	// The mounting of `fasttrack local`, with the console under /console/.
	mux := http.NewServeMux()
	mux.Handle("/.well-known/jwks.json", issuer.JWKSHandler())
	mux.Handle("/local/token", issuer.TokenHandler(lookup))
	mux.Handle("/console/", http.StripPrefix("/console", console.Handler()))
	mux.Handle("/", apiServer)
	httpServer := httptest.NewServer(mux)
	t.Cleanup(func() {
		httpServer.Close()
		_ = servicesServer.Close()
		if err := workflowEngine.Close(); err != nil {
			t.Errorf("close the engine: %v", err)
		}
		if t.Failed() {
			t.Logf("system log:\n%s", logs.String())
		}
	})
	return &stack{t: t, url: httpServer.URL, store: st, issuer: issuer}
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)

// definition is the workflow with its placeholders filled for this system: the local ARNs of
// the registry's functions, the table names and the event bus.
func definition(t *testing.T, names tables.Names) string {
	t.Helper()
	values := map[string]string{"EventBusName": eventBusName}
	for _, function := range registry.All() {
		values[function.ArnPlaceholder()] = fmt.Sprintf("arn:aws:lambda:%s:%s:function:fasttrack-%s", region, account, function.Name)
	}
	for logical, physical := range names {
		values[strings.ToUpper(logical[:1])+logical[1:]+"TableName"] = physical
	}
	return placeholder.ReplaceAllStringFunc(string(workflows.FastTrack()), func(match string) string {
		name := placeholder.FindStringSubmatch(match)[1]
		value, ok := values[name]
		if !ok {
			t.Fatalf("the workflow's placeholder %s stands for nothing", name)
		}
		return value
	})
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
