package jsonpath

import (
	"encoding/json"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

type filterKind uint8

const (
	filterOr filterKind = iota
	filterAnd
	filterNot
	filterExists
	filterCompare
)

type comparisonOperator uint8

const (
	operatorEqual comparisonOperator = iota
	operatorNotEqual
	operatorLess
	operatorLessEqual
	operatorGreater
	operatorGreaterEqual
)

type operandKind uint8

const (
	operandLiteral operandKind = iota
	operandCurrent             // @...
	operandRoot                // $...
)

// operand is one side of a filter comparison.
type operand struct {
	kind     operandKind
	segments []segment // names and single indexes
	value    any       // for literals: string, json.Number, bool or nil
}

// resolve returns the operand's value, or false when its path finds nothing.
func (o *operand) resolve(current, root any) (any, bool) {
	switch o.kind {
	case operandCurrent:
		return getDefinite(o.segments, current)
	case operandRoot:
		return getDefinite(o.segments, root)
	}
	return o.value, true
}

// filterNode is a node of a compiled filter expression.
type filterNode struct {
	kind        filterKind
	left, right *filterNode
	op          comparisonOperator
	lhs, rhs    operand
}

// matches evaluates the filter with @ bound to current. The semantics follow Jayway: == and !=
// compare values of the same type (numbers by value, 1 is not equal to '1'); <, <=, > and >= hold
// only between two numbers or two strings; a path that finds nothing equals nothing, so != holds
// for it.
func (f *filterNode) matches(current, root any) bool {
	switch f.kind {
	case filterOr:
		return f.left.matches(current, root) || f.right.matches(current, root)
	case filterAnd:
		return f.left.matches(current, root) && f.right.matches(current, root)
	case filterNot:
		return !f.left.matches(current, root)
	case filterExists:
		_, ok := f.lhs.resolve(current, root)
		return ok
	}
	left, leftOK := f.lhs.resolve(current, root)
	right, rightOK := f.rhs.resolve(current, root)
	switch f.op {
	case operatorEqual:
		return leftOK && rightOK && jsonvalue.Equal(left, right)
	case operatorNotEqual:
		return !(leftOK && rightOK && jsonvalue.Equal(left, right))
	}
	if !leftOK || !rightOK {
		return false
	}
	c, ok := order(left, right)
	if !ok {
		return false
	}
	switch f.op {
	case operatorLess:
		return c < 0
	case operatorLessEqual:
		return c <= 0
	case operatorGreater:
		return c > 0
	default:
		return c >= 0
	}
}

// order compares two numbers or two strings.
func order(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return jsonvalue.CompareStrings(x, y), true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return 0, false
		}
		return jsonvalue.CompareNumbers(x, y)
	}
	return 0, false
}
