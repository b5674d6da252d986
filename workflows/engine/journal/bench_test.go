package journal

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
)

// eventPayload is about the size of an encoded history event with a small state input.
var eventPayload = []byte(`{"type":"TaskStateEntered","id":17,"previousEventId":16,"details":{"name":"ReserveFunds","input":"{\"activationId\":\"act-0001\",\"amount\":12000,\"currency\":\"USD\"}"}}`)

// BenchmarkAppendDurable appends one event and waits until it is on disk (fsync), from many
// goroutines at once, as the engine's executions do: one fsync covers many events.
func BenchmarkAppendDurable(b *testing.B) {
	j, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := j.Replay(func(Location, []byte) error { return nil }); err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, seq, err := j.Append(eventPayload)
			if err == nil {
				err = j.WaitDurable(nil, seq)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAppendOneWriterDurable waits for the disk after every event from a single goroutine:
// the worst case, one fsync per event.
func BenchmarkAppendOneWriterDurable(b *testing.B) {
	j, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := j.Replay(func(Location, []byte) error { return nil }); err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, seq, err := j.Append(eventPayload)
		if err == nil {
			err = j.WaitDurable(nil, seq)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendBuffered appends without waiting for the disk, as the engine does between the
// points where it must wait.
func BenchmarkAppendBuffered(b *testing.B) {
	j, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := j.Replay(func(Location, []byte) error { return nil }); err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.ReportAllocs()
	b.ResetTimer()
	var seq uint64
	for i := 0; i < b.N; i++ {
		if _, seq, err = j.Append(eventPayload); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.WaitDurable(nil, seq); err != nil {
		b.Fatal(err)
	}
}

func dynamoHistoryTable(b *testing.B) (*dynamodb.Client, string) {
	endpoint := dynamolocal.TestEndpoint(b)
	client := dynamodb.New(dynamodb.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	table := fmt.Sprintf("journal-bench-%d", rand.Uint64())
	_, err := client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("execution"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("execution"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("id"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return client, table
}

func eventItem(execution string, id int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"execution": &types.AttributeValueMemberS{Value: execution},
		"id":        &types.AttributeValueMemberN{Value: strconv.Itoa(id)},
		"event":     &types.AttributeValueMemberB{Value: eventPayload},
	}
}

// BenchmarkDynamoDBPutItemPerEvent stores each history event with its own PutItem in DynamoDB
// Local, from many goroutines: the alternative to the journal, measured per event.
func BenchmarkDynamoDBPutItemPerEvent(b *testing.B) {
	client, table := dynamoHistoryTable(b)
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		execution := fmt.Sprintf("exec-%d", rand.Uint64())
		id := 0
		for pb.Next() {
			id++
			_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: eventItem(execution, id)})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDynamoDBBatchWritePerEvent stores events 25 at a time with BatchWriteItem, the best
// case for DynamoDB; the time reported is per event.
func BenchmarkDynamoDBBatchWritePerEvent(b *testing.B) {
	client, table := dynamoHistoryTable(b)
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		execution := fmt.Sprintf("exec-%d", rand.Uint64())
		id := 0
		var batch []types.WriteRequest
		flush := func() bool {
			if len(batch) == 0 {
				return true
			}
			_, err := client.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{table: batch},
			})
			batch = batch[:0]
			if err != nil {
				b.Error(err)
				return false
			}
			return true
		}
		for pb.Next() {
			id++
			batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: eventItem(execution, id)}})
			if len(batch) == 25 && !flush() {
				return
			}
		}
		flush()
	})
}
