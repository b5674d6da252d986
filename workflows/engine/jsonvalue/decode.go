package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is how deeply arrays and objects may nest, as encoding/json allows.
const maxDepth = 10000

// Decode parses one JSON document into the package's values: *Object (members in document
// order; a repeated key keeps its first place and takes its last value), []any, string,
// json.Number, bool and nil. Trailing data is an error. It accepts and rejects exactly what
// encoding/json does, and gives the same strings and numbers (invalid UTF-8 becomes U+FFFD).
func Decode(data []byte) (any, error) { return DecodeString(string(data)) }

// DecodeString is Decode of a string. The strings and numbers of the result share the memory of
// s where they need no unescaping, so a decoded value keeps s alive.
func DecodeString(s string) (any, error) {
	d := decoders.Get().(*decoder)
	d.s, d.i = s, 0
	d.skipSpace()
	v, ok := d.value(0)
	if ok {
		d.skipSpace()
		ok = d.i == len(d.s)
	}
	// A failed decode leaves values on the stacks: clear them, so that the pool keeps nothing
	// alive. Stacks grown by a very large document are not kept.
	clear(d.values)
	clear(d.members)
	d.s, d.values, d.members = "", d.values[:0], d.members[:0]
	if cap(d.values) <= maxPooledStack && cap(d.members) <= maxPooledStack {
		decoders.Put(d)
	}
	if !ok {
		return nil, decodeError(s)
	}
	return v, nil
}

// decodeError is the error encoding/json gives for a document Decode rejects, so that messages
// read as they always have.
func decodeError(s string) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("invalid character after top-level value")
	}
	return errors.New("invalid JSON")
}

// decoder is the state of one Decode. Elements and members of the containers being read wait
// on two stacks shared by every level, so that each array and object is allocated once, at its
// final size.
type decoder struct {
	s       string
	i       int
	values  []any
	members []Member
}

var decoders = sync.Pool{New: func() any { return new(decoder) }}

// maxPooledStack is the largest stack a pooled decoder keeps.
const maxPooledStack = 1 << 12

func (d *decoder) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, bool) {
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; c {
	case '{':
		return d.object(depth + 1)
	case '[':
		return d.array(depth + 1)
	case '"':
		s, ok := d.string()
		return s, ok
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return d.number()
		}
		return nil, false
	}
}

func (d *decoder) literal(word string) bool {
	if len(d.s)-d.i >= len(word) && d.s[d.i:d.i+len(word)] == word {
		d.i += len(word)
		return true
	}
	return false
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (d *decoder) number() (any, bool) {
	s, start := d.s, d.i
	i := start
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		digits := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == digits {
			return nil, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		digits := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == digits {
			return nil, false
		}
	}
	d.i = i
	return json.Number(s[start:i]), true
}

// string reads a string literal. Without escapes and with valid UTF-8 it is a part of the input.
func (d *decoder) string() (string, bool) {
	s := d.s
	start := d.i + 1
	ascii := true
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			text := s[start:i]
			if !ascii && !utf8.ValidString(text) {
				return d.unquote(start)
			}
			d.i = i + 1
			return text, true
		case c == '\\':
			return d.unquote(start)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// unquote reads a string literal that needs a copy: escapes, or invalid UTF-8 (each bad byte
// becomes U+FFFD), the way encoding/json does.
func (d *decoder) unquote(start int) (string, bool) {
	s := d.s
	buf := make([]byte, 0, 16+2*(len(s)-start)/3)
	i := start
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return string(buf), true
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			switch s[i+1] {
			case '"', '\\', '/':
				buf = append(buf, s[i+1])
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r := hex4(s, i+2)
				if r < 0 {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if low := hex4(s, i+2); low >= 0 {
							if pair := utf16.DecodeRune(r, low); pair != utf8.RuneError {
								buf = utf8.AppendRune(buf, pair)
								i += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				return "", false
			}
			i += 2
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, s[i:i+size]...)
			}
			i += size
		}
	}
	return "", false
}

// hex4 reads four hexadecimal digits at s[i:], or returns -1.
func hex4(s string, i int) rune {
	if i+4 > len(s) {
		return -1
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

func (d *decoder) array(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	d.i++ // [
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return []any{}, true
	}
	start := len(d.values)
	for {
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		d.values = append(d.values, v)
		d.skipSpace()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
			d.skipSpace()
			continue
		case ']':
			d.i++
			out := make([]any, len(d.values)-start)
			copy(out, d.values[start:])
			clear(d.values[start:])
			d.values = d.values[:start]
			return out, true
		}
		return nil, false
	}
}

func (d *decoder) object(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	d.i++ // {
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return emptyObject, true
	}
	start := len(d.members)
	var index map[string]int32 // positions relative to start, once the object is large
	for {
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		key, ok := d.string()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.skipSpace()
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		// A repeated key keeps its first place and takes the last value.
		at := -1
		if index != nil {
			if i, seen := index[key]; seen {
				at = start + int(i)
			}
		} else {
			for i := start; i < len(d.members); i++ {
				if d.members[i].Key == key {
					at = i
					break
				}
			}
		}
		if at >= 0 {
			d.members[at].Value = v
		} else {
			d.members = append(d.members, Member{Key: key, Value: v})
			if index != nil {
				index[key] = int32(len(d.members) - 1 - start)
			} else if n := len(d.members) - start; n > indexThreshold {
				index = make(map[string]int32, 2*n)
				for i, m := range d.members[start:] {
					index[m.Key] = int32(i)
				}
			}
		}
		d.skipSpace()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
			d.skipSpace()
			continue
		case '}':
			d.i++
			members := make([]Member, len(d.members)-start)
			copy(members, d.members[start:])
			clear(d.members[start:])
			d.members = d.members[:start]
			return &Object{members: members, index: index}, true
		}
		return nil, false
	}
}
