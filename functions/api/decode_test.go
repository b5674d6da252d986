package api

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// shapeRequest has the shapes of an activation request: nested objects, arrays of objects,
// integers, strings, an embedded struct.
type shapeRequest struct {
	shapeEmbedded
	DutyStation    string         `json:"dutyStation"`
	CrisisType     string         `json:"crisisType"`
	Phase          string         `json:"phase"`
	PeopleAffected map[string]int `json:"peopleAffected"`
	TargetGroups   []string       `json:"targetGroups"`
	Amount         struct {
		Value    int64  `json:"value"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Purpose  string `json:"purpose"`
	Profiles []struct {
		Area      string   `json:"area"`
		Languages []string `json:"languages"`
		StartDate string   `json:"startDate"`
		Days      int      `json:"days"`
	} `json:"profiles"`
	DemandReference string `json:"demandReference"`
	Justification   string `json:"justification"`
}

type shapeEmbedded struct {
	Country string `json:"country"`
}

func fieldsOf(p *Problem) []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field+": "+e.Reason)
	}
	return out
}

func TestDecodeNamesEveryShapeError(t *testing.T) {
	cases := []struct {
		name string
		body string
		kind ProblemKind
		want []string
	}{
		{"unknown top-level field", `{"country":"KE","office":"HT"}`, ProblemValidation, []string{"office: is not a known field"}},
		{"unknown nested field", `{"amount":{"value":1,"currency":"USD","cents":true}}`, ProblemValidation, []string{"amount.cents: is not a known field"}},
		{"string for an integer", `{"amount":{"value":"12000","currency":"USD"}}`, ProblemValidation, []string{"amount.value: must be an integer"}},
		{"fraction for an integer", `{"amount":{"value":12.5,"currency":"USD"}}`, ProblemValidation, []string{"amount.value: must be an integer"}},
		{"exponent for an integer", `{"amount":{"value":1e3,"currency":"USD"}}`, ProblemValidation, []string{"amount.value: must be an integer"}},
		{"absurd integer", `{"amount":{"value":123456789012345678901234567890,"currency":"USD"}}`, ProblemValidation, []string{"amount.value: is too large"}},
		{"number for a string", `{"country":7}`, ProblemValidation, []string{"country: must be a string"}},
		{"object for an array", `{"profiles":{"area":"gender"}}`, ProblemValidation, []string{"profiles: must be an array"}},
		{"wrong type inside an array", `{"profiles":[{"days":"ten"}],"targetGroups":[1]}`, ProblemValidation,
			[]string{"profiles[0].days: must be an integer", "targetGroups[0]: must be a string"}},
		{"null for an object", `{"amount":null}`, ProblemValidation, []string{"amount: must not be null"}},
		{"several at once", `{"country":1,"dutyStation":true,"extra":0}`, ProblemValidation,
			[]string{"country: must be a string", "dutyStation: must be a string", "extra: is not a known field"}},
		{"array at the top", `[]`, ProblemValidation, []string{": must be an object"}},
		{"syntax error", `{"country":`, ProblemMalformed, nil},
		{"trailing data", `{} {}`, ProblemMalformed, nil},
		{"empty body", ``, ProblemMalformed, nil},
		{"duplicate key", `{"country":"KE","country":"HT"}`, ProblemMalformed, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var target shapeRequest
			p := decodeBytes([]byte(tc.body), &target)
			if p == nil {
				t.Fatal("accepted")
			}
			if p.Type != tc.kind.Type() || p.Status != tc.kind.Status {
				t.Fatalf("problem = %+v, want kind %s", p, tc.kind.Slug)
			}
			got := fieldsOf(p)
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("field errors = %q, want %q", got, want)
			}
			if target.Country != "" || target.Amount.Value != 0 {
				t.Fatalf("target was written despite the refusal: %+v", target)
			}
		})
	}
}

func TestDecodeAcceptsAWellShapedBody(t *testing.T) {
	var target shapeRequest
	body := `{"country":"HT","dutyStation":"Port-au-Prince","crisisType":"natural_disaster","phase":"response",
	  "peopleAffected":{"women":1,"men":2,"girls":3,"boys":4},"targetGroups":["women"],
	  "amount":{"value":12000000,"currency":"USD"},"purpose":"p",
	  "profiles":[{"area":"gender","languages":["fr"],"startDate":"2026-12-01","days":45}],
	  "demandReference":"ref","justification":"j"}`
	if p := decodeBytes([]byte(body), &target); p != nil {
		t.Fatalf("refused: %+v", p)
	}
	if target.Amount.Value != 12000000 || target.Profiles[0].StartDate != "2026-12-01" || target.PeopleAffected["boys"] != 4 {
		t.Fatalf("decoded %+v", target)
	}
}

func TestDecodeJSONChecksMediaTypeAndSize(t *testing.T) {
	post := func(contentType string, body []byte) *Problem {
		req := httptest.NewRequest(http.MethodPost, "/x", bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		var target shapeRequest
		return decodeJSON(httptest.NewRecorder(), req, &target)
	}
	if p := post("text/plain", []byte(`{}`)); p == nil || p.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %+v", p)
	}
	if p := post("", []byte(`{}`)); p == nil || p.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("no content type: %+v", p)
	}
	if p := post("application/json; charset=utf-8", []byte(`{}`)); p != nil {
		t.Fatalf("json with charset refused: %+v", p)
	}
	big := []byte(`{"purpose":"` + strings.Repeat("x", MaxBodyBytes) + `"}`)
	if p := post("application/json", big); p == nil || p.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize body: %+v", p)
	}
}

func TestProblemIsAnError(t *testing.T) {
	var err error = NewProblem(ProblemConflict, "already cancelled")
	var p *Problem
	if !errors.As(err, &p) || p.Status != http.StatusConflict || !strings.Contains(err.Error(), "already cancelled") {
		t.Fatalf("problem as error: %v", err)
	}
}
