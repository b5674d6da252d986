package choice

import (
	"errors"
	"testing"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// FuzzChoice decodes arbitrary text as a Choice Rule, compiles it and evaluates it on a fixed
// input. Nothing may panic; compile errors are *Error; run-time errors are States.Runtime.
func FuzzChoice(f *testing.F) {
	for _, seed := range []string{
		`{"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"}`,
		`{"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}], "Next": "X"}`,
		`{"Or": [{"Variable": "$.gone", "IsPresent": true}, {"Variable": "$.when", "TimestampLessThanPath": "$.deadline"}]}`,
		`{"Variable": "$.file", "StringMatches": "log-*\\*.txt"}`, `{"Variable": "$.flag", "BooleanEqualsPath": "$.value"}`,
		`{"Variable": "$$.Execution.Id", "IsString": true}`, `{"Variable": "$.list[1]", "IsNumeric": false}`,
		`{"Variable": "$.value", "NumericEquals": 22.0, "Comment": "c"}`, `{"Variable": "$.x", "StringEquals": "x", "NumericEquals": 1}`,
		`{"And": []}`, `{}`, `{"Variable": "$.when", "TimestampEquals": "2024-05-01T08:00:00Z"}`,
	} {
		f.Add(seed)
	}
	input, _ := jsonvalue.DecodeString(`{"type": "Private", "value": 22, "when": "2024-05-01T10:00:00+02:00", "deadline": "2024-05-02T00:00:00Z",
	  "file": "log-1*.txt", "flag": true, "list": ["a", 2, null]}`)
	f.Fuzz(func(t *testing.T, text string) {
		raw, err := jsonvalue.DecodeString(text)
		if err != nil {
			return
		}
		object, ok := raw.(*jsonvalue.Object)
		if !ok {
			return
		}
		r, err := Compile(object)
		if err != nil {
			var ruleError *Error
			if !errors.As(err, &ruleError) || ruleError.Reason == "" {
				t.Fatalf("Compile(%s) error %v is not an *Error with a reason", text, err)
			}
			return
		}
		if _, err := r.Eval(input); err != nil {
			var stateError *states.Error
			if !errors.As(err, &stateError) || stateError.Name != states.ErrRuntime {
				t.Fatalf("Eval(%s) error %v is not States.Runtime", text, err)
			}
		}
	})
}
