package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/journal"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// Journal record kinds.
const (
	recMachineCreated byte = 1
	recMachineUpdated byte = 2
	recMachineDeleted byte = 3
	recEvent          byte = 4
)

// Event field flags.
const (
	hasInput = 1 << iota
	hasOutput
	hasFailure
	hasNext
	hasTask
	hasLimits
	hasName
)

// persistMachine appends a state machine record. Called with e.mu held.
func (e *Engine) persistMachine(sm *stateMachine, rev *revision, kind byte) uint64 {
	w := encoder{buf: make([]byte, 0, 256)}
	w.byte(kind)
	w.string(sm.arn)
	switch kind {
	case recMachineCreated:
		w.uvarint(sm.seq)
		w.string(sm.name)
		w.varint(sm.created.UnixNano())
		fallthrough
	case recMachineUpdated:
		w.string(rev.id)
		w.string(rev.definition)
		w.string(rev.roleARN)
		w.varint(rev.updated.UnixNano())
	}
	loc, seq, err := e.journal.Append(w.buf)
	if err != nil {
		e.log.Error("engine: journal append failed", "error", err)
		return 0
	}
	sm.records = append(sm.records, loc)
	return seq
}

// persistEvent appends an event record. Called with x.mu held.
func (e *Engine) persistEvent(x *execution, ev *event) {
	w := encoder{buf: make([]byte, 0, 128)}
	w.byte(recEvent)
	w.uvarint(x.id)
	w.bool(ev.typ == EventExecutionStarted)
	if ev.typ == EventExecutionStarted {
		w.uvarint(uint64(x.generation))
		w.string(x.arn)
		w.string(x.name)
		w.string(x.machine.arn)
		w.string(x.revision.id)
		w.string(x.inputText)
	}
	if err := encodeEvent(&w, ev); err != nil {
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

func encodeEvent(w *encoder, ev *event) error {
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

func decodeEvent(r *decoder) (event, error) {
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

// recover rebuilds state machines and executions from the journal: every record is folded in,
// in the order it was written.
func (e *Engine) recover(ctx context.Context) error {
	all := map[string]*stateMachine{} // deleted ones too: executions may outlive their machine
	var recErr error
	e.replaying = true
	defer func() { e.replaying = false }()
	err := e.journal.Replay(func(loc journal.Location, payload []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := &decoder{buf: payload}
		switch kind := r.byte(); kind {
		case recMachineCreated, recMachineUpdated, recMachineDeleted:
			return e.replayMachine(r, kind, loc, all)
		case recEvent:
			return e.replayEvent(r, loc, all)
		default:
			recErr = fmt.Errorf("unknown record kind %d at %v", kind, loc)
			return recErr
		}
	})
	if err != nil {
		return err
	}
	for _, x := range e.executions {
		if x.id > e.nextExecID {
			e.nextExecID = x.id
		}
	}
	e.replaying = false
	e.journal.Release(e.deferredRelease...)
	e.deferredRelease = nil
	return nil
}

func (e *Engine) replayMachine(r *decoder, kind byte, loc journal.Location, all map[string]*stateMachine) error {
	arn := r.string()
	sm := all[arn]
	switch kind {
	case recMachineCreated:
		seq := r.uvarint()
		name := r.string()
		created := time.Unix(0, r.varint()).UTC()
		if sm == nil || sm.deleted {
			sm = &stateMachine{seq: seq, arn: arn, name: name, typ: "STANDARD", created: created, revisions: map[string]*revision{}}
			all[arn] = sm
		}
		if seq > e.nextMachineSeq {
			e.nextMachineSeq = seq
		}
		fallthrough
	case recMachineUpdated:
		if sm == nil {
			return fmt.Errorf("update of unknown state machine %s", arn)
		}
		rev := &revision{id: r.string(), definition: r.string(), roleARN: r.string()}
		rev.updated = time.Unix(0, r.varint()).UTC()
		if r.err != nil {
			return r.err
		}
		prog, err := Compile(rev.definition)
		if err != nil {
			return fmt.Errorf("state machine %s revision %s no longer compiles: %w", arn, rev.id, err)
		}
		rev.program = prog
		sm.revisions[rev.id] = rev
		sm.current = rev
		sm.deleted = false
		e.machines[arn] = sm
	case recMachineDeleted:
		if sm != nil {
			sm.deleted = true
			delete(e.machines, arn)
		}
	}
	if sm != nil {
		sm.records = append(sm.records, loc)
	}
	return r.err
}

func (e *Engine) replayEvent(r *decoder, loc journal.Location, all map[string]*stateMachine) error {
	id := r.uvarint()
	x := e.byID[id]
	var started *execution
	if r.bool() {
		// The record that starts an execution carries its identity before the event.
		generation := uint32(r.uvarint())
		arn, name, machineARN, revisionID, inputText := r.string(), r.string(), r.string(), r.string(), r.string()
		if r.err != nil {
			return r.err
		}
		sm := all[machineARN]
		if sm == nil {
			return fmt.Errorf("execution %s of unknown state machine %s", arn, machineARN)
		}
		rev := sm.revisions[revisionID]
		if rev == nil {
			return fmt.Errorf("execution %s of unknown revision %s", arn, revisionID)
		}
		input, err := jsonvalue.DecodeString(inputText)
		if err != nil {
			return fmt.Errorf("execution %s: input: %w", arn, err)
		}
		if x != nil && generation <= x.generation {
			return fmt.Errorf("execution %s started twice in the journal", arn)
		}
		if x != nil {
			// A later copy of the execution (written by compaction) replaces the earlier one.
			e.forget(x)
		}
		started = &execution{engine: e, id: id, arn: arn, name: name, machine: sm, revision: rev, program: rev.program,
			inputText: inputText, input: input, generation: generation}
		x = started
		e.executions[arn] = x
		e.byID[id] = x
		sm.executions = append(sm.executions, x)
		e.running.Add(1)
	} else if x == nil {
		// Events of an execution whose start was released (it was forgotten): skip them.
		return r.err
	}
	ev, err := decodeEvent(r)
	if err != nil {
		return fmt.Errorf("execution %s: %w", x.arn, err)
	}
	if started != nil && ev.typ != EventExecutionStarted {
		return fmt.Errorf("execution %s: its first record is %s", x.arn, ev.typ)
	}
	x.locs = append(x.locs, loc)
	if ev.id > x.nextID {
		x.nextID = ev.id
	}
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
