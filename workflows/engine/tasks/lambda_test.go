package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

type NoExpertAvailable struct{ Profile string }

func (e *NoExpertAvailable) Error() string { return "no expert for " + e.Profile }

type ValueError struct{}

func (ValueError) Error() string { return "value receiver" }

type echoIn struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

type echoOut struct {
	Greeting  string `json:"greeting"`
	Count     int    `json:"count"`
	RequestID bool   `json:"hasRequestId"`
}

func newTestDispatcher(t *testing.T) *Dispatcher {
	t.Helper()
	d := NewDispatcher()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Register("echo", func(ctx context.Context, in echoIn) (echoOut, error) {
		lc, ok := lambdacontext.FromContext(ctx)
		return echoOut{Greeting: "hello " + in.Name, Count: in.Count + 1, RequestID: ok && lc.AwsRequestID != ""}, nil
	}))
	must(d.Register("echo:live", func(in echoIn) (echoOut, error) {
		return echoOut{Greeting: "live " + in.Name}, nil
	}))
	must(d.Register("typed", func() error { return &NoExpertAvailable{Profile: "logistics"} }))
	must(d.Register("value", func() error { return ValueError{} }))
	must(d.Register("wrapped", func() error { return fmt.Errorf("context: %w", &NoExpertAvailable{}) }))
	must(d.Register("custom", func() error {
		return messages.InvokeResponse_Error{Type: "Custom.Name", Message: "as is"}
	}))
	must(d.Register("panics", func() (string, error) { panic("boom") }))
	must(d.Register("outofrange", func(in struct{ I int }) (string, error) {
		var list []string
		return list[in.I], nil
	}))
	return d
}

func TestDispatcherFindsFunctionsByEveryName(t *testing.T) {
	d := newTestDispatcher(t)
	payload := []byte(`{"name":"Ada","count":41}`)
	cases := []struct {
		ref  string
		want string
	}{
		{"echo", "hello Ada"},
		{"arn:aws:lambda:us-east-1:123456789012:function:echo", "hello Ada"},
		{"arn:aws:lambda:eu-west-1:111122223333:function:echo:$LATEST", "hello Ada"},
		{"123456789012:function:echo", "hello Ada"},
		{"echo:live", "live Ada"},
		{"arn:aws:lambda:us-east-1:123456789012:function:echo:live", "live Ada"},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			out, err := d.Invoke(context.Background(), c.ref, payload)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			var got echoOut
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("response %s: %v", out, err)
			}
			if got.Greeting != c.want {
				t.Fatalf("greeting %q, want %q", got.Greeting, c.want)
			}
		})
	}
	out, _ := d.Invoke(context.Background(), "echo", payload)
	var got echoOut
	_ = json.Unmarshal(out, &got)
	if got.Count != 42 || !got.RequestID {
		t.Fatalf("echo returned %+v; want count 42 and a Lambda request id in the context", got)
	}
}

func TestDispatcherNamesErrorsLikeTheGoRuntime(t *testing.T) {
	d := newTestDispatcher(t)
	cases := []struct {
		function string
		name     string
		message  string
	}{
		{"typed", "NoExpertAvailable", "no expert for logistics"},
		{"value", "ValueError", "value receiver"},
		{"wrapped", "wrapError", "context: no expert for "},
		{"custom", "Custom.Name", "as is"},
		{"panics", "string", "boom"},
		{"outofrange", "boundsError", "runtime error: index out of range [0] with length 0"},
	}
	for _, c := range cases {
		t.Run(c.function, func(t *testing.T) {
			_, err := d.Invoke(context.Background(), c.function, []byte(`{}`))
			var fe *FunctionError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want *FunctionError", err, err)
			}
			if fe.Type != c.name || fe.Message != c.message {
				t.Fatalf("got %q / %q, want %q / %q", fe.Type, fe.Message, c.name, c.message)
			}
			var doc map[string]any
			if err := json.Unmarshal(fe.Document, &doc); err != nil {
				t.Fatalf("document %s: %v", fe.Document, err)
			}
			if doc["errorType"] != c.name || doc["errorMessage"] != c.message {
				t.Fatalf("document %s", fe.Document)
			}
		})
	}
}

func TestDispatcherRejectsBadInputAndUnknownFunctions(t *testing.T) {
	d := newTestDispatcher(t)
	_, err := d.Invoke(context.Background(), "echo", []byte(`{"count":"not a number"}`))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "UnmarshalTypeError" {
		t.Fatalf("bad payload gave %v, want UnmarshalTypeError", err)
	}
	_, err = d.Invoke(context.Background(), "missing", []byte(`{}`))
	var se *states.Error
	if !errors.As(err, &se) || se.Name != "Lambda.ResourceNotFoundException" {
		t.Fatalf("unknown function gave %v", err)
	}
	if err := d.Register("a:b:c", func() {}); err == nil {
		t.Fatal("Register accepted a name with two colons")
	}
}

// Concurrent calls of one function must each see their own response, never another call's
// bytes (the handler's output buffers are pooled).
func TestDispatcherConcurrentCallsKeepTheirOwnResults(t *testing.T) {
	d := newTestDispatcher(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				name := fmt.Sprintf("caller-%d-%d", g, i)
				out, err := d.Invoke(context.Background(), "echo", []byte(`{"name":"`+name+`"}`))
				if err != nil {
					errs <- err
					return
				}
				var got echoOut
				if err := json.Unmarshal(out, &got); err != nil || got.Greeting != "hello "+name {
					errs <- fmt.Errorf("call %s got %s", name, out)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestHTTPInvokerSpeaksTheInvokeAPI(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/2015-03-31/functions/echo/invocations":
			if r.URL.Query().Get("Qualifier") != "live" {
				w.WriteHeader(400)
				return
			}
			w.Write(body)
		case "/2015-03-31/functions/fails/invocations":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			w.Write([]byte(`{"errorMessage":"bad","errorType":"BadThing"}`))
		default:
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/")
			w.WriteHeader(404)
			w.Write([]byte(`{"Message":"Function not found"}`))
		}
	}))
	defer srv.Close()
	inv := &HTTPInvoker{Endpoint: srv.URL}
	out, err := inv.Invoke(context.Background(), "arn:aws:lambda:us-east-1:123456789012:function:echo:live", []byte(`{"a":1}`))
	if err != nil || string(out) != `{"a":1}` {
		t.Fatalf("echo: %s %v", out, err)
	}
	_, err = inv.Invoke(context.Background(), "fails", []byte(`{}`))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "BadThing" || string(fe.Document) != `{"errorMessage":"bad","errorType":"BadThing"}` {
		t.Fatalf("function error: %v", err)
	}
	_, err = inv.Invoke(context.Background(), "missing", []byte(`{}`))
	var se *states.Error
	if !errors.As(err, &se) || se.Name != "Lambda.ResourceNotFoundException" {
		t.Fatalf("missing function: %v", err)
	}
}

func TestFunctionNameReadsEveryFormLambdaAccepts(t *testing.T) {
	for _, c := range []struct{ ref, name, qualifier string }{
		{"arn:aws:lambda:us-east-1:123456789012:function:approve", "approve", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:approve:live", "approve", "live"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:approve", "arn:aws:lambda:us-east-1:123456789012:layer:approve", ""},
		{"arn:aws:lambda:us-east-1", "arn:aws:lambda:us-east-1", ""},
		{"123456789012:function:approve", "approve", ""},
		{"123456789012:function:approve:7", "approve", "7"},
		{"approve", "approve", ""},
		{"approve:live", "approve", "live"},
		{"a:b:c", "a:b:c", ""},
	} {
		name, qualifier := FunctionName(c.ref)
		if name != c.name || qualifier != c.qualifier {
			t.Errorf("FunctionName(%q) = %q, %q; want %q, %q", c.ref, name, qualifier, c.name, c.qualifier)
		}
	}
}
