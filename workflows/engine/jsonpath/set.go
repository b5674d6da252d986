package jsonpath

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// Set returns a new document: doc with value placed where the path points, which is how
// ResultPath combines a state's input and result. Objects on the way are copied (shallowly) and
// missing ones created; everything off the path is shared with doc, which is not changed. "$"
// returns value itself.
//
// Only Reference Paths on the state input can Set. The error says why the value cannot be placed:
// a step crosses something that is not an object (for a name) or an array (for an index), or an
// index is outside the array (Set does not grow arrays). Step Functions reports these as
// States.ResultPathMatchFailure.
func (p *Path) Set(doc, value any) (any, error) {
	if p.context {
		return nil, fmt.Errorf("cannot set %s: the context object ($$) cannot be written", p.text)
	}
	if !p.reference {
		return nil, fmt.Errorf("cannot set %s: only a Reference Path (names and single indexes) can place a value", p.text)
	}
	return p.set(0, doc, true, value)
}

// set places value at segments[i:] below node; present is false when node does not exist yet.
func (p *Path) set(i int, node any, present bool, value any) (any, error) {
	if i == len(p.segments) {
		return value, nil
	}
	s := &p.segments[i]
	switch s.kind {
	case segmentName:
		var m *jsonvalue.Object
		if present {
			var ok bool
			if m, ok = node.(*jsonvalue.Object); !ok {
				return nil, p.crossError(i, node, "an object")
			}
		}
		child, childPresent := m.Get(s.name)
		newChild, err := p.set(i+1, child, childPresent, value)
		if err != nil {
			return nil, err
		}
		// A key already there keeps its place; a new one goes at the end, as on AWS.
		return m.With(s.name, newChild), nil
	default: // segmentIndex: Reference Paths hold nothing else.
		if !present {
			return nil, fmt.Errorf("cannot set %s: %s does not exist, and only objects are created on the way", p.text, p.prefix(i))
		}
		a, ok := node.([]any)
		if !ok {
			return nil, p.crossError(i, node, "an array")
		}
		index := s.index
		if index < 0 {
			index += len(a)
		}
		if index < 0 || index >= len(a) {
			return nil, fmt.Errorf("cannot set %s: index %d is outside %s, which has %d elements", p.text, s.index, p.prefix(i), len(a))
		}
		newChild, err := p.set(i+1, a[index], true, value)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(a))
		copy(out, a)
		out[index] = newChild
		return out, nil
	}
}

func (p *Path) crossError(i int, node any, want string) error {
	return fmt.Errorf("cannot set %s: %s is %s, not %s", p.text, p.prefix(i), kindOf(node), want)
}

// prefix renders the first i steps of the path, for messages.
func (p *Path) prefix(i int) string {
	var b strings.Builder
	b.WriteString("$")
	for _, s := range p.segments[:i] {
		if s.kind == segmentIndex {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		} else {
			b.WriteString("['" + s.name + "']")
		}
	}
	return b.String()
}

// kindOf names the JSON type of v for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case *jsonvalue.Object:
		return "an object"
	case []any:
		return "an array"
	}
	return "a number"
}
