// Package bench measures the embedded Step Functions engine against its peer, the npm package
// aws-local-stepfunctions: the same state machines with the same inputs, in a closed loop of a
// fixed number of executions in flight, on our engine (in memory, durable with fsync, and
// through the Step Functions JSON API with the sfn SDK client) and on the peer (a Node script,
// scripts/peer-bench/run.mjs). The command cmd/benchengine runs it all and prints the table;
// the Go benchmarks of this package run the same machines for `make bench`.
package bench

import (
	"embed"
	"fmt"
	"strings"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

//go:embed testdata/*.json
var testdata embed.FS

// Machine is one state machine of the benchmark with the input every execution gets and the
// output every execution must produce (on both engines).
type Machine struct {
	// Name is the file stem under testdata: NAME.asl.json, NAME.input.json, NAME.output.json.
	Name string
	// Definition, Input and Output are JSON text.
	Definition string
	Input      string
	Output     string
}

// The machines of the benchmark.
const (
	// FlowMachine has Pass, Choice, Parallel (3 branches) and Map (10 items, ItemSelector)
	// states and no Task: the headline comparison.
	FlowMachine = "flow"
	// TasksMachine has 19 states and makes 11 Task calls to local functions.
	TasksMachine = "tasks"
)

// MachineNames lists the machines in the order the benchmark runs them.
func MachineNames() []string { return []string{TasksMachine, FlowMachine} }

// LoadMachine reads a machine from the embedded testdata.
func LoadMachine(name string) (Machine, error) {
	m := Machine{Name: name}
	for _, part := range []struct {
		suffix string
		into   *string
	}{{".asl.json", &m.Definition}, {".input.json", &m.Input}, {".output.json", &m.Output}} {
		raw, err := testdata.ReadFile("testdata/" + name + part.suffix)
		if err != nil {
			return Machine{}, fmt.Errorf("bench: machine %q: %w (known: %s)", name, err, strings.Join(MachineNames(), ", "))
		}
		*part.into = string(raw)
	}
	return m, nil
}

// SameOutput reports whether output (JSON text) is the machine's expected output, comparing
// JSON values (key order and number spelling do not matter).
func (m Machine) SameOutput(output string) (bool, error) {
	want, err := jsonvalue.DecodeString(m.Output)
	if err != nil {
		return false, fmt.Errorf("bench: machine %s: expected output: %w", m.Name, err)
	}
	got, err := jsonvalue.DecodeString(output)
	if err != nil {
		return false, fmt.Errorf("bench: machine %s: output %.200q: %w", m.Name, output, err)
	}
	return jsonvalue.Equal(want, got), nil
}
