package asc

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenHeaderAndClaims(t *testing.T) {
	c, mux, env := setup(t)
	var seen bool
	mux.HandleFunc("/v1/apps/1", func(w http.ResponseWriter, r *http.Request) {
		seen = true
		tok, claims := parseToken(t, r, env.key)
		if tok.Header["alg"] != "ES256" || tok.Header["kid"] != testKeyID || tok.Header["typ"] != "JWT" {
			t.Errorf("header = %v", tok.Header)
		}
		if claims["iss"] != testIssuer {
			t.Errorf("iss = %v", claims["iss"])
		}
		if claims["aud"] != "appstoreconnect-v1" {
			t.Errorf("aud = %#v, want the plain string appstoreconnect-v1", claims["aud"])
		}
		iat, _ := claims["iat"].(float64)
		exp, _ := claims["exp"].(float64)
		if int64(iat) != env.clock.Now().Unix() {
			t.Errorf("iat = %v, want %d (the injected clock)", iat, env.clock.Now().Unix())
		}
		if exp-iat != 1200 {
			t.Errorf("exp-iat = %v, want 1200", exp-iat)
		}
		writeJSON(w, 200, `{"data":{"type":"apps","id":"1","attributes":{"name":"A"}}}`)
	})
	if _, _, err := c.Apps.Get(t.Context(), "1"); err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Fatal("handler not called")
	}
}

func TestTokenReuseAndResign(t *testing.T) {
	c, _, env := setup(t)
	first, err := c.token()
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance  time.Duration
		wantSame bool
		signs    int64
	}{
		{0, true, 1},
		{10 * time.Minute, true, 1},
		{8*time.Minute + 59*time.Second, true, 1}, // 18:59 after iat: still > 1 min left
		{1 * time.Second, false, 2},               // 19:00: renew
	}
	prev := first
	for i, s := range steps {
		env.clock.Advance(s.advance)
		tok, err := c.token()
		if err != nil {
			t.Fatal(err)
		}
		if (tok == prev) != s.wantSame {
			t.Errorf("step %d: same token = %v, want %v", i, tok == prev, s.wantSame)
		}
		if got := c.TokenSigns(); got != s.signs {
			t.Errorf("step %d: TokenSigns = %d, want %d", i, got, s.signs)
		}
		prev = tok
	}
}

func TestTokenResignsWhenClockGoesBack(t *testing.T) {
	c, _, env := setup(t)
	if _, err := c.token(); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(-5 * time.Minute) // iat would now be in the future
	if _, err := c.token(); err != nil {
		t.Fatal(err)
	}
	if c.TokenSigns() != 2 {
		t.Errorf("TokenSigns = %d, want 2", c.TokenSigns())
	}
}

func TestTokenConcurrent(t *testing.T) {
	c, mux, env := setup(t)
	mux.HandleFunc("/v1/apps/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":{"type":"apps","id":"1"}}`)
	})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%8 == 0 {
				env.clock.Advance(time.Minute)
			}
			if _, _, err := c.Apps.Get(t.Context(), "1"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// 4 minutes of clock: one token suffices.
	if c.TokenSigns() != 1 {
		t.Errorf("TokenSigns = %d, want 1", c.TokenSigns())
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParsePrivateKey(t *testing.T) {
	p256 := newKey(t)
	p256DER, err := x509.MarshalPKCS8PrivateKey(p256)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	sec1DER, _ := x509.MarshalECPrivateKey(p256)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)

	ok, err := ParsePrivateKey(pemBlock("PRIVATE KEY", p256DER))
	if err != nil {
		t.Fatalf("valid key: %v", err)
	}
	if !ok.Equal(p256) {
		t.Fatal("parsed key differs")
	}

	tests := []struct {
		name    string
		in      []byte
		secret  []byte // key material that must not leak into the message
		wantMsg string
	}{
		{"not PEM", []byte("hello, this is not a key"), nil, "no PEM block"},
		{"raw DER", p256DER, p256DER, "no PEM block"},
		{"SEC1 block (not PKCS#8)", pemBlock("EC PRIVATE KEY", sec1DER), sec1DER, `"EC PRIVATE KEY"`},
		{"SEC1 DER in a PRIVATE KEY block", pemBlock("PRIVATE KEY", sec1DER), sec1DER, "not a PKCS#8 key"},
		{"garbage in PRIVATE KEY block", pemBlock("PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x07}), nil, "not a PKCS#8 key"},
		{"wrong curve", pemBlock("PRIVATE KEY", p384DER), p384DER, "P-384"},
		{"RSA", pemBlock("PRIVATE KEY", rsaDER), rsaDER, "want ECDSA"},
		{"Ed25519", pemBlock("PRIVATE KEY", edDER), edDER, "want ECDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParsePrivateKey(tt.in)
			if err == nil {
				t.Fatalf("got key %v, want error", k != nil)
			}
			if !errors.Is(err, ErrInvalidKey) {
				t.Errorf("error %v does not wrap ErrInvalidKey", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error %q does not mention %q", msg, tt.wantMsg)
			}
			assertNoKeyMaterial(t, msg, tt.secret)
			assertNoKeyMaterial(t, msg, p256DER)
		})
	}
}

// assertNoKeyMaterial fails if msg contains any 8-byte window of der in
// base64, hex or decimal-private-scalar form.
func assertNoKeyMaterial(t *testing.T, msg string, der []byte) {
	t.Helper()
	if len(der) == 0 {
		return
	}
	b64 := base64.StdEncoding.EncodeToString(der)
	for i := 0; i+12 <= len(b64); i += 4 {
		if strings.Contains(msg, b64[i:i+12]) {
			t.Fatalf("error message contains base64 key material: %q", msg)
		}
	}
	hx := hex.EncodeToString(der)
	for i := 0; i+16 <= len(hx); i += 2 {
		if strings.Contains(strings.ToLower(msg), hx[i:i+16]) {
			t.Fatalf("error message contains hex key material: %q", msg)
		}
	}
}

func TestLoadPrivateKeyFile(t *testing.T) {
	k := newKey(t)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	dir := t.TempDir()
	good := filepath.Join(dir, "AuthKey_X.p8")
	if err := os.WriteFile(good, pemBlock("PRIVATE KEY", der), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadPrivateKeyFile(good)
	if err != nil || !got.Equal(k) {
		t.Fatalf("LoadPrivateKeyFile = %v, %v", got != nil, err)
	}
	if _, err := LoadPrivateKeyFile(filepath.Join(dir, "missing.p8")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.p8")
	_ = os.WriteFile(bad, []byte("nope"), 0o600)
	if _, err := LoadPrivateKeyFile(bad); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("bad file: %v, want ErrInvalidKey", err)
	}
}

func TestNewClientValidatesCredentials(t *testing.T) {
	k := newKey(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tests := []struct {
		name  string
		creds Credentials
		opts  []Option
	}{
		{"no key id", Credentials{IssuerID: "i", PrivateKey: k}, nil},
		{"no issuer", Credentials{KeyID: "k", PrivateKey: k}, nil},
		{"no key", Credentials{KeyID: "k", IssuerID: "i"}, nil},
		{"P-384 key", Credentials{KeyID: "k", IssuerID: "i", PrivateKey: p384}, nil},
		{"relative base", Credentials{KeyID: "k", IssuerID: "i", PrivateKey: k}, []Option{WithBaseURL("/v1")}},
		{"ftp base", Credentials{KeyID: "k", IssuerID: "i", PrivateKey: k}, []Option{WithBaseURL("ftp://x")}},
		{"nil http client", Credentials{KeyID: "k", IssuerID: "i", PrivateKey: k}, []Option{WithHTTPClient(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewClient(tt.creds, tt.opts...); err == nil {
				t.Fatal("NewClient succeeded, want error")
			}
		})
	}
	if _, err := NewClient(Credentials{KeyID: "k", IssuerID: "i", PrivateKey: k}); err != nil {
		t.Fatalf("valid credentials: %v", err)
	}
}
