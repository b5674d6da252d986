package intrinsic

import (
	"errors"
	"testing"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// FuzzIntrinsicParse parses arbitrary text as an intrinsic function call and evaluates what
// parses against a fixed input and context object. Nothing may panic; a parse failure is a
// *SyntaxError, an evaluation failure a *states.Error; results are JSON; the input is unchanged.
func FuzzIntrinsicParse(f *testing.F) {
	for _, seed := range []string{
		"States.Format('Hello, my name is {}.', $.name)", "States.Format($.template, $.name)",
		"States.StringToJson($.json)", "States.JsonToString($.object)", "States.Array('Foo', 2020, $.object, null)",
		"States.ArrayPartition($.numbers, 4)", "States.ArrayContains($.numbers, $.five)", "States.ArrayRange(1, 9, 2)",
		"States.ArrayRange(9, 1, -3)", "States.ArrayGetItem($.numbers, $.five)", "States.ArrayLength($.numbers)",
		"States.ArrayUnique($.numbers)", "States.Base64Encode($.name)", "States.Base64Decode('RGF0YSB0byBlbmNvZGU=')",
		"States.Hash($.name, 'SHA-256')", "States.JsonMerge($.object, $.object, false)", "States.MathRandom(1, 10)",
		"States.MathRandom(1, 10, $.five)", "States.MathAdd($.five, -1.5)", "States.StringSplit($.csv, ',')",
		"States.UUID()", "States.Format('{}', $$.Execution.Id)", `States.Format('It\'s \{\} {} \\', 'x')`,
		"States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))",
		"States.Array($['a b'], $.numbers[?(@ > 1)], $..name, $.numbers[1:])", "States.Format('{} {}', 1)", "States.Array(",
		"States.Nope()", "States.Array('\\x')", "States.MathAdd(2147483648, 1)", "States.Array(1e400, -0, true, false)",
	} {
		f.Add(seed)
	}
	input := jsonvalue.EmptyObject()
	if v, err := jsonvalue.DecodeString(`{"name": "Arnav", "template": "Hello {}", "json": "{\"a\": [1, 2]}", "object": {"k": "v"},
	  "numbers": [1, 2, 3, 3, 5], "five": 5, "csv": "a,b,,c", "a b": "spaced"}`); err == nil {
		input = v.(*jsonvalue.Object)
	}
	context, _ := jsonvalue.DecodeString(`{"Execution": {"Id": "arn:aws:states:::execution:m:e"}, "StateMachine": {"Name": "m-1"}}`)
	before := jsonvalue.MustEncodeString(input)
	f.Fuzz(func(t *testing.T, expr string) {
		call, err := Parse(expr)
		if err != nil {
			var syntaxError *SyntaxError
			if !errors.As(err, &syntaxError) {
				t.Fatalf("Parse(%q) returned %T", expr, err)
			}
			return
		}
		if !IsCall(expr) {
			t.Fatalf("Parse accepted %q but IsCall says it is not a call", expr)
		}
		if call.String() != expr {
			t.Fatalf("String() = %q", call.String())
		}
		v, err := call.Eval(input, context)
		if err != nil {
			var stateError *states.Error
			if !errors.As(err, &stateError) || stateError.Cause == "" {
				t.Fatalf("Eval(%q) error %v is not a *states.Error with a cause", expr, err)
			}
		} else if _, err := jsonvalue.Encode(v); err != nil {
			t.Fatalf("Eval(%q) returned an unencodable %T: %v", expr, v, err)
		}
		if jsonvalue.MustEncodeString(input) != before {
			t.Fatalf("Eval(%q) changed the input", expr)
		}
	})
}
