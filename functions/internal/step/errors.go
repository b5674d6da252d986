package step

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/domain"
)

// TransientError is a failure worth trying again: DynamoDB throttled or kept conflicting after
// the store's own retries, or a lost race on the activation's version outlasted ours. The
// workflow retries it with backoff and jitter (the Lambda runtime names it "TransientError");
// it never hides a business refusal.
type TransientError struct {
	Message string `json:"message"`
}

func (e *TransientError) Error() string { return e.Message }

// Boundary turns what a step's code returned into what its Lambda handler returns. The named
// business errors the workflow matches (NotEligible, SecurityClearanceDenied, InsufficientFunds,
// FundLimitExceeded, NoExpertAvailable, InsuranceCoverMissing, ApprovalRejected,
// ApprovalTimedOut, ActivationCancelled) come back as their own pointer type, unwrapped,
// because the runtime reports the error's type name and a wrapped one would be named
// "wrapError". Throttling, transaction conflicts, exhausted store retries and lost races
// become *TransientError. Anything else is returned as it is: an unexpected failure that the
// workflow's catch-all sends to compensation.
func Boundary(err error) error {
	if err == nil {
		return nil
	}
	var (
		notEligible   *domain.NotEligible
		denied        *domain.SecurityClearanceDenied
		insufficient  *domain.InsufficientFunds
		limit         *domain.FundLimitExceeded
		noExpert      *domain.NoExpertAvailable
		coverMissing  *domain.InsuranceCoverMissing
		rejected      *domain.ApprovalRejected
		timedOut      *domain.ApprovalTimedOut
		cancelled     *domain.ActivationCancelled
		transientErr  *TransientError
		staleVersion  *domain.StaleVersion
		throttled     *types.ProvisionedThroughputExceededException
		requestLimit  *types.RequestLimitExceeded
		conflict      *types.TransactionConflictException
		inProgress    *types.TransactionInProgressException
		internalError *types.InternalServerError
	)
	switch {
	case errors.As(err, &notEligible):
		return notEligible
	case errors.As(err, &denied):
		return denied
	case errors.As(err, &insufficient):
		return insufficient
	case errors.As(err, &limit):
		return limit
	case errors.As(err, &noExpert):
		return noExpert
	case errors.As(err, &coverMissing):
		return coverMissing
	case errors.As(err, &rejected):
		return rejected
	case errors.As(err, &timedOut):
		return timedOut
	case errors.As(err, &cancelled):
		return cancelled
	case errors.As(err, &transientErr):
		return transientErr
	case errors.As(err, &staleVersion), errors.As(err, &throttled), errors.As(err, &requestLimit),
		errors.As(err, &conflict), errors.As(err, &inProgress), errors.As(err, &internalError),
		domain.CodeOf(err) == domain.CodeUnavailable, errors.Is(err, context.DeadlineExceeded):
		return &TransientError{Message: err.Error()}
	}
	return err
}

// Cancelled returns the error every step gives for an activation that is being cancelled.
func Cancelled(activationID string) error {
	return &domain.ActivationCancelled{ActivationID: activationID,
		Message: "activation " + activationID + " is being cancelled"}
}
