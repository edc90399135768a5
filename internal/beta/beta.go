// Package beta is ascbot's TestFlight workflow, beside package release: a
// build's TestFlight side (groups, What to Test, beta review), testers, who
// may do what, and which changes are worth a notice (each once). It knows
// neither Slack JSON nor HTTP; it shares release's authorization,
// intent-before-action records and audit log.
package beta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// ExpiryWarning is how long before a build expires its card warns, once.
const ExpiryWarning = 7 * 24 * time.Hour

// Service runs the TestFlight workflow.
type Service struct {
	rel   *release.Service
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
}

// Options configures a Service.
type Options struct {
	Release *release.Service // App Store Connect client, config, authorization, audit
	Store   *store.Store
	Logger  *slog.Logger
	Clock   func() time.Time
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{rel: o.Release, store: o.Store, log: o.Logger, now: o.Clock}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = o.Release.Now
	}
	return s
}

// Release returns the release service the workflow shares.
func (s *Service) Release() *release.Service { return s.rel }

// View is everything a TestFlight card shows about one build.
type View struct {
	App    asc.App
	AppCfg config.App
	Build  asc.BetaBuild
	// Groups are all of the app's beta groups, internal first, by name.
	Groups []asc.BetaGroup
	// Locales are the app's TestFlight locales (What to Test is per locale).
	Locales []string
	// Previous is the What to Test of the app's previous build, by locale
	// (prefills the form).
	Previous map[string]string
}

// InGroup reports whether the build is in the group.
func (v *View) InGroup(groupID string) bool {
	return slices.ContainsFunc(v.Build.Groups, func(g asc.BetaGroup) bool { return g.ID == groupID })
}

// InternalState and ExternalState read the build's beta detail ("" unknown).
func (v *View) InternalState() asc.InternalBetaState {
	if v.Build.Detail == nil {
		return ""
	}
	return v.Build.Detail.InternalState
}

// ExternalState is the build's external TestFlight state.
func (v *View) ExternalState() asc.ExternalBetaState {
	if v.Build.Detail == nil {
		return ""
	}
	return v.Build.Detail.ExternalState
}

// CanSubmitForReview reports whether Apple would accept a beta review
// submission now: the build is READY_FOR_BETA_SUBMISSION (spaceship's
// ready_for_beta_submission?, which pilot checks before posting one).
func (v *View) CanSubmitForReview() bool {
	return v.ExternalState() == asc.ExternalReadyForBetaSubmission && v.Build.Review == nil
}

// Available reports whether the group's testers can install the build.
func (v *View) Available(g asc.BetaGroup) bool {
	if !v.InGroup(g.ID) {
		return false
	}
	if g.Internal {
		return v.InternalState().Testable()
	}
	return v.ExternalState().Testable()
}

// Usable reports whether the build can still be given to groups: processed,
// valid and not expired.
func (v *View) Usable() bool {
	b := v.Build.Build
	return b.ProcessingState == asc.BuildValid && !b.Expired && v.InternalState() != asc.InternalExpired
}

// ExpiresWithin reports whether the build expires within d of now (and has not yet).
func (v *View) ExpiresWithin(now time.Time, d time.Duration) bool {
	e := v.Build.Build.ExpirationDate
	return e != nil && !v.Build.Build.Expired && e.After(now) && e.Sub(now) <= d
}

// WhatToTest returns the build's What to Test by locale.
func (v *View) WhatToTest() map[string]string {
	out := map[string]string{}
	for _, l := range v.Build.Localizations {
		out[l.Locale] = l.WhatsNew
	}
	return out
}

// Snapshot returns what a TestFlight card drawn from this view at rev shows,
// for its buttons to carry: release's card snapshot (one mechanism for every
// card), with the build in BuildID and its internal and external TestFlight
// states in State, "internal,external" (the external state also tells the
// beta review apart). Arg is the button's own argument: for a group's menu
// option, the group id, and State keeps only the state of that group's kind,
// so the value fits Slack's 150 characters for an option with Apple's
// 36-character ids and any revision.
func (v *View) Snapshot(rev int, arg string) release.Snapshot {
	state := v.shownState()
	if g, ok := v.Group(arg); ok && arg != "" {
		if g.Internal {
			state = string(v.InternalState()) + ","
		} else {
			state = "," + string(v.ExternalState())
		}
	}
	return release.Snapshot{AppID: v.App.ID, BuildID: v.Build.Build.ID, State: state, Rev: rev, Arg: arg}
}

func (v *View) shownState() string {
	return string(v.InternalState()) + "," + string(v.ExternalState())
}

// checkStale compares a press's snapshot with what App Store Connect says
// now, as release does for version cards: any change in the states the card
// showed means the person pressed on an out-of-date card. A part the
// snapshot left empty (not shown, or unknown then) is not compared.
func checkStale(snap release.Snapshot, v *View) error {
	if snap.BuildID != v.Build.Build.ID || snap.AppID != v.App.ID {
		return &release.StaleError{Changes: []string{"the card is not this build's"}}
	}
	if snap.State == v.shownState() {
		return nil
	}
	shownInt, shownExt, _ := strings.Cut(snap.State, ",")
	var changes []string
	if cur := v.InternalState(); shownInt != "" && string(cur) != shownInt {
		changes = append(changes, fmt.Sprintf("internal testing is now %s (the card showed %s)", cur.Label(), asc.InternalBetaState(shownInt).Label()))
	}
	if cur := v.ExternalState(); shownExt != "" && string(cur) != shownExt {
		changes = append(changes, fmt.Sprintf("external testing is now %s (the card showed %s)", cur.Label(), asc.ExternalBetaState(shownExt).Label()))
	}
	if len(changes) == 0 {
		return nil
	}
	return &release.StaleError{Changes: changes}
}

// Group returns the app's group with that id.
func (v *View) Group(id string) (asc.BetaGroup, bool) {
	i := slices.IndexFunc(v.Groups, func(g asc.BetaGroup) bool { return g.ID == id })
	if i < 0 {
		return asc.BetaGroup{}, false
	}
	return v.Groups[i], true
}

// Load reads a build's TestFlight side for its card: the build with its
// detail, groups, What to Test and review in one request, and in parallel the
// app's groups, its TestFlight locales and the previous build's What to Test.
func (s *Service) Load(ctx context.Context, appID, buildID string) (*View, error) {
	api := s.rel.ASCFor(appID)
	v := &View{}
	var recent []asc.BetaBuild
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		app, err := s.rel.App(gctx, appID)
		v.App = app
		return err
	})
	g.Go(func() error {
		bb, _, err := api.BetaBuilds.Get(gctx, buildID)
		if err != nil {
			return err
		}
		v.Build = *bb
		return nil
	})
	g.Go(func() error {
		groups, _, err := api.BetaGroups.List(gctx, asc.BetaGroupListOptions{AppID: appID})
		v.Groups = groups
		return err
	})
	g.Go(func() error {
		locs, _, err := api.BetaBuilds.Locales(gctx, appID)
		v.Locales = locs
		return err
	})
	g.Go(func() error {
		bs, _, err := api.BetaBuilds.List(gctx, asc.BetaBuildListOptions{AppID: appID, Limit: 10})
		recent = bs
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("reading TestFlight state of build %s: %w", buildID, err)
	}
	v.AppCfg = s.rel.AppConfig(v.App)
	slices.SortStableFunc(v.Groups, func(a, b asc.BetaGroup) int {
		if a.Internal != b.Internal {
			if a.Internal {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	v.Previous = previousWhatToTest(v.Build.Build, recent)
	for _, l := range v.Build.Localizations {
		if !slices.Contains(v.Locales, l.Locale) {
			v.Locales = append(v.Locales, l.Locale)
		}
	}
	if len(v.Locales) == 0 && v.App.PrimaryLocale != "" {
		v.Locales = []string{v.App.PrimaryLocale}
	}
	return v, nil
}

// loadForPress reads only what a press acts on, in one parallel round trip:
// the app (usually cached), the build's TestFlight side (one compound
// request) and, when groupID is set, that group. The view's Groups hold that
// group alone; Locales and Previous stay empty.
func (s *Service) loadForPress(ctx context.Context, appID, buildID, groupID string) (*View, error) {
	api := s.rel.ASCFor(appID)
	v := &View{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		app, err := s.rel.App(gctx, appID)
		v.App = app
		return err
	})
	g.Go(func() error {
		bb, _, err := api.BetaBuilds.Get(gctx, buildID)
		if err != nil {
			return err
		}
		v.Build = *bb
		return nil
	})
	if groupID != "" {
		g.Go(func() error {
			grp, _, err := api.BetaGroups.Get(gctx, groupID)
			if asc.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			v.Groups = []asc.BetaGroup{*grp}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("reading TestFlight state of build %s: %w", buildID, err)
	}
	v.AppCfg = s.rel.AppConfig(v.App)
	return v, nil
}

// previousWhatToTest returns the What to Test of the newest build uploaded
// before b that has any.
func previousWhatToTest(b asc.Build, recent []asc.BetaBuild) map[string]string {
	out := map[string]string{}
	for _, r := range recent {
		if r.Build.ID == b.ID || len(r.Localizations) == 0 {
			continue
		}
		if b.UploadedDate != nil && r.Build.UploadedDate != nil && !r.Build.UploadedDate.Before(*b.UploadedDate) {
			continue
		}
		for _, l := range r.Localizations {
			out[l.Locale] = l.WhatsNew
		}
		break
	}
	return out
}

// FindBuild returns the id of the app's build with that number, or of its
// newest valid build when number is "".
func (s *Service) FindBuild(ctx context.Context, appID, number string) (string, error) {
	api := s.rel.ASCFor(appID)
	opt := asc.BetaBuildListOptions{AppID: appID, Number: number, Limit: 1, ValidOnly: number == ""}
	bs, _, err := api.BetaBuilds.List(ctx, opt)
	if err != nil {
		return "", fmt.Errorf("finding the build: %w", err)
	}
	if len(bs) == 0 {
		if number == "" {
			return "", &release.BlockedError{Reasons: []string{"the app has no processed, unexpired build to test; upload one first"}}
		}
		return "", &release.BlockedError{Reasons: []string{fmt.Sprintf("the app has no build %s", number)}}
	}
	return bs[0].Build.ID, nil
}

// ---- who may ----

// Testers returns who may manage testers and external groups of the app:
// its testers list, else its submitters.
func Testers(a config.App) []string {
	if len(a.Testers) > 0 {
		return a.Testers
	}
	return a.Submitters
}

// require checks at the time of the press that user may act on group (nil
// group: on testers or beta review, which follow the testers list). A
// refusal is audited and returned as *release.RefusedError.
func (s *Service) require(ctx context.Context, user, action string, app asc.App, group *asc.BetaGroup, what string) error {
	cfg := s.rel.AppConfig(app)
	ids, who := Testers(cfg), "testers"
	if group != nil && group.Internal {
		ids, who = cfg.Submitters, "submitters"
	}
	ok, err := s.rel.Allowed(ctx, user, ids, true)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	s.rel.Audit(user, action, app.ID, what, "refused", "not in "+who)
	return &release.RefusedError{Action: actionWords(action), Reason: fmt.Sprintf("you may not %s: only %s may do that for %s", actionWords(action), release.MentionList(ids), app.Name)}
}

func actionWords(action string) string {
	switch action {
	case "beta-add-group":
		return "add a build to that group"
	case "beta-remove-group":
		return "remove a build from that group"
	case "beta-review":
		return "submit for beta review"
	case "beta-what-to-test":
		return "change What to Test"
	case "tester-add":
		return "add testers"
	case "tester-remove":
		return "remove testers"
	}
	return action
}

// buildName names a build for people and the audit log: "build 4 (1.1.0)".
func buildName(b asc.Build) string {
	if b.MarketingVersion != "" {
		return fmt.Sprintf("build %s (%s)", b.Version, b.MarketingVersion)
	}
	return "build " + b.Version
}

// BuildName is buildName for callers outside the package.
func BuildName(b asc.Build) string { return buildName(b) }

// appleRefusal turns Apple's 409/422 into a BlockedError carrying Apple's words.
func appleRefusal(err error) error {
	if ae, ok := asc.AsAPIError(err); ok && (ae.StatusCode == 409 || ae.StatusCode == 422) {
		return &release.BlockedError{Reasons: []string{"App Store Connect refused: " + ae.Detail()}}
	}
	return err
}

// ---- build actions ----

// AddToGroup gives the build to the group (snap.Arg)'s testers. Apple treats
// a repeated add as done, so a double click adds once. A press on a card whose
// build has changed state since it was drawn does nothing (*release.StaleError).
func (s *Service) AddToGroup(ctx context.Context, user string, snap release.Snapshot) (*View, asc.BetaGroup, error) {
	return s.changeGroup(ctx, user, snap, true)
}

// RemoveFromGroup takes the build away from the group (snap.Arg)'s testers.
func (s *Service) RemoveFromGroup(ctx context.Context, user string, snap release.Snapshot) (*View, asc.BetaGroup, error) {
	return s.changeGroup(ctx, user, snap, false)
}

func (s *Service) changeGroup(ctx context.Context, user string, snap release.Snapshot, add bool) (*View, asc.BetaGroup, error) {
	appID, buildID, groupID := snap.AppID, snap.BuildID, snap.Arg
	api := s.rel.ASCFor(appID)
	action := "beta-remove-group"
	if add {
		action = "beta-add-group"
	}
	v, err := s.loadForPress(ctx, appID, buildID, groupID)
	if err != nil {
		return nil, asc.BetaGroup{}, err
	}
	g, ok := v.Group(groupID)
	if !ok || g.AppID != "" && g.AppID != appID {
		return v, g, &release.StaleError{Changes: []string{"that beta group no longer exists"}}
	}
	what := buildName(v.Build.Build)
	if err := s.require(ctx, user, action, v.App, &g, what); err != nil {
		return v, g, err
	}
	switch {
	case add && v.InGroup(g.ID):
		s.rel.Audit(user, action, appID, what, "done", "already in "+g.Name)
		return v, g, &release.DoneError{At: s.now(), Result: fmt.Sprintf("%s is already in %s", what, g.Name)}
	case !add && !v.InGroup(g.ID):
		s.rel.Audit(user, action, appID, what, "done", "not in "+g.Name)
		return v, g, &release.DoneError{At: s.now(), Result: fmt.Sprintf("%s is not in %s", what, g.Name)}
	}
	// After the "already done" answers, so that a double click (whose first
	// press moved the build's state) is told it is done, not that the card
	// was out of date.
	if err := checkStale(snap, v); err != nil {
		s.rel.Audit(user, action, appID, what, "stale", err.Error())
		return v, g, err
	}
	switch {
	case add && !v.Usable():
		s.rel.Audit(user, action, appID, what, "blocked", "build not usable")
		return v, g, &release.BlockedError{Reasons: []string{fmt.Sprintf("%s is %s and cannot be given to testers", what, strings.ToLower(v.InternalState().Label()))}}
	}
	if add && v.Build.Build.UsesNonExemptEncryption == nil && v.AppCfg.UsesNonExemptEncryption != nil {
		// The YAML's answer for builds that carry none (as the submit flow
		// uses it): without one no tester can install the build.
		if _, _, err := api.Builds.SetUsesNonExemptEncryption(ctx, buildID, *v.AppCfg.UsesNonExemptEncryption); err != nil {
			return v, g, appleRefusal(err)
		}
		s.rel.Audit(user, "export-compliance", appID, what, "ok", fmt.Sprintf("usesNonExemptEncryption=%t from the config", *v.AppCfg.UsesNonExemptEncryption))
	}
	if add && v.Build.Build.UsesNonExemptEncryption == nil && v.AppCfg.UsesNonExemptEncryption == nil {
		// Apple refuses (422) a build without an export-compliance answer in
		// any group (see ascsim beta.go); say what to do instead.
		s.rel.Audit(user, action, appID, what, "blocked", "export compliance unanswered")
		return v, g, &release.BlockedError{Reasons: []string{fmt.Sprintf("%s has no export-compliance answer; answer it in the What to Test form, then add it to %s", what, g.Name)}}
	}
	if add {
		_, err = api.BetaGroups.AddBuild(ctx, buildID, groupID)
	} else {
		_, err = api.BetaGroups.RemoveBuild(ctx, buildID, groupID)
	}
	if err != nil {
		s.rel.Audit(user, action, appID, what, "failed", err.Error())
		return v, g, appleRefusal(err)
	}
	s.rel.Audit(user, action, appID, what, "ok", g.Name)
	return v, g, nil
}

// SubmitForReview submits the build for TestFlight beta review, once: the
// intent is recorded before the call (keyed by the card's revision, as
// release keys its presses), so double clicks and redelivered envelopes
// submit once, and Apple's own "already submitted" counts as done. A press on
// a card whose build has changed state since it was drawn does nothing
// (*release.StaleError), unless it is a repeat of a press that already ran.
func (s *Service) SubmitForReview(ctx context.Context, user string, snap release.Snapshot) error {
	appID, buildID := snap.AppID, snap.BuildID
	api := s.rel.ASCFor(appID)
	v, err := s.loadForPress(ctx, appID, buildID, "")
	if err != nil {
		return err
	}
	what := buildName(v.Build.Build)
	if err := s.require(ctx, user, "beta-review", v.App, nil, what); err != nil {
		return err
	}
	intent := store.Action{Key: fmt.Sprintf("beta-review/%s/%d", buildID, snap.Rev), Kind: "beta-review", User: user, AppID: appID, Intent: what}
	if stale := checkStale(snap, v); stale != nil {
		// Through the intent record: a repeat of this card's press that
		// already ran (whose submission moved the state) gets that press's
		// result; any other press is refused as out of date (audited "stale").
		_, err := s.rel.Act(ctx, intent, func() (string, error) { return "", stale })
		return err
	}
	if v.Build.Review != nil {
		s.rel.Audit(user, "beta-review", appID, what, "done", "already "+string(v.Build.Review.State))
		return &release.DoneError{At: s.now(), Result: fmt.Sprintf("%s is already %s in beta review", what, strings.ToLower(v.Build.Review.State.Label()))}
	}
	if !v.CanSubmitForReview() {
		s.rel.Audit(user, "beta-review", appID, what, "blocked", string(v.ExternalState()))
		reason := fmt.Sprintf("%s is %s, so Apple would not take it for beta review", what, strings.ToLower(v.ExternalState().Label()))
		if v.ExternalState() == asc.ExternalMissingExportCompliance {
			reason = fmt.Sprintf("%s has no export-compliance answer; answer it (What to Test form) before submitting for beta review", what)
		}
		return &release.BlockedError{Reasons: []string{reason}}
	}
	_, err = s.rel.Act(ctx, intent, func() (string, error) {
		sub, _, err := api.BetaBuilds.SubmitForReview(ctx, buildID)
		if errors.Is(err, asc.ErrAlreadySubmitted) {
			return "already submitted for beta review (" + string(sub.State) + ")", nil
		}
		if err != nil {
			return "", appleRefusal(err)
		}
		return "submitted for beta review", nil
	})
	return err
}

// SetWhatToTest writes What to Test per locale (creating a locale's entry
// when the build has none) and answers export compliance when asked. It
// returns the locales that changed.
func (s *Service) SetWhatToTest(ctx context.Context, user, appID, buildID string, texts map[string]string, encryption *bool) ([]string, error) {
	api := s.rel.ASCFor(appID)
	if errs := ValidateWhatToTest(texts); len(errs) > 0 {
		var reasons []string
		for loc, msg := range errs {
			reasons = append(reasons, loc+": "+msg)
		}
		slices.Sort(reasons)
		return nil, &release.BlockedError{Reasons: reasons}
	}
	v, err := s.loadForPress(ctx, appID, buildID, "")
	if err != nil {
		return nil, err
	}
	what := buildName(v.Build.Build)
	if err := s.require(ctx, user, "beta-what-to-test", v.App, nil, what); err != nil {
		return nil, err
	}
	var changed []string
	if encryption != nil && v.Build.Build.UsesNonExemptEncryption == nil {
		if _, _, err := api.Builds.SetUsesNonExemptEncryption(ctx, buildID, *encryption); err != nil {
			return nil, appleRefusal(err)
		}
		changed = append(changed, "export compliance")
	}
	have := map[string]asc.BetaBuildLocalization{}
	for _, l := range v.Build.Localizations {
		have[l.Locale] = l
	}
	locales := make([]string, 0, len(texts))
	for loc := range texts {
		locales = append(locales, loc)
	}
	slices.Sort(locales)
	for _, loc := range locales {
		text := texts[loc]
		cur, exists := have[loc]
		switch {
		case exists && cur.WhatsNew == text:
			continue
		case exists:
			_, _, err = api.BetaBuilds.SetWhatToTest(ctx, cur.ID, text)
		case text == "":
			continue
		default:
			_, _, err = api.BetaBuilds.CreateLocalization(ctx, buildID, loc, text)
		}
		if err != nil {
			s.rel.Audit(user, "beta-what-to-test", appID, what, "failed", loc+": "+err.Error())
			return changed, appleRefusal(err)
		}
		changed = append(changed, loc)
	}
	if len(changed) > 0 {
		s.rel.Audit(user, "beta-what-to-test", appID, what, "ok", strings.Join(changed, ", "))
	}
	return changed, nil
}

// ValidateWhatToTest checks Apple's limit per locale; the map holds a
// message per failing locale.
func ValidateWhatToTest(texts map[string]string) map[string]string {
	errs := map[string]string{}
	for loc, t := range texts {
		if n := utf8.RuneCountInString(t); n > asc.MaxWhatToTest {
			errs[loc] = fmt.Sprintf("%d characters; TestFlight takes at most %d (%d too many)", n, asc.MaxWhatToTest, n-asc.MaxWhatToTest)
		}
	}
	return errs
}

// ---- testers ----

// ErrBadEmail means a tester's email is not an email address.
var ErrBadEmail = errors.New("not an email address")

// CheckEmail validates an email as a person typed it (Slack may wrap it as
// <mailto:a@b|a@b>); it returns the bare address.
func CheckEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<mailto:") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<mailto:"), ">")
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[i+1:]
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", fmt.Errorf("%q: %w", asc.MaskEmail(s), ErrBadEmail)
	}
	return s, nil
}

// ResolveGroup finds the app's group by name (case-insensitive); an empty
// name means the app's only external group.
func (s *Service) ResolveGroup(ctx context.Context, app asc.App, name string) (asc.BetaGroup, []asc.BetaGroup, error) {
	api := s.rel.ASCFor(app.ID)
	groups, _, err := api.BetaGroups.List(ctx, asc.BetaGroupListOptions{AppID: app.ID})
	if err != nil {
		return asc.BetaGroup{}, nil, fmt.Errorf("listing beta groups of %s: %w", app.Name, err)
	}
	var names []string
	var external []asc.BetaGroup
	for _, g := range groups {
		names = append(names, g.Name)
		if name != "" && strings.EqualFold(g.Name, name) {
			return g, groups, nil
		}
		if !g.Internal {
			external = append(external, g)
		}
	}
	if name == "" && len(external) == 1 {
		return external[0], groups, nil
	}
	if name == "" {
		return asc.BetaGroup{}, groups, &release.BlockedError{Reasons: []string{fmt.Sprintf("%s has %d external beta groups; name one: %s", app.Name, len(external), strings.Join(names, ", "))}}
	}
	return asc.BetaGroup{}, groups, &release.BlockedError{Reasons: []string{fmt.Sprintf("%s has no beta group %q; its groups are: %s", app.Name, name, strings.Join(names, ", "))}}
}

// GroupTesters returns the group and its testers.
func (s *Service) GroupTesters(ctx context.Context, app asc.App, groupName string) (asc.BetaGroup, []asc.BetaTester, error) {
	api := s.rel.ASCFor(app.ID)
	g, _, err := s.ResolveGroup(ctx, app, groupName)
	if err != nil {
		return g, nil, err
	}
	ts, _, err := api.BetaGroups.Testers(ctx, g.ID)
	if err != nil {
		return g, nil, fmt.Errorf("listing testers of %s: %w", g.Name, err)
	}
	return g, ts, nil
}

// AddTester puts the person into the group: a new tester is created in it
// (POST /v1/betaTesters with the group), an existing one is added to it.
// It reports whether the tester was new.
func (s *Service) AddTester(ctx context.Context, user string, app asc.App, email, groupName, first, last string) (asc.BetaGroup, bool, error) {
	api := s.rel.ASCFor(app.ID)
	email, err := CheckEmail(email)
	if err != nil {
		return asc.BetaGroup{}, false, err
	}
	g, _, err := s.ResolveGroup(ctx, app, groupName)
	if err != nil {
		return g, false, err
	}
	masked := asc.MaskEmail(email)
	if err := s.require(ctx, user, "tester-add", app, &g, masked); err != nil {
		return g, false, err
	}
	existing, _, err := api.BetaTesters.FindByEmail(ctx, email)
	if err != nil {
		return g, false, err
	}
	created := existing == nil
	if created {
		_, _, err = api.BetaTesters.Create(ctx, asc.BetaTesterCreate{Email: email, FirstName: first, LastName: last, GroupIDs: []string{g.ID}})
	} else {
		_, err = api.BetaGroups.AddTesters(ctx, g.ID, existing.ID)
	}
	if err != nil {
		s.rel.Audit(user, "tester-add", app.ID, masked, "failed", g.Name+": "+err.Error())
		return g, created, appleRefusal(err)
	}
	s.rel.Audit(user, "tester-add", app.ID, masked, "ok", g.Name)
	s.log.Info("tester added", "app", app.ID, "group", g.Name, "tester", masked, "new", created)
	return g, created, nil
}

// RemoveTester takes the person out of the group (they stay a tester of the
// team and of other groups).
func (s *Service) RemoveTester(ctx context.Context, user string, app asc.App, email, groupName string) (asc.BetaGroup, error) {
	api := s.rel.ASCFor(app.ID)
	email, err := CheckEmail(email)
	if err != nil {
		return asc.BetaGroup{}, err
	}
	g, _, err := s.ResolveGroup(ctx, app, groupName)
	if err != nil {
		return g, err
	}
	masked := asc.MaskEmail(email)
	if err := s.require(ctx, user, "tester-remove", app, &g, masked); err != nil {
		return g, err
	}
	t, _, err := api.BetaTesters.FindByEmail(ctx, email)
	if err != nil {
		return g, err
	}
	if t == nil {
		return g, &release.BlockedError{Reasons: []string{fmt.Sprintf("%s is not a TestFlight tester of this team", masked)}}
	}
	ids, _, err := api.BetaGroups.TesterIDs(ctx, g.ID)
	if err != nil {
		return g, err
	}
	if !slices.Contains(ids, t.ID) {
		return g, &release.DoneError{At: s.now(), Result: fmt.Sprintf("%s is not in %s", masked, g.Name)}
	}
	if _, err := api.BetaGroups.RemoveTesters(ctx, g.ID, t.ID); err != nil {
		s.rel.Audit(user, "tester-remove", app.ID, masked, "failed", g.Name+": "+err.Error())
		return g, appleRefusal(err)
	}
	s.rel.Audit(user, "tester-remove", app.ID, masked, "ok", g.Name)
	s.log.Info("tester removed", "app", app.ID, "group", g.Name, "tester", masked)
	return g, nil
}
