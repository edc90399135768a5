// Package app wires ascbot together: config → store → App Store Connect
// client (or the built-in simulator in sandbox and demo modes) → Slack
// runtime → watcher → HTTP listener. cmd/bot, the demo and the end-to-end
// tests all run the bot through Run, so what they test is what ships.
package app

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/beta"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/metrics"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/slackui"
	"github.com/ascbot/ascbot/internal/store"
	"github.com/ascbot/ascbot/internal/watch"
)

// Options tunes Run for tests and the demo.
type Options struct {
	Logger *slog.Logger
	Clock  func() time.Time
	// Sim, when set in sandbox or demo mode, is the simulator to use instead
	// of a freshly seeded one (the demo and tests drive it).
	Sim *ascsim.Server
	// SimKey is the key the simulator trusts for Sim (kid, issuer, key):
	// the config's default key.
	SimKey *SimKey
	// SimKeys are the keys of the config's other keys (by name) that Sim
	// trusts, each in its own team; missing ones are made up in a freshly
	// seeded simulator.
	SimKeys map[string]*SimKey
	// Ready is called once everything runs.
	Ready func(*Runtime)
	// ASCRetry overrides the client's retry policy (tests).
	ASCRetry *asc.RetryPolicy
	// ASCCallTimeout overrides asc.DefaultCallTimeout (tests).
	ASCCallTimeout time.Duration
	// SocketOptions are passed to socketmode.New (tests: ping interval).
	SocketOptions []socketmode.Option
	// SlackRateSecond is how long one second of Slack's rate limits lasts
	// for the bot's limiters (default time.Second, Slack's real limits).
	// Tests and the test of the demo shorten it, giving the Slack stand-in
	// (slacksim.Options.RateSecond) the same value.
	SlackRateSecond time.Duration
}

// SimKey is an App Store Connect API key the simulator trusts.
type SimKey struct {
	KeyID, IssuerID string
	Key             *ecdsa.PrivateKey
}

// Runtime is the running bot's parts.
type Runtime struct {
	Bot      *slackui.Bot
	Release  *release.Service
	Watcher  *watch.Watcher
	Store    *store.Store
	ASC      *asc.Client            // the first key's client
	Clients  map[string]*asc.Client // every key's client, by key name
	Sim      *ascsim.Server
	Metrics  *metrics.Metrics
	HTTPAddr string   // the listener's address when ASCBOT_HTTP_ADDR is set
	Warnings []string // the config's warnings and the start-up check's (an app its key cannot see), each logged
}

// Run runs the bot until ctx is cancelled (clean shutdown: in-flight
// handlers and a running poll finish, the store closes) or Slack refuses
// the tokens (an error wrapping slackui.ErrFatalSlack).
func Run(ctx context.Context, cfg *config.Config, o Options) (err error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Clock
	if now == nil {
		now = time.Now
	}
	st, err := store.Open(cfg.DBPath)
	if err != nil {
		return fmt.Errorf("opening the database (ASCBOT_DB=%s): %w", cfg.DBPath, err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the database (ASCBOT_DB=%s): %w", cfg.DBPath, cerr)
		}
	}()
	if err := checkMode(st, cfg); err != nil {
		return err
	}
	logStart(log, cfg)
	m := metrics.New()
	m.Keys(cfg.KeyNames()...)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}

	clients, sim, stopSim, err := ascClients(cfg, o, now, log, m)
	if err != nil {
		return err
	}
	defer stopSim()
	client := clients[cfg.Keys[0].Name]

	api := slack.New(cfg.Slack.BotToken.Reveal(),
		slack.OptionAppLevelToken(cfg.Slack.AppToken.Reveal()),
		slack.OptionAPIURL(cfg.Slack.APIURL),
	)
	if err := checkBotToken(ctx, api); err != nil {
		return err
	}
	sm := socketmode.New(api, o.SocketOptions...)
	bot := slackui.New(slackui.Options{Socket: sm, Store: st, Logger: log, Clock: now, Metrics: m, Sandbox: cfg.Mode != config.ModeNormal, RateSecond: o.SlackRateSecond})
	rel := release.New(release.Options{ASC: client, Keys: clients, Store: st, Config: cfg, Groups: bot.Groups(), Logger: log, Clock: now})
	bot.SetRelease(rel)
	bot.SetBeta(beta.New(beta.Options{Release: rel, Store: st, Logger: log, Clock: now}))

	w, err := watch.New(watch.Options{
		ASC: client, Store: st, Release: rel, Notifier: bot, Schedule: cfg.Poll,
		Secrets: (&webhookSecrets{cfg: cfg, rel: rel}).get,
		Logger:  log, Clock: now, Metrics: m,
		AlsoTick: bot.PollTestFlight,
	})
	if err != nil {
		return fmt.Errorf("starting the watcher: %w", err)
	}
	bot.SetWatcher(w)

	rt := &Runtime{Bot: bot, Release: rel, Watcher: w, Store: st, ASC: client, Clients: clients, Sim: sim, Metrics: m}
	rt.Warnings = append(slices.Clone(cfg.Warnings), checkAppKeys(ctx, cfg, rel, log)...)
	var srv *http.Server
	if cfg.HTTPAddr != "" {
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listening on ASCBOT_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
		}
		rt.HTTPAddr = ln.Addr().String()
		srv = newHTTPServer(Handler(rt), defaultHTTPTimeouts)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http listener stopped", "err", err)
			}
		}()
		log.Info("http listener up", "addr", rt.HTTPAddr)
	}

	w.Start()
	// prune runs until Run returns, whatever the reason: waiting for the
	// parent context alone hung Run when Slack refused the app token.
	pruneCtx, stopPrune := context.WithCancel(ctx)
	pruneDone := make(chan struct{})
	go func() { defer close(pruneDone); prune(pruneCtx, st, now, log) }()
	defer func() { stopPrune(); <-pruneDone }()
	if o.Ready != nil {
		o.Ready(rt)
	}
	log.Info("ascbot running", "mode", cfg.Mode.String(), "poll", cfg.Poll)
	runErr := bot.Run(ctx)

	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Stop(stopCtx); err != nil {
		log.Warn("stopping the watcher", "err", err)
	}
	if srv != nil {
		if err := srv.Shutdown(stopCtx); err != nil {
			log.Warn("stopping the http listener", "err", err)
		}
	}
	log.Info("ascbot stopped")
	return runErr
}

// slackTokenErrors are the auth.test answers that mean the bot token will
// never work: running on would answer nothing while /healthz said ok.
var slackTokenErrors = map[string]bool{
	"invalid_auth": true, "not_authed": true, "token_revoked": true, "token_expired": true,
	"account_inactive": true,
}

// authTestTimeout bounds the start-up check of the bot token.
const authTestTimeout = 15 * time.Second

// checkBotToken calls auth.test once at start. A token Slack refuses is
// fatal (an error wrapping slackui.ErrFatalSlack, so cmd/bot exits non-zero
// and systemd or Kubernetes see it); Slack being unreachable is fatal too:
// the bot could not have answered anything.
func checkBotToken(ctx context.Context, api *slack.Client) error {
	actx, cancel := context.WithTimeout(ctx, authTestTimeout)
	defer cancel()
	_, err := api.AuthTestContext(actx)
	if err == nil {
		return nil
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && slackTokenErrors[se.Err] {
		return fmt.Errorf("%w: Slack refused SLACK_BOT_TOKEN (auth.test): %w", slackui.ErrFatalSlack, err)
	}
	return fmt.Errorf("%w: checking SLACK_BOT_TOKEN with auth.test: %w", slackui.ErrFatalSlack, err)
}

// httpTimeouts bound how long one client may hold a connection of the
// listener: with ReadHeaderTimeout alone, 200 slow uploads held connections
// open for 30 s and more.
type httpTimeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// defaultHTTPTimeouts: Apple's webhook bodies are small (64 KiB at most are
// read) and /healthz and /metrics answer at once.
var defaultHTTPTimeouts = httpTimeouts{ReadHeader: 5 * time.Second, Read: 10 * time.Second, Write: 15 * time.Second, Idle: 60 * time.Second}

func newHTTPServer(h http.Handler, t httpTimeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle}
}

// metaMode is the store's meta key for the mode that wrote it.
const metaMode = "mode"

// ErrOtherMode is returned by Run for a database written in another mode.
var ErrOtherMode = errors.New("database written in another mode")

// checkMode refuses a database written in another mode: a sandbox database
// holds simulated apps and cards, and in normal mode the poller would watch
// them. A database that records no mode (older ones) takes this one.
func checkMode(st *store.Store, cfg *config.Config) error {
	mode := cfg.Mode.String()
	got, ok, err := st.GetMeta(metaMode)
	if err != nil {
		return fmt.Errorf("reading the database's mode (ASCBOT_DB=%s): %w", cfg.DBPath, err)
	}
	if !ok {
		if err := st.PutMeta(metaMode, mode); err != nil {
			return fmt.Errorf("recording the database's mode (ASCBOT_DB=%s): %w", cfg.DBPath, err)
		}
		return nil
	}
	if got != mode {
		return fmt.Errorf("%w: ASCBOT_DB=%s was written in %s mode and this is %s mode; point ASCBOT_DB at another file", ErrOtherMode, cfg.DBPath, got, mode)
	}
	return nil
}

// logStart says what the bot runs with: the config file (or that there is
// none), and who may press Release.
func logStart(log *slog.Logger, cfg *config.Config) {
	if cfg.ConfigPath != "" {
		log.Info("config file loaded", "path", cfg.ConfigPath, "apps", len(cfg.Apps))
	} else {
		log.Info("no config file: ASCBOT_CONFIG is not set and ./" + config.DefaultConfigFile + " does not exist; no apps are watched until /asc watch")
	}
	nobody := cfg.NoApprovers()
	switch {
	case len(nobody) == 0:
	case cfg.Mode == config.ModeSandbox:
		log.Warn("sandbox: no approvers are configured, so everyone in the workspace may press every button (each card says so). " +
			"To try the approver rules, put your Slack member id in a config file: approvers: [\"U…\"] (your profile → ⋮ → Copy member ID), then ASCBOT_CONFIG=that file")
	case len(nobody) == 1 && nobody[0] == "*":
		log.Warn("no approvers are configured: nobody can press Release. Set approvers in the config file (see the README's Configuration)")
	default:
		log.Warn("some apps have no approvers and there is no default: nobody can press Release for them. Set approvers in the config file", "apps", nobody)
	}
}

// markRetention is how long envelope and notice marks are kept. The watcher
// recognises a transition it announced before a restart by its mark, so this
// must exceed any plausible downtime; Slack redelivers envelopes for minutes.
const markRetention = 90 * 24 * time.Hour

// prune removes old envelope and notice marks at start and once a day, so
// the store does not grow with every Slack interaction forever.
func prune(ctx context.Context, st *store.Store, now func() time.Time, log *slog.Logger) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		if n, err := st.Prune(now().Add(-markRetention)); err != nil {
			log.Warn("pruning old marks", "err", err)
		} else if n > 0 {
			log.Info("pruned old marks", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ascClients returns a client per API key (config.Keys), each with its own
// token, rate-limit budget and metrics label: Apple's API with the
// configured keys, or in sandbox and demo modes the built-in simulator,
// where each key other than the default one is its own team.
func ascClients(cfg *config.Config, o Options, now func() time.Time, log *slog.Logger, m *metrics.Metrics) (map[string]*asc.Client, *ascsim.Server, func(), error) {
	opts := func(key string) []asc.Option {
		opts := []asc.Option{asc.WithLogger(log.With("key", key)), asc.WithObserver(m.ASCObserver(key)), asc.WithClock(now)}
		if o.ASCRetry != nil {
			opts = append(opts, asc.WithRetryPolicy(*o.ASCRetry))
		}
		if o.ASCCallTimeout > 0 {
			opts = append(opts, asc.WithCallTimeout(o.ASCCallTimeout))
		}
		return opts
	}
	clients := map[string]*asc.Client{}
	if cfg.Mode == config.ModeNormal {
		for _, k := range cfg.Keys {
			key, err := asc.ParsePrivateKey([]byte(k.PrivateKey.Reveal()))
			if err != nil {
				return nil, nil, nil, fmt.Errorf("reading the App Store Connect key %q: %w", k.Name, err)
			}
			c, err := asc.NewClient(asc.Credentials{KeyID: k.KeyID, IssuerID: k.IssuerID, PrivateKey: key}, append(opts(k.Name), asc.WithBaseURL(cfg.ASC.APIURL))...)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("creating the App Store Connect client for key %q: %w", k.Name, err)
			}
			clients[k.Name] = c
		}
		return clients, nil, func() {}, nil
	}
	sim, keys := o.Sim, map[string]*SimKey{}
	for n, k := range o.SimKeys {
		keys[n] = k
	}
	if o.SimKey != nil {
		keys[config.DefaultKey] = o.SimKey
	}
	if sim == nil {
		sim = newSandboxSim(cfg, keys, now, log)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("starting the simulator: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	for _, k := range cfg.Keys {
		key := keys[k.Name]
		if key == nil {
			_ = srv.Close()
			return nil, nil, nil, fmt.Errorf("creating the simulator client: the simulator has no key %q", k.Name)
		}
		c, err := asc.NewClient(asc.Credentials{KeyID: key.KeyID, IssuerID: key.IssuerID, PrivateKey: key.Key}, append(opts(k.Name), asc.WithBaseURL("http://"+ln.Addr().String()))...)
		if err != nil {
			_ = srv.Close()
			return nil, nil, nil, fmt.Errorf("creating the simulator client: %w", err)
		}
		clients[k.Name] = c
	}
	log.Info("using the built-in App Store Connect simulator", "mode", cfg.Mode.String(), "keys", len(clients))
	return clients, sim, func() {
		_ = srv.Close()
		if o.Sim == nil {
			sim.Close()
		}
	}, nil
}

// newSandboxSim makes the sandbox's and demo's simulator: the demo apps in
// the default key's team and, for every other key in the config, a team of
// its own holding one sample app, so two teams can be tried side by side.
// It fills keys with the made-up keys.
func newSandboxSim(cfg *config.Config, keys map[string]*SimKey, now func() time.Time, log *slog.Logger) *ascsim.Server {
	mk := func() *SimKey {
		kid, iss, pk := ascsim.NewTestKey()
		return &SimKey{KeyID: kid, IssuerID: iss, Key: pk}
	}
	def := mk()
	keys[config.DefaultKey] = def
	var teams []ascsim.Team
	for _, k := range cfg.Keys {
		if k.Name == config.DefaultKey {
			continue
		}
		sk := mk()
		keys[k.Name] = sk
		teams = append(teams, ascsim.Team{Name: k.Name, IssuerID: sk.IssuerID, Keys: map[string]*ecdsa.PublicKey{sk.KeyID: &sk.Key.PublicKey}})
	}
	sim := ascsim.New(ascsim.Options{Keys: map[string]*ecdsa.PublicKey{def.KeyID: &def.Key.PublicKey}, IssuerID: def.IssuerID,
		Teams: teams, ReviewStage: cfg.SandboxStage, Clock: now, Logger: log})
	sim.SeedDemo()
	for _, t := range teams {
		id := sim.AddApp(ascsim.App{Name: "Stamp Rally", BundleID: "com.example." + strings.ReplaceAll(t.Name, "_", "-") + ".stamprally", Team: t.Name})
		sim.AddBuild(id, ascsim.BuildSeed{Version: "1", MarketingVersion: "1.0"})
		sim.AddVersion(id, ascsim.VersionSeed{VersionString: "1.0"})
	}
	return sim
}

// checkAppKeys reads every configured app with its key once at start and
// returns a warning for each app the key cannot see (a wrong key:, or an
// app of another team). It never stops the bot: Apple may be down.
func checkAppKeys(ctx context.Context, cfg *config.Config, rel *release.Service, log *slog.Logger) []string {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var (
		mu       sync.Mutex
		warnings []string
		wg       sync.WaitGroup
		listed   = map[string][]asc.App{} // key → its apps, for bundle ids
		listErr  = map[string]error{}
		listOnce sync.Mutex
	)
	list := func(key string) ([]asc.App, error) {
		listOnce.Lock()
		defer listOnce.Unlock()
		if apps, ok := listed[key]; ok || listErr[key] != nil {
			return apps, listErr[key]
		}
		c, _ := rel.Client(key)
		apps, _, err := c.Apps.List(ctx)
		listed[key], listErr[key] = apps, err
		return apps, err
	}
	for i, a := range cfg.Apps {
		wg.Go(func() {
			c, ok := rel.Client(a.KeyName())
			if !ok {
				return
			}
			name, seen := a.ID, false
			var err error
			if a.ID != "" {
				_, _, err = c.Apps.Get(ctx, a.ID)
				seen = err == nil
			} else {
				name = a.BundleID
				var apps []asc.App
				apps, err = list(a.KeyName())
				for _, x := range apps {
					seen = seen || strings.EqualFold(x.BundleID, a.BundleID)
				}
			}
			var w string
			switch {
			case seen:
				return
			case err == nil || asc.IsNotFound(err):
				w = fmt.Sprintf("config: apps[%d].key: key %q cannot see app %s (another team's app, or a wrong key)", i, a.KeyName(), name)
			default:
				w = fmt.Sprintf("config: apps[%d].key: could not check that key %q sees app %s: %v", i, a.KeyName(), name, err)
			}
			log.Warn(w)
			mu.Lock()
			warnings = append(warnings, w)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(warnings)
	return warnings
}

// webhookSecrets maps app ids to their webhook secrets. Apps named by bundle
// id are resolved once and remembered: the map is read on every delivery,
// before its signature is checked, so it must cost no API call.
type webhookSecrets struct {
	cfg *config.Config
	rel *release.Service

	mu       sync.Mutex
	resolved map[string]string    // bundle id → app id
	failed   map[string]time.Time // bundle id → last failed lookup
}

func (w *webhookSecrets) get() map[string]string {
	out := map[string]string{}
	for _, a := range w.cfg.Apps {
		if a.WebhookSecret.Reveal() == "" {
			continue
		}
		id := a.ID
		if id == "" {
			id = w.resolve(a.BundleID)
		}
		if id != "" {
			out[id] = a.WebhookSecret.Reveal()
		}
	}
	return out
}

func (w *webhookSecrets) resolve(bundleID string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if id, ok := w.resolved[bundleID]; ok {
		return id
	}
	if at, ok := w.failed[bundleID]; ok && time.Since(at) < time.Minute {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	app, _, err := w.rel.ResolveApp(ctx, bundleID)
	if w.resolved == nil {
		w.resolved, w.failed = map[string]string{}, map[string]time.Time{}
	}
	if err != nil {
		w.failed[bundleID] = time.Now() // tried again a minute later
		return ""
	}
	w.resolved[bundleID] = app.ID
	return app.ID
}

// Handler serves /healthz, /livez, /metrics and POST /webhooks/appstoreconnect.
func Handler(rt *Runtime) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", rt.Metrics.Handler())
	mux.Handle("/webhooks/appstoreconnect", rt.Watcher.WebhookHandler())
	// /livez answers what a restart can mend: the process serves and its
	// Slack socket is up. Failing App Store Connect polls (a revoked key,
	// Apple down) are reported by /healthz but are no reason to restart:
	// a new process would get the same 401s.
	mux.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) {
		code, status := http.StatusOK, "ok"
		if !rt.Bot.Connected() {
			code, status = http.StatusServiceUnavailable, "slack disconnected"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": status})
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		st := rt.Watcher.Status()
		connected := rt.Bot.Connected()
		body := map[string]any{
			"slack_connected": connected,
			"poll_interval":   st.Interval.String(),
			"poll_effective":  st.Effective.String(),
			"poll_stretched":  st.Stretched,
		}
		if st.HourLimit > 0 { // known only once App Store Connect has answered
			body["rate_remaining"] = st.HourRemaining
		}
		if !st.LastGoodPoll.IsZero() {
			body["last_good_poll"] = st.LastGoodPoll.UTC().Format(time.RFC3339)
		}
		if st.LastError != "" {
			body["last_poll_error"] = st.LastError
		}
		if st.Failures > 0 {
			body["poll_failures"] = st.Failures
		}
		if u := rt.Bot.Undelivered(); len(u) > 0 {
			// Parts of announcements given up (a channel refusing the bot):
			// reported, not a reason to restart.
			body["undelivered"] = u
		}
		// Each API key polls with its own budget and fails on its own.
		keys, failing := map[string]any{}, []string{}
		for _, ks := range rt.Watcher.KeyStatuses() {
			k := map[string]any{
				"poll_effective": ks.Effective.String(),
				"poll_stretched": ks.Stretched,
				"rate_remaining": ks.HourRemaining,
			}
			if !ks.LastGoodPoll.IsZero() {
				k["last_good_poll"] = ks.LastGoodPoll.UTC().Format(time.RFC3339)
			}
			if ks.LastError != "" {
				k["last_poll_error"] = ks.LastError
			}
			if ks.BackoffUntil.After(time.Now()) {
				k["backoff_until"] = ks.BackoffUntil.UTC().Format(time.RFC3339)
			}
			if ks.Failures > 0 {
				k["poll_failures"] = ks.Failures
			}
			if ks.Failures >= watch.FailingAfter {
				// Only this key's apps go unannounced; the bot is up.
				failing = append(failing, ks.Key)
			}
			keys[ks.Key] = k
		}
		body["keys"] = keys
		if len(failing) > 0 {
			body["failing_keys"] = failing
		}
		code := http.StatusOK
		body["status"] = "ok"
		switch {
		case !connected:
			code = http.StatusServiceUnavailable
			body["status"] = "slack disconnected"
		case st.Failures >= watch.FailingAfter:
			// Every poll failing (a revoked key answers 401 to all): the bot
			// announces nothing, so it is not healthy.
			code = http.StatusServiceUnavailable
			body["status"] = "App Store Connect polls failing"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
	})
	return mux
}
