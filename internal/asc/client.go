// Package asc is a client for the App Store Connect REST API: JWT auth,
// typed resources, typed errors, rate-limit info on every response, paging
// and bounded retries. One file per API area, in the style of go-github.
package asc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is Apple's API host; requests go to base+"/v1/…" and "/v2/…".
const DefaultBaseURL = "https://api.appstoreconnect.apple.com"

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 1 << 20

// Client talks to App Store Connect. It is safe for concurrent use.
type Client struct {
	Apps          *AppsService
	Versions      *VersionsService
	Builds        *BuildsService
	Localizations *LocalizationsService
	Submissions   *SubmissionsService
	Releases      *ReleasesService
	Phased        *PhasedService
	Availability  *AvailabilityService
	IAP           *IAPService
	Webhooks      *WebhooksService
	BetaGroups    *BetaGroupsService
	BetaTesters   *BetaTestersService
	BetaBuilds    *BetaBuildsService

	common service

	base       *url.URL // no trailing slash
	baseStr    string
	httpClient *http.Client
	logger     *slog.Logger
	clock      func() time.Time
	retry      RetryPolicy
	callLimit  time.Duration // bounds one call, every attempt and wait included
	observer   func(RequestInfo)
	// sleep waits d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// jitter returns a value in [0,1); tests may pin it.
	jitter func() float64

	creds   Credentials
	tokenMu sync.Mutex
	tok     string
	tokIat  time.Time
	tokExp  time.Time
	signs   atomic.Int64

	rateMu sync.Mutex
	rate   RateLimit
}

// service is the go-github "common service": every XService is this struct.
type service struct{ client *Client }

// RetryPolicy bounds retries. GETs are retried on 429, 5xx and network
// errors; POST/PATCH/DELETE only on 429 and 503 (a failed create may have
// gone through). Retry-After is honoured; otherwise the wait is
// BaseDelay·2ⁿ with jitter. When the next wait would push the total past
// MaxWait the last error is returned instead.
type RetryPolicy struct {
	// MaxAttempts counts every HTTP attempt; 1 disables retries.
	MaxAttempts int
	// MaxWait bounds the total time slept between attempts of one call.
	MaxWait time.Duration
	// BaseDelay is the first backoff step.
	BaseDelay time.Duration
}

// DefaultCallTimeout bounds one call (every attempt and wait between them):
// when Apple hangs, a person pressing a button hears so within 30 s (the
// HTTP timeout alone, 60 s, and retries outlasted the handler).
const DefaultCallTimeout = 20 * time.Second

// WithCallTimeout replaces DefaultCallTimeout; a call that takes longer
// fails with an error matching ErrNoAnswer.
func WithCallTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d > 0 {
			c.callLimit = d
		}
		return nil
	}
}

// DefaultRetryPolicy is used unless WithRetryPolicy says otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, MaxWait: 30 * time.Second, BaseDelay: 500 * time.Millisecond}

// RequestInfo describes one HTTP attempt, for metrics.
type RequestInfo struct {
	Method string
	// Path is relative to the base URL, without query (e.g. /v1/apps/123).
	Path      string
	Status    int // 0 when no response arrived
	Duration  time.Duration
	RateLimit RateLimit
	// Err is the transport error or the *APIError of a non-2xx answer.
	Err error
	// Attempt is 1 for the first try of a call, 2 for the first retry, …
	Attempt int
}

// Response wraps the HTTP response (its body already consumed and closed)
// with the parsed rate limit and the next page link, if any.
type Response struct {
	*http.Response
	RateLimit RateLimit
	NextURL   string
}

// Option configures a Client.
type Option func(*Client) error

// WithBaseURL sets the API base (default DefaultBaseURL). A path prefix is
// kept: "http://127.0.0.1:8080/asc" sends requests to …/asc/v1/….
func WithBaseURL(base string) Option {
	return func(c *Client) error {
		u, err := url.Parse(base)
		if err != nil {
			return fmt.Errorf("parsing base URL: %w", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("parsing base URL: %q is not an absolute http(s) URL", base)
		}
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath, u.RawQuery, u.Fragment = "", "", ""
		c.base = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client (default: a client with a 60 s timeout).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("http client is nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithLogger sets the logger; attempts are logged at debug level, never with
// the Authorization header.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l != nil {
			c.logger = l
		}
		return nil
	}
}

// WithClock sets the clock used for token iat/exp and Retry-After dates.
func WithClock(now func() time.Time) Option {
	return func(c *Client) error {
		if now != nil {
			c.clock = now
		}
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy; zero fields keep the default.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) error {
		if p.MaxAttempts > 0 {
			c.retry.MaxAttempts = p.MaxAttempts
		}
		if p.MaxWait > 0 {
			c.retry.MaxWait = p.MaxWait
		}
		if p.BaseDelay > 0 {
			c.retry.BaseDelay = p.BaseDelay
		}
		return nil
	}
}

// WithObserver registers fn, called once per HTTP attempt (metrics hook).
// It runs on the request goroutine and must not block.
func WithObserver(fn func(RequestInfo)) Option {
	return func(c *Client) error {
		c.observer = fn
		return nil
	}
}

// NewClient returns a client for the given team key.
func NewClient(creds Credentials, opts ...Option) (*Client, error) {
	if err := creds.validate(); err != nil {
		return nil, fmt.Errorf("creating asc client: %w", err)
	}
	c := &Client{
		creds:      creds,
		httpClient: &http.Client{Timeout: 60 * time.Second},
		logger:     slog.New(slog.DiscardHandler),
		clock:      time.Now,
		retry:      DefaultRetryPolicy,
		callLimit:  DefaultCallTimeout,
		sleep:      sleepCtx,
		jitter:     rand.Float64,
	}
	if err := WithBaseURL(DefaultBaseURL)(c); err != nil {
		return nil, err
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("creating asc client: %w", err)
		}
	}
	c.baseStr = c.base.String()
	c.common.client = c
	c.Apps = (*AppsService)(&c.common)
	c.Versions = (*VersionsService)(&c.common)
	c.Builds = (*BuildsService)(&c.common)
	c.Localizations = (*LocalizationsService)(&c.common)
	c.Submissions = (*SubmissionsService)(&c.common)
	c.Releases = (*ReleasesService)(&c.common)
	c.Phased = (*PhasedService)(&c.common)
	c.Availability = (*AvailabilityService)(&c.common)
	c.IAP = (*IAPService)(&c.common)
	c.Webhooks = (*WebhooksService)(&c.common)
	c.BetaGroups = (*BetaGroupsService)(&c.common)
	c.BetaTesters = (*BetaTestersService)(&c.common)
	c.BetaBuilds = (*BetaBuildsService)(&c.common)
	return c, nil
}

// RateLimit returns the rate limit of the last response that carried one.
func (c *Client) RateLimit() RateLimit {
	c.rateMu.Lock()
	defer c.rateMu.Unlock()
	return c.rate.clone()
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// url joins the base with an API path ("/v1/…") and query.
func (c *Client) url(path string, q query) string {
	s := c.baseStr + path
	if enc := q.encode(); enc != "" {
		s += "?" + enc
	}
	return s
}

// relPath strips the base path prefix from an absolute URL's path.
func (c *Client) relPath(u *url.URL) string {
	p := u.Path
	if c.base.Path != "" {
		if rest, ok := strings.CutPrefix(p, c.base.Path); ok {
			p = rest
		}
	}
	return p
}

// sameOrigin reports whether u has the base URL's scheme and host.
func (c *Client) sameOrigin(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.base.Scheme) && strings.EqualFold(u.Host, c.base.Host)
}

// get sends a GET to path with q and decodes the document.
func (c *Client) get(ctx context.Context, path string, q query, doc *Document) (*Response, error) {
	return c.do(ctx, http.MethodGet, c.url(path, q), nil, doc)
}

// send sends a body with method to path and decodes the answer into doc
// (doc may be nil, e.g. for 204 answers).
func (c *Client) send(ctx context.Context, method, path string, body any, doc *Document) (*Response, error) {
	return c.do(ctx, method, c.url(path, nil), body, doc)
}

// getAll GETs path and follows links.next until it is absent, calling each
// for every page. It refuses a next link to another scheme or host.
func (c *Client) getAll(ctx context.Context, path string, q query, each func(*Document) error) (*Response, error) {
	next := c.url(path, q)
	seen := map[string]bool{}
	for {
		var doc Document
		resp, err := c.do(ctx, http.MethodGet, next, nil, &doc)
		if err != nil {
			return resp, err
		}
		if err := each(&doc); err != nil {
			return resp, err
		}
		if doc.Links.Next == "" {
			return resp, nil
		}
		seen[next] = true
		cur, _ := url.Parse(next)
		nu, err := url.Parse(doc.Links.Next)
		if err != nil {
			return resp, fmt.Errorf("following links.next of %s: %w", path, err)
		}
		nu = cur.ResolveReference(nu)
		if !c.sameOrigin(nu) {
			return resp, fmt.Errorf("following links.next of %s: %w: host %q is not the base URL's", path, ErrForeignLink, nu.Host)
		}
		next = nu.String()
		if seen[next] {
			return resp, fmt.Errorf("following links.next of %s: page link repeats", path)
		}
	}
}

// do performs one API call with auth, retries, rate-limit tracking,
// observation and decoding. rawURL is absolute.
func (c *Client) do(ctx context.Context, method, rawURL string, body any, doc *Document) (*Response, error) {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encoding %s request body: %w", method, err)
		}
		payload = b
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing request URL: %w", err)
	}
	path := c.relPath(u)
	idempotent := method == http.MethodGet || method == http.MethodHead
	ctx, cancel := context.WithTimeoutCause(ctx, c.callLimit, ErrNoAnswer)
	defer cancel()

	var waited time.Duration
	reauthed := false
	try := 0 // every HTTP attempt, for RequestInfo.Attempt
	for attempt := 1; ; attempt++ {
		try++
		tok, err := c.token()
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(payload))
		if err != nil {
			return nil, fmt.Errorf("building %s %s: %w", method, path, err)
		}
		if payload == nil {
			req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")

		start := time.Now()
		hresp, herr := c.httpClient.Do(req)
		dur := time.Since(start)

		if herr != nil {
			c.observe(ctx, RequestInfo{Method: method, Path: path, Duration: dur, Err: herr, Attempt: try})
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, context.Cause(ctx))
			}
			terr := fmt.Errorf("%s %s: %w", method, path, scrubURLError(herr))
			if !idempotent {
				return nil, terr
			}
			wait, ok := c.nextWait(attempt, waited, 0)
			if !ok {
				return nil, terr
			}
			waited += wait
			if err := c.sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("%s %s: waiting to retry: %w", method, path, context.Cause(ctx))
			}
			continue
		}

		rl := rateLimitFrom(hresp.Header)
		if !rl.IsZero() {
			c.rateMu.Lock()
			c.rate = rl
			c.rateMu.Unlock()
		}
		resp := &Response{Response: hresp, RateLimit: rl}

		if hresp.StatusCode >= 200 && hresp.StatusCode < 300 {
			derr := decodeBody(hresp, doc)
			c.observe(ctx, RequestInfo{Method: method, Path: path, Status: hresp.StatusCode, Duration: dur, RateLimit: rl, Attempt: try})
			if derr != nil {
				return resp, fmt.Errorf("decoding %s %s response: %w", method, path, derr)
			}
			if doc != nil {
				resp.NextURL = doc.Links.Next
			}
			return resp, nil
		}

		errBody, _ := io.ReadAll(io.LimitReader(hresp.Body, maxErrorBody))
		_, _ = io.Copy(io.Discard, hresp.Body)
		_ = hresp.Body.Close()
		retryAfter := parseRetryAfter(hresp.Header.Get("Retry-After"), c.clock())
		apiErr := newAPIError(method, path, hresp, errBody, rl, retryAfter)
		c.observe(ctx, RequestInfo{Method: method, Path: path, Status: hresp.StatusCode, Duration: dur, RateLimit: rl, Err: apiErr, Attempt: try})

		if hresp.StatusCode == http.StatusUnauthorized && !reauthed {
			// A 401 did nothing: re-sign and try once more, whatever the method.
			reauthed = true
			c.dropToken(tok)
			attempt--
			continue
		}
		if !retryable(idempotent, hresp.StatusCode) {
			return resp, apiErr
		}
		wait, ok := c.nextWait(attempt, waited, retryAfter)
		if dl, has := ctx.Deadline(); !ok || has && time.Until(dl) < wait {
			return resp, apiErr // no time left to wait for: Apple's answer is the error
		}
		waited += wait
		if err := c.sleep(ctx, wait); err != nil {
			return resp, fmt.Errorf("%s %s: waiting to retry after %d: %w", method, path, hresp.StatusCode, context.Cause(ctx))
		}
	}
}

// retryable says whether a status may be retried for this kind of method.
func retryable(idempotent bool, status int) bool {
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable:
		return true
	case idempotent && status >= 500 && status <= 599:
		return true
	}
	return false
}

// nextWait returns the wait before attempt+1, or false when the attempt
// budget or MaxWait would be exceeded.
func (c *Client) nextWait(attempt int, waited, retryAfter time.Duration) (time.Duration, bool) {
	if attempt >= c.retry.MaxAttempts {
		return 0, false
	}
	wait := retryAfter
	if wait <= 0 {
		d := c.retry.BaseDelay << (attempt - 1)
		if d <= 0 || d > c.retry.MaxWait {
			d = c.retry.MaxWait
		}
		// Equal jitter: half fixed, half random.
		wait = d/2 + time.Duration(c.jitter()*float64(d/2))
	}
	if waited+wait > c.retry.MaxWait {
		return 0, false
	}
	return wait, true
}

// parseRetryAfter reads delay-seconds or an HTTP-date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// decodeBody decodes a 2xx body into doc and always closes it.
func decodeBody(resp *http.Response, doc *Document) error {
	defer func() {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}()
	if doc == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return json.Unmarshal(b, doc)
}

// observe logs the attempt and feeds the observer.
func (c *Client) observe(ctx context.Context, ri RequestInfo) {
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{
			slog.String("method", ri.Method),
			slog.String("path", ri.Path),
			slog.Int("status", ri.Status),
			slog.Duration("duration", ri.Duration),
			slog.Int("attempt", ri.Attempt),
		}
		if rem, ok := ri.RateLimit.HourRemaining(); ok {
			attrs = append(attrs, slog.Int("hour_remaining", rem))
		}
		if ri.Err != nil {
			attrs = append(attrs, slog.String("error", ri.Err.Error()))
		}
		c.logger.LogAttrs(ctx, slog.LevelDebug, "asc request", attrs...)
	}
	if c.observer != nil {
		c.observer(ri)
	}
}

// scrubURLError drops the URL (which may carry a paging cursor) from a
// *url.Error, keeping its cause; the caller adds method and path.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
