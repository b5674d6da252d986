package jsonvalue

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Equal reports whether two JSON values are equal: same type, numbers equal in value (1, 1.0 and
// 1e0 are equal), strings equal byte for byte, objects with the same keys and equal values, arrays
// with equal elements in the same order. It does not allocate for decoded values.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			if y, ok = Number(b); !ok {
				return false
			}
		}
		c, ok := CompareNumbers(x, y)
		return ok && c == 0
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		ym := y.Members()
		for i, m := range x.Members() {
			// Members in the same order are the common case; any order is equal.
			var w any
			if ym[i].Key == m.Key {
				w = ym[i].Value
			} else if w, ok = y.Get(m.Key); !ok {
				return false
			}
			if !Equal(m.Value, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if x, ok := Number(a); ok {
		return Equal(x, b)
	}
	return false
}

// CompareStrings orders two strings as Java's String.compareTo does, by UTF-16 code units, which
// is the order Step Functions documents for its string comparisons. It differs from Go's byte
// order only between characters above U+FFFF and those in U+E000..U+FFFF. It does not allocate.
func CompareStrings(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		switch {
		case len(a) < len(b):
			return -1
		case len(a) > len(b):
			return 1
		}
		return 0
	}
	// Step back to the start of the character in which the strings differ.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	x, _ := utf8.DecodeRuneInString(a[i:])
	y, _ := utf8.DecodeRuneInString(b[i:])
	ux, uy := utf16First(x), utf16First(y)
	switch {
	case ux < uy:
		return -1
	case ux > uy:
		return 1
	}
	// Same first code unit: both are above U+FFFF and share a high surrogate, so code point order
	// is code unit order. Invalid UTF-8 decodes to the same replacement character on both sides;
	// the bytes decide then.
	if x < y || (x == y && a[i:] < b[i:]) {
		return -1
	}
	return 1
}

// utf16First is the first UTF-16 code unit of r.
func utf16First(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + ((r - 0x10000) >> 10)
	}
	return r
}

// UTF16Length is the length of s in UTF-16 code units, the unit in which Step Functions states its
// string limits.
func UTF16Length(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// AppendCanonical appends an encoding of v that is equal for equal values (see Equal): object keys
// sorted, numbers in one normal form. It is meant for hashing and set membership, not for output.
func AppendCanonical(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, 'n')
	case bool:
		if x {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case string:
		buf = append(buf, 's')
		buf = strconv.AppendInt(buf, int64(len(x)), 10)
		buf = append(buf, ':')
		return append(buf, x...)
	case json.Number:
		buf = append(buf, 'd')
		buf = appendCanonicalNumber(buf, x)
		return append(buf, ';')
	case []any:
		buf = append(buf, '[')
		for _, e := range x {
			buf = AppendCanonical(buf, e)
		}
		return append(buf, ']')
	case *Object:
		members := slices.Clone(x.Members())
		slices.SortFunc(members, func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
		buf = append(buf, '{')
		for _, m := range members {
			buf = AppendCanonical(buf, m.Key)
			buf = AppendCanonical(buf, m.Value)
		}
		return append(buf, '}')
	}
	if n, ok := Number(v); ok {
		return AppendCanonical(buf, n)
	}
	return append(buf, '?')
}
