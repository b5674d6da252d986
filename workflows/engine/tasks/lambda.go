package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// Invoker calls a Lambda function synchronously. A failure of the function itself is a
// *FunctionError; any other error is a failure to call it (a *states.Error names it as Step
// Functions would, e.g. Lambda.ResourceNotFoundException).
type Invoker interface {
	Invoke(ctx context.Context, functionARN string, payload []byte) ([]byte, error)
}

// FunctionError is a function's own failure as the Lambda service reports it: the error type
// the runtime named, its message, and the error document the runtime returned, which Step
// Functions passes on as the cause.
type FunctionError struct {
	Type    string
	Message string
	// Document is the runtime's error response: {"errorMessage":"...","errorType":"..."}.
	Document []byte
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Dispatcher is the local Lambda service: it calls Go handlers registered by function name
// through lambda.NewHandler(h).Invoke, the JSON (de)serialisation of the Lambda Go runtime, and
// reports a handler's error or panic the way that runtime does (lambda/errors.go): the error's
// type name with any pointer stripped, or a messages.InvokeResponse_Error as it is. A panic
// never escapes a call.
type Dispatcher struct {
	mu        sync.RWMutex
	functions map[string]*function
}

var _ Invoker = (*Dispatcher)(nil)

// function keeps a pool of handler instances. The handler that lambda.NewHandler builds reuses
// one output buffer pool, and the bytes Invoke returns alias a pooled buffer; the Lambda runtime
// calls a handler once at a time, so each instance here is used by one call at a time and its
// result is copied before the instance goes back to the pool.
type function struct {
	name     string
	handlers sync.Pool
}

// NewDispatcher returns an empty Dispatcher.
func NewDispatcher() *Dispatcher {
	return &Dispatcher{functions: map[string]*function{}}
}

// Register makes handler callable as the function name (or "name:alias"). handler is anything
// lambda.Start accepts (func(ctx, In) (Out, error) and the other documented shapes, or a
// lambda.Handler). Registering a name again replaces its handler.
func (d *Dispatcher) Register(name string, handler any) error {
	if name == "" || strings.Count(name, ":") > 1 {
		return fmt.Errorf("tasks: function name %q must be NAME or NAME:ALIAS", name)
	}
	if handler == nil {
		return fmt.Errorf("tasks: function %q: handler is nil", name)
	}
	fn := &function{name: name}
	fn.handlers.New = func() any { return lambda.NewHandler(handler) }
	d.mu.Lock()
	d.functions[name] = fn
	d.mu.Unlock()
	return nil
}

// Functions lists the registered names.
func (d *Dispatcher) Functions() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	names := make([]string, 0, len(d.functions))
	for name := range d.functions {
		names = append(names, name)
	}
	return names
}

// FunctionName extracts the function name and qualifier from any of the forms Lambda accepts:
// NAME, NAME:QUALIFIER, ACCOUNT:function:NAME[:QUALIFIER] and the full ARN.
func FunctionName(ref string) (name, qualifier string) {
	parts := strings.Split(ref, ":")
	if parts[0] == "arn" {
		// arn:PARTITION:lambda:REGION: followed by the partial form.
		if len(parts) < 7 {
			return ref, ""
		}
		parts = parts[4:]
	} else if len(parts) == 2 {
		return parts[0], parts[1]
	}
	// ACCOUNT:function:NAME[:QUALIFIER]
	if len(parts) >= 3 && parts[1] == "function" {
		name = parts[2]
		if len(parts) >= 4 {
			qualifier = parts[3]
		}
		return name, qualifier
	}
	return ref, ""
}

func (d *Dispatcher) lookup(ref string) *function {
	name, qualifier := FunctionName(ref)
	d.mu.RLock()
	defer d.mu.RUnlock()
	if qualifier != "" {
		if fn, ok := d.functions[name+":"+qualifier]; ok {
			return fn
		}
	}
	return d.functions[name]
}

// Invoke calls the function functionARN names (full ARN, partial ARN, name or name:alias).
func (d *Dispatcher) Invoke(ctx context.Context, functionARN string, payload []byte) ([]byte, error) {
	fn := d.lookup(functionARN)
	if fn == nil {
		return nil, states.NewError("Lambda.ResourceNotFoundException",
			fmt.Sprintf("Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException)", functionARN))
	}
	requestID := newRequestID()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID, InvokedFunctionArn: functionARN})
	handler := fn.handlers.Get().(lambda.Handler)
	out, err := invokeSafely(ctx, handler, payload)
	if err != nil {
		// A handler that panicked may have left its buffers in any state: drop it.
		if _, panicked := err.(panicError); !panicked {
			fn.handlers.Put(handler)
		}
		return nil, functionError(err)
	}
	result := make([]byte, len(out))
	copy(result, out)
	fn.handlers.Put(handler)
	return result, nil
}

// panicError carries a recovered panic value out of invokeSafely.
type panicError struct{ value any }

func (p panicError) Error() string { return fmt.Sprintf("%v", p.value) }

func invokeSafely(ctx context.Context, handler lambda.Handler, payload []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, panicError{value: v}
		}
	}()
	return handler.Invoke(ctx, payload)
}

// functionError reports err as the Lambda Go runtime does.
func functionError(err error) *FunctionError {
	var response messages.InvokeResponse_Error
	switch e := err.(type) {
	case panicError:
		if ive, ok := e.value.(messages.InvokeResponse_Error); ok {
			response = ive
		} else {
			response = messages.InvokeResponse_Error{Message: fmt.Sprintf("%v", e.value), Type: typeName(e.value)}
		}
	case messages.InvokeResponse_Error:
		response = e
	default:
		response = messages.InvokeResponse_Error{Message: err.Error(), Type: typeName(err)}
	}
	doc, marshalErr := json.Marshal(response)
	if marshalErr != nil {
		doc = []byte(`{"errorMessage":"unreadable error","errorType":"` + response.Type + `"}`)
	}
	return &FunctionError{Type: response.Type, Message: response.Message, Document: doc}
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

func newRequestID() string {
	a, b := rand.Uint64(), rand.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, (b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}
