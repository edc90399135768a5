package slackui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// An announcement has parts — the card update, the thread step, the channel
// line — and each is delivered once, independently. The watcher offers a
// failed announcement again on its next tick; parts already delivered are
// skipped then (with the YAML channel wrong and the card in another
// channel, the card's thread got 10 copies of one step and 13 chat.updates
// in 10 s, forever). A part that cannot be delivered is retried with
// back-off and, after maxPartAttempts, given up: one clear line in the
// card's thread where there is one, the log, and /healthz.
const (
	maxPartAttempts  = 4
	firstPartBackoff = 30 * time.Second
	maxPartBackoff   = 30 * time.Minute
	// maxUndelivered is how many given-up parts /healthz lists.
	maxUndelivered = 10
)

// partState is a part's delivery record, kept in the store's meta bucket
// under "notice-part/<notice key>/<part>" until the announcement is whole.
type partState struct {
	Done     bool      `json:"done,omitempty"`
	GaveUp   bool      `json:"gave_up,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Next     time.Time `json:"next,omitzero"`
}

// Undelivered is a part of an announcement the bot gave up delivering.
type Undelivered struct {
	At      time.Time `json:"at"`
	What    string    `json:"what"`    // e.g. "the channel line of KotenOCR 1.1.0 (In Review)"
	Channel string    `json:"channel"` // where it could not go
	Error   string    `json:"error"`
}

// undeliveredLog keeps the last parts given up, for /healthz.
type undeliveredLog struct {
	mu    sync.Mutex
	items []Undelivered
}

func (l *undeliveredLog) add(u Undelivered) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, u)
	if len(l.items) > maxUndelivered {
		l.items = l.items[len(l.items)-maxUndelivered:]
	}
}

// Undelivered returns the parts of announcements the bot gave up
// delivering since it started (the last few), oldest first.
func (b *Bot) Undelivered() []Undelivered {
	b.undelivered.mu.Lock()
	defer b.undelivered.mu.Unlock()
	return append([]Undelivered(nil), b.undelivered.items...)
}

// errPartPending means a part of an announcement is waiting for a retry.
var errPartPending = errors.New("part of the announcement is waiting to be retried")

// announcement delivers the parts of one notice.
type announcement struct {
	b       *Bot
	key     string
	what    string // the announcement in words, for logs and give-up lines
	pending []error
	gaveUp  []Undelivered
}

func (b *Bot) announcement(key, what string) *announcement {
	return &announcement{b: b, key: key, what: what}
}

func (a *announcement) metaKey(part string) string { return "notice-part/" + a.key + "/" + part }

func (a *announcement) load(part string) partState {
	var st partState
	if a.key == "" {
		return st
	}
	if v, ok, err := a.b.store.GetMeta(a.metaKey(part)); err == nil && ok {
		_ = json.Unmarshal([]byte(v), &st)
	}
	return st
}

func (a *announcement) save(part string, st partState) {
	if a.key == "" {
		return
	}
	v, _ := json.Marshal(st)
	if err := a.b.store.PutMeta(a.metaKey(part), string(v)); err != nil {
		a.b.log.Warn("recording the delivery of an announcement part", "part", part, "err", err)
	}
}

// delivered reports whether part went out (or was given up) on an earlier attempt.
func (a *announcement) delivered(part string) bool {
	st := a.load(part)
	return st.Done || st.GaveUp
}

// deliver sends part once: skipped when an earlier attempt delivered (or
// gave up) it, or while its back-off runs; otherwise fn is called. A failure
// is retried on a later attempt, after maxPartAttempts it is given up. It
// reports whether fn delivered the part now.
func (a *announcement) deliver(ctx context.Context, part, desc, channel string, fn func(ctx context.Context) error) bool {
	st := a.load(part)
	if st.Done || st.GaveUp {
		return false
	}
	now := a.b.now()
	if now.Before(st.Next) {
		a.pending = append(a.pending, fmt.Errorf("%s: %w until %s", desc, errPartPending, st.Next.UTC().Format(time.RFC3339)))
		return false
	}
	err := fn(ctx)
	if err == nil {
		a.save(part, partState{Done: true})
		return true
	}
	if a.key == "" { // nothing to remember attempts by: the caller retries
		a.pending = append(a.pending, fmt.Errorf("%s: %w", desc, err))
		return false
	}
	st.Attempts++
	if st.Attempts >= maxPartAttempts {
		st.GaveUp = true
		a.save(part, st)
		u := Undelivered{At: now, What: desc + " of " + a.what, Channel: channel, Error: err.Error()}
		a.gaveUp = append(a.gaveUp, u)
		a.b.undelivered.add(u)
		a.b.log.Error("giving up delivering part of an announcement", "part", part, "announcement", a.what, "channel", channel, "attempts", st.Attempts, "err", err)
		return false
	}
	st.Next = now.Add(min(firstPartBackoff<<(st.Attempts-1), maxPartBackoff))
	a.save(part, st)
	a.b.log.Warn("part of an announcement not delivered; retrying later", "part", part, "announcement", a.what, "channel", channel, "attempt", st.Attempts, "next", st.Next, "err", err)
	a.pending = append(a.pending, fmt.Errorf("%s: %w", desc, err))
	return false
}

// giveUp records a part that cannot be attempted (its card could not be posted).
func (a *announcement) giveUp(part, desc, channel, why string) {
	if a.delivered(part) {
		return
	}
	a.save(part, partState{GaveUp: true})
	u := Undelivered{At: a.b.now(), What: desc + " of " + a.what, Channel: channel, Error: why}
	a.gaveUp = append(a.gaveUp, u)
	a.b.undelivered.add(u)
	a.b.log.Error("giving up delivering part of an announcement", "part", part, "announcement", a.what, "channel", channel, "err", why)
}

// finish returns nil when every part was delivered or given up (the
// delivery records are then dropped), else an error so the watcher offers
// the announcement again.
func (a *announcement) finish(parts ...string) error {
	if len(a.pending) > 0 {
		return errors.Join(a.pending...)
	}
	if a.key != "" {
		for _, p := range parts {
			if err := a.b.store.DeleteMeta(a.metaKey(p)); err != nil {
				a.b.log.Warn("dropping the delivery record of an announcement part", "err", err)
			}
		}
	}
	return nil
}
