package slackui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// poster is the one outbound path to Slack's Web API: every call the bot
// makes (post, update, ephemeral, response_url, views, user groups) goes
// through a limiter for its method, sized from Slack's published tier, and
// chat.postMessage also through a per-channel limiter (about one message a
// second per channel). When Slack answers 429, the method's Retry-After
// holds back every caller of that method, not only the one refused — the
// approach of argoproj/notifications-engine (which slows the shared limiter
// to one call per Retry-After), made stricter: nobody calls that method
// before the time Slack named.
type poster struct {
	api API
	log *slog.Logger
	// web posts to response_urls (see respond).
	web *http.Client

	// second is how long one second of Slack's rate limits lasts: time.Second
	// for the real bot; tests shorten it, and give the Slack stand-in the
	// same value, so both the limits and their enforcement run faster
	// together. Every rate and Retry-After is counted in it.
	second time.Duration

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // per channel, chat.postMessage
	methods  map[string]*methodLimiter
}

// newPoster returns a poster pacing calls to Slack's limits, with second as
// the length of Slack's second (0: time.Second).
func newPoster(api API, log *slog.Logger, second time.Duration) *poster {
	if second <= 0 {
		second = time.Second
	}
	return &poster{api: api, log: log, web: &http.Client{Timeout: 30 * time.Second}, second: second, limiters: map[string]*rate.Limiter{}, methods: map[string]*methodLimiter{}}
}

// perSecond is n per Slack second as a rate.Limit.
func (p *poster) perSecond(n float64) rate.Limit {
	return rate.Limit(n * float64(time.Second) / float64(p.second))
}

// scale turns a duration Slack named (a Retry-After) into the poster's time.
func (p *poster) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * float64(p.second) / float64(time.Second))
}

const maxSlackAttempts = 4

// Outbound Web API methods; respondMethod is a post to a response_url.
const (
	methodPost        = "chat.postMessage"
	methodUpdate      = "chat.update"
	methodEphemeral   = "chat.postEphemeral"
	methodViewsOpen   = "views.open"
	methodViewsUpdate = "views.update"
	methodViewsPub    = "views.publish"
	methodGroupUsers  = "usergroups.users.list"
	respondMethod     = "response_url"
)

// perMinute is each method's budget per minute, from Slack's tiers (Tier 2
// 20+, Tier 3 50+, Tier 4 100+; chat.postMessage is "special": one a second
// per channel within a workspace-wide limit of several hundred a minute). A
// response_url has no tier (each allows 5 uses in 30 minutes, which callers
// respect): only a Retry-After holds it back.
var perMinute = map[string]int{
	methodPost:        300,
	methodUpdate:      50,
	methodEphemeral:   100,
	methodViewsOpen:   100,
	methodViewsUpdate: 100,
	methodViewsPub:    100,
	methodGroupUsers:  20,
}

// chat.postMessage in one channel: Slack allows about one message a second,
// "allowing for short bursts" (docs.slack.dev chat.postMessage, Rate
// limiting); the burst of 5 is the bot's own choice (Slack names none).
const (
	channelPostsPerSecond = 1
	channelPostBurst      = 5
)

// methodLimiter paces one Web API method and holds it back after a 429.
type methodLimiter struct {
	lim *rate.Limiter

	mu    sync.Mutex
	until time.Time // no call before this (Slack's Retry-After)
}

func (p *poster) newMethodLimiter(method string) *methodLimiter {
	n, ok := perMinute[method]
	if !ok {
		return &methodLimiter{lim: rate.NewLimiter(rate.Inf, 1)}
	}
	// A minute's budget may go at once (Slack allows bursts); sustained
	// use is held to the tier.
	return &methodLimiter{lim: rate.NewLimiter(p.perSecond(float64(n)/60), n)}
}

// wait blocks until a call may go: after any Retry-After in force, and
// within the method's rate.
func (l *methodLimiter) wait(ctx context.Context) error {
	for {
		if err := sleepUntil(ctx, l.heldUntil()); err != nil {
			return err
		}
		if err := l.lim.Wait(ctx); err != nil {
			return err
		}
		// A 429 may have come back while this caller waited for a token.
		if !time.Now().Before(l.heldUntil()) {
			return nil
		}
	}
}

func (l *methodLimiter) heldUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until
}

// holdFor makes every caller of the method wait d from now.
func (l *methodLimiter) holdFor(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := time.Now().Add(d); t.After(l.until) {
		l.until = t
	}
}

// sleepUntil waits until t or until ctx is done.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func (p *poster) method(name string) *methodLimiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.methods[name]
	if !ok {
		l = p.newMethodLimiter(name)
		p.methods[name] = l
	}
	return l
}

func (p *poster) limiter(channel string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.limiters[channel]
	if !ok {
		l = rate.NewLimiter(p.perSecond(channelPostsPerSecond), channelPostBurst)
		p.limiters[channel] = l
	}
	return l
}

// retry runs call through method's limiter until it succeeds, fails with
// something other than a rate limit, or has tried maxSlackAttempts times. A
// 429 holds the whole method back for its Retry-After.
func (p *poster) retry(ctx context.Context, method string, call func() error) error {
	l := p.method(method)
	for attempt := 1; ; attempt++ {
		if err := l.wait(ctx); err != nil {
			return fmt.Errorf("waiting to call %s: %w", method, err)
		}
		err := call()
		var rl *slack.RateLimitedError
		if err == nil || !errors.As(err, &rl) || attempt == maxSlackAttempts {
			if err != nil {
				return fmt.Errorf("calling %s: %w", method, err)
			}
			return nil
		}
		wait := p.scale(max(rl.RetryAfter, 100*time.Millisecond))
		p.log.Warn("slack rate limited; holding the method back", "method", method, "retry_after", wait)
		l.holdFor(wait)
	}
}

func (p *poster) post(ctx context.Context, channel string, opts ...slack.MsgOption) (string, error) {
	if err := p.limiter(channel).Wait(ctx); err != nil {
		return "", fmt.Errorf("waiting to post in %s: %w", channel, err)
	}
	var ts string
	err := p.retry(ctx, methodPost, func() error {
		var err error
		_, ts, err = p.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

func (p *poster) update(ctx context.Context, channel, ts string, opts ...slack.MsgOption) error {
	return p.retry(ctx, methodUpdate, func() error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
}

func (p *poster) ephemeral(ctx context.Context, channel, user string, opts ...slack.MsgOption) error {
	return p.retry(ctx, methodEphemeral, func() error {
		_, err := p.api.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
}

// respond posts to a response_url (ephemeral unless inChannel).
// reply is a message sent in an ack or to a response_url, in the shape
// Slack documents. It replaces slack.Msg there: slack-go serialises Msg's
// metadata even when empty ({"event_type":"","event_payload":null}), which
// Slack's type definitions reject (both fields are required).
type reply struct {
	ResponseType    string        `json:"response_type,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
}

// ephemeralMsg is a reply only the user who acted sees.
func ephemeralMsg(text string, blocks []slack.Block) reply {
	return reply{ResponseType: slack.ResponseTypeEphemeral, Text: text, Blocks: blocks}
}

// respond posts r to a response_url (in the channel when inChannel).
func (p *poster) respond(ctx context.Context, responseURL string, inChannel bool, r reply) error {
	r.ResponseType = slack.ResponseTypeEphemeral
	if inChannel {
		r.ResponseType = slack.ResponseTypeInChannel
	}
	return p.retry(ctx, respondMethod, func() error { return p.postResponse(ctx, responseURL, r) })
}

// replaceOriginal replaces the message a response_url belongs to.
func (p *poster) replaceOriginal(ctx context.Context, responseURL string, r reply) error {
	r.ResponseType, r.ReplaceOriginal = "", true
	return p.retry(ctx, respondMethod, func() error { return p.postResponse(ctx, responseURL, r) })
}

// postResponse POSTs r as JSON to a response_url: a 429 becomes
// *slack.RateLimitedError (for retry), {"ok":false} a slack.SlackErrorResponse.
func (p *poster) postResponse(ctx context.Context, responseURL string, r reply) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding the response: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building the response request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.web.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &slack.RateLimitedError{RetryAfter: time.Duration(secs) * time.Second}
	case resp.StatusCode != http.StatusOK:
		return slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	var out struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &out) == nil && out.OK != nil && !*out.OK {
		return slack.SlackErrorResponse{Err: out.Error}
	}
	return nil // Slack answers a plain "ok" as often as JSON
}

func (p *poster) openView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error) {
	var resp *slack.ViewResponse
	err := p.retry(ctx, methodViewsOpen, func() error {
		var err error
		resp, err = p.api.OpenViewContext(ctx, triggerID, view)
		return err
	})
	return resp, err
}

func (p *poster) updateView(ctx context.Context, view slack.ModalViewRequest, viewID string) error {
	return p.retry(ctx, methodViewsUpdate, func() error {
		_, err := p.api.UpdateViewContext(ctx, view, "", "", viewID)
		return err
	})
}

func (p *poster) publishView(ctx context.Context, req slack.PublishViewContextRequest) error {
	return p.retry(ctx, methodViewsPub, func() error {
		_, err := p.api.PublishViewContext(ctx, req)
		return err
	})
}

// groupLookup resolves Slack user groups (usergroups.users.list) at the
// time of each question, with no cache: membership decides who may release,
// and someone removed from the release group must lose that at once. A
// release is rare and the call is cheap.
type groupLookup struct {
	p *poster
}

// GroupMembers implements release.GroupResolver.
func (g groupLookup) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	var members []string
	err := g.p.retry(ctx, methodGroupUsers, func() error {
		var err error
		members, err = g.p.api.GetUserGroupMembersContext(ctx, groupID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading members of %s: %w", groupID, err)
	}
	return members, nil
}
