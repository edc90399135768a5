package watch

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/store"
)

// The one transition path.
//
// The poller and the webhook handler both build an observation (fresh state
// read from App Store Connect) and call observeVersion / observeBuilds. Under
// a per-version (per-app for builds) mutex these compare with the seen
// record, notify, and record — in this order:
//
//  1. re-read seen; if it differs from Base (the record the caller read
//     BEFORE fetching its observation), someone recorded something newer
//     meanwhile: the observation may be stale, so it is dropped (the next
//     tick looks again);
//  2. no seen record: record the baseline silently — unless the bot has a
//     card for the version showing another state, which then is the
//     starting point (the change since is announced);
//  3. nothing changed: return; only silent fields changed: record them;
//  4. fetch detail (submission items) — a failure returns before anything
//     is claimed, so the transition is simply offered again;
//  5. claim the notice key with store.MarkNotice. The key names the
//     transition and the seen record it starts from (its At), so the same
//     transition observed by the poller and a webhook, or again after a
//     restart, has the same key. If the key is already claimed, an earlier
//     attempt announced it and died before step 7: record, don't announce;
//  6. notify; on error release the claim (store.ReleaseNotice) and return
//     the error without recording — the next tick offers it again;
//  7. record the new state (At = now).
//
// Window that remains: a process crash (or a failing ReleaseNotice) after
// step 5 and before the Notifier returned leaves a claim without a known
// outcome; after a restart that transition is recorded WITHOUT being
// announced (at most once, never twice). A crash after step 6 and before
// step 7 does not re-announce. Store.Prune must not remove notice marks
// younger than the longest plausible downtime, or step 5 cannot recognise
// the earlier attempt.

// notifyError marks a Notifier's failure (Slack's side): it never counts
// as App Store Connect failing.
type notifyError struct{ err error }

func (e notifyError) Error() string { return e.err.Error() }
func (e notifyError) Unwrap() error { return e.err }

// versionObs is a fresh observation of one version.
type versionObs struct {
	App     asc.App
	Channel string
	Version asc.AppStoreVersion
	// Sub is the review submission holding the version, nil when the
	// observation says nothing new about it (the recorded one is kept).
	Sub    *asc.ReviewSubmission
	Source Source
	// Base is the seen record read before the observation was fetched (nil
	// when there was none).
	Base *store.Seen
}

// announcedSubStates are the submission states worth a notification on
// their own (with the version's state unchanged). A new draft
// (READY_FOR_REVIEW) and the transient CANCELING / COMPLETING / COMPLETE
// are recorded silently: the version's own state change carries them.
func announcedSubState(s asc.ReviewSubmissionState) bool {
	switch s {
	case asc.SubmissionWaitingForReview, asc.SubmissionInReview, asc.SubmissionUnresolvedIssues:
		return true
	}
	return false
}

// needsItems reports whether an event in these states carries the items.
func needsItems(v asc.AppVersionState, s asc.ReviewSubmissionState) bool {
	return v.Rejected() || s == asc.SubmissionUnresolvedIssues
}

// sameVersionSeen reports whether two seen records describe the same
// recorded state.
func sameVersionSeen(a, b store.Seen) bool {
	return a.State == b.State && a.SubmissionID == b.SubmissionID &&
		a.SubmissionState == b.SubmissionState && a.Version == b.Version && a.At.Equal(b.At)
}

// versionNoticeKey names one transition of a version, starting from the
// seen record recorded at fromAt.
func versionNoticeKey(appID, versionID string, from, to asc.AppVersionState, subID string, subFrom, subTo asc.ReviewSubmissionState, fromAt int64) string {
	return "watch/v/" + appID + "/" + versionID + "/" + string(from) + ">" + string(to) +
		"/" + subID + ":" + string(subFrom) + ">" + string(subTo) + "/" + strconv.FormatInt(fromAt, 10)
}

// buildNoticeKey names one transition of a build (builds move one way, so
// the states suffice).
func buildNoticeKey(appID, buildID string, from, to asc.BuildProcessingState) string {
	return "watch/b/" + appID + "/" + buildID + "/" + string(from) + ">" + string(to)
}

// observeVersion is the transition path of a version (see above).
func (w *Watcher) observeVersion(ctx context.Context, o versionObs) error {
	appID, vid := o.App.ID, o.Version.ID
	log := w.log.With("app", appID, "version", o.Version.VersionString, "version_id", vid, "source", o.Source)
	unlock := w.locks.lock("v/" + appID + "/" + vid)
	defer unlock()

	seen, found, err := w.store.GetSeen(appID, vid)
	if err != nil {
		return fmt.Errorf("reading seen state of %s/%s: %w", appID, vid, err)
	}
	if o.Base != nil && (!found || !sameVersionSeen(seen, *o.Base)) || o.Base == nil && found {
		log.Debug("dropping an observation older than the recorded state")
		return nil
	}
	now := w.now()
	to := o.Version.State()
	if !found {
		// A version the bot has shown on a card starts from what the card
		// last showed: a change since (the bot was down, or a submit and a
		// review start fell between two ticks) is news, not a baseline.
		card, hasCard, err := w.store.GetCard(appID, vid)
		if err != nil {
			return fmt.Errorf("reading the card of %s/%s: %w", appID, vid, err)
		}
		if hasCard && card.LastState != "" && asc.AppVersionState(card.LastState) != to {
			seen = store.Seen{AppID: appID, VersionID: vid, Version: card.Version, State: card.LastState, SubmissionID: card.SubmissionID, At: card.UpdatedAt}
			found = true
			log.Debug("no seen record; starting from the card's last state", "state", card.LastState)
		}
	}
	if !found {
		rec := store.Seen{AppID: appID, VersionID: vid, Version: o.Version.VersionString, State: string(to), At: now}
		if o.Sub != nil {
			rec.SubmissionID, rec.SubmissionState = o.Sub.ID, string(o.Sub.State)
		}
		if err := w.store.PutSeen(rec); err != nil {
			return fmt.Errorf("recording baseline of %s/%s: %w", appID, vid, err)
		}
		log.Debug("baseline recorded", "state", to)
		return nil
	}

	from := asc.AppVersionState(seen.State)
	subID, subTo := seen.SubmissionID, asc.ReviewSubmissionState(seen.SubmissionState)
	if o.Sub != nil {
		subID, subTo = o.Sub.ID, o.Sub.State
	}
	var subFrom asc.ReviewSubmissionState
	if subID == seen.SubmissionID {
		subFrom = asc.ReviewSubmissionState(seen.SubmissionState)
	}
	versionMoved := to != from
	subChanged := subID != seen.SubmissionID || subTo != subFrom
	if !versionMoved && !subChanged && o.Version.VersionString == seen.Version {
		return nil
	}
	rec := seen
	rec.ItemStates = maps.Clone(seen.ItemStates)
	rec.Version, rec.State, rec.SubmissionID, rec.SubmissionState = o.Version.VersionString, string(to), subID, string(subTo)
	if !versionMoved && !(subChanged && announcedSubState(subTo)) {
		// Silent: a draft submission appeared, one is canceling/completing,
		// or the version string was edited. At keeps the state's start.
		if err := w.store.PutSeen(rec); err != nil {
			return fmt.Errorf("recording %s/%s: %w", appID, vid, err)
		}
		log.Debug("recorded a silent change", "submission", subID, "submission_state", subTo)
		return nil
	}

	ev := VersionEvent{
		App: o.App, Channel: o.Channel, Version: o.Version,
		From: from, To: to,
		SubmissionID: subID, SubFrom: subFrom, SubTo: subTo,
		At: now, Source: o.Source,
	}
	if subID != "" && needsItems(to, subTo) {
		items, _, err := w.api(o.App.ID).Submissions.Items(ctx, subID)
		if err != nil {
			return fmt.Errorf("reading items of submission %s: %w", subID, err)
		}
		ev.Items = items
		rec.ItemStates = make(map[string]string, len(items))
		for _, it := range items {
			rec.ItemStates[it.ID] = string(it.State)
		}
	}

	key := versionNoticeKey(appID, vid, from, to, subID, subFrom, subTo, seen.At.UnixNano())
	ev.NoticeKey = key
	first, err := w.store.MarkNotice(key, now)
	if err != nil {
		return fmt.Errorf("claiming the notice of %s/%s: %w", appID, vid, err)
	}
	rec.At = now
	if !first {
		log.Info("transition already announced before a restart; recording it", "from", from, "to", to)
	} else {
		if err := w.notifier.VersionChanged(ctx, ev); err != nil {
			if rerr := w.store.ReleaseNotice(key); rerr != nil {
				log.Error("releasing the claim of a failed notice; this transition will not be announced", "err", rerr)
			}
			return fmt.Errorf("announcing %s %s %s → %s: %w", o.App.Name, o.Version.VersionString, from, to, notifyError{err})
		}
		log.Info("review state changed", "from", from, "to", to, "submission", subID, "submission_from", subFrom, "submission_to", subTo, "items", len(ev.Items))
	}
	if err := w.store.PutSeen(rec); err != nil {
		return fmt.Errorf("recording %s/%s after announcing: %w", appID, vid, err)
	}
	return nil
}

// buildObs is a fresh observation of an app's builds.
type buildObs struct {
	App     asc.App
	Channel string
	Builds  []asc.Build
	// Complete says Builds is the app's recent builds (a snapshot), which
	// may set the app's baseline; a webhook's single build is not.
	Complete bool
	Source   Source
	// Base is the app-level seen record read before the observation was
	// fetched (nil when there was none).
	Base *store.Seen
}

// finished reports whether processing is over.
func finished(s asc.BuildProcessingState) bool {
	switch s {
	case asc.BuildValid, asc.BuildFailed, asc.BuildInvalid:
		return true
	}
	return false
}

// observeBuilds is the transition path of an app's builds: PROCESSING →
// VALID/FAILED/INVALID, and builds first seen finished once the app's
// baseline exists, are announced; everything else is recorded silently.
// Each announced build is recorded right after its notification.
func (w *Watcher) observeBuilds(ctx context.Context, o buildObs) error {
	appID := o.App.ID
	log := w.log.With("app", appID, "source", o.Source)
	unlock := w.locks.lock("b/" + appID)
	defer unlock()

	seen, found, err := w.store.GetSeen(appID, "")
	if err != nil {
		return fmt.Errorf("reading build states of app %s: %w", appID, err)
	}
	now := w.now()
	if !found {
		if !o.Complete {
			log.Debug("no baseline yet; leaving the build to the poller")
			return nil
		}
		rec := store.Seen{AppID: appID, BuildStates: map[string]string{}, At: now}
		for _, b := range o.Builds {
			rec.BuildStates[b.ID] = string(b.ProcessingState)
		}
		if err := w.store.PutSeen(rec); err != nil {
			return fmt.Errorf("recording the build baseline of app %s: %w", appID, err)
		}
		log.Debug("build baseline recorded", "builds", len(o.Builds))
		return nil
	}
	var base map[string]string
	if o.Base != nil {
		base = o.Base.BuildStates
	}
	states := maps.Clone(seen.BuildStates)
	if states == nil {
		states = map[string]string{}
	}
	dirty := false
	save := func() error {
		if !dirty {
			return nil
		}
		rec := seen
		rec.BuildStates = states
		if len(states) > maxBuildStates {
			keep := map[string]bool{}
			for _, b := range o.Builds {
				keep[b.ID] = true
			}
			for id := range states {
				if !keep[id] && len(states) > maxBuildStates {
					delete(states, id)
				}
			}
		}
		if err := w.store.PutSeen(rec); err != nil {
			return fmt.Errorf("recording build states of app %s: %w", appID, err)
		}
		dirty = false
		return nil
	}

	var errs []error
	for _, b := range o.Builds {
		old, known := states[b.ID]
		if o.Base != nil && base[b.ID] != old {
			continue // recorded by someone else since the observation was read
		}
		to := b.ProcessingState
		if known && old == string(to) {
			continue
		}
		from := asc.BuildProcessingState(old)
		if !finished(to) || (known && from != asc.BuildProcessing) {
			states[b.ID], dirty = string(to), true
			continue
		}
		ev := BuildEvent{App: o.App, Channel: o.Channel, Build: b, From: from, To: to, At: now, Source: o.Source}
		if b.MarketingVersion == "" {
			full, _, err := w.api(o.App.ID).Builds.Get(ctx, b.ID)
			if err != nil {
				errs = append(errs, fmt.Errorf("reading build %s: %w", b.ID, err))
				if asc.IsRateLimited(err) {
					break
				}
				continue
			}
			ev.Build = *full
			if ev.Build.ProcessingState != to {
				// It moved on between the two reads: announce the truth.
				ev.To = ev.Build.ProcessingState
				if !finished(ev.To) {
					states[b.ID], dirty = string(ev.To), true
					continue
				}
			}
		}
		key := buildNoticeKey(appID, b.ID, from, ev.To)
		ev.NoticeKey = key
		first, err := w.store.MarkNotice(key, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("claiming the notice of build %s: %w", b.ID, err))
			continue
		}
		if first {
			if err := w.notifier.BuildChanged(ctx, ev); err != nil {
				if rerr := w.store.ReleaseNotice(key); rerr != nil {
					log.Error("releasing the claim of a failed notice; this build will not be announced", "build", b.ID, "err", rerr)
				}
				errs = append(errs, fmt.Errorf("announcing build %s %s → %s: %w", ev.Build.Version, from, ev.To, notifyError{err}))
				continue
			}
			log.Info("build finished processing", "build", ev.Build.Version, "build_id", b.ID, "from", from, "to", ev.To)
		} else {
			log.Info("build already announced before a restart; recording it", "build_id", b.ID, "to", ev.To)
		}
		states[b.ID], dirty = string(ev.To), true
		if err := save(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := save(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Acknowledge records, silently, the state a version reached through the
// bot's own action (a submit, a cancel, a release): the card's thread
// already says so, and the poller must not announce it a second time.
// It records only when the version shows exactly the state the action
// produces (want): a state Apple moved on to meanwhile is left for the
// poller to announce. readAt is when v was read: a state recorded after
// it (the poller saw Apple move on, and announced it) is newer than v and
// is kept, else the next poll would announce that move a second time. The
// submission, when given, is recorded too.
func (w *Watcher) Acknowledge(appID string, v asc.AppStoreVersion, want asc.AppVersionState, sub *asc.ReviewSubmission, readAt time.Time) error {
	if v.State() != want {
		return nil
	}
	unlock := w.locks.lock("v/" + appID + "/" + v.ID)
	defer unlock()
	seen, found, err := w.store.GetSeen(appID, v.ID)
	if err != nil {
		return fmt.Errorf("reading seen state of %s/%s: %w", appID, v.ID, err)
	}
	if !found {
		seen = store.Seen{AppID: appID, VersionID: v.ID}
	}
	if seen.State == string(want) || found && seen.At.After(readAt) {
		return nil
	}
	seen.Version, seen.State, seen.At = v.VersionString, string(want), w.now()
	if sub != nil {
		seen.SubmissionID, seen.SubmissionState = sub.ID, string(sub.State)
	}
	if err := w.store.PutSeen(seen); err != nil {
		return fmt.Errorf("recording %s/%s after the bot's own action: %w", appID, v.ID, err)
	}
	w.log.Debug("recorded the bot's own action", "app", appID, "version", v.VersionString, "state", want)
	return nil
}
