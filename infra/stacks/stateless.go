package stacks

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/infra/outputs"
)

// APIGatewayTimeout is API Gateway's integration timeout for HTTP APIs: an HTTP function must
// finish well before it, or callers get a 503 while the function goes on working.
const APIGatewayTimeout = 29 * time.Second

// StatelessStackProps configure the stateless stack.
type StatelessStackProps struct {
	awscdk.StackProps
	// Stateful is the stage's stateful stack, whose tables, key and user pool this one uses.
	Stateful *StatefulStack
	// Functions are the registry entries; nil means registry.All().
	Functions []registry.Function
	// WorkflowPath is the state machine definition (workflows/fasttrack.asl.json).
	WorkflowPath string
	// LambdaAssetDir is the directory that holds the single Lambda binary, "bootstrap"
	// (bin/lambda after `make build`).
	LambdaAssetDir string
	// ConsoleOrigin is the one origin the API allows cross-origin requests from, such as
	// https://console.example.org.
	ConsoleOrigin string
}

// StatelessStack holds the code and its wiring; everything in it can be deleted and rebuilt
// without losing data.
type StatelessStack struct {
	awscdk.Stack
	// Functions are the Lambda functions by registry name.
	Functions    map[string]awslambda.Function
	StateMachine awsstepfunctions.StateMachine
	// Plan is what the workflow definition asked for.
	Plan WorkflowPlan
	// Substitutions are the state machine's DefinitionSubstitutions by placeholder.
	Substitutions map[string]*string
	EventBus      awsevents.EventBus
	// Notifications receives execution outcomes and the system's events (subscribe e-mail
	// addresses to it); Alarms receives alarm state changes in prod.
	Notifications awssns.Topic
	Alarms        awssns.Topic
}

// NewStatelessStack builds the functions, the state machine, the events, the API and the
// operations (alarms, dashboard), and the outputs the CLI reads.
func NewStatelessStack(scope constructs.Construct, id string, props *StatelessStackProps) (*StatelessStack, error) {
	if props == nil || props.Stateful == nil {
		return nil, fmt.Errorf("stateless stack %q: props with the stateful stack are required", id)
	}
	stateful := props.Stateful
	stage := stateful.Stage
	set := stage.settings()
	functions := props.Functions
	if functions == nil {
		functions = registry.All()
	}
	if err := checkFunctions(functions); err != nil {
		return nil, err
	}
	if err := checkConsoleOrigin(props.ConsoleOrigin, stage); err != nil {
		return nil, err
	}
	if info, err := os.Stat(filepath.Join(props.LambdaAssetDir, "bootstrap")); err != nil || info.IsDir() {
		return nil, fmt.Errorf("the Lambda binary %s is missing: run `make build` first", filepath.Join(props.LambdaAssetDir, "bootstrap"))
	}
	definition, err := os.ReadFile(props.WorkflowPath)
	if err != nil {
		return nil, fmt.Errorf("reading the workflow definition: %w", err)
	}
	plan, err := PlanWorkflow(definition, functions, stateful.Declarations)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", props.WorkflowPath, err)
	}
	// Every function's table grants are checked before anything is built.
	access := map[string][]tableAccess{}
	for _, function := range functions {
		if access[function.Name], err = functionTableAccess(function, stateful.Declarations); err != nil {
			return nil, err
		}
		if _, _, err := splitStateMachineActions(function); err != nil {
			return nil, err
		}
		if _, err := checkUserPoolActions(function); err != nil {
			return nil, err
		}
	}

	stackProps := props.StackProps
	if stackProps.Description == nil {
		stackProps.Description = jsii.String("Fast-Track " + string(stage) + ": functions, workflow, API, events, alarms")
	}
	stack := awscdk.NewStack(scope, &id, &stackProps)
	out := &StatelessStack{Stack: stack, Functions: map[string]awslambda.Function{}, Plan: plan}

	// The state machine's name is fixed so that its ARN is known before it exists: functions
	// that answer task tokens or start executions get it in their environment and policy
	// without a dependency cycle (the state machine itself depends on the functions it calls).
	stateMachineName := stage.prefix()
	stateMachineArn := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("states"), Resource: jsii.String("stateMachine"),
		ResourceName: jsii.String(stateMachineName), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	executionArns := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("states"), Resource: jsii.String("execution"),
		ResourceName: jsii.String(stateMachineName + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})

	out.EventBus = awsevents.NewEventBus(stack, jsii.String("EventBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(strings.ToLower(stage.prefix())),
		Description:  jsii.String("Fast-Track's own events (source " + EventSource + ")"),
	})
	out.Notifications = awssns.NewTopic(stack, jsii.String("NotificationTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Fast-Track " + string(stage) + " notifications"),
		MasterKey:   stateful.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	out.Alarms = awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Fast-Track " + string(stage) + " alarms"),
		MasterKey:   stateful.Key,
		EnforceSSL:  jsii.Bool(true),
	})

	code := awslambda.Code_FromAsset(jsii.String(props.LambdaAssetDir), nil)
	names := functionNames(functions)
	for _, name := range names {
		function := lookupFunction(functions, name)
		out.Functions[name] = newFunction(stack, functionInputs{
			function: function, access: access[name], stateful: stateful, set: set, code: code,
			stateMachineArn: stateMachineArn, stateMachineName: stateMachineName, executionArns: executionArns, bus: out.EventBus,
		})
	}

	out.StateMachine, out.Substitutions = newStateMachine(stack, stateMachineInputs{
		name: stateMachineName, path: props.WorkflowPath, plan: plan, functions: out.Functions,
		stateful: stateful, bus: out.EventBus, set: set,
	})

	newEventRules(stack, out, functions, stateMachineArn)
	apiURL := newHTTPAPI(stack, apiInputs{
		functions: functions, lambdas: out.Functions, stateful: stateful, set: set, origin: props.ConsoleOrigin,
	})
	newOperations(stack, out, stateful, stage, set)

	for _, output := range []struct {
		key, description string
		value            *string
	}{
		{outputs.APIURL, "Base URL of the HTTP API", apiURL},
		{outputs.UserPoolID, "Cognito user pool id", stateful.UserPool.UserPoolId()},
		{outputs.UserPoolClientID, "App client id (no secret) of the CLI and console", stateful.UserPoolClient.UserPoolClientId()},
		{outputs.Region, "Region of the deployment", stack.Region()},
		{outputs.StateMachineARN, "The fast-track state machine", out.StateMachine.StateMachineArn()},
	} {
		awscdk.NewCfnOutput(stack, jsii.String(output.key), &awscdk.CfnOutputProps{
			Value: output.value, Description: jsii.String(output.description),
			ExportName: jsii.String(outputs.ExportName(string(stage), output.key)),
		})
	}
	return out, nil
}

// EventSource is the source of the events Fast-Track's functions put on its bus.
const EventSource = "fasttrack"

// checkFunctions refuses registry entries the deployment cannot build safely.
func checkFunctions(functions []registry.Function) error {
	seen := map[string]bool{}
	httpFunctions := 0
	for _, function := range functions {
		switch {
		case function.Name == "":
			return fmt.Errorf("a registry function has no name")
		case seen[function.Name]:
			return fmt.Errorf("function %q is registered twice", function.Name)
		case function.Timeout <= 0 || function.Timeout > 15*time.Minute:
			return fmt.Errorf("function %q has timeout %s; Lambda allows 1s to 15m", function.Name, function.Timeout)
		case function.Timeout%time.Second != 0:
			return fmt.Errorf("function %q has timeout %s; Lambda counts whole seconds", function.Name, function.Timeout)
		case function.MemoryMB < 128 || function.MemoryMB > 10240:
			return fmt.Errorf("function %q has %d MB of memory; Lambda allows 128 to 10240", function.Name, function.MemoryMB)
		}
		seen[function.Name] = true
		switch function.Trigger {
		case registry.HTTP:
			httpFunctions++
			if function.Timeout >= APIGatewayTimeout {
				return fmt.Errorf("function %q sits behind the HTTP API with timeout %s; it must be below API Gateway's %s",
					function.Name, function.Timeout, APIGatewayTimeout)
			}
		case registry.Workflow, registry.Event:
		default:
			return fmt.Errorf("function %q has trigger %q; want %s, %s or %s", function.Name, function.Trigger,
				registry.HTTP, registry.Workflow, registry.Event)
		}
	}
	if httpFunctions != 1 {
		return fmt.Errorf("the registry has %d functions with trigger %q; the HTTP API routes to exactly one", httpFunctions, registry.HTTP)
	}
	return nil
}

// checkConsoleOrigin accepts one origin: a scheme and host (and port), https except for
// localhost in dev, never a wildcard.
func checkConsoleOrigin(origin string, stage Stage) error {
	parsed, err := url.Parse(origin)
	if origin == "" || err != nil || parsed.Host == "" || (parsed.Path != "" && parsed.Path != "/") ||
		parsed.RawQuery != "" || parsed.Fragment != "" || strings.Contains(origin, "*") {
		return fmt.Errorf("consoleOrigin %q is not an origin such as https://console.example.org", origin)
	}
	local := parsed.Hostname() == "localhost" || parsed.Hostname() == "127.0.0.1"
	if parsed.Scheme != "https" && !(parsed.Scheme == "http" && local) {
		return fmt.Errorf("consoleOrigin %q must use https (http only for localhost)", origin)
	}
	if stage == Prod && local {
		return fmt.Errorf("consoleOrigin %q is local: prod needs the console's public origin (-c consoleOrigin=https://...)", origin)
	}
	return nil
}

func functionNames(functions []registry.Function) []string {
	names := make([]string, 0, len(functions))
	for _, function := range functions {
		names = append(names, function.Name)
	}
	sort.Strings(names)
	return names
}

func lookupFunction(functions []registry.Function, name string) registry.Function {
	for _, function := range functions {
		if function.Name == name {
			return function
		}
	}
	return registry.Function{}
}

// functionInputs are what newFunction needs.
type functionInputs struct {
	function         registry.Function
	access           []tableAccess
	stateful         *StatefulStack
	set              settings
	code             awslambda.Code
	stateMachineArn  *string
	stateMachineName string
	executionArns    *string
	bus              awsevents.EventBus
}

// newFunction builds one registry function: its log group, its own role with exactly the
// registry's grants, and the Lambda function on the shared binary with the registry name as
// its handler setting.
func newFunction(stack awscdk.Stack, in functionInputs) awslambda.Function {
	function := in.function
	id := logicalID(function.Name)
	logGroup := newLogGroup(stack, id+"Logs", "", in.set)
	role := awsiam.NewRole(stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Fast-Track function " + function.Name + ": exactly the grants of its registry entry"),
	})
	// The log group exists before the function, so the role needs no logs:CreateLogGroup.
	// LogGroupArn ends in ":*", the log streams Lambda names itself.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteOwnLogs"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logGroup.LogGroupArn()},
	}))

	environment := map[string]*string{registry.EnvStage: jsii.String(string(in.stateful.Stage))}
	var keyActions []string
	for _, access := range in.access {
		table := in.stateful.Tables[access.table.Name]
		environment[access.table.EnvVar()] = table.TableName()
		sid := logicalID(access.table.Name)
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("Table" + sid),
			Actions:   jsii.Strings(access.itemActions...),
			Resources: &[]*string{table.TableArn()},
		}))
		if len(access.indexActions) > 0 {
			var indexArns []*string
			for _, index := range access.table.Indexes {
				indexArns = append(indexArns, jsii.String(*table.TableArn()+"/index/"+index.Name))
			}
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Indexes" + sid),
				Actions:   jsii.Strings(access.indexActions...),
				Resources: &indexArns,
			}))
		}
		keyActions = append(keyActions, access.keyActions...)
	}
	if len(keyActions) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("TableKey"),
			Actions:   jsii.Strings(sortedUnique(keyActions)...),
			Resources: &[]*string{in.stateful.Key.KeyArn()},
		}))
	}
	// Defence in depth beside the audit table's resource policy: an explicit deny, so that no
	// grant added to this role later can change an append-only table.
	for _, declaration := range in.stateful.Declarations {
		if declaration.AppendOnly {
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("NeverChange" + logicalID(declaration.Name)),
				Effect:    awsiam.Effect_DENY,
				Actions:   jsii.Strings(changeActions...),
				Resources: &[]*string{in.stateful.Tables[declaration.Name].TableArn()},
			}))
		}
	}

	machineActions, executionActions, _ := splitStateMachineActions(function)
	if len(machineActions) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("StateMachine"),
			Actions:   jsii.Strings(machineActions...),
			Resources: &[]*string{in.stateMachineArn},
		}))
	}
	if len(executionActions) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("Executions"),
			Actions:   jsii.Strings(executionActions...),
			Resources: &[]*string{in.executionArns},
		}))
	}
	if len(function.StateMachineActions) > 0 {
		environment[registry.EnvStateMachineARN] = in.stateMachineArn
	}
	if function.PublishesEvents {
		in.bus.GrantPutEventsTo(role, nil)
		environment[registry.EnvEventBusName] = in.bus.EventBusName()
	}
	if poolActions, _ := checkUserPoolActions(function); len(poolActions) > 0 {
		// Read one user and their groups, on this pool alone.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("UserPool"),
			Actions:   jsii.Strings(poolActions...),
			Resources: &[]*string{in.stateful.UserPool.UserPoolArn()},
		}))
		environment[registry.EnvUserPoolID] = in.stateful.UserPool.UserPoolId()
	}
	if function.Trigger == registry.HTTP {
		pool := in.stateful.UserPool
		issuer := "https://cognito-idp." + *stack.Region() + ".amazonaws.com/" + *pool.UserPoolId()
		environment[registry.EnvAuthIssuer] = jsii.String(issuer)
		environment[registry.EnvAuthAudience] = in.stateful.UserPoolClient.UserPoolClientId()
		environment[registry.EnvAuthJWKSURL] = jsii.String(issuer + "/.well-known/jwks.json")
	}

	props := &awslambda.FunctionProps{
		Description:  jsii.String(function.Description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Code:         in.code,
		// The bootstrap binary reads the handler setting from _HANDLER and runs that
		// registry entry.
		Handler: jsii.String(function.Name),
		Role:    role,
		Timeout: awscdk.Duration_Seconds(jsii.Number(function.Timeout.Seconds())),
		// Memory is the registry's deliberate choice per function: it also buys CPU, which
		// bounds cold starts and the API's latency.
		MemorySize:            jsii.Number(float64(function.MemoryMB)),
		Tracing:               awslambda.Tracing_ACTIVE,
		Environment:           &environment,
		LogGroup:              logGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
	}
	if function.Trigger == registry.Event {
		// Asynchronous invocations that still fail after Lambda's retries land here instead
		// of being dropped.
		dlq := newDeadLetterQueue(stack, id+"FailedInvocations")
		props.OnFailure = awslambdadestinations.NewSqsDestination(dlq)
		props.RetryAttempts = jsii.Number(2)
		props.MaxEventAge = awscdk.Duration_Hours(jsii.Number(6))
	}
	lambda := awslambda.NewFunction(stack, jsii.String(id+"Function"), props)
	acknowledge(lambda, "lambda_inside_vpc_check",
		"The functions reach only AWS APIs (DynamoDB, Step Functions, EventBridge) over TLS with IAM; there is no private network resource to protect, and a VPC would need NAT gateways or interface endpoints that cost money at rest.")
	suppress(role, suppression{rule: "AwsSolutions-IAM5", appliesTo: []string{"Resource::*"},
		reason: "Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions (AWS requires Resource \"*\")."})
	if len(executionActions) > 0 {
		suppress(role, suppression{rule: "AwsSolutions-IAM5", appliesTo: []string{nagResource(executionPattern(stack, in.stateMachineName))},
			reason: "Executions are named per activation at run time; the grant covers the executions of this one state machine only."})
	}
	return lambda
}

// newDeadLetterQueue is an encrypted, TLS-only queue that keeps failures for 14 days.
func newDeadLetterQueue(stack awscdk.Stack, id string) awssqs.Queue {
	queue := awssqs.NewQueue(stack, jsii.String(id), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		// No SQS queue may send its failures here: only EventBridge and Lambda do.
		RedriveAllowPolicy: &awssqs.RedriveAllowPolicy{RedrivePermission: awssqs.RedrivePermission_DENY_ALL},
	})
	reason := "This queue is itself a dead-letter queue (of EventBridge targets or of a function's asynchronous invocations); nothing consumes it automatically, so it needs no dead-letter queue of its own."
	suppress(queue, suppression{rule: "AwsSolutions-SQS3", reason: reason})
	acknowledge(queue, "sqs_dlq_check", reason)
	return queue
}

// stateMachineInputs are what newStateMachine needs.
type stateMachineInputs struct {
	name      string
	path      string
	plan      WorkflowPlan
	functions map[string]awslambda.Function
	stateful  *StatefulStack
	bus       awsevents.EventBus
	set       settings
}

// newStateMachine builds the Standard state machine from the workflow file, with a
// substitution for exactly the placeholders the file uses, a role that may invoke exactly the
// functions it calls, logging of all events, and X-Ray tracing.
func newStateMachine(stack awscdk.Stack, in stateMachineInputs) (awsstepfunctions.StateMachine, map[string]*string) {
	role := awsiam.NewRole(stack, jsii.String("WorkflowRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil),
		Description: jsii.String("Fast-Track state machine: invokes exactly the workflow's functions"),
	})
	substitutions := map[string]*string{}
	var invoked []*string
	for _, placeholder := range sortedKeys(in.plan.Functions) {
		arn := in.functions[in.plan.Functions[placeholder].Name].FunctionArn()
		substitutions[placeholder] = arn
		invoked = append(invoked, arn)
	}
	if len(invoked) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("InvokeWorkflowFunctions"),
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: &invoked,
		}))
	}
	var keyNeeded bool
	for _, placeholder := range sortedKeys(in.plan.Tables) {
		declaration := in.plan.Tables[placeholder]
		table := in.stateful.Tables[declaration.Name]
		substitutions[placeholder] = table.TableName()
		if actions := in.plan.TableActions[declaration.Name]; len(actions) > 0 {
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Table" + logicalID(declaration.Name)),
				Actions:   jsii.Strings(actions...),
				Resources: &[]*string{table.TableArn()},
			}))
			keyNeeded = true
		}
	}
	if keyNeeded {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("TableKey"),
			Actions:   jsii.Strings(keyWriteActions...),
			Resources: &[]*string{in.stateful.Key.KeyArn()},
		}))
	}
	if in.plan.UsesEventBus {
		substitutions[EventBusPlaceholder] = in.bus.EventBusName()
		in.bus.GrantPutEventsTo(role, nil)
	}
	// Vended logs: a name under /aws/vendedlogs/ keeps CloudWatch Logs' resource policy small.
	logGroup := newLogGroup(stack, "WorkflowLogs", "/aws/vendedlogs/states/"+in.name, in.set)
	absolute, err := filepath.Abs(in.path)
	if err != nil {
		absolute = in.path
	}
	machine := awsstepfunctions.NewStateMachine(stack, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		StateMachineName:        jsii.String(in.name),
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromFile(jsii.String(absolute), nil),
		DefinitionSubstitutions: &substitutions,
		Role:                    role,
		TracingEnabled:          jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logGroup,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(in.set.includeExecutionData),
		},
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	suppress(role, suppression{rule: "AwsSolutions-IAM5", appliesTo: []string{"Resource::*"},
		reason: "Logging to CloudWatch Logs uses the log delivery actions (logs:CreateLogDelivery and the like) and tracing uses xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSamplingRules and xray:GetSamplingTargets; none of them supports resource-level permissions (AWS requires Resource \"*\")."})
	return machine, substitutions
}

// newEventRules sends execution outcomes (from the default bus) and Fast-Track's own events
// (from its bus) to the notification topic and to every function with trigger "event".
func newEventRules(stack awscdk.Stack, out *StatelessStack, functions []registry.Function, stateMachineArn *string) {
	deliveryFailures := newDeadLetterQueue(stack, "EventDeliveryFailures")
	outcomes := awsevents.NewRule(stack, jsii.String("ExecutionOutcomes"), &awsevents.RuleProps{
		Description: jsii.String("Fast-Track executions that ended: succeeded, failed, timed out or aborted"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.states"),
			DetailType: jsii.Strings("Step Functions Execution Status Change"),
			Detail: &map[string]any{
				"stateMachineArn": []any{stateMachineArn},
				"status":          []any{"FAILED", "TIMED_OUT", "ABORTED", "SUCCEEDED"},
			},
		},
	})
	systemEvents := awsevents.NewRule(stack, jsii.String("SystemEvents"), &awsevents.RuleProps{
		Description:  jsii.String("Fast-Track's own events, such as an activation becoming active"),
		EventBus:     out.EventBus,
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings(EventSource)},
	})
	for _, rule := range []awsevents.Rule{outcomes, systemEvents} {
		rule.AddTarget(awseventstargets.NewSnsTopic(out.Notifications, &awseventstargets.SnsTopicProps{
			DeadLetterQueue: deliveryFailures,
			RetryAttempts:   jsii.Number(8),
		}))
		for _, name := range functionNames(functions) {
			if lookupFunction(functions, name).Trigger != registry.Event {
				continue
			}
			rule.AddTarget(awseventstargets.NewLambdaFunction(out.Functions[name], &awseventstargets.LambdaFunctionProps{
				DeadLetterQueue: deliveryFailures,
				RetryAttempts:   jsii.Number(8),
			}))
		}
	}
}

// executionPattern is the executions ARN as cdk-nag prints it, such as
// "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:FastTrack-dev:*"; in
// an environment-pinned stack the region and account are literal.
func executionPattern(stack awscdk.Stack, stateMachineName string) string {
	name := stateMachineName
	return pseudo(stack.Partition(), "AWS::Partition") + ":states:" + pseudo(stack.Region(), "AWS::Region") + ":" +
		pseudo(stack.Account(), "AWS::AccountId") + ":execution:" + name + ":*"
}

// pseudo writes a stack's value as cdk-nag does: a pseudo parameter in angle brackets, a
// literal as it is.
func pseudo(value *string, parameter string) string {
	if *awscdk.Token_IsUnresolved(value) {
		return "<" + parameter + ">"
	}
	return *value
}

// newLogGroup is a log group with the stage's retention and removal policy.
func newLogGroup(stack awscdk.Stack, id, name string, set settings) awslogs.LogGroup {
	props := &awslogs.LogGroupProps{Retention: set.logRetention, RemovalPolicy: set.removal}
	if name != "" {
		props.LogGroupName = jsii.String(name)
	}
	logGroup := awslogs.NewLogGroup(stack, jsii.String(id), props)
	acknowledge(logGroup, "cloudwatch_log_group_encrypted_check",
		"CloudWatch Logs encrypts every log group at rest with its own keys; the logs hold no request bodies or tokens, and prod leaves the workflow's state data out of them.")
	if set.logRetention != awslogs.RetentionDays_ONE_YEAR {
		acknowledge(logGroup, "cloudwatch_log_group_retention_period_check",
			"Dev keeps logs for two weeks on purpose; prod keeps them for a year. The audit trail, not the logs, is the lasting record.")
	}
	return logGroup
}
