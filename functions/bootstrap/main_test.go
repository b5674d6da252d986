package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/tables"
)

func fakeLoad(region string) loadConfig {
	return func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error) {
		return aws.Config{Region: region}, nil
	}
}

func environment(values map[string]string) func(string) string {
	return func(name string) string { return values[name] }
}

func TestLookupRefusesMissingUnknownAndUnbuiltHandlers(t *testing.T) {
	functions := []registry.Function{
		{Name: "ready", New: func(context.Context, registry.Env) (any, error) { return func() error { return nil }, nil }},
		{Name: "pending"},
	}
	tests := []struct {
		name    string
		handler string
		want    string
	}{
		{"unset", "", "_HANDLER is not set"},
		{"unknown", "nope", `names no registry function; known: pending, ready`},
		{"no constructor", "pending", `function "pending" has no handler constructor`},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := lookup(test.handler, functions)
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("lookup(%q) error = %v, want it to contain %q", test.handler, err, test.want)
			}
		})
	}
	function, err := lookup("ready", functions)
	if err != nil || function.Name != "ready" {
		t.Fatalf("lookup(ready) = %v, %v", function.Name, err)
	}
}

func TestEveryRegistryNameIsAValidHandlerSetting(t *testing.T) {
	// A handler setting that differs from the registry name would make the deployed function
	// fail its cold start; names are lower case words joined by hyphens.
	for _, function := range registry.All() {
		for _, r := range function.Name {
			if (r < 'a' || r > 'z') && r != '-' {
				t.Errorf("function name %q has %q: handler settings use lower case letters and hyphens", function.Name, r)
			}
		}
	}
}

func TestSetupPassesConfigurationAndNamesToTheConstructor(t *testing.T) {
	activations, _ := tables.Lookup(tables.Activations)
	var got registry.Env
	functions := withConstructor(registry.All(), "api", func(_ context.Context, env registry.Env) (any, error) {
		got = env
		return func() error { return nil }, nil
	})
	values := map[string]string{
		handlerVariable:             "api",
		activations.EnvVar():        "fasttrack-dev-activations-1234",
		registry.EnvStage:           "dev",
		registry.EnvStateMachineARN: "arn:aws:states:eu-west-1:111122223333:stateMachine:fasttrack-dev",
		registry.EnvUserPoolID:      "eu-west-1_AbCdEf123",
	}
	handler, err := setup(context.Background(), functions, environment(values), fakeLoad("eu-west-1"))
	if err != nil || handler == nil {
		t.Fatalf("setup = %v, %v", handler, err)
	}
	if got.AWS.Region != "eu-west-1" || got.Stage != "dev" || got.StateMachineARN != values[registry.EnvStateMachineARN] ||
		got.UserPoolID != values[registry.EnvUserPoolID] {
		t.Fatalf("constructor got %+v", got)
	}
	if physical, err := got.Table(tables.Activations); err != nil || physical != "fasttrack-dev-activations-1234" {
		t.Fatalf("Table(activations) = %q, %v", physical, err)
	}
	if _, err := got.Table(tables.Fund); err == nil || !strings.Contains(err.Error(), "FASTTRACK_TABLE_FUND is not set") {
		t.Fatalf("Table(fund) error = %v, want it to name the unset variable", err)
	}
}

func TestSetupReportsConstructorAndConfigurationFailures(t *testing.T) {
	values := environment(map[string]string{handlerVariable: "api"})
	succeed := func(context.Context, registry.Env) (any, error) { return func() error { return nil }, nil }
	tests := []struct {
		name  string
		build func(context.Context, registry.Env) (any, error)
		load  loadConfig
		want  string
	}{
		{"configuration", succeed, func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error) {
			return aws.Config{}, errors.New("no region")
		}, "loading the AWS configuration: no region"},
		{"constructor", func(context.Context, registry.Env) (any, error) { return nil, errors.New("no table") },
			fakeLoad("eu-west-1"), `building the "api" handler: no table`},
		{"nil handler", func(context.Context, registry.Env) (any, error) { return nil, nil },
			fakeLoad("eu-west-1"), "returned no handler"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := setup(context.Background(), withConstructor(registry.All(), "api", test.build), values, test.load)
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("setup error = %v, want it to contain %q", err, test.want)
			}
		})
	}
}

func withConstructor(functions []registry.Function, name string, build func(context.Context, registry.Env) (any, error)) []registry.Function {
	out := make([]registry.Function, len(functions))
	copy(out, functions)
	for i := range out {
		if out[i].Name == name {
			out[i].New = build
		}
	}
	return out
}
