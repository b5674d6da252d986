// Package choice implements the Choice Rules of a Choice state, as the developer guide documents
// them (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html): every comparison
// operator and its Path form, StringMatches, the Is* tests, and And, Or and Not.
//
// Compile checks a rule once (one comparison operator per rule, Next only at the top, operand
// types right, the field named in the error); Eval then decides it without allocating. A
// comparison on a value of the wrong type is false, not an error, as the guide says: "Step
// Functions doesn't attempt to match a numeric field to a string value". Strings compare as
// Java's String.compareTo (UTF-16 code units), numbers exactly, timestamps as instants.
package choice

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonpath"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// Error is a Choice Rule that does not compile: the field, as a path from the rule (such as
// "And[1].Not.NumericEquals"), and the reason.
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

type ruleKind uint8

const (
	ruleAnd ruleKind = iota
	ruleOr
	ruleNot
	ruleCompare
	ruleMatches
	ruleIs
)

type family uint8

const (
	familyString family = iota
	familyNumeric
	familyBoolean
	familyTimestamp
)

type relation uint8

const (
	relationEquals relation = iota
	relationLessThan
	relationGreaterThan
	relationLessThanEquals
	relationGreaterThanEquals
)

type test uint8

const (
	testNull test = iota
	testPresent
	testNumeric
	testString
	testBoolean
	testTimestamp
)

// comparison describes one comparison operator field.
type comparison struct {
	family   family
	relation relation
	path     bool
}

var (
	comparisons = map[string]comparison{}
	tests       = map[string]test{
		"IsNull": testNull, "IsPresent": testPresent, "IsNumeric": testNumeric,
		"IsString": testString, "IsBoolean": testBoolean, "IsTimestamp": testTimestamp,
	}
)

func init() {
	relations := []struct {
		name     string
		relation relation
	}{
		{"Equals", relationEquals}, {"LessThan", relationLessThan}, {"GreaterThan", relationGreaterThan},
		{"LessThanEquals", relationLessThanEquals}, {"GreaterThanEquals", relationGreaterThanEquals},
	}
	families := []struct {
		name   string
		family family
	}{{"String", familyString}, {"Numeric", familyNumeric}, {"Timestamp", familyTimestamp}, {"Boolean", familyBoolean}}
	for _, f := range families {
		for _, r := range relations {
			if f.family == familyBoolean && r.relation != relationEquals {
				continue
			}
			comparisons[f.name+r.name] = comparison{family: f.family, relation: r.relation}
			comparisons[f.name+r.name+"Path"] = comparison{family: f.family, relation: r.relation, path: true}
		}
	}
}

// Rule is a compiled Choice Rule. It is immutable and safe for concurrent use.
type Rule struct {
	kind     ruleKind
	next     string
	children []*Rule

	variable *jsonpath.Path
	operator string // the operator field, for messages
	compare  comparison
	test     test
	expected bool // the value of an Is* field

	operandPath *jsonpath.Path
	text        string      // string operand
	number      json.Number // numeric operand
	boolean     bool
	instant     timestamp
	pattern     []string // StringMatches: the literal pieces between the wildcards
}

// Compile compiles one Choice Rule, given as decoded JSON: a top-level rule, which may have Next,
// or a rule nested in And, Or or Not. Compile does not require Next (the caller knows whether
// the rule is one of a state's Choices). The error is an *Error naming the field.
func Compile(raw *jsonvalue.Object) (*Rule, error) {
	return compile(raw, "", true)
}

// Next returns the state a top-level rule leads to; "" for nested rules.
func (r *Rule) Next() string { return r.next }

func join(where, field string) string {
	if where == "" {
		return field
	}
	if field == "" {
		return where
	}
	return where + "." + field
}

func compile(raw *jsonvalue.Object, where string, top bool) (*Rule, error) {
	fail := func(field, format string, args ...any) (*Rule, error) {
		return nil, &Error{Field: join(where, field), Reason: fmt.Sprintf(format, args...)}
	}
	// Fields in byte order, so that a rule with two operators names them the same way
	// whatever order they were written in.
	keys := raw.Keys()
	slices.Sort(keys)
	var operators []string
	for _, k := range keys {
		switch k {
		case "Variable", "Next", "Comment":
		case "And", "Or", "Not":
			operators = append(operators, k)
		default:
			_, isComparison := comparisons[k]
			_, isTest := tests[k]
			if !isComparison && !isTest && k != "StringMatches" {
				return fail(k, "is not a field of a Choice Rule")
			}
			operators = append(operators, k)
		}
	}
	switch len(operators) {
	case 0:
		return fail("", "a Choice Rule needs one comparison operator (such as StringEquals or IsPresent), or And, Or or Not")
	case 1:
	default:
		return fail(operators[1], "a Choice Rule takes exactly one comparison operator, but has both %s and %s", operators[0], operators[1])
	}
	r := &Rule{operator: operators[0]}
	if next, ok := raw.Get("Next"); ok {
		if !top {
			return fail("Next", "is only allowed in a top-level Choice Rule, not inside And, Or or Not")
		}
		s, isString := next.(string)
		if !isString || s == "" {
			return fail("Next", "must be the name of a state")
		}
		r.next = s
	}
	if comment, ok := raw.Get("Comment"); ok {
		if _, isString := comment.(string); !isString {
			return fail("Comment", "must be a string")
		}
	}
	value, _ := raw.Get(r.operator)
	switch r.operator {
	case "And", "Or":
		if raw.Has("Variable") {
			return fail("Variable", "cannot be used with %s; give each nested rule its own Variable", r.operator)
		}
		list, ok := value.([]any)
		if !ok || len(list) == 0 {
			return fail(r.operator, "must be a non-empty array of Choice Rules")
		}
		r.kind = ruleAnd
		if r.operator == "Or" {
			r.kind = ruleOr
		}
		for i, item := range list {
			field := fmt.Sprintf("%s[%d]", r.operator, i)
			nested, ok := item.(*jsonvalue.Object)
			if !ok {
				return fail(field, "must be a Choice Rule (an object)")
			}
			child, err := compile(nested, join(where, field), false)
			if err != nil {
				return nil, err
			}
			r.children = append(r.children, child)
		}
		return r, nil
	case "Not":
		if raw.Has("Variable") {
			return fail("Variable", "cannot be used with Not; put it in the nested rule")
		}
		nested, ok := value.(*jsonvalue.Object)
		if !ok {
			return fail("Not", "must be a Choice Rule (an object)")
		}
		child, err := compile(nested, join(where, "Not"), false)
		if err != nil {
			return nil, err
		}
		r.kind = ruleNot
		r.children = []*Rule{child}
		return r, nil
	}
	variable, ok := raw.Get("Variable")
	if !ok {
		return fail("Variable", "is required with %s", r.operator)
	}
	text, isString := variable.(string)
	if !isString {
		return fail("Variable", "must be a Reference Path such as $.field")
	}
	path, err := jsonpath.CompileReference(text)
	if err != nil {
		return fail("Variable", "%s", pathReason(err))
	}
	r.variable = path
	if t, isTest := tests[r.operator]; isTest {
		b, ok := value.(bool)
		if !ok {
			return fail(r.operator, "must be true or false")
		}
		r.kind, r.test, r.expected = ruleIs, t, b
		return r, nil
	}
	if r.operator == "StringMatches" {
		s, ok := value.(string)
		if !ok {
			return fail(r.operator, "must be a string pattern, in which * matches any characters and \\* is a literal *")
		}
		r.kind, r.pattern = ruleMatches, compilePattern(s)
		return r, nil
	}
	r.kind, r.compare = ruleCompare, comparisons[r.operator]
	if r.compare.path {
		s, ok := value.(string)
		if !ok {
			return fail(r.operator, "must be a Reference Path such as $.field")
		}
		operand, err := jsonpath.CompileReference(s)
		if err != nil {
			return fail(r.operator, "%s", pathReason(err))
		}
		r.operandPath = operand
		return r, nil
	}
	switch r.compare.family {
	case familyString:
		s, ok := value.(string)
		if !ok {
			return fail(r.operator, "must be a string")
		}
		r.text = s
	case familyNumeric:
		n, ok := jsonvalue.Number(value)
		if !ok {
			return fail(r.operator, "must be a number")
		}
		r.number = n
	case familyBoolean:
		b, ok := value.(bool)
		if !ok {
			return fail(r.operator, "must be true or false")
		}
		r.boolean = b
	case familyTimestamp:
		s, ok := value.(string)
		if !ok {
			return fail(r.operator, "must be a timestamp string such as 2016-08-18T17:33:00Z")
		}
		instant, valid := parseTimestamp(s)
		if !valid {
			return fail(r.operator, "%q is not a timestamp: it must follow RFC 3339 with an uppercase T and an uppercase Z or a numeric offset, such as 2016-08-18T17:33:00Z", s)
		}
		r.instant = instant
	}
	return r, nil
}

func pathReason(err error) string {
	if e, ok := err.(*jsonpath.SyntaxError); ok {
		return fmt.Sprintf("%q is not a valid Reference Path: %s (at offset %d)", e.Expr, e.Reason, e.Offset)
	}
	return err.Error()
}

// compilePattern splits a StringMatches pattern at its unescaped '*'. "\*" is a literal star and
// "\\" a literal backslash; a backslash before anything else stays as it is.
func compilePattern(s string) []string {
	var pieces []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case c == '*':
			pieces = append(pieces, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(pieces, b.String())
}

// matches reports whether s matches the pattern pieces (pieces[0] * pieces[1] * ...). Finding
// each middle piece at its leftmost place is enough when '*' is the only wildcard.
func matches(pieces []string, s string) bool {
	if len(pieces) == 1 {
		return s == pieces[0]
	}
	first, last := pieces[0], pieces[len(pieces)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	middle := s[len(first) : len(s)-len(last)]
	for _, piece := range pieces[1 : len(pieces)-1] {
		at := strings.Index(middle, piece)
		if at < 0 {
			return false
		}
		middle = middle[at+len(piece):]
	}
	return true
}

// Eval decides the rule on a state's input. Variables and operand paths that start with $$ find
// nothing; use EvalContext for rules that read the context object.
func (r *Rule) Eval(input any) (bool, error) { return r.EvalContext(input, nil) }

// EvalContext decides the rule. Paths starting with $ read input, those starting with $$ read
// context. The error is a States.Runtime *states.Error when a Variable or an operand path finds
// nothing (IsPresent excepted: that is what it tests).
func (r *Rule) EvalContext(input, context any) (bool, error) {
	switch r.kind {
	case ruleAnd:
		for _, child := range r.children {
			ok, err := child.EvalContext(input, context)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case ruleOr:
		for _, child := range r.children {
			ok, err := child.EvalContext(input, context)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case ruleNot:
		ok, err := r.children[0].EvalContext(input, context)
		return !ok && err == nil, err
	}
	value, found := resolve(r.variable, input, context)
	if r.kind == ruleIs && r.test == testPresent {
		return found == r.expected, nil
	}
	if !found {
		return false, invalidPath(r.variable)
	}
	switch r.kind {
	case ruleIs:
		return is(r.test, value) == r.expected, nil
	case ruleMatches:
		s, ok := value.(string)
		return ok && matches(r.pattern, s), nil
	}
	if r.operandPath == nil {
		return r.compareLiteral(value), nil
	}
	operand, found := resolve(r.operandPath, input, context)
	if !found {
		return false, invalidPath(r.operandPath)
	}
	return r.compareValues(value, operand), nil
}

func resolve(path *jsonpath.Path, input, context any) (any, bool) {
	if path.Context() {
		return path.Get(context)
	}
	return path.Get(input)
}

// invalidPath is the error for a path that finds nothing, in the words Step Functions uses.
func invalidPath(path *jsonpath.Path) error {
	return states.NewError(states.ErrRuntime, "Invalid path '"+path.String()+"': The choice state's condition path references an invalid value.")
}

func is(t test, v any) bool {
	switch t {
	case testNull:
		return v == nil
	case testNumeric:
		return jsonvalue.IsNumber(v)
	case testString:
		_, ok := v.(string)
		return ok
	case testBoolean:
		_, ok := v.(bool)
		return ok
	case testTimestamp:
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, ok = parseTimestamp(s)
		return ok
	}
	return true
}

// compareLiteral compares the variable's value with the rule's literal operand.
func (r *Rule) compareLiteral(value any) bool {
	switch r.compare.family {
	case familyString:
		s, ok := value.(string)
		return ok && r.holds(jsonvalue.CompareStrings(s, r.text))
	case familyNumeric:
		n, ok := number(value)
		if !ok {
			return false
		}
		c, valid := jsonvalue.CompareNumbers(n, r.number)
		return valid && r.holds(c)
	case familyBoolean:
		b, ok := value.(bool)
		return ok && b == r.boolean
	default:
		s, ok := value.(string)
		if !ok {
			return false
		}
		instant, valid := parseTimestamp(s)
		return valid && r.holds(instant.compare(r.instant))
	}
}

// compareValues compares the variable's value with the value of the operand path.
func (r *Rule) compareValues(value, operand any) bool {
	switch r.compare.family {
	case familyString:
		a, ok1 := value.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && r.holds(jsonvalue.CompareStrings(a, b))
	case familyNumeric:
		a, ok1 := number(value)
		b, ok2 := number(operand)
		if !ok1 || !ok2 {
			return false
		}
		c, valid := jsonvalue.CompareNumbers(a, b)
		return valid && r.holds(c)
	case familyBoolean:
		a, ok1 := value.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	default:
		a, ok1 := value.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		x, valid1 := parseTimestamp(a)
		y, valid2 := parseTimestamp(b)
		return valid1 && valid2 && r.holds(x.compare(y))
	}
}

// number reads a JSON number without allocating for decoded values.
func number(v any) (json.Number, bool) {
	if n, ok := v.(json.Number); ok {
		return n, true
	}
	return jsonvalue.Number(v)
}

// holds applies the rule's relation to the result of a comparison.
func (r *Rule) holds(c int) bool {
	switch r.compare.relation {
	case relationEquals:
		return c == 0
	case relationLessThan:
		return c < 0
	case relationGreaterThan:
		return c > 0
	case relationLessThanEquals:
		return c <= 0
	default:
		return c >= 0
	}
}
