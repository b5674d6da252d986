package api

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestEntityTags(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{`"3-9f86d081884c7d65"`, []string{`"3-9f86d081884c7d65"`}},
		{`*`, []string{"*"}},
		{` W/"a" ,"b",,  "c" `, []string{`W/"a"`, `"b"`, `"c"`}},
		{`"a,b", "c"`, []string{`"a,b"`, `"c"`}},
		{`""`, []string{`""`}},
		// Malformed members match nothing; the rest of the line still counts.
		{`abc, "c"`, []string{`"c"`}},
		{`"a"x, "c"`, []string{`"c"`}},
		{`W/abc, W/"c"`, []string{`W/"c"`}},
		{`w/"a", "b`, nil},
		{`"a b", "c"`, []string{`"c"`}},
		{`W/*, "c"`, []string{`"c"`}},
		{`"a" "b", "c"`, []string{`"c"`}},
		{``, nil},
		{` , ,`, nil},
	} {
		if got := entityTags(c.line); !slices.Equal(got, c.want) {
			t.Errorf("entityTags(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

func TestNoneMatch(t *testing.T) {
	const etag = `"3-9f86d081884c7d65"`
	for _, c := range []struct {
		name  string
		lines []string
		want  bool
	}{
		{"absent", nil, false},
		{"the same tag", []string{etag}, true},
		{"any", []string{"*"}, true},
		{"weak form of it", []string{`W/` + etag}, true},
		{"in a list", []string{`"1-0000000000000000", ` + etag}, true},
		{"on a second line", []string{`"other"`, etag}, true},
		{"another digest", []string{`"3-0000000000000000"`}, false},
		{"the version alone", []string{`"3"`}, false},
		{"unquoted", []string{`3-9f86d081884c7d65`}, false},
		{"case matters", []string{strings.ToUpper(etag)}, false},
		{"a malformed member beside it", []string{`nonsense, ` + etag}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, line := range c.lines {
				h.Add("If-None-Match", line)
			}
			if got := noneMatch(h, etag); got != c.want {
				t.Fatalf("noneMatch(%q) = %v, want %v", c.lines, got, c.want)
			}
		})
	}
}

func TestExpertViewETag(t *testing.T) {
	first := expertViewETag(3, []byte(`{"expert":{"id":"exp-1"}}`))
	if !regexp.MustCompile(`^"3-[0-9a-f]{16}"$`).MatchString(first) {
		t.Fatalf("ETag %s", first)
	}
	if first != expertViewETag(3, []byte(`{"expert":{"id":"exp-1"}}`)) {
		t.Fatal("one answer, two ETags")
	}
	if first == expertViewETag(3, []byte(`{"expert":{"id":"exp-2"}}`)) || first == expertViewETag(4, []byte(`{"expert":{"id":"exp-1"}}`)) {
		t.Fatal("two answers, one ETag")
	}
	for _, c := range []struct {
		tag     string
		version int
		ok      bool
	}{
		{"3", 3, true},
		{"0", 0, true},
		{"12-9f86d081884c7d65", 12, true},
		{first[1 : len(first)-1], 3, true},
		{"-3", 0, false},
		{"+3", 0, false},
		{"3-", 0, false},
		{"3-9F86D081884C7D65", 0, false},
		{"3-9f86d081884c7d6", 0, false},
		{"3-9f86d081884c7d65-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{"99999999999999999999", 0, false},
	} {
		if version, ok := versionOfTag(c.tag); version != c.version || ok != c.ok {
			t.Errorf("versionOfTag(%q) = %d %v, want %d %v", c.tag, version, ok, c.version, c.ok)
		}
	}
}
