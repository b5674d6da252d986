package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// MaxBodyBytes is the largest request body the API reads. An activation request with many
// profiles and a long justification stays far below it.
const MaxBodyBytes = 64 << 10

// decodeJSON reads the request body into target strictly: a JSON media type, at most
// MaxBodyBytes, exactly one JSON value, no duplicate keys, no unknown fields, every value of the
// type its field has. It reports every such field error at once, each with its path, before
// anything is decoded into target, so a refusal never leaves a half-filled value behind.
func decodeJSON(w http.ResponseWriter, r *http.Request, target any) *Problem {
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil ||
		(mediaType != "application/json" && !strings.HasSuffix(mediaType, "+json")) {
		return NewProblem(ProblemMediaType, "send the body with Content-Type: application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return NewProblem(ProblemTooLarge, fmt.Sprintf("the body must be at most %d bytes", MaxBodyBytes))
		}
		return NewProblem(ProblemMalformed, "the body could not be read")
	}
	return decodeBytes(body, target)
}

// decodeBytes is decodeJSON on a body already read.
func decodeBytes(body []byte, target any) *Problem {
	value, err := parseStrict(body)
	if err != nil {
		return NewProblem(ProblemMalformed, err.Error())
	}
	var fieldErrors []FieldError
	checkShape(value, reflect.TypeOf(target).Elem(), "", &fieldErrors)
	if len(fieldErrors) > 0 {
		return NewProblem(ProblemValidation, "the body does not have the expected shape", fieldErrors...)
	}
	if err := json.Unmarshal(body, target); err != nil {
		// checkShape accepted it, so this is a value a custom decoder refused.
		return NewProblem(ProblemValidation, "the body does not have the expected shape", FieldError{Field: "", Reason: "cannot be decoded"})
	}
	return nil
}

// parseStrict parses one JSON value with numbers kept exact, refusing duplicate object keys and
// trailing data.
func parseStrict(body []byte) (any, error) {
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	value, err := parseValue(decoder, "")
	if err != nil {
		return nil, err
	}
	if _, err := decoder.Token(); err != io.EOF {
		return nil, errors.New("the body must hold exactly one JSON value")
	}
	return value, nil
}

func parseValue(decoder *json.Decoder, path string) (any, error) {
	token, err := decoder.Token()
	if err == io.EOF {
		return nil, errors.New("the body is empty")
	}
	if err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, fmt.Errorf("invalid JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "invalid character "))
		}
		return nil, errors.New("invalid JSON")
	}
	switch t := token.(type) {
	case json.Delim:
		switch t {
		case '{':
			object := map[string]any{}
			for decoder.More() {
				keyToken, err := decoder.Token()
				if err != nil {
					return nil, errors.New("invalid JSON object")
				}
				key, _ := keyToken.(string)
				if _, seen := object[key]; seen {
					return nil, fmt.Errorf("duplicate key %q", join(path, key))
				}
				v, err := parseValue(decoder, join(path, key))
				if err != nil {
					return nil, err
				}
				object[key] = v
			}
			if _, err := decoder.Token(); err != nil {
				return nil, errors.New("invalid JSON object")
			}
			return object, nil
		case '[':
			array := []any{}
			for decoder.More() {
				v, err := parseValue(decoder, path+"["+strconv.Itoa(len(array))+"]")
				if err != nil {
					return nil, err
				}
				array = append(array, v)
			}
			if _, err := decoder.Token(); err != nil {
				return nil, errors.New("invalid JSON array")
			}
			return array, nil
		}
		return nil, errors.New("invalid JSON")
	default:
		return t, nil
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkShape compares a parsed JSON value with the Go type it will be decoded into and records
// every mismatch: unknown fields, wrong types, integers out of range, nulls where a value is
// needed.
func checkShape(value any, typ reflect.Type, path string, errs *[]FieldError) {
	add := func(reason string) { *errs = append(*errs, FieldError{Field: path, Reason: reason}) }
	if typ.Kind() == reflect.Pointer {
		if value == nil {
			return
		}
		typ = typ.Elem()
	}
	if reflect.PointerTo(typ).Implements(unmarshalerType) {
		return // the type decodes itself and reports its own errors
	}
	if value == nil {
		switch typ.Kind() {
		case reflect.Slice, reflect.Map, reflect.Interface:
			return
		}
		add("must not be null")
		return
	}
	switch typ.Kind() {
	case reflect.String:
		if _, ok := value.(string); !ok {
			add("must be a string")
		}
	case reflect.Bool:
		if _, ok := value.(bool); !ok {
			add("must be true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		number, ok := value.(json.Number)
		if !ok {
			add("must be an integer")
			return
		}
		n, err := strconv.ParseInt(number.String(), 10, 64)
		if err != nil {
			if _, floatErr := strconv.ParseFloat(number.String(), 64); floatErr == nil && !strings.ContainsAny(number.String(), ".eE") {
				add("is too large")
			} else {
				add("must be an integer")
			}
			return
		}
		if reflect.New(typ).Elem().OverflowInt(n) {
			add("is too large")
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		number, ok := value.(json.Number)
		if !ok {
			add("must be a non-negative integer")
			return
		}
		n, err := strconv.ParseUint(number.String(), 10, 64)
		if err != nil || reflect.New(typ).Elem().OverflowUint(n) {
			add("must be a non-negative integer in range")
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := value.(json.Number); !ok {
			add("must be a number")
		}
	case reflect.Slice, reflect.Array:
		items, ok := value.([]any)
		if !ok {
			add("must be an array")
			return
		}
		for i, item := range items {
			checkShape(item, typ.Elem(), path+"["+strconv.Itoa(i)+"]", errs)
		}
	case reflect.Map:
		object, ok := value.(map[string]any)
		if !ok {
			add("must be an object")
			return
		}
		for _, key := range sortedKeys(object) {
			checkShape(object[key], typ.Elem(), join(path, key), errs)
		}
	case reflect.Struct:
		object, ok := value.(map[string]any)
		if !ok {
			add("must be an object")
			return
		}
		fields := jsonFields(typ)
		for _, key := range sortedKeys(object) {
			field, known := fields[key]
			if !known {
				*errs = append(*errs, FieldError{Field: join(path, key), Reason: "is not a known field"})
				continue
			}
			checkShape(object[key], field, join(path, key), errs)
		}
	case reflect.Interface:
		// any value is accepted
	default:
		add("cannot be decoded")
	}
}

// jsonFields maps the JSON names of a struct's fields (embedded structs flattened, as
// encoding/json does) to their types.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range typ.NumField() {
		field := typ.Field(i)
		tag := field.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if field.Anonymous && name == "" {
			embedded := field.Type
			if embedded.Kind() == reflect.Pointer {
				embedded = embedded.Elem()
			}
			if embedded.Kind() == reflect.Struct {
				for k, v := range jsonFields(embedded) {
					if _, shadowed := fields[k]; !shadowed {
						fields[k] = v
					}
				}
				continue
			}
		}
		if !field.IsExported() {
			continue
		}
		if name == "" {
			name = field.Name
		}
		fields[name] = field.Type
	}
	return fields
}

func sortedKeys(object map[string]any) []string {
	keys := make([]string, 0, len(object))
	for k := range object {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
