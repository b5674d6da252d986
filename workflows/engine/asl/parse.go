package asl

import (
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/choice"
	"github.com/fasttrack/fasttrack/workflows/engine/intrinsic"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonpath"
	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
	"github.com/fasttrack/fasttrack/workflows/engine/template"
)

// Options tune Parse.
type Options struct {
	// CheckResource, when set, is asked about every Task Resource that is a well-formed ARN. A
	// non-nil error becomes a problem at the state's Resource field, so that a definition using
	// a resource the runtime cannot run is refused on create, not halfway through an execution.
	CheckResource func(resource string) error
}

// Limits from the Amazon States Language and the Step Functions quotas.
const (
	maxStateNameLength = 80
	maxSeconds         = 99999999
	maxDelaySeconds    = 31622400
)

// Parse checks a definition and compiles it. A definition with problems returns a
// *ValidationError listing all of them.
func Parse(definition []byte, opts Options) (*Program, error) {
	p := &parser{opts: opts, names: map[string]string{}}
	prog := p.parse(definition)
	if len(p.problems) > 0 {
		return nil, &ValidationError{Problems: p.problems}
	}
	return prog, nil
}

type parser struct {
	opts     Options
	problems []Problem
	names    map[string]string // every state name in the program -> its location
	states   []*State
}

func (p *parser) add(code, location, state, field, format string, args ...any) {
	p.problems = append(p.problems, Problem{
		Code:     code,
		Location: location,
		State:    state,
		Field:    field,
		Message:  fmt.Sprintf(format, args...),
	})
}

func (p *parser) schema(location, state, field, format string, args ...any) {
	p.add(CodeSchema, location, state, field, format, args...)
}

var topLevelFields = map[string]bool{
	"Comment": true, "StartAt": true, "States": true, "TimeoutSeconds": true, "Version": true, "QueryLanguage": true,
}

func (p *parser) parse(definition []byte) *Program {
	raw, err := decodeOrdered(definition)
	if err != nil {
		p.add(CodeInvalidJSON, "", "", "", "The definition is not valid JSON: %v", err)
		return nil
	}
	top, ok := raw.(*object)
	if !ok {
		p.add(CodeInvalidJSON, "", "", "", "The definition must be a JSON object, not %s", jsonKind(raw))
		return nil
	}
	prog := &Program{Definition: string(definition)}
	if v, ok := top.get("QueryLanguage"); ok {
		if s, isString := v.(string); !isString || (s != "JSONPath" && s != "JSONata") {
			p.schema("/QueryLanguage", "", "QueryLanguage", "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]")
		} else if s == "JSONata" {
			p.add(CodeUnsupportedFeature, "/QueryLanguage", "", "QueryLanguage",
				"QueryLanguage 'JSONata' is not supported by this engine; write the definition with JSONPath")
			return nil
		}
	}
	for _, key := range top.duplicates {
		p.schema("/"+key, "", key, "Field '%s' appears more than once", key)
	}
	for _, key := range top.keys {
		if !topLevelFields[key] {
			p.schema("", "", key, "Field '%s' is not supported", key)
		}
	}
	if v, ok := top.get("Comment"); ok {
		prog.Comment = p.stringField(v, "/Comment", "", "Comment")
	}
	if v, ok := top.get("Version"); ok {
		if s, isString := v.(string); !isString || s != "1.0" {
			p.schema("/Version", "", "Version", "The field 'Version' should have one of these values: [1.0]")
		}
	}
	if v, ok := top.get("TimeoutSeconds"); ok {
		prog.TimeoutSeconds, _ = p.positiveInt(v, "/TimeoutSeconds", "", "TimeoutSeconds", 1, maxSeconds)
	}
	prog.Root = p.machine(top, "", nil, 0)
	prog.States = p.states
	if len(p.problems) > 0 {
		return nil
	}
	return prog
}

// machine parses StartAt and States of the top level, a branch or a Map processor.
func (p *parser) machine(obj *object, loc string, owner *State, branch int) *Machine {
	m := &Machine{States: map[string]*State{}, Owner: owner, Branch: branch}
	var startName string
	if v, ok := obj.get("StartAt"); !ok {
		p.schema(locOrRoot(loc), ownerName(owner), "StartAt", "These fields are required: [StartAt]")
	} else {
		startName = p.stringField(v, loc+"/StartAt", ownerName(owner), "StartAt")
	}
	rawStates, ok := obj.get("States")
	if !ok {
		p.schema(locOrRoot(loc), ownerName(owner), "States", "These fields are required: [States]")
		return m
	}
	statesObj, ok := rawStates.(*object)
	if !ok {
		p.schema(loc+"/States", ownerName(owner), "States", "The value for the field 'States' must be an object, not %s", jsonKind(rawStates))
		return m
	}
	if len(statesObj.keys) == 0 {
		p.schema(loc+"/States", ownerName(owner), "States", "The field 'States' must contain at least one state")
		return m
	}
	for _, name := range statesObj.duplicates {
		p.add(CodeDuplicateStateName, loc+"/States/"+name, name, "", "Duplicate State name: %s", name)
	}
	for _, name := range statesObj.keys {
		stateLoc := loc + "/States/" + name
		if first, seen := p.names[name]; seen {
			p.add(CodeDuplicateStateName, stateLoc, name, "", "Duplicate State name: %s (also at %s)", name, first)
		} else {
			p.names[name] = stateLoc
		}
		s := p.state(name, statesObj.values[name], stateLoc, m)
		if s != nil {
			m.States[name] = s
			m.Order = append(m.Order, s)
		}
	}
	if startName != "" {
		if s, ok := m.States[startName]; ok {
			m.StartAt = s
		} else if _, declared := statesObj.values[startName]; !declared {
			p.add(CodeMissingTarget, loc+"/StartAt", ownerName(owner), "StartAt", "Missing 'Next' target: %s", startName)
		}
	}
	p.link(m, loc, statesObj)
	return m
}

func locOrRoot(loc string) string {
	if loc == "" {
		return "/"
	}
	return loc
}

func ownerName(owner *State) string {
	if owner == nil {
		return ""
	}
	return owner.Name
}

// link resolves the transitions of a machine's states, then checks that the machine can end
// and that every state can be reached.
func (p *parser) link(m *Machine, loc string, declared *object) {
	resolve := func(target, where string, s *State) *State {
		t, ok := m.States[target]
		if !ok {
			// A state that is declared but could not be compiled has its own problem already.
			if _, isDeclared := declared.values[target]; !isDeclared {
				p.add(CodeMissingTarget, where, s.Name, lastField(where), "Missing 'Next' target: %s", target)
			}
			return nil
		}
		return t
	}
	for _, s := range m.Order {
		stateLoc := loc + "/States/" + s.Name
		if s.NextName != "" {
			s.Next = resolve(s.NextName, stateLoc+"/Next", s)
		}
		if s.DefaultName != "" {
			s.Default = resolve(s.DefaultName, stateLoc+"/Default", s)
		}
		for i, name := range s.choiceNames {
			if name != "" {
				s.ChoiceNext[i] = resolve(name, fmt.Sprintf("%s/Choices[%d]/Next", stateLoc, i), s)
			}
		}
		for i, c := range s.Catch {
			if c.NextName != "" {
				c.Next = resolve(c.NextName, fmt.Sprintf("%s/Catch[%d]/Next", stateLoc, i), s)
			}
		}
	}
	terminal := false
	for _, s := range m.Order {
		if s.End || s.Type == TypeSucceed || s.Type == TypeFail {
			terminal = true
			break
		}
	}
	if !terminal && len(m.Order) > 0 {
		p.add(CodeMissingEndState, "", ownerName(m.Owner), "", "Workflow has no terminal state")
		return
	}
	if m.StartAt == nil {
		return
	}
	reached := map[*State]bool{}
	stack := []*State{m.StartAt}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s == nil || reached[s] {
			continue
		}
		reached[s] = true
		stack = append(stack, s.Next, s.Default)
		stack = append(stack, s.ChoiceNext...)
		for _, c := range s.Catch {
			stack = append(stack, c.Next)
		}
	}
	for _, s := range m.Order {
		if !reached[s] {
			p.add(CodeMissingTarget, loc+"/States/"+s.Name, s.Name, "", "State \"%s\" is not reachable.", s.Name)
		}
	}
}

func lastField(loc string) string {
	if i := strings.LastIndexByte(loc, '/'); i >= 0 {
		return loc[i+1:]
	}
	return loc
}

// Fields each state type accepts besides Type and Comment.
var allowedFields = map[StateType][]string{
	TypePass:     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"},
	TypeTask:     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"},
	TypeChoice:   {"InputPath", "OutputPath", "Choices", "Default"},
	TypeWait:     {"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
	TypeSucceed:  {"InputPath", "OutputPath"},
	TypeFail:     {"Error", "Cause", "ErrorPath", "CausePath"},
	TypeParallel: {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Branches"},
	TypeMap:      {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ItemSelector", "ResultSelector", "Retry", "Catch", "Iterator", "ItemProcessor", "ItemsPath", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath"},
}

// Fields that Step Functions accepts but this engine does not run; they get a clear refusal
// instead of the generic "not supported".
var unsupportedFields = map[string]string{
	"Assign":       "workflow variables (Assign) are not supported by this engine",
	"ItemReader":   "Distributed Map (ItemReader) is not supported by this engine; use an inline Map",
	"ResultWriter": "Distributed Map (ResultWriter) is not supported by this engine; use an inline Map",
	"ItemBatcher":  "Distributed Map (ItemBatcher) is not supported by this engine; use an inline Map",
	"Label":        "Distributed Map (Label) is not supported by this engine; use an inline Map",
	"Arguments":    "JSONata fields (Arguments) are not supported by this engine; use JSONPath",
	"Output":       "JSONata fields (Output) are not supported by this engine; use JSONPath",
	"Items":        "JSONata fields (Items) are not supported by this engine; use JSONPath",
}

var stateTypes = map[string]StateType{
	"Pass": TypePass, "Task": TypeTask, "Choice": TypeChoice, "Wait": TypeWait,
	"Succeed": TypeSucceed, "Fail": TypeFail, "Parallel": TypeParallel, "Map": TypeMap,
}

func (p *parser) state(name string, raw any, loc string, m *Machine) *State {
	if len(name) == 0 || len(name) > maxStateNameLength {
		p.schema(loc, name, "", "State names must be 1 to %d characters long", maxStateNameLength)
	}
	obj, ok := raw.(*object)
	if !ok {
		p.schema(loc, name, "", "A state must be a JSON object, not %s", jsonKind(raw))
		return nil
	}
	for _, key := range obj.duplicates {
		p.schema(loc+"/"+key, name, key, "Field '%s' appears more than once", key)
	}
	rawType, ok := obj.get("Type")
	if !ok {
		p.schema(loc, name, "Type", "These fields are required: [Type]")
		return nil
	}
	typeName, _ := rawType.(string)
	typ, ok := stateTypes[typeName]
	if !ok {
		p.schema(loc+"/Type", name, "Type", "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]")
		return nil
	}
	s := &State{ID: len(p.states), Name: name, Type: typ, Machine: m}
	p.states = append(p.states, s)

	allowed := map[string]bool{"Type": true, "Comment": true, "QueryLanguage": true}
	for _, f := range allowedFields[typ] {
		allowed[f] = true
	}
	for _, key := range obj.keys {
		if allowed[key] {
			continue
		}
		if why, ok := unsupportedFields[key]; ok {
			p.add(CodeUnsupportedFeature, loc+"/"+key, name, key, "%s", why)
			continue
		}
		p.schema(loc, name, key, "Field '%s' is not supported", key)
	}
	if v, ok := obj.get("QueryLanguage"); ok {
		if lang, _ := v.(string); lang == "JSONata" {
			p.add(CodeUnsupportedFeature, loc+"/QueryLanguage", name, "QueryLanguage",
				"QueryLanguage 'JSONata' is not supported by this engine; write the state with JSONPath")
		} else if lang != "JSONPath" {
			p.schema(loc+"/QueryLanguage", name, "QueryLanguage", "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]")
		}
	}
	if v, ok := obj.get("Comment"); ok {
		s.Comment = p.stringField(v, loc+"/Comment", name, "Comment")
	}
	s.UsesContext = mentionsContext(obj)

	switch typ {
	case TypeSucceed, TypeFail:
		s.End = true
	case TypeChoice:
	default:
		p.transition(s, obj, loc)
	}
	if allowed["InputPath"] {
		s.InputPath = p.selector(obj, "InputPath", loc, name)
		s.OutputPath = p.selector(obj, "OutputPath", loc, name)
	}
	if allowed["ResultPath"] {
		if v, ok := obj.get("ResultPath"); ok {
			s.ResultPath = p.resultPath(v, loc+"/ResultPath", name, "ResultPath")
		}
	}
	if allowed["Parameters"] {
		if v, ok := obj.get("Parameters"); ok {
			s.Parameters = p.template(v, loc+"/Parameters", name, "Parameters")
		}
	}
	if allowed["ResultSelector"] {
		if v, ok := obj.get("ResultSelector"); ok {
			s.ResultSelector = p.template(v, loc+"/ResultSelector", name, "ResultSelector")
		}
	}
	if s.CanRetry() {
		p.retry(s, obj, loc)
		p.catch(s, obj, loc)
	}

	switch typ {
	case TypePass:
		if v, ok := obj.get("Result"); ok {
			s.Result, s.HasResult = plain(v), true
		}
	case TypeTask:
		p.task(s, obj, loc)
	case TypeChoice:
		p.choice(s, obj, loc)
	case TypeWait:
		p.wait(s, obj, loc)
	case TypeFail:
		p.fail(s, obj, loc)
	case TypeParallel:
		p.parallel(s, obj, loc)
	case TypeMap:
		p.mapState(s, obj, loc)
	}
	return s
}

func (p *parser) transition(s *State, obj *object, loc string) {
	next, hasNext := obj.get("Next")
	end, hasEnd := obj.get("End")
	if hasEnd {
		b, ok := end.(bool)
		if !ok {
			p.schema(loc+"/End", s.Name, "End", "The value for the field 'End' must be a boolean, not %s", jsonKind(end))
		}
		s.End = b
	}
	if hasNext {
		s.NextName = p.stringField(next, loc+"/Next", s.Name, "Next")
	}
	switch {
	case hasNext && s.End:
		p.schema(loc, s.Name, "End", "There should only be one of the following fields: [Next, End]")
	case !hasNext && !s.End:
		p.schema(loc, s.Name, "Next", "These fields are required: [Next] (or \"End\": true)")
	}
}

func (p *parser) stringField(v any, loc, state, field string) string {
	s, ok := v.(string)
	if !ok {
		p.schema(loc, state, field, "The value for the field '%s' must be a string, not %s", field, jsonKind(v))
	}
	return s
}

// onlyFields refuses every field of obj (a retrier, a catcher, a branch: an entry of the
// state's field) that is not one of allowed.
func (p *parser) onlyFields(obj *object, loc, state, field string, allowed ...string) {
	for _, key := range obj.keys {
		if !slices.Contains(allowed, key) {
			p.schema(loc, state, field, "Field '%s' is not supported", key)
		}
	}
}

// integer returns v as an int64 if it is a JSON number with an integral value.
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func (p *parser) positiveInt(v any, loc, state, field string, min, max int64) (int64, bool) {
	i, ok := integer(v)
	if !ok {
		p.schema(loc, state, field, "The value for the field '%s' must be an integer, not %s", field, describe(v))
		return 0, false
	}
	if i < min {
		p.schema(loc, state, field, "The value for the field '%s' must be at least %d", field, min)
		return 0, false
	}
	if i > max {
		p.schema(loc, state, field, "The value for the field '%s' must be at most %d", field, max)
		return 0, false
	}
	return i, true
}

func describe(v any) string {
	if n, ok := v.(json.Number); ok {
		return string(n)
	}
	return jsonKind(v)
}

func (p *parser) path(v any, loc, state, field string, reference, allowContext bool) *Path {
	text, ok := v.(string)
	if !ok {
		p.schema(loc, state, field, "The value for the field '%s' must be a string, not %s", field, jsonKind(v))
		return nil
	}
	compiled, err := compilePath(text, reference, allowContext)
	if err != nil {
		kind := "a valid JSONPath"
		if reference {
			kind = "a valid Reference Path"
		}
		p.schema(loc, state, field, "The value for the field '%s' must be %s: %v", field, kind, err)
		return nil
	}
	return compiled
}

func compilePath(text string, reference, allowContext bool) (*Path, error) {
	var compiled *jsonpath.Path
	var err error
	if reference {
		compiled, err = jsonpath.CompileReference(text)
	} else {
		compiled, err = jsonpath.Compile(text)
	}
	if err != nil {
		return nil, err
	}
	if compiled.Context() && !allowContext {
		return nil, fmt.Errorf("the context object ($$) cannot be used here")
	}
	return &Path{Text: text, Context: compiled.Context(), path: compiled}, nil
}

func (p *parser) selector(obj *object, field, loc, state string) Selector {
	v, ok := obj.get(field)
	if !ok {
		return Selector{}
	}
	if v == nil {
		return Selector{Null: true}
	}
	return Selector{Path: p.path(v, loc+"/"+field, state, field, false, true)}
}

func (p *parser) resultPath(v any, loc, state, field string) ResultPathField {
	if v == nil {
		return ResultPathField{Null: true}
	}
	return ResultPathField{Path: p.path(v, loc, state, field, true, false)}
}

func (p *parser) template(v any, loc, state, field string) *template.Template {
	if _, ok := v.(*object); !ok {
		p.schema(loc, state, field, "The value for the field '%s' must be an object, not %s", field, jsonKind(v))
		return nil
	}
	t, err := template.CompileNamed(field, plain(v))
	if err != nil {
		p.schema(loc, state, field, "%v", err)
		return nil
	}
	return t
}

func (p *parser) errorEquals(obj *object, loc, state, kind string, last bool) []string {
	raw, ok := obj.get("ErrorEquals")
	if !ok {
		p.schema(loc, state, kind, "These fields are required: [ErrorEquals]")
		return nil
	}
	arr, ok := raw.([]any)
	if !ok || len(arr) == 0 {
		p.schema(loc+"/ErrorEquals", state, kind, "The field 'ErrorEquals' must be a non-empty array of error names")
		return nil
	}
	names := make([]string, 0, len(arr))
	for i, v := range arr {
		s, ok := v.(string)
		if !ok || s == "" {
			p.schema(fmt.Sprintf("%s/ErrorEquals[%d]", loc, i), state, kind, "An error name must be a non-empty string")
			continue
		}
		names = append(names, s)
	}
	for _, n := range names {
		if n == states.ErrAll {
			if len(arr) != 1 {
				p.schema(loc+"/ErrorEquals", state, kind, "'States.ALL' must appear alone in ErrorEquals")
			}
			if !last {
				entry := "catcher"
				if kind == "Retry" {
					entry = "retrier"
				}
				p.schema(loc+"/ErrorEquals", state, kind, "The %s with 'States.ALL' must be the last one", entry)
			}
		}
	}
	return names
}

// entry is one object of a state's array field: a retrier or a catcher.
type entry struct {
	obj  *object
	loc  string
	last bool // the last element of the array
}

// entries yields the objects of a state's optional array of retriers or catchers, refusing a
// value that is not an array and, in their turn, the elements that are not objects (what
// names the element: "A retrier").
func (p *parser) entries(obj *object, loc, state, field, what string) iter.Seq[entry] {
	return func(yield func(entry) bool) {
		raw, ok := obj.get(field)
		if !ok {
			return
		}
		arr, ok := raw.([]any)
		if !ok {
			p.schema(loc+"/"+field, state, field, "The value for the field '%s' must be an array, not %s", field, jsonKind(raw))
			return
		}
		for i, v := range arr {
			entryLoc := fmt.Sprintf("%s/%s[%d]", loc, field, i)
			entryObj, ok := v.(*object)
			if !ok {
				p.schema(entryLoc, state, field, "%s must be an object, not %s", what, jsonKind(v))
				continue
			}
			if !yield(entry{obj: entryObj, loc: entryLoc, last: i == len(arr)-1}) {
				return
			}
		}
	}
}

func (p *parser) retry(s *State, obj *object, loc string) {
	for e := range p.entries(obj, loc, s.Name, "Retry", "A retrier") {
		robj, rloc := e.obj, e.loc
		r := &Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2.0}
		p.onlyFields(robj, rloc, s.Name, "Retry",
			"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment")
		r.ErrorEquals = p.errorEquals(robj, rloc, s.Name, "Retry", e.last)
		if v, ok := robj.get("IntervalSeconds"); ok {
			r.IntervalSeconds, _ = p.positiveInt(v, rloc+"/IntervalSeconds", s.Name, "IntervalSeconds", 1, maxSeconds)
		}
		if v, ok := robj.get("MaxAttempts"); ok {
			r.MaxAttempts, _ = p.positiveInt(v, rloc+"/MaxAttempts", s.Name, "MaxAttempts", 0, maxSeconds)
		}
		if v, ok := robj.get("BackoffRate"); ok {
			n, isNumber := v.(json.Number)
			f, err := strconv.ParseFloat(string(n), 64)
			if !isNumber || err != nil || f < 1.0 {
				p.schema(rloc+"/BackoffRate", s.Name, "BackoffRate", "The value for the field 'BackoffRate' must be a number of at least 1.0")
			} else {
				r.BackoffRate = f
			}
		}
		if v, ok := robj.get("MaxDelaySeconds"); ok {
			r.MaxDelaySeconds, _ = p.positiveInt(v, rloc+"/MaxDelaySeconds", s.Name, "MaxDelaySeconds", 1, maxDelaySeconds)
		}
		if v, ok := robj.get("JitterStrategy"); ok {
			switch v {
			case "FULL":
				r.JitterFull = true
			case "NONE":
			default:
				p.schema(rloc+"/JitterStrategy", s.Name, "JitterStrategy", "The field 'JitterStrategy' should have one of these values: [FULL, NONE]")
			}
		}
		s.Retry = append(s.Retry, r)
	}
}

func (p *parser) catch(s *State, obj *object, loc string) {
	for e := range p.entries(obj, loc, s.Name, "Catch", "A catcher") {
		cobj, cloc := e.obj, e.loc
		c := &Catcher{}
		p.onlyFields(cobj, cloc, s.Name, "Catch", "ErrorEquals", "Next", "ResultPath", "Comment")
		c.ErrorEquals = p.errorEquals(cobj, cloc, s.Name, "Catch", e.last)
		if v, ok := cobj.get("Next"); ok {
			c.NextName = p.stringField(v, cloc+"/Next", s.Name, "Next")
		} else {
			p.schema(cloc, s.Name, "Catch", "These fields are required: [Next]")
		}
		if v, ok := cobj.get("ResultPath"); ok {
			c.ResultPath = p.resultPath(v, cloc+"/ResultPath", s.Name, "ResultPath")
		}
		s.Catch = append(s.Catch, c)
	}
}

func (p *parser) task(s *State, obj *object, loc string) {
	raw, ok := obj.get("Resource")
	if !ok {
		p.schema(loc, s.Name, "Resource", "These fields are required: [Resource]")
	} else {
		s.Resource = p.stringField(raw, loc+"/Resource", s.Name, "Resource")
		if s.Resource != "" {
			if err := checkARN(s.Resource); err != nil {
				p.add(CodeInvalidResource, loc+"/Resource", s.Name, "Resource", "%v", err)
			} else if p.opts.CheckResource != nil {
				if err := p.opts.CheckResource(s.Resource); err != nil {
					p.add(CodeUnsupportedResource, loc+"/Resource", s.Name, "Resource", "%v", err)
				}
			}
		}
	}
	s.TimeoutSeconds, _, s.TimeoutSecondsPath = p.intOrPath(obj, loc, s.Name, "TimeoutSeconds", 1, maxSeconds)
	s.HeartbeatSeconds, _, s.HeartbeatSecondsPath = p.intOrPath(obj, loc, s.Name, "HeartbeatSeconds", 1, maxSeconds)
	if s.HeartbeatSeconds > 0 && s.TimeoutSeconds > 0 && s.HeartbeatSeconds >= s.TimeoutSeconds {
		p.schema(loc+"/HeartbeatSeconds", s.Name, "HeartbeatSeconds", "HeartbeatSeconds must be smaller than TimeoutSeconds")
	}
	if v, ok := obj.get("Credentials"); ok {
		if _, isObject := v.(*object); !isObject {
			p.schema(loc+"/Credentials", s.Name, "Credentials", "The value for the field 'Credentials' must be an object, not %s", jsonKind(v))
		}
	}
}

// checkARN checks the shape of a Task Resource: arn:partition:service:region:account:resource.
func checkARN(resource string) error {
	parts := strings.SplitN(resource, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return fmt.Errorf("the value is not a valid resource ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE): %q", resource)
	}
	return nil
}

func (p *parser) choice(s *State, obj *object, loc string) {
	raw, ok := obj.get("Choices")
	if !ok {
		p.schema(loc, s.Name, "Choices", "These fields are required: [Choices]")
	} else if arr, isArray := raw.([]any); !isArray || len(arr) == 0 {
		p.schema(loc+"/Choices", s.Name, "Choices", "The field 'Choices' must be a non-empty array of Choice Rules")
	} else {
		s.Choices = make([]*choice.Rule, len(arr))
		s.ChoiceNext = make([]*State, len(arr))
		s.choiceNames = make([]string, len(arr))
		for i, v := range arr {
			rloc := fmt.Sprintf("%s/Choices[%d]", loc, i)
			robj, isObject := v.(*object)
			if !isObject {
				p.schema(rloc, s.Name, "Choices", "A Choice Rule must be an object, not %s", jsonKind(v))
				continue
			}
			next, hasNext := robj.get("Next")
			if !hasNext {
				p.schema(rloc, s.Name, "Choices", "These fields are required: [Next]")
				continue
			}
			// The target counts for reachability even when the rule itself is wrong.
			s.choiceNames[i] = p.stringField(next, rloc+"/Next", s.Name, "Next")
			rule, err := choice.Compile(plain(robj).(*jsonvalue.Object))
			if err != nil {
				p.schema(rloc, s.Name, "Choices", "%v", err)
				continue
			}
			s.Choices[i] = rule
		}
	}
	if v, ok := obj.get("Default"); ok {
		s.DefaultName = p.stringField(v, loc+"/Default", s.Name, "Default")
	}
}

func (p *parser) wait(s *State, obj *object, loc string) {
	count := 0
	if v, ok := obj.get("Seconds"); ok {
		count++
		s.Seconds, s.HasSeconds = p.positiveInt(v, loc+"/Seconds", s.Name, "Seconds", 0, maxSeconds)
	}
	if v, ok := obj.get("Timestamp"); ok {
		count++
		text := p.stringField(v, loc+"/Timestamp", s.Name, "Timestamp")
		if ts, err := ParseTimestamp(text); err != nil {
			p.schema(loc+"/Timestamp", s.Name, "Timestamp", "The value for the field 'Timestamp' must be an RFC3339 timestamp: %q", text)
		} else {
			s.Timestamp, s.HasTimestamp = ts, true
		}
	}
	if v, ok := obj.get("SecondsPath"); ok {
		count++
		s.SecondsPath = p.path(v, loc+"/SecondsPath", s.Name, "SecondsPath", true, false)
	}
	if v, ok := obj.get("TimestampPath"); ok {
		count++
		s.TimestampPath = p.path(v, loc+"/TimestampPath", s.Name, "TimestampPath", true, false)
	}
	if count != 1 {
		p.schema(loc, s.Name, "Seconds", "Exactly one of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]")
	}
}

// ParseTimestamp reads a timestamp as the States Language defines it: RFC3339 with an
// uppercase T and, without an offset, an uppercase Z.
func ParseTimestamp(s string) (time.Time, error) {
	if strings.ContainsAny(s, "tz ") {
		return time.Time{}, fmt.Errorf("not an RFC3339 timestamp: %q", s)
	}
	return time.Parse(time.RFC3339Nano, s)
}

func (p *parser) fail(s *State, obj *object, loc string) {
	s.Error, s.ErrorPath = p.textOrDynamic(obj, loc, s.Name, "Error")
	s.Cause, s.CausePath = p.textOrDynamic(obj, loc, s.Name, "Cause")
}

// fieldOrPath gets a field and its Path variant (such as TimeoutSeconds and
// TimeoutSecondsPath), which exclude each other.
func (p *parser) fieldOrPath(obj *object, loc, state, name string) (value, path any, hasValue, hasPath bool) {
	value, hasValue = obj.get(name)
	path, hasPath = obj.get(name + "Path")
	if hasValue && hasPath {
		p.schema(loc, state, name, "There should only be one of the following fields: [%s, %sPath]", name, name)
	}
	return value, path, hasValue, hasPath
}

// intOrPath reads an integer field in [min, max] or its Reference Path variant; ok is true
// when the integer is given and valid.
func (p *parser) intOrPath(obj *object, loc, state, name string, min, max int64) (n int64, ok bool, path *Path) {
	value, pathValue, hasValue, hasPath := p.fieldOrPath(obj, loc, state, name)
	if hasValue {
		n, ok = p.positiveInt(value, loc+"/"+name, state, name, min, max)
	}
	if hasPath {
		path = p.path(pathValue, loc+"/"+name+"Path", state, name+"Path", true, false)
	}
	return n, ok, path
}

// textOrDynamic reads a string field or its Path variant (a Reference Path or an intrinsic
// function).
func (p *parser) textOrDynamic(obj *object, loc, state, name string) (text string, dynamic *Dynamic) {
	value, pathValue, hasValue, hasPath := p.fieldOrPath(obj, loc, state, name)
	if hasValue {
		text = p.stringField(value, loc+"/"+name, state, name)
	}
	if hasPath {
		dynamic = p.dynamic(pathValue, loc+"/"+name+"Path", state, name+"Path")
	}
	return text, dynamic
}

func (p *parser) dynamic(v any, loc, state, field string) *Dynamic {
	text, ok := v.(string)
	if !ok {
		p.schema(loc, state, field, "The value for the field '%s' must be a string, not %s", field, jsonKind(v))
		return nil
	}
	if intrinsic.IsCall(text) {
		call, err := intrinsic.Parse(text)
		if err != nil {
			p.schema(loc, state, field, "The value for the field '%s' is not a valid intrinsic function: %v", field, err)
			return nil
		}
		return &Dynamic{Text: text, call: call}
	}
	path, err := compilePath(text, true, true)
	if err != nil {
		p.schema(loc, state, field, "The value for the field '%s' must be a Reference Path or an intrinsic function: %v", field, err)
		return nil
	}
	return &Dynamic{Text: text, path: path}
}

func (p *parser) parallel(s *State, obj *object, loc string) {
	raw, ok := obj.get("Branches")
	if !ok {
		p.schema(loc, s.Name, "Branches", "These fields are required: [Branches]")
		return
	}
	arr, ok := raw.([]any)
	if !ok || len(arr) == 0 {
		p.schema(loc+"/Branches", s.Name, "Branches", "The field 'Branches' must be a non-empty array of state machines")
		return
	}
	for i, v := range arr {
		bloc := fmt.Sprintf("%s/Branches[%d]", loc, i)
		bobj, ok := v.(*object)
		if !ok {
			p.schema(bloc, s.Name, "Branches", "A branch must be an object, not %s", jsonKind(v))
			continue
		}
		p.onlyFields(bobj, bloc, s.Name, "Branches", "StartAt", "States", "Comment")
		s.Branches = append(s.Branches, p.machine(bobj, bloc, s, i))
	}
}

func (p *parser) mapState(s *State, obj *object, loc string) {
	processor, hasProcessor := obj.get("ItemProcessor")
	iterator, hasIterator := obj.get("Iterator")
	field := "ItemProcessor"
	switch {
	case hasProcessor && hasIterator:
		p.schema(loc, s.Name, "ItemProcessor", "There should only be one of the following fields: [ItemProcessor, Iterator]")
	case !hasProcessor && !hasIterator:
		p.schema(loc, s.Name, "ItemProcessor", "These fields are required: [ItemProcessor]")
	case hasIterator:
		processor, field = iterator, "Iterator"
	}
	if processor != nil {
		ploc := loc + "/" + field
		pobj, ok := processor.(*object)
		if !ok {
			p.schema(ploc, s.Name, field, "The value for the field '%s' must be an object, not %s", field, jsonKind(processor))
		} else {
			for _, key := range pobj.keys {
				switch key {
				case "StartAt", "States", "Comment":
				case "ProcessorConfig":
					if field == "ItemProcessor" {
						p.processorConfig(pobj, ploc, s.Name)
						continue
					}
					fallthrough
				default:
					p.schema(ploc, s.Name, field, "Field '%s' is not supported", key)
				}
			}
			s.Iterator = p.machine(pobj, ploc, s, 0)
		}
	}
	if v, ok := obj.get("ItemsPath"); ok {
		s.ItemsPath = p.path(v, loc+"/ItemsPath", s.Name, "ItemsPath", true, true)
	}
	selector, hasSelector := obj.get("ItemSelector")
	if _, hasParameters := obj.get("Parameters"); hasParameters && hasSelector {
		p.schema(loc, s.Name, "ItemSelector", "There should only be one of the following fields: [ItemSelector, Parameters]")
	}
	if hasSelector {
		s.ItemSelector = p.template(selector, loc+"/ItemSelector", s.Name, "ItemSelector")
	} else {
		// In a Map state Parameters is the older name of ItemSelector.
		s.ItemSelector, s.Parameters = s.Parameters, nil
	}

	s.MaxConcurrency, _, s.MaxConcurrencyPath = p.intOrPath(obj, loc, s.Name, "MaxConcurrency", 0, math.MaxInt32)
	s.ToleratedFailureCount, s.HasToleratedFailureCount, s.ToleratedFailureCountPath =
		p.intOrPath(obj, loc, s.Name, "ToleratedFailureCount", 0, math.MaxInt32)

	pct, pctPath, hasPct, hasPctPath := p.fieldOrPath(obj, loc, s.Name, "ToleratedFailurePercentage")
	if hasPct {
		n, isNumber := pct.(json.Number)
		f, err := strconv.ParseFloat(string(n), 64)
		switch {
		case !isNumber || err != nil:
			p.schema(loc+"/ToleratedFailurePercentage", s.Name, "ToleratedFailurePercentage", "The value for the field 'ToleratedFailurePercentage' must be a number, not %s", jsonKind(pct))
		case f < 0:
			p.schema(loc+"/ToleratedFailurePercentage", s.Name, "ToleratedFailurePercentage", "Minimum value is 0.0")
		case f > 100:
			p.schema(loc+"/ToleratedFailurePercentage", s.Name, "ToleratedFailurePercentage", "Maximum value is 100.0")
		default:
			s.ToleratedFailurePercentage, s.HasToleratedFailurePercentage = f, true
		}
	}
	if hasPctPath {
		s.ToleratedFailurePercentagePath = p.path(pctPath, loc+"/ToleratedFailurePercentagePath", s.Name, "ToleratedFailurePercentagePath", true, false)
	}
}

func (p *parser) processorConfig(processor *object, loc, state string) {
	raw, _ := processor.get("ProcessorConfig")
	cfg, ok := raw.(*object)
	if !ok {
		p.schema(loc+"/ProcessorConfig", state, "ProcessorConfig", "The value for the field 'ProcessorConfig' must be an object, not %s", jsonKind(raw))
		return
	}
	keys := append([]string(nil), cfg.keys...)
	sort.Strings(keys)
	for _, key := range keys {
		v := cfg.values[key]
		switch key {
		case "Mode":
			switch v {
			case "INLINE":
			case "DISTRIBUTED":
				p.add(CodeUnsupportedFeature, loc+"/ProcessorConfig/Mode", state, "Mode", "Distributed Map is not supported by this engine; use \"Mode\": \"INLINE\"")
			default:
				p.schema(loc+"/ProcessorConfig/Mode", state, "Mode", "The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]")
			}
		case "ExecutionType":
			p.add(CodeUnsupportedFeature, loc+"/ProcessorConfig/ExecutionType", state, "ExecutionType", "ExecutionType applies to Distributed Map, which is not supported by this engine")
		default:
			p.schema(loc+"/ProcessorConfig", state, "ProcessorConfig", "Field '%s' is not supported", key)
		}
	}
}
