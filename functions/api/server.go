package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
)

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the API's OpenAPI 3.1 document.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDocument...) }

// TokenVerifier checks the Authorization header of a request and returns the caller.
// *auth.Verifier satisfies it.
type TokenVerifier interface {
	VerifyHeader(ctx context.Context, header string) (auth.Principal, error)
}

var _ TokenVerifier = (*auth.Verifier)(nil)

// Options are the API's settings.
type Options struct {
	// StateMachineARN is the fast-track state machine that activations start.
	StateMachineARN string
	// Config holds the business rules' numbers; config.Default() when nil.
	Config *config.Config
	// Now is the clock; time.Now when nil. Tests move it for deadlines and time left.
	Now func() time.Time
	// Logger receives one line per failed request (with the internal error that the client
	// never sees); slog.Default() when nil.
	Logger *slog.Logger
	// NewID makes ids for activations; a random one when nil.
	NewID func() string
}

// Server is the HTTP API. Build it with New; it is an http.Handler and safe for concurrent use.
type Server struct {
	deps    Dependencies
	verify  TokenVerifier
	options Options
	mux     *http.ServeMux
	routes  []Route

	referenceMu   sync.Mutex
	referenceSet  *domain.ReferenceSet
	referenceRead time.Time
}

// Route is one operation of the API: its method and path pattern (as in the OpenAPI document).
type Route struct {
	Method string
	Path   string
	// Public routes need no token.
	Public bool
}

// handlerFunc is an API handler: it gets the verified caller and returns an error that the
// server turns into a problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request, caller auth.Principal) error

// New returns the API over its dependencies. verifier checks every bearer token.
func New(deps Dependencies, verifier TokenVerifier, options Options) (*Server, error) {
	if err := deps.check(); err != nil {
		return nil, err
	}
	if verifier == nil {
		return nil, errors.New("api: a token verifier is required")
	}
	if options.Config == nil {
		options.Config = config.Default()
	}
	if options.Now == nil {
		options.Now = time.Now
	}
	if options.Logger == nil {
		options.Logger = slog.Default()
	}
	if options.NewID == nil {
		options.NewID = newActivationID
	}
	s := &Server{deps: deps, verify: verifier, options: options, mux: http.NewServeMux()}
	s.register()
	return s, nil
}

// Routes lists every operation the server routes, for the test that holds the OpenAPI document
// and the router together.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// ServeHTTP serves one request. No panic escapes it: a panicking handler answers 500 and the
// stack goes to the log, never to the client.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.options.Logger.Error("api: panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeProblem(w, r, NewProblem(ProblemInternal, "an internal error occurred"))
		}
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) handle(method, path string, handler handlerFunc) {
	s.routes = append(s.routes, Route{Method: method, Path: path})
	s.mux.HandleFunc(method+" "+path, func(w http.ResponseWriter, r *http.Request) {
		caller, err := s.verify.VerifyHeader(r.Context(), r.Header.Get("Authorization"))
		if err != nil {
			s.options.Logger.Info("api: unauthenticated", "method", r.Method, "path", r.URL.Path, "reason", err.Error())
			writeProblem(w, r, NewProblem(ProblemUnauthenticated, "send a valid bearer token in the Authorization header"))
			return
		}
		r = r.WithContext(auth.WithPrincipal(r.Context(), caller))
		if err := handler(w, r, caller); err != nil {
			s.fail(w, r, err)
		}
	})
}

func (s *Server) handlePublic(method, path string, handler http.HandlerFunc) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Public: true})
	s.mux.HandleFunc(method+" "+path, handler)
}

// fail answers with the problem for err. Problems pass as they are; domain errors map by their
// code; anything else is internal and logged, with nothing of it shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var p *Problem
	if errors.As(err, &p) {
		writeProblem(w, r, p)
		return
	}
	problem := problemFor(err)
	if problem.Status >= 500 {
		s.options.Logger.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
	}
	writeProblem(w, r, problem)
}

// problemFor maps an error of the domain's error model to a problem document.
func problemFor(err error) *Problem {
	var taskNotOpen *domain.TaskNotOpen
	if errors.As(err, &taskNotOpen) {
		return NewProblem(ProblemAlreadyDecided, taskNotOpen.Error())
	}
	var coverMissing *domain.CoverStillMissing
	if errors.As(err, &coverMissing) {
		return NewProblem(ProblemCoverMissing, fmt.Sprintf("%s: record the policy first (PUT /experts/%s/policies/{policyId}) "+
			"and approve again, or reject the task; an approval now would fail the activation when the workflow checks the cover again",
			coverMissing.Message, coverMissing.ExpertID))
	}
	var nobodyFits *domain.NobodyFits
	if errors.As(err, &nobodyFits) {
		p := NewProblem(ProblemNoMatch, nobodyFits.Message+": add an expert who can take it to the roster (PUT /experts/{id}) "+
			"and approve again, or reject the task; an approval now would fail the activation when the workflow books again")
		for _, m := range nobodyFits.Closest {
			p.Errors = append(p.Errors, FieldError{Field: "", Reason: m.String()})
		}
		return p
	}
	var notEligible *domain.NotEligible
	if errors.As(err, &notEligible) {
		p := NewProblem(ProblemNotEligible, notEligible.Message)
		for _, reason := range notEligible.Reasons {
			p.Errors = append(p.Errors, FieldError{Field: "", Reason: reason})
		}
		return p
	}
	switch domain.CodeOf(err) {
	case domain.CodeInvalid:
		p := NewProblem(ProblemValidation, domain.MessageOf(err))
		for _, f := range domain.FieldsOf(err) {
			p.Errors = append(p.Errors, FieldError{Field: f.Field, Reason: f.Reason})
		}
		return p
	case domain.CodeUnauthorized:
		return NewProblem(ProblemUnauthenticated, "send a valid bearer token in the Authorization header")
	case domain.CodeForbidden:
		return NewProblem(ProblemForbidden, domain.MessageOf(err))
	case domain.CodeNotFound:
		return NewProblem(ProblemNotFound, domain.MessageOf(err))
	case domain.CodeConflict:
		return NewProblem(ProblemConflict, domain.MessageOf(err))
	case domain.CodeUnprocessable:
		return NewProblem(ProblemNotEligible, domain.MessageOf(err))
	case domain.CodeUnavailable:
		return NewProblem(ProblemUnavailable, "retry later")
	default:
		return NewProblem(ProblemInternal, "an internal error occurred")
	}
}

// writeJSON sends body as JSON with status.
func writeJSON(w http.ResponseWriter, status int, body any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	writeEncoded(w, status, data)
	return nil
}

// writeEncoded sends data, a JSON value already encoded, with status.
func writeEncoded(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// notFound is the answer for anything the caller may not see, whether or not it exists: a
// country office asking for another office's activation learns nothing from it.
func notFound(what string) *Problem {
	return NewProblem(ProblemNotFound, "no such "+what)
}

// forbidden is the answer for an action the caller's roles do not allow.
func forbidden(action auth.Action) *Problem {
	return NewProblem(ProblemForbidden, "your role does not allow "+strings.ReplaceAll(string(action), ":", " "))
}
