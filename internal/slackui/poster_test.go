package slackui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
// testSecond is the length of a Slack second (rate limits, Retry-After) for
// the poster and the Slack stand-in in these tests: both run Slack's limits
// ten times faster, the stand-in enforcing what the poster keeps to.
const testSecond = 100 * time.Millisecond

func TestEveryWebAPICallHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	const (
		token   = "xoxb-poster-test"
		channel = "C0POSTER"
		user    = "U0ANA"
		wait    = time.Second
	)
	sim := slacksim.New(slacksim.Options{BotToken: token, AppToken: "xapp-poster-test", RateSecond: testSecond,
		OnViolation: func(err error) { t.Errorf("slack rule broken: %v", err) }})
	t.Cleanup(sim.Close)
	sim.AddUser(user, "ana")
	sim.AddChannel(channel, "releases")
	sim.SetUserGroup("S0REL", user)
	p := newPoster(slack.New(token, slack.OptionAPIURL(sim.APIURL())), slog.New(slog.DiscardHandler), testSecond)
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
			// Retry-After counts Slack seconds, testSecond long here.
			if d, held := a.at.Sub(attempts[0].at), p.scale(wait); d < held {
				t.Errorf("%s: a call reached Slack %v after the 429, inside its Retry-After of %v", tc.method, d, held)
			}
		}
	}
}

// TestPostsKeepToTheChannelRate posts more than a burst into one channel at
// once. The Slack stand-in enforces Slack's one message a second per channel
// on the same (shortened) second as the poster: the poster's posts all get
// through with no breach, while the same posts sent past the limiter are
// refused and reported — so a bot that stopped pacing would fail.
func TestPostsKeepToTheChannelRate(t *testing.T) {
	t.Parallel()
	const (
		token = "xoxb-rate-test"
		n     = 12
	)
	var mu sync.Mutex
	var broken []error
	sim := slacksim.New(slacksim.Options{BotToken: token, AppToken: "xapp-rate-test", RateSecond: testSecond,
		OnViolation: func(err error) { mu.Lock(); broken = append(broken, err); mu.Unlock() }})
	t.Cleanup(sim.Close)
	sim.AddChannel("C0PACED", "paced")
	sim.AddChannel("C0UNPACED", "unpaced")
	api := slack.New(token, slack.OptionAPIURL(sim.APIURL()))
	p := newPoster(api, slog.New(slog.DiscardHandler), testSecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := p.post(ctx, "C0PACED", slack.MsgOptionText(fmt.Sprintf("step %d", i), false)); err != nil {
				t.Errorf("paced post %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := len(sim.Messages("C0PACED")); got != n {
		t.Errorf("%d messages in the channel, want %d", got, n)
	}
	// A burst of channelPostBurst, then one a (test) second.
	if d, least := time.Since(start), time.Duration(n-channelPostBurst-1)*testSecond; d < least {
		t.Errorf("%d posts took %v: faster than one a second after the burst (at least %v)", n, d, least)
	}
	mu.Lock()
	if len(broken) > 0 {
		t.Errorf("the poster broke Slack's rate: %v", broken[0])
	}
	mu.Unlock()

	refused := 0
	for i := range n {
		_, _, err := api.PostMessageContext(ctx, "C0UNPACED", slack.MsgOptionText(fmt.Sprintf("flood %d", i), false))
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			refused++
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if refused == 0 || len(broken) != refused {
		t.Errorf("%d unpaced posts: %d refused, %d breaches reported; want the ones past Slack's burst refused and each reported", n, refused, len(broken))
	}
	for _, v := range broken {
		if !strings.Contains(v.Error(), "ratelimited") {
			t.Errorf("breach %v; want ratelimited", v)
		}
	}
}
