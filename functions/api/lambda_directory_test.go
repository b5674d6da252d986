package api

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cognito "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cognitotypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// countingPool is a user pool of one user, finance-2, that counts the calls made of it.
type countingPool struct {
	mu    sync.Mutex
	calls int
}

var _ auth.CognitoClient = (*countingPool)(nil)

func (p *countingPool) AdminGetUser(_ context.Context, in *cognito.AdminGetUserInput, _ ...func(*cognito.Options)) (*cognito.AdminGetUserOutput, error) {
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	if aws.ToString(in.Username) != "finance-2" {
		return nil, &cognitotypes.UserNotFoundException{Message: aws.String("User does not exist.")}
	}
	return &cognito.AdminGetUserOutput{Username: in.Username, Enabled: true}, nil
}

func (p *countingPool) AdminListGroupsForUser(_ context.Context, in *cognito.AdminListGroupsForUserInput, _ ...func(*cognito.Options)) (*cognito.AdminListGroupsForUserOutput, error) {
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	return &cognito.AdminListGroupsForUserOutput{Groups: []cognitotypes.GroupType{{GroupName: aws.String("finance")}}}, nil
}

// The api function's directory on AWS asks the pool about a person once, not on every request,
// and keeps "not a user" too.
func TestThePoolDirectoryIsCached(t *testing.T) {
	pool := &countingPool{}
	directory, err := poolDirectory(pool, "eu-west-1_pool")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := directory.(*auth.CachedDirectory); !ok {
		t.Fatalf("the pool's directory is a %T", directory)
	}
	for range 3 {
		person, err := directory.Person(context.Background(), "finance-2")
		if err != nil || person.ID != "finance-2" || len(person.Roles) != 1 || person.Roles[0] != domain.RoleFinance {
			t.Fatalf("finance-2: %+v %v", person, err)
		}
		if _, err := directory.Person(context.Background(), "finance-9"); domain.CodeOf(err) != domain.CodeNotFound {
			t.Fatalf("finance-9: %v", err)
		}
	}
	if pool.calls != 3 { // finance-2: AdminGetUser and AdminListGroupsForUser; finance-9: AdminGetUser
		t.Fatalf("%d calls of the pool, want 3", pool.calls)
	}
	if _, err := poolDirectory(pool, ""); err == nil {
		t.Fatal("a directory without a pool id")
	}
}
