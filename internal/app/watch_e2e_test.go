package app_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
)

// submitted drives the card to Waiting for Review.
func (h *harness) submitted() {
	h.t.Helper()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review", h.cardSays("Waiting for Review"))
}

// approved drives the card to Pending Developer Release: submitted, in
// review, approved, and the approval announced.
func (h *harness) approved() {
	h.t.Helper()
	h.submitted()
	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		h.t.Fatal(err)
	}
	h.tick()
	if err := h.sim.Approve(h.ids.NewVersionID); err != nil {
		h.t.Fatal(err)
	}
	h.pollUntil("approval announced", func() bool { return h.channelLines("was *approved*") == 1 })
}

// releaseRequests counts every POST /v1/appStoreVersionReleaseRequests that
// reached App Store Connect — refused ones too: the bot must make exactly one.
func (h *harness) releaseRequests() int {
	n := 0
	for _, r := range h.sim.Requests() {
		if r.Method == "POST" && r.Path == "/v1/appStoreVersionReleaseRequests" {
			n++
		}
	}
	if created := h.sim.ReleaseRequests(h.ids.NewVersionID); created > n {
		h.t.Errorf("simulator created %d release requests but logged %d POSTs", created, n)
	}
	return n
}

// TestReviewAndReleaseEndToEnd: a submitted version moving WAITING_FOR_REVIEW
// → IN_REVIEW → PENDING_DEVELOPER_RELEASE is announced once per transition;
// a non-approver's Release is refused and audited; the approver's press,
// clicked twice plus a redelivered envelope, makes exactly one release
// request; READY_FOR_DISTRIBUTION is announced.
func TestReviewAndReleaseEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.submitted()

	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("In Review announced", func() bool { return h.channelLines("is *In Review*") == 1 })
	h.waitFor("the card reads In Review", h.cardSays("*In Review*"))
	h.waitFor("the thread step", h.threadSays("Waiting for Review → *In Review*"))

	if err := h.sim.Approve(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("approval announced", func() bool { return h.channelLines("was *approved*") == 1 })
	for _, m := range h.slack.Messages(channel) {
		if strings.Contains(m.Text, "was *approved*") && !strings.Contains(m.Text, "<!subteam^S0RELEASE>") {
			t.Errorf("the approval line does not mention the approvers: %q", m.Text)
		}
	}
	h.waitFor("the Release button", func() bool { _, ok := findButton(h.mustCard().Blocks, "release"); return ok })

	updates := len(h.slack.Calls("chat.update"))
	h.click(userCarol, "release")
	h.waitFor("Carol's refusal", h.ephemeralSays(userCarol, "may release KotenOCR"))
	if n := h.releaseRequests(); n != 0 {
		t.Fatalf("a non-approver's press made %d release requests", n)
	}
	// The channel never saw "⏳ Releasing…" for a press that was refused.
	for _, c := range h.slack.Calls("chat.update")[updates:] {
		if strings.Contains(c.Param("blocks"), "Releasing") {
			t.Errorf("a refused press showed progress on the card: %s", c.Param("blocks"))
		}
	}

	h.doublePressAndRedeliver(userBob, "release")
	h.waitFor("the release on the card", h.cardSays("released by <@U0BOB>"))
	if err := h.sim.Distribute(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("Ready for Distribution announced", func() bool { return h.channelLines("is *Ready for Distribution*") == 1 })
	h.tick() // more polls must repeat nothing
	h.tick()
	h.slash(userAna, "history KotenOCR")
	h.waitFor("the history", h.ephemeralSays(userAna, "released KotenOCR 1.1.0."))
	entries, _ := h.rtStore().ListAudit(h.ids.AppID, 100)
	var refused, released bool
	for _, e := range entries {
		refused = refused || (e.User == userCarol && e.Action == "release" && e.Result == "refused")
		released = released || (e.User == userBob && e.Action == "release" && e.Result == "ok")
	}
	if !refused || !released {
		t.Errorf("audit log lacks Carol's refusal (%v) or Bob's release (%v): %+v", refused, released, entries)
	}
	h.stop() // in-flight work (a duplicate press, say) finishes before counting
	if n := h.releaseRequests(); n != 1 {
		t.Errorf("%d release requests, want exactly 1", n)
	}
	for line, want := range map[string]int{"is *In Review*": 1, "was *approved*": 1, "is *Ready for Distribution*": 1} {
		if n := h.channelLines(line); n != want {
			t.Errorf("%q announced %d times, want %d", line, n, want)
		}
	}
}

func TestReleaseCommandAndTwoPersonRule(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("poll: \"@every 1h\"\napps:\n  - id: %q\n    channel: %q\n    approvers: [%q, %q]\n    two_person_rule: true\n", h.ids.AppID, channel, userAna, userBob)
	h.start()
	h.approved()
	h.slash(userAna, "release KotenOCR")
	h.waitFor("the two-person refusal", h.ephemeralSays(userAna, "two-person rule"))
	if n := h.releaseRequests(); n != 0 {
		t.Fatalf("the submitter released (%d requests)", n)
	}
	h.slash(userBob, "release KotenOCR 1.1.0")
	h.waitFor("Bob's confirmation", h.ephemeralSays(userBob, "Released KotenOCR 1.1.0"))
	h.slash(userBob, "release KotenOCR 1.1.0")
	h.waitFor("the second release explained", h.ephemeralSays(userBob, "already"))
	if n := h.releaseRequests(); n != 1 {
		t.Errorf("%d release requests, want 1", n)
	}
}

func TestAutomaticReleaseOffersNoButton(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rt := h.start()
	rtype := asc.ReleaseAfterApproval
	if _, _, err := rt.ASC.Versions.Update(h.ctx(), h.ids.NewVersionID, asc.VersionUpdate{ReleaseType: &rtype}); err != nil {
		t.Fatal(err)
	}
	h.submitted()
	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("In Review", func() bool { return h.channelLines("is *In Review*") == 1 })
	if _, ok := findButton(h.mustCard().Blocks, "release"); ok {
		t.Error("an after-approval version offers Release")
	}
	if !strings.Contains(string(h.mustCard().Blocks), "Automatically after approval") {
		t.Errorf("the card does not say how it releases: %s", h.mustCard().Blocks)
	}
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "hmacsha256=" + hex.EncodeToString(m.Sum(nil))
}

// TestWebhookAnnouncesOnceAndRejectsBadSignatures: with the poller idle, a
// well-signed webhook is announced within a second; a badly signed one is
// rejected with nothing posted; a later poll does not announce it again.
func TestWebhookAnnouncesOnceAndRejectsBadSignatures(t *testing.T) {
	t.Parallel()
	const secret = "wh-secret-for-tests"
	h := newHarness(t, withHTTP())
	h.writeYAML("poll: \"@every 1h\"\napprovers: [\"S0RELEASE\"]\napps:\n  - id: %q\n    channel: %q\n    webhook_secret: %q\n", h.ids.AppID, channel, secret)
	rt := h.start()
	h.submitted()
	h.tick() // the poller records Waiting for Review as seen

	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	body := []byte(fmt.Sprintf(`{"data":{"type":"appStoreVersionAppVersionStateUpdated","id":"evt-1","version":1,"attributes":{"newValue":"IN_REVIEW","oldValue":"WAITING_FOR_REVIEW","timestamp":"2026-11-22T05:00:52.745Z"},"relationships":{"instance":{"data":{"type":"appStoreVersions","id":%q}}}}}`, h.ids.NewVersionID))
	url := "http://" + rt.HTTPAddr + "/webhooks/appstoreconnect"

	post := func(sig string) int {
		req, _ := http.NewRequestWithContext(h.ctx(), http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("x-apple-signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(sign("wrong secret", body)); code != http.StatusUnauthorized {
		t.Errorf("bad signature answered %d, want 401", code)
	}
	if n := h.channelLines("is *In Review*"); n != 0 {
		t.Fatalf("a badly signed webhook was announced")
	}
	start := time.Now()
	if code := post(sign(secret, body)); code/100 != 2 {
		t.Fatalf("good signature answered %d", code)
	}
	h.waitFor("the webhook's announcement", func() bool { return h.channelLines("is *In Review*") == 1 })
	if d := time.Since(start); d > time.Second {
		t.Errorf("announced %v after the webhook, want within a second", d)
	}

	resp, err := http.Get("http://" + rt.HTTPAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + rt.HTTPAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"ascbot_asc_requests_total", "ascbot_notifications_total", "ascbot_poll_duration_seconds", "ascbot_commands_total"} {
		if !strings.Contains(buf.String(), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	if code := post(sign(secret, body)); code/100 != 2 { // Apple redelivers
		t.Errorf("the redelivery answered %d", code)
	}
	h.tick()
	h.stop() // the redelivery's work finishes before counting
	if n := h.channelLines("is *In Review*"); n != 1 {
		t.Errorf("In Review announced %d times across webhook, redelivery and poll; want 1", n)
	}
}

func TestRejectionListsItems(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.submitted()
	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("In Review", func() bool { return h.channelLines("is *In Review*") == 1 })
	if err := h.sim.Reject(h.ids.NewVersionID, "REJECTED"); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("the rejection line", func() bool { return h.channelLines("*Rejected*") == 1 })
	for _, m := range h.slack.Messages(channel) {
		if strings.Contains(m.Text, "*Rejected*") {
			if !strings.Contains(m.Text, "version 1.1.0: Rejected") || !strings.Contains(m.Text, "appstoreconnect.apple.com/apps/"+h.ids.AppID) {
				t.Errorf("the rejection line lacks its items or link: %q", m.Text)
			}
		}
	}
	// A rejected version can be fixed and submitted again from the same card.
	h.waitFor("Submit offered again", func() bool { _, ok := findButton(h.mustCard().Blocks, "submit"); return ok })
}

func TestPhasedReleasePauseResumeComplete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rt := h.start()
	if _, _, err := rt.ASC.Phased.Create(h.ctx(), h.ids.NewVersionID, asc.PhasedInactive); err != nil {
		t.Fatal(err)
	}
	h.approved()
	h.click(userBob, "release")
	h.waitFor("released", h.cardSays("released by <@U0BOB>"))
	if err := h.sim.Distribute(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("day 1 of 7 on the card", h.cardSays("day 1 of 7 · 1 % of users"))

	h.click(userCarol, "phased_pause")
	h.waitFor("Carol refused", h.ephemeralSays(userCarol, "may pause"))
	h.click(userBob, "phased_pause")
	h.waitFor("paused on the card", h.cardSays("Paused"))
	if p, _ := h.sim.PhasedRelease(h.ids.NewVersionID); p.State != "PAUSED" {
		t.Fatalf("phased state = %s, want PAUSED", p.State)
	}
	h.slash(userBob, "phased KotenOCR resume")
	h.waitFor("resumed", h.ephemeralSays(userBob, "day 1 of 7"))
	if p, _ := h.sim.PhasedRelease(h.ids.NewVersionID); p.State != "ACTIVE" {
		t.Fatalf("phased state = %s, want ACTIVE", p.State)
	}
	h.waitFor("the card refreshed", func() bool { _, ok := findButton(h.mustCard().Blocks, "phased_pause"); return ok })
	h.click(userBob, "phased_complete")
	h.waitFor("complete on the card", h.cardSays("complete: 100 % of users"))
	if p, _ := h.sim.PhasedRelease(h.ids.NewVersionID); p.State != "COMPLETE" {
		t.Fatalf("phased state = %s, want COMPLETE", p.State)
	}
}

func TestWatchUnwatchAvailabilityIAP(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("poll: \"@every 1h\"\napprovers: [%q]\napps: []\n", userBob)
	h.start()
	h.slash(userBob, "watch KotenOCR") // an approver: watching needs one
	h.waitFor("the watch line", func() bool { return h.channelLines("review-state changes in <#"+channel+">") == 1 })
	// A version submitted on the website gets a card in the watched channel.
	h.tick() // the first poll records the baseline
	if err := h.sim.SetVersionState(h.ids.NewVersionID, "WAITING_FOR_REVIEW"); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("a card for a version submitted elsewhere", h.cardSays("Waiting for Review"))
	h.slash(userBob, "unwatch KotenOCR")
	h.waitFor("the unwatch line", func() bool { return h.channelLines("stopped the review-state posts") == 1 })

	h.slash(userAna, "availability KotenOCR")
	h.waitFor("availability", h.ephemeralSays(userAna, "is available in *2 of"))
	h.slash(userAna, "iap KotenOCR")
	h.waitFor("the IAP list", h.ephemeralSays(userAna, "OCR credits"))
}
