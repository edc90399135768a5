package app_test

import (
	"strings"
	"testing"
)

// TestTestFlightStaleCard: build 3 changes in App Store Connect after its
// TestFlight card was drawn and before the bot looked again. A press on the
// card then does nothing at Apple, redraws the card and tells the presser
// privately what changed, as version cards do; a press on the redrawn card
// acts.
func TestTestFlightStaleCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("%s", tfYAML(h))
	rt := h.start()
	ctx := h.ctx()
	ids := h.ids
	if _, _, err := rt.ASC.Builds.SetUsesNonExemptEncryption(ctx, ids.Build3ID, false); err != nil {
		t.Fatal(err)
	}
	h.slash(userAna, "testflight KotenOCR 3")
	h.waitFor("Submit for beta review offered", func() bool { _, ok := findButton(h.mustTFCard("3").Blocks, "tf_submit"); return ok })

	// Someone submits the build in App Store Connect; the card still offers Submit.
	if _, _, err := rt.ASC.BetaBuilds.SubmitForReview(ctx, ids.Build3ID); err != nil {
		t.Fatal(err)
	}
	h.sim.ResetRequests()
	h.tfClick(userAna, "3", "tf_submit")
	h.waitFor("told the card was out of date", h.ephemeralSays(userAna, "The card was out of date, so nothing was done: external testing is now Waiting for Review (the card showed Ready to Submit)"))
	h.waitFor("the card redrawn", h.tfCardSays("3", "Waiting for Review"))
	if _, ok := findButton(h.mustTFCard("3").Blocks, "tf_submit"); ok {
		t.Fatal("the redrawn card still offers Submit for beta review")
	}

	// Apple starts the review; the card still says waiting. Adding the build
	// to the external group from it does nothing either.
	if err := h.sim.StartBetaReview(ids.Build3ID); err != nil {
		t.Fatal(err)
	}
	h.tfSelect(userAna, "3", "tf_add", ids.ExternalGroupID)
	h.waitFor("told again", h.ephemeralSays(userAna, "external testing is now In Review (the card showed Waiting for Review)"))
	h.waitFor("the card redrawn again", h.tfCardSays("3", "In Review"))
	for _, r := range h.sim.Requests() {
		if r.Method != "GET" {
			t.Errorf("a press on an out-of-date card changed App Store Connect: %s %s", r.Method, r.Path)
		}
	}
	bv, _ := h.sim.BetaBuild(ids.Build3ID)
	if bv.Reviews != 1 || len(bv.GroupIDs) != 0 {
		t.Fatalf("sim = %+v, want the one outside review and no group", bv)
	}
	entries, _ := rt.Store.ListAudit(ids.AppID, 100)
	stale := map[string]int{}
	for _, e := range entries {
		if e.Result == "stale" {
			stale[e.Action]++
		}
	}
	if stale["beta-review"] != 1 || stale["beta-add-group"] != 1 {
		t.Errorf("stale presses audited %v, want one beta-review and one beta-add-group", stale)
	}

	// The redrawn card is current: the same choice acts now.
	h.tfSelect(userAna, "3", "tf_add", ids.ExternalGroupID)
	h.waitFor("build 3 in Public Beta", func() bool {
		bv, _ := h.sim.BetaBuild(ids.Build3ID)
		return len(bv.GroupIDs) == 1 && bv.GroupIDs[0] == ids.ExternalGroupID
	})
	for _, m := range h.slack.Ephemerals(userAna) {
		if strings.Count(m.Text, "out of date") > 1 {
			t.Errorf("one notice says it twice: %q", m.Text)
		}
	}
}
