package slackui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// poster is the one outbound path for messages: a per-channel limiter (Slack
// allows about one message a second per channel, with short bursts) and
// retries that honour Retry-After on 429.
type poster struct {
	api API
	log *slog.Logger

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

func newPoster(api API, log *slog.Logger) *poster {
	return &poster{api: api, log: log, limiters: map[string]*rate.Limiter{}}
}

const maxSlackAttempts = 4

func (p *poster) limiter(channel string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.limiters[channel]
	if !ok {
		l = rate.NewLimiter(rate.Limit(1), 5)
		p.limiters[channel] = l
	}
	return l
}

// retry runs call until it succeeds, fails with something other than a rate
// limit, or has tried maxSlackAttempts times; it sleeps Retry-After between.
func (p *poster) retry(ctx context.Context, method string, call func() error) error {
	for attempt := 1; ; attempt++ {
		err := call()
		var rl *slack.RateLimitedError
		if err == nil || !errors.As(err, &rl) || attempt == maxSlackAttempts {
			if err != nil {
				return fmt.Errorf("calling %s: %w", method, err)
			}
			return nil
		}
		wait := max(rl.RetryAfter, 100*time.Millisecond)
		p.log.Warn("slack rate limited; waiting", "method", method, "retry_after", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("calling %s: %w", method, ctx.Err())
		case <-t.C:
		}
	}
}

func (p *poster) post(ctx context.Context, channel string, opts ...slack.MsgOption) (string, error) {
	if err := p.limiter(channel).Wait(ctx); err != nil {
		return "", fmt.Errorf("waiting to post in %s: %w", channel, err)
	}
	var ts string
	err := p.retry(ctx, "chat.postMessage", func() error {
		var err error
		_, ts, err = p.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

func (p *poster) update(ctx context.Context, channel, ts string, opts ...slack.MsgOption) error {
	return p.retry(ctx, "chat.update", func() error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
}

func (p *poster) ephemeral(ctx context.Context, channel, user string, opts ...slack.MsgOption) error {
	return p.retry(ctx, "chat.postEphemeral", func() error {
		_, err := p.api.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
}

// respond posts to a response_url (ephemeral unless inChannel).
func (p *poster) respond(ctx context.Context, responseURL string, inChannel bool, opts ...slack.MsgOption) error {
	rt := slack.ResponseTypeEphemeral
	if inChannel {
		rt = slack.ResponseTypeInChannel
	}
	opts = append([]slack.MsgOption{slack.MsgOptionResponseURL(responseURL, rt)}, opts...)
	return p.retry(ctx, "response_url", func() error {
		_, _, err := p.api.PostMessageContext(ctx, "", opts...)
		return err
	})
}

// groupLookup resolves Slack user groups (usergroups.users.list) at the
// time of each question, with no cache: membership decides who may release,
// and someone removed from the release group must lose that at once. A
// release is rare and the call is cheap.
type groupLookup struct {
	api API
}

// GroupMembers implements release.GroupResolver.
func (g groupLookup) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	members, err := g.api.GetUserGroupMembersContext(ctx, groupID)
	if err != nil {
		return nil, fmt.Errorf("calling usergroups.users.list for %s: %w", groupID, err)
	}
	return members, nil
}
