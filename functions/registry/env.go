package registry

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fasttrack/fasttrack/shared/tables"
)

// Environment variables that carry a deployment's names to the functions. The CDK app sets them
// on every Lambda function (each function gets only the ones it needs); the local system sets
// the same values in Env directly. Table names travel in tables.Table.EnvVar().
const (
	// EnvStage is the deployment stage, such as "dev" or "prod".
	EnvStage = "FASTTRACK_STAGE"
	// EnvStateMachineARN is the ARN of the fast-track state machine, for functions that start
	// executions or answer task tokens.
	EnvStateMachineARN = "FASTTRACK_STATE_MACHINE_ARN"
	// EnvEventBusName is the system's EventBridge bus, for functions that publish events.
	EnvEventBusName = "FASTTRACK_EVENT_BUS_NAME"
	// EnvAuthIssuer is the expected issuer of bearer tokens (the Cognito user pool's).
	EnvAuthIssuer = "FASTTRACK_AUTH_ISSUER"
	// EnvAuthAudience is the expected audience of bearer tokens (the user pool's app client id).
	EnvAuthAudience = "FASTTRACK_AUTH_AUDIENCE"
	// EnvAuthJWKSURL is where the token signing keys are published.
	EnvAuthJWKSURL = "FASTTRACK_AUTH_JWKS_URL"
	// EnvUserPoolID is the Cognito user pool whose users and groups are the system's people,
	// for functions with user pool actions (the api function's directory).
	EnvUserPoolID = "FASTTRACK_USER_POOL_ID"
)

// Custom CloudWatch metrics that functions publish and the deployment alarms on or shows.
// Functions publish them in CloudWatch embedded metric format (a structured log line), which
// needs no IAM permission, with the dimension MetricDimensionStage set to the stage, and the
// timing metrics also by country and crisis type.
const (
	// MetricsNamespace is the CloudWatch namespace of Fast-Track's own metrics.
	MetricsNamespace = "FastTrack"
	// MetricApprovalTasksPastDeadline counts approval tasks found open after their deadline
	// (published once per such task when it is escalated or expired).
	MetricApprovalTasksPastDeadline = "ApprovalTasksPastDeadline"
	// MetricDimensionStage is the dimension that separates the stages' metrics.
	MetricDimensionStage = "Stage"
	// MetricTimeToStep is the time in seconds from an activation's request to one of its steps,
	// published by the activate function for each step once the activation is ACTIVE, with the
	// dimensions Stage, Country, CrisisType and Step.
	MetricTimeToStep = "TimeToStep"
	// MetricTimeToActive is the time in seconds from an activation's request to ACTIVE, with the
	// dimensions Stage, Country and CrisisType.
	MetricTimeToActive = "TimeToActive"
	// MetricDimensionCountry is the activation's country (ISO code).
	MetricDimensionCountry = "Country"
	// MetricDimensionCrisisType is the activation's crisis type.
	MetricDimensionCrisisType = "CrisisType"
	// MetricDimensionStep is the step a time is measured to ("assess", "clearance", ...).
	MetricDimensionStep = "Step"
)

// Env is what a function's handler constructor receives: the AWS configuration shared by every
// client of the process, and the physical names of the deployment's resources.
type Env struct {
	// AWS is the loaded SDK configuration (region, credentials, endpoints).
	AWS aws.Config
	// Stage is the deployment stage ("dev", "prod"; "local" on one machine).
	Stage string
	// Tables maps logical table names (shared/tables) to physical ones.
	Tables map[string]string
	// StateMachineARN is the fast-track state machine; empty where the function has no
	// state machine actions.
	StateMachineARN string
	// EventBusName is the system's event bus; empty where the function publishes no events.
	EventBusName string
	// AuthIssuer, AuthAudience and AuthJWKSURL configure bearer token verification (the api
	// function only).
	AuthIssuer   string
	AuthAudience string
	AuthJWKSURL  string
	// UserPoolID is the Cognito user pool the function reads people from; empty where the
	// function has no user pool actions.
	UserPoolID string
	// Now is the clock of the function's rules (task deadlines, step times); time.Now when nil.
	// The local system passes the clock its engine runs on, so that deadlines in the store and
	// the workflow's timeouts move together when tests move a fake clock.
	Now func() time.Time
	// Logger, when set, is a log for people (the local system's terminal): the function's logs,
	// and its metrics as one short DEBUG line each (ReadableMetrics). When nil the function logs
	// JSON on standard output, what CloudWatch Logs reads on Lambda, where each metric is a
	// record in embedded metric format that CloudWatch turns into the metric (LogMetric).
	Logger *slog.Logger
}

// Clock returns Now, or time.Now when it is not set.
func (e Env) Clock() func() time.Time {
	if e.Now != nil {
		return e.Now
	}
	return time.Now
}

// Log returns Logger with its metrics made readable, or a JSON logger on standard output, with
// the metrics in embedded metric format, when it is not set.
func (e Env) Log() *slog.Logger {
	if e.Logger != nil {
		return slog.New(ReadableMetrics(e.Logger.Handler()))
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, nil))
}

// Table returns the physical name of the logical table, or an error naming the environment
// variable that should have carried it.
func (e Env) Table(logical string) (string, error) {
	if name := e.Tables[logical]; name != "" {
		return name, nil
	}
	table, ok := tables.Lookup(logical)
	if !ok {
		return "", fmt.Errorf("table %q is not declared in shared/tables", logical)
	}
	return "", fmt.Errorf("table %q is not configured: %s is not set", logical, table.EnvVar())
}

// EnvFromEnvironment reads an Env from environment variables (getenv is os.Getenv in the Lambda
// binary), with cfg as its AWS configuration. Variables that are not set leave their field
// empty: each function gets only what its registry entry needs.
func EnvFromEnvironment(getenv func(string) string, cfg aws.Config) Env {
	env := Env{
		AWS:             cfg,
		Stage:           getenv(EnvStage),
		Tables:          map[string]string{},
		StateMachineARN: getenv(EnvStateMachineARN),
		EventBusName:    getenv(EnvEventBusName),
		AuthIssuer:      getenv(EnvAuthIssuer),
		AuthAudience:    getenv(EnvAuthAudience),
		AuthJWKSURL:     getenv(EnvAuthJWKSURL),
		UserPoolID:      getenv(EnvUserPoolID),
	}
	for _, table := range tables.All() {
		if name := getenv(table.EnvVar()); name != "" {
			env.Tables[table.Name] = name
		}
	}
	return env
}
