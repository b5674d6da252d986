package jsonvalue

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := DecodeString(s)
	if err != nil {
		t.Fatalf("DecodeString(%s): %v", s, err)
	}
	return v
}

func TestDecodeKeepsMemberOrder(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":2,"c":3}`, `{"b":1,"a":2,"c":3}`},
		{` { "z" : { "y" : [ { "b" : 1 , "a" : 2 } ] , "x" : null } } `, `{"z":{"y":[{"b":1,"a":2}],"x":null}}`},
		// A repeated key keeps its first place and takes the last value (Jackson's ObjectNode).
		{`{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{`{}`, `{}`},
		{`[]`, `[]`},
		{`[{},[],""]`, `[{},[],""]`},
		{`"\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\"`, `"é😀/\b\f\n\r\t\"\\"`},
		{`1.50`, `1.50`},
		{`-0e+10`, `-0e+10`},
	}
	for _, tc := range cases {
		v := mustDecode(t, tc.in)
		if got := MustEncodeString(v); got != tc.want {
			t.Errorf("%s decoded and encoded = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestDecodeLargeObjectsRepeatedKeys(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, `"k%02d":%d,`, 39-i, i)
	}
	b.WriteString(`"k05":"again","k39":"last"}`)
	o := mustDecode(t, b.String()).(*Object)
	if o.Len() != 40 {
		t.Fatalf("Len = %d, want 40", o.Len())
	}
	if o.index == nil {
		t.Fatal("a large object has no index")
	}
	if v, _ := o.Get("k05"); v != "again" {
		t.Fatalf("k05 = %v", v)
	}
	if o.Members()[0].Key != "k39" || o.Members()[0].Value != "last" {
		t.Fatalf("first member %+v, want k39 with the last value", o.Members()[0])
	}
	for i, m := range o.Members() {
		if want := fmt.Sprintf("k%02d", 39-i); m.Key != want {
			t.Fatalf("member %d is %s, want %s", i, m.Key, want)
		}
		if got, ok := o.Get(m.Key); !ok || got != m.Value {
			t.Fatalf("Get(%s) = %v, %v", m.Key, got, ok)
		}
	}
	if _, ok := o.Get("k40"); ok {
		t.Fatal("Get found a missing key")
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{
		``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `-`, `+1`, `1e`, `1e+`,
		`tru`, `truex`, `nul`, `"abc`, "\"a\x01\"", `"\x"`, `"\u12"`, `"\u12g4"`, `[1 2]`, `{} {}`, `1 2`,
		`NaN`, `'a'`, `[`, `[1`, `{"a":1`, `{"a"`, `{"a":`, "\xff", `"\`,
	} {
		if v, err := DecodeString(in); err == nil {
			t.Errorf("DecodeString(%q) = %v, want an error", in, v)
		}
	}
}

func TestDecodeErrorsReadAsEncodingJSON(t *testing.T) {
	_, err := DecodeString(`{"a" 1}`)
	if err == nil || err.Error() != "invalid character '1' after object key" {
		t.Fatalf("error %v", err)
	}
	_, err = DecodeString(`{} x`)
	if err == nil || !strings.Contains(err.Error(), "after top-level value") {
		t.Fatalf("error %v", err)
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if _, err := DecodeString(deep); err != nil {
		t.Fatalf("%d levels: %v", maxDepth, err)
	}
	tooDeep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	if _, err := DecodeString(tooDeep); err == nil {
		t.Fatalf("%d levels decoded", maxDepth+1)
	}
	var std any
	if err := json.Unmarshal([]byte(tooDeep), &std); err == nil {
		t.Fatal("encoding/json accepts more levels than the limit assumes")
	}
}

func TestObjectWith(t *testing.T) {
	o := mustDecode(t, `{"b":1,"a":2}`).(*Object)
	replaced := o.With("b", "x")
	added := o.With("c", 3)
	if got := MustEncodeString(replaced); got != `{"b":"x","a":2}` {
		t.Fatalf("replace: %s", got)
	}
	if got := MustEncodeString(added); got != `{"b":1,"a":2,"c":3}` {
		t.Fatalf("add: %s", got)
	}
	if got := MustEncodeString(o); got != `{"b":1,"a":2}` {
		t.Fatalf("With changed the object: %s", got)
	}
	var empty *Object
	if got := MustEncodeString(empty.With("k", true)); got != `{"k":true}` {
		t.Fatalf("With on nil: %s", got)
	}
	// Growing past the index threshold one key at a time keeps lookups right.
	grown := EmptyObject()
	for i := 0; i < 3*indexThreshold; i++ {
		grown = grown.With(fmt.Sprint(i), i)
	}
	for i := 0; i < 3*indexThreshold; i++ {
		if v, ok := grown.Get(fmt.Sprint(i)); !ok || v != i {
			t.Fatalf("Get(%d) = %v, %v", i, v, ok)
		}
	}
	big := grown.With("5", "five")
	if v, _ := big.Get("5"); v != "five" || big.Members()[5].Key != "5" {
		t.Fatal("replacing in a large object moved the key or lost the value")
	}
	if v, _ := grown.Get("5"); v != 5 {
		t.Fatal("replacing in a large object changed the original")
	}
}

func TestObjectBuilder(t *testing.T) {
	b := NewObjectBuilder(2)
	for i := 0; i < 30; i++ {
		b.Set(fmt.Sprint(i%20), i)
	}
	o := b.Build()
	if o.Len() != 20 {
		t.Fatalf("Len = %d", o.Len())
	}
	for i := 0; i < 20; i++ {
		want := i
		if i < 10 {
			want = i + 20
		}
		if v, _ := o.Get(fmt.Sprint(i)); v != want || o.Members()[i].Key != fmt.Sprint(i) {
			t.Fatalf("member %d = %v (%s), want %d", i, v, o.Members()[i].Key, want)
		}
	}
	var zero ObjectBuilder
	if zero.Build() != EmptyObject() {
		t.Fatal("an empty builder does not give the empty object")
	}
}

func TestFromGoAndToGo(t *testing.T) {
	v := FromGo(map[string]any{"b": []any{map[string]any{"z": 1, "y": 2}}, "a": nil})
	if got := MustEncodeString(v); got != `{"a":null,"b":[{"y":2,"z":1}]}` {
		t.Fatalf("FromGo: %s", got)
	}
	plain := ToGo(mustDecode(t, `{"b":[{"y":2}],"a":"x"}`))
	want := map[string]any{"b": []any{map[string]any{"y": json.Number("2")}}, "a": "x"}
	if !reflect.DeepEqual(plain, want) {
		t.Fatalf("ToGo: %#v", plain)
	}
	shared := mustDecode(t, `[{"a":1}]`)
	if !Same(FromGo(shared), shared) {
		t.Fatal("FromGo copied a value that holds no map")
	}
}

func TestEqualIgnoresMemberOrder(t *testing.T) {
	a := mustDecode(t, `{"a":1,"b":{"x":[1,{"p":1,"q":2}],"y":2}}`)
	b := mustDecode(t, `{"b":{"y":2,"x":[1,{"q":2,"p":1.0}]},"a":1}`)
	if !Equal(a, b) || !Equal(b, a) {
		t.Fatal("objects differing only in member order are not equal")
	}
	if Equal(a, mustDecode(t, `{"a":1,"b":{"y":2,"x":[{"q":2,"p":1},1]}}`)) {
		t.Fatal("arrays in another order are equal")
	}
	if Equal(mustDecode(t, `{"a":1}`), mustDecode(t, `{"b":1}`)) {
		t.Fatal("different keys are equal")
	}
	if string(AppendCanonical(nil, a)) != string(AppendCanonical(nil, b)) {
		t.Fatal("the canonical form depends on member order")
	}
}

func TestMarshalJSONKeepsOrder(t *testing.T) {
	o := mustDecode(t, `{"b":"<&>","a":[1]}`)
	text, err := json.Marshal(map[string]any{"o": o})
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json keeps the order but escapes HTML in what MarshalJSON returns.
	if string(text) != `{"o":{"b":"\u003c\u0026\u003e","a":[1]}}` {
		t.Fatalf("json.Marshal = %s", text)
	}
}

func TestEncodeGoValues(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{map[string]any{"b": 1, "a": 2.5}, `{"a":2.5,"b":1}`},
		{1e21, `1e+21`}, {1e-7, `1e-7`}, {123456789.0, `123456789`}, {float32(0.1), `0.1`},
		{int64(-3), `-3`}, {uint64(7), `7`}, {int32(4), `4`},
		{[]any(nil), `null`}, {json.Number(""), `0`},
		{struct {
			A string `json:"a"`
		}{"<"}, `{"a":"<"}`},
		{"\u2028\x00<\xff", `"\u2028\u0000<\ufffd"`},
	}
	for _, tc := range cases {
		if got := MustEncodeString(tc.v); got != tc.want {
			t.Errorf("Encode(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
	for _, bad := range []any{json.Number("1x"), []any{1.0, mathNaN()}} {
		if _, err := Encode(bad); err == nil {
			t.Errorf("Encode(%v) gave no error", bad)
		}
	}
}

func mathNaN() float64 {
	zero := 0.0
	return zero / zero
}

func TestDecodeConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				text := fmt.Sprintf(`{"g":%d,"i":%d,"list":[{"x":"%d"},[%d]]}`, g, i, i, g)
				v, err := DecodeString(text)
				if err != nil {
					t.Error(err)
					return
				}
				if got := MustEncodeString(v); got != text {
					t.Errorf("%s came back as %s", text, got)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
