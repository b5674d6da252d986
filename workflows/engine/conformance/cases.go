// Package conformance holds the conformance suite of the embedded Step Functions engine: cases
// written from the AWS documentation (testdata/cases/<area>/<name>.json), the test Lambda
// functions they call, and the runner (conformance_test.go) that runs every case through the
// engine's Step Functions API server with the unmodified aws-sdk-go-v2 sfn client. The same cases
// run on a peer interpreter with `make conformance-peer` (scripts/peer/conformance.mjs).
package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// Case is one conformance case: a definition, an input and what AWS documents as the outcome.
type Case struct {
	// ID is <area>/<name>, from the file's place under the cases directory.
	ID string `json:"-"`
	// Area is the directory the case sits in (pass, choice, retry, ...).
	Area string `json:"-"`
	// Name is the case's name; it matches the file name.
	Name string `json:"name"`
	// Source is the AWS documentation page and section (or states-language.net section) the
	// expectation comes from.
	Source string `json:"source"`
	// Comment explains anything about the case that the definition does not show.
	Comment string `json:"comment,omitempty"`
	// Definition is the state machine, as a JSON object.
	Definition json.RawMessage `json:"definition,omitempty"`
	// DefinitionText, when set, is sent as the definition verbatim (for definitions that are
	// not JSON at all).
	DefinitionText *string `json:"definitionText,omitempty"`
	// Input is the execution input.
	Input json.RawMessage `json:"input"`
	// Expect is the expected outcome.
	Expect Expectation `json:"expect"`
	// Events is a subsequence of history event types that must appear in this order.
	Events []string `json:"events,omitempty"`
	// Lambdas names the test functions the definition calls.
	Lambdas []string `json:"lambdas,omitempty"`
	// ExecutionName is the execution's name; the runner picks one when empty.
	ExecutionName string `json:"executionName,omitempty"`
	// StateMachineName is the state machine's name; the runner picks one when empty.
	StateMachineName string `json:"stateMachineName,omitempty"`
	// ElapsedSeconds is the expected time from start to stop on the suite's clock: a number
	// (exact), or {"min": a, "max": b}.
	ElapsedSeconds *Elapsed `json:"elapsedSeconds,omitempty"`
	// Tables are DynamoDB tables the runner creates before the case; "${Name}" in the
	// definition stands for the real, unique table name.
	Tables []Table `json:"tables,omitempty"`
	// PeerDiffers says where the peer is known to differ from AWS on this case.
	PeerDiffers string `json:"peerDiffers,omitempty"`
	// PeerSkip says why the peer cannot run this case at all.
	PeerSkip string `json:"peerSkip,omitempty"`
}

// Expectation is the outcome a case expects: an execution status (with output, or error and
// cause), or a refused definition.
type Expectation struct {
	// Status is SUCCEEDED, FAILED or TIMED_OUT; empty when CreateError is set.
	Status string `json:"status,omitempty"`
	// Output is the expected execution output, compared as JSON (numbers by value). Absent
	// means the output is not checked.
	Output json.RawMessage `json:"output,omitempty"`
	// OrderedOutput compares the output's text instead, once both are compacted: object
	// members in the same order (as AWS keeps them), numbers spelled the same.
	OrderedOutput bool `json:"orderedOutput,omitempty"`
	// Error is the expected error name of a failed execution.
	Error string `json:"error,omitempty"`
	// Cause is the expected cause, exactly.
	Cause *string `json:"cause,omitempty"`
	// CauseContains is a part the cause must contain.
	CauseContains string `json:"causeContains,omitempty"`
	// CreateError is the error code CreateStateMachine must return (InvalidDefinition).
	CreateError string `json:"createError,omitempty"`
	// MessageContains are parts the CreateStateMachine error message must contain.
	MessageContains []string `json:"messageContains,omitempty"`
}

// Table is a DynamoDB table a case needs: a string partition key and the items to seed.
type Table struct {
	Name         string            `json:"name"`
	PartitionKey string            `json:"partitionKey"`
	Items        []json.RawMessage `json:"items,omitempty"`
}

// Elapsed is an expected duration in seconds: exact (Min == Max) or a range.
type Elapsed struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// UnmarshalJSON accepts a number or {"min": a, "max": b}.
func (e *Elapsed) UnmarshalJSON(data []byte) error {
	var exact float64
	if err := json.Unmarshal(data, &exact); err == nil {
		e.Min, e.Max = exact, exact
		return nil
	}
	type bounds Elapsed
	var b bounds
	if err := json.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("elapsedSeconds: want a number or {min, max}: %w", err)
	}
	if b.Max < b.Min {
		return fmt.Errorf("elapsedSeconds: max %v is below min %v", b.Max, b.Min)
	}
	*e = Elapsed(b)
	return nil
}

// The statuses a case can expect of an execution.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
)

var caseName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// LoadCases reads every case under dir (one directory per area) and checks that each is well
// formed: a name matching its file, a source, a definition, and exactly one kind of expectation.
func LoadCases(dir string) ([]Case, error) {
	var cases []Case
	var problems []error
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		c, err := loadCase(dir, path)
		if err != nil {
			problems = append(problems, err)
			return nil
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].ID < cases[j].ID })
	return cases, nil
}

func loadCase(root, path string) (Case, error) {
	var c Case
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return c, err
	}
	rel = filepath.ToSlash(strings.TrimSuffix(rel, ".json"))
	area, name, ok := strings.Cut(rel, "/")
	if !ok || strings.Contains(name, "/") {
		return c, fmt.Errorf("%s: a case file sits in exactly one area directory", rel)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%s: %w", rel, err)
	}
	c.ID, c.Area = rel, area
	if err := c.check(name); err != nil {
		return c, fmt.Errorf("%s: %w", rel, err)
	}
	return c, nil
}

func (c *Case) check(fileName string) error {
	switch {
	case c.Name != fileName:
		return fmt.Errorf("name %q differs from the file name %q", c.Name, fileName)
	case !caseName.MatchString(c.Name):
		return fmt.Errorf("name %q: use lower-case words joined by -", c.Name)
	case strings.TrimSpace(c.Source) == "":
		return errors.New("source is required: where the expectation comes from")
	case len(c.Definition) == 0 && c.DefinitionText == nil:
		return errors.New("definition is required")
	case len(c.Input) == 0:
		return errors.New("input is required")
	}
	e := c.Expect
	if e.OrderedOutput && len(e.Output) == 0 {
		return errors.New("expect: orderedOutput needs an output to compare")
	}
	if e.CreateError != "" {
		if e.Status != "" || len(e.Output) > 0 || e.Error != "" {
			return errors.New("expect: createError excludes status, output and error")
		}
		return nil
	}
	switch e.Status {
	case StatusSucceeded:
		if e.Error != "" || e.Cause != nil || e.CauseContains != "" {
			return errors.New("expect: a SUCCEEDED case has no error or cause")
		}
	case StatusFailed:
		if e.Error == "" {
			return errors.New("expect: a FAILED case names its error")
		}
		if len(e.Output) > 0 {
			return errors.New("expect: a FAILED case has no output")
		}
	case StatusTimedOut:
	default:
		return fmt.Errorf("expect: status %q is not SUCCEEDED, FAILED or TIMED_OUT", e.Status)
	}
	return nil
}

// DefinitionFor returns the definition text with every "${Name}" of tables replaced by the real
// table name given in names.
func (c *Case) DefinitionFor(names map[string]string) string {
	text := string(c.Definition)
	if c.DefinitionText != nil {
		text = *c.DefinitionText
	}
	for placeholder, real := range names {
		text = strings.ReplaceAll(text, "${"+placeholder+"}", real)
	}
	return text
}

// SameJSON reports whether two JSON texts hold the same value: objects with the same members,
// arrays with the same elements in order, and numbers equal by value (1 equals 1.0), compared
// exactly, never through float64.
func SameJSON(a, b []byte) (bool, error) {
	x, err := jsonvalue.Decode(a)
	if err != nil {
		return false, fmt.Errorf("first value: %w", err)
	}
	y, err := jsonvalue.Decode(b)
	if err != nil {
		return false, fmt.Errorf("second value: %w", err)
	}
	return sameValue(x, y), nil
}

func sameValue(x, y any) bool {
	switch x := x.(type) {
	case *jsonvalue.Object:
		y, ok := y.(*jsonvalue.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, m := range x.Members() {
			w, ok := y.Get(m.Key)
			if !ok || !sameValue(m.Value, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := y.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := y.(json.Number)
		if !ok {
			return false
		}
		p, okP := new(big.Rat).SetString(string(x))
		q, okQ := new(big.Rat).SetString(string(y))
		return okP && okQ && p.Cmp(q) == 0
	default:
		return x == y
	}
}

// SameText reports whether two JSON texts are the same text once compacted (insignificant
// whitespace removed): the same values with object members in the same order and numbers
// spelled the same.
func SameText(a, b []byte) (bool, error) {
	x, err := CompactText(a)
	if err != nil {
		return false, fmt.Errorf("first value: %w", err)
	}
	y, err := CompactText(b)
	if err != nil {
		return false, fmt.Errorf("second value: %w", err)
	}
	return x == y, nil
}

// CompactText is a JSON text without insignificant whitespace, its member order kept.
func CompactText(data []byte) (string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// HasSubsequence reports whether want appears in got in order, not necessarily adjacent. When
// it does not, it returns the index in want of the first element it could not place.
func HasSubsequence(got, want []string) (bool, int) {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want), i
}
