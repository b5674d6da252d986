package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/fasttrack/fasttrack/functions/registry"
)

// Route is one route of the HTTP API with its own throttle.
type Route struct {
	Methods []awsapigatewayv2.HttpMethod
	Path    string
	// Public routes skip the JWT authorizer: the health check and the OpenAPI document, which
	// hold nothing private.
	Public bool
	// RateLimit is the steady requests per second and BurstLimit the bucket size, for this
	// route across all callers.
	RateLimit  float64
	BurstLimit float64
}

// Key is the route key API Gateway uses, such as "POST /activations".
func (r Route) Key(method awsapigatewayv2.HttpMethod) string { return string(method) + " " + r.Path }

// Routes are the API's routes. Every path of the API goes to the one api function, which owns
// routing (the OpenAPI document is its contract); API Gateway picks the most specific route,
// so the explicit routes below exist to give the costly or sensitive operations their own,
// tighter throttle, and the catch-all carries everything else.
var Routes = []Route{
	{Methods: []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET, awsapigatewayv2.HttpMethod_POST,
		awsapigatewayv2.HttpMethod_PUT, awsapigatewayv2.HttpMethod_PATCH, awsapigatewayv2.HttpMethod_DELETE},
		Path: "/{proxy+}", RateLimit: 50, BurstLimit: 100},
	// Each new activation starts an execution and writes several items.
	{Methods: []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST}, Path: "/activations", RateLimit: 10, BurstLimit: 20},
	// Decisions resume executions.
	{Methods: []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST}, Path: "/tasks/{id}/decision", RateLimit: 10, BurstLimit: 20},
	// Exports stream the audit trail and are the most expensive reads.
	{Methods: []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET}, Path: "/audit/export", RateLimit: 2, BurstLimit: 4},
	{Methods: []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET}, Path: "/health", Public: true, RateLimit: 5, BurstLimit: 10},
	{Methods: []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET}, Path: "/openapi.json", Public: true, RateLimit: 5, BurstLimit: 10},
}

// Stage-wide defaults, for any route without its own setting.
const (
	defaultRateLimit  = 50
	defaultBurstLimit = 100
)

// CORSHeaders are the request headers the console may send.
var CORSHeaders = []string{"Authorization", "Content-Type", "Idempotency-Key"}

// apiInputs are what newHTTPAPI needs.
type apiInputs struct {
	functions []registry.Function
	lambdas   map[string]awslambda.Function
	stateful  *StatefulStack
	set       settings
	origin    string
}

// newHTTPAPI builds the HTTP API in front of the api function and returns its URL.
func newHTTPAPI(stack awscdk.Stack, in apiInputs) *string {
	var handler awslambda.Function
	for _, function := range in.functions {
		if function.Trigger == registry.HTTP {
			handler = in.lambdas[function.Name]
		}
	}
	// API Gateway checks the ID token's signature, expiry, issuer and audience (the app
	// client) before any request reaches the function; the function checks them again with
	// the same code as the local system, and reads the groups and office.
	authorizer := awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("CognitoAuthorizer"), in.stateful.UserPool,
		&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{
			UserPoolClients: &[]awscognito.IUserPoolClient{in.stateful.UserPoolClient},
			IdentitySource:  jsii.Strings("$request.header.Authorization"),
		})
	api := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:           jsii.String(in.stateful.Stage.prefix() + "-api"),
		Description:       jsii.String("Fast-Track API"),
		DefaultAuthorizer: authorizer,
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(in.origin),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST,
				awsapigatewayv2.CorsHttpMethod_PUT, awsapigatewayv2.CorsHttpMethod_PATCH, awsapigatewayv2.CorsHttpMethod_DELETE},
			AllowHeaders:  jsii.Strings(CORSHeaders...),
			ExposeHeaders: jsii.Strings("Location"),
			MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
		},
	})
	acknowledge(api, "lambda_function_public_access_prohibited_check",
		"Each route's invoke permission names API Gateway as principal with a SourceArn of this API and route; the rule reads only literal strings or direct references, not the Fn::Join that builds the ARN.")
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiFunctionIntegration"), handler,
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0()})

	routeSettings := map[string]any{}
	for _, route := range Routes {
		options := &awsapigatewayv2.AddRoutesOptions{
			Path: jsii.String(route.Path), Methods: &route.Methods, Integration: integration,
		}
		if route.Public {
			options.Authorizer = awsapigatewayv2.NewHttpNoneAuthorizer()
		}
		for _, created := range *api.AddRoutes(options) {
			if route.Public {
				reason := "The health check and the OpenAPI document are public on purpose: they hold no data, and clients need the contract before they sign in. The route has its own low throttle."
				suppress(created, suppression{rule: "AwsSolutions-APIG4", reason: reason})
				acknowledge(created, "api_gw_v2_authorization_type_configured_check", reason)
			}
		}
		for _, method := range route.Methods {
			routeSettings[route.Key(method)] = map[string]any{
				"ThrottlingRateLimit":  route.RateLimit,
				"ThrottlingBurstLimit": route.BurstLimit,
			}
		}
	}

	accessLogs := newLogGroup(stack, "ApiAccessLogs", "", in.set)
	// The stage's access logs and per-route throttles are CloudFormation properties that the
	// HttpApi construct does not expose for the default stage.
	stage := api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
	stage.SetDefaultRouteSettings(&awsapigatewayv2.CfnStage_RouteSettingsProperty{
		ThrottlingRateLimit:  jsii.Number(defaultRateLimit),
		ThrottlingBurstLimit: jsii.Number(defaultBurstLimit),
	})
	stage.SetRouteSettings(routeSettings)
	return api.Url()
}

// accessLogFormat is one JSON object per request: who (the token's subject), what, the result
// and where time went. It holds no request bodies or tokens.
const accessLogFormat = `{"requestId":"$context.requestId","time":"$context.requestTime","ip":"$context.identity.sourceIp",` +
	`"method":"$context.httpMethod","routeKey":"$context.routeKey","path":"$context.path","status":"$context.status",` +
	`"protocol":"$context.protocol","responseLength":"$context.responseLength","latency":"$context.responseLatency",` +
	`"integrationLatency":"$context.integrationLatency","integrationError":"$context.integrationErrorMessage",` +
	`"authorizerError":"$context.authorizer.error","sub":"$context.authorizer.claims.sub","userAgent":"$context.identity.userAgent"}`
