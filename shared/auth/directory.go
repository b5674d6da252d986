package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cognito "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cognitotypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/fasttrack/fasttrack/shared/domain"
)

// A directory tells who a person is (their roles and office) by the id others know them by:
// the login name that delegations and reassignments name (Principal.Actor). Both directories
// here answer a person who does not exist with a not_found error (domain.CodeNotFound), so that
// the API can say "finance-9 is not a user" rather than store a delegation nobody can use.

// AccountReader reads one stored account; *store.Store satisfies it.
type AccountReader interface {
	// GetAccount returns the account; not_found if there is none.
	GetAccount(ctx context.Context, id string) (domain.Account, error)
}

// AccountDirectory is the directory of the accounts the store keeps: on one machine these are
// the people the local issuer signs in (the seed's demo accounts and any a test adds).
type AccountDirectory struct {
	Accounts AccountReader
}

// Person returns the stored account with that id; not_found if there is none.
func (d AccountDirectory) Person(ctx context.Context, id string) (domain.Account, error) {
	account, err := d.Accounts.GetAccount(ctx, id)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.Account{}, noSuchPerson(id)
	}
	if err != nil {
		return domain.Account{}, err
	}
	return account, nil
}

// CognitoClient is the part of the Cognito user pools API a CognitoDirectory uses.
// *cognitoidentityprovider.Client satisfies it.
type CognitoClient interface {
	AdminGetUser(ctx context.Context, in *cognito.AdminGetUserInput, options ...func(*cognito.Options)) (*cognito.AdminGetUserOutput, error)
	AdminListGroupsForUser(ctx context.Context, in *cognito.AdminListGroupsForUserInput, options ...func(*cognito.Options)) (*cognito.AdminListGroupsForUserOutput, error)
}

var _ CognitoClient = (*cognito.Client)(nil)

// Cognito attributes the directory reads.
const (
	// CognitoOfficeAttribute is the user attribute that holds the country office (the ID
	// token's custom:office claim).
	CognitoOfficeAttribute = "custom:office"
	// cognitoNameAttribute is the standard display name, when an administrator set one.
	cognitoNameAttribute = "name"
)

// cognitoGroupsPage is the largest page AdminListGroupsForUser returns.
const cognitoGroupsPage = 60

// CognitoDirectory is the directory of a Cognito user pool: AdminGetUser for the user and their
// office, AdminListGroupsForUser for their roles. It needs exactly those two actions on the
// pool, which the api function's registry entry grants.
type CognitoDirectory struct {
	client     CognitoClient
	userPoolID string
}

// NewCognitoDirectory returns the directory of the user pool with that id.
func NewCognitoDirectory(client CognitoClient, userPoolID string) (*CognitoDirectory, error) {
	if client == nil {
		return nil, errors.New("auth: the Cognito directory needs a client")
	}
	if userPoolID == "" {
		return nil, errors.New("auth: the Cognito directory needs the user pool id")
	}
	return &CognitoDirectory{client: client, userPoolID: userPoolID}, nil
}

// Person returns the user with that username (or alias, such as their e-mail: the account's ID
// is then the username Cognito answers with, the name tokens carry). The roles are the user's
// groups that are roles of the system, as for a token (Claims.Principal); other groups are
// dropped. A user that does not exist, or that an administrator disabled (they cannot sign in,
// so they cannot act on anything given to them), is not_found; Cognito throttling is
// unavailable.
func (d *CognitoDirectory) Person(ctx context.Context, id string) (domain.Account, error) {
	user, err := d.client.AdminGetUser(ctx, &cognito.AdminGetUserInput{UserPoolId: aws.String(d.userPoolID), Username: aws.String(id)})
	if err != nil {
		return domain.Account{}, cognitoError(id, "read the user", err)
	}
	if !user.Enabled {
		return domain.Account{}, &domain.Error{Code: domain.CodeNotFound, Message: fmt.Sprintf("%s is disabled", id)}
	}
	account := domain.Account{ID: aws.ToString(user.Username), Roles: []domain.Role{}}
	if account.ID == "" {
		account.ID = id
	}
	for _, attribute := range user.UserAttributes {
		switch aws.ToString(attribute.Name) {
		case CognitoOfficeAttribute:
			account.Office = aws.ToString(attribute.Value)
		case cognitoNameAttribute:
			account.DisplayName = aws.ToString(attribute.Value)
		}
	}
	input := &cognito.AdminListGroupsForUserInput{UserPoolId: aws.String(d.userPoolID), Username: aws.String(account.ID),
		Limit: aws.Int32(cognitoGroupsPage)}
	for {
		page, err := d.client.AdminListGroupsForUser(ctx, input)
		if err != nil {
			return domain.Account{}, cognitoError(id, "list the user's groups", err)
		}
		for _, group := range page.Groups {
			role := Role(aws.ToString(group.GroupName))
			if role.Known() && !slices.Contains(account.Roles, domain.Role(role)) {
				account.Roles = append(account.Roles, domain.Role(role))
			}
		}
		if aws.ToString(page.NextToken) == "" {
			return account, nil
		}
		input.NextToken = page.NextToken
	}
}

// cognitoError maps Cognito's errors onto the domain's codes: an unknown user is not_found,
// throttling is unavailable (retry later); anything else stays what it is (an internal error
// for the caller, logged with its cause).
func cognitoError(id, doing string, err error) error {
	var notFound *cognitotypes.UserNotFoundException
	if errors.As(err, &notFound) {
		return noSuchPerson(id)
	}
	var throttled *cognitotypes.TooManyRequestsException
	if errors.As(err, &throttled) {
		return &domain.Error{Code: domain.CodeUnavailable, Message: "the user directory is busy; retry later", Err: err}
	}
	return fmt.Errorf("cognito directory: %s %q: %w", doing, id, err)
}

// noSuchPerson is the directory's answer for an id that names nobody.
func noSuchPerson(id string) error {
	return &domain.Error{Code: domain.CodeNotFound, Message: fmt.Sprintf("%s is not a user", id)}
}
