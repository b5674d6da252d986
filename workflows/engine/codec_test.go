package engine

import (
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

func TestJournalValuesRoundTrip(t *testing.T) {
	for _, doc := range []string{
		`null`, `true`, `"text"`, `12345678901234567890`, `1.50`, `-0.0e10`, `[]`, `{}`,
		`{"a":[1,"two",{"three":null}],"b":{"c":false},"esc":"quote\" back\\ nl\n tab\t ctl\u0001 ls\u2028 é 😀"}`,
	} {
		v, err := jsonvalue.DecodeString(doc)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := appendJSON(nil, v)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		back, err := jsonvalue.Decode(raw)
		if err != nil {
			t.Fatalf("%s encoded as %s: %v", doc, raw, err)
		}
		if jsonvalue.MustEncodeString(back) != jsonvalue.MustEncodeString(v) {
			t.Fatalf("%s came back as %s", doc, jsonvalue.MustEncodeString(back))
		}
	}
	if _, err := appendJSON(nil, "\xff"); err != nil {
		t.Fatal(err)
	}
}

func TestEventsRoundTrip(t *testing.T) {
	output := jsonvalue.NewObject(jsonvalue.Member{Key: "n", Value: jsonvalue.MustEncodeString(1)})
	prev := &event{typ: EventPassStateExited, output: output}
	events := []event{
		{typ: EventPassStateEntered, id: 4, previous: 3, frame: 2, time: time.Unix(1700000000, 123000000).UTC(), name: "P", input: output},
		{typ: EventTaskFailed, id: 9, previous: 8, name: "T", task: &taskInfo{resourceType: "lambda", resource: "invoke", region: "eu-west-1", timeout: 30, heartbeat: 5, token: "tok"},
			failure: &failure{name: "Boom", cause: "why", decision: decision{kind: decideRetry, index: 1, delay: 1500 * time.Millisecond}}},
		{typ: EventMapStateStarted, id: 10, index: 3, input: []any{"a"}, output: []any{"a"}, limits: &mapLimits{maxConcurrency: 2, toleratedCount: -1, toleratedPct: 12.5}},
		{typ: EventChoiceStateExited, id: 11, name: "C", output: nil, next: "Next"},
	}
	for i := range events {
		events[i].time = time.Unix(1700000000, int64(i)*1000000).UTC()
	}
	for _, ev := range events {
		var w encoder
		if err := encodeEvent(&w, &ev, prev); err != nil {
			t.Fatal(err)
		}
		back, err := decodeEvent(&decoder{buf: w.buf}, prev)
		if err != nil {
			t.Fatal(err)
		}
		if back.typ != ev.typ || back.id != ev.id || back.previous != ev.previous || back.frame != ev.frame || !back.time.Equal(ev.time) ||
			back.name != ev.name || back.next != ev.next || back.index != ev.index ||
			jsonvalue.MustEncodeString(back.input) != jsonvalue.MustEncodeString(ev.input) ||
			jsonvalue.MustEncodeString(back.output) != jsonvalue.MustEncodeString(ev.output) {
			t.Fatalf("%s came back as %+v", ev.typ, back)
		}
		if ev.failure != nil && *back.failure != *ev.failure {
			t.Fatalf("failure %+v came back as %+v", ev.failure, back.failure)
		}
		if ev.task != nil && *back.task != *ev.task {
			t.Fatalf("task %+v came back as %+v", ev.task, back.task)
		}
		if ev.limits != nil && *back.limits != *ev.limits {
			t.Fatalf("limits %+v came back as %+v", ev.limits, back.limits)
		}
	}
	// The input of the first event is the previous output: written as a reference.
	var w encoder
	_ = encodeEvent(&w, &events[0], prev)
	var full encoder
	_ = encodeEvent(&full, &events[0], nil)
	if len(w.buf) >= len(full.buf) {
		t.Fatalf("the input was written again (%d bytes, %d without the reference)", len(w.buf), len(full.buf))
	}
	if _, err := decodeEvent(&decoder{buf: w.buf}, nil); err == nil {
		t.Fatal("a reference without the previous event decoded")
	}
}

func TestSameValue(t *testing.T) {
	m := jsonvalue.NewObject(jsonvalue.Member{Key: "a", Value: 1})
	s := []any{1, 2}
	cases := []struct {
		a, b any
		want bool
	}{
		{m, m, true}, {m, jsonvalue.NewObject(jsonvalue.Member{Key: "a", Value: 1}), false}, {s, s, true}, {s, s[:1], false}, {s, []any{1, 2}, false},
		{"x", "x", true}, {"x", "y", false}, {nil, nil, true}, {true, true, true}, {m, s, false},
	}
	for i, c := range cases {
		if got := sameValue(c.a, c.b); got != c.want {
			t.Errorf("case %d: %v", i, got)
		}
	}
}
