package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// JWK is one RSA public key of a JSON Web Key Set (RFC 7517), as Cognito publishes them.
type JWK struct {
	KeyType   string `json:"kty"`
	KeyID     string `json:"kid"`
	Use       string `json:"use,omitempty"`
	Algorithm string `json:"alg,omitempty"`
	Modulus   string `json:"n"`
	Exponent  string `json:"e"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// PublicJWK returns the JWK of an RSA public key with the given id.
func PublicJWK(key *rsa.PublicKey, keyID string) JWK {
	return JWK{
		KeyType:   "RSA",
		KeyID:     keyID,
		Use:       "sig",
		Algorithm: "RS256",
		Modulus:   base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		Exponent:  base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}
}

// RSAPublicKey decodes the key. Only RSA signing keys are accepted.
func (k JWK) RSAPublicKey() (*rsa.PublicKey, error) {
	if k.KeyType != "RSA" {
		return nil, fmt.Errorf("key %q: type %q is not RSA", k.KeyID, k.KeyType)
	}
	if k.Use != "" && k.Use != "sig" {
		return nil, fmt.Errorf("key %q: use %q is not sig", k.KeyID, k.Use)
	}
	modulus, err := base64.RawURLEncoding.DecodeString(k.Modulus)
	if err != nil || len(modulus) == 0 {
		return nil, fmt.Errorf("key %q: bad modulus", k.KeyID)
	}
	exponent, err := base64.RawURLEncoding.DecodeString(k.Exponent)
	if err != nil || len(exponent) == 0 || len(exponent) > 4 {
		return nil, fmt.Errorf("key %q: bad exponent", k.KeyID)
	}
	e := int(new(big.Int).SetBytes(exponent).Int64())
	if e < 3 {
		return nil, fmt.Errorf("key %q: bad exponent", k.KeyID)
	}
	n := new(big.Int).SetBytes(modulus)
	if n.BitLen() < 2048 {
		return nil, fmt.Errorf("key %q: modulus shorter than 2048 bits", k.KeyID)
	}
	return &rsa.PublicKey{N: n, E: e}, nil
}

// RemoteKeySet fetches a JWKS from a URL and caches it. A token naming a key id that is not in
// the cache makes it fetch again (the issuer may have rotated its keys), at most once per
// MinRefresh so that a stream of forged key ids cannot make it hammer the issuer. It is safe for
// concurrent use.
type RemoteKeySet struct {
	// URL is where the JWKS is served.
	URL string
	// Client makes the requests; http.DefaultClient when nil.
	Client *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxAge is how long a fetched set is used before it is fetched again; one hour when zero.
	MaxAge time.Duration
	// MinRefresh is the least time between two fetches caused by unknown key ids; one minute
	// when zero.
	MinRefresh time.Duration

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

var _ KeySet = (*RemoteKeySet)(nil)

// Key returns the key with the given id, fetching the set when needed.
func (s *RemoteKeySet) Key(ctx context.Context, keyID string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	maxAge, minRefresh := s.MaxAge, s.MinRefresh
	if maxAge <= 0 {
		maxAge = time.Hour
	}
	if minRefresh <= 0 {
		minRefresh = time.Minute
	}
	stale := s.keys == nil || now.Sub(s.fetched) >= maxAge
	if !stale {
		if key, ok := s.keys[keyID]; ok {
			return key, nil
		}
		if now.Sub(s.fetched) < minRefresh {
			return nil, ErrUnknownKey
		}
	}
	keys, err := s.fetch(ctx)
	if err != nil {
		if key, ok := s.keys[keyID]; ok {
			// The issuer is unreachable but the key is known: keep serving rather than lock
			// every user out.
			return key, nil
		}
		return nil, err
	}
	s.keys, s.fetched = keys, now
	if key, ok := keys[keyID]; ok {
		return key, nil
	}
	return nil, ErrUnknownKey
}

func (s *RemoteKeySet) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *RemoteKeySet) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: key set request: %w", err)
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: fetch key set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: fetch key set: %s", resp.Status)
	}
	var set JWKS
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("auth: decode key set: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Algorithm != "" && k.Algorithm != "RS256" {
			continue
		}
		key, err := k.RSAPublicKey()
		if err != nil {
			continue // one unusable key must not make the others unusable
		}
		keys[k.KeyID] = key
	}
	if len(keys) == 0 {
		return nil, errors.New("auth: key set holds no usable RSA key")
	}
	return keys, nil
}

// StaticKeySet is a fixed set of keys, for a process that holds the issuer's key itself.
type StaticKeySet map[string]*rsa.PublicKey

var _ KeySet = StaticKeySet(nil)

// Key returns the key with the given id.
func (s StaticKeySet) Key(_ context.Context, keyID string) (any, error) {
	if key, ok := s[keyID]; ok {
		return key, nil
	}
	return nil, ErrUnknownKey
}
