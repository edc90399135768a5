package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slackui"
)

// A bot token Slack refuses is fatal at start (auth.test), within 2 s:
// the bot used to run on, answering nothing while /healthz said ok.
func TestRevokedBotTokenIsFatalAtStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTP())
	h.allowViolation = func(err error) bool { return strings.Contains(err.Error(), "invalid_auth") }
	h.env["SLACK_BOT_TOKEN"] = "xoxb-revoked"
	cfg, err := config.Load(h.getenv, config.ModeNormal)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	ready := false
	err = app.Run(ctx, cfg, app.Options{Ready: func(*app.Runtime) { ready = true }})
	if !errors.Is(err, slackui.ErrFatalSlack) || !strings.Contains(err.Error(), "invalid_auth") || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") {
		t.Fatalf("Run = %v, want a fatal invalid_auth error naming SLACK_BOT_TOKEN", err)
	}
	if ready {
		t.Error("the bot started serving with a token Slack refuses")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run returned after %v, want within 2s", d)
	}
	if n := len(h.slack.Calls("auth.test")); n != 1 {
		t.Errorf("auth.test called %d times, want once", n)
	}
}

// Membership of the approvers' user group is read at the press: someone
// removed from the group cannot act a moment later (it was cached for 5
// minutes).
func TestApproverRemovedFromGroupIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	// Carol's refused press reads the group while Bob is in it.
	h.slash(userCarol, "availability KotenOCR")
	h.waitFor("availability", h.ephemeralSays(userCarol, "is available in *2 of"))
	h.clickEphemeral(userCarol, "make_available")
	h.waitFor("Carol refused", h.ephemeralSays(userCarol, "may change availability of KotenOCR"))
	// Bob leaves the release group; his press right after is refused.
	h.slack.SetUserGroup("S0RELEASE")
	h.slash(userBob, "availability KotenOCR")
	h.waitFor("availability for Bob", h.ephemeralSays(userBob, "is available in *2 of"))
	h.clickEphemeral(userBob, "make_available")
	h.waitFor("Bob refused", h.ephemeralSays(userBob, "may change availability of KotenOCR"))
	if av, _ := h.sim.Availability(h.ids.AppID); len(av.Available) == len(h.sim.Territories()) {
		t.Error("a person removed from the release group changed availability")
	}
}

// A failed user-group lookup refuses the action, says that Slack's lookup
// failed (not App Store Connect), and is audited.
func TestFailedGroupLookupIsRefusedAuditedAndExplained(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.allowViolation = func(err error) bool { return strings.Contains(err.Error(), "no_such_subteam") }
	h.writeYAML("poll: \"@every 1h\"\napprovers: [\"S0GONE\"]\napps:\n  - id: %q\n    channel: %q\n", h.ids.AppID, channel)
	rt := h.start()
	h.slash(userBob, "availability KotenOCR")
	h.waitFor("availability", h.ephemeralSays(userBob, "is available in *2 of"))
	h.clickEphemeral(userBob, "make_available")
	h.waitFor("the lookup failure explained", h.ephemeralSays(userBob, "Slack's user-group lookup failed"))
	if h.ephemeralSays(userBob, "talking to App Store Connect")() {
		t.Error("a failed Slack lookup was blamed on App Store Connect")
	}
	entries, err := rt.Store.ListAudit(h.ids.AppID, 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.User == userBob && e.Result == "refused" && strings.Contains(e.Detail, "user-group lookup failed") {
			found = true
		}
	}
	if !found {
		t.Errorf("the refused press is not in the audit log: %+v", entries)
	}
}
