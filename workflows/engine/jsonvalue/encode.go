package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Encode renders a value as compact JSON: objects with their members in order, strings escaped
// as encoding/json escapes them but without escaping <, > and & (AWS does not).
func Encode(v any) ([]byte, error) { return Append(nil, v) }

// EncodeString is Encode to a string.
func EncodeString(v any) (string, error) {
	b, err := Append(make([]byte, 0, 64), v)
	return string(b), err
}

// MustEncodeString is EncodeString for values known to be encodable (decoded JSON); it panics
// otherwise, which is a programming error.
func MustEncodeString(v any) string {
	s, err := EncodeString(v)
	if err != nil {
		panic(err)
	}
	return s
}

// MarshalJSON renders the object with its members in order, so that encoding/json keeps the
// order too when an Object sits inside a value it encodes.
func (o *Object) MarshalJSON() ([]byte, error) { return Append(nil, o) }

var errNotJSON = errors.New("jsonvalue: NaN or infinity is not JSON")

// Append appends the compact JSON of v to buf (see Encode). Besides the values Decode returns it
// takes float64, the Go integer types and map[string]any (keys in byte order); anything else
// goes through encoding/json.
func Append(buf []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		if t {
			return append(buf, "true"...), nil
		}
		return append(buf, "false"...), nil
	case string:
		return AppendString(buf, t), nil
	case json.Number:
		if t == "" {
			return append(buf, '0'), nil
		}
		if _, ok := parseDecimal(string(t)); !ok {
			return buf, errors.New("jsonvalue: invalid number literal " + strconv.Quote(string(t)))
		}
		return append(buf, t...), nil
	case *Object:
		buf = append(buf, '{')
		for i, m := range t.Members() {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, m.Key)
			buf = append(buf, ':')
			var err error
			if buf, err = Append(buf, m.Value); err != nil {
				return buf, err
			}
		}
		return append(buf, '}'), nil
	case []any:
		if t == nil {
			return append(buf, "null"...), nil
		}
		buf = append(buf, '[')
		for i, e := range t {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = Append(buf, e); err != nil {
				return buf, err
			}
		}
		return append(buf, ']'), nil
	case map[string]any:
		if t == nil {
			return append(buf, "null"...), nil
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = Append(buf, t[k]); err != nil {
				return buf, err
			}
		}
		return append(buf, '}'), nil
	case float64:
		return appendFloat(buf, t, 64)
	case float32:
		return appendFloat(buf, float64(t), 32)
	case int:
		return strconv.AppendInt(buf, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(buf, t, 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(t), 10), nil
	case uint64:
		return strconv.AppendUint(buf, t, 10), nil
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return buf, err
	}
	return append(buf, bytes.TrimRight(out.Bytes(), "\n")...), nil
}

// appendFloat writes a float as encoding/json does: plain decimal notation unless the exponent
// is very small or large.
func appendFloat(buf []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return buf, errNotJSON
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	buf = strconv.AppendFloat(buf, f, format, -1, bits)
	if format == 'e' {
		// e-09 becomes e-9.
		if n := len(buf); n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf, nil
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string literal, escaped as encoding/json escapes it without
// HTML escaping: ", \ and control characters (\b \f \n \r \t by their short forms), U+2028 and
// U+2029, and each byte of invalid UTF-8 as \ufffd.
func AppendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
