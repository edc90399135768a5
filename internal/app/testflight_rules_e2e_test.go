package app_test

import (
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/asc"
)

// TestTestFlightOneBuildPerTrainAndCompliance: Apple's TestFlight refusals
// reach the person who pressed, clearly, and lose nothing. A build without an
// export-compliance answer (and no YAML answer) is not put into a group: the
// bot says to answer it first. While build 3 of 1.1.0 waits for beta review,
// Submit on build 4 of the same train is refused by Apple (422
// ANOTHER_BUILD_IN_REVIEW) and the person is told why; once build 3's review
// is decided, the same button submits build 4.
func TestTestFlightOneBuildPerTrainAndCompliance(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("poll: \"@every 1h\"\napps:\n  - id: %q\n    channel: %q\n    submitters: [%q]\n    testers: [%q]\n", h.ids.AppID, channel, userAna, userAna)
	h.start()
	ids := h.ids

	h.slash(userAna, "testflight KotenOCR 4")
	h.waitFor("the card's missing compliance", h.tfCardSays("4", "Missing Export Compliance"))
	h.tfSelect(userAna, "4", "tf_add", ids.ExternalGroupID)
	h.waitFor("told to answer compliance first", h.ephemeralSays(userAna, "has no export-compliance answer"))
	if bv, _ := h.sim.BetaBuild(ids.Build4ID); len(bv.GroupIDs) != 0 {
		t.Fatalf("build 4 put into %v without export compliance", bv.GroupIDs)
	}

	// Export compliance for both builds through the What to Test form.
	for _, n := range []string{"3", "4"} {
		if n == "3" {
			h.slash(userAna, "testflight KotenOCR 3")
		}
		h.tfClick(userAna, n, "tf_notes")
		v := h.whatToTestView(userAna)
		if _, err := h.slack.SubmitView(h.ctx(), userAna, v.ID, map[string]map[string]string{
			"tf_notes_en-US": {"text": "Check build " + n + "."}, "tf_encryption": {"answer": "no"},
		}); err != nil {
			t.Fatal(err)
		}
		h.waitFor("build "+n+" submittable", func() bool { _, ok := findButton(h.mustTFCard(n).Blocks, "tf_submit"); return ok })
	}

	h.tfClick(userAna, "3", "tf_submit")
	h.waitFor("build 3 waiting", func() bool { return h.channelLines("build 3 (1.1.0) is *Waiting for Beta Review*") == 1 })

	h.tfClick(userAna, "4", "tf_submit")
	h.waitFor("Apple's refusal told", h.ephemeralSays(userAna, "Another build in the same train is already in beta review"))
	if bv, _ := h.sim.BetaBuild(ids.Build4ID); bv.Reviews != 0 {
		t.Fatalf("build 4 has %d beta review submissions, want 0", bv.Reviews)
	}

	// Build 3 is approved: build 4 can now be submitted with the same button.
	if err := h.sim.ApproveBetaReview(ids.Build3ID); err != nil {
		t.Fatal(err)
	}
	h.pollTestFlight()
	h.tfClick(userAna, "4", "tf_submit")
	h.waitFor("build 4 waiting", func() bool { return h.channelLines("build 4 (1.1.0) is *Waiting for Beta Review*") == 1 })
	if bv, _ := h.sim.BetaBuild(ids.Build4ID); bv.Reviews != 1 {
		t.Fatalf("build 4 has %d beta review submissions, want 1", bv.Reviews)
	}
}

// TestCancelCommandWithOnlyADraft: /asc cancel when the only open submission
// is a draft never sent to App Review (Apple refuses to cancel one) offers no
// Cancel button and says why; the draft is left for the next submit.
func TestCancelCommandWithOnlyADraft(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rt := h.start()
	sub, _, err := rt.ASC.Submissions.Create(h.ctx(), h.ids.AppID, asc.PlatformIOS)
	if err != nil {
		t.Fatal(err)
	}
	h.slash(userAna, "cancel KotenOCR")
	h.waitFor("the draft explained", h.ephemeralSays(userAna, "Its draft submission was never sent"))
	for _, m := range h.slack.Ephemerals(userAna) {
		if strings.Contains(string(m.Blocks), "cancel_open_submission") {
			t.Fatalf("a Cancel button was offered for a draft: %s", m.Blocks)
		}
	}
	for _, s := range h.sim.Submissions(h.ids.AppID) {
		if s.ID == sub.ID && s.State != "READY_FOR_REVIEW" {
			t.Fatalf("draft state = %s", s.State)
		}
	}
}
