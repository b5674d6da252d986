// Package localstack runs the whole of Fast-Track in one process on one machine: DynamoDB Local
// (or an endpoint given), the tables and the demo seed, the embedded Step Functions engine with
// its API on loopback, every workflow function of the registry behind the engine's local Lambda
// dispatcher (built by the same constructor as on AWS, from an Env whose AWS configuration points
// at the local endpoints), the workflow definition with its placeholders filled, a local
// EventBridge endpoint that keeps the recent events, the local token issuer and the HTTP API.
//
// `fasttrack local` and the end-to-end tests both run it: Start, use it over HTTP, Close.
package localstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/functions/handlers"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/seed"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
	"github.com/fasttrack/fasttrack/workflows"
	"github.com/fasttrack/fasttrack/workflows/engine"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/server"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

// Names and places of the local deployment.
const (
	Region           = "us-east-1"
	Account          = "123456789012"
	Stage            = "local"
	StateMachineName = "fasttrack"
	EventBusName     = "fasttrack-local"
	// DefaultAddr is where the API listens unless told otherwise.
	DefaultAddr = "127.0.0.1:8080"
)

// Options configure a System. The zero value runs on a fresh temporary directory with DynamoDB
// Local started for it, the API on DefaultAddr and the wall clock.
type Options struct {
	// DataDir keeps DynamoDB Local's tables, the engine's journal and the issuer's key between
	// runs. Empty: a temporary directory removed by Close.
	DataDir string
	// DynamoDBEndpoint uses a DynamoDB (Local) already running instead of starting one.
	DynamoDBEndpoint string
	// TablePrefix prefixes every table name; tables.DefaultPrefix when empty. Tests give each
	// system its own.
	TablePrefix string
	// Addr is the API's address (host:port; port 0 picks a free one); DefaultAddr when empty.
	Addr string
	// ServicesAddr is the address of the local AWS service endpoints (Step Functions and
	// EventBridge); a free loopback port when empty.
	ServicesAddr string
	// Clock is the one clock of the system: the engine's timers, the functions' deadlines, the
	// store's and the API's times, the tokens. clock.Real{} when nil.
	Clock clock.Clock
	// MemoryJournal keeps the engine in memory even with a DataDir (tests).
	MemoryJournal bool
	// NoSync skips fsync in the engine's journal (tests).
	NoSync bool
	// Config holds the rules; config.Load(os.Getenv) when nil (the functions read the same).
	Config *config.Config
	// Logger receives the system's logs; a text logger on standard error when nil.
	Logger *slog.Logger
	// DynamoDBLog receives DynamoDB Local's own output; discarded when nil.
	DynamoDBLog io.Writer
	// Console, when set, builds a web console served under /console/ on the API's address.
	Console func(s *System) (http.Handler, error)
	// WrapFunction, when set, is given each workflow function's handler (by registry name)
	// before the local Lambda dispatcher registers it, and the dispatcher calls what it returns
	// (any handler lambda.Start accepts, such as a lambda.Handler). Tests use it to make a
	// function fail the way a throttled table or the Lambda service would, through the real
	// engine and dispatcher, and to count invocations.
	WrapFunction func(name string, handler any) any
}

// System is the running whole.
type System struct {
	// APIURL is the HTTP API ("http://127.0.0.1:8080").
	APIURL string
	// ConsoleURL is the console, when one is served.
	ConsoleURL string
	// ServicesURL is the local AWS endpoint of Step Functions and EventBridge.
	ServicesURL string
	// DynamoDBEndpoint is DynamoDB (Local).
	DynamoDBEndpoint string
	// StateMachineARN is the fast-track state machine.
	StateMachineARN string
	// DataDir is where the data lives.
	DataDir string
	// Tables are the physical table names.
	Tables tables.Names
	// Store is the system's store (for tests that check what HTTP cannot show).
	Store *store.Store
	// Engine is the embedded Step Functions engine.
	Engine *engine.Engine
	// Events are the notifications the functions published.
	Events *EventLog
	// Issuer mints the local tokens.
	Issuer *auth.Issuer
	// Clock is the system's clock.
	Clock clock.Clock
	// AWS is the SDK configuration pointing at the local endpoints.
	AWS aws.Config

	logger  *slog.Logger
	dynamo  *dynamolocal.Server
	servers []*http.Server
	// listeners are every listener opened, served or not yet, for Close.
	listeners []net.Listener
	tempDir   string
	closed    bool
	closeErr  error
}

// FunctionARN is the local ARN of a registry function.
func FunctionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:fasttrack-%s", Region, Account, name)
}

// serviceEndpoints is an SDK configuration source naming the base endpoint of each service by
// its SDK id, the way AWS_ENDPOINT_URL_<SERVICE> does: every client built from the
// configuration talks to the local endpoints, and the handlers hold no local branch.
type serviceEndpoints map[string]string

// GetServiceBaseEndpoint answers the SDK's lookup of a service's configured endpoint.
func (s serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	endpoint, ok := s[sdkID]
	return endpoint, ok, nil
}

// Start brings the system up. On any failure it stops what it started.
func Start(ctx context.Context, opts Options) (_ *System, err error) {
	s := &System{Clock: opts.Clock, logger: opts.Logger}
	if s.Clock == nil {
		s.Clock = clock.Real{}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if err := s.dataDir(opts.DataDir); err != nil {
		return nil, err
	}
	rules := opts.Config
	if rules == nil {
		if rules, err = config.Load(os.Getenv); err != nil {
			return nil, err
		}
	}

	// DynamoDB, the tables, the seed.
	began := time.Now()
	s.DynamoDBEndpoint = opts.DynamoDBEndpoint
	if s.DynamoDBEndpoint == "" {
		s.dynamo, err = dynamolocal.Start(ctx, dynamolocal.Options{DataDir: filepath.Join(s.DataDir, "dynamodb"), Log: opts.DynamoDBLog})
		if err != nil {
			return nil, err
		}
		s.DynamoDBEndpoint = s.dynamo.Endpoint
	}
	dynamoReady := time.Since(began)
	prefix := opts.TablePrefix
	if prefix == "" {
		prefix = tables.DefaultPrefix
	}

	// The local AWS endpoints listen first, so that every client can be built with them.
	servicesAddr := opts.ServicesAddr
	if servicesAddr == "" {
		servicesAddr = "127.0.0.1:0"
	}
	servicesListener, err := s.listen(servicesAddr)
	if err != nil {
		return nil, fmt.Errorf("localstack: services endpoint: %w", err)
	}
	s.ServicesURL = "http://" + servicesListener.Addr().String()
	s.AWS = aws.Config{
		HTTPClient:  sdkhttp.NewClient(),
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		ConfigSources: []any{serviceEndpoints{
			"DynamoDB": s.DynamoDBEndpoint, "SFN": s.ServicesURL, "EventBridge": s.ServicesURL,
		}},
	}
	client := dynamodb.NewFromConfig(s.AWS)
	if s.Tables, err = tables.EnsureTables(ctx, client, prefix); err != nil {
		return nil, err
	}
	s.Store = store.New(client, s.Tables, store.Options{Now: s.Clock.Now, IdempotencyTTL: rules.Idempotency.TTL.D()})
	if _, err := seed.Apply(ctx, s.Store); err != nil {
		return nil, err
	}

	seeded := time.Since(began)

	// The workflow functions, built as on AWS, behind the local Lambda dispatcher.
	s.StateMachineARN = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", Region, Account, StateMachineName)
	env := registry.Env{AWS: s.AWS, Stage: Stage, Tables: s.Tables, StateMachineARN: s.StateMachineARN,
		EventBusName: EventBusName, Now: s.Clock.Now, Logger: s.logger}
	dispatcher := tasks.NewDispatcher()
	for _, function := range handlers.All() {
		if function.Trigger != registry.Workflow {
			continue
		}
		handler, err := function.New(ctx, env)
		if err != nil {
			return nil, fmt.Errorf("localstack: function %s: %w", function.Name, err)
		}
		if opts.WrapFunction != nil {
			handler = opts.WrapFunction(function.Name, handler)
		}
		if err := dispatcher.Register("fasttrack-"+function.Name, handler); err != nil {
			return nil, err
		}
	}

	// The engine, its API and the event endpoint on the services listener.
	engineOptions := engine.Options{Region: Region, Account: Account, Clock: s.Clock, Lambda: dispatcher, DynamoDB: client,
		Logger: s.logger, NoSync: opts.NoSync}
	if !opts.MemoryJournal {
		engineOptions.DataDir = filepath.Join(s.DataDir, "engine")
	}
	if s.Engine, err = engine.New(engineOptions); err != nil {
		return nil, err
	}
	if err := s.Engine.Start(ctx); err != nil {
		s.Engine = nil
		return nil, err
	}
	s.Events = NewEventLog(200, s.logger)
	stepFunctions := server.New(s.Engine, server.Options{Logger: s.logger})
	s.serve(servicesListener, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), eventsTargetPrefix) {
			s.Events.ServeHTTP(w, r)
			return
		}
		stepFunctions.ServeHTTP(w, r)
	}))
	workflow := sfn.NewFromConfig(s.AWS)
	if err := s.loadWorkflow(ctx, workflow); err != nil {
		return nil, err
	}

	// The issuer and the API.
	issuerDir := filepath.Join(s.DataDir, "auth")
	if s.Issuer, err = auth.OpenIssuer(issuerDir, auth.WithIssuerClock(s.Clock.Now)); err != nil {
		return nil, err
	}
	verifier, err := auth.NewVerifier(auth.VerifierConfig{Issuer: s.Issuer.Name(), Audience: s.Issuer.Audience(),
		Keys: s.Issuer.KeySet(), Now: s.Clock.Now})
	if err != nil {
		return nil, err
	}
	// The people the API looks up for delegations and reassignments are the stored accounts:
	// the seed's demo users and any account a test adds (Store.PutAccount), the same people
	// the issuer signs in. On AWS the user pool stands in their place.
	deps := api.StoreDependencies(s.Store, workflow)
	deps.Directory = auth.AccountDirectory{Accounts: s.Store}
	apiServer, err := api.New(deps, verifier, api.Options{StateMachineARN: s.StateMachineARN,
		Config: rules, Now: s.Clock.Now, Logger: s.logger})
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	apiListener, err := s.listen(addr)
	if err != nil {
		return nil, fmt.Errorf("localstack: API address %s: %w", addr, err)
	}
	s.APIURL = "http://" + apiListener.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("/.well-known/jwks.json", s.Issuer.JWKSHandler())
	mux.Handle("/local/token", s.Issuer.TokenHandler(DemoUser))
	if opts.Console != nil {
		console, err := opts.Console(s)
		if err != nil {
			return nil, fmt.Errorf("localstack: console: %w", err)
		}
		mux.Handle("/console/", http.StripPrefix("/console", console))
		s.ConsoleURL = s.APIURL + "/console/"
	}
	mux.Handle("/", apiServer)
	s.serve(apiListener, mux)
	s.logger.Info("local system ready", "dynamodb", dynamoReady.Round(time.Millisecond).String(),
		"tablesAndSeed", (seeded - dynamoReady).Round(time.Millisecond).String(),
		"engineFunctionsAPI", (time.Since(began) - seeded).Round(time.Millisecond).String(),
		"total", time.Since(began).Round(time.Millisecond).String())
	return s, nil
}

// DemoUser finds a demo account of the seed by its id, for the local token endpoint.
func DemoUser(name string) (auth.User, bool) {
	for _, account := range seed.DemoUsers() {
		if account.ID == name {
			return auth.FromAccount(account), true
		}
	}
	return auth.User{}, false
}

func (s *System) dataDir(dir string) error {
	if dir == "" {
		temp, err := os.MkdirTemp("", "fasttrack-local-")
		if err != nil {
			return err
		}
		s.tempDir, s.DataDir = temp, temp
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	s.DataDir = abs
	return os.MkdirAll(abs, 0o755)
}

// listen opens a listener that Close closes, so that a start that fails before serving it does
// not leak it.
func (s *System) listen(addr string) (net.Listener, error) {
	listener, err := net.Listen("tcp", addr)
	if err == nil {
		s.listeners = append(s.listeners, listener)
	}
	return listener, err
}

func (s *System) serve(listener net.Listener, handler http.Handler) {
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("localstack: server stopped", "addr", listener.Addr().String(), "error", err.Error())
		}
	}()
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)

// Definition returns the workflow definition with every placeholder filled for this system:
// function ARNs, table names and the event bus. A placeholder it cannot fill is an error.
func (s *System) Definition() (string, error) {
	values := map[string]string{"EventBusName": EventBusName}
	for _, function := range registry.All() {
		values[function.ArnPlaceholder()] = FunctionARN(function.Name)
	}
	for logical, physical := range s.Tables {
		values[strings.ToUpper(logical[:1])+logical[1:]+"TableName"] = physical
	}
	var missing []string
	definition := placeholder.ReplaceAllStringFunc(string(workflows.FastTrack()), func(match string) string {
		name := placeholder.FindStringSubmatch(match)[1]
		if value, ok := values[name]; ok {
			return value
		}
		missing = append(missing, name)
		return match
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("localstack: the workflow has placeholders nothing fills: %v", missing)
	}
	return definition, nil
}

// loadWorkflow creates the state machine, or updates it to this definition.
func (s *System) loadWorkflow(ctx context.Context, workflow *sfn.Client) error {
	definition, err := s.Definition()
	if err != nil {
		return err
	}
	role := fmt.Sprintf("arn:aws:iam::%s:role/fasttrack-local", Account)
	_, err = workflow.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(StateMachineName),
		Definition: aws.String(definition), RoleArn: aws.String(role)})
	var exists *sfntypes.StateMachineAlreadyExists
	if errors.As(err, &exists) {
		_, err = workflow.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(s.StateMachineARN),
			Definition: aws.String(definition), RoleArn: aws.String(role)})
	}
	if err != nil {
		return fmt.Errorf("localstack: load the workflow: %w", err)
	}
	return nil
}

// Done is closed if DynamoDB Local, started by the system, exits on its own; nil (never closed)
// with an external endpoint.
func (s *System) Done() <-chan struct{} {
	if s.dynamo == nil {
		return nil
	}
	return s.dynamo.Done()
}

// Close stops everything: the HTTP servers, the engine (its journal closed; running executions
// resume at the next start), DynamoDB Local, and the temporary directory if there was one.
func (s *System) Close() error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(shutdown); err != nil {
			errs = append(errs, err)
		}
	}
	for _, listener := range s.listeners {
		_ = listener.Close() // a served one is closed already, by its server's Shutdown
	}
	if s.Engine != nil {
		if err := s.Engine.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.dynamo != nil {
		if err := s.dynamo.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.tempDir != "" {
		if err := os.RemoveAll(s.tempDir); err != nil {
			errs = append(errs, err)
		}
	}
	s.closeErr = errors.Join(errs...)
	return s.closeErr
}
