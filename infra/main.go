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

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/fasttrack/fasttrack/infra/stacks"
)

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
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
	app.Synth(nil)
	return nil
}
