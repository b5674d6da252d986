package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims of a Cognito ID token that Fast-Track reads. The local issuer mints the
// same claims, so that nothing downstream can tell the two apart.
type Claims struct {
	jwt.RegisteredClaims
	// Groups carries the roles.
	Groups []string `json:"cognito:groups,omitempty"`
	// Office is the country office of a country-office user, such as "KE".
	Office string `json:"custom:office,omitempty"`
	// Username is the login name.
	Username string `json:"cognito:username,omitempty"`
	// TokenUse is "id" for ID tokens; access tokens ("access") carry no groups' meaning for us.
	TokenUse string `json:"token_use"`
}

// Principal returns the caller described by the claims. Groups that are not roles of the system
// are dropped rather than refused: Cognito pools often carry other groups.
func (c Claims) Principal() Principal {
	p := Principal{Subject: c.Subject, Username: c.Username, Office: c.Office}
	for _, g := range c.Groups {
		if r := Role(g); r.Known() {
			p.Roles = append(p.Roles, r)
		}
	}
	return p
}

// KeySet finds the RSA public key that signed a token by its key id.
type KeySet interface {
	// Key returns the key with the given id. It returns ErrUnknownKey when no such key exists.
	Key(ctx context.Context, keyID string) (any, error)
}

// ErrUnknownKey means a token names a key id that the key set does not hold.
var ErrUnknownKey = errors.New("unknown signing key")

// ErrInvalidToken is the error every verification failure wraps. Callers answer 401 for it and
// show nothing of the reason to the client (it is logged instead).
var ErrInvalidToken = errors.New("invalid token")

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Issuer is the expected iss: "https://cognito-idp.<region>.amazonaws.com/<poolId>" on AWS,
	// LocalIssuerName locally.
	Issuer string
	// Audience is the expected aud: the user pool app client id on AWS, LocalAudience locally.
	Audience string
	// Keys holds the issuer's public keys (usually a *RemoteKeySet).
	Keys KeySet
	// Now is the clock; time.Now when nil. Tests move it to check expiry.
	Now func() time.Time
	// Leeway tolerates clock skew on exp, iat and nbf; 30 seconds when zero. Negative means none.
	Leeway time.Duration
}

// Verifier checks bearer tokens: RS256 signature by a key of the issuer's key set, issuer,
// audience, expiry, token_use "id". It is safe for concurrent use.
type Verifier struct {
	config VerifierConfig
	parser *jwt.Parser
}

// NewVerifier returns a verifier for config.
func NewVerifier(config VerifierConfig) (*Verifier, error) {
	if config.Issuer == "" || config.Audience == "" || config.Keys == nil {
		return nil, errors.New("auth: a verifier needs an issuer, an audience and a key set")
	}
	if config.Now == nil {
		config.Now = time.Now
	}
	switch {
	case config.Leeway == 0:
		config.Leeway = 30 * time.Second
	case config.Leeway < 0:
		config.Leeway = 0
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(config.Issuer),
		jwt.WithAudience(config.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(config.Leeway),
		jwt.WithTimeFunc(config.Now),
	)
	return &Verifier{config: config, parser: parser}, nil
}

// Verify checks a compact JWT and returns its claims. Every failure wraps ErrInvalidToken.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	var claims Claims
	_, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		keyID, _ := t.Header["kid"].(string)
		if keyID == "" {
			return nil, errors.New("token has no key id")
		}
		return v.config.Keys.Key(ctx, keyID)
	})
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.TokenUse != "id" {
		return Claims{}, fmt.Errorf("%w: token_use is %q, want \"id\"", ErrInvalidToken, claims.TokenUse)
	}
	if claims.Subject == "" {
		return Claims{}, fmt.Errorf("%w: token has no subject", ErrInvalidToken)
	}
	return claims, nil
}

// VerifyHeader checks an Authorization header value of the form "Bearer <token>" and returns the
// caller.
func (v *Verifier) VerifyHeader(ctx context.Context, header string) (Principal, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return Principal{}, fmt.Errorf("%w: no bearer token", ErrInvalidToken)
	}
	claims, err := v.Verify(ctx, strings.TrimSpace(token))
	if err != nil {
		return Principal{}, err
	}
	return claims.Principal(), nil
}

// CognitoIssuer returns the issuer of a Cognito user pool's tokens.
func CognitoIssuer(region, userPoolID string) string {
	return "https://cognito-idp." + region + ".amazonaws.com/" + userPoolID
}

// CognitoJWKSURL returns the URL of a Cognito user pool's JSON Web Key Set.
func CognitoJWKSURL(region, userPoolID string) string {
	return CognitoIssuer(region, userPoolID) + "/.well-known/jwks.json"
}
