package bench

import (
	"context"
	"fmt"

	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

// Call is what every Task state of the tasks machine passes to its function.
type Call struct {
	Step  string `json:"step"`
	ID    string `json:"id"`
	Level int    `json:"level"`
}

// Reply is what every function of the tasks machine returns.
type Reply struct {
	OK    bool   `json:"ok"`
	Step  string `json:"step"`
	ID    string `json:"id"`
	Score int    `json:"score"`
}

// Answer is the trivial work every function does; scripts/peer-bench/functions.mjs does the
// same on the peer, so that both engines spend their time on orchestration, not on the work.
func Answer(_ context.Context, call Call) (Reply, error) {
	return Reply{OK: true, Step: call.Step, ID: call.ID, Score: call.Level * 10}, nil
}

// FunctionNames are the Lambda functions the tasks machine calls.
var FunctionNames = []string{"Assess", "Clearance", "Funds", "Insurance", "Approvals", "Roster", "Notify", "Activate", "Compensate"}

// NewDispatcher returns the local Lambda service with every function of the tasks machine
// registered (each one is Answer, called through the Lambda Go runtime's handler).
func NewDispatcher() (*tasks.Dispatcher, error) {
	d := tasks.NewDispatcher()
	for _, name := range FunctionNames {
		if err := d.Register(name, Answer); err != nil {
			return nil, fmt.Errorf("bench: register %s: %w", name, err)
		}
	}
	return d, nil
}
