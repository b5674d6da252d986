package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/journal"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// Journal record kinds. State machines are kept beside the journal (store.go).
const (
	// recEvent is one history event of an execution; the first one of an execution also
	// carries its identity (name, state machine, revision, input) and its generation: a later
	// copy of the execution, written by compaction, has a higher generation and replaces the
	// earlier one on replay.
	recEvent byte = 4
	// recForget says an execution was forgotten (retention): its records, wherever they still
	// are, must not bring it back.
	recForget byte = 5
	// recCopied closes a copy of an execution written by compaction: only a copy that got
	// this far replaces the one before it (a crash in the middle of copying leaves the old).
	recCopied byte = 6
)

// pendingCopy gathers, during recovery, the records of a copy of an execution until its
// recCopied record says it is whole.
type pendingCopy struct {
	generation uint32
	locs       []journal.Location
	payloads   [][]byte
}

// Event field flags.
const (
	hasInput = 1 << iota
	hasOutput
	hasFailure
	hasNext
	hasTask
	hasLimits
	hasName
	// inputIsPrevious: the input is the previous event's output (a state entered with what the
	// state before it put out), written once.
	inputIsPrevious
)

// persistEvent appends an event record. Called with x.mu held.
func (e *Engine) persistEvent(x *execution, ev *event) {
	w := encoder{buf: make([]byte, 0, 128)}
	w.byte(recEvent)
	w.uvarint(x.id)
	w.bool(ev.typ == EventExecutionStarted)
	var prev *event
	if n := len(x.events); n > 0 {
		prev = &x.events[n-1]
	}
	if ev.typ == EventExecutionStarted {
		w.uvarint(uint64(x.generation))
		w.string(x.arn)
		w.string(x.name)
		w.uvarint(x.machine.seq)
		w.string(x.revision.id)
		w.string(x.inputText)
	}
	if err := encodeEvent(&w, ev, prev); err != nil {
		e.log.Error("engine: event cannot be encoded", "execution", x.arn, "error", err)
		return
	}
	loc, seq, err := e.journal.Append(w.buf)
	if err != nil {
		e.log.Error("engine: journal append failed", "execution", x.arn, "error", err)
		return
	}
	x.locs = append(x.locs, loc)
	x.lastSeq = seq
}

func encodeEvent(w *encoder, ev *event, prev *event) error {
	w.byte(byte(ev.typ))
	w.uvarint(uint64(ev.frame))
	w.uvarint(uint64(ev.id))
	w.uvarint(uint64(ev.previous))
	w.varint(ev.time.UnixNano())
	w.varint(int64(ev.index))
	var flags byte
	if ev.input != nil || ev.typ == EventExecutionStarted || isEntered(ev.typ) {
		flags |= hasInput
	}
	if ev.output != nil || isExited(ev.typ) || ev.typ == EventExecutionSucceeded {
		flags |= hasOutput
	}
	if ev.failure != nil {
		flags |= hasFailure
	}
	if ev.next != "" {
		flags |= hasNext
	}
	if ev.task != nil {
		flags |= hasTask
	}
	if ev.limits != nil {
		flags |= hasLimits
	}
	if ev.name != "" {
		flags |= hasName
	}
	if flags&hasInput != 0 && prev != nil && prev.output != nil && sameValue(ev.input, prev.output) {
		flags = flags&^hasInput | inputIsPrevious
	}
	w.byte(flags)
	if flags&hasName != 0 {
		w.string(ev.name)
	}
	if flags&hasInput != 0 {
		if err := w.value(ev.input); err != nil {
			return err
		}
	}
	if flags&hasOutput != 0 {
		if err := w.value(ev.output); err != nil {
			return err
		}
	}
	if fl := ev.failure; fl != nil {
		w.string(fl.name)
		w.string(fl.cause)
		w.byte(byte(fl.decision.kind))
		w.uvarint(uint64(fl.decision.index))
		w.varint(int64(fl.decision.delay))
	}
	if flags&hasNext != 0 {
		w.string(ev.next)
	}
	if t := ev.task; t != nil {
		w.string(t.resourceType)
		w.string(t.resource)
		w.string(t.region)
		w.varint(t.timeout)
		w.varint(t.heartbeat)
		w.string(t.token)
		w.bool(t.lambda)
	}
	if l := ev.limits; l != nil {
		w.varint(int64(l.maxConcurrency))
		w.varint(l.toleratedCount)
		w.float(l.toleratedPct)
	}
	return nil
}

func decodeEvent(r *decoder, prev *event) (event, error) {
	var ev event
	ev.typ = EventType(r.byte())
	ev.frame = int32(r.uvarint())
	ev.id = int64(r.uvarint())
	ev.previous = int64(r.uvarint())
	ev.time = time.Unix(0, r.varint()).UTC()
	ev.index = int32(r.varint())
	flags := r.byte()
	if flags&hasName != 0 {
		ev.name = r.string()
	}
	var err error
	if flags&hasInput != 0 {
		if ev.input, err = decodeValue(r.rawValue()); err != nil {
			return ev, err
		}
	}
	if flags&inputIsPrevious != 0 {
		if prev == nil {
			return ev, fmt.Errorf("engine: event %d refers to a previous event it does not have", ev.id)
		}
		ev.input = prev.output
	}
	if flags&hasOutput != 0 {
		if ev.output, err = decodeValue(r.rawValue()); err != nil {
			return ev, err
		}
	}
	if flags&hasFailure != 0 {
		fl := &failure{name: r.string(), cause: r.string()}
		fl.decision.kind = decisionKind(r.byte())
		fl.decision.index = int(r.uvarint())
		fl.decision.delay = time.Duration(r.varint())
		ev.failure = fl
	}
	if flags&hasNext != 0 {
		ev.next = r.string()
	}
	if flags&hasTask != 0 {
		ev.task = &taskInfo{resourceType: r.string(), resource: r.string(), region: r.string(),
			timeout: r.varint(), heartbeat: r.varint(), token: r.string(), lambda: r.bool()}
	}
	if flags&hasLimits != 0 {
		ev.limits = &mapLimits{maxConcurrency: int(r.varint()), toleratedCount: r.varint(), toleratedPct: r.float()}
	}
	if ev.typ == eventNone || ev.typ >= eventTypeCount {
		return ev, fmt.Errorf("engine: unknown event type %d in the journal", ev.typ)
	}
	return ev, r.err
}

func decodeValue(raw []byte) (any, error) {
	if raw == nil {
		return nil, errShort
	}
	return jsonvalue.Decode(raw)
}

func isEntered(t EventType) bool {
	switch t {
	case EventPassStateEntered, EventChoiceStateEntered, EventWaitStateEntered, EventSucceedStateEntered,
		EventFailStateEntered, EventTaskStateEntered, EventParallelStateEntered, EventMapStateEntered:
		return true
	}
	return false
}

func isExited(t EventType) bool {
	switch t {
	case EventPassStateExited, EventChoiceStateExited, EventWaitStateExited, EventSucceedStateExited,
		EventTaskStateExited, EventParallelStateExited, EventMapStateExited:
		return true
	}
	return false
}

// recover rebuilds state machines and executions: the machines from their file, the
// executions by folding every journal record in the order it was written.
func (e *Engine) recover(ctx context.Context) error {
	if err := e.loadMachines(); err != nil {
		return err
	}
	e.replaying = true
	defer func() { e.replaying = false }()
	err := e.journal.Replay(func(loc journal.Location, payload []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := &decoder{buf: payload}
		switch kind := r.byte(); kind {
		case recEvent:
			return e.replayRecord(r, payload, loc)
		case recForget:
			return e.replayForget(r, loc)
		case recCopied:
			return e.replayCopied(r, loc)
		default:
			return fmt.Errorf("unknown record kind %d at %v", kind, loc)
		}
	})
	if err != nil {
		return err
	}
	// Copies that were not finished are dropped; the executions they copy stay as they were.
	for id, pc := range e.pendingCopies {
		e.deferredRelease = append(e.deferredRelease, pc.locs...)
		delete(e.pendingCopies, id)
	}
	// Retention applies in the order executions closed, which compaction may have changed in
	// the journal.
	var closed []*execution
	for _, x := range e.allExecutions() {
		if x.id > e.nextExecID.Load() {
			e.nextExecID.Store(x.id)
		}
		if x.status != StatusRunning {
			closed = append(closed, x)
		}
	}
	sort.Slice(closed, func(i, j int) bool {
		a, b := closed[i], closed[j]
		if !a.stopTime.Equal(b.stopTime) {
			return a.stopTime.Before(b.stopTime)
		}
		return a.id < b.id
	})
	e.replaying = false
	for _, x := range closed {
		// Closed executions keep only their summary, as they do once closed live.
		x.mu.Lock()
		x.store()
		x.mu.Unlock()
		e.retain(x)
	}
	e.journal.Release(e.deferredRelease...)
	e.deferredRelease = nil
	return nil
}

// replayRecord routes an event record: to the copy of its execution being gathered, to a new
// copy, or to the execution.
func (e *Engine) replayRecord(r *decoder, payload []byte, loc journal.Location) error {
	id := r.uvarint()
	if pc := e.pendingCopies[id]; pc != nil {
		pc.locs = append(pc.locs, loc)
		pc.payloads = append(pc.payloads, append([]byte(nil), payload...))
		return nil
	}
	if x := e.lookupID(id); x != nil && len(r.buf) > 0 && r.buf[0] == 1 {
		// A new start of a known execution: a copy, taken into account once whole.
		peek := &decoder{buf: r.buf[1:]}
		generation := uint32(peek.uvarint())
		if peek.err != nil {
			return peek.err
		}
		if generation <= x.generation {
			return fmt.Errorf("execution %s started twice in the journal", x.arn)
		}
		e.pendingCopies[id] = &pendingCopy{generation: generation, locs: []journal.Location{loc}, payloads: [][]byte{append([]byte(nil), payload...)}}
		return nil
	}
	return e.replayEvent(r, id, loc)
}

// replayCopied folds the end of a copy: the copy replaces the execution.
func (e *Engine) replayCopied(r *decoder, loc journal.Location) error {
	id, generation := r.uvarint(), uint32(r.uvarint())
	if r.err != nil {
		return r.err
	}
	pc := e.pendingCopies[id]
	if pc == nil || pc.generation != generation {
		e.deferredRelease = append(e.deferredRelease, loc)
		return nil
	}
	delete(e.pendingCopies, id)
	if old := e.lookupID(id); old != nil {
		e.forget(old, false)
	}
	for i, payload := range pc.payloads {
		pr := &decoder{buf: payload}
		pr.byte()
		pid := pr.uvarint()
		if err := e.replayEvent(pr, pid, pc.locs[i]); err != nil {
			return err
		}
	}
	if x := e.lookupID(id); x != nil {
		x.marker, x.hasMarker = loc, true
	}
	return nil
}

func (e *Engine) replayEvent(r *decoder, id uint64, loc journal.Location) error {
	x := e.lookupID(id)
	var started *execution
	if r.bool() {
		// The record that starts an execution carries its identity before the event.
		generation := uint32(r.uvarint())
		arn, name, machineSeq, revisionID, inputText := r.string(), r.string(), r.uvarint(), r.string(), r.string()
		if r.err != nil {
			return r.err
		}
		sm := e.allMachines[machineSeq]
		if sm == nil {
			return fmt.Errorf("execution %s of unknown state machine %d", arn, machineSeq)
		}
		rev := sm.revisions[revisionID]
		if rev == nil {
			return fmt.Errorf("execution %s of unknown revision %s", arn, revisionID)
		}
		input, err := jsonvalue.DecodeString(inputText)
		if err != nil {
			return fmt.Errorf("execution %s: input: %w", arn, err)
		}
		if x != nil {
			return fmt.Errorf("execution %s started twice in the journal", arn)
		}
		if strings.HasSuffix(arn, name) {
			name = arn[len(arn)-len(name):]
		}
		started = &execution{engine: e, id: id, arn: arn, name: name, machine: sm, revision: rev,
			generation: generation, segments: e.carriedSegments[id], live: &live{inputText: inputText, input: input}}
		delete(e.carriedSegments, id)
		x = started
		e.executions.Store(arn, x)
		e.byID.Store(id, x)
		sm.addExecution(x)
		e.running.Add(1)
	} else if x == nil {
		// An event of an execution whose start is gone (it was forgotten): nothing to do.
		e.deferredRelease = append(e.deferredRelease, loc)
		return r.err
	}
	var prev *event
	if n := len(x.events); n > 0 && started == nil {
		prev = &x.events[n-1]
	}
	ev, err := decodeEvent(r, prev)
	if err != nil {
		return fmt.Errorf("execution %s: %w", x.arn, err)
	}
	if started != nil && ev.typ != EventExecutionStarted {
		return fmt.Errorf("execution %s: its first record is %s", x.arn, ev.typ)
	}
	x.locs = append(x.locs, loc)
	x.events = append(x.events, ev)
	wasRunning := x.status == StatusRunning
	x.apply(&x.events[len(x.events)-1])
	if wasRunning && x.status != StatusRunning {
		e.closed(x)
	} else if !wasRunning && x.status == StatusRunning && ev.typ == EventExecutionRedriven {
		e.reopened(x)
	}
	return nil
}

// replayForget folds a tombstone: the execution it names is forgotten, and the tombstone stays
// until none of the execution's records is left on disk.
func (e *Engine) replayForget(r *decoder, loc journal.Location) error {
	id, generation := r.uvarint(), uint32(r.uvarint())
	if r.err != nil {
		return r.err
	}
	x := e.lookupID(id)
	if x == nil || x.generation > generation {
		e.deferredRelease = append(e.deferredRelease, loc)
		return nil
	}
	segments := mergeSegments(x.segments, segmentsOf(x.records()))
	e.forget(x, true)
	e.tombstones = append(e.tombstones, tombstone{loc: loc, segments: segments})
	return nil
}

// skipIdentity reads past the identity an execution's first record carries.
func skipIdentity(r *decoder) {
	r.uvarint() // generation
	r.string()  // ARN
	r.string()  // name
	r.uvarint() // state machine
	r.string()  // revision
	r.string()  // input
}
