package handlers

import (
	"testing"

	"github.com/fasttrack/fasttrack/functions/registry"
)

func TestEveryRegistryFunctionHasAConstructor(t *testing.T) {
	all := All()
	if len(all) != len(registry.All()) {
		t.Fatalf("All() has %d functions, the registry %d", len(all), len(registry.All()))
	}
	for _, f := range all {
		if f.New == nil {
			t.Errorf("function %q has no handler constructor", f.Name)
		}
	}
	for name := range constructors {
		if _, ok := registry.Lookup(name); !ok {
			t.Errorf("constructor for %q, which the registry does not declare", name)
		}
	}
	if f, ok := Lookup("compensate"); !ok || f.New == nil {
		t.Fatalf("Lookup(compensate) = %+v, %v", f, ok)
	}
	if _, ok := Lookup("nope"); ok {
		t.Fatal("Lookup found an undeclared function")
	}
}
