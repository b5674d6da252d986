package engine

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/clock"
	"github.com/fasttrack/fasttrack/workflows/engine/journal"
)

func TestPackedLocationsRoundTrip(t *testing.T) {
	at := func(segment, offset, length uint32) journal.Location {
		return journal.Location{Segment: segment, Offset: offset, Length: length}
	}
	cases := []struct {
		name string
		locs []journal.Location
	}{
		{"none", nil},
		{"one", []journal.Location{{Segment: 1, Offset: 0, Length: 999}}},
		{"back to back", []journal.Location{at(1, 0, 10), at(1, 18, 20), at(1, 46, 1)}},
		{"with gaps", []journal.Location{at(1, 100, 10), at(1, 5000, 300), at(1, 90000, 7)}},
		{"across segments", []journal.Location{at(1, 64<<20, 5), at(2, 0, 5), at(2, 13, 16<<20), at(9, 4, 0)}},
		{"a segment lower than the one before", []journal.Location{at(5, 10, 10), at(3, 7, 1), at(4, 0, 2)}},
		{"extremes", []journal.Location{at(^uint32(0), ^uint32(0), ^uint32(0)), at(0, 0, 0)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			packed := packLocations(c.locs)
			if packed == nil {
				t.Fatal("packed locations are nil")
			}
			got := unpackLocations(packed)
			if len(got) != len(c.locs) || (len(got) > 0 && !reflect.DeepEqual(got, c.locs)) {
				t.Fatalf("unpacked %v, want %v", got, c.locs)
			}
		})
	}
	// Records of one execution a few records apart take a few bytes each, not 12.
	var locs []journal.Location
	offset := uint32(0)
	for i := 0; i < 100; i++ {
		locs = append(locs, journal.Location{Segment: 3, Offset: offset + 2000, Length: 500})
		offset += 2000 + journal.HeaderSize + 500
	}
	if n := len(packLocations(locs)); n > 5*len(locs) {
		t.Fatalf("100 locations packed into %d bytes", n)
	}
}

// A closed execution of a durable engine keeps only its summary in memory; what the API shows
// of it is read back from the journal and is what it showed while it was in memory.
func TestClosedExecutionsAreReadBackFromTheJournal(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessAt(t, clock.NewFake(epoch), dir)
	ctx := context.Background()
	succeeds := h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"z.$":"$.b","a.$":"$.a"},"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.z","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"ResultPath":"$.m","End":true}}}`)
	fails := h.machine(`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Broken","Cause":"on purpose"}}}`)
	waits := h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)

	type closedCase struct {
		arn  string
		live *Execution // as described at its end, from memory
	}
	var closed []closedCase
	for _, c := range []struct{ machine, input string }{
		{succeeds, `{"b":[3,2,1],"a":"first","c":null}`},
		{fails, `{"why":"because"}`},
	} {
		d, err := h.e.RunExecution(ctx, StartExecutionInput{StateMachineArn: c.machine, Input: &c.input})
		if err != nil {
			t.Fatal(err)
		}
		closed = append(closed, closedCase{d.ExecutionArn, d})
	}
	stopped := h.start(waits, `{"stop":"me"}`)
	h.waitTimers(1)
	if _, err := h.e.StopExecution(ctx, stopped, "Halt", "no longer needed"); err != nil {
		t.Fatal(err)
	}
	live := h.wait(stopped)
	closed = append(closed, closedCase{stopped, live})
	liveHistories := map[string][]HistoryEvent{}
	for _, c := range closed {
		x, err := h.e.execution(c.arn)
		if err != nil {
			t.Fatal(err)
		}
		x.mu.Lock()
		stored, packed := x.stored(), x.packedLocs != nil && x.locs == nil
		x.mu.Unlock()
		if !stored || !packed {
			t.Fatalf("%s: closed, but its history (%v) or its locations (%v) are still in memory", c.arn, !stored, !packed)
		}
		liveHistories[c.arn] = h.history(c.arn)
	}
	if got := *closed[0].live.Output; got != `{"z":[3,2,1],"a":"first","m":[3,2,1]}` {
		t.Fatalf("output at the end %s", got)
	}

	check := func(h *harness, when string) {
		t.Helper()
		for _, c := range closed {
			d, err := h.e.DescribeExecution(ctx, c.arn)
			if err != nil {
				t.Fatalf("%s: DescribeExecution %s: %v", when, c.arn, err)
			}
			if !reflect.DeepEqual(d, c.live) {
				t.Fatalf("%s: DescribeExecution\n got %+v\nwant %+v", when, describeText(d), describeText(c.live))
			}
			waited, err := h.e.WaitExecution(ctx, c.arn)
			if err != nil || !reflect.DeepEqual(waited, c.live) {
				t.Fatalf("%s: WaitExecution of a closed execution %+v %v", when, waited, err)
			}
			if got := h.history(c.arn); !reflect.DeepEqual(got, liveHistories[c.arn]) {
				t.Fatalf("%s: history of %s differs: %d events, %d before", when, c.arn, len(got), len(liveHistories[c.arn]))
			}
		}
		items, _, err := h.e.ListExecutions(ctx, ListExecutionsInput{StateMachineArn: fails})
		if err != nil || len(items) != 1 || items[0].Status != StatusFailed || !items[0].StopDate.Equal(closed[1].live.StopDate) {
			t.Fatalf("%s: ListExecutions %+v %v", when, items, err)
		}
	}
	check(h, "before a restart")
	h = h.restart(t, dir)
	check(h, "after a restart")
	for _, x := range h.e.allExecutions() {
		x.mu.Lock()
		stored := x.stored()
		x.mu.Unlock()
		if !stored {
			t.Fatalf("%s is kept in memory after the restart", x.arn)
		}
	}
}

// describeText shows a description with its pointers followed.
func describeText(d *Execution) map[string]any {
	return map[string]any{"status": d.Status, "input": d.Input, "output": deref(d.Output), "error": deref(d.Error),
		"cause": deref(d.Cause), "start": d.StartDate, "stop": d.StopDate, "redrive": d.RedriveStatus + " " + d.RedriveStatusReason}
}

// Redriving a stored execution rebuilds its fold from the journal; a redrive refused on the way
// lets go of it again.
func TestRedriveOfAStoredExecution(t *testing.T) {
	h := newHarnessAt(t, clock.NewFake(epoch), t.TempDir(), func(o *Options) { o.MaxRunning = 1 })
	ctx := context.Background()
	calls := 0
	h.register("flaky", func() (string, error) {
		calls++ // one call at a time: the machine calls it once per run
		if calls == 1 {
			return "", errors.New("first")
		}
		return "fine", nil
	})
	machine := h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"n":1},"ResultPath":"$.p","Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky","ResultPath":"$.t","End":true}}}`)
	arn := h.start(machine, `{"in":true}`)
	expectFailed(t, h.wait(arn), StatusFailed, "errorString")
	blocker := h.start(h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}`), `{}`)
	h.waitTimers(1)
	if _, err := h.e.RedriveExecution(ctx, arn); apiCode(err) != CodeExecutionLimitExceeded {
		t.Fatalf("redrive past MaxRunning: %v", err)
	}
	x, _ := h.e.execution(arn)
	x.mu.Lock()
	stored := x.stored()
	x.mu.Unlock()
	if !stored {
		t.Fatal("a refused redrive left the execution in memory")
	}
	h.clock.Advance(5 * time.Second)
	h.wait(blocker)
	if _, err := h.e.RedriveExecution(ctx, arn); err != nil {
		t.Fatal(err)
	}
	d := h.wait(arn)
	expectSucceeded(t, d, `{"in":true,"p":{"n":1},"t":"fine"}`)
	if d.RedriveCount != 1 || d.Input != `{"in":true}` {
		t.Fatalf("after the redrive: %d redrives, input %s", d.RedriveCount, d.Input)
	}
}
