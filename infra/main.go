// Command infra is Fast-Track's CDK app. `cdk synth` runs it through cdk.json at the
// repository root; it only reads the context, builds the stage's stacks and synthesises them.
//
// Context values (cdk.json, or -c name=value): stage (dev or prod), consoleOrigin (the web
// console's origin, the only one CORS allows), workflow (the state machine definition) and
// lambdaAsset (the directory holding the bootstrap binary built by `make build`).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/fasttrack/fasttrack/infra/guard"
	"github.com/fasttrack/fasttrack/infra/stacks"
)

// guardDir is the CloudFormation Guard validator package to run at synthesis:
// FASTTRACK_CFN_GUARD names it ("off" for none), else the one scripts/deps.sh cdk installs, if
// it is there.
func guardDir() string {
	switch dir := os.Getenv("FASTTRACK_CFN_GUARD"); dir {
	case "off":
		return ""
	case "":
		dir = ".cache/cdk/node_modules/" + guard.Package
		if _, err := os.Stat(dir); err != nil {
			return ""
		}
		return dir
	default:
		return dir
	}
}

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	if dir := guardDir(); dir != "" {
		validator, err := guard.New(dir, &guard.Props{})
		if err != nil {
			return err
		}
		awscdk.Validations_Of(app).AddPlugins(validator)
	}
	context := func(name, fallback string) string {
		if value, ok := app.Node().TryGetContext(jsii.String(name)).(string); ok && value != "" {
			return value
		}
		return fallback
	}
	stage, err := stacks.ParseStage(context("stage", ""))
	if err != nil {
		return err
	}
	var env *awscdk.Environment
	// The CDK CLI sets these from the AWS profile when it has one; without them (an offline
	// synth) the stacks stay environment-agnostic.
	if account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); account != "" && region != "" {
		env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	if _, err := stacks.Build(app, stacks.Config{
		Stage:          stage,
		ConsoleOrigin:  context("consoleOrigin", ""),
		WorkflowPath:   context("workflow", "workflows/fasttrack.asl.json"),
		LambdaAssetDir: context("lambdaAsset", "bin/lambda"),
		Env:            env,
	}); err != nil {
		return err
	}
	stacks.ApplyChecks(app)
	assembly := app.Synth(nil)
	violations, err := guard.Violations(*assembly.Directory())
	if err != nil {
		return err
	}
	if len(violations) > 0 {
		return fmt.Errorf("CloudFormation Guard found %d violations that no acknowledgment covers:\n  %s",
			len(violations), strings.Join(violations, "\n  "))
	}
	return nil
}
