package engine

import (
	"encoding/binary"
	"slices"

	"github.com/fasttrack/fasttrack/workflows/engine/journal"
)

// The janitor keeps the journal's files from growing without bound. Three jobs, in one
// goroutine that wakes when executions are forgotten:
//
//   - Forgetting: an execution past retention gets a tombstone record, and only once that is on
//     disk are its records released. Without it, a restart could find the start of a forgotten
//     execution in a segment kept alive by other records, but not its end (in a segment since
//     deleted), and run it again.
//   - Tombstones are released once no segment that ever held the execution's records is left.
//   - Compaction: a segment whose records are mostly released is emptied by appending its live
//     records again (each execution with records there is copied whole, as a new generation
//     that replaces the old on replay; tombstones are copied as they are).

// compactBelow is the fraction of live records under which a segment is compacted.
const compactBelow = 0.5

// tombstone is a recForget record and the segments that held its execution's records.
type tombstone struct {
	loc      journal.Location
	segments []uint32
}

// segmentsOf lists the segments of some locations, sorted, without repeats.
func segmentsOf(locs []journal.Location) []uint32 {
	var out []uint32
	for _, l := range locs {
		out = append(out, l.Segment)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func mergeSegments(a, b []uint32) []uint32 {
	out := append(append([]uint32(nil), a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// forget drops an execution during recovery: replaced by a later copy of itself, or named by a
// tombstone. Its records are released once the replay is over.
func (e *Engine) forget(x *execution, tombstoned bool) {
	e.retention.Lock()
	alreadyEvicted := x.evicted.Load()
	e.evict(x)
	e.leaveClosedQueue(x)
	// Its records are released here, once: not again as a victim of retention.
	x.dropped = true
	e.retention.Unlock()
	if !alreadyEvicted {
		x.machine.executionEvicted()
	}
	if x.status == StatusRunning || x.status == "" {
		e.running.Add(-1)
	}
	e.deferredRelease = append(e.deferredRelease, x.records()...)
	if !tombstoned {
		// The copy that replaces x must remember where x's records were.
		e.carriedSegments[x.id] = mergeSegments(e.carriedSegments[x.id], mergeSegments(x.segments, segmentsOf(x.records())))
	}
}

// reopened takes a redriven execution out of the retention queue during recovery.
func (e *Engine) reopened(x *execution) {
	e.retention.Lock()
	e.leaveClosedQueue(x)
	e.retention.Unlock()
	e.running.Add(1)
}

// wakeJanitor asks the janitor to look at the journal.
func (e *Engine) wakeJanitor() {
	select {
	case e.janitorWake <- struct{}{}:
	default:
	}
}

func (e *Engine) janitor() {
	defer e.workers.Done()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.janitorWake:
		}
		e.forgetQueued()
		e.releaseTombstones()
		e.compact()
	}
}

// forgetQueued writes the tombstones of the executions forgotten since the last round, and
// releases their records once the tombstones are on disk.
func (e *Engine) forgetQueued() {
	e.retention.Lock()
	victims := e.forgetQueue[:0:0]
	for _, x := range e.forgetQueue {
		if !x.dropped {
			victims = append(victims, x)
		}
	}
	e.forgetQueue = nil
	e.retention.Unlock()
	if len(victims) == 0 {
		return
	}
	var last uint64
	written := make([]tombstone, 0, len(victims))
	for _, x := range victims {
		var w encoder
		w.byte(recForget)
		w.uvarint(x.id)
		w.uvarint(uint64(x.generation))
		loc, seq, err := e.journal.Append(w.buf)
		if err != nil {
			e.log.Error("engine: cannot write a tombstone; the execution's records stay", "execution", x.arn, "error", err)
			continue
		}
		last = seq
		written = append(written, tombstone{loc: loc, segments: mergeSegments(x.segments, segmentsOf(x.records()))})
	}
	if err := e.journal.WaitDurable(e.ctx.Done(), last); err != nil {
		return
	}
	e.reading.Lock()
	for _, x := range victims {
		e.journal.Release(x.records()...)
	}
	e.reading.Unlock()
	e.tombstones = append(e.tombstones, written...)
}

// releaseTombstones releases the tombstones whose executions have no record left on disk.
func (e *Engine) releaseTombstones() {
	kept := e.tombstones[:0]
	for _, t := range e.tombstones {
		gone := true
		for _, s := range t.segments {
			if e.journal.HasSegment(s) {
				gone = false
				break
			}
		}
		if gone {
			e.journal.Release(t.loc)
		} else {
			kept = append(kept, t)
		}
	}
	clear(e.tombstones[len(kept):])
	e.tombstones = kept
}

// compact empties the segments whose records are mostly released.
func (e *Engine) compact() {
	candidates := e.journal.Compact(compactBelow)
	if len(candidates) == 0 {
		return
	}
	in := func(seg uint32) bool { return slices.Contains(candidates, seg) }
	var old []journal.Location
	var last uint64
	for _, x := range e.allExecutions() {
		x.mu.Lock()
		if slices.ContainsFunc(x.records(), func(l journal.Location) bool { return in(l.Segment) }) {
			released, seq, ok := e.relocate(x)
			if ok {
				old = append(old, released...)
				last = max(last, seq)
			}
		}
		x.mu.Unlock()
	}
	for i := range e.tombstones {
		t := &e.tombstones[i]
		if !in(t.loc.Segment) {
			continue
		}
		payload, err := e.journal.Read(t.loc)
		if err != nil {
			continue
		}
		loc, seq, err := e.journal.Append(payload)
		if err != nil {
			continue
		}
		old = append(old, t.loc)
		t.loc, last = loc, max(last, seq)
	}
	if last == 0 {
		return
	}
	// The old copies go only once the new ones are on disk.
	if err := e.journal.WaitDurable(e.ctx.Done(), last); err != nil {
		return
	}
	e.reading.Lock()
	e.journal.Release(old...)
	e.reading.Unlock()
}

// relocate appends a new generation of x: every record again, the first with the new
// generation number. Called with x.mu held; it returns the old locations to release.
func (e *Engine) relocate(x *execution) ([]journal.Location, uint64, bool) {
	e.retention.Lock()
	evicted := x.evicted.Load()
	e.retention.Unlock()
	locs := x.locations()
	if evicted || len(locs) == 0 {
		return nil, 0, false
	}
	generation := x.generation + 1
	fresh := make([]journal.Location, 0, len(locs))
	for i, loc := range locs {
		payload, err := e.journal.Read(loc)
		if err != nil {
			e.log.Error("engine: compaction cannot read a record", "execution", x.arn, "error", err)
			return nil, 0, false
		}
		if i == 0 {
			if payload, err = withGeneration(payload, generation); err != nil {
				e.log.Error("engine: compaction found a bad first record", "execution", x.arn, "error", err)
				return nil, 0, false
			}
		}
		newLoc, _, err := e.journal.Append(payload)
		if err != nil {
			return nil, 0, false
		}
		fresh = append(fresh, newLoc)
	}
	// The copy counts only once this record is read back after it.
	var w encoder
	w.byte(recCopied)
	w.uvarint(x.id)
	w.uvarint(uint64(generation))
	// Records reach the disk in order: the marker's sequence number covers the copy.
	marker, last, err := e.journal.Append(w.buf)
	if err != nil {
		return nil, 0, false
	}
	old := x.records()
	// The retention lock orders this with the eviction that reads x's records.
	e.retention.Lock()
	x.segments = mergeSegments(x.segments, segmentsOf(old))
	x.setLocations(fresh)
	x.marker, x.hasMarker = marker, true
	x.generation = generation
	e.retention.Unlock()
	x.lastSeq = max(x.lastSeq, last)
	return old, last, true
}

// withGeneration rewrites the generation of an execution's first record.
func withGeneration(payload []byte, generation uint32) ([]byte, error) {
	r := &decoder{buf: payload}
	kind := r.byte()
	id := r.uvarint()
	start := r.bool()
	r.uvarint()
	if r.err != nil || kind != recEvent || !start {
		return nil, errShort
	}
	w := encoder{buf: make([]byte, 0, len(payload)+binary.MaxVarintLen64)}
	w.byte(recEvent)
	w.uvarint(id)
	w.bool(true)
	w.uvarint(uint64(generation))
	w.buf = append(w.buf, r.buf...)
	return w.buf, nil
}
