// Package tasks runs the work of Task states: Lambda functions (a plain function ARN or the
// arn:aws:states:::lambda:invoke integration, with or without .waitForTaskToken) and the
// DynamoDB optimised integrations (getItem, putItem, updateItem, deleteItem). Lambda calls go
// through the Invoker interface; Dispatcher is the local implementation that calls registered
// Go handlers exactly as the Lambda Go runtime does. DynamoDB calls go through an injected
// aws-sdk-go-v2 client.
package tasks

import (
	"fmt"
	"strings"
)

// Kind is the family of a Task resource.
type Kind uint8

// The resource kinds this package runs.
const (
	// KindLambdaFunction is a plain Lambda function ARN: the input is the payload, the result
	// is the function's response.
	KindLambdaFunction Kind = iota + 1
	// KindLambdaInvoke is arn:aws:states:::lambda:invoke: Parameters carry FunctionName and
	// Payload; the result has AWS's response shape.
	KindLambdaInvoke
	// KindDynamoDB is one of the DynamoDB optimised integrations.
	KindDynamoDB
)

// Resource is a parsed Task Resource.
type Resource struct {
	// ARN is the resource as written in the definition.
	ARN  string
	Kind Kind
	// Action is the API action: "invoke", "getItem", "putItem", "updateItem", "deleteItem".
	Action string
	// WaitForTaskToken is true for the ".waitForTaskToken" pattern: the state waits for
	// SendTaskSuccess or SendTaskFailure after the call returns.
	WaitForTaskToken bool
	// Region is the region named in the ARN, empty for service integrations.
	Region string
	// HistoryType and HistoryName are the resourceType and resource that Step Functions
	// writes in TaskScheduled and the other Task* history events ("lambda", "invoke").
	HistoryType string
	HistoryName string
}

// ParseResource recognises a Task resource this package can run, and says clearly why when it
// cannot.
func ParseResource(arn string) (*Resource, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return nil, fmt.Errorf("resource %q is not an ARN", arn)
	}
	service, region, rest := parts[2], parts[3], parts[5]
	switch service {
	case "lambda":
		if !strings.HasPrefix(rest, "function:") || len(rest) == len("function:") {
			return nil, fmt.Errorf("resource %q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", arn)
		}
		return &Resource{ARN: arn, Kind: KindLambdaFunction, Action: "invoke", Region: region,
			HistoryType: "lambda", HistoryName: arn}, nil
	case "states":
		if region != "" || parts[4] != "" {
			if strings.HasPrefix(rest, "activity:") {
				return nil, fmt.Errorf("resource %q is an activity; activities are not supported by this engine", arn)
			}
			return nil, fmt.Errorf("resource %q is not a service integration ARN (arn:aws:states:::SERVICE:ACTION)", arn)
		}
		integration, pattern, _ := strings.Cut(rest, ".")
		service, action, ok := strings.Cut(integration, ":")
		if !ok {
			return nil, fmt.Errorf("resource %q is not a service integration ARN (arn:aws:states:::SERVICE:ACTION)", arn)
		}
		r := &Resource{ARN: arn, Action: action, HistoryType: service, HistoryName: action}
		switch pattern {
		case "":
		case "waitForTaskToken":
			r.WaitForTaskToken = true
			r.HistoryName = action + ".waitForTaskToken"
		case "sync", "sync:2":
			return nil, fmt.Errorf("resource %q uses the .%s pattern, which this engine does not support", arn, pattern)
		default:
			return nil, fmt.Errorf("resource %q has an unknown integration pattern .%s", arn, pattern)
		}
		switch {
		case service == "lambda" && action == "invoke":
			r.Kind = KindLambdaInvoke
		case service == "dynamodb" && dynamoParameters[action] != nil:
			if r.WaitForTaskToken {
				return nil, fmt.Errorf("resource %q: dynamodb:%s does not support .waitForTaskToken", arn, action)
			}
			r.Kind = KindDynamoDB
		default:
			return nil, fmt.Errorf("resource %q is not supported by this engine; supported: Lambda function ARNs, "+
				"arn:aws:states:::lambda:invoke[.waitForTaskToken], arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem", arn)
		}
		return r, nil
	}
	return nil, fmt.Errorf("resource %q is not supported by this engine; supported: Lambda function ARNs, "+
		"arn:aws:states:::lambda:invoke[.waitForTaskToken], arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem", arn)
}

// CheckResource reports whether a resource can be run; it suits asl.Options.CheckResource.
func CheckResource(arn string) error {
	_, err := ParseResource(arn)
	return err
}
