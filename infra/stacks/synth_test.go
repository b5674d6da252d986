package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/infra/outputs"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Synthesising starts a Node.js process and takes seconds, so the test binary builds two apps
// once and every test reads the templates: the project's declarations in both stages, and the
// test suite's fixture (an event-triggered function, DynamoDB integrations in the workflow).
//
// The Lambda asset is a placeholder directory with a small "bootstrap" file, made in a temporary
// directory: the templates do not depend on the binary's contents (only the asset hash does), so
// the tests need no cross-compiled build.

func TestMain(m *testing.M) {
	code := m.Run()
	// jsii.Close is not called: it races with the runtime's own wait on the Node.js process
	// (jsii-runtime-go v1.139.0), which -race reports. The process ends with the test binary,
	// when its standard input closes.
	if assetDir != "" {
		os.RemoveAll(assetDir)
	}
	os.Exit(code)
}

// synthesized is one stage's deployment with its templates.
type synthesized struct {
	stage     Stage
	origin    string
	functions []registry.Function
	tables    []tables.Table
	workflow  string
	stateful  *StatefulStack
	stateless *StatelessStack
	// statefulTemplate and statelessTemplate are the synthesised templates.
	statefulTemplate, statelessTemplate assertions.Template
	// statefulJSON and statelessJSON are the same templates as plain JSON values.
	statefulJSON, statelessJSON template
}

type template struct {
	Resources map[string]resource `json:"Resources"`
	Outputs   map[string]struct {
		Value  any `json:"Value"`
		Export struct {
			Name string `json:"Name"`
		} `json:"Export"`
	} `json:"Outputs"`
}

type resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	DeletionPolicy string         `json:"DeletionPolicy"`
	Metadata       map[string]any `json:"Metadata"`
}

var (
	synthOnce   sync.Once
	synthErr    error
	deployments map[string]*synthesized
	assetDir    string
)

// mustSynth returns the deployments "dev", "prod" (the project's declarations) and "fixture".
func mustSynth(t *testing.T) map[string]*synthesized {
	t.Helper()
	synthOnce.Do(func() { deployments, synthErr = synthAll() })
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	return deployments
}

func newTestApp() awscdk.App {
	return awscdk.NewApp(&awscdk.AppProps{
		Context: &map[string]any{"@aws-cdk/core:defaultCrossStackReferences": "strong"},
	})
}

func synthAll() (map[string]*synthesized, error) {
	dir, err := os.MkdirTemp("", "fasttrack-lambda-asset-")
	if err != nil {
		return nil, err
	}
	assetDir = dir
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("placeholder for the Lambda binary\n"), 0o755); err != nil {
		return nil, err
	}
	project := newTestApp()
	fixture := newTestApp()
	out := map[string]*synthesized{
		"dev":     {stage: Dev, origin: "http://localhost:8080", functions: registry.All(), tables: tables.All(), workflow: projectWorkflow},
		"prod":    {stage: Prod, origin: "https://console.example.org", functions: registry.All(), tables: tables.All(), workflow: projectWorkflow},
		"fixture": {stage: Dev, origin: "https://console.example.org", functions: fixtureFunctions(), tables: fixtureTables(), workflow: fixtureWorkflow},
	}
	for _, name := range []string{"dev", "prod", "fixture"} {
		d := out[name]
		app := project
		var declaredTables []tables.Table
		var declaredFunctions []registry.Function
		if name == "fixture" {
			app, declaredTables, declaredFunctions = fixture, d.tables, d.functions
		}
		deployment, err := Build(app, Config{
			Stage: d.stage, ConsoleOrigin: d.origin, WorkflowPath: d.workflow, LambdaAssetDir: dir,
			Tables: declaredTables, Functions: declaredFunctions,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		d.stateful, d.stateless = deployment.Stateful, deployment.Stateless
	}
	ApplyChecks(project)
	ApplyChecks(fixture)
	for _, name := range []string{"dev", "prod", "fixture"} {
		d := out[name]
		d.statefulTemplate = assertions.Template_FromStack(d.stateful.Stack, nil)
		d.statelessTemplate = assertions.Template_FromStack(d.stateless.Stack, nil)
		for _, pair := range []struct {
			from assertions.Template
			into *template
		}{{d.statefulTemplate, &d.statefulJSON}, {d.statelessTemplate, &d.statelessJSON}} {
			data, err := json.Marshal(pair.from.ToJSON())
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(data, pair.into); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// forEach runs a subtest per deployment.
func forEach(t *testing.T, names []string, test func(t *testing.T, d *synthesized)) {
	all := mustSynth(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { test(t, all[name]) })
	}
}

var allDeployments = []string{"dev", "prod", "fixture"}

// ofType returns the resources of a type, by logical id.
func (tm template) ofType(kind string) map[string]resource {
	out := map[string]resource{}
	for id, r := range tm.Resources {
		if r.Type == kind {
			out[id] = r
		}
	}
	return out
}

// one returns the only resource of a type whose logical id starts with prefix.
func (tm template) one(t *testing.T, kind, prefix string) (string, resource) {
	t.Helper()
	var found []string
	for id, r := range tm.Resources {
		if r.Type == kind && strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s with id prefix %q: %v", len(found), kind, prefix, found)
	}
	return found[0], tm.Resources[found[0]]
}

func jsonText(value any) string {
	data, _ := json.Marshal(value)
	return string(data)
}

// get walks nested maps: get(props, "A", "B").
func get(value any, path ...string) any {
	for _, key := range path {
		m, ok := value.(map[string]any)
		if !ok {
			return nil
		}
		value = m[key]
	}
	return value
}

// strings of a value that is a string or a list of strings.
func stringList(value any) []string {
	switch v := value.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, item := range v {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// resourceList is a statement's Resource as a list.
func resourceList(value any) []any {
	if list, ok := value.([]any); ok {
		return list
	}
	return []any{value}
}

// tableID is the logical id of a declared table in the stateful template.
func (d *synthesized) tableID(t *testing.T, name string) string {
	t.Helper()
	id, _ := d.statefulJSON.one(t, "AWS::DynamoDB::Table", logicalID(name)+"Table")
	return id
}

// --- DynamoDB ---------------------------------------------------------------------------------

func TestTablesFollowTheDeclarations(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		tablesInTemplate := d.statefulJSON.ofType("AWS::DynamoDB::Table")
		if len(tablesInTemplate) != len(d.tables) {
			t.Fatalf("%d tables in the template, %d declared", len(tablesInTemplate), len(d.tables))
		}
		keyID, _ := d.statefulJSON.one(t, "AWS::KMS::Key", "DataKey")
		for _, declaration := range d.tables {
			id := d.tableID(t, declaration.Name)
			table := d.statefulJSON.Resources[id]
			props := table.Properties
			wantKeys := []any{map[string]any{"AttributeName": declaration.PartitionKey.Name, "KeyType": "HASH"}}
			if declaration.SortKey != nil {
				wantKeys = append(wantKeys, map[string]any{"AttributeName": declaration.SortKey.Name, "KeyType": "RANGE"})
			}
			if jsonText(props["KeySchema"]) != jsonText(wantKeys) {
				t.Errorf("%s key schema = %s", declaration.Name, jsonText(props["KeySchema"]))
			}
			if props["BillingMode"] != "PAY_PER_REQUEST" {
				t.Errorf("%s billing = %v", declaration.Name, props["BillingMode"])
			}
			if get(props, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
				t.Errorf("%s has no point-in-time recovery", declaration.Name)
			}
			sse := props["SSESpecification"]
			if get(sse, "SSEEnabled") != true || get(sse, "SSEType") != "KMS" || !strings.Contains(jsonText(get(sse, "KMSMasterKeyId")), keyID) {
				t.Errorf("%s is not encrypted with the data key: %s", declaration.Name, jsonText(sse))
			}
			if protection := props["DeletionProtectionEnabled"] == true; protection != (d.stage == Prod) {
				t.Errorf("%s deletion protection = %v in %s", declaration.Name, protection, d.stage)
			}
			wantPolicy := map[Stage]string{Dev: "Delete", Prod: "Retain"}[d.stage]
			if table.DeletionPolicy != wantPolicy {
				t.Errorf("%s deletion policy = %q in %s", declaration.Name, table.DeletionPolicy, d.stage)
			}
			ttl := props["TimeToLiveSpecification"]
			if declaration.TTLAttribute != "" {
				if get(ttl, "AttributeName") != declaration.TTLAttribute || get(ttl, "Enabled") != true {
					t.Errorf("%s TTL = %s, want %s", declaration.Name, jsonText(ttl), declaration.TTLAttribute)
				}
			} else if ttl != nil {
				t.Errorf("%s has TTL %s but declares none", declaration.Name, jsonText(ttl))
			}
			var indexes []string
			for _, index := range resourceList(props["GlobalSecondaryIndexes"]) {
				if name, ok := get(index, "IndexName").(string); ok {
					indexes = append(indexes, name)
				}
			}
			var declared []string
			for _, index := range declaration.Indexes {
				declared = append(declared, index.Name)
			}
			sort.Strings(indexes)
			sort.Strings(declared)
			if !slices.Equal(indexes, declared) {
				t.Errorf("%s indexes = %v, declared %v", declaration.Name, indexes, declared)
			}
			if declaration.AppendOnly != (props["ResourcePolicy"] != nil) {
				t.Errorf("%s: append-only %v but resource policy %s", declaration.Name, declaration.AppendOnly, jsonText(props["ResourcePolicy"]))
			}
		}
		key := d.statefulJSON.Resources[keyID].Properties
		if key["EnableKeyRotation"] != true {
			t.Error("the data key does not rotate")
		}
	})
}

// changesTable reports whether an Allow statement lets its principal update or delete items of
// the table with logical id tableID.
func changesTable(statement any, tableID string) bool {
	if get(statement, "Effect") != "Allow" {
		return false
	}
	changes := false
	for _, action := range stringList(get(statement, "Action")) {
		if slices.Contains(changeActions, action) || action == "dynamodb:*" || action == "*" {
			changes = true
		}
	}
	if !changes {
		return false
	}
	for _, resource := range resourceList(get(statement, "Resource")) {
		if resource == "*" || strings.Contains(jsonText(resource), tableID) {
			return true
		}
	}
	return false
}

func TestOnlyTheBreakGlassRoleMayChangeAppendOnlyTables(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		breakGlassID, breakGlass := d.statefulJSON.one(t, "AWS::IAM::Role", "AuditBreakGlassRole")
		trust := jsonText(breakGlass.Properties["AssumeRolePolicyDocument"])
		if !strings.Contains(trust, `"aws:MultiFactorAuthPresent":"true"`) || !strings.Contains(trust, ":root") {
			t.Errorf("the break-glass role is not limited to the account with MFA: %s", trust)
		}
		if breakGlass.Properties["MaxSessionDuration"] != float64(3600) {
			t.Errorf("break-glass sessions last %v seconds", breakGlass.Properties["MaxSessionDuration"])
		}
		for _, declaration := range d.tables {
			if !declaration.AppendOnly {
				continue
			}
			tableID := d.tableID(t, declaration.Name)
			policy := d.statefulJSON.Resources[tableID].Properties["ResourcePolicy"]
			statement := get(policy, "PolicyDocument", "Statement").([]any)[0]
			if get(statement, "Effect") != "Deny" || jsonText(get(statement, "Principal")) != `{"AWS":"*"}` ||
				!slices.Equal(stringList(get(statement, "Action")), changeActions) ||
				!strings.Contains(jsonText(get(statement, "Condition", "ArnNotEquals", "aws:PrincipalArn")), breakGlassID) {
				t.Errorf("%s resource policy does not deny changes to all but the break-glass role: %s", declaration.Name, jsonText(policy))
			}
			allowed := 0
			for _, tm := range []template{d.statefulJSON, d.statelessJSON} {
				for id, policy := range tm.ofType("AWS::IAM::Policy") {
					for _, statement := range resourceList(get(policy.Properties, "PolicyDocument", "Statement")) {
						if !changesTable(statement, tableID) {
							continue
						}
						if !strings.Contains(jsonText(policy.Properties["Roles"]), breakGlassID) {
							t.Errorf("policy %s lets a role other than the break-glass role change %s: %s", id, declaration.Name, jsonText(statement))
						}
						allowed++
					}
				}
			}
			if allowed != 1 {
				t.Errorf("%d statements allow changing %s; want the break-glass role's one", allowed, declaration.Name)
			}
		}
	})
}

// --- Lambda -------------------------------------------------------------------------------------

// functionResource returns a registry function's Lambda resource.
func (d *synthesized) functionResource(t *testing.T, name string) resource {
	t.Helper()
	_, r := d.statelessJSON.one(t, "AWS::Lambda::Function", logicalID(name)+"Function")
	return r
}

func TestEveryFunctionRunsTheSharedBinaryWithItsOwnHandler(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		lambdas := d.statelessJSON.ofType("AWS::Lambda::Function")
		if len(lambdas) != len(d.functions) {
			t.Fatalf("%d Lambda functions, %d registered", len(lambdas), len(d.functions))
		}
		codeKeys := map[string]bool{}
		roles := map[string]bool{}
		retention := map[Stage]float64{Dev: 14, Prod: 365}[d.stage]
		for _, function := range d.functions {
			props := d.functionResource(t, function.Name).Properties
			if props["Handler"] != function.Name || props["Runtime"] != "provided.al2023" || jsonText(props["Architectures"]) != `["arm64"]` {
				t.Errorf("%s: handler %v runtime %v architectures %v", function.Name, props["Handler"], props["Runtime"], props["Architectures"])
			}
			if get(props, "TracingConfig", "Mode") != "Active" {
				t.Errorf("%s: tracing %v", function.Name, props["TracingConfig"])
			}
			if props["Timeout"] != function.Timeout.Seconds() || props["MemorySize"] != float64(function.MemoryMB) {
				t.Errorf("%s: timeout %v memory %v, registry %s %d", function.Name, props["Timeout"], props["MemorySize"], function.Timeout, function.MemoryMB)
			}
			if function.Trigger == registry.HTTP && props["Timeout"].(float64) >= APIGatewayTimeout.Seconds() {
				t.Errorf("%s: timeout %v is not below API Gateway's", function.Name, props["Timeout"])
			}
			codeKeys[jsonText(get(props, "Code", "S3Key"))] = true
			roles[jsonText(props["Role"])] = true
			logGroup := get(props, "LoggingConfig", "LogGroup")
			logGroupID, _ := get(logGroup, "Ref").(string)
			if logGroupID == "" || d.statelessJSON.Resources[logGroupID].Properties["RetentionInDays"] != retention {
				t.Errorf("%s: log group %s without %v days' retention", function.Name, jsonText(logGroup), retention)
			}
			if get(props, "LoggingConfig", "LogFormat") != "JSON" {
				t.Errorf("%s: log format %v", function.Name, get(props, "LoggingConfig", "LogFormat"))
			}
			checkEnvironment(t, d, function, get(props, "Environment", "Variables"))
		}
		if len(codeKeys) != 1 {
			t.Errorf("functions use %d code assets, want the one shared binary: %v", len(codeKeys), codeKeys)
		}
		if len(roles) != len(d.functions) {
			t.Errorf("%d roles for %d functions: each function needs its own", len(roles), len(d.functions))
		}
	})
}

// checkEnvironment asserts a function gets exactly the names its registry entry needs.
func checkEnvironment(t *testing.T, d *synthesized, function registry.Function, variables any) {
	t.Helper()
	vars, _ := variables.(map[string]any)
	want := map[string]bool{registry.EnvStage: true}
	if vars[registry.EnvStage] != string(d.stage) {
		t.Errorf("%s: %s = %v", function.Name, registry.EnvStage, vars[registry.EnvStage])
	}
	for _, grant := range function.Tables {
		declaration, _ := findTable(d.tables, grant.Table)
		want[declaration.EnvVar()] = true
		if !strings.Contains(jsonText(vars[declaration.EnvVar()]), d.tableID(t, declaration.Name)) {
			t.Errorf("%s: %s = %s does not name table %s", function.Name, declaration.EnvVar(), jsonText(vars[declaration.EnvVar()]), declaration.Name)
		}
	}
	if len(function.StateMachineActions) > 0 {
		want[registry.EnvStateMachineARN] = true
		if !strings.Contains(jsonText(vars[registry.EnvStateMachineARN]), ":stateMachine:"+d.stage.prefix()) {
			t.Errorf("%s: state machine ARN %s", function.Name, jsonText(vars[registry.EnvStateMachineARN]))
		}
	}
	if function.PublishesEvents {
		want[registry.EnvEventBusName] = true
		busID, _ := d.statelessJSON.one(t, "AWS::Events::EventBus", "EventBus")
		if !strings.Contains(jsonText(vars[registry.EnvEventBusName]), busID) {
			t.Errorf("%s: event bus %s", function.Name, jsonText(vars[registry.EnvEventBusName]))
		}
	}
	if len(function.UserPoolActions) > 0 {
		want[registry.EnvUserPoolID] = true
		poolID, _ := d.statefulJSON.one(t, "AWS::Cognito::UserPool", "UserPool")
		if !strings.Contains(jsonText(vars[registry.EnvUserPoolID]), poolID) {
			t.Errorf("%s: user pool %s", function.Name, jsonText(vars[registry.EnvUserPoolID]))
		}
	}
	if function.Trigger == registry.HTTP {
		for _, name := range []string{registry.EnvAuthIssuer, registry.EnvAuthAudience, registry.EnvAuthJWKSURL} {
			want[name] = true
		}
		if !strings.Contains(jsonText(vars[registry.EnvAuthIssuer]), "cognito-idp.") ||
			!strings.Contains(jsonText(vars[registry.EnvAuthJWKSURL]), "/.well-known/jwks.json") {
			t.Errorf("%s: token issuer %s, keys %s", function.Name, jsonText(vars[registry.EnvAuthIssuer]), jsonText(vars[registry.EnvAuthJWKSURL]))
		}
	}
	for name := range vars {
		if !want[name] {
			t.Errorf("%s: unexpected environment variable %s", function.Name, name)
		}
	}
	for name := range want {
		if _, ok := vars[name]; !ok {
			t.Errorf("%s: missing environment variable %s", function.Name, name)
		}
	}
}

// statementsBySid indexes a policy's statements.
func statementsBySid(t *testing.T, policy resource) map[string]any {
	t.Helper()
	out := map[string]any{}
	for index, statement := range resourceList(get(policy.Properties, "PolicyDocument", "Statement")) {
		sid, _ := get(statement, "Sid").(string)
		if sid == "" {
			sid = fmt.Sprintf("#%d", index)
		}
		out[sid] = statement
	}
	return out
}

func TestEachFunctionRoleHasExactlyItsRegistryGrants(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		keyID, _ := d.statefulJSON.one(t, "AWS::KMS::Key", "DataKey")
		for _, function := range d.functions {
			_, policy := d.statelessJSON.one(t, "AWS::IAM::Policy", logicalID(function.Name)+"RoleDefaultPolicy")
			statements := statementsBySid(t, policy)
			access, err := functionTableAccess(function, d.tables)
			if err != nil {
				t.Fatal(err)
			}
			expected := map[string][]string{"WriteOwnLogs": {"logs:CreateLogStream", "logs:PutLogEvents"}}
			for _, a := range access {
				sid := logicalID(a.table.Name)
				expected["Table"+sid] = a.itemActions
				tableID := d.tableID(t, a.table.Name)
				if resources := jsonText(get(statements["Table"+sid], "Resource")); !strings.Contains(resources, tableID) || strings.Contains(resources, "/index/") {
					t.Errorf("%s: table statement %s resources %s", function.Name, sid, resources)
				}
				if len(a.indexActions) > 0 {
					expected["Indexes"+sid] = a.indexActions
					resources := resourceList(get(statements["Indexes"+sid], "Resource"))
					if len(resources) != len(a.table.Indexes) {
						t.Errorf("%s: %d index resources for %d indexes of %s", function.Name, len(resources), len(a.table.Indexes), a.table.Name)
					}
					for i, index := range a.table.Indexes {
						if i < len(resources) && (!strings.Contains(jsonText(resources[i]), tableID) || !strings.Contains(jsonText(resources[i]), "/index/"+index.Name)) {
							t.Errorf("%s: index resource %s", function.Name, jsonText(resources[i]))
						}
					}
				}
			}
			if len(access) > 0 {
				var keyActions []string
				for _, a := range access {
					keyActions = append(keyActions, a.keyActions...)
				}
				expected["TableKey"] = sortedUnique(keyActions)
				if !strings.Contains(jsonText(get(statements["TableKey"], "Resource")), keyID) {
					t.Errorf("%s: key statement on %s", function.Name, jsonText(get(statements["TableKey"], "Resource")))
				}
			}
			for _, declaration := range d.tables {
				if declaration.AppendOnly {
					expected["NeverChange"+logicalID(declaration.Name)] = changeActions
					if get(statements["NeverChange"+logicalID(declaration.Name)], "Effect") != "Deny" {
						t.Errorf("%s: no explicit deny on %s", function.Name, declaration.Name)
					}
				}
			}
			machine, execution, _ := splitStateMachineActions(function)
			if len(machine) > 0 {
				expected["StateMachine"] = machine
				if resource := jsonText(get(statements["StateMachine"], "Resource")); !strings.Contains(resource, ":stateMachine:"+d.stage.prefix()+`"`) {
					t.Errorf("%s: state machine actions on %s", function.Name, resource)
				}
			}
			if len(execution) > 0 {
				expected["Executions"] = execution
				if resource := jsonText(get(statements["Executions"], "Resource")); !strings.Contains(resource, ":execution:"+d.stage.prefix()+`:*"`) {
					t.Errorf("%s: execution actions on %s", function.Name, resource)
				}
			}
			if len(function.UserPoolActions) > 0 {
				expected["UserPool"] = function.UserPoolActions
				poolID, _ := d.statefulJSON.one(t, "AWS::Cognito::UserPool", "UserPool")
				if resources := resourceList(get(statements["UserPool"], "Resource")); len(resources) != 1 ||
					!strings.Contains(jsonText(resources[0]), poolID) || !strings.Contains(jsonText(resources[0]), "Arn") {
					t.Errorf("%s: user pool actions on %s", function.Name, jsonText(get(statements["UserPool"], "Resource")))
				}
			}
			var unnamed []any
			for sid, statement := range statements {
				want, ok := expected[sid]
				if !ok {
					unnamed = append(unnamed, statement)
					continue
				}
				if got := sortedUnique(stringList(get(statement, "Action"))); !slices.Equal(got, sortedUnique(want)) {
					t.Errorf("%s: statement %s actions %v, want %v", function.Name, sid, got, want)
				}
				delete(expected, sid)
			}
			if len(expected) > 0 {
				t.Errorf("%s: missing statements %v", function.Name, sortedKeys(expected))
			}
			// What CDK adds on its own: X-Ray for tracing, events:PutEvents on the bus for
			// publishers, sqs:SendMessage to the dead-letter queue for event functions.
			extra := map[string]bool{}
			for _, statement := range unnamed {
				for _, action := range stringList(get(statement, "Action")) {
					extra[action] = true
				}
			}
			wantExtra := map[string]bool{"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true}
			if function.PublishesEvents {
				wantExtra["events:PutEvents"] = true
			}
			if function.Trigger == registry.Event {
				for _, action := range []string{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"} {
					wantExtra[action] = true
				}
			}
			if jsonText(extra) != jsonText(wantExtra) {
				t.Errorf("%s: other actions %v, want %v", function.Name, sortedKeys(extra), sortedKeys(wantExtra))
			}
		}
	})
}

// wildcardResourceActions are the actions AWS authorises only on Resource "*": X-Ray's trace
// upload and sampling (used by Lambda and Step Functions tracing) and CloudWatch Logs' log
// delivery (used by Step Functions logging). No resource-level permission exists for them.
var wildcardResourceActions = []string{
	"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
	"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
	"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
}

func TestNoPolicyUsesWildcardActionsOrResourcesBeyondWhatAWSRequires(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		checked := 0
		for _, tm := range []template{d.statefulJSON, d.statelessJSON} {
			for id, r := range tm.Resources {
				var documents []any
				switch r.Type {
				case "AWS::IAM::Policy":
					documents = append(documents, r.Properties["PolicyDocument"])
				case "AWS::IAM::Role":
					documents = append(documents, r.Properties["AssumeRolePolicyDocument"])
					for _, inline := range resourceList(r.Properties["Policies"]) {
						documents = append(documents, get(inline, "PolicyDocument"))
					}
				case "AWS::KMS::Key":
					// A key policy's Resource "*" means the key itself (AWS requires that form), and
					// the account root's kms:* is CDK's default statement that keeps the key
					// manageable by the account's IAM policies.
					for _, statement := range resourceList(get(r.Properties, "KeyPolicy", "Statement")) {
						if jsonText(get(statement, "Resource")) != `"*"` {
							t.Errorf("key %s policy statement on %s", id, jsonText(get(statement, "Resource")))
						}
						if slices.Contains(stringList(get(statement, "Action")), "kms:*") && !strings.Contains(jsonText(get(statement, "Principal")), ":root") {
							t.Errorf("key %s grants kms:* to %s", id, jsonText(get(statement, "Principal")))
						}
					}
					continue
				case "AWS::DynamoDB::Table":
					// Checked in TestOnlyTheBreakGlassRoleMayChangeAppendOnlyTables: "*" there is the
					// table itself.
					continue
				case "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy":
					documents = append(documents, r.Properties["PolicyDocument"])
				default:
					continue
				}
				for _, document := range documents {
					for _, statement := range resourceList(get(document, "Statement")) {
						if statement == nil {
							continue
						}
						checked++
						if get(statement, "Effect") == "Deny" {
							// A deny only narrows access: the queues' and topics' TLS-only
							// statements deny sqs:* and sns:Publish to "*" without TLS.
							continue
						}
						actions := stringList(get(statement, "Action"))
						for _, action := range actions {
							if strings.Contains(action, "*") {
								t.Errorf("%s: wildcard action %s", id, action)
							}
						}
						for _, resource := range resourceList(get(statement, "Resource")) {
							if resource != "*" {
								continue
							}
							for _, action := range actions {
								if !slices.Contains(wildcardResourceActions, action) {
									t.Errorf("%s: action %s on Resource \"*\"", id, action)
								}
							}
						}
					}
				}
			}
		}
		if checked < 2*len(d.functions) {
			t.Fatalf("only %d statements checked", checked)
		}
	})
}

// --- Step Functions -----------------------------------------------------------------------------

func TestStateMachineIsTheWorkflowFileWithEverySubstitution(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		_, machine := d.statelessJSON.one(t, "AWS::StepFunctions::StateMachine", "StateMachine")
		props := machine.Properties
		if props["StateMachineType"] != "STANDARD" || props["StateMachineName"] != d.stage.prefix() {
			t.Errorf("type %v name %v", props["StateMachineType"], props["StateMachineName"])
		}
		if get(props, "TracingConfiguration", "Enabled") != true {
			t.Error("state machine tracing is off")
		}
		logging := props["LoggingConfiguration"]
		if get(logging, "Level") != "ALL" || get(logging, "IncludeExecutionData") != (d.stage == Dev) {
			t.Errorf("logging %s", jsonText(logging))
		}
		logGroupID := get(resourceList(get(logging, "Destinations"))[0], "CloudWatchLogsLogGroup", "LogGroupArn", "Fn::GetAtt")
		if id := stringList(logGroupID); len(id) == 0 || !strings.HasPrefix(d.statelessJSON.Resources[id[0]].Properties["LogGroupName"].(string), "/aws/vendedlogs/states/") {
			t.Errorf("workflow log group %s", jsonText(logGroupID))
		}
		if props["DefinitionS3Location"] == nil {
			t.Error("the definition is not the workflow file asset")
		}

		definition := string(mustRead(t, d.workflow))
		placeholders := map[string]bool{}
		for _, match := range placeholderPattern.FindAllStringSubmatch(definition, -1) {
			placeholders[match[1]] = true
		}
		substitutions, _ := props["DefinitionSubstitutions"].(map[string]any)
		if !slices.Equal(sortedKeys(substitutions), sortedKeys(placeholders)) {
			t.Fatalf("substitutions %v, placeholders %v", sortedKeys(substitutions), sortedKeys(placeholders))
		}
		values := map[string]string{}
		for name, value := range substitutions {
			values[name] = jsonText(value)
		}
		if _, err := Substitute(definition, values); err != nil {
			t.Fatal(err)
		}
		invoked := map[string]bool{}
		for _, function := range d.functions {
			value, used := substitutions[function.ArnPlaceholder()]
			if used != (function.Trigger == registry.Workflow) {
				t.Errorf("%s (trigger %s) substituted = %v", function.Name, function.Trigger, used)
			}
			if used {
				id := stringList(get(value, "Fn::GetAtt"))
				if len(id) != 2 || !strings.HasPrefix(id[0], logicalID(function.Name)+"Function") || id[1] != "Arn" {
					t.Errorf("%s substitution %s", function.ArnPlaceholder(), jsonText(value))
				}
				invoked[id[0]] = true
			}
		}
		for _, declaration := range d.tables {
			if value, ok := substitutions[TableNamePlaceholder(declaration)]; ok && !strings.Contains(jsonText(value), d.tableID(t, declaration.Name)) {
				t.Errorf("%s substitution %s", TableNamePlaceholder(declaration), jsonText(value))
			}
		}

		// The role invokes exactly those functions, and does exactly the definition's table work.
		_, policy := d.statelessJSON.one(t, "AWS::IAM::Policy", "WorkflowRoleDefaultPolicy")
		statements := statementsBySid(t, policy)
		invoke := statements["InvokeWorkflowFunctions"]
		if !slices.Equal(stringList(get(invoke, "Action")), []string{"lambda:InvokeFunction"}) {
			t.Errorf("invoke statement %s", jsonText(invoke))
		}
		granted := map[string]bool{}
		for _, resource := range resourceList(get(invoke, "Resource")) {
			granted[stringList(get(resource, "Fn::GetAtt"))[0]] = true
		}
		if jsonText(granted) != jsonText(invoked) {
			t.Errorf("the workflow role invokes %v, the definition %v", sortedKeys(granted), sortedKeys(invoked))
		}
		for sid, statement := range statements {
			if strings.Contains(jsonText(get(statement, "Action")), "lambda:") && sid != "InvokeWorkflowFunctions" {
				t.Errorf("another Lambda statement %s", jsonText(statement))
			}
			if strings.Contains(jsonText(get(statement, "Action")), "dynamodb:") {
				name := strings.TrimPrefix(sid, "Table")
				var declaration tables.Table
				for _, candidate := range d.tables {
					if logicalID(candidate.Name) == name {
						declaration = candidate
					}
				}
				if got, want := stringList(get(statement, "Action")), d.stateless.Plan.TableActions[declaration.Name]; declaration.Name == "" || !slices.Equal(got, want) {
					t.Errorf("workflow table statement %s: %v, want %v", sid, got, want)
				}
			}
		}
		if d.stateless.Plan.UsesEventBus != strings.Contains(jsonText(policy), "events:PutEvents") {
			t.Errorf("event bus use %v, policy %s", d.stateless.Plan.UsesEventBus, jsonText(policy))
		}
	})
}

func TestExecutionOutcomesReachTheNotificationTargets(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		_, rule := d.statelessJSON.one(t, "AWS::Events::Rule", "ExecutionOutcomes")
		pattern := rule.Properties["EventPattern"]
		if !slices.Equal(stringList(get(pattern, "source")), []string{"aws.states"}) ||
			!slices.Equal(stringList(get(pattern, "detail", "status")), []string{"FAILED", "TIMED_OUT", "ABORTED", "SUCCEEDED"}) ||
			!strings.Contains(jsonText(get(pattern, "detail", "stateMachineArn")), ":stateMachine:"+d.stage.prefix()) {
			t.Errorf("pattern %s", jsonText(pattern))
		}
		topicID, _ := d.statelessJSON.one(t, "AWS::SNS::Topic", "NotificationTopic")
		_, system := d.statelessJSON.one(t, "AWS::Events::Rule", "SystemEvents")
		for _, r := range []resource{rule, system} {
			targets := resourceList(r.Properties["Targets"])
			if !strings.Contains(jsonText(targets), topicID) {
				t.Errorf("rule does not notify the topic: %s", jsonText(targets))
			}
			for _, target := range targets {
				if get(target, "DeadLetterConfig", "Arn") == nil {
					t.Errorf("target without a dead-letter queue: %s", jsonText(target))
				}
			}
			for _, function := range d.functions {
				if function.Trigger != registry.Event {
					continue
				}
				id, _ := d.statelessJSON.one(t, "AWS::Lambda::Function", logicalID(function.Name)+"Function")
				if !strings.Contains(jsonText(targets), id) {
					t.Errorf("event function %s is not a target", function.Name)
				}
			}
		}
		// Asynchronously invoked functions have an on-failure destination; others none.
		configs := d.statelessJSON.ofType("AWS::Lambda::EventInvokeConfig")
		events := 0
		for _, function := range d.functions {
			if function.Trigger == registry.Event {
				events++
				id, _ := d.statelessJSON.one(t, "AWS::Lambda::Function", logicalID(function.Name)+"Function")
				found := false
				for _, config := range configs {
					if strings.Contains(jsonText(config.Properties["FunctionName"]), id) &&
						strings.Contains(jsonText(get(config.Properties, "DestinationConfig", "OnFailure", "Destination")), "FailedInvocations") {
						found = true
					}
				}
				if !found {
					t.Errorf("event function %s has no on-failure queue", function.Name)
				}
			}
		}
		if len(configs) != events {
			t.Errorf("%d invoke configs for %d event functions", len(configs), events)
		}
	})
}

func TestFixtureCoversAnEventFunction(t *testing.T) {
	// The on-failure and rule-target assertions above are only meaningful if some deployment
	// has an event-triggered function.
	d := mustSynth(t)["fixture"]
	if len(d.statelessJSON.ofType("AWS::Lambda::EventInvokeConfig")) != 1 {
		t.Fatal("the fixture's notify function has no invoke configuration")
	}
}

// --- API ----------------------------------------------------------------------------------------

func TestEveryRouteIsAuthorisedAndThrottled(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		_, authorizer := d.statelessJSON.one(t, "AWS::ApiGatewayV2::Authorizer", "HttpApi")
		clientID, _ := d.statefulJSON.one(t, "AWS::Cognito::UserPoolClient", "UserPoolCliClient")
		poolID, _ := d.statefulJSON.one(t, "AWS::Cognito::UserPool", "UserPool")
		jwt := authorizer.Properties["JwtConfiguration"]
		if authorizer.Properties["AuthorizerType"] != "JWT" || !strings.Contains(jsonText(get(jwt, "Audience")), clientID) ||
			!strings.Contains(jsonText(get(jwt, "Issuer")), "cognito-idp.") || !strings.Contains(jsonText(get(jwt, "Issuer")), poolID) {
			t.Errorf("authorizer %s", jsonText(authorizer.Properties))
		}
		routes := d.statelessJSON.ofType("AWS::ApiGatewayV2::Route")
		_, stage := d.statelessJSON.one(t, "AWS::ApiGatewayV2::Stage", "HttpApiDefaultStage")
		settings, _ := stage.Properties["RouteSettings"].(map[string]any)
		var keys []string
		for id, route := range routes {
			key := route.Properties["RouteKey"].(string)
			keys = append(keys, key)
			public := key == "GET /health" || key == "GET /openapi.json"
			if public {
				if route.Properties["AuthorizationType"] != "NONE" {
					t.Errorf("%s: public route with authorization %v", key, route.Properties["AuthorizationType"])
				}
			} else if route.Properties["AuthorizationType"] != "JWT" || route.Properties["AuthorizerId"] == nil {
				t.Errorf("%s (%s) is not behind the JWT authorizer: %s", key, id, jsonText(route.Properties))
			}
			if get(settings, key, "ThrottlingRateLimit") == nil || get(settings, key, "ThrottlingBurstLimit") == nil {
				t.Errorf("%s has no route throttle", key)
			}
		}
		if len(routes) < 6 || len(settings) != len(routes) {
			t.Errorf("%d routes, %d route settings: %v", len(routes), len(settings), keys)
		}
		if get(stage.Properties, "DefaultRouteSettings", "ThrottlingRateLimit") == nil {
			t.Error("no stage-wide throttle")
		}
		if get(stage.Properties, "AccessLogSettings", "DestinationArn") == nil ||
			!strings.Contains(jsonText(get(stage.Properties, "AccessLogSettings", "Format")), "requestId") {
			t.Errorf("access logs %s", jsonText(stage.Properties["AccessLogSettings"]))
		}
		_, api := d.statelessJSON.one(t, "AWS::ApiGatewayV2::Api", "HttpApi")
		cors := api.Properties["CorsConfiguration"]
		if jsonText(get(cors, "AllowOrigins")) != jsonText([]string{d.origin}) {
			t.Errorf("CORS origins %s, want only %s", jsonText(get(cors, "AllowOrigins")), d.origin)
		}
		if !slices.Equal(stringList(get(cors, "AllowHeaders")), CORSHeaders) {
			t.Errorf("CORS headers %v", get(cors, "AllowHeaders"))
		}
	})
}

func TestUserPoolHasTheRolesOfficeAndStrongSignIn(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		_, pool := d.statefulJSON.one(t, "AWS::Cognito::UserPool", "UserPool")
		props := pool.Properties
		if props["MfaConfiguration"] != "ON" || !slices.Contains(stringList(props["EnabledMfas"]), "SOFTWARE_TOKEN_MFA") {
			t.Errorf("MFA %v %v", props["MfaConfiguration"], props["EnabledMfas"])
		}
		password := get(props, "Policies", "PasswordPolicy")
		if get(password, "MinimumLength").(float64) < 14 || get(password, "RequireSymbols") != true || get(password, "RequireNumbers") != true ||
			get(password, "RequireUppercase") != true || get(password, "RequireLowercase") != true {
			t.Errorf("password policy %s", jsonText(password))
		}
		if get(props, "AdminCreateUserConfig", "AllowAdminCreateUserOnly") != true {
			t.Error("self sign-up is allowed")
		}
		if !strings.Contains(jsonText(props["Schema"]), `"Name":"`+OfficeAttribute+`"`) {
			t.Errorf("no custom:%s attribute: %s", OfficeAttribute, jsonText(props["Schema"]))
		}
		if protected := props["DeletionProtection"] == "ACTIVE"; protected != (d.stage == Prod) {
			t.Errorf("user pool deletion protection %v in %s", props["DeletionProtection"], d.stage)
		}
		var groups []string
		for _, group := range d.statefulJSON.ofType("AWS::Cognito::UserPoolGroup") {
			groups = append(groups, group.Properties["GroupName"].(string))
		}
		var roles []string
		for _, role := range auth.Roles() {
			roles = append(roles, string(role))
		}
		sort.Strings(groups)
		sort.Strings(roles)
		if !slices.Equal(groups, roles) {
			t.Errorf("groups %v, roles %v", groups, roles)
		}
		_, client := d.statefulJSON.one(t, "AWS::Cognito::UserPoolClient", "UserPoolCliClient")
		if flows := stringList(client.Properties["ExplicitAuthFlows"]); !slices.Contains(flows, "ALLOW_USER_SRP_AUTH") ||
			!slices.Contains(flows, "ALLOW_USER_PASSWORD_AUTH") || !slices.Contains(flows, "ALLOW_REFRESH_TOKEN_AUTH") {
			t.Errorf("sign-in flows %v", flows)
		}
		if client.Properties["GenerateSecret"] != false {
			t.Errorf("app client secret %v", client.Properties["GenerateSecret"])
		}
		if slices.Contains(stringList(client.Properties["WriteAttributes"]), "custom:"+OfficeAttribute) ||
			!slices.Contains(stringList(client.Properties["ReadAttributes"]), "custom:"+OfficeAttribute) {
			t.Errorf("client attributes read %v write %v", client.Properties["ReadAttributes"], client.Properties["WriteAttributes"])
		}
	})
}

// --- Operations ---------------------------------------------------------------------------------

func TestAlarmsDashboardAndOutputs(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		alarms := map[string]resource{}
		for _, alarm := range d.statelessJSON.ofType("AWS::CloudWatch::Alarm") {
			alarms[strings.TrimPrefix(alarm.Properties["AlarmName"].(string), d.stage.prefix()+"-")] = alarm
		}
		want := []string{"ExecutionsFailed", "ExecutionsTimedOut", "ApprovalTasksPastDeadline"}
		for _, function := range d.functions {
			want = append(want, logicalID(function.Name)+"Errors", logicalID(function.Name)+"Throttles")
		}
		for _, declaration := range d.tables {
			want = append(want, logicalID(declaration.Name)+"TableThrottles")
		}
		sort.Strings(want)
		if got := sortedKeys(alarms); !slices.Equal(got, want) {
			t.Errorf("alarms %v, want %v", got, want)
		}
		alarmTopicID, _ := d.statelessJSON.one(t, "AWS::SNS::Topic", "AlarmTopic")
		for name, alarm := range alarms {
			actions := alarm.Properties["AlarmActions"]
			if notifies := strings.Contains(jsonText(actions), alarmTopicID); notifies != (d.stage == Prod) {
				t.Errorf("alarm %s actions %s in %s", name, jsonText(actions), d.stage)
			}
			if alarm.Properties["TreatMissingData"] != "notBreaching" {
				t.Errorf("alarm %s treats missing data as %v", name, alarm.Properties["TreatMissingData"])
			}
		}
		deadline := alarms["ApprovalTasksPastDeadline"].Properties
		if deadline["Namespace"] != registry.MetricsNamespace || deadline["MetricName"] != registry.MetricApprovalTasksPastDeadline ||
			jsonText(deadline["Dimensions"]) != jsonText([]map[string]string{{"Name": registry.MetricDimensionStage, "Value": string(d.stage)}}) {
			t.Errorf("deadline alarm %s", jsonText(deadline))
		}
		if failed := alarms["ExecutionsFailed"].Properties; failed["MetricName"] != "ExecutionsFailed" || failed["Namespace"] != "AWS/States" {
			t.Errorf("failed executions alarm %s", jsonText(failed))
		}
		if len(d.statelessJSON.ofType("AWS::CloudWatch::Dashboard")) != 1 {
			t.Error("no dashboard")
		}
		for _, key := range outputs.Keys() {
			output, ok := d.statelessJSON.Outputs[key]
			if !ok || output.Export.Name != outputs.ExportName(string(d.stage), key) {
				t.Errorf("output %s: %+v", key, output)
			}
		}
		if stack := *d.stateless.StackName(); stack != outputs.StackName(string(d.stage)) {
			t.Errorf("stack name %s", stack)
		}
	})
}

// --- cdk-nag ------------------------------------------------------------------------------------

func TestAwsSolutionsChecksPassWithReasonedSuppressions(t *testing.T) {
	forEach(t, allDeployments, func(t *testing.T, d *synthesized) {
		for _, pair := range []struct {
			stack    awscdk.Stack
			template template
		}{{d.stateful.Stack, d.statefulJSON}, {d.stateless.Stack, d.statelessJSON}} {
			annotations := assertions.Annotations_FromStack(pair.stack)
			for _, finding := range *annotations.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
				t.Errorf("unsuppressed cdk-nag finding: %s", jsonText(finding))
			}
			for _, finding := range *annotations.FindError(jsii.String("*"), assertions.Match_AnyValue()) {
				t.Errorf("error annotation: %s", jsonText(finding))
			}
			suppressed := 0
			for id, r := range pair.template.Resources {
				for _, rule := range resourceList(get(r.Metadata, "cdk_nag", "rules_to_suppress")) {
					if rule == nil {
						continue
					}
					suppressed++
					reason, _ := get(rule, "reason").(string)
					if len(reason) < 40 || !regexp.MustCompile(`^AwsSolutions-[A-Z]+[0-9]+$`).MatchString(get(rule, "id").(string)) {
						t.Errorf("%s: suppression %s without a real reason: %q", id, get(rule, "id"), reason)
					}
				}
			}
			if pair.stack == d.stateless.Stack && suppressed == 0 {
				t.Error("no suppressions found: the check reads the wrong metadata")
			}
		}
	})
}
