package intrinsic

import "testing"

func benchmarkEval(b *testing.B, expr string) {
	call, err := Parse(expr)
	if err != nil {
		b.Fatal(err)
	}
	input := decode(b, `{"name": "Arnav", "items": [1, 2, 3, 4, 5, 6, 7, 8, 9], "arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.2.3"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := call.Eval(input, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalFormat(b *testing.B) {
	benchmarkEval(b, "States.Format('Hello, my name is {}.', $.name)")
}

func BenchmarkEvalNested(b *testing.B) {
	benchmarkEval(b, "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), '.'), 0)")
}

func BenchmarkEvalArrayPartition(b *testing.B) {
	benchmarkEval(b, "States.ArrayPartition($.items, 4)")
}

func BenchmarkEvalConstant(b *testing.B) {
	benchmarkEval(b, "States.Array('a', 1, States.MathAdd(1, 2))")
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("States.Format('{}.{}', States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), $.name)"); err != nil {
			b.Fatal(err)
		}
	}
}
