package engine

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/fasttrack/fasttrack/workflows/engine/journal"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// encoder builds journal records: varints, length-prefixed strings and JSON values.
type encoder struct{ buf []byte }

func (w *encoder) byte(b byte)      { w.buf = append(w.buf, b) }
func (w *encoder) uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *encoder) varint(v int64)   { w.buf = binary.AppendVarint(w.buf, v) }
func (w *encoder) float(f float64) {
	w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(f))
}
func (w *encoder) string(s string)   { w.uvarint(uint64(len(s))); w.buf = append(w.buf, s...) }
func (w *encoder) bool(b bool)       { w.byte(boolByte(b)) }
func (w *encoder) value(v any) error { return w.valueInto(v) }

// sameValue reports whether two values are the same value (the same object or array, or equal
// scalars): cheap, and enough to see that a state's input is the output before it.
func sameValue(a, b any) bool { return jsonvalue.Same(a, b) }

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// valueInto writes a JSON value as length-prefixed JSON text.
func (w *encoder) valueInto(v any) error {
	start := len(w.buf)
	w.buf = append(w.buf, 0, 0, 0, 0)
	var err error
	w.buf, err = appendJSON(w.buf, v)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(w.buf[start:], uint32(len(w.buf)-start-4))
	return nil
}

// decoder reads what encoder wrote.
type decoder struct {
	buf []byte
	err error
}

var errShort = errors.New("engine: journal record too short")

func (r *decoder) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *decoder) byte() byte {
	if len(r.buf) < 1 {
		r.fail(errShort)
		return 0
	}
	b := r.buf[0]
	r.buf = r.buf[1:]
	return b
}

func (r *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *decoder) varint() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *decoder) float() float64 {
	if len(r.buf) < 8 {
		r.fail(errShort)
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.buf))
	r.buf = r.buf[8:]
	return f
}

func (r *decoder) string() string {
	n := r.uvarint()
	if uint64(len(r.buf)) < n {
		r.fail(errShort)
		return ""
	}
	s := string(r.buf[:n])
	r.buf = r.buf[n:]
	return s
}

func (r *decoder) bool() bool { return r.byte() != 0 }

// rawValue returns the JSON text of a value.
func (r *decoder) rawValue() []byte {
	if len(r.buf) < 4 {
		r.fail(errShort)
		return nil
	}
	n := binary.LittleEndian.Uint32(r.buf)
	if uint64(len(r.buf)-4) < uint64(n) {
		r.fail(errShort)
		return nil
	}
	v := r.buf[4 : 4+n]
	r.buf = r.buf[4+n:]
	return v
}

// appendJSON writes v (a value as jsonvalue decodes it, or built by the engine from such
// values) as compact JSON, objects with their members in order, so that a value read back from
// the journal lists its keys as it did before.
func appendJSON(buf []byte, v any) ([]byte, error) { return jsonvalue.Append(buf, v) }

// packLocations writes record locations compactly, each as varints relative to the end of the
// one before it: a closed execution's locations stay in memory for as long as it is retained,
// and an execution's records are close together (the same segment, a few records of other
// executions in between), so most take 4 or 5 bytes instead of 12.
func packLocations(locs []journal.Location) []byte {
	var scratch [3 * binary.MaxVarintLen64]byte
	out := make([]byte, 0, 8*len(locs))
	var segment, end int64
	for _, l := range locs {
		n := binary.PutVarint(scratch[:], int64(l.Segment)-segment)
		if int64(l.Segment) != segment {
			end = 0
		}
		n += binary.PutVarint(scratch[n:], int64(l.Offset)-end)
		n += binary.PutUvarint(scratch[n:], uint64(l.Length))
		out = append(out, scratch[:n]...)
		segment, end = int64(l.Segment), int64(l.Offset)+journal.HeaderSize+int64(l.Length)
	}
	// Kept for long: a copy of exactly its size, not the scratch's capacity. Never nil, so
	// that an execution with no records still reads as packed.
	return append(make([]byte, 0, len(out)), out...)
}

// unpackLocations reads what packLocations wrote.
func unpackLocations(packed []byte) []journal.Location {
	var out []journal.Location
	var segment, end int64
	for len(packed) > 0 {
		ds, n1 := binary.Varint(packed)
		if n1 <= 0 {
			break
		}
		packed = packed[n1:]
		do, n2 := binary.Varint(packed)
		if n2 <= 0 {
			break
		}
		packed = packed[n2:]
		length, n3 := binary.Uvarint(packed)
		if n3 <= 0 {
			break
		}
		packed = packed[n3:]
		if ds != 0 {
			end = 0
		}
		segment += ds
		offset := end + do
		out = append(out, journal.Location{Segment: uint32(segment), Offset: uint32(offset), Length: uint32(length)})
		end = offset + journal.HeaderSize + int64(length)
	}
	return out
}
