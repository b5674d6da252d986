package engine

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/fasttrack/fasttrack/workflows/engine/journal"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// Limits of the Step Functions API.
const (
	maxInputBytes     = 256 * 1024
	maxErrorLength    = 256
	maxCauseLength    = 32768
	defaultPageSize   = 100
	maxPageSize       = 1000
	maxRedriveCount   = 1000
	redriveWindowDays = 14
)

// StartExecutionInput is the input of StartExecution.
type StartExecutionInput struct {
	StateMachineArn string
	// Name is the execution's name; a random one when empty.
	Name string
	// Input is the execution input as JSON text; "{}" when nil.
	Input *string
}

// StartExecutionOutput is the output of StartExecution.
type StartExecutionOutput struct {
	ExecutionArn string
	StartDate    time.Time
}

// StartExecution starts an execution. Starting one again with the same name and the same input
// while it runs returns it; with another input, or once it has closed, the name is taken.
// Errors: InvalidArn, StateMachineDoesNotExist, InvalidName, InvalidExecutionInput,
// ExecutionAlreadyExists, ExecutionLimitExceeded.
func (e *Engine) StartExecution(ctx context.Context, in StartExecutionInput) (*StartExecutionOutput, error) {
	out, _, err := e.startExecution(ctx, in, nil)
	return out, err
}

// startExecution is StartExecution; w, when set, waits for the execution to close.
func (e *Engine) startExecution(ctx context.Context, in StartExecutionInput, w *waiter) (*StartExecutionOutput, *execution, error) {
	if e.stopped.Load() {
		return nil, nil, errorf(CodeInternalError, "the engine is closed")
	}
	inputText := "{}"
	if in.Input != nil {
		inputText = *in.Input
	}
	if len(inputText) > maxInputBytes {
		return nil, nil, errorf(CodeInvalidExecutionInput, "Invalid Execution Input: the input is %d bytes; the limit is %d", len(inputText), maxInputBytes)
	}
	input, err := jsonvalue.DecodeString(inputText)
	if err != nil {
		return nil, nil, errorf(CodeInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	}
	name := in.Name
	if name == "" {
		name = newRevisionID()
	} else if err := checkName("execution", name); err != nil {
		return nil, nil, err
	}
	e.mu.RLock()
	sm, err := e.machine(in.StateMachineArn)
	var rev *revision
	if err == nil {
		rev = sm.current
	}
	e.mu.RUnlock()
	if err != nil {
		return nil, nil, err
	}
	if int(e.running.Load()) >= e.opts.MaxRunning {
		return nil, nil, errorf(CodeExecutionLimitExceeded, "Execution Limit Exceeded: %d executions are running", e.opts.MaxRunning)
	}
	arn := e.executionARN(sm.name, name)
	x := &execution{
		engine: e, arn: arn, name: arn[len(arn)-len(name):], machine: sm, revision: rev, status: StatusRunning,
		live: &live{inputText: inputText, input: input, events: make([]event, 0, initialEvents(rev))},
	}
	// Nobody may see the execution before it has started.
	x.mu.Lock()
	if v, loaded := e.executions.LoadOrStore(arn, x); loaded {
		x.mu.Unlock()
		old := v.(*execution)
		old.mu.Lock()
		defer old.mu.Unlock()
		if old.status == StatusRunning && old.inputText == inputText {
			if w != nil {
				old.waiters = append(old.waiters, w)
			}
			return &StartExecutionOutput{ExecutionArn: arn, StartDate: old.startTime}, old, nil
		}
		return nil, nil, errorf(CodeExecutionAlreadyExists, "Execution Already Exists: '%s'", arn)
	}
	x.id = e.nextExecID.Add(1)
	e.byID.Store(x.id, x)
	sm.addExecution(x)
	e.running.Add(1)
	if w != nil {
		x.waiters = append(x.waiters, w)
	}
	x.record(event{typ: EventExecutionStarted, input: input})
	out := &StartExecutionOutput{ExecutionArn: arn, StartDate: x.startTime}
	seq := x.lastSeq
	x.mu.Unlock()
	e.kick(x)
	if err := e.waitDurable(ctx, seq); err != nil {
		return nil, nil, err
	}
	return out, x, nil
}

// initialEvents guesses how many events an execution will have, so that its history rarely
// needs to grow.
func initialEvents(rev *revision) int {
	n := int(rev.eventHint.Load())
	if n == 0 {
		n = 2*len(rev.program.States) + 4
	}
	return min(n, 4096)
}

// Execution describes an execution (DescribeExecution).
type Execution struct {
	ExecutionArn    string
	StateMachineArn string
	Name            string
	Status          Status
	StartDate       time.Time
	// StopDate is zero while the execution runs.
	StopDate time.Time
	Input    string
	// Output is set when the execution succeeded.
	Output *string
	// Error and Cause are set when it failed, timed out or was aborted.
	Error               *string
	Cause               *string
	RedriveCount        int
	RedriveDate         time.Time
	RedriveStatus       string
	RedriveStatusReason string
}

// execution finds an execution by ARN. Errors: InvalidArn, ExecutionDoesNotExist.
func (e *Engine) execution(arn string) (*execution, error) {
	if _, err := parseARN(arn, "execution", 2); err != nil {
		return nil, err
	}
	v, ok := e.executions.Load(arn)
	if !ok {
		return nil, errorf(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	return v.(*execution), nil
}

// DescribeExecution describes an execution. Errors: InvalidArn, ExecutionDoesNotExist.
func (e *Engine) DescribeExecution(ctx context.Context, arn string) (*Execution, error) {
	x, err := e.execution(arn)
	if err != nil {
		return nil, err
	}
	return e.describeExecution(ctx, x)
}

// describeExecution describes x, reading from the journal the input and output a stored
// execution does not keep in memory, once what it shows is on disk.
func (e *Engine) describeExecution(ctx context.Context, x *execution) (*Execution, error) {
	if e.journal != nil {
		e.reading.RLock()
	}
	x.mu.Lock()
	d, seq, stored := x.describe(), x.lastSeq, x.stored()
	var locs []journal.Location
	if stored {
		locs = x.locations()
	}
	x.mu.Unlock()
	var err error
	if stored && len(locs) > 0 {
		err = e.readSummary(x, d, locs)
	}
	if e.journal != nil {
		e.reading.RUnlock()
	}
	if err != nil {
		return nil, err
	}
	// What a client reads survives a crash.
	if err := e.waitDurable(ctx, seq); err != nil {
		return nil, err
	}
	return d, nil
}

// describe describes x. Called with x.mu held. A stored execution's input and output are left
// for readSummary.
func (x *execution) describe() *Execution {
	d := &Execution{
		ExecutionArn: x.arn, StateMachineArn: x.machine.arn, Name: x.name, Status: x.status,
		StartDate: x.startTime, StopDate: x.stopTime,
		RedriveCount: x.redriveCount, RedriveDate: x.redriveTime,
	}
	switch x.status {
	case StatusSucceeded:
		if !x.stored() {
			out := jsonvalue.MustEncodeString(x.output)
			d.Output = &out
		}
	case StatusFailed, StatusTimedOut, StatusAborted:
		d.Error, d.Cause = optional(x.errorName), optional(x.cause)
	}
	if !x.stored() {
		d.Input = x.inputText
	}
	d.RedriveStatus, d.RedriveStatusReason = x.redriveStatus()
	return d
}

// readSummary fills in what a stored execution's description takes from the journal: the input
// from its first record and, if it succeeded, the output from its last (ExecutionSucceeded).
func (e *Engine) readSummary(x *execution, d *Execution, locs []journal.Location) error {
	gone := func(err error) error {
		return errorf(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s' (its history is gone: %v)", x.arn, err)
	}
	payload, err := e.journal.Read(locs[0])
	if err != nil {
		return gone(err)
	}
	inputText, err := startInput(payload)
	if err != nil {
		return errorf(CodeInternalError, "journal record at %v: %v", locs[0], err)
	}
	d.Input = inputText
	if d.Status != StatusSucceeded {
		return nil
	}
	last := locs[len(locs)-1]
	events, err := e.readEvents([]journal.Location{last}, false)
	if err != nil {
		var apiErr *Error
		if errors.As(err, &apiErr) {
			return err
		}
		return gone(err)
	}
	if ev := &events[0]; ev.typ == EventExecutionSucceeded {
		out := jsonvalue.MustEncodeString(ev.output)
		d.Output = &out
		return nil
	}
	return errorf(CodeInternalError, "journal record at %v is not the end of execution %s", last, x.arn)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (x *execution) redriveStatus() (string, string) {
	switch {
	case x.status == StatusRunning:
		return "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven"
	case x.status == StatusSucceeded:
		return "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven"
	case x.redriveCount >= maxRedriveCount:
		return "NOT_REDRIVABLE", "Execution has reached the redrive limit"
	case x.engine.clock.Now().Sub(x.stopTime) > redriveWindowDays*24*time.Hour:
		return "NOT_REDRIVABLE", "Execution is older than 14 days"
	}
	return "REDRIVABLE", ""
}

// ExecutionListItem is one entry of ListExecutions.
type ExecutionListItem struct {
	ExecutionArn    string
	StateMachineArn string
	Name            string
	Status          Status
	StartDate       time.Time
	StopDate        time.Time
	RedriveCount    int
	RedriveDate     time.Time
}

// ListExecutionsInput is the input of ListExecutions.
type ListExecutionsInput struct {
	StateMachineArn string
	// StatusFilter keeps only executions with this status; all when empty.
	StatusFilter Status
	MaxResults   int
	NextToken    string
}

// ListExecutions lists a state machine's executions, newest first. Errors: InvalidArn,
// StateMachineDoesNotExist, InvalidToken, ValidationException.
func (e *Engine) ListExecutions(ctx context.Context, in ListExecutionsInput) ([]ExecutionListItem, string, error) {
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, "", err
	}
	switch in.StatusFilter {
	case "", StatusRunning, StatusSucceeded, StatusFailed, StatusTimedOut, StatusAborted, StatusPendingRedrive:
	default:
		return nil, "", errorf(CodeValidationException, "1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]", in.StatusFilter)
	}
	before, err := parsePageToken(in.NextToken, "x")
	if err != nil {
		return nil, "", err
	}
	e.mu.RLock()
	sm, err := e.machine(in.StateMachineArn)
	e.mu.RUnlock()
	if err != nil {
		return nil, "", err
	}
	sm.listMu.Lock()
	const scanFactor = 4
	candidates := make([]*execution, 0, limit+1)
	capped := false
	for i := len(sm.executions) - 1; i >= 0; i-- {
		x := sm.executions[i]
		if x.evicted.Load() || (before != 0 && x.id >= before) {
			continue
		}
		if len(candidates) == limit*scanFactor+64 {
			capped = true
			break
		}
		candidates = append(candidates, x)
	}
	sm.listMu.Unlock()
	var out []ExecutionListItem
	var token string
	var lastID uint64
	for _, x := range candidates {
		x.mu.Lock()
		match := in.StatusFilter == "" || x.status == in.StatusFilter
		item := ExecutionListItem{ExecutionArn: x.arn, StateMachineArn: sm.arn, Name: x.name, Status: x.status,
			StartDate: x.startTime, StopDate: x.stopTime, RedriveCount: x.redriveCount, RedriveDate: x.redriveTime}
		x.mu.Unlock()
		if !match {
			lastID = x.id
			continue
		}
		if len(out) == limit {
			token = pageToken("x", lastID)
			capped = false
			break
		}
		out = append(out, item)
		lastID = x.id
	}
	if capped && lastID != 0 {
		// More executions than were looked at: the caller pages on from here.
		token = pageToken("x", lastID)
	}
	return out, token, nil
}

// StopExecution stops a running execution: the states in progress get their aborted events
// (TaskStateAborted, WaitStateAborted, the Map iterations' MapIterationAborted then
// MapStateAborted, ParallelStateAborted; innermost first), then ExecutionAborted closes it.
// Stopping a closed one changes nothing. Errors: InvalidArn, ExecutionDoesNotExist, ValidationException (error or cause too
// long).
func (e *Engine) StopExecution(ctx context.Context, arn, errorName, cause string) (time.Time, error) {
	if len(errorName) > maxErrorLength || len(cause) > maxCauseLength {
		return time.Time{}, errorf(CodeValidationException, "error must be at most %d and cause at most %d characters", maxErrorLength, maxCauseLength)
	}
	x, err := e.execution(arn)
	if err != nil {
		return time.Time{}, err
	}
	x.mu.Lock()
	if x.status != StatusRunning {
		stop := x.stopTime
		x.mu.Unlock()
		return stop, nil
	}
	// Every state still in progress is aborted first, innermost first, each with its event.
	if len(x.frames) > 0 {
		x.recordAborted(x.frames[0])
	}
	x.record(event{typ: EventExecutionAborted, previous: x.lastID, failure: &failure{name: errorName, cause: cause}})
	stop, seq := x.stopTime, x.lastSeq
	x.mu.Unlock()
	return stop, e.waitDurable(ctx, seq)
}

// taskByToken finds the task waiting on a token. Errors: InvalidToken (not a token of this
// engine), TaskDoesNotExist (its execution is unknown), TaskTimedOut (the task no longer
// waits: it finished, timed out, or its execution closed). On success x.mu is held.
func (e *Engine) taskByToken(token string) (*execution, *frame, error) {
	if token == "" || len(token) > 1024 || !utf8.ValidString(token) {
		return nil, nil, errorf(CodeInvalidToken, "Invalid Token: 'Invalid token'")
	}
	execID, ok := parseToken(token)
	if !ok {
		return nil, nil, errorf(CodeInvalidToken, "Invalid Token: 'Invalid token'")
	}
	v, ok := e.tokens.Load(token)
	if !ok {
		if e.lookupID(execID) == nil {
			return nil, nil, errorf(CodeTaskDoesNotExist, "Task Does Not Exist: 'Provided task does not exist'")
		}
		return nil, nil, errorf(CodeTaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'")
	}
	ref := v.(tokenRef)
	ref.x.mu.Lock()
	f := ref.f
	if ref.x.status != StatusRunning || f.task == nil || f.task.token != token || (f.phase != phaseRunning && f.phase != phaseSubmitted) {
		ref.x.mu.Unlock()
		return nil, nil, errorf(CodeTaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'")
	}
	return ref.x, f, nil
}

// SendTaskSuccess completes the task waiting on token with output (JSON text). Errors:
// InvalidToken, TaskDoesNotExist, TaskTimedOut, InvalidOutput.
func (e *Engine) SendTaskSuccess(ctx context.Context, token, output string) error {
	if len(output) > maxInputBytes {
		return errorf(CodeInvalidOutput, "Invalid Output: the output is %d bytes; the limit is %d", len(output), maxInputBytes)
	}
	value, err := jsonvalue.DecodeString(output)
	if err != nil {
		return errorf(CodeInvalidOutput, "Invalid Output: '%v'", err)
	}
	x, f, err := e.taskByToken(token)
	if err != nil {
		return err
	}
	x.record(event{typ: EventTaskSucceeded, frame: f.id, previous: f.lastID, name: f.state.Name, output: value, task: f.task})
	x.markReady(f)
	seq := x.lastSeq
	x.mu.Unlock()
	e.kick(x)
	return e.waitDurable(ctx, seq)
}

// SendTaskFailure fails the task waiting on token. Errors: InvalidToken, TaskDoesNotExist,
// TaskTimedOut, ValidationException.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errorName, cause string) error {
	if len(errorName) > maxErrorLength || len(cause) > maxCauseLength {
		return errorf(CodeValidationException, "error must be at most %d and cause at most %d characters", maxErrorLength, maxCauseLength)
	}
	x, f, err := e.taskByToken(token)
	if err != nil {
		return err
	}
	ev, _ := x.taskFailed(f, EventTaskFailed, &states.Error{Name: errorName, Cause: cause})
	x.record(ev)
	x.markReady(f)
	seq := x.lastSeq
	x.mu.Unlock()
	e.kick(x)
	return e.waitDurable(ctx, seq)
}

// SendTaskHeartbeat tells the task waiting on token that its worker is alive (HeartbeatSeconds
// starts over). Errors: InvalidToken, TaskDoesNotExist, TaskTimedOut.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	x, f, err := e.taskByToken(token)
	if err != nil {
		return err
	}
	x.record(event{typ: eventTaskHeartbeat, frame: f.id, name: f.state.Name})
	x.markReady(f)
	seq := x.lastSeq
	x.mu.Unlock()
	e.kick(x)
	return e.waitDurable(ctx, seq)
}

// DescribeStateMachineForExecution describes the state machine revision an execution runs.
// Errors: InvalidArn, ExecutionDoesNotExist.
func (e *Engine) DescribeStateMachineForExecution(ctx context.Context, arn string) (*StateMachine, error) {
	x, err := e.execution(arn)
	if err != nil {
		return nil, err
	}
	e.mu.RLock()
	d := describeMachine(x.machine, x.revision)
	e.mu.RUnlock()
	d.CreationDate = time.Time{}
	d.Status = ""
	return d, nil
}

// RunExecution starts an execution and waits for it to close, as one call: unlike
// StartExecution followed by WaitExecution, it cannot miss an execution that closes and is
// forgotten (past RetainClosed) in between. It is not part of the Step Functions API. Errors:
// those of StartExecution, and ctx's.
func (e *Engine) RunExecution(ctx context.Context, in StartExecutionInput) (*Execution, error) {
	w := &waiter{done: make(chan struct{})}
	if _, _, err := e.startExecution(ctx, in, w); err != nil {
		return nil, err
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return w.result, nil
}

// WaitExecution blocks until the execution closes (or ctx ends) and describes it. It is not
// part of the Step Functions API; embedders and tests use it instead of polling.
func (e *Engine) WaitExecution(ctx context.Context, arn string) (*Execution, error) {
	x, err := e.execution(arn)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	if x.status != StatusRunning {
		x.mu.Unlock()
		return e.describeExecution(ctx, x)
	}
	w := &waiter{done: make(chan struct{})}
	x.waiters = append(x.waiters, w)
	x.mu.Unlock()
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return w.result, nil
}

// closedEntry is an execution in the retention queue, with the number it was queued under
// (a redriven execution leaves the queue and comes back with a new number).
type closedEntry struct {
	x   *execution
	seq uint64
}

// closed is called (with x.mu held) when x closes: it wakes waiters, queues x for retention
// and forgets the oldest closed executions beyond RetainClosed.
func (e *Engine) closed(x *execution) {
	// Described once, while the output is at hand; the waiters are woken only after
	// retention has run, so a waiter never sees more closed executions than RetainClosed.
	var described *Execution
	if len(x.waiters) > 0 {
		described = x.describe()
	}
	waiters := x.waiters
	x.waiters = nil
	defer func() {
		for _, w := range waiters {
			result := *described
			w.result = &result
			close(w.done)
		}
	}()
	if n := int32(len(x.events)); n > x.revision.eventHint.Load() {
		x.revision.eventHint.Store(n)
	}
	switch {
	case e.journal != nil && !e.replaying:
		// The history and the fold stay on disk; memory keeps the summary and where the
		// records are. (During recovery, a later record may redrive the execution: recover
		// stores it once the replay is over.)
		x.store()
	case e.journal != nil:
		x.events = nil
	case x.status == StatusSucceeded:
		// Frames are kept only for executions that can be redriven.
		x.frames = nil
		x.input, x.contextBase = nil, nil
	}
	e.running.Add(-1)
	if !e.replaying {
		// During recovery retention waits until every execution is known (recover).
		e.retain(x)
	}
}

// retain queues a closed execution for retention and forgets the oldest closed executions
// beyond RetainClosed.
func (e *Engine) retain(x *execution) {
	var victims []*execution
	e.retention.Lock()
	e.closedSeq++
	x.closedSeq = e.closedSeq
	e.closedQueue = append(e.closedQueue, closedEntry{x: x, seq: x.closedSeq})
	e.closedLive++
	for e.closedLive > e.opts.RetainClosed && e.closedHead < len(e.closedQueue) {
		old := e.closedQueue[e.closedHead]
		e.closedQueue[e.closedHead] = closedEntry{}
		e.closedHead++
		if old.x.closedSeq != old.seq {
			continue // left the queue already (redriven or forgotten)
		}
		old.x.closedSeq = 0
		e.closedLive--
		e.evict(old.x)
		victims = append(victims, old.x)
	}
	if e.closedHead > 1024 && e.closedHead*2 > len(e.closedQueue) {
		n := copy(e.closedQueue, e.closedQueue[e.closedHead:])
		clear(e.closedQueue[n:])
		e.closedQueue, e.closedHead = e.closedQueue[:n], 0
	}
	if e.journal != nil {
		// Their records go once their tombstones are on disk (janitor.go).
		e.forgetQueue = append(e.forgetQueue, victims...)
	}
	e.retention.Unlock()
	for _, v := range victims {
		v.machine.executionEvicted()
	}
	if len(victims) > 0 && e.journal != nil {
		e.wakeJanitor()
	}
}

// leaveClosedQueue takes an execution out of the retention queue (its entry stays, stale).
// Called with e.retention held.
func (e *Engine) leaveClosedQueue(x *execution) {
	if x.closedSeq != 0 {
		x.closedSeq = 0
		e.closedLive--
	}
}

// evict forgets a closed execution. Called with e.retention held.
func (e *Engine) evict(x *execution) {
	e.executions.CompareAndDelete(x.arn, x)
	e.byID.CompareAndDelete(x.id, x)
	x.evicted.Store(true)
}

func pageSize(maxResults int) (int, error) {
	switch {
	case maxResults == 0:
		return defaultPageSize, nil
	case maxResults < 0 || maxResults > maxPageSize:
		return 0, errorf(CodeValidationException, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", maxResults, maxPageSize)
	}
	return maxResults, nil
}

// pageToken is an opaque paging token carrying a kind and a position.
func pageToken(kind string, position uint64) string {
	var raw [9]byte
	raw[0] = kind[0]
	binary.BigEndian.PutUint64(raw[1:], position)
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

func parsePageToken(token, kind string) (uint64, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 9 || raw[0] != kind[0] {
		return 0, errorf(CodeInvalidToken, "Invalid Token: '%s'", truncate(token, 64))
	}
	return binary.BigEndian.Uint64(raw[1:]), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
