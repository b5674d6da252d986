package stacks

import (
	"fmt"
	"slices"
	"sort"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// The DynamoDB actions of each access level. There is no IAM action for TransactWriteItems or
// TransactGetItems: a transaction needs the action of each item it contains (PutItem,
// UpdateItem, DeleteItem, ConditionCheckItem, GetItem), so these lists cover transactions too.
// Scan is left out on purpose: every read of the system goes by key or by index.
var (
	readActions = []string{"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:Query"}
	// writeActions are added to readActions for ReadWrite.
	writeActions = []string{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
	// appendActions are all that Append allows: a new item, never a change or a deletion.
	appendActions = []string{"dynamodb:PutItem"}
	// changeActions update or delete items; an append-only table allows them to the
	// break-glass role alone.
	changeActions = []string{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PartiQLDelete",
		"dynamodb:PartiQLUpdate", "dynamodb:UpdateItem"}
	// keyReadActions let DynamoDB decrypt a table's items for the caller; keyWriteActions also
	// let it encrypt new ones with the table's customer-managed key.
	keyReadActions  = []string{"kms:Decrypt", "kms:DescribeKey"}
	keyWriteActions = []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}
)

// tableAccess is what one function may do on one table, merged over its grants.
type tableAccess struct {
	table tables.Table
	// itemActions act on the table itself; indexActions on its indexes (reads only).
	itemActions  []string
	indexActions []string
	keyActions   []string
}

// functionTableAccess merges a function's table grants into one access per table, in the order
// of the declaration. It fails on a grant of an undeclared table, an unknown access level, or
// anything but reads and appends on an append-only table.
func functionTableAccess(function registry.Function, declared []tables.Table) ([]tableAccess, error) {
	byName := map[string]*tableAccess{}
	var order []string
	for _, grant := range function.Tables {
		table, ok := findTable(declared, grant.Table)
		if !ok {
			return nil, fmt.Errorf("function %q is granted table %q, which shared/tables does not declare", function.Name, grant.Table)
		}
		access := byName[table.Name]
		if access == nil {
			access = &tableAccess{table: table}
			byName[table.Name] = access
			order = append(order, table.Name)
		}
		switch grant.Access {
		case registry.Read:
			access.itemActions = append(access.itemActions, readActions...)
			access.keyActions = append(access.keyActions, keyReadActions...)
		case registry.ReadWrite:
			if table.AppendOnly {
				return nil, fmt.Errorf("function %q is granted %s on the append-only table %q: grant %s (and %s to read)",
					function.Name, grant.Access, table.Name, registry.Append, registry.Read)
			}
			access.itemActions = append(access.itemActions, readActions...)
			access.itemActions = append(access.itemActions, writeActions...)
			access.keyActions = append(access.keyActions, keyWriteActions...)
		case registry.Append:
			access.itemActions = append(access.itemActions, appendActions...)
			access.keyActions = append(access.keyActions, keyWriteActions...)
		default:
			return nil, fmt.Errorf("function %q has access %q on table %q; want %s, %s or %s",
				function.Name, grant.Access, table.Name, registry.Read, registry.ReadWrite, registry.Append)
		}
		if grant.Access != registry.Append && len(table.Indexes) > 0 {
			// Only queries and gets reach an index.
			access.indexActions = append(access.indexActions, "dynamodb:Query")
		}
	}
	out := make([]tableAccess, 0, len(order))
	for _, name := range order {
		access := byName[name]
		access.itemActions = sortedUnique(access.itemActions)
		access.indexActions = sortedUnique(access.indexActions)
		access.keyActions = sortedUnique(access.keyActions)
		out = append(out, *access)
	}
	return out, nil
}

func findTable(declared []tables.Table, name string) (tables.Table, bool) {
	for _, table := range declared {
		if table.Name == name {
			return table, true
		}
	}
	return tables.Table{}, false
}

func sortedUnique(values []string) []string {
	out := slices.Clone(values)
	sort.Strings(out)
	return slices.Compact(out)
}

// State machine actions by the resource they apply to. Step Functions authorises starting an
// execution and answering a task token against the state machine, and reading, stopping or
// redriving one against the execution.
var (
	stateMachineLevelActions = []string{"states:DescribeStateMachine", "states:ListExecutions", "states:SendTaskFailure",
		"states:SendTaskHeartbeat", "states:SendTaskSuccess", "states:StartExecution"}
	executionLevelActions = []string{"states:DescribeExecution", "states:GetExecutionHistory",
		"states:RedriveExecution", "states:StopExecution"}
)

// splitStateMachineActions sorts a function's state machine actions by resource level and
// rejects any other action, so that no registry entry can slip a broader action through.
func splitStateMachineActions(function registry.Function) (machine, execution []string, err error) {
	for _, action := range function.StateMachineActions {
		switch {
		case slices.Contains(stateMachineLevelActions, action):
			machine = append(machine, action)
		case slices.Contains(executionLevelActions, action):
			execution = append(execution, action)
		default:
			return nil, nil, fmt.Errorf("function %q asks for state machine action %q; known: %v and %v",
				function.Name, action, stateMachineLevelActions, executionLevelActions)
		}
	}
	return sortedUnique(machine), sortedUnique(execution), nil
}

// userPoolReadActions are the Cognito actions a registry entry may ask for on the system's user
// pool: reading one user and their groups. Nothing that creates, changes or signs in users, so
// that no function can give anyone a role.
var userPoolReadActions = []string{"cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser"}

// checkUserPoolActions returns a function's user pool actions, sorted, and rejects any action
// beyond userPoolReadActions.
func checkUserPoolActions(function registry.Function) ([]string, error) {
	for _, action := range function.UserPoolActions {
		if !slices.Contains(userPoolReadActions, action) {
			return nil, fmt.Errorf("function %q asks for user pool action %q; known: %v", function.Name, action, userPoolReadActions)
		}
	}
	return sortedUnique(function.UserPoolActions), nil
}
