package engine

import (
	"context"
	"errors"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/asl"
)

// RedriveExecution restarts a failed, timed out or aborted execution from where it stopped:
// the states that failed or were stopped run again with the input they had; what succeeded
// (Parallel branches, Map iterations, earlier states) is kept. $$.Execution.RedriveCount
// counts the redrives. Errors: InvalidArn, ExecutionDoesNotExist, ExecutionNotRedrivable,
// ExecutionLimitExceeded.
func (e *Engine) RedriveExecution(ctx context.Context, arn string) (time.Time, error) {
	x, err := e.execution(arn)
	if err != nil {
		return time.Time{}, err
	}
	x.mu.Lock()
	switch x.status {
	case StatusFailed, StatusTimedOut, StatusAborted:
	default:
		x.mu.Unlock()
		return time.Time{}, errorf(CodeExecutionNotRedrivable, "Execution is %s and cannot be redriven: '%s'", x.status, arn)
	}
	if status, reason := x.redriveStatus(); status != "REDRIVABLE" {
		x.mu.Unlock()
		return time.Time{}, errorf(CodeExecutionNotRedrivable, "Execution cannot be redriven: %s: '%s'", reason, arn)
	}
	if int(e.running.Load()) >= e.opts.MaxRunning {
		x.mu.Unlock()
		return time.Time{}, errorf(CodeExecutionLimitExceeded, "Execution Limit Exceeded: %d executions are running", e.opts.MaxRunning)
	}
	// A stored execution's fold is rebuilt from its history first; it is let go again if
	// the redrive does not happen.
	restored := x.stored()
	if restored {
		if err := x.restore(); err != nil {
			x.mu.Unlock()
			return time.Time{}, err
		}
	}
	refuse := func(err error) (time.Time, error) {
		if restored {
			x.store()
		}
		x.mu.Unlock()
		return time.Time{}, err
	}
	if len(x.frames) == 0 || x.frames[0] == nil {
		return refuse(errorf(CodeExecutionNotRedrivable, "Execution cannot be redriven: its state was not kept: '%s'", arn))
	}
	e.retention.Lock()
	if x.evicted.Load() {
		e.retention.Unlock()
		return refuse(errorf(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn))
	}
	e.leaveClosedQueue(x)
	if restored {
		// Out of the retention queue, it can no longer be forgotten: the janitor, which reads
		// a forgotten execution's locations without its lock, will not look at them.
		x.locs, x.packedLocs = x.locations(), nil
	}
	e.retention.Unlock()
	e.running.Add(1)
	x.record(event{typ: EventExecutionRedriven, previous: x.lastID, index: int32(x.redriveCount + 1)})
	when, seq := x.redriveTime, x.lastSeq
	x.mu.Unlock()
	e.kick(x)
	return when, e.waitDurable(ctx, seq)
}

// restore rebuilds a stored execution's history and fold from the journal, as recovery
// would: the same events folded by the same apply. Called with x.mu held.
func (x *execution) restore() error {
	locs := x.locations()
	if len(locs) == 0 {
		return errorf(CodeExecutionNotRedrivable, "Execution cannot be redriven: its history is not kept: '%s'", x.arn)
	}
	payload, err := x.engine.journal.Read(locs[0])
	if err != nil {
		return errorf(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s' (its history is gone: %v)", x.arn, err)
	}
	inputText, err := startInput(payload)
	if err != nil {
		return errorf(CodeInternalError, "journal record at %v: %v", locs[0], err)
	}
	events, err := x.engine.readEvents(locs, true)
	if err != nil {
		var apiErr *Error
		if errors.As(err, &apiErr) {
			return err
		}
		return errorf(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s' (its history is gone: %v)", x.arn, err)
	}
	if events[0].typ != EventExecutionStarted {
		return errorf(CodeInternalError, "execution %s: its first record is %s", x.arn, events[0].typ)
	}
	status := x.status
	// The locations stay packed until the redrive is decided (RedriveExecution).
	x.live = &live{inputText: inputText, input: events[0].input, events: events}
	for i := range x.events {
		x.apply(&x.events[i])
	}
	if folded := x.status; folded != status {
		// The journal and the summary disagree: keep to the summary.
		x.store()
		x.status = status
		return errorf(CodeInternalError, "execution %s: its history folds to %s, not %s", x.arn, folded, status)
	}
	return nil
}

// applyRedrive folds ExecutionRedriven: the execution runs again, and every frame that did not
// end well goes back to the state it stopped in.
func (x *execution) applyRedrive(ev *event) {
	x.status = StatusRunning
	x.redriveCount = int(ev.index)
	x.redriveTime = ev.time
	x.stopTime = time.Time{}
	x.errorName, x.cause = "", ""
	x.output = nil
	x.contextBase = nil
	if timeout := x.revision.program.TimeoutSeconds; timeout > 0 {
		x.deadline = ev.time.Add(time.Duration(timeout) * time.Second)
	}
	if len(x.frames) > 0 {
		x.redriveFrame(x.frames[0])
	}
}

func (x *execution) redriveFrame(f *frame) {
	if f == nil || f.phase == phaseDone || f.succeeded {
		return
	}
	f.lastID = x.lastID
	hasChildren := (f.state.Type == asl.TypeParallel || f.state.Type == asl.TypeMap) && f.children != nil
	switch {
	case hasChildren && f.state.Type == asl.TypeParallel:
		f.pending = 0
		for _, child := range f.children {
			if child.phase != phaseDone {
				x.redriveFrame(child)
				f.pending++
			}
		}
		f.failure = nil
		f.phase = phaseChildren
	case hasChildren:
		f.run.runningItems, f.run.failedItems, f.run.firstFailure = 0, 0, nil
		for i, child := range f.children {
			if child == nil || child.succeeded {
				continue
			}
			f.run.results[i] = nil
			x.redriveFrame(child)
			if child.phase != phaseDone {
				f.run.runningItems++
			}
		}
		f.failure = nil
		f.phase = phaseChildren
	case f.phase == phaseFailed && f.result != nil:
		f.failure = nil
		f.phase = phaseResult
	default:
		f.failure = nil
		f.phase = phaseEnter
	}
	x.markReady(f)
}

// resume prepares a recovered running execution to go on: every frame that may have work is
// looked at again, and task calls that were in flight are issued again. Every deadline keeps
// the absolute time the fold gives it (from the recorded TaskStarted, heartbeat, Wait, retry
// and ExecutionStarted times), as on AWS, where a worker that stops sending heartbeats is not
// excused by the service's own trouble: one that passed while the process was down fires at
// once.
func (x *execution) resume() {
	clear(x.ready)
	x.ready, x.readyHead = x.ready[:0], 0
	for _, f := range x.frames {
		if f == nil || f.phase == phaseFinished {
			continue
		}
		f.inReady = false
		x.markReady(f)
	}
}

// recordAborted records the aborted events of the states in progress in f and below it, the
// innermost first, when the execution is stopped: AWS's history names every state a stop cut
// short (TaskStateAborted, WaitStateAborted, ParallelStateAborted, MapStateAborted, and
// MapIterationAborted for each Map iteration still running). A Pass, Choice, Succeed or Fail
// state never waits, and AWS has no aborted event for them. The events change nothing in the
// fold that a redrive needs: each frame stays in the state it was stopped in. Called with x.mu
// held.
func (x *execution) recordAborted(f *frame) {
	if f == nil || x.status != StatusRunning {
		return
	}
	switch f.phase {
	case phaseEnter, phaseDone, phaseFinished:
		// Not in a state: about to enter one, or done.
		return
	}
	nested := false
	for _, child := range f.children {
		if child == nil || child.succeeded || child.phase == phaseDone || child.phase == phaseFinished {
			continue
		}
		x.recordAborted(child)
		nested = true
		if f.state.Type == asl.TypeMap {
			x.record(event{typ: EventMapIterationAborted, frame: child.id, previous: child.lastID, name: f.state.Name, index: child.index})
		}
	}
	typ := abortedType(f.state.Type)
	if typ == eventNone {
		return
	}
	previous := f.lastID
	if nested {
		previous = x.lastID
	}
	x.record(event{typ: typ, frame: f.id, previous: previous, name: f.state.Name})
}

// abortedType is the event of a state of type t stopped while in progress; eventNone for the
// states that never wait.
func abortedType(t asl.StateType) EventType {
	switch t {
	case asl.TypeTask:
		return EventTaskStateAborted
	case asl.TypeWait:
		return EventWaitStateAborted
	case asl.TypeParallel:
		return EventParallelStateAborted
	case asl.TypeMap:
		return EventMapStateAborted
	}
	return eventNone
}
