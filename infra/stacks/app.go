package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/infra/outputs"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// Config is one stage's deployment.
type Config struct {
	Stage Stage
	// ConsoleOrigin is the web console's origin, the only one CORS allows.
	ConsoleOrigin string
	// WorkflowPath is the state machine definition.
	WorkflowPath string
	// LambdaAssetDir holds the Lambda binary "bootstrap".
	LambdaAssetDir string
	// Env pins account and region; nil leaves the stacks environment-agnostic, which is what
	// an offline synth needs.
	Env *awscdk.Environment
	// Tables and Functions default to the project's declarations (nil); tests pass others.
	Tables    []tables.Table
	Functions []registry.Function
}

// Deployment is one stage's pair of stacks.
type Deployment struct {
	Stateful  *StatefulStack
	Stateless *StatelessStack
}

// Build adds one stage's stacks to app, named FastTrack-<stage>-Stateful and
// FastTrack-<stage>-Stateless.
func Build(app awscdk.App, config Config) (*Deployment, error) {
	stage, err := ParseStage(string(config.Stage))
	if err != nil {
		return nil, err
	}
	tags := &map[string]*string{"project": jsii.String("fasttrack"), "stage": jsii.String(string(stage))}
	stateful, err := NewStatefulStack(app, outputs.StatefulStackName(string(stage)), &StatefulStackProps{
		StackProps: awscdk.StackProps{Env: config.Env, Tags: tags},
		Stage:      stage,
		Tables:     config.Tables,
	})
	if err != nil {
		return nil, fmt.Errorf("stateful stack: %w", err)
	}
	stateless, err := NewStatelessStack(app, outputs.StackName(string(stage)), &StatelessStackProps{
		StackProps:     awscdk.StackProps{Env: config.Env, Tags: tags},
		Stateful:       stateful,
		Functions:      config.Functions,
		WorkflowPath:   config.WorkflowPath,
		LambdaAssetDir: config.LambdaAssetDir,
		ConsoleOrigin:  config.ConsoleOrigin,
	})
	if err != nil {
		return nil, fmt.Errorf("stateless stack: %w", err)
	}
	return &Deployment{Stateful: stateful, Stateless: stateless}, nil
}

// ApplyChecks runs cdk-nag's AwsSolutions rules over everything in app at synthesis. An
// unsuppressed finding of level error is an error annotation, which fails `cdk synth` and the
// infra tests.
func ApplyChecks(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}
