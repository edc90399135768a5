package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slacksim"
)

const (
	channel   = "C0RELEASES"
	userAna   = "U0ANA"
	userBob   = "U0BOB"
	userCarol = "U0CAROL"
	botToken  = "xoxb-test-bot-token"
	appToken  = "xapp-test-app-token"
	keyID     = "TESTKEY123"
	issuerID  = "57246542-96fe-1a63-e053-0824d011072a"
)

// harness runs the real bot (app.Run: socket-mode client, handlers, store,
// watcher) against the Slack stand-in and the App Store Connect simulator.
type harness struct {
	t     testing.TB
	slack *slacksim.Server
	sim   *ascsim.Server
	simTS *httptest.Server
	ids   ascsim.DemoIDs
	dir   string
	env   map[string]string
	key   *ecdsa.PrivateKey
	// allowViolation lets a test expect a breach (set before the bot runs).
	allowViolation func(error) bool
	// appOptions, when set, adjusts the options the bot runs with.
	appOptions func(*app.Options)

	mu     sync.Mutex
	rt     *app.Runtime
	cancel context.CancelFunc
	done   chan error
}

type harnessOpt func(*harnessConfig)

type harnessConfig struct {
	yaml     string
	simOpts  func(*ascsim.Options)
	httpAddr bool
}

// testPoll is the harness's poll schedule: it never fires during a test.
// Tests poll with h.tick(), exactly when they mean to.
const testPoll = "@every 1h"

// testSlackSecond is how long one second of Slack's rate limits lasts in
// these tests, for the bot's limiters and the Slack stand-in's enforcement
// alike: Slack's limits, ten times faster, still enforced.
const testSlackSecond = 100 * time.Millisecond

func withHTTP() harnessOpt                       { return func(c *harnessConfig) { c.httpAddr = true } }
func withSim(f func(*ascsim.Options)) harnessOpt { return func(c *harnessConfig) { c.simOpts = f } }

func newHarness(t testing.TB, opts ...harnessOpt) *harness {
	t.Helper()
	var hc harnessConfig
	for _, o := range opts {
		o(&hc)
	}
	h := &harness{t: t, dir: t.TempDir()}
	h.slack = slacksim.New(slacksim.Options{
		BotToken: botToken, AppToken: appToken, PingInterval: time.Second, RateSecond: testSlackSecond,
		OnViolation: func(err error) {
			if h.allowViolation == nil || !h.allowViolation(err) {
				t.Errorf("slack rule broken: %v", err)
			}
		},
	})
	t.Cleanup(h.slack.Close)
	for id, n := range map[string]string{userAna: "ana", userBob: "bob", userCarol: "carol"} {
		h.slack.AddUser(id, n)
	}
	h.slack.AddChannel(channel, "ios-releases")
	h.slack.SetUserGroup("S0RELEASE", userBob)

	key, err := ecdsaKey()
	if err != nil {
		t.Fatal(err)
	}
	h.key = key
	// Tests poll as often as they like: more than Apple's 3600 requests an hour.
	so := ascsim.Options{Keys: map[string]*ecdsa.PublicKey{keyID: &key.PublicKey}, IssuerID: issuerID, HourlyLimit: 1_000_000}
	if hc.simOpts != nil {
		hc.simOpts(&so)
	}
	h.sim = ascsim.New(so)
	t.Cleanup(h.sim.Close)
	h.ids = h.sim.SeedDemo()
	h.simTS = httptest.NewServer(h.sim)
	t.Cleanup(h.simTS.Close)

	yaml := hc.yaml
	if yaml == "" {
		yaml = fmt.Sprintf("poll: %q\napprovers: [\"S0RELEASE\"]\napps:\n  - id: %q\n    channel: %q\n", testPoll, h.ids.AppID, channel)
	}
	cfgPath := filepath.Join(h.dir, "ascbot.yaml")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	h.env = map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "SLACK_API_URL": h.slack.APIURL(),
		"ASC_KEY_ID": keyID, "ASC_ISSUER_ID": issuerID, "ASC_API_URL": h.simTS.URL,
		"ASC_PRIVATE_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"ASCBOT_CONFIG":   cfgPath, "ASCBOT_DB": filepath.Join(h.dir, "ascbot.db"),
	}
	if hc.httpAddr {
		h.env["ASCBOT_HTTP_ADDR"] = "127.0.0.1:0"
	}
	return h
}

// writeYAML replaces the bot's YAML config.
func (h *harness) writeYAML(format string, args ...any) {
	h.t.Helper()
	if err := os.WriteFile(h.env["ASCBOT_CONFIG"], []byte(fmt.Sprintf(format, args...)), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func ecdsaKey() (*ecdsa.PrivateKey, error) {
	_, _, k := ascsim.NewTestKey()
	return k, nil
}

func (h *harness) getenv(k string) string { return h.env[k] }

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// start runs the bot in-process and waits until it is connected to Slack.
func (h *harness) start() *app.Runtime {
	h.t.Helper()
	cfg, err := config.Load(h.getenv, config.ModeNormal)
	if err != nil {
		h.t.Fatalf("loading config: %v", err)
	}
	return h.run(cfg, app.Options{})
}

// run runs the bot in-process with cfg and waits until it is connected to
// Slack. o's Ready is the harness's; its retry policy, socket options and
// logger default to the harness's.
func (h *harness) run(cfg *config.Config, o app.Options) *app.Runtime {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *app.Runtime, 1)
	done := make(chan error, 1)
	o.Ready = func(rt *app.Runtime) { ready <- rt }
	if o.ASCRetry == nil {
		o.ASCRetry = &asc.RetryPolicy{MaxAttempts: 3, MaxWait: 2 * time.Second, BaseDelay: 10 * time.Millisecond}
	}
	if o.SocketOptions == nil {
		o.SocketOptions = []socketmode.Option{socketmode.OptionPingInterval(5 * time.Second)}
	}
	if o.SlackRateSecond == 0 {
		o.SlackRateSecond = testSlackSecond
	}
	if o.Logger == nil && os.Getenv("ASCBOT_TEST_LOG") != "" {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if h.appOptions != nil {
		h.appOptions(&o)
	}
	go func() { done <- app.Run(ctx, cfg, o) }()
	var rt *app.Runtime
	select {
	case rt = <-ready:
	case err := <-done:
		cancel()
		h.t.Fatalf("bot stopped at start: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		h.t.Fatal("bot did not start")
	}
	h.mu.Lock()
	h.rt, h.cancel, h.done = rt, cancel, done
	h.mu.Unlock()
	if err := h.slack.Connected(h.ctx()); err != nil {
		h.t.Fatalf("bot did not connect: %v", err)
	}
	// The stand-in counts the bot connected once it accepts the socket; the
	// bot itself once it has read Slack's hello, a moment later (under load,
	// later than a test's first look at /healthz). Wait for both.
	for deadline := time.Now().Add(10 * time.Second); !rt.Bot.Connected(); {
		if time.Now().After(deadline) {
			h.t.Fatal("the bot never saw its Slack connection")
		}
		time.Sleep(time.Millisecond)
	}
	h.t.Cleanup(h.stop)
	return rt
}

// stop shuts the bot down cleanly and checks it returned no error.
func (h *harness) stop() {
	h.mu.Lock()
	cancel, done := h.cancel, h.done
	h.cancel, h.done = nil, nil
	h.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			h.t.Errorf("bot stopped with %v", err)
		}
	case <-time.After(15 * time.Second):
		h.t.Error("bot did not stop")
	}
}

// tick polls App Store Connect once, as the schedule would, and returns
// when the poll and what it announced are done.
func (h *harness) tick() {
	h.t.Helper()
	h.mu.Lock()
	rt := h.rt
	h.mu.Unlock()
	if err := rt.Watcher.Tick(h.ctx()); err != nil {
		h.t.Fatalf("polling: %v", err)
	}
}

// pollUntil polls until cond holds, as the schedule keeps polling: a poll
// that races the bot recording its own button's result drops what it read
// (the card is redrawn before the state is recorded), and the next one
// announces it.
func (h *harness) pollUntil(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.tick()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := h.slack.WaitFor(ctx, cond)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("polling until %s: still not after 10 s", what)
		}
	}
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.slack.WaitFor(ctx, cond); err != nil {
		h.t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (h *harness) slash(user, text string) *slacksim.Ack {
	h.t.Helper()
	ack, err := h.slack.SlashCommand(h.ctx(), user, channel, text)
	if err != nil {
		h.t.Fatalf("/asc %s: %v", text, err)
	}
	return ack
}

// card returns the channel's card for KotenOCR 1.1.0.
func (h *harness) card() (slacksim.Message, bool) {
	for _, m := range h.slack.Messages(channel) {
		if strings.Contains(string(m.Blocks), "KotenOCR 1.1.0") && strings.Contains(string(m.Blocks), "card_actions") {
			return m, true
		}
	}
	return slacksim.Message{}, false
}

func (h *harness) mustCard() slacksim.Message {
	h.t.Helper()
	h.waitFor("the card", func() bool { _, ok := h.card(); return ok })
	m, _ := h.card()
	return m
}

func buttons(blocks json.RawMessage) []slacksim.Button { return slacksim.Buttons(blocks) }

func findButton(blocks json.RawMessage, prefix string) (slacksim.Button, bool) {
	return slacksim.FindButton(blocks, prefix)
}

// click presses a button on the current card.
func (h *harness) click(user, prefix string) *slacksim.Ack {
	h.t.Helper()
	m := h.mustCard()
	b, ok := findButton(m.Blocks, prefix)
	if !ok {
		h.t.Fatalf("the card offers no %q button; it offers %v", prefix, buttons(m.Blocks))
	}
	ack, err := h.slack.ClickButton(h.ctx(), user, channel, m.TS, b.ActionID, b.Value)
	if err != nil {
		h.t.Fatalf("pressing %s: %v", b.Text, err)
	}
	return ack
}

// doublePressAndRedeliver presses a card button twice on the same rendering
// (a double click) and has Slack redeliver the first press's envelope.
func (h *harness) doublePressAndRedeliver(user, prefix string) {
	h.t.Helper()
	m := h.mustCard()
	b, ok := findButton(m.Blocks, prefix)
	if !ok {
		h.t.Fatalf("the card offers no %q button", prefix)
	}
	ack, err := h.slack.ClickButton(h.ctx(), user, channel, m.TS, b.ActionID, b.Value)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.slack.ClickButton(h.ctx(), user, channel, m.TS, b.ActionID, b.Value); err != nil {
		// The first press may have redrawn the card already; the stand-in
		// then refuses a button no longer on it, as Slack would.
		h.t.Logf("second click: %v", err)
	}
	if _, err := h.slack.Redeliver(h.ctx(), ack.EnvelopeID); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) cardSays(s string) func() bool {
	return func() bool {
		m, ok := h.card()
		return ok && strings.Contains(payloadText(m.Blocks), s)
	}
}

func (h *harness) threadSays(s string) func() bool {
	return func() bool {
		m, ok := h.card()
		if !ok {
			return false
		}
		for _, r := range h.slack.Thread(channel, m.TS) {
			if strings.Contains(r.Text, s) {
				return true
			}
		}
		return false
	}
}

func (h *harness) ephemeralSays(user, s string) func() bool {
	return func() bool {
		for _, m := range h.slack.Ephemerals(user) {
			if strings.Contains(m.Text, s) || strings.Contains(string(m.Blocks), s) {
				return true
			}
		}
		return false
	}
}

// ephemeralCount counts the user's ephemeral messages that say s.
func (h *harness) ephemeralCount(user, s string) int {
	n := 0
	for _, m := range h.slack.Ephemerals(user) {
		if strings.Contains(m.Text, s) || strings.Contains(payloadText(m.Blocks), s) {
			n++
		}
	}
	return n
}

// threadCount counts the card's thread replies that say s.
func (h *harness) threadCount(s string) int {
	m, ok := h.card()
	if !ok {
		return 0
	}
	n := 0
	for _, r := range h.slack.Thread(channel, m.TS) {
		if strings.Contains(r.Text, s) {
			n++
		}
	}
	return n
}

func (h *harness) channelLines(s string) int {
	n := 0
	for _, m := range h.slack.Messages(channel) {
		if m.ThreadTS == "" && strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// notesView waits for the user's open What's New modal (filled, not loading).
func (h *harness) notesView(user string) slacksim.View {
	h.t.Helper()
	var v slacksim.View
	h.waitFor("the What's New form", func() bool {
		for _, o := range h.slack.OpenViews(user) {
			if o.CallbackID == "notes" {
				v = o
				return true
			}
		}
		return false
	})
	return v
}
