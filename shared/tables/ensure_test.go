package tables_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/shared/tables"
)

func newClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	return dynamodb.New(dynamodb.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       "us-east-1",
		BaseEndpoint: aws.String(dynamolocal.TestEndpoint(t)),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

func randomPrefix(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b) + "-"
}

// Creating the tables twice, and from several goroutines at once, leaves every table active
// with its indexes and TTL.
func TestEnsureTablesIsIdempotentAndConcurrent(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	prefix := randomPrefix(t)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			_, err := tables.EnsureTables(ctx, client, prefix)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("EnsureTables: %v", err)
		}
	}
	names, err := tables.EnsureTables(ctx, client, prefix)
	if err != nil {
		t.Fatalf("second EnsureTables: %v", err)
	}
	for _, decl := range tables.All() {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(names.Of(decl.Name))})
		if err != nil {
			t.Fatalf("describe %s: %v", decl.Name, err)
		}
		if out.Table.TableStatus != types.TableStatusActive {
			t.Errorf("%s is %s", decl.Name, out.Table.TableStatus)
		}
		if got := len(out.Table.GlobalSecondaryIndexes); got != len(decl.Indexes) {
			t.Errorf("%s has %d indexes, want %d", decl.Name, got, len(decl.Indexes))
		}
		if decl.TTLAttribute != "" {
			ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(names.Of(decl.Name))})
			if err != nil {
				t.Fatal(err)
			}
			if ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled ||
				aws.ToString(ttl.TimeToLiveDescription.AttributeName) != decl.TTLAttribute {
				t.Errorf("%s TTL: %+v", decl.Name, ttl.TimeToLiveDescription)
			}
		}
	}
}

func TestNamesFromEnv(t *testing.T) {
	env := map[string]string{}
	for _, decl := range tables.All() {
		env[decl.EnvVar()] = "prod-" + decl.Name
	}
	names, err := tables.NamesFromEnvOrPrefix(func(k string) string { return env[k] }, "x-")
	if err != nil {
		t.Fatal(err)
	}
	if got := names.Of(tables.Activations); got != "prod-activations" {
		t.Errorf("activations = %q", got)
	}
	delete(env, "FASTTRACK_TABLE_AUDIT")
	if _, err := tables.NamesFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("a missing variable was not reported")
	}
	local, err := tables.NamesFromEnvOrPrefix(func(string) string { return "" }, "x-")
	if err != nil || local.Of(tables.Fund) != "x-fund" {
		t.Errorf("prefix names: %v %v", local, err)
	}
}
