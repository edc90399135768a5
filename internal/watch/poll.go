package watch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// Tick polls every watched app once: one Apps.Snapshot per app, plus detail
// reads only where something changed. Each API key's apps are polled as
// their own lane, in parallel, with the key's own rate-limit budget: a 429
// stops only that key's lane (its apps not yet read are left for the next
// tick) and sets a back-off that scheduled ticks honour for that key alone;
// calling Tick directly ignores back-offs and stretched intervals. The
// error joins every app's error.
func (w *Watcher) Tick(ctx context.Context) error { return w.tick(ctx, nil) }

// tick polls the lanes due (nil: every lane).
func (w *Watcher) tick(ctx context.Context, due func(key string) bool) error {
	w.tickMu.Lock()
	defer w.tickMu.Unlock()
	started := time.Now()
	startedAt := w.now()

	apps, err := w.watchedApps(ctx)
	byKey := map[string][]release.WatchedApp{}
	for _, a := range apps {
		k := w.rel.KeyOf(a.App.ID)
		byKey[k] = append(byKey[k], a)
	}
	keys := w.rel.Keys()
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, key := range keys {
		if due != nil && !due(key) {
			continue
		}
		wg.Go(func() {
			l := w.lane(key)
			laneStart := time.Now()
			reqs0 := l.reqs.Load()
			lerr := err // the watched set could not be read: every lane failed
			if lerr == nil {
				lerr = w.pollApps(ctx, byKey[key])
			}
			w.afterLane(l, startedAt, time.Since(laneStart), int(l.reqs.Load()-reqs0), len(byKey[key]), lerr)
			errs[i] = lerr
		})
	}
	wg.Wait()
	if err == nil {
		err = errors.Join(errs...)
	}
	if w.alsoTick != nil && !asc.IsRateLimited(err) && ctx.Err() == nil {
		if aerr := w.alsoTick(ctx); aerr != nil {
			err = errors.Join(err, aerr)
		}
	}
	w.afterTick(time.Since(started), len(apps), err)
	return err
}

// pollApps reads the apps with at most w.workers in parallel.
func (w *Watcher) pollApps(ctx context.Context, apps []release.WatchedApp) error {
	var (
		next    atomic.Int64
		limited atomic.Bool
		mu      sync.Mutex
		errs    []error
		wg      sync.WaitGroup
	)
	for range min(w.workers, len(apps)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(apps) || limited.Load() || ctx.Err() != nil {
					return
				}
				if err := w.pollApp(ctx, apps[i]); err != nil {
					// A 429 or a 401 holds for every app (they share the
					// key): the rest of the tick would only repeat it.
					if asc.IsRateLimited(err) || errors.Is(err, asc.ErrUnauthorized) {
						limited.Store(true)
					}
					w.log.Warn("reading app", "app", apps[i].App.ID, "err", err)
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("polling: %w", err))
	}
	return errors.Join(errs...)
}

// afterTick records the whole tick's outcome (every lane polled).
func (w *Watcher) afterTick(took time.Duration, apps int, err error) {
	now := w.now()
	w.mu.Lock()
	if err != nil {
		w.lastErr = err.Error()
	} else {
		w.lastErr = ""
		w.lastGood = now
	}
	w.mu.Unlock()
	if err == nil {
		if perr := w.store.PutMeta(metaLastGoodPoll, now.UTC().Format(time.RFC3339Nano)); perr != nil {
			w.log.Warn("saving the last good poll time", "err", perr)
		}
	}
	w.log.Debug("poll done", "apps", apps, "took", took, "err", err)
}

// afterLane records one key's outcome, backs that key off after a 429 and
// recomputes its rate-limit budget.
func (w *Watcher) afterLane(l *lane, at time.Time, took time.Duration, reqs, apps int, err error) {
	rem, remOK, lim := 0, false, 0
	if c, ok := w.rel.Client(l.key); ok {
		rl := c.RateLimit()
		rem, remOK = rl.HourRemaining()
		lim, _ = rl.HourLimit()
	}
	now := w.now()
	log := w.log
	if len(w.rel.Keys()) > 1 {
		log = log.With("key", l.key)
	}

	w.mu.Lock()
	l.lastTick = at
	switch {
	case err == nil:
		l.lastErr = ""
		l.lastGood = now
		l.failures = 0
	case failingEverywhere(err):
		l.lastErr = err.Error()
		l.failures++
	default:
		l.lastErr = err.Error() // one app's problem: the others were read
	}
	retryAfter := false
	if apiErr, ok := asc.AsAPIError(err); ok && asc.IsRateLimited(err) {
		wait := apiErr.RetryAfter
		retryAfter = wait > 0
		if wait <= 0 {
			wait = max(defaultBackoff, w.interval)
		}
		l.backoffTill = now.Add(wait)
		log.Warn("App Store Connect rate limit hit; backing off", "until", l.backoffTill, "retry_after", apiErr.RetryAfter)
	} else if err != nil && failingEverywhere(err) {
		// Every request of the key failing (401, 5xx, network): back off
		// exponentially across ticks instead of spending the full retry
		// count on every app on every tick. Other keys' lanes go on.
		wait := min(w.interval<<min(l.failures-1, 16), maxFailBackoff)
		l.backoffTill = now.Add(max(wait, w.interval))
		log.Warn("poll failed; backing off", "failures_in_a_row", l.failures, "until", l.backoffTill)
	}
	if remOK {
		l.hourRem, l.hourLim = rem, lim
	}
	if retryAfter {
		// Retry-After comes first: a 429 saying user-hour-rem:0 with
		// Retry-After 60 s waits 60 s, not the hour the budget model would
		// stretch to. The budget is recomputed after the next tick.
		remOK = false
	}
	wasStretched, wasEffective := l.stretched, l.effective
	l.effective = effectiveInterval(w.interval, max(reqs, apps), rem, lim, remOK)
	l.stretched = l.effective > w.interval
	if l.stretched != wasStretched || (l.stretched && l.effective != wasEffective) {
		if l.stretched {
			log.Warn("poll interval stretched to stay within App Store Connect's hourly budget",
				"interval", w.interval, "effective", l.effective, "requests_per_tick", max(reqs, apps),
				"hour_remaining", rem, "hour_limit", lim)
		} else {
			log.Info("poll interval back to the schedule", "interval", w.interval, "hour_remaining", rem)
		}
	}
	w.mu.Unlock()

	if w.metrics != nil {
		w.metrics.ObservePoll(l.key, took, err == nil)
		if remOK {
			w.metrics.RateRemaining(l.key, rem)
		}
	}
	log.Debug("lane polled", "apps", apps, "requests", reqs, "took", took, "err", err)
}

// failingEverywhere reports an error that no app escapes: App Store Connect
// refusing the key (401), failing (5xx) or not answering. One app's 404 or
// 403 is that app's problem and does not slow the poller down.
func failingEverywhere(err error) bool {
	var ne notifyError
	if _, ok := err.(interface{ Unwrap() []error }); !ok && errors.As(err, &ne) {
		return false // Slack refused an announcement: not App Store Connect's failure
	}
	if errors.Is(err, asc.ErrUnauthorized) || errors.Is(err, asc.ErrNoAnswer) {
		return true
	}
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			if failingEverywhere(x) {
				return true
			}
		}
		return false
	}
	var apiErr *asc.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500
	}
	var netErr net.Error
	return errors.As(err, &netErr) // App Store Connect unreachable
}

// effectiveInterval applies the simple budget model: the remaining hourly
// requests must carry perTick requests every interval for an hour (the
// rolling window has freed up by then). A tenth of the limit is kept for
// interactive use (submits and releases from Slack share the key). When
// they cannot, the interval is stretched to hour·perTick/available, at most
// an hour.
func effectiveInterval(interval time.Duration, perTick, remaining, limit int, known bool) time.Duration {
	if !known || interval <= 0 || perTick <= 0 {
		return interval
	}
	avail := remaining - limit/10
	ticksPerHour := float64(time.Hour) / float64(interval)
	if float64(avail) >= float64(perTick)*ticksPerHour {
		return interval
	}
	if avail <= 0 {
		return max(interval, time.Hour)
	}
	// Whole seconds, rounded up, so a budget one request short still stretches.
	eff := time.Duration(math.Ceil(time.Hour.Seconds()*float64(perTick)/float64(avail))) * time.Second
	return min(max(eff, interval), max(interval, time.Hour))
}

// watchedApps returns the cached watched set, re-reading it on the first
// call, after WatchesChanged and every watchedRefresh. When a re-read fails
// the previous set is used.
func (w *Watcher) watchedApps(ctx context.Context) ([]release.WatchedApp, error) {
	w.mu.Lock()
	if w.watchedOK && !w.watchStale && w.now().Sub(w.watchedAt) < watchedRefresh {
		apps := slices.Clone(w.watched)
		w.mu.Unlock()
		return apps, nil
	}
	w.watchStale = false
	w.mu.Unlock()

	apps, err := w.rel.WatchedApps(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		if w.watchedOK && !asc.IsRateLimited(err) {
			w.log.Warn("re-reading the watched apps; keeping the previous set", "err", err)
			return slices.Clone(w.watched), nil
		}
		w.watchStale = true
		return nil, fmt.Errorf("reading the watched apps: %w", err)
	}
	w.watched, w.watchedOK, w.watchedAt = apps, true, w.now()
	return slices.Clone(apps), nil
}

// watchedApp returns the watched entry of appID.
func (w *Watcher) watchedApp(ctx context.Context, appID string) (release.WatchedApp, bool, error) {
	apps, err := w.watchedApps(ctx)
	if err != nil {
		return release.WatchedApp{}, false, err
	}
	for _, a := range apps {
		if a.App.ID == appID {
			return a, true, nil
		}
	}
	return release.WatchedApp{}, false, nil
}

// pollApp reads one app and feeds what changed into the transition paths.
// The seen records are read BEFORE the snapshot: an observation is applied
// only if nobody (a webhook) recorded something newer meanwhile.
func (w *Watcher) pollApp(ctx context.Context, wa release.WatchedApp) error {
	appID := wa.App.ID
	seenList, err := w.store.ListSeen(appID)
	if err != nil {
		return fmt.Errorf("reading seen states of app %s: %w", appID, err)
	}
	snap, _, err := w.api(appID).Apps.Snapshot(ctx, appID, asc.SnapshotOptions{Versions: snapshotLimit, Submissions: snapshotLimit, Builds: snapshotLimit})
	if err != nil {
		return fmt.Errorf("reading app %s: %w", appID, err)
	}
	app := snap.App
	if app.ID == "" {
		app = wa.App
	}
	seen := map[string]store.Seen{}
	var appSeen *store.Seen
	for _, s := range seenList {
		if s.VersionID == "" {
			appSeen = &s
			continue
		}
		seen[s.VersionID] = s
	}
	if err := w.linkSubmissions(ctx, appID, snap.Submissions, seen); err != nil {
		return err
	}

	var errs []error
	for _, v := range snap.Versions {
		base, found := seen[v.ID]
		var basePtr *store.Seen
		if found {
			basePtr = &base
		}
		sub := pickSubmission(snap.Submissions, v.ID, base.SubmissionID)
		if found && v.State() == asc.AppVersionState(base.State) && v.VersionString == base.Version && !subMoved(sub, base) {
			continue // the idle case: no write, no extra request
		}
		obs := versionObs{App: app, Channel: wa.Channel, Version: v, Sub: sub, Source: SourcePoll, Base: basePtr}
		if found && v.State() != asc.AppVersionState(base.State) {
			// Re-read the version's full record (build linkage, app).
			full, _, err := w.api(appID).Versions.Get(ctx, v.ID)
			switch {
			case err == nil:
				if full.AppID == "" {
					full.AppID = appID
				}
				obs.Version = *full
			case asc.IsRateLimited(err):
				return errors.Join(append(errs, fmt.Errorf("re-reading version %s: %w", v.ID, err))...)
			default:
				w.log.Warn("re-reading a changed version; using the snapshot", "app", appID, "version", v.VersionString, "err", err)
			}
		}
		if err := w.observeVersion(ctx, obs); err != nil {
			if asc.IsRateLimited(err) {
				return errors.Join(append(errs, err)...)
			}
			errs = append(errs, err)
		}
	}
	bobs := buildObs{App: app, Channel: wa.Channel, Builds: snap.Builds, Complete: true, Source: SourcePoll, Base: appSeen}
	if err := w.observeBuilds(ctx, bobs); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// subMoved reports whether sub differs from the submission recorded in s.
func subMoved(sub *asc.ReviewSubmission, s store.Seen) bool {
	return sub != nil && (sub.ID != s.SubmissionID || string(sub.State) != s.SubmissionState)
}

// linkSubmissions fills VersionID on the snapshot's submissions that lack
// it: from the seen records, from the cache, and, only when an open
// submission is still unknown, from ONE Submissions.ListOpen of the app.
func (w *Watcher) linkSubmissions(ctx context.Context, appID string, subs []asc.ReviewSubmission, seen map[string]store.Seen) error {
	known := map[string]string{}
	for _, s := range seen {
		if s.SubmissionID != "" {
			known[s.SubmissionID] = s.VersionID
		}
	}
	need := false
	w.mu.Lock()
	for i := range subs {
		s := &subs[i]
		if s.VersionID != "" {
			w.subVersion[s.ID] = s.VersionID
			continue
		}
		if v, ok := w.subVersion[s.ID]; ok {
			s.VersionID = v
		} else if v, ok := known[s.ID]; ok {
			s.VersionID = v
		} else if s.State.Open() {
			need = true
		}
	}
	w.mu.Unlock()
	if !need {
		return nil
	}
	open, _, err := w.api(appID).Submissions.ListOpen(ctx, appID, "")
	if err != nil {
		return fmt.Errorf("listing open submissions of app %s: %w", appID, err)
	}
	byID := map[string]string{}
	for _, o := range open {
		byID[o.ID] = o.VersionID
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range subs {
		s := &subs[i]
		if s.VersionID != "" {
			continue
		}
		if _, cached := w.subVersion[s.ID]; cached || !s.State.Open() {
			continue
		}
		// Not among the open ones any more (or holding no version): "".
		s.VersionID = byID[s.ID]
		w.subVersion[s.ID] = s.VersionID
	}
	return nil
}

// pickSubmission returns the submission holding versionID: an open one
// (the recorded one first), else the recorded one (to see it complete),
// else nil (nothing new known about the version's submission).
func pickSubmission(subs []asc.ReviewSubmission, versionID, seenSubID string) *asc.ReviewSubmission {
	var open, recorded *asc.ReviewSubmission
	for i := range subs {
		s := &subs[i]
		if s.VersionID != versionID {
			continue
		}
		if s.ID == seenSubID {
			recorded = s
		}
		if s.State.Open() && (open == nil || s.ID == seenSubID) {
			open = s
		}
	}
	if open != nil {
		return open
	}
	return recorded
}
