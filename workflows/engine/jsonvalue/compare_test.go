package jsonvalue

import (
	"encoding/json"
	"testing"
)

func TestCompareNumbers(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"0", "0", 0},
		{"0", "-0", 0},
		{"0.0", "0e10", 0},
		{"1", "1.0", 0},
		{"1", "1e0", 0},
		{"100", "1e2", 0},
		{"100", "1E+2", 0},
		{"0.05", "5e-2", 0},
		{"0.05", "5E-2", 0},
		{"1.50", "1.5", 0},
		{"1", "2", -1},
		{"2", "1", 1},
		{"-1", "1", -1},
		{"-2", "-1", -1},
		{"-1", "0", -1},
		{"0", "-1", 1},
		{"0", "0.0001", -1},
		{"-0.0001", "0", -1},
		{"9.99", "10", -1},
		{"10", "9.99", 1},
		{"0.1", "0.09", 1},
		{"123.456", "123.4561", -1},
		{"1e-7", "0.0000001", 0},
		// Beyond float64: these differ in the last digit.
		{"9007199254740993", "9007199254740992", 1},
		{"123456789012345678901234567890", "123456789012345678901234567891", -1},
		{"1e400", "1e399", 1},
		{"-1e400", "1e-400", -1},
		{"1e99999999999999999999", "1e99999999999999999998", 0}, // exponents past the cap compare equal
	}
	for _, tc := range cases {
		got, ok := CompareNumbers(json.Number(tc.a), json.Number(tc.b))
		if !ok || got != tc.want {
			t.Errorf("CompareNumbers(%s, %s) = %d, %v; want %d", tc.a, tc.b, got, ok, tc.want)
		}
		back, _ := CompareNumbers(json.Number(tc.b), json.Number(tc.a))
		if back != -tc.want {
			t.Errorf("CompareNumbers(%s, %s) = %d, not the opposite of the other order", tc.b, tc.a, back)
		}
	}
	for _, bad := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1x", "NaN", "0x10", " 1"} {
		if _, ok := CompareNumbers(json.Number(bad), "1"); ok {
			t.Errorf("CompareNumbers(%q) accepted an invalid number", bad)
		}
	}
}

func TestCompareNumbersDoesNotAllocate(t *testing.T) {
	allocations := testing.AllocsPerRun(100, func() {
		CompareNumbers("123456789.123e-3", "123456.789123")
	})
	if allocations != 0 {
		t.Fatalf("CompareNumbers allocates %.0f times", allocations)
	}
}

func TestEqual(t *testing.T) {
	decode := func(s string) any {
		v, err := DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	equal := [][2]string{
		{`null`, `null`},
		{`true`, `true`},
		{`"ü"`, `"ü"`},
		{`1`, `1.0`},
		{`{"a": [1, {"b": null}], "c": "d"}`, `{"c": "d", "a": [1.0, {"b": null}]}`},
		{`[]`, `[]`},
		{`{}`, `{}`},
	}
	for _, pair := range equal {
		if !Equal(decode(pair[0]), decode(pair[1])) {
			t.Errorf("Equal(%s, %s) = false", pair[0], pair[1])
		}
	}
	different := [][2]string{
		{`null`, `false`},
		{`1`, `"1"`},
		{`true`, `"true"`},
		{`[1, 2]`, `[2, 1]`},
		{`[1]`, `[1, 1]`},
		{`{"a": 1}`, `{"a": 1, "b": 1}`},
		{`{"a": 1}`, `{"b": 1}`},
		{`{"a": null}`, `{}`},
		{`[]`, `{}`},
		{`"a"`, `"A"`},
	}
	for _, pair := range different {
		if Equal(decode(pair[0]), decode(pair[1])) || Equal(decode(pair[1]), decode(pair[0])) {
			t.Errorf("Equal(%s, %s) = true", pair[0], pair[1])
		}
	}
	if !Equal(json.Number("2"), 2.0) || !Equal(2, json.Number("2.0")) || Equal(json.Number("2"), "2") {
		t.Error("Equal mishandles Go numeric types")
	}
}

func TestCompareStrings(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "a", -1},
		{"a", "", 1},
		{"A", "AB", -1},
		{"AB", "A", 1},
		{"A", "B", -1},
		{"a", "B", 1},
		{"é", "e", 1},
		// Java's compareTo works on UTF-16 code units: U+1F600 (surrogates D83D DE00) sorts
		// before U+FFFF, although its code point is larger.
		{"😀", "\uffff", -1},
		{"\ue000", "😀", 1},
		{"😀", "😁", -1},
		{"x😀", "x\uffff", -1},
		{"\xff", "\xfe", 1},
	}
	for _, tc := range cases {
		if got := CompareStrings(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareStrings(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestUTF16Length(t *testing.T) {
	if n := UTF16Length("aé😀"); n != 4 {
		t.Fatalf("UTF16Length = %d, want 4", n)
	}
}

func TestAppendCanonical(t *testing.T) {
	decode := func(s string) any {
		v, err := DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	same := [][2]string{
		{`{"b": 1, "a": [1.50, "x"]}`, `{"a": [15e-1, "x"], "b": 1.0}`},
		{`0`, `-0.0`},
		{`-120`, `-1.2e2`},
	}
	for _, pair := range same {
		a, b := string(AppendCanonical(nil, decode(pair[0]))), string(AppendCanonical(nil, decode(pair[1])))
		if a != b {
			t.Errorf("canonical forms differ: %s -> %q, %s -> %q", pair[0], a, pair[1], b)
		}
	}
	different := [][2]string{
		{`"1"`, `1`},
		{`["ab"]`, `["a", "b"]`},
		{`{"a": "b"}`, `{"ab": ""}`},
		{`1`, `10`},
		{`null`, `"n"`},
	}
	for _, pair := range different {
		a, b := string(AppendCanonical(nil, decode(pair[0]))), string(AppendCanonical(nil, decode(pair[1])))
		if a == b {
			t.Errorf("canonical forms of %s and %s are both %q", pair[0], pair[1], a)
		}
	}
}
