package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

// decodeStandard is how values were decoded before Decode had a parser of its own:
// encoding/json with UseNumber, and nothing after the value.
func decodeStandard(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid character after top-level value")
	}
	return v, nil
}

var fuzzSeeds = []string{
	`{"b":1,"a":[true,false,null,"x",-1.5e+3,{"c":{}}]}`, `[]`, `{}`, `""`, `0`, `-0.0E-0`, `"\u00e9\ud83d\ude00"`,
	`"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, `"\ud83d\ude00\ud83d"`, "\"\xff\xfe\"", "\"\xed\xa0\x80\"",
	`{"a":1,"a":2}`, ` [ 1 , 2 ] `, `[1,]`, `{"a":}`, `01`, `1.`, `"\q"`, "\"\t\"", `{"a":1}x`, `1 2`, `nul`,
	"\"\u2028\"", `"\/"`, `[[[[[]]]]]`, `{"":""}`, `1e400`, `123456789012345678901234567890`,
}

// FuzzDecode checks Decode against encoding/json: the same documents accepted, and the same
// values (objects compared as Go maps, which is how encoding/json holds them).
func FuzzDecode(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(data)
		want, wantErr := decodeStandard(data)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("Decode(%q): error %v, encoding/json: %v", data, err, wantErr)
		}
		if err != nil {
			if err.Error() != wantErr.Error() {
				t.Fatalf("Decode(%q): error %q, encoding/json: %q", data, err, wantErr)
			}
			return
		}
		if plain := ToGo(got); !reflect.DeepEqual(plain, want) {
			t.Fatalf("Decode(%q) = %#v, encoding/json: %#v", data, plain, want)
		}
		// Encoding gives what encoding/json gives for the same value, keys aside: the text
		// decodes again to the same value, and a document in compact form comes back as it was.
		text, err := Encode(got)
		if err != nil {
			t.Fatalf("Encode(Decode(%q)): %v", data, err)
		}
		again, err := Decode(text)
		if err != nil || !Equal(again, got) || MustEncodeString(again) != string(text) {
			t.Fatalf("%q encoded as %s, which decodes to %v (%v)", data, text, again, err)
		}
		var standard bytes.Buffer
		enc := json.NewEncoder(&standard)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(want); err != nil {
			t.Fatal(err)
		}
		// encoding/json writes map keys in byte order: so does Encode for a Go map.
		if mine := MustEncodeString(ToGo(got)); mine+"\n" != standard.String() {
			t.Fatalf("Encode = %s, encoding/json = %s", mine, standard.String())
		}
	})
}

// FuzzEncodeString checks AppendString against encoding/json for any string, valid UTF-8 or not.
func FuzzEncodeString(f *testing.F) {
	for _, seed := range []string{"", "plain", "\"\\\b\f\n\r\t\x00\x1f\x7f", "<&>", "\u2028\u2029", "\xff", "é😀", "\xed\xa0\x80"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var standard bytes.Buffer
		enc := json.NewEncoder(&standard)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := string(AppendString(nil, s)); got+"\n" != standard.String() {
			t.Fatalf("AppendString(%q) = %s, encoding/json = %s", s, got, standard.String())
		}
	})
}
