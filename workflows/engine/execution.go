package engine

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/asl"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/journal"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// Status is an execution's status, as DescribeExecution reports it.
type Status string

// Execution statuses.
const (
	StatusRunning        Status = "RUNNING"
	StatusSucceeded      Status = "SUCCEEDED"
	StatusFailed         Status = "FAILED"
	StatusTimedOut       Status = "TIMED_OUT"
	StatusAborted        Status = "ABORTED"
	StatusPendingRedrive Status = "PENDING_REDRIVE"
)

// phase is where a frame stands within its current state.
type phase uint8

const (
	phaseEnter     phase = iota // the state's Entered event comes next
	phaseEntered                // entered: the state's work comes next
	phaseScheduled              // task scheduled: TaskStarted comes next
	phaseRunning                // task started: its result, its token or a timeout comes next
	phaseSubmitted              // a .waitForTaskToken call returned: waiting for the token
	phaseResult                 // a task, Parallel or Map result is in: the state's output next
	phaseRetryWait              // waiting to run the state again
	phaseCatch                  // a catcher applies: the state exits to its Next
	phaseFailed                 // the state failed for good: its machine fails next
	phaseChildren               // Parallel branches or Map iterations are running
	phaseDone                   // the frame's machine ended with output
	phaseFinished               // nothing more happens in this frame
)

// frame runs one machine: the execution's top level, a Parallel branch or a Map iteration.
type frame struct {
	id       int32
	parent   *frame
	machine  *asl.Machine
	index    int32 // branch or iteration index
	mapValue any   // the item of a Map iteration

	state     *asl.State
	phase     phase
	input     any // the current state's raw input
	enteredAt time.Time
	enteredID int64
	lastID    int64 // previousEventId for the frame's next event

	retries    []int64 // per retrier of the current state
	retryCount int64
	retryAt    time.Time
	failure    *failure
	result     any
	output     any

	// Task.
	task        *taskInfo
	params      any
	attempt     int64 // the TaskScheduled event's id: results of older attempts are ignored
	startedAt   time.Time
	heartbeatAt time.Time
	invoked     bool // the call has been issued by this process (not part of the fold)

	// succeeded is set on a Map iteration whose success was recorded.
	succeeded bool

	// Parallel and Map.
	children []*frame
	pending  int // Parallel: branches not done
	// run is the state of a running Map state.
	run *mapRun

	// Runtime only.
	timer   clock.Timer
	timerAt time.Time
	inReady bool
}

// mapRun is the state of a Map state between MapStateStarted and its end.
type mapRun struct {
	items          []any
	mapInput       any
	nextItem       int
	runningItems   int
	failedItems    int
	maxConcurrency int
	toleratedCount int64
	toleratedPct   float64
	results        []any
	firstFailure   *failure
	context        *jsonvalue.Object // the context object of the Map state, for ItemSelector
}

// execution is one execution: its identity, its summary, and (while it can change) its history
// and the fold of that history.
type execution struct {
	engine    *Engine
	id        uint64
	arn       string
	name      string
	machine   *stateMachine
	revision  *revision
	startTime time.Time
	sched     atomic.Int64

	mu           sync.Mutex
	status       Status
	stopTime     time.Time
	errorName    string
	cause        string
	redriveCount int
	redriveTime  time.Time
	lastSeq      uint64
	current      *frame // the frame step is running
	generation   uint32
	redrivable   bool

	// locs are where the execution's records are in the journal, in order, while it runs;
	// packedLocs holds them once it has closed (packLocations), about a third of the
	// size.
	locs       []journal.Location
	packedLocs []byte

	// closedSeq is the execution's number in the retention queue (guarded by
	// Engine.retention); evicted is set once it is forgotten.
	closedSeq uint64
	evicted   atomic.Bool
	// segments lists the journal segments that held earlier copies of the execution's records
	// (guarded by Engine.retention).
	segments []uint32
	// dropped is set (under Engine.retention) when recovery has released the execution's
	// records itself.
	dropped bool
	// marker is the recCopied record of the copy the execution's records are (compaction).
	marker    journal.Location
	hasMarker bool

	// The history and its fold. With a journal, a closed execution lets go of them (stored):
	// its input, output and history are read back from the journal when asked for, and its
	// fold is rebuilt from there to redrive it. So a retained closed execution costs its
	// summary and its packed locations, whatever its size.
	*live
}

// live is the part of an execution that exists while it runs (and, in memory mode, after).
type live struct {
	inputText   string
	input       any
	output      any
	events      []event
	eventCount  int
	nextID      int64
	lastID      int64
	frames      []*frame
	ready       []*frame
	readyHead   int
	deadline    time.Time
	timer       clock.Timer
	timerAt     time.Time
	waiters     []*waiter
	contextBase *contextBase // Execution and StateMachine parts of the context object
}

// stored reports whether the execution's history and fold are in the journal only.
func (x *execution) stored() bool { return x.live == nil }

// store lets go of a closed execution's history and fold: the journal has them. Its record
// locations are packed. Called with x.mu held, with a journal.
func (x *execution) store() {
	x.stopTimers()
	x.live = nil
	if x.packedLocs == nil {
		x.packedLocs, x.locs = packLocations(x.locs), nil
	}
}

// waiter is someone waiting for an execution to close: RunExecution, WaitExecution, a
// StartExecution of the same name. It gets the description of the closed execution, made
// while its output is still in memory.
type waiter struct {
	done   chan struct{}
	result *Execution
}

func (x *execution) markReady(f *frame) {
	if x.stored() || f == nil || f.inReady || f.phase == phaseFinished {
		return
	}
	f.inReady = true
	x.ready = append(x.ready, f)
}

func (x *execution) popReady() *frame {
	for x.readyHead < len(x.ready) {
		f := x.ready[x.readyHead]
		x.ready[x.readyHead] = nil
		x.readyHead++
		if x.readyHead == len(x.ready) {
			x.ready, x.readyHead = x.ready[:0], 0
		}
		f.inReady = false
		if f.phase != phaseFinished {
			return f
		}
	}
	return nil
}

func (x *execution) newFrame(parent *frame, machine *asl.Machine, index int32, input any, lastID int64) *frame {
	f := &frame{
		id:      int32(len(x.frames)),
		parent:  parent,
		machine: machine,
		index:   index,
		state:   machine.StartAt,
		phase:   phaseEnter,
		input:   input,
		lastID:  lastID,
	}
	x.frames = append(x.frames, f)
	return f
}

// frameOf returns the frame an event belongs to.
func (x *execution) frameOf(ev *event) *frame {
	if int(ev.frame) < len(x.frames) {
		return x.frames[ev.frame]
	}
	return nil
}

// apply folds one event into the execution's state. It is the only place that changes that
// state, live and during recovery alike; it makes no decisions of its own.
func (x *execution) apply(ev *event) {
	if ev.id != 0 {
		x.lastID = ev.id
		if ev.id >= x.nextID {
			x.nextID = ev.id
		}
	}
	x.eventCount++
	switch ev.typ {
	case EventExecutionStarted:
		x.status = StatusRunning
		x.startTime = ev.time
		if timeout := x.revision.program.TimeoutSeconds; timeout > 0 {
			x.deadline = ev.time.Add(time.Duration(timeout) * time.Second)
		}
		root := x.newFrame(nil, x.revision.program.Root, 0, ev.input, ev.id)
		x.markReady(root)
		return
	case EventExecutionSucceeded:
		x.close(StatusSucceeded, ev)
		x.output = ev.output
		return
	case EventExecutionFailed:
		x.close(StatusFailed, ev)
		return
	case EventExecutionTimedOut:
		x.close(StatusTimedOut, ev)
		return
	case EventExecutionAborted:
		x.close(StatusAborted, ev)
		return
	case EventExecutionRedriven:
		x.applyRedrive(ev)
		return
	}

	f := x.frameOf(ev)
	if f == nil {
		return
	}
	if ev.id != 0 {
		f.lastID = ev.id
	}
	switch ev.typ {
	case EventPassStateEntered, EventChoiceStateEntered, EventWaitStateEntered, EventSucceedStateEntered,
		EventFailStateEntered, EventTaskStateEntered, EventParallelStateEntered, EventMapStateEntered:
		if s, ok := f.machine.States[ev.name]; ok {
			f.state = s
		}
		f.input = ev.input
		f.phase = phaseEntered
		f.enteredAt = ev.time
		f.enteredID = ev.id
		f.retryCount = 0
		f.failure = nil
		f.result = nil
		if n := len(f.state.Retry); n > 0 {
			f.retries = make([]int64, n)
		} else {
			f.retries = nil
		}

	case EventPassStateExited, EventChoiceStateExited, EventWaitStateExited, EventSucceedStateExited,
		EventTaskStateExited, EventParallelStateExited, EventMapStateExited:
		x.clearTask(f)
		f.children, f.run, f.result = nil, nil, nil
		if ev.next == "" {
			f.phase = phaseDone
			f.output = ev.output
			if p := f.parent; p != nil && p.state.Type == asl.TypeParallel {
				p.pending--
				x.markReady(p)
			}
			return
		}
		f.state = f.machine.States[ev.next]
		f.input = ev.output
		f.phase = phaseEnter

	case EventTaskScheduled, EventLambdaFunctionScheduled:
		f.task = ev.task
		f.params = ev.input
		f.attempt = ev.id
		f.phase = phaseScheduled
		if ev.task != nil && ev.task.token != "" {
			x.engine.tokens.Store(ev.task.token, tokenRef{x: x, f: f})
		}
	case EventTaskStarted, EventLambdaFunctionStarted:
		f.phase = phaseRunning
		f.startedAt = ev.time
		f.heartbeatAt = ev.time
		f.invoked = false
	case EventTaskSubmitted:
		f.phase = phaseSubmitted
	case eventTaskHeartbeat:
		f.heartbeatAt = ev.time
	case EventTaskSucceeded, EventLambdaFunctionSucceeded:
		x.clearTask(f)
		f.result = ev.output
		f.phase = phaseResult
	case EventTaskFailed, EventLambdaFunctionFailed, EventTaskTimedOut, EventLambdaFunctionTimedOut:
		x.clearTask(f)
		x.applyFailure(f, ev)
	case eventStateFailed:
		x.applyFailure(f, ev)

	case EventParallelStateStarted:
		f.children = make([]*frame, len(f.state.Branches))
		for i, branch := range f.state.Branches {
			child := x.newFrame(f, branch, int32(i), ev.input, ev.id)
			f.children[i] = child
			x.markReady(child)
		}
		f.pending = len(f.children)
		f.phase = phaseChildren
	case EventParallelStateSucceeded:
		outputs := make([]any, len(f.children))
		for i, child := range f.children {
			outputs[i] = child.output
			x.release(child)
		}
		f.children = nil
		f.result = outputs
		f.phase = phaseResult
	case EventParallelStateFailed, EventMapStateFailed:
		x.abortChildren(f)
		x.applyFailure(f, ev)

	case EventMapStateStarted:
		f.run = &mapRun{mapInput: ev.input}
		f.run.items, _ = ev.output.([]any)
		limits := ev.mapLimits()
		f.run.maxConcurrency, f.run.toleratedCount, f.run.toleratedPct = limits.maxConcurrency, limits.toleratedCount, limits.toleratedPct
		f.run.results = make([]any, len(f.run.items))
		f.children = make([]*frame, len(f.run.items))
		f.run.nextItem, f.run.runningItems, f.run.failedItems, f.run.firstFailure = 0, 0, 0, nil
		f.phase = phaseChildren
	case EventMapIterationStarted:
		i := int(ev.index)
		if i < len(f.run.items) {
			child := x.newFrame(f, f.state.Iterator, ev.index, ev.input, ev.id)
			child.mapValue = f.run.items[i]
			f.children[i] = child
			f.run.nextItem = i + 1
			f.run.runningItems++
			x.markReady(child)
		}
	case EventMapIterationSucceeded:
		if p := f.parent; p != nil {
			f.succeeded = true
			p.run.results[f.index] = f.output
			p.run.runningItems--
			x.release(f)
			x.markReady(p)
		}
	case EventMapIterationFailed:
		if p := f.parent; p != nil {
			p.run.results[f.index] = errorOutput(ev.failure)
			p.run.runningItems--
			p.run.failedItems++
			if p.run.firstFailure == nil {
				p.run.firstFailure = ev.failure
			}
			f.phase = phaseFinished
			x.markReady(p)
		}
	case EventMapIterationAborted:
		if p := f.parent; p != nil {
			x.abortChildren(f)
			x.clearTask(f)
			f.phase = phaseFinished
			p.run.runningItems--
			x.markReady(p)
		}
	case EventMapStateSucceeded:
		for _, child := range f.children {
			x.release(child)
		}
		f.result = f.run.results
		f.children, f.run = nil, nil
		f.phase = phaseResult
	}
}

type mapLimits struct {
	maxConcurrency int
	toleratedCount int64
	toleratedPct   float64
}

func (ev *event) mapLimits() mapLimits {
	if ev.limits != nil {
		return *ev.limits
	}
	return mapLimits{toleratedCount: -1, toleratedPct: -1}
}

// errorOutput is the error output a catcher or a tolerated Map failure passes on.
func errorOutput(fl *failure) *jsonvalue.Object {
	name, cause := "", ""
	if fl != nil {
		name, cause = fl.name, fl.cause
	}
	return jsonvalue.NewObject(jsonvalue.Member{Key: "Error", Value: name}, jsonvalue.Member{Key: "Cause", Value: cause})
}

// applyFailure follows the decision recorded with a failure.
func (x *execution) applyFailure(f *frame, ev *event) {
	fl := ev.failure
	if fl == nil {
		fl = &failure{}
	}
	f.failure = fl
	switch fl.decision.kind {
	case decideRetry:
		if i := fl.decision.index; i < len(f.retries) {
			f.retries[i]++
		}
		f.retryCount++
		f.retryAt = ev.time.Add(fl.decision.delay)
		f.phase = phaseRetryWait
	case decideCatch:
		f.phase = phaseCatch
	default:
		f.phase = phaseFailed
	}
}

// clearTask forgets the task attempt of a frame and its token.
func (x *execution) clearTask(f *frame) {
	if f.task != nil && f.task.token != "" {
		x.engine.tokens.Delete(f.task.token)
	}
	f.task, f.params = nil, nil
	f.invoked = false
	x.stopFrameTimer(f)
}

// abortChildren stops every frame below f.
func (x *execution) abortChildren(f *frame) {
	for _, child := range f.children {
		if child == nil {
			continue
		}
		x.abortChildren(child)
		x.clearTask(child)
		if child.phase != phaseDone {
			child.phase = phaseFinished
		}
	}
}

// release forgets a frame that has ended and been accounted for.
func (x *execution) release(f *frame) {
	if f == nil {
		return
	}
	for _, child := range f.children {
		x.release(child)
	}
	x.clearTask(f)
	f.phase = phaseFinished
	f.children, f.input, f.mapValue = nil, nil, nil
	if int(f.id) < len(x.frames) && x.frames[f.id] == f {
		x.frames[f.id] = nil
	}
}

// close ends the execution.
func (x *execution) close(status Status, ev *event) {
	x.status = status
	x.stopTime = ev.time
	if ev.failure != nil {
		x.errorName, x.cause = ev.failure.name, ev.failure.cause
	} else {
		x.errorName, x.cause = "", ""
	}
	for _, f := range x.frames {
		if f != nil {
			x.clearTask(f)
		}
	}
	x.stopTimers()
	// Frames still queued must lose their mark with the queue, or a redrive could never queue
	// them again (markReady skips a frame it believes queued).
	for _, f := range x.ready[x.readyHead:] {
		if f != nil {
			f.inReady = false
		}
	}
	clear(x.ready)
	x.ready, x.readyHead = x.ready[:0], 0
	x.redrivable = status == StatusFailed || status == StatusTimedOut || status == StatusAborted
}

func (x *execution) stopFrameTimer(f *frame) {
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
}

// stopTimers stops every timer of the execution (runtime only).
func (x *execution) stopTimers() {
	if x.stored() {
		return
	}
	for _, f := range x.frames {
		if f != nil {
			x.stopFrameTimer(f)
		}
	}
	if x.timer != nil {
		x.timer.Stop()
		x.timer = nil
	}
}

// records lists every journal record of the execution: its events and the mark of its copy.
func (x *execution) records() []journal.Location {
	locs := x.locations()
	if !x.hasMarker {
		return locs
	}
	return append(locs[:len(locs):len(locs)], x.marker)
}

// locations lists where the execution's event records are, in order.
func (x *execution) locations() []journal.Location {
	if x.packedLocs != nil {
		return unpackLocations(x.packedLocs)
	}
	return x.locs
}

// setLocations replaces where the execution's event records are (compaction): packed if the
// execution's history is stored.
func (x *execution) setLocations(locs []journal.Location) {
	if x.packedLocs != nil {
		x.packedLocs, x.locs = packLocations(locs), nil
		return
	}
	x.locs = locs
}

// tokenRef finds the frame waiting on a task token.
type tokenRef struct {
	x *execution
	f *frame
}
