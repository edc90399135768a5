package slackui

import (
	"errors"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/release"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text    string
		want    parsedCommand
		wantErr string // "usage" or "unknown"
	}{
		{"", parsedCommand{Name: "help"}, ""},
		{"help", parsedCommand{Name: "help"}, ""},
		{"submit KotenOCR 1.1.0", parsedCommand{Name: "submit", App: "KotenOCR", Version: "1.1.0"}, ""},
		{"SUBMIT kotenocr 1.1", parsedCommand{Name: "submit", App: "kotenocr", Version: "1.1"}, ""},
		{`submit "Koten OCR" 2.0.1`, parsedCommand{Name: "submit", App: "Koten OCR", Version: "2.0.1"}, ""},
		{"submit Koten OCR 2.0.1", parsedCommand{Name: "submit", App: "Koten OCR", Version: "2.0.1"}, ""},
		{"submit KotenOCR", parsedCommand{}, "usage"},
		{"submit KotenOCR latest", parsedCommand{}, "usage"},
		{"notes jp.example.kotenocr 1.1.0", parsedCommand{Name: "notes", App: "jp.example.kotenocr", Version: "1.1.0"}, ""},
		{"status", parsedCommand{}, "usage"},
		{"status KotenOCR", parsedCommand{Name: "status", App: "KotenOCR"}, ""},
		{"builds KotenOCR", parsedCommand{Name: "builds", App: "KotenOCR"}, ""},
		{"builds KotenOCR 1.1.0", parsedCommand{Name: "builds", App: "KotenOCR", Version: "1.1.0"}, ""},
		{"release KotenOCR", parsedCommand{Name: "release", App: "KotenOCR"}, ""},
		{"phased KotenOCR pause", parsedCommand{Name: "phased", App: "KotenOCR", Arg: "pause"}, ""},
		{"phased KotenOCR stop", parsedCommand{}, "usage"},
		{"watch KotenOCR <#C0123ABCD|ios-releases>", parsedCommand{Name: "watch", App: "KotenOCR", Arg: "C0123ABCD"}, ""},
		{"watch KotenOCR", parsedCommand{Name: "watch", App: "KotenOCR"}, ""},
		{"deploy KotenOCR", parsedCommand{}, "unknown"},
		{"status Tom &amp; Jerry", parsedCommand{Name: "status", App: "Tom & Jerry"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, got, err := parseCommand(tt.text)
			var ue errUsage
			var uk errUnknown
			switch tt.wantErr {
			case "usage":
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want usage", err)
				}
				return
			case "unknown":
				if !errors.As(err, &uk) {
					t.Fatalf("err = %v, want unknown", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEveryCommandHasAHandlerAndHelp(t *testing.T) {
	help := RenderHelp()
	if len(help) == 0 {
		t.Fatal("no help")
	}
	seen := map[string]bool{}
	for _, c := range commandSpecs {
		if c.Usage == "" || c.Example == "" || c.Summary == "" {
			t.Errorf("%s: incomplete spec", c.Name)
		}
		if (c.Ack == nil) == (c.Run == nil) {
			t.Errorf("%s: want exactly one of Ack (answered in the ack) and Run", c.Name)
		}
		if seen[c.Name] {
			t.Errorf("%s declared twice", c.Name)
		}
		seen[c.Name] = true
	}
}

func TestRedactTicket(t *testing.T) {
	in := `dial tcp: lookup wss://wss-primary.slack.com/link/?ticket=abc-123&app_id=A1: no such host`
	got := redactTicket(in)
	if strings.Contains(got, "abc-123") || !strings.Contains(got, "ticket=[redacted]&app_id=A1") {
		t.Errorf("redactTicket = %q", got)
	}
}

// TestUserMessagesReadAsSentences pins what a person reads when a press or
// a command does not go through.
func TestUserMessagesReadAsSentences(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&release.RefusedError{Action: "pause the phased release of", Reason: "nobody may pause the phased release of KotenOCR: no approvers are configured (set approvers in the ascbot config file)"},
			"🚫 Nobody may pause the phased release of KotenOCR: no approvers are configured (set approvers in the ascbot config file)."},
		{&release.RefusedError{Action: "release", Reason: "only <@U0BOB> may release KotenOCR"}, "🚫 Only <@U0BOB> may release KotenOCR."},
		{&release.BlockedError{Reasons: []string{"App Store Connect refused: You cannot create a new version of the App in the current state."}},
			"✋ App Store Connect refused: You cannot create a new version of the App in the current state."},
		{&release.BlockedError{Reasons: []string{"no build attached", "What's New missing for ja"}}, "✋ No build attached; What's New missing for ja."},
		{&release.DoneError{By: "U0BOB", Result: "released"}, "✓ That was already done by <@U0BOB>: released."},
		{errors.New("reading version v1: HTTP 500."), "⚠ Something went wrong talking to App Store Connect: reading version v1: HTTP 500. Nothing was lost; try again in a moment."},
	}
	for _, tt := range tests {
		if got := userMessage(tt.err); got != tt.want {
			t.Errorf("userMessage(%v)\n got %q\nwant %q", tt.err, got, tt.want)
		}
	}
}
