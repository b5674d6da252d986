package stacks

import (
	"time"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// The test suite's own declarations, small and stable, for what the project's declarations do
// not have yet (an event-triggered function, DynamoDB integrations in the workflow) and for
// error cases.
const fixtureWorkflow = "testdata/fasttrack.asl.json"

func fixtureTables() []tables.Table {
	return []tables.Table{
		{
			Name: "activations", PartitionKey: tables.Key{Name: "id", Type: tables.String},
			Indexes: []tables.Index{{Name: "byOffice", PartitionKey: tables.Key{Name: "office", Type: tables.String},
				SortKey: &tables.Key{Name: "createdAt", Type: tables.String}}},
		},
		{
			Name: "audit", PartitionKey: tables.Key{Name: "stream", Type: tables.String},
			SortKey: &tables.Key{Name: "seq", Type: tables.Number}, AppendOnly: true,
		},
		{
			Name: "idempotency", PartitionKey: tables.Key{Name: "key", Type: tables.String}, TTLAttribute: "expiresAt",
		},
	}
}

func fixtureFunctions() []registry.Function {
	return []registry.Function{
		{
			Name: "api", Description: "fixture API", Trigger: registry.HTTP,
			Tables: []registry.TableGrant{{Table: "activations", Access: registry.ReadWrite},
				{Table: "idempotency", Access: registry.ReadWrite}, {Table: "audit", Access: registry.Append}},
			StateMachineActions: []string{"states:StartExecution", "states:DescribeExecution", "states:SendTaskSuccess"},
			Timeout:             20 * time.Second, MemoryMB: 512,
		},
		{
			Name: "check", Description: "fixture check", Trigger: registry.Workflow,
			Tables:  []registry.TableGrant{{Table: "activations", Access: registry.Read}, {Table: "audit", Access: registry.Read}, {Table: "audit", Access: registry.Append}},
			Timeout: 10 * time.Second, MemoryMB: 256,
		},
		{
			Name: "decide", Description: "fixture decision wait", Trigger: registry.Workflow, PublishesEvents: true,
			Tables:  []registry.TableGrant{{Table: "activations", Access: registry.ReadWrite}},
			Timeout: 10 * time.Second, MemoryMB: 128,
		},
		{
			Name: "notify", Description: "fixture notification", Trigger: registry.Event,
			Tables:  []registry.TableGrant{{Table: "activations", Access: registry.Read}},
			Timeout: 30 * time.Second, MemoryMB: 128,
		},
	}
}
