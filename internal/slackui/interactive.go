package slackui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// onInteractive acks first. A view submission is validated before its ack
// (cheap, no I/O) so its errors go back inline; its work runs after.
func (b *Bot) onInteractive(ctx context.Context, req socketmode.Request, cb slack.InteractionCallback) {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		b.ack(req, nil)
		if len(cb.ActionCallback.BlockActions) == 0 {
			return
		}
		act := *cb.ActionCallback.BlockActions[0]
		b.goWork(ctx, req, "action "+act.ActionID, func(ctx context.Context) { b.onAction(ctx, cb, act) })
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID == tfNotesCallback {
			in, errs, err := parseWhatToTest(cb.View)
			switch {
			case err != nil:
				b.ack(req, nil)
				b.log.Warn("reading a What to Test submission", "err", err)
			case len(errs) > 0:
				b.ack(req, slack.NewErrorsViewSubmissionResponse(errs))
			default:
				b.ack(req, nil)
				b.goWork(ctx, req, "what to test", func(ctx context.Context) { b.saveWhatToTest(ctx, cb.User.ID, in) })
			}
			return
		}
		if cb.View.CallbackID == optionsCallback {
			in, errs, err := parseOptions(cb.View, b.now(), b.rel.Config().Zone())
			switch {
			case err != nil:
				b.ack(req, nil)
				b.log.Warn("reading a release-options submission", "err", err)
			case len(errs) > 0:
				b.ack(req, slack.NewErrorsViewSubmissionResponse(errs))
			default:
				b.ack(req, nil)
				b.goWork(ctx, req, "release options", func(ctx context.Context) { b.saveOptions(ctx, cb.User.ID, cb.View.ID, in) })
			}
			return
		}
		if cb.View.CallbackID != notesCallback {
			b.ack(req, nil)
			return
		}
		in, errs, err := parseNotes(cb.View)
		if err != nil {
			b.ack(req, nil)
			b.log.Warn("reading a notes submission", "err", err)
			return
		}
		if len(errs) > 0 {
			b.ack(req, slack.NewErrorsViewSubmissionResponse(errs))
			return
		}
		b.ack(req, nil)
		b.goWork(ctx, req, "notes", func(ctx context.Context) { b.saveNotes(ctx, cb.User.ID, in) })
	default:
		b.ack(req, nil)
	}
}

// tell answers the presser privately where they pressed: on the Home tab as
// a notice at its top, in a channel as an ephemeral message.
func (b *Bot) tell(ctx context.Context, cb slack.InteractionCallback, text string) {
	ctx, cancel := replyContext(ctx)
	defer cancel()
	if cb.View.Type == slack.VTHomeTab {
		b.publishHomeNotice(ctx, cb.User.ID, text)
		return
	}
	if cb.Channel.ID != "" {
		if err := b.posters.ephemeral(ctx, cb.Channel.ID, cb.User.ID, slack.MsgOptionText(text, false)); err != nil {
			b.log.Error("telling a user", "user", cb.User.ID, "err", err)
		}
		return
	}
	if cb.ResponseURL != "" {
		if err := b.posters.respond(ctx, cb.ResponseURL, false, reply{Text: text}); err != nil {
			b.log.Error("telling a user", "user", cb.User.ID, "err", err)
		}
	}
}

func (b *Bot) onAction(ctx context.Context, cb slack.InteractionCallback, act slack.BlockAction) {
	user := cb.User.ID
	id := act.ActionID
	switch {
	case strings.HasPrefix(id, "tf_"):
		b.onTestFlightAction(ctx, cb, act)
		return
	case strings.HasPrefix(id, actCreateVersion):
		b.onCreateVersion(ctx, cb, act)
		return
	case strings.HasPrefix(id, actCancelConfirm):
		b.onCancelFromCommand(ctx, cb, act)
		return
	case strings.HasPrefix(id, actSubmitIAP):
		b.onSubmitIAP(ctx, cb, act)
		return
	case id == actAvailability:
		b.onAvailability(ctx, cb, act)
		return
	}
	snap, err := release.ParseSnapshot(act.Value)
	if err == nil && snap.VersionID == "" {
		err = errors.New("a build's snapshot on a version card's button")
	}
	if err != nil {
		b.log.Warn("ignoring a button with a foreign value", "action_id", id, "err", err)
		return
	}
	if id == actOpenNotes {
		b.onOpenNotes(ctx, cb, snap)
		return
	}
	if id == actReleaseOptions {
		b.onOpenOptions(ctx, cb, snap)
		return
	}
	var step string
	var want asc.AppVersionState // the state the action produces
	pending := pendingText(id, act)
	var shown atomic.Bool // the card shows the press in progress
	if pending != "" {
		// Shown once the workflow has found the person may act: a refused
		// press leaves the card as the channel sees it.
		show := ctx
		ctx = release.WithAuthorized(ctx, func() {
			b.showPending(show, cb, snap.AppID, snap.VersionID, pending)
			shown.Store(true)
		})
		ctx = b.withCardProgress(ctx, snap.AppID, snap.VersionID)
	}
	fromPress := false // the press left a view of the version to draw the card from
	switch {
	case strings.HasPrefix(id, actAttachBuild):
		fromPress = true
		var bd *asc.Build
		bd, err = b.rel.AttachBuild(ctx, user, snap)
		if err == nil {
			step = fmt.Sprintf("<@%s> attached build %s", user, bd.Version)
		}
	case id == actSubmit:
		fromPress = true
		var res string
		res, err = b.rel.Submit(ctx, user, snap)
		if err == nil {
			verb := "submitted"
			if strings.HasPrefix(res, "resubmitted") {
				verb = "resubmitted"
			}
			step, want = fmt.Sprintf("<@%s> %s for review", user, verb), asc.StateWaitingForReview
		}
	case id == actCancel:
		if snap.SubmissionID == "" {
			err = &release.StaleError{Changes: []string{"the card showed no review submission"}}
			break
		}
		var app asc.App
		app, err = b.rel.App(ctx, snap.AppID)
		if err == nil {
			err = b.rel.CancelVersionSubmission(ctx, user, app, snap.VersionID, snap.SubmissionID, snap.Rev)
		}
		if err == nil {
			fromPress = true
			step, want = fmt.Sprintf("<@%s> cancelled the review submission", user), asc.StateDeveloperRejected
		}
	case id == actRelease:
		if snap.State != string(asc.StatePendingDeveloperRelease) {
			err = &release.StaleError{Changes: []string{"the card did not offer a release"}}
			break
		}
		var res string
		res, err = b.rel.Release(ctx, user, snap.AppID, snap.VersionID)
		if err == nil {
			fromPress = true
			step, want = fmt.Sprintf("<@%s> %s", user, res), asc.StateProcessingForDistribution
		}
	case id == actPhasedPause || id == actPhasedResume || id == actPhasedDone:
		target := asc.PhasedReleaseState(snap.Arg)
		var ph *asc.PhasedRelease
		ph, err = b.rel.SetPhased(ctx, user, snap.AppID, snap.VersionID, target, snap.Rev)
		if err == nil {
			fromPress = true
			step = fmt.Sprintf("<@%s> %s the phased release: %s", user, phasedVerb(target), PhasedLine(ph))
		}
	case id == actRefresh:
	default:
		b.log.Warn("unknown action", "action_id", id)
		return
	}
	var stale *release.StaleError
	refresh := err == nil || errors.As(err, &stale) || errors.Is(err, errNoCard)
	if shown.Load() && !refresh && !errors.Is(err, release.ErrInProgress) {
		// Refused or failed: give the card its buttons back before saying
		// why. (A press still in progress elsewhere redraws the card itself
		// when it ends.)
		if _, _, rerr := b.afterPress(ctx, snap.AppID, snap.VersionID); rerr != nil && !errors.Is(rerr, errNoCard) {
			b.log.Warn("restoring the card", "err", rerr)
		}
	}
	if err != nil {
		b.log.Info("action not carried out", "action_id", id, "user", user, "err", err)
		b.tell(ctx, cb, userMessage(err))
	}
	if refresh {
		refresh := b.refreshCard
		if fromPress {
			refresh = b.afterPress
		}
		v, card, rerr := refresh(ctx, snap.AppID, snap.VersionID)
		if rerr != nil && !errors.Is(rerr, errNoCard) {
			b.log.Warn("refreshing the card", "err", rerr)
		}
		if err == nil {
			b.acknowledge(v, want)
		}
		if step != "" && card.TS != "" {
			b.thread(ctx, card, user, step, false)
		}
	}
	if err == nil && cb.View.Type == slack.VTHomeTab {
		b.publishHomeNotice(ctx, user, "✓ "+strings.TrimPrefix(step, fmt.Sprintf("<@%s> ", user)))
	}
	if err == nil && id == actCancel {
		b.followCancel(ctx, snap.AppID, snap.VersionID, snap.SubmissionID)
	}
}

// followCancel waits until Apple has finished cancelling a submission (it
// leaves Canceling) and then rewrites the card, so Submit comes back without
// anyone pressing Refresh.
func (b *Bot) followCancel(ctx context.Context, appID, versionID, submissionID string) {
	st, err := b.rel.FollowCancel(ctx, appID, submissionID)
	if err != nil {
		b.log.Warn("following a cancelled submission", "submission", submissionID, "err", err)
		return
	}
	if st == asc.SubmissionCanceling {
		b.log.Warn("the submission is still canceling; the poller or Refresh will show the end", "submission", submissionID)
		return
	}
	if _, _, err := b.refreshCard(ctx, appID, versionID); err != nil && !errors.Is(err, errNoCard) {
		b.log.Warn("refreshing the card after the cancel", "err", err)
	}
}

// pendingText is what a press that goes to App Store Connect shows while it
// runs ("" for presses that only read).
func pendingText(id string, act slack.BlockAction) string {
	switch {
	case strings.HasPrefix(id, actAttachBuild):
		label := strings.TrimPrefix(act.Text.Text, "✓ ")
		if label == "" {
			label = "the build"
		}
		return "⏳ Attaching " + strings.Replace(label, "Build", "build", 1) + "…"
	case id == actSubmit && strings.HasPrefix(act.Text.Text, "Resubmit"):
		return "⏳ Resubmitting the same review submission…"
	case id == actSubmit:
		return "⏳ Submitting for review…"
	case id == actCancel:
		return "⏳ Cancelling the review submission…"
	case id == actRelease:
		return "⏳ Releasing…"
	case id == actPhasedPause:
		return "⏳ Pausing the phased release…"
	case id == actPhasedResume:
		return "⏳ Resuming the phased release…"
	case id == actPhasedDone:
		return "⏳ Releasing to everyone…"
	}
	return ""
}

func (b *Bot) onOpenNotes(ctx context.Context, cb slack.InteractionCallback, snap release.Snapshot) {
	resp, err := b.posters.openView(ctx, cb.TriggerID, loadingModal("What's New"))
	if err != nil {
		b.log.Error("opening the notes modal", "err", err)
		b.tell(ctx, cb, "I couldn't open the What's New form ("+err.Error()+"). Try the button again.")
		return
	}
	b.fillNotesModal(ctx, resp.ID, snap.AppID, snap.VersionID, cb.Channel.ID)
}

// saveNotes writes a notes modal's texts after its ack; the draft is saved
// first, so a refusal from Apple loses nothing (the form comes back filled).
func (b *Bot) saveNotes(ctx context.Context, user string, in notesInput) {
	changed, err := b.rel.SetNotes(b.withCardProgress(ctx, in.Meta.AppID, in.Meta.VersionID), user, in.Meta.AppID, in.Meta.VersionID, in.Notes, in.Encryption)
	card, hasCard, _ := b.store.GetCard(in.Meta.AppID, in.Meta.VersionID)
	channel := in.Meta.Channel
	if hasCard {
		channel = card.Channel
	}
	if err != nil {
		msg := userMessage(err) + " Your text is saved: open What's New again to continue."
		if channel != "" {
			if perr := b.posters.ephemeral(ctx, channel, user, slack.MsgOptionText(msg, false)); perr != nil {
				b.log.Error("telling a user", "err", perr)
			}
		}
		return
	}
	if !hasCard {
		return
	}
	_, card, rerr := b.afterPress(ctx, in.Meta.AppID, in.Meta.VersionID)
	if rerr != nil {
		b.log.Warn("refreshing the card", "err", rerr)
	}
	if len(changed) > 0 && card.TS != "" {
		b.thread(ctx, card, user, fmt.Sprintf("<@%s> %s", user, describeChanges(changed)), false)
	}
}

// describeChanges says what a notes form changed, as a predicate:
// "set What's New (en-US, ja) and answered export compliance".
func describeChanges(changed []string) string {
	var locs []string
	other := ""
	for _, c := range changed {
		if c == "export compliance" {
			other = " and answered export compliance"
			continue
		}
		locs = append(locs, c)
	}
	if len(locs) == 0 {
		return strings.TrimPrefix(other, " and ")
	}
	return "set What's New (" + strings.Join(locs, ", ") + ")" + other
}

func (b *Bot) onCreateVersion(ctx context.Context, cb slack.InteractionCallback, act slack.BlockAction) {
	parts := strings.Split(act.Value, "|")
	if len(parts) != 3 {
		return
	}
	app, err := b.rel.App(ctx, parts[0])
	if err == nil {
		var v *asc.AppStoreVersion
		v, err = b.rel.CreateVersion(ctx, cb.User.ID, app, parts[1], asc.Platform(parts[2]))
		if err == nil {
			b.respondReplace(ctx, cb, fmt.Sprintf("✓ Created %s %s.", app.Name, parts[1]))
			_, err = b.showCard(ctx, cb.Channel.ID, cb.User.ID, app.ID, v.ID)
			err = slackChannelHint(err)
		}
	}
	if err != nil {
		b.tell(ctx, cb, userMessage(err))
	}
}

// respondReplace replaces the ephemeral message the button was on.
func (b *Bot) respondReplace(ctx context.Context, cb slack.InteractionCallback, text string) {
	ctx, cancel := replyContext(ctx)
	defer cancel()
	if cb.ResponseURL == "" {
		return
	}
	if err := b.posters.replaceOriginal(ctx, cb.ResponseURL, reply{Text: text}); err != nil {
		b.log.Warn("replacing an ephemeral reply", "err", err)
	}
}

func (b *Bot) onCancelFromCommand(ctx context.Context, cb slack.InteractionCallback, act slack.BlockAction) {
	parts := strings.Split(act.Value, "|")
	if len(parts) != 2 {
		return
	}
	// The cards showing the submission, found first: the cancel then reads
	// the (first) card's version with it and leaves the card's next view.
	var showing []store.Card
	if cards, err := b.store.ListCards(); err != nil {
		b.log.Warn("listing the cards of a cancelled submission", "err", err)
	} else {
		for _, c := range cards {
			if c.AppID == parts[0] && c.SubmissionID == parts[1] {
				showing = append(showing, c)
			}
		}
	}
	versionID := ""
	if len(showing) > 0 {
		versionID = showing[0].VersionID
	}
	app, err := b.rel.App(ctx, parts[0])
	if err == nil {
		err = b.rel.CancelVersionSubmission(ctx, cb.User.ID, app, versionID, parts[1], 0)
	}
	if err != nil {
		b.tell(ctx, cb, userMessage(err))
		return
	}
	b.respondReplace(ctx, cb, fmt.Sprintf("✓ Cancelled the review submission of %s.", app.Name))
	for _, c := range showing {
		b.afterAction(ctx, c.AppID, c.VersionID, cb.User.ID, fmt.Sprintf("<@%s> cancelled the review submission", cb.User.ID), asc.StateDeveloperRejected)
		b.followCancel(ctx, c.AppID, c.VersionID, parts[1])
	}
}

func (b *Bot) onSubmitIAP(ctx context.Context, cb slack.InteractionCallback, act slack.BlockAction) {
	parts := strings.Split(act.Value, "|")
	if len(parts) != 2 {
		return
	}
	app, err := b.rel.App(ctx, parts[0])
	if err == nil {
		err = b.rel.SubmitIAP(ctx, cb.User.ID, app, parts[1])
	}
	if err != nil {
		b.tell(ctx, cb, userMessage(err))
		return
	}
	b.respondReplace(ctx, cb, "✓ Submitted the in-app purchase for review.")
}

func (b *Bot) onAvailability(ctx context.Context, cb slack.InteractionCallback, act slack.BlockAction) {
	app, err := b.rel.App(ctx, act.Value)
	n := 0
	last := ""
	if err == nil {
		// The answer the button sits on says how far the work got.
		pctx := release.WithProgress(ctx, func(step string) {
			last = step
			b.respondReplace(ctx, cb, step)
		})
		n, err = b.rel.MakeAvailableEverywhere(pctx, cb.User.ID, app)
	}
	if err != nil {
		if last != "" {
			b.respondReplace(ctx, cb, "✗ Stopped at: "+strings.TrimSuffix(strings.TrimPrefix(last, "⏳ "), "…")+". "+userMessage(err))
			return
		}
		b.tell(ctx, cb, userMessage(err))
		return
	}
	b.respondReplace(ctx, cb, fmt.Sprintf("✓ %s is now available in all %d territories, and in new ones as Apple adds them.", app.Name, n))
}
