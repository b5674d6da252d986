package asl

import "strings"

// Problem codes, as Step Functions names them in an InvalidDefinition error.
const (
	CodeInvalidJSON         = "INVALID_JSON_DESCRIPTION"
	CodeSchema              = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTarget       = "MISSING_TRANSITION_TARGET"
	CodeMissingEndState     = "MISSING_END_STATE"
	CodeDuplicateStateName  = "DUPLICATE_STATE_NAME"
	CodeUnsupportedFeature  = "UNSUPPORTED_FEATURE"
	CodeInvalidResource     = "INVALID_RESOURCE"
	CodeUnsupportedResource = "UNSUPPORTED_RESOURCE"
)

// Problem is one thing wrong with a definition: where it is, what is wrong, and why.
type Problem struct {
	// Code is the Step Functions diagnostic code (SCHEMA_VALIDATION_FAILED, ...).
	Code string
	// Location is a JSON-pointer-like address of the offending value, as AWS prints it:
	// "/States/Check/Next", "/States/Fan/Branches[0]/States/A". Empty when the problem
	// concerns the definition as a whole.
	Location string
	// State is the name of the state concerned, empty at the top level.
	State string
	// Field is the name of the field concerned, empty when the problem is the state itself.
	Field string
	// Message says what is wrong.
	Message string
}

// String renders the problem as AWS does inside an InvalidDefinition message:
// "CODE: message at /location".
func (p Problem) String() string {
	if p.Location == "" {
		return p.Code + ": " + p.Message
	}
	return p.Code + ": " + p.Message + " at " + p.Location
}

// ValidationError is the error Parse returns for a definition that is not valid. It lists every
// problem found, not only the first.
type ValidationError struct {
	Problems []Problem
}

// Error renders the problems the way CreateStateMachine reports them in an InvalidDefinition
// error: "Invalid State Machine Definition: 'CODE: message at /path, CODE: ...'".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"
}
