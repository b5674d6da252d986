// Package domain holds the types and rules of crisis-response activation: requests and
// activations, their statuses and legal transitions, money, duty stations and security levels,
// the expert roster and insurance, approval tasks, the fund's ledger, and the named errors that
// the workflow's Retry/Catch and the API match. Everything here is plain Go: no I/O, no clock
// (time is passed in), numbers come from shared/config.
package domain

import "slices"

// CrisisType is the kind of crisis an activation responds to.
type CrisisType string

// Crisis types: the programme's four kinds plus displacement and health emergencies.
const (
	ArmedConflict       CrisisType = "armed_conflict"
	NaturalDisaster     CrisisType = "natural_disaster"
	EconomicDownturn    CrisisType = "economic_downturn"
	PoliticalTransition CrisisType = "political_transition"
	Displacement        CrisisType = "displacement"
	HealthEmergency     CrisisType = "health_emergency"
)

// CrisisTypes lists every crisis type in a stable order.
var CrisisTypes = []CrisisType{ArmedConflict, NaturalDisaster, EconomicDownturn, PoliticalTransition, Displacement, HealthEmergency}

// Valid reports whether c is one of CrisisTypes.
func (c CrisisType) Valid() bool { return slices.Contains(CrisisTypes, c) }

// Phase is the phase of the crisis response.
type Phase string

// Phases.
const (
	Preparedness Phase = "preparedness"
	Response     Phase = "response"
	Recovery     Phase = "recovery"
)

// Phases lists every phase.
var Phases = []Phase{Preparedness, Response, Recovery}

// Valid reports whether p is one of Phases.
func (p Phase) Valid() bool { return slices.Contains(Phases, p) }

// TargetGroup is a group of people an activation is meant to reach.
type TargetGroup string

// Target groups.
const (
	Women                   TargetGroup = "women"
	Youth                   TargetGroup = "youth"
	Children                TargetGroup = "children"
	PersonsWithDisabilities TargetGroup = "persons_with_disabilities"
	DisplacedPersons        TargetGroup = "displaced_persons"
	PeopleLivingWithHIV     TargetGroup = "people_living_with_hiv"
)

// TargetGroups lists every target group.
var TargetGroups = []TargetGroup{Women, Youth, Children, PersonsWithDisabilities, DisplacedPersons, PeopleLivingWithHIV}

// Valid reports whether g is one of TargetGroups.
func (g TargetGroup) Valid() bool { return slices.Contains(TargetGroups, g) }

// Area is an expert's technical area, and what a requested profile asks for.
type Area string

// Technical areas.
const (
	EmploymentIntensiveInvestment Area = "employment_intensive_investment"
	SkillsTraining                Area = "skills_training"
	EnterpriseDevelopment         Area = "enterprise_development"
	Microfinance                  Area = "microfinance"
	LocalEconomicDevelopment      Area = "local_economic_development"
	SocialProtection              Area = "social_protection"
	SocialDialogue                Area = "social_dialogue"
	NeedsAssessment               Area = "needs_assessment"
	Reintegration                 Area = "reintegration"
	Gender                        Area = "gender"
	DisabilityInclusion           Area = "disability_inclusion"
)

// Areas lists every technical area.
var Areas = []Area{
	EmploymentIntensiveInvestment, SkillsTraining, EnterpriseDevelopment, Microfinance,
	LocalEconomicDevelopment, SocialProtection, SocialDialogue, NeedsAssessment, Reintegration,
	Gender, DisabilityInclusion,
}

// Valid reports whether a is one of Areas.
func (a Area) Valid() bool { return slices.Contains(Areas, a) }

// Role is what a person may do; on AWS it is a Cognito group.
type Role string

// Roles. The approver roles are Security, Finance, HR and SeniorManagement.
const (
	RoleCountryOffice    Role = "country-office"
	RoleSecurity         Role = "security"
	RoleFinance          Role = "finance"
	RoleHR               Role = "hr"
	RoleSeniorManagement Role = "senior-management"
	RoleAuditor          Role = "auditor"
	RoleAdmin            Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleCountryOffice, RoleSecurity, RoleFinance, RoleHR, RoleSeniorManagement, RoleAuditor, RoleAdmin}

// ApproverRoles are the roles that decide approval tasks.
var ApproverRoles = []Role{RoleSecurity, RoleFinance, RoleHR, RoleSeniorManagement}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// IsApprover reports whether r decides approval tasks.
func (r Role) IsApprover() bool { return slices.Contains(ApproverRoles, r) }
