package journal

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func openReplayed(t *testing.T, dir string, opts Options) (*Journal, []Location, [][]byte) {
	t.Helper()
	j, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var locs []Location
	var payloads [][]byte
	if err := j.Replay(func(loc Location, payload []byte) error {
		locs = append(locs, loc)
		payloads = append(payloads, append([]byte(nil), payload...))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return j, locs, payloads
}

func record(i int) []byte {
	return []byte(fmt.Sprintf("record number %d %s", i, bytes.Repeat([]byte{'x'}, i%50)))
}

func TestAppendReplayRoundTrip(t *testing.T) {
	dir := t.TempDir()
	j, _, _ := openReplayed(t, dir, Options{SegmentSize: 4096})
	var last uint64
	var written []Location
	for i := 0; i < 500; i++ {
		loc, seq, err := j.Append(record(i))
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, loc)
		last = seq
	}
	if err := j.WaitDurable(nil, last); err != nil {
		t.Fatal(err)
	}
	for i, loc := range written {
		got, err := j.Read(loc)
		if err != nil || !bytes.Equal(got, record(i)) {
			t.Fatalf("Read(%v) = %q, %v", loc, got, err)
		}
	}
	if n := len(j.Segments()); n < 5 {
		t.Fatalf("%d segments; 500 records with 4 KiB segments should make many", n)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j2, locs, payloads := openReplayed(t, dir, Options{SegmentSize: 4096})
	defer j2.Close()
	if len(payloads) != 500 {
		t.Fatalf("replayed %d records, want 500", len(payloads))
	}
	for i := range payloads {
		if !bytes.Equal(payloads[i], record(i)) || locs[i] != written[i] {
			t.Fatalf("record %d: %q at %v, want %q at %v", i, payloads[i], locs[i], record(i), written[i])
		}
	}
	// Appends after a restart go to a fresh segment and are read back too.
	loc, seq, err := j2.Append([]byte("after restart"))
	if err != nil {
		t.Fatal(err)
	}
	if err := j2.WaitDurable(nil, seq); err != nil {
		t.Fatal(err)
	}
	if got, err := j2.Read(loc); err != nil || string(got) != "after restart" {
		t.Fatalf("Read after restart = %q, %v", got, err)
	}
}

func TestReadServesRecordsNotYetWritten(t *testing.T) {
	j, _, _ := openReplayed(t, t.TempDir(), Options{})
	defer j.Close()
	for i := 0; i < 100; i++ {
		loc, _, err := j.Append(record(i))
		if err != nil {
			t.Fatal(err)
		}
		got, err := j.Read(loc)
		if err != nil || !bytes.Equal(got, record(i)) {
			t.Fatalf("Read right after Append = %q, %v", got, err)
		}
	}
}

func TestTornTailIsTruncated(t *testing.T) {
	for _, tear := range []struct {
		name string
		cut  func(data []byte) []byte
	}{
		{"half a header", func(d []byte) []byte { return append(d, 0x10, 0x00) }},
		{"half a payload", func(d []byte) []byte { return d[:len(d)-5] }},
		{"bad checksum", func(d []byte) []byte { d[len(d)-1] ^= 0xff; return d }},
		{"zeroes", func(d []byte) []byte { return append(d, make([]byte, 64)...) }},
	} {
		t.Run(tear.name, func(t *testing.T) {
			dir := t.TempDir()
			j, _, _ := openReplayed(t, dir, Options{})
			var seq uint64
			for i := 0; i < 10; i++ {
				_, seq, _ = j.Append(record(i))
			}
			if err := j.WaitDurable(nil, seq); err != nil {
				t.Fatal(err)
			}
			j.Close()
			path := filepath.Join(dir, segmentName(1))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tear.cut(data), 0o644); err != nil {
				t.Fatal(err)
			}
			j2, _, payloads := openReplayed(t, dir, Options{})
			defer j2.Close()
			want := 10
			if tear.name == "half a payload" || tear.name == "bad checksum" {
				want = 9
			}
			if len(payloads) != want {
				t.Fatalf("replayed %d records, want %d", len(payloads), want)
			}
			for i := range payloads {
				if !bytes.Equal(payloads[i], record(i)) {
					t.Fatalf("record %d = %q", i, payloads[i])
				}
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			var size int64
			for i := 0; i < want; i++ {
				size += headerSize + int64(len(record(i)))
			}
			if info.Size() != size {
				t.Fatalf("segment is %d bytes after replay, want %d (torn tail cut off)", info.Size(), size)
			}
		})
	}
}

func TestCorruptionBeforeTheNewestSegmentIsAnError(t *testing.T) {
	dir := t.TempDir()
	j, _, _ := openReplayed(t, dir, Options{SegmentSize: 256})
	var seq uint64
	for i := 0; i < 40; i++ {
		_, seq, _ = j.Append(record(i))
	}
	_ = j.WaitDurable(nil, seq)
	j.Close()
	path := filepath.Join(dir, segmentName(1))
	data, _ := os.ReadFile(path)
	data[len(data)/2] ^= 0xff
	_ = os.WriteFile(path, data, 0o644)
	j2, err := Open(dir, Options{SegmentSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if err := j2.Replay(func(Location, []byte) error { return nil }); err == nil {
		t.Fatal("Replay accepted a corrupt record in an old segment")
	}
}

func TestReleasedSegmentsAreDeleted(t *testing.T) {
	dir := t.TempDir()
	j, _, _ := openReplayed(t, dir, Options{SegmentSize: 512})
	defer j.Close()
	var locs []Location
	var seq uint64
	for i := 0; i < 60; i++ {
		loc, s, err := j.Append(record(i))
		if err != nil {
			t.Fatal(err)
		}
		locs = append(locs, loc)
		seq = s
	}
	_ = j.WaitDurable(nil, seq)
	before := j.Segments()
	first := before[0].ID
	var inFirst []Location
	for _, l := range locs {
		if l.Segment == first {
			inFirst = append(inFirst, l)
		}
	}
	if got := j.Compact(0.5); len(got) != 0 {
		t.Fatalf("Compact(0.5) = %v with every record live", got)
	}
	j.Release(inFirst[:len(inFirst)-1]...)
	if got := j.Compact(0.5); len(got) == 0 || got[0] != first || !j.HasSegment(first) {
		t.Fatalf("Compact(0.5) = %v, want the first segment %d among them", got, first)
	}
	if _, err := os.Stat(filepath.Join(dir, segmentName(first))); err != nil {
		t.Fatalf("segment deleted while a record in it is live: %v", err)
	}
	j.Release(inFirst[len(inFirst)-1])
	if _, err := os.Stat(filepath.Join(dir, segmentName(first))); !os.IsNotExist(err) || j.HasSegment(first) {
		t.Fatalf("fully released segment still on disk: %v", err)
	}
	if _, err := j.Read(inFirst[0]); err == nil {
		t.Fatal("Read of a record in a deleted segment succeeded")
	}
	// The rest replays after a restart without the released records.
	j.Close()
	j2, _, payloads := openReplayed(t, dir, Options{SegmentSize: 512})
	defer j2.Close()
	if len(payloads) != 60-len(inFirst) {
		t.Fatalf("replayed %d records, want %d", len(payloads), 60-len(inFirst))
	}
}

func TestConcurrentAppendsShareFsyncs(t *testing.T) {
	dir := t.TempDir()
	j, _, _ := openReplayed(t, dir, Options{})
	const writers, each = 16, 200
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				payload := []byte(fmt.Sprintf("writer %d record %d", w, i))
				_, seq, err := j.Append(payload)
				if err == nil {
					err = j.WaitDurable(nil, seq)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	j.Close()
	_, _, payloads := openReplayed(t, dir, Options{})
	if len(payloads) != writers*each {
		t.Fatalf("replayed %d records, want %d", len(payloads), writers*each)
	}
	// Each writer's records come back in the order it wrote them.
	next := make([]int, writers)
	for _, p := range payloads {
		var w, i int
		if _, err := fmt.Sscanf(string(p), "writer %d record %d", &w, &i); err != nil {
			t.Fatal(err)
		}
		if i != next[w] {
			t.Fatalf("writer %d: record %d after %d", w, i, next[w]-1)
		}
		next[w]++
	}
}

func TestAppendRejectsBadRecordsAndClosedJournal(t *testing.T) {
	j, _, _ := openReplayed(t, t.TempDir(), Options{})
	if _, _, err := j.Append(nil); err == nil {
		t.Fatal("empty record accepted")
	}
	if _, _, err := j.Append(make([]byte, MaxRecordSize+1)); err == nil {
		t.Fatal("oversized record accepted")
	}
	j.Close()
	if _, _, err := j.Append([]byte("x")); err != ErrClosed {
		t.Fatalf("Append after Close: %v", err)
	}
}
