package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// object is a JSON object that remembers the order of its keys and any key given twice, so that
// problems are reported in definition order and duplicate state names are caught.
type object struct {
	keys       []string
	values     map[string]any
	duplicates []string
}

func (o *object) get(key string) (any, bool) {
	v, ok := o.values[key]
	return v, ok
}

// decodeOrdered parses a JSON document into *object, []any, json.Number, string, bool and nil.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid character after top-level value")
	}
	return v, nil
}

// maxDepth bounds nesting so that a hostile definition cannot exhaust the stack.
const maxDepth = 512

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &object{values: map[string]any{}}
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := keyTok.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if _, seen := obj.values[key]; seen {
					obj.duplicates = append(obj.duplicates, key)
				} else {
					obj.keys = append(obj.keys, key)
				}
				obj.values[key] = val
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		default:
			return nil, fmt.Errorf("unexpected %q", t)
		}
	default:
		return t, nil
	}
}

// plain converts a parsed value into the engine's JSON values (jsonvalue.Object, in the
// definition's key order).
func plain(v any) any {
	switch t := v.(type) {
	case *object:
		members := make([]jsonvalue.Member, len(t.keys))
		for i, k := range t.keys {
			members[i] = jsonvalue.Member{Key: k, Value: plain(t.values[k])}
		}
		return jsonvalue.NewObject(members...)
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = plain(val)
		}
		return out
	default:
		return v
	}
}

// mentionsContext reports whether any key or string value inside v contains "$$".
func mentionsContext(v any) bool {
	switch t := v.(type) {
	case *object:
		for k, val := range t.values {
			if containsContext(k) || mentionsContext(val) {
				return true
			}
		}
	case []any:
		for _, val := range t {
			if mentionsContext(val) {
				return true
			}
		}
	case string:
		return containsContext(t)
	}
	return false
}

func containsContext(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '$' && s[i+1] == '$' {
			return true
		}
	}
	return false
}

// jsonKind names a decoded value's JSON type for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case *object:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
