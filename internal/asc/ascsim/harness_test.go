package ascsim

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc/ascspec"

	"github.com/ascbot/ascbot/internal/testclock"
)

func newFakeClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
}

// harness runs a simulator behind httptest with a signing key.
type harness struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	kid   string
	iss   string
	key   *ecdsa.PrivateKey
	clock *testclock.Clock
	demo  DemoIDs
}

func newHarness(t *testing.T, mutate ...func(*Options)) *harness {
	t.Helper()
	kid, iss, key := NewTestKey()
	clock := newFakeClock()
	opt := Options{
		Keys:     map[string]*ecdsa.PublicKey{kid: &key.PublicKey},
		IssuerID: iss,
		Clock:    clock.Now,
	}
	for _, m := range mutate {
		m(&opt)
	}
	srv := New(opt)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	h := &harness{t: t, srv: srv, ts: ts, kid: kid, iss: iss, key: key, clock: clock}
	return h
}

func (h *harness) seed() *harness {
	h.demo = h.srv.SeedDemo()
	return h
}

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	raw    []byte
	doc    map[string]any
}

func (h *harness) token() string {
	return SignTestToken(h.kid, h.iss, h.key, h.clock.Now())
}

// do sends a request; path may be absolute (links.next) or start with "/".
func (h *harness) do(method, path string, body any) *resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("encoding body: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	url := path
	if strings.HasPrefix(path, "/") {
		url = h.ts.URL + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		h.t.Fatalf("building request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return h.send(req)
}

func (h *harness) send(req *http.Request) *resp {
	h.t.Helper()
	res, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("reading body: %v", err)
	}
	r := &resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.doc); err != nil {
			h.t.Fatalf("%s %s: body is not JSON: %v: %s", req.Method, req.URL, err, raw)
		}
	}
	return r
}

// must asserts the status and returns the response.
func (r *resp) must(t *testing.T, status int) *resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.raw)
	}
	return r
}

// data returns the primary data object.
func (r *resp) data(t *testing.T) map[string]any {
	t.Helper()
	d, ok := r.doc["data"].(map[string]any)
	if !ok {
		t.Fatalf("data is not an object: %s", r.raw)
	}
	return d
}

// list returns the primary data array.
func (r *resp) list(t *testing.T) []map[string]any {
	t.Helper()
	arr, ok := r.doc["data"].([]any)
	if !ok {
		t.Fatalf("data is not an array: %s", r.raw)
	}
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		out = append(out, x.(map[string]any))
	}
	return out
}

// errs returns the errors array.
func (r *resp) errs(t *testing.T) []map[string]any {
	t.Helper()
	arr, ok := r.doc["errors"].([]any)
	if !ok || len(arr) == 0 {
		t.Fatalf("no errors array: %s", r.raw)
	}
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		out = append(out, x.(map[string]any))
	}
	return out
}

// firstErr asserts the first error's code (prefix match on "want") and
// returns it.
func (r *resp) firstErr(t *testing.T, status int, code string) map[string]any {
	t.Helper()
	r.must(t, status)
	e := r.errs(t)[0]
	if e["code"] != code {
		t.Fatalf("code = %v, want %s; body: %s", e["code"], code, r.raw)
	}
	if e["status"] != strings.TrimSpace(itoa(status)) {
		t.Fatalf("status member = %v, want %q", e["status"], itoa(status))
	}
	for _, k := range []string{"id", "title", "detail"} {
		if s, _ := e[k].(string); s == "" {
			t.Fatalf("error member %s missing: %s", k, r.raw)
		}
	}
	return e
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func pointer(e map[string]any) string {
	src, _ := e["source"].(map[string]any)
	p, _ := src["pointer"].(string)
	return p
}

func parameter(e map[string]any) string {
	src, _ := e["source"].(map[string]any)
	p, _ := src["parameter"].(string)
	return p
}

func attrs(obj map[string]any) map[string]any {
	a, _ := obj["attributes"].(map[string]any)
	return a
}

func rel(obj map[string]any, name string) map[string]any {
	rels, _ := obj["relationships"].(map[string]any)
	r, _ := rels[name].(map[string]any)
	return r
}

// resource builds a JSON:API request document.
func resource(typ, id string, attributes map[string]any, relationships map[string]any) map[string]any {
	d := map[string]any{"type": typ}
	if id != "" {
		d["id"] = id
	}
	if attributes != nil {
		d["attributes"] = attributes
	}
	if relationships != nil {
		d["relationships"] = relationships
	}
	return map[string]any{"data": d}
}

func link(typ, id string) map[string]any {
	return map[string]any{"data": map[string]any{"type": typ, "id": id}}
}

// fullSpec loads the full spec (vendored under ascspec/testdata).
func fullSpec(t *testing.T) *ascspec.Spec {
	t.Helper()
	fullOnce.Do(func() {
		path, err := ascspec.FindFile()
		if err != nil {
			fullErr = err
			return
		}
		fullSpecV, fullErr = ascspec.LoadFile(path)
	})
	if fullErr != nil {
		t.Fatalf("loading the full spec: %v", fullErr)
	}
	return fullSpecV
}

var (
	fullOnce  sync.Once
	fullSpecV *ascspec.Spec
	fullErr   error
)
