// Package jsonvalue fixes how the engine holds JSON: as plain Go values (map[string]any, []any,
// string, json.Number, bool, nil). Numbers stay json.Number so that their text survives a trip
// through a state machine unchanged, as it does on AWS (12000000 stays 12000000, 1.50 stays 1.50,
// and 64-bit integers keep every digit).
//
// Values are treated as immutable once decoded: every part of the engine that changes a document
// (ResultPath, Parameters, intrinsic functions) builds a new one and shares the untouched parts.
// That is what makes passing state from step to step cheap.
package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decode parses one JSON document; numbers become json.Number. Trailing data is an error.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid character after top-level value")
	}
	return v, nil
}

// DecodeString is Decode of a string.
func DecodeString(s string) (any, error) { return Decode([]byte(s)) }

// Encode renders a value as compact JSON without escaping <, > and & (AWS does not).
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// EncodeString is Encode to a string.
func EncodeString(v any) (string, error) {
	b, err := Encode(v)
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
