package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRunRefusesBadConfiguration: every problem is reported in one run,
// one line each, and exits 2 (what the systemd unit does not restart on).
func TestRunRefusesBadConfiguration(t *testing.T) {
	const ascMissing = "ascbot: config: ASC_KEY_ID: missing\n" +
		"ascbot: config: ASC_ISSUER_ID: missing\n" +
		"ascbot: config: ASC_PRIVATE_KEY_PATH: missing (or set ASC_PRIVATE_KEY)\n"
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no credentials", map[string]string{}, nil, "ascbot: config: SLACK_APP_TOKEN: missing\nascbot: config: SLACK_BOT_TOKEN: missing\n" + ascMissing},
		{"wrong bot token", map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxp-secret-value"}, nil, "ascbot: config: SLACK_BOT_TOKEN: must start with xoxb-\n" + ascMissing},
		{"sandbox needs only Slack", map[string]string{"SLACK_APP_TOKEN": "xapp-1"}, []string{"--sandbox"}, "ascbot: config: SLACK_BOT_TOKEN: missing\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, func(k string) string { return tt.env[k] }, &out, &errb)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if errb.String() != tt.want {
				t.Errorf("stderr\n%s\nwant\n%s", errb.String(), tt.want)
			}
			if strings.Contains(errb.String(), "secret-value") {
				t.Error("a token was printed")
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "usage: bot [--sandbox]"},
		{[]string{"-h"}, "bot demo [--fast]"},
		{[]string{"demo", "--help"}, "Plays ascbot's whole story with no credentials"},
		{[]string{"demo", "-h"}, "-fast"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := run(tt.args, func(string) string { return "" }, &out, &errb); code != 0 {
			t.Errorf("%v: exit %d, want 0", tt.args, code)
		}
		if !strings.Contains(out.String(), tt.want) || errb.Len() != 0 {
			t.Errorf("%v: stdout %q (stderr %q), want the usage on stdout with %q", tt.args, out.String(), errb.String(), tt.want)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"demo", "--slow"}, func(string) string { return "" }, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage: bot demo") {
		t.Errorf("demo --slow: exit %d, stderr %q; want 2 and the usage", code, errb.String())
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
	// Slack's rate limits run ten times faster, for the bot and the Slack
	// stand-in enforcing them alike, and the test polls with the watcher's
	// Tick; `go run ./cmd/bot demo` keeps Slack's limits and the schedule.
	if code := playDemo([]string{"--fast"}, &out, &errb, demoPace{rateSecond: 100 * time.Millisecond, tickEvery: 100 * time.Millisecond}); code != 0 {
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
		"ana types What's New for en-US: Recognises cursive kana",
		"ana saved the form",
		"the form closed",
		"ana pressed [Add to group ▸ Team (internal)]", // the option a person sees, not its id
		"✓ Demo complete",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo's transcript lacks %q", want)
		}
	}
	// Each announcement goes out once, however often the poller reads.
	for _, once := range []string{"is *In Review*.", "*Rejected*.", "was *approved*", "is *Ready for Distribution*",
		"is available to *Team*", "is *Waiting for Beta Review*", "*passed beta review*", "is available to *Public Beta*"} {
		if n := countLines(out.String(), "ascbot posted in #ios-releases: ", once); n != 1 {
			t.Errorf("the channel was told %q %d times; want once", once, n)
		}
	}
	// After a save the form closes; it is not "opened" again.
	if regexp.MustCompile(`saved the form\n\[[^\]]*\] 🤖 ascbot opened a form`).MatchString(out.String()) {
		t.Error("the transcript says the bot opened a form right after it was saved")
	}
	// Each step's events are printed under its own heading, --fast or not.
	sections := strings.Split(out.String(), "── ")
	under := func(heading, want string) {
		for _, s := range sections {
			if strings.HasPrefix(s, heading) {
				if !strings.Contains(s, want) {
					t.Errorf("step %q does not show %q:\n%s", heading, want, s)
				}
				return
			}
		}
		t.Errorf("no step %q", heading)
	}
	under("1. ", "ascbot posted in #ios-releases")
	under("5. ", "is *In Review*")
	// The card says which in-app purchases wait, from approval to the store.
	under("13. ", "In-app purchases still ready to submit")
}

// countLines counts the lines of s holding both prefix and part.
func countLines(s, prefix, part string) int {
	n := 0
	for line := range strings.Lines(s) {
		if strings.Contains(line, prefix) && strings.Contains(line, part) {
			n++
		}
	}
	return n
}
