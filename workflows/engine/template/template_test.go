package template

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

const contextObject = `{
  "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:stateMachineName:executionName",
    "Input": {"key": "value"}, "Name": "executionName", "StartTime": "2019-03-26T20:14:13.192Z"},
  "State": {"EnteredTime": "2019-03-26T20:14:13.192Z", "Name": "Test", "RetryCount": 3},
  "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:stateMachineName", "Name": "stateMachineName"},
  "Task": {"Token": "h7XRiCdLtd/83p1E0dMccoxlzFhglsdkzpK9mBVKZsp7d9yrT1W"},
  "Map": {"Item": {"Index": 2, "Value": {"id": "x"}}}
}`

func TestEval(t *testing.T) {
	cases := []struct {
		name, template, input, want string
	}{
		// Developer guide, "InputPath, Parameters and ResultSelector", Key-value pairs.
		{"guide: Parameters key-value pairs",
			`{"comment": "Selecting what I care about.", "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability", "StaticValue": "foo"}}`,
			`{"comment": "Example for Parameters.", "product": {"details": {"color": "blue", "size": "small", "material": "cotton"}, "availability": "in stock", "sku": "2317", "cost": "$23"}}`,
			`{"comment": "Selecting what I care about.", "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"}}`},
		// Same page, ResultSelector.
		{"guide: ResultSelector",
			`{"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"}`,
			`{"resourceType": "elasticmapreduce", "resource": "createCluster.sync", "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"}}`,
			`{"ResourceType": "elasticmapreduce", "ClusterId": "AKIAIOSFODNN7EXAMPLE"}`},
		// Developer guide, "Context object": the SQS example and the Pass state example.
		{"guide: context object in a nested object",
			`{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/flight-purchase", "MessageBody": {"From": "YVR", "To": "SEA", "Execution.$": "$$.Execution.Id"}}`,
			`{}`,
			`{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/flight-purchase", "MessageBody": {"From": "YVR", "To": "SEA", "Execution": "arn:aws:states:us-east-1:123456789012:execution:stateMachineName:executionName"}}`},
		{"guide: execution start time and name",
			`{"startTime.$": "$$.Execution.StartTime", "execName.$": "$$.Execution.Name"}`, `{}`,
			`{"startTime": "2019-03-26T20:14:13.192Z", "execName": "executionName"}`},
		// Same page, Map state context: Index and Value of the item.
		{"guide: Map item index and value",
			`{"ContextIndex.$": "$$.Map.Item.Index", "ContextValue.$": "$$.Map.Item.Value"}`, `{}`,
			`{"ContextIndex": 2, "ContextValue": {"id": "x"}}`},
		// Developer guide, intrinsic functions: "KeyId.$": "States.Array($.Id)".
		{"guide: intrinsic function", `{"BuildId.$": "States.Array($.Id)"}`, `{"Id": 123456}`, `{"BuildId": [123456]}`},
		// Developer guide, Paths: "Flattening an array of arrays" with ResultSelector "$[*][*]".
		{"guide: flatten an array of arrays", `{"flattenArray.$": "$[*][*]"}`, `[[1, 2, 3], [4, 5, 6], [7, 8, 9]]`, `{"flattenArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}`},
		{"whole input", `{"all.$": "$"}`, `{"a": [1]}`, `{"all": {"a": [1]}}`},
		{"whole context", `{"ctx.$": "$$.State"}`, `null`, `{"ctx": {"EnteredTime": "2019-03-26T20:14:13.192Z", "Name": "Test", "RetryCount": 3}}`},
		{"dynamic keys inside arrays", `{"list": [1, {"a.$": "$.x"}, [{"b.$": "$.y"}], "c"]}`, `{"x": "X", "y": ["Y"]}`, `{"list": [1, {"a": "X"}, [{"b": ["Y"]}], "c"]}`},
		{"top-level array", `[{"a.$": "$.x"}, 2]`, `{"x": null}`, `[{"a": null}, 2]`},
		{"nested dynamic objects", `{"a": {"b": {"c.$": "$.v", "d": {"e": true}}}, "f": [null]}`, `{"v": 1.50}`, `{"a": {"b": {"c": 1.50, "d": {"e": true}}}, "f": [null]}`},
		{"indefinite path gives a list", `{"ids.$": "$.items[*].id", "none.$": "$.items[?(@.id > 9)]"}`, `{"items": [{"id": 1}, {"id": 2}]}`, `{"ids": [1, 2], "none": []}`},
		{"string that looks like a path is literal without .$", `{"a": "$.x", "b": "States.UUID()"}`, `{"x": 1}`, `{"a": "$.x", "b": "States.UUID()"}`},
		{"unicode keys and values", `{"ünï.$": "$['ключ']", "日本": "語"}`, `{"ключ": "значение"}`, `{"ünï": "значение", "日本": "語"}`},
		{"a key that is only .$", `{".$": "$.a"}`, `{"a": 1}`, `{"": 1}`},
		{"big numbers pass through", `{"n.$": "$.n", "m": 123456789012345678901234567890}`, `{"n": 98765432109876543210987654321}`, `{"n": 98765432109876543210987654321, "m": 123456789012345678901234567890}`},
		{"nested quotes", `{"q.$": "States.Format('She said \"{}\"', $.w)"}`, `{"w": "it's"}`, `{"q": "She said \"it's\""}`},
	}
	ctx := decode(t, contextObject)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Compile(decode(t, tc.template))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			input := decode(t, tc.input)
			before := jsonvalue.MustEncodeString(input)
			got, err := tmpl.Eval(input, ctx)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if want := decode(t, tc.want); !jsonvalue.Equal(got, want) {
				t.Fatalf("Eval = %s, want %s", jsonvalue.MustEncodeString(got), tc.want)
			}
			if jsonvalue.MustEncodeString(input) != before {
				t.Fatal("Eval changed the input")
			}
			if dynamic := strings.Contains(tc.template, `.$"`); tmpl.Constant() == dynamic {
				t.Fatalf("Constant() = %v for %s", tmpl.Constant(), tc.template)
			}
		})
	}
}

func TestConstantTemplate(t *testing.T) {
	for _, raw := range []string{`{"a": 1, "b": {"c": ["d", {"e": null}]}, "f": "$.not.a.path"}`, `"text"`, `[1, 2]`, `null`, `{}`, `[]`} {
		value := decode(t, raw)
		tmpl, err := Compile(value)
		if err != nil {
			t.Fatal(err)
		}
		if !tmpl.Constant() {
			t.Fatalf("%s is not Constant", raw)
		}
		got, err := tmpl.Eval(decode(t, `{"x": 1}`), nil)
		if err != nil || !jsonvalue.Equal(got, value) {
			t.Fatalf("Eval = %v, %v", got, err)
		}
		allocations := testing.AllocsPerRun(100, func() {
			if _, err := tmpl.Eval(nil, nil); err != nil {
				t.Fatal(err)
			}
		})
		if allocations != 0 {
			t.Fatalf("a constant template allocates %.0f times per Eval", allocations)
		}
	}
}

func TestConstantPartsAreShared(t *testing.T) {
	raw := decode(t, `{"static": {"deep": [1, 2]}, "dynamic.$": "$.x"}`)
	tmpl, err := Compile(raw)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := tmpl.Eval(decode(t, `{"x": 1}`), nil)
	second, _ := tmpl.Eval(decode(t, `{"x": 2}`), nil)
	a, _ := first.(*jsonvalue.Object).Get("static")
	b, _ := second.(*jsonvalue.Object).Get("static")
	if a.(*jsonvalue.Object) != b.(*jsonvalue.Object) {
		t.Fatal("the constant part of the template was copied")
	}
	x, _ := first.(*jsonvalue.Object).Get("dynamic")
	y, _ := second.(*jsonvalue.Object).Get("dynamic")
	if x == y {
		t.Fatal("the dynamic part did not change")
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		template string
		key      string
		reason   string
	}{
		{`{"foo.$": 12}`, "Parameters.foo.$", "must be a string holding a path or an intrinsic function, not a number"},
		{`{"foo.$": {"a": 1}}`, "Parameters.foo.$", "not an object"},
		{`{"foo.$": null}`, "Parameters.foo.$", "not null"},
		{`{"foo.$": "plain text"}`, "Parameters.foo.$", `must be a path ($... or $$...) or an intrinsic function (States.Xxx(...)), not "plain text"`},
		{`{"foo.$": ""}`, "Parameters.foo.$", "must be a path"},
		{`{"foo.$": "$.a["}`, "Parameters.foo.$", `invalid path "$.a[" at offset 3: unclosed '['`},
		{`{"foo.$": "$$.a..*.b[?("}`, "Parameters.foo.$", "invalid path"},
		{`{"foo.$": "States.Nope()"}`, "Parameters.foo.$", `invalid intrinsic function "States.Nope()" at offset 0: unknown intrinsic function States.Nope`},
		{`{"foo.$": "States.MathAdd(1)"}`, "Parameters.foo.$", "takes exactly 2 arguments"},
		{`{"a": {"b": [0, {"c.$": "$.x y"}]}}`, "Parameters.a.b[1].c.$", "white space"},
		{`{"a": 1, "a.$": "$.a"}`, "Parameters.a.$", `conflicts with the key "a"`},
		{`[{"x.$": 5}]`, "Parameters[0].x.$", "must be a string"},
	}
	for _, tc := range cases {
		t.Run(tc.template, func(t *testing.T) {
			_, err := CompileNamed("Parameters", decode(t, tc.template))
			var templateError *Error
			if !errors.As(err, &templateError) {
				t.Fatalf("CompileNamed error = %v, want an *Error", err)
			}
			if templateError.Key != tc.key || !strings.Contains(templateError.Reason, tc.reason) {
				t.Fatalf("error = %q; want key %q and a reason containing %q", err, tc.key, tc.reason)
			}
			if !strings.HasPrefix(err.Error(), tc.key+": ") {
				t.Fatalf("Error() = %q does not start with the key", err)
			}
		})
	}
	if _, err := Compile(decode(t, `{"foo.$": 1}`)); err == nil || !strings.HasPrefix(err.Error(), "foo.$: ") {
		t.Fatalf("Compile without a name: %v", err)
	}
}

func TestEvalErrors(t *testing.T) {
	cases := []struct {
		name, template, input string
		errorName, cause      string
	}{
		// The cause AWS gives (LocalStack test_invalid_jsonpath[INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH],
		// recorded): "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could
		// not be found in the input '...'", under States.Runtime.
		{"missing path", `{"value.$": "$.no_such_jsonpath"}`, `{"a": 1}`, states.ErrRuntime,
			`The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"a":1}'`},
		{"missing context path", `{"value.$": "$$.Execution.Input.no_such_jsonpath"}`, `{}`, states.ErrRuntime,
			`The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' could not be found in the input`},
		{"missing nested path", `{"a": [{"deep.$": "$.x.y"}]}`, `{"x": {}}`, states.ErrRuntime, `specified for the field 'deep.$'`},
		{"indefinite path whose start is missing", `{"v.$": "$.nothing[*]"}`, `{}`, states.ErrRuntime, "could not be found"},
		{"intrinsic failure", `{"n.$": "States.MathAdd($.a, 1)"}`, `{"a": "one"}`, states.ErrIntrinsicFailure,
			"States.MathAdd: argument 1 must be a number, not a string (\"one\") (in the field 'n.$')"},
		{"path inside an intrinsic", `{"n.$": "States.Format('{}', $.gone)"}`, `{}`, states.ErrRuntime, "'$.gone' could not be found in the input '{}' (in the field 'n.$')"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Compile(decode(t, tc.template))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Eval(decode(t, tc.input), decode(t, contextObject))
			var stateError *states.Error
			if !errors.As(err, &stateError) {
				t.Fatalf("Eval = %v, %v; want a *states.Error", got, err)
			}
			if stateError.Name != tc.errorName || !strings.Contains(stateError.Cause, tc.cause) {
				t.Fatalf("Eval error %s: %s; want %s containing %q", stateError.Name, stateError.Cause, tc.errorName, tc.cause)
			}
		})
	}
}

func TestLongInputIsCutInCauses(t *testing.T) {
	tmpl, _ := Compile(decode(t, `{"v.$": "$.missing"}`))
	_, err := tmpl.Eval(jsonvalue.NewObject(jsonvalue.Member{Key: "big", Value: strings.Repeat("é", 5000)}), nil)
	var stateError *states.Error
	if !errors.As(err, &stateError) || len(stateError.Cause) > 1300 || !strings.Contains(stateError.Cause, "...") {
		t.Fatalf("cause of %d bytes: %.80q", len(stateError.Cause), stateError.Cause)
	}
}

func TestConcurrentEval(t *testing.T) {
	tmpl, err := Compile(decode(t, `{"id.$": "$.id", "list": [{"twice.$": "States.Array($.id, $.id)"}], "static": "s"}`))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 300; i++ {
				id := g*1000 + i
				got, err := tmpl.Eval(jsonvalue.NewObject(jsonvalue.Member{Key: "id", Value: id}), nil)
				if err != nil {
					errs <- err
					return
				}
				m := jsonvalue.ToGo(got).(map[string]any)
				twice := m["list"].([]any)[0].(map[string]any)["twice"].([]any)
				if m["id"] != id || twice[0] != id || twice[1] != id || m["static"] != "s" {
					errs <- errors.New("wrong payload: " + jsonvalue.MustEncodeString(got))
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
