package tasks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// Runner runs Task resources. Its zero value runs nothing: each resource kind needs its client.
type Runner struct {
	// Lambda calls functions for Lambda function ARNs and lambda:invoke.
	Lambda Invoker
	// DynamoDB serves the dynamodb:* integrations.
	DynamoDB DynamoDB
	// Now stamps the Date header of lambda:invoke responses; time.Now when nil.
	Now func() time.Time
}

// Run performs one call of the resource with the state's effective parameters and returns the
// result as a JSON value. Every failure is a *states.Error named as Step Functions names it.
// For a .waitForTaskToken resource the result is what the call returned; the caller then waits
// for the token.
func (r *Runner) Run(ctx context.Context, res *Resource, params any) (any, error) {
	switch res.Kind {
	case KindLambdaFunction:
		return r.runFunction(ctx, res.ARN, params)
	case KindLambdaInvoke:
		return r.runInvoke(ctx, params)
	case KindDynamoDB:
		if r.DynamoDB == nil {
			return nil, states.NewError(states.ErrRuntime, "no DynamoDB client is configured for "+res.ARN)
		}
		return runDynamoDB(ctx, r.DynamoDB, res.Action, params)
	}
	return nil, states.NewError(states.ErrRuntime, "unsupported resource "+res.ARN)
}

func (r *Runner) invoke(ctx context.Context, function string, params any) ([]byte, error) {
	if r.Lambda == nil {
		return nil, states.NewError("Lambda.ServiceException", "no Lambda invoker is configured")
	}
	payload, err := jsonvalue.Encode(params)
	if err != nil {
		return nil, states.NewError(states.ErrRuntime, "the payload cannot be encoded as JSON: "+err.Error())
	}
	out, err := r.Lambda.Invoke(ctx, function, payload)
	if err != nil {
		return nil, lambdaFailure(err)
	}
	return out, nil
}

func lambdaFailure(err error) error {
	var fe *FunctionError
	if errors.As(err, &fe) {
		return states.NewError(fe.Type, string(fe.Document))
	}
	var se *states.Error
	if errors.As(err, &se) {
		return se
	}
	return states.NewError("Lambda.Unknown", err.Error())
}

func decodePayload(out []byte) (any, error) {
	if len(out) == 0 {
		return nil, nil
	}
	v, err := jsonvalue.Decode(out)
	if err != nil {
		return nil, states.NewError(states.ErrRuntime, "the function's response is not JSON: "+err.Error())
	}
	return v, nil
}

func (r *Runner) runFunction(ctx context.Context, arn string, params any) (any, error) {
	out, err := r.invoke(ctx, arn, params)
	if err != nil {
		return nil, err
	}
	return decodePayload(out)
}

func (r *Runner) runInvoke(ctx context.Context, params any) (any, error) {
	obj, ok := params.(*jsonvalue.Object)
	if !ok {
		return nil, states.NewError(states.ErrRuntime, "lambda:invoke needs Parameters with FunctionName")
	}
	name, _ := obj.Get("FunctionName")
	function, ok := name.(string)
	if !ok || function == "" {
		return nil, states.NewError(states.ErrRuntime, "lambda:invoke needs a FunctionName string in Parameters")
	}
	for _, m := range obj.Members() {
		switch key := m.Key; key {
		case "FunctionName", "Payload", "Qualifier", "InvocationType", "ClientContext", "LogType":
		default:
			return nil, states.NewError(states.ErrRuntime, fmt.Sprintf("lambda:invoke does not take the parameter %q", key))
		}
	}
	qualifier, _ := obj.Get("Qualifier")
	if q, ok := qualifier.(string); ok && q != "" {
		function += ":" + q
	}
	payload, hasPayload := obj.Get("Payload")
	if !hasPayload {
		payload = jsonvalue.EmptyObject()
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	requestID := newRequestID()
	if invocationType, _ := obj.Get("InvocationType"); invocationType == "Event" {
		// An asynchronous invocation returns at once; the function runs on its own.
		detached := context.WithoutCancel(ctx)
		go func() { _, _ = r.invoke(detached, function, payload) }()
		return invokeResponse(requestID, now(), 202, "", 0), nil
	}
	out, err := r.invoke(ctx, function, payload)
	if err != nil {
		return nil, err
	}
	result, err := decodePayload(out)
	if err != nil {
		return nil, err
	}
	return invokeResponse(requestID, now(), 200, result, len(out)), nil
}

// invokeResponse is the result of lambda:invoke as Step Functions returns it (its keys in byte
// order, as AWS lists them).
func invokeResponse(requestID string, at time.Time, status int, payload any, length int) *jsonvalue.Object {
	date := at.UTC().Format(time.RFC1123)
	date = date[:len(date)-3] + "GMT"
	headers := map[string]any{
		"Connection":                     "keep-alive",
		"Content-Length":                 strconv.Itoa(length),
		"Content-Type":                   "application/json",
		"Date":                           date,
		"X-Amz-Executed-Version":         "$LATEST",
		"x-amzn-Remapped-Content-Length": "0",
		"x-amzn-RequestId":               requestID,
	}
	out := map[string]any{"ExecutedVersion": "$LATEST", "Payload": nil, "StatusCode": jsonNumber(status)}
	putSdkMetadata(out, requestID, status, headers)
	// The payload is set after the conversion, which would otherwise look into it.
	return jsonvalue.FromGo(out).(*jsonvalue.Object).With("Payload", payload)
}

// putSdkMetadata adds the HTTP metadata that Step Functions puts in an integration's result:
// the headers once as values and once as lists of values, the status, and the request id.
func putSdkMetadata(out map[string]any, requestID string, status int, headers map[string]any) {
	all := make(map[string]any, len(headers))
	for k, v := range headers {
		all[k] = []any{v}
	}
	out["SdkHttpMetadata"] = map[string]any{"AllHttpHeaders": all, "HttpHeaders": headers, "HttpStatusCode": jsonNumber(status)}
	out["SdkResponseMetadata"] = map[string]any{"RequestId": requestID}
}
