package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slackui"
)

// A bot token Slack refuses is fatal at start (auth.test), within 2 s:
// the bot used to run on, answering nothing while /healthz said ok.
func TestRevokedBotTokenIsFatalAtStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTP())
	h.allowViolation = func(err error) bool { return strings.Contains(err.Error(), "invalid_auth") }
	h.env["SLACK_BOT_TOKEN"] = "xoxb-revoked"
	cfg, err := config.Load(h.getenv, config.ModeNormal)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	ready := false
	err = app.Run(ctx, cfg, app.Options{Ready: func(*app.Runtime) { ready = true }})
	if !errors.Is(err, slackui.ErrFatalSlack) || !strings.Contains(err.Error(), "invalid_auth") || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") {
		t.Fatalf("Run = %v, want a fatal invalid_auth error naming SLACK_BOT_TOKEN", err)
	}
	if ready {
		t.Error("the bot started serving with a token Slack refuses")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run returned after %v, want within 2s", d)
	}
	if n := len(h.slack.Calls("auth.test")); n != 1 {
		t.Errorf("auth.test called %d times, want once", n)
	}
}
