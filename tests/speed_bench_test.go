package tests

// Where the time of the automated path goes: DynamoDB round trips per step (counted by
// operation and table, on DynamoDB Local in memory and on disk), and the engine's share (its
// journal in memory, on disk without fsync, on disk with fsync as `fasttrack local` runs it).
//
//	go test -run '^$' -bench 'AutoCleared(Steps|Modes)' -benchtime 20x ./tests/
//
// FASTTRACK_BENCH_TABLE=file appends the per-step call tables, in Markdown, to file.

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
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/fasttrack/fasttrack/functions/handlers"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/localstack"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/seed"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
	"github.com/fasttrack/fasttrack/workflows/engine"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
)

// --- counting DynamoDB calls ---

type stepLabel struct{}

// withStep labels the DynamoDB calls made under ctx as the step's.
func withStep(ctx context.Context, step string) context.Context {
	return context.WithValue(ctx, stepLabel{}, step)
}

type callKey struct{ step, operation, table string }

type callTally struct {
	count int
	spent time.Duration
}

// callCounter counts DynamoDB calls by step, operation and table, and the time they took.
type callCounter struct {
	mu      sync.Mutex
	calls   map[callKey]*callTally
	logical map[string]string // physical table name -> logical
}

func newCallCounter(names tables.Names) *callCounter {
	c := &callCounter{calls: map[callKey]*callTally{}, logical: map[string]string{}}
	for logical, physical := range names {
		c.logical[physical] = logical
	}
	return c
}

func (c *callCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = map[callKey]*callTally{}
}

func (c *callCounter) add(step, operation, table string, spent time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for _, t := range strings.Split(table, "+") {
		name, idx, _ := strings.Cut(t, "|")
		if l, ok := c.logical[name]; ok {
			name = l
		}
		if idx != "" {
			name += "/" + idx
		}
		names = append(names, name)
	}
	table = strings.Join(names, "+")
	k := callKey{step, operation, table}
	t := c.calls[k]
	if t == nil {
		t = &callTally{}
		c.calls[k] = t
	}
	t.count++
	t.spent += spent
}

// middleware is an SDK option that counts every DynamoDB call of the clients built with it.
func (c *callCounter) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			began := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			operation, tables := describeCall(in.Parameters)
			if operation == "" {
				return out, md, err
			}
			step, _ := ctx.Value(stepLabel{}).(string)
			if step == "" {
				step = "other"
			}
			for _, t := range tables {
				c.add(step, operation, t, time.Since(began)/time.Duration(len(tables)))
			}
			return out, md, err
		}), middleware.After)
}

// describeCall names a DynamoDB call's operation and the tables (and indexes) it touches.
func describeCall(params any) (string, []string) {
	index := func(table, idx *string) string {
		if idx != nil {
			return aws.ToString(table) + "|" + aws.ToString(idx)
		}
		return aws.ToString(table)
	}
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		return "GetItem", []string{aws.ToString(in.TableName)}
	case *dynamodb.PutItemInput:
		return "PutItem", []string{aws.ToString(in.TableName)}
	case *dynamodb.UpdateItemInput:
		return "UpdateItem", []string{aws.ToString(in.TableName)}
	case *dynamodb.DeleteItemInput:
		return "DeleteItem", []string{aws.ToString(in.TableName)}
	case *dynamodb.QueryInput:
		return "Query", []string{index(in.TableName, in.IndexName)}
	case *dynamodb.ScanInput:
		return "Scan", []string{index(in.TableName, in.IndexName)}
	case *dynamodb.BatchGetItemInput:
		return "BatchGetItem", sortedKeys(in.RequestItems)
	case *dynamodb.BatchWriteItemInput:
		return "BatchWriteItem", sortedKeys(in.RequestItems)
	case *dynamodb.TransactGetItemsInput:
		var names []string
		for _, it := range in.TransactItems {
			if it.Get != nil {
				names = append(names, aws.ToString(it.Get.TableName))
			}
		}
		return "TransactGetItems", []string{strings.Join(uniqueSorted(names), "+")}
	case *dynamodb.TransactWriteItemsInput:
		var names []string
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				names = append(names, aws.ToString(it.Put.TableName))
			case it.Update != nil:
				names = append(names, aws.ToString(it.Update.TableName))
			case it.Delete != nil:
				names = append(names, aws.ToString(it.Delete.TableName))
			case it.ConditionCheck != nil:
				names = append(names, aws.ToString(it.ConditionCheck.TableName))
			}
		}
		return "TransactWriteItems", []string{strings.Join(uniqueSorted(names), "+")}
	}
	return "", nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func uniqueSorted(names []string) []string {
	sort.Strings(names)
	return slices.Compact(names)
}

// writes reports whether an operation writes (what DynamoDB Local on disk pays for).
func writes(operation string) bool {
	switch operation {
	case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems":
		return true
	}
	return false
}

// totals returns the calls of one step (all steps for ""), per run.
func (c *callCounter) totals(step string, runs int) (reads, writesN float64, spent time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, t := range c.calls {
		if step != "" && k.step != step {
			continue
		}
		if writes(k.operation) {
			writesN += float64(t.count)
		} else {
			reads += float64(t.count)
		}
		spent += t.spent
	}
	return reads / float64(runs), writesN / float64(runs), spent / time.Duration(runs)
}

// table renders the calls per run as Markdown: one row per step, operation and table.
func (c *callCounter) table(title string, steps []string, runs int, stepTime map[string]time.Duration) string {
	c.mu.Lock()
	keys := make([]callKey, 0, len(c.calls))
	for k := range c.calls {
		keys = append(keys, k)
	}
	c.mu.Unlock()
	order := map[string]int{}
	for i, s := range steps {
		order[s] = i
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if order[a.step] != order[b.step] {
			return order[a.step] < order[b.step]
		}
		if a.operation != b.operation {
			return a.operation < b.operation
		}
		return a.table < b.table
	})
	var out strings.Builder
	fmt.Fprintf(&out, "\n### %s (per activation, mean of %d)\n\n", title, runs)
	fmt.Fprintf(&out, "| step | operation | table | calls | ms in calls |\n|---|---|---|---:|---:|\n")
	for _, k := range keys {
		t := c.calls[k]
		fmt.Fprintf(&out, "| %s | %s | %s | %.1f | %.2f |\n", k.step, k.operation, k.table,
			float64(t.count)/float64(runs), float64(t.spent.Microseconds())/1000/float64(runs))
	}
	fmt.Fprintf(&out, "\n| step | reads | writes | ms in calls | ms wall |\n|---|---:|---:|---:|---:|\n")
	for _, s := range append(slices.Clone(steps), "") {
		reads, w, spent := c.totals(s, runs)
		name := s
		if s == "" {
			name = "**all**"
		}
		fmt.Fprintf(&out, "| %s | %.1f | %.1f | %.2f | %.2f |\n", name, reads, w,
			float64(spent.Microseconds())/1000, float64(stepTime[s].Microseconds())/1000/float64(runs))
	}
	return out.String()
}

func writeBenchTable(tb testing.TB, text string) {
	path := os.Getenv("FASTTRACK_BENCH_TABLE")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		tb.Errorf("bench table: %v", err)
		return
	}
	defer f.Close()
	_, _ = f.WriteString(text)
}

// --- DynamoDB Local in memory or on disk ---

// dynamoEndpoint returns the shared in-memory DynamoDB Local, or a DynamoDB Local of the
// benchmark's own with its data on disk (as `fasttrack local` runs it).
func dynamoEndpoint(tb testing.TB, onDisk bool) string {
	tb.Helper()
	if !onDisk {
		return dynamolocal.TestEndpoint(tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv, err := dynamolocal.Start(ctx, dynamolocal.Options{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("DynamoDB Local on disk: %v", err)
	}
	tb.Cleanup(func() { _ = srv.Stop() })
	return srv.Endpoint
}

func randomPrefix(letter string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return letter + hex.EncodeToString(b) + "-"
}

// warmups is how many activations run before the timer starts.
const warmups = 20

// --- the path's steps called directly, in the workflow's order ---

// stepNames are the path's steps in order; "request" is what the API stores before the
// execution starts.
var stepNames = []string{"request", "assess", "clearance", "reserve", "release", "roster", "insurance", "activate"}

type stepWorld struct {
	store    *store.Store
	counter  *callCounter
	clock    *clock.Fake
	handlers map[string]lambda.Handler
	spent    map[string]time.Duration
}

func newStepWorld(b *testing.B, onDisk bool) *stepWorld {
	b.Helper()
	ctx := context.Background()
	endpoint := dynamoEndpoint(b, onDisk)
	plain := dynamodb.New(dynamodb.Options{HTTPClient: sdkhttp.NewClient(), Region: localstack.Region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	names, err := tables.EnsureTables(ctx, plain, randomPrefix("b"))
	if err != nil {
		b.Fatal(err)
	}
	fake := clock.NewFake(time.Now().UTC().Truncate(time.Millisecond))
	w := &stepWorld{counter: newCallCounter(names), clock: fake, handlers: map[string]lambda.Handler{}, spent: map[string]time.Duration{}}
	events := httptest.NewServer(localstack.NewEventLog(10, slog.New(slog.NewTextHandler(io.Discard, nil))))
	b.Cleanup(events.Close)
	cfg := aws.Config{Region: localstack.Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		APIOptions:    []func(*middleware.Stack) error{w.counter.middleware},
		ConfigSources: []any{serviceEndpointsForBench{"DynamoDB": endpoint, "EventBridge": events.URL, "SFN": events.URL}}}
	w.store = store.New(dynamodb.NewFromConfig(cfg), names, store.Options{Now: fake.Now})
	if _, err := seed.Apply(ctx, w.store); err != nil {
		b.Fatal(err)
	}
	env := registry.Env{AWS: cfg, Stage: "bench", Tables: names, EventBusName: "bench", Now: fake.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, name := range []string{"assess", "clearance", "funds", "roster", "insurance", "activate"} {
		function, _ := handlers.Lookup(name)
		h, err := function.New(ctx, env)
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		w.handlers[name] = lambda.NewHandler(h)
	}
	return w
}

// serviceEndpointsForBench names each service's endpoint as AWS_ENDPOINT_URL_<SERVICE> would.
type serviceEndpointsForBench map[string]string

func (s serviceEndpointsForBench) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	endpoint, ok := s[sdkID]
	return endpoint, ok, nil
}

// invoke calls a function as the engine's dispatcher does and times it as the step's.
func (w *stepWorld) invoke(b *testing.B, step, function string, payload map[string]any, out any) {
	b.Helper()
	body, _ := json.Marshal(payload)
	began := time.Now()
	result, err := w.handlers[function].Invoke(withStep(context.Background(), step), body)
	w.add(step, time.Since(began))
	if err != nil {
		b.Fatalf("%s: %v", step, err)
	}
	if out != nil {
		if err := json.Unmarshal(result, out); err != nil {
			b.Fatalf("%s: %v in %s", step, err, result)
		}
	}
}

func (w *stepWorld) add(step string, d time.Duration) {
	w.spent[step] += d
}

// run takes one auto-cleared activation from request to ACTIVE by calling each step.
func (w *stepWorld) run(b *testing.B, i int) {
	w.runOn(b, i, 1+(i/len(domain.Areas))%300)
}

// runOn is run with the profile starting days ahead.
func (w *stepWorld) runOn(b *testing.B, i, days int) {
	b.Helper()
	ctx := withStep(context.Background(), "request")
	now := w.clock.Now()
	req := domain.ActivationRequest{
		Country: "KE", DutyStation: "Nairobi", CrisisType: domain.NaturalDisaster, Phase: domain.Response,
		PeopleAffected: domain.PeopleAffected{Women: 5200, Men: 4800, Girls: 3100, Boys: 3000},
		TargetGroups:   []domain.TargetGroup{domain.Women, domain.Youth}, Amount: domain.USD(10_000),
		Purpose: "Employment-intensive rubble removal",
		Profiles: []domain.Profile{{Area: domain.Areas[i%len(domain.Areas)], Languages: []string{"en"},
			StartDate: domain.DateOf(now.AddDate(0, 0, days)), Days: 1}},
		DemandReference: "Request of the Ministry of Labour, ref. 2026/114", Justification: "Hurricane landfall.",
	}
	id := "bench-" + randomPrefix("")[:10] + fmt.Sprint(i)
	began := time.Now()
	a, err := w.store.CreateActivation(ctx, domain.Activation{ID: id, ActivationRequest: req, Office: "KE",
		RequestedBy: "office-ke", Status: domain.StatusRequested, Version: 1, Priority: 50, SecurityLevel: 2,
		CreatedAt: now, Steps: []domain.Step{{Name: "request", Status: "succeeded", At: now}}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.store.AppendAudit(ctx, audit.Event{Time: now, Actor: "office-ke", Role: "country-office", Office: "KE",
		Action: audit.ActionActivationRequested, ActivationID: a.ID, Country: "KE", Subject: "request"}); err != nil {
		b.Fatal(err)
	}
	w.add("request", time.Since(began))
	execution := "arn:aws:states:us-east-1:123456789012:execution:fasttrack:" + id
	call := func(state string, extra map[string]any) map[string]any {
		p := map[string]any{"activationId": id, "execution": execution, "state": state}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	var assessment struct {
		Profiles []json.RawMessage `json:"profiles"`
	}
	w.invoke(b, "assess", "assess", call("Assess", map[string]any{"startedAt": now.Format(time.RFC3339Nano)}), &assessment)
	// The Parallel state runs both branches at once.
	var wg sync.WaitGroup
	var clearanceTime, reserveTime time.Duration
	var clearanceErr, reserveErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		body, _ := json.Marshal(call("SecurityClearance", nil))
		began := time.Now()
		_, clearanceErr = w.handlers["clearance"].Invoke(withStep(context.Background(), "clearance"), body)
		clearanceTime = time.Since(began)
	}()
	go func() {
		defer wg.Done()
		body, _ := json.Marshal(call("ReserveFunds", map[string]any{"action": "reserve"}))
		began := time.Now()
		_, reserveErr = w.handlers["funds"].Invoke(withStep(context.Background(), "reserve"), body)
		reserveTime = time.Since(began)
	}()
	wg.Wait()
	if clearanceErr != nil || reserveErr != nil {
		b.Fatalf("checks: %v, %v", clearanceErr, reserveErr)
	}
	w.add("clearance", clearanceTime)
	w.add("reserve", reserveTime)
	w.invoke(b, "release", "funds", call("ReleaseFunds", map[string]any{"action": "release"}), nil)
	for _, profile := range assessment.Profiles {
		var booking json.RawMessage
		w.invoke(b, "roster", "roster", call("BookExpert", map[string]any{"action": "book", "profile": profile}), &booking)
		w.invoke(b, "insurance", "insurance", call("CheckCover", map[string]any{"action": "check", "booking": booking}), nil)
	}
	var active domain.Activation
	w.invoke(b, "activate", "activate", call("Activate", nil), &active)
	if active.Status != domain.StatusActive {
		b.Fatalf("activation %s is %s", id, active.Status)
	}
	w.add("", time.Since(began))
}

// BenchmarkAutoClearedSteps runs the automated path by calling each step's handler directly
// (through the Lambda runtime's JSON path, as the engine's dispatcher does), without the engine
// and the HTTP API, and reports the DynamoDB calls and time of each step: reads/op and
// writes/op over the whole path, and ms/op of each step.
func BenchmarkAutoClearedSteps(b *testing.B) {
	for _, mode := range []struct {
		name   string
		onDisk bool
	}{{"dynamodb=memory", false}, {"dynamodb=disk", true}} {
		b.Run(mode.name, func(b *testing.B) {
			w := newStepWorld(b, mode.onDisk)
			// Warm up: connections, and above all the emulator's JIT compiler, which makes its
			// first few hundred calls several times slower than the rest.
			for i := range warmups {
				w.runOn(b, i, 302+i/len(domain.Areas))
			}
			w.counter.reset()
			w.spent = map[string]time.Duration{}
			b.ResetTimer()
			for i := range b.N {
				w.run(b, i+1)
			}
			b.StopTimer()
			reads, writesN, _ := w.counter.totals("", b.N)
			b.ReportMetric(reads, "reads/op")
			b.ReportMetric(writesN, "writes/op")
			for _, s := range stepNames {
				b.ReportMetric(float64(w.spent[s].Microseconds())/1000/float64(b.N), s+"-ms/op")
			}
			if b.N > 1 {
				writeBenchTable(b, w.counter.table("Steps called directly, "+mode.name, stepNames, b.N, w.spent))
			}
		})
	}
}

// --- the whole system, through HTTP ---

// countingProxy stands in front of DynamoDB Local and counts every call of the whole system
// (API, functions, engine) by operation and table.
type countingProxy struct {
	counter *callCounter
	server  *httptest.Server
}

func newCountingProxy(tb testing.TB, endpoint string) *countingProxy {
	target, err := url.Parse(endpoint)
	if err != nil {
		tb.Fatal(err)
	}
	p := &countingProxy{counter: newCallCounter(nil)}
	proxy := httputil.NewSingleHostReverseProxy(target)
	p.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		operation := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		began := time.Now()
		proxy.ServeHTTP(w, r)
		for _, table := range tablesOfBody(body) {
			p.counter.add("all", operation, table, time.Since(began))
		}
	}))
	tb.Cleanup(p.server.Close)
	return p
}

// tablesOfBody finds the tables a DynamoDB JSON request names, without their prefix.
func tablesOfBody(body []byte) []string {
	var doc struct {
		TableName     string
		IndexName     string
		RequestItems  map[string]json.RawMessage
		TransactItems []map[string]struct{ TableName string }
	}
	_ = json.Unmarshal(body, &doc)
	strip := func(name string) string {
		if i := strings.Index(name, "-"); i >= 0 {
			return name[i+1:]
		}
		return name
	}
	switch {
	case doc.TableName != "":
		if doc.IndexName != "" {
			return []string{strip(doc.TableName) + "/" + doc.IndexName}
		}
		return []string{strip(doc.TableName)}
	case len(doc.RequestItems) > 0:
		var out []string
		for t := range doc.RequestItems {
			out = append(out, strip(t))
		}
		return uniqueSorted(out)
	case len(doc.TransactItems) > 0:
		var out []string
		for _, item := range doc.TransactItems {
			for _, v := range item {
				out = append(out, strip(v.TableName))
			}
		}
		return []string{strings.Join(uniqueSorted(out), "+")}
	}
	return []string{"-"}
}

// BenchmarkAutoClearedModes is BenchmarkAutoClearedActivation (POST to ACTIVE through HTTP,
// the whole system in one process) on DynamoDB Local in memory and on disk, with the engine's
// journal in memory, on disk without fsync, and on disk with fsync (`fasttrack local`). It
// reports the DynamoDB calls of the whole system per activation and the p50 and p99 latency.
func BenchmarkAutoClearedModes(b *testing.B) {
	type mode struct {
		dynamo, engine string
	}
	var modes []mode
	for _, d := range []string{"memory", "disk"} {
		for _, e := range []string{"memory", "nosync", "fsync"} {
			modes = append(modes, mode{d, e})
		}
	}
	if only := os.Getenv("FASTTRACK_BENCH_MODES"); only != "" {
		modes = slices.DeleteFunc(modes, func(m mode) bool {
			return !strings.Contains(","+only+",", ","+m.dynamo+"/"+m.engine+",")
		})
	}
	for _, m := range modes {
		b.Run("dynamodb="+m.dynamo+"/engine="+m.engine, func(b *testing.B) {
			proxy := newCountingProxy(b, dynamoEndpoint(b, m.dynamo == "disk"))
			options := localstack.Options{DynamoDBEndpoint: proxy.server.URL, TablePrefix: randomPrefix("m"),
				Addr: "127.0.0.1:0", Clock: clock.Real{}, DataDir: b.TempDir(),
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			switch m.engine {
			case "memory":
				options.MemoryJournal, options.NoSync = true, true
			case "nosync":
				options.NoSync = true
			}
			sys, err := localstack.Start(context.Background(), options)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = sys.Close() })
			h := &harness{tb: b, sys: sys, clock: clock.NewFake(time.Now()), client: &http.Client{Timeout: 30 * time.Second}}
			token := h.token("office-ke")
			var inExecution, inFunctions time.Duration
			one := func(i, days int) time.Duration {
				req := h.request("KE", "Nairobi", 10_000, domain.Profile{Area: domain.Areas[i%len(domain.Areas)], Languages: []string{"en"},
					StartDate: h.day(days), Days: 1})
				began := time.Now()
				status, body := h.call(http.MethodPost, "/activations", token, req, nil)
				if status != http.StatusCreated {
					b.Fatalf("POST: %d %s", status, body)
				}
				a := decode[domain.Activation](b, body)
				arn := strings.Replace(sys.StateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + a.ID
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				execution, err := sys.Engine.WaitExecution(ctx, arn)
				cancel()
				elapsed := time.Since(began)
				if err != nil || execution.Status != engine.StatusSucceeded {
					b.Fatalf("execution %+v: %v", execution, err)
				}
				if got := h.activation("office-ke", a.ID); got.Status != domain.StatusActive {
					b.Fatalf("activation %s is %s (%q)", a.ID, got.Status, got.Reason)
				}
				took, ran := timeInFunctions(b, sys.Engine, arn)
				inExecution += took
				inFunctions += ran
				return elapsed
			}
			for i := range warmups { // warm up on days no measured iteration uses
				one(i, 302+i/len(domain.Areas))
			}
			proxy.counter.reset()
			inExecution, inFunctions = 0, 0
			latencies := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				latencies = append(latencies, one(i, 1+(i/len(domain.Areas))%300))
			}
			b.StopTimer()
			// The counts include the GET that checks the outcome: one GetItem on activations.
			reads, writesN, spent := proxy.counter.totals("", b.N)
			b.ReportMetric(reads, "reads/op")
			b.ReportMetric(writesN, "writes/op")
			// The time spent in DynamoDB calls, summed (calls of parallel branches overlap).
			b.ReportMetric(float64(spent.Microseconds())/1000, "dynamodb-ms/op")
			// From the execution's history: its duration, and the part of it in which a function
			// ran (the union of the Lambda calls' intervals, the journal's wait for its fsync
			// before each call included). The rest of the execution is the engine's own work;
			// the rest of the latency is the API's request, the start and the notification.
			b.ReportMetric(float64(inExecution.Microseconds())/1000/float64(b.N), "execution-ms/op")
			b.ReportMetric(float64(inFunctions.Microseconds())/1000/float64(b.N), "functions-ms/op")
			slices.Sort(latencies)
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(latencies[(len(latencies)*99)/100].Microseconds())/1000, "p99-ms")
			if b.N > 1 {
				writeBenchTable(b, proxy.counter.table("Whole system through HTTP, dynamodb="+m.dynamo+", engine="+m.engine,
					[]string{"all"}, b.N, nil))
			}
		})
	}
}

// timeInFunctions reads an execution's history and returns its duration and the time within it
// during which at least one Lambda function call was under way.
func timeInFunctions(b *testing.B, e *engine.Engine, arn string) (time.Duration, time.Duration) {
	events, _, err := e.GetExecutionHistory(context.Background(), engine.GetExecutionHistoryInput{ExecutionArn: arn, MaxResults: 1000})
	if err != nil {
		b.Fatal(err)
	}
	byID := map[int64]engine.HistoryEvent{}
	var began, ended time.Time
	type span struct{ from, to time.Time }
	var spans []span
	for _, ev := range events {
		byID[ev.ID] = ev
		switch ev.Type {
		case "ExecutionStarted":
			began = ev.Timestamp
		case "ExecutionSucceeded", "ExecutionFailed":
			ended = ev.Timestamp
		case "LambdaFunctionSucceeded", "LambdaFunctionFailed":
			if started, ok := byID[ev.PreviousEventID]; ok && started.Type == "LambdaFunctionStarted" {
				spans = append(spans, span{started.Timestamp, ev.Timestamp})
			}
		}
	}
	slices.SortFunc(spans, func(x, y span) int { return x.from.Compare(y.from) })
	var union time.Duration
	var cur span
	for i, sp := range spans {
		switch {
		case i == 0:
			cur = sp
		case !sp.from.After(cur.to):
			if sp.to.After(cur.to) {
				cur.to = sp.to
			}
		default:
			union += cur.to.Sub(cur.from)
			cur = sp
		}
	}
	if len(spans) > 0 {
		union += cur.to.Sub(cur.from)
	}
	return ended.Sub(began), union
}
