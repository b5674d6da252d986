package domain

import (
	"fmt"
	"time"
)

// DateLayout is how a Date is written: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// Date is a calendar day with no time of day and no zone, written YYYY-MM-DD. It is a string so
// that it travels through JSON and DynamoDB unchanged, and so that two valid dates compare in
// calendar order as strings. Deployment periods are whole days, both ends included.
type Date string

// ParseDate returns the Date of s, or an error if s is not a real day written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil || t.Format(DateLayout) != s {
		return "", fmt.Errorf("must be a date YYYY-MM-DD")
	}
	return Date(s), nil
}

// DateOf returns the calendar day of t in UTC.
func DateOf(t time.Time) Date { return Date(t.UTC().Format(DateLayout)) }

// Valid reports whether d is a real day written YYYY-MM-DD.
func (d Date) Valid() bool {
	_, err := ParseDate(string(d))
	return err == nil
}

// Time returns midnight UTC of d; the zero time if d is not valid.
func (d Date) Time() time.Time {
	t, err := time.Parse(DateLayout, string(d))
	if err != nil {
		return time.Time{}
	}
	return t
}

// AddDays returns the day n days after d (before it for negative n).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d < e }

// After reports whether d is a later day than e.
func (d Date) After(e Date) bool { return d > e }

// String returns d as written.
func (d Date) String() string { return string(d) }

// Period is a range of whole days, Start and End both included.
type Period struct {
	Start Date `json:"start"`
	End   Date `json:"end"`
}

// PeriodOf returns the period of days starting on start and lasting days days.
func PeriodOf(start Date, days int) Period {
	return Period{Start: start, End: start.AddDays(days - 1)}
}

// Overlaps reports whether p and q share at least one day.
func (p Period) Overlaps(q Period) bool { return !p.End.Before(q.Start) && !q.End.Before(p.Start) }

// Contains reports whether every day of q is in p.
func (p Period) Contains(q Period) bool { return !q.Start.Before(p.Start) && !q.End.After(p.End) }

// Days returns the number of days in p.
func (p Period) Days() int { return int(p.End.Time().Sub(p.Start.Time()).Hours()/24) + 1 }

// Valid reports whether both ends are real days and End is not before Start.
func (p Period) Valid() bool { return p.Start.Valid() && p.End.Valid() && !p.End.Before(p.Start) }
