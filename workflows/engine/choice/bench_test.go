package choice

import (
	"testing"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

func benchmarkEval(b *testing.B, rule, input string) {
	r := mustCompile(b, rule)
	doc := decode(b, input)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Eval(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChoiceEval is the third rule of the developer guide's Choice example.
func BenchmarkChoiceEval(b *testing.B) {
	benchmarkEval(b, `{"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}`,
		`{"type": "Private", "value": 22}`)
}

func BenchmarkChoiceEvalStringEquals(b *testing.B) {
	benchmarkEval(b, `{"Variable": "$.compensation.status", "StringEquals": "COMPLETED", "Next": "X"}`,
		`{"compensation": {"status": "COMPLETED"}, "other": [1, 2, 3]}`)
}

func BenchmarkChoiceEvalTimestamp(b *testing.B) {
	benchmarkEval(b, `{"Variable": "$.when", "TimestampLessThanPath": "$.deadline", "Next": "X"}`,
		`{"when": "2024-05-01T10:00:00.250+02:00", "deadline": "2024-05-01T09:00:00Z"}`)
}

func BenchmarkChoiceEvalStringMatches(b *testing.B) {
	benchmarkEval(b, `{"Variable": "$.file", "StringMatches": "log-*-*.txt", "Next": "X"}`, `{"file": "log-2024-05-01.txt"}`)
}

func BenchmarkChoiceCompile(b *testing.B) {
	raw := decode(b, `{"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}`).(*jsonvalue.Object)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(raw); err != nil {
			b.Fatal(err)
		}
	}
}
