package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// encoder builds journal records: varints, length-prefixed strings and JSON values.
type encoder struct{ buf []byte }

func (w *encoder) byte(b byte)      { w.buf = append(w.buf, b) }
func (w *encoder) uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *encoder) varint(v int64)   { w.buf = binary.AppendVarint(w.buf, v) }
func (w *encoder) float(f float64) {
	w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(f))
}
func (w *encoder) string(s string)   { w.uvarint(uint64(len(s))); w.buf = append(w.buf, s...) }
func (w *encoder) bool(b bool)       { w.byte(boolByte(b)) }
func (w *encoder) value(v any) error { return w.valueInto(v) }

// sameValue reports whether two values are the same value (the same map or slice, or equal
// scalars): cheap, and enough to see that a state's input is the output before it.
func sameValue(a, b any) bool {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		return ok && reflect.ValueOf(av).UnsafePointer() == reflect.ValueOf(bv).UnsafePointer()
	case []any:
		bv, ok := b.([]any)
		return ok && len(av) == len(bv) && cap(av) == cap(bv) && (len(av) == 0 || &av[0] == &bv[0])
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	case json.Number:
		bv, ok := b.(json.Number)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case nil:
		return b == nil
	}
	return false
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// valueInto writes a JSON value as length-prefixed JSON text.
func (w *encoder) valueInto(v any) error {
	start := len(w.buf)
	w.buf = append(w.buf, 0, 0, 0, 0)
	var err error
	w.buf, err = appendJSON(w.buf, v)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(w.buf[start:], uint32(len(w.buf)-start-4))
	return nil
}

// decoder reads what encoder wrote.
type decoder struct {
	buf []byte
	err error
}

var errShort = errors.New("engine: journal record too short")

func (r *decoder) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *decoder) byte() byte {
	if len(r.buf) < 1 {
		r.fail(errShort)
		return 0
	}
	b := r.buf[0]
	r.buf = r.buf[1:]
	return b
}

func (r *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *decoder) varint() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *decoder) float() float64 {
	if len(r.buf) < 8 {
		r.fail(errShort)
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.buf))
	r.buf = r.buf[8:]
	return f
}

func (r *decoder) string() string {
	n := r.uvarint()
	if uint64(len(r.buf)) < n {
		r.fail(errShort)
		return ""
	}
	s := string(r.buf[:n])
	r.buf = r.buf[n:]
	return s
}

func (r *decoder) bool() bool { return r.byte() != 0 }

// rawValue returns the JSON text of a value.
func (r *decoder) rawValue() []byte {
	if len(r.buf) < 4 {
		r.fail(errShort)
		return nil
	}
	n := binary.LittleEndian.Uint32(r.buf)
	if uint64(len(r.buf)-4) < uint64(n) {
		r.fail(errShort)
		return nil
	}
	v := r.buf[4 : 4+n]
	r.buf = r.buf[4+n:]
	return v
}

// appendJSON writes v (a value as jsonvalue decodes it, or built by the engine from such
// values) as compact JSON (keys in map order).
func appendJSON(buf []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		if t {
			return append(buf, "true"...), nil
		}
		return append(buf, "false"...), nil
	case string:
		return appendString(buf, t), nil
	case json.Number:
		if t == "" {
			return append(buf, '0'), nil
		}
		return append(buf, t...), nil
	case map[string]any:
		// Key order does not matter to the journal, which only reads the value back.
		buf = append(buf, '{')
		first := true
		for k, v := range t {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = appendJSON(buf, v); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case []any:
		buf = append(buf, '[')
		for i, e := range t {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, errors.New("engine: NaN or infinity is not JSON")
		}
		return strconv.AppendFloat(buf, t, 'g', -1, 64), nil
	case int:
		return strconv.AppendInt(buf, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(buf, t, 10), nil
	default:
		// Anything else goes through encoding/json.
		b, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		return append(buf, b...), nil
	}
}

const hexDigits = "0123456789abcdef"

func appendString(buf []byte, s string) []byte {
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
