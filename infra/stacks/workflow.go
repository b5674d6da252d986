package stacks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// EventBusPlaceholder is the placeholder of the system event bus's name in the workflow.
const EventBusPlaceholder = "EventBusName"

// placeholderPattern matches the ${Name} placeholders that DefinitionSubstitutions fills.
var placeholderPattern = regexp.MustCompile(`\$\{([^}]*)\}`)

// TableNamePlaceholder is the placeholder of a table's physical name in the workflow, such as
// "ActivationsTableName" for "activations".
func TableNamePlaceholder(table tables.Table) string {
	name := registry.Function{Name: table.Name}.ArnPlaceholder()
	return strings.TrimSuffix(name, "FunctionArn") + "TableName"
}

// WorkflowPlan is what the deployment needs to know about a workflow definition: which
// placeholder stands for which resource, which functions the state machine invokes, and which
// DynamoDB actions its optimised integrations perform on which tables.
type WorkflowPlan struct {
	// Placeholders are the distinct placeholders of the definition, sorted.
	Placeholders []string
	// Functions are the registry functions the definition invokes, keyed by placeholder.
	Functions map[string]registry.Function
	// Tables are the tables the definition names, keyed by placeholder.
	Tables map[string]tables.Table
	// TableActions are the DynamoDB actions of the definition's dynamodb integrations, per
	// logical table name, sorted.
	TableActions map[string][]string
	// UsesEventBus reports whether the definition names the event bus.
	UsesEventBus bool
}

// dynamoIntegrations maps the Step Functions DynamoDB integrations to the IAM action each needs.
var dynamoIntegrations = map[string]string{
	"getItem":    "dynamodb:GetItem",
	"putItem":    "dynamodb:PutItem",
	"updateItem": "dynamodb:UpdateItem",
	"deleteItem": "dynamodb:DeleteItem",
}

// PlanWorkflow reads a definition and resolves each of its placeholders against the functions
// and tables. It fails, naming what is wrong, when a placeholder stands for nothing, when a
// workflow-triggered function is never invoked (its placeholder would be an unused
// substitution and its invoke permission a grant for nothing), when a DynamoDB integration
// names a table other than by placeholder, or when it would update or delete an append-only
// table.
func PlanWorkflow(definition []byte, functions []registry.Function, declared []tables.Table) (WorkflowPlan, error) {
	var document any
	if err := json.Unmarshal(definition, &document); err != nil {
		return WorkflowPlan{}, fmt.Errorf("the workflow definition is not valid JSON: %w", err)
	}
	functionsByPlaceholder := map[string]registry.Function{}
	for _, function := range functions {
		if function.Trigger == registry.Workflow {
			functionsByPlaceholder[function.ArnPlaceholder()] = function
		}
	}
	tablesByPlaceholder := map[string]tables.Table{}
	for _, table := range declared {
		tablesByPlaceholder[TableNamePlaceholder(table)] = table
	}

	plan := WorkflowPlan{
		Functions:    map[string]registry.Function{},
		Tables:       map[string]tables.Table{},
		TableActions: map[string][]string{},
	}
	var unknown []string
	for _, match := range placeholderPattern.FindAllStringSubmatch(string(definition), -1) {
		name := match[1]
		if slices.Contains(plan.Placeholders, name) {
			continue
		}
		plan.Placeholders = append(plan.Placeholders, name)
		switch {
		case functionsByPlaceholder[name].Name != "":
			plan.Functions[name] = functionsByPlaceholder[name]
		case tablesByPlaceholder[name].Name != "":
			plan.Tables[name] = tablesByPlaceholder[name]
		case name == EventBusPlaceholder:
			plan.UsesEventBus = true
		default:
			unknown = append(unknown, "${"+name+"}")
		}
	}
	sort.Strings(plan.Placeholders)
	if len(unknown) > 0 {
		return WorkflowPlan{}, fmt.Errorf("the workflow definition has placeholders that stand for no workflow function, table or the event bus: %s",
			strings.Join(unknown, ", "))
	}
	var unused []string
	for placeholder, function := range functionsByPlaceholder {
		if _, ok := plan.Functions[placeholder]; !ok {
			unused = append(unused, fmt.Sprintf("%s (${%s})", function.Name, placeholder))
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return WorkflowPlan{}, fmt.Errorf("registry functions with trigger %q are never invoked by the workflow: %s",
			registry.Workflow, strings.Join(unused, ", "))
	}
	if err := collectTableActions(document, tablesByPlaceholder, plan.TableActions); err != nil {
		return WorkflowPlan{}, err
	}
	for name, actions := range plan.TableActions {
		sort.Strings(actions)
		plan.TableActions[name] = slices.Compact(actions)
	}
	return plan, nil
}

// collectTableActions walks the definition for Task states with a DynamoDB integration.
func collectTableActions(node any, tablesByPlaceholder map[string]tables.Table, into map[string][]string) error {
	switch value := node.(type) {
	case []any:
		for _, item := range value {
			if err := collectTableActions(item, tablesByPlaceholder, into); err != nil {
				return err
			}
		}
	case map[string]any:
		if resource, ok := value["Resource"].(string); ok && strings.HasPrefix(resource, "arn:aws:states:::dynamodb:") {
			integration := strings.TrimPrefix(resource, "arn:aws:states:::dynamodb:")
			action, known := dynamoIntegrations[integration]
			if !known {
				return fmt.Errorf("the workflow uses the DynamoDB integration %q; only %s are granted", integration, strings.Join(sortedKeys(dynamoIntegrations), ", "))
			}
			arguments, _ := value["Parameters"].(map[string]any)
			if arguments == nil {
				arguments, _ = value["Arguments"].(map[string]any)
			}
			tableName, _ := arguments["TableName"].(string)
			match := placeholderPattern.FindStringSubmatch(tableName)
			if match == nil || match[0] != tableName || tablesByPlaceholder[match[1]].Name == "" {
				return fmt.Errorf("the workflow's %s task names table %q: name tables by their placeholder, such as ${ActivationsTableName}", integration, tableName)
			}
			table := tablesByPlaceholder[match[1]]
			if table.AppendOnly && action != "dynamodb:PutItem" && action != "dynamodb:GetItem" {
				return fmt.Errorf("the workflow's %s task would change the append-only table %q", integration, table.Name)
			}
			into[table.Name] = append(into[table.Name], action)
		}
		for _, key := range sortedKeys(value) {
			if err := collectTableActions(value[key], tablesByPlaceholder, into); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// Substitute replaces every placeholder of definition with its value and fails if a
// placeholder has no value or a value is never used. The deployment leaves the replacing to
// Step Functions (DefinitionSubstitutions); this is the same replacement, for tests and checks.
func Substitute(definition string, values map[string]string) (string, error) {
	used := map[string]bool{}
	var missing []string
	out := placeholderPattern.ReplaceAllStringFunc(definition, func(placeholder string) string {
		name := placeholder[2 : len(placeholder)-1]
		value, ok := values[name]
		if !ok {
			missing = append(missing, placeholder)
			return placeholder
		}
		used[name] = true
		return value
	})
	var unused []string
	for name := range values {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(unused)
	switch {
	case len(missing) > 0:
		return "", fmt.Errorf("placeholders without a substitution: %s", strings.Join(slices.Compact(missing), ", "))
	case len(unused) > 0:
		return "", fmt.Errorf("substitutions that no placeholder uses: %s", strings.Join(unused, ", "))
	}
	return out, nil
}
