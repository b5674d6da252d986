// Package handlers pairs every function of the registry with its handler constructor. The
// function packages build on registry.Env, so the registry cannot import them; this package
// imports both and is what the single Lambda binary and the local system take their functions
// from.
package handlers

import (
	"context"

	"github.com/fasttrack/fasttrack/functions/activate"
	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/functions/approvals"
	"github.com/fasttrack/fasttrack/functions/assess"
	"github.com/fasttrack/fasttrack/functions/clearance"
	"github.com/fasttrack/fasttrack/functions/compensate"
	"github.com/fasttrack/fasttrack/functions/funds"
	"github.com/fasttrack/fasttrack/functions/insurance"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/functions/roster"
)

// constructors are the handler constructors by registry name.
var constructors = map[string]func(context.Context, registry.Env) (any, error){
	"api":        api.NewLambda,
	"assess":     assess.New,
	"clearance":  clearance.New,
	"funds":      funds.New,
	"approvals":  approvals.New,
	"roster":     roster.New,
	"insurance":  insurance.New,
	"activate":   activate.New,
	"compensate": compensate.New,
}

// All returns registry.All() with each function's New set.
func All() []registry.Function {
	functions := registry.All()
	for i := range functions {
		if build, ok := constructors[functions[i].Name]; ok {
			functions[i].New = build
		}
	}
	return functions
}

// Lookup returns the named function with its New set.
func Lookup(name string) (registry.Function, bool) {
	for _, f := range All() {
		if f.Name == name {
			return f, true
		}
	}
	return registry.Function{}, false
}
