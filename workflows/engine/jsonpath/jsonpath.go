// Package jsonpath implements the JSONPath that Step Functions accepts in InputPath, OutputPath,
// ItemsPath, the ".$" fields of payload templates, Choice variables and intrinsic function
// arguments. Step Functions evaluates these with Jayway JsonPath, so this package follows Jayway's
// syntax and results:
//
//   - $ the root; $$ the context object (the caller chooses which document to pass, see Context)
//   - .name and ['name'] (["name"] too) children; a dot name runs up to '.', '[' or '('
//   - [n] an index, negative from the end ([-1] is the last element)
//   - .* and [*] every child; ..x the deep scan (x a name, '*', or a bracket)
//   - ['a','b'] and [0,1] unions; [1:3], [:2], [-2:] slices (no steps)
//   - [?(...)] filters: @ and $ paths of names and indexes, string, number, true, false and null
//     literals, ==, !=, <, <=, >, >=, &&, ||, ! and parentheses; [?(@.isbn)] tests presence. On an
//     array a filter tests every element, scalars included ($[?(@ == 'x')], $.list[?(@ > 2)]),
//     as Jayway does; on an object it tests the object itself
//   - objects are visited in document order (wildcards, deep scans), as Jayway's JSON provider
//     keeps it
//
// A definite path (names and single indexes only, or a union of names as its last step) selects
// at most one node; any other path selects a list. A Reference Path (ResultPath, Choice
// Variable, the *Path fields) may hold only names and single indexes: CompileReference enforces
// that, and only such paths can Set.
//
// A compiled Path is immutable and safe for concurrent use. Get never changes the document, and
// on a definite path it does not allocate.
package jsonpath

import (
	"strconv"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

type segmentKind uint8

const (
	segmentName     segmentKind = iota // .name, ['name']
	segmentNames                       // ['a','b']
	segmentIndex                       // [n]
	segmentIndexes                     // [n,m]
	segmentSlice                       // [from:to]
	segmentWildcard                    // .*, [*]
	segmentScan                        // ..x
	segmentFilter                      // [?(...)]
)

// segment is one step of a path.
type segment struct {
	kind           segmentKind
	offset         int // where the step starts in the expression, for messages
	name           string
	names          []string
	index          int
	list           []int
	from, to       int
	hasFrom, hasTo bool
	scan           *segment // the step a deep scan applies at every depth
	filter         *filterNode
}

// describe names a step in error messages.
func (s *segment) describe() string {
	switch s.kind {
	case segmentName:
		return "the name " + strconv.Quote(s.name)
	case segmentNames:
		return "a union of names"
	case segmentIndex:
		return "the index [" + strconv.Itoa(s.index) + "]"
	case segmentIndexes:
		return "a union of indexes"
	case segmentSlice:
		return "a slice"
	case segmentWildcard:
		return "the wildcard '*'"
	case segmentScan:
		return "the deep scan '..'"
	default:
		return "a filter '[?(...)]'"
	}
}

// Path is a compiled JSONPath.
type Path struct {
	text      string
	segments  []segment
	definite  bool
	reference bool
	context   bool
}

// Compile compiles a Path, which may select many nodes ($..a, $[*], [?(...)], [0,1], [1:3]).
// The error is a *SyntaxError with the offset and the reason.
func Compile(expr string) (*Path, error) { return compile(expr, false) }

// CompileReference compiles a Reference Path: names and single indexes only, so that it
// identifies at most one node. Anything else is a *SyntaxError saying which step is not allowed.
func CompileReference(expr string) (*Path, error) { return compile(expr, true) }

// MustCompile is Compile for paths written in code; it panics on an invalid path, which is a
// programming error.
func MustCompile(expr string) *Path {
	p, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the expression as it was given.
func (p *Path) String() string { return p.text }

// Definite reports whether the path selects at most one node (Get returns that node rather than
// a list).
func (p *Path) Definite() bool { return p.definite }

// Reference reports whether the path is a Reference Path (only names and single indexes), which
// is what Set requires.
func (p *Path) Reference() bool { return p.reference && !p.context }

// Context reports whether the path starts with $$, that is, reads the context object. The path
// itself applies to whatever document Get is given: the caller passes the context object for
// these and the state input for the rest.
func (p *Path) Context() bool { return p.context }

// Get applies the path to doc. For a definite path it returns the one node, or false when there
// is none. For an indefinite path it returns a []any of the matches (possibly empty), or false
// when a step before the first indefinite one finds nothing, as Jayway fails there too
// ($.missing[*] fails, $.list[*].missing is an empty list).
func (p *Path) Get(doc any) (any, bool) {
	if p.definite {
		return getDefinite(p.segments, doc)
	}
	out := make([]any, 0, 4)
	if !walk(p.segments, 0, doc, doc, true, &out) {
		return nil, false
	}
	return out, true
}

// getDefinite follows names and single indexes (and a union of names as the last step).
func getDefinite(segments []segment, v any) (any, bool) {
	for i := range segments {
		s := &segments[i]
		switch s.kind {
		case segmentName:
			m, ok := v.(*jsonvalue.Object)
			if !ok {
				return nil, false
			}
			if v, ok = m.Get(s.name); !ok {
				return nil, false
			}
		case segmentIndex:
			a, ok := v.([]any)
			if !ok {
				return nil, false
			}
			index := s.index
			if index < 0 {
				index += len(a)
			}
			if index < 0 || index >= len(a) {
				return nil, false
			}
			v = a[index]
		case segmentNames:
			// Jayway merges a union of names that ends a path into one object of the names found.
			m, ok := v.(*jsonvalue.Object)
			if !ok {
				return nil, false
			}
			merged := jsonvalue.NewObjectBuilder(len(s.names))
			for _, name := range s.names {
				if x, ok := m.Get(name); ok {
					merged.Set(name, x)
				}
			}
			return merged.Build(), true
		default:
			return nil, false
		}
	}
	return v, true
}

// walk applies segments[i:] to node and appends the results. upstreamDefinite is true while every
// step before i selected exactly one node; a step that finds nothing there makes the whole
// evaluation fail (false), as Jayway throws in that case, while past an indefinite step missing
// nodes are only skipped.
func walk(segments []segment, i int, node, root any, upstreamDefinite bool, out *[]any) bool {
	if i == len(segments) {
		*out = append(*out, node)
		return true
	}
	s := &segments[i]
	leaf := i == len(segments)-1
	switch s.kind {
	case segmentName:
		m, ok := node.(*jsonvalue.Object)
		if !ok {
			return !upstreamDefinite
		}
		v, ok := m.Get(s.name)
		if !ok {
			return leaf || !upstreamDefinite
		}
		return walk(segments, i+1, v, root, upstreamDefinite, out)
	case segmentNames:
		m, ok := node.(*jsonvalue.Object)
		if !ok {
			return !upstreamDefinite
		}
		if leaf {
			v, _ := getDefinite(segments[i:], m)
			*out = append(*out, v)
			return true
		}
		for _, name := range s.names {
			if v, ok := m.Get(name); ok && !walk(segments, i+1, v, root, false, out) {
				return false
			}
		}
		return true
	case segmentIndex:
		a, ok := node.([]any)
		if !ok {
			return !upstreamDefinite
		}
		index := s.index
		if index < 0 {
			index += len(a)
		}
		if index < 0 || index >= len(a) {
			return true
		}
		return walk(segments, i+1, a[index], root, upstreamDefinite, out)
	case segmentIndexes:
		a, ok := node.([]any)
		if !ok {
			return !upstreamDefinite
		}
		for _, index := range s.list {
			if index < 0 {
				index += len(a)
			}
			if index >= 0 && index < len(a) && !walk(segments, i+1, a[index], root, false, out) {
				return false
			}
		}
		return true
	case segmentSlice:
		a, ok := node.([]any)
		if !ok {
			return !upstreamDefinite
		}
		from, to := s.bounds(len(a))
		for index := from; index < to; index++ {
			if !walk(segments, i+1, a[index], root, false, out) {
				return false
			}
		}
		return true
	case segmentWildcard:
		switch n := node.(type) {
		case []any:
			for _, e := range n {
				if !walk(segments, i+1, e, root, false, out) {
					return false
				}
			}
		case *jsonvalue.Object:
			for _, m := range n.Members() {
				if !walk(segments, i+1, m.Value, root, false, out) {
					return false
				}
			}
		}
		return true
	case segmentFilter:
		switch n := node.(type) {
		case []any:
			// Jayway tests every element, scalars included: $[?(@ == 'x')] selects the
			// strings 'x' of an array.
			for _, e := range n {
				if s.filter.matches(e, root) {
					if !walk(segments, i+1, e, root, false, out) {
						return false
					}
				}
			}
			return true
		case *jsonvalue.Object:
			if s.filter.matches(n, root) {
				return walk(segments, i+1, n, root, false, out)
			}
			return true
		}
		return !upstreamDefinite
	case segmentScan:
		return scan(s.scan, segments, i+1, node, root, out)
	}
	return true
}

// selectIndexes calls visit for the elements a union of indexes or a slice selects, in order.
// Indexes out of range select nothing, as in Jayway.
func selectIndexes(s *segment, a []any, visit func(any) bool) bool {
	if s.kind == segmentIndexes {
		for _, index := range s.list {
			if index < 0 {
				index += len(a)
			}
			if index >= 0 && index < len(a) && !visit(a[index]) {
				return false
			}
		}
		return true
	}
	from, to := s.bounds(len(a))
	for index := from; index < to; index++ {
		if !visit(a[index]) {
			return false
		}
	}
	return true
}

// bounds is the range of indexes a slice selects in an array of n elements; negative ends count
// from the end, and both are clamped to the array.
func (s *segment) bounds(n int) (from, to int) {
	from, to = 0, n
	if s.hasFrom {
		from = s.from
		if from < 0 {
			from = max(0, n+from)
		}
	}
	if s.hasTo {
		to = s.to
		if to < 0 {
			to = n + to
		}
		to = min(n, to)
	}
	return from, to
}

// eachChild calls visit for every element of an array or every member of an object (in
// document order); scalars have no children.
func eachChild(node any, visit func(any) bool) bool {
	switch n := node.(type) {
	case []any:
		for _, e := range n {
			if !visit(e) {
				return false
			}
		}
	case *jsonvalue.Object:
		for _, m := range n.Members() {
			if !visit(m.Value) {
				return false
			}
		}
	}
	return true
}

// scan applies selector at node and at every node below it, depth first, parents before their
// children, and continues with segments[next:] from every node it selects. Following Jayway, a
// name selects at every object that has it, an index, union or slice at every array, '*' every
// child of every container, and a filter every object that passes it (the root included).
func scan(selector *segment, segments []segment, next int, node, root any, out *[]any) bool {
	visit := func(v any) bool { return walk(segments, next, v, root, false, out) }
	switch n := node.(type) {
	case *jsonvalue.Object:
		switch selector.kind {
		case segmentName:
			if v, ok := n.Get(selector.name); ok && !visit(v) {
				return false
			}
		case segmentNames:
			for _, name := range selector.names {
				if v, ok := n.Get(name); ok && !visit(v) {
					return false
				}
			}
		case segmentWildcard:
			if !eachChild(n, visit) {
				return false
			}
		case segmentFilter:
			if selector.filter.matches(n, root) && !visit(n) {
				return false
			}
		}
	case []any:
		switch selector.kind {
		case segmentIndex:
			index := selector.index
			if index < 0 {
				index += len(n)
			}
			if index >= 0 && index < len(n) && !visit(n[index]) {
				return false
			}
		case segmentIndexes, segmentSlice:
			if !selectIndexes(selector, n, visit) {
				return false
			}
		case segmentWildcard:
			if !eachChild(n, visit) {
				return false
			}
		}
	default:
		return true
	}
	return eachChild(node, func(v any) bool { return scan(selector, segments, next, v, root, out) })
}
