package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ascbot/ascbot/internal/asc"
)

// parts names the reads that make up a VersionView. Each is one request,
// and every read runs at the same time (errgroup): a whole view costs one
// Apple round trip.
type parts uint8

const (
	// partVersion: the version with its attached build, localizations and
	// phased release (GET /v1/appStoreVersions/{id}?include=…).
	partVersion parts = 1 << iota
	// partBuilds: the builds of the version's marketing version (GET /v1/builds).
	partBuilds
	// partApp: the app with its versions and in-app purchases (GET /v1/apps/{id}?include=…).
	partApp
	// partSubmissions: the app's open review submissions with their items
	// (GET /v1/reviewSubmissions?filter[state]=…&include=items).
	partSubmissions

	partAll = partVersion | partBuilds | partApp | partSubmissions
)

// viewCacheTTL bounds how long the parts a press does not re-read may come
// from the last full read (the app's other versions, in-app purchases, the
// build list). Everything a press acts on is always read fresh.
const viewCacheTTL = 2 * time.Minute

type cachedView struct {
	v  VersionView
	at time.Time
}

// viewCache keeps the last view assembled for each version.
type viewCache struct {
	mu sync.Mutex
	m  map[string]cachedView
}

func (c *viewCache) get(versionID string, now time.Time) (VersionView, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[versionID]
	if !ok || now.Sub(e.at) > viewCacheTTL {
		return VersionView{}, false
	}
	return e.v, true
}

func (c *viewCache) put(v VersionView, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedView{}
	}
	for id, e := range c.m { // expired views are of no use: keep the map small
		if at.Sub(e.at) > viewCacheTTL {
			delete(c.m, id)
		}
	}
	// A read that began before the last write ended (a poll racing a press)
	// must not replace what the write returned.
	if e, ok := c.m[v.Version.ID]; ok && e.at.After(at) {
		return
	}
	c.m[v.Version.ID] = cachedView{v: v, at: at}
}

// Latest returns the view the last read or action of this version assembled,
// when it is recent: a card rendered after a press is built from what the
// press read and what its write returned, not from a second full read.
func (s *Service) Latest(appID, versionID string) (*VersionView, bool) {
	v, ok := s.views.get(versionID, s.now())
	if !ok || v.App.ID != appID {
		return nil, false
	}
	return &v, true
}

// remember stores v as the version's latest view.
func (s *Service) remember(v *VersionView) {
	s.views.put(*v, s.now())
}

// Load reads everything a card shows about the version, fresh: four
// compound reads at once, one round trip (two when neither a card nor an
// earlier read knows the version string the build list is filtered by).
func (s *Service) Load(ctx context.Context, appID, versionID string) (*VersionView, error) {
	return s.read(ctx, appID, versionID, "", "", partAll)
}

// LoadByVersionString is Load for a version named by the app and its version
// string (/asc submit KotenOCR 1.1.0): no id is needed first, so it is one
// round trip too. The error matches asc.ErrNotFound when there is no such version.
func (s *Service) LoadByVersionString(ctx context.Context, appID, versionString string, platform asc.Platform) (*VersionView, error) {
	return s.read(ctx, appID, "", versionString, platform, partAll)
}

// read assembles a view from the parts in need, read in parallel; the
// others come from the version's latest view (all are read when there is none).
func (s *Service) read(ctx context.Context, appID, versionID, versionString string, platform asc.Platform, need parts) (*VersionView, error) {
	api := s.ASCFor(appID)
	started := s.now()
	base, cached := VersionView{}, false
	if versionID != "" {
		base, cached = s.views.get(versionID, s.now())
		cached = cached && base.App.ID == appID // another app's id is re-read and refused
	}
	if !cached {
		need = partAll
		if versionID != "" {
			if c, ok, err := s.store.GetCard(appID, versionID); err == nil && ok && c.Version != "" {
				versionString, platform = c.Version, asc.Platform(c.Platform)
			}
		}
	} else {
		versionString, platform = base.Version.VersionString, base.Version.Platform
	}
	v := base
	v.FetchedAt = s.now()

	var (
		detail   *asc.VersionDetail
		builds   []asc.Build
		overview *asc.AppOverview
		open     []asc.ReviewSubmission
	)
	g, gctx := errgroup.WithContext(ctx)
	if need&partVersion != 0 {
		g.Go(func() error {
			var err error
			if versionID != "" {
				detail, _, err = api.Versions.GetDetail(gctx, versionID)
				if err != nil {
					return fmt.Errorf("reading version %s: %w", versionID, err)
				}
			} else {
				detail, _, err = api.Versions.FindDetail(gctx, appID, versionString, platform)
				if err != nil {
					return fmt.Errorf("reading version %s: %w", versionString, err)
				}
			}
			return nil
		})
	}
	buildsLater := need&partBuilds != 0 && versionString == ""
	if need&partBuilds != 0 && !buildsLater {
		g.Go(func() error {
			var err error
			builds, _, err = api.Builds.List(gctx, asc.BuildListOptions{AppID: appID, MarketingVersion: versionString, Platform: platform, Limit: 20})
			if err != nil {
				return fmt.Errorf("listing builds of %s: %w", versionString, err)
			}
			return nil
		})
	}
	if need&partApp != 0 {
		g.Go(func() error {
			o, _, err := api.Apps.Overview(gctx, appID)
			if err == nil {
				overview = o
				return nil
			}
			var apiErr *asc.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 403 {
				return fmt.Errorf("reading app %s: %w", appID, err)
			}
			// A key without access to in-app purchases: read without them
			// (they are advisory on the card).
			s.log.Warn("reading the app with its in-app purchases", "app", appID, "err", err)
			app, err := s.App(gctx, appID)
			if err != nil {
				return err
			}
			vs, _, err := api.Versions.List(gctx, appID, &asc.VersionListOptions{})
			if err != nil {
				return fmt.Errorf("listing versions of %s: %w", app.Name, err)
			}
			overview = &asc.AppOverview{App: app, Versions: vs, VersionsComplete: true, IAPsComplete: true}
			return nil
		})
	}
	if need&partSubmissions != 0 {
		g.Go(func() error {
			var err error
			open, _, err = api.Submissions.ListOpen(gctx, appID, platform)
			if err != nil {
				return fmt.Errorf("listing open review submissions: %w", err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	if overview != nil {
		s.rememberApp(overview.App)
		v.App = overview.App
	} else if v.App.ID == "" {
		app, err := s.App(ctx, appID)
		if err != nil {
			return nil, err
		}
		v.App = app
	}
	v.AppCfg = s.AppConfig(v.App)
	v.Location = s.cfg.Zone()
	if detail != nil {
		if detail.Version.AppID != "" {
			if err := belongs(v.App, "version", detail.Version.ID, detail.Version.AppID); err != nil {
				return nil, err
			}
		}
		v.Version = detail.Version
		if v.Version.AppID == "" {
			v.Version.AppID = appID
		}
		v.Build = detail.Build
		locs := detail.Localizations
		if !detail.LocalizationsComplete {
			all, _, err := api.Localizations.List(ctx, v.Version.ID)
			if err != nil {
				return nil, fmt.Errorf("listing localizations of %s: %w", v.Version.VersionString, err)
			}
			locs = all
		}
		locs = slices.Clone(locs)
		slices.SortFunc(locs, func(a, b asc.Localization) int { return compareLocales(v.App.PrimaryLocale, a.Locale, b.Locale) })
		v.Localizations = locs
		// The phased release is a release option before submitting and the
		// rollout's progress after.
		v.Phased = nil
		switch st := v.Version.State(); {
		case Submittable(st), st == asc.StateWaitingForReview, st == asc.StateInReview,
			st == asc.StatePendingDeveloperRelease, st == asc.StateProcessingForDistribution, st == asc.StateReadyForDistribution, st == asc.StatePendingAppleRelease:
			v.Phased = detail.Phased
		}
	}
	if buildsLater {
		var err error
		builds, _, err = api.Builds.List(ctx, asc.BuildListOptions{AppID: appID, MarketingVersion: v.Version.VersionString, Platform: v.Version.Platform, Limit: 20})
		if err != nil {
			return nil, fmt.Errorf("listing builds of %s: %w", v.Version.VersionString, err)
		}
	}
	if need&partBuilds != 0 {
		v.Builds = builds
	}
	if v.Build != nil {
		// The included build has no marketing version (no nested include);
		// the build list has it.
		for _, b := range v.Builds {
			if b.ID == v.Build.ID {
				nb := *v.Build
				nb.MarketingVersion, nb.Platform = b.MarketingVersion, b.Platform
				v.Build = &nb
			}
		}
	}
	if overview != nil {
		s.applyOverview(&v, overview)
	}
	if need&partSubmissions != 0 {
		if err := s.applySubmissions(ctx, &v, open); err != nil {
			return nil, err
		}
	}
	if c, ok, err := s.store.GetCard(appID, v.Version.ID); err == nil && ok {
		v.ReviewedBuildID = c.ReviewedBuildID
	}
	v.Preflight = s.preflight(&v, nil)
	s.views.put(v, started)
	return &v, nil
}

// applyOverview sets what the app's other versions and in-app purchases say.
func (s *Service) applyOverview(v *VersionView, o *asc.AppOverview) {
	v.FirstVersion, v.PreviousVersion = true, nil
	for i := range o.Versions { // newest first
		other := o.Versions[i]
		if other.ID == v.Version.ID || other.Platform != v.Version.Platform || !released(other.State()) {
			continue
		}
		v.FirstVersion = false
		if v.PreviousVersion == nil {
			v.PreviousVersion = &other
		}
	}
	if !o.VersionsComplete && v.FirstVersion {
		// More than 50 versions and none of the newest released: not a
		// first version in any real account, but say so rather than guess.
		s.log.Warn("the app has more versions than one read returns; assuming it was released before", "app", v.App.ID)
		v.FirstVersion = false
	}
	v.PendingIAPs = nil
	for _, p := range o.IAPs {
		if p.State == asc.IAPReadyToSubmit {
			v.PendingIAPs = append(v.PendingIAPs, p)
		}
	}
}

// applySubmissions sorts the app's open review submissions into the one
// holding this version, one in the way and an empty draft to reuse.
func (s *Service) applySubmissions(ctx context.Context, v *VersionView, open []asc.ReviewSubmission) error {
	api := s.ASCFor(v.App.ID)
	v.Submission, v.SubmissionItems, v.Blocking, v.Draft = nil, nil, nil, nil
	for i := range open {
		sub := open[i]
		if sub.Platform != "" && v.Version.Platform != "" && sub.Platform != v.Version.Platform {
			continue
		}
		items := sub.Items
		if !sub.ItemsComplete {
			all, _, err := api.Submissions.Items(ctx, sub.ID)
			if err != nil {
				return fmt.Errorf("listing items of review submission %s: %w", sub.ID, err)
			}
			items = all
		}
		holdsThis, holdsOther := sub.VersionID == v.Version.ID, false
		for _, it := range items {
			if it.State == asc.ItemRemoved {
				continue
			}
			if it.VersionID() == v.Version.ID {
				holdsThis = true
			} else {
				holdsOther = true
			}
		}
		switch {
		case holdsThis:
			v.Submission = &sub
			v.SubmissionItems = items
		case holdsOther || sub.State != asc.SubmissionReadyForReview:
			v.Blocking = &sub
		default:
			v.Draft = &sub
		}
	}
	return nil
}

// NotesForm reads what the What's New form shows, at once: the version's
// localizations (fresh) and the previous release's notes to prefill from.
func (s *Service) NotesForm(ctx context.Context, appID, versionID string) (*VersionView, map[string]string, error) {
	cached, ok := s.Latest(appID, versionID)
	if !ok {
		v, err := s.Load(ctx, appID, versionID)
		if err != nil {
			return nil, nil, err
		}
		prev, err := s.PreviousNotes(ctx, v)
		if err != nil {
			s.log.Warn("reading the previous version's notes", "err", err)
		}
		return v, prev, nil
	}
	var (
		v    *VersionView
		prev map[string]string
		g    errgroup.Group
	)
	g.Go(func() error {
		var err error
		v, err = s.read(ctx, appID, versionID, "", "", partVersion)
		return err
	})
	g.Go(func() error {
		var err error
		if prev, err = s.PreviousNotes(ctx, cached); err != nil {
			s.log.Warn("reading the previous version's notes", "err", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return v, prev, nil
}

// StatusReport is what /asc status shows about an app.
type StatusReport struct {
	// Live is the version on the App Store (nil: none yet).
	Live *VersionView
	// Flying are up to three versions on their way, newest first.
	Flying []*VersionView
	// TestFlight is the app's newest build with its TestFlight side, What
	// to Test left out; a zero BetaBuild when the app has no build, nil when
	// it could not be read (a failure there does not fail the status).
	TestFlight *asc.BetaBuild
	// App is the app as the versions' read included it (nil when the app
	// has no version on the platform).
	App *asc.App
}

// Status reads what /asc status shows about app on platform in one round
// trip (three requests at once): every version with its build and phased
// release, the open review submissions, and the newest build's TestFlight
// side (one compound request).
func (s *Service) Status(ctx context.Context, app asc.App, platform asc.Platform) (StatusReport, error) {
	return s.statusWith(ctx, s.ASCFor(app.ID), app, platform)
}

// statusWith is Status read with api (the key the caller chose for app).
func (s *Service) statusWith(ctx context.Context, api *asc.Client, app asc.App, platform asc.Platform) (st StatusReport, err error) {
	var (
		details []asc.VersionDetail
		open    []asc.ReviewSubmission
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		// A TestFlight line is not worth failing the status for.
		bs, _, err := api.BetaBuilds.List(gctx, asc.BetaBuildListOptions{AppID: app.ID, Limit: 1, Summary: true})
		switch {
		case err != nil && gctx.Err() == nil:
			s.log.Warn("reading the newest build's TestFlight side for status", "app", app.ID, "err", err)
		case len(bs) > 0:
			st.TestFlight = &bs[0]
		case err == nil:
			st.TestFlight = &asc.BetaBuild{}
		}
		return nil
	})
	g.Go(func() error {
		var err error
		if details, _, err = api.Versions.ListDetail(gctx, app.ID, platform); err != nil {
			return fmt.Errorf("listing versions of %s: %w", app.Name, err)
		}
		return nil
	})
	g.Go(func() error {
		var err error
		if open, _, err = api.Submissions.ListOpen(gctx, app.ID, platform); err != nil {
			return fmt.Errorf("listing open review submissions of %s: %w", app.Name, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return StatusReport{}, err
	}
	for _, d := range details {
		if d.App != nil {
			st.App = d.App
			break
		}
	}
	for _, d := range details { // newest first
		v := &VersionView{App: app, AppCfg: s.AppConfig(app), Version: d.Version, Build: d.Build, Phased: d.Phased, FetchedAt: s.now()}
		for i := range open {
			if open[i].VersionID == d.Version.ID {
				v.Submission = &open[i]
			}
			for _, it := range open[i].Items {
				if it.VersionID() == d.Version.ID && it.State != asc.ItemRemoved {
					v.Submission = &open[i]
				}
			}
		}
		state := d.Version.State()
		if state == asc.StateReadyForDistribution {
			st.Live = v
			return st, nil
		}
		if state != asc.StateReplacedWithNewVersion && len(st.Flying) < 3 {
			st.Flying = append(st.Flying, v)
		}
	}
	return st, nil
}
