package auth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cognito "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cognitotypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// fakeCognito answers AdminGetUser and AdminListGroupsForUser from a table of users, as the
// user pool would: by username or by e-mail alias, groups in pages of pageSize.
type fakeCognito struct {
	pool     string
	users    map[string]fakeCognitoUser
	pageSize int
	// getErr and listErr, when set, are the answer to every call of that operation.
	getErr, listErr error
	// calls records each operation with the pool id and username it was given.
	calls []string
}

type fakeCognitoUser struct {
	email      string
	enabled    bool
	attributes map[string]string
	groups     []string
}

var _ auth.CognitoClient = (*fakeCognito)(nil)

func (f *fakeCognito) lookup(name string) (string, fakeCognitoUser, bool) {
	if user, ok := f.users[name]; ok {
		return name, user, true
	}
	for username, user := range f.users {
		if user.email != "" && user.email == name {
			return username, user, true
		}
	}
	return "", fakeCognitoUser{}, false
}

func (f *fakeCognito) AdminGetUser(_ context.Context, in *cognito.AdminGetUserInput, _ ...func(*cognito.Options)) (*cognito.AdminGetUserOutput, error) {
	f.calls = append(f.calls, "get "+aws.ToString(in.UserPoolId)+" "+aws.ToString(in.Username))
	if f.getErr != nil {
		return nil, f.getErr
	}
	username, user, ok := f.lookup(aws.ToString(in.Username))
	if !ok || aws.ToString(in.UserPoolId) != f.pool {
		return nil, &cognitotypes.UserNotFoundException{Message: aws.String("User does not exist.")}
	}
	out := &cognito.AdminGetUserOutput{Username: aws.String(username), Enabled: user.enabled, UserStatus: cognitotypes.UserStatusTypeConfirmed}
	attributes := map[string]string{"sub": "9f1c2d3e-0000-4000-8000-000000000001", "email": user.email}
	for name, value := range user.attributes {
		attributes[name] = value
	}
	for name, value := range attributes {
		out.UserAttributes = append(out.UserAttributes, cognitotypes.AttributeType{Name: aws.String(name), Value: aws.String(value)})
	}
	return out, nil
}

func (f *fakeCognito) AdminListGroupsForUser(_ context.Context, in *cognito.AdminListGroupsForUserInput, _ ...func(*cognito.Options)) (*cognito.AdminListGroupsForUserOutput, error) {
	f.calls = append(f.calls, "groups "+aws.ToString(in.UserPoolId)+" "+aws.ToString(in.Username)+" "+aws.ToString(in.NextToken))
	if f.listErr != nil {
		return nil, f.listErr
	}
	_, user, ok := f.lookup(aws.ToString(in.Username))
	if !ok {
		return nil, &cognitotypes.UserNotFoundException{Message: aws.String("User does not exist.")}
	}
	start := 0
	if in.NextToken != nil {
		start = len(aws.ToString(in.NextToken))
	}
	size := f.pageSize
	if size == 0 || in.Limit != nil && int(*in.Limit) < size {
		size = int(aws.ToInt32(in.Limit))
	}
	end := min(start+size, len(user.groups))
	out := &cognito.AdminListGroupsForUserOutput{}
	for _, name := range user.groups[start:end] {
		out.Groups = append(out.Groups, cognitotypes.GroupType{GroupName: aws.String(name), UserPoolId: in.UserPoolId})
	}
	if end < len(user.groups) {
		// The token's length is where the next page starts: opaque to the directory.
		out.NextToken = aws.String(strings.Repeat("x", end))
	}
	return out, nil
}

func newFakeCognito() *fakeCognito {
	return &fakeCognito{pool: "eu-west-1_pool", pageSize: 2, users: map[string]fakeCognitoUser{
		"finance-2": {email: "finance-2@example.org", enabled: true, attributes: map[string]string{"name": "Finance officer (second)"},
			// Two pages; a group that is no role of the system and a repeated one are dropped.
			groups: []string{"finance", "newsletter", "security", "finance"}},
		"office-ke": {email: "office-ke@example.org", enabled: true, attributes: map[string]string{auth.CognitoOfficeAttribute: "KE"},
			groups: []string{"country-office"}},
		"nobody-1": {email: "nobody-1@example.org", enabled: true},
		"gone-1":   {email: "gone-1@example.org", enabled: false, groups: []string{"finance"}},
	}}
}

func TestCognitoDirectoryReadsRolesAndOffice(t *testing.T) {
	for _, c := range []struct {
		name, id  string
		want      domain.Account
		wantCalls []string
	}{
		{"groups over two pages", "finance-2",
			domain.Account{ID: "finance-2", DisplayName: "Finance officer (second)", Roles: []domain.Role{domain.RoleFinance, domain.RoleSecurity}},
			[]string{"get eu-west-1_pool finance-2", "groups eu-west-1_pool finance-2 ", "groups eu-west-1_pool finance-2 xx"}},
		{"office", "office-ke", domain.Account{ID: "office-ke", Roles: []domain.Role{domain.RoleCountryOffice}, Office: "KE"},
			[]string{"get eu-west-1_pool office-ke", "groups eu-west-1_pool office-ke "}},
		// Signing in by e-mail is allowed, so someone may type one: the person is the username.
		{"e-mail alias", "office-ke@example.org", domain.Account{ID: "office-ke", Roles: []domain.Role{domain.RoleCountryOffice}, Office: "KE"},
			[]string{"get eu-west-1_pool office-ke@example.org", "groups eu-west-1_pool office-ke "}},
		{"no groups", "nobody-1", domain.Account{ID: "nobody-1", Roles: []domain.Role{}},
			[]string{"get eu-west-1_pool nobody-1", "groups eu-west-1_pool nobody-1 "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := newFakeCognito()
			directory, err := auth.NewCognitoDirectory(client, "eu-west-1_pool")
			if err != nil {
				t.Fatal(err)
			}
			got, err := directory.Person(t.Context(), c.id)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != c.want.ID || got.DisplayName != c.want.DisplayName || got.Office != c.want.Office || !slices.Equal(got.Roles, c.want.Roles) {
				t.Errorf("Person(%q) = %+v, want %+v", c.id, got, c.want)
			}
			if !slices.Equal(client.calls, c.wantCalls) {
				t.Errorf("calls %q, want %q", client.calls, c.wantCalls)
			}
		})
	}
}

func TestCognitoDirectoryErrors(t *testing.T) {
	for _, c := range []struct {
		name, id        string
		getErr, listErr error
		code            domain.ErrorCode
		message         string
	}{
		{name: "unknown user", id: "finance-9", code: domain.CodeNotFound, message: "finance-9 is not a user"},
		{name: "disabled user", id: "gone-1", code: domain.CodeNotFound, message: "gone-1 is disabled"},
		{name: "throttled", id: "finance-2", getErr: &cognitotypes.TooManyRequestsException{Message: aws.String("Rate exceeded")},
			code: domain.CodeUnavailable, message: "retry later"},
		{name: "throttled on groups", id: "finance-2", listErr: &cognitotypes.TooManyRequestsException{Message: aws.String("Rate exceeded")},
			code: domain.CodeUnavailable, message: "retry later"},
		{name: "no such pool", id: "finance-2", getErr: &cognitotypes.ResourceNotFoundException{Message: aws.String("User pool does not exist.")},
			code: domain.CodeInternal},
		{name: "access denied", id: "finance-2", listErr: errors.New("AccessDeniedException: not authorized"), code: domain.CodeInternal},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := newFakeCognito()
			client.getErr, client.listErr = c.getErr, c.listErr
			directory, err := auth.NewCognitoDirectory(client, "eu-west-1_pool")
			if err != nil {
				t.Fatal(err)
			}
			person, err := directory.Person(t.Context(), c.id)
			if domain.CodeOf(err) != c.code {
				t.Fatalf("Person(%q) = %+v, %v (code %q); want code %q", c.id, person, err, domain.CodeOf(err), c.code)
			}
			if c.message != "" && !strings.Contains(domain.MessageOf(err), c.message) {
				t.Errorf("message %q, want %q", domain.MessageOf(err), c.message)
			}
			if person.ID != "" {
				t.Errorf("a person with the error: %+v", person)
			}
			// The cause stays for the logs.
			for _, cause := range []error{c.getErr, c.listErr} {
				if cause != nil && !errors.Is(err, cause) {
					t.Errorf("error %v lost its cause %v", err, cause)
				}
			}
		})
	}
}

func TestNewCognitoDirectoryNeedsClientAndPool(t *testing.T) {
	if _, err := auth.NewCognitoDirectory(newFakeCognito(), ""); err == nil || !strings.Contains(err.Error(), "user pool id") {
		t.Errorf("no pool id: %v", err)
	}
	if _, err := auth.NewCognitoDirectory(nil, "eu-west-1_pool"); err == nil {
		t.Error("no client accepted")
	}
}

// accountsByID is an AccountReader over a map, answering as the store does.
type accountsByID struct {
	accounts map[string]domain.Account
	err      error
}

func (a accountsByID) GetAccount(_ context.Context, id string) (domain.Account, error) {
	if a.err != nil {
		return domain.Account{}, a.err
	}
	account, ok := a.accounts[id]
	if !ok {
		return domain.Account{}, domain.NotFound("account", id)
	}
	return account, nil
}

func TestAccountDirectory(t *testing.T) {
	hr := domain.Account{ID: "hr-1", Roles: []domain.Role{domain.RoleHR}, Office: "HQ"}
	directory := auth.AccountDirectory{Accounts: accountsByID{accounts: map[string]domain.Account{"hr-1": hr}}}
	got, err := directory.Person(t.Context(), "hr-1")
	if err != nil || got.ID != "hr-1" || !slices.Equal(got.Roles, hr.Roles) || got.Office != "HQ" {
		t.Fatalf("Person(hr-1) = %+v, %v", got, err)
	}
	_, err = directory.Person(t.Context(), "hr-9")
	if domain.CodeOf(err) != domain.CodeNotFound || domain.MessageOf(err) != "hr-9 is not a user" {
		t.Fatalf("Person(hr-9): %v", err)
	}
	down := errors.New("connection refused")
	_, err = auth.AccountDirectory{Accounts: accountsByID{err: down}}.Person(t.Context(), "hr-1")
	if !errors.Is(err, down) || domain.CodeOf(err) != domain.CodeInternal {
		t.Fatalf("a failing store: %v", err)
	}
}
