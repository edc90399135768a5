package release

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/config"
)

// VersionView is everything a card shows about one app version, read fresh
// from App Store Connect.
type VersionView struct {
	App     asc.App
	AppCfg  config.App
	Version asc.AppStoreVersion
	// Build is the attached build, nil when none.
	Build *asc.Build
	// Builds are this version's builds (same marketing version and platform), newest first.
	Builds        []asc.Build
	Localizations []asc.Localization
	// FirstVersion is true when no version of the app was ever released on this
	// platform: What's New is then neither required nor allowed.
	FirstVersion bool
	// PreviousVersion is the newest released version before this one, if any.
	PreviousVersion *asc.AppStoreVersion
	// Submission is the open review submission holding this version, if any;
	// Blocking is an open submission of the app and platform in the way.
	Submission      *asc.ReviewSubmission
	SubmissionItems []asc.ReviewSubmissionItem
	Blocking        *asc.ReviewSubmission
	// Draft is an open, unsubmitted and empty review submission that a submit reuses.
	Draft  *asc.ReviewSubmission
	Phased *asc.PhasedRelease
	// PendingIAPs are in-app purchases READY_TO_SUBMIT that this submission would leave out.
	PendingIAPs []asc.InAppPurchase
	// ReviewedBuildID is the build the bot last sent to App Review (from the
	// card), "" when unknown.
	ReviewedBuildID string
	// Location is the team's time zone, for dates shown with the version.
	Location  *time.Location
	Preflight Preflight
	FetchedAt time.Time
}

// Encryption is the export-compliance answer that applies: the build's own,
// else the configured default; nil when nobody has answered.
func (v *VersionView) Encryption() *bool {
	if v.Build != nil && v.Build.UsesNonExemptEncryption != nil {
		return v.Build.UsesNonExemptEncryption
	}
	return v.AppCfg.UsesNonExemptEncryption
}

// Zone is the team's time zone (UTC when unset).
func (v *VersionView) Zone() *time.Location {
	if v.Location == nil {
		return time.UTC
	}
	return v.Location
}

// Resubmission reports whether submitting means resubmitting the version's
// open submission that App Review left with Unresolved Issues.
func (v *VersionView) Resubmission() bool {
	return v.Submission != nil && v.Submission.State == asc.SubmissionUnresolvedIssues
}

// Snapshot returns what this view would put on a card rendered at rev.
func (v *VersionView) Snapshot(rev int) Snapshot {
	s := Snapshot{AppID: v.App.ID, VersionID: v.Version.ID, State: string(v.Version.State()), Rev: rev}
	if v.Build != nil {
		s.BuildID = v.Build.ID
	}
	if v.Submission != nil {
		s.SubmissionID = v.Submission.ID
	}
	return s
}

// Check is one line of the preflight checklist.
type Check struct {
	Name string
	OK   bool
	// Warn marks an advisory line that does not block submitting.
	Warn   bool
	Detail string
}

// Preflight is the checklist that must pass before Submit for review is offered.
type Preflight struct {
	Checks []Check
}

// Passed reports whether every blocking check passed.
func (p Preflight) Passed() bool {
	for _, c := range p.Checks {
		if !c.OK && !c.Warn {
			return false
		}
	}
	return true
}

// Failures returns the details of the failed blocking checks.
func (p Preflight) Failures() []string {
	var out []string
	for _, c := range p.Checks {
		if !c.OK && !c.Warn {
			out = append(out, c.Detail)
		}
	}
	return out
}

// released reports whether a version in state st has been on the store.
func released(st asc.AppVersionState) bool {
	switch st {
	case asc.StateReadyForDistribution, asc.StateReplacedWithNewVersion, asc.StateProcessingForDistribution:
		return true
	}
	return false
}

// Submittable reports whether a version in state st may be submitted for review
// (and so may have its build and notes changed).
func Submittable(st asc.AppVersionState) bool {
	switch st {
	case asc.StatePrepareForSubmission, asc.StateReadyForReview, asc.StateDeveloperRejected, asc.StateRejected, asc.StateMetadataRejected, asc.StateInvalidBinary:
		return true
	}
	return false
}

// preflight computes the checklist; notes, when given, are candidate texts
// checked instead of the stored ones.
func (s *Service) preflight(v *VersionView, notes map[string]string) Preflight {
	var p Preflight
	st := v.Version.State()
	if !Submittable(st) {
		p.Checks = append(p.Checks, Check{Name: "state", Detail: fmt.Sprintf("the version is %s, not awaiting submission", st.Label())})
	}
	switch {
	case v.Build == nil:
		p.Checks = append(p.Checks, Check{Name: "build", Detail: "no build attached"})
	case v.Build.ProcessingState != asc.BuildValid:
		p.Checks = append(p.Checks, Check{Name: "build", Detail: fmt.Sprintf("build %s is %s", v.Build.Version, v.Build.ProcessingState.Label())})
	case v.Build.ID == v.ReviewedBuildID && st == asc.StateInvalidBinary:
		p.Checks = append(p.Checks, Check{Name: "build", Detail: fmt.Sprintf("build %s was rejected as an invalid binary: attach a new build", v.Build.Version)})
	case v.Build.ID == v.ReviewedBuildID && st == asc.StateRejected:
		p.Checks = append(p.Checks, Check{Name: "build", Warn: true, Detail: fmt.Sprintf("build %s is the build App Review rejected: Apple usually needs a new build (a metadata fix keeps it)", v.Build.Version)})
	default:
		p.Checks = append(p.Checks, Check{Name: "build", OK: true, Detail: fmt.Sprintf("build %s valid", v.Build.Version)})
	}
	if v.FirstVersion {
		p.Checks = append(p.Checks, Check{Name: "notes", OK: true, Detail: "What's New not needed on a first version"})
	} else {
		var missing, long []string
		for _, l := range v.Localizations {
			text := l.WhatsNew
			if t, ok := notes[l.Locale]; ok {
				text = t
			}
			switch {
			case text == "":
				missing = append(missing, l.Locale)
			case utf8.RuneCountInString(text) > MaxWhatsNew:
				long = append(long, l.Locale)
			}
		}
		switch {
		case len(missing) > 0:
			p.Checks = append(p.Checks, Check{Name: "notes", Detail: fmt.Sprintf("What's New missing for %s", joinAnd(missing))})
		case len(long) > 0:
			p.Checks = append(p.Checks, Check{Name: "notes", Detail: fmt.Sprintf("What's New over %d characters for %s", MaxWhatsNew, joinAnd(long))})
		default:
			p.Checks = append(p.Checks, Check{Name: "notes", OK: true, Detail: "What's New set for " + Count(len(v.Localizations), "locale", "locales")})
		}
	}
	if e := v.Encryption(); e == nil {
		p.Checks = append(p.Checks, Check{Name: "compliance", Detail: "export compliance not answered"})
	} else {
		p.Checks = append(p.Checks, Check{Name: "compliance", OK: true, Detail: "export compliance answered"})
	}
	switch {
	case v.Blocking != nil && v.Blocking.State == asc.SubmissionCanceling:
		p.Checks = append(p.Checks, Check{Name: "submission", Detail: "Apple is still cancelling the previous review submission; Submit comes back by itself when it is done"})
	case v.Blocking != nil:
		p.Checks = append(p.Checks, Check{Name: "submission", Detail: fmt.Sprintf("another review submission is open (%s)", v.Blocking.State.Label())})
	default:
		p.Checks = append(p.Checks, Check{Name: "submission", OK: true, Detail: "no other submission in the way"})
	}
	if len(v.PendingIAPs) > 0 {
		names := make([]string, 0, len(v.PendingIAPs))
		for _, i := range v.PendingIAPs {
			names = append(names, i.Name)
		}
		them := "them"
		if len(names) == 1 {
			them = "it"
		}
		p.Checks = append(p.Checks, Check{Name: "iap", Warn: true, Detail: fmt.Sprintf("%s ready to submit would be left out (%s): attach %s on the version's page",
			Count(len(names), "in-app purchase", "in-app purchases"), joinAnd(names), them)})
	}
	return p
}

// Count writes n with the noun's singular or plural: "1 locale", "2 locales".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	out := ""
	for i, x := range xs {
		switch {
		case i == 0:
			out = x
		case i == len(xs)-1:
			out += " and " + x
		default:
			out += ", " + x
		}
	}
	return out
}

// compareLocales puts the primary locale first, then sorts by name.
func compareLocales(primary, a, b string) int {
	switch {
	case a == b:
		return 0
	case a == primary:
		return -1
	case b == primary:
		return 1
	case a < b:
		return -1
	}
	return 1
}

// PreviousNotes returns the previous released version's What's New per
// locale, used to prefill the notes modal when this version's are empty.
func (s *Service) PreviousNotes(ctx context.Context, v *VersionView) (map[string]string, error) {
	api := s.ASCFor(v.App.ID)
	if v.PreviousVersion == nil {
		return nil, nil
	}
	locs, _, err := api.Localizations.List(ctx, v.PreviousVersion.ID)
	if err != nil {
		return nil, fmt.Errorf("listing localizations of %s: %w", v.PreviousVersion.VersionString, err)
	}
	out := map[string]string{}
	for _, l := range locs {
		out[l.Locale] = l.WhatsNew
	}
	return out, nil
}

// checkStale compares a press's snapshot with the fresh view.
func checkStale(snap Snapshot, v *VersionView) error {
	var changes []string
	if st := string(v.Version.State()); snap.State != st {
		changes = append(changes, fmt.Sprintf("the version is now %s (the card showed %s)", asc.AppVersionState(st).Label(), asc.AppVersionState(snap.State).Label()))
	}
	cur := ""
	if v.Build != nil {
		cur = v.Build.ID
	}
	if snap.BuildID != cur {
		switch {
		case cur == "":
			changes = append(changes, "the build was detached")
		default:
			changes = append(changes, fmt.Sprintf("build %s is attached now", v.Build.Version))
		}
	}
	sub := ""
	if v.Submission != nil {
		sub = v.Submission.ID
	}
	if snap.SubmissionID != sub {
		if sub == "" {
			changes = append(changes, "its review submission is gone")
		} else {
			changes = append(changes, fmt.Sprintf("it is in a review submission now (%s)", v.Submission.State.Label()))
		}
	}
	if len(changes) > 0 {
		return &StaleError{Changes: changes}
	}
	return nil
}
