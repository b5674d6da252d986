package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

var _ Registrar = (*tasks.Dispatcher)(nil)

func newDispatcher(t *testing.T) (*tasks.Dispatcher, *Lambdas) {
	t.Helper()
	lambdas := NewLambdas()
	t.Cleanup(lambdas.Close)
	dispatcher := tasks.NewDispatcher()
	if err := lambdas.Register(dispatcher); err != nil {
		t.Fatal(err)
	}
	return dispatcher, lambdas
}

func invoke(t *testing.T, d *tasks.Dispatcher, name, payload string) (string, *tasks.FunctionError) {
	t.Helper()
	out, err := d.Invoke(context.Background(), "arn:aws:lambda:us-east-1:123456789012:function:"+name, []byte(payload))
	if err != nil {
		var fe *tasks.FunctionError
		if errors.As(err, &fe) {
			return "", fe
		}
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), nil
}

func TestLambdaResults(t *testing.T) {
	d, _ := newDispatcher(t)
	tests := []struct{ name, payload, want string }{
		{"Echo", `{"a":[1,2.50,null]}`, `{"a":[1,2.50,null]}`},
		{"Hello", `{"who":"AWS Step Functions"}`, `"Hello, AWS Step Functions!"`},
		{"Add", `{"a":2,"b":40}`, `42`},
		{"Add", `{"a":1.5,"b":1}`, `2.5`},
	}
	for _, tt := range tests {
		got, ferr := invoke(t, d, tt.name, tt.payload)
		if ferr != nil {
			t.Fatalf("%s(%s) failed: %v", tt.name, tt.payload, ferr)
		}
		same, err := SameJSON([]byte(got), []byte(tt.want))
		if err != nil || !same {
			t.Errorf("%s(%s) = %s, want %s (%v)", tt.name, tt.payload, got, tt.want, err)
		}
	}
}

// TestLambdaErrorNames checks that each failure reaches the dispatcher named after its Go type,
// which is what the cases' Retry and Catch fields match.
func TestLambdaErrorNames(t *testing.T) {
	d, _ := newDispatcher(t)
	for _, name := range []string{"CustomError", "TransientError", "ErrorA", "ErrorB", "ErrorC"} {
		_, ferr := invoke(t, d, "FailWith", `{"error":"`+name+`","message":"boom"}`)
		if ferr == nil || ferr.Type != name || ferr.Message != "boom" {
			t.Errorf("FailWith %s: got %+v", name, ferr)
		}
	}
	if _, ferr := invoke(t, d, "FailWith", `{"error":"NotAType"}`); ferr == nil || ferr.Type != "CustomError" {
		t.Errorf("FailWith with an unknown name: got %+v, want CustomError", ferr)
	}
	if _, ferr := invoke(t, d, "Add", `{"a":"x"}`); ferr == nil {
		t.Error("Add accepted a non-number")
	}
}

func TestFailNTimesCountsPerKey(t *testing.T) {
	d, lambdas := newDispatcher(t)
	for attempt := 1; attempt <= 2; attempt++ {
		_, ferr := invoke(t, d, "FailNTimes", `{"key":"k1","times":2,"error":"ErrorB"}`)
		if ferr == nil || ferr.Type != "ErrorB" {
			t.Fatalf("attempt %d: got %+v, want ErrorB", attempt, ferr)
		}
	}
	out, ferr := invoke(t, d, "FailNTimes", `{"key":"k1","times":2,"error":"ErrorB"}`)
	if ferr != nil {
		t.Fatalf("third attempt failed: %v", ferr)
	}
	var result struct {
		Attempts int             `json:"attempts"`
		Input    json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal([]byte(out), &result); err != nil || result.Attempts != 3 || len(result.Input) == 0 {
		t.Errorf("third attempt: %s (%v)", out, err)
	}
	if _, ferr := invoke(t, d, "FailNTimes", `{"key":"k2","times":1}`); ferr == nil || ferr.Type != "TransientError" {
		t.Errorf("another key must count from 1 and default to TransientError: %+v", ferr)
	}
	if n, ok := lambdas.Count("n", "k1"); !ok || n != 3 {
		t.Errorf("Count(k1) = %d, %v; want 3", n, ok)
	}
}

func TestFailSequence(t *testing.T) {
	d, _ := newDispatcher(t)
	for _, want := range []string{"ErrorA", "ErrorC"} {
		if _, ferr := invoke(t, d, "FailSequence", `{"key":"s","errors":["ErrorA","ErrorC"]}`); ferr == nil || ferr.Type != want {
			t.Fatalf("got %+v, want %s", ferr, want)
		}
	}
	if out, ferr := invoke(t, d, "FailSequence", `{"key":"s","errors":["ErrorA","ErrorC"]}`); ferr != nil || out != `{"attempts":3}` {
		t.Errorf("after the sequence: %s, %v", out, ferr)
	}
}

func TestBlockEndsWithItsContext(t *testing.T) {
	d, lambdas := newDispatcher(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := d.Invoke(ctx, "Block", []byte(`{}`))
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		var fe *tasks.FunctionError
		if !errors.As(err, &fe) || fe.Type != "CustomError" {
			t.Errorf("Block after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Block did not end when its context was cancelled")
	}
	if lambdas.Busy() != 0 {
		t.Errorf("Busy = %d after every call ended", lambdas.Busy())
	}
}

func TestParkHandsOverTheToken(t *testing.T) {
	d, lambdas := newDispatcher(t)
	go func() { _, _ = d.Invoke(context.Background(), "Park", []byte(`{"key":"p1","token":"tok-123"}`)) }()
	token, ok := lambdas.Token("p1", 10*time.Second)
	if !ok || token != "tok-123" {
		t.Errorf("Token = %q, %v", token, ok)
	}
	if _, ok := lambdas.Token("never", 10*time.Millisecond); ok {
		t.Error("a key nobody parked has a token")
	}
}
