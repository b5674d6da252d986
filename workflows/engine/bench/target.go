package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/workflows/engine"
	"github.com/fasttrack/fasttrack/workflows/engine/server"
)

// Mode is how our engine is run.
type Mode string

// The modes of our engine.
const (
	// ModeMemory keeps everything in memory: the engine's Go API (RunExecution: start and
	// wait for the end in one call).
	ModeMemory Mode = "memory"
	// ModeDurable journals every event under a directory, with fsync as in production (group
	// commit): the engine's Go API.
	ModeDurable Mode = "durable"
	// ModeAPI is ModeMemory behind the Step Functions JSON API server on a loopback port,
	// driven by the aws-sdk-go-v2 sfn client: StartExecution, then DescribeExecution once the
	// execution has closed.
	ModeAPI Mode = "api"
)

// Modes lists the modes in the order the benchmark runs them.
func Modes() []Mode { return []Mode{ModeMemory, ModeDurable, ModeAPI} }

// ParseMode checks a mode's name.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes() {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("bench: unknown mode %q (known: memory, durable, api)", s)
}

// TargetOptions configure a Target.
type TargetOptions struct {
	// DataDir is the parent of the durable mode's journal directory (a new temporary
	// directory is made in it and removed by Close); os.TempDir() when empty.
	DataDir string
	// Connections is the number of idle HTTP connections the API mode's client keeps (set it
	// to the concurrency); 16 when zero.
	Connections int
	// RetainClosed is passed to the engine (0: the engine's default).
	RetainClosed int
	// NoSync turns fsync off in the durable mode (Go benchmarks on slow disks only; the
	// benchmark command never sets it).
	NoSync bool
}

// Target is one state machine created on our engine in one mode, ready to run executions.
// Execute may be called from many goroutines.
type Target struct {
	mode    Mode
	machine Machine
	engine  *engine.Engine
	arn     string
	dataDir string
	client  *sfn.Client
	http    *http.Server
}

// NewTarget starts an engine in mode and creates the machine on it.
func NewTarget(ctx context.Context, mode Mode, m Machine, opts TargetOptions) (t *Target, err error) {
	dispatcher, err := NewDispatcher()
	if err != nil {
		return nil, err
	}
	t = &Target{mode: mode, machine: m}
	engineOpts := engine.Options{
		Lambda:       dispatcher,
		RetainClosed: opts.RetainClosed,
		NoSync:       opts.NoSync,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	switch mode {
	case ModeMemory, ModeAPI:
	case ModeDurable:
		dir, err := os.MkdirTemp(opts.DataDir, "bench-journal-")
		if err != nil {
			return nil, fmt.Errorf("bench: journal directory: %w", err)
		}
		t.dataDir = dir
		engineOpts.DataDir = dir
	default:
		return nil, fmt.Errorf("bench: unknown mode %q", mode)
	}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	if t.engine, err = engine.New(engineOpts); err != nil {
		return nil, err
	}
	if err := t.engine.Start(ctx); err != nil {
		return nil, err
	}
	if mode == ModeAPI {
		if err := t.serve(opts.Connections); err != nil {
			return nil, err
		}
		out, err := t.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name:       aws.String("bench-" + m.Name),
			Definition: aws.String(m.Definition),
			RoleArn:    aws.String("arn:aws:iam::123456789012:role/bench"),
		})
		if err != nil {
			return nil, fmt.Errorf("bench: create %s through the API: %w", m.Name, err)
		}
		t.arn = aws.ToString(out.StateMachineArn)
		return t, nil
	}
	out, err := t.engine.CreateStateMachine(ctx, engine.CreateStateMachineInput{
		Name:       "bench-" + m.Name,
		Definition: m.Definition,
		RoleArn:    "arn:aws:iam::123456789012:role/bench",
	})
	if err != nil {
		return nil, fmt.Errorf("bench: create %s: %w", m.Name, err)
	}
	t.arn = out.StateMachineArn
	return t, nil
}

// serve puts the engine behind the JSON API server on a loopback port and makes the client.
func (t *Target) serve(connections int) error {
	if connections <= 0 {
		connections = 16
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("bench: listen: %w", err)
	}
	t.http = &http.Server{Handler: server.New(t.engine, server.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := t.http.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "bench: API server: %v\n", err)
		}
	}()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 2 * connections
	transport.MaxIdleConnsPerHost = 2 * connections
	t.client = sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + listener.Addr().String()),
		Credentials:  credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		HTTPClient:   sdkhttp.InMemoryBodies{Next: &http.Client{Transport: transport}},
	})
	return nil
}

// Engine is the engine under the target.
func (t *Target) Engine() *engine.Engine { return t.engine }

// Execute runs one execution to its end and returns its output; an execution that does not
// succeed is an error.
func (t *Target) Execute(ctx context.Context) (string, error) {
	if t.mode == ModeAPI {
		return t.executeAPI(ctx)
	}
	d, err := t.engine.RunExecution(ctx, engine.StartExecutionInput{StateMachineArn: t.arn, Input: &t.machine.Input})
	if err != nil {
		return "", err
	}
	if d.Status != engine.StatusSucceeded || d.Output == nil {
		return "", fmt.Errorf("bench: execution %s is %s: %s: %s", d.ExecutionArn, d.Status, deref(d.Error), deref(d.Cause))
	}
	return *d.Output, nil
}

func (t *Target) executeAPI(ctx context.Context) (string, error) {
	started, err := t.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &t.arn, Input: &t.machine.Input})
	if err != nil {
		return "", err
	}
	// The server runs in this process: wait for the end without polling, then read the
	// execution as a client would.
	if _, err := t.engine.WaitExecution(ctx, aws.ToString(started.ExecutionArn)); err != nil {
		return "", err
	}
	d, err := t.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		return "", err
	}
	if d.Status != sfntypes.ExecutionStatusSucceeded || d.Output == nil {
		return "", fmt.Errorf("bench: execution %s is %s: %s: %s", aws.ToString(d.ExecutionArn), d.Status, deref(d.Error), deref(d.Cause))
	}
	return *d.Output, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Close stops the server and the engine and removes the journal directory.
func (t *Target) Close() error {
	var errs []error
	if t.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, t.http.Shutdown(ctx))
		cancel()
	}
	if t.engine != nil {
		errs = append(errs, t.engine.Close())
	}
	if t.dataDir != "" {
		errs = append(errs, os.RemoveAll(t.dataDir))
	}
	return errors.Join(errs...)
}
