// Package server puts the engine's Step Functions API on HTTP with the AWS JSON 1.0 protocol
// (POST /, X-Amz-Target: AWSStepFunctions.<Operation>, Content-Type:
// application/x-amz-json-1.0), so that the unmodified aws-sdk-go-v2 sfn client, pointed at it
// with a custom BaseEndpoint, works as it does against AWS. Errors are AWS's: HTTP 400 with
// {"__type": code, "message": text}.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine"
)

const (
	contentType  = "application/x-amz-json-1.0"
	targetPrefix = "AWSStepFunctions."
	maxBody      = 4 << 20
)

// Options configure the handler.
type Options struct {
	// Logger receives one line per failed request; slog.Default() when nil.
	Logger *slog.Logger
}

// Server is the HTTP handler.
type Server struct {
	engine *engine.Engine
	log    *slog.Logger
	ops    map[string]func(context.Context, []byte) (any, error)
}

var _ http.Handler = (*Server)(nil)

// New returns the handler for an engine.
func New(e *engine.Engine, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{engine: e, log: opts.Logger}
	s.ops = map[string]func(context.Context, []byte) (any, error){
		"CreateStateMachine":               operation(s.createStateMachine),
		"DescribeStateMachine":             operation(s.describeStateMachine),
		"ListStateMachines":                operation(s.listStateMachines),
		"UpdateStateMachine":               operation(s.updateStateMachine),
		"DeleteStateMachine":               operation(s.deleteStateMachine),
		"ValidateStateMachineDefinition":   operation(s.validateStateMachineDefinition),
		"StartExecution":                   operation(s.startExecution),
		"DescribeExecution":                operation(s.describeExecution),
		"ListExecutions":                   operation(s.listExecutions),
		"StopExecution":                    operation(s.stopExecution),
		"GetExecutionHistory":              operation(s.getExecutionHistory),
		"SendTaskSuccess":                  operation(s.sendTaskSuccess),
		"SendTaskFailure":                  operation(s.sendTaskFailure),
		"SendTaskHeartbeat":                operation(s.sendTaskHeartbeat),
		"RedriveExecution":                 operation(s.redriveExecution),
		"DescribeStateMachineForExecution": operation(s.describeStateMachineForExecution),
	}
	return s
}

// apiError is an error with an AWS error code.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func validation(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: engine.CodeValidationException, message: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.writeError(w, r, &apiError{status: http.StatusMethodNotAllowed, code: "UnknownOperationException", message: "only POST is supported"})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	handler := s.ops[op]
	if !ok || handler == nil {
		s.writeError(w, r, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", message: fmt.Sprintf("unknown operation %q", target)})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.writeError(w, r, &apiError{status: http.StatusBadRequest, code: "SerializationException", message: "cannot read the request body"})
		return
	}
	if len(body) > maxBody {
		s.writeError(w, r, &apiError{status: http.StatusRequestEntityTooLarge, code: engine.CodeValidationException, message: "the request body is too large"})
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	out, err := handler(r.Context(), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	payload, err := json.Marshal(out)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, message := http.StatusInternalServerError, "InternalFailure", "internal error"
	var ae *apiError
	var ee *engine.Error
	var de *engine.DefinitionError
	switch {
	case errors.As(err, &ae):
		status, code, message = ae.status, ae.code, ae.message
	case errors.As(err, &de):
		status, code, message = http.StatusBadRequest, de.Code, de.Message
	case errors.As(err, &ee):
		status, code, message = http.StatusBadRequest, ee.Code, ee.Message
		if ee.Code == engine.CodeInternalError {
			status = http.StatusInternalServerError
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status, code, message = http.StatusServiceUnavailable, "ServiceUnavailable", err.Error()
	default:
		message = err.Error()
	}
	if status >= 500 {
		s.log.Error("step functions api: request failed", "target", r.Header.Get("X-Amz-Target"), "error", err)
	}
	payload, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_, _ = w.Write(payload)
}

// operation adapts a handler of one request type to the operation table: it decodes the body
// into the request and refuses it if a member tagged `required:"true"` is missing (its zero
// value), before the handler sees it.
func operation[Request any](handle func(context.Context, *Request) (any, error)) func(context.Context, []byte) (any, error) {
	required := requiredMembers(reflect.TypeFor[Request]())
	return func(ctx context.Context, body []byte) (any, error) {
		var in Request
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, &apiError{status: http.StatusBadRequest, code: "SerializationException", message: "the request is not valid JSON for this operation: " + err.Error()}
		}
		members := reflect.ValueOf(&in).Elem()
		for _, m := range required {
			if members.Field(m.index).IsZero() {
				return nil, missing(m.name)
			}
		}
		return handle(ctx, &in)
	}
}

// member is a required member of a request: its field and its name in JSON.
type member struct {
	index int
	name  string
}

// requiredMembers lists the members of a request struct tagged `required:"true"`, in field
// order (the first missing one is reported).
func requiredMembers(t reflect.Type) []member {
	var out []member
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("required") == "true" {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out = append(out, member{index: i, name: name})
		}
	}
	return out
}

// missing is AWS's refusal of a request without a required member.
func missing(name string) error {
	return validation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
}

// epoch is a timestamp as the JSON 1.0 protocol writes it: seconds since the epoch, with
// milliseconds as the fraction.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(fmt.Sprintf("%d.%03d", ms/1000, int64(math.Abs(float64(ms%1000))))), nil
}

func stamp(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}
