package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

// casesDir is where the cases live, relative to this package.
const casesDir = "testdata/cases"

// minimumCases is the number of cases the suite must hold at least.
const minimumCases = 150

func TestSameJSON(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"equal objects in any member order", `{"a":1,"b":[true,null]}`, `{"b":[true,null],"a":1}`, true},
		{"integer equals decimal", `1`, `1.0`, true},
		{"exponent equals integer", `1e3`, `1000`, true},
		{"big integers kept exact", `9007199254740993`, `9007199254740992`, false},
		{"different numbers", `1.5`, `1.50001`, false},
		{"array order matters", `[1,2]`, `[2,1]`, false},
		{"missing member", `{"a":1}`, `{"a":1,"b":2}`, false},
		{"null is not absent", `{"a":null}`, `{}`, false},
		{"string is not number", `"1"`, `1`, false},
		{"nested difference", `{"a":{"b":[1,{"c":"x"}]}}`, `{"a":{"b":[1,{"c":"y"}]}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SameJSON([]byte(tt.a), []byte(tt.b))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("SameJSON(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
	if _, err := SameJSON([]byte(`{`), []byte(`{}`)); err == nil {
		t.Error("SameJSON accepted invalid JSON")
	}
}

// TestSameText: the comparison behind "orderedOutput" sees member order and number spelling,
// and nothing else.
func TestSameText(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":[true,null]}`, "{\n  \"a\": 1,\n  \"b\": [ true, null ]\n}", true},
		{`{"a":1,"b":2}`, `{"b":2,"a":1}`, false},
		{`{"a":{"x":1,"y":2}}`, `{"a":{"y":2,"x":1}}`, false},
		{`1`, `1.0`, false},
		{`"a b"`, `"a b"`, true},
	}
	for _, tt := range tests {
		got, err := SameText([]byte(tt.a), []byte(tt.b))
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("SameText(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	if _, err := SameText([]byte(`{`), []byte(`{}`)); err == nil {
		t.Error("SameText accepted invalid JSON")
	}
}

func TestHasSubsequence(t *testing.T) {
	got := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if ok, _ := HasSubsequence(got, []string{"ExecutionStarted", "ExecutionSucceeded"}); !ok {
		t.Error("a gapped subsequence was not found")
	}
	if ok, at := HasSubsequence(got, []string{"PassStateExited", "PassStateEntered"}); ok || at != 1 {
		t.Errorf("out-of-order events: got (%v, %d), want (false, 1)", ok, at)
	}
	if ok, _ := HasSubsequence(got, nil); !ok {
		t.Error("the empty subsequence must always be found")
	}
}

func TestElapsedDecoding(t *testing.T) {
	var exact, bounds Elapsed
	if err := json.Unmarshal([]byte(`7.5`), &exact); err != nil || exact.Min != 7.5 || exact.Max != 7.5 {
		t.Errorf("exact: %+v, %v", exact, err)
	}
	if err := json.Unmarshal([]byte(`{"min":0,"max":12}`), &bounds); err != nil || bounds.Min != 0 || bounds.Max != 12 {
		t.Errorf("bounds: %+v, %v", bounds, err)
	}
	if err := json.Unmarshal([]byte(`{"min":3,"max":1}`), &bounds); err == nil {
		t.Error("a range with max below min was accepted")
	}
}

func TestLoadCasesRejectsMalformedCases(t *testing.T) {
	tests := map[string]string{
		"name-differs":      `{"name":"other","source":"s","definition":{},"input":{},"expect":{"status":"SUCCEEDED"}}`,
		"no-source":         `{"name":"no-source","source":"","definition":{},"input":{},"expect":{"status":"SUCCEEDED"}}`,
		"bad-status":        `{"name":"bad-status","source":"s","definition":{},"input":{},"expect":{"status":"DONE"}}`,
		"failed-no-name":    `{"name":"failed-no-name","source":"s","definition":{},"input":{},"expect":{"status":"FAILED"}}`,
		"unknown-field":     `{"name":"unknown-field","source":"s","definition":{},"input":{},"expect":{"status":"SUCCEEDED"},"extra":1}`,
		"mixed":             `{"name":"mixed","source":"s","definition":{},"input":{},"expect":{"status":"SUCCEEDED","createError":"InvalidDefinition"}}`,
		"ordered-no-output": `{"name":"ordered-no-output","source":"s","definition":{},"input":{},"expect":{"status":"SUCCEEDED","orderedOutput":true}}`,
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "area"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "area", name+".json"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadCases(dir); err == nil {
				t.Errorf("LoadCases accepted %s", text)
			}
		})
	}
}

// TestCases checks the suite itself: enough cases, every one well formed, and every Lambda
// function a definition calls listed in the case and provided by Lambdas.
func TestCases(t *testing.T) {
	cases, err := LoadCases(casesDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < minimumCases {
		t.Fatalf("found %d cases, want at least %d", len(cases), minimumCases)
	}
	provided := map[string]bool{}
	for _, name := range NewLambdas().Names() {
		provided[name] = true
	}
	function := regexp.MustCompile(`arn:aws:lambda:[^:"]*:[^:"]*:function:([A-Za-z0-9_-]+)`)
	for _, c := range cases {
		called := map[string]bool{}
		for _, m := range function.FindAllStringSubmatch(string(c.Definition), -1) {
			called[m[1]] = true
		}
		listed := map[string]bool{}
		for _, name := range c.Lambdas {
			listed[name] = true
		}
		for name := range called {
			if !listed[name] {
				t.Errorf("%s: calls %s but does not list it in lambdas", c.ID, name)
			}
		}
		for name := range listed {
			if !called[name] {
				t.Errorf("%s: lists %s in lambdas but never calls it", c.ID, name)
			}
			if !provided[name] && name != "NoSuchFunction" {
				t.Errorf("%s: no test function %s", c.ID, name)
			}
		}
		if c.Expect.CreateError == "" && c.DefinitionText == nil {
			var definition map[string]any
			if err := json.Unmarshal(c.Definition, &definition); err != nil {
				t.Errorf("%s: definition is not a JSON object: %v", c.ID, err)
			}
		}
	}
	perArea := map[string]int{}
	for _, c := range cases {
		perArea[c.Area]++
	}
	areas := make([]string, 0, len(perArea))
	for area := range perArea {
		areas = append(areas, area)
	}
	sort.Strings(areas)
	for _, area := range areas {
		t.Logf("%-15s %3d cases", area, perArea[area])
	}
	t.Logf("%-15s %3d cases", "total", len(cases))
}
