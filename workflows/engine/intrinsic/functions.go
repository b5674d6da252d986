package intrinsic

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	mathrand "math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// Documented limits (developer guide, intrinsic functions).
const (
	// MaxStringLength is the longest string States.Base64Encode, States.Base64Decode and
	// States.Hash accept, in characters (UTF-16 code units, as Java counts them).
	MaxStringLength = 10000
	// MaxRangeLength is the most elements States.ArrayRange may produce.
	MaxRangeLength = 1000
	// MinInteger and MaxInteger bound the integer arguments of States.MathAdd ("You must specify
	// integer values in the range of -2147483648 and 2147483647") and, as the same Java int,
	// those of States.ArrayRange.
	MinInteger = math.MinInt32
	MaxInteger = math.MaxInt32
)

// parameter is what one argument position accepts.
type parameter struct {
	types valueType
	// check validates a value of the right type; it runs on literals at parse time and on
	// everything else at run time. Its error completes "argument N ...".
	check func(v any) error
}

// function describes one intrinsic function.
type function struct {
	name             string
	minimum, maximum int // maximum < 0: no limit
	parameters       []parameter
	result           valueType
	deterministic    bool // same arguments, same result: may be evaluated at parse time
	checkCall        func(c *Call) error
	evaluate         func(c *Call, values []any) (any, error)
}

// parameter returns the parameter at position i; the last one repeats for variadic functions.
func (f *function) parameter(i int) parameter {
	if len(f.parameters) == 0 {
		return parameter{types: typeAny}
	}
	if i < len(f.parameters) {
		return f.parameters[i]
	}
	return f.parameters[len(f.parameters)-1]
}

// arity describes the number of arguments for messages.
func (f *function) arity() string {
	switch {
	case f.maximum == 0:
		return "no arguments"
	case f.maximum < 0:
		return fmt.Sprintf("%d or more arguments", f.minimum)
	case f.minimum == f.maximum && f.minimum == 1:
		return "exactly 1 argument"
	case f.minimum == f.maximum:
		return fmt.Sprintf("exactly %d arguments", f.minimum)
	}
	return fmt.Sprintf("%d to %d arguments", f.minimum, f.maximum)
}

// failure is a States.IntrinsicFailure.
func failure(format string, args ...any) error {
	return states.NewError(states.ErrIntrinsicFailure, fmt.Sprintf(format, args...))
}

// causeOf returns the cause of a *states.Error, or the error text.
func causeOf(err error) string {
	var e *states.Error
	if errors.As(err, &e) {
		return e.Cause
	}
	return err.Error()
}

var functions = map[string]*function{}

func register(f *function) { functions[f.name] = f }

func init() {
	register(&function{name: "Format", minimum: 1, maximum: -1,
		parameters: []parameter{{types: typeString}, {types: typeAny}},
		result:     typeString, deterministic: true, checkCall: checkFormat, evaluate: format})
	register(&function{name: "StringToJson", minimum: 1, maximum: 1,
		parameters: []parameter{{types: typeString}},
		result:     typeAny, deterministic: true, evaluate: stringToJSON})
	register(&function{name: "JsonToString", minimum: 1, maximum: 1,
		parameters: []parameter{{types: typeAny}},
		result:     typeString, deterministic: true, evaluate: jsonToString})
	register(&function{name: "Array", minimum: 0, maximum: -1,
		parameters: []parameter{{types: typeAny}},
		result:     typeArray, deterministic: true, evaluate: array})
	register(&function{name: "ArrayPartition", minimum: 2, maximum: 2,
		parameters: []parameter{{types: typeArray}, {types: typeNumber, check: positiveInteger}},
		result:     typeArray, deterministic: true, evaluate: arrayPartition})
	register(&function{name: "ArrayContains", minimum: 2, maximum: 2,
		parameters: []parameter{{types: typeArray}, {types: typeAny}},
		result:     typeBoolean, deterministic: true, evaluate: arrayContains})
	register(&function{name: "ArrayRange", minimum: 3, maximum: 3,
		parameters: []parameter{{types: typeNumber, check: boundedInteger}, {types: typeNumber, check: boundedInteger}, {types: typeNumber, check: nonZeroInteger}},
		result:     typeArray, deterministic: true, evaluate: arrayRange})
	register(&function{name: "ArrayGetItem", minimum: 2, maximum: 2,
		parameters: []parameter{{types: typeArray}, {types: typeNumber, check: indexInteger}},
		result:     typeAny, deterministic: true, evaluate: arrayGetItem})
	register(&function{name: "ArrayLength", minimum: 1, maximum: 1,
		parameters: []parameter{{types: typeArray}},
		result:     typeNumber, deterministic: true, evaluate: arrayLength})
	register(&function{name: "ArrayUnique", minimum: 1, maximum: 1,
		parameters: []parameter{{types: typeArray}},
		result:     typeArray, deterministic: true, evaluate: arrayUnique})
	register(&function{name: "Base64Encode", minimum: 1, maximum: 1,
		parameters: []parameter{{types: typeString, check: limitedString}},
		result:     typeString, deterministic: true, evaluate: base64Encode})
	register(&function{name: "Base64Decode", minimum: 1, maximum: 1,
		parameters: []parameter{{types: typeString, check: limitedString}},
		result:     typeString, deterministic: true, evaluate: base64Decode})
	register(&function{name: "Hash", minimum: 2, maximum: 2,
		parameters: []parameter{{types: typeString, check: limitedString}, {types: typeString, check: hashAlgorithm}},
		result:     typeString, deterministic: true, evaluate: hashValue})
	register(&function{name: "JsonMerge", minimum: 3, maximum: 3,
		parameters: []parameter{{types: typeObject}, {types: typeObject}, {types: typeBoolean, check: shallowOnly}},
		result:     typeObject, deterministic: true, evaluate: jsonMerge})
	register(&function{name: "MathRandom", minimum: 2, maximum: 3,
		parameters: []parameter{{types: typeNumber, check: anyInteger}, {types: typeNumber, check: anyInteger}, {types: typeNumber, check: anyInteger}},
		result:     typeNumber, evaluate: mathRandom})
	register(&function{name: "MathAdd", minimum: 2, maximum: 2,
		parameters: []parameter{{types: typeNumber, check: boundedInteger}, {types: typeNumber, check: boundedInteger}},
		result:     typeNumber, deterministic: true, evaluate: mathAdd})
	register(&function{name: "StringSplit", minimum: 2, maximum: 2,
		parameters: []parameter{{types: typeString}, {types: typeString}},
		result:     typeArray, deterministic: true, evaluate: stringSplit})
	register(&function{name: "UUID", minimum: 0, maximum: 0,
		result: typeString, evaluate: uuid})
}

// roundInteger turns a number into an integer the way Step Functions does: "If you specify a
// non-integer value ..., Step Functions will round it off to the nearest integer", halves upward
// as Java's Math.round (recorded against AWS in LocalStack's test_math_add: MathAdd(1.5, 0) is 2,
// MathAdd(-1.5, 0) is -1, MathAdd(1.49, 1.5) is 3). It fails for numbers beyond ±2^62.
func roundInteger(v any) (int64, bool) {
	n, ok := jsonvalue.Number(v)
	if !ok {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, i > -1<<62 && i < 1<<62
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.Abs(f) >= 1<<62 {
		return 0, false
	}
	return int64(math.Floor(f + 0.5)), true
}

func anyInteger(v any) error {
	if _, ok := roundInteger(v); !ok {
		return fmt.Errorf("must be an integer, got %s", describe(v))
	}
	return nil
}

func boundedInteger(v any) error {
	if i, ok := roundInteger(v); !ok || i < MinInteger || i > MaxInteger {
		return fmt.Errorf("must be an integer between %d and %d, got %s", MinInteger, MaxInteger, describe(v))
	}
	return nil
}

func nonZeroInteger(v any) error {
	if err := boundedInteger(v); err != nil {
		return err
	}
	if i, _ := roundInteger(v); i == 0 {
		return fmt.Errorf("(the step) must not be zero, got %s", describe(v))
	}
	return nil
}

func positiveInteger(v any) error {
	if i, ok := roundInteger(v); !ok || i <= 0 || i > MaxInteger {
		return fmt.Errorf("(the chunk size) must be a positive integer, got %s", describe(v))
	}
	return nil
}

func indexInteger(v any) error {
	if i, ok := roundInteger(v); !ok || i < 0 || i > MaxInteger {
		return fmt.Errorf("(the index) must be an integer of 0 or more, got %s", describe(v))
	}
	return nil
}

func limitedString(v any) error {
	if n := jsonvalue.UTF16Length(v.(string)); n > MaxStringLength {
		return fmt.Errorf("must be at most %d characters long, got %d", MaxStringLength, n)
	}
	return nil
}

var hashes = map[string]func() hash.Hash{
	"MD5": md5.New, "SHA-1": sha1.New, "SHA-256": sha256.New, "SHA-384": sha512.New384, "SHA-512": sha512.New,
}

func hashAlgorithm(v any) error {
	if _, ok := hashes[v.(string)]; !ok {
		return fmt.Errorf("must be one of MD5, SHA-1, SHA-256, SHA-384 or SHA-512, got %q", v)
	}
	return nil
}

func shallowOnly(v any) error {
	if v.(bool) {
		return errors.New("must be false: Step Functions only supports the shallow merging mode")
	}
	return nil
}

func integerNumber(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }

// checkFormat compares the placeholders of a literal template with the values that follow.
func checkFormat(c *Call) error {
	template := &c.arguments[0]
	if template.kind != argumentLiteral || template.pieces == nil {
		return nil
	}
	if placeholders, values := len(template.pieces)-1, len(c.arguments)-1; placeholders != values {
		return fmt.Errorf("States.Format: the template has %d placeholders {} but %d values follow it", placeholders, values)
	}
	return nil
}

// format builds the string. Strings are inserted as they are, numbers, booleans and null as their
// JSON text. The specification forbids arrays and objects, but Step Functions formats them the
// way Java prints collections ({Arg1=1, Arg2=[]}, recorded against AWS in LocalStack's
// test_format_2), and so does this.
func format(c *Call, values []any) (any, error) {
	pieces := c.arguments[0].pieces
	if c.arguments[0].kind != argumentLiteral || pieces == nil {
		pieces = strings.Split(values[0].(string), "{}")
	}
	if len(pieces)-1 != len(values)-1 {
		return nil, failure("States.Format: the template has %d placeholders {} but %d values follow it", len(pieces)-1, len(values)-1)
	}
	var b strings.Builder
	size := 16 * (len(values) - 1)
	for _, piece := range pieces {
		size += len(piece)
	}
	b.Grow(size)
	for i, piece := range pieces {
		b.WriteString(piece)
		if i+1 < len(values) {
			writeFormatted(&b, values[i+1])
		}
	}
	return b.String(), nil
}

func writeFormatted(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case json.Number:
		b.WriteString(string(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case nil:
		b.WriteString("null")
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFormatted(b, e)
		}
		b.WriteByte(']')
	case *jsonvalue.Object:
		b.WriteByte('{')
		for i, m := range x.Members() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(m.Key)
			b.WriteByte('=')
			writeFormatted(b, m.Value)
		}
		b.WriteByte('}')
	default:
		text, err := jsonvalue.EncodeString(v)
		if err != nil {
			text = fmt.Sprint(v)
		}
		b.WriteString(text)
	}
}

// stringToJSON parses the string. An empty or blank string gives null, as on AWS (LocalStack's
// test_string_to_json, recorded: "" and " " give null).
func stringToJSON(_ *Call, values []any) (any, error) {
	s := values[0].(string)
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, err := jsonvalue.DecodeString(s)
	if err != nil {
		return nil, failure("States.StringToJson: the argument is not valid JSON: %v", err)
	}
	return v, nil
}

// jsonToString renders compact JSON ({"Arg1":1,"Arg2":[]}, as recorded in test_json_to_string).
func jsonToString(_ *Call, values []any) (any, error) {
	s, err := jsonvalue.EncodeString(values[0])
	if err != nil {
		return nil, failure("States.JsonToString: %v", err)
	}
	return s, nil
}

func array(_ *Call, values []any) (any, error) {
	return values, nil
}

func arrayPartition(_ *Call, values []any) (any, error) {
	items := values[0].([]any)
	size, _ := roundInteger(values[1])
	chunks := make([]any, 0, (int64(len(items))+size-1)/size)
	for start := 0; start < len(items); start += int(size) {
		end := min(len(items), start+int(size))
		chunks = append(chunks, items[start:end:end])
	}
	return chunks, nil
}

func arrayContains(_ *Call, values []any) (any, error) {
	for _, item := range values[0].([]any) {
		if jsonvalue.Equal(item, values[1]) {
			return true, nil
		}
	}
	return false, nil
}

// arrayRange counts from the first to the last argument by the step, which may be negative.
// A range that runs away from its end is empty.
func arrayRange(_ *Call, values []any) (any, error) {
	first, _ := roundInteger(values[0])
	last, _ := roundInteger(values[1])
	step, _ := roundInteger(values[2])
	count := int64(0)
	if (step > 0 && last >= first) || (step < 0 && last <= first) {
		count = (last-first)/step + 1
	}
	if count > MaxRangeLength {
		return nil, failure("States.ArrayRange: the range would hold %d elements; at most %d are allowed", count, MaxRangeLength)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = integerNumber(first + int64(i)*step)
	}
	return out, nil
}

func arrayGetItem(_ *Call, values []any) (any, error) {
	items := values[0].([]any)
	index, _ := roundInteger(values[1])
	if index >= int64(len(items)) {
		return nil, failure("States.ArrayGetItem: index %d is outside the array, which has %d elements", index, len(items))
	}
	return items[index], nil
}

func arrayLength(_ *Call, values []any) (any, error) {
	return integerNumber(int64(len(values[0].([]any)))), nil
}

// arrayUnique keeps the first of equal elements (see jsonvalue.Equal), in order.
func arrayUnique(_ *Call, values []any) (any, error) {
	items := values[0].([]any)
	seen := make(map[string]struct{}, len(items))
	out := make([]any, 0, len(items))
	var key []byte
	for _, item := range items {
		key = jsonvalue.AppendCanonical(key[:0], item)
		if _, dup := seen[string(key)]; dup {
			continue
		}
		seen[string(key)] = struct{}{}
		out = append(out, item)
	}
	return out, nil
}

func base64Encode(_ *Call, values []any) (any, error) {
	return base64.StdEncoding.EncodeToString([]byte(values[0].(string))), nil
}

// base64Decode decodes standard Base64, with or without padding. Bytes that are not UTF-8 become
// U+FFFD, as Java's decoding of the bytes into a string does.
func base64Decode(_ *Call, values []any) (any, error) {
	s := values[0].(string)
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, failure("States.Base64Decode: the argument is not valid Base64")
		}
	}
	if !utf8.Valid(data) {
		return strings.ToValidUTF8(string(data), "\uFFFD"), nil
	}
	return string(data), nil
}

// hashValue is the lowercase hexadecimal digest of the string's UTF-8 bytes.
func hashValue(_ *Call, values []any) (any, error) {
	h := hashes[values[1].(string)]()
	h.Write([]byte(values[0].(string)))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// jsonMerge is the shallow merge: the second object's members replace the first's. The result
// has the first object's keys in their order (a replaced value keeps its key's place), then the
// second's new keys in theirs, as Jackson's ObjectNode.setAll gives on AWS.
func jsonMerge(_ *Call, values []any) (any, error) {
	first, second := values[0].(*jsonvalue.Object), values[1].(*jsonvalue.Object)
	switch {
	case second.Len() == 0:
		return first, nil
	case first.Len() == 0:
		return second, nil
	}
	out := jsonvalue.NewObjectBuilder(first.Len() + second.Len())
	for _, m := range first.Members() {
		out.Set(m.Key, m.Value)
	}
	for _, m := range second.Members() {
		out.Set(m.Key, m.Value)
	}
	return out.Build(), nil
}

// mathRandom returns an integer from the start (inclusive) to the end (exclusive), as the
// developer guide states. With a seed the result depends only on the arguments.
func mathRandom(_ *Call, values []any) (any, error) {
	start, _ := roundInteger(values[0])
	end, _ := roundInteger(values[1])
	if end <= start {
		return nil, failure("States.MathRandom: the end (%d, exclusive) must be greater than the start (%d)", end, start)
	}
	span := uint64(end - start)
	if len(values) == 3 {
		seed, _ := roundInteger(values[2])
		generator := mathrand.New(mathrand.NewPCG(uint64(seed), 0x5eed))
		return integerNumber(start + int64(generator.Uint64N(span))), nil
	}
	return integerNumber(start + int64(mathrand.Uint64N(span))), nil
}

func mathAdd(_ *Call, values []any) (any, error) {
	a, _ := roundInteger(values[0])
	b, _ := roundInteger(values[1])
	return integerNumber(a + b), nil
}

// stringSplit splits at every character of the second argument and drops the empty pieces, as
// on AWS (LocalStack's test_string_split, recorded: ",,,," gives [], ", , ," gives [" ", " "],
// and "This.is+a,test=string" split at ".+,=" gives five words).
func stringSplit(_ *Call, values []any) (any, error) {
	s, delimiters := values[0].(string), values[1].(string)
	out := make([]any, 0, 4)
	for _, piece := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delimiters, r) }) {
		out = append(out, piece)
	}
	return out, nil
}

// uuid returns a random (version 4) UUID.
func uuid(_ *Call, _ []any) (any, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:]), nil
}
