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
	actAttachBuild = "attach_build"
	actOpenNotes   = "open_notes"
	// actReleaseOptions opens the release options (type, date, phased).
	actReleaseOptions = "release_options"
	actSubmit         = "submit"
	actCancel         = "cancel_submission"
	actRelease        = "release"
	actPhasedPause    = "phased_pause"
	actPhasedResume   = "phased_resume"
	actPhasedDone     = "phased_complete"
	actRefresh        = "refresh"
	actCreateVersion  = "create_version"
	actCancelConfirm  = "cancel_open_submission"
	actSubmitIAP      = "submit_iap"
	actAvailability   = "make_available"
)

// CardMeta is what the store knows about a card beyond App Store Connect.
type CardMeta struct {
	Rev         int
	SubmittedBy string
	ReleasedBy  string
	Sandbox     bool
	Approvers   []string
	// OpenApprovals: in the sandbox with no approvers configured, everyone
	// may press everything; the card says so.
	OpenApprovals bool
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

// RenderCard renders the living message of one app version: header, state,
// facts, What's New, preflight, review items, release details, the buttons
// and the footer, each drawn by its own part below.
func RenderCard(v *release.VersionView, m CardMeta, now time.Time) []slack.Block {
	blocks := []slack.Block{cardHeader(v, m)}
	if m.MovedTo != "" {
		return append(blocks, slack.NewSectionBlock(mrkdwn(fmt.Sprintf("This card moved to <#%s>.", m.MovedTo)), nil, nil))
	}
	blocks = append(blocks, cardState(v, m), cardFacts(v, now), cardNotes(v))
	blocks = appendIf(blocks, cardPreflight(v), cardReviewItems(v), cardPhased(v), cardReleaseInfo(v, m), cardIAPInfo(v))
	blocks = append(blocks, cardActions(v, m))
	blocks = appendIf(blocks, cardOtherBuilds(v))
	return append(blocks, cardFooter(m, now))
}

// appendIf appends the parts that are present: a part returns a nil Block
// when it has nothing to show.
func appendIf(blocks []slack.Block, parts ...slack.Block) []slack.Block {
	for _, p := range parts {
		if p != nil {
			blocks = append(blocks, p)
		}
	}
	return blocks
}

// cardHeader is the title: app, version and platform.
func cardHeader(v *release.VersionView, m CardMeta) slack.Block {
	title := cardTitle(v)
	if m.Sandbox {
		title = "SANDBOX · " + title
	}
	return slack.NewHeaderBlock(plain(truncate(title, 150)))
}

// cardState is the version's review state and the action in flight.
func cardState(v *release.VersionView, m CardMeta) slack.Block {
	text := fmt.Sprintf("*%s*", v.Version.State().Label())
	if m.Pending != "" {
		text += " · _" + m.Pending + "_"
	}
	if m.Sandbox {
		text += "\n_Sandbox: simulated App Store Connect, nothing reaches Apple._"
	}
	if m.OpenApprovals {
		text += "\n_No approvers are configured, so anyone in this workspace may press every button, Release too. To try the approver rules, list approvers in the config file._"
	}
	return slack.NewSectionBlock(mrkdwn(text), nil, nil, slack.SectionBlockOptionBlockID("state"))
}

// cardFacts are the build, export compliance, release type and submission.
func cardFacts(v *release.VersionView, now time.Time) slack.Block {
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
	rel := release.ReleaseTypeLabel(&v.Version, v.Zone())
	fields := []*slack.TextBlockObject{
		mrkdwn("*Build*\n" + buildText),
		mrkdwn("*Export compliance*\n" + yesNoCompliance(v.Encryption())),
		mrkdwn("*Release*\n" + strings.ToUpper(rel[:1]) + rel[1:]),
		mrkdwn("*Review submission*\n" + subText),
	}
	return slack.NewSectionBlock(nil, fields, nil, slack.SectionBlockOptionBlockID("facts"))
}

// cardNotes is What's New per locale.
func cardNotes(v *release.VersionView) slack.Block {
	return slack.NewSectionBlock(mrkdwn(notesLine(v)), nil, nil, slack.SectionBlockOptionBlockID("notes"))
}

// cardPreflight is the checklist, while the version can be submitted.
func cardPreflight(v *release.VersionView) slack.Block {
	if !release.Submittable(v.Version.State()) {
		return nil
	}
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
	return slack.NewSectionBlock(mrkdwn(truncate("*Preflight*\n"+strings.Join(lines, "\n"), 3000)), nil, nil, slack.SectionBlockOptionBlockID("preflight"))
}

// cardReviewItems lists a rejected submission's items and links to App
// Store Connect, where Apple's message is.
func cardReviewItems(v *release.VersionView) slack.Block {
	if len(v.SubmissionItems) == 0 || !(v.Version.State().Rejected() || v.Resubmission()) {
		return nil
	}
	var lines []string
	if hint := rejectionHint(v); hint != "" {
		lines = append(lines, hint)
	}
	for _, it := range v.SubmissionItems {
		what := it.Kind
		if it.VersionID() == v.Version.ID {
			what = "version " + v.Version.VersionString
		}
		lines = append(lines, fmt.Sprintf("• %s: %s", what, it.State.Label()))
	}
	lines = append(lines, fmt.Sprintf("<%s|Open the version in App Store Connect> for Apple's message in the Resolution Center.", VersionURL(v.App.ID, v.Version)))
	return slack.NewSectionBlock(mrkdwn(truncate("*Submission items*\n"+strings.Join(lines, "\n"), 3000)), nil, nil, slack.SectionBlockOptionBlockID("items"))
}

// rejectionHint says which rejection it is and what App Store Connect needs
// before the same submission can go back to App Review.
func rejectionHint(v *release.VersionView) string {
	switch v.Version.State() {
	case asc.StateRejected:
		return "App Review rejected the version. Fix what Apple's message asks, attach a new build (keep this one only if a reply settles it), then *Resubmit for review*: the same submission goes back."
	case asc.StateMetadataRejected:
		return "App Review rejected the metadata, not the build: fix it (What's New here, the rest in App Store Connect), then *Resubmit for review* with the same build."
	case asc.StateInvalidBinary:
		return fmt.Sprintf("Apple found build %s invalid: upload a new build, attach it here, then *Resubmit for review*.", buildNumber(v))
	}
	return ""
}

// cardPhased is the phased release's day and share.
func cardPhased(v *release.VersionView) slack.Block {
	if v.Phased == nil {
		return nil
	}
	return slack.NewSectionBlock(mrkdwn(PhasedLine(v.Phased)), nil, nil, slack.SectionBlockOptionBlockID("phased"))
}

// cardReleaseInfo says how an approved version reaches the store, and who may release it.
func cardReleaseInfo(v *release.VersionView, m CardMeta) slack.Block {
	if v.Version.State() != asc.StatePendingDeveloperRelease {
		return nil
	}
	if !v.Version.ManualRelease() {
		return slack.NewContextBlock("release_info", mrkdwn("Approved — releases "+release.ReleaseTypeLabel(&v.Version, v.Zone())))
	}
	who := "nobody is configured to release"
	switch {
	case len(m.Approvers) > 0:
		who = "approvers: " + release.MentionList(m.Approvers)
	case m.OpenApprovals:
		who = "anyone may release (sandbox, no approvers configured)"
	}
	return slack.NewContextBlock("release_info", mrkdwn("Approved — waiting for a manual release · "+who))
}

// cardIAPInfo warns about in-app purchases left out of an approved version's review.
func cardIAPInfo(v *release.VersionView) slack.Block {
	switch v.Version.State() {
	case asc.StatePendingDeveloperRelease, asc.StateProcessingForDistribution, asc.StateReadyForDistribution:
	default:
		return nil
	}
	if len(v.PendingIAPs) == 0 {
		return nil
	}
	var names []string
	for _, p := range v.PendingIAPs {
		names = append(names, p.Name)
	}
	return slack.NewContextBlock("iap_info", mrkdwn(truncate("⚠ In-app purchases still ready to submit (not in this review): "+strings.Join(names, ", "), 2000)))
}

// cardActions are the buttons: builds, What's New and Submit before review,
// Cancel during it, Release and the phased controls after, and Refresh.
func cardActions(v *release.VersionView, m CardMeta) slack.Block {
	snap := v.Snapshot(m.Rev)
	var elems []slack.BlockElement
	if m.Pending == "" {
		elems = append(elems, submitButtons(v, snap)...)
		elems = append(elems, cancelButtons(v, snap)...)
		elems = append(elems, releaseButtons(v, snap)...)
		elems = append(elems, phasedButtons(v, snap)...)
	}
	elems = append(elems, button(actRefresh, "Refresh", snap.Encode(), ""))
	return slack.NewActionBlock("card_actions", elems...)
}

// submitButtons: up to five valid builds, What's New, and Submit (or
// Resubmit, after a rejection) once the preflight passes.
func submitButtons(v *release.VersionView, snap release.Snapshot) []slack.BlockElement {
	if !release.Submittable(v.Version.State()) {
		return nil
	}
	var elems []slack.BlockElement
	n := 0
	for _, b := range v.Builds {
		if b.ProcessingState != asc.BuildValid || n == 5 {
			continue
		}
		n++
		label, style := "Build "+b.Version, slack.Style("")
		if v.Build != nil && v.Build.ID == b.ID {
			label, style = "✓ Build "+b.Version, slack.StylePrimary
		}
		elems = append(elems, button(actAttachBuild+"_"+b.ID, label, withArg(snap, b.ID), style))
	}
	if !v.FirstVersion || v.Encryption() == nil {
		elems = append(elems, button(actOpenNotes, "What's New", snap.Encode(), ""))
	}
	elems = append(elems, button(actReleaseOptions, "Release options", snap.Encode(), ""))
	if !v.Preflight.Passed() {
		return elems
	}
	var b *slack.ButtonBlockElement
	if v.Resubmission() {
		b = button(actSubmit, "Resubmit for review", snap.Encode(), slack.StylePrimary)
		b.Confirm = confirm("Resubmit for review?", fmt.Sprintf("Resubmit *%s* with build %s to App Review, in the same review submission.", cardTitle(v), buildNumber(v)), "Resubmit")
	} else {
		b = button(actSubmit, "Submit for review", snap.Encode(), slack.StylePrimary)
		b.Confirm = confirm("Submit for review?", fmt.Sprintf("Submit *%s* with build %s to App Review.", cardTitle(v), buildNumber(v)), "Submit")
	}
	return append(elems, b)
}

// cancelButtons: Cancel submission while the version's submission is with
// App Review (asc.ReviewSubmissionState.Cancellable).
func cancelButtons(v *release.VersionView, snap release.Snapshot) []slack.BlockElement {
	if v.Submission == nil {
		return nil
	}
	if !v.Submission.State.Cancellable() {
		return nil
	}
	b := button(actCancel, "Cancel submission", snap.Encode(), slack.StyleDanger)
	b.Confirm = confirm("Cancel the submission?", fmt.Sprintf("Withdraw *%s* from App Review. You can submit again afterwards.", cardTitle(v)), "Cancel submission")
	return []slack.BlockElement{b}
}

// releaseButtons: Release, on an approved version released manually.
func releaseButtons(v *release.VersionView, snap release.Snapshot) []slack.BlockElement {
	if v.Version.State() != asc.StatePendingDeveloperRelease || !v.Version.ManualRelease() {
		return nil
	}
	b := button(actRelease, "Release", snap.Encode(), slack.StylePrimary)
	text := fmt.Sprintf("Release *%s* (build %s) to the App Store now.", cardTitle(v), buildNumber(v))
	if v.Phased != nil && v.Phased.State == asc.PhasedInactive {
		text += " It rolls out in phases over 7 days."
	}
	b.Confirm = confirm("Release to the App Store?", text, "Release")
	return []slack.BlockElement{b}
}

// phasedButtons: Pause or Resume, and Release to everyone, during a phased release.
func phasedButtons(v *release.VersionView, snap release.Snapshot) []slack.BlockElement {
	if v.Phased == nil {
		return nil
	}
	var elems []slack.BlockElement
	switch v.Phased.State {
	case asc.PhasedActive:
		elems = append(elems, button(actPhasedPause, "Pause", withArg(snap, "PAUSED"), ""))
	case asc.PhasedPaused:
		elems = append(elems, button(actPhasedResume, "Resume", withArg(snap, "ACTIVE"), slack.StylePrimary))
	default:
		return nil
	}
	b := button(actPhasedDone, "Release to everyone", withArg(snap, "COMPLETE"), slack.StyleDanger)
	b.Confirm = confirm("Release to everyone?", fmt.Sprintf("End the phased release of *%s*: every user gets it now. This cannot be undone.", cardTitle(v)), "Release to everyone")
	return append(elems, b)
}

// cardOtherBuilds names this version's builds that are not valid.
func cardOtherBuilds(v *release.VersionView) slack.Block {
	var other []string
	for _, b := range v.Builds {
		if b.ProcessingState != asc.BuildValid {
			other = append(other, fmt.Sprintf("Build %s %s", b.Version, strings.ToLower(b.ProcessingState.Label())))
		}
	}
	if len(other) == 0 {
		return nil
	}
	return slack.NewContextBlock("other_builds", mrkdwn(truncate(strings.Join(other, " · "), 2000)))
}

// cardFooter: when the card was drawn and who submitted and released.
func cardFooter(m CardMeta, now time.Time) slack.Block {
	footer := "Updated " + now.UTC().Format("2 Jan 15:04 MST")
	if m.SubmittedBy != "" {
		footer += fmt.Sprintf(" · submitted by <@%s>", m.SubmittedBy)
	}
	if m.ReleasedBy != "" {
		footer += fmt.Sprintf(" · released by <@%s>", m.ReleasedBy)
	}
	return slack.NewContextBlock("footer", mrkdwn(footer))
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
