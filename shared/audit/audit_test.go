package audit_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/audit"
)

func chain(t *testing.T, n int) []audit.Event {
	t.Helper()
	var out []audit.Event
	var prev *audit.Event
	for i := range n {
		e, err := audit.Seal(audit.Event{
			Time: time.Date(2026, 11, 20, 9, 0, i, 123456789, time.FixedZone("EAT", 3*3600)), Actor: "security-1",
			Role: "security", Action: audit.ActionTaskDecided, ActivationID: "a-1", Country: "HT",
			Before: json.RawMessage(`{"status": "OPEN", "n": 1.50}`), After: audit.JSON(map[string]any{"status": "DECIDED", "i": i}),
		}, prev)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
		prev = &out[len(out)-1]
	}
	return out
}

func TestSealedChainVerifies(t *testing.T) {
	events := chain(t, 5)
	if breaks := audit.Verify(events); len(breaks) != 0 {
		t.Fatalf("breaks in an untouched chain: %v", breaks)
	}
	if events[0].PrevHash != audit.GenesisHash || events[0].Seq != 1 || events[4].Seq != 5 || events[0].Stream != "ACT#a-1" {
		t.Errorf("numbering %+v", events[0])
	}
	if string(events[0].Before) != `{"n":1.50,"status":"OPEN"}` || events[0].Time.Location() != time.UTC {
		t.Errorf("not normalised: %s %s", events[0].Before, events[0].Time)
	}
}

// Re-encoding before/after differently (key order, spacing) does not change the hash.
func TestCanonicalEncodingIgnoresLayout(t *testing.T) {
	e := chain(t, 1)[0]
	e.Before = json.RawMessage("{ \"status\" : \"OPEN\",\n \"n\": 1.50 }")
	if h, _ := audit.ComputeHash(e); h != e.Hash {
		t.Error("layout changed the hash")
	}
}

func TestVerifyNamesExactlyTheBrokenEvents(t *testing.T) {
	cases := []struct {
		name   string
		tamper func([]audit.Event) []audit.Event
		want   []int64
	}{
		{"changed actor", func(e []audit.Event) []audit.Event { e[2].Actor = "finance-1"; return e }, []int64{3}},
		{"changed after", func(e []audit.Event) []audit.Event { e[1].After = json.RawMessage(`{"status":"REJECTED"}`); return e }, []int64{2}},
		{"changed time", func(e []audit.Event) []audit.Event { e[4].Time = e[4].Time.Add(time.Nanosecond); return e }, []int64{5}},
		{"changed and rehashed", func(e []audit.Event) []audit.Event {
			e[2].Actor = "finance-1"
			e[2].Hash, _ = audit.ComputeHash(e[2])
			return e
		}, []int64{4}},
		{"removed", func(e []audit.Event) []audit.Event { return append(e[:2], e[3:]...) }, []int64{4}},
		{"first removed", func(e []audit.Event) []audit.Event { return e[1:] }, []int64{2}},
		{"swapped", func(e []audit.Event) []audit.Event { e[1], e[2] = e[2], e[1]; return e }, []int64{3, 2, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			breaks := audit.Verify(c.tamper(chain(t, 5)))
			var got []int64
			for _, b := range breaks {
				got = append(got, b.Seq)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("breaks %v, want seqs %v", breaks, c.want)
			}
		})
	}
}
