package intrinsic

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonpath"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// SyntaxError is an intrinsic function call that does not parse or cannot be valid: where (a
// byte offset into Expr) and why.
type SyntaxError struct {
	Expr   string
	Offset int
	Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid intrinsic function %q at offset %d: %s", e.Expr, e.Offset, e.Reason)
}

// MaxCalls is how many intrinsic functions one field may hold. The developer guide: "You can
// nest up to 10 intrinsic functions within a field", illustrated by a field it counts as nine
// nested functions, of which at most five are nested in one another; so the limit counts every
// call in the field.
const MaxCalls = 10

type parser struct {
	src   string
	pos   int
	calls int
}

func (p *parser) fail(at int, format string, args ...any) error {
	return &SyntaxError{Expr: p.src, Offset: at, Reason: fmt.Sprintf(format, args...)}
}

func (p *parser) more() bool { return p.pos < len(p.src) }

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipSpaces() {
	for p.more() && isSpace(p.peek()) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNameChar(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// next shows the character at the current position in messages.
func (p *parser) next() string {
	if !p.more() {
		return "the end"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return strconv.QuoteRune(r)
}

// IsCall reports whether s has the form of an intrinsic function call: "States.", a name and
// "(". Whether it is a valid one is for Parse to say.
func IsCall(s string) bool {
	s = strings.TrimLeft(s, " \t\n\r")
	rest, ok := strings.CutPrefix(s, "States.")
	if !ok {
		return false
	}
	i := 0
	for i < len(rest) && isNameChar(rest[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(rest) && isSpace(rest[i]) {
		i++
	}
	return i < len(rest) && rest[i] == '('
}

// Parse compiles an intrinsic function call, checking what can be checked before any input is
// seen: the function exists, the number of arguments, the types of literal and nested-call
// arguments, the documented limits on literal values, and the escapes in string literals. Calls
// whose arguments are all literals are evaluated here once (except States.UUID and
// States.MathRandom). The error is a *SyntaxError.
func Parse(expr string) (*Call, error) {
	p := &parser{src: expr}
	p.skipSpaces()
	call, err := p.call()
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	if p.more() {
		return nil, p.fail(p.pos, "unexpected %s after the call", p.next())
	}
	call.text = expr
	return call, nil
}

// call reads States.Name(arguments).
func (p *parser) call() (*Call, error) {
	start := p.pos
	if !strings.HasPrefix(p.src[p.pos:], "States.") {
		return nil, p.fail(start, "expected an intrinsic function such as States.Format(...)")
	}
	p.calls++
	if p.calls > MaxCalls {
		return nil, p.fail(start, "a field may hold at most %d intrinsic functions", MaxCalls)
	}
	p.pos += len("States.")
	nameStart := p.pos
	for p.more() && isNameChar(p.peek()) {
		p.pos++
	}
	name := p.src[nameStart:p.pos]
	fn := functions[name]
	if fn == nil {
		if name == "" {
			return nil, p.fail(nameStart, "expected a function name after 'States.'")
		}
		return nil, p.fail(start, "unknown intrinsic function States.%s", name)
	}
	p.skipSpaces()
	if p.peek() != '(' {
		return nil, p.fail(p.pos, "expected '(' after States.%s, found %s", name, p.next())
	}
	open := p.pos
	p.pos++
	c := &Call{function: fn, offset: start}
	p.skipSpaces()
	if p.peek() == ')' {
		p.pos++
	} else {
		for {
			a, err := p.argument()
			if err != nil {
				return nil, err
			}
			c.arguments = append(c.arguments, a)
			p.skipSpaces()
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if p.peek() == ')' {
				p.pos++
				break
			}
			if !p.more() {
				return nil, p.fail(open, "unclosed '(' of States.%s", name)
			}
			return nil, p.fail(p.pos, "expected ',' or ')' in the arguments of States.%s, found %s", name, p.next())
		}
	}
	if err := p.check(c); err != nil {
		return nil, err
	}
	return c, nil
}

// argument reads one argument: a string, a number, true, false, null, a path or a call.
func (p *parser) argument() (argument, error) {
	p.skipSpaces()
	start := p.pos
	if !p.more() {
		return argument{}, p.fail(start, "expected an argument, found the end")
	}
	switch c := p.peek(); {
	case c == '\'':
		text, pieces, err := p.stringLiteral()
		if err != nil {
			return argument{}, err
		}
		return argument{kind: argumentLiteral, offset: start, value: text, pieces: pieces}, nil
	case c == '$':
		return p.path()
	case c == '-' || (c >= '0' && c <= '9'):
		for p.more() && strings.IndexByte("0123456789+-.eE", p.peek()) >= 0 {
			p.pos++
		}
		text := p.src[start:p.pos]
		if _, ok := jsonvalue.CompareNumbers(json.Number(text), "0"); !ok {
			return argument{}, p.fail(start, "%q is not a number", text)
		}
		return argument{kind: argumentLiteral, offset: start, value: json.Number(text)}, nil
	case c == 'S':
		call, err := p.call()
		if err != nil {
			return argument{}, err
		}
		if call.constant {
			return argument{kind: argumentLiteral, offset: start, value: call.value, folded: true}, nil
		}
		return argument{kind: argumentCall, offset: start, call: call}, nil
	case c == '"':
		return argument{}, p.fail(start, "string literals are written in single quotes, as in 'text'")
	}
	for _, keyword := range []struct {
		text  string
		value any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.src[p.pos:], keyword.text) {
			after := p.pos + len(keyword.text)
			if after == len(p.src) || !isNameChar(p.src[after]) {
				p.pos = after
				return argument{kind: argumentLiteral, offset: start, value: keyword.value}, nil
			}
		}
	}
	return argument{}, p.fail(start, "expected a string in single quotes, a number, true, false, null, a path or an intrinsic function, found %s", p.next())
}

// stringLiteral reads '...'. The only escapes are \' \{ \} and \\ (developer guide, "Reserved
// characters in intrinsic functions"); any other backslash is an error, as Step Functions rejects
// the definition (LocalStack test_illegal_escapes, recorded against AWS: "must be a valid
// JSONPath or a valid intrinsic function call"). pieces is the text split at each unescaped {},
// which States.Format uses: an escaped \{ or \} is never a placeholder.
func (p *parser) stringLiteral() (string, []string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	var pieces []string
	pieceStart := 0
	for {
		if !p.more() {
			return "", nil, p.fail(start, "unterminated string")
		}
		c := p.peek()
		switch {
		case c == '\'':
			p.pos++
			text := b.String()
			return text, append(pieces, text[pieceStart:]), nil
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				return "", nil, p.fail(p.pos, "unterminated escape")
			}
			e := p.src[p.pos+1]
			if e != '\'' && e != '{' && e != '}' && e != '\\' {
				return "", nil, p.fail(p.pos, "invalid escape \\%c; only \\', \\{, \\} and \\\\ are allowed", e)
			}
			b.WriteByte(e)
			p.pos += 2
		case c == '{' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '}':
			pieces = append(pieces, b.String()[pieceStart:])
			b.WriteString("{}")
			pieceStart = b.Len()
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// path reads a $ or $$ path. It ends at a ',' or ')' or white space outside brackets; inside
// brackets quotes and filters may hold anything.
func (p *parser) path() (argument, error) {
	start := p.pos
	depth := 0
	var quote byte
	for p.more() {
		c := p.peek()
		if quote != 0 {
			if c == '\\' && p.pos+1 < len(p.src) {
				p.pos += 2
				continue
			}
			if c == quote {
				quote = 0
			}
			p.pos++
			continue
		}
		if depth == 0 && (c == ',' || c == ')' || isSpace(c)) {
			break
		}
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case '\'', '"':
			if depth > 0 {
				quote = c
			}
		}
		p.pos++
	}
	text := p.src[start:p.pos]
	path, err := jsonpath.Compile(text)
	if err != nil {
		if syntaxError, ok := err.(*jsonpath.SyntaxError); ok {
			return argument{}, p.fail(start+syntaxError.Offset, "%s", syntaxError.Reason)
		}
		return argument{}, p.fail(start, "%v", err)
	}
	return argument{kind: argumentPath, offset: start, path: path}, nil
}

// check validates a call's arguments against its function and folds it into a constant when it
// can.
func (p *parser) check(c *Call) error {
	fn := c.function
	n := len(c.arguments)
	if n < fn.minimum || (fn.maximum >= 0 && n > fn.maximum) {
		return p.fail(c.offset, "States.%s takes %s, got %d", fn.name, fn.arity(), n)
	}
	constant := fn.deterministic
	for i := range c.arguments {
		a := &c.arguments[i]
		want := fn.parameter(i)
		var got valueType
		switch a.kind {
		case argumentLiteral:
			got = typeOf(a.value)
		case argumentCall:
			got = a.call.function.result
			constant = false
		default:
			got = typeAny
			constant = false
		}
		if got&want.types == 0 {
			return p.fail(a.offset, "States.%s: argument %d must be %s, not %s", fn.name, i+1, want.types, got)
		}
		if a.kind == argumentLiteral && want.check != nil {
			if err := want.check(a.value); err != nil {
				return p.fail(a.offset, "States.%s: argument %d %v", fn.name, i+1, err)
			}
		}
	}
	if fn.checkCall != nil {
		if err := fn.checkCall(c); err != nil {
			return p.fail(c.offset, "%v", err)
		}
	}
	if constant {
		values := make([]any, n)
		for i := range c.arguments {
			values[i] = c.arguments[i].value
		}
		v, err := fn.evaluate(c, values)
		if err != nil {
			return p.fail(c.offset, "%s", causeOf(err))
		}
		c.constant, c.value = true, v
	}
	return nil
}
