package slackui

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// errNoCard means the version has no card yet.
var errNoCard = errors.New("the version has no card")

func cardKey(appID, versionID string) string { return appID + "/" + versionID }

func (b *Bot) meta(c store.Card, v *release.VersionView) CardMeta {
	return CardMeta{Rev: c.Rev, SubmittedBy: c.SubmittedBy, ReleasedBy: c.ReleasedBy, Sandbox: b.sandbox, Approvers: b.rel.Approvers(v.AppCfg), OpenApprovals: b.rel.OpenApprovals(v.AppCfg)}
}

func cardFallback(v *release.VersionView) string {
	return fmt.Sprintf("%s — %s", cardTitle(v), v.Version.State().Label())
}

func (b *Bot) recordFromView(c *store.Card, v *release.VersionView) {
	c.AppID, c.AppName, c.VersionID, c.Version, c.Platform = v.App.ID, v.App.Name, v.Version.ID, v.Version.VersionString, string(v.Version.Platform)
	c.LastState = string(v.Version.State())
	c.BuildID, c.BuildNumber = "", ""
	if v.Build != nil {
		c.BuildID, c.BuildNumber = v.Build.ID, v.Build.Version
	}
	if v.Submission != nil {
		c.SubmissionID = v.Submission.ID
	}
	c.Sandbox = b.sandbox
	c.UpdatedAt = b.now()
}

// showCard posts the version's card in channel, or brings it back when it is
// there already (refreshed, with a broadcast thread reply pointing at it).
// A card that lives in another channel moves here; the old message says so.
func (b *Bot) showCard(ctx context.Context, channel, user, appID, versionID string) (store.Card, error) {
	v, err := b.rel.Load(ctx, appID, versionID)
	if err != nil {
		return store.Card{}, err
	}
	return b.showCardView(ctx, channel, user, v)
}

// showCardView is showCard for a view just read.
func (b *Bot) showCardView(ctx context.Context, channel, user string, v *release.VersionView) (store.Card, error) {
	appID, versionID := v.App.ID, v.Version.ID
	unlock := b.cardLocks.lock(cardKey(appID, versionID))
	defer unlock()
	old, exists, err := b.store.GetCard(appID, versionID)
	if err != nil {
		return store.Card{}, fmt.Errorf("reading the card: %w", err)
	}
	if exists && old.Channel == channel {
		card, err := b.store.UpdateCard(appID, versionID, func(c *store.Card) error {
			c.Rev++
			b.recordFromView(c, v)
			return nil
		})
		if err != nil {
			return store.Card{}, fmt.Errorf("updating the card: %w", err)
		}
		if err := b.posters.update(ctx, card.Channel, card.TS, slack.MsgOptionBlocks(RenderCard(v, b.meta(card, v), b.now())...), slack.MsgOptionText(cardFallback(v), false)); err != nil {
			return card, err
		}
		b.thread(ctx, card, user, fmt.Sprintf("<@%s> asked for this card — here it is.", user), true)
		return card, nil
	}
	card := store.Card{CreatedAt: b.now()}
	if exists {
		card = old
	}
	card.Rev++
	b.recordFromView(&card, v)
	ts, err := b.posters.post(ctx, channel, slack.MsgOptionBlocks(RenderCard(v, b.meta(card, v), b.now())...), slack.MsgOptionText(cardFallback(v), false))
	if err != nil {
		return store.Card{}, err
	}
	card.Channel, card.TS = channel, ts
	if err := b.store.PutCard(card); err != nil {
		return store.Card{}, fmt.Errorf("saving the card: %w", err)
	}
	if exists {
		moved := b.meta(old, v)
		moved.MovedTo = channel
		if err := b.posters.update(ctx, old.Channel, old.TS, slack.MsgOptionBlocks(RenderCard(v, moved, b.now())...), slack.MsgOptionText(cardFallback(v), false)); err != nil {
			b.log.Warn("marking the old card as moved", "err", err)
		}
	}
	b.audit(user, "show-card", appID, v.Version.VersionString, "ok", "card in "+channel)
	return card, nil
}

// refreshCard re-reads App Store Connect and rewrites the card in place.
func (b *Bot) refreshCard(ctx context.Context, appID, versionID string) (*release.VersionView, store.Card, error) {
	return b.refreshCardFrom(ctx, appID, versionID, nil)
}

// afterPress rewrites the card after a press from the view the press left
// (what it read plus what its write returned); only without one is
// App Store Connect read again.
func (b *Bot) afterPress(ctx context.Context, appID, versionID string) (*release.VersionView, store.Card, error) {
	v, _ := b.rel.Latest(appID, versionID)
	return b.refreshCardFrom(ctx, appID, versionID, v)
}

// refreshCardFrom rewrites the card from v, or from a fresh read when v is nil.
func (b *Bot) refreshCardFrom(ctx context.Context, appID, versionID string, v *release.VersionView) (*release.VersionView, store.Card, error) {
	unlock := b.cardLocks.lock(cardKey(appID, versionID))
	defer unlock()
	if _, ok, err := b.store.GetCard(appID, versionID); err != nil {
		return nil, store.Card{}, fmt.Errorf("reading the card: %w", err)
	} else if !ok {
		return nil, store.Card{}, errNoCard
	}
	if v == nil {
		var err error
		if v, err = b.rel.Load(ctx, appID, versionID); err != nil {
			return nil, store.Card{}, err
		}
	}
	card, err := b.store.UpdateCard(appID, versionID, func(c *store.Card) error {
		c.Rev++
		b.recordFromView(c, v)
		return nil
	})
	if err != nil {
		return nil, store.Card{}, fmt.Errorf("updating the card: %w", err)
	}
	err = b.posters.update(ctx, card.Channel, card.TS, slack.MsgOptionBlocks(RenderCard(v, b.meta(card, v), b.now())...), slack.MsgOptionText(cardFallback(v), false))
	return v, card, err
}

// showPending shows, within a moment of a press, what is being done: the
// card's buttons give way to the step in progress ("⏳ Submitting for
// review…") until the result replaces it. Without a recent view of the
// version to draw the card from, the presser gets the line privately.
func (b *Bot) showPending(ctx context.Context, cb slack.InteractionCallback, appID, versionID, text string) {
	if !b.pendingOnCard(ctx, appID, versionID, text) && !b.pendingOnMessage(ctx, cb, text) {
		b.tell(ctx, cb, text)
	}
}

// pendingOnMessage shows text in place of the buttons of the message that
// was pressed (Refresh stays, as on a card drawn with a step in progress),
// from the blocks Slack sent with the press: no view of the version is
// needed, and right after a restart there is none yet.
func (b *Bot) pendingOnMessage(ctx context.Context, cb slack.InteractionCallback, text string) bool {
	ts := cb.Container.MessageTs
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	if ts == "" || cb.Channel.ID == "" || len(cb.Message.Blocks.BlockSet) == 0 {
		return false
	}
	blocks := make([]slack.Block, 0, len(cb.Message.Blocks.BlockSet))
	replaced := false
	for _, bl := range cb.Message.Blocks.BlockSet {
		if a, ok := bl.(*slack.ActionBlock); ok && a.BlockID == "card_actions" && a.Elements != nil {
			var keep []slack.BlockElement
			for _, e := range a.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok && btn.ActionID == actRefresh {
					keep = append(keep, btn)
				}
			}
			blocks = append(blocks, slack.NewContextBlock("card_progress", mrkdwn(text)))
			if len(keep) > 0 {
				blocks = append(blocks, slack.NewActionBlock("card_actions", keep...))
			}
			replaced = true
			continue
		}
		blocks = append(blocks, bl)
	}
	if !replaced {
		return false
	}
	if err := b.posters.update(ctx, cb.Channel.ID, ts, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false)); err != nil {
		b.log.Warn("showing progress on the pressed message", "err", err)
		return false
	}
	return true
}

// pendingOnCard shows text as the card's step in progress, drawn from the
// version's latest view; false when there is no card or no recent view.
func (b *Bot) pendingOnCard(ctx context.Context, appID, versionID, text string) bool {
	v, ok := b.rel.Latest(appID, versionID)
	if !ok {
		return false
	}
	unlock := b.cardLocks.lock(cardKey(appID, versionID))
	defer unlock()
	card, has, err := b.store.GetCard(appID, versionID)
	if err != nil || !has || card.TS == "" {
		return false
	}
	m := b.meta(card, v)
	m.Pending = text
	if err := b.posters.update(ctx, card.Channel, card.TS, slack.MsgOptionBlocks(RenderCard(v, m, b.now())...), slack.MsgOptionText(cardFallback(v), false)); err != nil {
		b.log.Warn("showing progress on the card", "err", err)
		return false
	}
	return true
}

// withCardProgress makes the workflow's steps show on the version's card.
func (b *Bot) withCardProgress(ctx context.Context, appID, versionID string) context.Context {
	return release.WithProgress(ctx, func(step string) { b.pendingOnCard(ctx, appID, versionID, step) })
}

// thread adds a step to the card's thread. The thread is the record: the
// audit log has who did what, and the store keeps no copy of the steps.
func (b *Bot) thread(ctx context.Context, card store.Card, user, text string, broadcast bool) {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionTS(card.TS)}
	if broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	if _, err := b.posters.post(ctx, card.Channel, opts...); err != nil {
		b.log.Error("posting a thread reply", "channel", card.Channel, "err", err, "user", user)
	}
}

func (b *Bot) audit(user, action, appID, version, result, detail string) {
	b.rel.Audit(user, action, appID, version, result, detail)
}
