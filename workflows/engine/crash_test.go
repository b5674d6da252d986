package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
)

// sfnLocal is a running `fasttrack sfn-local` process.
type sfnLocal struct {
	cmd  *exec.Cmd
	addr string
	logs *syncBuilder
}

func buildFasttrack(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fasttrack")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/fasttrack/fasttrack/cmd/fasttrack")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type syncBuilder struct {
	mu sync.Mutex
	strings.Builder
}

func (b *syncBuilder) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Builder.Write(p)
}

// String reads what the process wrote so far; the process may still be writing.
func (b *syncBuilder) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Builder.String()
}

func startSFNLocal(t *testing.T, bin, dir, dynamo, lambda string) *sfnLocal {
	t.Helper()
	addr := freeAddr(t)
	logs := &syncBuilder{}
	cmd := exec.Command(bin, "sfn-local", "--addr", addr, "--data", dir, "--dynamodb-endpoint", dynamo, "--lambda-endpoint", lambda)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &sfnLocal{cmd: cmd, addr: addr, logs: logs}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("sfn-local did not listen on %s:\n%s", addr, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill stops the process the hard way: no shutdown code runs.
func (p *sfnLocal) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

func (p *sfnLocal) client() *sfn.Client {
	return sfn.New(sfn.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + p.addr),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// askFunction is a Lambda Invoke API endpoint with one function, "ask", that keeps the task
// tokens it is given and counts its calls.
type askFunction struct {
	mu     sync.Mutex
	tokens map[string]string // execution name -> token
	calls  map[string]int
}

func (a *askFunction) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/2015-03-31/functions/ask/invocations" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in struct {
		Token string `json:"token"`
		ID    string `json:"id"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.tokens[in.ID] = in.Token
	a.calls[in.ID]++
	a.mu.Unlock()
	_, _ = w.Write([]byte(`{"asked":true}`))
}

func (a *askFunction) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.tokens)
}

func counterState(name, table, step, next string) string {
	tail := `"End":true`
	if next != "" {
		tail = `"Next":"` + next + `"`
	}
	return fmt.Sprintf(`"%s":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:updateItem","Parameters":{"TableName":"%s",
		"Key":{"pk":{"S.$":"States.Format('{}#%s', $$.Execution.Name)"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}},
		"ResultPath":null,%s}`, name, table, step, tail)
}

// TestCrashRestart runs the real `fasttrack sfn-local` with a data directory, kills it with
// SIGKILL twice in the middle of work, and checks through the sfn SDK that every execution
// completes exactly once: Wait states, a task token handed out before the crashes, and
// Pass/Parallel/Map work; DynamoDB counters prove that no completed step ran again.
func TestCrashRestart(t *testing.T) {
	bin := buildFasttrack(t)
	endpoint := dynamolocal.TestEndpoint(t)
	db := dynamodb.New(dynamodb.Options{HTTPClient: sdkhttp.NewClient(), Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	ctx := context.Background()
	table := fmt.Sprintf("crash-%d", rand.Uint64())
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table), BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash}}}); err != nil {
		t.Fatal(err)
	}
	ask := &askFunction{tokens: map[string]string{}, calls: map[string]int{}}
	lambda := httptest.NewServer(ask)
	defer lambda.Close()
	dir := t.TempDir()

	p := startSFNLocal(t, bin, dir, endpoint, lambda.URL)
	c := p.client()
	create := func(name, definition string) string {
		out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(definition),
			RoleArn: aws.String("arn:aws:iam::123456789012:role/crash")})
		if err != nil {
			t.Fatalf("CreateStateMachine %s: %v", name, err)
		}
		return *out.StateMachineArn
	}
	waits := create("waits", `{"StartAt":"Count1","States":{`+counterState("Count1", table, "1", "Wait")+`,
		"Wait":{"Type":"Wait","Seconds":2,"Next":"Count2"},`+counterState("Count2", table, "2", "Fan")+`,
		"Fan":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
			{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Pass","Parameters":{"v.$":"States.MathAdd($,$)"},"End":true}}},"End":true}}}],
		 "ResultPath":"$.fan","Next":"Count3"},`+counterState("Count3", table, "3", "")+`}}`)
	asks := create("asks", `{"StartAt":"Count1","States":{`+counterState("Count1", table, "1", "Ask")+`,
		"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"ask","Payload":{"token.$":"$$.Task.Token","id.$":"$$.Execution.Name"}},
		 "ResultPath":"$.decision","TimeoutSeconds":3600,"Next":"Count2"},`+counterState("Count2", table, "2", "")+`}}`)
	busy := create("busy", `{"StartAt":"Fan","States":{"Fan":{"Type":"Parallel","Branches":[
		{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":5,"ItemProcessor":{"StartAt":"P1","States":{"P1":{"Type":"Pass","Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericGreaterThan":20,"Next":"Big"}],"Default":"Small"},"Big":{"Type":"Pass","Result":{"size":"big"},"End":true},"Small":{"Type":"Pass","Result":{"size":"small"},"End":true}}},"End":true}}},
		{"StartAt":"Q","States":{"Q":{"Type":"Pass","Parameters":{"n.$":"States.ArrayLength($.items)"},"End":true}}}],"Next":"Done"},
		"Done":{"Type":"Pass","Parameters":{"small.$":"States.ArrayLength($[0][?(@.size == 'small')])","n.$":"$[1].n"},"End":true}}}`)

	const nWaits, nAsks, nBusy = 10, 10, 100
	items := `[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]`
	start := func(machine, name, input string) string {
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(input)})
		if err != nil {
			t.Fatalf("StartExecution %s: %v", name, err)
		}
		return *out.ExecutionArn
	}
	var waitArns, askArns, busyArns []string
	for i := 0; i < nWaits; i++ {
		waitArns = append(waitArns, start(waits, fmt.Sprintf("w-%d", i), fmt.Sprintf(`{"i":%d,"items":[1,2,3]}`, i)))
	}
	for i := 0; i < nAsks; i++ {
		askArns = append(askArns, start(asks, fmt.Sprintf("a-%d", i), fmt.Sprintf(`{"i":%d}`, i)))
	}
	for i := 0; i < nBusy; i++ {
		busyArns = append(busyArns, start(busy, fmt.Sprintf("b-%d", i), `{"items":`+items+`}`))
	}
	hasEvent := func(c *sfn.Client, arn string, typ types.HistoryEventType) bool {
		h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
		if err != nil {
			t.Fatalf("GetExecutionHistory %s: %v", arn, err)
		}
		for _, ev := range h.Events {
			if ev.Type == typ {
				return true
			}
		}
		return false
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s\n%s", what, p.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Kill once every Wait state is entered (its first counter done) and every token is out.
	eventually("the waits to be entered", func() bool {
		for _, arn := range waitArns {
			if !hasEvent(c, arn, types.HistoryEventTypeWaitStateEntered) {
				return false
			}
		}
		return true
	})
	eventually("every token to be handed out", func() bool {
		if ask.count() < nAsks {
			return false
		}
		for _, arn := range askArns {
			if !hasEvent(c, arn, types.HistoryEventTypeTaskSubmitted) {
				return false
			}
		}
		return true
	})
	p.kill(t)

	// First restart: the waits finish (their 2 seconds passed while the process was down).
	p = startSFNLocal(t, bin, dir, endpoint, lambda.URL)
	c = p.client()
	status := func(arn string) types.ExecutionStatus {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("DescribeExecution %s: %v", arn, err)
		}
		return d.Status
	}
	eventually("the waits to complete after the first restart", func() bool {
		for _, arn := range waitArns {
			if status(arn) == types.ExecutionStatusRunning {
				return false
			}
		}
		return true
	})
	p.kill(t)

	// Second restart: the tokens handed out before the first crash still work.
	p = startSFNLocal(t, bin, dir, endpoint, lambda.URL)
	c = p.client()
	ask.mu.Lock()
	tokens := make(map[string]string, len(ask.tokens))
	for k, v := range ask.tokens {
		tokens[k] = v
	}
	ask.mu.Unlock()
	for name, token := range tokens {
		if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"approved":"` + name + `"}`)}); err != nil {
			t.Fatalf("SendTaskSuccess for %s after two restarts: %v", name, err)
		}
	}
	all := append(append(append([]string{}, waitArns...), askArns...), busyArns...)
	eventually("every execution to complete", func() bool {
		for _, arn := range all {
			if status(arn) == types.ExecutionStatusRunning {
				return false
			}
		}
		return true
	})

	output := func(arn string) string {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil || d.Status != types.ExecutionStatusSucceeded {
			t.Fatalf("%s: %v %v (%s: %s)", arn, d.Status, err, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		return aws.ToString(d.Output)
	}
	for i, arn := range waitArns {
		if got, want := output(arn), fmt.Sprintf(`{"i":%d,"items":[1,2,3],"fan":["a",[{"v":2},{"v":4},{"v":6}]]}`, i); got != want {
			t.Errorf("%s output %s, want %s", arn, got, want)
		}
	}
	for i, arn := range askArns {
		if got, want := output(arn), fmt.Sprintf(`{"i":%d,"decision":{"approved":"a-%d"}}`, i, i); got != want {
			t.Errorf("%s output %s, want %s", arn, got, want)
		}
	}
	for _, arn := range busyArns {
		if got := output(arn); got != `{"small":20,"n":30}` {
			t.Errorf("%s output %s", arn, got)
		}
	}
	// Every history is whole: ids 1..n without gaps or repeats, one ExecutionSucceeded.
	for _, arn := range all {
		h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
		if err != nil {
			t.Fatalf("GetExecutionHistory %s: %v\n%s", arn, err, p.logs.String())
		}
		succeeded := 0
		for i, ev := range h.Events {
			if ev.Id != int64(i+1) {
				t.Fatalf("%s: event %d has id %d", arn, i, ev.Id)
			}
			if ev.Type == types.HistoryEventTypeExecutionSucceeded {
				succeeded++
			}
		}
		if succeeded != 1 {
			t.Fatalf("%s: %d ExecutionSucceeded events", arn, succeeded)
		}
	}
	// Side effects: each counter step ran exactly once, the ask function once per execution.
	counter := func(key string) string {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]dbtypes.AttributeValue{"pk": &dbtypes.AttributeValueMemberS{Value: key}}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		n, ok := out.Item["n"].(*dbtypes.AttributeValueMemberN)
		if !ok {
			return "missing"
		}
		return n.Value
	}
	for i := 0; i < nWaits; i++ {
		for _, step := range []string{"1", "2", "3"} {
			if n := counter(fmt.Sprintf("w-%d#%s", i, step)); n != "1" {
				t.Errorf("w-%d step %s ran %s times", i, step, n)
			}
		}
	}
	for i := 0; i < nAsks; i++ {
		for _, step := range []string{"1", "2"} {
			if n := counter(fmt.Sprintf("a-%d#%s", i, step)); n != "1" {
				t.Errorf("a-%d step %s ran %s times", i, step, n)
			}
		}
	}
	ask.mu.Lock()
	defer ask.mu.Unlock()
	for name, n := range ask.calls {
		if n != 1 {
			t.Errorf("ask was called %d times for %s", n, name)
		}
	}
	if t.Failed() {
		t.Logf("sfn-local logs:\n%s", p.logs.String())
	}
}
