package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/store"
)

// act runs fn once per key: the intent is written to the store before fn
// calls App Store Connect and the result after, so double clicks, redelivered
// envelopes and restarts never act twice. A started action older than the
// lease (the process died mid-way) may be taken over; fn must then be safe to
// resume, which every caller ensures by re-reading App Store Connect first.
func (s *Service) act(ctx context.Context, a store.Action, fn func() (string, error)) (string, error) {
	a.StartedAt = s.now()
	a.State = store.ActionStarted
	prev, started, err := s.store.BeginAction(a)
	if err != nil {
		return "", fmt.Errorf("recording intent %s: %w", a.Key, err)
	}
	if !started {
		switch {
		case prev.State == store.ActionDone:
			return "", &DoneError{By: prev.User, At: prev.FinishedAt, Result: prev.Result}
		case prev.State == store.ActionStarted && s.now().Sub(prev.StartedAt) < s.ActionLease:
			return "", ErrInProgress
		}
		took, err := s.store.RetakeAction(a, prev)
		if err != nil {
			return "", fmt.Errorf("retaking action %s: %w", a.Key, err)
		}
		if !took {
			return "", ErrInProgress
		}
	}
	result, err := fn()
	state := store.ActionDone
	if err != nil {
		state = store.ActionFailed
		result = err.Error()
	}
	if ferr := s.store.FinishAction(a.Key, state, result); ferr != nil {
		s.log.Error("recording action result", "key", a.Key, "err", ferr)
	}

	resultWord := "ok"
	if err != nil {
		resultWord = "failed"
		var st *StaleError
		if errors.As(err, &st) {
			resultWord = "stale"
		}
	}
	version := a.Intent
	if a.VersionID != "" {
		version = s.versionString(a.AppID, a.VersionID)
	}
	s.audit(a.User, a.Kind, a.AppID, version, resultWord, result)
	return result, err
}

// versionString names a version for people ("1.1.0"), from its card when the
// bot has one, else from what the watcher last saw of it; else its id.
func (s *Service) versionString(appID, versionID string) string {
	if c, ok, err := s.store.GetCard(appID, versionID); err == nil && ok && c.Version != "" {
		return c.Version
	}
	if seen, ok, err := s.store.GetSeen(appID, versionID); err == nil && ok && seen.Version != "" {
		return seen.Version
	}
	return versionID
}

// Allowed reports whether user is one of ids (user ids, or members of user
// group ids). An empty list allows everyone when emptyMeansAnyone.
func (s *Service) Allowed(ctx context.Context, user string, ids []string, emptyMeansAnyone bool) (bool, error) {
	if len(ids) == 0 {
		return emptyMeansAnyone, nil
	}
	for _, id := range ids {
		if id == user {
			return true, nil
		}
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "S") || s.groups == nil {
			continue
		}
		members, err := s.groups.GroupMembers(ctx, id)
		if err != nil {
			return false, &MembershipError{Group: id, Err: err}
		}
		for _, m := range members {
			if m == user {
				return true, nil
			}
		}
	}
	return false, nil
}

// Approvers returns who may release app: its own list, else the default.
func (s *Service) Approvers(a config.App) []string {
	if len(a.Approvers) > 0 {
		return a.Approvers
	}
	return s.cfg.Approvers
}

// lookupFailed audits a permission check that could not be made (Slack's
// user-group lookup failed) as a refusal and names the action in the error.
func (s *Service) lookupFailed(err error, user, action string, app asc.App, version string) error {
	s.audit(user, action, app.ID, s.versionString(app.ID, version), "refused", "user-group lookup failed: "+err.Error())
	var me *MembershipError
	if errors.As(err, &me) {
		me.Action = action + " " + app.Name
	}
	return err
}

// RequireWatcher checks that user may change where app's announcements go
// (/asc watch, /asc unwatch): its watchers, else its approvers. When the
// config names neither, nobody could be asked and anyone may (a fresh
// install); otherwise a refusal is audited. Without this, anyone could
// silence an app's channel or redirect its announcements to their own.
func (s *Service) RequireWatcher(ctx context.Context, user, action string, app asc.App) error {
	cfg := s.AppConfig(app)
	who := cfg.Watchers
	if len(who) == 0 {
		who = s.Approvers(cfg)
	}
	ok, err := s.Allowed(ctx, user, who, true)
	if err != nil {
		return s.lookupFailed(err, user, action, app, "")
	}
	if !ok {
		s.audit(user, action, app.ID, "", "refused", "not a watcher or approver")
		return &RefusedError{Action: action, Reason: fmt.Sprintf("only %s may change where %s's review-state changes are posted", mentionList(who), app.Name)}
	}
	return nil
}

// OpenApprovals reports whether everyone may do what approvers do for app:
// in the sandbox, when no approvers are configured for it, so that whoever
// tries it with only the two Slack tokens can press Release. The card says so.
func (s *Service) OpenApprovals(a config.App) bool {
	return s.cfg.Mode == config.ModeSandbox && len(s.Approvers(a)) == 0
}

// MayApprove reports whether user may do what approvers do for the app
// (the rule requireApprover enforces; App Home uses it to offer Release).
func (s *Service) MayApprove(ctx context.Context, user string, a config.App) (bool, error) {
	if s.OpenApprovals(a) {
		return true, nil
	}
	return s.Allowed(ctx, user, s.Approvers(a), false)
}

func (s *Service) requireSubmitter(ctx context.Context, user, action string, app asc.App, version string) error {
	cfg := s.AppConfig(app)
	ok, err := s.Allowed(ctx, user, cfg.Submitters, true)
	if err != nil {
		return s.lookupFailed(err, user, action, app, version)
	}
	if !ok {
		s.audit(user, action, app.ID, s.versionString(app.ID, version), "refused", "not a submitter")
		return &RefusedError{Action: action, Reason: fmt.Sprintf("only %s may submit %s", mentionList(cfg.Submitters), app.Name)}
	}
	authorized(ctx)
	return nil
}

func (s *Service) requireApprover(ctx context.Context, user, action string, app asc.App, version string) error {
	cfg := s.AppConfig(app)
	approvers := s.Approvers(cfg)
	if len(approvers) == 0 {
		if s.OpenApprovals(cfg) {
			authorized(ctx)
			return nil // the action itself is audited
		}
		s.audit(user, action, app.ID, s.versionString(app.ID, version), "refused", "no approvers configured")
		return &RefusedError{Action: action, Reason: fmt.Sprintf("nobody may %s %s: no approvers are configured (set approvers in the ascbot config file)", action, app.Name)}
	}
	ok, err := s.Allowed(ctx, user, approvers, false)
	if err != nil {
		return s.lookupFailed(err, user, action, app, version)
	}
	if !ok {
		s.audit(user, action, app.ID, s.versionString(app.ID, version), "refused", "not an approver")
		return &RefusedError{Action: action, Reason: fmt.Sprintf("only %s may %s %s", mentionList(approvers), action, app.Name)}
	}
	authorized(ctx)
	return nil
}

// mentionList renders Slack ids as mentions: users <@U…>, groups <!subteam^S…>.
func mentionList(ids []string) string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if strings.HasPrefix(id, "S") {
			out = append(out, "<!subteam^"+id+">")
		} else {
			out = append(out, "<@"+id+">")
		}
	}
	return joinAnd(out)
}

// MentionList is mentionList for renderers.
func MentionList(ids []string) string { return mentionList(ids) }

// CreateVersion creates version versionString of app on platform.
func (s *Service) CreateVersion(ctx context.Context, user string, app asc.App, versionString string, platform asc.Platform) (*asc.AppStoreVersion, error) {
	api := s.ASCFor(app.ID)
	if err := s.requireSubmitter(ctx, user, "create a version of", app, versionString); err != nil {
		return nil, err
	}
	var created *asc.AppStoreVersion
	_, err := s.act(ctx, store.Action{Key: "create/" + app.ID + "/" + string(platform) + "/" + versionString, Kind: "create-version", User: user, AppID: app.ID, Intent: versionString}, func() (string, error) {
		v, _, err := api.Versions.Create(ctx, asc.VersionCreate{AppID: app.ID, Platform: platform, VersionString: versionString})
		if err != nil {
			var apiErr *asc.APIError
			if errors.As(err, &apiErr) && (apiErr.StatusCode == 409 || apiErr.StatusCode == 422) {
				return "", &BlockedError{Reasons: []string{"App Store Connect refused: " + apiErr.Detail()}}
			}
			return "", fmt.Errorf("creating version %s: %w", versionString, err)
		}
		created = v
		return "created version " + versionString, nil
	})
	if err != nil {
		var done *DoneError
		if errors.As(err, &done) {
			v, _, ferr := api.Versions.Find(ctx, app.ID, versionString, platform)
			if ferr == nil {
				return v, nil
			}
		}
		return nil, err
	}
	return created, nil
}

// AttachBuild attaches the build named by snap.Arg to the version.
func (s *Service) AttachBuild(ctx context.Context, user string, snap Snapshot) (*asc.Build, error) {
	api := s.ASCFor(snap.AppID)
	app, err := s.App(ctx, snap.AppID)
	if err != nil {
		return nil, err
	}
	if err := s.requireSubmitter(ctx, user, "attach a build to", app, snap.VersionID); err != nil {
		return nil, err
	}
	var attached *asc.Build
	_, err = s.act(ctx, store.Action{Key: fmt.Sprintf("attach/%s/%d/%s", snap.VersionID, snap.Rev, snap.Arg), Kind: "attach-build", User: user, AppID: app.ID, VersionID: snap.VersionID, Intent: snap.VersionID}, func() (string, error) {
		// Read only what the attach acts on, in one round trip: the version
		// (state, build), its builds and the open review submissions.
		v, err := s.read(ctx, snap.AppID, snap.VersionID, "", "", partVersion|partBuilds|partSubmissions)
		if err != nil {
			return "", err
		}
		if err := checkStale(snap, v); err != nil {
			return "", err
		}
		if !Submittable(v.Version.State()) {
			return "", &BlockedError{Reasons: []string{fmt.Sprintf("the version is %s; builds can be changed only before submission", v.Version.State().Label())}}
		}
		var b *asc.Build
		for i := range v.Builds {
			if v.Builds[i].ID == snap.Arg {
				b = &v.Builds[i]
			}
		}
		if b == nil {
			return "", &StaleError{Changes: []string{"that build is no longer offered for this version"}}
		}
		if b.ProcessingState != asc.BuildValid {
			return "", &BlockedError{Reasons: []string{fmt.Sprintf("build %s is %s", b.Version, b.ProcessingState.Label())}}
		}
		if _, err := api.Versions.AttachBuild(ctx, v.Version.ID, b.ID); err != nil {
			return "", blockedOr(err, "attaching build "+b.Version)
		}
		if b.UsesNonExemptEncryption == nil {
			if ans := s.encryptionAnswer(v); ans != nil {
				nb, _, err := api.Builds.SetUsesNonExemptEncryption(ctx, b.ID, *ans)
				if err != nil {
					return "", blockedOr(err, "answering export compliance for build "+b.Version)
				}
				nb.MarketingVersion, nb.Platform = b.MarketingVersion, b.Platform
				b = nb
			}
		}
		// The card afterwards: what was read, with the build just attached.
		after := *v
		after.Version.BuildID, after.Build = b.ID, b
		after.Preflight = s.preflight(&after, nil)
		s.remember(&after)
		attached = b
		return "attached build " + b.Version, nil
	})
	return attached, err
}

// encryptionAnswer is the answer to apply to a build with none: a saved draft's, else the config's.
func (s *Service) encryptionAnswer(v *VersionView) *bool {
	if d, ok, err := s.store.GetDraft(DraftKey(v.Version.ID)); err == nil && ok && d.Encryption != nil {
		return d.Encryption
	}
	return v.AppCfg.UsesNonExemptEncryption
}

// DraftKey is the store key of a version's notes draft (shared by the team).
func DraftKey(versionID string) string { return "notes/" + versionID }

// blockedOr turns App Store Connect's 409/422 refusals into a BlockedError
// carrying Apple's reason, and wraps anything else.
func blockedOr(err error, doing string) error {
	var apiErr *asc.APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == 409 || apiErr.StatusCode == 422 || apiErr.StatusCode == 403) {
		return &BlockedError{Reasons: []string{fmt.Sprintf("App Store Connect refused %s: %s", doing, apiErr.Detail())}}
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// ValidateNotes checks candidate What's New texts; the map it returns is keyed
// by locale with a message for each bad text.
func ValidateNotes(notes map[string]string, required bool) map[string]string {
	bad := map[string]string{}
	for loc, text := range notes {
		n := utf8.RuneCountInString(text)
		switch {
		case n > MaxWhatsNew:
			bad[loc] = fmt.Sprintf("%d characters: the App Store allows %d (%d too many)", n, MaxWhatsNew, n-MaxWhatsNew)
		case n == 0 && required:
			bad[loc] = "What's New is required for an update"
		}
	}
	return bad
}

// SetNotes writes What's New for the given locales and, when given and the
// attached build has no answer, the export-compliance answer. The texts are
// saved as a draft first, so a refusal from Apple loses nothing.
func (s *Service) SetNotes(ctx context.Context, user, appID, versionID string, notes map[string]string, encryption *bool) ([]string, error) {
	api := s.ASCFor(appID)
	app, err := s.App(ctx, appID)
	if err != nil {
		return nil, err
	}
	if err := s.requireSubmitter(ctx, user, "edit What's New of", app, versionID); err != nil {
		return nil, err
	}
	if err := s.store.PutDraft(store.Draft{Key: DraftKey(versionID), Notes: notes, Encryption: encryption, UpdatedAt: s.now()}); err != nil {
		return nil, fmt.Errorf("saving the notes draft: %w", err)
	}
	// Read the version's localizations and build (one request); whether it
	// is a first version comes with it from the card's last read.
	v, err := s.read(ctx, appID, versionID, "", "", partVersion)
	if err != nil {
		return nil, err
	}
	if !v.FirstVersion {
		if bad := ValidateNotes(notes, false); len(bad) > 0 {
			var rs []string
			for loc, msg := range bad {
				rs = append(rs, loc+": "+msg)
			}
			return nil, &BlockedError{Reasons: rs}
		}
	}
	// Every write is independent of the others: send them at once. Each
	// runs to its end (no shared cancellation), so what went through is known.
	locs := slices.Clone(v.Localizations)
	var (
		g      errgroup.Group
		done   = make([]bool, len(locs))
		errs   = make([]error, len(locs)+1)
		newBld *asc.Build
	)
	var writing []string
	if !v.FirstVersion {
		for i, l := range locs {
			text, ok := notes[l.Locale]
			if !ok || text == l.WhatsNew {
				continue
			}
			writing = append(writing, l.Locale)
			g.Go(func() error {
				nl, _, err := api.Localizations.SetWhatsNew(ctx, l.ID, text)
				if err != nil {
					errs[i] = blockedOr(err, "setting What's New ("+l.Locale+")")
					return nil
				}
				locs[i].WhatsNew = text
				if nl != nil && nl.Locale != "" {
					locs[i].WhatsNew = nl.WhatsNew
				}
				done[i] = true
				return nil
			})
		}
	}
	if encryption != nil && v.Build != nil && v.Build.UsesNonExemptEncryption == nil {
		writing = append(writing, "export compliance")
		g.Go(func() error {
			b, _, err := api.Builds.SetUsesNonExemptEncryption(ctx, v.Build.ID, *encryption)
			if err != nil {
				errs[len(locs)] = blockedOr(err, "answering export compliance")
				return nil
			}
			b.MarketingVersion, b.Platform = v.Build.MarketingVersion, v.Build.Platform
			newBld = b
			return nil
		})
	}
	if len(writing) > 0 {
		progress(ctx, "⏳ Saving %s…", joinAnd(writing))
	}
	_ = g.Wait()
	var changed []string
	for i, ok := range done {
		if ok {
			changed = append(changed, locs[i].Locale)
		}
	}
	if newBld != nil {
		changed = append(changed, "export compliance")
	}
	// The card afterwards: what was read, with what the writes returned.
	after := *v
	after.Localizations = locs
	if newBld != nil {
		after.Build = newBld
	}
	after.Preflight = s.preflight(&after, nil)
	s.remember(&after)
	if err := errors.Join(errs...); err != nil {
		return changed, err
	}
	detail := "What's New: " + strings.Join(changed, ", ")
	if len(changed) == 0 {
		detail = "no change"
	}
	s.audit(user, "set-notes", appID, v.Version.VersionString, "ok", detail)
	// Everything reached App Store Connect: the draft has done its job,
	// except a compliance answer waiting for a build to be attached.
	if encryption != nil && v.Build == nil {
		err = s.store.PutDraft(store.Draft{Key: DraftKey(versionID), Encryption: encryption, UpdatedAt: s.now()})
	} else {
		err = s.store.DeleteDraft(DraftKey(versionID))
	}
	if err != nil {
		s.log.Warn("updating the notes draft", "version", versionID, "err", err)
	}
	return changed, nil
}

// Submit submits the version for review: it answers export compliance from
// the config when needed, reuses an open unsubmitted submission that is empty
// or holds only this version (else explains what is in the way), adds the
// version and submits.
func (s *Service) Submit(ctx context.Context, user string, snap Snapshot) (string, error) {
	api := s.ASCFor(snap.AppID)
	app, err := s.App(ctx, snap.AppID)
	if err != nil {
		return "", err
	}
	if err := s.requireSubmitter(ctx, user, "submit", app, snap.VersionID); err != nil {
		return "", err
	}
	return s.act(ctx, store.Action{Key: fmt.Sprintf("submit/%s/%d", snap.VersionID, snap.Rev), Kind: "submit", User: user, AppID: app.ID, VersionID: snap.VersionID, Intent: snap.VersionID}, func() (string, error) {
		// Read what the submit acts on, in one round trip: the version with
		// its build and localizations (the preflight), and the open review
		// submissions (one to reuse, or one in the way).
		v, err := s.read(ctx, snap.AppID, snap.VersionID, "", "", partVersion|partSubmissions)
		if err != nil {
			return "", err
		}
		if err := checkStale(snap, v); err != nil {
			return "", err
		}
		if v.Build != nil && v.Build.UsesNonExemptEncryption == nil {
			if ans := s.encryptionAnswer(v); ans != nil {
				b, _, err := api.Builds.SetUsesNonExemptEncryption(ctx, v.Build.ID, *ans)
				if err != nil {
					return "", blockedOr(err, "answering export compliance")
				}
				v.Build = b
				v.Preflight = s.preflight(v, nil)
			}
		}
		if !v.Preflight.Passed() {
			return "", &BlockedError{Reasons: v.Preflight.Failures()}
		}
		sub := v.Submission
		if sub == nil {
			sub = v.Draft
		}
		// After a rejection Apple keeps the submission open (Unresolved
		// Issues) with the version on it: resubmit that one, never a second.
		resubmit := v.Resubmission()
		if sub != nil && sub.State != asc.SubmissionReadyForReview && !resubmit {
			return "", &BlockedError{Reasons: []string{fmt.Sprintf("the version is already in a review submission (%s)", sub.State.Label())}}
		}
		hasItem := false
		for _, it := range v.SubmissionItems {
			if it.VersionID() == v.Version.ID && it.State != asc.ItemRemoved {
				hasItem = true
			}
		}
		addItem := !resubmit && (v.Submission == nil || !hasItem)
		steps, step := 1, 1
		if sub == nil {
			steps++
		}
		if addItem {
			steps++
		}
		if sub == nil {
			progress(ctx, "⏳ Opening a review submission (step %d of %d)…", step, steps)
			step++
			created, _, err := api.Submissions.Create(ctx, app.ID, v.Version.Platform)
			if err != nil {
				return "", blockedOr(err, "creating the review submission")
			}
			sub = created
		}
		if addItem {
			progress(ctx, "⏳ Adding %s to the review submission (step %d of %d)…", v.Version.VersionString, step, steps)
			step++
			if _, _, err := api.Submissions.AddVersion(ctx, sub.ID, v.Version.ID); err != nil {
				return "", blockedOr(err, "adding the version to review submission "+sub.ID)
			}
		}
		doing := "submitting for review"
		if resubmit {
			doing = "resubmitting for review"
		}
		if steps > 1 {
			progress(ctx, "⏳ Sending it to App Review (step %d of %d)…", step, steps)
		}
		done, _, err := api.Submissions.Submit(ctx, sub.ID)
		if err != nil {
			return "", blockedOr(err, doing)
		}
		// The card afterwards: what was read, with the submission the write
		// returned. Apple moves the versions of a submitted submission to
		// its state (WAITING_FOR_REVIEW), which the PATCH answer does not
		// carry; the watcher corrects the card if Apple says otherwise.
		after := *v
		after.Submission, after.Draft = done, nil
		after.ReviewedBuildID = v.Build.ID
		if done.State == asc.SubmissionWaitingForReview {
			after.Version.AppVersionState = asc.StateWaitingForReview
			after.Version.AppStoreState = string(asc.StateWaitingForReview)
		}
		after.Preflight = s.preflight(&after, nil)
		s.remember(&after)
		if _, err := s.store.UpdateCard(app.ID, v.Version.ID, func(c *store.Card) error {
			c.SubmittedBy = user
			c.SubmissionID = done.ID
			c.ReviewedBuildID = v.Build.ID
			return nil
		}); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("recording the submitter on the card", "err", err)
		}
		if resubmit {
			return "resubmitted for review (submission " + done.ID + ")", nil
		}
		return "submitted for review (submission " + done.ID + ")", nil
	})
}

// CancelSubmission cancels an open review submission of app.
func (s *Service) CancelSubmission(ctx context.Context, user string, app asc.App, submissionID string, rev int) error {
	return s.CancelVersionSubmission(ctx, user, app, "", submissionID, rev)
}

// CancelVersionSubmission cancels an open review submission of app, pressed
// on (or found for) the card of versionID ("" when there is none). With a
// version, the press reads what it acts on in one round trip (the version
// and the app's open submissions, at once) and leaves the view the card is
// drawn from: what it read with the submission the cancel returned
// (CANCELING, its items removed, the version under review now Developer
// Rejected, as Apple moves them). Without one, the submission alone is read.
func (s *Service) CancelVersionSubmission(ctx context.Context, user string, app asc.App, versionID, submissionID string, rev int) error {
	api := s.ASCFor(app.ID)
	if err := s.requireSubmitter(ctx, user, "cancel the submission of", app, submissionID); err != nil {
		return err
	}
	_, err := s.act(ctx, store.Action{Key: fmt.Sprintf("cancel/%s/%d", submissionID, rev), Kind: "cancel", User: user, AppID: app.ID, Intent: submissionID}, func() (string, error) {
		var (
			v   *VersionView
			sub *asc.ReviewSubmission
		)
		if versionID != "" {
			var err error
			if v, err = s.read(ctx, app.ID, versionID, "", "", partVersion|partSubmissions); err != nil {
				return "", err
			}
			for _, open := range []*asc.ReviewSubmission{v.Submission, v.Blocking, v.Draft} {
				if open != nil && open.ID == submissionID {
					sub = open
				}
			}
		}
		if sub == nil { // no card, or the submission is not among the app's open ones
			var err error
			if sub, _, err = api.Submissions.Get(ctx, submissionID); err != nil {
				return "", fmt.Errorf("reading review submission %s: %w", submissionID, err)
			}
			if err := belongs(app, "review submission", submissionID, sub.AppID); err != nil {
				return "", err
			}
		}
		if sub.State == asc.SubmissionReadyForReview {
			return "", &BlockedError{Reasons: []string{"the submission was never sent to App Review, so there is nothing to withdraw (Apple cannot cancel a draft); the next submit reuses it"}}
		}
		if !sub.State.Cancellable() {
			return "", &StaleError{Changes: []string{fmt.Sprintf("the submission is %s now", sub.State.Label())}}
		}
		done, _, err := api.Submissions.Cancel(ctx, submissionID)
		if err != nil {
			return "", blockedOr(err, "cancelling the review submission")
		}
		if v != nil {
			after := afterCancel(v, sub, done)
			after.Preflight = s.preflight(&after, nil)
			s.remember(&after)
		}
		return "cancelled review submission " + submissionID, nil
	})
	return err
}

// afterCancel is the view v after its submission was (one of v's open
// submissions, as read) and the cancel answered done: the submission in
// done's state with its items removed, and a version that was under review
// Developer Rejected. The PATCH answer carries neither items nor the
// version; Apple moves them with the cancel (ascsim's cancelSubmission
// models the same). The follow-up to the end of CANCELING re-reads it all.
func afterCancel(v *VersionView, was, done *asc.ReviewSubmission) VersionView {
	after := *v
	c := *done // its version linkage only as the answer carries it, as a read would
	items := v.SubmissionItems
	if v.Submission == nil || v.Submission.ID != was.ID {
		items = was.Items
	}
	c.Items = make([]asc.ReviewSubmissionItem, len(items))
	for i, it := range items {
		it.State = asc.ItemRemoved
		c.Items[i] = it
	}
	c.ItemsComplete = true
	switch {
	case v.Submission != nil && v.Submission.ID == was.ID:
		after.Submission, after.SubmissionItems = nil, nil
		if c.VersionID == v.Version.ID { // still linked, though its items are gone
			after.Submission, after.SubmissionItems = &c, c.Items
		} else {
			after.Blocking = &c
		}
		if st := v.Version.State(); st == asc.StateWaitingForReview || st == asc.StateInReview {
			after.Version.AppVersionState = asc.StateDeveloperRejected
			after.Version.AppStoreState = string(asc.StateDeveloperRejected)
		}
	case v.Blocking != nil && v.Blocking.ID == was.ID:
		after.Blocking = &c
	}
	return after
}

// FollowCancel reads a cancelled submission until Apple has finished
// cancelling it (it leaves CANCELING), waiting CancelPoll, doubling up to
// 15 s, for at most CancelFollow; it returns the last state read. fastlane's
// reject_if_possible polls the same way.
func (s *Service) FollowCancel(ctx context.Context, appID, submissionID string) (asc.ReviewSubmissionState, error) {
	api := s.ASCFor(appID)
	wait := s.CancelPoll
	deadline := s.now().Add(s.CancelFollow)
	for {
		sub, _, err := api.Submissions.Get(ctx, submissionID)
		if err != nil {
			return "", fmt.Errorf("reading review submission %s: %w", submissionID, err)
		}
		if sub.State != asc.SubmissionCanceling || !s.now().Before(deadline) {
			return sub.State, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return sub.State, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 15*time.Second)
	}
}

// Release releases a version that waits in Pending Developer Release, once:
// only approvers may, and with the two-person rule not the submitter. The
// version is re-read first; the intent is recorded before the one POST.
func (s *Service) Release(ctx context.Context, user, appID, versionID string) (string, error) {
	api := s.ASCFor(appID)
	app, err := s.App(ctx, appID)
	if err != nil {
		return "", err
	}
	// The two-person rule first: whoever submitted may not release, approver
	// or not, and the approver check below tells the caller the press goes on.
	if s.AppConfig(app).TwoPersonRule {
		card, ok, err := s.store.GetCard(appID, versionID)
		if err != nil {
			return "", fmt.Errorf("reading the card: %w", err)
		}
		if ok && card.SubmittedBy == user {
			s.audit(user, "release", appID, s.versionString(appID, versionID), "refused", "two-person rule: submitter")
			return "", &RefusedError{Action: "release", Reason: "the two-person rule is on for " + app.Name + ": the person who submitted a version cannot also release it"}
		}
	}
	if err := s.requireApprover(ctx, user, "release", app, versionID); err != nil {
		return "", err
	}
	return s.act(ctx, store.Action{Key: "release/" + versionID, Kind: "release", User: user, AppID: appID, VersionID: versionID, Intent: versionID}, func() (string, error) {
		v, _, err := api.Versions.Get(ctx, versionID)
		if err != nil {
			return "", fmt.Errorf("reading version %s: %w", versionID, err)
		}
		switch st := v.State(); {
		case st == asc.StateProcessingForDistribution || st == asc.StateReadyForDistribution:
			return "", &BlockedError{Reasons: []string{fmt.Sprintf("%s %s is already %s", app.Name, v.VersionString, st.Label())}}
		case st != asc.StatePendingDeveloperRelease:
			return "", &BlockedError{Reasons: []string{fmt.Sprintf("%s %s is %s, not Pending Developer Release", app.Name, v.VersionString, st.Label())}}
		case !v.ManualRelease():
			return "", &BlockedError{Reasons: []string{fmt.Sprintf("%s %s is set to release %s", app.Name, v.VersionString, ReleaseTypeLabel(v, s.cfg.Zone()))}}
		}
		id, _, err := api.Releases.Release(ctx, versionID)
		if err != nil {
			return "", blockedOr(err, "requesting the release")
		}
		// The card afterwards: the version just read, in the state a release
		// request puts it (Processing for Distribution; the answer carries
		// no state), over the version's last view.
		if cached, ok := s.views.get(versionID, s.now()); ok {
			cached.Version = *v
			cached.Version.AppVersionState = asc.StateProcessingForDistribution
			cached.Preflight = s.preflight(&cached, nil)
			s.remember(&cached)
		}
		if _, err := s.store.UpdateCard(appID, versionID, func(c *store.Card) error { c.ReleasedBy = user; return nil }); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("recording the releaser on the card", "err", err)
		}
		s.log.Info("release requested", "app", app.ID, "version", v.VersionString, "release_request", id, "user", user)
		return fmt.Sprintf("released %s %s to the App Store", app.Name, v.VersionString), nil
	})
}

// ReleaseTypeLabel says in words how an approved version reaches the store;
// a scheduled date is shown in loc (the team's time zone).
func ReleaseTypeLabel(v *asc.AppStoreVersion, loc *time.Location) string {
	switch v.ReleaseType {
	case asc.ReleaseAfterApproval:
		return "automatically after approval"
	case asc.ReleaseScheduled:
		if v.EarliestReleaseDate != nil {
			return "automatically, no earlier than " + FormatTime(*v.EarliestReleaseDate, loc)
		}
		return "on a schedule"
	}
	return "manually"
}

// SetPhased pauses (PAUSED), resumes (ACTIVE) or completes (COMPLETE) the
// version's phased release.
func (s *Service) SetPhased(ctx context.Context, user, appID, versionID string, target asc.PhasedReleaseState, rev int) (*asc.PhasedRelease, error) {
	api := s.ASCFor(appID)
	app, err := s.App(ctx, appID)
	if err != nil {
		return nil, err
	}
	verb := map[asc.PhasedReleaseState]string{asc.PhasedPaused: "pause the phased release of", asc.PhasedActive: "resume the phased release of", asc.PhasedComplete: "release to everyone"}[target]
	if verb == "" {
		return nil, fmt.Errorf("setting phased release: unsupported state %q", target)
	}
	if err := s.requireApprover(ctx, user, verb, app, versionID); err != nil {
		return nil, err
	}
	ph, _, err := api.Phased.Get(ctx, versionID)
	if err != nil {
		return nil, fmt.Errorf("reading the phased release: %w", err)
	}
	if ph == nil {
		return nil, &BlockedError{Reasons: []string{"this version has no phased release"}}
	}
	kind := "phased-" + strings.ToLower(string(target))
	resource := "phased/" + versionID
	key, err := s.keyFrom(resource, string(ph.State), target)
	if err != nil {
		return nil, err
	}
	ok := false
	switch target {
	case asc.PhasedPaused:
		ok = ph.State == asc.PhasedActive
	case asc.PhasedActive:
		ok = ph.State == asc.PhasedPaused
	case asc.PhasedComplete:
		ok = ph.State == asc.PhasedActive || ph.State == asc.PhasedPaused
	}
	if !ok {
		if ph.State == target {
			if err := s.lastDone(resource, kind); err != nil {
				return nil, err
			}
		}
		return nil, &StaleError{Changes: []string{fmt.Sprintf("the phased release is %s", ph.State.Label())}}
	}
	var out *asc.PhasedRelease
	_, err = s.act(ctx, store.Action{Key: key, Kind: kind, User: user, AppID: appID, VersionID: versionID, Intent: versionID}, func() (string, error) {
		np, _, err := api.Phased.SetState(ctx, ph.ID, target)
		if err != nil {
			return "", blockedOr(err, "changing the phased release")
		}
		out = np
		// The card afterwards: the version's last view with the phased
		// release the write returned.
		if cached, ok := s.views.get(versionID, s.now()); ok {
			cached.Phased = np
			s.remember(&cached)
		}
		return fmt.Sprintf("phased release %s", strings.ToLower(np.State.Label())), nil
	})
	if err == nil {
		s.actedOn(resource, key)
	}
	return out, err
}

// SubmitIAP submits an in-app purchase that is ready to submit.
func (s *Service) SubmitIAP(ctx context.Context, user string, app asc.App, iapID string) error {
	api := s.ASCFor(app.ID)
	if err := s.requireSubmitter(ctx, user, "submit in-app purchases of", app, iapID); err != nil {
		return err
	}
	iaps, _, err := api.IAP.List(ctx, app.ID)
	if err != nil {
		return fmt.Errorf("reading the in-app purchases of %s: %w", app.Name, err)
	}
	var iap *asc.InAppPurchase
	for i := range iaps {
		if iaps[i].ID == iapID {
			iap = &iaps[i]
		}
	}
	if iap == nil {
		s.audit(user, "submit-iap", app.ID, iapID, "refused", "not an in-app purchase of this app")
		return belongs(app, "in-app purchase", iapID, "")
	}
	const kind = "submit-iap"
	resource := "iap/" + iapID
	key, err := s.keyFrom(resource, string(iap.State), "submit")
	if err != nil {
		return err
	}
	if iap.State != asc.IAPReadyToSubmit {
		if err := s.lastDone(resource, kind); err != nil {
			return err
		}
		return &BlockedError{Reasons: []string{fmt.Sprintf("%s is %s, not Ready to Submit", iap.Name, iap.State)}}
	}
	_, err = s.act(ctx, store.Action{Key: key, Kind: kind, User: user, AppID: app.ID, Intent: iapID}, func() (string, error) {
		if _, err := api.IAP.Submit(ctx, iapID); err != nil {
			return "", blockedOr(err, "submitting the in-app purchase")
		}
		return "submitted in-app purchase " + iap.Name, nil
	})
	if err == nil {
		s.actedOn(resource, key)
	}
	return err
}

// belongs refuses an id that App Store Connect says belongs to another app
// than the one named beside it in a button value. Socket mode cannot forge
// button values, but the check is cheap: the id is read anyway.
func belongs(app asc.App, kind, id, ownerAppID string) error {
	if ownerAppID == app.ID {
		return nil
	}
	return &RefusedError{Action: "act on " + kind + " " + id, Reason: kind + " " + id + " does not belong to " + app.Name + ", so nothing was done"}
}

// keyFrom names an action on resource by the state it acts from (as App
// Store Connect showed it just before) and by how many times the bot has
// acted on the resource already: a phased release paused, resumed and
// paused again acts twice from ACTIVE, and an in-app purchase rejected and
// fixed is READY_TO_SUBMIT again — each is a new action, while a double
// click (same state, same count) is one. A key naming only the resource,
// or the card revision (0 without a card), answered "already done".
func (s *Service) keyFrom(resource, from string, to any) (string, error) {
	n := 0
	v, ok, err := s.store.GetMeta("actions/" + resource + "/count")
	if err != nil {
		return "", fmt.Errorf("reading the action count of %s: %w", resource, err)
	}
	if ok {
		n, _ = strconv.Atoi(v)
	}
	return fmt.Sprintf("%s/%d/from-%s/%v", resource, n, from, to), nil
}

// actedOn records that the action key succeeded on resource: the next
// action on it gets a new key, and lastDone can name this one.
func (s *Service) actedOn(resource, key string) {
	n := 0
	if v, ok, err := s.store.GetMeta("actions/" + resource + "/count"); err == nil && ok {
		n, _ = strconv.Atoi(v)
	}
	if err := s.store.PutMeta("actions/"+resource+"/count", strconv.Itoa(n+1)); err != nil {
		s.log.Error("recording an action count", "resource", resource, "err", err)
	}
	if err := s.store.PutMeta("actions/"+resource+"/last", key); err != nil {
		s.log.Error("recording the last action", "resource", resource, "err", err)
	}
}

// lastDone returns a DoneError when the last action the bot carried out on
// resource was of this kind (a second press after the first finished),
// else nil.
func (s *Service) lastDone(resource, kind string) error {
	key, ok, err := s.store.GetMeta("actions/" + resource + "/last")
	if err != nil || !ok {
		return nil
	}
	a, ok, err := s.store.GetAction(key)
	if err != nil || !ok || a.Kind != kind || a.State != store.ActionDone {
		return nil
	}
	return &DoneError{By: a.User, At: a.FinishedAt, Result: a.Result}
}

// MakeAvailableEverywhere makes app available in every territory, new ones included.
func (s *Service) MakeAvailableEverywhere(ctx context.Context, user string, app asc.App) (int, error) {
	api := s.ASCFor(app.ID)
	if err := s.requireApprover(ctx, user, "change availability of", app, ""); err != nil {
		return 0, err
	}
	n := 0
	_, err := s.act(ctx, store.Action{Key: fmt.Sprintf("availability/%s/%d", app.ID, s.now().Unix()/60), Kind: "availability", User: user, AppID: app.ID, Intent: "everywhere"}, func() (string, error) {
		progress(ctx, "⏳ Reading the list of territories (step 1 of 2)…")
		ts, _, err := api.Availability.Territories(ctx)
		if err != nil {
			return "", fmt.Errorf("listing territories: %w", err)
		}
		progress(ctx, "⏳ Making %s available in %d territories (step 2 of 2)…", app.Name, len(ts))
		if _, err := api.Availability.MakeAvailableEverywhere(ctx, app.ID, ts); err != nil {
			return "", blockedOr(err, fmt.Sprintf("making the app available in %d territories", len(ts)))
		}
		n = len(ts)
		return fmt.Sprintf("available in all %d territories", n), nil
	})
	return n, err
}
