package app_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
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

// TestSandboxReachesPendingDeveloperRelease runs --sandbox mode (only the
// Slack tokens; the built-in simulator seeded with sample apps, review
// moving one stage per ASCBOT_SANDBOX_STAGE of the bot's clock) and sees a
// submitted version reach Pending Developer Release.
func TestSandboxReachesPendingDeveloperRelease(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("poll: %q\napprovers: [\"S0RELEASE\"]\napps: []\n", testPoll)
	env := map[string]string{}
	for k, v := range h.env {
		if !strings.HasPrefix(k, "ASC_") { // sandbox needs no App Store Connect key
			env[k] = v
		}
	}
	env["ASCBOT_SANDBOX"] = "1"
	env["ASCBOT_SANDBOX_STAGE"] = "1m"
	cfg, err := config.Load(func(k string) string { return env[k] }, config.ModeNormal)
	if err != nil {
		t.Fatalf("sandbox config: %v", err)
	}
	if cfg.Mode != config.ModeSandbox {
		t.Fatalf("ASCBOT_SANDBOX=1 gave mode %v", cfg.Mode)
	}
	clk := testclock.New(time.Now())
	rt := h.run(cfg, app.Options{Clock: clk.Now})
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.waitFor("the sandbox card", h.cardSays("SANDBOX"))
	h.click(userAna, "attach_build")
	h.waitFor("a build attached", h.threadSays("attached build"))
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review on the card", h.cardSays("*Waiting for Review*"))
	for range 2 { // Waiting for Review → In Review → Pending Developer Release
		clk.Advance(time.Minute)
		rt.Sim.Tick()
	}
	h.pollUntil("Pending Developer Release on the card", h.cardSays("*Pending Developer Release*"))
	h.waitFor("the approval line", func() bool { return h.channelLines("was *approved*") == 1 })
	if _, ok := findButton(h.mustCard().Blocks, "release"); !ok {
		t.Error("the sandbox card offers no Release button")
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
