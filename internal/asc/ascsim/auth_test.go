package ascsim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWTVerification(t *testing.T) {
	h := newHarness(t).seed()
	now := h.clock.Now()
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// sign builds a token from claims/header tweaks.
	sign := func(mut func(c jwt.MapClaims, hdr map[string]any), key any, method jwt.SigningMethod) string {
		c := jwt.MapClaims{"iss": h.iss, "iat": now.Unix(), "exp": now.Add(20 * time.Minute).Unix(), "aud": Audience}
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = h.kid
		tok.Header["typ"] = "JWT"
		if mut != nil {
			mut(c, tok.Header)
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	es := jwt.SigningMethodES256
	good := sign(nil, h.key, es)
	tampered := good[:len(good)-4] + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, good[len(good)-4:])
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"good token", "Bearer " + good, 200},
		{"helper token", "Bearer " + SignTestToken(h.kid, h.iss, h.key, now), 200},
		{"array audience", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) { c["aud"] = []string{Audience} }, h.key, es), 200},
		{"iat slightly ahead (skew)", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) {
			c["iat"] = now.Add(30 * time.Second).Unix()
			c["exp"] = now.Add(15 * time.Minute).Unix()
		}, h.key, es), 200},
		{"missing header", "", 401},
		{"not bearer", "Basic abc", 401},
		{"garbage", "Bearer not.a.jwt", 401},
		{"HS256", "Bearer " + sign(nil, []byte("secret"), jwt.SigningMethodHS256), 401},
		{"ES384", "Bearer " + func() string {
			k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			return sign(nil, k, jwt.SigningMethodES384)
		}(), 401},
		{"unknown kid", "Bearer " + sign(func(_ jwt.MapClaims, hdr map[string]any) { hdr["kid"] = "NOPE123456" }, h.key, es), 401},
		{"missing kid", "Bearer " + sign(func(_ jwt.MapClaims, hdr map[string]any) { delete(hdr, "kid") }, h.key, es), 401},
		{"typ not JWT", "Bearer " + sign(func(_ jwt.MapClaims, hdr map[string]any) { hdr["typ"] = "JWS" }, h.key, es), 401},
		{"wrong iss", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) { c["iss"] = "someone-else" }, h.key, es), 401},
		{"missing iss", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) { delete(c, "iss") }, h.key, es), 401},
		{"wrong aud", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "appstoreconnect-v2" }, h.key, es), 401},
		{"lifetime 21 min", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) { c["exp"] = now.Add(21 * time.Minute).Unix() }, h.key, es), 401},
		{"expired", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) {
			c["iat"] = now.Add(-30 * time.Minute).Unix()
			c["exp"] = now.Add(-10 * time.Minute).Unix()
		}, h.key, es), 401},
		{"exp equals now", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) {
			c["iat"] = now.Add(-10 * time.Minute).Unix()
			c["exp"] = now.Unix()
		}, h.key, es), 401},
		{"iat in future", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) {
			c["iat"] = now.Add(5 * time.Minute).Unix()
			c["exp"] = now.Add(15 * time.Minute).Unix()
		}, h.key, es), 401},
		{"missing iat", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) { delete(c, "iat") }, h.key, es), 401},
		{"missing exp", "Bearer " + sign(func(c jwt.MapClaims, _ map[string]any) { delete(c, "exp") }, h.key, es), 401},
		{"signed by another key", "Bearer " + sign(nil, otherKey, es), 401},
		{"bad signature", "Bearer " + tampered, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", h.ts.URL+"/v1/apps", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			res := h.send(req)
			if tc.want == 200 {
				res.must(t, 200)
				return
			}
			e := res.firstErr(t, 401, "NOT_AUTHORIZED")
			if e["title"] != titleNotAuthorized || e["detail"] != detailNotAuthorized {
				t.Fatalf("error = %v", e)
			}
			if len(res.errs(t)) != 1 || e["source"] != nil {
				t.Fatalf("401 document = %s", res.raw)
			}
			if res.header.Get("X-Rate-Limit") == "" {
				t.Fatal("401 without X-Rate-Limit")
			}
			if strings.Contains(string(res.raw), tc.header[min(len(tc.header), 7):]) && len(tc.header) > 20 {
				t.Fatal("the token leaked into the error body")
			}
		})
	}
}

func TestNewTestKeyAndToken(t *testing.T) {
	kid, iss, key := NewTestKey()
	if len(kid) != 10 || iss == "" || key == nil {
		t.Fatalf("NewTestKey = %q %q %v", kid, iss, key)
	}
	now := time.Unix(1_800_000_000, 0)
	tok := SignTestToken(kid, iss, key, now)
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	c := parsed.Claims.(jwt.MapClaims)
	if parsed.Header["kid"] != kid || parsed.Header["typ"] != "JWT" || c["iss"] != iss || c["aud"] != Audience ||
		c["exp"].(float64)-c["iat"].(float64) != 1200 {
		t.Fatalf("token header %v claims %v", parsed.Header, c)
	}
}
