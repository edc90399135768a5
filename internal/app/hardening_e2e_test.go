package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slackui"
	"github.com/ascbot/ascbot/internal/testclock"
	"github.com/ascbot/ascbot/internal/watch"
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

// Pause → resume → pause from /asc on a version with no card: each is a new
// action (the key named the card revision, 0 without a card, so the second
// pause answered "already done" and the release stayed active).
func TestPhasedPauseResumePauseWithoutCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("poll: \"@every 1h\"\napprovers: [%q]\napps: []\n", userBob)
	rt := h.start()
	if _, _, err := rt.ASC.Phased.Create(h.ctx(), h.ids.NewVersionID, asc.PhasedInactive); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.SetVersionState(h.ids.NewVersionID, "READY_FOR_DISTRIBUTION"); err != nil {
		t.Fatal(err)
	}
	if p, _ := h.sim.PhasedRelease(h.ids.NewVersionID); p.State != "ACTIVE" {
		t.Fatalf("phased state = %s, want ACTIVE to start with", p.State)
	}
	for i, step := range []struct{ op, want string }{
		{"pause", "PAUSED"},
		{"resume", "ACTIVE"},
		{"pause", "PAUSED"},
	} {
		h.slash(userBob, "phased KotenOCR "+step.op)
		h.waitFor(fmt.Sprintf("%s #%d to reach App Store Connect", step.op, i+1), func() bool {
			p, _ := h.sim.PhasedRelease(h.ids.NewVersionID)
			return p.State == step.want
		})
		h.waitFor(fmt.Sprintf("%s #%d answered", step.op, i+1), func() bool { return h.ephemeralCount(userBob, "✓") == i+1 })
	}
	if h.ephemeralSays(userBob, "already done")() {
		t.Error("a new pause was answered \"already done\"")
	}
	if _, ok := h.card(); ok {
		t.Error("the test meant to run without a card")
	}
}

// An in-app purchase rejected by Apple and fixed can be submitted again
// (the key was iap/<id>, so Submit said "already done" forever).
func TestIAPResubmittedAfterRejection(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	for round := 1; round <= 2; round++ {
		before := len(h.slack.Ephemerals(userAna))
		h.slash(userAna, "iap KotenOCR")
		h.waitFor("the IAP list", func() bool {
			eph := h.slack.Ephemerals(userAna)
			return len(eph) > before && strings.Contains(string(eph[len(eph)-1].Blocks), "submit_iap")
		})
		h.clickEphemeral(userAna, "submit_iap")
		h.waitFor("the IAP submitted", func() bool { return h.ephemeralCount(userAna, "Submitted the in-app purchase") == round })
		if p, _ := h.sim.IAP(h.ids.IAPReadyID); p.State != "WAITING_FOR_REVIEW" {
			t.Fatalf("round %d: IAP state = %s, want WAITING_FOR_REVIEW", round, p.State)
		}
		// Apple rejects it; the team fixes it and it is ready again.
		for _, st := range []string{"REJECTED", "READY_TO_SUBMIT"} {
			if err := h.sim.SetIAPState(h.ids.IAPReadyID, st); err != nil {
				t.Fatal(err)
			}
		}
	}
	if h.ephemeralSays(userAna, "already done")() {
		t.Error("the fixed in-app purchase was answered \"already done\"")
	}
}

// Changing where announcements go needs an approver, or someone on the
// app's watchers list: anyone else is refused privately, and audited, and
// the app's channel keeps its announcements.
func TestWatchAndUnwatchNeedAnApproverOrWatcher(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("poll: \"@every 1h\"\napprovers: [\"S0RELEASE\"]\napps:\n  - id: %q\n    channel: %q\n  - id: %q\n    channel: %q\n    watchers: [%q]\n",
		h.ids.AppID, channel, h.ids.SecondAppID, channel, userAna)
	rt := h.start()
	h.slack.AddChannel("C0CAROL", "carols-channel")
	for _, cmd := range []string{"unwatch KotenOCR", "watch KotenOCR <#C0CAROL|carols-channel>"} {
		h.slash(userCarol, cmd)
		h.waitFor("Carol refused: "+cmd, func() bool {
			return h.ephemeralCount(userCarol, "change where KotenOCR's review-state changes are posted") == 1+strings.Count(cmd, "<")
		})
	}
	if n := h.channelLines("stopped the review-state posts") + h.channelLines("asked me to post"); n != 0 {
		t.Errorf("%d public watch lines after refusals; refusals must be private", n)
	}
	if _, ok, _ := rt.Store.GetWatch(h.ids.AppID); ok {
		t.Error("a refused /asc watch or unwatch changed the app's watch")
	}
	entries, err := rt.Store.ListAudit(h.ids.AppID, 50)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, e := range entries {
		if e.User == userCarol && e.Result == "refused" && (e.Action == "watch" || e.Action == "unwatch") {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d refused watch changes audited, want 2: %+v", refused, entries)
	}
	// An approver may; so may a person on the app's watchers list.
	h.slash(userBob, "unwatch KotenOCR")
	h.waitFor("Bob's unwatch", func() bool { return h.channelLines("stopped the review-state posts for KotenOCR") == 1 })
	h.slash(userAna, "unwatch jp.example.hanko")
	h.waitFor("Ana's unwatch as a watcher", func() bool { return h.channelLines("stopped the review-state posts for Hanko") == 1 })
}

// While App Store Connect hangs, a command and a button press are both
// answered that Apple is not answering (within the call timeout, 20 s by
// default, here shortened), and the next command works once Apple answers
// again. Before, the HTTP timeout and retries outlasted the handler's
// context and the error reply was sent on the expired context: no answer.
func TestAppleHangingIsAnsweredAndRecovers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.appOptions = func(o *app.Options) { o.ASCCallTimeout = time.Second }
	h.start()
	// The IAP list is read while Apple answers; then Apple hangs.
	h.slash(userAna, "iap KotenOCR")
	h.waitFor("the IAP list", h.ephemeralSays(userAna, "OCR credits"))
	h.sim.SetLatency(time.Hour)

	h.slash(userAna, "apps")
	h.waitFor("the command told Apple is not answering", func() bool { return h.ephemeralCount(userAna, "App Store Connect is not answering") == 1 })
	h.clickEphemeral(userAna, "submit_iap")
	h.waitFor("the press told Apple is not answering", func() bool { return h.ephemeralCount(userAna, "App Store Connect is not answering") == 2 })

	h.sim.SetLatency(0)
	h.slash(userAna, "apps")
	h.waitFor("the next command answered", h.ephemeralSays(userAna, "jp.example.kotenocr"))
	h.slash(userAna, "iap KotenOCR")
	h.waitFor("a fresh IAP list", func() bool { return h.ephemeralCount(userAna, "OCR credits") >= 2 })
	h.clickEphemeral(userAna, "submit_iap")
	h.waitFor("the IAP submitted once Apple answers", h.ephemeralSays(userAna, "Submitted the in-app purchase"))
}

// /healthz answered ok while every poll failed with 401 (a revoked App Store
// Connect key): it reports the failure once polls fail in a row, and ok
// again after a good poll.
func TestHealthzReportsFailingPolls(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTP())
	rt := h.start()
	get := func(path string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Get("http://" + rt.HTTPAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	health := func() (int, map[string]any) { return get("/healthz") }
	live := func() (int, map[string]any) { return get("/livez") }
	// The bot marks itself connected when its socket-mode client reports
	// the connection, a moment after the stand-in has it.
	for deadline := time.Now().Add(5 * time.Second); !rt.Bot.Connected(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the bot never reported the Slack connection")
		}
	}
	if code, body := health(); code != http.StatusOK {
		t.Fatalf("/healthz at start = %d %v", code, body)
	}
	h.sim.InjectFault(ascsim.Fault{Status: 401, Code: "NOT_AUTHORIZED", Count: 1 << 20})
	for range watch.FailingAfter {
		if err := rt.Watcher.Tick(h.ctx()); err == nil {
			t.Fatal("a tick succeeded while every request got 401")
		}
	}
	code, body := health()
	if code != http.StatusServiceUnavailable || body["status"] != "App Store Connect polls failing" || body["last_poll_error"] == nil {
		t.Errorf("/healthz while every poll fails = %d %v", code, body)
	}
	// A restart would meet the same 401s: liveness stays ok, so Kubernetes
	// does not restart the pod in a loop while readiness reports the fault.
	if code, body := live(); code != http.StatusOK {
		t.Errorf("/livez while every poll fails = %d %v, want 200", code, body)
	}
	h.sim.ClearFaults()
	if err := rt.Watcher.Tick(h.ctx()); err != nil {
		t.Fatal(err)
	}
	if code, body := health(); code != http.StatusOK {
		t.Errorf("/healthz after a good poll = %d %v", code, body)
	}
}

// With the YAML channel wrong and the card in another channel, each part
// of an announcement is delivered once: the card update and the thread step
// go out once, the channel line is retried with back-off, then given up
// with one clear line in the card's thread, the log and /healthz. Before,
// the whole announcement was repeated on every tick (10 copies of one step
// and 13 chat.updates in 10 s, forever).
func TestUndeliverablePartIsGivenUpOthersDeliveredOnce(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Now())
	h := newHarness(t, withHTTP(), withSim(func(o *ascsim.Options) { o.Clock = clock.Now }))
	h.allowViolation = func(err error) bool { return strings.Contains(err.Error(), "channel_not_found") }
	h.writeYAML("poll: \"@every 1h\"\napprovers: [\"S0RELEASE\"]\napps:\n  - id: %q\n    channel: \"C0GONE\"\n", h.ids.AppID)
	h.appOptions = func(o *app.Options) { o.Clock = clock.Now }
	rt := h.start()
	h.submitted() // the card is in #ios-releases, where the command was typed
	// The bot records the state its submit produced just after redrawing
	// the card; a poll before that would announce a different transition.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s, ok, _ := rt.Store.GetSeen(h.ids.AppID, h.ids.NewVersionID); ok && s.State == "WAITING_FOR_REVIEW" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the bot did not record Waiting for Review after its submit")
		}
	}
	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	updates := len(h.slack.Calls("chat.update"))
	tick := func() error { return rt.Watcher.Tick(h.ctx()) }
	for range 10 {
		_ = tick()
	}
	if n := h.threadCount("*In Review*"); n != 1 {
		m, _ := h.card()
		t.Errorf("the thread step was posted %d times, want once: %+v", n, h.slack.Thread(channel, m.TS))
	}
	if n := len(h.slack.Calls("chat.update")) - updates; n > 1 {
		t.Errorf("the card was updated %d times for one transition, want once", n)
	}
	// The channel line is retried with back-off, then given up.
	for i := range 8 {
		clock.Advance(time.Duration(30<<i) * time.Second)
		_ = tick()
	}
	if err := tick(); err != nil {
		t.Errorf("the announcement is still offered after giving up a part: %v", err)
	}
	if n := h.threadCount("I could not post the channel line"); n != 1 {
		t.Errorf("%d give-up lines in the card's thread, want 1", n)
	}
	if n := h.threadCount("*In Review*"); n != 1 {
		t.Errorf("the thread step was posted %d times in all, want once", n)
	}
	resp, err := http.Get("http://" + rt.HTTPAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Undelivered []struct{ What, Channel, Error string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Undelivered) != 1 || body.Undelivered[0].Channel != "C0GONE" || !strings.Contains(body.Undelivered[0].Error, "channel_not_found") {
		t.Errorf("/healthz undelivered = %+v, want the channel line for C0GONE", body.Undelivered)
	}
}
