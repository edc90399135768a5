package slackui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/beta"
)

// TestFlight action ids and the What to Test modal.
const (
	// Every value is the card's snapshot (beta.View.Snapshot).
	actTFAdd     = "tf_add"     // static_select: option value snapshot, Arg = group
	actTFRemove  = "tf_remove"  // static_select: option value snapshot, Arg = group
	actTFNotes   = "tf_notes"   // button: snapshot
	actTFSubmit  = "tf_submit"  // button: snapshot
	actTFRefresh = "tf_refresh" // button: snapshot

	tfNotesCallback = "tf_notes"
	blockTFNotes    = "tf_notes_"
	blockTFMore     = "tf_more_"
	blockTFEnc      = "tf_encryption"
)

// TestFlightMeta is what the TestFlight card shows besides App Store Connect's state.
type TestFlightMeta struct {
	Sandbox bool
	// Pending, when set, replaces the buttons while a press is being carried
	// out ("⏳ Submitting for beta review…").
	Pending string
	// Rev is the card's revision; its buttons carry it in their snapshot.
	Rev int
}

// TestFlightURL links the build's TestFlight page in App Store Connect.
func TestFlightURL(appID, buildID string) string {
	return fmt.Sprintf("https://appstoreconnect.apple.com/apps/%s/testflight/ios/%s", appID, buildID)
}

func tfTitle(v *beta.View) string {
	b := v.Build.Build
	mv := ""
	if b.MarketingVersion != "" {
		mv = " " + b.MarketingVersion
	}
	return fmt.Sprintf("%s%s · build %s", v.App.Name, mv, b.Version)
}

// tfValue is a TestFlight button's value: what the card shows, so that a
// press can be checked against App Store Connect first.
func tfValue(v *beta.View, m TestFlightMeta, arg string) string {
	return v.Snapshot(m.Rev, arg).Encode()
}

func groupKind(g asc.BetaGroup) string {
	if g.Internal {
		return "internal"
	}
	return "external"
}

// RenderTestFlightCard renders a build's TestFlight card: its states, the
// groups it is in, What to Test per locale, beta review, and the buttons
// Apple would accept now.
func RenderTestFlightCard(v *beta.View, m TestFlightMeta, now time.Time) []slack.Block {
	b := v.Build.Build
	title := "TestFlight · " + tfTitle(v)
	if m.Sandbox {
		title = "SANDBOX · " + title
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plain(truncate(title, 150)), slack.HeaderBlockOptionBlockID("tf_header"))}
	if m.Sandbox {
		blocks = append(blocks, slack.NewContextBlock("tf_sandbox", mrkdwn("_Sandbox: simulated App Store Connect, nothing reaches Apple._")))
	}
	uploaded := "—"
	if b.UploadedDate != nil {
		uploaded = ago(now, *b.UploadedDate)
	}
	expires := "—"
	if b.ExpirationDate != nil {
		expires = b.ExpirationDate.UTC().Format("2 Jan 2006")
		if v.ExpiresWithin(now, beta.ExpiryWarning) {
			expires = "⚠ " + expires + " (within 7 days)"
		}
	}
	if b.Expired {
		expires = "expired"
	}
	internal, external := "—", "—"
	if v.Build.Detail != nil {
		internal, external = v.InternalState().Label(), v.ExternalState().Label()
	}
	review := "not submitted"
	if v.Build.Review != nil {
		review = v.Build.Review.State.Label()
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, []*slack.TextBlockObject{
		mrkdwn("*Build*\n" + fmt.Sprintf("%s · uploaded %s", b.Version, uploaded)),
		mrkdwn("*Export compliance*\n" + yesNoCompliance(b.UsesNonExemptEncryption)),
		mrkdwn("*Internal testing*\n" + internal),
		mrkdwn("*External testing*\n" + external),
		mrkdwn("*Beta review*\n" + review),
		mrkdwn("*Expires*\n" + expires),
	}, nil, slack.SectionBlockOptionBlockID("tf_facts")))

	var groupLines []string
	for _, g := range v.Groups {
		if !v.InGroup(g.ID) {
			continue
		}
		state := "waiting"
		if v.Available(g) {
			state = "✓ testers can install it"
		} else if !g.Internal {
			state = "after beta review"
		}
		if g.Internal && !v.Available(g) {
			state = strings.ToLower(v.InternalState().Label())
		}
		groupLines = append(groupLines, fmt.Sprintf("• *%s* (%s) — %s", g.Name, groupKind(g), state))
	}
	if len(groupLines) == 0 {
		groupLines = []string{"_In no beta group yet._"}
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(truncate("*Groups*\n"+strings.Join(groupLines, "\n"), 3000)), nil, nil, slack.SectionBlockOptionBlockID("tf_groups")))

	wtt := v.WhatToTest()
	var locs []string
	for _, loc := range v.Locales {
		mark := "✗"
		if strings.TrimSpace(wtt[loc]) != "" {
			mark = "✓"
		}
		locs = append(locs, loc+" "+mark)
	}
	blocks = append(blocks, slack.NewContextBlock("tf_what_to_test", mrkdwn(truncate("*What to Test*  "+strings.Join(locs, " · "), 2000))))

	switch {
	case m.Pending != "":
		blocks = append(blocks, slack.NewContextBlock("tf_pending", mrkdwn(truncate(m.Pending, 2000))))
	case v.Usable():
		var elems []slack.BlockElement
		var addOpts, removeOpts []*slack.OptionBlockObject
		for _, g := range v.Groups {
			opt := slack.NewOptionBlockObject(tfValue(v, m, g.ID), plain(truncate(fmt.Sprintf("%s (%s)", g.Name, groupKind(g)), 75)), nil)
			// A menu holds at most maxSelectOptions; groups past it are
			// reached from App Store Connect (the footer's link).
			switch {
			case v.InGroup(g.ID):
				if len(removeOpts) < maxSelectOptions {
					removeOpts = append(removeOpts, opt)
				}
			case len(addOpts) < maxSelectOptions:
				addOpts = append(addOpts, opt)
			}
		}
		if len(addOpts) > 0 {
			elems = append(elems, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Add to group"), actTFAdd, addOpts...))
		}
		elems = append(elems, button(actTFNotes, "What to Test", tfValue(v, m, ""), ""))
		if v.CanSubmitForReview() {
			sb := button(actTFSubmit, "Submit for beta review", tfValue(v, m, ""), slack.StylePrimary)
			sb.Confirm = confirm("Submit for beta review?", fmt.Sprintf("Send build %s of *%s* to TestFlight App Review. External groups get it once Apple approves.", b.Version, v.App.Name), "Submit")
			elems = append(elems, sb)
		}
		if len(removeOpts) > 0 {
			elems = append(elems, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Remove from group"), actTFRemove, removeOpts...))
		}
		elems = append(elems, button(actTFRefresh, "Refresh", tfValue(v, m, ""), ""))
		blocks = append(blocks, slack.NewActionBlock("tf_actions", elems...))
	default:
		blocks = append(blocks, slack.NewActionBlock("tf_actions", button(actTFRefresh, "Refresh", tfValue(v, m, ""), "")))
	}
	blocks = append(blocks, slack.NewContextBlock("tf_footer", mrkdwn(fmt.Sprintf("<%s|Open in App Store Connect>", TestFlightURL(v.App.ID, b.ID)))))
	return blocks
}

// testFlightLine sums up the app's newest build's TestFlight side in one
// line (/asc status and App Home): its internal and external state, beta
// review and groups. A zero bb: the app has no build.
func testFlightLine(bb *asc.BetaBuild) string {
	if bb.Build.ID == "" {
		return "*TestFlight:* no build yet"
	}
	b := bb.Build
	line := "*TestFlight:* build " + b.Version
	if b.MarketingVersion != "" {
		line += " (" + b.MarketingVersion + ")"
	}
	switch {
	case b.Expired:
		return line + " · expired"
	case b.ProcessingState != asc.BuildValid:
		return line + " · " + b.ProcessingState.Label()
	}
	if d := bb.Detail; d != nil {
		line += " · internal " + d.InternalState.Label() + " · external " + d.ExternalState.Label()
	}
	review := "not submitted"
	if bb.Review != nil {
		review = bb.Review.State.Label()
	}
	line += " · beta review " + review
	var groups []string
	for _, g := range bb.Groups {
		groups = append(groups, g.Name)
	}
	slices.Sort(groups)
	if len(groups) == 0 {
		return line + " · in no group"
	}
	return line + " · in " + strings.Join(groups, ", ")
}

// tfFallback is the card's notification text (also what the old one-line
// build notice said).
func tfFallback(v *beta.View) string {
	b := v.Build.Build
	mv := ""
	if b.MarketingVersion != "" {
		mv = " (" + b.MarketingVersion + ")"
	}
	return fmt.Sprintf("🛠 *%s* build %s%s finished processing and is ready to attach and to test.", v.App.Name, b.Version, mv)
}

// tfNotesMeta is the What to Test modal's private_metadata.
type tfNotesMeta struct {
	AppID   string   `json:"a"`
	BuildID string   `json:"b"`
	Locales []string `json:"l"`
	AskEnc  bool     `json:"e,omitempty"`
}

// RenderWhatToTestModal renders one box per TestFlight locale (continued in
// a second box past Slack's 3000 characters), prefilled with a saved draft,
// else the build's text, else the previous build's; it asks export
// compliance when the build has no answer, since no tester can install it
// without one.
func RenderWhatToTestModal(v *beta.View, draft map[string]string) slack.ModalViewRequest {
	meta := tfNotesMeta{AppID: v.App.ID, BuildID: v.Build.Build.ID, AskEnc: v.Build.Build.UsesNonExemptEncryption == nil}
	blocks := []slack.Block{slack.NewContextBlock("tf_notes_intro", mrkdwn(truncate(fmt.Sprintf("*%s* · up to %d characters per locale. Slack holds %d in one box, so longer text continues in the second box.", tfTitle(v), asc.MaxWhatToTest, slackInputMax), 2000)))}
	cur := v.WhatToTest()
	for _, loc := range v.Locales {
		meta.Locales = append(meta.Locales, loc)
		text := cur[loc]
		if d := draft[loc]; d != "" {
			text = d
		} else if text == "" {
			text = v.Previous[loc]
		}
		first, rest := splitNote(text)
		in := slack.NewPlainTextInputBlockElement(plain("What should testers try in this build?"), inputText)
		in.Multiline = true
		in.MaxLength = slackInputMax
		in.InitialValue = first
		ib := slack.NewInputBlock(blockTFNotes+loc, plain(loc), nil, in)
		ib.Optional = true
		more := slack.NewPlainTextInputBlockElement(plain("Continues the text above, past 3000 characters"), inputText)
		more.Multiline = true
		more.MaxLength = slackInputMax
		more.InitialValue = rest
		mb := slack.NewInputBlock(blockTFMore+loc, plain(loc+" (continued)"), nil, more)
		mb.Optional = true
		blocks = append(blocks, ib, mb)
	}
	if meta.AskEnc {
		rb := slack.NewRadioButtonsBlockElement("answer",
			slack.NewOptionBlockObject("no", plain("No: only exempt encryption, or none"), nil),
			slack.NewOptionBlockObject("yes", plain("Yes: uses non-exempt encryption"), nil),
		)
		blocks = append(blocks, slack.NewInputBlock(blockTFEnc, plain("Does this build use non-exempt encryption? (export compliance)"), nil, rb))
	}
	md, _ := json.Marshal(meta)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      tfNotesCallback,
		Title:           plain("What to Test"),
		Close:           plain("Cancel"),
		Submit:          plain("Save"),
		PrivateMetadata: string(md),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// tfNotesInput is a parsed What to Test submission.
type tfNotesInput struct {
	Meta       tfNotesMeta
	Texts      map[string]string
	Encryption *bool
}

// parseWhatToTest reads the modal's submission and checks Apple's limit per
// locale; errors are keyed by input block id, shown inline before the ack.
func parseWhatToTest(view slack.View) (tfNotesInput, map[string]string, error) {
	var in tfNotesInput
	if err := json.Unmarshal([]byte(view.PrivateMetadata), &in.Meta); err != nil {
		return in, nil, fmt.Errorf("reading the modal's metadata: %w", err)
	}
	vals := map[string]map[string]slack.BlockAction{}
	if view.State != nil {
		vals = view.State.Values
	}
	in.Texts = tfBoxes.read(vals, in.Meta.Locales)
	if in.Meta.AskEnc {
		in.Encryption = yesNo(vals[blockTFEnc]["answer"])
	}
	errs := map[string]string{}
	bad := beta.ValidateWhatToTest(in.Texts)
	locs := make([]string, 0, len(bad))
	for loc := range bad {
		locs = append(locs, loc)
	}
	slices.Sort(locs)
	for _, loc := range locs {
		errs[tfBoxes.errorBlock(vals, loc)] = bad[loc]
	}
	return in, errs, nil
}
