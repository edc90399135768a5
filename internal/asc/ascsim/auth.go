package ascsim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audience is the aud claim App Store Connect requires.
const Audience = "appstoreconnect-v1"

// MaxTokenLifetime is the longest exp-iat Apple accepts for these resources.
const MaxTokenLifetime = 20 * time.Minute

// clockSkew is how far in the future iat may be.
const clockSkew = 60 * time.Second

// errAuth is the cause of every authentication failure; the reason is kept
// for the debug log only (never the token).
var errAuth = errors.New("not authorized")

// authenticate verifies "Authorization: Bearer <jwt>" the way Apple does and
// returns the key id it was signed with and that key's team.
func (s *Server) authenticate(header string, now time.Time) (string, string, error) {
	const prefix = "Bearer "
	if !strings.HasPrefix(header, prefix) {
		return "", "", fmt.Errorf("%w: no bearer token", errAuth)
	}
	raw := strings.TrimSpace(strings.TrimPrefix(header, prefix))
	if raw == "" {
		return "", "", fmt.Errorf("%w: empty bearer token", errAuth)
	}
	var kid, issuer, team string
	claims := jwt.MapClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}), jwt.WithoutClaimsValidation())
	_, err := parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != "JWT" {
			return nil, fmt.Errorf("header typ %q is not JWT", typ)
		}
		k, _ := t.Header["kid"].(string)
		key, iss, tm, ok := s.keyFor(k)
		if !ok {
			return nil, fmt.Errorf("unknown or revoked kid")
		}
		kid, issuer, team = k, iss, tm
		return key, nil
	})
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", errAuth, err)
	}
	if iss, _ := claims["iss"].(string); iss == "" || iss != issuer {
		return "", "", fmt.Errorf("%w: wrong issuer", errAuth)
	}
	if !audienceOK(claims["aud"]) {
		return "", "", fmt.Errorf("%w: wrong audience", errAuth)
	}
	iat, ok := numericDate(claims["iat"])
	if !ok {
		return "", "", fmt.Errorf("%w: iat missing", errAuth)
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return "", "", fmt.Errorf("%w: exp missing", errAuth)
	}
	if iat.After(now.Add(clockSkew)) {
		return "", "", fmt.Errorf("%w: iat in the future", errAuth)
	}
	if !exp.After(now) {
		return "", "", fmt.Errorf("%w: token expired", errAuth)
	}
	if exp.Sub(iat) > MaxTokenLifetime {
		return "", "", fmt.Errorf("%w: lifetime %s over %s", errAuth, exp.Sub(iat), MaxTokenLifetime)
	}
	return kid, team, nil
}

func audienceOK(v any) bool {
	switch a := v.(type) {
	case string:
		return a == Audience
	case []any:
		return len(a) == 1 && a[0] == Audience
	}
	return false
}

func numericDate(v any) (time.Time, bool) {
	switch n := v.(type) {
	case float64:
		return time.Unix(int64(n), 0), true
	case int64:
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// NewTestKey returns a fresh P-256 key with a random 10-character key id and a
// random issuer UUID, for tests that talk to the simulator:
//
//	kid, iss, key := ascsim.NewTestKey()
//	srv := ascsim.New(ascsim.Options{Keys: map[string]*ecdsa.PublicKey{kid: &key.PublicKey}, IssuerID: iss})
func NewTestKey() (kid, issuer string, key *ecdsa.PrivateKey) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("ascsim: generating test key: %v", err))
	}
	var b [5]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:])), newID(), k
}

// SignTestToken signs an Apple-style token (ES256, kid, typ JWT; iss, iat=now,
// exp=now+20 min, aud appstoreconnect-v1) for tests.
func SignTestToken(kid, issuer string, key *ecdsa.PrivateKey, now time.Time) string {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": issuer,
		"iat": now.Unix(),
		"exp": now.Add(MaxTokenLifetime).Unix(),
		"aud": Audience,
	})
	t.Header["kid"] = kid
	t.Header["typ"] = "JWT"
	s, err := t.SignedString(key)
	if err != nil {
		panic(fmt.Sprintf("ascsim: signing test token: %v", err))
	}
	return s
}
