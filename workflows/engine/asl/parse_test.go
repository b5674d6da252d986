package asl

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

// fastTrack is the project's own state machine with its placeholders filled in.
func fastTrack(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../fasttrack.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\$\{([A-Za-z]+)FunctionArn\}`)
	return re.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := strings.ToLower(string(re.FindSubmatch(m)[1]))
		return []byte("arn:aws:lambda:us-east-1:123456789012:function:fasttrack-" + name)
	})
}

func TestParseTheFastTrackMachine(t *testing.T) {
	prog, err := Parse(fastTrack(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if prog.Root.StartAt.Name != "Assess" || prog.TimeoutSeconds != 2592000 {
		t.Fatalf("StartAt %s, TimeoutSeconds %d", prog.Root.StartAt.Name, prog.TimeoutSeconds)
	}
	checks := prog.Root.States["Checks"]
	if checks.Type != TypeParallel || len(checks.Branches) != 2 || checks.Branches[1].StartAt.Name != "ReserveFunds" {
		t.Fatalf("Checks parsed as %+v", checks)
	}
	approvals := prog.Root.States["Approvals"]
	if approvals.Type != TypeMap || approvals.Iterator == nil || approvals.ItemSelector == nil || approvals.ItemsPath.Text != "$.checks.approvals" {
		t.Fatalf("Approvals parsed as %+v", approvals)
	}
	requested := approvals.Iterator.States["ApprovalRequested"]
	if requested.TimeoutSecondsPath == nil || len(requested.Catch) != 1 || requested.Catch[0].Next.Name != "ApprovalEscalated" || !requested.UsesContext {
		t.Fatalf("ApprovalRequested parsed as %+v", requested)
	}
	for i, s := range prog.States {
		if s.ID != i {
			t.Fatalf("state %s has ID %d at index %d", s.Name, s.ID, i)
		}
	}
	if r := prog.Root.States["Assess"].Retry[0]; r.MaxDelaySeconds != 15 || !r.JitterFull || r.MaxAttempts != 4 || r.BackoffRate != 2 {
		t.Fatalf("Assess retrier %+v", r)
	}
}

func TestParseDefaultsAndFields(t *testing.T) {
	prog, err := Parse([]byte(`{
	  "StartAt": "P",
	  "States": {
	    "P": {"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.r", "InputPath": null, "OutputPath": "$.r", "Next": "W"},
	    "W": {"Type": "Wait", "Timestamp": "2030-01-02T03:04:05Z", "Next": "T"},
	    "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"},
	          "ResultPath": null, "TimeoutSeconds": 10, "HeartbeatSeconds": 5,
	          "Retry": [{"ErrorEquals": ["X"]}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.error"}], "Next": "M"},
	    "M": {"Type": "Map", "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "Parameters": {"v.$": "$$.Map.Item.Value"},
	          "MaxConcurrency": 2, "ToleratedFailureCount": 1, "End": true},
	    "F": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "States.Format('bad {}', $.error.Cause)"}
	  }
	}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := prog.Root.States["P"]
	if !p.HasResult || !p.InputPath.Null || p.OutputPath.Path.Text != "$.r" || p.ResultPath.Path.Text != "$.r" || p.Next.Name != "W" {
		t.Fatalf("P %+v", p)
	}
	w := prog.Root.States["W"]
	if !w.HasTimestamp || w.Timestamp.Year() != 2030 {
		t.Fatalf("W %+v", w)
	}
	task := prog.Root.States["T"]
	r := task.Retry[0]
	if r.IntervalSeconds != 1 || r.MaxAttempts != 3 || r.BackoffRate != 2.0 || r.JitterFull || r.MaxDelaySeconds != 0 {
		t.Fatalf("retrier defaults %+v", r)
	}
	if !task.ResultPath.Null || task.TimeoutSeconds != 10 || task.HeartbeatSeconds != 5 || task.Catch[0].ResultPath.Path.Text != "$.error" {
		t.Fatalf("T %+v", task)
	}
	m := prog.Root.States["M"]
	if m.ItemSelector == nil || m.Parameters != nil || m.MaxConcurrency != 2 || !m.HasToleratedFailureCount || m.ToleratedFailureCount != 1 || !m.End {
		t.Fatalf("M %+v", m)
	}
	f := prog.Root.States["F"]
	if f.ErrorPath == nil || f.CausePath == nil || f.CausePath.call == nil || !f.End {
		t.Fatalf("F %+v", f)
	}
}

// Each invalid definition must be refused with a problem naming the code, the location and
// the reason.
func TestParseReportsProblems(t *testing.T) {
	cases := []struct {
		name       string
		definition string
		code       string
		location   string
		message    string
	}{
		{"not JSON", `{"StartAt": `, CodeInvalidJSON, "", "not valid JSON"},
		{"not an object", `[1]`, CodeInvalidJSON, "", "must be a JSON object"},
		{"JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, CodeUnsupportedFeature, "/QueryLanguage", "JSONata"},
		{"JSONata on a state", `{"StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONata","End":true}}}`, CodeUnsupportedFeature, "/States/A/QueryLanguage", "JSONata"},
		{"missing StartAt", `{"States":{"A":{"Type":"Pass","End":true}}}`, CodeSchema, "/", "[StartAt]"},
		{"missing States", `{"StartAt":"A"}`, CodeSchema, "/", "[States]"},
		{"unknown top-level field", `{"StartAt":"A","Coment":"x","States":{"A":{"Type":"Pass","End":true}}}`, CodeSchema, "", "Field 'Coment' is not supported"},
		{"bad Version", `{"Version":"2.0","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, CodeSchema, "/Version", "1.0"},
		{"StartAt missing target", `{"StartAt":"B","States":{"A":{"Type":"Pass","End":true}}}`, CodeMissingTarget, "/StartAt", "Missing 'Next' target: B"},
		{"Next missing target", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"C"},"B":{"Type":"Succeed"}}}`, CodeMissingTarget, "/States/A/Next", "Missing 'Next' target: C"},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Succeed"}}}`, CodeMissingTarget, "/States/B", `State "B" is not reachable.`},
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`, CodeMissingEndState, "", "Workflow has no terminal state"},
		{"unknown type", `{"StartAt":"A","States":{"A":{"Type":"Loop","End":true}}}`, CodeSchema, "/States/A/Type", "should have one of these values"},
		{"missing type", `{"StartAt":"A","States":{"A":{"End":true}}}`, CodeSchema, "/States/A", "[Type]"},
		{"field not allowed on type", `{"StartAt":"A","States":{"A":{"Type":"Pass","TimeoutSeconds":3,"End":true}}}`, CodeSchema, "/States/A", "Field 'TimeoutSeconds' is not supported"},
		{"Catch on Pass", `{"StartAt":"A","States":{"A":{"Type":"Pass","Catch":[],"End":true}}}`, CodeSchema, "/States/A", "Field 'Catch' is not supported"},
		{"Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}}`, CodeSchema, "/States/A", "[Next, End]"},
		{"neither Next nor End", `{"StartAt":"A","States":{"A":{"Type":"Pass"},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A", "[Next]"},
		{"End not boolean", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":"yes"}}}`, CodeSchema, "/States/A/End", "boolean"},
		{"bad InputPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"foo","End":true}}}`, CodeSchema, "/States/A/InputPath", "JSONPath"},
		{"ResultPath not a reference path", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`, CodeSchema, "/States/A/ResultPath", "Reference Path"},
		{"ResultPath to the context", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$$.Execution","End":true}}}`, CodeSchema, "/States/A/ResultPath", "context object"},
		{"Parameters not an object", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":3,"End":true}}}`, CodeSchema, "/States/A/Parameters", "must be an object"},
		{"bad template path", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"nope"},"End":true}}}`, CodeSchema, "/States/A/Parameters", "x.$"},
		{"bad intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Format("},"End":true}}}`, CodeSchema, "/States/A/Parameters", "x.$"},
		{"task without Resource", `{"StartAt":"A","States":{"A":{"Type":"Task","End":true}}}`, CodeSchema, "/States/A", "[Resource]"},
		{"bad ARN", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"lambda-fn","End":true}}}`, CodeInvalidResource, "/States/A/Resource", "not a valid resource ARN"},
		{"zero TimeoutSeconds", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":0,"End":true}}}`, CodeSchema, "/States/A/TimeoutSeconds", "at least 1"},
		{"timeout and its path", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":5,"TimeoutSecondsPath":"$.t","End":true}}}`, CodeSchema, "/States/A", "[TimeoutSeconds, TimeoutSecondsPath]"},
		{"heartbeat not below timeout", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}}}`, CodeSchema, "/States/A/HeartbeatSeconds", "smaller than TimeoutSeconds"},
		{"States.ALL not alone", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL","X"]}],"End":true}}}`, CodeSchema, "/States/A/Retry[0]/ErrorEquals", "alone"},
		{"States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"B"},{"ErrorEquals":["X"],"Next":"B"}],"End":true},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A/Catch[0]/ErrorEquals", "catcher with 'States.ALL' must be the last"},
		{"empty ErrorEquals", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":[]}],"End":true}}}`, CodeSchema, "/States/A/Retry[0]/ErrorEquals", "non-empty"},
		{"BackoffRate below 1", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}],"End":true}}}`, CodeSchema, "/States/A/Retry[0]/BackoffRate", "at least 1.0"},
		{"bad JitterStrategy", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["X"],"JitterStrategy":"SOME"}],"End":true}}}`, CodeSchema, "/States/A/Retry[0]/JitterStrategy", "[FULL, NONE]"},
		{"catch missing target", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["X"],"Next":"Z"}],"End":true}}}`, CodeMissingTarget, "/States/A/Catch[0]/Next", "Missing 'Next' target: Z"},
		{"catcher without Next", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["X"]}],"End":true}}}`, CodeSchema, "/States/A/Catch[0]", "[Next]"},
		{"choice without Choices", `{"StartAt":"A","States":{"A":{"Type":"Choice","Default":"B"},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A", "[Choices]"},
		{"choice rule without Next", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true}],"Default":"B"},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A/Choices[0]", "[Next]"},
		{"bad choice rule", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","Bogus":1,"Next":"B"}]},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A/Choices[0]", ""},
		{"choice target missing", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"Q"}],"Default":"B"},"B":{"Type":"Succeed"}}}`, CodeMissingTarget, "/States/A/Choices[0]/Next", "Missing 'Next' target: Q"},
		{"choice with End", `{"StartAt":"A","States":{"A":{"Type":"Choice","End":true,"Choices":[{"Variable":"$.x","IsPresent":true,"Next":"B"}]},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A", "Field 'End' is not supported"},
		{"wait with two fields", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, CodeSchema, "/States/A", "Exactly one"},
		{"wait with none", `{"StartAt":"A","States":{"A":{"Type":"Wait","End":true}}}`, CodeSchema, "/States/A", "Exactly one"},
		{"wait negative", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":-1,"End":true}}}`, CodeSchema, "/States/A/Seconds", "at least 0"},
		{"wait bad timestamp", `{"StartAt":"A","States":{"A":{"Type":"Wait","Timestamp":"2030-01-02 03:04:05","End":true}}}`, CodeSchema, "/States/A/Timestamp", "RFC3339"},
		{"fail with Error and ErrorPath", `{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}}`, CodeSchema, "/States/A", "[Error, ErrorPath]"},
		{"fail with Next", `{"StartAt":"A","States":{"A":{"Type":"Fail","Next":"A"}}}`, CodeSchema, "/States/A", "Field 'Next' is not supported"},
		{"parallel without branches", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[],"End":true}}}`, CodeSchema, "/States/A/Branches", "non-empty"},
		{"branch transition outside", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"A"}}}],"End":true}}}`, CodeMissingTarget, "/States/A/Branches[0]/States/X/Next", "Missing 'Next' target: A"},
		{"duplicate state names across branches", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}],"End":true}}}`, CodeDuplicateStateName, "/States/A/Branches[1]/States/X", "Duplicate State name: X"},
		{"duplicate key", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Pass","End":true}}}`, CodeDuplicateStateName, "/States/A", "Duplicate State name: A"},
		{"map without processor", `{"StartAt":"A","States":{"A":{"Type":"Map","End":true}}}`, CodeSchema, "/States/A", "[ItemProcessor]"},
		{"map with both processors", `{"StartAt":"A","States":{"A":{"Type":"Map","Iterator":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"ItemProcessor":{"StartAt":"Y","States":{"Y":{"Type":"Succeed"}}},"End":true}}}`, CodeSchema, "/States/A", "[ItemProcessor, Iterator]"},
		{"distributed map", `{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}`, CodeUnsupportedFeature, "/States/A/ItemProcessor/ProcessorConfig/Mode", "Distributed Map"},
		{"item reader", `{"StartAt":"A","States":{"A":{"Type":"Map","ItemReader":{},"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}`, CodeUnsupportedFeature, "/States/A/ItemReader", "Distributed Map"},
		{"map percentage over 100", `{"StartAt":"A","States":{"A":{"Type":"Map","ToleratedFailurePercentage":101,"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}`, CodeSchema, "/States/A/ToleratedFailurePercentage", "Maximum value is 100.0"},
		{"map concurrency and path", `{"StartAt":"A","States":{"A":{"Type":"Map","MaxConcurrency":1,"MaxConcurrencyPath":"$.m","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}`, CodeSchema, "/States/A", "[MaxConcurrency, MaxConcurrencyPath]"},
		{"map selector and parameters", `{"StartAt":"A","States":{"A":{"Type":"Map","ItemSelector":{},"Parameters":{},"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}`, CodeSchema, "/States/A", "[ItemSelector, Parameters]"},
		{"assign", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"x":1},"End":true}}}`, CodeUnsupportedFeature, "/States/A/Assign", "variables"},
		{"state name too long", `{"StartAt":"` + strings.Repeat("s", 81) + `","States":{"` + strings.Repeat("s", 81) + `":{"Type":"Succeed"}}}`, CodeSchema, "/States/" + strings.Repeat("s", 81), "80 characters"},
		{"top-level TimeoutSeconds", `{"TimeoutSeconds":0,"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, CodeSchema, "/TimeoutSeconds", "at least 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.definition), Options{})
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Parse returned %v, want a *ValidationError", err)
			}
			for _, p := range verr.Problems {
				if p.Code == c.code && p.Location == c.location && strings.Contains(p.Message, c.message) {
					if !strings.HasPrefix(err.Error(), "Invalid State Machine Definition: '") || !strings.Contains(err.Error(), p.String()) {
						t.Fatalf("Error() = %q does not list %q", err.Error(), p.String())
					}
					return
				}
			}
			t.Fatalf("no problem %s at %q mentioning %q in:\n%s", c.code, c.location, c.message, err)
		})
	}
}

func TestParseListsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`{"StartAt":"A","States":{
		"A":{"Type":"Pass","Next":"Nowhere"},
		"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":"ten","End":true},
		"C":{"Type":"Wait","End":true}
	}}`), Options{})
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatal(err)
	}
	var states []string
	for _, p := range verr.Problems {
		states = append(states, p.State+":"+p.Code)
	}
	for _, want := range []string{"A:MISSING_TRANSITION_TARGET", "B:SCHEMA_VALIDATION_FAILED", "C:SCHEMA_VALIDATION_FAILED"} {
		found := false
		for _, got := range states {
			found = found || got == want
		}
		if !found {
			t.Fatalf("problems %v lack %s", states, want)
		}
	}
}

func TestParseAsksAboutResources(t *testing.T) {
	def := []byte(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}`)
	_, err := Parse(def, Options{CheckResource: func(r string) error {
		if strings.Contains(r, "sqs") {
			return errors.New("sqs is not supported")
		}
		return nil
	}})
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.Problems[0].Code != CodeUnsupportedResource || verr.Problems[0].Field != "Resource" {
		t.Fatalf("got %v", err)
	}
}
