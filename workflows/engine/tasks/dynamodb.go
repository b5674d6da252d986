package tasks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithymiddleware "github.com/aws/smithy-go/middleware"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// DynamoDB is the part of the DynamoDB API the integrations call; *dynamodb.Client satisfies it.
type DynamoDB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ DynamoDB = (*dynamodb.Client)(nil)

// The item actions this package runs, and the parameters each accepts, as in the DynamoDB API.
var dynamoParameters = map[string]map[string]bool{
	"getItem": set("TableName", "Key", "ConsistentRead", "ProjectionExpression", "ExpressionAttributeNames", "ReturnConsumedCapacity"),
	"putItem": set("TableName", "Item", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
		"ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics", "ReturnValuesOnConditionCheckFailure"),
	"updateItem": set("TableName", "Key", "UpdateExpression", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
		"ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics", "ReturnValuesOnConditionCheckFailure"),
	"deleteItem": set("TableName", "Key", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
		"ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics", "ReturnValuesOnConditionCheckFailure"),
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// request reads the Parameters of a DynamoDB integration.
type request struct {
	action string
	params map[string]any
	err    error
}

func (r *request) fail(format string, args ...any) {
	if r.err == nil {
		r.err = states.NewError(states.ErrRuntime, fmt.Sprintf("dynamodb:%s: ", r.action)+fmt.Sprintf(format, args...))
	}
}

func (r *request) str(name string) *string {
	v, ok := r.params[name]
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		r.fail("the parameter %s must be a string", name)
		return nil
	}
	return &s
}

func (r *request) required(name string) *string {
	if _, ok := r.params[name]; !ok {
		r.fail("the parameter %s is required", name)
		return nil
	}
	return r.str(name)
}

func (r *request) boolean(name string) *bool {
	v, ok := r.params[name]
	if !ok {
		return nil
	}
	b, ok := v.(bool)
	if !ok {
		r.fail("the parameter %s must be a boolean", name)
		return nil
	}
	return &b
}

func (r *request) names() map[string]string {
	v, ok := r.params["ExpressionAttributeNames"]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.fail("the parameter ExpressionAttributeNames must be an object of strings")
		return nil
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		s, ok := val.(string)
		if !ok {
			r.fail("ExpressionAttributeNames[%s] must be a string", k)
			return nil
		}
		out[k] = s
	}
	return out
}

func (r *request) item(name string, required bool) map[string]types.AttributeValue {
	v, ok := r.params[name]
	if !ok {
		if required {
			r.fail("the parameter %s is required", name)
		}
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.fail("the parameter %s must be a map of attribute values", name)
		return nil
	}
	out, err := toAttributeMap(m)
	if err != nil {
		r.fail("%s: %v", name, err)
		return nil
	}
	return out
}

// itemRequest is the Parameters of an item action, read and checked once for all four
// actions. Each action passes on the members its API has; a parameter that its API lacks was
// refused as unsupported, so the other members are empty.
type itemRequest struct {
	table, update, condition, projection *string
	key, item, values                    map[string]types.AttributeValue
	names                                map[string]string
	consistentRead                       *bool
	returnValues                         types.ReturnValue
	returnCapacity                       types.ReturnConsumedCapacity
	returnMetrics                        types.ReturnItemCollectionMetrics
	returnOnConditionFailure             types.ReturnValuesOnConditionCheckFailure
}

// read reads every parameter an item action may have; allowed are the action's own. Key and
// Item are required wherever the action takes them.
func (r *request) read(allowed map[string]bool) itemRequest {
	return itemRequest{
		table:                    r.required("TableName"),
		key:                      r.item("Key", allowed["Key"]),
		item:                     r.item("Item", allowed["Item"]),
		update:                   r.str("UpdateExpression"),
		condition:                r.str("ConditionExpression"),
		consistentRead:           r.boolean("ConsistentRead"),
		projection:               r.str("ProjectionExpression"),
		names:                    r.names(),
		values:                   r.item("ExpressionAttributeValues", false),
		returnValues:             types.ReturnValue(deref(r.str("ReturnValues"))),
		returnCapacity:           types.ReturnConsumedCapacity(deref(r.str("ReturnConsumedCapacity"))),
		returnMetrics:            types.ReturnItemCollectionMetrics(deref(r.str("ReturnItemCollectionMetrics"))),
		returnOnConditionFailure: types.ReturnValuesOnConditionCheckFailure(deref(r.str("ReturnValuesOnConditionCheckFailure"))),
	}
}

// itemAnswer is what every item action answers: an item (getItem's Item, the others'
// Attributes), the capacity consumed, and the response metadata with the request id.
type itemAnswer struct {
	field    string
	item     map[string]types.AttributeValue
	capacity *types.ConsumedCapacity
	meta     smithymiddleware.Metadata
}

func runDynamoDB(ctx context.Context, client DynamoDB, action string, params any) (any, error) {
	allowed, known := dynamoParameters[action]
	if !known {
		return nil, states.NewError(states.ErrRuntime, "unsupported DynamoDB action "+action)
	}
	parameters, ok := params.(*jsonvalue.Object)
	if !ok {
		return nil, states.NewError(states.ErrRuntime, fmt.Sprintf("dynamodb:%s needs Parameters (an object)", action))
	}
	// DynamoDB's attribute maps have no order: the request is read as Go maps, and the result
	// lists its keys in byte order.
	obj := jsonvalue.ToGo(parameters).(map[string]any)
	r := &request{action: action, params: obj}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !allowed[k] {
			r.fail("the parameter %q is not supported", k)
		}
	}
	q := r.read(allowed)
	if r.err != nil {
		return nil, r.err
	}
	answer, err := callItemAction(ctx, client, action, &q)
	if err != nil {
		return nil, dynamoError(err)
	}
	out := map[string]any{}
	if answer.item != nil {
		out[answer.field] = fromAttributeMap(answer.item)
	}
	putCapacity(out, answer.capacity)
	requestID, _ := awsmiddleware.GetRequestIDMetadata(answer.meta)
	putSdkMetadata(out, requestID, 200, map[string]any{"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": requestID})
	return jsonvalue.FromGo(out), nil
}

// callItemAction makes the call of a known item action with the members its API has.
func callItemAction(ctx context.Context, client DynamoDB, action string, q *itemRequest) (itemAnswer, error) {
	switch action {
	case "getItem":
		res, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: q.table, Key: q.key, ConsistentRead: q.consistentRead,
			ProjectionExpression: q.projection, ExpressionAttributeNames: q.names, ReturnConsumedCapacity: q.returnCapacity})
		if err != nil {
			return itemAnswer{}, err
		}
		return itemAnswer{"Item", res.Item, res.ConsumedCapacity, res.ResultMetadata}, nil
	case "putItem":
		res, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: q.table, Item: q.item, ConditionExpression: q.condition,
			ExpressionAttributeNames: q.names, ExpressionAttributeValues: q.values, ReturnValues: q.returnValues,
			ReturnConsumedCapacity: q.returnCapacity, ReturnItemCollectionMetrics: q.returnMetrics,
			ReturnValuesOnConditionCheckFailure: q.returnOnConditionFailure})
		if err != nil {
			return itemAnswer{}, err
		}
		return itemAnswer{"Attributes", res.Attributes, res.ConsumedCapacity, res.ResultMetadata}, nil
	case "updateItem":
		res, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: q.table, Key: q.key, UpdateExpression: q.update,
			ConditionExpression: q.condition, ExpressionAttributeNames: q.names, ExpressionAttributeValues: q.values,
			ReturnValues: q.returnValues, ReturnConsumedCapacity: q.returnCapacity, ReturnItemCollectionMetrics: q.returnMetrics,
			ReturnValuesOnConditionCheckFailure: q.returnOnConditionFailure})
		if err != nil {
			return itemAnswer{}, err
		}
		return itemAnswer{"Attributes", res.Attributes, res.ConsumedCapacity, res.ResultMetadata}, nil
	default: // deleteItem: runDynamoDB knows no other action.
		res, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: q.table, Key: q.key, ConditionExpression: q.condition,
			ExpressionAttributeNames: q.names, ExpressionAttributeValues: q.values, ReturnValues: q.returnValues,
			ReturnConsumedCapacity: q.returnCapacity, ReturnItemCollectionMetrics: q.returnMetrics,
			ReturnValuesOnConditionCheckFailure: q.returnOnConditionFailure})
		if err != nil {
			return itemAnswer{}, err
		}
		return itemAnswer{"Attributes", res.Attributes, res.ConsumedCapacity, res.ResultMetadata}, nil
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// dynamoError names a DynamoDB failure as Step Functions does: "DynamoDB." and the service's
// error code, with a cause in the AWS SDK's words.
func dynamoError(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		status, requestID := 400, ""
		var respErr *awshttp.ResponseError
		if errors.As(err, &respErr) {
			status, requestID = respErr.HTTPStatusCode(), respErr.ServiceRequestID()
		}
		cause := fmt.Sprintf("%s (Service: AmazonDynamoDBv2; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)",
			apiErr.ErrorMessage(), status, apiErr.ErrorCode(), requestID)
		return states.NewError("DynamoDB."+apiErr.ErrorCode(), cause)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return states.NewError("DynamoDB.SdkClientException", err.Error())
}

func putCapacity(out map[string]any, c *types.ConsumedCapacity) {
	if c == nil {
		return
	}
	m := map[string]any{}
	if c.TableName != nil {
		m["TableName"] = *c.TableName
	}
	if c.CapacityUnits != nil {
		m["CapacityUnits"] = json.Number(strconv.FormatFloat(*c.CapacityUnits, 'f', -1, 64))
	}
	out["ConsumedCapacity"] = m
}

func jsonNumber(n int) json.Number { return json.Number(strconv.Itoa(n)) }

// toAttributeMap converts attribute values in DynamoDB's JSON shape ({"S": "x"}, {"N": "1"},
// {"M": {...}}, ...) into the SDK's types.
func toAttributeMap(m map[string]any) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		av, err := toAttribute(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func numberText(v any) (string, bool) {
	switch n := v.(type) {
	case string:
		return n, true
	case json.Number:
		return string(n), true
	}
	return "", false
}

func stringList(v any, number bool) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("must be an array")
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		var s string
		if number {
			s, ok = numberText(e)
		} else {
			s, ok = e.(string)
		}
		if !ok {
			return nil, fmt.Errorf("element %d must be a string", i)
		}
		out[i] = s
	}
	return out, nil
}

func toAttribute(v any) (types.AttributeValue, error) {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return nil, errors.New(`an attribute value must be an object with exactly one type key ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")`)
	}
	for typ, val := range obj {
		switch typ {
		case "S":
			s, ok := val.(string)
			if !ok {
				return nil, errors.New("the S value must be a string")
			}
			return &types.AttributeValueMemberS{Value: s}, nil
		case "N":
			s, ok := numberText(val)
			if !ok {
				return nil, errors.New("the N value must be a number in a string")
			}
			return &types.AttributeValueMemberN{Value: s}, nil
		case "B":
			s, ok := val.(string)
			b, err := base64.StdEncoding.DecodeString(s)
			if !ok || err != nil {
				return nil, errors.New("the B value must be a base64 string")
			}
			return &types.AttributeValueMemberB{Value: b}, nil
		case "BOOL":
			b, ok := val.(bool)
			if !ok {
				return nil, errors.New("the BOOL value must be a boolean")
			}
			return &types.AttributeValueMemberBOOL{Value: b}, nil
		case "NULL":
			b, ok := val.(bool)
			if !ok {
				return nil, errors.New("the NULL value must be a boolean")
			}
			return &types.AttributeValueMemberNULL{Value: b}, nil
		case "M":
			m, ok := val.(map[string]any)
			if !ok {
				return nil, errors.New("the M value must be an object")
			}
			inner, err := toAttributeMap(m)
			if err != nil {
				return nil, err
			}
			return &types.AttributeValueMemberM{Value: inner}, nil
		case "L":
			arr, ok := val.([]any)
			if !ok {
				return nil, errors.New("the L value must be an array")
			}
			list := make([]types.AttributeValue, len(arr))
			for i, e := range arr {
				av, err := toAttribute(e)
				if err != nil {
					return nil, fmt.Errorf("element %d: %w", i, err)
				}
				list[i] = av
			}
			return &types.AttributeValueMemberL{Value: list}, nil
		case "SS":
			list, err := stringList(val, false)
			if err != nil {
				return nil, fmt.Errorf("the SS value %w", err)
			}
			return &types.AttributeValueMemberSS{Value: list}, nil
		case "NS":
			list, err := stringList(val, true)
			if err != nil {
				return nil, fmt.Errorf("the NS value %w", err)
			}
			return &types.AttributeValueMemberNS{Value: list}, nil
		case "BS":
			list, err := stringList(val, false)
			if err != nil {
				return nil, fmt.Errorf("the BS value %w", err)
			}
			bs := make([][]byte, len(list))
			for i, s := range list {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return nil, fmt.Errorf("element %d of the BS value must be base64", i)
				}
				bs[i] = b
			}
			return &types.AttributeValueMemberBS{Value: bs}, nil
		default:
			return nil, fmt.Errorf("unknown attribute type %q", typ)
		}
	}
	return nil, errors.New("empty attribute value")
}

func fromAttributeMap(m map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = fromAttribute(v)
	}
	return out
}

func fromAttribute(v types.AttributeValue) any {
	switch a := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": a.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": a.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(a.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": a.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": a.Value}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": fromAttributeMap(a.Value)}
	case *types.AttributeValueMemberL:
		list := make([]any, len(a.Value))
		for i, e := range a.Value {
			list[i] = fromAttribute(e)
		}
		return map[string]any{"L": list}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": toAnyList(a.Value)}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": toAnyList(a.Value)}
	case *types.AttributeValueMemberBS:
		list := make([]any, len(a.Value))
		for i, b := range a.Value {
			list[i] = base64.StdEncoding.EncodeToString(b)
		}
		return map[string]any{"BS": list}
	}
	return nil
}

func toAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
