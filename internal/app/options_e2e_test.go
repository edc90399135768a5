package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/slacksim"
)

// Issue 8: release options before submitting, through the real bot.

// optionsView opens the card's Release options and waits for the form.
func (h *harness) optionsView(user string) slacksim.View {
	h.t.Helper()
	h.click(user, "release_options")
	var v slacksim.View
	h.waitFor("the release options form", func() bool {
		for _, o := range h.slack.OpenViews(user) {
			if o.CallbackID == "release_options" && strings.Contains(string(o.Blocks), "rel_type") {
				v = o
				return true
			}
		}
		return false
	})
	return v
}

// saveOptions submits the release options form; it returns Slack's ack payload.
func (h *harness) saveOptions(user string, v slacksim.View, values map[string]map[string]string) string {
	h.t.Helper()
	ack, err := h.slack.SubmitView(h.ctx(), user, v.ID, values)
	if err != nil {
		h.t.Fatalf("saving the release options: %v", err)
	}
	return string(ack.Payload)
}

func tokyoYAML(h *harness) string {
	return fmt.Sprintf("poll: \"@every 1s\"\ntimezone: Asia/Tokyo\napprovers: [\"S0RELEASE\"]\napps:\n  - id: %q\n    channel: %q\n", h.ids.AppID, channel)
}

// TestScheduledReleaseFromTheCard: a scheduled release picked in the team's
// time zone (Asia/Tokyo) reaches Apple in UTC; a past date and a time off
// the hour are refused in the form, nothing sent.
func TestScheduledReleaseFromTheCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("%s", tokyoYAML(h))
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	day := time.Now().In(tokyo).AddDate(0, 0, 3).Format("2006-01-02")
	past := time.Now().In(tokyo).AddDate(0, 0, -1).Format("2006-01-02")

	v := h.optionsView(userAna)
	if ack := h.saveOptions(userAna, v, map[string]map[string]string{"rel_type": {"type": "SCHEDULED"}, "rel_date": {"date": past}, "rel_time": {"time": "15:00"}}); !strings.Contains(ack, "is in the past") {
		t.Fatalf("a past date was not refused in the form: %s", ack)
	}
	if ack := h.saveOptions(userAna, v, map[string]map[string]string{"rel_type": {"type": "SCHEDULED"}, "rel_date": {"date": day}, "rel_time": {"time": "15:30"}}); !strings.Contains(ack, "on the hour") {
		t.Fatalf("15:30 was not refused in the form: %s", ack)
	}
	if sv, _ := h.sim.Version(h.ids.NewVersionID); sv.ReleaseType != "MANUAL" {
		t.Fatalf("a refused form reached Apple: %s", sv.ReleaseType)
	}
	h.saveOptions(userAna, v, map[string]map[string]string{"rel_type": {"type": "SCHEDULED"}, "rel_date": {"date": day}, "rel_time": {"time": "15:00"}})
	h.waitFor("the options in the thread", h.threadSays("set the release options"))
	want, _ := time.ParseInLocation("2006-01-02 15:04", day+" 15:00", tokyo)
	sv, _ := h.sim.Version(h.ids.NewVersionID)
	if sv.ReleaseType != "SCHEDULED" || sv.EarliestReleaseDate == nil || !sv.EarliestReleaseDate.Equal(want) {
		t.Fatalf("version = %s %v, want SCHEDULED %v", sv.ReleaseType, sv.EarliestReleaseDate, want.UTC())
	}
	h.waitFor("the card shows the date in Tokyo time", h.cardSays("no earlier than "+want.Format("Mon 2 Jan 2006")+" 15:00 JST"))

	// Submitted and approved: Apple holds it until the date.
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review", h.cardSays("*Waiting for Review*"))
	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.Approve(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Pending Apple Release", h.cardSays("*Pending Apple Release*"))
}

// TestReleaseOptionsRefusedAfterSubmitting: a form opened before submitting
// and saved after is refused by Apple, and the user reads Apple's reason.
func TestReleaseOptionsRefusedAfterSubmitting(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	h.fillNotes(userAna)
	v := h.optionsView(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review", h.cardSays("*Waiting for Review*"))
	if _, ok := findButton(h.mustCard().Blocks, "release_options"); ok {
		t.Error("the card still offers release options after submitting")
	}
	h.saveOptions(userAna, v, map[string]map[string]string{"rel_type": {"type": "AFTER_APPROVAL"}})
	h.waitFor("Apple's reason", h.ephemeralSays(userAna, "The attribute 'releaseType' can not be modified."))
	if sv, _ := h.sim.Version(h.ids.NewVersionID); sv.ReleaseType != "MANUAL" {
		t.Fatalf("release type = %s, want MANUAL kept", sv.ReleaseType)
	}
}

// TestPhasedReleaseSwitchedOnBeforeSubmitting: phased release set in the
// form before submitting; once released the card shows day 1 of 7. Turning
// it off and on again before submitting works too.
func TestPhasedReleaseSwitchedOnBeforeSubmitting(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.saveOptions(userAna, h.optionsView(userAna), map[string]map[string]string{"rel_type": {"type": "MANUAL"}, "rel_phased": {"phased": "on"}})
	h.waitFor("phased on in the thread", h.threadSays("phased release on"))
	h.saveOptions(userAna, h.optionsView(userAna), map[string]map[string]string{"rel_type": {"type": "MANUAL"}, "rel_phased": {"phased": ""}})
	h.waitFor("phased off in the thread", h.threadSays("phased release off"))
	if _, ok := h.sim.PhasedRelease(h.ids.NewVersionID); ok {
		t.Fatal("phased release still there after switching it off")
	}
	h.saveOptions(userAna, h.optionsView(userAna), map[string]map[string]string{"rel_type": {"type": "MANUAL"}, "rel_phased": {"phased": "on"}})
	h.waitFor("phased on again", func() bool { return h.threadCount("phased release on") == 2 })
	h.waitFor("the card says phased", h.cardSays("Phased release over 7 days starts when the version is released"))

	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review", h.cardSays("*Waiting for Review*"))
	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.tick()
	if err := h.sim.Approve(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("approval announced", func() bool { return h.channelLines("was *approved*") == 1 })
	h.click(userBob, "release")
	h.waitFor("released", h.cardSays("released by <@U0BOB>"))
	if err := h.sim.Distribute(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("day 1 of 7 on the card", h.cardSays("day 1 of 7 · 1 % of users"))
}
