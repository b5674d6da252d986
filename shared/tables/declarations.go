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

func sortKey(name string, typ AttributeType) *Key { return &Key{Name: name, Type: typ} }

// All returns every table of the system.
func All() []Table {
	return []Table{
		{
			Name:         Activations,
			Description:  "Activation requests and their status, one item each.",
			PartitionKey: Key{"id", String},
			Indexes: []Index{
				{Name: "byOffice", PartitionKey: Key{"office", String}, SortKey: sortKey("createdAt", String)},
				{Name: "byStatus", PartitionKey: Key{"status", String}, SortKey: sortKey("createdAt", String)},
			},
		},
		{
			Name:         Fund,
			Description:  "The rapid action fund: one balance item per currency and its ledger entries.",
			PartitionKey: Key{"pk", String},
			SortKey:      sortKey("sk", String),
		},
		{
			Name:         Roster,
			Description:  "Experts, their insurance policies and their bookings.",
			PartitionKey: Key{"pk", String},
			SortKey:      sortKey("sk", String),
		},
		{
			Name:         Tasks,
			Description:  "Approval tasks with their task tokens.",
			PartitionKey: Key{"id", String},
			Indexes: []Index{
				{Name: "byRoleStatus", PartitionKey: Key{"roleStatus", String}, SortKey: sortKey("rank", String)},
				{Name: "byActivation", PartitionKey: Key{"activationId", String}, SortKey: sortKey("createdAt", String)},
			},
		},
		{
			Name:         Audit,
			Description:  "The append-only audit trail, hash-chained per activation.",
			PartitionKey: Key{"stream", String},
			SortKey:      sortKey("seq", Number),
			AppendOnly:   true,
			Indexes: []Index{
				{Name: "byActor", PartitionKey: Key{"actor", String}, SortKey: sortKey("time", String)},
				{Name: "byDay", PartitionKey: Key{"day", String}, SortKey: sortKey("time", String)},
			},
		},
		{
			Name:         Idempotency,
			Description:  "Idempotency keys of POST requests and the answers they gave.",
			PartitionKey: Key{"key", String},
			TTLAttribute: "expiresAt",
		},
		{
			Name:         Reference,
			Description:  "Reference data: duty stations and their security levels, countries, settings.",
			PartitionKey: Key{"pk", String},
			SortKey:      sortKey("sk", String),
		},
	}
}
