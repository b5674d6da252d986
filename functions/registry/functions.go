package registry

import (
	"time"

	"github.com/fasttrack/fasttrack/shared/tables"
)

// taskTokenActions complete or keep alive the workflow's waiting tasks.
var taskTokenActions = []string{"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}

// All returns every function of the system. The workflow calls all but "api". Appending to the
// audit trail reads the stream's last event to chain the new one, so every function that
// appends also reads the audit table. The handler constructors (New) are set by package
// functions/handlers: the function packages build on this package's Env, so this package cannot
// import them.
func All() []Function {
	return []Function{
		{
			Name:        "api",
			Description: "The HTTP API: requests, tasks and decisions, history, audit, admin.",
			Trigger:     HTTP,
			Tables: []TableGrant{
				{tables.Activations, ReadWrite}, {tables.Tasks, ReadWrite}, {tables.Fund, ReadWrite},
				{tables.Roster, ReadWrite}, {tables.Idempotency, ReadWrite}, {tables.Reference, ReadWrite},
				{tables.Audit, Append}, {tables.Audit, Read},
			},
			StateMachineActions: append([]string{"states:StartExecution", "states:StopExecution", "states:DescribeExecution",
				"states:GetExecutionHistory", "states:RedriveExecution"}, taskTokenActions...),
			// The directory: whether the person named in a delegation or a reassignment
			// exists, their office and their groups (roles).
			UserPoolActions: []string{"cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser"},
			Timeout:         25 * time.Second,
			MemoryMB:        512,
		},
		{
			Name:        "assess",
			Description: "Eligibility and priority of a new activation; moves it to IN_PROGRESS.",
			Trigger:     Workflow,
			Tables:      []TableGrant{{tables.Activations, ReadWrite}, {tables.Reference, Read}, {tables.Audit, Append}, {tables.Audit, Read}},
			Timeout:     10 * time.Second,
			MemoryMB:    256,
		},
		{
			Name:        "clearance",
			Description: "Security clearance from the duty station's level: cleared, approval needed, or denied.",
			Trigger:     Workflow,
			Tables:      []TableGrant{{tables.Activations, ReadWrite}, {tables.Reference, Read}, {tables.Audit, Append}, {tables.Audit, Read}},
			Timeout:     10 * time.Second,
			MemoryMB:    256,
		},
		{
			Name:        "funds",
			Description: "Reserves and releases money of the rapid action fund.",
			Trigger:     Workflow,
			Tables: []TableGrant{{tables.Activations, ReadWrite}, {tables.Fund, ReadWrite},
				{tables.Tasks, Read}, {tables.Audit, Append}, {tables.Audit, Read}},
			Timeout:  15 * time.Second,
			MemoryMB: 256,
		},
		{
			Name:        "approvals",
			Description: "Opens, escalates and expires human tasks; keeps their task tokens.",
			Trigger:     Workflow,
			Tables: []TableGrant{{tables.Activations, ReadWrite}, {tables.Tasks, ReadWrite},
				{tables.Audit, Append}, {tables.Audit, Read}},
			// A retried open that finds its task already approved answers the workflow itself.
			StateMachineActions: []string{"states:SendTaskSuccess"},
			PublishesEvents:     true,
			Timeout:             10 * time.Second,
			MemoryMB:            256,
		},
		{
			Name:        "roster",
			Description: "Matches experts to the requested profiles and books them without overlap.",
			Trigger:     Workflow,
			Tables: []TableGrant{{tables.Activations, ReadWrite}, {tables.Roster, ReadWrite},
				{tables.Tasks, Read}, {tables.Audit, Append}, {tables.Audit, Read}},
			Timeout:  15 * time.Second,
			MemoryMB: 256,
		},
		{
			Name:        "insurance",
			Description: "Checks that every deployee has cover for the whole deployment and the duty station's risk.",
			Trigger:     Workflow,
			Tables: []TableGrant{{tables.Activations, ReadWrite}, {tables.Roster, Read},
				{tables.Tasks, Read}, {tables.Audit, Append}, {tables.Audit, Read}},
			Timeout:  10 * time.Second,
			MemoryMB: 256,
		},
		{
			Name:        "activate",
			Description: "Marks the activation ACTIVE, confirms release and deployments, notifies.",
			Trigger:     Workflow,
			Tables: []TableGrant{{tables.Activations, ReadWrite}, {tables.Fund, ReadWrite}, {tables.Roster, ReadWrite},
				{tables.Tasks, Read}, {tables.Audit, Append}, {tables.Audit, Read}},
			PublishesEvents: true,
			Timeout:         10 * time.Second,
			MemoryMB:        256,
		},
		{
			Name:        "compensate",
			Description: "Saga compensation: returns the money, releases bookings, closes tasks, records the outcome.",
			Trigger:     Workflow,
			Tables: []TableGrant{{tables.Activations, ReadWrite}, {tables.Fund, ReadWrite},
				{tables.Roster, ReadWrite}, {tables.Tasks, ReadWrite}, {tables.Audit, Append}, {tables.Audit, Read}},
			PublishesEvents: true,
			Timeout:         30 * time.Second,
			MemoryMB:        256,
		},
	}
}
