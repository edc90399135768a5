// Package slackui is ascbot's face in Slack: the socket-mode runtime (ack
// first, then work), the /asc command, the submission card, the What's New
// modal, buttons, App Home, and the Block Kit renderers. The workflow itself
// lives in package release.
package slackui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/beta"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// API is the part of the Slack Web API the bot calls. *slack.Client has it.
type API interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	UpdateViewContext(ctx context.Context, view slack.ModalViewRequest, externalID, hash, viewID string) (*slack.ViewResponse, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// Metrics receives counts the bot produces; nil-safe no-ops when unset.
type Metrics interface {
	Command(name, result string)
	Notification(kind string)
	SlackConnected(up bool)
}

type noMetrics struct{}

func (noMetrics) Command(string, string) {}
func (noMetrics) Notification(string)    {}
func (noMetrics) SlackConnected(bool)    {}

// Options configures a Bot with what exists before it. The parts built from
// the bot are connected afterwards, one way each: SetRelease (the workflow
// needs the bot's group resolver), SetBeta, SetWatcher (the bot is the
// watcher's notifier).
type Options struct {
	Socket  *socketmode.Client
	API     API // defaults to Socket's embedded client
	Store   *store.Store
	Logger  *slog.Logger
	Clock   func() time.Time
	Metrics Metrics
	// Sandbox marks every card "sandbox" (simulated App Store Connect).
	Sandbox bool
	// HandlerTimeout bounds the work done for one envelope (default 2 min).
	// Each App Store Connect call is bounded far shorter by the client
	// (asc.DefaultCallTimeout), so a person hears within 30 s when Apple hangs.
	HandlerTimeout time.Duration
	// RateSecond is how long one second of Slack's rate limits lasts for
	// the bot's limiters (default time.Second, Slack's real limits). Tests
	// shorten it and give the Slack stand-in the same RateSecond, which
	// enforces the limits on that clock.
	RateSecond time.Duration
}

// WatchSink is the watcher as the Slack side sees it: told when the set of
// watched apps changes, and about states the bot's own actions produced.
type WatchSink interface {
	WatchesChanged()
	Acknowledge(appID string, v asc.AppStoreVersion, want asc.AppVersionState, sub *asc.ReviewSubmission, readAt time.Time) error
}

// Bot is the running Slack side of ascbot.
type Bot struct {
	sm         *socketmode.Client
	api        API
	rel        *release.Service
	store      *store.Store
	log        *slog.Logger
	now        func() time.Time
	metrics    Metrics
	sandbox    bool
	timeout    time.Duration
	watches    WatchSink
	pollStatus PollStatus
	beta       *beta.Service
	tfLatest   sync.Map // tfKey → *beta.View last drawn, for progress on a press
	tfDrawn    sync.Map // tfKey → tfDrawing of the card as last drawn (no step in progress)

	inflight  sync.WaitGroup
	busy      atomic.Int64 // handlers running, for Busy
	connected atomic.Bool
	cardLocks keyedMutex
	groups    groupLookup
	// undelivered lists the announcement parts given up (for /healthz).
	undelivered undeliveredLog
	posters     *poster
}

// New returns a Bot.
func New(o Options) *Bot {
	b := &Bot{sm: o.Socket, api: o.API, store: o.Store, log: o.Logger, now: o.Clock, metrics: o.Metrics, sandbox: o.Sandbox, timeout: o.HandlerTimeout}
	if b.api == nil && b.sm != nil {
		b.api = &b.sm.Client
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.metrics == nil {
		b.metrics = noMetrics{}
	}
	if b.timeout == 0 {
		b.timeout = 2 * time.Minute
	}
	b.posters = newPoster(b.api, b.log, o.RateSecond)
	b.groups = groupLookup{p: b.posters}
	return b
}

// SetRelease sets the workflow service (it needs the bot's group resolver, so
// the two are built in turn).
func (b *Bot) SetRelease(r *release.Service) { b.rel = r }

// SetWatcher connects the poller: told about /asc watch and unwatch and
// about states the bot's own actions produced, asked for its status.
func (b *Bot) SetWatcher(w interface {
	WatchSink
	PollStatus
}) {
	b.watches, b.pollStatus = w, w
}

// Groups resolves Slack user groups for the release service.
func (b *Bot) Groups() release.GroupResolver { return b.groups }

// Connected reports whether the socket-mode connection is up.
func (b *Bot) Connected() bool { return b.connected.Load() }

// ErrFatalSlack marks a Slack error the bot cannot recover from (revoked or invalid token).
var ErrFatalSlack = errors.New("fatal Slack error")

// Run connects to Slack and serves envelopes until ctx is cancelled; it then
// waits for in-flight handlers. It returns nil on a clean shutdown and an
// error wrapping ErrFatalSlack when Slack refuses the tokens.
func (b *Bot) Run(ctx context.Context) error {
	runErr := make(chan error, 1)
	go func() { runErr <- b.sm.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			b.setConnected(false)
			b.inflight.Wait()
			return nil
		case err := <-runErr:
			b.setConnected(false)
			b.inflight.Wait()
			if err == nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("%w: connecting to Slack: %w", ErrFatalSlack, err)
		case evt := <-b.sm.Events:
			b.dispatch(ctx, evt)
		}
	}
}

func (b *Bot) setConnected(up bool) {
	b.connected.Store(up)
	b.metrics.SlackConnected(up)
}

// Wait blocks until every handler started so far has finished.
func (b *Bot) Wait() { b.inflight.Wait() }

// Busy reports how many handlers are running now. Unlike Wait it may be
// called while new envelopes arrive (the demo polls it between steps).
func (b *Bot) Busy() int64 { return b.busy.Load() }

// dispatch acks every envelope before slow work: the ack is the first thing
// sent, and App Store Connect work runs in a goroutine afterwards. The only
// work before an ack is the cheap validation of a view submission, so its
// errors can go back as response_action errors.
func (b *Bot) dispatch(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		// Both arrive on every connection: say it once.
		if !b.connected.Load() {
			b.log.Info("connected to Slack")
		}
		b.setConnected(true)
	case socketmode.EventTypeConnecting:
		b.log.Debug("connecting to Slack")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
		b.setConnected(false)
		b.log.Warn("slack connection problem; reconnecting", "err", redactTicket(fmt.Sprint(evt.Data)))
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		b.onSlashCommand(ctx, *evt.Request, cmd)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		b.onInteractive(ctx, *evt.Request, cb)
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		b.ack(*evt.Request, nil)
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			return
		}
		if home, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok && home.Tab == "home" {
			b.goWork(ctx, *evt.Request, "home", func(ctx context.Context) { b.publishHome(ctx, home.User) })
		}
	}
}

func (b *Bot) ack(req socketmode.Request, payload any) {
	var err error
	if payload == nil {
		err = b.sm.Ack(req)
	} else {
		err = b.sm.Ack(req, payload)
	}
	if err != nil {
		b.log.Error("acking envelope", "envelope_id", req.EnvelopeID, "err", err)
	}
}

// goWork runs fn after the ack, once per envelope id (Slack redelivers
// envelopes it thinks were lost), on a context that survives shutdown long
// enough for the handler to finish.
func (b *Bot) goWork(ctx context.Context, req socketmode.Request, kind string, fn func(ctx context.Context)) {
	b.inflight.Add(1)
	b.busy.Add(1)
	go func() {
		defer b.inflight.Done()
		defer b.busy.Add(-1)
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
		defer cancel()
		first, err := b.store.SeenEnvelope(req.EnvelopeID, b.now())
		if err != nil {
			// Losing the user's press is worse than the small chance of a
			// redelivery: the actions themselves are idempotent.
			b.log.Error("recording envelope; handling it anyway", "envelope_id", req.EnvelopeID, "err", err)
			first = true
		}
		if !first {
			b.log.Info("ignoring a redelivered envelope", "envelope_id", req.EnvelopeID, "retry_attempt", req.RetryAttempt, "kind", kind)
			return
		}
		defer func() {
			if r := recover(); r != nil {
				b.log.Error("handler panicked", "kind", kind, "panic", r)
			}
		}()
		fn(wctx)
	}()
}

// acknowledge tells the watcher the state a bot action produced, so the
// poller does not announce it again (the thread already has the step).
func (b *Bot) acknowledge(v *release.VersionView, want asc.AppVersionState) {
	if b.watches == nil || v == nil || want == "" {
		return
	}
	if err := b.watches.Acknowledge(v.App.ID, v.Version, want, v.Submission, v.FetchedAt); err != nil {
		b.log.Warn("recording the state of the bot's own action", "err", err)
	}
}

// replyTimeout bounds an answer to a person.
const replyTimeout = 15 * time.Second

// replyContext is the context an answer is sent on: the handler's values but
// not its deadline. The answer that matters most — "App Store Connect is not
// answering" — is sent when the handler's context may have just expired.
func replyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
}

// keyedMutex serialises work per key (one card is rendered by one goroutine at a time).
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*sync.Mutex{}
	}
	m, ok := k.locks[key]
	if !ok {
		m = &sync.Mutex{}
		k.locks[key] = m
	}
	k.mu.Unlock()
	m.Lock()
	return m.Unlock
}

var ticketRe = regexp.MustCompile(`ticket=[^&\s"]+`)

// redactTicket hides the one-time ticket of a socket-mode URL that a dial
// error may quote: it is a credential, however short-lived.
func redactTicket(s string) string { return ticketRe.ReplaceAllString(s, "ticket=[redacted]") }

// userMessage turns a workflow error into words for the person who pressed.
func userMessage(err error) string {
	var (
		lookup  *release.MembershipError
		stale   *release.StaleError
		refused *release.RefusedError
		blocked *release.BlockedError
		done    *release.DoneError
		nf      *release.NotFoundError
	)
	switch {
	case errors.As(err, &lookup):
		return "🚫 Nothing was done: Slack's user-group lookup failed, so I could not check that you may " + lookup.Action + " (" + lookup.Err.Error() + "). Try again in a moment; if it keeps failing, check the user groups in the ascbot config."
	case errors.As(err, &refused):
		return "🚫 " + sentence(refused.Error())
	case errors.As(err, &stale):
		return "↻ The card was out of date, so nothing was done: " + strings.Join(stale.Changes, "; ") + ". I refreshed it — check it and press again if it still makes sense."
	case errors.As(err, &blocked):
		reasons := make([]string, len(blocked.Reasons))
		for i, r := range blocked.Reasons {
			reasons[i] = strings.TrimRight(r, ". ") // Apple's details end with a period
		}
		return "✋ " + sentence(strings.Join(reasons, "; "))
	case errors.As(err, &done) && done.By == "":
		return "✓ " + sentence("Nothing to do: "+done.Result)
	case errors.As(err, &done):
		return "✓ " + sentence("That was already done by <@"+done.By+">: "+done.Result)
	case errors.Is(err, release.ErrInProgress):
		return "⏳ That is already in progress — one press is enough."
	case errors.As(err, &nf):
		return notFoundText(nf)
	case errors.Is(err, asc.ErrNoAnswer), errors.Is(err, context.DeadlineExceeded):
		return "⌛ App Store Connect is not answering, so I stopped waiting. Nothing is lost: a press re-reads Apple before it acts, so try again in a moment."
	}
	return "⚠ " + sentence("Something went wrong talking to App Store Connect: "+err.Error()) + " Nothing was lost; try again in a moment."
}

// sentence capitalises s and ends it with exactly one full stop (a "?" or
// "!" stays): quoted App Store Connect details already end with one.
func sentence(s string) string {
	s = capitalize(strings.TrimRight(strings.TrimSpace(s), ". "))
	if strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}

func notFoundText(nf *release.NotFoundError) string {
	var names []string
	for _, a := range nf.Closest {
		if k := nf.Keys[a.ID]; k != "" {
			names = append(names, fmt.Sprintf("*%s* (`%s`, %s, key `%s`)", a.Name, a.BundleID, a.ID, k))
			continue
		}
		names = append(names, fmt.Sprintf("*%s* (`%s`, %s)", a.Name, a.BundleID, a.ID))
	}
	if nf.Ambiguous {
		return fmt.Sprintf("`%s` matches more than one app: %s. Name it by bundle id or id.", nf.Query, strings.Join(names, ", "))
	}
	if len(names) == 0 {
		if nf.Unlisted != nil {
			return fmt.Sprintf("I can't find an app called `%s` — and not every API key could list its apps (%v). `/asc apps` lists the apps the keys see.", nf.Query, nf.Unlisted)
		}
		return fmt.Sprintf("I can't find an app called `%s`. `/asc apps` lists the apps the API key sees.", nf.Query)
	}
	return fmt.Sprintf("I can't find an app called `%s`. Did you mean %s?", nf.Query, strings.Join(names, " or "))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
