package asl

import (
	"errors"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

func mustProgram(t *testing.T, def string) *Program {
	t.Helper()
	p, err := Parse([]byte(def), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func value(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonvalue.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	s, err := jsonvalue.EncodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func errorName(err error) string {
	var se *states.Error
	if errors.As(err, &se) {
		return se.Name
	}
	return ""
}

// The documented order: InputPath, Parameters, (result), ResultSelector, ResultPath, OutputPath.
// Payloads list their keys in the template's order, and ResultPath adds a new key at the end.
func TestInputOutputProcessingOrder(t *testing.T) {
	p := mustProgram(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"InputPath":"$.in","Parameters":{"v.$":"$.x","k":"const"},
		"ResultSelector":{"picked.$":"$.Payload"},"ResultPath":"$.out","OutputPath":"$.out","End":true}}}`)
	s := p.Root.States["T"]
	raw := value(t, `{"in":{"x":7},"other":true}`)
	params, err := s.EffectiveInput(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := toJSON(t, params); got != `{"v":7,"k":"const"}` {
		t.Fatalf("parameters %s", got)
	}
	out, err := s.Output(raw, value(t, `{"Payload":{"r":1},"StatusCode":200}`), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := toJSON(t, out); got != `{"picked":{"r":1}}` {
		t.Fatalf("output %s", got)
	}
	if got := toJSON(t, raw); got != `{"in":{"x":7},"other":true}` {
		t.Fatalf("the raw input changed: %s", got)
	}
}

func TestSelectorsAndResultPaths(t *testing.T) {
	p := mustProgram(t, `{"StartAt":"A","States":{
		"A":{"Type":"Pass","InputPath":null,"Next":"B"},
		"B":{"Type":"Pass","OutputPath":null,"Next":"C"},
		"C":{"Type":"Pass","ResultPath":null,"Result":{"ignored":1},"Next":"D"},
		"D":{"Type":"Pass","ResultPath":"$.a.b","Result":"r","Next":"E"},
		"E":{"Type":"Pass","InputPath":"$.missing","End":true}}}`)
	raw := value(t, `{"a":{"c":1}}`)
	a := p.Root.States["A"]
	if v, _ := a.EffectiveInput(raw, nil); toJSON(t, v) != `{}` {
		t.Fatalf("InputPath null gave %s", toJSON(t, v))
	}
	b := p.Root.States["B"]
	if v, _ := b.Output(raw, raw, nil, false); toJSON(t, v) != `{}` {
		t.Fatalf("OutputPath null gave %s", toJSON(t, v))
	}
	c := p.Root.States["C"]
	if v, _ := c.Output(raw, c.PassResult(raw), nil, false); toJSON(t, v) != `{"a":{"c":1}}` {
		t.Fatalf("ResultPath null gave %s", toJSON(t, v))
	}
	d := p.Root.States["D"]
	if v, _ := d.Output(raw, d.PassResult(raw), nil, false); toJSON(t, v) != `{"a":{"c":1,"b":"r"}}` {
		t.Fatalf("ResultPath $.a.b gave %s", toJSON(t, v))
	}
	if _, err := d.Output(value(t, `{"a":"text"}`), "r", nil, false); errorName(err) != states.ErrResultPathMatchFailure {
		t.Fatalf("ResultPath into a string gave %v", err)
	}
	e := p.Root.States["E"]
	if _, err := e.EffectiveInput(raw, nil); errorName(err) != states.ErrRuntime {
		t.Fatalf("missing InputPath gave %v", err)
	}
}

func TestMatches(t *testing.T) {
	cases := []struct {
		equals []string
		name   string
		want   bool
	}{
		{[]string{"States.ALL"}, "MyError", true},
		{[]string{"States.ALL"}, states.ErrTimeout, true},
		{[]string{"States.ALL"}, states.ErrRuntime, false},
		{[]string{"States.ALL"}, states.ErrDataLimitExceeded, false},
		{[]string{states.ErrRuntime}, states.ErrRuntime, false},
		{[]string{"States.TaskFailed"}, "Lambda.Unknown", true},
		{[]string{"States.TaskFailed"}, states.ErrTimeout, false},
		{[]string{"States.TaskFailed"}, states.ErrHeartbeatTimeout, false},
		{[]string{"States.Timeout"}, states.ErrHeartbeatTimeout, true},
		{[]string{"A", "B"}, "B", true},
		{[]string{"A", "B"}, "C", false},
	}
	for _, c := range cases {
		if got := Matches(c.equals, c.name); got != c.want {
			t.Errorf("Matches(%v, %q) = %v", c.equals, c.name, got)
		}
	}
}

func TestRetrierDelay(t *testing.T) {
	r := &Retrier{IntervalSeconds: 3, BackoffRate: 1.5, MaxAttempts: 5}
	want := []time.Duration{3 * time.Second, 4500 * time.Millisecond, 6750 * time.Millisecond}
	for attempt, w := range want {
		if got := r.Delay(int64(attempt), nil); got != w {
			t.Errorf("attempt %d: %v, want %v", attempt, got, w)
		}
	}
	capped := &Retrier{IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 5}
	if got := capped.Delay(10, nil); got != 5*time.Second {
		t.Errorf("MaxDelaySeconds: %v", got)
	}
	jitter := &Retrier{IntervalSeconds: 4, BackoffRate: 2, JitterFull: true}
	if got := jitter.Delay(1, func() float64 { return 0.25 }); got != 2*time.Second {
		t.Errorf("FULL jitter of 8s with 0.25: %v", got)
	}
}

func TestFindRetrierAndCatcher(t *testing.T) {
	p := mustProgram(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Retry":[{"ErrorEquals":["A","B"]},{"ErrorEquals":["C"]},{"ErrorEquals":["States.ALL"]}],
		"Catch":[{"ErrorEquals":["B"],"Next":"X"},{"ErrorEquals":["States.TaskFailed"],"Next":"X"}],"End":true},"X":{"Type":"Succeed"}}}`)
	s := p.Root.States["T"]
	for name, want := range map[string]int{"A": 0, "B": 0, "C": 1, "Other": 2, states.ErrRuntime: -1} {
		if got := s.FindRetrier(name); got != want {
			t.Errorf("FindRetrier(%q) = %d, want %d", name, got, want)
		}
	}
	for name, want := range map[string]int{"B": 0, "Other": 1, states.ErrTimeout: -1} {
		if got := s.FindCatcher(name); got != want {
			t.Errorf("FindCatcher(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestWaitUntil(t *testing.T) {
	p := mustProgram(t, `{"StartAt":"A","States":{
		"A":{"Type":"Wait","Seconds":10,"Next":"B"},
		"B":{"Type":"Wait","SecondsPath":"$.s","Next":"C"},
		"C":{"Type":"Wait","TimestampPath":"$.ts","Next":"D"},
		"D":{"Type":"Wait","Timestamp":"2030-01-01T00:00:00+02:00","End":true}}}`)
	entered := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	input := value(t, `{"s":5,"ts":"2024-06-01T12:00:00Z","bad":"x"}`)
	check := func(name string, want time.Time) {
		t.Helper()
		got, err := p.Root.States[name].WaitUntil(entered, input, nil)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v, %v; want %v", name, got, err, want)
		}
	}
	check("A", entered.Add(10*time.Second))
	check("B", entered.Add(5*time.Second))
	check("C", time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC))
	check("D", time.Date(2029, 12, 31, 22, 0, 0, 0, time.UTC))
	for _, bad := range []string{`{"s":-1}`, `{"s":"5"}`, `{}`, `{"s":1.5}`} {
		if _, err := p.Root.States["B"].WaitUntil(entered, value(t, bad), nil); errorName(err) != states.ErrRuntime {
			t.Errorf("SecondsPath on %s: %v", bad, err)
		}
	}
	if _, err := p.Root.States["C"].WaitUntil(entered, value(t, `{"ts":"tomorrow"}`), nil); errorName(err) != states.ErrRuntime {
		t.Errorf("TimestampPath on a bad timestamp: %v", err)
	}
}

func TestTaskTimeoutsMapItemsAndFail(t *testing.T) {
	p := mustProgram(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSecondsPath":"$.t","HeartbeatSeconds":3,"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","c.$":"$.common"},
		     "MaxConcurrencyPath":"$.mc","ToleratedFailurePercentagePath":"$.pct","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"Next":"F"},
		"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('n={}', $.n)"}}}`)
	timeout, heartbeat, err := p.Root.States["T"].TaskTimeouts(value(t, `{"t":30}`), nil)
	if err != nil || timeout != 30*time.Second || heartbeat != 3*time.Second {
		t.Fatalf("timeouts %v %v %v", timeout, heartbeat, err)
	}
	if _, _, err := p.Root.States["T"].TaskTimeouts(value(t, `{"t":0}`), nil); errorName(err) != states.ErrRuntime {
		t.Fatalf("TimeoutSecondsPath 0: %v", err)
	}
	m := p.Root.States["M"]
	input := value(t, `{"items":["a","b"],"common":1,"mc":2,"pct":12.5}`)
	items, err := m.MapItems(input, nil)
	if err != nil || len(items) != 2 {
		t.Fatalf("items %v %v", items, err)
	}
	ctx := value(t, `{"Map": {"Item": {"Index": 1, "Value": "b"}}}`)
	item, err := m.ItemInput(input, items[1], ctx)
	if err != nil || toJSON(t, item) != `{"i":1,"v":"b","c":1}` {
		t.Fatalf("item input %v %v", item, err)
	}
	mc, count, pct, err := m.MapLimits(input, nil)
	if err != nil || mc != 2 || count != -1 || pct != 12.5 {
		t.Fatalf("limits %d %d %v %v", mc, count, pct, err)
	}
	if _, err := m.MapItems(value(t, `{"items":{"a":1}}`), nil); errorName(err) != states.ErrRuntime {
		t.Fatalf("items not an array: %v", err)
	}
	name, cause, err := p.Root.States["F"].FailError(value(t, `{"e":"Boom","n":3}`), nil)
	if err != nil || name != "Boom" || cause != "n=3" {
		t.Fatalf("FailError %q %q %v", name, cause, err)
	}
	if _, _, err := p.Root.States["F"].FailError(value(t, `{"e":5,"n":3}`), nil); errorName(err) != states.ErrRuntime {
		t.Fatalf("ErrorPath to a number: %v", err)
	}
}

func TestChooseNext(t *testing.T) {
	p := mustProgram(t, `{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"},{"Variable":"$$.Execution.Name","StringEquals":"special","Next":"Special"}]},
		"Big":{"Type":"Succeed"},"Special":{"Type":"Succeed"}}}`)
	c := p.Root.States["C"]
	if next, err := c.ChooseNext(value(t, `{"n":11}`), nil); err != nil || next.Name != "Big" {
		t.Fatalf("n=11: %v %v", next, err)
	}
	ctx := value(t, `{"Execution": {"Name": "special"}}`)
	if next, err := c.ChooseNext(value(t, `{"n":1}`), ctx); err != nil || next.Name != "Special" {
		t.Fatalf("context rule: %v %v", next, err)
	}
	if _, err := c.ChooseNext(value(t, `{"n":1}`), value(t, `{"Execution": {"Name": "x"}}`)); errorName(err) != states.ErrNoChoiceMatched {
		t.Fatalf("no match: %v", err)
	}
}
