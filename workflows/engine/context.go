package engine

import (
	"encoding/json"
	"strconv"
	"time"
)

// timeFormat is how the context object and the API's JSON strings show times.
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// smallNumbers are the numbers most context objects hold, made once.
var smallNumbers = func() []json.Number {
	out := make([]json.Number, 256)
	for i := range out {
		out[i] = json.Number(strconv.Itoa(i))
	}
	return out
}()

func intNumber(i int) json.Number {
	if i >= 0 && i < len(smallNumbers) {
		return smallNumbers[i]
	}
	return json.Number(strconv.Itoa(i))
}

// contextFor builds the context object ($$) for frame f's current state. The Execution and
// StateMachine parts are built once per execution and shared; the top-level map is new on
// every call, so that callers may add to it (Map.Item).
func (x *execution) contextFor(f *frame, token string) map[string]any {
	if x.contextBase == nil {
		x.contextBase = map[string]any{
			"StateMachine": map[string]any{"Id": x.machine.arn, "Name": x.machine.name},
		}
	}
	execution, ok := x.contextBase["Execution"].(map[string]any)
	if !ok || execution["RedriveCount"] != intNumber(x.redriveCount) {
		execution = map[string]any{
			"Id":           x.arn,
			"Input":        x.input,
			"Name":         x.name,
			"RoleArn":      x.revision.roleARN,
			"StartTime":    formatTime(x.startTime),
			"RedriveCount": intNumber(x.redriveCount),
		}
		x.contextBase["Execution"] = execution
	}
	ctx := map[string]any{
		"Execution":    execution,
		"StateMachine": x.contextBase["StateMachine"],
		"State": map[string]any{
			"EnteredTime": formatTime(f.enteredAt),
			"Name":        f.state.Name,
			"RetryCount":  intNumber(int(f.retryCount)),
		},
	}
	if token != "" {
		ctx["Task"] = map[string]any{"Token": token}
	}
	return ctx
}

// contextIfUsed is the context object when the state reads it, else nil (a nil context makes
// any "$$" path fail, and no state that does not mention "$$" reads it).
func (x *execution) contextIfUsed(f *frame) any {
	if !f.state.UsesContext {
		return nil
	}
	return x.contextFor(f, "")
}
