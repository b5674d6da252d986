package jsonpath

import (
	"testing"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// FuzzCompile compiles arbitrary expressions as Paths and as Reference Paths, then reads and
// writes a fixed document with those that compile. Nothing may panic, and what compiles must keep
// its promises: a Reference Path is a definite Path, an indefinite Get returns a list, and a
// value that Set placed is what Get then finds.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		"$", "$$", "$.a", "$.a.b.c", "$['a b']", `$["it's"]`, `$['Test\""Name"']`, "$.a[0]", "$.a[-1]",
		"$[*]", "$.*", "$..a", "$..*", "$..[0]", "$..['a','b']", "$['a','b']", "$[0,1]", "$[1:3]",
		"$[-2:]", "$[:2]", "$.a[?(@.b < 10)]", "$.a[?(@.b)]", "$.a[?(!@.b)]",
		"$.a[?(@.b == 'x' && @.c != 1 || @.d >= -1.5e3)]", "$.a[?((@.b > $.c) && !(@.d <= null))]",
		"$.store.book[?(@.price <= $['expensive'])].title", "$$.Execution.Input.x", "$.a.['b']",
		"$..book[?(@.isbn)]", "$.ünï", "$[?(@ == true)]", "$.a[", "$[?(", "$.a.length()", " $.a ",
		"$[?(@.a == \"\\u00e9\")]", "$[1:2:3]", "$..", "$.x.y[2].z",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	doc := mustDecode(f, `{
	  "a": [{"b": 1, "c": "x"}, {"b": 20, "d": null}, "s", 3, [1, {"b": 2}]],
	  "a b": {"c": [true, false]},
	  "store": {"book": [{"price": 8.95, "isbn": "1"}, {"price": 12.99}], "expensive": 10},
	  "x": {"y": [0, 1, {"z": "deep"}]},
	  "ünï": "ö",
	  "e": [], "o": {}, "n": null
	}`)
	before := jsonvalue.MustEncodeString(doc)
	f.Fuzz(func(t *testing.T, expr string, reference bool) {
		compileFunc := Compile
		if reference {
			compileFunc = CompileReference
		}
		p, err := compileFunc(expr)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Compile(%q) returned %T, want *SyntaxError", expr, err)
			}
			return
		}
		if p.String() != expr {
			t.Fatalf("String() = %q, want %q", p.String(), expr)
		}
		if reference && !p.Definite() {
			t.Fatalf("Reference Path %q is not definite", expr)
		}
		got, ok := p.Get(doc)
		if ok && !p.Definite() {
			if _, isList := got.([]any); !isList {
				t.Fatalf("indefinite %q returned %T", expr, got)
			}
		}
		if ok {
			if _, err := jsonvalue.Encode(got); err != nil {
				t.Fatalf("Get(%q) returned an unencodable value: %v", expr, err)
			}
		}
		if p.Reference() {
			value := jsonvalue.NewObject(jsonvalue.Member{Key: "placed", Value: expr})
			out, err := p.Set(doc, value)
			if err == nil {
				back, ok := p.Get(out)
				if !ok || !jsonvalue.Equal(back, value) {
					t.Fatalf("after Set(%q), Get = %v, %v", expr, back, ok)
				}
			}
		}
		if after := jsonvalue.MustEncodeString(doc); after != before {
			t.Fatalf("%q changed the document", expr)
		}
	})
}
