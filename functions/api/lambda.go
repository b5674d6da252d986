package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// LambdaHandler adapts the API to API Gateway's HTTP API (payload format 2.0) for lambda.Start:
// each event becomes an http.Request for h and the response goes back as the event's answer.
func LambdaHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(h).ProxyWithContext
}

// apiTables are the tables the API reads and writes.
var apiTables = []string{tables.Activations, tables.Idempotency, tables.Tasks, tables.Fund, tables.Roster, tables.Audit, tables.Reference}

// NewLambda builds the api function's Lambda handler from the deployment's environment (the
// registry's constructor hook): the store on the deployment's tables, the Step Functions client,
// a verifier of the user pool's tokens (issuer, audience, JWKS URL), and the user pool as the
// directory of people (FASTTRACK_USER_POOL_ID), behind a cache. The HTTP API's JWT
// authorizer checks the same token first; the function checks it again so that a route deployed
// without the authorizer is still closed and the local and AWS paths run the same check.
func NewLambda(_ context.Context, env registry.Env) (any, error) {
	rules, err := config.Load(os.Getenv)
	if err != nil {
		return nil, err
	}
	names := tables.Names{}
	for _, logical := range apiTables {
		physical, err := env.Table(logical)
		if err != nil {
			return nil, err
		}
		names[logical] = physical
	}
	if env.StateMachineARN == "" {
		return nil, fmt.Errorf("api: %s is not set", registry.EnvStateMachineARN)
	}
	if env.AuthIssuer == "" || env.AuthAudience == "" || env.AuthJWKSURL == "" {
		return nil, errors.New("api: the token issuer, audience and JWKS URL are required (" +
			registry.EnvAuthIssuer + ", " + registry.EnvAuthAudience + ", " + registry.EnvAuthJWKSURL + ")")
	}
	verifier, err := auth.NewVerifier(auth.VerifierConfig{Issuer: env.AuthIssuer, Audience: env.AuthAudience,
		Keys: &auth.RemoteKeySet{URL: env.AuthJWKSURL}})
	if err != nil {
		return nil, err
	}
	if env.UserPoolID == "" {
		return nil, fmt.Errorf("api: %s is not set (the user pool that says who people are)", registry.EnvUserPoolID)
	}
	directory, err := poolDirectory(cognitoidentityprovider.NewFromConfig(env.AWS), env.UserPoolID)
	if err != nil {
		return nil, err
	}
	st := store.New(dynamodb.NewFromConfig(env.AWS), names, store.Options{IdempotencyTTL: rules.Idempotency.TTL.D()})
	deps := StoreDependencies(st, sfn.NewFromConfig(env.AWS))
	deps.Directory = directory
	server, err := New(deps, verifier, Options{
		StateMachineARN: env.StateMachineARN,
		Config:          rules,
		Logger:          slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	})
	if err != nil {
		return nil, err
	}
	return LambdaHandler(server), nil
}

// poolDirectory is the user pool as the directory of people, behind a cache: each person costs
// the pool two calls, so a warm function answers the people it asked about within the last
// minute (ten seconds for "not a user") from memory.
func poolDirectory(client auth.CognitoClient, userPoolID string) (Directory, error) {
	pool, err := auth.NewCognitoDirectory(client, userPoolID)
	if err != nil {
		return nil, err
	}
	return auth.NewCachedDirectory(pool, auth.CacheOptions{})
}
