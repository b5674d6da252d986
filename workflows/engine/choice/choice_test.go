package choice

import (
	"errors"
	"strings"
	"testing"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonvalue.DecodeString(s)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

func mustCompile(t testing.TB, rule string) *Rule {
	t.Helper()
	r, err := Compile(decode(t, rule).(*jsonvalue.Object))
	if err != nil {
		t.Fatalf("Compile(%s): %v", rule, err)
	}
	return r
}

func evalRule(t testing.TB, rule, input string) bool {
	t.Helper()
	ok, err := mustCompile(t, rule).Eval(decode(t, input))
	if err != nil {
		t.Fatalf("Eval(%s) on %s: %v", rule, input, err)
	}
	return ok
}

// The Choice state example of the developer guide
// (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html): with the input
// {"type": "Private", "value": 22} the execution goes to ValueInTwenties.
func TestDocumentationExample(t *testing.T) {
	rules := []string{
		`{"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"}`,
		`{"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"}`,
		`{"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}`,
	}
	input := decode(t, `{"type": "Private", "value": 22}`)
	chosen := ""
	for _, raw := range rules {
		r := mustCompile(t, raw)
		ok, err := r.Eval(input)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			chosen = r.Next()
			break
		}
	}
	if chosen != "ValueInTwenties" {
		t.Fatalf("chose %q, want ValueInTwenties", chosen)
	}
}

// The rule examples of the same page.
func TestDocumentationRuleExamples(t *testing.T) {
	cases := []struct {
		rule, input string
		want        bool
	}{
		{`{"Variable": "$.foo", "NumericEquals": 1, "Next": "FirstMatchState"}`, `{"foo": 1}`, true},
		{`{"Variable": "$.foo", "StringEquals": "MyString", "Next": "FirstMatchState"}`, `{"foo": "MyString"}`, true},
		{`{"Variable": "$.foo", "StringGreaterThan": "MyStringABC", "Next": "FirstMatchState"}`, `{"foo": "MyStringABD"}`, true},
		{`{"Variable": "$.foo", "StringGreaterThan": "MyStringABC", "Next": "FirstMatchState"}`, `{"foo": "MyString"}`, false},
		{`{"Variable": "$.possiblyNullValue", "IsNull": true}`, `{"possiblyNullValue": null}`, true},
		{`{"And": [{"Variable": "$.keyThatMightNotExist", "IsPresent": true}, {"Variable": "$.keyThatMightNotExist", "StringEquals": "foo"}]}`, `{}`, false},
		{`{"And": [{"Variable": "$.keyThatMightNotExist", "IsPresent": true}, {"Variable": "$.keyThatMightNotExist", "StringEquals": "foo"}]}`, `{"keyThatMightNotExist": "foo"}`, true},
		{`{"Variable": "$.foo", "StringMatches": "log-*.txt"}`, `{"foo": "log-2024-01.txt"}`, true},
		{`{"Variable": "$.foo", "StringMatches": "log-*.txt"}`, `{"foo": "log-2024-01.txt.gz"}`, false},
		{`{"Variable": "$.foo", "TimestampEquals": "2001-01-01T12:00:00Z", "Next": "FirstMatchState"}`, `{"foo": "2001-01-01T12:00:00Z"}`, true},
		{`{"Variable": "$.foo", "StringEqualsPath": "$.bar"}`, `{"foo": "x", "bar": "x"}`, true},
		{`{"Variable": "$.foo", "StringEqualsPath": "$.bar"}`, `{"foo": "x", "bar": "y"}`, false},
	}
	for _, tc := range cases {
		if got := evalRule(t, tc.rule, tc.input); got != tc.want {
			t.Errorf("%s on %s = %v, want %v", tc.rule, tc.input, got, tc.want)
		}
	}
}

// typeValues are the variable values of LocalStack's choice operator tests, recorded against AWS
// (tests/aws/services/stepfunctions/v2/choice_operators, TYPE_COMPARISONS).
var typeValues = []string{
	`null`, `0`, `0.0`, `1`, `1.1`, `""`, `" "`, `"HelloWorld"`, `"2012-10-09T19:00:55"`, `"2012-10-09T19:00:55Z"`,
	`"2012-10-09T19:00:55+01:00"`, `"2023-02-24"`, `[]`, `[""]`, `{}`, `{"A": 0}`, `true`, `false`,
}

// TestIsOperators checks each Is* operator with true and with false on every type: the recorded
// results are that IsX: true holds exactly for values of type X, and IsX: false for all others.
func TestIsOperators(t *testing.T) {
	kind := func(v string) string {
		switch {
		case v == "null":
			return "null"
		case v == "true" || v == "false":
			return "boolean"
		case strings.HasPrefix(v, `"`):
			return "string"
		case strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{"):
			return "container"
		}
		return "number"
	}
	// RFC 3339 needs a zone: only these are timestamps.
	timestamps := map[string]bool{`"2012-10-09T19:00:55Z"`: true, `"2012-10-09T19:00:55+01:00"`: true}
	for _, v := range typeValues {
		want := map[string]bool{
			"IsNull":      kind(v) == "null",
			"IsNumeric":   kind(v) == "number",
			"IsString":    kind(v) == "string",
			"IsBoolean":   kind(v) == "boolean",
			"IsPresent":   true,
			"IsTimestamp": timestamps[v],
		}
		for operator, is := range want {
			for _, expected := range []bool{true, false} {
				rule := `{"Variable": "$.Variable", "` + operator + `": ` + map[bool]string{true: "true", false: "false"}[expected] + `}`
				if got := evalRule(t, rule, `{"Variable": `+v+`}`); got != (is == expected) {
					t.Errorf("%s on %s = %v, want %v", rule, v, got, is == expected)
				}
			}
		}
	}
	// A missing variable is what IsPresent tests; the other operators fail on it.
	if evalRule(t, `{"Variable": "$.gone", "IsPresent": true}`, `{}`) || !evalRule(t, `{"Variable": "$.gone", "IsPresent": false}`, `{}`) {
		t.Error("IsPresent on a missing variable")
	}
}

// TestTypeMismatchIsFalse: a comparison on a value of another type is false, never an error.
func TestTypeMismatchIsFalse(t *testing.T) {
	operands := map[string]string{
		"StringEquals": `"HelloWorld"`, "StringLessThan": `"z"`, "StringGreaterThanEquals": `""`, "StringMatches": `"*"`,
		"NumericEquals": `0`, "NumericLessThan": `100`, "NumericGreaterThanEquals": `-100`,
		"BooleanEquals": `true`, "TimestampEquals": `"2012-10-09T19:00:55Z"`, "TimestampLessThan": `"2099-01-01T00:00:00Z"`,
	}
	accepts := map[string]func(string) bool{
		"String":    func(v string) bool { return strings.HasPrefix(v, `"`) },
		"Numeric":   func(v string) bool { return v != "" && strings.IndexByte("-0123456789", v[0]) >= 0 },
		"Boolean":   func(v string) bool { return v == "true" || v == "false" },
		"Timestamp": func(v string) bool { return v == `"2012-10-09T19:00:55Z"` || v == `"2012-10-09T19:00:55+01:00"` },
	}
	for operator, operand := range operands {
		family := "String"
		for _, f := range []string{"Numeric", "Boolean", "Timestamp"} {
			if strings.HasPrefix(operator, f) {
				family = f
			}
		}
		for _, v := range typeValues {
			rule := `{"Variable": "$.Variable", "` + operator + `": ` + operand + `}`
			got := evalRule(t, rule, `{"Variable": `+v+`}`)
			if got && !accepts[family](v) {
				t.Errorf("%s on %s = true, but the types differ", rule, v)
			}
		}
	}
}

func TestComparisons(t *testing.T) {
	const t0, t1 = `"2012-10-09T19:00:55Z"`, `"2012-10-09T19:00:56Z"`
	cases := []struct {
		operator, variable, value string
		want                      bool
	}{
		// Recorded against AWS (LocalStack test_numeric.py, test_string_operators.py,
		// test_timestamp_operators.py, test_boolean_equals.py).
		{"NumericEquals", `0`, `0`, true}, {"NumericEquals", `0`, `0.0`, true}, {"NumericEquals", `0.0`, `0`, true},
		{"NumericEquals", `1`, `1.0`, true}, {"NumericEquals", `1.1`, `1`, false}, {"NumericEquals", `1`, `0`, false},
		{"NumericEquals", `2.22`, `2.22`, true}, {"NumericEquals", `null`, `0`, false}, {"NumericEquals", `"0"`, `0`, false},
		{"NumericEquals", `false`, `0`, false}, {"NumericEquals", `[]`, `0`, false}, {"NumericEquals", `{}`, `0`, false},
		{"NumericGreaterThan", `0`, `0`, false}, {"NumericGreaterThan", `0.0`, `0`, false}, {"NumericGreaterThan", `0`, `1`, false},
		{"NumericGreaterThan", `1`, `1`, false}, {"NumericGreaterThan", `1`, `0`, true},
		{"NumericGreaterThanEquals", `0`, `0`, true}, {"NumericGreaterThanEquals", `0`, `1`, false}, {"NumericGreaterThanEquals", `1`, `0`, true},
		{"NumericLessThan", `0`, `0`, false}, {"NumericLessThan", `0`, `1`, true}, {"NumericLessThan", `1`, `0`, false},
		{"NumericLessThanEquals", `0`, `0`, true}, {"NumericLessThanEquals", `0`, `1`, true}, {"NumericLessThanEquals", `1`, `0`, false},
		{"StringEquals", `" "`, `"     "`, false}, {"StringEquals", `"\t\n"`, `"\t\r\n"`, false}, {"StringEquals", `"Hello"`, `"Hello"`, true},
		{"StringEquals", `null`, `"HelloWorld"`, false}, {"StringEquals", `0`, `"HelloWorld"`, false}, {"StringEquals", `[""]`, `"HelloWorld"`, false},
		{"StringGreaterThan", `""`, `""`, false}, {"StringGreaterThan", `"A"`, `"A "`, false}, {"StringGreaterThan", `"A"`, `"A\t\n\r"`, false},
		{"StringGreaterThan", `"AB"`, `"ABC"`, false},
		{"StringGreaterThanEquals", `""`, `""`, true}, {"StringGreaterThanEquals", `"A"`, `"AB"`, false}, {"StringGreaterThanEquals", `"AB"`, `"A"`, true},
		{"StringLessThan", `""`, `""`, false}, {"StringLessThan", `"A"`, `"AB"`, true}, {"StringLessThan", `"AB"`, `"A"`, false},
		{"StringLessThanEquals", `""`, `""`, true}, {"StringLessThanEquals", `"A"`, `"AB"`, true}, {"StringLessThanEquals", `"AB"`, `"A"`, false},
		{"TimestampEquals", t0, t0, true}, {"TimestampEquals", t0, t1, false}, {"TimestampEquals", t1, t0, false},
		{"TimestampEquals", `"2023-02-24 12:15:56.832957"`, t0, false}, {"TimestampEquals", `null`, t0, false}, {"TimestampEquals", `1`, t0, false},
		{"TimestampGreaterThan", t0, t0, false}, {"TimestampGreaterThan", t0, t1, false}, {"TimestampGreaterThan", t1, t0, true},
		{"TimestampGreaterThanEquals", t0, t0, true}, {"TimestampGreaterThanEquals", t0, t1, false}, {"TimestampGreaterThanEquals", t1, t0, true},
		{"TimestampLessThan", t0, t0, false}, {"TimestampLessThan", t0, t1, true}, {"TimestampLessThan", t1, t0, false},
		{"TimestampLessThanEquals", t0, t0, true}, {"TimestampLessThanEquals", t0, t1, true}, {"TimestampLessThanEquals", t1, t0, false},
		{"BooleanEquals", `true`, `true`, true}, {"BooleanEquals", `false`, `true`, false}, {"BooleanEquals", `false`, `false`, true},
		{"BooleanEquals", `0`, `false`, false}, {"BooleanEquals", `"true"`, `true`, false}, {"BooleanEquals", `null`, `false`, false},
		// Numbers compare exactly, beyond float64 precision and across spellings.
		{"NumericEquals", `9007199254740993`, `9007199254740992`, false},
		{"NumericGreaterThan", `9007199254740993`, `9007199254740992`, true},
		{"NumericEquals", `123456789012345678901234567890`, `1.2345678901234567890123456789e29`, true},
		{"NumericLessThan", `-0.000001`, `0`, true}, {"NumericEquals", `-0`, `0`, true}, {"NumericEquals", `100`, `1e2`, true},
		// Strings compare by UTF-16 code units, as Java's compareTo.
		{"StringLessThan", `"😀"`, `"\uffff"`, true}, {"StringLessThan", `"a"`, `"B"`, false}, {"StringGreaterThan", `"é"`, `"e"`, true},
		{"StringEquals", `"ünï"`, `"ünï"`, true}, {"StringEquals", `"e\u0301"`, `"é"`, false},
		// Timestamps compare as instants, across offsets and fractions.
		{"TimestampEquals", `"2012-10-09T20:00:55+01:00"`, t0, true},
		{"TimestampEquals", `"2012-10-09T14:30:55-04:30"`, t0, true},
		{"TimestampLessThan", `"2012-10-09T19:00:55.999999999Z"`, t1, true},
		{"TimestampGreaterThan", `"2012-10-09T19:00:55.000000001Z"`, t0, true},
		{"TimestampEquals", `"2012-10-09T19:00:55.000Z"`, t0, true},
		{"TimestampEquals", `"2012-10-09t19:00:55Z"`, t0, false},
		{"TimestampEquals", `"2012-10-09T19:00:55z"`, t0, false},
		{"TimestampLessThan", `"1969-12-31T23:59:59Z"`, `"1970-01-01T00:00:00Z"`, true},
		{"TimestampGreaterThan", `"2024-02-29T00:00:00Z"`, `"2024-02-28T23:59:59Z"`, true},
		{"TimestampEquals", `"2023-02-29T00:00:00Z"`, `"2023-03-01T00:00:00Z"`, false},
	}
	for _, tc := range cases {
		rule := `{"Variable": "$.Variable", "` + tc.operator + `": ` + tc.value + `}`
		input := `{"Variable": ` + tc.variable + `}`
		if got := evalRule(t, rule, input); got != tc.want {
			t.Errorf("%s on %s = %v, want %v", rule, input, got, tc.want)
		}
		pathRule := `{"Variable": "$.Variable", "` + tc.operator + `Path": "$.Value"}`
		pathInput := `{"Variable": ` + tc.variable + `, "Value": ` + tc.value + `}`
		if got := evalRule(t, pathRule, pathInput); got != tc.want {
			t.Errorf("%s on %s = %v, want %v", pathRule, pathInput, got, tc.want)
		}
	}
}

func TestStringMatches(t *testing.T) {
	cases := []struct {
		pattern, value string
		want           bool
	}{
		{"log-*.txt", "log-.txt", true},
		{"log-*.txt", "log-a.txt", true},
		{"log-*.txt", "log-a.txt.txt", true},
		{"log-*.txt", "log.txt", false},
		{"*", "", true},
		{"*", "anything", true},
		{"**", "x", true},
		{"", "", true},
		{"", "x", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"*.txt", ".txt", true},
		{"x*", "x", true},
		// \* is a literal star (developer guide: "The wildcard character is escaped by using the
		// standard \\"); \\ is a literal backslash.
		{`\*`, "*", true},
		{`\*`, "x", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`a\\*`, `a\anything`, true},
		{`a\b`, `a\b`, true},
		{"*ü*", "grüße", true},
		{"日*語", "日本語", true},
	}
	for _, tc := range cases {
		rule := `{"Variable": "$.v", "StringMatches": ` + jsonvalue.MustEncodeString(tc.pattern) + `}`
		if got := evalRule(t, rule, `{"v": `+jsonvalue.MustEncodeString(tc.value)+`}`); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
}

func TestLogic(t *testing.T) {
	cases := []struct {
		rule, input string
		want        bool
	}{
		{`{"And": [{"Variable": "$.a", "IsPresent": true}]}`, `{"a": 1}`, true},
		{`{"Or": [{"Variable": "$.a", "NumericEquals": 2}, {"Variable": "$.a", "NumericEquals": 1}]}`, `{"a": 1}`, true},
		{`{"Or": [{"Variable": "$.a", "NumericEquals": 2}, {"Variable": "$.a", "NumericEquals": 3}]}`, `{"a": 1}`, false},
		{`{"Not": {"Not": {"Variable": "$.a", "BooleanEquals": true}}}`, `{"a": true}`, true},
		{`{"And": [{"Or": [{"Variable": "$.a", "IsNull": true}, {"Variable": "$.b", "IsString": true}]}, {"Not": {"Variable": "$.c", "IsPresent": true}}]}`, `{"a": 1, "b": "s"}`, true},
		// And stops at the first false, so the missing variable behind it is never read.
		{`{"And": [{"Variable": "$.a", "IsPresent": true}, {"Variable": "$.a", "NumericEquals": 1}]}`, `{}`, false},
		// Or stops at the first true.
		{`{"Or": [{"Variable": "$.a", "IsPresent": false}, {"Variable": "$.a", "NumericEquals": 1}]}`, `{}`, true},
		{`{"Variable": "$.list[1].name", "StringEquals": "b"}`, `{"list": [{"name": "a"}, {"name": "b"}]}`, true},
		{`{"Variable": "$['odd key']", "NumericEquals": 1}`, `{"odd key": 1}`, true},
		{`{"Variable": "$", "StringEquals": "No messages"}`, `"No messages"`, true},
	}
	for _, tc := range cases {
		if got := evalRule(t, tc.rule, tc.input); got != tc.want {
			t.Errorf("%s on %s = %v, want %v", tc.rule, tc.input, got, tc.want)
		}
	}
}

func TestContextVariables(t *testing.T) {
	r := mustCompile(t, `{"Variable": "$$.Execution.Input.kind", "StringEqualsPath": "$.kind"}`)
	ok, err := r.EvalContext(decode(t, `{"kind": "x"}`), decode(t, `{"Execution": {"Input": {"kind": "x"}}}`))
	if err != nil || !ok {
		t.Fatalf("EvalContext = %v, %v", ok, err)
	}
	if _, err := r.Eval(decode(t, `{"kind": "x"}`)); err == nil {
		t.Fatal("Eval without a context object found a $$ variable")
	}
}

func TestEvalErrors(t *testing.T) {
	cases := []struct{ rule, input, path string }{
		{`{"Variable": "$.gone", "StringEquals": "x"}`, `{}`, "$.gone"},
		{`{"Variable": "$.gone", "IsNull": true}`, `{}`, "$.gone"},
		{`{"Variable": "$.gone", "StringMatches": "*"}`, `{}`, "$.gone"},
		{`{"Variable": "$.a.b", "NumericEquals": 1}`, `{"a": 5}`, "$.a.b"},
		{`{"Variable": "$.a", "NumericEqualsPath": "$.gone"}`, `{"a": 1}`, "$.gone"},
		{`{"Not": {"Variable": "$.gone", "BooleanEquals": true}}`, `{}`, "$.gone"},
		{`{"Or": [{"Variable": "$.a", "IsNull": true}, {"Variable": "$.gone", "IsNull": true}]}`, `{"a": 1}`, "$.gone"},
	}
	for _, tc := range cases {
		ok, err := mustCompile(t, tc.rule).Eval(decode(t, tc.input))
		var stateError *states.Error
		if !errors.As(err, &stateError) || ok {
			t.Errorf("%s = %v, %v; want a States.Runtime error", tc.rule, ok, err)
			continue
		}
		want := "Invalid path '" + tc.path + "': The choice state's condition path references an invalid value."
		if stateError.Name != states.ErrRuntime || stateError.Cause != want {
			t.Errorf("%s error = %s: %s; want States.Runtime: %s", tc.rule, stateError.Name, stateError.Cause, want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		rule, field, reason string
	}{
		{`{}`, "", "needs one comparison operator"},
		{`{"Variable": "$.a", "Next": "X"}`, "", "needs one comparison operator"},
		{`{"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1}`, "StringEquals", "exactly one comparison operator, but has both NumericEquals and StringEquals"},
		{`{"Variable": "$.a", "StringEquals": "x", "And": []}`, "StringEquals", "has both And and StringEquals"},
		{`{"Variable": "$.a", "StringEqual": "x"}`, "StringEqual", "is not a field of a Choice Rule"},
		{`{"Variable": "$.a", "BooleanLessThan": true}`, "BooleanLessThan", "is not a field"},
		{`{"StringEquals": "x"}`, "Variable", "is required with StringEquals"},
		{`{"Variable": 5, "StringEquals": "x"}`, "Variable", "must be a Reference Path"},
		{`{"Variable": "a", "StringEquals": "x"}`, "Variable", "must start with '$'"},
		{`{"Variable": "$.a[*]", "StringEquals": "x"}`, "Variable", "Reference Path may only use names and single indexes"},
		{`{"Variable": "$..a", "StringEquals": "x"}`, "Variable", "Reference Path"},
		{`{"Variable": "$.a", "StringEquals": 1}`, "StringEquals", "must be a string"},
		{`{"Variable": "$.a", "StringMatches": null}`, "StringMatches", "must be a string pattern"},
		{`{"Variable": "$.a", "NumericEquals": "1"}`, "NumericEquals", "must be a number"},
		{`{"Variable": "$.a", "NumericLessThan": true}`, "NumericLessThan", "must be a number"},
		{`{"Variable": "$.a", "BooleanEquals": "true"}`, "BooleanEquals", "must be true or false"},
		{`{"Variable": "$.a", "TimestampEquals": 1}`, "TimestampEquals", "must be a timestamp string"},
		{`{"Variable": "$.a", "TimestampEquals": "2001-01-01"}`, "TimestampEquals", "is not a timestamp"},
		{`{"Variable": "$.a", "TimestampLessThan": "2001-13-01T00:00:00Z"}`, "TimestampLessThan", "is not a timestamp"},
		{`{"Variable": "$.a", "IsNull": "yes"}`, "IsNull", "must be true or false"},
		{`{"Variable": "$.a", "StringEqualsPath": "x"}`, "StringEqualsPath", "is not a valid Reference Path"},
		{`{"Variable": "$.a", "NumericEqualsPath": 1}`, "NumericEqualsPath", "must be a Reference Path"},
		{`{"Variable": "$.a", "StringEqualsPath": "$.b[0:1]"}`, "StringEqualsPath", "Reference Path"},
		{`{"Variable": "$.a", "StringEquals": "x", "Next": 3}`, "Next", "must be the name of a state"},
		{`{"Variable": "$.a", "StringEquals": "x", "Next": ""}`, "Next", "must be the name of a state"},
		{`{"Variable": "$.a", "StringEquals": "x", "Comment": 3}`, "Comment", "must be a string"},
		{`{"And": []}`, "And", "must be a non-empty array"},
		{`{"Or": {"Variable": "$.a", "IsNull": true}}`, "Or", "must be a non-empty array"},
		{`{"And": [1]}`, "And[0]", "must be a Choice Rule"},
		{`{"Variable": "$.a", "And": [{"Variable": "$.a", "IsNull": true}]}`, "Variable", "cannot be used with And"},
		{`{"Variable": "$.a", "Not": {"Variable": "$.a", "IsNull": true}}`, "Variable", "cannot be used with Not"},
		{`{"Not": [{"Variable": "$.a", "IsNull": true}]}`, "Not", "must be a Choice Rule"},
		{`{"And": [{"Variable": "$.a", "IsNull": true, "Next": "X"}], "Next": "Y"}`, "And[0].Next", "only allowed in a top-level Choice Rule"},
		{`{"Not": {"Variable": "$.a", "IsNull": true, "Next": "X"}}`, "Not.Next", "only allowed in a top-level"},
		{`{"Or": [{"Variable": "$.a", "IsNull": true}, {"Not": {"Variable": "$.a", "NumericEquals": "x"}}]}`, "Or[1].Not.NumericEquals", "must be a number"},
		{`{"And": [{"Or": [{}]}]}`, "And[0].Or[0]", "needs one comparison operator"},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			_, err := Compile(decode(t, tc.rule).(*jsonvalue.Object))
			var ruleError *Error
			if !errors.As(err, &ruleError) {
				t.Fatalf("Compile error = %v, want an *Error", err)
			}
			if ruleError.Field != tc.field || !strings.Contains(ruleError.Reason, tc.reason) {
				t.Fatalf("Compile = %q (field %q); want field %q and a reason containing %q", err, ruleError.Field, tc.field, tc.reason)
			}
		})
	}
}

func TestNextAndComment(t *testing.T) {
	r := mustCompile(t, `{"Variable": "$.a", "IsPresent": true, "Next": "Somewhere", "Comment": "why"}`)
	if r.Next() != "Somewhere" {
		t.Fatalf("Next() = %q", r.Next())
	}
	nested := mustCompile(t, `{"Not": {"Variable": "$.a", "IsPresent": true}}`)
	if nested.Next() != "" {
		t.Fatalf("Next() of a rule without Next = %q", nested.Next())
	}
}

func TestEvalDoesNotAllocate(t *testing.T) {
	input := decode(t, `{"type": "Private", "value": 22, "when": "2024-05-01T10:00:00+02:00", "name": "log-7.txt", "limit": 30}`)
	rules := []string{
		`{"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThanPath": "$.limit"}], "Next": "X"}`,
		`{"Not": {"Variable": "$.type", "StringEquals": "Public"}}`,
		`{"Variable": "$.when", "TimestampGreaterThan": "2024-05-01T07:59:59Z"}`,
		`{"Variable": "$.name", "StringMatches": "log-*.txt"}`,
		`{"Or": [{"Variable": "$.missing", "IsPresent": true}, {"Variable": "$.when", "IsTimestamp": true}]}`,
	}
	for _, raw := range rules {
		r := mustCompile(t, raw)
		if ok, err := r.Eval(input); err != nil || !ok {
			t.Fatalf("%s = %v, %v", raw, ok, err)
		}
		if allocations := testing.AllocsPerRun(100, func() { _, _ = r.Eval(input) }); allocations != 0 {
			t.Errorf("%s allocates %.0f times per Eval", raw, allocations)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	valid := []string{"2016-08-18T17:33:00Z", "2016-08-18T17:33:00.5Z", "2016-08-18T17:33:00.123456789012Z", "2016-08-18T17:33:00+05:30",
		"2016-08-18T17:33:00-00:00", "2000-02-29T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}
	for _, s := range valid {
		if _, ok := parseTimestamp(s); !ok {
			t.Errorf("parseTimestamp(%q) failed", s)
		}
	}
	invalid := []string{"", "2016-08-18", "2016-08-18T17:33:00", "2016-08-18 17:33:00Z", "2016-08-18t17:33:00Z", "2016-08-18T17:33:00z",
		"2016-08-18T17:33Z", "2016-08-18T17:33:00.Z", "2016-08-18T24:00:00Z", "2016-08-18T17:60:00Z", "2016-08-18T17:33:60Z",
		"2016-00-18T17:33:00Z", "2016-08-32T17:33:00Z", "1900-02-29T00:00:00Z", "2016-08-18T17:33:00+0530", "2016-08-18T17:33:00+24:00",
		"2016-08-18T17:33:00+05:60", "2016-08-18T17:33:00ZZ", "+016-08-18T17:33:00Z", "2016-08-18T17:33:00 Z"}
	for _, s := range invalid {
		if _, ok := parseTimestamp(s); ok {
			t.Errorf("parseTimestamp(%q) accepted an invalid timestamp", s)
		}
	}
	epoch, _ := parseTimestamp("1970-01-01T00:00:00Z")
	later, _ := parseTimestamp("2001-09-09T01:46:40Z")
	if epoch.seconds != 0 || later.seconds != 1000000000 {
		t.Fatalf("epoch %d, 2001-09-09T01:46:40Z %d", epoch.seconds, later.seconds)
	}
}
