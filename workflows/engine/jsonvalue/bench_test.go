package jsonvalue

import (
	"os"
	"testing"
)

// benchmarkDocument is the input of the engine benchmark's flow machine: what StartExecution
// decodes on every execution.
func benchmarkDocument(b *testing.B) []byte {
	data, err := os.ReadFile("../bench/testdata/flow.input.json")
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkDecode(b *testing.B) {
	data := benchmarkDocument(b)
	text := string(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeString(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEncodingJSON is the same document through encoding/json, which Decode
// replaced, for comparison.
func BenchmarkDecodeEncodingJSON(b *testing.B) {
	data := benchmarkDocument(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeStandard(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	v, err := Decode(benchmarkDocument(b))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = Append(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkObjectGet(b *testing.B) {
	small := mustDecode(b, `{"id":1,"region":"x","customer":2,"address":3,"lines":4,"priority":5}`).(*Object)
	keys := []string{"id", "lines", "priority", "missing"}
	b.ReportAllocs()
	for b.Loop() {
		for _, k := range keys {
			small.Get(k)
		}
	}
}
