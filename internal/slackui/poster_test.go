package slackui

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/slacksim"
)

// TestEveryWebAPICallHonoursRetryAfter injects one 429 (Retry-After: 1 s)
// through the Slack stand-in on each kind of call the bot makes, then makes
// three such calls at once. Every call must get through, and none — not only
// the refused one — may reach Slack again before the Retry-After is over.
func TestEveryWebAPICallHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	const (
		token   = "xoxb-poster-test"
		channel = "C0POSTER"
		user    = "U0ANA"
		wait    = time.Second
	)
	sim := slacksim.New(slacksim.Options{BotToken: token, AppToken: "xapp-poster-test",
		OnViolation: func(err error) { t.Errorf("slack rule broken: %v", err) }})
	t.Cleanup(sim.Close)
	sim.AddUser(user, "ana")
	sim.AddChannel(channel, "releases")
	sim.SetUserGroup("S0REL", user)
	p := newPoster(slack.New(token, slack.OptionAPIURL(sim.APIURL())), slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	ts, err := p.post(ctx, channel, slack.MsgOptionText("a card", false))
	if err != nil {
		t.Fatal(err)
	}
	opened, err := p.openView(ctx, sim.IssueTrigger(user), loadingModal("What's New"))
	if err != nil {
		t.Fatal(err)
	}
	rurl := sim.IssueResponseURL(user, channel)

	tests := []struct {
		method string
		call   func(i int) error
	}{
		{"chat.postMessage", func(i int) error {
			// Three channels: the per-channel limiter must not be what spaces them.
			ch := []string{channel, "C0POSTER2", "C0POSTER3"}[i]
			_, err := p.post(ctx, ch, slack.MsgOptionText("step", false))
			return err
		}},
		{"chat.update", func(int) error { return p.update(ctx, channel, ts, slack.MsgOptionText("card, updated", false)) }},
		{"chat.postEphemeral", func(int) error { return p.ephemeral(ctx, channel, user, slack.MsgOptionText("only you", false)) }},
		{slacksim.ResponseURLMethod, func(int) error { return p.respond(ctx, rurl, false, reply{Text: "answer"}) }},
		{"views.update", func(int) error { return p.updateView(ctx, messageModal("What's New", "done"), opened.ID) }},
		{"views.open", func(int) error {
			_, err := p.openView(ctx, sim.IssueTrigger(user), loadingModal("What's New"))
			return err
		}},
		{"views.publish", func(int) error {
			return p.publishView(ctx, slack.PublishViewContextRequest{UserID: user, View: RenderHome(nil, "", false, time.Now())})
		}},
		{"usergroups.users.list", func(int) error {
			_, err := groupLookup{p: p}.GroupMembers(ctx, "S0REL")
			return err
		}},
	}
	sim.AddChannel("C0POSTER2", "releases-2")
	sim.AddChannel("C0POSTER3", "releases-3")
	for _, tc := range tests {
		sim.InjectRateLimit(tc.method, wait, 1)
		start := time.Now()
		errs := make([]error, 3)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); errs[0] = tc.call(0) }()
		// Once the first call's 429 has come back, the method is held:
		// two more callers arrive while it is.
		l := p.method(tc.method)
		for l.heldUntil().IsZero() || l.heldUntil().Before(start) {
			select {
			case <-ctx.Done():
				t.Fatalf("%s: the 429 never held the method back", tc.method)
			case <-time.After(time.Millisecond):
			}
		}
		for i := 1; i < 3; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = tc.call(i) }()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s call %d: %v", tc.method, i, err)
			}
		}
		type attempt struct {
			at      time.Time
			limited bool
		}
		var attempts []attempt
		if tc.method == slacksim.ResponseURLMethod {
			for _, r := range sim.ResponseURLPosts() {
				if !r.At.Before(start) {
					attempts = append(attempts, attempt{r.At, r.Error == "ratelimited"})
				}
			}
		} else {
			for _, c := range sim.Calls(tc.method) {
				if !c.At.Before(start) {
					attempts = append(attempts, attempt{c.At, c.Status == 429})
				}
			}
		}
		if len(attempts) != 4 || !attempts[0].limited {
			t.Errorf("%s: attempts %+v; want one 429, then three answered", tc.method, attempts)
			continue
		}
		for _, a := range attempts[1:] {
			if a.limited {
				t.Errorf("%s: a second 429", tc.method)
			}
			if d := a.at.Sub(attempts[0].at); d < wait {
				t.Errorf("%s: a call reached Slack %v after the 429, inside its Retry-After of %v", tc.method, d, wait)
			}
		}
	}
}
