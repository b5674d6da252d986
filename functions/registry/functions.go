package registry

import (
	"time"

	"github.com/fasttrack/fasttrack/shared/tables"
)

// All returns every function of the system.
func All() []Function {
	return []Function{
		{
			Name:        "api",
			Description: "The HTTP API: requests, tasks and decisions, history, audit, admin.",
			Trigger:     HTTP,
			Tables: []TableGrant{
				{tables.Activations, ReadWrite}, {tables.Tasks, ReadWrite}, {tables.Fund, ReadWrite},
				{tables.Roster, ReadWrite}, {tables.Idempotency, ReadWrite}, {tables.Reference, ReadWrite},
				{tables.Audit, Append},
			},
			StateMachineActions: []string{"states:StartExecution", "states:StopExecution", "states:DescribeExecution",
				"states:GetExecutionHistory", "states:SendTaskSuccess", "states:SendTaskFailure"},
			Timeout:  25 * time.Second,
			MemoryMB: 512,
		},
		{
			Name:        "assess",
			Description: "Eligibility and priority of a new activation.",
			Trigger:     Workflow,
			Tables:      []TableGrant{{tables.Activations, ReadWrite}, {tables.Reference, Read}, {tables.Audit, Append}},
			Timeout:     10 * time.Second,
			MemoryMB:    256,
		},
	}
}
