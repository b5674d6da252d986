package jsonvalue

import (
	"encoding/json"
	"math"
	"strconv"
)

// decimal is a JSON number taken apart without allocating: its sign, its significant digits (the
// integer and fraction digit runs with the leading zeros skipped) and the power of ten of the first
// significant digit. The value is 0.d1d2d3... × 10^point.
type decimal struct {
	negative bool
	zero     bool
	// The significant digits are integer[intStart:] followed by fraction[fracStart:].
	integer, fraction   string
	intStart, fracStart int
	point               int64
}

// exponentLimit caps explicit exponents so that arithmetic on them cannot overflow; numbers past
// it compare by their sign and this magnitude, which no JSON document in practice reaches.
const exponentLimit = 1 << 40

// parseDecimal reads a JSON number (RFC 8259 grammar). It reports false for anything else.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.negative = true
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || (s[start] == '0' && i-start > 1) {
		return d, false
	}
	d.integer = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return d, false
		}
		d.fraction = s[start:i]
	}
	var exponent int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		negativeExponent := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			negativeExponent = s[i] == '-'
			i++
		}
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exponent < exponentLimit {
				exponent = exponent*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == start {
			return d, false
		}
		if negativeExponent {
			exponent = -exponent
		}
	}
	if i != len(s) {
		return d, false
	}
	for d.intStart < len(d.integer) && d.integer[d.intStart] == '0' {
		d.intStart++
	}
	if d.intStart < len(d.integer) {
		d.point = int64(len(d.integer)-d.intStart) + exponent
		return d, true
	}
	for d.fracStart < len(d.fraction) && d.fraction[d.fracStart] == '0' {
		d.fracStart++
	}
	if d.fracStart == len(d.fraction) {
		d.zero = true
		return d, true
	}
	d.point = exponent - int64(d.fracStart)
	return d, true
}

// digits is how many significant digit characters (trailing zeros included) the number has.
func (d *decimal) digits() int {
	return len(d.integer) - d.intStart + len(d.fraction) - d.fracStart
}

// digit returns the i-th significant digit, or '0' past the last one.
func (d *decimal) digit(i int) byte {
	if n := len(d.integer) - d.intStart; i < n {
		return d.integer[d.intStart+i]
	} else if i -= n; i < len(d.fraction)-d.fracStart {
		return d.fraction[d.fracStart+i]
	}
	return '0'
}

// compareMagnitude orders |a| and |b|, both non-zero.
func compareMagnitude(a, b *decimal) int {
	if a.point != b.point {
		if a.point < b.point {
			return -1
		}
		return 1
	}
	n := max(a.digits(), b.digits())
	for i := 0; i < n; i++ {
		x, y := a.digit(i), b.digit(i)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// CompareNumbers orders two JSON numbers exactly, however many digits they have (1 equals 1.0
// and 1e0; 9007199254740993 is greater than 9007199254740992). It returns -1, 0 or +1, and false
// when either is not a JSON number. It does not allocate.
func CompareNumbers(a, b json.Number) (int, bool) {
	x, ok := parseDecimal(string(a))
	if !ok {
		return 0, false
	}
	y, ok := parseDecimal(string(b))
	if !ok {
		return 0, false
	}
	return compareDecimals(&x, &y), true
}

func compareDecimals(x, y *decimal) int {
	switch {
	case x.zero && y.zero:
		return 0
	case x.zero:
		if y.negative {
			return 1
		}
		return -1
	case y.zero:
		if x.negative {
			return -1
		}
		return 1
	case x.negative != y.negative:
		if x.negative {
			return -1
		}
		return 1
	}
	c := compareMagnitude(x, y)
	if x.negative {
		return -c
	}
	return c
}

// Number returns v as a json.Number when it is a JSON number. Values decoded by Decode hold
// json.Number already; float64 and the Go integer types, which code building values by hand may
// use, are converted (that conversion allocates).
func Number(v any) (json.Number, bool) {
	switch n := v.(type) {
	case json.Number:
		return n, true
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return "", false
		}
		return json.Number(strconv.FormatFloat(n, 'g', -1, 64)), true
	case float32:
		return json.Number(strconv.FormatFloat(float64(n), 'g', -1, 32)), true
	case int:
		return json.Number(strconv.FormatInt(int64(n), 10)), true
	case int64:
		return json.Number(strconv.FormatInt(n, 10)), true
	case int32:
		return json.Number(strconv.FormatInt(int64(n), 10)), true
	case uint64:
		return json.Number(strconv.FormatUint(n, 10)), true
	}
	return "", false
}

// IsNumber reports whether v is a JSON number (see Number).
func IsNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64, float32, int, int64, int32, uint64:
		return true
	}
	return false
}

// appendCanonicalNumber writes a form of the number that is the same for every spelling of the
// same value: "0", or an optional "-", the significant digits without trailing zeros, "e" and the
// power of ten of the first digit.
func appendCanonicalNumber(buf []byte, n json.Number) []byte {
	d, ok := parseDecimal(string(n))
	if !ok {
		return append(buf, n...)
	}
	if d.zero {
		return append(buf, '0')
	}
	if d.negative {
		buf = append(buf, '-')
	}
	last := d.digits() - 1
	for last > 0 && d.digit(last) == '0' {
		last--
	}
	for i := 0; i <= last; i++ {
		buf = append(buf, d.digit(i))
	}
	buf = append(buf, 'e')
	return strconv.AppendInt(buf, d.point, 10)
}
