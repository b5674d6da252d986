package jsonpath

import (
	"errors"
	"strings"
	"testing"

	"github.com/fasttrack/fasttrack/workflows/engine/jsonvalue"
)

// awsPathsDoc is the input of the Reference Paths example in the Step Functions developer guide
// (https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html).
const awsPathsDoc = `{
  "foo": 123,
  "bar": ["a", "b", "c"],
  "car": {"cdr": true},
  "jar": [{"a": 1}, {"a": 5}, {"a": 2}, {"a": 7}, {"a": 3}]
}`

// storeDoc is the example document of the Jayway JsonPath README
// (https://github.com/json-path/JsonPath#path-examples), the implementation Step Functions runs.
const storeDoc = `{
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10
}`

// edgeDoc holds the awkward cases: odd keys, unicode, big numbers, nulls, nesting.
const edgeDoc = `{
  "a b": 1,
  "dot.key": 2,
  "it's": 3,
  "q\"uote": 4,
  "Test\\\"\"Name\"": "Value\"\\",
  "a-b": 5,
  "ünï": "cödé",
  "empty": [],
  "emptyObject": {},
  "nil": null,
  "big": 123456789012345678901234567890,
  "nested": [[1, 2], [3, 4], {"x": [5]}],
  "list": [{"id": 1, "tags": ["x"]}, {"id": 2}, "scalar", 7, null, {"id": 3, "tags": []}],
  "mixed": [{"n": 1}, {"n": "1"}, {"n": 1.0}, {"n": 10}, {"n": true}, {"n": null}, {}, {"s": "b"}, {"s": "ab"}, {"s": "😀"}, {"s": "\uffff"}]
}`

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonvalue.DecodeString(s)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

type getCase struct {
	path     string
	want     string // JSON; ignored when missing
	missing  bool
	definite bool
}

func runGetCases(t *testing.T, doc string, cases []getCase) {
	t.Helper()
	root := mustDecode(t, doc)
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			p, err := Compile(tc.path)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.path, err)
			}
			if p.Definite() != tc.definite {
				t.Errorf("Definite() = %v, want %v", p.Definite(), tc.definite)
			}
			got, ok := p.Get(root)
			if tc.missing {
				if ok {
					t.Fatalf("Get = %s, want no result", jsonvalue.MustEncodeString(got))
				}
				return
			}
			if !ok {
				t.Fatalf("Get found nothing, want %s", tc.want)
			}
			if want := mustDecode(t, tc.want); !jsonvalue.Equal(got, want) {
				t.Fatalf("Get = %s, want %s", jsonvalue.MustEncodeString(got), tc.want)
			}
			if !tc.definite {
				if _, isList := got.([]any); !isList {
					t.Fatalf("indefinite Get returned %T, want []any", got)
				}
			}
		})
	}
}

func TestGetAWSDocumentationExamples(t *testing.T) {
	runGetCases(t, awsPathsDoc, []getCase{
		{path: "$.foo", want: `123`, definite: true},
		{path: "$.bar", want: `["a", "b", "c"]`, definite: true},
		{path: "$.car.cdr", want: `true`, definite: true},
		{path: "$.jar[?(@.a >= 5)]", want: `[{"a": 5}, {"a": 7}]`},
		{path: "$", want: awsPathsDoc, definite: true},
	})
}

func TestGetJaywayExamples(t *testing.T) {
	runGetCases(t, storeDoc, []getCase{
		{path: "$.store.book[*].author", want: `["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]`},
		{path: "$..author", want: `["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]`},
		// Object members are visited in key order (Go maps keep none): bicycle before book.
		// Members come in document order, as Jayway gives them: the books, then the bicycle.
		{path: "$.store.*", want: `[` + bookArray + `, {"color": "red", "price": 19.95}]`},
		{path: "$.store..price", want: `[8.95, 12.99, 8.99, 22.99, 19.95]`},
		{path: "$..book[2]", want: `[` + book(2) + `]`},
		{path: "$..book[-2]", want: `[` + book(2) + `]`},
		{path: "$..book[0,1]", want: `[` + book(0) + `,` + book(1) + `]`},
		{path: "$..book[:2]", want: `[` + book(0) + `,` + book(1) + `]`},
		{path: "$..book[1:2]", want: `[` + book(1) + `]`},
		{path: "$..book[-2:]", want: `[` + book(2) + `,` + book(3) + `]`},
		{path: "$..book[2:]", want: `[` + book(2) + `,` + book(3) + `]`},
		{path: "$..book[?(@.isbn)]", want: `[` + book(2) + `,` + book(3) + `]`},
		{path: "$.store.book[?(@.price < 10)]", want: `[` + book(0) + `,` + book(2) + `]`},
		{path: "$..book[?(@.price <= $['expensive'])]", want: `[` + book(0) + `,` + book(2) + `]`},
		{path: "$.store.book[?(@.category == 'fiction' && @.price > 10)].title", want: `["Sword of Honour", "The Lord of the Rings"]`},
		{path: "$.store.book[?(@.category == 'reference' || @.price > 20)].title", want: `["Sayings of the Century", "The Lord of the Rings"]`},
		{path: "$.store.book[?(!@.isbn)].title", want: `["Sayings of the Century", "Sword of Honour"]`},
		{path: "$.store.book[?(!(@.price < 10 || @.price > 20))].title", want: `["Sword of Honour"]`},
		{path: "$.store.book[?(@.author != 'Nigel Rees')].price", want: `[12.99, 8.99, 22.99]`},
		{path: `$.store.book[?(@.title == "Moby Dick")].isbn`, want: `["0-553-21311-3"]`},
		{path: "$.store.book[0]['title', 'price']", want: `{"title": "Sayings of the Century", "price": 8.95}`, definite: true},
		{path: "$.store.book[*]['title','nope']", want: `[{"title": "Sayings of the Century"}, {"title": "Sword of Honour"}, {"title": "Moby Dick"}, {"title": "The Lord of the Rings"}]`},
		{path: "$['store']['bicycle']['color']", want: `"red"`, definite: true},
		{path: `$["store"].bicycle["color"]`, want: `"red"`, definite: true},
		{path: "$.store.['bicycle'].color", want: `"red"`, definite: true},
		{path: "$.store.book[-1].author", want: `"J. R. R. Tolkien"`, definite: true},
		{path: "$.store.book[4]", missing: true, definite: true},
		{path: "$.store.book[-5]", missing: true, definite: true},
		{path: "$.store.nothing", missing: true, definite: true},
		{path: "$.store.book.author", missing: true, definite: true},
		{path: "$.expensive.value", missing: true, definite: true},
		{path: "  $.expensive  ", want: `10`, definite: true},
	})
}

const bookArray = `[
  {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
  {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
  {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
  {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
]`

func book(i int) string {
	return []string{
		`{"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95}`,
		`{"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99}`,
		`{"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99}`,
		`{"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}`,
	}[i]
}

func TestGetEdgeCases(t *testing.T) {
	runGetCases(t, edgeDoc, []getCase{
		{path: "$['a b']", want: `1`, definite: true},
		{path: "$['dot.key']", want: `2`, definite: true},
		{path: `$["it's"]`, want: `3`, definite: true},
		{path: `$['q"uote']`, want: `4`, definite: true},
		// A backslash keeps the quote from closing the name and stays in it, as on AWS (recorded in
		// LocalStack's test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH], aws.validated).
		{path: `$['Test\""Name"']`, want: `"Value\"\\"`, definite: true},
		{path: "$.a-b", want: `5`, definite: true},
		{path: "$.ünï", want: `"cödé"`, definite: true},
		{path: "$['ünï']", want: `"cödé"`, definite: true},
		{path: "$.big", want: `123456789012345678901234567890`, definite: true},
		{path: "$.nil", want: `null`, definite: true},
		{path: "$.empty[*]", want: `[]`},
		{path: "$.empty[0]", missing: true, definite: true},
		{path: "$.emptyObject.*", want: `[]`},
		{path: "$.nested[1][0]", want: `3`, definite: true},
		{path: "$.nested[2].x[0]", want: `5`, definite: true},
		{path: "$.nested[*][1]", want: `[2, 4]`},
		{path: "$.nested[0][-1]", want: `2`, definite: true},
		{path: "$.nested[0][5:]", want: `[]`},
		{path: "$.nested[0][-9:]", want: `[1, 2]`},
		{path: "$.nested[0][:-1]", want: `[1]`},
		{path: "$.nested[0][0,5,-1]", want: `[1, 2]`},
		// Past an indefinite step, missing names are skipped.
		{path: "$.list[*].id", want: `[1, 2, 3]`},
		{path: "$.list[*].tags[0]", want: `["x"]`},
		{path: "$..tags", want: `[["x"], []]`},
		{path: "$..id", want: `[1, 2, 3]`},
		{path: "$..x[0]", want: `[5]`},
		// A filter tests every element of an array, scalars included (Jayway's PredicatePathToken
		// accepts each element; see TestFilterOnScalars).
		{path: "$.list[?(@.id > 1)].id", want: `[2, 3]`},
		{path: "$.list[?(@.id)]", want: `[{"id": 1, "tags": ["x"]}, {"id": 2}, {"id": 3, "tags": []}]`},
		{path: "$.nested[0][?(@ > 1)]", want: `[2]`},
		// == compares type and value: 1 equals 1.0 but not "1" (Jayway README: "1 is not equal to '1'").
		{path: "$.mixed[?(@.n == 1)].n", want: `[1, 1.0]`},
		{path: "$.mixed[?(@.n == '1')].n", want: `["1"]`},
		{path: "$.mixed[?(@.n === 1)].n", want: `[1, 1.0]`},
		{path: "$.mixed[?(@.n != 1)]", want: `[{"n": "1"}, {"n": 10}, {"n": true}, {"n": null}, {}, {"s": "b"}, {"s": "ab"}, {"s": "😀"}, {"s": "\uffff"}]`},
		{path: "$.mixed[?(@.n == true)].n", want: `[true]`},
		{path: "$.mixed[?(@.n == null)]", want: `[{"n": null}]`},
		{path: "$.mixed[?(@.n >= 1)].n", want: `[1, 1.0, 10]`},
		{path: "$.mixed[?(@.n < 2e1)].n", want: `[1, 1.0, 10]`},
		{path: "$.mixed[?(@.n > '0')].n", want: `["1"]`},
		{path: "$.mixed[?(@.s > 'a')].s", want: `["b", "ab", "😀", "\uffff"]`},
		// Strings order by UTF-16 code units, as Java's compareTo: U+1F600 sorts before U+FFFF.
		{path: "$.mixed[?(@.s < '\uffff')].s", want: `["b", "ab", "😀"]`},
		{path: "$.mixed[?(@.s == '\\u00fc')]", want: `[]`},
		{path: "$.list[?(@.id == $.list[0].id)].id", want: `[1]`},
		{path: "$.list[?(@.tags[0] == 'x')].id", want: `[1]`},
		{path: "$.list[?(@.tags == $.list[0].tags)].id", want: `[1]`},
		{path: "$.list[?((@.id == 1 || @.id == 3) && @.tags)].id", want: `[1, 3]`},
		{path: "$.emptyObject[?(@.x)]", want: `[]`},
		{path: "$.emptyObject[?(!@.x)]", want: `[{}]`},
		// A union of names that ends the path is merged into one object, as Jayway does.
		{path: "$['a b', 'a-b', 'none']", want: `{"a b": 1, "a-b": 5}`, definite: true},
		{path: "$['nil', 'big'].x", want: `[]`},
		// Jayway fails when a step before the first indefinite one finds nothing.
		{path: "$.missing[*]", missing: true},
		{path: "$.missing..x", missing: true},
		{path: "$.nil[*]", want: `[]`},
		{path: "$.nil[0,1]", missing: true},
		{path: "$.a-b[?(@.x)]", missing: true},
		{path: "$.a-b[1:]", missing: true},
	})
}

func TestGetDeepScanOfEverything(t *testing.T) {
	doc := mustDecode(t, `{"a": {"b": 1}, "c": [2, {"d": 3}]}`)
	got, ok := MustCompile("$..*").Get(doc)
	if !ok {
		t.Fatal("no result")
	}
	want := mustDecode(t, `[{"b": 1}, [2, {"d": 3}], 1, 2, {"d": 3}, 3]`)
	if !jsonvalue.Equal(got, want) {
		t.Fatalf("$..* = %s", jsonvalue.MustEncodeString(got))
	}
	got, _ = MustCompile("$..[?(@.d)]").Get(doc)
	if !jsonvalue.Equal(got, mustDecode(t, `[{"d": 3}]`)) {
		t.Fatalf("$..[?(@.d)] = %s", jsonvalue.MustEncodeString(got))
	}
	got, _ = MustCompile("$..[0]").Get(doc)
	if !jsonvalue.Equal(got, mustDecode(t, `[2]`)) {
		t.Fatalf("$..[0] = %s", jsonvalue.MustEncodeString(got))
	}
}

func TestGetOnScalarsAndNull(t *testing.T) {
	for _, doc := range []any{nil, "text", true, mustDecode(t, "12"), []any{}} {
		for _, expr := range []string{"$.a", "$[0]", "$['a','b']"} {
			if v, ok := MustCompile(expr).Get(doc); ok {
				t.Errorf("%s on %v = %v, want nothing", expr, doc, v)
			}
		}
		if v, ok := MustCompile("$").Get(doc); !ok || !jsonvalue.Equal(v, doc) {
			t.Errorf("$ on %v = %v", doc, v)
		}
	}
}

func TestContextPaths(t *testing.T) {
	p := MustCompile("$$.Execution.Id")
	if !p.Context() || !p.Definite() || p.Reference() {
		t.Fatalf("Context=%v Definite=%v Reference=%v", p.Context(), p.Definite(), p.Reference())
	}
	if p.String() != "$$.Execution.Id" {
		t.Fatalf("String() = %q", p.String())
	}
	ctx := mustDecode(t, `{"Execution": {"Id": "arn:x"}}`)
	if v, ok := p.Get(ctx); !ok || v != "arn:x" {
		t.Fatalf("Get = %v, %v", v, ok)
	}
	if _, err := p.Set(ctx, 1); err == nil {
		t.Fatal("Set on a context path succeeded")
	}
	r, err := CompileReference("$$.Map.Item.Value")
	if err != nil || !r.Context() {
		t.Fatalf("CompileReference($$...) = %v, %v", r, err)
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		expr   string
		offset int
		reason string
	}{
		{"", 0, "must start with '$'"},
		{"   ", 0, "must start with '$'"},
		{"a.b", 0, "must start with '$'"},
		{"$a", 1, "expected '.' or '['"},
		{"$.", 1, "'.' must be followed"},
		{"$.a.", 3, "'.' must be followed"},
		{"$..", 1, "'..' must be followed"},
		{"$...a", 1, "'..' must be followed"},
		{"$.a b", 3, "white space"},
		{"$.a.length()", 4, "functions such as length() are not supported"},
		{"$[", 1, "unclosed '['"},
		{"$['a'", 1, "unclosed '['"},
		{"$['a", 2, "unterminated quoted name"},
		{"$['a' 'b']", 6, "expected ',' or ']'"},
		{"$['a',]", 6, "expected a quoted name"},
		{"$[a]", 2, "expected a quoted name, an index"},
		{"$[]", 2, "expected a quoted name, an index"},
		{"$[1", 1, "unclosed '['"},
		{"$[1 2]", 4, "expected ']'"},
		{"$[1:2:3]", 5, "slice steps"},
		{"$[:]", 1, "a slice needs a start or an end"},
		{"$[-]", 2, "expected an integer"},
		{"$[99999999999]", 2, "out of range"},
		{"$.*a", 3, "'*' must be followed"},
		{"$[*", 1, "unclosed '['"},
		{"$[?@.a]", 3, "expected '('"},
		{"$[?(@.a]", 7, "expected a comparison operator, found \"]\""},
		{"$[?(@.a", 3, "unclosed '(' in filter"},
		{"$[?(@.a > )]", 10, "expected @, $, a string"},
		{"$[?(@.a =~ /x/)]", 8, "regular expression"},
		{"$[?(@.a in ['x'])]", 8, "operator \"in\" is not supported"},
		{"$[?(@.a > [1])]", 10, "JSON array and object literals"},
		{"$[?(@.a > /x/)]", 10, "regular expressions"},
		{"$[?(@.a[*] > 1)]", 7, "names and single indexes"},
		{"$[?(@..a)]", 5, "names and single indexes"},
		{"$[?('a')]", 4, "must be a comparison"},
		{"$[?(@.a == 'x)]", 11, "unterminated string"},
		{"$[?(@.a == 1.2.3)]", 11, "is not a number"},
		{"$[?(@.a == $$.b)]", 11, "context object paths"},
		{"$[?(@.a == trueish)]", 11, "expected @, $, a string"},
		{"$[?(@.a[?(@.b)])]", 7, "a filter cannot appear inside a filter"},
		{"$[?(@.a) x]", 9, "expected ']', found \"x\""},
		{"$[?(@.a x)]", 8, "operator \"x\" is not supported"},
		{"$[?(@.a)", 1, "unclosed '['"},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := Compile(tc.expr)
			var syntaxError *SyntaxError
			if !errors.As(err, &syntaxError) {
				t.Fatalf("Compile(%q) error = %v, want a *SyntaxError", tc.expr, err)
			}
			if syntaxError.Offset != tc.offset || !strings.Contains(syntaxError.Reason, tc.reason) {
				t.Fatalf("Compile(%q) = offset %d %q, want offset %d containing %q", tc.expr, syntaxError.Offset, syntaxError.Reason, tc.offset, tc.reason)
			}
			if !strings.Contains(err.Error(), tc.expr) {
				t.Fatalf("error %q does not quote the expression", err)
			}
		})
	}
}

func TestCompileReference(t *testing.T) {
	for _, expr := range []string{"$", "$.a", "$['a b'].c[0]", "$.a[-1]", "$$.Execution.Input", "$.list[12].x"} {
		p, err := CompileReference(expr)
		if err != nil {
			t.Errorf("CompileReference(%q): %v", expr, err)
			continue
		}
		if !p.Definite() {
			t.Errorf("%q not definite", expr)
		}
	}
	rejected := []struct {
		expr   string
		offset int
		what   string
	}{
		{"$.a[*]", 3, "wildcard"},
		{"$.a.*", 3, "wildcard"},
		{"$..a", 1, "deep scan"},
		{"$.a[0,1]", 3, "union of indexes"},
		{"$['a','b']", 1, "union of names"},
		{"$.a[1:2]", 3, "slice"},
		{"$.a[?(@.b)]", 3, "filter"},
	}
	for _, tc := range rejected {
		_, err := CompileReference(tc.expr)
		var syntaxError *SyntaxError
		if !errors.As(err, &syntaxError) || syntaxError.Offset != tc.offset || !strings.Contains(syntaxError.Reason, tc.what) || !strings.Contains(syntaxError.Reason, "Reference Path") {
			t.Errorf("CompileReference(%q) = %v, want a Reference Path error at %d naming %s", tc.expr, err, tc.offset, tc.what)
		}
	}
}

func TestSet(t *testing.T) {
	cases := []struct {
		doc, path, value, want string
	}{
		// The ResultPath example of the developer guide (input-output-resultpath): the result is
		// placed beside the input.
		{`{"comment": "An input comment.", "data": {"val1": 23, "val2": 17}, "extra": "foo", "lambda": {"who": "AWS Step Functions"}}`,
			"$.taskresult", `"Hello, AWS Step Functions!"`,
			`{"comment": "An input comment.", "data": {"val1": 23, "val2": 17}, "extra": "foo", "lambda": {"who": "AWS Step Functions"}, "taskresult": "Hello, AWS Step Functions!"}`},
		{`{"a": 1}`, "$", `{"b": 2}`, `{"b": 2}`},
		{`"scalar"`, "$", `[1]`, `[1]`},
		{`{"a": 1}`, "$.a", `2`, `{"a": 2}`},
		{`{"a": 1}`, "$.x.y.z", `true`, `{"a": 1, "x": {"y": {"z": true}}}`},
		{`{"a": {"keep": 1}}`, "$.a.b", `null`, `{"a": {"keep": 1, "b": null}}`},
		{`{"list": [1, 2, 3]}`, "$.list[1]", `"two"`, `{"list": [1, "two", 3]}`},
		{`{"list": [1, 2, 3]}`, "$.list[-1]", `9`, `{"list": [1, 2, 9]}`},
		{`{"list": [{"a": 1}, {"a": 2}]}`, "$.list[0].b", `0`, `{"list": [{"a": 1, "b": 0}, {"a": 2}]}`},
		{`{"a b": {}}`, "$['a b']['c.d']", `1`, `{"a b": {"c.d": 1}}`},
		{`{}`, "$.ünï", `"ö"`, `{"ünï": "ö"}`},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			doc := mustDecode(t, tc.doc)
			before := jsonvalue.MustEncodeString(doc)
			p, err := CompileReference(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Set(doc, mustDecode(t, tc.value))
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if !jsonvalue.Equal(got, mustDecode(t, tc.want)) {
				t.Fatalf("Set = %s, want %s", jsonvalue.MustEncodeString(got), tc.want)
			}
			if after := jsonvalue.MustEncodeString(doc); after != before {
				t.Fatalf("Set changed its input: %s became %s", before, after)
			}
		})
	}
}

func TestSetSharesUntouchedParts(t *testing.T) {
	doc := mustDecode(t, `{"keep": {"deep": [1, 2]}, "change": {"x": 1}}`).(*jsonvalue.Object)
	out, err := MustCompile("$.change.y").Set(doc, "new")
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*jsonvalue.Object)
	keptAfter, _ := got.Get("keep")
	keptBefore, _ := doc.Get("keep")
	if keptAfter != keptBefore {
		t.Fatal("the untouched branch was copied, not shared")
	}
	change, _ := doc.Get("change")
	if change.(*jsonvalue.Object).Has("y") {
		t.Fatal("the input was changed")
	}
}

// TestSetKeepsMemberOrder: ResultPath replaces an existing key in its place and adds a new one
// at the end, at every depth, as AWS does.
func TestSetKeepsMemberOrder(t *testing.T) {
	cases := []struct{ doc, path, value, want string }{
		{`{"b": 1, "a": 2, "c": 3}`, "$.a", `"x"`, `{"b":1,"a":"x","c":3}`},
		{`{"b": 1, "a": 2}`, "$.z", `{"y": 1, "x": 2}`, `{"b":1,"a":2,"z":{"y":1,"x":2}}`},
		{`{"b": {"d": 1, "c": 2}, "a": 2}`, "$.b.c", `0`, `{"b":{"d":1,"c":0},"a":2}`},
		{`{"b": {"d": 1}, "a": 2}`, "$.b.new.deep", `0`, `{"b":{"d":1,"new":{"deep":0}},"a":2}`},
		{`{"z": [{"k": 1, "j": 2}], "a": 2}`, "$.z[0].j", `9`, `{"z":[{"k":1,"j":9}],"a":2}`},
	}
	for _, tc := range cases {
		out, err := MustCompile(tc.path).Set(mustDecode(t, tc.doc), mustDecode(t, tc.value))
		if err != nil {
			t.Fatalf("Set(%s, %s): %v", tc.doc, tc.path, err)
		}
		if got := jsonvalue.MustEncodeString(out); got != tc.want {
			t.Errorf("Set(%s, %s) = %s, want %s", tc.doc, tc.path, got, tc.want)
		}
	}
}

// TestGetKeepsDocumentOrder: wildcards, deep scans and unions visit members in document order,
// as Jayway does (its JSON provider keeps insertion order), so results come in that order too.
func TestGetKeepsDocumentOrder(t *testing.T) {
	doc := `{"book": {"price": 8, "z": {"price": 1}}, "bike": {"price": 19}, "a": [{"price": 3}]}`
	cases := []struct{ path, want string }{
		{"$..price", `[8,1,19,3]`},
		{"$.*", `[{"price":8,"z":{"price":1}},{"price":19},[{"price":3}]]`},
		{"$[*]", `[{"price":8,"z":{"price":1}},{"price":19},[{"price":3}]]`},
		{"$..*", `[{"price":8,"z":{"price":1}},{"price":19},[{"price":3}],8,{"price":1},1,19,{"price":3},3]`},
		{"$['bike','book'].price", `[19,8]`},
		{"$['bike','book']", `{"bike":{"price":19},"book":{"price":8,"z":{"price":1}}}`},
		{"$[?(@.price > 10)]", `[]`},
		{"$.book[?(@.price)]", `[{"price":8,"z":{"price":1}}]`},
	}
	root := mustDecode(t, doc)
	for _, tc := range cases {
		got, ok := MustCompile(tc.path).Get(root)
		if !ok {
			t.Fatalf("%s found nothing", tc.path)
		}
		if text := jsonvalue.MustEncodeString(got); text != tc.want {
			t.Errorf("%s = %s, want %s", tc.path, text, tc.want)
		}
	}
}

// TestFilterOnScalars: Jayway applies a filter to every element of an array, so @ can be a
// string or a number ($[?(@ == 'x')], $.list[?(@ > 2)]); paths below @ find nothing on a
// scalar. (Jayway's PredicatePathToken tests each element; the json-path-comparison project's
// "Filter expression with equals on array of numbers" has Jayway in the consensus: $[?(@==42)]
// on [0,42,-1,41,43,42.0001,41.9999,null,100] gives [42].)
func TestFilterOnScalars(t *testing.T) {
	cases := []struct{ doc, path, want string }{
		{`["x", "y", "x", 1, null]`, "$[?(@ == 'x')]", `["x","x"]`},
		{`{"list": [1, 2, 3, 4, "5"]}`, "$.list[?(@ > 2)]", `[3,4]`},
		{`[0, 42, -1, 41, 43, 42.0001, 41.9999, null, 100]`, "$[?(@ == 42)]", `[42]`},
		{`[1, 2.5, "2.5", true]`, "$[?(@ != 2.5)]", `[1,"2.5",true]`},
		{`["a", "b", "c"]`, "$[?(@ >= 'b')]", `["b","c"]`},
		{`[true, false, null]`, "$[?(@ == true || @ == null)]", `[true,null]`},
		{`[1, {"a": 1}, [1]]`, "$[?(@.a)]", `[{"a":1}]`},
		{`[1, {"a": 1}, [1]]`, "$[?(@)]", `[1,{"a":1},[1]]`},
		{`[1, {"a": 1}, [1]]`, "$[?(!@.a)]", `[1,[1]]`},
		{`{"v": 2, "list": [1, 2, 3]}`, "$.list[?(@ == $.v)]", `[2]`},
		{`{"matrix": [[1, 5], [7, 2]]}`, "$.matrix[*][?(@ > 4)]", `[5,7]`},
		{`{"list": ["a", "b"]}`, "$.list[?(@ == 'b')].x", `[]`},
	}
	for _, tc := range cases {
		got, ok := MustCompile(tc.path).Get(mustDecode(t, tc.doc))
		if !ok {
			t.Fatalf("%s on %s found nothing", tc.path, tc.doc)
		}
		if text := jsonvalue.MustEncodeString(got); text != tc.want {
			t.Errorf("%s on %s = %s, want %s", tc.path, tc.doc, text, tc.want)
		}
	}
}

func TestSetErrors(t *testing.T) {
	cases := []struct {
		doc, path, reason string
	}{
		{`"text"`, "$.a", "$ is a string, not an object"},
		{`null`, "$.a", "$ is null, not an object"},
		{`[1]`, "$.a", "$ is an array, not an object"},
		{`{"a": 5}`, "$.a.b", "$['a'] is a number, not an object"},
		{`{"a": [1]}`, "$.a.b", "$['a'] is an array, not an object"},
		{`{"a": null}`, "$.a.b", "$['a'] is null, not an object"},
		{`{"a": {}}`, "$.a[0]", "$['a'] is an object, not an array"},
		{`{"a": [1]}`, "$.a[1]", "index 1 is outside $['a'], which has 1 elements"},
		{`{"a": [1]}`, "$.a[-2]", "index -2 is outside"},
		{`{}`, "$.a[0]", "$['a'] does not exist"},
		{`{}`, "$.a[*]", "only a Reference Path"},
	}
	for _, tc := range cases {
		t.Run(tc.path+" on "+tc.doc, func(t *testing.T) {
			got, err := MustCompile(tc.path).Set(mustDecode(t, tc.doc), 1)
			if err == nil {
				t.Fatalf("Set = %v, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.reason) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("error %q, want it to name %s and say %q", err, tc.path, tc.reason)
			}
		})
	}
}

func TestGetDefiniteDoesNotAllocate(t *testing.T) {
	doc := mustDecode(t, storeDoc)
	for _, expr := range []string{"$", "$.store.book[2].isbn", "$.store.book[-1].price", "$['store']['bicycle']", "$.missing.deep"} {
		p := MustCompile(expr)
		allocations := testing.AllocsPerRun(100, func() { p.Get(doc) })
		if allocations != 0 {
			t.Errorf("Get(%s) allocates %.0f times", expr, allocations)
		}
	}
}

func TestConcurrentGet(t *testing.T) {
	doc := mustDecode(t, storeDoc)
	paths := []*Path{MustCompile("$..price"), MustCompile("$.store.book[?(@.price < 10)].title"), MustCompile("$.store.bicycle.color")}
	want := make([]string, len(paths))
	for i, p := range paths {
		v, _ := p.Get(doc)
		want[i] = jsonvalue.MustEncodeString(v)
	}
	done := make(chan string)
	for g := 0; g < 8; g++ {
		go func() {
			for n := 0; n < 200; n++ {
				for i, p := range paths {
					v, _ := p.Get(doc)
					if got := jsonvalue.MustEncodeString(v); got != want[i] {
						done <- "concurrent Get differs: " + got
						return
					}
				}
			}
			done <- ""
		}()
	}
	for g := 0; g < 8; g++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

func TestFilterNestingIsBounded(t *testing.T) {
	deep := "$[?(" + strings.Repeat("(", 100) + "@.a" + strings.Repeat(")", 100) + ")]"
	_, err := Compile(deep)
	var syntaxError *SyntaxError
	if !errors.As(err, &syntaxError) || !strings.Contains(syntaxError.Reason, "more than 64 deep") {
		t.Fatalf("Compile of 100 nested parentheses = %v", err)
	}
	if _, err := Compile("$[?(" + strings.Repeat("!", 1000) + "@.a)]"); err == nil {
		t.Fatal("1000 negations compiled")
	}
	shallow := "$[?(" + strings.Repeat("(", 30) + "@.a" + strings.Repeat(")", 30) + ")]"
	if _, err := Compile(shallow); err != nil {
		t.Fatalf("30 nested parentheses: %v", err)
	}
}
