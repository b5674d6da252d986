package engine

import "fmt"

// API error codes, as the Step Functions API names them (the "__type" of an error response).
const (
	CodeExecutionAlreadyExists    = "ExecutionAlreadyExists"
	CodeExecutionDoesNotExist     = "ExecutionDoesNotExist"
	CodeExecutionLimitExceeded    = "ExecutionLimitExceeded"
	CodeExecutionNotRedrivable    = "ExecutionNotRedrivable"
	CodeInvalidArn                = "InvalidArn"
	CodeInvalidDefinition         = "InvalidDefinition"
	CodeInvalidExecutionInput     = "InvalidExecutionInput"
	CodeInvalidName               = "InvalidName"
	CodeInvalidOutput             = "InvalidOutput"
	CodeInvalidToken              = "InvalidToken"
	CodeStateMachineAlreadyExists = "StateMachineAlreadyExists"
	CodeStateMachineDeleting      = "StateMachineDeleting"
	CodeStateMachineDoesNotExist  = "StateMachineDoesNotExist"
	CodeStateMachineTypeNotSupp   = "StateMachineTypeNotSupported"
	CodeTaskDoesNotExist          = "TaskDoesNotExist"
	CodeTaskTimedOut              = "TaskTimedOut"
	CodeValidationException       = "ValidationException"
	CodeInternalError             = "InternalFailure"
)

// Error is an API error: the code a client matches on and a message for people. Every method of
// Engine that mirrors the Step Functions API returns one (or nil); its comment says which codes.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
