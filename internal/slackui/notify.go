package slackui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/watch"
)

var _ watch.Notifier = (*Bot)(nil)

func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 72*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// VersionChanged implements watch.Notifier: the version's card is updated (or
// created, for a version that started moving without one), the thread gets a
// step, and key transitions get a line in the app's channel.
func (b *Bot) VersionChanged(ctx context.Context, e watch.VersionEvent) error {
	appID, versionID := e.App.ID, e.Version.ID
	card, exists, err := b.store.GetCard(appID, versionID)
	if err != nil {
		return fmt.Errorf("reading the card: %w", err)
	}
	if !exists && (e.To == asc.StateReplacedWithNewVersion || e.To == asc.StatePrepareForSubmission) {
		// A card is for a version on its way: one being retired (replaced
		// by a newer one going live) or only just created is not news.
		return nil
	}
	what := fmt.Sprintf("%s %s (%s)", e.App.Name, e.Version.VersionString, transitionWords(e))
	a := b.announcement(e.NoticeKey, what)
	line := b.channelLine(e)
	lineCh := e.Channel
	if lineCh == "" {
		lineCh = card.Channel
	}

	// The card: posted for a version that started moving without one,
	// else redrawn.
	if !exists {
		if e.Channel == "" {
			return fmt.Errorf("announcing %s %s: the app has no channel", e.App.Name, e.Version.VersionString)
		}
		a.deliver(ctx, "card", "the card", e.Channel, func(ctx context.Context) error {
			c, err := b.showCard(ctx, e.Channel, "", appID, versionID)
			if err != nil {
				return fmt.Errorf("posting a card for %s %s: %w", e.App.Name, e.Version.VersionString, err)
			}
			card = c
			return nil
		})
		if c, ok, err := b.store.GetCard(appID, versionID); err == nil && ok {
			card, exists = c, true
		}
	} else {
		a.deliver(ctx, "card", "the card update", card.Channel, func(ctx context.Context) error {
			_, c, err := b.refreshCard(ctx, appID, versionID)
			if err != nil {
				return fmt.Errorf("updating the card of %s %s: %w", e.App.Name, e.Version.VersionString, err)
			}
			card = c
			return nil
		})
	}

	// The thread step, under the card.
	step := transitionStep(e)
	if seen, ok, err := b.store.GetSeen(appID, versionID); err == nil && ok && !seen.At.IsZero() && e.From != e.To {
		step += fmt.Sprintf(" (after %s)", duration(e.At.Sub(seen.At)))
	}
	switch {
	case exists && card.TS != "":
		if a.deliver(ctx, "thread", "the thread step", card.Channel, func(ctx context.Context) error {
			if _, err := b.posters.post(ctx, card.Channel, slack.MsgOptionText(step, false), slack.MsgOptionTS(card.TS)); err != nil {
				return fmt.Errorf("posting the thread step: %w", err)
			}
			return nil
		}) {
			b.metrics.Notification("thread")
		}
	case a.delivered("card"):
		a.giveUp("thread", "the thread step", e.Channel, "there is no card to post it under")
	}

	// The channel line, for key transitions.
	if line != "" {
		if lineCh == "" {
			lineCh = card.Channel
		}
		if a.deliver(ctx, "line", "the channel line", lineCh, func(ctx context.Context) error {
			if _, err := b.posters.post(ctx, lineCh, slack.MsgOptionText(line, false)); err != nil {
				return fmt.Errorf("posting the channel line: %w", err)
			}
			return nil
		}) {
			b.metrics.Notification(string(e.To))
		}
	}

	// Parts given up: one clear line in the card's thread, when there is
	// one and it is not the thread that refuses.
	if len(a.gaveUp) > 0 && exists && card.TS != "" {
		for _, u := range a.gaveUp {
			if u.Channel == card.Channel {
				continue
			}
			text := fmt.Sprintf("⚠ I could not post %s in <#%s> (%s), so I gave up on it. Invite me there (`/invite @ascbot`) or fix `channel` in the ascbot config.", u.What, u.Channel, slackErrorWords(u.Error))
			if _, err := b.posters.post(ctx, card.Channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(card.TS)); err != nil {
				b.log.Warn("telling the thread about an undelivered part", "err", err)
			}
		}
	}
	if err := a.finish("card", "thread", "line"); err != nil {
		return fmt.Errorf("announcing %s: %w", what, err)
	}
	b.audit("", "state", appID, e.Version.VersionString, string(e.To), fmt.Sprintf("%s → %s via %s", e.From.Label(), e.To.Label(), e.Source))
	return nil
}

// transitionWords names a transition in a few words ("In Review").
func transitionWords(e watch.VersionEvent) string {
	if e.From != e.To {
		return e.To.Label()
	}
	return "review submission " + e.SubTo.Label()
}

// slackErrorWords shortens a Slack error for a person: the error code when
// the message carries one Slack is known for.
func slackErrorWords(s string) string {
	for _, code := range []string{"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "missing_scope"} {
		if strings.Contains(s, code) {
			return code
		}
	}
	return s
}

func transitionStep(e watch.VersionEvent) string {
	if e.From != e.To {
		return fmt.Sprintf("%s → *%s*", e.From.Label(), e.To.Label())
	}
	return fmt.Sprintf("Review submission: %s → *%s*", e.SubFrom.Label(), e.SubTo.Label())
}

// channelLine is the channel-level announcement for key transitions ("" for the rest).
func (b *Bot) channelLine(e watch.VersionEvent) string {
	name := fmt.Sprintf("*%s %s*", e.App.Name, e.Version.VersionString)
	items := func() string {
		var lines []string
		for _, it := range e.Items {
			what := it.Kind
			if it.VersionID() == e.Version.ID {
				what = "version " + e.Version.VersionString
			} else if what == "" {
				what = "item"
			}
			lines = append(lines, fmt.Sprintf("• %s: %s", what, it.State.Label()))
		}
		lines = append(lines, fmt.Sprintf("Apple's message is in the Resolution Center: <%s|open the version in App Store Connect>.", VersionURL(e.App.ID, e.Version)))
		return "\n" + strings.Join(lines, "\n")
	}
	if e.From == e.To {
		if e.SubTo == asc.SubmissionUnresolvedIssues {
			return fmt.Sprintf("⚠ %s: the review submission has *Unresolved Issues*.%s", name, items())
		}
		return ""
	}
	switch e.To {
	case asc.StateInReview:
		return fmt.Sprintf("🔍 %s is *In Review*.", name)
	case asc.StatePendingDeveloperRelease:
		approvers := b.rel.Approvers(b.rel.AppConfig(e.App))
		who := "Nobody is configured to release it: set approvers in the ascbot config."
		if len(approvers) > 0 {
			who = release.MentionList(approvers) + ": press *Release* on the card when you are ready."
		}
		if !e.Version.ManualRelease() {
			who = "It releases " + release.ReleaseTypeLabel(&e.Version, b.rel.Config().Zone()) + "."
		}
		return fmt.Sprintf("✅ %s was *approved* — Pending Developer Release. %s", name, who)
	case asc.StateRejected, asc.StateMetadataRejected, asc.StateInvalidBinary:
		return fmt.Sprintf("❌ %s: *%s*.%s", name, e.To.Label(), items())
	case asc.StateReadyForDistribution:
		return fmt.Sprintf("🚀 %s is *Ready for Distribution* on the App Store.", name)
	case asc.StateDeveloperRejected:
		return fmt.Sprintf("↩ %s was withdrawn from review (Developer Rejected).", name)
	}
	if e.SubTo == asc.SubmissionUnresolvedIssues && e.SubFrom != e.SubTo {
		return fmt.Sprintf("⚠ %s: the review submission has *Unresolved Issues*.%s", name, items())
	}
	return ""
}

// BuildChanged implements watch.Notifier: a finished or failed build is
// posted once in the app's channel, and the app's open cards gain its button.
func (b *Bot) BuildChanged(ctx context.Context, e watch.BuildEvent) error {
	if e.Channel == "" {
		return nil
	}
	mv := ""
	if e.Build.MarketingVersion != "" {
		mv = " (" + e.Build.MarketingVersion + ")"
	}
	switch {
	case e.To == asc.BuildValid && b.beta != nil:
		// The build notice is the build's TestFlight card.
		if _, err := b.showTestFlightCard(ctx, e.Channel, "", e.App.ID, e.Build.ID); err != nil {
			return fmt.Errorf("posting the TestFlight card: %w", err)
		}
	default:
		text := fmt.Sprintf("⚠ *%s* build %s%s: processing *%s*. Upload a new build.", e.App.Name, e.Build.Version, mv, e.To.Label())
		if e.To == asc.BuildValid {
			text = fmt.Sprintf("🛠 *%s* build %s%s finished processing and is ready to attach.", e.App.Name, e.Build.Version, mv)
		}
		a := b.announcement(e.NoticeKey, fmt.Sprintf("%s build %s (%s)", e.App.Name, e.Build.Version, e.To.Label()))
		a.deliver(ctx, "post", "the build notice", e.Channel, func(ctx context.Context) error {
			if _, err := b.posters.post(ctx, e.Channel, slack.MsgOptionText(text, false)); err != nil {
				return fmt.Errorf("posting the build notice: %w", err)
			}
			return nil
		})
		if err := a.finish("post"); err != nil {
			return err
		}
	}
	b.metrics.Notification("build")
	cards, err := b.store.ListCards()
	if err != nil {
		return nil
	}
	for _, c := range cards {
		if c.AppID != e.App.ID || (e.Build.MarketingVersion != "" && c.Version != e.Build.MarketingVersion) {
			continue
		}
		if release.Submittable(asc.AppVersionState(c.LastState)) {
			_, card, err := b.refreshCard(ctx, c.AppID, c.VersionID)
			if err != nil && !errors.Is(err, errNoCard) {
				b.log.Warn("refreshing a card for a new build", "err", err)
			}
			if card.TS != "" && e.To == asc.BuildValid {
				b.thread(ctx, card, "", fmt.Sprintf("🛠 build %s finished processing and can be attached", e.Build.Version), false)
			}
		}
	}
	return nil
}
