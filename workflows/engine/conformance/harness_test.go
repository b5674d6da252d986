package conformance

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/workflows/engine"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/server"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

// clockStart is where the suite's clock starts for every engine; the Wait cases with absolute
// timestamps count from it.
var clockStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// harness is one engine behind its Step Functions API server, on its own fake clock, with the
// test Lambda functions registered, and an sfn client pointed at it.
type harness struct {
	client  *sfn.Client
	clock   *clock.Fake
	lambdas *Lambdas
	// inFlight counts Task calls (Lambda and DynamoDB) that will end on their own; calls to
	// Block are left out, since only a timer ends them.
	inFlight *atomic.Int64
}

// newHarness starts an in-memory engine and its server for one test and stops both at the end.
// dynamo may be nil when the test calls no DynamoDB integration.
func newHarness(t *testing.T, dynamo tasks.DynamoDB) *harness {
	t.Helper()
	return newHarnessIn(t, dynamo, false)
}

// newHarnessIn is newHarness, with the engine's journal in a temporary directory when durable.
func newHarnessIn(t *testing.T, dynamo tasks.DynamoDB, durable bool) *harness {
	t.Helper()
	lambdas := NewLambdas()
	dispatcher := tasks.NewDispatcher()
	if err := lambdas.Register(dispatcher); err != nil {
		t.Fatal(err)
	}
	inFlight := new(atomic.Int64)
	fake := clock.NewFake(clockStart)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := engine.Options{
		Logger: quiet,
		Clock:  fake,
		Lambda: &countingInvoker{next: dispatcher, inFlight: inFlight},
	}
	if durable {
		opts.DataDir, opts.NoSync = t.TempDir(), true
	}
	if dynamo != nil {
		opts.DynamoDB = &countingDynamoDB{DynamoDB: dynamo, inFlight: inFlight}
	}
	e, err := engine.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(e, server.Options{Logger: quiet}))
	t.Cleanup(func() {
		srv.Close()
		lambdas.Close()
		if err := e.Close(); err != nil {
			t.Errorf("engine close: %v", err)
		}
	})
	return &harness{client: newSFNClient(srv.URL), clock: fake, lambdas: lambdas, inFlight: inFlight}
}

// newSFNClient is the unmodified aws-sdk-go-v2 Step Functions client with a custom endpoint.
func newSFNClient(endpoint string) *sfn.Client {
	return sfn.New(sfn.Options{
		HTTPClient:       sdkhttp.NewClient(),
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		RetryMaxAttempts: 1,
	})
}

// newDynamoDBClient is a DynamoDB client for DynamoDB Local.
func newDynamoDBClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	return dynamodb.New(dynamodb.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       "us-east-1",
		BaseEndpoint: aws.String(dynamolocal.TestEndpoint(t)),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// countingInvoker counts the Lambda calls in flight, so that the runner moves the clock only
// when every pending step waits on a timer.
type countingInvoker struct {
	next     tasks.Invoker
	inFlight *atomic.Int64
}

var _ tasks.Invoker = (*countingInvoker)(nil)

func (c *countingInvoker) Invoke(ctx context.Context, functionARN string, payload []byte) ([]byte, error) {
	if name, _ := tasks.FunctionName(functionARN); !strings.EqualFold(name, "Block") {
		c.inFlight.Add(1)
		defer c.inFlight.Add(-1)
	}
	return c.next.Invoke(ctx, functionARN, payload)
}

// countingDynamoDB counts the DynamoDB calls in flight.
type countingDynamoDB struct {
	tasks.DynamoDB
	inFlight *atomic.Int64
}

var _ tasks.DynamoDB = (*countingDynamoDB)(nil)

func (c *countingDynamoDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	return c.DynamoDB.GetItem(ctx, in, opts...)
}

func (c *countingDynamoDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	return c.DynamoDB.PutItem(ctx, in, opts...)
}

func (c *countingDynamoDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	return c.DynamoDB.UpdateItem(ctx, in, opts...)
}

func (c *countingDynamoDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	return c.DynamoDB.DeleteItem(ctx, in, opts...)
}
