package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// machinesFile keeps the state machines of a data directory. State machines change rarely and
// must outlive any segment of the journal, so they are not journal records: the whole set is
// written to a new file, synced and renamed over the old one on every change.
const machinesFile = "machines.json"

type storedMachines struct {
	Version  int             `json:"version"`
	NextSeq  uint64          `json:"nextSeq"`
	Machines []storedMachine `json:"machines"`
}

type storedMachine struct {
	Seq       uint64           `json:"seq"`
	ARN       string           `json:"arn"`
	Name      string           `json:"name"`
	Created   time.Time        `json:"created"`
	Deleted   bool             `json:"deleted,omitempty"`
	Current   string           `json:"current"`
	Revisions []storedRevision `json:"revisions"`
}

type storedRevision struct {
	ID         string    `json:"id"`
	Definition string    `json:"definition"`
	RoleARN    string    `json:"roleArn"`
	Updated    time.Time `json:"updated"`
}

// saveMachinesLocked writes every state machine to the data directory. Called with e.mu held.
func (e *Engine) saveMachinesLocked() error {
	if e.opts.DataDir == "" {
		return nil
	}
	doc := storedMachines{Version: 1, NextSeq: e.nextMachineSeq}
	for _, sm := range e.allMachines {
		m := storedMachine{Seq: sm.seq, ARN: sm.arn, Name: sm.name, Created: sm.created, Deleted: sm.deleted, Current: sm.current.id}
		for _, rev := range sm.revisions {
			m.Revisions = append(m.Revisions, storedRevision{ID: rev.id, Definition: rev.definition, RoleARN: rev.roleARN, Updated: rev.updated})
		}
		sort.Slice(m.Revisions, func(i, j int) bool { return m.Revisions[i].Updated.Before(m.Revisions[j].Updated) })
		doc.Machines = append(doc.Machines, m)
	}
	sort.Slice(doc.Machines, func(i, j int) bool { return doc.Machines[i].Seq < doc.Machines[j].Seq })
	data, err := json.Marshal(doc)
	if err != nil {
		return errorf(CodeInternalError, "cannot encode the state machines: %v", err)
	}
	if err := writeFileAtomic(filepath.Join(e.opts.DataDir, machinesFile), data, !e.opts.NoSync); err != nil {
		return errorf(CodeInternalError, "cannot save the state machines: %v", err)
	}
	return nil
}

// writeFileAtomic replaces path with data: a crash leaves the old file or the new one.
func writeFileAtomic(path string, data []byte, sync bool) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if sync {
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	return nil
}

// loadMachines reads the state machines of the data directory.
func (e *Engine) loadMachines() error {
	data, err := os.ReadFile(filepath.Join(e.opts.DataDir, machinesFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var doc storedMachines
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", machinesFile, err)
	}
	e.nextMachineSeq = doc.NextSeq
	for _, m := range doc.Machines {
		sm := &stateMachine{seq: m.Seq, arn: m.ARN, name: m.Name, typ: "STANDARD", created: m.Created.UTC(), deleted: m.Deleted,
			revisions: map[string]*revision{}}
		for _, r := range m.Revisions {
			prog, err := Compile(r.Definition)
			if err != nil {
				return fmt.Errorf("state machine %s revision %s no longer compiles: %w", m.ARN, r.ID, err)
			}
			sm.revisions[r.ID] = newRevision(r.ID, r.Definition, prog, r.RoleARN, r.Updated.UTC())
		}
		sm.current = sm.revisions[m.Current]
		if sm.current == nil {
			return fmt.Errorf("state machine %s: its current revision %s is missing", m.ARN, m.Current)
		}
		e.allMachines[sm.seq] = sm
		if !sm.deleted {
			e.machines[sm.arn] = sm
		}
		if sm.seq > e.nextMachineSeq {
			e.nextMachineSeq = sm.seq
		}
	}
	return nil
}
