package release

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/ascbot/ascbot/internal/asc"
)

// /asc status on a bot that has no fresh list of apps (just started, or idle
// for longer than appListTTL) would cost two round trips: the list to
// resolve the name, then the app's versions and submissions. Apps are
// rarely renamed and never change id, so the last list the bot saw (kept in
// memory past its TTL, and in bbolt across restarts) names the app well
// enough to start reading it while the fresh list is read at the same time:
// one round trip. The fresh list still decides; when it names another app
// (renamed, moved to another key, deleted) the guess's reads are dropped and
// the right app is read, or the closest names are answered.

// appListMetaKey is the store meta key of the last complete list of apps.
const appListMetaKey = "app_list"

// storedApp is one app of the persisted list, with the key it was read with.
type storedApp struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	BundleID string `json:"bundle_id"`
	Key      string `json:"key"`
}

// appListMemo remembers the persisted list, so that a poll listing the same
// apps writes nothing.
type appListMemo struct {
	mu     sync.Mutex
	loaded bool
	raw    string
	apps   []storedApp
}

// persistAppList stores a complete list of apps with their keys, when it
// changed. A failure to store it only costs a later cold /asc status a round trip.
func (s *Service) persistAppList(apps []KeyApp) {
	if s.store == nil {
		return
	}
	list := make([]storedApp, len(apps))
	for i, a := range apps {
		list[i] = storedApp{ID: a.ID, Name: a.Name, BundleID: a.BundleID, Key: a.Key}
	}
	raw, err := json.Marshal(list)
	if err != nil {
		s.log.Warn("encoding the app list", "err", err)
		return
	}
	m := &s.appListMemo
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loaded && m.raw == string(raw) {
		return
	}
	if err := s.store.PutMeta(appListMetaKey, string(raw)); err != nil {
		s.log.Warn("storing the app list", "err", err)
		return
	}
	m.loaded, m.raw, m.apps = true, string(raw), list
}

// storedAppList returns the last complete list of apps persisted (by this
// process or an earlier one).
func (s *Service) storedAppList() []storedApp {
	m := &s.appListMemo
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loaded || s.store == nil {
		return m.apps
	}
	m.loaded = true
	raw, ok, err := s.store.GetMeta(appListMetaKey)
	if err != nil || !ok {
		if err != nil {
			s.log.Warn("reading the stored app list", "err", err)
		}
		return nil
	}
	var list []storedApp
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		s.log.Warn("decoding the stored app list", "err", err)
		return nil
	}
	m.raw, m.apps = raw, list
	return list
}

// guessApp names the one app query matches exactly (id, bundle id, name) in
// the last list the bot saw, however old, with the key it was read with; an
// app id the list does not hold is its own guess (with KeyOf's key).
func (s *Service) guessApp(query string) (asc.App, *asc.Client, bool) {
	list := s.storedAppList()
	apps := make([]asc.App, len(list))
	keyOf := map[string]string{}
	for i, a := range list {
		apps[i] = asc.App{ID: a.ID, Name: a.Name, BundleID: a.BundleID}
		keyOf[a.ID] = a.Key
	}
	exact := exactApps(query, apps)
	if len(exact) != 1 {
		if isAppID(query) { // an id needs no list to be read, only to be checked
			return asc.App{ID: query}, s.ASCFor(query), true
		}
		return asc.App{}, nil, false
	}
	c, ok := s.keys.clients[keyOf[exact[0].ID]]
	return exact[0], c, ok
}

// isAppID reports whether q looks like an App Store Connect app id (digits).
func isAppID(q string) bool {
	if q == "" {
		return false
	}
	for _, r := range q {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// StatusOf is /asc status for the app a user named (see ResolveApp): the
// resolved app, its live version, up to three on their way and its newest
// build's TestFlight side. With a fresh
// list of apps it costs Status's one round trip. Without one, the app the
// last known list names is read at the same time as the fresh list, so it is
// one round trip too unless the fresh list names another app. platform
// gives the platform to read for an app.
func (s *Service) StatusOf(ctx context.Context, query string, platform func(asc.App) asc.Platform) (app asc.App, st StatusReport, err error) {
	_, fresh := s.cachedAppList()
	guess, api, guessed := s.guessApp(query)
	if fresh || !guessed {
		if app, _, err = s.ResolveApp(ctx, query); err != nil {
			return asc.App{}, StatusReport{}, err
		}
		st, err = s.Status(ctx, app, platform(app))
		return app, st, err
	}

	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		gSt  StatusReport
		gErr error
		wg   sync.WaitGroup
	)
	wg.Go(func() { gSt, gErr = s.statusWith(readCtx, api, guess, platform(guess)) })
	app, _, err = s.ResolveApp(ctx, query)
	if err != nil || app.ID != guess.ID || s.ASCFor(app.ID) != api {
		cancel() // the guess was wrong (or nothing resolves): its reads are of no use
	}
	wg.Wait()
	if err != nil {
		return asc.App{}, StatusReport{}, err
	}
	if app.ID != guess.ID || s.ASCFor(app.ID) != api || gErr != nil {
		if gErr != nil && app.ID == guess.ID {
			s.log.Debug("reading the guessed app failed; reading it again", "app", app.ID, "err", gErr)
		}
		st, err = s.Status(ctx, app, platform(app))
		return app, st, err
	}
	// The fresh list may spell the app differently from the old one.
	cfg := s.AppConfig(app)
	for _, v := range append([]*VersionView{gSt.Live}, gSt.Flying...) {
		if v != nil {
			v.App, v.AppCfg = app, cfg
		}
	}
	return app, gSt, nil
}
