package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// PeerOptions say how to run the peer's script.
type PeerOptions struct {
	// Node is the Node 22+ binary; Script is scripts/peer-bench/run.mjs.
	Node   string
	Script string
	// Executions, Warmup, Concurrency and MaxDuration are as in Config.
	Executions  int
	Warmup      int
	Concurrency int
	MaxDuration time.Duration
}

// RunPeer runs machine m on the peer in a Node process of its own and checks its output.
// The machine's definition and input are written to a temporary directory, so that the peer
// runs exactly the bytes our engine runs.
func RunPeer(ctx context.Context, m Machine, opts PeerOptions) (Result, error) {
	dir, err := os.MkdirTemp("", "bench-peer-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	definition, input := filepath.Join(dir, m.Name+".asl.json"), filepath.Join(dir, m.Name+".input.json")
	if err := os.WriteFile(definition, []byte(m.Definition), 0o600); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(input, []byte(m.Input), 0o600); err != nil {
		return Result{}, err
	}
	seconds := 3600.0
	if opts.MaxDuration > 0 {
		seconds = opts.MaxDuration.Seconds()
	}
	cmd := exec.CommandContext(ctx, opts.Node, opts.Script,
		"--definition", definition, "--input", input,
		"--executions", strconv.Itoa(opts.Executions), "--warmup", strconv.Itoa(opts.Warmup),
		"--concurrency", strconv.Itoa(opts.Concurrency), "--seconds", strconv.FormatFloat(seconds, 'f', -1, 64))
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("bench: peer on %s: %s: %w", m.Name, cmd, err)
	}
	var result Result
	if err := json.Unmarshal(stdout.Bytes(), &result); err != nil {
		return Result{}, fmt.Errorf("bench: peer on %s printed %.300q: %w", m.Name, stdout.String(), err)
	}
	result.Machine = m.Name
	same, err := m.SameOutput(string(result.Output))
	if err != nil {
		return Result{}, err
	}
	if !same {
		return Result{}, fmt.Errorf("bench: the peer's output on %s is %.300s, not the expected one", m.Name, result.Output)
	}
	return result, nil
}
