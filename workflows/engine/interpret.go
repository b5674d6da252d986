package engine

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/asl"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

// stepBudget bounds the events one run of an execution records before it yields its worker,
// so that a state machine looping through Pass states cannot starve the others.
const stepBudget = 2048

// maxHistoryEvents is the Step Functions quota on an execution's history.
const maxHistoryEvents = 25000

// step runs the execution until it waits for something outside itself, or until it has used
// its budget (it then reports that it yields, and goes to the back of the run queue). Called
// with x.mu held.
func (x *execution) step() (yielded bool) {
	if x.status != StatusRunning {
		return false
	}
	e := x.engine
	budget := stepBudget
	for x.status == StatusRunning {
		if !x.deadline.IsZero() && !e.clock.Now().Before(x.deadline) {
			x.record(event{typ: EventExecutionTimedOut, previous: x.lastID,
				failure: &failure{name: states.ErrTimeout, cause: "The execution timed out (TimeoutSeconds)."}})
			break
		}
		f := x.popReady()
		if f == nil {
			break
		}
		x.current = f
		for x.status == StatusRunning && f.phase != phaseFinished {
			ev, ok := x.decide(f)
			if !ok {
				break
			}
			if x.nextID >= maxHistoryEvents-1 && ev.typ.Public() {
				// AWS fails an execution whose history reaches the quota.
				ev = event{typ: EventExecutionFailed, previous: x.lastID, failure: &failure{name: states.ErrRuntime,
					cause: "The execution reached the maximum number of history events (25000)."}}
			}
			x.record(ev)
			budget--
			if budget == 0 {
				x.current = nil
				x.markReady(f)
				return true
			}
		}
		x.current = nil
	}
	if x.status == StatusRunning && !x.deadline.IsZero() && x.timer == nil {
		x.timerAt = x.deadline
		x.timer = e.clock.AfterFunc(x.deadline.Sub(e.clock.Now()), func() { e.kick(x) })
	}
	return false
}

// record gives an event its id and time, persists it and folds it in.
func (x *execution) record(ev event) {
	e := x.engine
	if ev.time.IsZero() {
		ev.time = e.now()
	}
	if ev.typ.Public() {
		x.nextID++
		ev.id = x.nextID
	}
	if e.journal != nil {
		e.persistEvent(x, &ev)
	}
	x.events = append(x.events, ev)
	last := &x.events[len(x.events)-1]
	x.apply(last)
	if x.status != StatusRunning {
		e.closed(x)
		return
	}
	// The frame of an event recorded while another frame runs (a Parallel failing because of
	// a branch, a task result, a token) has work to do.
	if f := x.frameOf(last); f != nil && f != x.current {
		x.markReady(f)
	}
}

// decide returns the next event of frame f, or false when f waits (for a task, a timer, a
// token or its children). It may arm timers and issue task calls; it never changes the fold.
func (x *execution) decide(f *frame) (event, bool) {
	s := f.state
	switch f.phase {
	case phaseEnter:
		return event{typ: enteredType(s.Type), frame: f.id, previous: f.lastID, name: s.Name, input: f.input}, true
	case phaseEntered:
		return x.work(f)
	case phaseScheduled:
		typ := EventTaskStarted
		if f.task != nil && f.task.lambda {
			typ = EventLambdaFunctionStarted
		}
		return event{typ: typ, frame: f.id, previous: f.lastID, name: s.Name, task: f.task}, true
	case phaseRunning, phaseSubmitted:
		return x.waitTask(f)
	case phaseResult:
		out, err := s.Output(f.input, f.result, x.contextIfUsed(f), true)
		if err != nil {
			return x.fail(f, err)
		}
		return event{typ: exitedType(s.Type), frame: f.id, previous: f.lastID, name: s.Name, output: out, next: s.NextName}, true
	case phaseRetryWait:
		if x.waitUntil(f, f.retryAt) {
			return event{}, false
		}
		// The retry starts the state's work again, without a new Entered event.
		f.phase = phaseEntered
		return x.work(f)
	case phaseCatch:
		c := s.Catch[f.failure.decision.index]
		out, err := c.ApplyResultPath(f.input, errorOutput(f.failure))
		if err != nil {
			return x.frameFailed(f, asStatesError(err))
		}
		return event{typ: exitedType(s.Type), frame: f.id, previous: f.lastID, name: s.Name, output: out, next: c.NextName}, true
	case phaseFailed:
		return x.frameFailed(f, &states.Error{Name: f.failure.name, Cause: f.failure.cause})
	case phaseChildren:
		if s.Type == asl.TypeParallel {
			if f.pending == 0 {
				return event{typ: EventParallelStateSucceeded, frame: f.id, previous: x.lastID, name: s.Name}, true
			}
			return event{}, false
		}
		return x.mapProgress(f)
	case phaseDone:
		switch {
		case f.parent == nil:
			return event{typ: EventExecutionSucceeded, previous: f.lastID, output: f.output}, true
		case f.parent.state.Type == asl.TypeMap:
			return event{typ: EventMapIterationSucceeded, frame: f.id, previous: f.lastID, name: f.parent.state.Name, index: f.index}, true
		}
		return event{}, false
	}
	return event{}, false
}

// work does a state's own work once it has been entered (or is retried).
func (x *execution) work(f *frame) (event, bool) {
	s := f.state
	ctx := x.contextIfUsed(f)
	switch s.Type {
	case asl.TypePass:
		effective, err := s.EffectiveInput(f.input, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		out, err := s.Output(f.input, s.PassResult(effective), ctx, false)
		if err != nil {
			return x.fail(f, err)
		}
		return event{typ: EventPassStateExited, frame: f.id, previous: f.lastID, name: s.Name, output: out, next: s.NextName}, true

	case asl.TypeChoice:
		effective, err := s.ApplyInputPath(f.input, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		next, err := s.ChooseNext(effective, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		out, err := s.ApplyOutputPath(effective, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		return event{typ: EventChoiceStateExited, frame: f.id, previous: f.lastID, name: s.Name, output: out, next: next.Name}, true

	case asl.TypeSucceed:
		effective, err := s.ApplyInputPath(f.input, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		out, err := s.ApplyOutputPath(effective, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		return event{typ: EventSucceedStateExited, frame: f.id, previous: f.lastID, name: s.Name, output: out}, true

	case asl.TypeFail:
		name, cause, err := s.FailError(f.input, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		return x.frameFailed(f, &states.Error{Name: name, Cause: cause})

	case asl.TypeWait:
		effective, err := s.ApplyInputPath(f.input, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		until, err := s.WaitUntil(f.enteredAt, effective, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		if x.waitUntil(f, until) {
			return event{}, false
		}
		out, err := s.ApplyOutputPath(effective, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		return event{typ: EventWaitStateExited, frame: f.id, previous: f.lastID, name: s.Name, output: out, next: s.NextName}, true

	case asl.TypeTask:
		return x.schedule(f, ctx)

	case asl.TypeParallel:
		effective, err := s.EffectiveInput(f.input, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		return event{typ: EventParallelStateStarted, frame: f.id, previous: f.lastID, name: s.Name, input: effective}, true

	case asl.TypeMap:
		effective, err := s.ApplyInputPath(f.input, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		items, err := s.MapItems(effective, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		maxConcurrency, toleratedCount, toleratedPct, err := s.MapLimits(effective, ctx)
		if err != nil {
			return x.fail(f, err)
		}
		return event{typ: EventMapStateStarted, frame: f.id, previous: f.lastID, name: s.Name, input: effective, output: items,
			index: int32(len(items)), limits: &mapLimits{maxConcurrency: maxConcurrency, toleratedCount: toleratedCount, toleratedPct: toleratedPct}}, true
	}
	return event{}, false
}

// schedule prepares a task attempt: timeouts, the token, the parameters.
func (x *execution) schedule(f *frame, ctx any) (event, bool) {
	s := f.state
	res, err := x.revision.resource(s)
	if err != nil {
		return x.fail(f, states.NewError(states.ErrRuntime, err.Error()))
	}
	effective, err := s.ApplyInputPath(f.input, ctx)
	if err != nil {
		return x.fail(f, err)
	}
	timeout, heartbeat, err := s.TaskTimeouts(effective, ctx)
	if err != nil {
		return x.fail(f, err)
	}
	info := &taskInfo{resourceType: res.HistoryType, resource: res.HistoryName, region: x.engine.opts.Region,
		timeout: int64(timeout / time.Second), heartbeat: int64(heartbeat / time.Second), lambda: res.Kind == tasks.KindLambdaFunction}
	if res.WaitForTaskToken {
		info.token = x.newToken(f)
		ctx = x.contextFor(f, info.token)
	}
	params, err := s.ApplyParameters(effective, ctx)
	if err != nil {
		return x.fail(f, err)
	}
	typ := EventTaskScheduled
	if info.lambda {
		typ = EventLambdaFunctionScheduled
	}
	return event{typ: typ, frame: f.id, previous: f.lastID, name: s.Name, input: params, task: info}, true
}

// waitTask issues the task call if this process has not, and checks its timeouts.
func (x *execution) waitTask(f *frame) (event, bool) {
	if f.phase == phaseRunning && !f.invoked {
		x.launch(f)
	}
	now := x.engine.clock.Now()
	var deadline time.Time
	if f.task != nil && f.task.timeout > 0 {
		deadline = f.startedAt.Add(time.Duration(f.task.timeout) * time.Second)
		if !now.Before(deadline) {
			return x.taskFailed(f, EventTaskTimedOut, states.NewError(states.ErrTimeout, ""))
		}
	}
	if f.task != nil && f.task.heartbeat > 0 {
		hb := f.heartbeatAt.Add(time.Duration(f.task.heartbeat) * time.Second)
		if !now.Before(hb) {
			return x.taskFailed(f, EventTaskTimedOut, states.NewError(states.ErrHeartbeatTimeout, ""))
		}
		if deadline.IsZero() || hb.Before(deadline) {
			deadline = hb
		}
	}
	if !deadline.IsZero() {
		x.armTimer(f, deadline)
	}
	return event{}, false
}

// taskFailed is the failure event of a task attempt, with the decision it leads to.
func (x *execution) taskFailed(f *frame, typ EventType, err *states.Error) (event, bool) {
	if f.task != nil && f.task.lambda {
		switch typ {
		case EventTaskFailed:
			typ = EventLambdaFunctionFailed
		case EventTaskTimedOut:
			typ = EventLambdaFunctionTimedOut
		}
	}
	return event{typ: typ, frame: f.id, previous: f.lastID, name: f.state.Name, task: f.task,
		failure: &failure{name: err.Name, cause: err.Cause, decision: x.decideFailure(f, err)}}, true
}

// fail handles an error raised by a state's own processing (paths, templates, Choice rules):
// through Retry and Catch for the states that have them, else the frame fails.
func (x *execution) fail(f *frame, err error) (event, bool) {
	se := asStatesError(err)
	if f.state.CanRetry() && (len(f.state.Retry) > 0 || len(f.state.Catch) > 0) {
		return event{typ: eventStateFailed, frame: f.id, name: f.state.Name,
			failure: &failure{name: se.Name, cause: se.Cause, decision: x.decideFailure(f, se)}}, true
	}
	return x.frameFailed(f, se)
}

// decideFailure chooses what an error leads to: the first matching retrier if it has attempts
// left, else the first matching catcher, else the failure of the frame.
func (x *execution) decideFailure(f *frame, err *states.Error) decision {
	s := f.state
	if i := s.FindRetrier(err.Name); i >= 0 {
		r := s.Retry[i]
		if i < len(f.retries) && f.retries[i] < r.MaxAttempts {
			return decision{kind: decideRetry, index: i, delay: r.Delay(f.retries[i], x.engine.random)}
		}
	}
	if i := s.FindCatcher(err.Name); i >= 0 {
		return decision{kind: decideCatch, index: i}
	}
	return decision{kind: decidePropagate}
}

// frameFailed is the event that ends a frame with an error: the execution's failure, a
// Parallel state's failure (its other branches stop), or a Map iteration's failure.
func (x *execution) frameFailed(f *frame, err *states.Error) (event, bool) {
	fl := &failure{name: err.Name, cause: err.Cause}
	p := f.parent
	switch {
	case p == nil:
		return event{typ: EventExecutionFailed, previous: f.lastID, failure: fl}, true
	case p.state.Type == asl.TypeParallel:
		fl.decision = x.decideFailure(p, err)
		return event{typ: EventParallelStateFailed, frame: p.id, previous: x.lastID, name: p.state.Name, failure: fl}, true
	default:
		return event{typ: EventMapIterationFailed, frame: f.id, previous: f.lastID, name: p.state.Name, index: f.index, failure: fl}, true
	}
}

// mapProgress starts Map iterations as concurrency allows and ends the Map state when they are
// done or too many failed.
func (x *execution) mapProgress(f *frame) (event, bool) {
	s := f.state
	total := len(f.run.items)
	if f.run.failedItems > 0 {
		tolerated := f.run.toleratedCount >= 0 || f.run.toleratedPct >= 0
		exceeded := !tolerated ||
			(f.run.toleratedCount >= 0 && int64(f.run.failedItems) > f.run.toleratedCount) ||
			(f.run.toleratedPct >= 0 && float64(f.run.failedItems)*100 > f.run.toleratedPct*float64(total))
		if exceeded {
			// The iterations still running are aborted first, each with its event.
			for _, child := range f.children {
				if child != nil && child.phase != phaseDone && child.phase != phaseFinished {
					return event{typ: EventMapIterationAborted, frame: child.id, previous: child.lastID, name: s.Name, index: child.index}, true
				}
			}
			err := &states.Error{Name: f.run.firstFailure.name, Cause: f.run.firstFailure.cause}
			if tolerated {
				err = states.NewError(states.ErrExceedToleratedFailureThreshold, "The specified tolerated failure threshold was exceeded")
			}
			return event{typ: EventMapStateFailed, frame: f.id, previous: x.lastID, name: s.Name,
				failure: &failure{name: err.Name, cause: err.Cause, decision: x.decideFailure(f, err)}}, true
		}
	}
	if f.run.nextItem < total && (f.run.maxConcurrency <= 0 || f.run.runningItems < f.run.maxConcurrency) {
		i := f.run.nextItem
		var ctx any
		if s.ItemSelector != nil {
			// The parts of the context object that do not change from item to item are
			// built once per Map state.
			if f.run.context == nil {
				f.run.context = x.contextFor(f, "")
			}
			ctx = mapItemContext(f.run.context, i, f.run.items[i])
		}
		input, err := s.ItemInput(f.run.mapInput, f.run.items[i], ctx)
		if err != nil {
			return x.fail(f, err)
		}
		return event{typ: EventMapIterationStarted, frame: f.id, previous: f.lastID, name: s.Name, index: int32(i), input: input}, true
	}
	if f.run.nextItem == total && f.run.runningItems == 0 {
		return event{typ: EventMapStateSucceeded, frame: f.id, previous: x.lastID, name: s.Name}, true
	}
	return event{}, false
}

// waitUntil reports whether f must still wait for t, arming a timer for it if so.
func (x *execution) waitUntil(f *frame, t time.Time) bool {
	if !x.engine.clock.Now().Before(t) {
		x.stopFrameTimer(f)
		return false
	}
	x.armTimer(f, t)
	return true
}

// armTimer makes sure f is woken at t.
func (x *execution) armTimer(f *frame, t time.Time) {
	if f.timer != nil && f.timerAt.Equal(t) {
		return
	}
	x.stopFrameTimer(f)
	e := x.engine
	f.timerAt = t
	f.timer = e.clock.AfterFunc(t.Sub(e.clock.Now()), func() {
		x.mu.Lock()
		if x.status == StatusRunning && f.phase != phaseFinished {
			f.timer = nil
			x.markReady(f)
		}
		x.mu.Unlock()
		e.kick(x)
	})
}

// launch issues the task call of f in its own goroutine. The call starts only once the events
// recorded so far are on disk, so that a step recorded as done is never run again after a
// crash; its result comes back as an event under the execution's lock.
func (x *execution) launch(f *frame) {
	e := x.engine
	f.invoked = true
	attempt, seq, params := f.attempt, x.lastSeq, f.params
	res, err := x.revision.resource(f.state)
	if err != nil {
		return
	}
	e.tasks.Add(1)
	go func() {
		defer e.tasks.Done()
		if e.journal != nil && seq > 0 {
			if err := e.journal.WaitDurable(e.ctx.Done(), seq); err != nil {
				if e.ctx.Err() == nil {
					e.log.Error("engine: journal failed; task not started", "execution", x.arn, "error", err)
				}
				return
			}
		}
		result, err := e.runner.Run(e.ctx, res, params)
		if e.ctx.Err() != nil {
			return // closing: recovery issues the call again
		}
		x.mu.Lock()
		x.taskReturned(f, attempt, res, result, err)
		x.mu.Unlock()
		e.kick(x)
	}()
}

// taskReturned records the outcome of a task call, unless the attempt is no longer current.
func (x *execution) taskReturned(f *frame, attempt int64, res *tasks.Resource, result any, err error) {
	if x.status != StatusRunning || f.phase != phaseRunning || f.attempt != attempt {
		return
	}
	if err != nil {
		ev, _ := x.taskFailed(f, EventTaskFailed, asStatesError(err))
		x.record(ev)
	} else {
		typ := EventTaskSucceeded
		switch {
		case res.WaitForTaskToken:
			typ = EventTaskSubmitted
		case f.task != nil && f.task.lambda:
			typ = EventLambdaFunctionSucceeded
		}
		x.record(event{typ: typ, frame: f.id, previous: f.lastID, name: f.state.Name, output: result, task: f.task})
	}
	x.markReady(f)
}

// asStatesError names any error as Step Functions would.
func asStatesError(err error) *states.Error {
	var se *states.Error
	if errors.As(err, &se) {
		return se
	}
	return states.NewError(states.ErrRuntime, err.Error())
}

func enteredType(t asl.StateType) EventType {
	switch t {
	case asl.TypePass:
		return EventPassStateEntered
	case asl.TypeTask:
		return EventTaskStateEntered
	case asl.TypeChoice:
		return EventChoiceStateEntered
	case asl.TypeWait:
		return EventWaitStateEntered
	case asl.TypeSucceed:
		return EventSucceedStateEntered
	case asl.TypeFail:
		return EventFailStateEntered
	case asl.TypeParallel:
		return EventParallelStateEntered
	default:
		return EventMapStateEntered
	}
}

func exitedType(t asl.StateType) EventType {
	switch t {
	case asl.TypePass:
		return EventPassStateExited
	case asl.TypeTask:
		return EventTaskStateExited
	case asl.TypeChoice:
		return EventChoiceStateExited
	case asl.TypeWait:
		return EventWaitStateExited
	case asl.TypeSucceed:
		return EventSucceedStateExited
	case asl.TypeParallel:
		return EventParallelStateExited
	default:
		return EventMapStateExited
	}
}

// newToken makes a task token: the execution's id, the frame's id and 16 random bytes, so
// that a token can be told apart as malformed, of an unknown execution, or of a task that is
// no longer waiting.
func (x *execution) newToken(f *frame) string {
	var raw [28]byte
	binary.BigEndian.PutUint64(raw[0:8], x.id)
	binary.BigEndian.PutUint32(raw[8:12], uint32(f.id))
	_, _ = rand.Read(raw[12:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// parseToken returns the execution id inside a token.
func parseToken(token string) (uint64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 28 {
		return 0, false
	}
	return binary.BigEndian.Uint64(raw[0:8]), true
}
