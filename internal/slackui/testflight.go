package slackui

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/beta"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// SetBeta connects the TestFlight workflow.
func (b *Bot) SetBeta(s *beta.Service) { b.beta = s }

func tfKey(appID, buildID string) string { return "tf/" + appID + "/" + buildID }

func (b *Bot) tfMeta() TestFlightMeta { return TestFlightMeta{Sandbox: b.sandbox} }

// showTestFlightCard posts the build's TestFlight card in channel, or brings
// it back when it is there already. A card in another channel moves here.
func (b *Bot) showTestFlightCard(ctx context.Context, channel, user, appID, buildID string) (store.BetaCard, error) {
	unlock := b.cardLocks.lock(tfKey(appID, buildID))
	v, err := b.beta.Load(ctx, appID, buildID)
	if err != nil {
		unlock()
		return store.BetaCard{}, err
	}
	old, exists, err := b.store.GetBetaCard(appID, buildID)
	if err != nil {
		unlock()
		return store.BetaCard{}, fmt.Errorf("reading the TestFlight card: %w", err)
	}
	b.tfLatest.Store(tfKey(appID, buildID), v)
	m := b.tfMeta()
	if exists {
		m.Rev = old.Rev + 1 // the revision the card gets below, either way
	}
	blocks := RenderTestFlightCard(v, m, b.now())
	var card store.BetaCard
	if exists && old.Channel == channel {
		card, err = b.store.UpdateBetaCard(appID, buildID, func(c *store.BetaCard) error { c.Rev++; return nil })
		if err == nil {
			err = b.posters.update(ctx, card.Channel, card.TS, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(tfFallback(v), false))
		}
		unlock()
		if err != nil {
			return card, err
		}
		if user != "" {
			b.tfThread(ctx, card, fmt.Sprintf("<@%s> asked for this card — here it is.", user), true)
		}
	} else {
		ts, perr := b.posters.post(ctx, channel, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(tfFallback(v), false))
		if perr != nil {
			unlock()
			return store.BetaCard{}, perr
		}
		card = store.BetaCard{AppID: appID, AppName: v.App.Name, BuildID: buildID, BuildNumber: v.Build.Build.Version,
			MarketingVersion: v.Build.Build.MarketingVersion, Channel: channel, TS: ts, CreatedAt: b.now()}
		if exists {
			card.Available, card.ReviewState, card.InternalState, card.ExternalState = old.Available, old.ReviewState, old.InternalState, old.ExternalState
			card.Rev = old.Rev + 1
		}
		err = b.store.PutBetaCard(card)
		unlock()
		if err != nil {
			return card, fmt.Errorf("saving the TestFlight card: %w", err)
		}
		if exists {
			if uerr := b.posters.update(ctx, old.Channel, old.TS, slack.MsgOptionText(fmt.Sprintf("This TestFlight card moved to <#%s>.", channel), false)); uerr != nil {
				b.log.Warn("marking the old TestFlight card as moved", "err", uerr)
			}
		}
		b.audit(user, "show-testflight-card", appID, beta.BuildName(v.Build.Build), "ok", "card in "+channel)
	}
	b.tfDrawn.Store(tfKey(appID, buildID), b.tfDrawing(v))
	// A build's first card records what it shows as the baseline: bringing
	// up an old build's card announces nothing that happened before it.
	b.tfNotices(ctx, card, v, !exists)
	return card, nil
}

// refreshTestFlightCard re-reads App Store Connect, rewrites the card and
// posts what changed (each notice once).
func (b *Bot) refreshTestFlightCard(ctx context.Context, appID, buildID string) (*beta.View, store.BetaCard, error) {
	unlock := b.cardLocks.lock(tfKey(appID, buildID))
	if _, ok, err := b.store.GetBetaCard(appID, buildID); err != nil || !ok {
		unlock()
		if err == nil {
			err = errNoCard
		}
		return nil, store.BetaCard{}, err
	}
	v, err := b.beta.Load(ctx, appID, buildID)
	if err != nil {
		unlock()
		return nil, store.BetaCard{}, err
	}
	key := tfKey(appID, buildID)
	b.tfLatest.Store(key, v)
	drawing := b.tfDrawing(v)
	if last, ok := b.tfDrawn.Load(key); ok && last == drawing {
		// Nothing on the card changed: no chat.update, and the buttons keep
		// their revision (every poll used to redraw every card).
		card, _, err := b.store.GetBetaCard(appID, buildID)
		unlock()
		if err != nil {
			return v, card, err
		}
		b.tfNotices(ctx, card, v, false)
		return v, card, nil
	}
	card, err := b.store.UpdateBetaCard(appID, buildID, func(c *store.BetaCard) error {
		c.Rev++
		c.Done = v.Build.Build.Expired || v.InternalState() == asc.InternalExpired
		return nil
	})
	if err == nil {
		m := b.tfMeta()
		m.Rev = card.Rev
		err = b.posters.update(ctx, card.Channel, card.TS, slack.MsgOptionBlocks(RenderTestFlightCard(v, m, b.now())...), slack.MsgOptionText(tfFallback(v), false))
	}
	if err == nil {
		b.tfDrawn.Store(key, drawing)
	}
	unlock()
	if err != nil {
		return v, card, err
	}
	b.tfNotices(ctx, card, v, false)
	return v, card, nil
}

// tfDrawing identifies what a TestFlight card shows, apart from the
// revision its buttons carry: two equal drawings need no chat.update.
type tfDrawing [sha256.Size]byte

func (b *Bot) tfDrawing(v *beta.View) tfDrawing {
	raw, err := json.Marshal(RenderTestFlightCard(v, b.tfMeta(), b.now()))
	if err != nil {
		return tfDrawing{} // never equal to a real drawing: the card is redrawn
	}
	return sha256.Sum256(raw)
}

// tfNotices posts what changed since the card last looked, once each (a
// notice mark in the store guards every one across the poller, presses and
// restarts; a post that fails releases its mark so it is offered again):
// beta review states, "available to <group>", and expiry within 7 days. With
// baseline, review and availability notices are marked without being
// posted (the expiry warning still goes out).
func (b *Bot) tfNotices(ctx context.Context, card store.BetaCard, v *beta.View, baseline bool) {
	name := fmt.Sprintf("*%s* build %s", v.App.Name, v.Build.Build.Version)
	if v.Build.Build.MarketingVersion != "" {
		name += " (" + v.Build.Build.MarketingVersion + ")"
	}
	type notice struct {
		key, text, what string
		silent          bool
	}
	var notices []notice
	var available []string
	if r := v.Build.Review; r != nil {
		var text string
		switch r.State {
		case asc.BetaReviewWaiting:
			text = fmt.Sprintf("⏳ %s is *Waiting for Beta Review*.", name)
		case asc.BetaReviewInReview:
			text = fmt.Sprintf("🔍 %s is *In Beta Review*.", name)
		case asc.BetaReviewApproved:
			text = fmt.Sprintf("✅ %s *passed beta review*: external groups can test it.", name)
		case asc.BetaReviewRejected:
			text = fmt.Sprintf("❌ %s was *rejected in beta review*. Apple's message is in App Store Connect: <%s|open the build's TestFlight page>.", name, TestFlightURL(v.App.ID, v.Build.Build.ID))
		}
		if text != "" {
			notices = append(notices, notice{fmt.Sprintf("tf/%s/review/%s/%s", v.Build.Build.ID, r.ID, r.State), text, "beta review " + string(r.State), baseline})
		}
	}
	for _, g := range v.Groups {
		if v.Available(g) {
			available = append(available, g.ID)
			notices = append(notices, notice{fmt.Sprintf("tf/%s/available/%s", v.Build.Build.ID, g.ID),
				fmt.Sprintf("📲 %s is available to *%s*: its testers can install it in TestFlight.", name, g.Name), "available to " + g.Name, baseline})
		}
	}
	if v.ExpiresWithin(b.now(), beta.ExpiryWarning) {
		notices = append(notices, notice{fmt.Sprintf("tf/%s/expiring", v.Build.Build.ID),
			fmt.Sprintf("⌛ %s expires on %s: upload a new build to keep testing.", name, v.Build.Build.ExpirationDate.UTC().Format("2 Jan 2006")), "expires within 7 days", false})
	}
	for _, n := range notices {
		first, err := b.store.MarkNotice(n.key, b.now())
		if err != nil {
			b.log.Warn("marking a TestFlight notice", "err", err)
			continue
		}
		if !first || n.silent {
			continue
		}
		if _, err := b.posters.post(ctx, card.Channel, slack.MsgOptionText(n.text, false)); err != nil {
			b.log.Error("posting a TestFlight notice", "err", err)
			if rerr := b.store.ReleaseNotice(n.key); rerr != nil {
				b.log.Warn("releasing a TestFlight notice mark", "err", rerr)
			}
			continue
		}
		b.metrics.Notification("testflight")
		b.audit("", "testflight-state", card.AppID, beta.BuildName(v.Build.Build), "notice", n.what)
	}
	review := ""
	if v.Build.Review != nil {
		review = string(v.Build.Review.State)
	}
	if _, err := b.store.UpdateBetaCard(card.AppID, card.BuildID, func(c *store.BetaCard) error {
		c.InternalState, c.ExternalState, c.ReviewState, c.Available = string(v.InternalState()), string(v.ExternalState()), review, available
		return nil
	}); err != nil {
		b.log.Warn("recording TestFlight states", "err", err)
	}
}

// tfThread adds a step to the TestFlight card's thread.
func (b *Bot) tfThread(ctx context.Context, card store.BetaCard, text string, broadcast bool) {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionTS(card.TS)}
	if broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	if _, err := b.posters.post(ctx, card.Channel, opts...); err != nil {
		b.log.Error("posting a TestFlight thread reply", "channel", card.Channel, "err", err)
	}
}

// PollTestFlight re-reads every TestFlight card not yet expired, updates it
// and posts what changed (the poller calls it on its schedule; tests call it
// directly). The error joins every card's error.
func (b *Bot) PollTestFlight(ctx context.Context) error {
	if b.beta == nil {
		return nil
	}
	cards, err := b.store.ListBetaCards()
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cards {
		if c.Done {
			continue
		}
		if _, _, err := b.refreshTestFlightCard(ctx, c.AppID, c.BuildID); err != nil {
			errs = append(errs, fmt.Errorf("TestFlight card of build %s: %w", c.BuildID, err))
		}
	}
	return errors.Join(errs...)
}

// cmdTestFlight answers /asc testflight <app> [build].
func (b *Bot) cmdTestFlight(ctx context.Context, cmd slack.SlashCommand, app asc.App, number string) error {
	buildID, err := b.beta.FindBuild(ctx, app.ID, number)
	if err != nil {
		return err
	}
	_, err = b.showTestFlightCard(ctx, cmd.ChannelID, cmd.UserID, app.ID, buildID)
	return slackChannelHint(err)
}

// splitTesters: <app> [group] | <app> add <email> [group] [first [last…]] |
// <app> remove <email> [group]. Arg is list, add or remove. A group or app
// name with spaces is quoted ("Public Beta").
func splitTesters(args []string) (parsedCommand, bool) {
	for i := 1; i+1 < len(args); i++ {
		op := strings.ToLower(args[i])
		if (op == "add" || op == "remove") && strings.Contains(args[i+1], "@") {
			p := parsedCommand{App: strings.Join(args[:i], " "), Arg: op, Email: args[i+1]}
			rest := args[i+2:]
			if len(rest) > 0 {
				p.Group = rest[0]
			}
			if op == "add" && len(rest) > 1 {
				p.Names = strings.Join(rest[1:], " ")
			} else if len(rest) > 1 {
				return parsedCommand{}, false
			}
			return p, true
		}
	}
	p := parsedCommand{App: strings.Join(args, " "), Arg: "list", AppHead: args[0]}
	if len(args) > 1 {
		p.Group = strings.Join(args[1:], " ")
	}
	return p, true
}

// cmdTesters answers /asc testers.
func (b *Bot) cmdTesters(ctx context.Context, cmd slack.SlashCommand, p parsedCommand) error {
	var app asc.App
	var err error
	group := p.Group
	if p.Arg == "list" {
		// The app name may have spaces: every word names the app first, then
		// the first word names the app and the rest the group.
		group = ""
		app, _, err = b.rel.ResolveApp(ctx, p.App)
		if err != nil && p.Group != "" {
			if a, _, err2 := b.rel.ResolveApp(ctx, p.AppHead); err2 == nil {
				app, err, group = a, nil, p.Group
			}
		}
	} else {
		app, _, err = b.rel.ResolveApp(ctx, p.App)
	}
	if err != nil {
		return err
	}
	switch p.Arg {
	case "add":
		first, last, _ := strings.Cut(p.Names, " ")
		g, created, err := b.beta.AddTester(ctx, cmd.UserID, app, p.Email, group, first, last)
		if err != nil {
			return testerError(err)
		}
		verb := "added"
		if created {
			verb = "invited"
		}
		addr, _ := beta.CheckEmail(p.Email)
		b.reply(ctx, cmd, fmt.Sprintf("✓ %s %s to %s (%s) of %s.", capitalize(verb), addr, g.Name, groupKind(g), app.Name))
		return nil
	case "remove":
		g, err := b.beta.RemoveTester(ctx, cmd.UserID, app, p.Email, group)
		if err != nil {
			return testerError(err)
		}
		addr, _ := beta.CheckEmail(p.Email)
		b.reply(ctx, cmd, fmt.Sprintf("✓ Removed %s from %s of %s.", addr, g.Name, app.Name))
		return nil
	}
	g, testers, err := b.beta.GroupTesters(ctx, app, group)
	if err != nil {
		return err
	}
	b.reply(ctx, cmd, fmt.Sprintf("%d testers in %s", len(testers), g.Name), RenderTesters(app, g, testers)...)
	return nil
}

// testerError explains a bad email in words.
func testerError(err error) error {
	if errors.Is(err, beta.ErrBadEmail) {
		return &release.BlockedError{Reasons: []string{"that is not an email address: write it as name@example.com"}}
	}
	return err
}

// RenderTesters renders a group's testers with their state. Emails are
// shown in full only to the person who asked (the reply is ephemeral).
func RenderTesters(app asc.App, g asc.BetaGroup, testers []asc.BetaTester) []slack.Block {
	lines := []string{fmt.Sprintf("*%s* · %s (%s) · %d testers", app.Name, g.Name, groupKind(g), len(testers))}
	for _, t := range testers {
		name := strings.TrimSpace(t.FirstName + " " + t.LastName)
		if name != "" {
			name += " · "
		}
		lines = append(lines, fmt.Sprintf("• %s%s — %s", name, t.Email, t.State.Label()))
	}
	if len(testers) == 0 {
		lines = append(lines, "_No testers yet: `/asc testers "+app.Name+" add name@example.com "+g.Name+"`_")
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwn(truncate(strings.Join(lines, "\n"), 3000)), nil, nil, slack.SectionBlockOptionBlockID("testers"))}
}

// onTestFlightAction handles a press on a TestFlight card.
func (b *Bot) onTestFlightAction(ctx context.Context, cb slack.InteractionCallback, act slack.BlockAction) {
	user := cb.User.ID
	value := act.Value
	if act.SelectedOption.Value != "" {
		value = act.SelectedOption.Value
	}
	if b.beta == nil {
		return
	}
	var step string
	snap, err := release.ParseSnapshot(value)
	if err == nil && snap.BuildID == "" {
		err = errors.New("a version's snapshot on a TestFlight button")
	}
	if err != nil {
		// A card drawn before its buttons carried a snapshot held
		// "app|build[|group]": a press that would act does nothing and
		// the card is redrawn (Refresh and What to Test work as they are).
		parts := strings.Split(value, "|")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || strings.HasPrefix(value, "s1|") {
			b.log.Warn("ignoring a TestFlight press with a foreign value", "action_id", act.ActionID, "err", err)
			return
		}
		snap, err = release.Snapshot{AppID: parts[0], BuildID: parts[1]}, nil
		if act.ActionID == actTFAdd || act.ActionID == actTFRemove || act.ActionID == actTFSubmit {
			err = &release.StaleError{Changes: []string{"it was drawn by an earlier version of ascbot"}}
		}
	}
	appID, buildID := snap.AppID, snap.BuildID
	if act.ActionID == actTFNotes && err == nil {
		b.onOpenWhatToTest(ctx, cb, appID, buildID)
		return
	}
	if err == nil {
		b.tfPending(ctx, cb, appID, buildID, act)
	}
	switch {
	case err != nil:
	case act.ActionID == actTFAdd || act.ActionID == actTFRemove:
		if snap.Arg == "" {
			return
		}
		var g asc.BetaGroup
		if act.ActionID == actTFAdd {
			_, g, err = b.beta.AddToGroup(ctx, user, snap)
			step = fmt.Sprintf("<@%s> added the build to %s (%s)", user, g.Name, groupKind(g))
		} else {
			_, g, err = b.beta.RemoveFromGroup(ctx, user, snap)
			step = fmt.Sprintf("<@%s> removed the build from %s (%s)", user, g.Name, groupKind(g))
		}
	case act.ActionID == actTFSubmit:
		err = b.beta.SubmitForReview(ctx, user, snap)
		step = fmt.Sprintf("<@%s> submitted the build for beta review", user)
	case act.ActionID == actTFRefresh:
	default:
		b.log.Warn("unknown TestFlight action", "action_id", act.ActionID)
		return
	}
	// Redraw the card (its buttons come back) before saying why a press
	// was refused or failed.
	_, card, rerr := b.refreshTestFlightCard(ctx, appID, buildID)
	if rerr != nil && !errors.Is(rerr, errNoCard) {
		b.log.Warn("refreshing the TestFlight card", "err", rerr)
	}
	if err != nil {
		b.log.Info("TestFlight action not carried out", "action_id", act.ActionID, "user", user, "err", err)
		b.tell(ctx, cb, userMessage(err))
	}
	if err == nil && step != "" && card.TS != "" {
		b.tfThread(ctx, card, step, false)
	}
}

// tfPending shows, within a moment of a press, what is being done: the
// card's buttons give way to the step in progress until the result redraws
// it. Without a recent view to draw from, the presser is told privately.
func (b *Bot) tfPending(ctx context.Context, cb slack.InteractionCallback, appID, buildID string, act slack.BlockAction) {
	group := "the group"
	if t := act.SelectedOption.Text; t != nil && t.Text != "" {
		group = t.Text
	}
	var text string
	switch act.ActionID {
	case actTFAdd:
		text = "⏳ Adding the build to " + group + "…"
	case actTFRemove:
		text = "⏳ Removing the build from " + group + "…"
	case actTFSubmit:
		text = "⏳ Submitting for beta review…"
	default:
		return
	}
	if x, ok := b.tfLatest.Load(tfKey(appID, buildID)); ok {
		unlock := b.cardLocks.lock(tfKey(appID, buildID))
		card, has, err := b.store.GetBetaCard(appID, buildID)
		if err == nil && has && card.TS != "" {
			m := b.tfMeta()
			m.Pending = text
			v := x.(*beta.View)
			err = b.posters.update(ctx, card.Channel, card.TS, slack.MsgOptionBlocks(RenderTestFlightCard(v, m, b.now())...), slack.MsgOptionText(tfFallback(v), false))
			// The card now shows the step: whatever comes next redraws it.
			b.tfDrawn.Delete(tfKey(appID, buildID))
		}
		unlock()
		if err == nil && has {
			return
		}
	}
	b.tell(ctx, cb, text)
}

// onOpenWhatToTest opens the What to Test modal at once (the trigger_id
// lives 3 s) and fills it when App Store Connect has answered.
func (b *Bot) onOpenWhatToTest(ctx context.Context, cb slack.InteractionCallback, appID, buildID string) {
	resp, err := b.posters.openView(ctx, cb.TriggerID, loadingModal("What to Test"))
	if err != nil {
		b.log.Error("opening the What to Test modal", "err", err)
		b.tell(ctx, cb, "I couldn't open the What to Test form ("+err.Error()+"). Try the button again.")
		return
	}
	v, err := b.beta.Load(ctx, appID, buildID)
	if err != nil {
		b.updateView(ctx, resp.ID, messageModal("What to Test", userMessage(err)))
		return
	}
	var draft map[string]string
	if d, ok, err := b.store.GetDraft(tfDraftKey(buildID)); err == nil && ok {
		draft = d.Notes
	}
	b.updateView(ctx, resp.ID, RenderWhatToTestModal(v, draft))
}

// tfDraftKey keys a build's unsent What to Test.
func tfDraftKey(buildID string) string { return "tf/" + buildID }

// saveWhatToTest writes a What to Test submission after its ack.
// The text is kept as a draft before it goes to Apple, so a refusal loses
// nothing: the form comes back filled.
func (b *Bot) saveWhatToTest(ctx context.Context, user string, in tfNotesInput) {
	draftKey := tfDraftKey(in.Meta.BuildID)
	if err := b.store.PutDraft(store.Draft{Key: draftKey, Notes: in.Texts}); err != nil {
		b.log.Warn("saving the What to Test draft", "err", err)
	}
	changed, err := b.beta.SetWhatToTest(ctx, user, in.Meta.AppID, in.Meta.BuildID, in.Texts, in.Encryption)
	card, hasCard, _ := b.store.GetBetaCard(in.Meta.AppID, in.Meta.BuildID)
	if err != nil {
		if hasCard {
			msg := userMessage(err) + " Your text is saved: open What to Test again to continue."
			if perr := b.posters.ephemeral(ctx, card.Channel, user, slack.MsgOptionText(msg, false)); perr != nil {
				b.log.Error("telling a user", "err", perr)
			}
		}
		return
	}
	if err := b.store.DeleteDraft(draftKey); err != nil {
		b.log.Warn("deleting the What to Test draft", "err", err)
	}
	if !hasCard {
		return
	}
	if _, card, rerr := b.refreshTestFlightCard(ctx, in.Meta.AppID, in.Meta.BuildID); rerr != nil {
		b.log.Warn("refreshing the TestFlight card", "err", rerr)
	} else if len(changed) > 0 {
		b.tfThread(ctx, card, fmt.Sprintf("<@%s> set What to Test (%s)", user, strings.Join(changed, ", ")), false)
	}
}
