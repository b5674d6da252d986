package template

import (
	"errors"
	"testing"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// FuzzTemplate decodes arbitrary text as JSON, compiles it as a payload template and evaluates it
// against a fixed input and context object. Nothing may panic; compile errors are *Error, run-time
// errors *states.Error; the payload is JSON; a constant template gives back what it was made from;
// the input is unchanged.
func FuzzTemplate(f *testing.F) {
	for _, seed := range []string{
		`{"comment": "Selecting what I care about.", "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability", "StaticValue": "foo"}}`,
		`{"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"}`,
		`{"execution.$": "$$.Execution.Id", "item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}`,
		`{"BuildId.$": "States.Array($.product.sku)", "f.$": "States.Format('{} costs {}', $.product.sku, $.product.cost)"}`,
		`{"list": [1, {"a.$": "$.product"}, [{"b.$": "$..color"}]], "n": null}`,
		`{"flat.$": "$.matrix[*][*]", "some.$": "$.matrix[0][1:]", "f.$": "$.items[?(@.n > 1)].n"}`,
		`{"a": 1, "a.$": "$.a"}`, `{"x.$": 5}`, `{"x.$": "nope"}`, `{"x.$": "$.missing"}`, `{"x.$": "States.MathAdd($.product, 1)"}`,
		`[{"a.$": "$"}, "b"]`, `"just a string"`, `12.50`, `{}`, `{".$": "$$"}`, `{"u.$": "States.UUID()"}`,
	} {
		f.Add(seed)
	}
	input, _ := jsonvalue.DecodeString(`{"product": {"details": {"color": "blue", "size": "small"}, "availability": "in stock", "sku": "2317", "cost": "$23"},
	  "matrix": [[1, 2], [3, 4]], "items": [{"n": 1}, {"n": 2}, {"n": 3}], "a": "A"}`)
	context, _ := jsonvalue.DecodeString(`{"Execution": {"Id": "arn:x", "Input": {}}, "Map": {"Item": {"Index": 0, "Value": "v"}}}`)
	before := jsonvalue.MustEncodeString(input)
	f.Fuzz(func(t *testing.T, text string) {
		raw, err := jsonvalue.DecodeString(text)
		if err != nil {
			return
		}
		tmpl, err := Compile(raw)
		if err != nil {
			var templateError *Error
			if !errors.As(err, &templateError) || templateError.Reason == "" {
				t.Fatalf("Compile(%s) error %v is not an *Error with a reason", text, err)
			}
			return
		}
		out, err := tmpl.Eval(input, context)
		if err != nil {
			var stateError *states.Error
			if !errors.As(err, &stateError) || stateError.Cause == "" {
				t.Fatalf("Eval(%s) error %v is not a *states.Error with a cause", text, err)
			}
		} else {
			if _, err := jsonvalue.Encode(out); err != nil {
				t.Fatalf("Eval(%s) gave an unencodable payload: %v", text, err)
			}
			if tmpl.Constant() && !jsonvalue.Equal(out, raw) {
				t.Fatalf("constant template %s evaluated to %s", text, jsonvalue.MustEncodeString(out))
			}
		}
		if jsonvalue.MustEncodeString(input) != before {
			t.Fatalf("Eval(%s) changed the input", text)
		}
	})
}
