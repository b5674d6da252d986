// Package intrinsic implements the intrinsic functions of the Amazon States Language
// (States.Format, States.Array, States.Hash, ...), as the Step Functions developer guide documents
// them: https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html.
//
// Parse compiles a call once; Eval evaluates it against a state input and a context object as
// many times as needed, from many goroutines. Errors at run time are *states.Error values:
// States.IntrinsicFailure when a function cannot compute its result (a wrong argument type, a
// value outside a documented limit), States.Runtime when a path argument selects nothing, which
// is how Step Functions reports every path that finds nothing in the input.
package intrinsic

import (
	"strings"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonpath"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// valueType is a set of JSON types.
type valueType uint8

const (
	typeString valueType = 1 << iota
	typeNumber
	typeBoolean
	typeNull
	typeArray
	typeObject
	typeAny = typeString | typeNumber | typeBoolean | typeNull | typeArray | typeObject
)

// String names the types for messages: "a string", "a number or a string", "any value".
func (t valueType) String() string {
	if t == typeAny {
		return "any value"
	}
	var names []string
	for _, each := range []struct {
		t    valueType
		name string
	}{{typeString, "a string"}, {typeNumber, "a number"}, {typeBoolean, "a boolean"}, {typeNull, "null"}, {typeArray, "an array"}, {typeObject, "an object"}} {
		if t&each.t != 0 {
			names = append(names, each.name)
		}
	}
	return strings.Join(names, " or ")
}

// typeOf is the type of a JSON value.
func typeOf(v any) valueType {
	switch v.(type) {
	case string:
		return typeString
	case bool:
		return typeBoolean
	case nil:
		return typeNull
	case []any:
		return typeArray
	case *jsonvalue.Object:
		return typeObject
	}
	if jsonvalue.IsNumber(v) {
		return typeNumber
	}
	return 0
}

type argumentKind uint8

const (
	argumentLiteral argumentKind = iota
	argumentPath
	argumentCall
)

// argument is one compiled argument of a call.
type argument struct {
	kind   argumentKind
	offset int
	value  any // literal (or a nested call evaluated at parse time)
	folded bool
	pieces []string // a string literal split at its {} placeholders
	path   *jsonpath.Path
	call   *Call
}

// Call is a compiled intrinsic function call. It is immutable and safe for concurrent use.
type Call struct {
	text      string
	offset    int
	function  *function
	arguments []argument
	constant  bool
	value     any
}

// String returns the call as it was given to Parse.
func (c *Call) String() string { return c.text }

// Name returns the function's name, such as "States.Format".
func (c *Call) Name() string { return "States." + c.function.name }

// Eval evaluates the call. Path arguments starting with $ read input and those starting with $$
// read context. The error is a *states.Error: States.Runtime when a path argument selects
// nothing, States.IntrinsicFailure for any other failure, with a cause that names the function
// and the argument.
func (c *Call) Eval(input, context any) (any, error) {
	if c.constant {
		return c.value, nil
	}
	values := make([]any, len(c.arguments))
	for i := range c.arguments {
		a := &c.arguments[i]
		switch a.kind {
		case argumentLiteral:
			values[i] = a.value
		case argumentPath:
			doc := input
			if a.path.Context() {
				doc = context
			}
			v, ok := a.path.Get(doc)
			if !ok {
				return nil, pathNotFound(a.path, doc)
			}
			values[i] = v
		case argumentCall:
			v, err := a.call.Eval(input, context)
			if err != nil {
				return nil, err
			}
			values[i] = v
		}
		if a.kind == argumentLiteral {
			continue // checked by Parse
		}
		want := c.function.parameter(i)
		if typeOf(values[i])&want.types == 0 {
			return nil, failure("States.%s: argument %d must be %s, not %s", c.function.name, i+1, want.types, describe(values[i]))
		}
		if want.check != nil {
			if err := want.check(values[i]); err != nil {
				return nil, failure("States.%s: argument %d %v", c.function.name, i+1, err)
			}
		}
	}
	return c.function.evaluate(c, values)
}

// pathNotFound is the error for a path argument that selects nothing, worded as Step Functions
// words it for payload templates.
func pathNotFound(path *jsonpath.Path, doc any) error {
	where := "input"
	if path.Context() {
		where = "context object"
	}
	return states.NewError(states.ErrRuntime, "The JSONPath '"+path.String()+"' could not be found in the "+where+" '"+Excerpt(doc)+"'")
}

// ExcerptLimit is how much of a document an error cause quotes.
const ExcerptLimit = 1024

// Excerpt renders a document for an error cause: its JSON, cut to ExcerptLimit bytes.
func Excerpt(doc any) string {
	s, err := jsonvalue.EncodeString(doc)
	if err != nil {
		return "<unencodable>"
	}
	if len(s) > ExcerptLimit {
		cut := ExcerptLimit
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// describe names a value's type, and the value when short, for messages.
func describe(v any) string {
	t := typeOf(v)
	switch t {
	case typeNull:
		return "null"
	case typeString, typeNumber, typeBoolean:
		s := jsonvalue.MustEncodeString(v)
		if len(s) <= 40 {
			return t.String() + " (" + s + ")"
		}
	}
	return t.String()
}
