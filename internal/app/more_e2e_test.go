package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slackui"
	"github.com/ascbot/ascbot/internal/store"
)

// TestSandboxReachesPendingDeveloperRelease runs --sandbox mode (only the
// Slack tokens; the built-in simulator seeded with sample apps, review on a
// fast clock) and sees a submitted version reach Pending Developer Release.
func TestSandboxReachesPendingDeveloperRelease(t *testing.T) {
	h := newHarness(t)
	h.writeYAML("poll: \"@every 1s\"\napprovers: [\"S0RELEASE\"]\napps: []\n")
	env := map[string]string{}
	for k, v := range h.env {
		if !strings.HasPrefix(k, "ASC_") { // sandbox needs no App Store Connect key
			env[k] = v
		}
	}
	env["ASCBOT_SANDBOX"] = "1"
	env["ASCBOT_SANDBOX_STAGE"] = "300ms"
	cfg, err := config.Load(func(k string) string { return env[k] }, config.ModeNormal)
	if err != nil {
		t.Fatalf("sandbox config: %v", err)
	}
	if cfg.Mode != config.ModeSandbox {
		t.Fatalf("ASCBOT_SANDBOX=1 gave mode %v", cfg.Mode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan *app.Runtime, 1)
	go func() {
		done <- app.Run(ctx, cfg, app.Options{Ready: func(rt *app.Runtime) { ready <- rt }, SocketOptions: []socketmode.Option{socketmode.OptionPingInterval(5 * time.Second)}})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sandbox bot stopped with %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("sandbox stopped at start: %v", err)
	}
	if err := h.slack.Connected(h.ctx()); err != nil {
		t.Fatal(err)
	}
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.waitFor("the sandbox card", h.cardSays("SANDBOX"))
	h.click(userAna, "attach_build")
	h.waitFor("a build attached", h.threadSays("attached build"))
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Pending Developer Release on the card", h.cardSays("*Pending Developer Release*"))
	h.waitFor("the approval line", func() bool { return h.channelLines("was *approved*") == 1 })
	if _, ok := findButton(h.mustCard().Blocks, "release"); !ok {
		t.Error("the sandbox card offers no Release button")
	}
}

func TestAppHomeListsWatchedAppsAndButtons(t *testing.T) {
	h := newHarness(t, withPoll("@every 1s"))
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
	h := newHarness(t, withPoll("@every 1s"), withSim(func(o *ascsim.Options) { o.HourlyLimit = 60 }))
	h.start()
	time.Sleep(2500 * time.Millisecond)
	h.slash(userAna, "status KotenOCR")
	h.waitFor("the stretched interval in /asc status", h.ephemeralSays(userAna, "stretched"))
}

// TestNewBuildIsPostedOnceAndJoinsTheCard: a build that finishes processing
// is posted once, and the open card gains its button.
func TestNewBuildIsPostedOnceAndJoinsTheCard(t *testing.T) {
	h := newHarness(t, withPoll("@every 1s"))
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.mustCard()
	time.Sleep(1500 * time.Millisecond) // the first poll records the builds as a baseline
	if err := h.sim.SetBuildState(h.ids.Build5ID, "VALID"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the build line", func() bool { return h.channelLines("build 5 (1.1.0) finished processing") == 1 })
	h.waitFor("build 5's button on the card", func() bool {
		_, ok := findButton(h.mustCard().Blocks, "attach_build_"+h.ids.Build5ID)
		return ok
	})
	time.Sleep(2500 * time.Millisecond)
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
