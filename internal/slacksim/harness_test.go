package slacksim_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/slacksim"

	"github.com/ascbot/ascbot/internal/testclock"
)

const (
	botToken = "xoxb-test-bot"
	appToken = "xapp-test-app"
	user1    = "U1ALICE"
	user2    = "U2BOB"
	chan1    = "C1RELEASES"
)

// handler handles one socket-mode event in the test's fake bot.
type handler func(ctx context.Context, c *socketmode.Client, evt socketmode.Event)

// rig is a slacksim server with a real slack-go socket-mode client.
type rig struct {
	s      *slacksim.Server
	client *socketmode.Client
	api    *slack.Client // a plain Web API client with the bot token
}

// startRig starts a server (users U1ALICE, U2BOB and channel C1RELEASES) and a
// slack-go socket-mode client whose events go to h (each in its goroutine).
func startRig(t testing.TB, opt slacksim.Options, h handler, smOpts ...socketmode.Option) *rig {
	t.Helper()
	if opt.BotToken == "" {
		opt.BotToken = botToken
	}
	if opt.AppToken == "" {
		opt.AppToken = appToken
	}
	s := slacksim.New(opt)
	t.Cleanup(s.Close)
	s.AddUser(user1, "alice")
	s.AddUser(user2, "bob")
	s.AddChannel(chan1, "releases")

	api := slack.New(opt.BotToken, slack.OptionAppLevelToken(opt.AppToken), slack.OptionAPIURL(s.APIURL()))
	client := socketmode.New(api, smOpts...)
	ctx, cancel := context.WithCancel(context.Background())
	var handlers sync.WaitGroup
	runDone := make(chan error, 1)
	loopDone := make(chan struct{})
	go func() { runDone <- client.RunContext(ctx) }()
	go func() {
		defer close(loopDone)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				if h == nil {
					continue
				}
				handlers.Add(1)
				go func() {
					defer handlers.Done()
					h(ctx, client, evt)
				}()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-runDone:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("socketmode RunContext: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("socketmode client did not stop")
		}
		<-loopDone
		handlers.Wait()
	})
	return &rig{s: s, client: client, api: slack.New(opt.BotToken, slack.OptionAPIURL(s.APIURL()))}
}

// ackAll acks every envelope without payload.
func ackAll(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		_ = c.Ack(*evt.Request)
	}
}

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rules returns the rule names of the server's violations.
func rules(s *slacksim.Server) []string {
	var out []string
	for _, err := range s.Violations() {
		var v *slacksim.Violation
		if errors.As(err, &v) {
			out = append(out, v.Rule)
		}
	}
	return out
}

func hasRule(s *slacksim.Server, rule string) bool {
	for _, r := range rules(s) {
		if r == rule {
			return true
		}
	}
	return false
}

// slackErr returns the Slack error code of a slack-go error.
func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func newFakeClock() *testclock.Clock { return testclock.New(time.Unix(1700000000, 0)) }

// triggerCatcher acks slash commands and block actions and hands out their
// trigger_id and response_url.
type triggerCatcher struct {
	triggers chan string
	urls     chan string
}

func newTriggerCatcher() *triggerCatcher {
	return &triggerCatcher{triggers: make(chan string, 16), urls: make(chan string, 16)}
}

func (tc *triggerCatcher) handle(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
	switch d := evt.Data.(type) {
	case slack.SlashCommand:
		tc.triggers <- d.TriggerID
		tc.urls <- d.ResponseURL
	case slack.InteractionCallback:
		if d.Type == slack.InteractionTypeBlockActions {
			tc.triggers <- d.TriggerID
			tc.urls <- d.ResponseURL
		}
	}
	ackAll(context.Background(), c, evt)
}

func (tc *triggerCatcher) next(t *testing.T) (trigger, responseURL string) {
	t.Helper()
	select {
	case trigger = <-tc.triggers:
	case <-time.After(5 * time.Second):
		t.Fatal("no trigger_id received")
	}
	return trigger, <-tc.urls
}
