package auth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

var officeKE = auth.User{Username: "office-ke", Subject: "sub-office-ke", Roles: []auth.Role{auth.CountryOffice}, Office: "KE"}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func mustIssuer(t *testing.T, clock *fakeClock) *auth.Issuer {
	t.Helper()
	issuer, err := auth.OpenIssuer(t.TempDir(), auth.WithIssuerClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return issuer
}

// jwksServer serves the issuer's key set and counts the fetches.
func jwksServer(t *testing.T, issuers ...*auth.Issuer) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var fetches atomic.Int64
	var current atomic.Pointer[auth.JWKS]
	set := auth.JWKS{}
	for _, i := range issuers {
		set.Keys = append(set.Keys, i.JWKS().Keys...)
	}
	current.Store(&set)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		_ = json.NewEncoder(w).Encode(current.Load())
	}))
	t.Cleanup(server.Close)
	return server, &fetches
}

func mustVerifier(t *testing.T, url string, clock *fakeClock) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(auth.VerifierConfig{
		Issuer:   auth.LocalIssuerName,
		Audience: auth.LocalAudience,
		Keys:     &auth.RemoteKeySet{URL: url, Now: clock.Now},
		Now:      clock.Now,
		Leeway:   -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMintedTokenVerifiesThroughJWKS(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	issuer := mustIssuer(t, clock)
	server, _ := jwksServer(t, issuer)
	verifier := mustVerifier(t, server.URL, clock)

	token, err := issuer.Mint(officeKE, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	principal, err := verifier.VerifyHeader(context.Background(), "Bearer "+token)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	want := auth.Principal{Subject: "sub-office-ke", Username: "office-ke", Roles: []auth.Role{auth.CountryOffice}, Office: "KE"}
	if principal.Subject != want.Subject || principal.Username != want.Username || principal.Office != want.Office ||
		len(principal.Roles) != 1 || principal.Roles[0] != auth.CountryOffice {
		t.Fatalf("principal = %+v, want %+v", principal, want)
	}
}

func TestVerifierRefuses(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	issuer := mustIssuer(t, clock)
	stranger := mustIssuer(t, clock) // a key the JWKS does not hold
	server, _ := jwksServer(t, issuer)
	verifier := mustVerifier(t, server.URL, clock)

	good, err := issuer.Mint(officeKE, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := stranger.Mint(officeKE, time.Hour)

	signWith := func(method jwt.SigningMethod, key any, mutate func(*auth.Claims)) string {
		claims := auth.Claims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer: auth.LocalIssuerName, Subject: "s", Audience: jwt.ClaimStrings{auth.LocalAudience},
				IssuedAt: jwt.NewNumericDate(clock.Now()), ExpiresAt: jwt.NewNumericDate(clock.Now().Add(time.Hour)),
			},
			TokenUse: "id", Username: "u",
		}
		if mutate != nil {
			mutate(&claims)
		}
		token := jwt.NewWithClaims(method, claims)
		token.Header["kid"] = issuer.KeyID()
		s, err := token.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Tokens signed with the issuer's own key but wrong claims need the private key: re-mint
	// through a second issuer that shares the key file.
	dir := t.TempDir()
	shared, err := auth.OpenIssuer(dir, auth.WithIssuerClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	sharedServer, _ := jwksServer(t, shared)
	sharedVerifier := mustVerifier(t, sharedServer.URL, clock)
	key := readKeyFile(t, filepath.Join(dir, auth.KeyFileName))
	resign := func(mutate func(*auth.Claims)) string {
		claims := auth.Claims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer: auth.LocalIssuerName, Subject: "s", Audience: jwt.ClaimStrings{auth.LocalAudience},
				IssuedAt: jwt.NewNumericDate(clock.Now()), ExpiresAt: jwt.NewNumericDate(clock.Now().Add(time.Hour)),
			},
			TokenUse: "id", Username: "u",
		}
		mutate(&claims)
		token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		token.Header["kid"] = shared.KeyID()
		s, err := token.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hmac := signWith(jwt.SigningMethodHS256, []byte("secret"), nil)
	none := signWith(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil)
	tampered := good[:strings.LastIndex(good, ".")] + ".AAAA"

	cases := []struct {
		name     string
		verifier *auth.Verifier
		header   string
	}{
		{"no header", verifier, ""},
		{"basic scheme", verifier, "Basic " + good},
		{"empty bearer", verifier, "Bearer "},
		{"garbage", verifier, "Bearer not.a.token"},
		{"tampered signature", verifier, "Bearer " + tampered},
		{"unknown key", verifier, "Bearer " + forged},
		{"hmac algorithm", verifier, "Bearer " + hmac},
		{"none algorithm", verifier, "Bearer " + none},
		{"wrong issuer", sharedVerifier, "Bearer " + resign(func(c *auth.Claims) { c.Issuer = "https://evil.example" })},
		{"wrong audience", sharedVerifier, "Bearer " + resign(func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"other"} })},
		{"access token", sharedVerifier, "Bearer " + resign(func(c *auth.Claims) { c.TokenUse = "access" })},
		{"no expiry", sharedVerifier, "Bearer " + resign(func(c *auth.Claims) { c.ExpiresAt = nil })},
		{"no subject", sharedVerifier, "Bearer " + resign(func(c *auth.Claims) { c.Subject = "" })},
		{"issued in the future", sharedVerifier, "Bearer " + resign(func(c *auth.Claims) {
			c.IssuedAt = jwt.NewNumericDate(clock.Now().Add(time.Hour))
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.verifier.VerifyHeader(context.Background(), tc.header)
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("err = %v, want ErrInvalidToken", err)
			}
		})
	}
	// The re-signed happy path verifies, so the refusals above are about the mutation.
	if _, err := sharedVerifier.Verify(context.Background(), resign(func(*auth.Claims) {})); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
}

func readKeyFile(t *testing.T, path string) *rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestExpiryFollowsTheClock(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	issuer := mustIssuer(t, clock)
	server, _ := jwksServer(t, issuer)
	verifier := mustVerifier(t, server.URL, clock)
	token, _ := issuer.Mint(officeKE, 10*time.Minute)

	clock.Advance(9 * time.Minute)
	if _, err := verifier.Verify(context.Background(), token); err != nil {
		t.Fatalf("token refused before expiry: %v", err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := verifier.Verify(context.Background(), token); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("expired token: err = %v, want ErrInvalidToken", err)
	}
}

func TestKeySetCachesAndRefreshesOnUnknownKeyAtMostOncePerInterval(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	first := mustIssuer(t, clock)
	second := mustIssuer(t, clock)
	var fetches atomic.Int64
	var rotated atomic.Bool
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		set := first.JWKS()
		if rotated.Load() {
			set.Keys = append(set.Keys, second.JWKS().Keys...)
		}
		_ = json.NewEncoder(w).Encode(set)
	}))
	defer server.Close()
	verifier := mustVerifier(t, server.URL, clock)
	ctx := context.Background()

	a, _ := first.Mint(officeKE, time.Hour)
	for range 5 {
		if _, err := verifier.Verify(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if got := fetches.Load(); got != 1 {
		t.Fatalf("fetches after 5 verifications = %d, want 1 (cached)", got)
	}

	// A token of a key the issuer has not published yet: one refetch, then no more within the
	// interval however many such tokens arrive.
	b, _ := second.Mint(officeKE, time.Hour)
	clock.Advance(2 * time.Minute)
	for range 5 {
		if _, err := verifier.Verify(ctx, b); err == nil {
			t.Fatal("token of an unpublished key accepted")
		}
	}
	if got := fetches.Load(); got != 2 {
		t.Fatalf("fetches after unknown kids = %d, want 2", got)
	}

	// The issuer rotates: after the interval, the unknown kid triggers a refetch that finds it.
	rotated.Store(true)
	clock.Advance(2 * time.Minute)
	if _, err := verifier.Verify(ctx, b); err != nil {
		t.Fatalf("rotated key refused: %v", err)
	}
	if got := fetches.Load(); got != 3 {
		t.Fatalf("fetches after rotation = %d, want 3", got)
	}
}

func TestIssuerKeyPersistsWithMode0600(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "auth")
	first, err := auth.OpenIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, auth.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", perm)
	}
	second, err := auth.OpenIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.KeyID() != second.KeyID() {
		t.Fatalf("key changed across restarts: %s != %s", first.KeyID(), second.KeyID())
	}
	// A token of the first process verifies against the second one's keys.
	token, _ := first.Mint(officeKE, time.Hour)
	v, _ := auth.NewVerifier(auth.VerifierConfig{Issuer: auth.LocalIssuerName, Audience: auth.LocalAudience, Keys: second.KeySet()})
	if _, err := v.Verify(context.Background(), token); err != nil {
		t.Fatalf("token of the first start refused after restart: %v", err)
	}

	if err := os.Chmod(filepath.Join(dir, auth.KeyFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.OpenIssuer(dir); err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
}

func TestConcurrentFirstStartsShareOneKey(t *testing.T) {
	dir := t.TempDir()
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for n := range ids {
		wg.Go(func() {
			issuer, err := auth.OpenIssuer(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ids[n] = issuer.KeyID()
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("concurrent starts made different keys: %v", ids)
		}
	}
}

func TestNewIssuerRefusesShortKeys(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewIssuer(key); err == nil {
		t.Fatal("1024-bit key accepted")
	}
}

func TestTokenHandler(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	issuer := mustIssuer(t, clock)
	handler := issuer.TokenHandler(func(name string) (auth.User, bool) {
		if name == officeKE.Username {
			return officeKE, true
		}
		return auth.User{}, false
	})
	post := func(remote, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/local/token", bytes.NewBufferString(body))
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec
	}

	rec := post("127.0.0.1:5000", `{"username":"office-ke"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	var answer auth.TokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		t.Fatal(err)
	}
	v, _ := auth.NewVerifier(auth.VerifierConfig{Issuer: auth.LocalIssuerName, Audience: auth.LocalAudience, Keys: issuer.KeySet(), Now: clock.Now})
	claims, err := v.Verify(context.Background(), answer.Token)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Office != "KE" || len(claims.Groups) != 1 || claims.Groups[0] != "country-office" || claims.Username != "office-ke" {
		t.Fatalf("claims = %+v", claims)
	}
	if !answer.ExpiresAt.Equal(clock.Now().Add(auth.DefaultLocalTokenTTL)) {
		t.Fatalf("expiresAt = %v", answer.ExpiresAt)
	}

	for _, tc := range []struct {
		name, remote, body string
		status             int
	}{
		{"ipv6 loopback", "[::1]:5000", `{"username":"office-ke"}`, http.StatusOK},
		{"from the network", "192.0.2.10:5000", `{"username":"office-ke"}`, http.StatusForbidden},
		{"unknown user", "127.0.0.1:5000", `{"username":"nobody"}`, http.StatusNotFound},
		{"unknown field", "127.0.0.1:5000", `{"username":"office-ke","admin":true}`, http.StatusBadRequest},
		{"negative ttl", "127.0.0.1:5000", `{"username":"office-ke","ttlSeconds":-1}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rec := post(tc.remote, tc.body); rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
		})
	}
}

func TestClaimsDropUnknownGroups(t *testing.T) {
	c := auth.Claims{Groups: []string{"security", "everyone", "auditor"}}
	got := c.Principal().Roles
	if len(got) != 2 || got[0] != auth.Security || got[1] != auth.Auditor {
		t.Fatalf("roles = %v", got)
	}
}

// A Cognito ID token's sub is an opaque UUID; the person is known to others (delegations,
// reassignments, the audit trail) by their username, so that is the actor.
func TestActorIsTheUsername(t *testing.T) {
	for _, c := range []struct {
		name      string
		principal auth.Principal
		want      string
	}{
		{"cognito token", auth.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "9f1c2d3e-0000-4000-8000-000000000001"}, Username: "finance-2"}.Principal(), "finance-2"},
		{"local token", auth.Principal{Subject: "office-ke", Username: "office-ke"}, "office-ke"},
		{"no username", auth.Principal{Subject: "s-1"}, "s-1"},
	} {
		if got := c.principal.Actor(); got != c.want {
			t.Errorf("%s: Actor() = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCognitoURLs(t *testing.T) {
	if got := auth.CognitoJWKSURL("eu-west-1", "eu-west-1_abc"); got != "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json" {
		t.Fatal(got)
	}
}

func TestFromAccount(t *testing.T) {
	u := auth.FromAccount(domain.Account{ID: "finance-1", Roles: []domain.Role{domain.RoleFinance}, Office: "HQ"})
	if u.Username != "finance-1" || u.Subject != "finance-1" || len(u.Roles) != 1 || u.Roles[0] != auth.Finance || u.Office != "HQ" {
		t.Fatalf("user %+v", u)
	}
}

// Every domain role is a role of the policy table, spelt the same.
func TestDomainRolesAreAuthRoles(t *testing.T) {
	for _, r := range domain.Roles {
		if !auth.Role(r).Known() {
			t.Errorf("domain role %q is not an auth role", r)
		}
	}
	if len(domain.Roles) != len(auth.Roles()) {
		t.Errorf("%d domain roles, %d auth roles", len(domain.Roles), len(auth.Roles()))
	}
}
