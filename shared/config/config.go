// Package config holds every number of the business rules (thresholds, caps, deadlines,
// weights, limits) with its default, so that no rule hides a constant.
//
// Defaults are in Default. A deployment changes them with a file named by FASTTRACK_CONFIG_FILE
// (JSON, or YAML when it ends in .yaml or .yml) and/or a JSON document in FASTTRACK_CONFIG_JSON
// (applied after the file). Both are merged over the defaults field by field: a document that names only
// {"deadlines": {"security": "12h"}} changes only that deadline. Durations are Go durations
// ("24h", "90m"); money is in minor units of its currency. Unknown fields are an error, so a
// misspelt setting never silently does nothing.
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Environment variables that Load reads.
const (
	EnvFile = "FASTTRACK_CONFIG_FILE"
	EnvJSON = "FASTTRACK_CONFIG_JSON"
)

// Config is every tunable number of the rules.
type Config struct {
	Fund        Fund        `json:"fund"`
	Security    Security    `json:"security"`
	Priority    Priority    `json:"priority"`
	Deadlines   Deadlines   `json:"deadlines"`
	Escalation  Escalation  `json:"escalation"`
	Policy      Policy      `json:"policy"`
	Limits      Limits      `json:"limits"`
	Idempotency Idempotency `json:"idempotency"`
	Activation  Activation  `json:"activation"`
}

// Thresholds are the fund's release tiers in one currency, in minor units.
type Thresholds struct {
	// AutoRelease: up to this amount the reservation is released at once.
	AutoRelease int64 `json:"autoRelease"`
	// SeniorManagement: above this, finance AND senior management approve (four eyes).
	// Between AutoRelease and this, finance alone.
	SeniorManagement int64 `json:"seniorManagement"`
	// Cap: nothing above this per activation.
	Cap int64 `json:"cap"`
}

// Fund configures the rapid action fund.
type Fund struct {
	// Currencies the fund holds, with their tiers. A request in another currency is refused.
	Currencies map[string]Thresholds `json:"currencies"`
}

// Security configures clearance by duty-station level.
type Security struct {
	// AutoClearMax: levels up to this are cleared automatically (default 2).
	AutoClearMax int `json:"autoClearMax"`
	// ApprovalMax: levels above AutoClearMax up to this need a security approver (default 5);
	// above it, denied unless senior management overrides.
	ApprovalMax int `json:"approvalMax"`
	// AdvancedTrainingFrom: from this level, deployees need the advanced training (default 3).
	AdvancedTrainingFrom int `json:"advancedTrainingFrom"`
	// MaliciousActsFrom: from this level, deployees need malicious-acts cover (default 3).
	MaliciousActsFrom int `json:"maliciousActsFrom"`
	// OverrideJustificationMin is the shortest justification a level-6 override accepts.
	OverrideJustificationMin int `json:"overrideJustificationMin"`
}

// Priority configures the priority score; see domain.PriorityScore for the formula.
type Priority struct {
	// Weights of the five components; they sum to 100.
	AffectedWeight int `json:"affectedWeight"`
	SeverityWeight int `json:"severityWeight"`
	FragileWeight  int `json:"fragileWeight"`
	SecurityWeight int `json:"securityWeight"`
	OfficeWeight   int `json:"officeWeight"`
	// AffectedSaturation is the share of the population affected (in basis points, 1/10000)
	// at which the affected component is full: 1000 = 10%.
	AffectedSaturation int64 `json:"affectedSaturationBasisPoints"`
	// Severity of each crisis type in percent (0-100).
	Severity map[string]int `json:"severity"`
	// PhaseFactor scales severity by phase, in percent.
	PhaseFactor map[string]int `json:"phaseFactor"`
}

// Deadlines are how long each approver role has to decide.
type Deadlines map[string]Duration

// Escalation configures where a task goes when its deadline passes.
type Escalation struct {
	// Targets maps a role to the role its overdue tasks escalate to.
	Targets map[string]string `json:"targets"`
	// MaxLevel is how many escalations a task may have; a deadline missed at this level
	// fails the step with ApprovalTimedOut.
	MaxLevel int `json:"maxLevel"`
}

// Policy configures separation of duties.
type Policy struct {
	// SameOfficeForbidden lists the approver roles that may not decide activations of their
	// own office.
	SameOfficeForbidden []string `json:"sameOfficeForbidden"`
}

// Limits bound request input.
type Limits struct {
	MaxProfiles        int   `json:"maxProfiles"`
	MaxLanguages       int   `json:"maxLanguages"`
	MaxTargetGroups    int   `json:"maxTargetGroups"`
	MaxPeopleEach      int64 `json:"maxPeopleEach"`
	MaxDays            int   `json:"maxDays"`
	MaxPurpose         int   `json:"maxPurpose"`
	MaxJustification   int   `json:"maxJustification"`
	MaxDemandReference int   `json:"maxDemandReference"`
	MaxDutyStation     int   `json:"maxDutyStation"`
	MaxComment         int   `json:"maxComment"`
	// MaxStartAhead is how far ahead a deployment may start.
	MaxStartAhead Duration `json:"maxStartAhead"`
}

// Idempotency configures idempotency keys.
type Idempotency struct {
	// TTL is how long a key's first answer is kept.
	TTL Duration `json:"ttl"`
	// MaxKeyLength bounds the Idempotency-Key header.
	MaxKeyLength int `json:"maxKeyLength"`
}

// Activation configures activations.
type Activation struct {
	// MaxDuration bounds an activation's life: its end date is at most this long after
	// activation (emergency activations expire, renewable).
	MaxDuration Duration `json:"maxDuration"`
}

// Duration is a time.Duration written as a Go duration string in JSON ("24h").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"24h\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

const hour = Duration(time.Hour)

// Default returns the project's default rules (DOMAIN.md).
func Default() *Config {
	usd := Thresholds{AutoRelease: 5_000_000, SeniorManagement: 25_000_000, Cap: 100_000_000}
	return &Config{
		Fund: Fund{Currencies: map[string]Thresholds{
			"USD": usd,
			// Roughly the same tiers in the other currencies donors give in.
			"EUR": {AutoRelease: 4_500_000, SeniorManagement: 23_000_000, Cap: 92_000_000},
			"CHF": {AutoRelease: 4_500_000, SeniorManagement: 22_000_000, Cap: 90_000_000},
		}},
		Security: Security{AutoClearMax: 2, ApprovalMax: 5, AdvancedTrainingFrom: 3, MaliciousActsFrom: 3,
			OverrideJustificationMin: 20},
		Priority: Priority{
			AffectedWeight: 35, SeverityWeight: 25, FragileWeight: 15, SecurityWeight: 15, OfficeWeight: 10,
			AffectedSaturation: 1000,
			Severity: map[string]int{
				"armed_conflict": 100, "natural_disaster": 90, "health_emergency": 80,
				"displacement": 80, "economic_downturn": 50, "political_transition": 40,
			},
			PhaseFactor: map[string]int{"response": 100, "recovery": 60, "preparedness": 40},
		},
		Deadlines: Deadlines{
			"security": 24 * hour, "finance": 24 * hour, "hr": 48 * hour,
			"senior-management": 24 * hour,
		},
		Escalation: Escalation{
			Targets: map[string]string{
				"security": "senior-management",
				"finance":  "senior-management",
				"hr":       "senior-management",
			},
			MaxLevel: 1,
		},
		Policy: Policy{SameOfficeForbidden: []string{"security", "finance",
			"hr", "senior-management"}},
		Limits: Limits{
			MaxProfiles: 20, MaxLanguages: 5, MaxTargetGroups: 6, MaxPeopleEach: 1_000_000_000,
			MaxDays: 365, MaxPurpose: 500, MaxJustification: 2000, MaxDemandReference: 300,
			MaxDutyStation: 100, MaxComment: 2000, MaxStartAhead: 365 * 24 * hour,
		},
		Idempotency: Idempotency{TTL: 24 * hour, MaxKeyLength: 200},
		Activation:  Activation{MaxDuration: 183 * 24 * hour},
	}
}

// Load returns the defaults merged with the file named by FASTTRACK_CONFIG_FILE and then the
// JSON in FASTTRACK_CONFIG_JSON, both optional. getenv is os.Getenv outside tests.
func Load(getenv func(string) string) (*Config, error) {
	cfg := Default()
	if path := getenv(EnvFile); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
			if data, err = yamlToJSON(data); err != nil {
				return nil, fmt.Errorf("config: %s: %w", path, err)
			}
		}
		if err := cfg.Merge(data); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if doc := getenv(EnvJSON); doc != "" {
		if err := cfg.Merge([]byte(doc)); err != nil {
			return nil, fmt.Errorf("config: %s: %w", EnvJSON, err)
		}
	}
	return cfg, nil
}

// yamlToJSON turns a YAML document into JSON, so that it goes through the same strict decoding
// (unknown fields refused) as a JSON one.
func yamlToJSON(data []byte) ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(doc)
}

// Merge applies a JSON document over c and checks the result. Maps are merged key by key.
func (c *Config) Merge(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	next := c.clone()
	if err := dec.Decode(next); err != nil {
		return err
	}
	if err := next.Check(); err != nil {
		return err
	}
	*c = *next
	return nil
}

func (c *Config) clone() *Config {
	data, _ := json.Marshal(c)
	var out Config
	_ = json.Unmarshal(data, &out)
	return &out
}

// Check reports a configuration whose numbers contradict each other.
func (c *Config) Check() error {
	if len(c.Fund.Currencies) == 0 {
		return fmt.Errorf("fund.currencies: at least one currency")
	}
	for cur, t := range c.Fund.Currencies {
		if len(cur) != 3 || strings.ToUpper(cur) != cur {
			return fmt.Errorf("fund.currencies.%s: not an ISO 4217 code", cur)
		}
		if t.AutoRelease < 0 || t.AutoRelease > t.SeniorManagement || t.SeniorManagement > t.Cap || t.Cap <= 0 {
			return fmt.Errorf("fund.currencies.%s: need 0 <= autoRelease <= seniorManagement <= cap, cap > 0", cur)
		}
	}
	s := c.Security
	if s.AutoClearMax < 0 || s.AutoClearMax > s.ApprovalMax || s.ApprovalMax > 6 {
		return fmt.Errorf("security: need 0 <= autoClearMax <= approvalMax <= 6")
	}
	p := c.Priority
	if p.AffectedWeight+p.SeverityWeight+p.FragileWeight+p.SecurityWeight+p.OfficeWeight != 100 {
		return fmt.Errorf("priority: the weights must sum to 100")
	}
	if p.AffectedSaturation <= 0 {
		return fmt.Errorf("priority.affectedSaturationBasisPoints: must be positive")
	}
	for _, r := range []string{"security", "finance", "hr", "senior-management"} {
		if c.Deadlines[r] <= 0 {
			return fmt.Errorf("deadlines.%s: must be positive", r)
		}
	}
	if c.Escalation.MaxLevel < 0 {
		return fmt.Errorf("escalation.maxLevel: must not be negative")
	}
	l := c.Limits
	if l.MaxProfiles < 1 || l.MaxDays < 1 || l.MaxLanguages < 1 {
		return fmt.Errorf("limits: maxProfiles, maxDays and maxLanguages must be at least 1")
	}
	if c.Idempotency.TTL <= 0 {
		return fmt.Errorf("idempotency.ttl: must be positive")
	}
	return nil
}

// Thresholds returns the fund tiers of the currency, if the fund holds it.
func (c *Config) Thresholds(currency string) (Thresholds, bool) {
	t, ok := c.Fund.Currencies[currency]
	return t, ok
}

// Deadline returns how long the role has to decide (24h if the role has none configured).
func (c *Config) Deadline(role string) time.Duration {
	if d, ok := c.Deadlines[role]; ok && d > 0 {
		return d.D()
	}
	return 24 * time.Hour
}
