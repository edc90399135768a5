package slackui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// PollStatus describes the poller for /asc status (nil when not running).
type PollStatus interface {
	// PollSummary describes the polling of the named API key's apps.
	PollSummary(key string) string
}

// unreleased reports whether a version in state s is on its way to the store
// (not live, not retired), from Prepare for Submission on.
func unreleased(s asc.AppVersionState) bool {
	switch s {
	case asc.StateReadyForDistribution, asc.StateReplacedWithNewVersion:
		return false
	}
	return true
}

func (b *Bot) cmdStatus(ctx context.Context, cmd slack.SlashCommand, query string) error {
	app, st, err := b.rel.StatusOf(ctx, query, b.appPlatform)
	if err != nil {
		return err
	}
	poll := ""
	if b.pollStatus != nil {
		poll = b.pollStatus.PollSummary(b.rel.KeyOf(app.ID))
	}
	b.reply(ctx, cmd, app.Name+" status", RenderStatus(app, st.Live, st.Flying, st.TestFlight, poll, b.now())...)
	return nil
}

func versionSummary(v *release.VersionView, now time.Time) string {
	line := fmt.Sprintf("*%s* · %s", v.Version.VersionString, v.Version.State().Label())
	if v.Build != nil {
		line += " · build " + v.Build.Version
	} else {
		line += " · no build"
	}
	line += " · releases " + release.ReleaseTypeLabel(&v.Version, v.Zone())
	if v.Submission != nil {
		line += " · review submission " + v.Submission.State.Label()
	}
	if v.Phased != nil {
		line += "\n" + PhasedLine(v.Phased)
	}
	return line
}

// RenderStatus renders /asc status: the live version, the versions on their
// way and the newest build's TestFlight line (tf nil: it could not be read,
// the line is left out).
func RenderStatus(app asc.App, live *release.VersionView, flying []*release.VersionView, tf *asc.BetaBuild, poll string, now time.Time) []slack.Block {
	blocks := []slack.Block{slack.NewHeaderBlock(plain(truncate(app.Name+" · "+app.BundleID, 150)))}
	liveText := "*Live:* none yet"
	if live != nil {
		liveText = "*Live:* " + versionSummary(live, now)
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(truncate(liveText, 3000)), nil, nil))
	if len(flying) == 0 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*In flight:* nothing"), nil, nil))
	}
	for _, v := range flying {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(truncate("*In flight:* "+versionSummary(v, now), 3000)), nil, nil))
	}
	if tf != nil {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(truncate(testFlightLine(tf), 3000)), nil, nil, slack.SectionBlockOptionBlockID("status_testflight")))
	}
	if poll != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(truncate(poll, 2000))))
	}
	return blocks
}

func (b *Bot) cmdBuilds(ctx context.Context, cmd slack.SlashCommand, app asc.App, version string) error {
	builds, _, err := b.rel.ASCFor(app.ID).Builds.List(ctx, asc.BuildListOptions{AppID: app.ID, MarketingVersion: version, Platform: b.appPlatform(app), Limit: 10})
	if err != nil {
		return fmt.Errorf("listing builds of %s: %w", app.Name, err)
	}
	b.reply(ctx, cmd, fmt.Sprintf("%d builds of %s", len(builds), app.Name), RenderBuilds(app, version, builds, b.now())...)
	return nil
}

// RenderBuilds renders /asc builds.
func RenderBuilds(app asc.App, version string, builds []asc.Build, now time.Time) []slack.Block {
	title := "Recent builds of " + app.Name
	if version != "" {
		title = fmt.Sprintf("Builds of %s %s", app.Name, version)
	}
	if len(builds) == 0 {
		return []slack.Block{slack.NewSectionBlock(mrkdwn("*"+title+"*\nnone"), nil, nil)}
	}
	var lines []string
	for _, bd := range builds {
		line := fmt.Sprintf("• *Build %s*", bd.Version)
		if bd.MarketingVersion != "" {
			line += " · " + bd.MarketingVersion
		}
		line += " · " + bd.ProcessingState.Label()
		if bd.UploadedDate != nil {
			line += " · uploaded " + ago(now, *bd.UploadedDate)
		}
		line += " · " + yesNoCompliance(bd.UsesNonExemptEncryption)
		if bd.Expired {
			line += " · expired"
		}
		lines = append(lines, line)
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwn(truncate("*"+title+"*\n"+strings.Join(lines, "\n"), 3000)), nil, nil)}
}

func (b *Bot) cmdWatch(ctx context.Context, cmd slack.SlashCommand, app asc.App, channel string) error {
	if channel == "" {
		channel = cmd.ChannelID
	}
	if err := b.rel.RequireWatcher(ctx, cmd.UserID, "watch", app); err != nil {
		return err
	}
	if err := b.store.PutWatch(store.Watch{AppID: app.ID, Channel: channel, AddedBy: cmd.UserID, AddedAt: b.now()}); err != nil {
		return fmt.Errorf("saving the watch: %w", err)
	}
	b.audit(cmd.UserID, "watch", app.ID, "", "ok", "channel "+channel)
	if b.watches != nil {
		b.watches.WatchesChanged()
	}
	text := fmt.Sprintf("📡 <@%s> asked me to post %s's review-state changes in <#%s>.", cmd.UserID, app.Name, channel)
	if err := b.posters.respond(ctx, cmd.ResponseURL, true, reply{Text: text}); err != nil {
		return fmt.Errorf("answering: %w", err)
	}
	return nil
}

func (b *Bot) cmdUnwatch(ctx context.Context, cmd slack.SlashCommand, app asc.App) error {
	if err := b.rel.RequireWatcher(ctx, cmd.UserID, "unwatch", app); err != nil {
		return err
	}
	if err := b.store.DeleteWatch(app.ID); err != nil {
		return fmt.Errorf("removing the watch: %w", err)
	}
	b.audit(cmd.UserID, "unwatch", app.ID, "", "ok", "")
	if b.watches != nil {
		b.watches.WatchesChanged()
	}
	text := fmt.Sprintf("🔕 <@%s> stopped the review-state posts for %s.", cmd.UserID, app.Name)
	if err := b.posters.respond(ctx, cmd.ResponseURL, true, reply{Text: text}); err != nil {
		return fmt.Errorf("answering: %w", err)
	}
	return nil
}

func (b *Bot) cmdHistory(ctx context.Context, cmd slack.SlashCommand, app asc.App) error {
	entries, err := b.store.ListAudit(app.ID, 25)
	if err != nil {
		return fmt.Errorf("reading the audit log: %w", err)
	}
	b.reply(ctx, cmd, "History of "+app.Name, RenderHistory(app, entries)...)
	return nil
}

// RenderHistory renders /asc history: newest first, one sentence an entry.
func RenderHistory(app asc.App, entries []store.AuditEntry) []slack.Block {
	if len(entries) == 0 {
		return []slack.Block{slack.NewSectionBlock(mrkdwn("*History of "+app.Name+"*\nNothing recorded yet."), nil, nil)}
	}
	var lines []string
	for _, e := range entries {
		line := historyLine(app, e)
		if e.Key != "" {
			line += " · key `" + e.Key + "`"
		}
		lines = append(lines, fmt.Sprintf("`%s` %s", e.At.UTC().Format("02 Jan 15:04"), line))
	}
	var blocks []slack.Block
	cur := "*History of " + app.Name + "* (newest first)"
	for _, l := range lines {
		if len(cur)+len(l) > 2900 {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(cur), nil, nil))
			cur = ""
		}
		cur += "\n" + l
	}
	return append(blocks, slack.NewSectionBlock(mrkdwn(cur), nil, nil))
}

func (b *Bot) cmdAvailability(ctx context.Context, cmd slack.SlashCommand, app asc.App) error {
	av, _, err := b.rel.ASCFor(app.ID).Availability.Get(ctx, app.ID)
	if err != nil {
		return fmt.Errorf("reading availability of %s: %w", app.Name, err)
	}
	ts, _, err := b.rel.ASCFor(app.ID).Availability.Territories(ctx)
	if err != nil {
		return fmt.Errorf("listing territories: %w", err)
	}
	n, newOnes := 0, false
	if av != nil {
		newOnes = av.AvailableInNewTerritories
		for _, t := range av.Territories {
			if t.Available {
				n++
			}
		}
	}
	text := fmt.Sprintf("*%s* is available in *%d of %d* territories", app.Name, n, len(ts))
	if newOnes {
		text += " and in new territories as Apple adds them"
	}
	text += "."
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
	if n < len(ts) || !newOnes {
		btn := button(actAvailability, "Make available everywhere", app.ID, slack.StylePrimary)
		btn.Confirm = confirm("Available everywhere?", fmt.Sprintf("Make *%s* available in all %d territories, and in new ones as Apple adds them.", app.Name, len(ts)), "Make available")
		blocks = append(blocks, slack.NewActionBlock("availability", btn))
	}
	b.reply(ctx, cmd, fmt.Sprintf("%s: %d of %d territories", app.Name, n, len(ts)), blocks...)
	return nil
}

func (b *Bot) cmdIAP(ctx context.Context, cmd slack.SlashCommand, app asc.App) error {
	iaps, _, err := b.rel.ASCFor(app.ID).IAP.List(ctx, app.ID)
	if err != nil {
		return fmt.Errorf("listing in-app purchases of %s: %w", app.Name, err)
	}
	b.reply(ctx, cmd, fmt.Sprintf("%d in-app purchases of %s", len(iaps), app.Name), RenderIAPs(app, iaps)...)
	return nil
}

// RenderIAPs renders /asc iap: each purchase with its state; a purchase ready
// to submit gets a Submit button once the app has an approved one (a first
// purchase must go with a version, which only the website can do).
func RenderIAPs(app asc.App, iaps []asc.InAppPurchase) []slack.Block {
	if len(iaps) == 0 {
		return []slack.Block{slack.NewSectionBlock(mrkdwn("*"+app.Name+"* has no in-app purchases."), nil, nil)}
	}
	approved := false
	for _, p := range iaps {
		if p.State == asc.IAPApproved {
			approved = true
		}
	}
	var lines []string
	var elems []slack.BlockElement
	for _, p := range iaps {
		lines = append(lines, fmt.Sprintf("• *%s* · `%s` · %s", p.Name, p.ProductID, p.State.Label()))
		if p.State == asc.IAPReadyToSubmit && approved && len(elems) < 5 {
			btn := button(actSubmitIAP+"_"+p.ID, "Submit "+p.Name, app.ID+"|"+p.ID, "")
			btn.Confirm = confirm("Submit for review?", fmt.Sprintf("Submit the in-app purchase *%s* for review.", p.Name), "Submit")
			elems = append(elems, btn)
		}
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(truncate("*In-app purchases of "+app.Name+"*\n"+strings.Join(lines, "\n"), 3000)), nil, nil)}
	if len(elems) > 0 {
		blocks = append(blocks, slack.NewActionBlock("iap_actions", elems...))
	}
	hasReady := false
	for _, p := range iaps {
		hasReady = hasReady || p.State == asc.IAPReadyToSubmit
	}
	if hasReady && !approved {
		blocks = append(blocks, slack.NewContextBlock("iap_first", mrkdwn(fmt.Sprintf("A first in-app purchase must be submitted together with an app version, which Apple's API cannot do: add it on the <https://appstoreconnect.apple.com/apps/%s/distribution|version's page> before you submit.", app.ID))))
	}
	return blocks
}
