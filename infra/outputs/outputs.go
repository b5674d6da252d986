// Package outputs names the CloudFormation outputs of the deployed stateless stack that clients
// read: the CDK app writes them and `fasttrack config from-stack` reads them. It has no
// dependencies so that the CLI does not pull in the CDK.
package outputs

// Output keys of the stateless stack.
const (
	// APIURL is the HTTP API's base URL, such as https://abc123.execute-api.eu-west-1.amazonaws.com/.
	APIURL = "ApiUrl"
	// UserPoolID is the Cognito user pool's id.
	UserPoolID = "UserPoolId"
	// UserPoolClientID is the id of the app client without secret that the CLI and console use.
	UserPoolClientID = "UserPoolClientId"
	// Region is the region the system is deployed to.
	Region = "Region"
	// StateMachineARN is the fast-track state machine, for operators.
	StateMachineARN = "StateMachineArn"
)

// Keys lists the outputs every deployment has, in a stable order.
func Keys() []string { return []string{APIURL, UserPoolID, UserPoolClientID, Region, StateMachineARN} }

// StackName is the name of a stage's stateless stack, such as "FastTrack-dev-Stateless".
func StackName(stage string) string { return "FastTrack-" + stage + "-Stateless" }

// StatefulStackName is the name of a stage's stateful stack, such as "FastTrack-dev-Stateful".
func StatefulStackName(stage string) string { return "FastTrack-" + stage + "-Stateful" }

// ExportName is the CloudFormation export name of an output, such as "FastTrack-dev-ApiUrl".
func ExportName(stage, key string) string { return "FastTrack-" + stage + "-" + key }
