package slackui

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
)

// Action ids of the buttons the bot renders. Build buttons carry the build id
// as a suffix (action ids must be unique within a block).
const (
	actAttachBuild   = "attach_build"
	actOpenNotes     = "open_notes"
	actSubmit        = "submit"
	actCancel        = "cancel_submission"
	actRelease       = "release"
	actPhasedPause   = "phased_pause"
	actPhasedResume  = "phased_resume"
	actPhasedDone    = "phased_complete"
	actRefresh       = "refresh"
	actCreateVersion = "create_version"
	actCancelConfirm = "cancel_open_submission"
	actSubmitIAP     = "submit_iap"
	actAvailability  = "make_available"
)

// CardMeta is what the store knows about a card beyond App Store Connect.
type CardMeta struct {
	Rev         int
	SubmittedBy string
	ReleasedBy  string
	Sandbox     bool
	Approvers   []string
	// Pending is the action in flight, shown while it runs ("Submitting…").
	Pending string
	// MovedTo names the channel a card moved to; the old message says so.
	MovedTo string
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}
func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// truncate cuts s to at most n characters (runes), marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func yesNoCompliance(b *bool) string {
	switch {
	case b == nil:
		return "✗ not answered"
	case *b:
		return "uses non-exempt encryption"
	}
	return "no non-exempt encryption"
}

func button(actionID, label, value string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, value, plain(truncate(label, 75)))
	if style != "" {
		b.Style = style
	}
	return b
}

func confirm(title, text, yes string) *slack.ConfirmationBlockObject {
	return slack.NewConfirmationBlockObject(plain(truncate(title, 100)), mrkdwn(truncate(text, 300)), plain(truncate(yes, 30)), plain("Not now"))
}

// cardTitle is the card's plain title line ("KotenOCR 1.1.0 · iOS").
func cardTitle(v *release.VersionView) string {
	return fmt.Sprintf("%s %s · %s", v.App.Name, v.Version.VersionString, platformLabel(v.Version.Platform))
}

func platformLabel(p asc.Platform) string {
	switch p {
	case asc.PlatformIOS:
		return "iOS"
	case asc.PlatformMacOS:
		return "macOS"
	case asc.PlatformTvOS:
		return "tvOS"
	case asc.PlatformVisionOS:
		return "visionOS"
	}
	return string(p)
}

// phasedShares is the share of users on each day of Apple's 7-day rollout.
var phasedShares = []int{1, 2, 5, 10, 20, 50, 100}

// PhasedLine describes a phased release in words: day N of 7, share, pause budget.
func PhasedLine(p *asc.PhasedRelease) string {
	switch p.State {
	case asc.PhasedInactive:
		return "Phased release over 7 days starts when the version is released"
	case asc.PhasedComplete:
		return "Phased release complete: 100 % of users"
	}
	day := min(max(p.CurrentDayNumber, 1), 7)
	line := fmt.Sprintf("Phased release day %d of 7 · %d %% of users", day, phasedShares[day-1])
	if p.State == asc.PhasedPaused {
		line = "⏸ Paused · " + line
	}
	return line + fmt.Sprintf(" · paused %d of 30 days", p.TotalPauseDuration)
}

// RenderCard renders the living message of one app version.
func RenderCard(v *release.VersionView, m CardMeta, now time.Time) []slack.Block {
	snap := v.Snapshot(m.Rev)
	st := v.Version.State()
	title := cardTitle(v)
	if m.Sandbox {
		title = "SANDBOX · " + title
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plain(truncate(title, 150)))}
	if m.MovedTo != "" {
		return append(blocks, slack.NewSectionBlock(mrkdwn(fmt.Sprintf("This card moved to <#%s>.", m.MovedTo)), nil, nil))
	}
	stateText := fmt.Sprintf("*%s*", st.Label())
	if m.Pending != "" {
		stateText += " · _" + m.Pending + "_"
	}
	if m.Sandbox {
		stateText += "\n_Sandbox: simulated App Store Connect, nothing reaches Apple._"
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(stateText), nil, nil, slack.SectionBlockOptionBlockID("state")))

	buildText := "—"
	if b := v.Build; b != nil {
		buildText = fmt.Sprintf("Build %s", b.Version)
		if b.UploadedDate != nil {
			buildText += " · uploaded " + ago(now, *b.UploadedDate)
		}
		if b.ProcessingState != asc.BuildValid {
			buildText += " · " + b.ProcessingState.Label()
		}
	}
	subText := "—"
	if v.Submission != nil {
		subText = v.Submission.State.Label()
	}
	fields := []*slack.TextBlockObject{
		mrkdwn("*Build*\n" + buildText),
		mrkdwn("*Export compliance*\n" + yesNoCompliance(v.Encryption())),
		mrkdwn("*Release*\n" + strings.ToUpper(release.ReleaseTypeLabel(&v.Version)[:1]) + release.ReleaseTypeLabel(&v.Version)[1:]),
		mrkdwn("*Review submission*\n" + subText),
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil, slack.SectionBlockOptionBlockID("facts")))

	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(notesLine(v)), nil, nil, slack.SectionBlockOptionBlockID("notes")))

	submittable := release.Submittable(st)
	if submittable {
		var lines []string
		for _, c := range v.Preflight.Checks {
			mark := "✓"
			switch {
			case c.Warn && !c.OK:
				mark = "⚠"
			case !c.OK:
				mark = "✗"
			}
			lines = append(lines, mark+" "+c.Detail)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(truncate("*Preflight*\n"+strings.Join(lines, "\n"), 3000)), nil, nil, slack.SectionBlockOptionBlockID("preflight")))
	}
	if len(v.SubmissionItems) > 0 && (st.Rejected() || (v.Submission != nil && v.Submission.State == asc.SubmissionUnresolvedIssues)) {
		var lines []string
		for _, it := range v.SubmissionItems {
			what := it.Kind
			if it.VersionID() == v.Version.ID {
				what = "version " + v.Version.VersionString
			}
			lines = append(lines, fmt.Sprintf("• %s: %s", what, it.State.Label()))
		}
		lines = append(lines, fmt.Sprintf("<%s|Open the version in App Store Connect> for Apple's message in the Resolution Center.", VersionURL(v.App.ID, v.Version)))
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(truncate("*Submission items*\n"+strings.Join(lines, "\n"), 3000)), nil, nil, slack.SectionBlockOptionBlockID("items")))
	}
	if v.Phased != nil {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(PhasedLine(v.Phased)), nil, nil, slack.SectionBlockOptionBlockID("phased")))
	}
	if st == asc.StatePendingDeveloperRelease {
		if v.Version.ManualRelease() {
			who := "nobody is configured to release"
			if len(m.Approvers) > 0 {
				who = "approvers: " + release.MentionList(m.Approvers)
			}
			blocks = append(blocks, slack.NewContextBlock("release_info", mrkdwn("Approved — waiting for a manual release · "+who)))
		} else {
			blocks = append(blocks, slack.NewContextBlock("release_info", mrkdwn("Approved — releases "+release.ReleaseTypeLabel(&v.Version))))
		}
	}
	if (st == asc.StatePendingDeveloperRelease || st == asc.StateReadyForDistribution) && len(v.PendingIAPs) > 0 {
		var names []string
		for _, p := range v.PendingIAPs {
			names = append(names, p.Name)
		}
		blocks = append(blocks, slack.NewContextBlock("iap_info", mrkdwn(truncate("⚠ In-app purchases still ready to submit (not in this review): "+strings.Join(names, ", "), 2000))))
	}

	var elems []slack.BlockElement
	if submittable && m.Pending == "" {
		n := 0
		for _, b := range v.Builds {
			if b.ProcessingState != asc.BuildValid || n == 5 {
				continue
			}
			n++
			s := snap
			s.Arg = b.ID
			label := "Build " + b.Version
			style := slack.Style("")
			if v.Build != nil && v.Build.ID == b.ID {
				label = "✓ Build " + b.Version
				style = slack.StylePrimary
			}
			elems = append(elems, button(actAttachBuild+"_"+b.ID, label, s.Encode(), style))
		}
		if !v.FirstVersion || v.Encryption() == nil {
			elems = append(elems, button(actOpenNotes, "What's New", snap.Encode(), ""))
		}
		if v.Preflight.Passed() {
			if v.Resubmission() {
				b := button(actSubmit, "Resubmit for review", snap.Encode(), slack.StylePrimary)
				b.Confirm = confirm("Resubmit for review?", fmt.Sprintf("Resubmit *%s* with build %s to App Review, in the same review submission.", cardTitle(v), buildNumber(v)), "Resubmit")
				elems = append(elems, b)
			} else {
				b := button(actSubmit, "Submit for review", snap.Encode(), slack.StylePrimary)
				b.Confirm = confirm("Submit for review?", fmt.Sprintf("Submit *%s* with build %s to App Review.", cardTitle(v), buildNumber(v)), "Submit")
				elems = append(elems, b)
			}
		}
	}
	if v.Submission != nil && m.Pending == "" {
		switch v.Submission.State {
		case asc.SubmissionReadyForReview, asc.SubmissionWaitingForReview, asc.SubmissionInReview, asc.SubmissionUnresolvedIssues:
			b := button(actCancel, "Cancel submission", snap.Encode(), slack.StyleDanger)
			b.Confirm = confirm("Cancel the submission?", fmt.Sprintf("Withdraw *%s* from App Review. You can submit again afterwards.", cardTitle(v)), "Cancel submission")
			elems = append(elems, b)
		}
	}
	if st == asc.StatePendingDeveloperRelease && v.Version.ManualRelease() && m.Pending == "" {
		b := button(actRelease, "Release", snap.Encode(), slack.StylePrimary)
		text := fmt.Sprintf("Release *%s* (build %s) to the App Store now.", cardTitle(v), buildNumber(v))
		if v.Phased != nil && v.Phased.State == asc.PhasedInactive {
			text += " It rolls out in phases over 7 days."
		}
		b.Confirm = confirm("Release to the App Store?", text, "Release")
		elems = append(elems, b)
	}
	if v.Phased != nil && m.Pending == "" {
		switch v.Phased.State {
		case asc.PhasedActive:
			elems = append(elems, button(actPhasedPause, "Pause", withArg(snap, "PAUSED"), ""))
		case asc.PhasedPaused:
			elems = append(elems, button(actPhasedResume, "Resume", withArg(snap, "ACTIVE"), slack.StylePrimary))
		}
		if v.Phased.State == asc.PhasedActive || v.Phased.State == asc.PhasedPaused {
			b := button(actPhasedDone, "Release to everyone", withArg(snap, "COMPLETE"), slack.StyleDanger)
			b.Confirm = confirm("Release to everyone?", fmt.Sprintf("End the phased release of *%s*: every user gets it now. This cannot be undone.", cardTitle(v)), "Release to everyone")
			elems = append(elems, b)
		}
	}
	elems = append(elems, button(actRefresh, "Refresh", snap.Encode(), ""))
	blocks = append(blocks, slack.NewActionBlock("card_actions", elems...))

	var other []string
	for _, b := range v.Builds {
		if b.ProcessingState != asc.BuildValid {
			other = append(other, fmt.Sprintf("Build %s %s", b.Version, strings.ToLower(b.ProcessingState.Label())))
		}
	}
	if len(other) > 0 {
		blocks = append(blocks, slack.NewContextBlock("other_builds", mrkdwn(truncate(strings.Join(other, " · "), 2000))))
	}
	footer := "Updated " + now.UTC().Format("2 Jan 15:04 MST")
	if m.SubmittedBy != "" {
		footer += fmt.Sprintf(" · submitted by <@%s>", m.SubmittedBy)
	}
	if m.ReleasedBy != "" {
		footer += fmt.Sprintf(" · released by <@%s>", m.ReleasedBy)
	}
	blocks = append(blocks, slack.NewContextBlock("footer", mrkdwn(footer)))
	return blocks
}

func withArg(s release.Snapshot, arg string) string {
	s.Arg = arg
	return s.Encode()
}

func buildNumber(v *release.VersionView) string {
	if v.Build == nil {
		return "—"
	}
	return v.Build.Version
}

func notesLine(v *release.VersionView) string {
	if v.FirstVersion {
		return "*What's New*  not used on an app's first version"
	}
	var parts []string
	for _, l := range v.Localizations {
		n := utf8.RuneCountInString(l.WhatsNew)
		switch {
		case n == 0:
			parts = append(parts, l.Locale+" ✗ missing")
		case n > release.MaxWhatsNew:
			parts = append(parts, fmt.Sprintf("%s ✗ %d chars (max %d)", l.Locale, n, release.MaxWhatsNew))
		default:
			parts = append(parts, l.Locale+" ✓")
		}
	}
	return truncate("*What's New*  "+strings.Join(parts, " · "), 3000)
}

// VersionURL links to the version's page in App Store Connect, where Apple's
// Resolution Center message lives (the public API does not carry it).
func VersionURL(appID string, v asc.AppStoreVersion) string {
	p := "ios"
	switch v.Platform {
	case asc.PlatformMacOS:
		p = "macos"
	case asc.PlatformTvOS:
		p = "tvos"
	case asc.PlatformVisionOS:
		p = "visionos"
	}
	return fmt.Sprintf("https://appstoreconnect.apple.com/apps/%s/distribution/%s/version/inflight", appID, p)
}
