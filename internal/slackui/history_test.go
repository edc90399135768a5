package slackui

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/slacksim"
	"github.com/ascbot/ascbot/internal/store"
)

// TestRenderHistory: /asc history writes each audit entry as a sentence
// with the app's name and the version, never ids or state codes.
func TestRenderHistory(t *testing.T) {
	app := asc.App{ID: "6400007919", Name: "KotenOCR"}
	at := func(m int) time.Time { return goldenNow.Add(time.Duration(m) * time.Minute) }
	entries := []store.AuditEntry{
		{At: at(9), User: "U0BOB", Action: "phased-paused", AppID: app.ID, Version: "1.1.0", Result: "ok", Detail: "phased release paused"},
		{At: at(8), User: "U0CAROL", Action: "pause the phased release of", AppID: app.ID, Version: "489fa41e-e894-42b4-a32a-5675f5885db0", Result: "refused", Detail: "not an approver"},
		{At: at(7), Action: "state", AppID: app.ID, Version: "1.1.0", Result: "READY_FOR_DISTRIBUTION", Detail: "Processing for Distribution → Ready for Distribution via poll"},
		{At: at(6), User: "U0BOB", Action: "release", AppID: app.ID, Version: "1.1.0", Result: "ok", Detail: "released"},
		{At: at(5), User: "U0CAROL", Action: "release", AppID: app.ID, Version: "1.1.0", Result: "refused", Detail: "not an approver"},
		{At: at(4), Action: "state", AppID: app.ID, Version: "1.1.0", Result: "IN_REVIEW", Detail: "Waiting for Review → In Review via webhook"},
		{At: at(3), User: "U0ANA", Action: "submit", AppID: app.ID, Version: "1.1.0", Result: "ok", Detail: "submitted for review (submission 9b8353eb-417c-4a25-af8c-01f6e57416ab)"},
		{At: at(2), User: "U0ANA", Action: "submit", AppID: app.ID, Version: "1.1.0", Result: "stale", Detail: "the card was out of date: build 3 is attached now"},
		{At: at(1), User: "U0ANA", Action: "attach-build", AppID: app.ID, Version: "1.1.0", Result: "ok", Detail: "attached build 4"},
		{At: at(0), User: "U0ANA", Action: "show-card", AppID: app.ID, Version: "1.1.0", Result: "ok", Detail: "card in C0RELEASES"},
		{At: at(0), User: "U0ANA", Action: "watch", AppID: app.ID, Result: "ok", Detail: "channel C0RELEASES"},
		{At: at(0), User: "U0ANA", Action: "create-version", AppID: app.ID, Version: "1.2.0", Result: "failed", Detail: "App Store Connect refused: You cannot create a new version of the App in the current state."},
	}
	blocks := RenderHistory(app, entries)
	raw := golden(t, "history", slack.Blocks{BlockSet: blocks})
	if err := slacksim.ValidateMessage("history", raw); err != nil {
		t.Errorf("the history breaks Slack's limits: %v", err)
	}
	text := payloadTextOf(blocks)
	for _, want := range []string{
		"`22 Nov 10:51` <@U0BOB> paused the phased release of KotenOCR 1.1.0.",
		"<@U0CAROL> was refused: they may not pause the phased release of KotenOCR (not an approver).",
		"KotenOCR 1.1.0 moved from Processing for Distribution to Ready for Distribution (seen by the poller).",
		"<@U0ANA> attached build 4 to KotenOCR 1.1.0.",
		"<@U0ANA> posted the card of KotenOCR 1.1.0.",
		"<@U0ANA> pressed a button to submit KotenOCR 1.1.0 for review on an out-of-date card, so nothing was done.",
		"<@U0ANA> started posting the review-state changes of KotenOCR in <#C0RELEASES>.",
		"<@U0ANA> could not create version KotenOCR 1.2.0: App Store Connect refused: You cannot create a new version of the App in the current state.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("history lacks %q:\n%s", want, text)
		}
	}
	for _, raw := range []string{"489fa41e", "READY_FOR_DISTRIBUTION", "attach-build", "show-card", "9b8353eb", "state.."} {
		if strings.Contains(text, raw) {
			t.Errorf("history shows %q:\n%s", raw, text)
		}
	}
}

// payloadTextOf joins the text of section blocks.
func payloadTextOf(blocks []slack.Block) string {
	var b strings.Builder
	for _, bl := range blocks {
		if s, ok := bl.(*slack.SectionBlock); ok && s.Text != nil {
			b.WriteString(s.Text.Text + "\n")
		}
	}
	return b.String()
}
