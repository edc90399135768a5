package slackui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
)

// onSlashCommand acks at once: help, usage and unknown-command replies go in
// the ack itself (no I/O); everything else is answered after the ack.
func (b *Bot) onSlashCommand(ctx context.Context, req socketmode.Request, cmd slack.SlashCommand) {
	spec, p, err := parseCommand(cmd.Text)
	var ue errUsage
	var uk errUnknown
	switch {
	case errors.As(err, &ue):
		b.metrics.Command(ue.spec.Name, "usage")
		b.ack(req, ephemeralMsg("Usage: "+ue.spec.Usage, renderUsage(ue.spec)))
		return
	case errors.As(err, &uk):
		b.metrics.Command("unknown", "usage")
		b.ack(req, ephemeralMsg("Unknown command; see /asc help", renderUnknown(uk.name)))
		return
	case spec.Ack != nil:
		b.metrics.Command(spec.Name, "ok")
		b.ack(req, spec.Ack())
		return
	}
	b.ack(req, nil)
	b.goWork(ctx, req, "command "+p.Name, func(ctx context.Context) {
		err := spec.Run(b, ctx, cmd, p)
		result := "ok"
		if err != nil {
			result = "error"
			b.log.Warn("command failed", "command", p.Name, "user", cmd.UserID, "err", err)
			b.reply(ctx, cmd, userMessage(err))
		}
		b.metrics.Command(p.Name, result)
	})
}

// reply answers the user who typed a command, ephemerally, through response_url.
func (b *Bot) reply(ctx context.Context, cmd slack.SlashCommand, text string, blocks ...slack.Block) {
	ctx, cancel := replyContext(ctx)
	defer cancel()
	if err := b.posters.respond(ctx, cmd.ResponseURL, false, reply{Text: text, Blocks: blocks}); err != nil {
		b.log.Error("answering a command", "user", cmd.UserID, "err", err)
	}
}

func (b *Bot) appPlatform(app asc.App) asc.Platform {
	if p := b.rel.AppConfig(app).Platform; p != "" {
		return asc.Platform(p)
	}
	return asc.PlatformIOS
}

func (b *Bot) cmdApps(ctx context.Context, cmd slack.SlashCommand) error {
	apps, err := b.rel.ListApps(ctx)
	if err != nil && len(apps) == 0 {
		return fmt.Errorf("listing apps: %w", err)
	}
	blocks := RenderApps(apps, len(b.rel.Keys()) > 1)
	if err != nil {
		// Some keys answered: list their apps, and say which did not.
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn("⚠ "+err.Error())))
	}
	b.reply(ctx, cmd, fmt.Sprintf("%d apps", len(apps)), blocks...)
	return nil
}

// RenderApps renders /asc apps; with several API keys each app names the
// key (team) it comes from.
func RenderApps(apps []release.KeyApp, showKey bool) []slack.Block {
	if len(apps) == 0 {
		return []slack.Block{slack.NewSectionBlock(mrkdwn("The API key sees no apps."), nil, nil)}
	}
	var lines []string
	for _, a := range apps {
		l := fmt.Sprintf("*%s* · `%s` · %s", a.Name, a.BundleID, a.ID)
		if showKey {
			l += " · key `" + a.Key + "`"
		}
		lines = append(lines, l)
	}
	// A section holds 3000 characters: spread long lists over several.
	var blocks []slack.Block
	cur := ""
	for _, l := range lines {
		if len(cur)+len(l)+1 > 2900 {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(cur), nil, nil))
			cur = ""
		}
		if cur != "" {
			cur += "\n"
		}
		cur += l
		if len(blocks) == 48 {
			break
		}
	}
	return append(blocks, slack.NewSectionBlock(mrkdwn(cur), nil, nil))
}

func (b *Bot) cmdSubmit(ctx context.Context, cmd slack.SlashCommand, app asc.App, version string) error {
	platform := b.appPlatform(app)
	v, err := b.rel.LoadByVersionString(ctx, app.ID, version, platform)
	if errors.Is(err, asc.ErrNotFound) {
		btn := button(actCreateVersion, "Create version "+version, strings.Join([]string{app.ID, version, string(platform)}, "|"), slack.StylePrimary)
		btn.Confirm = confirm("Create a version?", fmt.Sprintf("Create *%s %s* (%s) in App Store Connect.", app.Name, version, platformLabel(platform)), "Create")
		b.reply(ctx, cmd, fmt.Sprintf("%s has no version %s yet.", app.Name, version),
			slack.NewSectionBlock(mrkdwn(fmt.Sprintf("*%s* has no %s version *%s* yet.", app.Name, platformLabel(platform), version)), nil, nil),
			slack.NewActionBlock("create_version", btn))
		return nil
	}
	if err != nil {
		return fmt.Errorf("finding %s %s: %w", app.Name, version, err)
	}
	_, err = b.showCardView(ctx, cmd.ChannelID, cmd.UserID, v)
	return slackChannelHint(err)
}

// slackChannelHint explains the Slack errors a user can fix.
func slackChannelHint(err error) error {
	if err == nil {
		return nil
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "not_in_channel" || se.Err == "channel_not_found") {
		return &release.BlockedError{Reasons: []string{"I can't post in this channel: invite me first (`/invite @ascbot`)"}}
	}
	return err
}

func (b *Bot) cmdNotes(ctx context.Context, cmd slack.SlashCommand, p parsedCommand) error {
	// The trigger_id lives three seconds: open the modal before reading Apple.
	resp, err := b.posters.openView(ctx, cmd.TriggerID, loadingModal("What's New"))
	if err != nil {
		return fmt.Errorf("opening the notes modal: %w", err)
	}
	app, _, err := b.rel.ResolveApp(ctx, p.App)
	if err != nil {
		b.updateView(ctx, resp.ID, messageModal("What's New", userMessage(err)))
		return nil
	}
	v, _, err := b.rel.ASCFor(app.ID).Versions.Find(ctx, app.ID, p.Version, b.appPlatform(app))
	if err != nil {
		msg := userMessage(err)
		if errors.Is(err, asc.ErrNotFound) {
			msg = fmt.Sprintf("%s has no version %s. `/asc submit %s %s` offers to create it.", app.Name, p.Version, app.Name, p.Version)
		}
		b.updateView(ctx, resp.ID, messageModal("What's New", msg))
		return nil
	}
	b.fillNotesModal(ctx, resp.ID, app.ID, v.ID, cmd.ChannelID)
	return nil
}

func (b *Bot) updateView(ctx context.Context, viewID string, view slack.ModalViewRequest) {
	ctx, cancel := replyContext(ctx)
	defer cancel()
	if err := b.posters.updateView(ctx, view, viewID); err != nil {
		b.log.Error("updating a modal", "view_id", viewID, "err", err)
	}
}

// fillNotesModal replaces the loading modal with the What's New form.
func (b *Bot) fillNotesModal(ctx context.Context, viewID, appID, versionID, channel string) {
	v, prev, err := b.rel.NotesForm(ctx, appID, versionID)
	if err != nil {
		b.updateView(ctx, viewID, messageModal("What's New", userMessage(err)))
		return
	}
	var draft map[string]string
	if d, ok, err := b.store.GetDraft(release.DraftKey(versionID)); err == nil && ok {
		draft = d.Notes
	}
	askEnc := v.Encryption() == nil
	b.updateView(ctx, viewID, RenderNotesModal(v, prev, draft, askEnc, channel))
}

func (b *Bot) cmdCancel(ctx context.Context, cmd slack.SlashCommand, app asc.App) error {
	open, _, err := b.rel.ASCFor(app.ID).Submissions.ListOpen(ctx, app.ID, b.appPlatform(app))
	if err != nil {
		return fmt.Errorf("listing open review submissions: %w", err)
	}
	var elems []slack.BlockElement
	var lines []string
	draft := false
	for _, s := range open {
		if !s.State.Cancellable() {
			draft = draft || s.State == asc.SubmissionReadyForReview
			continue
		}
		what := "submission " + s.ID
		if s.VersionID != "" {
			if v, _, err := b.rel.ASCFor(app.ID).Versions.Get(ctx, s.VersionID); err == nil {
				what = "version " + v.VersionString
			}
		}
		lines = append(lines, fmt.Sprintf("• %s · %s", what, s.State.Label()))
		btn := button(actCancelConfirm+"_"+s.ID, "Cancel "+what, app.ID+"|"+s.ID, slack.StyleDanger)
		btn.Confirm = confirm("Cancel the submission?", fmt.Sprintf("Withdraw %s of *%s* from App Review.", what, app.Name), "Cancel submission")
		elems = append(elems, btn)
		if len(elems) == 5 {
			break
		}
	}
	if len(elems) == 0 {
		msg := fmt.Sprintf("%s has no open review submission to cancel.", app.Name)
		if draft {
			msg = fmt.Sprintf("%s has no submission with App Review to cancel. Its draft submission was never sent; Apple cannot cancel it, and the next submit reuses it.", app.Name)
		}
		b.reply(ctx, cmd, msg)
		return nil
	}
	b.reply(ctx, cmd, "Open review submissions of "+app.Name,
		slack.NewSectionBlock(mrkdwn(fmt.Sprintf("*%s* open review submissions:\n%s", app.Name, strings.Join(lines, "\n"))), nil, nil),
		slack.NewActionBlock("cancel_choices", elems...))
	return nil
}

// versionFor finds the version a command means: the one named, else the
// newest one in flight on the app's platform.
func (b *Bot) versionFor(ctx context.Context, app asc.App, version string, want func(asc.AppVersionState) bool) (*asc.AppStoreVersion, error) {
	platform := b.appPlatform(app)
	if version != "" {
		v, _, err := b.rel.ASCFor(app.ID).Versions.Find(ctx, app.ID, version, platform)
		if err != nil {
			if errors.Is(err, asc.ErrNotFound) {
				return nil, &release.BlockedError{Reasons: []string{fmt.Sprintf("%s has no version %s", app.Name, version)}}
			}
			return nil, fmt.Errorf("finding %s %s: %w", app.Name, version, err)
		}
		return v, nil
	}
	vs, _, err := b.rel.ASCFor(app.ID).Versions.List(ctx, app.ID, &asc.VersionListOptions{Platform: platform})
	if err != nil {
		return nil, fmt.Errorf("listing versions of %s: %w", app.Name, err)
	}
	for i := range vs {
		if want(vs[i].State()) {
			return &vs[i], nil
		}
	}
	return nil, nil
}

func (b *Bot) cmdRelease(ctx context.Context, cmd slack.SlashCommand, app asc.App, version string) error {
	v, err := b.versionFor(ctx, app, version, func(s asc.AppVersionState) bool { return s == asc.StatePendingDeveloperRelease })
	if err != nil {
		return err
	}
	if v == nil {
		b.reply(ctx, cmd, fmt.Sprintf("%s has no version waiting for a manual release.", app.Name))
		return nil
	}
	result, err := b.rel.Release(ctx, cmd.UserID, app.ID, v.ID)
	if err != nil {
		return err
	}
	b.reply(ctx, cmd, "✓ "+capitalize(result)+".")
	b.afterAction(ctx, app.ID, v.ID, cmd.UserID, fmt.Sprintf("<@%s> released %s %s to the App Store.", cmd.UserID, app.Name, v.VersionString), asc.StateProcessingForDistribution)
	return nil
}

func (b *Bot) cmdPhased(ctx context.Context, cmd slack.SlashCommand, app asc.App, op string) error {
	target := map[string]asc.PhasedReleaseState{"pause": asc.PhasedPaused, "resume": asc.PhasedActive, "complete": asc.PhasedComplete}[op]
	v, err := b.versionFor(ctx, app, "", func(s asc.AppVersionState) bool {
		return s == asc.StateReadyForDistribution || s == asc.StateProcessingForDistribution || s == asc.StatePendingDeveloperRelease
	})
	if err != nil {
		return err
	}
	if v == nil {
		b.reply(ctx, cmd, fmt.Sprintf("%s has no released version with a phased release.", app.Name))
		return nil
	}
	card, _, _ := b.store.GetCard(app.ID, v.ID)
	ph, err := b.rel.SetPhased(ctx, cmd.UserID, app.ID, v.ID, target, card.Rev)
	if err != nil {
		return err
	}
	b.reply(ctx, cmd, "✓ "+PhasedLine(ph))
	b.afterAction(ctx, app.ID, v.ID, cmd.UserID, fmt.Sprintf("<@%s> %s the phased release: %s.", cmd.UserID, phasedVerb(target), PhasedLine(ph)), "")
	return nil
}

func phasedVerb(s asc.PhasedReleaseState) string {
	switch s {
	case asc.PhasedPaused:
		return "paused"
	case asc.PhasedActive:
		return "resumed"
	}
	return "completed"
}

// afterAction redraws the version's card, if it has one, from the view the
// action left (afterPress: read again only without one), adds a thread
// step, and tells the watcher the state the action produced (want, if any).
func (b *Bot) afterAction(ctx context.Context, appID, versionID, user, step string, want asc.AppVersionState) {
	v, card, err := b.afterPress(ctx, appID, versionID)
	if errors.Is(err, errNoCard) {
		return
	}
	b.acknowledge(v, want)
	if err != nil {
		b.log.Warn("refreshing the card", "app", appID, "version", versionID, "err", err)
		if card.TS == "" {
			return
		}
	}
	b.thread(ctx, card, user, step, false)
}
