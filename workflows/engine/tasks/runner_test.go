package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

func mustParse(t *testing.T, arn string) *Resource {
	t.Helper()
	r, err := ParseResource(arn)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonvalue.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRunLambdaFunctionARNReturnsThePayload(t *testing.T) {
	runner := &Runner{Lambda: newTestDispatcher(t)}
	res := mustParse(t, "arn:aws:lambda:us-east-1:123456789012:function:echo")
	out, err := runner.Run(context.Background(), res, mustJSON(t, `{"name":"Bo","count":1}`))
	if err != nil {
		t.Fatal(err)
	}
	got := jsonvalue.MustEncodeString(out)
	// The function's reply keeps its key order (the handler's struct fields).
	if got != `{"greeting":"hello Bo","count":2,"hasRequestId":true}` {
		t.Fatalf("output %s", got)
	}
}

func TestRunLambdaFailureBecomesStatesError(t *testing.T) {
	runner := &Runner{Lambda: newTestDispatcher(t)}
	res := mustParse(t, "arn:aws:lambda:us-east-1:123456789012:function:typed")
	_, err := runner.Run(context.Background(), res, jsonvalue.EmptyObject())
	var se *states.Error
	if !errors.As(err, &se) || se.Name != "NoExpertAvailable" {
		t.Fatalf("error %v", err)
	}
	var cause map[string]any
	if err := json.Unmarshal([]byte(se.Cause), &cause); err != nil || cause["errorMessage"] != "no expert for logistics" || cause["errorType"] != "NoExpertAvailable" {
		t.Fatalf("cause %q is not the runtime's error document", se.Cause)
	}
}

func TestRunLambdaInvokeHasTheAWSResponseShape(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	runner := &Runner{Lambda: newTestDispatcher(t), Now: func() time.Time { return now }}
	res := mustParse(t, "arn:aws:states:::lambda:invoke")
	params := mustJSON(t, `{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:echo","Payload":{"name":"Cy","count":9}}`)
	out, err := runner.Run(context.Background(), res, params)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := out.(*jsonvalue.Object).Get("Payload")
	if got := jsonvalue.MustEncodeString(payload); got != `{"greeting":"hello Cy","count":10,"hasRequestId":true}` {
		t.Fatalf("Payload %s", got)
	}
	if got := strings.Join(out.(*jsonvalue.Object).Keys(), ","); got != "ExecutedVersion,Payload,SdkHttpMetadata,SdkResponseMetadata,StatusCode" {
		t.Fatalf("response keys %s", got)
	}
	m := jsonvalue.ToGo(out).(map[string]any)
	if got := jsonvalue.MustEncodeString(m["Payload"]); got != `{"count":10,"greeting":"hello Cy","hasRequestId":true}` {
		t.Fatalf("Payload %s", got)
	}
	if m["StatusCode"] != json.Number("200") || m["ExecutedVersion"] != "$LATEST" {
		t.Fatalf("response %s", jsonvalue.MustEncodeString(out))
	}
	meta := m["SdkHttpMetadata"].(map[string]any)
	headers := meta["HttpHeaders"].(map[string]any)
	if meta["HttpStatusCode"] != json.Number("200") || headers["Date"] != "Mon, 06 May 2024 07:08:09 GMT" {
		t.Fatalf("SdkHttpMetadata %s", jsonvalue.MustEncodeString(meta))
	}
	requestID := m["SdkResponseMetadata"].(map[string]any)["RequestId"]
	if requestID == "" || headers["x-amzn-RequestId"] != requestID {
		t.Fatalf("request ids differ: %v / %v", requestID, headers["x-amzn-RequestId"])
	}

	_, err = runner.Run(context.Background(), res, mustJSON(t, `{"FunctionName":"typed"}`))
	var se *states.Error
	if !errors.As(err, &se) || se.Name != "NoExpertAvailable" {
		t.Fatalf("lambda:invoke failure %v", err)
	}
	for _, bad := range []string{`{"Payload":{}}`, `{"FunctionName":"echo","Bogus":1}`, `"text"`} {
		_, err = runner.Run(context.Background(), res, mustJSON(t, bad))
		if !errors.As(err, &se) || se.Name != states.ErrRuntime {
			t.Fatalf("parameters %s gave %v, want States.Runtime", bad, err)
		}
	}
}

func testDynamoDB(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	endpoint := dynamolocal.TestEndpoint(t)
	client := dynamodb.New(dynamodb.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	table := fmt.Sprintf("tasks-test-%d", rand.Uint64())
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return client, table
}

func TestRunDynamoDBIntegrations(t *testing.T) {
	client, table := testDynamoDB(t)
	runner := &Runner{DynamoDB: client}
	ctx := context.Background()
	run := func(action, params string) (any, error) {
		t.Helper()
		return runner.Run(ctx, mustParse(t, "arn:aws:states:::dynamodb:"+action), mustJSON(t, strings.ReplaceAll(params, "TABLE", table)))
	}

	out, err := run("putItem", `{"TableName":"TABLE","Item":{"pk":{"S":"a"},"n":{"N":"1"},"tags":{"SS":["x","y"]},"doc":{"M":{"ok":{"BOOL":true},"none":{"NULL":true},"list":{"L":[{"S":"p"},{"N":"2"}]}}},"bin":{"B":"aGk="}}}`)
	if err != nil {
		t.Fatalf("putItem: %v", err)
	}
	if meta, ok := jsonvalue.ToGo(out).(map[string]any)["SdkResponseMetadata"].(map[string]any); !ok || meta["RequestId"] == nil {
		t.Fatalf("putItem output %s lacks SdkResponseMetadata", jsonvalue.MustEncodeString(out))
	}

	out, err = run("getItem", `{"TableName":"TABLE","Key":{"pk":{"S":"a"}}}`)
	if err != nil {
		t.Fatalf("getItem: %v", err)
	}
	item := jsonvalue.MustEncodeString(jsonvalue.ToGo(out).(map[string]any)["Item"])
	want := `{"bin":{"B":"aGk="},"doc":{"M":{"list":{"L":[{"S":"p"},{"N":"2"}]},"none":{"NULL":true},"ok":{"BOOL":true}}},"n":{"N":"1"},"pk":{"S":"a"},"tags":{"SS":["x","y"]}}`
	if item != want {
		t.Fatalf("getItem Item\n got %s\nwant %s", item, want)
	}

	out, err = run("updateItem", `{"TableName":"TABLE","Key":{"pk":{"S":"a"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_NEW"}`)
	if err != nil {
		t.Fatalf("updateItem: %v", err)
	}
	if got := jsonvalue.MustEncodeString(jsonvalue.ToGo(out).(map[string]any)["Attributes"]); got != `{"n":{"N":"2"}}` {
		t.Fatalf("updateItem Attributes %s", got)
	}

	_, err = run("putItem", `{"TableName":"TABLE","Item":{"pk":{"S":"a"}},"ConditionExpression":"attribute_not_exists(pk)"}`)
	var se *states.Error
	if !errors.As(err, &se) || se.Name != "DynamoDB.ConditionalCheckFailedException" || !strings.Contains(se.Cause, "Error Code: ConditionalCheckFailedException") {
		t.Fatalf("conditional put gave %v", err)
	}

	out, err = run("deleteItem", `{"TableName":"TABLE","Key":{"pk":{"S":"a"}},"ReturnValues":"ALL_OLD"}`)
	if err != nil {
		t.Fatalf("deleteItem: %v", err)
	}
	if got := jsonvalue.ToGo(out).(map[string]any)["Attributes"].(map[string]any)["n"]; jsonvalue.MustEncodeString(got) != `{"N":"2"}` {
		t.Fatalf("deleteItem old attributes %v", got)
	}
	out, err = run("getItem", `{"TableName":"TABLE","Key":{"pk":{"S":"a"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, found := jsonvalue.ToGo(out).(map[string]any)["Item"]; found {
		t.Fatal("item still there after deleteItem")
	}

	_, err = run("getItem", `{"TableName":"no-such-table-xyz","Key":{"pk":{"S":"a"}}}`)
	if !errors.As(err, &se) || se.Name != "DynamoDB.ResourceNotFoundException" {
		t.Fatalf("missing table gave %v", err)
	}
	for _, bad := range []string{
		`{"Key":{"pk":{"S":"a"}}}`,
		`{"TableName":"TABLE","Key":{"pk":"a"}}`,
		`{"TableName":"TABLE","Key":{"pk":{"S":"a"}},"Limit":3}`,
	} {
		_, err = run("getItem", bad)
		if !errors.As(err, &se) || se.Name != states.ErrRuntime {
			t.Fatalf("parameters %s gave %v, want States.Runtime", bad, err)
		}
	}
}
