package template

import "testing"

const benchmarkInput = `{"activationId": "act-1", "assessment": {"tasks": {"enrolment": {"due": 3}, "sourcing": {"due": 5}}},
  "approval": {"deadlineSeconds": 3600}, "profile": {"name": "medic"}}`

func benchmarkEval(b *testing.B, template string) {
	tmpl, err := Compile(decode(b, template))
	if err != nil {
		b.Fatal(err)
	}
	input, ctx := decode(b, benchmarkInput), decode(b, contextObject)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.Eval(input, ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTemplateEval is a Task's Parameters as the fast-track workflow writes them.
func BenchmarkTemplateEval(b *testing.B) {
	benchmarkEval(b, `{"activationId.$": "$.activationId", "execution.$": "$$.Execution.Id", "startedAt.$": "$$.Execution.StartTime",
	  "enrolment.$": "$.assessment.tasks.enrolment", "sourcing.$": "$.assessment.tasks.sourcing", "kind": "task", "limits": {"retries": 3}}`)
}

func BenchmarkTemplateEvalIntrinsic(b *testing.B) {
	benchmarkEval(b, `{"key.$": "States.Format('{}#{}', $.activationId, $$.State.Name)", "id.$": "$.activationId"}`)
}

func BenchmarkTemplateEvalConstant(b *testing.B) {
	benchmarkEval(b, `{"kind": "task", "limits": {"retries": 3}, "tags": ["a", "b"]}`)
}

func BenchmarkTemplateCompile(b *testing.B) {
	raw := decode(b, `{"activationId.$": "$.activationId", "execution.$": "$$.Execution.Id", "key.$": "States.Format('{}#{}', $.activationId, $$.State.Name)", "kind": "task"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(raw); err != nil {
			b.Fatal(err)
		}
	}
}
