// Package registry lists every Lambda function of the system once: its name, what triggers it,
// which tables it may touch and how, and which other AWS actions it needs. The CDK app makes one
// Lambda and one least-privilege IAM role per entry from this list; the local dispatcher and the
// single Lambda binary (functions/bootstrap) pick handlers from it by name.
package registry

import (
	"context"
	"strings"
	"time"
	"unicode"
)

// Access is how a function may use a table.
type Access string

// Table access levels. Append means PutItem of new items only (the audit trail).
const (
	Read      Access = "read"
	ReadWrite Access = "readwrite"
	Append    Access = "append"
)

// TableGrant gives a function access to one table (and its indexes).
type TableGrant struct {
	Table  string // logical name from shared/tables
	Access Access
}

// Trigger says what invokes a function.
type Trigger string

// Triggers.
const (
	// HTTP functions sit behind the HTTP API.
	HTTP Trigger = "http"
	// Workflow functions are called synchronously by the state machine.
	Workflow Trigger = "workflow"
	// Event functions are invoked asynchronously (EventBridge); they get an on-failure destination.
	Event Trigger = "event"
)

// Function is one Lambda function.
type Function struct {
	// Name is short and lower case ("assess"); it is also the Lambda handler setting that the
	// bootstrap binary reads from _HANDLER, and gives the ASL placeholder ${AssessFunctionArn}.
	Name        string
	Description string
	Trigger     Trigger
	Tables      []TableGrant
	// StateMachineActions are Step Functions actions on the fast-track state machine and its
	// executions, such as "states:StartExecution" or "states:SendTaskSuccess".
	StateMachineActions []string
	// UserPoolActions are Cognito actions on the system's user pool, such as
	// "cognito-idp:AdminGetUser"; the function then gets the pool's id (EnvUserPoolID).
	UserPoolActions []string
	// PublishesEvents lets the function put events on the system's event bus.
	PublishesEvents bool
	Timeout         time.Duration
	MemoryMB        int
	// New builds the function's Lambda handler once per process, from the shared AWS
	// configuration and the deployment's names (see Env). It returns any handler that
	// lambda.NewHandler accepts. The single Lambda binary (functions/bootstrap) and the local
	// dispatcher both call it; nil means the function has no handler yet.
	New func(ctx context.Context, env Env) (any, error)
}

// ArnPlaceholder is the name of the placeholder for this function's ARN in the workflow
// definition, such as "AssessFunctionArn" for "assess".
func (f Function) ArnPlaceholder() string {
	var b strings.Builder
	upper := true
	for _, r := range f.Name {
		if r == '-' || r == '_' {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String() + "FunctionArn"
}

// Lookup returns the named function.
func Lookup(name string) (Function, bool) {
	for _, f := range All() {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}
