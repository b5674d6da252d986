package stacks

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// projectWorkflow is the real definition, shared with the local engine.
const projectWorkflow = "../../workflows/fasttrack.asl.json"

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fakeValues gives every placeholder of a plan a distinct stand-in value.
func fakeValues(plan WorkflowPlan) map[string]string {
	values := map[string]string{}
	for _, placeholder := range plan.Placeholders {
		values[placeholder] = "value-of-" + placeholder
	}
	return values
}

func TestPlanWorkflowResolvesEveryPlaceholderOfTheFixture(t *testing.T) {
	plan, err := PlanWorkflow(mustRead(t, fixtureWorkflow), fixtureFunctions(), fixtureTables())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ActivationsTableName", "AuditTableName", "CheckFunctionArn", "DecideFunctionArn", EventBusPlaceholder}
	if !slices.Equal(plan.Placeholders, want) {
		t.Fatalf("placeholders = %v, want %v", plan.Placeholders, want)
	}
	if plan.Functions["CheckFunctionArn"].Name != "check" || plan.Functions["DecideFunctionArn"].Name != "decide" || len(plan.Functions) != 2 {
		t.Fatalf("functions = %v", plan.Functions)
	}
	if plan.Tables["AuditTableName"].Name != "audit" || plan.Tables["ActivationsTableName"].Name != "activations" || len(plan.Tables) != 2 {
		t.Fatalf("tables = %v", plan.Tables)
	}
	if !plan.UsesEventBus {
		t.Fatal("the fixture names the event bus")
	}
	if got := plan.TableActions["audit"]; !slices.Equal(got, []string{"dynamodb:PutItem"}) {
		t.Fatalf("audit actions = %v", got)
	}
	if got := plan.TableActions["activations"]; !slices.Equal(got, []string{"dynamodb:GetItem"}) {
		t.Fatalf("activations actions = %v", got)
	}
	substituted, err := Substitute(string(mustRead(t, fixtureWorkflow)), fakeValues(plan))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(substituted, "${") || !strings.Contains(substituted, "value-of-CheckFunctionArn") {
		t.Fatalf("substitution left placeholders or lost values:\n%s", substituted)
	}
}

// The project's definition must resolve against the project's registry and tables: every
// placeholder stands for something, every workflow function is invoked.
func TestPlanWorkflowResolvesTheProjectDefinition(t *testing.T) {
	definition := mustRead(t, projectWorkflow)
	plan, err := PlanWorkflow(definition, registry.All(), tables.All())
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Placeholders) == 0 {
		t.Fatal("the project's workflow has no placeholders")
	}
	for _, function := range registry.All() {
		_, invoked := plan.Functions[function.ArnPlaceholder()]
		if invoked != (function.Trigger == registry.Workflow) {
			t.Errorf("function %s (trigger %s): invoked by the workflow = %v", function.Name, function.Trigger, invoked)
		}
	}
	if _, err := Substitute(string(definition), fakeValues(plan)); err != nil {
		t.Fatal(err)
	}
}

func TestPlanWorkflowRefusesDefinitionsItCannotDeploy(t *testing.T) {
	tests := []struct {
		name       string
		definition string
		functions  []registry.Function
		want       string
	}{
		{"not JSON", `{"StartAt":`, fixtureFunctions(), "not valid JSON"},
		{"unknown placeholder", `{"A":"${CheckFunctionArn}","B":"${DecideFunctionArn}","C":"${NotifyFunctionArn}"}`, fixtureFunctions(),
			"${NotifyFunctionArn}"},
		{"misspelt placeholder", `{"A":"${CheckFunctionARN}","B":"${DecideFunctionArn}"}`, fixtureFunctions(), "${CheckFunctionARN}"},
		{"workflow function never invoked", `{"A":"${CheckFunctionArn}"}`, fixtureFunctions(), "decide (${DecideFunctionArn})"},
		{"table by literal name", `{"A":"${CheckFunctionArn}","B":"${DecideFunctionArn}","S":{"Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"activations"}}}`,
			fixtureFunctions(), `names table "activations"`},
		{"update of append-only", `{"A":"${CheckFunctionArn}","B":"${DecideFunctionArn}","S":{"Resource":"arn:aws:states:::dynamodb:updateItem","Parameters":{"TableName":"${AuditTableName}"}}}`,
			fixtureFunctions(), `change the append-only table "audit"`},
		{"unsupported integration", `{"A":"${CheckFunctionArn}","B":"${DecideFunctionArn}","S":{"Resource":"arn:aws:states:::dynamodb:scan","Parameters":{"TableName":"${AuditTableName}"}}}`,
			fixtureFunctions(), `integration "scan"`},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := PlanWorkflow([]byte(test.definition), test.functions, fixtureTables())
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("PlanWorkflow error = %v, want it to contain %q", err, test.want)
			}
		})
	}
}

func TestSubstituteFailsOnMissingAndUnusedValues(t *testing.T) {
	if _, err := Substitute(`{"a":"${A}","b":"${B}"}`, map[string]string{"A": "1"}); err == nil || !strings.Contains(err.Error(), "${B}") {
		t.Fatalf("missing: %v", err)
	}
	if _, err := Substitute(`{"a":"${A}"}`, map[string]string{"A": "1", "C": "3"}); err == nil || !strings.Contains(err.Error(), "C") {
		t.Fatalf("unused: %v", err)
	}
	got, err := Substitute(`{"a":"${A}","again":"${A}"}`, map[string]string{"A": "1"})
	if err != nil || got != `{"a":"1","again":"1"}` {
		t.Fatalf("Substitute = %q, %v", got, err)
	}
}

func TestTableNamePlaceholder(t *testing.T) {
	for name, want := range map[string]string{"activations": "ActivationsTableName", "fund-ledger": "FundLedgerTableName"} {
		if got := TableNamePlaceholder(tables.Table{Name: name}); got != want {
			t.Errorf("TableNamePlaceholder(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestFunctionTableAccessGivesEachLevelItsActions(t *testing.T) {
	access, err := functionTableAccess(fixtureFunctions()[1], fixtureTables()) // check: read activations, read+append audit
	if err != nil {
		t.Fatal(err)
	}
	if len(access) != 2 || access[0].table.Name != "activations" || access[1].table.Name != "audit" {
		t.Fatalf("access = %+v", access)
	}
	if !slices.Equal(access[0].itemActions, readActions) || !slices.Equal(access[0].indexActions, []string{"dynamodb:Query"}) ||
		!slices.Equal(access[0].keyActions, keyReadActions) {
		t.Fatalf("read access = %+v", access[0])
	}
	audit := access[1]
	for _, action := range changeActions {
		if slices.Contains(audit.itemActions, action) {
			t.Fatalf("append-only access includes %s: %v", action, audit.itemActions)
		}
	}
	if !slices.Contains(audit.itemActions, "dynamodb:PutItem") || !slices.Contains(audit.itemActions, "dynamodb:GetItem") {
		t.Fatalf("read and append on audit = %v", audit.itemActions)
	}

	readWrite, err := functionTableAccess(fixtureFunctions()[2], fixtureTables())
	if err != nil {
		t.Fatal(err)
	}
	want := sortedUnique(append(append([]string{}, readActions...), writeActions...))
	if !slices.Equal(readWrite[0].itemActions, want) || !slices.Equal(readWrite[0].keyActions, keyWriteActions) {
		t.Fatalf("readwrite access = %+v", readWrite[0])
	}
	for _, action := range append(readWrite[0].itemActions, readWrite[0].keyActions...) {
		if strings.Contains(action, "*") {
			t.Fatalf("wildcard action %s", action)
		}
	}
}

func TestFunctionTableAccessRefusesBadGrants(t *testing.T) {
	tests := []struct {
		name  string
		grant registry.TableGrant
		want  string
	}{
		{"undeclared table", registry.TableGrant{Table: "ledger", Access: registry.Read}, `table "ledger", which shared/tables does not declare`},
		{"readwrite on append-only", registry.TableGrant{Table: "audit", Access: registry.ReadWrite}, `on the append-only table "audit"`},
		{"unknown access", registry.TableGrant{Table: "activations", Access: "admin"}, `access "admin"`},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			function := registry.Function{Name: "f", Tables: []registry.TableGrant{test.grant}}
			if _, err := functionTableAccess(function, fixtureTables()); err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("error = %v, want it to contain %q", err, test.want)
			}
		})
	}
}

func TestSplitStateMachineActions(t *testing.T) {
	machine, execution, err := splitStateMachineActions(registry.Function{Name: "f",
		StateMachineActions: []string{"states:StopExecution", "states:StartExecution", "states:SendTaskSuccess", "states:DescribeExecution"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(machine, []string{"states:SendTaskSuccess", "states:StartExecution"}) ||
		!slices.Equal(execution, []string{"states:DescribeExecution", "states:StopExecution"}) {
		t.Fatalf("machine %v, execution %v", machine, execution)
	}
	for _, action := range []string{"states:*", "states:DeleteStateMachine", "lambda:InvokeFunction"} {
		if _, _, err := splitStateMachineActions(registry.Function{Name: "f", StateMachineActions: []string{action}}); err == nil {
			t.Errorf("%s was accepted", action)
		}
	}
}

func TestCheckUserPoolActions(t *testing.T) {
	actions, err := checkUserPoolActions(registry.Function{Name: "f",
		UserPoolActions: []string{"cognito-idp:AdminListGroupsForUser", "cognito-idp:AdminGetUser"}})
	if err != nil || !slices.Equal(actions, []string{"cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser"}) {
		t.Fatalf("actions %v, %v", actions, err)
	}
	// Nothing that changes users or their groups, and no wildcard.
	for _, action := range []string{"cognito-idp:*", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminUpdateUserAttributes", "s3:GetObject"} {
		if _, err := checkUserPoolActions(registry.Function{Name: "f", UserPoolActions: []string{action}}); err == nil {
			t.Errorf("%s was accepted", action)
		}
	}
}

func TestCheckFunctionsRefusesWhatCannotBeDeployed(t *testing.T) {
	change := func(name string, edit func(*registry.Function)) []registry.Function {
		functions := fixtureFunctions()
		for i := range functions {
			if functions[i].Name == name {
				edit(&functions[i])
			}
		}
		return functions
	}
	tests := []struct {
		name      string
		functions []registry.Function
		want      string
	}{
		{"api timeout at API Gateway's", change("api", func(f *registry.Function) { f.Timeout = 29 * time.Second }), "below API Gateway's 29s"},
		{"no timeout", change("check", func(f *registry.Function) { f.Timeout = 0 }), "Lambda allows 1s to 15m"},
		{"fractional timeout", change("check", func(f *registry.Function) { f.Timeout = 1500 * time.Millisecond }), "whole seconds"},
		{"too little memory", change("check", func(f *registry.Function) { f.MemoryMB = 64 }), "128 to 10240"},
		{"unknown trigger", change("check", func(f *registry.Function) { f.Trigger = "cron" }), `trigger "cron"`},
		{"two HTTP functions", change("check", func(f *registry.Function) { f.Trigger = registry.HTTP }), "exactly one"},
		{"duplicate", append(fixtureFunctions(), fixtureFunctions()[1]), "registered twice"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if err := checkFunctions(test.functions); err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("error = %v, want it to contain %q", err, test.want)
			}
		})
	}
	if err := checkFunctions(fixtureFunctions()); err != nil {
		t.Fatal(err)
	}
	if err := checkFunctions(registry.All()); err != nil {
		t.Fatalf("the project's registry: %v", err)
	}
}

func TestCheckConsoleOrigin(t *testing.T) {
	for origin, ok := range map[string]bool{
		"https://console.example.org":       true,
		"https://console.example.org:8443":  true,
		"http://localhost:8080":             true,
		"":                                  false,
		"*":                                 false,
		"https://*.example.org":             false,
		"http://console.example.org":        false,
		"https://console.example.org/app":   false,
		"console.example.org":               false,
		"https://console.example.org/?a=b":  false,
		"https://console.example.org/#frag": false,
	} {
		if err := checkConsoleOrigin(origin, Dev); (err == nil) != ok {
			t.Errorf("checkConsoleOrigin(%q, dev) = %v, want ok=%v", origin, err, ok)
		}
	}
	if err := checkConsoleOrigin("http://localhost:8080", Prod); err == nil {
		t.Error("prod accepted a localhost console origin")
	}
}

func TestParseStage(t *testing.T) {
	for name, ok := range map[string]bool{"dev": true, "prod": true, "": false, "staging": false, "Prod": false} {
		if _, err := ParseStage(name); (err == nil) != ok {
			t.Errorf("ParseStage(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}
