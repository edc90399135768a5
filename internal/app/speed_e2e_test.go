package app_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/asc/ascsim"
)

// requestsSince lists the App Store Connect requests after the first n, as
// "METHOD path" (include=… appended for GETs that ask for one).
func requestsSince(sim *ascsim.Server, n int) []string {
	var out []string
	for _, r := range sim.Requests()[n:] {
		line := r.Method + " " + r.Path
		if q, _ := url.ParseQuery(r.Query); q.Get("include") != "" {
			line += "?include=" + q.Get("include")
		}
		out = append(out, line)
	}
	return out
}

// TestPressReadsOnlyWhatItActsOn pins what each press costs in App Store
// Connect requests: one round of reads of what the press acts on, then its
// writes; the card afterwards is drawn without reading Apple again.
func TestPressReadsOnlyWhatItActsOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	n := len(h.sim.Requests())
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.mustCard()
	card := requestsSince(h.sim, n)
	// The app list (to resolve the name), then four compound reads.
	if len(card) != 5 || card[0] != "GET /v1/apps" {
		t.Errorf("/asc submit made %d requests, want 5:\n%s", len(card), strings.Join(card, "\n"))
	}

	n = len(h.sim.Requests())
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	want := []string{
		"GET /v1/appStoreVersions/" + h.ids.NewVersionID + "?include=app,build,appStoreVersionLocalizations,appStoreVersionPhasedRelease",
		"GET /v1/builds?include=preReleaseVersion",
		"GET /v1/reviewSubmissions?include=appStoreVersionForReview,items",
		"PATCH /v1/appStoreVersions/" + h.ids.NewVersionID + "/relationships/build",
	}
	checkRequests(t, "attach", requestsSince(h.sim, n), want)

	h.fillNotes(userAna)
	n = len(h.sim.Requests())
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review on the card", h.cardSays("Waiting for Review"))
	h.waitFor("the submit step in the thread", h.threadSays("submitted for review"))
	subs := h.sim.Submissions(h.ids.AppID)
	if len(subs) != 1 {
		t.Fatalf("submissions = %+v", subs)
	}
	want = []string{
		"GET /v1/appStoreVersions/" + h.ids.NewVersionID + "?include=app,build,appStoreVersionLocalizations,appStoreVersionPhasedRelease",
		"GET /v1/reviewSubmissions?include=appStoreVersionForReview,items",
		"POST /v1/reviewSubmissions",
		"POST /v1/reviewSubmissionItems",
		"PATCH /v1/reviewSubmissions/" + subs[0].ID,
	}
	checkRequests(t, "submit", requestsSince(h.sim, n), want)
}

// checkRequests compares requests with want: the reads (GETs) in any order,
// as they run at once, then the writes in order.
func checkRequests(t *testing.T, what string, got, want []string) {
	t.Helper()
	var gotReads, gotWrites, wantReads, wantWrites []string
	for _, r := range got {
		if strings.HasPrefix(r, "GET ") {
			gotReads = append(gotReads, r)
		} else {
			gotWrites = append(gotWrites, r)
		}
	}
	for _, r := range want {
		if strings.HasPrefix(r, "GET ") {
			wantReads = append(wantReads, r)
		} else {
			wantWrites = append(wantWrites, r)
		}
	}
	same := len(gotReads) == len(wantReads) && fmt.Sprint(gotWrites) == fmt.Sprint(wantWrites)
	for _, w := range wantReads {
		found := false
		for _, g := range gotReads {
			found = found || g == w
		}
		same = same && found
	}
	if !same {
		t.Errorf("%s made these requests:\n%s\nwant (reads in any order):\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPressShowsProgressThenResult: a press that goes to Apple first
// replaces the card's buttons with what it is doing, reports each step, and
// ends with the result; a long operation on an ephemeral answer says which
// step of how many it is at.
func TestPressShowsProgressThenResult(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.mustCard()
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	h.fillNotes(userAna)
	m := h.mustCard()
	before := len(h.slack.Calls("chat.update"))
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review on the card", h.cardSays("Waiting for Review"))

	var seen []string
	for _, c := range h.slack.Calls("chat.update")[before:] {
		if c.Param("ts") != m.TS {
			continue
		}
		blocks := payloadText([]byte(c.Param("blocks")))
		switch {
		case strings.Contains(blocks, "⏳"):
			start := strings.Index(blocks, "⏳")
			end := strings.Index(blocks[start:], "…")
			if end < 0 {
				end = len(blocks) - start
			}
			seen = append(seen, blocks[start:start+end])
			if strings.Contains(blocks, `"submit"`) {
				t.Errorf("a card in progress still offers Submit: %s", blocks)
			}
		case strings.Contains(blocks, "Waiting for Review"):
			seen = append(seen, "Waiting for Review")
		}
	}
	want := "⏳ Submitting for review|⏳ Opening a review submission (step 1 of 3)|⏳ Adding 1.1.0 to the review submission (step 2 of 3)|⏳ Sending it to App Review (step 3 of 3)|Waiting for Review"
	if got := strings.Join(seen, "|"); got != want {
		t.Errorf("the card went through\n%s\nwant\n%s", got, want)
	}

	h.slash(userBob, "availability KotenOCR")
	h.waitFor("availability for Bob", h.ephemeralSays(userBob, "is available in *2 of"))
	h.clickEphemeral(userBob, "make_available")
	h.waitFor("available everywhere", h.ephemeralSays(userBob, "is now available in all"))
	var steps []string
	for _, p := range h.slack.ResponseURLPosts() {
		if p.User == userBob && p.ReplaceOriginal {
			steps = append(steps, p.Text)
		}
	}
	n := len(h.sim.Territories())
	want = fmt.Sprintf("⏳ Reading the list of territories (step 1 of 2)…|⏳ Making KotenOCR available in %d territories (step 2 of 2)…|✓ KotenOCR is now available in all %d territories, and in new ones as Apple adds them.", n, n)
	if got := strings.Join(steps, "|"); got != want {
		t.Errorf("the availability answer went through\n%s\nwant\n%s", got, want)
	}
}

// TestPressRightAfterRestartShowsProgress: a bot that has just started has
// no view of the version to draw its card from; a press still replaces the
// card's buttons with its step at once, from the message Slack sent.
func TestPressRightAfterRestartShowsProgress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	m := h.mustCard()
	h.stop()
	h.start()

	before := len(h.slack.Calls("chat.update"))
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	var seen []string
	for _, c := range h.slack.Calls("chat.update")[before:] {
		if c.Param("ts") != m.TS {
			continue
		}
		blocks := payloadText([]byte(c.Param("blocks")))
		switch {
		case strings.Contains(blocks, "⏳ Attaching build 4…"):
			seen = append(seen, "progress")
			if strings.Contains(blocks, "attach_build") {
				t.Errorf("the card in progress still offers builds: %s", blocks)
			}
		case strings.Contains(blocks, "✓ Build 4"):
			seen = append(seen, "attached")
		}
	}
	if got := strings.Join(seen, ","); got != "progress,attached" {
		t.Errorf("the card went through %q, want progress then attached", got)
	}
	if n := h.ephemeralCount(userAna, "⏳"); n != 0 {
		t.Errorf("%d progress lines went to the presser privately; the card shows it", n)
	}
}
