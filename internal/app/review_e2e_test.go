package app_test

import (
	"strings"
	"testing"
)

// Issue 8: the review lifecycle as Apple runs it, through the real bot.

// openSubmissions counts the app's review submissions that are not COMPLETE.
func (h *harness) openSubmissions() (open, total int) {
	subs := h.sim.Submissions(h.ids.AppID)
	for _, s := range subs {
		if s.State != "COMPLETE" {
			open++
		}
	}
	return open, len(subs)
}

// rejected submits 1.1.0 with build 4 and has App Review reject it as state.
func (h *harness) rejected(state, label string) {
	h.t.Helper()
	h.submitted()
	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		h.t.Fatal(err)
	}
	h.tick()
	if err := h.sim.Reject(h.ids.NewVersionID, state); err != nil {
		h.t.Fatal(err)
	}
	h.pollUntil("the card to say "+label, h.cardSays("*"+label+"*"))
}

func (h *harness) hasButton(prefix string) func() bool {
	return func() bool { _, ok := findButton(h.mustCard().Blocks, prefix); return ok }
}

// TestResubmitAfterRejectionWithNewBuild: Apple rejects 1.1.0; pressing
// Resubmit with the rejected build shows Apple's 409 and its reason; build 5
// finishes processing, joins the card with a thread line, is attached and the
// unresolved submission is resubmitted — one open submission before and after.
func TestResubmitAfterRejectionWithNewBuild(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.rejected("REJECTED", "Rejected")
	card := string(h.mustCard().Blocks)
	for _, want := range []string{"Submission items", "version 1.1.0: Rejected", "appstoreconnect.apple.com/apps/" + h.ids.AppID, "build 4 is the build App Review rejected", "Resubmit for review"} {
		if !strings.Contains(card, want) {
			t.Errorf("the rejected card lacks %q", want)
		}
	}
	if open, total := h.openSubmissions(); open != 1 || total != 1 {
		t.Fatalf("before: %d open of %d submissions, want 1 of 1", open, total)
	}

	// Nothing changed: Apple refuses, and the user reads why.
	h.click(userAna, "submit")
	h.waitFor("Apple's reason", h.ephemeralSays(userAna, "Choose a new build before you resubmit"))

	// Build 5 finishes processing: it joins the card, with a thread line.
	if err := h.sim.SetBuildState(h.ids.Build5ID, "VALID"); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("build 5 on the card", h.hasButton("attach_build_"+h.ids.Build5ID))
	h.waitFor("build 5 in the thread", h.threadSays("build 5 finished processing"))
	h.click(userAna, "attach_build_"+h.ids.Build5ID)
	h.waitFor("build 5 attached", h.threadSays("attached build 5"))
	h.fillNotes(userAna) // What's New stays editable; answers build 5's compliance
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review again", h.cardSays("*Waiting for Review*"))
	h.waitFor("the resubmission in the thread", h.threadSays("resubmitted for review"))
	if open, total := h.openSubmissions(); open != 1 || total != 1 {
		t.Fatalf("after: %d open of %d submissions, want the same one", open, total)
	}
	if v, _ := h.sim.Version(h.ids.NewVersionID); v.State != "WAITING_FOR_REVIEW" || v.BuildID != h.ids.Build5ID {
		t.Fatalf("version = %s with build %s", v.State, v.BuildID)
	}
}

// TestResubmitAfterMetadataRejectionSameBuild: a metadata rejection is
// resubmitted with the same build, through the same submission.
func TestResubmitAfterMetadataRejectionSameBuild(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.rejected("METADATA_REJECTED", "Metadata Rejected")
	h.waitFor("Resubmit offered", h.cardSays("Resubmit for review"))
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review again", h.cardSays("*Waiting for Review*"))
	if open, total := h.openSubmissions(); open != 1 || total != 1 {
		t.Fatalf("%d open of %d submissions, want 1 of 1", open, total)
	}
	if v, _ := h.sim.Version(h.ids.NewVersionID); v.BuildID != h.ids.Build4ID {
		t.Fatalf("build = %s, want build 4 kept", v.BuildID)
	}
}

// TestCancelUnresolvedThenSubmitAgain: cancelling the rejected submission
// frees the app; once Apple has finished cancelling, the card offers a plain
// Submit (no Refresh pressed) and a new submission takes the version.
func TestCancelUnresolvedThenSubmitAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.submitted()
	if err := h.sim.Reject(h.ids.NewVersionID, "REJECTED"); err != nil {
		t.Fatal(err)
	}
	h.click(userAna, "refresh") // the poller is slow here; the rejection shows on Refresh
	h.waitFor("Rejected", h.cardSays("*Rejected*"))
	h.click(userAna, "cancel_submission")
	h.waitFor("still canceling", h.cardSays("Apple is still cancelling"))
	h.sim.Tick() // Apple finishes cancelling
	h.waitFor("Submit back by itself", h.cardSays("Submit for review"))
	if strings.Contains(string(h.mustCard().Blocks), "Resubmit") {
		t.Fatal("a cancelled submission cannot be resubmitted")
	}
	h.click(userAna, "attach_build_"+h.ids.Build3ID)
	h.waitFor("build 3 attached", h.threadSays("attached build 3"))
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review", h.cardSays("*Waiting for Review*"))
	if open, total := h.openSubmissions(); open != 1 || total != 2 {
		t.Fatalf("%d open of %d submissions, want 1 of 2", open, total)
	}
}

// TestInvalidBinaryNeedsANewBuild: after an Invalid Binary the card explains
// it and offers no Resubmit while the invalid build is attached; a new build
// goes back through the same submission.
func TestInvalidBinaryNeedsANewBuild(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.rejected("INVALID_BINARY", "Invalid Binary")
	h.waitFor("the explanation", h.cardSays("Apple found build 4 invalid"))
	h.waitFor("the preflight", h.cardSays("build 4 was rejected as an invalid binary: attach a new build"))
	if _, ok := findButton(h.mustCard().Blocks, "submit"); ok {
		t.Fatal("Resubmit offered with the invalid build attached")
	}
	h.click(userAna, "attach_build_"+h.ids.Build3ID)
	h.waitFor("build 3 attached", h.threadSays("attached build 3"))
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("the resubmission in the thread", h.threadSays("resubmitted for review"))
	h.waitFor("Waiting for Review", h.cardSays("*Waiting for Review*"))
	if open, total := h.openSubmissions(); open != 1 || total != 1 {
		t.Fatalf("%d open of %d submissions, want the same one", open, total)
	}
}
