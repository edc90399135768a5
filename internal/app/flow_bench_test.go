package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/slacksim"
)

// appleLatency is the fixed time the simulator takes to answer every App
// Store Connect request in BenchmarkUpdateFlow; elapsed time divided by it is
// the number of sequential Apple round trips.
const appleLatency = 400 * time.Millisecond

// flowFigures are one run of the update flow, in Apple round trips and requests.
type flowFigures struct {
	card, attach, notesForm, notesSaved, submit, total float64
	submitProgress, cancel                             float64
	requests, gets                                     int
	statusCold, statusWarm, statusFirst                float64
	statusColdReqs, statusWarmReqs, statusFirstReqs    int
}

// BenchmarkUpdateFlow runs the real bot against the simulator answering every
// App Store Connect request after 400 ms, with a person who presses each
// button the moment it appears: /asc submit → attach build 4 → What's New →
// save the form → Submit for review → "Waiting for Review" on the card; then
// /asc status right after (warm), Cancel submission pressed until the card
// shows the version withdrawn, /asc status on the same bot just restarted on its
// database (cold: no app list in memory), and on a bot started for the first
// time on an empty database (first run). It reports round trips
// (elapsed / 400 ms) per step and requests per flow.
//
//	go test -run '^$' -bench BenchmarkUpdateFlow -benchtime 1x ./internal/app
func BenchmarkUpdateFlow(b *testing.B) {
	var sum flowFigures
	for range b.N {
		f := runUpdateFlow(b)
		sum.card += f.card
		sum.attach += f.attach
		sum.notesForm += f.notesForm
		sum.notesSaved += f.notesSaved
		sum.submit += f.submit
		sum.submitProgress += f.submitProgress
		sum.cancel += f.cancel
		sum.total += f.total
		sum.requests += f.requests
		sum.gets += f.gets
		sum.statusCold += f.statusCold
		sum.statusWarm += f.statusWarm
		sum.statusColdReqs += f.statusColdReqs
		sum.statusWarmReqs += f.statusWarmReqs
		sum.statusFirst += f.statusFirst
		sum.statusFirstReqs += f.statusFirstReqs
	}
	n := float64(b.N)
	b.ReportMetric(sum.card/n, "rt-card")
	b.ReportMetric(sum.attach/n, "rt-attach")
	b.ReportMetric(sum.notesForm/n, "rt-notes-form")
	b.ReportMetric(sum.notesSaved/n, "rt-notes-saved")
	b.ReportMetric(sum.submit/n, "rt-submit")
	b.ReportMetric(sum.submitProgress/n, "rt-submit-progress")
	b.ReportMetric(sum.total/n, "rt-waiting-for-review")
	b.ReportMetric(sum.cancel/n, "rt-cancel")
	b.ReportMetric(float64(sum.requests)/n, "req/flow")
	b.ReportMetric(float64(sum.gets)/n, "get/flow")
	b.ReportMetric(sum.statusCold/n, "rt-status-cold")
	b.ReportMetric(float64(sum.statusColdReqs)/n, "req/status-cold")
	b.ReportMetric(sum.statusWarm/n, "rt-status-warm")
	b.ReportMetric(float64(sum.statusWarmReqs)/n, "req/status-warm")
	b.ReportMetric(sum.statusFirst/n, "rt-status-first-run")
	b.ReportMetric(float64(sum.statusFirstReqs)/n, "req/status-first-run")
	b.ReportMetric(0, "ns/op")
}

// roundTrips converts an elapsed time into Apple round trips.
func roundTrips(d time.Duration) float64 {
	return float64(d.Milliseconds()) / float64(appleLatency.Milliseconds())
}

// cardSnapshot returns the snapshot carried by the card's buttons (any one).
func (h *harness) cardSnapshot() (release.Snapshot, bool) {
	m, ok := h.card()
	if !ok {
		return release.Snapshot{}, false
	}
	for _, bt := range buttons(m.Blocks) {
		if s, err := release.ParseSnapshot(bt.Value); err == nil {
			return s, true
		}
	}
	return release.Snapshot{}, false
}

func runUpdateFlow(b *testing.B) flowFigures {
	b.StopTimer()
	var f flowFigures
	h := newHarness(b)
	h.start()
	h.sim.SetLatency(appleLatency)
	h.sim.ResetRequests()
	b.StartTimer()

	start := time.Now()
	mark := start
	step := func(what string, cond func() bool) float64 {
		h.waitFor(what, cond)
		now := time.Now()
		rt := roundTrips(now.Sub(mark))
		mark = now
		return rt
	}
	press := func(prefix string) {
		m, _ := h.card()
		bt, ok := findButton(m.Blocks, prefix)
		if !ok {
			b.Fatalf("the card offers no %q button; it offers %v", prefix, buttons(m.Blocks))
		}
		mark = time.Now()
		if _, err := h.slack.ClickButton(h.ctx(), userAna, channel, m.TS, bt.ActionID, bt.Value); err != nil {
			b.Fatalf("pressing %s: %v", bt.Text, err)
		}
	}
	hasButton := func(prefix string) func() bool {
		return func() bool {
			m, ok := h.card()
			if !ok {
				return false
			}
			_, has := findButton(m.Blocks, prefix)
			return has
		}
	}

	if _, err := h.slack.SlashCommand(h.ctx(), userAna, channel, "submit KotenOCR 1.1.0"); err != nil {
		b.Fatal(err)
	}
	f.card = step("the card", hasButton("attach_build_"+h.ids.Build4ID))

	press("attach_build_" + h.ids.Build4ID)
	f.attach = step("build 4 on the card", func() bool {
		s, ok := h.cardSnapshot()
		return ok && s.BuildID == h.ids.Build4ID && hasButton("open_notes")()
	})

	press("open_notes")
	var v slacksim.View
	f.notesForm = step("the What's New form", func() bool {
		for _, o := range h.slack.OpenViews(userAna) {
			if o.CallbackID == "notes" {
				v = o
				return true
			}
		}
		return false
	})

	mark = time.Now()
	if _, err := h.slack.SubmitView(h.ctx(), userAna, v.ID, map[string]map[string]string{
		"notes_en-US": {"text": "Recognises cursive kana twice as fast."},
		"notes_ja":    {"text": "くずし字の認識が2倍速くなりました。"},
		"encryption":  {"answer": "no"},
	}); err != nil {
		b.Fatal(err)
	}
	f.notesSaved = step("Submit for review on the card", hasButton("submit"))

	press("submit")
	h.waitFor("progress on the card", func() bool {
		m, ok := h.card()
		return ok && (strings.Contains(payloadText(m.Blocks), "⏳") || strings.Contains(payloadText(m.Blocks), "Waiting for Review"))
	})
	f.submitProgress = roundTrips(time.Since(mark))
	f.submit = step("Waiting for Review on the card", func() bool {
		s, ok := h.cardSnapshot()
		m, _ := h.card()
		return ok && s.State == "WAITING_FOR_REVIEW" && strings.Contains(payloadText(m.Blocks), "Waiting for Review")
	})
	f.total = roundTrips(mark.Sub(start))
	for _, r := range h.sim.Requests() {
		f.requests++
		if r.Method == "GET" {
			f.gets++
		}
	}

	// /asc status, warm (the bot has just read this app).
	f.statusWarm, f.statusWarmReqs = h.timeStatus(b)

	press("cancel_submission")
	f.cancel = step("Developer Rejected on the card", func() bool {
		s, ok := h.cardSnapshot()
		return ok && s.State == "DEVELOPER_REJECTED"
	})
	b.StopTimer()
	h.sim.Tick() // Apple finishes cancelling: the bot's follow-up ends
	h.waitFor("Submit back after the cancel", hasButton("submit"))
	h.stop()

	// /asc status on the same bot just restarted: nothing in memory, its
	// database as it was (a deploy, a crash).
	h.sim.SetLatency(0)
	h.start()
	h.sim.SetLatency(appleLatency)
	b.StartTimer()
	f.statusCold, f.statusColdReqs = h.timeStatus(b)
	b.StopTimer()
	h.stop()

	// /asc status on a bot started for the first time (empty database).
	h2 := newHarness(b)
	h2.start()
	h2.sim.SetLatency(appleLatency)
	b.StartTimer()
	f.statusFirst, f.statusFirstReqs = h2.timeStatus(b)
	b.StopTimer()
	h2.stop()
	b.StartTimer()
	return f
}

// timeStatus runs /asc status KotenOCR and returns its round trips and requests.
func (h *harness) timeStatus(b *testing.B) (float64, int) {
	h.sim.ResetRequests()
	before := len(h.slack.Ephemerals(userAna))
	start := time.Now()
	if _, err := h.slack.SlashCommand(h.ctx(), userAna, channel, "status KotenOCR"); err != nil {
		b.Fatal(err)
	}
	h.waitFor("the status", func() bool {
		es := h.slack.Ephemerals(userAna)
		for _, m := range es[min(before, len(es)):] {
			if strings.Contains(string(m.Blocks), "Live:") {
				return true
			}
		}
		return false
	})
	return roundTrips(time.Since(start)), len(h.sim.Requests())
}
