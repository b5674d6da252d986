package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fasttrack/fasttrack/shared/domain"
)

// The local issuer's identity. Tokens it mints carry these as iss and aud, and the local API's
// verifier expects them.
const (
	LocalIssuerName = "urn:fasttrack:local-issuer"
	LocalAudience   = "fasttrack-local"
)

// KeyFileName is the name of the local issuer's private key inside its directory.
const KeyFileName = "issuer-key.pem"

// User is someone the local issuer can mint a token for: the claims Cognito would hold for them.
type User struct {
	Username string `json:"username"`
	Subject  string `json:"sub"`
	Roles    []Role `json:"roles"`
	Office   string `json:"office,omitempty"`
}

// FromAccount returns the user the local issuer mints tokens for, for an account of the system
// (such as the demo accounts of shared/seed): its id is both the subject and the username.
func FromAccount(a domain.Account) User {
	roles := make([]Role, 0, len(a.Roles))
	for _, r := range a.Roles {
		roles = append(roles, Role(r))
	}
	return User{Username: a.ID, Subject: a.ID, Roles: roles, Office: a.Office}
}

// Issuer mints ID tokens locally, standing in for Cognito. Its RSA key is made at first start
// and kept in a file (mode 0600) so that tokens stay valid across restarts.
type Issuer struct {
	key    *rsa.PrivateKey
	keyID  string
	issuer string
	aud    string
	now    func() time.Time
}

// IssuerOption changes an Issuer.
type IssuerOption func(*Issuer)

// WithIssuerClock makes the issuer stamp tokens with now instead of time.Now.
func WithIssuerClock(now func() time.Time) IssuerOption { return func(i *Issuer) { i.now = now } }

// OpenIssuer loads the issuer key from dir, making a new 2048-bit key the first time. dir is
// created (0700) if missing. A key file readable by others is refused: it would let anyone on the
// machine mint an admin token.
func OpenIssuer(dir string, options ...IssuerOption) (*Issuer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: issuer directory: %w", err)
	}
	path := filepath.Join(dir, KeyFileName)
	key, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKey(path)
	}
	if err != nil {
		return nil, err
	}
	return NewIssuer(key, options...)
}

// NewIssuer returns an issuer that signs with key.
func NewIssuer(key *rsa.PrivateKey, options ...IssuerOption) (*Issuer, error) {
	if key == nil || key.N.BitLen() < 2048 {
		return nil, errors.New("auth: the issuer needs an RSA key of at least 2048 bits")
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("auth: public key: %w", err)
	}
	sum := sha256.Sum256(der)
	i := &Issuer{
		key:    key,
		keyID:  base64.RawURLEncoding.EncodeToString(sum[:12]),
		issuer: LocalIssuerName,
		aud:    LocalAudience,
		now:    time.Now,
	}
	for _, o := range options {
		o(i)
	}
	return i, nil
}

func readKey(path string) (*rsa.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("auth: %s is readable by others (mode %v); make it 0600", path, info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("auth: %s holds no PEM block", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: %s does not hold an RSA key", path)
	}
	return key, nil
}

func createKey(path string) (*rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("auth: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("auth: encode key: %w", err)
	}
	// The key is written whole to a temporary file and then linked into place: a link never
	// replaces an existing file, so when two processes start at once one key wins, and the
	// other process reads it only once it is complete.
	temp, err := os.CreateTemp(filepath.Dir(path), ".issuer-key-*")
	if err != nil {
		return nil, fmt.Errorf("auth: write key: %w", err)
	}
	defer os.Remove(temp.Name())
	if err := temp.Chmod(0o600); err != nil {
		temp.Close()
		return nil, fmt.Errorf("auth: write key: %w", err)
	}
	if err := pem.Encode(temp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		temp.Close()
		return nil, fmt.Errorf("auth: write key: %w", err)
	}
	if err := temp.Sync(); err != nil {
		temp.Close()
		return nil, fmt.Errorf("auth: write key: %w", err)
	}
	if err := temp.Close(); err != nil {
		return nil, fmt.Errorf("auth: write key: %w", err)
	}
	if err := os.Link(temp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readKey(path)
	} else if err != nil {
		return nil, fmt.Errorf("auth: write key: %w", err)
	}
	return key, nil
}

// KeyID is the id (kid) of the issuer's key.
func (i *Issuer) KeyID() string { return i.keyID }

// Name is the issuer's iss claim.
func (i *Issuer) Name() string { return i.issuer }

// Audience is the aud claim of the issuer's tokens.
func (i *Issuer) Audience() string { return i.aud }

// JWKS returns the issuer's public key set.
func (i *Issuer) JWKS() JWKS { return JWKS{Keys: []JWK{PublicJWK(&i.key.PublicKey, i.keyID)}} }

// KeySet returns the issuer's keys for a verifier in the same process.
func (i *Issuer) KeySet() StaticKeySet {
	return StaticKeySet{i.keyID: &i.key.PublicKey}
}

// Mint returns a signed ID token for user that expires after ttl.
func (i *Issuer) Mint(user User, ttl time.Duration) (string, error) {
	if user.Username == "" {
		return "", errors.New("auth: a token needs a username")
	}
	if ttl <= 0 {
		return "", errors.New("auth: a token needs a positive lifetime")
	}
	subject := user.Subject
	if subject == "" {
		subject = user.Username
	}
	now := i.now().UTC().Truncate(time.Second)
	groups := make([]string, len(user.Roles))
	for n, r := range user.Roles {
		groups[n] = string(r)
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{i.aud},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Groups:   groups,
		Office:   user.Office,
		Username: user.Username,
		TokenUse: "id",
	}
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	token.Header["kid"] = i.keyID
	return token.SignedString(i.key)
}

// JWKSHandler serves the issuer's key set (mount it at /.well-known/jwks.json).
func (i *Issuer) JWKSHandler() http.Handler {
	body, _ := json.Marshal(i.JWKS())
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	})
}

// TokenRequest is the body of POST /local/token.
type TokenRequest struct {
	Username string `json:"username"`
	// TTLSeconds is the token's lifetime; DefaultLocalTokenTTL when zero.
	TTLSeconds int `json:"ttlSeconds,omitempty"`
}

// TokenResponse is the answer of POST /local/token.
type TokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      User      `json:"user"`
}

// DefaultLocalTokenTTL is the lifetime of tokens handed out by the local token endpoint.
const DefaultLocalTokenTTL = 12 * time.Hour

// TokenHandler serves POST /local/token for the demo users found by lookup. It exists only in
// `fasttrack local` (the Lambda never mounts it) and answers only callers on the loopback
// interface, so a local system bound to another address still does not hand out tokens to the
// network.
func (i *Issuer) TokenHandler(lookup func(username string) (User, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply := func(status int, body any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(body)
		}
		problem := func(status int, detail string) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]any{
				"type": "https://fasttrack.example/problems/local-token", "title": http.StatusText(status),
				"status": status, "detail": detail,
			})
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			problem(http.StatusMethodNotAllowed, "use POST")
			return
		}
		if !IsLoopback(r.RemoteAddr) {
			problem(http.StatusForbidden, "the local token endpoint answers loopback callers only")
			return
		}
		var req TokenRequest
		decoder := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
		decoder.DisallowUnknownFields()
		if err := decoder.Decode(&req); err != nil {
			problem(http.StatusBadRequest, "body must be {\"username\": \"...\"}")
			return
		}
		user, ok := lookup(req.Username)
		if !ok {
			problem(http.StatusNotFound, fmt.Sprintf("no demo user %q", req.Username))
			return
		}
		ttl := DefaultLocalTokenTTL
		if req.TTLSeconds < 0 || req.TTLSeconds > int((7*24*time.Hour)/time.Second) {
			problem(http.StatusBadRequest, "ttlSeconds must be between 1 and 604800")
			return
		}
		if req.TTLSeconds > 0 {
			ttl = time.Duration(req.TTLSeconds) * time.Second
		}
		token, err := i.Mint(user, ttl)
		if err != nil {
			problem(http.StatusInternalServerError, "could not mint a token")
			return
		}
		reply(http.StatusOK, TokenResponse{Token: token, ExpiresAt: i.now().UTC().Truncate(time.Second).Add(ttl), User: user})
	})
}

// IsLoopback reports whether a request's remote address ("host:port") is on the loopback
// interface.
func IsLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
