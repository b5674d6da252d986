// Package engine is the embedded Step Functions engine: it runs Amazon States Language state
// machines (compiled by package asl) the way AWS Step Functions does, and offers the Step
// Functions API as Go methods; package server puts those on HTTP for the unmodified sfn client.
//
// Every execution is event sourced. Its runtime state (the tree of frames: the top-level state
// machine, each Parallel branch and Map iteration, each with its current state, input, retry
// counts, pending task and timers) is a fold of its history events. The interpreter decides the
// next event from that state, appends it to the journal, and applies it with the same fold that
// recovery uses, so what recovery rebuilds after a crash is, by construction, what was live.
// A completed step is never run again; a task call that was in flight when the process died is
// issued again (at least once, as on AWS); a task token handed out before the crash still works.
//
// Executions run on a fixed pool of workers (one per CPU by default). A worker takes an
// execution that has work and folds events until the execution waits (for a task, a timer, a
// token or its children); waiting costs no goroutine, only a timer on the injected clock. Task
// calls run in their own goroutines and hand their results back.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/journal"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

// Options configure an Engine. The zero value runs in memory with the wall clock, in
// us-east-1, account 123456789012, with no Lambda functions and no DynamoDB.
type Options struct {
	// Region and Account go into every ARN. Defaults: us-east-1 and 123456789012.
	Region  string
	Account string
	// DataDir, when set, keeps state machines, executions, their history and waiting task
	// tokens in a journal under this directory; Start recovers them. Empty: memory only.
	DataDir string
	// NoSync skips fsync in the journal (tests and benchmarks only).
	NoSync bool
	// SegmentSize is the size of the journal's segment files; 64 MiB by default.
	SegmentSize int64
	// Clock arms every timer; clock.Real{} by default.
	Clock clock.Clock
	// Lambda calls functions for Lambda Task resources.
	Lambda tasks.Invoker
	// DynamoDB serves the dynamodb:* optimised integrations.
	DynamoDB tasks.DynamoDB
	// Random returns numbers in [0, 1) for retry jitter; math/rand/v2 by default.
	Random func() float64
	// Logger receives operational messages; slog.Default() by default.
	Logger *slog.Logger
	// Workers is the number of goroutines that run executions; GOMAXPROCS by default.
	Workers int
	// RetainClosed is how many closed executions are kept (oldest are forgotten first): 1,000
	// by default in memory mode, 100,000 with a DataDir (their history stays on disk).
	RetainClosed int
	// MaxRunning bounds the executions running at once (StartExecution then fails with
	// ExecutionLimitExceeded); 1,000,000 by default.
	MaxRunning int
}

// Engine runs state machines. Create it with New, call Start, and Close it at the end.
type Engine struct {
	opts    Options
	clock   clock.Clock
	runner  *tasks.Runner
	log     *slog.Logger
	random  func() float64
	journal *journal.Journal
	// reading is held shared by whoever reads an execution's journal records outside the
	// execution's lock (a description, a history), from copying the locations to the last
	// read, and exclusively to release records: compaction moving an execution, or retention
	// forgetting one, cannot delete a segment under a reader.
	reading sync.RWMutex

	ctx    context.Context
	cancel context.CancelFunc

	// mu guards the state machines.
	mu             sync.RWMutex
	machines       map[string]*stateMachine // by ARN
	allMachines    map[uint64]*stateMachine // by number, deleted ones too (executions outlive them)
	nextMachineSeq uint64

	executions sync.Map // ARN -> *execution, running and retained closed ones
	byID       sync.Map // id -> *execution
	running    atomic.Int64
	nextExecID atomic.Uint64

	// retention guards the queue of closed executions kept, and each execution's place in it.
	retention   sync.Mutex
	closedQueue []closedEntry // closed executions, oldest first
	closedHead  int
	closedSeq   uint64
	closedLive  int          // entries of closedQueue still in it
	forgetQueue []*execution // forgotten executions whose tombstones are not written yet

	janitorWake     chan struct{}
	tombstones      []tombstone             // owned by the janitor (by recovery before it starts)
	carriedSegments map[uint64][]uint32     // during recovery: segments of replaced copies
	pendingCopies   map[uint64]*pendingCopy // during recovery: copies not known to be whole yet

	// During recovery, journal records that are no longer needed are released only once the
	// replay is over.
	replaying       bool
	deferredRelease []journal.Location

	tokens sync.Map // task token -> *execution

	queue   runQueue
	workers sync.WaitGroup
	tasks   sync.WaitGroup // task calls in flight
	started atomic.Bool
	stopped atomic.Bool
}

// New returns an engine configured by opts. It does nothing until Start.
func New(opts Options) (*Engine, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Random == nil {
		opts.Random = rand.Float64
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.RetainClosed <= 0 {
		opts.RetainClosed = 1000
		if opts.DataDir != "" {
			opts.RetainClosed = 100000
		}
	}
	if opts.MaxRunning <= 0 {
		opts.MaxRunning = 1000000
	}
	e := &Engine{
		opts:            opts,
		clock:           opts.Clock,
		log:             opts.Logger,
		random:          opts.Random,
		machines:        map[string]*stateMachine{},
		allMachines:     map[uint64]*stateMachine{},
		janitorWake:     make(chan struct{}, 1),
		carriedSegments: map[uint64][]uint32{},
		pendingCopies:   map[uint64]*pendingCopy{},
	}
	e.runner = &tasks.Runner{Lambda: opts.Lambda, DynamoDB: opts.DynamoDB, Now: e.clock.Now}
	e.queue.init()
	e.ctx, e.cancel = context.WithCancel(context.Background())
	return e, nil
}

// Start recovers what the journal holds (with a DataDir), resumes every running execution and
// starts the workers. ctx bounds recovery only.
func (e *Engine) Start(ctx context.Context) error {
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("engine: Start called twice")
	}
	if e.opts.DataDir != "" {
		j, err := journal.Open(e.opts.DataDir, journal.Options{NoSync: e.opts.NoSync, SegmentSize: e.opts.SegmentSize})
		if err != nil {
			return err
		}
		e.journal = j
		if err := e.recover(ctx); err != nil {
			j.Close()
			return fmt.Errorf("engine: recover from %s: %w", e.opts.DataDir, err)
		}
	}
	for i := 0; i < e.opts.Workers; i++ {
		e.workers.Add(1)
		go e.worker()
	}
	if e.journal != nil {
		e.workers.Add(1)
		go e.janitor()
		e.wakeJanitor()
	}
	for _, x := range e.allExecutions() {
		x.mu.Lock()
		running := x.status == StatusRunning
		if running {
			x.resume()
		}
		x.mu.Unlock()
		if running {
			e.kick(x)
		}
	}
	return nil
}

// Close stops the workers, waits for task calls to return (their contexts are cancelled) and
// closes the journal. Running executions stay running in the journal and resume on the next
// Start.
func (e *Engine) Close() error {
	if !e.stopped.CompareAndSwap(false, true) {
		return nil
	}
	e.cancel()
	e.queue.close()
	e.workers.Wait()
	e.tasks.Wait()
	for _, x := range e.allExecutions() {
		x.mu.Lock()
		x.stopTimers()
		x.mu.Unlock()
	}
	if e.journal != nil {
		return e.journal.Close()
	}
	return nil
}

// allExecutions lists the executions the engine knows.
func (e *Engine) allExecutions() []*execution {
	var out []*execution
	e.executions.Range(func(_, v any) bool {
		out = append(out, v.(*execution))
		return true
	})
	return out
}

// lookupID finds an execution by its internal id.
func (e *Engine) lookupID(id uint64) *execution {
	if v, ok := e.byID.Load(id); ok {
		return v.(*execution)
	}
	return nil
}

// kick schedules an execution to run on a worker. Kicks while it is queued or running are
// folded into one more run.
func (e *Engine) kick(x *execution) {
	if x.sched.Add(1) == 1 {
		e.queue.push(x)
	}
}

func (e *Engine) worker() {
	defer e.workers.Done()
	for {
		x, ok := e.queue.pop()
		if !ok {
			return
		}
		for {
			n := x.sched.Load()
			x.mu.Lock()
			yielded := x.step()
			x.mu.Unlock()
			if yielded {
				// Its turn is over: behind the others, as one queued run.
				x.sched.Store(1)
				e.queue.push(x)
				break
			}
			if x.sched.CompareAndSwap(n, 0) || e.stopped.Load() {
				break
			}
		}
		// Workers are busy for as long as executions have work: let the goroutines waiting
		// on them (API callers, task results) run between two executions, so that their
		// latency does not wait for the scheduler's time slice.
		runtime.Gosched()
	}
}

// runQueue is an unbounded FIFO of executions with work to do.
type runQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []*execution
	head   int
	closed bool
}

func (q *runQueue) init() { q.cond = sync.NewCond(&q.mu) }

func (q *runQueue) push(x *execution) {
	q.mu.Lock()
	q.items = append(q.items, x)
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *runQueue) pop() (*execution, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, false
	}
	x := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		q.items, q.head = q.items[:n], 0
	}
	return x, true
}

func (q *runQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// now is the engine's clock reading, truncated to milliseconds as Step Functions reports time.
func (e *Engine) now() time.Time { return e.clock.Now().Truncate(time.Millisecond) }
