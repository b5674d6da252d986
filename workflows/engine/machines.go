package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/asl"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

// stateMachine is a state machine and its revisions. Guarded by Engine.mu, except the list of
// executions, guarded by its own mutex.
type stateMachine struct {
	seq       uint64
	arn       string
	name      string
	typ       string
	created   time.Time
	current   *revision
	revisions map[string]*revision
	deleted   bool

	listMu     sync.Mutex
	executions []*execution // in start order, oldest first; evicted ones are dropped lazily
	evicted    int
}

// addExecution appends a new execution to the machine's list.
func (sm *stateMachine) addExecution(x *execution) {
	sm.listMu.Lock()
	sm.executions = append(sm.executions, x)
	sm.listMu.Unlock()
}

// executionEvicted counts a forgotten execution; the list drops them once they are many.
func (sm *stateMachine) executionEvicted() {
	sm.listMu.Lock()
	defer sm.listMu.Unlock()
	sm.evicted++
	if sm.evicted > 64 && sm.evicted*2 > len(sm.executions) {
		kept := sm.executions[:0]
		for _, x := range sm.executions {
			if !x.evicted.Load() {
				kept = append(kept, x)
			}
		}
		clear(sm.executions[len(kept):])
		sm.executions, sm.evicted = kept, 0
	}
}

// revision is one version of a state machine's definition and role; executions keep the
// revision they started with.
type revision struct {
	id         string
	definition string
	program    *asl.Program
	roleARN    string
	updated    time.Time
	// resources holds the parsed Resource of each Task state, by asl.State.ID (nil for the
	// other states), parsed once for every attempt of every execution.
	resources []*tasks.Resource
	// eventHint is how many events the last execution of this revision had, so that the next
	// one allocates its history once.
	eventHint atomic.Int32
}

// newRevision makes a revision of a compiled program.
func newRevision(id, definition string, program *asl.Program, roleARN string, updated time.Time) *revision {
	rev := &revision{id: id, definition: definition, program: program, roleARN: roleARN, updated: updated,
		resources: make([]*tasks.Resource, len(program.States))}
	for _, s := range program.States {
		if s.Type == asl.TypeTask {
			rev.resources[s.ID], _ = tasks.ParseResource(s.Resource)
		}
	}
	return rev
}

// resource returns the parsed Resource of a Task state of the revision's program. Compile
// has checked every Resource, so the error is only for a state that has none.
func (r *revision) resource(s *asl.State) (*tasks.Resource, error) {
	if res := r.resources[s.ID]; res != nil {
		return res, nil
	}
	return tasks.ParseResource(s.Resource)
}

// StateMachine describes a state machine (DescribeStateMachine).
type StateMachine struct {
	StateMachineArn string
	Name            string
	Status          string // ACTIVE
	Definition      string
	RoleArn         string
	Type            string // STANDARD
	CreationDate    time.Time
	// UpdateDate is when the revision was made.
	UpdateDate  time.Time
	RevisionId  string
	Description string
}

// StateMachineListItem is one entry of ListStateMachines.
type StateMachineListItem struct {
	StateMachineArn string
	Name            string
	Type            string
	CreationDate    time.Time
}

// CreateStateMachineInput is the input of CreateStateMachine.
type CreateStateMachineInput struct {
	Name       string
	Definition string
	RoleArn    string
	// Type is STANDARD (the default); EXPRESS is not supported.
	Type string
}

// CreateStateMachineOutput is the output of CreateStateMachine.
type CreateStateMachineOutput struct {
	StateMachineArn string
	CreationDate    time.Time
}

// Compile checks a definition as CreateStateMachine does and returns the compiled program; the
// error is an *Error with code InvalidDefinition.
func Compile(definition string) (*asl.Program, error) {
	prog, err := asl.Parse([]byte(definition), asl.Options{CheckResource: tasks.CheckResource})
	if err != nil {
		var verr *asl.ValidationError
		if errors.As(err, &verr) {
			return nil, &DefinitionError{Code: CodeInvalidDefinition, Message: verr.Error(), Problems: verr.Problems}
		}
		return nil, errorf(CodeInvalidDefinition, "Invalid State Machine Definition: '%v'", err)
	}
	return prog, nil
}

// DefinitionError is the InvalidDefinition error, with each problem found (state, field,
// reason) for callers that want more than the message.
type DefinitionError struct {
	Code     string
	Message  string
	Problems []asl.Problem
}

func (e *DefinitionError) Error() string { return e.Code + ": " + e.Message }

func newRevisionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (e *Engine) checkRole(role string) error {
	if role == "" {
		return nil
	}
	if !strings.HasPrefix(role, "arn:") || !strings.Contains(role, ":iam::") {
		return errorf(CodeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", role)
	}
	return nil
}

// CreateStateMachine creates a state machine. Creating one again with the same name,
// definition and role returns the existing one. Errors: InvalidName, InvalidDefinition,
// InvalidArn (role), StateMachineAlreadyExists (same name, different definition or role),
// StateMachineTypeNotSupported (EXPRESS), StateMachineDeleting.
func (e *Engine) CreateStateMachine(ctx context.Context, in CreateStateMachineInput) (*CreateStateMachineOutput, error) {
	if err := checkName("state machine", in.Name); err != nil {
		return nil, err
	}
	switch in.Type {
	case "", "STANDARD":
	case "EXPRESS":
		return nil, errorf(CodeStateMachineTypeNotSupp, "EXPRESS state machines are not supported by this engine; use STANDARD")
	default:
		return nil, errorf(CodeValidationException, "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", in.Type)
	}
	if err := e.checkRole(in.RoleArn); err != nil {
		return nil, err
	}
	role := in.RoleArn
	if role == "" {
		role = "arn:aws:iam::" + e.opts.Account + ":role/fasttrack-local"
	}
	prog, err := Compile(in.Definition)
	if err != nil {
		return nil, err
	}
	arn := e.stateMachineARN(in.Name)
	e.mu.Lock()
	if sm, ok := e.machines[arn]; ok {
		defer e.mu.Unlock()
		if sm.current.definition == in.Definition && sm.current.roleARN == role {
			return &CreateStateMachineOutput{StateMachineArn: arn, CreationDate: sm.created}, nil
		}
		return nil, errorf(CodeStateMachineAlreadyExists, "State Machine Already Exists: '%s'", arn)
	}
	now := e.now()
	e.nextMachineSeq++
	rev := newRevision(newRevisionID(), in.Definition, prog, role, now)
	sm := &stateMachine{seq: e.nextMachineSeq, arn: arn, name: in.Name, typ: "STANDARD", created: now, current: rev,
		revisions: map[string]*revision{rev.id: rev}}
	e.machines[arn] = sm
	e.allMachines[sm.seq] = sm
	if err := e.saveMachinesLocked(); err != nil {
		delete(e.machines, arn)
		delete(e.allMachines, sm.seq)
		e.mu.Unlock()
		return nil, err
	}
	e.mu.Unlock()
	return &CreateStateMachineOutput{StateMachineArn: arn, CreationDate: now}, nil
}

// machine finds a state machine by ARN. Errors: InvalidArn, StateMachineDoesNotExist.
func (e *Engine) machine(arn string) (*stateMachine, error) {
	if _, err := parseARN(arn, "stateMachine", 1); err != nil {
		return nil, err
	}
	sm, ok := e.machines[arn]
	if !ok || sm.deleted {
		return nil, errorf(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	return sm, nil
}

// DescribeStateMachine describes a state machine. Errors: InvalidArn, StateMachineDoesNotExist.
func (e *Engine) DescribeStateMachine(ctx context.Context, arn string) (*StateMachine, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	sm, err := e.machine(arn)
	if err != nil {
		return nil, err
	}
	return describeMachine(sm, sm.current), nil
}

func describeMachine(sm *stateMachine, rev *revision) *StateMachine {
	return &StateMachine{
		StateMachineArn: sm.arn, Name: sm.name, Status: "ACTIVE", Definition: rev.definition, RoleArn: rev.roleARN,
		Type: sm.typ, CreationDate: sm.created, UpdateDate: rev.updated, RevisionId: rev.id, Description: rev.program.Comment,
	}
}

// ListStateMachines lists state machines in creation order, maxResults at a time (100 when 0,
// at most 1000). Errors: InvalidToken.
func (e *Engine) ListStateMachines(ctx context.Context, maxResults int, nextToken string) ([]StateMachineListItem, string, error) {
	limit, err := pageSize(maxResults)
	if err != nil {
		return nil, "", err
	}
	after, err := parsePageToken(nextToken, "m")
	if err != nil {
		return nil, "", err
	}
	e.mu.RLock()
	all := make([]*stateMachine, 0, len(e.machines))
	for _, sm := range e.machines {
		if !sm.deleted && sm.seq > after {
			all = append(all, sm)
		}
	}
	e.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	var token string
	if len(all) > limit {
		all = all[:limit]
		token = pageToken("m", all[limit-1].seq)
	}
	out := make([]StateMachineListItem, len(all))
	for i, sm := range all {
		out[i] = StateMachineListItem{StateMachineArn: sm.arn, Name: sm.name, Type: sm.typ, CreationDate: sm.created}
	}
	return out, token, nil
}

// UpdateStateMachineInput is the input of UpdateStateMachine; nil fields stay as they are.
type UpdateStateMachineInput struct {
	StateMachineArn string
	Definition      *string
	RoleArn         *string
}

// UpdateStateMachineOutput is the output of UpdateStateMachine.
type UpdateStateMachineOutput struct {
	UpdateDate time.Time
	RevisionId string
}

// UpdateStateMachine changes the definition or role of a state machine. Running executions
// keep the revision they started with. Errors: InvalidArn, StateMachineDoesNotExist,
// InvalidDefinition, ValidationException (nothing to update).
func (e *Engine) UpdateStateMachine(ctx context.Context, in UpdateStateMachineInput) (*UpdateStateMachineOutput, error) {
	if in.Definition == nil && in.RoleArn == nil {
		return nil, errorf(CodeValidationException, "Either the definition or the roleArn must be specified")
	}
	if _, err := parseARN(in.StateMachineArn, "stateMachine", 1); err != nil {
		return nil, err
	}
	var prog *asl.Program
	if in.Definition != nil {
		var err error
		if prog, err = Compile(*in.Definition); err != nil {
			return nil, err
		}
	}
	if in.RoleArn != nil {
		if err := e.checkRole(*in.RoleArn); err != nil {
			return nil, err
		}
	}
	e.mu.Lock()
	sm, err := e.machine(in.StateMachineArn)
	if err != nil {
		e.mu.Unlock()
		return nil, err
	}
	cur := sm.current
	definition, program, role := cur.definition, cur.program, cur.roleARN
	if prog != nil {
		definition, program = *in.Definition, prog
	}
	if in.RoleArn != nil && *in.RoleArn != "" {
		role = *in.RoleArn
	}
	rev := newRevision(newRevisionID(), definition, program, role, e.now())
	sm.current = rev
	sm.revisions[rev.id] = rev
	if err := e.saveMachinesLocked(); err != nil {
		sm.current = cur
		delete(sm.revisions, rev.id)
		e.mu.Unlock()
		return nil, err
	}
	e.mu.Unlock()
	return &UpdateStateMachineOutput{UpdateDate: rev.updated, RevisionId: rev.id}, nil
}

// DeleteStateMachine deletes a state machine; its running executions go on. Deleting one that
// does not exist succeeds, as on AWS. Errors: InvalidArn.
func (e *Engine) DeleteStateMachine(ctx context.Context, arn string) error {
	if _, err := parseARN(arn, "stateMachine", 1); err != nil {
		return err
	}
	e.mu.Lock()
	sm, ok := e.machines[arn]
	if !ok || sm.deleted {
		e.mu.Unlock()
		return nil
	}
	sm.deleted = true
	delete(e.machines, arn)
	if err := e.saveMachinesLocked(); err != nil {
		sm.deleted = false
		e.machines[arn] = sm
		e.mu.Unlock()
		return err
	}
	e.mu.Unlock()
	return nil
}

// waitDurable waits until journal record seq is on disk (nothing to wait for in memory mode).
func (e *Engine) waitDurable(ctx context.Context, seq uint64) error {
	if e.journal == nil || seq == 0 {
		return nil
	}
	if err := e.journal.WaitDurable(ctx.Done(), seq); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errorf(CodeInternalError, "the journal failed: %v", err)
	}
	return nil
}
