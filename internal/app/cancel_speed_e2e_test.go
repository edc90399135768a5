package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var updatedAt = regexp.MustCompile(`Updated [^·"]*`)

// TestCancelDrawsTheCardFromThePress: a Cancel press reads the version and
// the open submissions at once, cancels, and draws the card from that plus
// the cancel's answer: no read between the cancel and the follow-up to the
// end of CANCELING. The card it draws says what a full reload says, and the
// follow-up still brings Submit back once Apple has finished cancelling.
// /asc cancel does the same for the card showing the submission.
func TestCancelDrawsTheCardFromThePress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.submitted()
	subs := h.sim.Submissions(h.ids.AppID)
	if len(subs) != 1 {
		t.Fatalf("submissions = %+v", subs)
	}
	follow := "GET /v1/reviewSubmissions/" + subs[0].ID
	n := len(h.sim.Requests())
	h.click(userAna, "cancel_submission")
	h.waitFor("the cancel in the thread", h.threadSays("cancelled the review submission"))
	var press []string
	h.waitFor("the follow-up reading the submission", func() bool {
		press = nil
		for _, r := range requestsSince(h.sim, n) {
			if strings.HasPrefix(r, follow) {
				return true
			}
			press = append(press, r)
		}
		return false
	})
	checkRequests(t, "cancel", press, []string{
		"GET /v1/appStoreVersions/" + h.ids.NewVersionID + "?include=app,build,appStoreVersionLocalizations,appStoreVersionPhasedRelease",
		"GET /v1/reviewSubmissions?include=appStoreVersionForReview,items",
		"PATCH /v1/reviewSubmissions/" + subs[0].ID,
	})
	h.waitFor("still canceling", h.cardSays("Apple is still cancelling"))
	// The same card but for its revision and when it was drawn.
	comparable := func() string {
		s, _ := h.cardSnapshot()
		text := strings.ReplaceAll(payloadText(h.mustCard().Blocks), fmt.Sprintf("|%d|", s.Rev), "|rev|")
		return updatedAt.ReplaceAllString(text, "Updated …")
	}
	drawn := comparable()

	// A full reload while Apple is still cancelling draws the same card.
	before, _ := h.cardSnapshot()
	h.click(userAna, "refresh")
	h.waitFor("the reloaded card", func() bool { s, ok := h.cardSnapshot(); return ok && s.Rev > before.Rev })
	if reloaded := comparable(); reloaded != drawn {
		t.Errorf("the card drawn from the cancel:\n%s\ndiffers from a full reload:\n%s", drawn, reloaded)
	}

	h.sim.Tick() // Apple finishes cancelling
	h.waitFor("Submit back by itself", h.hasButton("submit"))
	if strings.Contains(payloadText(h.mustCard().Blocks), "still cancelling") {
		t.Error("the card still says Apple is cancelling")
	}

	// /asc cancel: the same reads and write, the card drawn from them.
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review again", h.cardSays("*Waiting for Review*"))
	subs = h.sim.Submissions(h.ids.AppID)
	second := subs[len(subs)-1].ID
	h.slash(userAna, "cancel KotenOCR")
	h.waitFor("the cancel choices", h.ephemeralSays(userAna, "Cancel version 1.1.0"))
	n = len(h.sim.Requests())
	h.clickEphemeral(userAna, "cancel_open_submission")
	h.waitFor("the command's follow-up reading the submission", func() bool {
		press = nil
		for _, r := range requestsSince(h.sim, n) {
			if strings.HasPrefix(r, "GET /v1/reviewSubmissions/"+second) {
				return true
			}
			press = append(press, r)
		}
		return false
	})
	checkRequests(t, "/asc cancel", press, []string{
		"GET /v1/appStoreVersions/" + h.ids.NewVersionID + "?include=app,build,appStoreVersionLocalizations,appStoreVersionPhasedRelease",
		"GET /v1/reviewSubmissions?include=appStoreVersionForReview,items",
		"PATCH /v1/reviewSubmissions/" + second,
	})
	h.waitFor("still canceling after /asc cancel", h.cardSays("Apple is still cancelling"))
	h.sim.Tick()
	h.waitFor("Submit back after /asc cancel", h.hasButton("submit"))
}
