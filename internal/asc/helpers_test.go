package asc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ascbot/ascbot/internal/testclock"
)

// baseURLPath is a non-empty prefix so that absolute-URL mistakes fail.
const baseURLPath = "/api-v3"

const (
	testKeyID  = "2X9R4HXF34"
	testIssuer = "57246542-96fe-1a63-e053-0824d011072a"
)

func newFakeClock() *testclock.Clock {
	return testclock.New(time.Date(2025, 4, 16, 5, 0, 0, 0, time.UTC))
}

// testEnv is what setup returns besides client and mux.
type testEnv struct {
	server *httptest.Server
	key    *ecdsa.PrivateKey
	clock  *testclock.Clock

	mu     sync.Mutex
	sleeps []time.Duration
}

func (e *testEnv) slept() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.sleeps...)
}

// setup starts an httptest server whose API lives under baseURLPath and a
// client pointed at it, with a fake clock and a sleep that records waits
// instead of waiting.
func setup(t testing.TB, opts ...Option) (*Client, *http.ServeMux, *testEnv) {
	t.Helper()
	mux := http.NewServeMux()
	api := http.NewServeMux()
	api.Handle(baseURLPath+"/", http.StripPrefix(baseURLPath, mux))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base URL path: %s %s", r.Method, r.URL)
		http.Error(w, "wrong prefix", http.StatusBadGateway)
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	key := newKey(t)
	env := &testEnv{server: srv, key: key, clock: newFakeClock()}
	all := append([]Option{
		WithBaseURL(srv.URL + baseURLPath),
		WithClock(env.clock.Now),
		WithHTTPClient(srv.Client()),
	}, opts...)
	c, err := NewClient(Credentials{KeyID: testKeyID, IssuerID: testIssuer, PrivateKey: key}, all...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		env.mu.Lock()
		env.sleeps = append(env.sleeps, d)
		env.mu.Unlock()
		return ctx.Err()
	}
	c.jitter = func() float64 { return 0.5 }
	return c, mux, env
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("request method = %s, want %s", r.Method, want)
	}
}

// testQuery checks the decoded query equals want exactly (values as sent,
// i.e. comma-joined for arrays).
func testQuery(t *testing.T, r *http.Request, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for k, v := range r.URL.Query() {
		got[k] = strings.Join(v, "|")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("query mismatch\n got: %s\nwant: %s", fmtMap(got), fmtMap(want))
	}
}

func fmtMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %s=%s", k, m[k])
	}
	return b.String()
}

// testJSONBody checks the body is JSON equal to want.
func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	var got, exp any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, b)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("body mismatch\n got: %s\nwant: %s", b, want)
	}
}

// writeJSON writes status and body with a rate-limit header.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Rate-Limit", "user-hour-lim:3600;user-hour-rem:3599;")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// appleError renders Apple's error document.
func appleError(status int, code, title, detail string, source string) string {
	src := ""
	if source != "" {
		src = `,"source":` + source
	}
	return fmt.Sprintf(`{"errors":[{"id":"e1","status":"%d","code":%q,"title":%q,"detail":%q%s}]}`, status, code, title, detail, src)
}

// parseToken verifies a bearer token with the public key.
func parseToken(t *testing.T, r *http.Request, key *ecdsa.PrivateKey) (*jwt.Token, jwt.MapClaims) {
	t.Helper()
	auth := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		t.Fatalf("Authorization = %q, want Bearer token", auth)
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		t.Fatalf("parsing token: %v", err)
	}
	return tok, claims
}

func ptr[T any](v T) *T { return &v }
