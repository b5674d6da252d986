package engine

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
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

// contextFor builds the context object ($$) for frame f's current state, its members in the
// order AWS documents them (Execution, State, StateMachine, Task). The Execution and
// StateMachine parts are built once per execution (again after a redrive) and shared.
func (x *execution) contextFor(f *frame, token string) *jsonvalue.Object {
	base := x.contextBase
	if base == nil || base.redriveCount != x.redriveCount {
		base = &contextBase{
			redriveCount: x.redriveCount,
			execution: jsonvalue.NewObject(
				jsonvalue.Member{Key: "Id", Value: x.arn},
				jsonvalue.Member{Key: "Input", Value: x.input},
				jsonvalue.Member{Key: "Name", Value: x.name},
				jsonvalue.Member{Key: "RoleArn", Value: x.revision.roleARN},
				jsonvalue.Member{Key: "StartTime", Value: formatTime(x.startTime)},
				jsonvalue.Member{Key: "RedriveCount", Value: intNumber(x.redriveCount)},
			),
			machine: jsonvalue.NewObject(
				jsonvalue.Member{Key: "Id", Value: x.machine.arn},
				jsonvalue.Member{Key: "Name", Value: x.machine.name},
			),
		}
		x.contextBase = base
	}
	members := make([]jsonvalue.Member, 3, 5)
	members[0] = jsonvalue.Member{Key: "Execution", Value: base.execution}
	members[1] = jsonvalue.Member{Key: "State", Value: jsonvalue.NewObject(
		jsonvalue.Member{Key: "EnteredTime", Value: formatTime(f.enteredAt)},
		jsonvalue.Member{Key: "Name", Value: f.state.Name},
		jsonvalue.Member{Key: "RetryCount", Value: intNumber(int(f.retryCount))},
	)}
	members[2] = jsonvalue.Member{Key: "StateMachine", Value: base.machine}
	if token != "" {
		members = append(members, jsonvalue.Member{Key: "Task", Value: jsonvalue.NewObject(jsonvalue.Member{Key: "Token", Value: token})})
	}
	return jsonvalue.NewObject(members...)
}

// contextBase holds the parts of the context object that stay the same from state to state.
type contextBase struct {
	redriveCount int
	execution    *jsonvalue.Object
	machine      *jsonvalue.Object
}

// mapItemContext is the context object of one Map iteration's ItemSelector: the Map state's
// context with Map.Item (its index and value) added.
func mapItemContext(base *jsonvalue.Object, index int, value any) *jsonvalue.Object {
	members := make([]jsonvalue.Member, base.Len()+1)
	copy(members, base.Members())
	members[len(members)-1] = jsonvalue.Member{Key: "Map", Value: jsonvalue.NewObject(jsonvalue.Member{Key: "Item", Value: jsonvalue.NewObject(
		jsonvalue.Member{Key: "Index", Value: intNumber(index)},
		jsonvalue.Member{Key: "Value", Value: value},
	)})}
	return jsonvalue.NewObject(members...)
}

// contextIfUsed is the context object when the state reads it, else nil (a nil context makes
// any "$$" path fail, and no state that does not mention "$$" reads it).
func (x *execution) contextIfUsed(f *frame) any {
	if !f.state.UsesContext {
		return nil
	}
	return x.contextFor(f, "")
}
