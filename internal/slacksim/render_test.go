package slacksim_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/slacksim"
)

func mustBlocks(t testing.TB, blocks ...slack.Block) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRenderText(t *testing.T) {
	md := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("mrkdwn", s, false, false) }
	approve := button("approve", "1", "Approve")
	approve.Style = slack.StylePrimary
	reject := button("reject", "1", "Reject")
	reject.Style = slack.StyleDanger
	sel := slack.NewOptionsSelectBlockElement("static_select", plain("Choose build"), "build",
		slack.NewOptionBlockObject("42", plain("Build 42"), nil))
	notes := slack.NewPlainTextInputBlockElement(plain("What's new"), "notes_input")
	prefilled := slack.NewPlainTextInputBlockElement(nil, "version_input")
	prefilled.InitialValue = "1.2.3"

	tests := []struct {
		name   string
		blocks json.RawMessage
		want   string
	}{
		{
			name: "release card",
			blocks: mustBlocks(t,
				slack.NewHeaderBlock(plain("MyApp 1.2.3 (42)")),
				slack.NewSectionBlock(md("*Waiting for review*"), []*slack.TextBlockObject{md("*Platform*\niOS"), md("*Phased*\nyes")}, nil),
				slack.NewContextBlock("ctx", md("submitted by <@U1>"), md("2 min ago")),
				slack.NewDividerBlock(),
				slack.NewActionBlock("act", approve, reject, button("details", "1", "Details"), sel),
			),
			want: "# MyApp 1.2.3 (42)\n" +
				"*Waiting for review*\n" +
				"  *Platform*\n  iOS\n" +
				"  *Phased*\n  yes\n" +
				"  ~ submitted by <@U1> · 2 min ago\n" +
				"----------------------------------------\n" +
				"[*Approve*] [!Reject!] [Details] [Choose build v]",
		},
		{
			name: "inputs and accessory",
			blocks: mustBlocks(t,
				slack.NewSectionBlock(md("Build 42"), nil, slack.NewAccessory(button("pick", "42", "Pick"))),
				slack.NewInputBlock("notes", plain("Release notes"), nil, notes),
				slack.NewInputBlock("version", plain("Version"), nil, prefilled),
			),
			want: "Build 42\n[Pick]\n<Release notes: (What's new)>\n<Version: 1.2.3>",
		},
		{name: "empty", blocks: nil, want: ""},
		{name: "unknown block", blocks: json.RawMessage(`[{"type":"hologram"}]`), want: "[hologram]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := slacksim.RenderText(tc.blocks); got != tc.want {
				t.Errorf("RenderText =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestRenderView(t *testing.T) {
	v := slacksim.View{Title: "Submit", Submit: "Send", Close: "Cancel",
		Blocks: mustBlocks(t, slack.NewSectionBlock(plain("Sure?"), nil, nil))}
	want := "[[ Submit ]]\nSure?\n[Cancel] [*Send*]"
	if got := slacksim.RenderView(v); got != want {
		t.Errorf("RenderView =\n%s\nwant\n%s", got, want)
	}
	if got := slacksim.RenderText(json.RawMessage(`[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"hi "},{"type":"user","user_id":"U1"}]}]}]`)); !strings.Contains(got, "hi <@U1>") {
		t.Errorf("rich_text = %q", got)
	}
}
