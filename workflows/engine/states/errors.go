// Package states holds what every part of the engine shares about failures: the error type that
// travels through Retry and Catch, and the names of the predefined States.* errors.
package states

// Predefined error names, as the Amazon States Language defines them.
const (
	ErrAll                             = "States.ALL"
	ErrDataLimitExceeded               = "States.DataLimitExceeded"
	ErrExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	ErrHeartbeatTimeout                = "States.HeartbeatTimeout"
	ErrIntrinsicFailure                = "States.IntrinsicFailure"
	ErrItemReaderFailed                = "States.ItemReaderFailed"
	ErrNoChoiceMatched                 = "States.NoChoiceMatched"
	ErrParameterPathFailure            = "States.ParameterPathFailure"
	ErrPermissions                     = "States.Permissions"
	ErrResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ErrResultWriterFailed              = "States.ResultWriterFailed"
	ErrRuntime                         = "States.Runtime"
	ErrTaskFailed                      = "States.TaskFailed"
	ErrTimeout                         = "States.Timeout"
	ErrBranchFailed                    = "States.BranchFailed"
)

// Error is a failure as Step Functions sees it: a name that Retry and Catch match on, and a
// cause meant for people.
type Error struct {
	Name  string
	Cause string
}

func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// NewError returns an *Error.
func NewError(name, cause string) *Error { return &Error{Name: name, Cause: cause} }
