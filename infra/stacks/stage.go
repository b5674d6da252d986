// Package stacks is Fast-Track's AWS deployment: a stateful stack (the DynamoDB tables, the
// customer-managed key, the Cognito user pool, the audit break-glass role) and a stateless one
// (one Lambda function per registry entry, the Step Functions state machine, the HTTP API, the
// event bus and rules, alarms and a dashboard). Both are built from the project's single
// declarations: shared/tables, functions/registry and workflows/fasttrack.asl.json.
package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// Stage is a deployment stage. It decides what survives a stack deletion, how long logs are
// kept, whether tables are protected from deletion and whether alarms notify anyone.
type Stage string

// The stages.
const (
	Dev  Stage = "dev"
	Prod Stage = "prod"
)

// ParseStage checks a stage name given on the command line or in cdk.json.
func ParseStage(name string) (Stage, error) {
	switch Stage(name) {
	case Dev, Prod:
		return Stage(name), nil
	case "":
		return "", fmt.Errorf("stage is not set: pass -c stage=dev or -c stage=prod")
	default:
		return "", fmt.Errorf("stage %q is not one of dev, prod", name)
	}
}

// settings are the stage-dependent choices, in one place.
type settings struct {
	// removal applies to data (tables, user pool, key) and to logs.
	removal awscdk.RemovalPolicy
	// deletionProtection guards tables and the user pool against deletion by anyone.
	deletionProtection bool
	// logRetention is how long function, workflow and API access logs are kept.
	logRetention awslogs.RetentionDays
	// alarmActions sends alarm state changes to the alarm topic; in dev the alarms exist (they
	// are visible in the console) but notify nobody.
	alarmActions bool
	// includeExecutionData puts the states' input and output in the workflow's logs. Dev keeps
	// it for debugging. Prod leaves it out: the inputs carry requests and experts' personal
	// details, which belong in the encrypted, access-controlled tables, not in log streams that
	// anyone with CloudWatch Logs access reads; the events themselves (state entered, task
	// failed, error name and cause) are still logged, Step Functions keeps the full history for
	// 90 days, and the audit table keeps who decided what for as long as configured.
	includeExecutionData bool
}

func (s Stage) settings() settings {
	if s == Prod {
		return settings{
			removal:            awscdk.RemovalPolicy_RETAIN,
			deletionProtection: true,
			logRetention:       awslogs.RetentionDays_ONE_YEAR,
			alarmActions:       true,
		}
	}
	return settings{
		removal:              awscdk.RemovalPolicy_DESTROY,
		logRetention:         awslogs.RetentionDays_TWO_WEEKS,
		includeExecutionData: true,
	}
}

// prefix names the stage's resources and stacks: "FastTrack-dev".
func (s Stage) prefix() string { return "FastTrack-" + string(s) }
