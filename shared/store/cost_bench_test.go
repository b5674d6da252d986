package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// BenchmarkDynamoDBCosts measures what one call of each kind costs on DynamoDB Local in memory
// and with its data on disk (as `fasttrack local` runs it): the unit in which the store's
// round trips are paid.
func BenchmarkDynamoDBCosts(b *testing.B) {
	for _, onDisk := range []bool{false, true} {
		name := "dynamodb=memory"
		endpoint := ""
		if onDisk {
			name = "dynamodb=disk"
		}
		b.Run(name, func(b *testing.B) {
			if endpoint == "" {
				endpoint = costEndpoint(b, onDisk)
			}
			client := dynamodb.New(dynamodb.Options{HTTPClient: sdkhttp.NewClient(), Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
				Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
			names, err := tables.EnsureTables(context.Background(), client, fmt.Sprintf("c%d-", time.Now().UnixNano()))
			if err != nil {
				b.Fatal(err)
			}
			table := aws.String(names.Of(tables.Fund))
			ctx := context.Background()
			item := func(pk string, i int) map[string]types.AttributeValue {
				return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk},
					"sk": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}, "n": &types.AttributeValueMemberN{Value: "1"}}
			}
			key := func(pk string, i int) map[string]types.AttributeValue {
				return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk},
					"sk": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}}
			}
			put := func(pk string, i int) types.TransactWriteItem {
				return types.TransactWriteItem{Put: &types.Put{TableName: table, Item: item(pk, i)}}
			}
			for _, op := range []struct {
				name string
				run  func(i int) error
			}{
				{"PutItem", func(i int) error {
					_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item("put", i)})
					return err
				}},
				{"UpdateItem", func(i int) error {
					_, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: table, Key: key("update", 0),
						UpdateExpression: aws.String("SET n = :n"), ExpressionAttributeValues: map[string]types.AttributeValue{
							":n": &types.AttributeValueMemberN{Value: fmt.Sprint(i)}}})
					return err
				}},
				{"TransactWriteItems1", func(i int) error {
					_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put("tx1", i)}})
					return err
				}},
				{"TransactWriteItems4", func(i int) error {
					_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
						put("tx4a", i), put("tx4b", i), put("tx4c", i), put("tx4d", i)}})
					return err
				}},
				{"PutItemAudit4Indexes", func(i int) error {
					_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(names.Of(tables.Audit)), Item: map[string]types.AttributeValue{
						"stream": &types.AttributeValueMemberS{Value: "s"}, "seq": &types.AttributeValueMemberN{Value: fmt.Sprint(i)},
						"actor": &types.AttributeValueMemberS{Value: "a"}, "country": &types.AttributeValueMemberS{Value: "KE"},
						"action": &types.AttributeValueMemberS{Value: "x"}, "month": &types.AttributeValueMemberS{Value: "2026-01"},
						"timeKey": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}}})
					return err
				}},
				{"PutItemAuditNoIndexedAttributes", func(i int) error {
					_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(names.Of(tables.Audit)), Item: map[string]types.AttributeValue{
						"stream": &types.AttributeValueMemberS{Value: "s2"}, "seq": &types.AttributeValueMemberN{Value: fmt.Sprint(i)}}})
					return err
				}},
				{"TransactWriteAudit4Indexes", func(i int) error {
					_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{
						TableName: aws.String(names.Of(tables.Audit)), Item: map[string]types.AttributeValue{
							"stream": &types.AttributeValueMemberS{Value: "s3"}, "seq": &types.AttributeValueMemberN{Value: fmt.Sprint(i)},
							"actor": &types.AttributeValueMemberS{Value: "a"}, "country": &types.AttributeValueMemberS{Value: "KE"},
							"action": &types.AttributeValueMemberS{Value: "x"}, "month": &types.AttributeValueMemberS{Value: "2026-01"},
							"timeKey": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}}}}}})
					return err
				}},
				{"GetItem", func(i int) error {
					_, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key("put", 0), ConsistentRead: aws.Bool(true)})
					return err
				}},
				{"Query", func(i int) error {
					_, err := client.Query(ctx, &dynamodb.QueryInput{TableName: table, KeyConditionExpression: aws.String("pk = :pk"),
						ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "tx4a"}},
						Limit:                     aws.Int32(1), ScanIndexForward: aws.Bool(false)})
					return err
				}},
			} {
				b.Run(op.name, func(b *testing.B) {
					for i := range 20 { // warm the emulator's compiler
						if err := op.run(-1 - i); err != nil {
							b.Fatal(err)
						}
					}
					b.ResetTimer()
					for i := range b.N {
						if err := op.run(i); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

func costEndpoint(b *testing.B, onDisk bool) string {
	if !onDisk {
		return dynamolocal.TestEndpoint(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv, err := dynamolocal.Start(ctx, dynamolocal.Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Stop() })
	return srv.Endpoint
}
