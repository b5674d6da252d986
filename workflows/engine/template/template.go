// Package template implements payload templates: the Parameters, ResultSelector and ItemSelector
// fields (and a Task's Parameters). A template is JSON in which every object key ending in ".$"
// takes its value from a path into the state input ($...), a path into the context object
// ($$...), or an intrinsic function call, and appears in the result without the ".$"; everything
// else is copied as it is, at any depth, inside objects and arrays alike.
//
// Compile checks a template once; Eval builds a payload from it as often as needed, from many
// goroutines. A template without any ".$" key evaluates to one shared value without allocating.
//
// When a path finds nothing, Step Functions fails the state with States.Runtime and the cause
// "The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '...'" (as
// recorded against AWS in LocalStack's test_invalid_jsonpath cases for both $ and $$ paths), not
// with the States.ParameterPathFailure that the language specification describes; Eval does the
// same.
package template

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/fasttrack/fasttrack/workflows/engine/intrinsic"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonpath"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// Error is a template that cannot compile: which key (its place in the template, such as
// "Parameters.list[0].name.$") and why.
type Error struct {
	Key    string
	Reason string
}

func (e *Error) Error() string { return e.Key + ": " + e.Reason }

type nodeKind uint8

const (
	nodeConstant nodeKind = iota
	nodeObject
	nodeArray
	nodePath
	nodeCall
)

// node is a compiled part of a template.
type node struct {
	kind     nodeKind
	value    any     // nodeConstant
	fields   []field // nodeObject
	elements []node  // nodeArray
	key      string  // nodePath, nodeCall: the key as written, such as "name.$"
	path     *jsonpath.Path
	call     *intrinsic.Call
}

type field struct {
	name string
	node node
}

// Template is a compiled payload template. It is immutable and safe for concurrent use.
type Template struct {
	root node
}

// Compile compiles a template given as decoded JSON (see jsonvalue.Decode). The error is an
// *Error naming the key, such as "foo.$: ...".
func Compile(raw any) (*Template, error) { return CompileNamed("", raw) }

// CompileNamed is Compile with the name of the field that holds the template, which prefixes the
// keys in errors: CompileNamed("Parameters", raw) reports "Parameters.foo.$: ...".
func CompileNamed(name string, raw any) (*Template, error) {
	root, err := compileNode(name, raw)
	if err != nil {
		return nil, err
	}
	return &Template{root: root}, nil
}

// Constant reports whether the template has no ".$" key, so that Eval always returns the same
// value.
func (t *Template) Constant() bool { return t.root.kind == nodeConstant }

func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func compileNode(where string, raw any) (node, error) {
	switch v := raw.(type) {
	case *jsonvalue.Object:
		// The fields keep the template's order, which is the order of the payload's keys.
		fields := make([]field, 0, v.Len())
		dynamic := false
		owner := make(map[string]string, v.Len())
		for _, m := range v.Members() {
			k := m.Key
			name := k
			var n node
			var err error
			if strings.HasSuffix(k, ".$") {
				name = strings.TrimSuffix(k, ".$")
				n, err = compileDynamic(joinKey(where, k), k, m.Value)
			} else {
				n, err = compileNode(joinKey(where, k), m.Value)
			}
			if err != nil {
				return node{}, err
			}
			if other, taken := owner[name]; taken {
				return node{}, &Error{Key: joinKey(where, k), Reason: fmt.Sprintf("conflicts with the key %q, which gives the same field", other)}
			}
			owner[name] = k
			dynamic = dynamic || n.kind != nodeConstant
			fields = append(fields, field{name: name, node: n})
		}
		if !dynamic {
			return node{kind: nodeConstant, value: raw}, nil
		}
		return node{kind: nodeObject, fields: fields}, nil
	case []any:
		elements := make([]node, len(v))
		dynamic := false
		for i, e := range v {
			n, err := compileNode(where+"["+strconv.Itoa(i)+"]", e)
			if err != nil {
				return node{}, err
			}
			elements[i] = n
			dynamic = dynamic || n.kind != nodeConstant
		}
		if !dynamic {
			return node{kind: nodeConstant, value: raw}, nil
		}
		return node{kind: nodeArray, elements: elements}, nil
	}
	return node{kind: nodeConstant, value: raw}, nil
}

// compileDynamic compiles the value of a key ending in ".$".
func compileDynamic(where, key string, raw any) (node, error) {
	s, ok := raw.(string)
	if !ok {
		return node{}, &Error{Key: where, Reason: fmt.Sprintf("the value of a key ending in .$ must be a string holding a path or an intrinsic function, not %s", describe(raw))}
	}
	if strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "$") {
		path, err := jsonpath.Compile(s)
		if err != nil {
			return node{}, &Error{Key: where, Reason: reason(err)}
		}
		return node{kind: nodePath, key: key, path: path}, nil
	}
	if intrinsic.IsCall(s) {
		call, err := intrinsic.Parse(s)
		if err != nil {
			return node{}, &Error{Key: where, Reason: reason(err)}
		}
		return node{kind: nodeCall, key: key, call: call}, nil
	}
	return node{}, &Error{Key: where, Reason: fmt.Sprintf("the value of a key ending in .$ must be a path ($... or $$...) or an intrinsic function (States.Xxx(...)), not %q", s)}
}

// reason is the text of a path or intrinsic syntax error, with the offset.
func reason(err error) string {
	var pathError *jsonpath.SyntaxError
	if errors.As(err, &pathError) {
		return fmt.Sprintf("invalid path %q at offset %d: %s", pathError.Expr, pathError.Offset, pathError.Reason)
	}
	var callError *intrinsic.SyntaxError
	if errors.As(err, &callError) {
		return fmt.Sprintf("invalid intrinsic function %q at offset %d: %s", callError.Expr, callError.Offset, callError.Reason)
	}
	return err.Error()
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case *jsonvalue.Object:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	}
	return "a number"
}

// Eval builds the payload. Paths starting with $ read input, those starting with $$ read
// context. The error is a *states.Error: States.Runtime when a path finds nothing, or the error
// of an intrinsic function (States.IntrinsicFailure, ...) with the key added to its cause.
func (t *Template) Eval(input, context any) (any, error) {
	if t.root.kind == nodeConstant {
		return t.root.value, nil
	}
	return t.root.eval(input, context)
}

func (n *node) eval(input, context any) (any, error) {
	switch n.kind {
	case nodeConstant:
		return n.value, nil
	case nodeObject:
		// The names are distinct (Compile refuses "a" beside "a.$").
		members := make([]jsonvalue.Member, len(n.fields))
		for i := range n.fields {
			f := &n.fields[i]
			v, err := f.node.eval(input, context)
			if err != nil {
				return nil, err
			}
			members[i] = jsonvalue.Member{Key: f.name, Value: v}
		}
		return jsonvalue.NewObject(members...), nil
	case nodeArray:
		out := make([]any, len(n.elements))
		for i := range n.elements {
			v, err := n.elements[i].eval(input, context)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case nodePath:
		doc := input
		if n.path.Context() {
			doc = context
		}
		v, ok := n.path.Get(doc)
		if !ok {
			return nil, states.NewError(states.ErrRuntime, "The JSONPath '"+n.path.String()+"' specified for the field '"+n.key+"' could not be found in the input '"+intrinsic.Excerpt(doc)+"'")
		}
		return v, nil
	default:
		v, err := n.call.Eval(input, context)
		if err != nil {
			var stateError *states.Error
			if errors.As(err, &stateError) {
				return nil, states.NewError(stateError.Name, stateError.Cause+" (in the field '"+n.key+"')")
			}
			return nil, states.NewError(states.ErrIntrinsicFailure, err.Error()+" (in the field '"+n.key+"')")
		}
		return v, nil
	}
}
