package tables

// Logical table names.
const (
	Activations = "activations"
	Fund        = "fund"
	Roster      = "roster"
	Tasks       = "tasks"
	Audit       = "audit"
	Idempotency = "idempotency"
	Reference   = "reference"
)

// Index names, for the store's queries.
const (
	// ActivationsByOffice: office, newest first (createdKey).
	ActivationsByOffice = "byOffice"
	// ActivationsAll: every activation, newest first (kind is the constant "ACTIVATION").
	// Activations are few (crises, not clicks), so one partition is not a hot spot.
	ActivationsAll = "all"
	// ActivationsByStatus: by status, newest first.
	ActivationsByStatus = "byStatus"
	// RosterByKind: every expert (kind "EXPERT"), by id.
	RosterByKind = "byKind"
	// RosterByActivation: the bookings of an activation.
	RosterByActivation = "byActivation"
	// TasksByRole: a role's inbox; rank orders open tasks first, then by priority, then deadline.
	TasksByRole = "byRole"
	// TasksByActivation: the tasks of an activation.
	TasksByActivation = "byActivation"
	// TasksByStatus: tasks of a status by deadline, for the escalation sweep and metrics.
	TasksByStatus = "byStatus"
	// AuditByActor, AuditByCountry, AuditByAction, AuditByMonth: audit searches by time.
	AuditByActor   = "byActor"
	AuditByCountry = "byCountry"
	AuditByAction  = "byAction"
	AuditByMonth   = "byMonth"
)

func sortKey(name string, typ AttributeType) *Key { return &Key{Name: name, Type: typ} }

// All returns every table of the system.
func All() []Table {
	return []Table{
		{
			Name:         Activations,
			Description:  "Activation requests and their status, one item each.",
			PartitionKey: Key{"id", String},
			Indexes: []Index{
				{Name: ActivationsByOffice, PartitionKey: Key{"office", String}, SortKey: sortKey("createdKey", String)},
				{Name: ActivationsAll, PartitionKey: Key{"kind", String}, SortKey: sortKey("createdKey", String)},
				{Name: ActivationsByStatus, PartitionKey: Key{"status", String}, SortKey: sortKey("createdKey", String)},
			},
		},
		{
			Name: Fund,
			Description: "The rapid action fund: one balance item per currency (sk BALANCE) and its ledger " +
				"entries (sk ENTRY#...), changed together in one transaction.",
			PartitionKey: Key{"pk", String},
			SortKey:      sortKey("sk", String),
		},
		{
			Name: Roster,
			Description: "Experts (sk PROFILE), their insurance policies (sk POLICY#...) and bookings " +
				"(sk BOOKING#...), all under the expert's partition.",
			PartitionKey: Key{"pk", String},
			SortKey:      sortKey("sk", String),
			Indexes: []Index{
				{Name: RosterByKind, PartitionKey: Key{"kind", String}, SortKey: sortKey("id", String)},
				{Name: RosterByActivation, PartitionKey: Key{"activationId", String}, SortKey: sortKey("sk", String)},
			},
		},
		{
			Name:         Tasks,
			Description:  "Approval tasks with their task tokens.",
			PartitionKey: Key{"id", String},
			Indexes: []Index{
				{Name: TasksByRole, PartitionKey: Key{"role", String}, SortKey: sortKey("rank", String)},
				{Name: TasksByActivation, PartitionKey: Key{"activationId", String}, SortKey: sortKey("createdKey", String)},
				{Name: TasksByStatus, PartitionKey: Key{"status", String}, SortKey: sortKey("deadlineKey", String)},
			},
		},
		{
			Name:         Audit,
			Description:  "The append-only audit trail, hash-chained per stream (one stream per activation).",
			PartitionKey: Key{"stream", String},
			SortKey:      sortKey("seq", Number),
			AppendOnly:   true,
			Indexes: []Index{
				{Name: AuditByActor, PartitionKey: Key{"actor", String}, SortKey: sortKey("timeKey", String)},
				{Name: AuditByCountry, PartitionKey: Key{"country", String}, SortKey: sortKey("timeKey", String)},
				{Name: AuditByAction, PartitionKey: Key{"action", String}, SortKey: sortKey("timeKey", String)},
				{Name: AuditByMonth, PartitionKey: Key{"month", String}, SortKey: sortKey("timeKey", String)},
			},
		},
		{
			Name:         Idempotency,
			Description:  "Idempotency keys of POST requests (office and key) and the answers they gave.",
			PartitionKey: Key{"key", String},
			TTLAttribute: "expiresAt",
		},
		{
			Name: Reference,
			Description: "Reference data: countries, duty stations and their security levels, settings, " +
				"the accounts of the local issuer, approvers' delegations.",
			PartitionKey: Key{"pk", String},
			SortKey:      sortKey("sk", String),
		},
	}
}
