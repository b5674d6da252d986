package jsonpath

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// SyntaxError is a path that does not compile: where (a byte offset into Expr) and why.
type SyntaxError struct {
	Expr   string
	Offset int
	Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid path %q at offset %d: %s", e.Expr, e.Offset, e.Reason)
}

// maxIndex bounds the indexes a path may name; arrays in a 256 KiB payload are far shorter.
const maxIndex = 1 << 30

// parser reads one expression. Positions are byte offsets into src, the text as given.
type parser struct {
	src   string
	pos   int
	end   int
	depth int // nesting of parentheses and negations in a filter
}

// maxFilterDepth bounds how deeply a filter may nest parentheses and '!', so that no expression
// can make the parser recurse without limit.
const maxFilterDepth = 64

func (p *parser) fail(at int, format string, args ...any) error {
	return &SyntaxError{Expr: p.src, Offset: at, Reason: fmt.Sprintf(format, args...)}
}

func (p *parser) more() bool { return p.pos < p.end }

func (p *parser) peek() byte {
	if p.pos < p.end {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipSpaces() {
	for p.pos < p.end && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// quote shows a piece of the expression in an error message.
func quote(s string) string { return strconv.Quote(s) }

// compile parses expr (surrounding white space is ignored, as Jayway JsonPath ignores it).
func compile(expr string, reference bool) (*Path, error) {
	p := &parser{src: expr, end: len(expr)}
	for p.pos < p.end && isSpace(expr[p.pos]) {
		p.pos++
	}
	for p.end > p.pos && isSpace(expr[p.end-1]) {
		p.end--
	}
	if !p.more() {
		return nil, p.fail(0, "a path must start with '$'")
	}
	if p.peek() != '$' {
		return nil, p.fail(p.pos, "a path must start with '$', found %s", quote(expr[p.pos:p.pos+1]))
	}
	p.pos++
	path := &Path{text: expr}
	if p.peek() == '$' {
		path.context = true
		p.pos++
	}
	segments, err := p.segments(false)
	if err != nil {
		return nil, err
	}
	if p.more() {
		return nil, p.fail(p.pos, "unexpected %s; expected '.' or '['", quote(p.rest(1)))
	}
	path.segments = segments
	path.definite = true
	path.reference = true
	for i := range segments {
		switch segments[i].kind {
		case segmentName, segmentIndex:
		case segmentNames:
			path.reference = false
			if i != len(segments)-1 {
				path.definite = false
			}
		default:
			path.reference = false
			path.definite = false
		}
	}
	if reference && !path.reference {
		for i := range segments {
			if k := segments[i].kind; k != segmentName && k != segmentIndex {
				return nil, p.fail(segments[i].offset, "a Reference Path may only use names and single indexes, which select one node; %s can select many", segments[i].describe())
			}
		}
	}
	return path, nil
}

// rest is up to n characters of the expression from the current position, for messages.
func (p *parser) rest(n int) string {
	end := p.pos
	for i := 0; i < n && end < p.end; i++ {
		_, size := utf8.DecodeRuneInString(p.src[end:p.end])
		end += size
	}
	return p.src[p.pos:end]
}

// segments reads '.x', '..x' and '[...]' steps for as long as they follow. Inside a filter
// (inFilter) a dot name also ends at the characters that may follow an operand.
func (p *parser) segments(inFilter bool) ([]segment, error) {
	var out []segment
	for p.more() {
		start := p.pos
		switch p.peek() {
		case '.':
			if p.pos+1 < p.end && p.src[p.pos+1] == '.' {
				p.pos += 2
				if !p.more() || p.peek() == '.' {
					return nil, p.fail(start, "'..' must be followed by a name, '*' or '['")
				}
				inner, err := p.selector(start, inFilter)
				if err != nil {
					return nil, err
				}
				if inner.kind == segmentFilter && inFilter {
					return nil, p.fail(start, "a filter cannot appear inside a filter")
				}
				out = append(out, segment{kind: segmentScan, offset: start, scan: &inner})
				continue
			}
			p.pos++
			if !p.more() {
				return nil, p.fail(start, "'.' must be followed by a name, '*' or '['")
			}
			s, err := p.selector(start, inFilter)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		case '[':
			s, err := p.bracket(inFilter)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		default:
			return out, nil
		}
	}
	return out, nil
}

// selector reads what follows '.' or '..': '*', a bracket, or a name.
func (p *parser) selector(start int, inFilter bool) (segment, error) {
	switch p.peek() {
	case '*':
		p.pos++
		if p.more() && !strings.ContainsRune(".[", rune(p.peek())) && !(inFilter && endsFilterName(p.peek())) {
			return segment{}, p.fail(p.pos, "'*' must be followed by '.', '[' or the end of the path")
		}
		return segment{kind: segmentWildcard, offset: start}, nil
	case '[':
		return p.bracket(inFilter)
	}
	nameStart := p.pos
	for p.more() {
		c := p.peek()
		if c == '.' || c == '[' {
			break
		}
		if c == '(' {
			return segment{}, p.fail(nameStart, "functions such as %s() are not supported", p.src[nameStart:p.pos])
		}
		if inFilter && endsFilterName(c) {
			break
		}
		if isSpace(c) {
			return segment{}, p.fail(p.pos, "a name cannot contain white space; use bracket notation such as ['my name']")
		}
		p.pos++
	}
	if p.pos == nameStart {
		return segment{}, p.fail(nameStart, "expected a name after '.'")
	}
	return segment{kind: segmentName, offset: start, name: p.src[nameStart:p.pos]}, nil
}

// endsFilterName reports the characters that end a dot name inside a filter expression.
func endsFilterName(c byte) bool {
	return isSpace(c) || strings.IndexByte(")=!<>&|,]", c) >= 0
}

// bracket reads '[...]': '*', quoted names, indexes, a slice or a filter.
func (p *parser) bracket(inFilter bool) (segment, error) {
	start := p.pos
	p.pos++ // '['
	p.skipSpaces()
	if !p.more() {
		return segment{}, p.fail(start, "unclosed '['")
	}
	switch c := p.peek(); {
	case c == '*':
		p.pos++
		if err := p.closeBracket(start); err != nil {
			return segment{}, err
		}
		return segment{kind: segmentWildcard, offset: start}, nil
	case c == '\'' || c == '"':
		return p.quotedNames(start)
	case c == '?':
		if inFilter {
			return segment{}, p.fail(start, "a filter cannot appear inside a filter")
		}
		return p.filterSegment(start)
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		return p.indexes(start)
	}
	return segment{}, p.fail(p.pos, "expected a quoted name, an index, a slice, '*' or a filter '?(...)' after '['")
}

func (p *parser) closeBracket(start int) error {
	p.skipSpaces()
	if !p.more() {
		return p.fail(start, "unclosed '['")
	}
	if p.peek() != ']' {
		return p.fail(p.pos, "expected ']', found %s", quote(p.rest(1)))
	}
	p.pos++
	return nil
}

// quotedNames reads ['a'] or ['a', "b", ...]. As in the Jayway JsonPath that Step Functions runs, a
// backslash keeps the next character from closing the name but stays part of it: Step Functions
// looks up $['Test\""Name"'] as the key Test\""Name" (recorded against AWS in LocalStack's
// test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH]). A name holding the quote character is
// written with the other quote: ["it's"].
func (p *parser) quotedNames(start int) (segment, error) {
	var names []string
	for {
		q := p.peek()
		nameStart := p.pos + 1
		p.pos++
		for {
			if !p.more() {
				return segment{}, p.fail(nameStart-1, "unterminated quoted name")
			}
			c := p.peek()
			if c == '\\' {
				p.pos += 2
				continue
			}
			if c == q {
				break
			}
			p.pos++
		}
		names = append(names, p.src[nameStart:p.pos])
		p.pos++ // closing quote
		p.skipSpaces()
		if !p.more() {
			return segment{}, p.fail(start, "unclosed '['")
		}
		if p.peek() == ']' {
			p.pos++
			break
		}
		if p.peek() != ',' {
			return segment{}, p.fail(p.pos, "expected ',' or ']' after a quoted name, found %s", quote(p.rest(1)))
		}
		p.pos++
		p.skipSpaces()
		if c := p.peek(); c != '\'' && c != '"' {
			return segment{}, p.fail(p.pos, "expected a quoted name after ','")
		}
	}
	if len(names) == 1 {
		return segment{kind: segmentName, offset: start, name: names[0]}, nil
	}
	return segment{kind: segmentNames, offset: start, names: names}, nil
}

// integer reads an optionally negative decimal integer.
func (p *parser) integer() (int, error) {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	digitsStart := p.pos
	for p.more() && p.peek() >= '0' && p.peek() <= '9' {
		p.pos++
	}
	if p.pos == digitsStart {
		return 0, p.fail(start, "expected an integer")
	}
	n, err := strconv.Atoi(p.src[start:p.pos])
	if err != nil || n > maxIndex || n < -maxIndex {
		return 0, p.fail(start, "index %s is out of range", p.src[start:p.pos])
	}
	return n, nil
}

// indexes reads [n], [n, m, ...], [from:to], [from:] or [:to].
func (p *parser) indexes(start int) (segment, error) {
	s := segment{offset: start}
	if p.peek() != ':' {
		n, err := p.integer()
		if err != nil {
			return segment{}, err
		}
		s.from, s.hasFrom = n, true
		p.skipSpaces()
	}
	if p.peek() == ':' {
		p.pos++
		p.skipSpaces()
		s.kind = segmentSlice
		if p.more() && (p.peek() == '-' || (p.peek() >= '0' && p.peek() <= '9')) {
			n, err := p.integer()
			if err != nil {
				return segment{}, err
			}
			s.to, s.hasTo = n, true
			p.skipSpaces()
		}
		if p.peek() == ':' {
			return segment{}, p.fail(p.pos, "slice steps such as [0:10:2] are not supported")
		}
		if !s.hasFrom && !s.hasTo {
			return segment{}, p.fail(start, "a slice needs a start or an end, as in [1:] or [:2]")
		}
		return s, p.closeBracket(start)
	}
	s.kind = segmentIndex
	s.index = s.from
	s.from, s.hasFrom = 0, false
	if p.peek() != ',' {
		return s, p.closeBracket(start)
	}
	s.kind = segmentIndexes
	s.list = []int{s.index}
	for p.peek() == ',' {
		p.pos++
		p.skipSpaces()
		n, err := p.integer()
		if err != nil {
			return segment{}, err
		}
		s.list = append(s.list, n)
		p.skipSpaces()
	}
	return s, p.closeBracket(start)
}

// filterSegment reads [?(expression)].
func (p *parser) filterSegment(start int) (segment, error) {
	p.pos++ // '?'
	p.skipSpaces()
	if p.peek() != '(' {
		return segment{}, p.fail(p.pos, "expected '(' after '[?'")
	}
	open := p.pos
	p.pos++
	expr, err := p.orExpression()
	if err != nil {
		return segment{}, err
	}
	p.skipSpaces()
	if p.peek() != ')' {
		if !p.more() {
			return segment{}, p.fail(open, "unclosed '(' in filter")
		}
		return segment{}, p.fail(p.pos, "unexpected %s in filter", quote(p.rest(1)))
	}
	p.pos++
	if err := p.closeBracket(start); err != nil {
		return segment{}, err
	}
	return segment{kind: segmentFilter, offset: start, filter: expr}, nil
}

func (p *parser) orExpression() (*filterNode, error) {
	left, err := p.andExpression()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if !strings.HasPrefix(p.src[p.pos:p.end], "||") {
			return left, nil
		}
		p.pos += 2
		right, err := p.andExpression()
		if err != nil {
			return nil, err
		}
		left = &filterNode{kind: filterOr, left: left, right: right}
	}
}

func (p *parser) andExpression() (*filterNode, error) {
	left, err := p.unaryExpression()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if !strings.HasPrefix(p.src[p.pos:p.end], "&&") {
			return left, nil
		}
		p.pos += 2
		right, err := p.unaryExpression()
		if err != nil {
			return nil, err
		}
		left = &filterNode{kind: filterAnd, left: left, right: right}
	}
}

func (p *parser) unaryExpression() (*filterNode, error) {
	p.skipSpaces()
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxFilterDepth {
		return nil, p.fail(p.pos, "the filter nests parentheses or '!' more than %d deep", maxFilterDepth)
	}
	if p.peek() == '!' && !(p.pos+1 < p.end && p.src[p.pos+1] == '=') {
		p.pos++
		inner, err := p.unaryExpression()
		if err != nil {
			return nil, err
		}
		return &filterNode{kind: filterNot, left: inner}, nil
	}
	if p.peek() == '(' {
		open := p.pos
		p.pos++
		inner, err := p.orExpression()
		if err != nil {
			return nil, err
		}
		p.skipSpaces()
		if p.peek() != ')' {
			return nil, p.fail(open, "unclosed '(' in filter")
		}
		p.pos++
		return inner, nil
	}
	return p.comparison()
}

// comparison reads 'operand' (an existence test) or 'operand operator operand'.
func (p *parser) comparison() (*filterNode, error) {
	leftStart := p.pos
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	opStart := p.pos
	op, ok, err := p.operator()
	if err != nil {
		return nil, err
	}
	if !ok {
		if left.kind == operandLiteral {
			return nil, p.fail(leftStart, "a filter condition must be a comparison or a path such as @.name")
		}
		return &filterNode{kind: filterExists, lhs: left}, nil
	}
	p.skipSpaces()
	if !p.more() {
		return nil, p.fail(opStart, "the operator needs a right-hand operand")
	}
	right, err := p.operand()
	if err != nil {
		return nil, err
	}
	return &filterNode{kind: filterCompare, op: op, lhs: left, rhs: right}, nil
}

// operator reads a comparison operator; ok is false when none follows (an existence test).
func (p *parser) operator() (comparisonOperator, bool, error) {
	rest := p.src[p.pos:p.end]
	for _, candidate := range []struct {
		text string
		op   comparisonOperator
	}{
		{"===", operatorEqual}, {"!==", operatorNotEqual},
		{"==", operatorEqual}, {"!=", operatorNotEqual},
		{"<=", operatorLessEqual}, {">=", operatorGreaterEqual},
		{"<", operatorLess}, {">", operatorGreater},
	} {
		if strings.HasPrefix(rest, candidate.text) {
			p.pos += len(candidate.text)
			return candidate.op, true, nil
		}
	}
	if strings.HasPrefix(rest, "=~") {
		return 0, false, p.fail(p.pos, "regular expression filters (=~) are not supported")
	}
	if rest == "" || strings.IndexByte(")&|", rest[0]) >= 0 {
		return 0, false, nil
	}
	word := rest
	for i := 0; i < len(rest); i++ {
		if !isWordChar(rest[i]) {
			word = rest[:i]
			break
		}
	}
	if word != "" {
		return 0, false, p.fail(p.pos, "the filter operator %s is not supported; use ==, !=, <, <=, > or >=", quote(word))
	}
	return 0, false, p.fail(p.pos, "expected a comparison operator, found %s", quote(p.rest(1)))
}

func isWordChar(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// operand reads @-paths, $-paths and literals.
func (p *parser) operand() (operand, error) {
	p.skipSpaces()
	start := p.pos
	if !p.more() {
		return operand{}, p.fail(start, "expected an operand")
	}
	switch c := p.peek(); {
	case c == '@' || c == '$':
		p.pos++
		if c == '$' && p.peek() == '$' {
			return operand{}, p.fail(start, "context object paths ($$) are not supported in filters")
		}
		segments, err := p.segments(true)
		if err != nil {
			return operand{}, err
		}
		for i := range segments {
			if k := segments[i].kind; k != segmentName && k != segmentIndex {
				return operand{}, p.fail(segments[i].offset, "paths inside a filter may only use names and single indexes")
			}
		}
		kind := operandCurrent
		if c == '$' {
			kind = operandRoot
		}
		return operand{kind: kind, segments: segments}, nil
	case c == '\'' || c == '"':
		s, err := p.stringLiteral()
		if err != nil {
			return operand{}, err
		}
		return operand{kind: operandLiteral, value: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		for p.more() && strings.IndexByte("0123456789+-.eE", p.peek()) >= 0 {
			p.pos++
		}
		text := p.src[start:p.pos]
		if _, ok := jsonvalue.CompareNumbers(json.Number(text), "0"); !ok {
			return operand{}, p.fail(start, "%s is not a number", quote(text))
		}
		return operand{kind: operandLiteral, value: json.Number(text)}, nil
	case c == '/':
		return operand{}, p.fail(start, "regular expressions are not supported in filters")
	case c == '[' || c == '{':
		return operand{}, p.fail(start, "JSON array and object literals are not supported in filters")
	}
	for _, keyword := range []struct {
		text  string
		value any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.src[p.pos:p.end], keyword.text) {
			after := p.pos + len(keyword.text)
			if after == p.end || !isWordChar(p.src[after]) {
				p.pos = after
				return operand{kind: operandLiteral, value: keyword.value}, nil
			}
		}
	}
	return operand{}, p.fail(start, "expected @, $, a string, a number, true, false or null, found %s", quote(p.rest(1)))
}

// stringLiteral reads '...' or "..." with the usual backslash escapes.
func (p *parser) stringLiteral() (string, error) {
	start := p.pos
	q := p.peek()
	p.pos++
	var b strings.Builder
	for {
		if !p.more() {
			return "", p.fail(start, "unterminated string")
		}
		c := p.peek()
		if c == q {
			p.pos++
			return b.String(), nil
		}
		if c != '\\' {
			b.WriteByte(c)
			p.pos++
			continue
		}
		if p.pos+1 >= p.end {
			return "", p.fail(p.pos, "unterminated escape in string")
		}
		e := p.src[p.pos+1]
		p.pos += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if p.pos+4 > p.end {
				return "", p.fail(p.pos-2, "\\u needs four hexadecimal digits")
			}
			n, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
			if err != nil {
				return "", p.fail(p.pos-2, "\\u needs four hexadecimal digits")
			}
			b.WriteRune(rune(n))
			p.pos += 4
		default:
			b.WriteByte(e)
		}
	}
}
