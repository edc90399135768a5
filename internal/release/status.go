package release

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/ascbot/ascbot/internal/asc"
)

// /asc status on a bot that has no fresh list of apps (just started, or idle
// for longer than appListTTL) would cost two round trips: the list to
// resolve the name, then the app's versions and submissions. Apps are
// rarely renamed and never change id, so the last complete list the bot saw
// (kept in bbolt across restarts) names the app well enough to read it at
// once; the read includes the app as Apple has it now, which decides. When
// it no longer answers to the name (renamed, moved to another key, deleted)
// the name is resolved against a fresh list: the right app is read, or the
// closest names are answered. What the check cannot see is a second app of
// the same name added since the last list (another team's): the list
// refreshed by the next poll or command shows it.

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
func (s *Service) guessApp(query string) (asc.App, string, bool) {
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
			return asc.App{ID: query}, s.KeyOf(query), true
		}
		return asc.App{}, "", false
	}
	key := keyOf[exact[0].ID]
	if s.knowsKey(exact[0].ID) { // the YAML's (or a newer list's) key wins
		key = s.KeyOf(exact[0].ID)
	}
	_, ok := s.keys.clients[key]
	return exact[0], key, ok
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
// build's TestFlight side. With a fresh list of apps it costs Status's one
// round trip. Without one, the app the last known list names (or the id
// given) is read straight away, and the read itself checks the guess: the
// versions' read includes the app as Apple has it now, and only when its id,
// bundle id or name is still the one asked for is the answer given (one round
// trip, no list). Otherwise (renamed, gone, key lost, no version to carry
// the app) the name is resolved against a fresh list and that app read.
// platform gives the platform to read for an app.
func (s *Service) StatusOf(ctx context.Context, query string, platform func(asc.App) asc.Platform) (app asc.App, st StatusReport, err error) {
	_, fresh := s.cachedAppList()
	if !fresh {
		if guess, key, ok := s.guessApp(query); ok {
			gSt, gErr := s.statusWith(ctx, s.keys.clients[key], guess, platform(guess))
			if gErr == nil && gSt.App != nil && gSt.App.ID == guess.ID && len(exactApps(query, []asc.App{*gSt.App})) == 1 {
				app = *gSt.App
				s.rememberApp(app)
				s.keys.mu.Lock()
				if _, known := s.keys.appKey[app.ID]; !known {
					s.keys.appKey[app.ID] = key
				}
				s.keys.mu.Unlock()
				cfg := s.AppConfig(app)
				for _, v := range append([]*VersionView{gSt.Live}, gSt.Flying...) {
					if v != nil {
						v.App, v.AppCfg = app, cfg
					}
				}
				return app, gSt, nil
			}
			if gErr != nil && !errors.Is(gErr, context.Canceled) {
				s.log.Debug("reading the app the last list named failed; resolving the name afresh", "app", guess.ID, "err", gErr)
			}
		}
	}
	if app, _, err = s.ResolveApp(ctx, query); err != nil {
		return asc.App{}, StatusReport{}, err
	}
	st, err = s.Status(ctx, app, platform(app))
	return app, st, err
}
