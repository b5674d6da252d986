// Command bootstrap is the single Lambda binary of Fast-Track. Every function of the registry
// is deployed with this same binary and its own handler setting (the registry name); Lambda puts
// that setting in _HANDLER, and the binary runs the matching registry entry.
//
// It reads its configuration and builds the AWS clients once per execution environment, outside
// the handler, then hands the handler to the Lambda runtime.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/fasttrack/fasttrack/functions/handlers"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
)

// handlerVariable is set by the Lambda runtime from the function's handler setting.
const handlerVariable = "_HANDLER"

func main() {
	ctx := context.Background()
	handler, err := setup(ctx, handlers.All(), os.Getenv, config.LoadDefaultConfig)
	if err != nil {
		// An error here is an initialisation failure: Lambda reports it and retries the
		// cold start; nothing has been invoked yet.
		fmt.Fprintln(os.Stderr, "bootstrap:", err)
		os.Exit(1)
	}
	lambda.Start(handler)
}

// loadConfig is config.LoadDefaultConfig's shape, injected so that tests need no AWS.
type loadConfig func(ctx context.Context, options ...func(*config.LoadOptions) error) (aws.Config, error)

// setup finds the registry entry named by _HANDLER and builds its handler.
func setup(ctx context.Context, functions []registry.Function, getenv func(string) string, load loadConfig) (any, error) {
	function, err := lookup(getenv(handlerVariable), functions)
	if err != nil {
		return nil, err
	}
	cfg, err := load(ctx, config.WithHTTPClient(sdkhttp.NewClient()))
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	handler, err := function.New(ctx, registry.EnvFromEnvironment(getenv, cfg))
	if err != nil {
		return nil, fmt.Errorf("building the %q handler: %w", function.Name, err)
	}
	if handler == nil {
		return nil, fmt.Errorf("the %q handler constructor returned no handler", function.Name)
	}
	return handler, nil
}

// lookup returns the function named name, with an error that lists the known names when there
// is none or when it has no handler constructor yet.
func lookup(name string, functions []registry.Function) (registry.Function, error) {
	if name == "" {
		return registry.Function{}, fmt.Errorf("%s is not set: the Lambda handler setting must name a registry function", handlerVariable)
	}
	var known []string
	for _, function := range functions {
		if function.Name == name {
			if function.New == nil {
				return registry.Function{}, fmt.Errorf("function %q has no handler constructor (registry.Function.New is nil)", name)
			}
			return function, nil
		}
		known = append(known, function.Name)
	}
	sort.Strings(known)
	return registry.Function{}, fmt.Errorf("%s=%q names no registry function; known: %s", handlerVariable, name, strings.Join(known, ", "))
}
