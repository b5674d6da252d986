package api

import (
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fasttrack/fasttrack/shared/domain"
)

// DefaultPageSize and MaxPageSize bound the pages of every list.
const (
	DefaultPageSize = 25
	MaxPageSize     = 100
)

// queryReader reads query parameters and collects every error, so that a request with three bad
// parameters hears about all three.
type queryReader struct {
	values url.Values
	errors []FieldError
}

func newQuery(r *http.Request, allowed ...string) *queryReader {
	q := &queryReader{values: r.URL.Query()}
	known := map[string]bool{}
	for _, name := range allowed {
		known[name] = true
	}
	for _, name := range sortedKeysOf(q.values) {
		if !known[name] {
			q.fail(name, "is not a known query parameter")
		} else if len(q.values[name]) > 1 {
			q.fail(name, "must be given once")
		}
	}
	return q
}

func sortedKeysOf(values url.Values) []string {
	m := make(map[string]any, len(values))
	for k := range values {
		m[k] = nil
	}
	return sortedKeys(m)
}

func (q *queryReader) fail(field, reason string) {
	q.errors = append(q.errors, FieldError{Field: field, Reason: reason})
}

func (q *queryReader) text(name string, maxLength int) string {
	v := q.values.Get(name)
	if len(v) > maxLength {
		q.fail(name, "must be at most "+strconv.Itoa(maxLength)+" characters")
		return ""
	}
	return v
}

func (q *queryReader) country(name string) string {
	v := q.values.Get(name)
	if v != "" && !domain.ValidCountryCode(v) {
		q.fail(name, "must be an ISO 3166-1 alpha-2 code such as \"KE\"")
		return ""
	}
	return v
}

func (q *queryReader) time(name string) time.Time {
	v := q.values.Get(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		q.fail(name, "must be a time such as 2026-12-01T00:00:00Z")
	}
	return t
}

func (q *queryReader) limit() int {
	v := q.values.Get("limit")
	if v == "" {
		return DefaultPageSize
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPageSize {
		q.fail("limit", "must be an integer from 1 to "+strconv.Itoa(MaxPageSize))
		return DefaultPageSize
	}
	return n
}

func (q *queryReader) cursor() string {
	v := q.values.Get("cursor")
	if len(v) > 2048 {
		q.fail("cursor", "is not a cursor this API gave")
		return ""
	}
	return v
}

// oneOf reads a parameter that must be one of valid.
func oneOf[T ~string](q *queryReader, name string, valid []T) T {
	v := q.values.Get(name)
	if v == "" {
		return ""
	}
	for _, candidate := range valid {
		if string(candidate) == v {
			return candidate
		}
	}
	names := make([]string, len(valid))
	for i, c := range valid {
		names[i] = string(c)
	}
	q.fail(name, "must be one of "+strings.Join(names, ", "))
	return ""
}

// problem returns the collected errors as one problem, or nil.
func (q *queryReader) problem() *Problem {
	if len(q.errors) == 0 {
		return nil
	}
	return NewProblem(ProblemValidation, "the query has invalid parameters", q.errors...)
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newActivationID returns a random id that is also a valid execution name (at most 80
// characters of letters, digits, '-' and '_').
func newActivationID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "act-" + strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// validID reports whether a path id is plausible: bounded, letters, digits, '-', '_' and '.'.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
