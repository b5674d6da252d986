package domain

import "fmt"

// SecurityLevel is a duty station's UN security level, 1 (Minimal) to 6 (Extreme). It belongs
// to the duty station (reference data kept by the security function), not to a request.
type SecurityLevel int

// Security levels.
const (
	LevelMinimal     SecurityLevel = 1
	LevelLow         SecurityLevel = 2
	LevelModerate    SecurityLevel = 3
	LevelSubstantial SecurityLevel = 4
	LevelHigh        SecurityLevel = 5
	LevelExtreme     SecurityLevel = 6
)

var levelNames = [...]string{"", "Minimal", "Low", "Moderate", "Substantial", "High", "Extreme"}

// Valid reports whether l is between 1 and 6.
func (l SecurityLevel) Valid() bool { return l >= LevelMinimal && l <= LevelExtreme }

// String returns the level's name, such as "Substantial".
func (l SecurityLevel) String() string {
	if !l.Valid() {
		return fmt.Sprintf("SecurityLevel(%d)", int(l))
	}
	return levelNames[l]
}

// DutyStation is a place experts are deployed to, with its security level.
type DutyStation struct {
	Country string        `json:"country"`
	Name    string        `json:"name"`
	Level   SecurityLevel `json:"level"`
}

// Country is reference data about a country.
type Country struct {
	// Code is the ISO 3166-1 alpha-2 code.
	Code       string `json:"code"`
	Name       string `json:"name"`
	Population int64  `json:"population"`
	// MemberState: only member states are eligible for activations.
	MemberState bool `json:"memberState"`
	// Fragile: on the fragility list used by the priority score.
	Fragile bool `json:"fragile"`
	// HasCountryOffice: the organisation has an office in the country.
	HasCountryOffice bool `json:"hasCountryOffice"`
}

// Reference is what the rules need to know about countries and duty stations. The store loads
// it; ReferenceSet is the in-memory implementation.
type Reference interface {
	Country(code string) (Country, bool)
	DutyStation(country, name string) (DutyStation, bool)
}

// ReferenceSet is reference data held in memory.
type ReferenceSet struct {
	Countries    map[string]Country
	DutyStations map[string]DutyStation // by country + "/" + name
}

var _ Reference = (*ReferenceSet)(nil)

// NewReferenceSet indexes the given countries and duty stations.
func NewReferenceSet(countries []Country, stations []DutyStation) *ReferenceSet {
	r := &ReferenceSet{Countries: map[string]Country{}, DutyStations: map[string]DutyStation{}}
	for _, c := range countries {
		r.Countries[c.Code] = c
	}
	for _, s := range stations {
		r.DutyStations[s.Country+"/"+s.Name] = s
	}
	return r
}

// Country returns the country with the code.
func (r *ReferenceSet) Country(code string) (Country, bool) {
	c, ok := r.Countries[code]
	return c, ok
}

// DutyStation returns the named duty station of the country.
func (r *ReferenceSet) DutyStation(country, name string) (DutyStation, bool) {
	s, ok := r.DutyStations[country+"/"+name]
	return s, ok
}
