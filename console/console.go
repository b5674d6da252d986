// Package console is Fast-Track's web console: plain HTML, CSS and JavaScript modules embedded
// in the binary, served by one http.Handler, with no build step and nothing fetched from
// elsewhere at run time (the machine and its users may be offline).
//
// The console talks only to the documented HTTP API (functions/api), with the caller's bearer
// token. Besides the static files the handler serves one generated document, config.json: the
// policy table of shared/auth (so the console shows what a role may do from the same table the
// API enforces), the code lists of shared/domain, the limits and fund tiers of shared/config as
// hints, the known countries and duty stations, and, to loopback callers only, the demo users
// the local token endpoint (POST /local/token of `fasttrack local`) mints tokens for.
//
// Mount it under a prefix with the prefix stripped; the pages use relative addresses, so any
// prefix works:
//
//	mux.Handle("/console/", http.StripPrefix("/console", console.Handler()))
package console

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/seed"
)

//go:embed static
var staticFiles embed.FS

// DefaultTokenEndpoint is where `fasttrack local` serves POST /local/token (shared/auth
// Issuer.TokenHandler), relative to the API's origin.
const DefaultTokenEndpoint = "/local/token"

// Option changes what Handler serves.
type Option func(*settings)

type settings struct {
	demoUsers     []DemoUser
	tokenEndpoint string
	apiBase       string
	rules         *config.Config
	countries     []domain.Country
	stations      []domain.DutyStation
}

// WithDemoUsers sets the accounts listed on the sign-in screen for local sign-in (the demo
// accounts of shared/seed by default). An empty list offers none: the screen then takes only a
// pasted token, as on a deployed system.
func WithDemoUsers(accounts []domain.Account) Option {
	return func(s *settings) {
		s.demoUsers = nil
		for _, a := range accounts {
			s.demoUsers = append(s.demoUsers, demoUser(a))
		}
	}
}

// DemoUser is an account offered for local sign-in.
type DemoUser struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"displayName"`
	Roles       []auth.Role `json:"roles"`
	Office      string      `json:"office,omitempty"`
}

func demoUser(a domain.Account) DemoUser {
	user := auth.FromAccount(a)
	return DemoUser{Username: user.Username, DisplayName: a.DisplayName, Roles: user.Roles, Office: user.Office}
}

// WithTokenEndpoint sets the path of the local token endpoint (DefaultTokenEndpoint by default).
func WithTokenEndpoint(path string) Option {
	return func(s *settings) { s.tokenEndpoint = path }
}

// WithAPIBase sets the API's address the console uses until the user changes it on the sign-in
// screen; empty (the default) means the console's own origin, as in `fasttrack local`.
func WithAPIBase(base string) Option {
	return func(s *settings) { s.apiBase = strings.TrimRight(base, "/") }
}

// WithRules sets the rules whose limits and fund tiers the forms show as hints
// (config.Default() by default). The API's validation stays the authority.
func WithRules(rules *config.Config) Option {
	return func(s *settings) {
		if rules != nil {
			s.rules = rules
		}
	}
}

// WithReference sets the countries and duty stations offered in the request form (the demo
// reference data of shared/seed by default).
func WithReference(countries []domain.Country, stations []domain.DutyStation) Option {
	return func(s *settings) {
		s.countries, s.stations = slices.Clone(countries), slices.Clone(stations)
	}
}

func newSettings(options []Option) *settings {
	s := &settings{tokenEndpoint: DefaultTokenEndpoint, rules: config.Default(),
		countries: seed.Countries(), stations: seed.DutyStations()}
	for _, account := range seed.DemoUsers() {
		s.demoUsers = append(s.demoUsers, demoUser(account))
	}
	for _, o := range options {
		o(s)
	}
	return s
}

// ConfigJSON returns the config.json that goes beside Files() where the console is hosted
// without Handler (a deployed system's static hosting): the same document, with no demo users.
func ConfigJSON(options ...Option) []byte {
	body, _ := json.Marshal(newSettings(options).document(false))
	return body
}

// Handler returns the console. It serves the files under static/ (index.html for the root) and
// config.json; anything else is 404. It is safe for concurrent use.
func Handler(options ...Option) http.Handler {
	s := newSettings(options)
	root := Files()
	public, _ := json.Marshal(s.document(false))
	local, _ := json.Marshal(s.document(true))
	files := http.FileServerFS(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := w.Header()
		header.Set("X-Content-Type-Options", "nosniff")
		header.Set("Referrer-Policy", "no-referrer")
		header.Set("X-Frame-Options", "DENY")
		// Scripts and styles come from this handler only; the API may live on another origin
		// when the console is pointed at a deployed system.
		header.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self' https: http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			header.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Clean("/" + r.URL.Path)
		if name == "/config.json" {
			body := public
			if auth.IsLoopback(r.RemoteAddr) {
				body = local
			}
			header.Set("Content-Type", "application/json")
			header.Set("Cache-Control", "no-store")
			_, _ = w.Write(body)
			return
		}
		if name != "/" && !exists(root, strings.TrimPrefix(name, "/")) {
			http.NotFound(w, r)
			return
		}
		// The files change with the binary, so browsers revalidate them on every load.
		header.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// Files returns the console's static files, as Handler serves them (config.json aside), for
// hosting them elsewhere on a deployed system.
func Files() fs.FS {
	root, _ := fs.Sub(staticFiles, "static")
	return root
}

func exists(root fs.FS, name string) bool {
	info, err := fs.Stat(root, name)
	return err == nil && !info.IsDir()
}

// Document is config.json: what the console needs to know that is not in the API.
type Document struct {
	// APIBase is the API's address; empty for the console's own origin.
	APIBase string `json:"apiBase"`
	// TokenEndpoint is the local token endpoint, relative to the API's address.
	TokenEndpoint string `json:"tokenEndpoint"`
	// DemoUsers are offered for local sign-in; served to loopback callers only.
	DemoUsers []DemoUser `json:"demoUsers"`
	// Policy is the policy table of shared/auth: role -> action -> scope.
	Policy map[auth.Role]map[auth.Action]string `json:"policy"`
	// Roles and Actions list the table's keys in a stable order.
	Roles   []auth.Role   `json:"roles"`
	Actions []auth.Action `json:"actions"`
	// Codes are the code lists of the API contract.
	Codes Codes `json:"codes"`
	// Limits and Fund are the rules' numbers, shown as hints next to the fields.
	Limits config.Limits `json:"limits"`
	Fund   config.Fund   `json:"fund"`
	// Countries and DutyStations are offered in the request form.
	Countries    []domain.Country     `json:"countries"`
	DutyStations []domain.DutyStation `json:"dutyStations"`
}

// Codes are the code lists the forms offer as choices.
type Codes struct {
	CrisisTypes   []domain.CrisisType  `json:"crisisTypes"`
	Phases        []domain.Phase       `json:"phases"`
	TargetGroups  []domain.TargetGroup `json:"targetGroups"`
	Areas         []domain.Area        `json:"areas"`
	Statuses      []domain.Status      `json:"statuses"`
	TaskStatuses  []domain.TaskStatus  `json:"taskStatuses"`
	TaskKinds     []domain.TaskKind    `json:"taskKinds"`
	ApproverRoles []domain.Role        `json:"approverRoles"`
	CoverKinds    []domain.CoverKind   `json:"coverKinds"`
	// Employment and TrainingLevels are offered in the roster's expert form.
	Employment     []domain.EmploymentType `json:"employment"`
	TrainingLevels []domain.TrainingLevel  `json:"trainingLevels"`
	Languages      []string                `json:"languages"`
	AuditActions   []string                `json:"auditActions"`
	SecurityLevels []string                `json:"securityLevels"`
}

// commonLanguages are offered as check boxes in the request form; any other ISO 639-1 code can
// be typed.
var commonLanguages = []string{"en", "fr", "es", "ar", "pt", "ru", "zh", "sw", "uk"}

// auditActions are the actions of the audit trail, offered in the audit search.
var auditActions = []string{
	audit.ActionActivationRequested, audit.ActionActivationStatus, audit.ActionActivationCancel, audit.ActionRedrive,
	audit.ActionStepCompleted, audit.ActionStepFailed,
	audit.ActionFundReserved, audit.ActionFundReleased, audit.ActionFundReversed, audit.ActionFundContributed,
	audit.ActionExpertBooked, audit.ActionBookingCancelled, audit.ActionExpertChanged, audit.ActionPolicyChanged,
	audit.ActionTaskCreated, audit.ActionTaskDecided, audit.ActionTaskEscalated, audit.ActionTaskExpired,
	audit.ActionTaskRescheduled, audit.ActionTaskReassigned, audit.ActionDelegationCreated, audit.ActionDelegationRevoked, audit.ActionSettingChanged,
	audit.ActionDecisionRefused, audit.ActionReassignRefused, audit.ActionDelegationRefused, audit.ActionDelegationRevokeRefused,
}

func (s *settings) document(loopback bool) Document {
	d := Document{
		APIBase:       s.apiBase,
		TokenEndpoint: s.tokenEndpoint,
		DemoUsers:     []DemoUser{},
		Policy:        map[auth.Role]map[auth.Action]string{},
		Roles:         auth.Roles(),
		Actions:       auth.Actions(),
		Codes: Codes{
			CrisisTypes: domain.CrisisTypes, Phases: domain.Phases, TargetGroups: domain.TargetGroups,
			Areas: domain.Areas, Statuses: domain.Statuses, TaskStatuses: domain.TaskStatuses,
			TaskKinds: domain.TaskKinds, ApproverRoles: domain.ApproverRoles, CoverKinds: domain.CoverKinds,
			Languages: commonLanguages, AuditActions: auditActions,
			Employment:     []domain.EmploymentType{domain.Staff, domain.Consultant},
			TrainingLevels: []domain.TrainingLevel{domain.TrainingBasic, domain.TrainingAdvanced},
		},
		Limits:       s.rules.Limits,
		Fund:         s.rules.Fund,
		Countries:    s.countries,
		DutyStations: s.stations,
	}
	for level := domain.LevelMinimal; level <= domain.LevelExtreme; level++ {
		d.Codes.SecurityLevels = append(d.Codes.SecurityLevels, level.String())
	}
	if loopback && len(s.demoUsers) > 0 {
		d.DemoUsers = s.demoUsers
	}
	for role, grants := range auth.Policy() {
		d.Policy[role] = map[auth.Action]string{}
		for action, scope := range grants {
			d.Policy[role][action] = scope.String()
		}
	}
	return d
}
