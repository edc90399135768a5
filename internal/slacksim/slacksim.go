// Package slacksim is a strict, in-process stand-in for Slack used by tests,
// the demo and benchmarks of a socket-mode bot built on slack-go v0.35.0.
//
// It serves apps.connections.open and a socket-mode websocket (hello, pings,
// envelopes, acks, disconnect), the Web API methods the bot calls
// (chat.postMessage, chat.update, chat.postEphemeral, views.open/push/update/
// publish, usergroups.users.list, auth.test, conversations.info) and
// response_url endpoints, exactly in the shapes slack-go sends and parses.
//
// It enforces Slack's rules: tokens, ack deadlines and sizes, trigger_id
// lifetime and single use, response_url use limits, and the Block Kit limits.
// Every breach is recorded as a *Violation (see Violations and
// Options.OnViolation) and the offending call is answered like Slack answers
// it (ok:false with Slack's error code).
//
// Timing on the wire (ack deadlines, pings, ack latency) runs on real time;
// Slack-visible timestamps, trigger lifetime and response_url expiry run on
// Options.Clock, so tests can move them forward without sleeping.
package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// Identifiers of the simulated workspace and app.
const (
	TeamID     = "T0SIMTEAM"
	TeamDomain = "slacksim"
	AppID      = "A0SIMAPP"
	BotUserID  = "U0SIMBOT"
	BotID      = "B0SIMBOT"
	// Command is the slash command SlashCommand sends.
	Command = "/asc"
)

// Slack limits enforced outside Block Kit.
const (
	maxAckFrameBytes     = 20 * 1024
	maxResponseURLUses   = 5
	responseURLLifetime  = 30 * time.Minute
	maxViewStack         = 3
	maxEventsAPIRetries  = 3
	disconnectGrace      = 2 * time.Second
	wsWriteTimeout       = 5 * time.Second
	wsReadLimit          = 1 << 20
	defaultAckTimeout    = 3 * time.Second
	defaultPingInterval  = 10 * time.Second
	defaultTriggerTTL    = 3 * time.Second
	verificationTokenSim = "slacksim-verification-token"
)

// Options configures a Server. Zero values pick Slack's defaults.
type Options struct {
	// BotToken is the expected bot token (xoxb-…) for every Web API method.
	// AppToken is the expected app-level token (xapp-…) for
	// apps.connections.open. Any other token is answered invalid_auth
	// (not_authed when none is sent).
	BotToken, AppToken string
	// AckTimeout is how long the bot has to ack an envelope (default 3 s).
	// A later ack is a violation; an unacked events_api envelope is
	// redelivered with retry_attempt+1 and retry_reason "timeout".
	AckTimeout time.Duration
	// PingInterval is how often the server sends websocket pings (default 10 s).
	PingInterval time.Duration
	// TriggerTTL is how long a trigger_id stays usable (default 3 s), on Clock.
	TriggerTTL time.Duration
	// Clock supplies Slack-visible time (message ts, trigger and response_url
	// lifetimes). Default time.Now.
	Clock func() time.Time
	// RateSecond is how long one second of Slack's rate limits lasts, in
	// real time (default time.Second, Slack's own). A test shortens it and
	// gives the bot the same value: the limits are enforced as strictly,
	// only sooner.
	RateSecond time.Duration
	// OnViolation is called for every violation, outside the server's lock
	// (tests pass t.Errorf-like funcs). Violations are always recorded.
	OnViolation func(error)
	// Observer receives the transcript, in order, from a single goroutine; a
	// slow observer never blocks the server (the queue is unbounded).
	Observer func(Event)
}

// Event is one entry of the transcript: a user action or a bot call.
type Event struct {
	At time.Time
	// Kind is one of "slash", "click", "submit", "home" (user actions) and
	// "post", "update", "ephemeral", "view_open", "view_update", "publish",
	// "ack", "response_url" (bot side).
	Kind     string
	User     string
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	View     *View
	Ack      *Ack
	// Note qualifies the event: the envelope type of an ack, the response_url
	// mode ("ephemeral", "in_channel", "replace_original", "delete_original"),
	// the view change ("push", "update", "close", "clear", "errors"), the
	// clicked action_id, and so on.
	Note string
	// Error is Slack's error code when the bot call failed.
	Error string
}

// Ack is the bot's acknowledgement of one envelope delivery.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage
	Latency    time.Duration
}

// Message is a message as Slack stores it.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	// User is the author: a user id, or BotUserID when Bot is true.
	User string
	Bot  bool
	Text string
	// Blocks is the current Block Kit JSON (nil when the message has none).
	Blocks json.RawMessage
	// Replies are the thread replies (top-level messages only).
	Replies []Message
	// Edits counts chat.update and replace_original changes.
	Edits          int
	ReplyBroadcast bool
	// Source says how an ephemeral message was produced: "chat.postEphemeral",
	// "ack" or "response_url". Empty for channel messages.
	Source string
	At     time.Time
}

// View is a modal or a Home tab as Slack stores it.
type View struct {
	ID              string
	Type            string // "modal" or "home"
	CallbackID      string
	ExternalID      string
	Title           string
	Submit          string
	Close           string
	Blocks          json.RawMessage
	PrivateMetadata string
	User            string
	Hash            string
	RootViewID      string
	PreviousViewID  string
	// Open reports whether the modal is on the user's stack (always true for home).
	Open bool
	// Errors holds the last response_action "errors" shown on the modal.
	Errors map[string]string
	// Updates counts views.update calls and response_action updates.
	Updates int
}

// Call is one Web API request as received.
type Call struct {
	Method string
	// Token is the token the request carried (form field or Bearer header).
	// Never log it.
	Token       string
	ContentType string
	// Params holds the decoded parameters: strings for form bodies, decoded
	// JSON values for JSON bodies.
	Params map[string]any
	Status int
	// Error is Slack's error code when the answer was ok:false ("" if ok).
	Error string
	At    time.Time
}

// Param returns a parameter as a string (JSON values other than strings are
// returned as compact JSON).
func (c Call) Param(name string) string {
	v, ok := c.Params[name]
	if !ok || v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// ResponseURLPost is one POST to a response_url.
type ResponseURLPost struct {
	URL             string
	User            string
	Channel         string
	MessageTS       string // the message the interaction came from, if any
	Use             int    // 1-based use count of this URL
	Text            string
	Blocks          json.RawMessage
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	Error           string
	At              time.Time
}

// Stats are counters of the socket-mode side.
type Stats struct {
	Connections   int // websocket connections accepted
	Hellos        int
	PingsSent     int
	PongsReceived int
	Envelopes     int // envelope deliveries, redeliveries included
	Acks          int // acks matched to a delivery
}

// Server is the Slack stand-in. Create it with New and Close it when done.
// Its methods are safe for concurrent use.
type Server struct {
	opt      Options
	srv      *httptest.Server
	upgrader websocket.Upgrader
	queue    *eventQueue
	wg       sync.WaitGroup
	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc

	mu         sync.Mutex
	changed    chan struct{}
	dirty      bool
	closed     bool
	pendingV   []*Violation
	violations []error
	transcript []Event

	users    map[string]string // id → name
	channels map[string]string // id → name
	dms      map[string]string // DM channel id → user id
	groups   map[string][]string

	seq       int
	lastTSus  int64
	channelsM map[string][]*message // channel → top-level (incl. broadcast replies)
	byTS      map[string]*message   // channel+"/"+ts → message
	ephem     map[string][]*message // user → ephemerals
	ephemTS   map[string]*message   // ts → ephemeral

	views   map[string]*view
	stacks  map[string][]string // user → open modal ids, bottom first
	homes   map[string]string   // user → home view id
	byExtID map[string]string   // external_id → view id

	calls        []Call
	triggers     map[string]*trigger
	responseURLs map[string]*responseURL
	rpPosts      []ResponseURLPost
	rateLimits   map[string]*rateLimit
	postRate     map[string]*rate.Limiter // per channel, chat.postMessage
	tickets      map[string]bool

	conn      *wsConn
	conns     map[*wsConn]bool
	envelopes map[string]*envelope
	timers    map[*time.Timer]bool
	stats     Stats
}

type trigger struct {
	issued time.Time
	used   bool
	user   string
}

type rateLimit struct {
	retryAfter time.Duration
	count      int
}

// New starts a Server on 127.0.0.1 with a random port.
func New(opt Options) *Server {
	if opt.AckTimeout <= 0 {
		opt.AckTimeout = defaultAckTimeout
	}
	if opt.PingInterval <= 0 {
		opt.PingInterval = defaultPingInterval
	}
	if opt.TriggerTTL <= 0 {
		opt.TriggerTTL = defaultTriggerTTL
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.RateSecond <= 0 {
		opt.RateSecond = time.Second
	}
	s := &Server{
		opt:          opt,
		upgrader:     websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		changed:      make(chan struct{}),
		users:        map[string]string{},
		channels:     map[string]string{},
		dms:          map[string]string{},
		groups:       map[string][]string{},
		channelsM:    map[string][]*message{},
		byTS:         map[string]*message{},
		ephem:        map[string][]*message{},
		ephemTS:      map[string]*message{},
		views:        map[string]*view{},
		stacks:       map[string][]string{},
		homes:        map[string]string{},
		byExtID:      map[string]string{},
		triggers:     map[string]*trigger{},
		responseURLs: map[string]*responseURL{},
		rateLimits:   map[string]*rateLimit{},
		postRate:     map[string]*rate.Limiter{},
		tickets:      map[string]bool{},
		conns:        map[*wsConn]bool{},
		envelopes:    map[string]*envelope{},
		timers:       map[*time.Timer]bool{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.queue = newEventQueue(opt.Observer)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/link", s.handleLink)
	mux.HandleFunc("/response/", s.handleResponseURL)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close shuts the server down: it closes websocket connections, stops timers,
// delivers the remaining transcript events to the Observer and stops.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.dirty = true
	for t := range s.timers {
		t.Stop()
	}
	s.timers = map[*time.Timer]bool{}
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.conn = nil
	s.pendingV = nil
	s.unlock()
	s.cancel()
	for _, c := range conns {
		c.close()
	}
	s.srv.Close()
	s.wg.Wait()
	s.queue.close()
}

// APIURL is the base URL for slack.OptionAPIURL; it ends with "/api/".
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// URL is the server's base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return s.srv.URL }

// Violations returns every violation recorded so far, in order.
func (s *Server) Violations() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.violations...)
}

// Transcript returns every event emitted so far, in order (the same events
// the Observer receives).
func (s *Server) Transcript() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.transcript...)
}

// Stats returns the socket-mode counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Connected waits until a socket-mode client is connected and hello was sent.
func (s *Server) Connected(ctx context.Context) error {
	return s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.conn != nil
	})
}

// WaitFor waits until cond returns true. cond is re-checked whenever the
// server's state changes; it may call the Server's read methods. It returns
// the context's error on timeout and ErrClosed once the server is closed.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for slacksim state: %w", ctx.Err())
		}
	}
}

// AddUser registers a workspace user.
func (s *Server) AddUser(id, name string) {
	s.mu.Lock()
	defer s.unlock()
	s.users[id] = name
	s.dms[dmChannel(id)] = id
	s.dirty = true
}

// AddChannel registers a channel the bot is a member of.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.unlock()
	s.channels[id] = strings.TrimPrefix(name, "#")
	s.dirty = true
}

// SetUserGroup sets the members of a user group (usergroups.users.list).
func (s *Server) SetUserGroup(groupID string, userIDs ...string) {
	s.mu.Lock()
	defer s.unlock()
	s.groups[groupID] = append([]string(nil), userIDs...)
	s.dirty = true
}

// InjectRateLimit makes the next count calls of method answer HTTP 429 with
// Retry-After (whole seconds, rounded up). method is a Web API method
// ("chat.update") or ResponseURLMethod for posts to any response_url.
func (s *Server) InjectRateLimit(method string, retryAfter time.Duration, count int) {
	s.mu.Lock()
	defer s.unlock()
	s.rateLimits[method] = &rateLimit{retryAfter: retryAfter, count: count}
}

// Calls returns every Web API call of method ("" for all), in order.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			c.Params = maps.Clone(c.Params)
			out = append(out, c)
		}
	}
	return out
}

// unlock releases s.mu, wakes WaitFor callers when the state changed and
// reports pending violations to OnViolation outside the lock.
func (s *Server) unlock() {
	pending := s.pendingV
	s.pendingV = nil
	if s.dirty {
		close(s.changed)
		s.changed = make(chan struct{})
		s.dirty = false
	}
	s.mu.Unlock()
	if s.opt.OnViolation != nil {
		for _, v := range pending {
			s.opt.OnViolation(v)
		}
	}
}

// violate records a violation; s.mu must be held.
func (s *Server) violate(rule, where, format string, args ...any) {
	s.addViolations(&Violation{Rule: rule, Where: where, Detail: fmt.Sprintf(format, args...)})
}

func (s *Server) addViolations(vs ...*Violation) {
	for _, v := range vs {
		if v.At.IsZero() {
			v.At = s.now()
		}
		s.violations = append(s.violations, v)
		if !s.closed {
			s.pendingV = append(s.pendingV, v)
		}
	}
	if len(vs) > 0 {
		s.dirty = true
	}
}

// emit appends an event to the transcript; s.mu must be held.
func (s *Server) emit(e Event) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	s.transcript = append(s.transcript, e)
	s.queue.push(e)
	s.dirty = true
}

func (s *Server) now() time.Time { return s.opt.Clock() }

// closing is closed when the server closes.
func (s *Server) closing() <-chan struct{} { return s.ctx.Done() }

// nextID returns a fresh identifier with the given prefix; s.mu must be held.
func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08d", prefix, s.seq)
}

// nextTS returns a strictly increasing Slack timestamp; s.mu must be held.
func (s *Server) nextTS() string {
	us := s.now().UnixMicro()
	if us <= s.lastTSus {
		us = s.lastTSus + 1
	}
	s.lastTSus = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// afterFunc runs f after d on real time unless the server closes first.
// s.mu must be held.
func (s *Server) afterFunc(d time.Duration, f func()) *time.Timer {
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		if s.closed || !s.timers[t] {
			s.mu.Unlock()
			return
		}
		delete(s.timers, t)
		s.mu.Unlock()
		f()
	})
	s.timers[t] = true
	return t
}

func (s *Server) stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
		delete(s.timers, t)
	}
}

// issueTrigger returns a fresh trigger_id; s.mu must be held.
func (s *Server) issueTrigger(user string) string {
	s.seq++
	now := s.now()
	id := fmt.Sprintf("%d.%d.%032x", now.Unix(), s.seq, s.seq*7919)
	s.triggers[id] = &trigger{issued: now, user: user}
	return id
}

// IssueTrigger hands out a trigger_id for user, as an interaction would
// (tests of the bot's outbound path use it directly).
func (s *Server) IssueTrigger(user string) string {
	s.mu.Lock()
	defer s.unlock()
	return s.issueTrigger(user)
}

// useTrigger consumes a trigger_id and returns Slack's error code or "".
func (s *Server) useTrigger(id string) string {
	t, ok := s.triggers[id]
	switch {
	case !ok:
		return "invalid_trigger_id"
	case t.used:
		return "trigger_exchanged"
	case s.now().Sub(t.issued) > s.opt.TriggerTTL:
		return "trigger_expired"
	}
	t.used = true
	return ""
}

func (s *Server) userJSON(user string) map[string]any {
	return map[string]any{"id": user, "username": s.users[user], "name": s.users[user], "team_id": TeamID}
}

func teamJSON() map[string]any { return map[string]any{"id": TeamID, "domain": TeamDomain} }

// DMChannel is the id of the app's direct-message channel with a user (the
// channel chat.postMessage to a user id posts into, and app_home_opened's
// channel).
func DMChannel(userID string) string { return dmChannel(userID) }

// dmChannel is the id of the app's direct-message channel with user.
func dmChannel(user string) string {
	if len(user) > 1 {
		return "D" + user[1:]
	}
	return "D" + user
}
