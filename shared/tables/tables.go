// Package tables declares every DynamoDB table of the system once. The CDK app builds the AWS
// tables from this declaration, `fasttrack local` and the tests create the local ones from it,
// and the function registry grants access by these names. Nothing else spells a table.
package tables

import (
	"strings"
)

// AttributeType is a key attribute's DynamoDB type.
type AttributeType string

// Key attribute types.
const (
	String AttributeType = "S"
	Number AttributeType = "N"
)

// Key is a key attribute.
type Key struct {
	Name string
	Type AttributeType
}

// Index is a global secondary index. Every index projects all attributes unless
// NonKeyAttributes lists the ones to keep.
type Index struct {
	Name             string
	PartitionKey     Key
	SortKey          *Key
	NonKeyAttributes []string
}

// Table is one table's declaration.
type Table struct {
	// Name is the logical name, such as "activations". The physical name is chosen by the
	// deployment (CDK) or by the local prefix, and reaches the code through EnvVar.
	Name         string
	Description  string
	PartitionKey Key
	SortKey      *Key
	Indexes      []Index
	// TTLAttribute, when set, names the epoch-seconds attribute after which DynamoDB deletes
	// the item.
	TTLAttribute string
	// AppendOnly tables are never updated or deleted by any code path; IAM grants them
	// PutItem with a condition and reads, nothing else.
	AppendOnly bool
}

// EnvVar is the environment variable that carries the table's physical name to the code,
// such as FASTTRACK_TABLE_ACTIVATIONS.
func (t Table) EnvVar() string {
	return "FASTTRACK_TABLE_" + strings.ToUpper(strings.ReplaceAll(t.Name, "-", "_"))
}

// Lookup returns the declaration of the named table.
func Lookup(name string) (Table, bool) {
	for _, t := range All() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}
