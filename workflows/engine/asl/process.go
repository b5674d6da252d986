package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// Get evaluates the path against input, or against the context object for a "$$" path.
func (p *Path) Get(input, context any) (any, bool) {
	if p.Context {
		return p.path.Get(context)
	}
	return p.path.Get(input)
}

// Set places value at the path inside doc, returning a new document (reference paths only).
func (p *Path) Set(doc, value any) (any, error) {
	return p.path.Set(doc, value)
}

func runtimeError(format string, args ...any) *states.Error {
	return states.NewError(states.ErrRuntime, fmt.Sprintf(format, args...))
}

func noResults(p *Path) *states.Error {
	return runtimeError("Invalid path '%s' : No results for path: %s", p.Text, p.Text)
}

func (sel Selector) apply(v, context any) (any, error) {
	switch {
	case sel.Null:
		return jsonvalue.EmptyObject(), nil
	case sel.Path == nil:
		return v, nil
	}
	out, ok := sel.Path.Get(v, context)
	if !ok {
		return nil, noResults(sel.Path)
	}
	return out, nil
}

// ApplyInputPath selects the part of the raw state input the state works on.
func (s *State) ApplyInputPath(raw, context any) (any, error) {
	return s.InputPath.apply(raw, context)
}

// ApplyOutputPath selects the part of the processed value that becomes the state output.
func (s *State) ApplyOutputPath(v, context any) (any, error) {
	return s.OutputPath.apply(v, context)
}

// ApplyParameters evaluates Parameters against the value after InputPath; without Parameters
// the value passes through.
func (s *State) ApplyParameters(v, context any) (any, error) {
	if s.Parameters == nil {
		return v, nil
	}
	return s.Parameters.Eval(v, context)
}

// EffectiveInput is InputPath then Parameters: what a Pass, Task or Parallel state works on.
func (s *State) EffectiveInput(raw, context any) (any, error) {
	v, err := s.ApplyInputPath(raw, context)
	if err != nil {
		return nil, err
	}
	return s.ApplyParameters(v, context)
}

// PassResult is a Pass state's result: its Result when it has one, its effective input
// otherwise.
func (s *State) PassResult(effective any) any {
	if s.HasResult {
		return s.Result
	}
	return effective
}

// ApplyResultSelector shapes a task, Parallel or Map result with ResultSelector.
func (s *State) ApplyResultSelector(result, context any) (any, error) {
	if s.ResultSelector == nil {
		return result, nil
	}
	return s.ResultSelector.Eval(result, context)
}

// ApplyResultPath combines the raw state input and the result as ResultPath says.
func (s *State) ApplyResultPath(raw, result any) (any, error) {
	return s.ResultPath.apply(raw, result)
}

// ApplyResultPath combines the raw state input and the error output as the catcher's
// ResultPath says.
func (c *Catcher) ApplyResultPath(raw, errorOutput any) (any, error) {
	return c.ResultPath.apply(raw, errorOutput)
}

func (r ResultPathField) apply(raw, result any) (any, error) {
	switch {
	case r.Null:
		return raw, nil
	case r.Path == nil:
		return result, nil
	}
	out, err := r.Path.Set(raw, result)
	if err != nil {
		input, _ := jsonvalue.EncodeString(raw)
		return nil, states.NewError(states.ErrResultPathMatchFailure,
			fmt.Sprintf("Unable to apply ReferencePath %s to input %s", r.Path.Text, input))
	}
	return out, nil
}

// Output finishes a state that produced result from raw input: ResultSelector (when
// selectResult is set), ResultPath, OutputPath.
func (s *State) Output(raw, result, context any, selectResult bool) (any, error) {
	var err error
	if selectResult {
		if result, err = s.ApplyResultSelector(result, context); err != nil {
			return nil, err
		}
	}
	merged, err := s.ApplyResultPath(raw, result)
	if err != nil {
		return nil, err
	}
	return s.ApplyOutputPath(merged, context)
}

// Matches reports whether an error name matches an ErrorEquals list. States.ALL matches every
// error but States.Runtime and States.DataLimitExceeded; States.TaskFailed matches every error
// but those and the timeouts; States.Timeout also matches States.HeartbeatTimeout (a heartbeat
// timeout is a timeout). States.Runtime is never retried or caught.
func Matches(errorEquals []string, name string) bool {
	if name == states.ErrRuntime {
		return false
	}
	terminal := name == states.ErrDataLimitExceeded
	timeout := name == states.ErrTimeout || name == states.ErrHeartbeatTimeout
	for _, e := range errorEquals {
		switch {
		case e == name:
			return true
		case e == states.ErrAll && !terminal:
			return true
		case e == states.ErrTaskFailed && !terminal && !timeout:
			return true
		case e == states.ErrTimeout && name == states.ErrHeartbeatTimeout:
			return true
		}
	}
	return false
}

// FindRetrier returns the index of the first retrier matching the error name, or -1.
func (s *State) FindRetrier(name string) int {
	for i, r := range s.Retry {
		if Matches(r.ErrorEquals, name) {
			return i
		}
	}
	return -1
}

// FindCatcher returns the index of the first catcher matching the error name, or -1.
func (s *State) FindCatcher(name string) int {
	for i, c := range s.Catch {
		if Matches(c.ErrorEquals, name) {
			return i
		}
	}
	return -1
}

// Delay is the wait before retry number attempt+1 (attempt counts the retries this retrier has
// already made): IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds, and with
// FULL jitter a uniformly random share of that (random returns a number in [0, 1)).
func (r *Retrier) Delay(attempt int64, random func() float64) time.Duration {
	seconds := float64(r.IntervalSeconds) * math.Pow(r.BackoffRate, float64(attempt))
	if r.MaxDelaySeconds > 0 && seconds > float64(r.MaxDelaySeconds) {
		seconds = float64(r.MaxDelaySeconds)
	}
	if seconds > maxSeconds {
		seconds = maxSeconds
	}
	if r.JitterFull && random != nil {
		seconds *= random()
	}
	return time.Duration(seconds * float64(time.Second)).Round(time.Millisecond)
}

// ChooseNext evaluates a Choice state's rules on its effective input (after InputPath) and
// returns the next state: the first rule that matches, else Default, else States.NoChoiceMatched.
func (s *State) ChooseNext(input, context any) (*State, error) {
	for i, rule := range s.Choices {
		ok, err := rule.EvalContext(input, context)
		if err != nil {
			return nil, err
		}
		if ok {
			return s.ChoiceNext[i], nil
		}
	}
	if s.Default != nil {
		return s.Default, nil
	}
	return nil, states.NewError(states.ErrNoChoiceMatched, "No Matches!")
}

// WaitUntil is the moment a Wait state entered at entered, with effective input input, stops
// waiting.
func (s *State) WaitUntil(entered time.Time, input, context any) (time.Time, error) {
	switch {
	case s.HasSeconds:
		return entered.Add(time.Duration(s.Seconds) * time.Second), nil
	case s.HasTimestamp:
		return s.Timestamp, nil
	case s.SecondsPath != nil:
		n, err := s.intAt(s.SecondsPath, input, context, 0)
		if err != nil {
			return time.Time{}, err
		}
		return entered.Add(time.Duration(n) * time.Second), nil
	case s.TimestampPath != nil:
		v, ok := s.TimestampPath.Get(input, context)
		if !ok {
			return time.Time{}, noResults(s.TimestampPath)
		}
		text, isString := v.(string)
		ts, err := ParseTimestamp(text)
		if !isString || err != nil {
			return time.Time{}, runtimeError("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.TimestampPath.Text, encode(v))
		}
		return ts, nil
	}
	return entered, nil
}

func encode(v any) string {
	s, err := jsonvalue.EncodeString(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// intAt reads a non-negative integer (at least min) at a path.
func (s *State) intAt(p *Path, input, context any, min int64) (int64, error) {
	v, ok := p.Get(input, context)
	if !ok {
		return 0, noResults(p)
	}
	n, isInt := integer(v)
	if !isInt || n < min || n > maxSeconds {
		if min > 0 {
			return 0, runtimeError("The value at %s must be a positive integer, not %s", p.Text, encode(v))
		}
		return 0, runtimeError("The value at %s must be a non-negative integer, not %s", p.Text, encode(v))
	}
	return n, nil
}

// TaskTimeouts resolves a Task state's TimeoutSeconds and HeartbeatSeconds (or their Path
// forms, read from the input after InputPath). Zero means none.
func (s *State) TaskTimeouts(input, context any) (timeout, heartbeat time.Duration, err error) {
	t, h := s.TimeoutSeconds, s.HeartbeatSeconds
	if s.TimeoutSecondsPath != nil {
		if t, err = s.intAt(s.TimeoutSecondsPath, input, context, 1); err != nil {
			return 0, 0, err
		}
	}
	if s.HeartbeatSecondsPath != nil {
		if h, err = s.intAt(s.HeartbeatSecondsPath, input, context, 1); err != nil {
			return 0, 0, err
		}
	}
	return time.Duration(t) * time.Second, time.Duration(h) * time.Second, nil
}

// MapItems selects a Map state's items with ItemsPath from its effective input.
func (s *State) MapItems(input, context any) ([]any, error) {
	v := input
	if s.ItemsPath != nil {
		var ok bool
		if v, ok = s.ItemsPath.Get(input, context); !ok {
			return nil, noResults(s.ItemsPath)
		}
	}
	items, ok := v.([]any)
	if !ok {
		path := "$"
		if s.ItemsPath != nil {
			path = s.ItemsPath.Text
		}
		return nil, runtimeError("Item selector '%s' must select a JSON array, but selected %s", path, encode(v))
	}
	return items, nil
}

// ItemInput is the input of one Map iteration: ItemSelector evaluated on the Map's effective
// input with the context object holding Map.Item, or the item itself.
func (s *State) ItemInput(input, item, context any) (any, error) {
	if s.ItemSelector == nil {
		return item, nil
	}
	return s.ItemSelector.Eval(input, context)
}

// MapLimits resolves a Map state's MaxConcurrency (0: no limit) and tolerated failures
// (negative: none set).
func (s *State) MapLimits(input, context any) (maxConcurrency int, toleratedCount int64, toleratedPercentage float64, err error) {
	maxConcurrency = int(s.MaxConcurrency)
	if s.MaxConcurrencyPath != nil {
		n, err := s.intAt(s.MaxConcurrencyPath, input, context, 0)
		if err != nil {
			return 0, 0, 0, err
		}
		maxConcurrency = int(n)
	}
	toleratedCount, toleratedPercentage = -1, -1
	if s.HasToleratedFailureCount {
		toleratedCount = s.ToleratedFailureCount
	}
	if s.ToleratedFailureCountPath != nil {
		if toleratedCount, err = s.intAt(s.ToleratedFailureCountPath, input, context, 0); err != nil {
			return 0, 0, 0, err
		}
	}
	if s.HasToleratedFailurePercentage {
		toleratedPercentage = s.ToleratedFailurePercentage
	}
	if p := s.ToleratedFailurePercentagePath; p != nil {
		v, ok := p.Get(input, context)
		if !ok {
			return 0, 0, 0, noResults(p)
		}
		n, isNumber := v.(json.Number)
		f, convErr := strconv.ParseFloat(string(n), 64)
		if !isNumber || convErr != nil || f < 0 || f > 100 {
			return 0, 0, 0, runtimeError("The value at %s must be a number from 0 to 100, not %s", p.Text, encode(v))
		}
		toleratedPercentage = f
	}
	return maxConcurrency, toleratedCount, toleratedPercentage, nil
}

// FailError resolves a Fail state's error name and cause.
func (s *State) FailError(input, context any) (name, cause string, err error) {
	name, cause = s.Error, s.Cause
	if s.ErrorPath != nil {
		if name, err = s.ErrorPath.eval(input, context); err != nil {
			return "", "", err
		}
	}
	if s.CausePath != nil {
		if cause, err = s.CausePath.eval(input, context); err != nil {
			return "", "", err
		}
	}
	return name, cause, nil
}

func (d *Dynamic) eval(input, context any) (string, error) {
	var v any
	if d.call != nil {
		var err error
		if v, err = d.call.Eval(input, context); err != nil {
			return "", err
		}
	} else {
		var ok bool
		if v, ok = d.path.Get(input, context); !ok {
			return "", noResults(d.path)
		}
	}
	s, ok := v.(string)
	if !ok {
		return "", runtimeError("The value of %s must be a string, not %s", d.Text, encode(v))
	}
	return s, nil
}
