// Package api is the HTTP API of Fast-Track, the `api` Lambda function: country offices request
// and follow activations, approvers decide their tasks, auditors read the history and the audit
// trail, admins keep the fund and the roster. It is one http.Handler, served by `fasttrack local`
// on one machine and through API Gateway's HTTP API (payload v2) on AWS.
//
// Every request carries a bearer ID token; the handler verifies it itself even behind API
// Gateway's JWT authorizer, so the same check runs locally and on AWS and a route deployed
// without the authorizer is still closed. What a caller may do comes from the one policy table
// of shared/auth. Every error is application/problem+json (RFC 9457). The contract is
// openapi.json, embedded and served at /openapi.json; a test keeps it and the router in step.
package api
