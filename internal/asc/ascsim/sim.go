package ascsim

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ascbot/ascbot/internal/asc/ascspec"
)

// DefaultHourlyLimit is Apple's commonly observed user-hour-lim.
const DefaultHourlyLimit = 3600

// maxBody bounds request bodies.
const maxBody = 1 << 20

// Options configures a Server.
type Options struct {
	// Spec defaults to ascspec.Embedded().
	Spec *ascspec.Spec
	// Keys maps a key id (JWT kid) to the public key its tokens must verify with.
	Keys map[string]*ecdsa.PublicKey
	// IssuerID is the iss every token must carry.
	IssuerID string
	// Teams are further teams, each with its own issuer, keys and apps
	// (App.Team); Keys and IssuerID above are the team named "".
	Teams []Team
	// Clock defaults to time.Now.
	Clock func() time.Time
	// HourlyLimit is user-hour-lim (default 3600), counted per key over a
	// rolling hour.
	HourlyLimit int
	// ReviewStage: 0 = versions move only via the control API; > 0 = submitted
	// versions advance one stage per ReviewStage of Clock time (sandbox).
	ReviewStage time.Duration
	// TickInterval is how often the background ticker (ReviewStage > 0) checks
	// for due transitions; default ReviewStage/4 clamped to [5ms, 1s].
	TickInterval time.Duration
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// ControlAPI enables the JSON control endpoints under /_sim/ (sandbox).
	// They need no token; never expose them beyond localhost.
	ControlAPI bool
}

// Route is one served operation, as a spec path template.
type Route struct {
	Method string
	Path   string
}

// RequestLog records one request the simulator answered.
type RequestLog struct {
	Method string
	Path   string
	Query  string
	Status int
	Time   time.Time
}

// Fault makes the next Count requests matching Method (empty = any) and
// PathPrefix answer Status in Apple's error shape (after authentication).
// Code defaults from Status (429 RATE_LIMIT_EXCEEDED, 500 UNEXPECTED_ERROR,
// 503 SERVICE_UNAVAILABLE, else UNEXPECTED_ERROR); RetryAfter > 0 adds a
// Retry-After header (whole seconds, rounded up).
type Fault struct {
	Method     string
	PathPrefix string
	Status     int
	RetryAfter time.Duration
	Count      int
	Code       string
	// ExhaustHour makes the answer's X-Rate-Limit say user-hour-rem:0, as
	// a 429 from Apple's hourly limit does (with a Retry-After that may be
	// far shorter than the hour: assumed from field reports that Apple
	// frees requests on a rolling window).
	ExhaustHour bool
}

// Server is the simulator; it implements http.Handler.
type Server struct {
	opt    Options
	spec   *ascspec.Spec
	log    *slog.Logger
	routes map[string]handler // "METHOD template"

	mu      sync.Mutex
	st      *store
	windows map[string][]time.Time // key id -> request times in the last hour
	revoked map[string]bool        // key ids revoked (RevokeKey)
	faults  []*Fault
	latency time.Duration
	reqs    []RequestLog

	ctrl *http.ServeMux // control API, when enabled

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	// tickHook, when set (tests), runs after each background tick.
	tickHook func()
}

// New builds a Server. Options.Keys and IssuerID must be set for any request
// to authenticate.
func New(opt Options) *Server {
	if opt.Spec == nil {
		opt.Spec = ascspec.Embedded()
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.HourlyLimit <= 0 {
		opt.HourlyLimit = DefaultHourlyLimit
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opt:     opt,
		spec:    opt.Spec,
		log:     opt.Logger,
		windows: map[string][]time.Time{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.st = newStore(s.spec.Enum("TerritoryCode"))
	s.routes = s.handlers()
	if opt.ControlAPI {
		s.ctrl = s.controlMux()
	}
	if opt.ReviewStage > 0 {
		go s.runTicker()
	} else {
		close(s.done)
	}
	return s
}

// Close stops the background ticker (if any) and waits for it.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.done
}

func (s *Server) runTicker() {
	defer close(s.done)
	every := s.opt.TickInterval
	if every <= 0 {
		every = min(max(s.opt.ReviewStage/4, 5*time.Millisecond), time.Second)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Tick()
			s.mu.Lock()
			hook := s.tickHook
			s.mu.Unlock()
			if hook != nil {
				hook()
			}
		}
	}
}

// Routes lists every served operation as a spec path template, sorted.
func (s *Server) Routes() []Route {
	out := make([]Route, 0, len(s.routes))
	for k := range s.routes {
		m, p, _ := strings.Cut(k, " ")
		out = append(out, Route{Method: m, Path: p})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// ClearFaults drops every queued fault (App Store Connect answers again).
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// InjectFault queues a fault; see Fault.
func (s *Server) InjectFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// SetLatency makes every request wait d before it is handled (the wait ends
// early when the request's context is done).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Requests returns the requests answered so far (control API excluded).
func (s *Server) Requests() []RequestLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestLog(nil), s.reqs...)
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

func (s *Server) now() time.Time { return s.opt.Clock() }

// statusWriter records the status written and calls logged with it before
// the status goes out: once a client has read the response it must find the
// request in the log (a test counting requests right after its last response
// would otherwise race the log).
type statusWriter struct {
	http.ResponseWriter
	status int
	logged func(status int)
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.logged(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// reqCtx carries one request through a handler.
type reqCtx struct {
	r     *http.Request
	op    *ascspec.Operation
	id    string // the {id} path segment, when the template has one
	team  string // the team of the key that signed the request
	query map[string][]string
	body  *inDoc
	now   time.Time
	base  string // scheme://host[+prefix]
	self  string // absolute URL of this request
}

// handler answers a validated request with a document (or nil for 204).
type handler func(c *reqCtx) (any, *apiError)

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opt.ControlAPI && strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveControl(w, r)
		return
	}
	start := s.now()
	logged := func(status int) {
		s.mu.Lock()
		s.reqs = append(s.reqs, RequestLog{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: status, Time: start})
		s.mu.Unlock()
		s.log.Debug("asc request", "method", r.Method, "path", r.URL.Path, "status", status)
	}
	sw := &statusWriter{ResponseWriter: w, logged: logged}
	s.serve(sw, r)
	if sw.status == 0 {
		logged(499) // client went away during the latency wait
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	lat := s.latency
	s.mu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	now := s.now()
	kid, team, authErr := s.authenticate(r.Header.Get("Authorization"), now)
	if authErr != nil {
		s.log.Debug("asc auth refused", "reason", authErr.Error())
		s.mu.Lock()
		rem := s.count("", now)
		s.mu.Unlock()
		s.writeError(w, apiErr(http.StatusUnauthorized, codeNotAuthorized, titleNotAuthorized, detailNotAuthorized), rem, 0)
		return
	}
	s.mu.Lock()
	rem, retry, limited := s.admit(kid, now)
	if limited {
		s.mu.Unlock()
		s.writeError(w, apiErr(http.StatusTooManyRequests, codeRateLimit, "The request rate limit has been reached.",
			"We've received too many requests for this API. Please wait and try again or slow down your request rate."), rem, retry)
		return
	}
	if f := s.takeFault(r); f != nil {
		s.mu.Unlock()
		code := f.Code
		if code == "" {
			switch f.Status {
			case http.StatusTooManyRequests:
				code = codeRateLimit
			case http.StatusServiceUnavailable:
				code = codeUnavailable
			default:
				code = codeUnexpected
			}
		}
		if f.ExhaustHour {
			rem = 0
		}
		s.writeError(w, apiErr(f.Status, code, http.StatusText(f.Status), "Injected by the simulator."), rem, f.RetryAfter)
		return
	}
	s.mu.Unlock()

	c, aerr := s.route(r, now)
	if aerr != nil {
		s.writeError(w, aerr, rem, 0)
		return
	}
	c.team = team
	h := s.routes[c.op.Method+" "+c.op.Path]
	s.mu.Lock()
	doc, aerr := any(nil), s.checkTeam(c)
	if aerr == nil {
		doc, aerr = h(c)
	}
	s.mu.Unlock()
	if aerr != nil {
		s.writeError(w, aerr, rem, 0)
		return
	}
	s.writeJSON(w, c.op.Success, doc, rem)
}

// route resolves and validates the request; the handler still needs the lock.
func (s *Server) route(r *http.Request, now time.Time) (*reqCtx, *apiError) {
	path := r.URL.Path
	op, ok := s.spec.Operation(r.Method, path)
	if !ok || s.routes[op.Method+" "+op.Path] == nil {
		if tmpl, found := s.spec.MatchPath(path); found && !hasString(s.spec.Methods(tmpl), r.Method) {
			return nil, s.methodNotAllowed(r.Method, tmpl)
		}
		return nil, apiErr(http.StatusNotFound, codeNotFound, titleNotFound, "The path provided does not match a defined resource type.")
	}
	if qe := op.CheckQuery(r.URL.Query()); qe != nil {
		var e *ascspec.QueryError
		if errors.As(qe, &e) {
			return nil, fromQueryError(e)
		}
		return nil, apiErr(http.StatusBadRequest, ascspec.CodeParameterInvalid, "A parameter has an invalid value", qe.Error())
	}
	c := &reqCtx{r: r, op: op, query: r.URL.Query(), now: now}
	c.base, c.self = baseURLs(r)
	tsegs := strings.Split(strings.Trim(op.Path, "/"), "/")
	psegs := strings.Split(strings.Trim(path, "/"), "/")
	for i, seg := range tsegs {
		if seg == "{id}" && i < len(psegs) {
			c.id = psegs[i]
		}
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPatch || op.Body != nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return nil, apiErr(http.StatusBadRequest, ascspec.CodeEntityUnprocessable, "The request entity is not processable", "The request body could not be read.")
		}
		if len(body) > maxBody {
			return nil, apiErr(http.StatusRequestEntityTooLarge, ascspec.CodeEntityUnprocessable, "The request entity is too large", "The request body is too large.")
		}
		if be := op.CheckBody(body); be != nil {
			var e *ascspec.BodyError
			if errors.As(be, &e) {
				return nil, fromBodyError(e)
			}
			return nil, apiErr(http.StatusUnprocessableEntity, ascspec.CodeEntityUnprocessable, "The request entity is not processable", be.Error())
		}
		if op.Body != nil {
			doc, err := parseDoc(body)
			if err != nil {
				return nil, apiErr(http.StatusUnprocessableEntity, ascspec.CodeEntityUnprocessable, "The request entity is not processable", "The request body could not be decoded.")
			}
			c.body = doc
			if op.Body.IDRequired && !op.Body.Linkage && c.id != "" && doc.Data.ID != c.id {
				return nil, conflict(ascspec.CodeEntity, "The provided entity is invalid",
					fmt.Sprintf("The id '%s' in the request body does not match the id '%s' in the request path", doc.Data.ID, c.id), "/data/id")
			}
		}
	}
	return c, nil
}

func (s *Server) methodNotAllowed(method, tmpl string) *apiError {
	opName := func(m string) string {
		switch m {
		case http.MethodPost:
			return "CREATE"
		case http.MethodPatch:
			return "UPDATE"
		case http.MethodDelete:
			return "DELETE"
		case http.MethodGet:
			if strings.HasSuffix(tmpl, "}") {
				return "GET_INSTANCE"
			}
			return "GET_COLLECTION"
		}
		return m
	}
	var allowed []string
	for _, m := range s.spec.Methods(tmpl) {
		allowed = append(allowed, opName(m))
	}
	segs := strings.Split(strings.Trim(tmpl, "/"), "/")
	res := segs[len(segs)-1]
	if strings.HasPrefix(res, "{") && len(segs) > 1 {
		res = segs[len(segs)-2]
	}
	return apiErr(http.StatusForbidden, codeForbidden, "The given operation is not allowed",
		fmt.Sprintf("The resource '%s' does not allow '%s'. Allowed operations are: %s", res, opName(method), strings.Join(allowed, ", ")))
}

// baseURLs returns scheme://host plus any prefix stripped before the request
// reached the simulator, and the absolute URL of the request.
func baseURLs(r *http.Request) (base, self string) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	orig := r.URL.Path
	if r.RequestURI != "" {
		if p, _, _ := strings.Cut(r.RequestURI, "?"); p != "" {
			orig = p
		}
	}
	prefix := ""
	if strings.HasSuffix(orig, r.URL.Path) {
		prefix = strings.TrimSuffix(orig, r.URL.Path)
	}
	base = scheme + "://" + r.Host + prefix
	self = base + r.URL.Path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	return base, self
}

// count records one request in a key's rolling window and returns the
// remaining allowance (caller holds mu).
func (s *Server) count(kid string, now time.Time) int {
	w := s.trim(kid, now)
	w = append(w, now)
	s.windows[kid] = w
	return max(s.opt.HourlyLimit-len(w), 0)
}

func (s *Server) trim(kid string, now time.Time) []time.Time {
	w := s.windows[kid]
	cut := 0
	for cut < len(w) && !w[cut].After(now.Add(-time.Hour)) {
		cut++
	}
	w = w[cut:]
	s.windows[kid] = w
	return w
}

// admit counts the request unless the key is over its hourly limit.
func (s *Server) admit(kid string, now time.Time) (rem int, retry time.Duration, limited bool) {
	w := s.trim(kid, now)
	if len(w) >= s.opt.HourlyLimit {
		retry = w[0].Add(time.Hour).Sub(now)
		return 0, max(retry, time.Second), true
	}
	return s.count(kid, now), 0, false
}

func (s *Server) takeFault(r *http.Request) *Fault {
	for i, f := range s.faults {
		if (f.Method == "" || strings.EqualFold(f.Method, r.Method)) && strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			f.Count--
			if f.Count <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			cp := *f
			return &cp
		}
	}
	return nil
}

func (s *Server) rateHeader(w http.ResponseWriter, rem int) {
	w.Header().Set("X-Rate-Limit", fmt.Sprintf("user-hour-lim:%d;user-hour-rem:%d;", s.opt.HourlyLimit, rem))
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError, rem int, retry time.Duration) {
	s.rateHeader(w, rem)
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": e.items})
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, doc any, rem int) {
	s.rateHeader(w, rem)
	if status == http.StatusNoContent || doc == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		s.log.Error("encoding response", "err", err)
		s.writeError(w, apiErr(http.StatusInternalServerError, codeUnexpected, "An unexpected error occurred.", "The simulator could not encode its response."), rem, 0)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
