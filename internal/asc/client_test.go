package asc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBaseURLPrefixAndHeaders(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/apps/9", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("Accept = %q", got)
		}
		if got := r.Header.Get("Content-Type"); got != "" {
			t.Errorf("GET carries Content-Type %q", got)
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		writeJSON(w, 200, `{"data":{"type":"apps","id":"9","attributes":{"name":"N"}}}`)
	})
	app, resp, err := c.Apps.Get(t.Context(), "9")
	if err != nil {
		t.Fatal(err)
	}
	if app.ID != "9" || app.Name != "N" {
		t.Errorf("app = %+v", app)
	}
	if rem, ok := resp.RateLimit.HourRemaining(); !ok || rem != 3599 {
		t.Errorf("resp.RateLimit rem = %d,%v", rem, ok)
	}
	if rem, ok := c.RateLimit().HourRemaining(); !ok || rem != 3599 {
		t.Errorf("client.RateLimit rem = %d,%v", rem, ok)
	}
}

func TestErrorPaths(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		sentinel  error
		code      string
		pointer   string
		parameter string
		wantMsg   string
	}{
		{
			name: "404", status: 404,
			body:     appleError(404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'apps' with id 'x'", ""),
			sentinel: ErrNotFound, code: "NOT_FOUND",
			wantMsg: "GET /v1/apps/x: 404 NOT_FOUND: The specified resource does not exist: There is no resource of type 'apps' with id 'x'",
		},
		{
			name: "409 entity error", status: 409,
			body:     appleError(409, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.", "whatsNew is too long", `{"pointer":"/data/attributes/whatsNew"}`),
			sentinel: ErrConflict, code: "ENTITY_ERROR", pointer: "/data/attributes/whatsNew",
		},
		{
			name: "409 state error", status: 409,
			body:     appleError(409, "STATE_ERROR", "The request cannot be fulfilled because of the state of another resource.", "Submission is not ready", `{"pointer":"/data/relationships/build"}`),
			sentinel: ErrConflict, code: "STATE_ERROR", pointer: "/data/relationships/build",
		},
		{
			name: "400 parameter error", status: 400,
			body: appleError(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value", "'foo' is not a valid filter type", `{"parameter":"filter[foo]"}`),
			code: "PARAMETER_ERROR", parameter: "filter[foo]",
		},
		{
			name: "403", status: 403,
			body:     appleError(403, "FORBIDDEN_ERROR", "This request is forbidden for security reasons", "The API key in use does not allow this request", ""),
			sentinel: ErrForbidden, code: "FORBIDDEN_ERROR",
		},
		{
			name: "non-JSON body", status: 404, body: "<html>nope</html>",
			sentinel: ErrNotFound, wantMsg: "GET /v1/apps/x: 404 Not Found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, env := setup(t)
			var calls atomic.Int32
			mux.HandleFunc("/v1/apps/x", func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				writeJSON(w, tt.status, tt.body)
			})
			_, resp, err := c.Apps.Get(t.Context(), "x")
			if err == nil {
				t.Fatal("want error")
			}
			if calls.Load() != 1 {
				t.Errorf("calls = %d, want 1 (no retry)", calls.Load())
			}
			if len(env.slept()) != 0 {
				t.Errorf("slept %v", env.slept())
			}
			apiErr, ok := AsAPIError(err)
			if !ok {
				t.Fatalf("error %T is not an *APIError", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Method != "GET" || apiErr.Path != "/v1/apps/x" {
				t.Errorf("apiErr = %d %s %s", apiErr.StatusCode, apiErr.Method, apiErr.Path)
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Errorf("resp = %v", resp)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(err, %v) = false", tt.sentinel)
			}
			for _, other := range []error{ErrNotFound, ErrConflict, ErrRateLimited, ErrUnauthorized, ErrForbidden} {
				if other != tt.sentinel && errors.Is(err, other) {
					t.Errorf("errors.Is(err, %v) = true", other)
				}
			}
			if tt.code != "" && !apiErr.HasCode(tt.code) {
				t.Errorf("HasCode(%q) = false for %+v", tt.code, apiErr.Errors)
			}
			if tt.pointer != "" && (apiErr.Errors[0].Source == nil || apiErr.Errors[0].Source.Pointer != tt.pointer) {
				t.Errorf("source = %+v, want pointer %s", apiErr.Errors[0].Source, tt.pointer)
			}
			if tt.parameter != "" && (apiErr.Errors[0].Source == nil || apiErr.Errors[0].Source.Parameter != tt.parameter) {
				t.Errorf("source = %+v, want parameter %s", apiErr.Errors[0].Source, tt.parameter)
			}
			if tt.wantMsg != "" && !strings.HasSuffix(err.Error(), tt.wantMsg) {
				t.Errorf("Error() = %q, want suffix %q", err.Error(), tt.wantMsg)
			}
			if rem, ok := apiErr.RateLimit.HourRemaining(); !ok || rem != 3599 {
				t.Errorf("apiErr.RateLimit = %v", apiErr.RateLimit)
			}
		})
	}
}

func TestUnauthorizedRetriedOnceWithNewToken(t *testing.T) {
	for _, method := range []string{"GET", "PATCH"} {
		t.Run(method, func(t *testing.T) {
			c, mux, env := setup(t)
			var tokens []string
			mux.HandleFunc("/v1/reviewSubmissions/1", func(w http.ResponseWriter, r *http.Request) {
				tokens = append(tokens, r.Header.Get("Authorization"))
				if len(tokens) == 1 {
					writeJSON(w, 401, appleError(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", "Provide a properly configured and signed bearer token", ""))
					return
				}
				writeJSON(w, 200, `{"data":{"type":"reviewSubmissions","id":"1","attributes":{"state":"WAITING_FOR_REVIEW"}}}`)
			})
			var err error
			if method == "GET" {
				_, _, err = c.Submissions.Get(t.Context(), "1")
			} else {
				_, _, err = c.Submissions.Submit(t.Context(), "1")
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tokens) != 2 || tokens[0] == tokens[1] {
				t.Fatalf("tokens: %d sent, distinct=%v; want 2 distinct", len(tokens), len(tokens) == 2 && tokens[0] != tokens[1])
			}
			if c.TokenSigns() != 2 {
				t.Errorf("TokenSigns = %d, want 2", c.TokenSigns())
			}
			if len(env.slept()) != 0 {
				t.Errorf("slept %v before re-auth", env.slept())
			}
		})
	}
}

func TestUnauthorizedTwiceGivesError(t *testing.T) {
	c, mux, _ := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/v1/apps/1", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 401, appleError(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", "", ""))
	})
	_, _, err := c.Apps.Get(t.Context(), "1")
	if !IsUnauthorized(err) {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	if calls.Load() != 2 {
		t.Errorf("calls = %d, want 2", calls.Load())
	}
}

func TestRetries(t *testing.T) {
	httpDate := func(env *testEnv, d time.Duration) string {
		return env.clock.Now().Add(d).UTC().Format(http.TimeFormat)
	}
	tests := []struct {
		name       string
		method     string
		statuses   []int
		retryAfter func(env *testEnv) string
		wantCalls  int
		wantErr    error // nil: success
		wantSleeps []time.Duration
	}{
		{name: "GET 429 Retry-After seconds then ok", method: "GET", statuses: []int{429, 200},
			retryAfter: func(*testEnv) string { return "7" }, wantCalls: 2, wantSleeps: []time.Duration{7 * time.Second}},
		{name: "GET 429 Retry-After date then ok", method: "GET", statuses: []int{429, 200},
			retryAfter: func(e *testEnv) string { return httpDate(e, 12*time.Second) }, wantCalls: 2, wantSleeps: []time.Duration{12 * time.Second}},
		{name: "POST 429 retried", method: "POST", statuses: []int{429, 201},
			retryAfter: func(*testEnv) string { return "2" }, wantCalls: 2, wantSleeps: []time.Duration{2 * time.Second}},
		{name: "POST 503 retried", method: "POST", statuses: []int{503, 201}, wantCalls: 2,
			wantSleeps: []time.Duration{375 * time.Millisecond}}, // 500ms: 250 fixed + 0.5*250 jitter
		{name: "POST 500 not retried", method: "POST", statuses: []int{500, 201}, wantCalls: 1, wantErr: ErrServer},
		{name: "PATCH 502 not retried", method: "PATCH", statuses: []int{502, 200}, wantCalls: 1, wantErr: ErrServer},
		{name: "GET 500 then ok", method: "GET", statuses: []int{500, 200}, wantCalls: 2,
			wantSleeps: []time.Duration{375 * time.Millisecond}},
		{name: "GET 5xx backoff doubles", method: "GET", statuses: []int{500, 502, 504, 200}, wantCalls: 4,
			wantSleeps: []time.Duration{375 * time.Millisecond, 750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "GET gives up after MaxAttempts", method: "GET", statuses: []int{500, 500, 500, 500, 200}, wantCalls: 4, wantErr: ErrServer,
			wantSleeps: []time.Duration{375 * time.Millisecond, 750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "Retry-After beyond MaxWait: no wait", method: "GET", statuses: []int{429, 200},
			retryAfter: func(*testEnv) string { return "31" }, wantCalls: 1, wantErr: ErrRateLimited},
		{name: "MaxWait bounds the sum", method: "GET", statuses: []int{429, 429, 429, 200},
			retryAfter: func(*testEnv) string { return "12" }, wantCalls: 3, wantErr: ErrRateLimited,
			wantSleeps: []time.Duration{12 * time.Second, 12 * time.Second}},
		{name: "DELETE 429 retried", method: "DELETE", statuses: []int{429, 204},
			retryAfter: func(*testEnv) string { return "1" }, wantCalls: 2, wantSleeps: []time.Duration{time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, env := setup(t)
			var calls atomic.Int32
			mux.HandleFunc("/v1/thing", func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				testMethod(t, r, tt.method)
				if r.Method == "POST" || r.Method == "PATCH" {
					b, _ := io.ReadAll(r.Body)
					if string(b) != `{"data":{"type":"things"}}` {
						t.Errorf("attempt %d body = %q (not replayed intact)", n, b)
					}
				}
				st := tt.statuses[n-1]
				if st >= 400 && tt.retryAfter != nil {
					w.Header().Set("Retry-After", tt.retryAfter(env))
				}
				switch {
				case st == 204:
					w.WriteHeader(204)
				case st < 300:
					writeJSON(w, st, `{"data":{"type":"things","id":"1"}}`)
				default:
					writeJSON(w, st, appleError(st, "SOME_ERROR", "t", "d", ""))
				}
			})
			var body any
			if tt.method == "POST" || tt.method == "PATCH" {
				body = reqDoc{Data: reqResource{Type: "things"}}
			}
			var doc Document
			_, err := c.send(t.Context(), tt.method, "/v1/thing", body, &doc)
			if got := int(calls.Load()); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("err = %v, want success", err)
			case tt.wantErr == ErrServer:
				if e, ok := AsAPIError(err); !ok || e.StatusCode < 500 {
					t.Errorf("err = %v, want a 5xx APIError", err)
				}
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if got := env.slept(); fmt.Sprint(got) != fmt.Sprint(tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
			var total time.Duration
			for _, d := range env.slept() {
				total += d
			}
			if total > DefaultRetryPolicy.MaxWait {
				t.Errorf("slept %v in total, over MaxWait", total)
			}
			if tt.wantErr == ErrRateLimited {
				if e, _ := AsAPIError(err); e == nil || e.RetryAfter == 0 {
					t.Errorf("APIError.RetryAfter not set: %v", err)
				}
			}
		})
	}
}

// ErrServer marks "a 5xx APIError" in TestRetries.
var ErrServer = errors.New("server error")

func TestNetworkErrorRetriedOnGetOnly(t *testing.T) {
	// A listener that accepts and immediately closes produces transport errors.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int32
	go func() {
		for {
			cn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			cn.Close()
		}
	}()
	for _, tc := range []struct {
		method    string
		wantConns int32
	}{{"GET", 4}, {"POST", 1}} {
		t.Run(tc.method, func(t *testing.T) {
			conns.Store(0)
			c, _, env := setup(t, WithBaseURL("http://"+ln.Addr().String()+"/p"),
				WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
			var obs []RequestInfo
			c.observer = func(ri RequestInfo) { obs = append(obs, ri) }
			var body any
			if tc.method == "POST" {
				body = reqDoc{Data: reqResource{Type: "x"}}
			}
			_, err := c.send(t.Context(), tc.method, "/v1/x", body, nil)
			if err == nil {
				t.Fatal("want error")
			}
			if _, ok := AsAPIError(err); ok {
				t.Errorf("network error surfaced as APIError: %v", err)
			}
			if conns.Load() != tc.wantConns {
				t.Errorf("connections = %d, want %d", conns.Load(), tc.wantConns)
			}
			if len(obs) != int(tc.wantConns) || obs[0].Err == nil || obs[0].Status != 0 || obs[0].Path != "/v1/x" {
				t.Errorf("observer saw %+v", obs)
			}
			if want := int(tc.wantConns) - 1; len(env.slept()) != want {
				t.Errorf("sleeps = %v, want %d", env.slept(), want)
			}
		})
	}
}

func TestNetworkErrorThenSuccess(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/apps/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":{"type":"apps","id":"1"}}`)
	})
	var fails atomic.Int32
	base := c.httpClient.Transport
	c.httpClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if fails.Add(1) == 1 {
			return nil, errors.New("connection reset by peer")
		}
		return base.RoundTrip(r)
	})}
	if _, _, err := c.Apps.Get(t.Context(), "1"); err != nil {
		t.Fatalf("err = %v, want success after one network error", err)
	}
	if fails.Load() != 2 {
		t.Errorf("attempts = %d, want 2", fails.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSleepRespectsContext(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/apps/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, 429, appleError(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.", "", ""))
	})
	c.sleep = sleepCtx // the real one
	ctx, cancel := context.WithCancel(t.Context())
	c.observer = func(RequestInfo) { cancel() }
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Apps.Get(ctx, "1")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("sleep ignored the cancelled context")
	}
}

func TestSleepCtx(t *testing.T) {
	if err := sleepCtx(t.Context(), time.Millisecond); err != nil {
		t.Errorf("sleepCtx = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleepCtx on cancelled ctx = %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"-4", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPagingFollowsNext(t *testing.T) {
	c, mux, env := setup(t)
	var pages []string
	mux.HandleFunc("/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		cursor := r.URL.Query().Get("cursor")
		pages = append(pages, cursor)
		next := func(cur string) string {
			return fmt.Sprintf(`%s%s/v1/apps?cursor=%s&limit=200`, env.server.URL, baseURLPath, cur)
		}
		switch cursor {
		case "":
			testQuery(t, r, map[string]string{"limit": "200", "fields[apps]": "name,bundleId,sku,primaryLocale"})
			writeJSON(w, 200, `{"data":[{"type":"apps","id":"1"}],"links":{"self":"x","next":"`+next("B")+`"}}`)
		case "B":
			writeJSON(w, 200, `{"data":[{"type":"apps","id":"2"}],"links":{"self":"x","next":"`+next("C")+`"}}`)
		case "C":
			writeJSON(w, 200, `{"data":[{"type":"apps","id":"3"}],"links":{"self":"x"},"meta":{"paging":{"total":3,"limit":1}}}`)
		}
	})
	apps, resp, err := c.Apps.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(pages); got != "[ B C]" {
		t.Errorf("pages = %s", got)
	}
	if len(apps) != 3 || apps[0].ID != "1" || apps[2].ID != "3" {
		t.Errorf("apps = %+v", apps)
	}
	if resp.NextURL != "" {
		t.Errorf("last NextURL = %q", resp.NextURL)
	}
}

func TestPagingRefusesForeignHost(t *testing.T) {
	for _, next := range []string{
		"https://evil.example.com/v1/apps?cursor=B",
		"//evil.example.com/v1/apps?cursor=B",
	} {
		t.Run(next, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc("/v1/apps", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, `{"data":[{"type":"apps","id":"1"}],"links":{"self":"x","next":"`+next+`"}}`)
			})
			var evil atomic.Int32
			base := c.httpClient.Transport
			c.httpClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.URL.Host == "evil.example.com" {
					evil.Add(1)
					return nil, errors.New("must not be called")
				}
				return base.RoundTrip(r)
			})}
			_, _, err := c.Apps.List(t.Context())
			if !errors.Is(err, ErrForeignLink) {
				t.Fatalf("err = %v, want ErrForeignLink", err)
			}
			if evil.Load() != 0 {
				t.Error("a request (with the token) went to the foreign host")
			}
		})
	}
}

func TestPagingSchemeChangeRefused(t *testing.T) {
	c, mux, env := setup(t)
	https := strings.Replace(env.server.URL, "http://", "https://", 1)
	mux.HandleFunc("/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":[],"links":{"self":"x","next":"`+https+baseURLPath+`/v1/apps?cursor=B"}}`)
	})
	if _, _, err := c.Apps.List(t.Context()); !errors.Is(err, ErrForeignLink) {
		t.Fatalf("err = %v, want ErrForeignLink", err)
	}
}

func TestPagingRepeatingLinkStops(t *testing.T) {
	c, mux, env := setup(t)
	mux.HandleFunc("/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":[],"links":{"self":"x","next":"`+env.server.URL+baseURLPath+`/v1/apps?cursor=A"}}`)
	})
	if _, _, err := c.Apps.List(t.Context()); err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Fatalf("err = %v, want a repeat error", err)
	}
}

func TestObserverAndDebugLog(t *testing.T) {
	var logBuf bytes.Buffer
	var mu sync.Mutex
	var infos []RequestInfo
	c, mux, _ := setup(t,
		WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logBuf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithObserver(func(ri RequestInfo) { mu.Lock(); infos = append(infos, ri); mu.Unlock() }),
	)
	var n atomic.Int32
	mux.HandleFunc("/v1/apps/1", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			writeJSON(w, 503, appleError(503, "UNAVAILABLE", "t", "d", ""))
			return
		}
		writeJSON(w, 200, `{"data":{"type":"apps","id":"1"}}`)
	})
	if _, _, err := c.Apps.Get(t.Context(), "1"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(infos) != 2 {
		t.Fatalf("observer calls = %d, want 2 (one per attempt)", len(infos))
	}
	if infos[0].Status != 503 || infos[0].Err == nil || infos[0].Attempt != 1 {
		t.Errorf("first = %+v", infos[0])
	}
	if infos[1].Status != 200 || infos[1].Err != nil || infos[1].Attempt != 2 || infos[1].Method != "GET" || infos[1].Path != "/v1/apps/1" {
		t.Errorf("second = %+v", infos[1])
	}
	if rem, _ := infos[1].RateLimit.HourRemaining(); rem != 3599 {
		t.Errorf("observer rate limit = %v", infos[1].RateLimit)
	}
	log := logBuf.String()
	if strings.Count(log, "asc request") != 2 || !strings.Contains(log, "path=/v1/apps/1") || !strings.Contains(log, "status=503") {
		t.Errorf("log = %s", log)
	}
	tok, _ := c.token()
	if strings.Contains(log, "Bearer") || strings.Contains(log, tok) || strings.Contains(log, tok[:20]) {
		t.Error("log contains the token")
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestRetryPolicyOption(t *testing.T) {
	c, mux, env := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second}))
	var n atomic.Int32
	mux.HandleFunc("/v1/apps/1", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		writeJSON(w, 500, "{}")
	})
	_, _, err := c.Apps.Get(t.Context(), "1")
	if err == nil || n.Load() != 2 {
		t.Fatalf("err=%v calls=%d, want error after 2", err, n.Load())
	}
	if fmt.Sprint(env.slept()) != "[750ms]" {
		t.Errorf("sleeps = %v", env.slept())
	}
	if c.retry.MaxWait != DefaultRetryPolicy.MaxWait {
		t.Errorf("zero MaxWait did not keep the default: %v", c.retry.MaxWait)
	}
}

// BenchmarkClientGet measures one GET through the whole stack. The fake
// clock advances 1 s per request, so a token should be signed about once per
// 19 minutes of clock (≈1140 requests), not per request.
func BenchmarkClientGet(b *testing.B) {
	c, mux, env := setup(b)
	body := []byte(`{"data":{"type":"apps","id":"1","attributes":{"name":"KotenOCR","bundleId":"jp.example.kotenocr","sku":"K1","primaryLocale":"en-US"}},"links":{"self":"x"}}`)
	mux.HandleFunc("/v1/apps/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Rate-Limit", "user-hour-lim:3600;user-hour-rem:3500;")
		_, _ = w.Write(body)
	})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		env.clock.Advance(time.Second)
		if _, _, err := c.Apps.Get(ctx, "1"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.TokenSigns()), "signs")
}

// When Apple does not answer, one call gives up after the call timeout with
// ErrNoAnswer, however many attempts the retry policy allows: the HTTP
// timeout (60 s) and retries outlasted a person's patience before.
func TestHangingCallEndsWithErrNoAnswer(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t, WithCallTimeout(300*time.Millisecond), WithRetryPolicy(RetryPolicy{MaxAttempts: 5}))
	var calls atomic.Int32
	mux.HandleFunc("/v1/apps/9", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-r.Context().Done() // Apple hangs
	})
	start := time.Now()
	_, _, err := c.Apps.Get(t.Context(), "9")
	if !errors.Is(err, ErrNoAnswer) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrNoAnswer", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the call took %v with a 300ms call timeout", d)
	}
	// A person must hear within 30 s: the default leaves room to answer.
	if DefaultCallTimeout > 25*time.Second {
		t.Errorf("DefaultCallTimeout = %v leaves no time to reply within 30 s", DefaultCallTimeout)
	}
	// The caller's own cancellation is not reported as Apple's silence.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := c.Apps.Get(ctx, "9"); errors.Is(err, ErrNoAnswer) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: err = %v, want context.Canceled", err)
	}
}
