// Package steptest sets up the step functions' tests: fresh tables on DynamoDB Local with a
// random prefix and the demo seed, a settable clock, stored activations ready for a step, and a
// call of a handler through lambda.NewHandler(h).Invoke, the Lambda Go runtime's own JSON path,
// with its error named as the runtime names it.
package steptest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/seed"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Clock is a settable clock. It starts at the wall clock because DynamoDB Local expires TTL
// items against the real time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Fixture is one test's world: seeded tables, their store, a clock and the rules.
type Fixture struct {
	Store  *store.Store
	Names  tables.Names
	Client *dynamodb.Client
	Clock  *Clock
	Config *config.Config
	Ctx    context.Context
}

// New makes fresh tables with a random prefix on the test DynamoDB Local and applies the demo
// seed.
func New(tb testing.TB) *Fixture {
	tb.Helper()
	client := dynamodb.New(dynamodb.Options{HTTPClient: sdkhttp.NewClient(), Region: "us-east-1", BaseEndpoint: aws.String(dynamolocal.TestEndpoint(tb)),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	ctx := context.Background()
	names, err := tables.EnsureTables(ctx, client, "s"+hex.EncodeToString(b)+"-")
	if err != nil {
		tb.Fatalf("EnsureTables: %v", err)
	}
	clock := &Clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	st := store.New(client, names, store.Options{Now: clock.Now})
	if _, err := seed.Apply(ctx, st); err != nil {
		tb.Fatalf("seed: %v", err)
	}
	return &Fixture{Store: st, Names: names, Client: client, Clock: clock, Config: config.Default(), Ctx: ctx}
}

// Runtime is a step runtime on the fixture's store and clock.
func (f *Fixture) Runtime(name string) step.Runtime {
	return step.Runtime{Name: name, Activations: f.Store, Now: f.Clock.Now, Config: f.Config,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stage: "test"}.Defaults()
}

// Request is a valid small request: Nairobi (level 2), 10,000 USD, one English-speaking expert
// in skills training for 30 days from a month ahead.
func (f *Fixture) Request() domain.ActivationRequest {
	return domain.ActivationRequest{
		Country: "KE", DutyStation: "Nairobi", CrisisType: domain.NaturalDisaster, Phase: domain.Response,
		PeopleAffected: domain.PeopleAffected{Women: 5000, Men: 4000, Girls: 3000, Boys: 3000},
		TargetGroups:   []domain.TargetGroup{domain.Women, domain.Youth},
		Amount:         domain.USD(1_000_000), Purpose: "Skills assessment after the floods",
		Profiles: []domain.Profile{{Area: domain.Area("skills_training"), Languages: []string{"en"},
			StartDate: domain.DateOf(f.Clock.Now().AddDate(0, 1, 0)), Days: 30}},
		DemandReference: "Ministry of Labour, ref. 2026/7", Justification: "Floods in the Tana River basin.",
	}
}

// Activation stores an activation of the request in the status given (REQUESTED when empty),
// as the API and the earlier steps would have left it.
func (f *Fixture) Activation(tb testing.TB, req domain.ActivationRequest, status domain.Status) domain.Activation {
	tb.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	if status == "" {
		status = domain.StatusRequested
	}
	ref, err := f.Store.LoadReference(f.Ctx)
	if err != nil {
		tb.Fatal(err)
	}
	station, _ := ref.DutyStation(req.Country, req.DutyStation)
	a := domain.Activation{ID: "act-" + hex.EncodeToString(b), ActivationRequest: req, Office: req.Country,
		RequestedBy: "office-" + req.Country, Status: status, Version: 1, Priority: 50, SecurityLevel: station.Level,
		Steps: []domain.Step{{Name: "request", Status: "succeeded", At: f.Clock.Now()}}}
	if status != domain.StatusRequested {
		clearance := domain.Clearance(station.Level, f.Config)
		a.Clearance = &clearance
	}
	a, err = f.Store.CreateActivation(f.Ctx, a)
	if err != nil {
		tb.Fatalf("CreateActivation: %v", err)
	}
	return a
}

// Get reads the activation.
func (f *Fixture) Get(tb testing.TB, id string) domain.Activation {
	tb.Helper()
	a, err := f.Store.GetActivation(f.Ctx, id)
	if err != nil {
		tb.Fatalf("GetActivation(%s): %v", id, err)
	}
	return a
}

// Audit returns the activation's audit trail and fails the test if its chain is broken.
func (f *Fixture) Audit(tb testing.TB, id string) []audit.Event {
	tb.Helper()
	page, err := f.Store.AuditOfActivation(f.Ctx, id, 1000, "")
	if err != nil {
		tb.Fatal(err)
	}
	if breaks := audit.Verify(page.Items); len(breaks) > 0 {
		tb.Fatalf("audit chain of %s is broken: %v", id, breaks)
	}
	return page.Items
}

// Actions counts the activation's audit events by action.
func (f *Fixture) Actions(tb testing.TB, id string) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, e := range f.Audit(tb, id) {
		out[e.Action]++
	}
	return out
}

// Result is one call of a handler as the Lambda runtime reports it.
type Result struct {
	// Output is the JSON the handler returned (nil on error).
	Output json.RawMessage
	// ErrorType is the error's type name as the runtime reports it ("" on success).
	ErrorType string
	Err       error
}

// Invoke calls handler with the JSON of payload through lambda.NewHandler(handler).Invoke.
func Invoke(tb testing.TB, handler any, payload any) Result {
	tb.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := lambda.NewHandler(handler).Invoke(context.Background(), body)
	if err != nil {
		return Result{ErrorType: typeName(err), Err: err}
	}
	return Result{Output: append(json.RawMessage(nil), out...)}
}

// typeName names an error as aws-lambda-go does (lambda/errors.go): the type name, pointer
// stripped.
func typeName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// MustSucceed fails the test unless the call succeeded, and decodes its output into out.
func (r Result) MustSucceed(tb testing.TB, out any) {
	tb.Helper()
	if r.Err != nil {
		tb.Fatalf("handler failed: %s: %v", r.ErrorType, r.Err)
	}
	if out != nil {
		if err := json.Unmarshal(r.Output, out); err != nil {
			tb.Fatalf("output %s: %v", r.Output, err)
		}
	}
}

// MustFail fails the test unless the call failed with the named error type.
func (r Result) MustFail(tb testing.TB, errorType string) {
	tb.Helper()
	if r.Err == nil {
		tb.Fatalf("handler succeeded with %s, want error %s", r.Output, errorType)
	}
	if r.ErrorType != errorType {
		tb.Fatalf("handler failed with %s (%v), want %s", r.ErrorType, r.Err, errorType)
	}
}
