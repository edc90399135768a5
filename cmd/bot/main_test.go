package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunRefusesBadConfigurationWithOneLine(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no credentials", map[string]string{}, nil, "SLACK_APP_TOKEN"},
		{"wrong bot token", map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxp-secret-value"}, nil, "SLACK_BOT_TOKEN: must start with xoxb-"},
		{"sandbox needs only Slack", map[string]string{"SLACK_APP_TOKEN": "xapp-1"}, []string{"--sandbox"}, "SLACK_BOT_TOKEN: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, func(k string) string { return tt.env[k] }, &out, &errb)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(errb.String(), tt.want) || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
				t.Errorf("stderr = %q, want one line naming %q", errb.String(), tt.want)
			}
			if strings.Contains(errb.String(), "secret-value") {
				t.Error("a token was printed")
			}
		})
	}
}

func TestRunRejectsUnknownArguments(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"deploy"}, func(string) string { return "" }, &out, &errb); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "usage: bot") {
		t.Errorf("stderr = %q, want usage", errb.String())
	}
}

// TestDemoPlaysTheWholeStory runs the demo as `go run ./cmd/bot demo` does
// and checks it tells every step and exits 0.
func TestDemoPlaysTheWholeStory(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes a few seconds")
	}
	var out, errb bytes.Buffer
	if code := runDemo([]string{"--fast"}, &out, &errb); code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{
		"ana typed in #ios-releases: /asc submit KotenOCR 1.1.0",
		"ana pressed [Build 4]",
		"ascbot opened a form for ana",
		"is *In Review*",
		"was *approved*",
		"carol pressed [Release]",
		"only carol sees: 🚫",
		"bob pressed [Release]",
		"is *Ready for Distribution*",
		"✓ Demo complete",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo's transcript lacks %q", want)
		}
	}
}
