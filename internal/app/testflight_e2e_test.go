package app_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/slacksim"
)

// tfYAML: Ana submits and tests, Bob only submits (internal groups), Carol
// may do neither; builds without an export-compliance answer get "no".
func tfYAML(h *harness) string {
	return fmt.Sprintf("poll: \"@every 1h\"\napprovers: [\"S0RELEASE\"]\napps:\n  - id: %q\n    channel: %q\n    submitters: [%q, %q]\n    testers: [%q]\n    uses_non_exempt_encryption: false\n",
		h.ids.AppID, channel, userAna, userBob, userAna)
}

// tfCard returns the TestFlight card of build number n.
func (h *harness) tfCard(n string) (slacksim.Message, bool) {
	for _, m := range h.slack.Messages(channel) {
		if strings.Contains(string(m.Blocks), "TestFlight · KotenOCR 1.1.0 · build "+n) {
			return m, true
		}
	}
	return slacksim.Message{}, false
}

func (h *harness) mustTFCard(n string) slacksim.Message {
	h.t.Helper()
	h.waitFor("the TestFlight card of build "+n, func() bool { _, ok := h.tfCard(n); return ok })
	m, _ := h.tfCard(n)
	return m
}

func (h *harness) tfCardSays(n, s string) func() bool {
	return func() bool {
		m, ok := h.tfCard(n)
		return ok && strings.Contains(payloadText(m.Blocks), s)
	}
}

// tfSelect chooses a group in the card's Add to group / Remove from group menu.
func (h *harness) tfSelect(user, n, actionID, groupID string) {
	h.t.Helper()
	m := h.mustTFCard(n)
	for _, v := range slacksim.Selects(m.Blocks)[actionID] {
		if strings.HasSuffix(v, "|"+groupID) {
			if _, err := h.slack.SelectOption(h.ctx(), user, channel, m.TS, actionID, v); err != nil {
				h.t.Fatalf("choosing %s in %s: %v", groupID, actionID, err)
			}
			return
		}
	}
	h.t.Fatalf("the card's %s menu offers no group %s: %v", actionID, groupID, slacksim.Selects(m.Blocks))
}

// tfClick presses a button on the TestFlight card.
func (h *harness) tfClick(user, n, prefix string) *slacksim.Ack {
	h.t.Helper()
	m := h.mustTFCard(n)
	b, ok := findButton(m.Blocks, prefix)
	if !ok {
		h.t.Fatalf("the TestFlight card offers no %q button; it offers %v", prefix, buttons(m.Blocks))
	}
	ack, err := h.slack.ClickButton(h.ctx(), user, channel, m.TS, b.ActionID, b.Value)
	if err != nil {
		h.t.Fatalf("pressing %s: %v", b.Text, err)
	}
	return ack
}

// whatToTestView waits for the user's filled What to Test modal.
func (h *harness) whatToTestView(user string) slacksim.View {
	h.t.Helper()
	var v slacksim.View
	h.waitFor("the What to Test form", func() bool {
		for _, o := range h.slack.OpenViews(user) {
			if o.CallbackID == "tf_notes" {
				v = o
				return true
			}
		}
		return false
	})
	return v
}

func (h *harness) pollTestFlight() {
	h.t.Helper()
	h.mu.Lock()
	rt := h.rt
	h.mu.Unlock()
	if err := rt.Watcher.Tick(h.ctx()); err != nil {
		h.t.Fatalf("poll: %v", err)
	}
}

// TestTestFlightEndToEnd: a build finishes processing → its TestFlight card
// → added to the internal group → available (announced once) → What to Test
// in two locales (the 4000-character limit checked inline) → added to the
// external group → submitted for beta review once despite a double click and
// a redelivered envelope → approved (announced once) → available to the
// external group.
func TestTestFlightEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("%s", tfYAML(h))
	rt := h.start()
	ids := h.ids

	// The first poll records the builds; build 5 then finishes processing.
	h.pollTestFlight()
	if err := h.sim.SetBuildState(ids.Build5ID, "VALID"); err != nil {
		t.Fatal(err)
	}
	h.pollTestFlight()
	card := h.mustTFCard("5")
	if h.channelLines("build 5 (1.1.0) finished processing") != 1 {
		t.Fatalf("the card's notification text is not the build notice: %q", card.Text)
	}
	if _, ok := findButton(card.Blocks, "tf_submit"); ok {
		t.Fatal("Submit for beta review offered on a build without export compliance (Apple would refuse it)")
	}

	// Internal group: available at once, announced once.
	h.tfSelect(userBob, "5", "tf_add", ids.InternalGroupID)
	h.waitFor("available to Team", func() bool { return h.channelLines("is available to *Team*") == 1 })
	h.waitFor("the card showing Team", h.tfCardSays("5", "Team* (internal) — ✓ testers can install it"))
	h.pollTestFlight()
	if n := h.channelLines("is available to *Team*"); n != 1 {
		t.Fatalf("'available to Team' posted %d times", n)
	}
	if bv, _ := h.sim.BetaBuild(ids.Build5ID); bv.InternalState != "IN_BETA_TESTING" {
		t.Fatalf("internal state = %s", bv.InternalState)
	}

	// What to Test: too long is refused inline, two locales are saved.
	h.tfClick(userAna, "5", "tf_notes")
	v := h.whatToTestView(userAna)
	long := strings.Repeat("あ", 3000)
	ack, err := h.slack.SubmitView(h.ctx(), userAna, v.ID, map[string]map[string]string{
		"tf_notes_en-US": {"text": long}, "tf_more_en-US": {"text": strings.Repeat("x", 1001)},
		"tf_notes_ja": {"text": "スキャナーを試してください"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack.Payload, &resp); err != nil || resp.Action != "errors" || !strings.Contains(resp.Errors["tf_more_en-US"], "4001 characters") {
		t.Fatalf("ack = %s, want an inline error on tf_more_en-US", ack.Payload)
	}
	if _, err := h.slack.SubmitView(h.ctx(), userAna, v.ID, map[string]map[string]string{
		"tf_notes_en-US": {"text": "Try the new scanner on old prints."}, "tf_more_en-US": {"text": ""},
		"tf_notes_ja": {"text": "新しいスキャナーを試してください。"},
	}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("What to Test saved", func() bool {
		bv, _ := h.sim.BetaBuild(ids.Build5ID)
		return bv.WhatToTest["en-US"] == "Try the new scanner on old prints." && bv.WhatToTest["ja"] == "新しいスキャナーを試してください。"
	})
	h.waitFor("the card's What to Test", h.tfCardSays("5", "en-US ✓ · ja ✓"))

	// External group, then beta review: a double click and a redelivered
	// envelope submit once.
	h.sim.ResetRequests()
	h.tfSelect(userAna, "5", "tf_add", ids.ExternalGroupID)
	h.waitFor("the card showing Public Beta", h.tfCardSays("5", "Public Beta* (external) — after beta review"))
	// The press read only what it acts on, in one parallel round trip,
	// before adding the build: the build (one compound read) and the group.
	var before []string
	for _, r := range h.sim.Requests() {
		if r.Method == "POST" {
			break
		}
		before = append(before, r.Method+" "+r.Path)
	}
	if len(before) > 3 || !slicesContains(before, "GET /v1/builds/"+ids.Build5ID) || !slicesContains(before, "GET /v1/betaGroups/"+ids.ExternalGroupID) {
		t.Errorf("the press read %v before acting, want the build and the group (and at most the app)", before)
	}
	m := h.mustTFCard("5")
	b, ok := findButton(m.Blocks, "tf_submit")
	if !ok {
		t.Fatalf("no Submit for beta review on a build Apple would accept: %v", buttons(m.Blocks))
	}
	first, err := h.slack.ClickButton(h.ctx(), userAna, channel, m.TS, b.ActionID, b.Value)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.ClickButton(h.ctx(), userAna, channel, m.TS, b.ActionID, b.Value); err != nil {
		t.Logf("second click: %v", err)
	}
	if _, err := h.slack.Redeliver(h.ctx(), first.EnvelopeID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Waiting for Beta Review", func() bool { return h.channelLines("is *Waiting for Beta Review*") == 1 })
	h.waitFor("the card in beta review", h.tfCardSays("5", "Waiting for Review"))
	if bv, _ := h.sim.BetaBuild(ids.Build5ID); bv.Reviews != 1 {
		t.Fatalf("%d beta review submissions, want 1", bv.Reviews)
	}
	if _, ok := findButton(h.mustTFCard("5").Blocks, "tf_submit"); ok {
		t.Fatal("Submit for beta review still offered after submitting")
	}

	// Apple approves; the poller announces it and the external group once.
	if err := h.sim.StartBetaReview(ids.Build5ID); err != nil {
		t.Fatal(err)
	}
	h.pollTestFlight()
	if err := h.sim.ApproveBetaReview(ids.Build5ID); err != nil {
		t.Fatal(err)
	}
	h.pollTestFlight()
	h.pollTestFlight()
	for line, want := range map[string]int{
		"is *In Beta Review*":               1,
		"*passed beta review*":              1,
		"is available to *Public Beta*":     1,
		"is available to *Team*":            1,
		"is *Waiting for Beta Review*":      1,
		"finished processing and is ready ": 1,
	} {
		if n := h.channelLines(line); n != want {
			t.Errorf("%q posted %d times, want %d", line, n, want)
		}
	}
	h.waitFor("the card available externally", h.tfCardSays("5", "Public Beta* (external) — ✓ testers can install it"))
	if bv, _ := h.sim.BetaBuild(ids.Build5ID); bv.Reviews != 1 || bv.ExternalState != "IN_BETA_TESTING" {
		t.Fatalf("sim = %+v", bv)
	}
	entries, _ := rt.Store.ListAudit(ids.AppID, 100)
	var submits int
	for _, e := range entries {
		if e.Action == "beta-review" && e.Result == "ok" {
			submits++
		}
	}
	if submits != 1 {
		t.Errorf("%d beta-review audit entries, want 1: %+v", submits, entries)
	}
}

// TestTestFlightRejectionTestersAndRefusals: /asc testflight brings up an
// older build's card; export compliance answered in the What to Test form
// makes it submittable; a beta rejection is announced with a link into App
// Store Connect; testers are added and removed; a person not in testers is
// told privately and audited.
func TestTestFlightRejectionTestersAndRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("poll: \"@every 1h\"\napps:\n  - id: %q\n    channel: %q\n    submitters: [%q, %q]\n    testers: [%q]\n", h.ids.AppID, channel, userAna, userCarol, userAna)
	rt := h.start()
	ids := h.ids

	h.slash(userAna, "testflight KotenOCR 3")
	h.mustTFCard("3")
	h.waitFor("the card's missing compliance", h.tfCardSays("3", "Missing Export Compliance"))

	// Carol submits but is not a tester: she may not answer What to Test.
	h.tfClick(userCarol, "3", "tf_notes")
	v := h.whatToTestView(userCarol)
	if _, err := h.slack.SubmitView(h.ctx(), userCarol, v.ID, map[string]map[string]string{"tf_notes_en-US": {"text": "x"}, "tf_encryption": {"answer": "no"}}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Carol told privately", h.ephemeralSays(userCarol, "may not change What to Test"))

	// Apple fails the first save: the text is kept and the form comes back filled.
	h.sim.InjectFault(ascsim.Fault{Method: "POST", PathPrefix: "/v1/betaBuildLocalizations", Status: 500, Count: 1})
	h.tfClick(userAna, "3", "tf_notes")
	v = h.whatToTestView(userAna)
	if _, err := h.slack.SubmitView(h.ctx(), userAna, v.ID, map[string]map[string]string{"tf_notes_ja": {"text": "保存されるはず"}, "tf_encryption": {"answer": "no"}}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the failure told, text kept", h.ephemeralSays(userAna, "Your text is saved"))

	// The export-compliance answer went through before Apple failed; Ana saves
	// again and the build becomes submittable.
	h.tfClick(userAna, "3", "tf_notes")
	v = h.whatToTestView(userAna)
	if !strings.Contains(string(v.Blocks), "保存されるはず") {
		t.Fatal("the form did not come back with the saved text")
	}
	if _, err := h.slack.SubmitView(h.ctx(), userAna, v.ID, map[string]map[string]string{"tf_notes_en-US": {"text": "Check the OCR."}}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the submit button", func() bool { _, ok := findButton(h.mustTFCard("3").Blocks, "tf_submit"); return ok })

	// Carol presses Submit for beta review: refused privately, audited, nothing sent.
	h.tfClick(userCarol, "3", "tf_submit")
	h.waitFor("Carol refused", h.ephemeralSays(userCarol, "may not submit for beta review"))
	if bv, _ := h.sim.BetaBuild(ids.Build3ID); bv.Reviews != 0 {
		t.Fatal("a refused press submitted the build")
	}
	// Carol may add the build to the internal group (internal follows submitters).
	h.tfSelect(userCarol, "3", "tf_add", ids.InternalGroupID)
	h.waitFor("available to Team", func() bool { return h.channelLines("build 3 (1.1.0) is available to *Team*") == 1 })
	// …but not to the external one.
	h.tfSelect(userCarol, "3", "tf_add", ids.ExternalGroupID)
	h.waitFor("Carol refused the external group", h.ephemeralSays(userCarol, "may not add a build to that group"))

	h.tfClick(userAna, "3", "tf_submit")
	h.waitFor("waiting", func() bool { return h.channelLines("build 3 (1.1.0) is *Waiting for Beta Review*") == 1 })
	if err := h.sim.RejectBetaReview(ids.Build3ID); err != nil {
		t.Fatal(err)
	}
	h.pollTestFlight()
	h.pollTestFlight()
	link := "https://appstoreconnect.apple.com/apps/" + ids.AppID + "/testflight/ios/" + ids.Build3ID
	if n := h.channelLines("*rejected in beta review*"); n != 1 {
		t.Fatalf("rejection posted %d times", n)
	}
	found := false
	for _, m := range h.slack.Messages(channel) {
		if strings.Contains(m.Text, "rejected in beta review") && strings.Contains(m.Text, link) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the rejection notice has no link to %s", link)
	}

	// Testers: add (new, into the external group by default), list, remove.
	h.slash(userAna, "testers KotenOCR add new.tester@example.com \"Public Beta\" New Tester")
	h.waitFor("the tester invited", h.ephemeralSays(userAna, "Invited new.tester@example.com to Public Beta"))
	h.slash(userAna, "testers KotenOCR \"Public Beta\"")
	h.waitFor("the list", h.ephemeralSays(userAna, "New Tester · new.tester@example.com — Invited"))
	h.slash(userAna, "testers KotenOCR remove new.tester@example.com")
	h.waitFor("the tester removed", h.ephemeralSays(userAna, "Removed new.tester@example.com from Public Beta"))
	for _, g := range h.sim.BetaGroups(ids.AppID) {
		for _, e := range g.TesterEmails {
			if e == "new.tester@example.com" {
				t.Fatalf("tester still in %s", g.Name)
			}
		}
	}
	// Bad input and Apple's refusals, answered clearly.
	h.slash(userAna, "testers KotenOCR add not-an-email@ Team")
	h.waitFor("bad email", h.ephemeralSays(userAna, "not an email address"))
	h.slash(userAna, "testers KotenOCR Nope")
	h.waitFor("unknown group", h.ephemeralSays(userAna, "has no beta group \"Nope\""))
	h.slash(userAna, "testers KotenOCR add outsider@example.com Team")
	h.waitFor("Apple refuses an outsider in an internal group", h.ephemeralSays(userAna, "App Store Connect refused"))
	h.slash(userCarol, "testers KotenOCR add someone@example.com")
	h.waitFor("Carol refused", h.ephemeralSays(userCarol, "may not add testers"))

	entries, _ := rt.Store.ListAudit(ids.AppID, 200)
	var refused []string
	for _, e := range entries {
		if e.Result == "refused" && e.User == userCarol {
			refused = append(refused, e.Action)
		}
		if strings.Contains(e.Version+e.Detail, "someone@example.com") || strings.Contains(e.Version+e.Detail, "new.tester@example.com") {
			t.Errorf("the audit log holds a full email: %+v", e)
		}
	}
	for _, want := range []string{"beta-what-to-test", "beta-review", "beta-add-group", "tester-add"} {
		if !slicesContains(refused, want) {
			t.Errorf("no refused %s audited for Carol: %v", want, refused)
		}
	}
}

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestTestFlightExpiryWarnedOnce: a build expiring within 7 days is announced
// once, however often the card is read again.
func TestTestFlightExpiryWarnedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("%s", tfYAML(h))
	h.start()
	id := h.sim.AddBuild(h.ids.AppID, ascsim.BuildSeed{Version: "9", MarketingVersion: "1.1.0", Uploaded: time.Now().Add(-85 * 24 * time.Hour)})
	h.slash(userAna, "testflight KotenOCR 9")
	h.mustTFCard("9")
	h.waitFor("the expiry notice", func() bool { return h.channelLines("build 9 (1.1.0) expires on") == 1 })
	h.pollTestFlight()
	h.slash(userAna, "testflight KotenOCR 9")
	h.waitFor("the card brought back", h.threadSaysOn("9", "asked for this card"))
	h.pollTestFlight()
	if n := h.channelLines("build 9 (1.1.0) expires on"); n != 1 {
		t.Fatalf("expiry announced %d times", n)
	}
	if !h.tfCardSays("9", "within 7 days")() {
		t.Fatal("the card does not warn about the expiry")
	}
	// Expired: no more groups, and /asc testflight without a number skips it.
	if err := h.sim.ExpireBuild(id); err != nil {
		t.Fatal(err)
	}
	h.pollTestFlight()
	h.waitFor("the expired card", h.tfCardSays("9", "expired"))
	if _, ok := findButton(h.mustTFCard("9").Blocks, "tf_notes"); ok {
		t.Fatal("an expired build still offers What to Test")
	}
	if sel := slacksim.Selects(h.mustTFCard("9").Blocks); len(sel) != 0 {
		t.Fatalf("an expired build still offers groups: %v", sel)
	}
}

func (h *harness) threadSaysOn(n, s string) func() bool {
	return func() bool {
		m, ok := h.tfCard(n)
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

// TestTestFlightOldBuildIsABaseline: bringing up the card of a build already
// testable announces nothing that happened before the card existed.
func TestTestFlightOldBuildIsABaseline(t *testing.T) {
	h := newHarness(t)
	h.writeYAML("%s", tfYAML(h))
	rt := h.start()
	ctx := h.ctx()
	if _, _, err := rt.ASC.Builds.SetUsesNonExemptEncryption(ctx, h.ids.Build3ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.ASC.BetaGroups.AddBuild(ctx, h.ids.Build3ID, h.ids.InternalGroupID); err != nil {
		t.Fatal(err)
	}
	h.slash(userAna, "testflight KotenOCR 3")
	h.waitFor("the card showing Team", h.tfCardSays("3", "Team* (internal) — ✓ testers can install it"))
	h.pollTestFlight()
	if n := h.channelLines("is available to"); n != 0 {
		t.Fatalf("an old build's availability was announced %d times", n)
	}
	// A change after the card exists is announced.
	if _, _, err := rt.ASC.BetaBuilds.SubmitForReview(ctx, h.ids.Build3ID); err != nil {
		t.Fatal(err)
	}
	h.pollTestFlight()
	if n := h.channelLines("build 3 (1.1.0) is *Waiting for Beta Review*"); n != 1 {
		t.Fatalf("the new beta review was announced %d times", n)
	}
}

// TestTestFlightCardRedrawnOnlyWhenItChanges: every poll used to rewrite
// every TestFlight card (a chat.update, and a new revision on its buttons)
// whether or not anything had changed at Apple — hundreds of updates a
// minute with a short poll. Now an unchanged card is left alone and a
// change is drawn on the next poll.
func TestTestFlightCardRedrawnOnlyWhenItChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("%s", tfYAML(h))
	h.start()
	h.pollTestFlight()
	if err := h.sim.SetBuildState(h.ids.Build5ID, "VALID"); err != nil {
		t.Fatal(err)
	}
	h.pollTestFlight()
	card := h.mustTFCard("5")
	updates := func() int {
		n := 0
		for _, c := range h.slack.Calls("chat.update") {
			if c.Param("ts") == card.TS {
				n++
			}
		}
		return n
	}
	h.pollTestFlight() // the first poll after the post may still draw it once
	before := updates()
	for range 5 {
		h.pollTestFlight()
	}
	if n := updates() - before; n != 0 {
		t.Errorf("%d chat.updates of an unchanged TestFlight card over 5 polls, want 0", n)
	}
	if err := h.sim.ExpireBuild(h.ids.Build5ID); err != nil {
		t.Fatal(err)
	}
	h.pollTestFlight()
	if n := updates() - before; n != 1 {
		t.Errorf("%d chat.updates after the build expired, want 1", n)
	}
}
