package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slackui"
	"github.com/ascbot/ascbot/internal/store"
	"github.com/ascbot/ascbot/internal/testclock"
)

// TestSandboxWithOnlyTheSlackTokens runs --sandbox as a first-time user
// would: the two Slack tokens and nothing else (no App Store Connect key,
// no config file). The built-in simulator moves review one stage per
// ASCBOT_SANDBOX_STAGE of the bot's clock. With no approvers configured the
// log and the card say that anyone may press everything, and the person
// trying it takes a version from submit to released by themselves.
func TestSandboxWithOnlyTheSlackTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	env := map[string]string{
		"SLACK_APP_TOKEN": h.env["SLACK_APP_TOKEN"], "SLACK_BOT_TOKEN": h.env["SLACK_BOT_TOKEN"],
		"SLACK_API_URL":        h.env["SLACK_API_URL"], // the stand-in
		"ASCBOT_DB":            h.env["ASCBOT_DB"],     // a temporary file, not ./ascbot-sandbox.db
		"ASCBOT_CONFIG":        "",
		"ASCBOT_SANDBOX_STAGE": "1m",
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, config.ModeSandbox)
	if err != nil {
		t.Fatalf("sandbox config: %v", err)
	}
	if cfg.Poll != "@every 30s" {
		t.Errorf("sandbox poll = %q, want twice per one-minute stage", cfg.Poll)
	}
	var logs syncBuffer
	clk := testclock.New(time.Now())
	rt := h.run(cfg, app.Options{Clock: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, want := range []string{"no config file", "sandbox: no approvers are configured, so everyone in the workspace may press every button", "Copy member ID"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the start-up log does not say %q:\n%s", want, logs.String())
		}
	}
	stage := func() { // one review stage passes
		clk.Advance(time.Minute)
		rt.Sim.Tick()
	}

	h.slash(userCarol, "submit KotenOCR 1.1.0")
	h.waitFor("the sandbox card", h.cardSays("SANDBOX"))
	h.waitFor("the card says anyone may press", h.cardSays("anyone in this workspace may press every button"))
	h.click(userCarol, "attach_build")
	h.waitFor("a build attached", h.threadSays("attached build"))
	h.fillNotes(userCarol)
	h.click(userCarol, "submit")
	h.waitFor("Waiting for Review on the card", h.cardSays("*Waiting for Review*"))
	h.waitFor("the submit step", h.threadSays("submitted for review"))
	stage() // In Review
	h.pollUntil("In Review announced", func() bool { return h.channelLines("is *In Review*") == 1 })
	stage() // Pending Developer Release
	h.pollUntil("Pending Developer Release on the card", h.cardSays("*Pending Developer Release*"))
	h.waitFor("the approval line", func() bool { return h.channelLines("was *approved*") == 1 })
	h.waitFor("who may release", h.cardSays("anyone may release (sandbox, no approvers configured)"))

	h.click(userCarol, "release") // no approver group, no config: allowed in the sandbox
	h.waitFor("released by Carol", h.cardSays("released by <@"+userCarol+">"))
	stage() // Processing for Distribution → Ready for Distribution
	h.pollUntil("Ready for Distribution announced", func() bool { return h.channelLines("is *Ready for Distribution*") == 1 })
	if h.ephemeralCount(userCarol, "may") != 0 {
		t.Errorf("Carol was refused something: %v", h.slack.Ephemerals(userCarol))
	}
	entries, err := rt.Store.ListAudit(h.ids.AppID, 50) // the seed is the same in every simulator
	if err != nil {
		t.Fatal(err)
	}
	released := false
	for _, e := range entries {
		released = released || (e.User == userCarol && e.Action == "release" && e.Result == "ok")
	}
	if !released {
		t.Errorf("the audit log lacks Carol's release: %+v", entries)
	}
}

func TestAppHomeListsWatchedAppsAndButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.approved()

	homeSays := func(user, s string) func() bool {
		return func() bool {
			v, ok := h.slack.Home(user)
			return ok && strings.Contains(payloadText(v.Blocks), s)
		}
	}
	if _, err := h.slack.OpenHome(h.ctx(), userCarol); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Carol's home", homeSays(userCarol, "In flight: *1.1.0* · Pending Developer Release · build 4"))
	if v, _ := h.slack.Home(userCarol); strings.Contains(string(v.Blocks), `"release"`) {
		t.Error("a non-approver's Home tab offers Release")
	}
	if _, err := h.slack.OpenHome(h.ctx(), userBob); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Bob's home with Release", homeSays(userBob, "Release 1.1.0"))
	home, _ := h.slack.Home(userBob)
	b, ok := findButton(home.Blocks, "release")
	if !ok {
		t.Fatalf("no release button on Bob's home: %s", home.Blocks)
	}
	if _, err := h.slack.ClickViewButton(h.ctx(), userBob, home.ID, b.ActionID, b.Value); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the release notice on Home", homeSays(userBob, "✓ released KotenOCR 1.1.0"))
	if n := h.releaseRequests(); n != 1 {
		t.Errorf("%d release requests, want 1", n)
	}
}

func TestRevokedSlackTokenExitsWithFatalError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.allowViolation = func(err error) bool { return strings.Contains(err.Error(), "invalid_auth") }
	h.env["SLACK_APP_TOKEN"] = "xapp-revoked"
	cfg, err := config.Load(h.getenv, config.ModeNormal)
	if err != nil {
		t.Fatal(err)
	}
	// Run must return on its own, long before this context ends: it hung
	// until the context did while the store pruner waited for it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err = app.Run(ctx, cfg, app.Options{})
	if !errors.Is(err, slackui.ErrFatalSlack) || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("Run = %v, want a fatal invalid_auth error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run returned after %v, want within 2s of Slack's refusal", d)
	}
	// The store was closed: the file opens again at once.
	st, err := store.Open(h.env["ASCBOT_DB"], store.WithTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatalf("the store stayed locked: %v", err)
	}
	st.Close()
}

// TestShutdownFinishesInFlightHandlers cancels the bot while a command is
// waiting on a slow App Store Connect: the answer still arrives, and the
// store is closed afterwards.
func TestShutdownFinishesInFlightHandlers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.sim.SetLatency(400 * time.Millisecond)
	h.slash(userAna, "apps")
	h.stop()
	if !h.ephemeralSays(userAna, "jp.example.kotenocr")() {
		t.Error("the in-flight /asc apps was not answered before shutdown finished")
	}
	st, err := store.Open(h.env["ASCBOT_DB"], store.WithTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatalf("the store stayed locked after shutdown: %v", err)
	}
	st.Close()
}

func TestPollerRateLimitShowsInStatus(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSim(func(o *ascsim.Options) { o.HourlyLimit = 60 }))
	// A poll a minute needs ~120 requests an hour; the budget is 60. (The
	// schedule does not fire within the test: it polls with Tick.)
	h.writeYAML("poll: \"@every 1m\"\napprovers: [\"S0RELEASE\"]\napps:\n  - id: %q\n    channel: %q\n", h.ids.AppID, channel)
	h.start()
	h.tick()
	h.tick()
	h.slash(userAna, "status KotenOCR")
	h.waitFor("the stretched interval in /asc status", h.ephemeralSays(userAna, "stretched"))
}

// TestNewBuildIsPostedOnceAndJoinsTheCard: a build that finishes processing
// is posted once, and the open card gains its button.
func TestNewBuildIsPostedOnceAndJoinsTheCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.mustCard()
	h.tick() // the first poll records the builds as a baseline
	if err := h.sim.SetBuildState(h.ids.Build5ID, "VALID"); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("the build line", func() bool { return h.channelLines("build 5 (1.1.0) finished processing") == 1 })
	h.waitFor("build 5's button on the card", func() bool {
		_, ok := findButton(h.mustCard().Blocks, "attach_build_"+h.ids.Build5ID)
		return ok
	})
	h.tick() // more polls must repeat nothing
	h.tick()
	if n := h.channelLines("build 5 (1.1.0) finished processing"); n != 1 {
		t.Errorf("build 5 announced %d times, want 1", n)
	}
}

// clickEphemeral presses a button on the user's latest ephemeral reply that offers it.
func (h *harness) clickEphemeral(user, prefix string) {
	h.t.Helper()
	eph := h.slack.Ephemerals(user)
	for i := len(eph) - 1; i >= 0; i-- {
		if b, ok := findButton(eph[i].Blocks, prefix); ok {
			if _, err := h.slack.ClickButton(h.ctx(), user, eph[i].Channel, eph[i].TS, b.ActionID, b.Value); err != nil {
				h.t.Fatalf("pressing %s: %v", b.Text, err)
			}
			return
		}
	}
	h.t.Fatalf("no ephemeral reply of %s offers %q", user, prefix)
}

func TestIAPSubmitAndAvailabilityButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "iap KotenOCR")
	h.waitFor("the IAP list", h.ephemeralSays(userAna, "OCR credits"))
	h.clickEphemeral(userAna, "submit_iap")
	h.waitFor("the IAP submitted", h.ephemeralSays(userAna, "Submitted the in-app purchase"))
	if p, _ := h.sim.IAP(h.ids.IAPReadyID); p.State != "WAITING_FOR_REVIEW" {
		t.Errorf("IAP state = %s, want WAITING_FOR_REVIEW", p.State)
	}

	h.slash(userCarol, "availability KotenOCR")
	h.waitFor("availability", h.ephemeralSays(userCarol, "is available in *2 of"))
	h.clickEphemeral(userCarol, "make_available")
	h.waitFor("Carol refused", h.ephemeralSays(userCarol, "may change availability of KotenOCR"))
	h.slash(userBob, "availability KotenOCR")
	h.waitFor("availability for Bob", h.ephemeralSays(userBob, "is available in *2 of"))
	h.clickEphemeral(userBob, "make_available")
	h.waitFor("available everywhere", h.ephemeralSays(userBob, "is now available in all"))
	av, _ := h.sim.Availability(h.ids.AppID)
	if len(av.Available) != len(h.sim.Territories()) || !av.AvailableInNewTerritories {
		t.Errorf("available in %d of %d territories, new=%v", len(av.Available), len(h.sim.Territories()), av.AvailableInNewTerritories)
	}
}

func TestOldMarksArePruned(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	st, err := store.Open(h.env["ASCBOT_DB"])
	if err != nil {
		t.Fatal(err)
	}
	old, recent := time.Now().Add(-100*24*time.Hour), time.Now().Add(-time.Hour)
	for id, at := range map[string]time.Time{"old-envelope": old, "recent-envelope": recent} {
		if _, err := st.SeenEnvelope(id, at); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	h.start()
	h.stop()
	st, err = store.Open(h.env["ASCBOT_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if first, _ := st.SeenEnvelope("old-envelope", time.Now()); !first {
		t.Error("a 100-day-old envelope mark survived")
	}
	if first, _ := st.SeenEnvelope("recent-envelope", time.Now()); first {
		t.Error("a recent envelope mark was pruned: a redelivery would act twice")
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestConnectedIsLoggedOnce: socket mode reports a connection twice
// (connected, then Slack's hello); the log says it once.
func TestConnectedIsLoggedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg, err := config.Load(h.getenv, config.ModeNormal)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	h.run(cfg, app.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	h.slash(userAna, "apps") // the hello has come by the time a command is answered
	h.waitFor("the app list", h.ephemeralSays(userAna, "jp.example.kotenocr"))
	if n := strings.Count(logs.String(), `msg="connected to Slack"`); n != 1 {
		t.Errorf(`"connected to Slack" logged %d times, want once:\n%s`, n, logs.String())
	}
}

// TestHealthzRateRemainingOnlyOnceKnown: before App Store Connect has
// answered, /healthz does not claim 0 requests left; after a poll it
// reports Apple's figure.
func TestHealthzRateRemainingOnlyOnceKnown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTP())
	rt := h.start()
	health := func() map[string]any {
		t.Helper()
		resp, err := http.Get("http://" + rt.HTTPAddr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return body
	}
	if body := health(); body["rate_remaining"] != nil {
		t.Errorf("/healthz before any App Store Connect answer reports rate_remaining %v", body["rate_remaining"])
	}
	h.tick()
	if body := health(); body["rate_remaining"] == nil || body["rate_remaining"].(float64) <= 0 {
		t.Errorf("/healthz after a poll: rate_remaining %v, want Apple's figure", body["rate_remaining"])
	}
}

// TestStartupSaysWhatItRunsWith pins the start-up lines a person reads:
// which config file was loaded, the warning when nobody may release, the
// database named by ASCBOT_DB when it cannot be used, and the refusal of a
// database the other mode wrote.
func TestStartupSaysWhatItRunsWith(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("poll: %q\napps:\n  - id: %q\n    channel: %q\n", testPoll, h.ids.AppID, channel) // no approvers
	cfg, err := config.Load(h.getenv, config.ModeNormal)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	h.run(cfg, app.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, want := range []string{
		`msg="config file loaded" path=` + h.env["ASCBOT_CONFIG"] + " apps=1",
		`level=WARN msg="some apps have no approvers and there is no default: nobody can press Release for them. Set approvers in the config file" apps=[` + h.ids.AppID + "]",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the start-up log lacks %s:\n%s", want, logs.String())
		}
	}
	h.stop()

	// The same database in sandbox mode: refused, in one line naming it.
	sb := *cfg
	sb.Mode = config.ModeSandbox
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = app.Run(ctx, &sb, app.Options{})
	want := "ASCBOT_DB=" + cfg.DBPath + " was written in normal mode and this is sandbox mode; point ASCBOT_DB at another file"
	if !errors.Is(err, app.ErrOtherMode) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Run = %v, want one line: %s", err, want)
	}

	// A database path that cannot be opened names ASCBOT_DB.
	bad := *cfg
	bad.DBPath = t.TempDir() // a directory
	err = app.Run(ctx, &bad, app.Options{})
	if err == nil || !strings.Contains(err.Error(), "opening the database (ASCBOT_DB="+bad.DBPath+")") {
		t.Errorf("Run = %v, want it to name ASCBOT_DB", err)
	}
}
