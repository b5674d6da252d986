package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/clock"
)

// TestMemberOrderInOutputAndHistory: DescribeExecution's output and the history's event
// details list object members as AWS does (input order, the template's order, ResultPath adding
// at the end and replacing in place), and so does everything read back from the journal after a
// restart, including an execution that resumes from it.
func TestMemberOrderInOutputAndHistory(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessAt(t, clock.NewFake(epoch), dir)
	machine := h.machine(`{"StartAt":"Shape","States":{
		"Shape":{"Type":"Pass","Parameters":{"zeta.$":"$.z","alpha":{"y":1,"x":2},"mid.$":"$.m"},"ResultPath":"$.shaped","Next":"Replace"},
		"Replace":{"Type":"Pass","Result":"new","ResultPath":"$.m","Next":"Hold"},
		"Hold":{"Type":"Wait","Seconds":10,"Next":"Last"},
		"Last":{"Type":"Pass","Result":{"d":1,"c":2},"ResultPath":"$.last","End":true}}}`)
	arn := h.start(machine, `{"z":"zz","m":"old","a":{"q":1,"p":2}}`)
	h.waitTimers(1)

	const shaped = `{"z":"zz","m":"old","a":{"q":1,"p":2},"shaped":{"zeta":"zz","alpha":{"y":1,"x":2},"mid":"old"}}`
	const replaced = `{"z":"zz","m":"new","a":{"q":1,"p":2},"shaped":{"zeta":"zz","alpha":{"y":1,"x":2},"mid":"old"}}`
	checkHistory := func(h *harness) {
		t.Helper()
		var outputs []string
		for _, ev := range h.history(arn) {
			if ev.StateExitedEventDetails != nil && ev.StateExitedEventDetails.Output != nil {
				outputs = append(outputs, *ev.StateExitedEventDetails.Output)
			}
		}
		if len(outputs) < 2 || outputs[0] != shaped || outputs[1] != replaced {
			t.Fatalf("state outputs in the history:\n%s\nwant first\n%s\n%s", strings.Join(outputs, "\n"), shaped, replaced)
		}
	}
	checkHistory(h)

	h = h.restart(t, dir)
	checkHistory(h)
	h.waitTimers(1)
	h.clock.Advance(10 * time.Second)
	d := h.wait(arn)
	want := strings.TrimSuffix(replaced, "}") + `,"last":{"d":1,"c":2}}`
	if d.Status != StatusSucceeded || *d.Output != want {
		t.Fatalf("output after a restart: %s %s, want %s", d.Status, deref(d.Output), want)
	}
	again, err := h.e.DescribeExecution(context.Background(), arn)
	if err != nil || *again.Output != want {
		t.Fatalf("DescribeExecution: %v %v", deref(again.Output), err)
	}
}
