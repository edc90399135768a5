package asc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetime rules from Apple's "Generating tokens for API requests".
const (
	// TokenAudience is the aud claim App Store Connect requires.
	TokenAudience = "appstoreconnect-v1"
	// TokenLifetime is exp − iat: Apple rejects longer lifetimes for the
	// resources this client uses.
	TokenLifetime = 20 * time.Minute
	// tokenRenewBefore is how long before exp a cached token is re-signed.
	tokenRenewBefore = time.Minute
)

// ErrInvalidKey is returned (wrapped) for a private key that cannot be used.
// Its messages never contain key material.
var ErrInvalidKey = errors.New("asc: invalid private key")

// Credentials identify an App Store Connect API team key.
type Credentials struct {
	KeyID      string
	IssuerID   string
	PrivateKey *ecdsa.PrivateKey
}

// validate checks the credentials without revealing the key.
func (c Credentials) validate() error {
	switch {
	case c.KeyID == "":
		return errors.New("credentials: key id is empty")
	case c.IssuerID == "":
		return errors.New("credentials: issuer id is empty")
	case c.PrivateKey == nil:
		return errors.New("credentials: private key is nil")
	case c.PrivateKey.Curve != elliptic.P256():
		return fmt.Errorf("credentials: %w: curve %s, want P-256", ErrInvalidKey, c.PrivateKey.Curve.Params().Name)
	}
	return nil
}

// ParsePrivateKey parses the .p8 key Apple issues: a PEM "PRIVATE KEY" block
// holding a PKCS#8 ECDSA P-256 key. Errors wrap ErrInvalidKey and never quote
// the key.
func ParsePrivateKey(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("parsing private key: %w: no PEM block found", ErrInvalidKey)
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("parsing private key: %w: PEM block is %q, want \"PRIVATE KEY\" (PKCS#8)", ErrInvalidKey, block.Type)
	}
	// The x509 error is deliberately not wrapped: ASN.1 diagnostics describe
	// the DER they failed on.
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing private key: %w: not a PKCS#8 key", ErrInvalidKey)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parsing private key: %w: key type %T, want ECDSA P-256", ErrInvalidKey, k)
	}
	if ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("parsing private key: %w: curve %s, want P-256", ErrInvalidKey, ek.Curve.Params().Name)
	}
	return ek, nil
}

// LoadPrivateKeyFile reads and parses a .p8 key file.
func LoadPrivateKeyFile(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading private key file: %w", err)
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	return k, nil
}

// token returns a bearer token, reusing the cached one until tokenRenewBefore
// before it expires. It is safe for concurrent use.
func (c *Client) token() (string, error) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	now := c.clock()
	if c.tok != "" && now.Before(c.tokExp.Add(-tokenRenewBefore)) && !now.Before(c.tokIat.Add(-tokenRenewBefore)) {
		return c.tok, nil
	}
	return c.signLocked(now)
}

// dropToken forgets the cached token if it is still bad, so the next request
// signs a new one. Comparing avoids discarding a token another goroutine has
// just re-signed.
func (c *Client) dropToken(bad string) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.tok == bad {
		c.tok = ""
	}
}

// signLocked signs a new ES256 token; c.tokenMu must be held.
func (c *Client) signLocked(now time.Time) (string, error) {
	iat := now.Truncate(time.Second)
	exp := iat.Add(TokenLifetime)
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": c.creds.IssuerID,
		"iat": iat.Unix(),
		"exp": exp.Unix(),
		"aud": TokenAudience,
	})
	t.Header["kid"] = c.creds.KeyID
	t.Header["typ"] = "JWT"
	s, err := t.SignedString(c.creds.PrivateKey)
	if err != nil {
		// The jwt error names the failure, never the key.
		return "", fmt.Errorf("signing token: %w", err)
	}
	c.tok, c.tokIat, c.tokExp = s, iat, exp
	c.signs.Add(1)
	return s, nil
}

// TokenSigns returns how many tokens this client has signed.
func (c *Client) TokenSigns() int64 { return c.signs.Load() }
