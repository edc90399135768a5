package release

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/store"
)

// WatchedApp is an app whose review-state changes are posted, and where.
type WatchedApp struct {
	App     asc.App
	Channel string
}

// WatchedApps merges the YAML's apps (those with a channel) with the watches
// added from Slack; an /asc unwatch overrides the YAML. Apps named by bundle
// id are resolved against the apps the key sees.
func (s *Service) WatchedApps(ctx context.Context) ([]WatchedApp, error) {
	watches, err := s.store.ListWatches()
	if err != nil {
		return nil, fmt.Errorf("reading watches: %w", err)
	}
	cards, err := s.store.ListCards()
	if err != nil {
		return nil, fmt.Errorf("reading cards: %w", err)
	}
	need := len(watches) > 0 || len(cards) > 0
	for _, a := range s.cfg.Apps {
		if a.Channel != "" {
			need = true
		}
	}
	if !need {
		return nil, nil
	}
	keyApps, err := s.ListApps(ctx)
	if s.allKeysFailed(err) {
		return nil, fmt.Errorf("listing apps: %w", err)
	}
	var apps []asc.App
	byID := map[string]asc.App{}
	for _, a := range keyApps {
		byID[a.ID] = a.App
		apps = append(apps, a.App)
	}
	if err != nil {
		// A key that cannot list its apps (revoked, rate limited) keeps its
		// watched apps as last seen: their polls then report the key's
		// failure while the other keys' apps go on.
		s.log.Warn("some keys could not list their apps; keeping their apps as last seen", "err", err)
		s.appsMu.Lock()
		for id, e := range s.apps {
			if _, ok := byID[id]; !ok {
				byID[id] = e.app
				apps = append(apps, e.app)
			}
		}
		s.appsMu.Unlock()
		for _, c := range s.cfg.Apps {
			if _, ok := byID[c.ID]; c.ID != "" && !ok {
				byID[c.ID] = asc.App{ID: c.ID}
			}
		}
	} else {
		s.rememberAppList(apps)
	}
	channels := map[string]string{}
	for _, c := range s.cfg.Apps {
		if c.Channel == "" {
			continue
		}
		for _, a := range apps {
			if (c.ID != "" && c.ID == a.ID) || (c.BundleID != "" && strings.EqualFold(c.BundleID, a.BundleID)) {
				channels[a.ID] = c.Channel
			}
		}
	}
	for _, w := range watches {
		if w.Removed {
			delete(channels, w.AppID)
			continue
		}
		channels[w.AppID] = w.Channel
	}
	// A version with a card keeps moving after a submit even when its app
	// is not watched: its card must follow it (to Ready for Distribution).
	removed := map[string]bool{}
	for _, w := range watches {
		removed[w.AppID] = w.Removed
	}
	for _, c := range cards {
		if _, ok := channels[c.AppID]; ok || removed[c.AppID] {
			continue
		}
		if st := asc.AppVersionState(c.LastState); st != asc.StateReadyForDistribution && st != asc.StateReplacedWithNewVersion {
			channels[c.AppID] = c.Channel
		}
	}
	var out []WatchedApp
	for id, ch := range channels {
		app, ok := byID[id]
		if !ok {
			s.log.Warn("a watched app is not visible to the API key", "app", id)
			continue
		}
		out = append(out, WatchedApp{App: app, Channel: ch})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].App.Name < out[j].App.Name })
	return out, nil
}

// Store returns the service's store.
func (s *Service) Store() *store.Store { return s.store }
