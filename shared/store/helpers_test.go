package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts at the real time: DynamoDB Local deletes items whose TTL attribute is in the
// real past, so a test clock behind the wall clock would see its idempotency keys vanish.
func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClient(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	return dynamodb.New(dynamodb.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       "us-east-1",
		BaseEndpoint: aws.String(dynamolocal.TestEndpoint(tb)),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// mustStore returns a Store on fresh tables with a random prefix and a test clock.
func mustStore(tb testing.TB) (*store.Store, *clock) {
	tb.Helper()
	st, c, _, _ := mustStoreWithClient(tb)
	return st, c
}

// mustStoreWithClient also returns the client and table names, for tests that tamper with
// stored items behind the store's back.
func mustStoreWithClient(tb testing.TB) (*store.Store, *clock, *dynamodb.Client, tables.Names) {
	tb.Helper()
	client := newClient(tb)
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	names, err := tables.EnsureTables(context.Background(), client, "t"+hex.EncodeToString(b)+"-")
	if err != nil {
		tb.Fatalf("EnsureTables: %v", err)
	}
	c := newClock()
	return store.New(client, names, store.Options{Now: c.Now}), c, client, names
}

func cfgDefault() *config.Config { return config.Default() }
