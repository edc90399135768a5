// Package release is ascbot's workflow: what a version needs before review
// (the preflight), submitting it (reusing a draft submission), cancelling,
// releasing it exactly once, and steering a phased release. It knows neither
// Slack JSON nor HTTP: callers pass who acts and a snapshot of what they saw,
// and get back typed outcomes (StaleError, RefusedError, BlockedError, DoneError).
package release

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/store"
)

// MaxWhatsNew is the App Store's limit on a version's "What's New" text, in characters.
const MaxWhatsNew = 4000

// GroupResolver resolves a Slack user group id (S…) to its members.
type GroupResolver interface {
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
}

// Service runs the workflow against App Store Connect and records intent,
// results and the audit trail in the store.
type Service struct {
	keys   *keyed
	store  *store.Store
	cfg    *config.Config
	groups GroupResolver
	log    *slog.Logger
	now    func() time.Time

	// ActionLease is how long a started action blocks a retry before a new
	// press may take it over (the first attempt crashed or hung).
	ActionLease time.Duration
	// CancelPoll is the first wait between reads while a cancelled
	// submission is CANCELING; CancelFollow bounds the whole follow.
	CancelPoll, CancelFollow time.Duration

	appsMu sync.Mutex
	apps   map[string]appEntry
	// appList is the last list of every app the key sees, for ResolveApp.
	appList   []asc.App
	appListAt time.Time
	// appListMemo is the list persisted for a restarted bot (status.go).
	appListMemo appListMemo

	views viewCache
}

type appEntry struct {
	app asc.App
	at  time.Time
}

// Options configures a Service.
type Options struct {
	// ASC is the client of the only key; Keys, when given, are the
	// clients of every key by name (config.Key.Name) and ASC is ignored.
	ASC    *asc.Client
	Keys   map[string]*asc.Client
	Store  *store.Store
	Config *config.Config
	Groups GroupResolver
	Logger *slog.Logger
	Clock  func() time.Time
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{keys: newKeyed(o.Config, o.ASC, o.Keys), store: o.Store, cfg: o.Config, groups: o.Groups, log: o.Logger, now: o.Clock, ActionLease: 2 * time.Minute, CancelPoll: time.Second, CancelFollow: 2 * time.Minute, apps: map[string]appEntry{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Config returns the configuration the service uses.
func (s *Service) Config() *config.Config { return s.cfg }

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }

// AppConfig returns the per-app settings for app (matched by id, then bundle id).
// An app the YAML does not name gets the defaults.
func (s *Service) AppConfig(app asc.App) config.App {
	for _, a := range s.cfg.Apps {
		if (a.ID != "" && a.ID == app.ID) || (a.BundleID != "" && strings.EqualFold(a.BundleID, app.BundleID)) {
			return a
		}
	}
	return config.App{ID: app.ID, Platform: string(asc.PlatformIOS)}
}

// App returns an app by id, cached for a few minutes (names and bundle ids
// rarely change, and every card render needs them).
func (s *Service) App(ctx context.Context, appID string) (asc.App, error) {
	s.appsMu.Lock()
	e, ok := s.apps[appID]
	s.appsMu.Unlock()
	if ok && s.now().Sub(e.at) < 10*time.Minute {
		return e.app, nil
	}
	if len(s.keys.names) > 1 && !s.knowsKey(appID) {
		// Learn which key sees the app before reading it with one.
		if _, err := s.ListApps(ctx); err != nil {
			s.log.Warn("listing apps to find an app's key", "app", appID, "err", err)
		}
	}
	app, _, err := s.ASCFor(appID).Apps.Get(ctx, appID)
	if err != nil {
		return asc.App{}, fmt.Errorf("reading app %s: %w", appID, err)
	}
	s.rememberApp(*app)
	return *app, nil
}

// rememberApp caches an app read as part of something else.
func (s *Service) rememberApp(app asc.App) {
	s.appsMu.Lock()
	s.apps[app.ID] = appEntry{app: app, at: s.now()}
	s.appsMu.Unlock()
}

// ResolveApp finds the app a user named by id, bundle id or name
// (case-insensitive), across every key. With no exact match it returns the
// closest names; with several (the same name in two teams) a
// NotFoundError{Ambiguous}. A key failing to list its apps does not stop
// the others' apps from resolving; it is reported only when nothing matched.
//
// The list of apps (names, bundle ids) is kept for a few minutes, refreshed
// by every poll: a name that matches exactly one app in it costs no request.
// Anything else (no match, several) is checked against a fresh list.
func (s *Service) ResolveApp(ctx context.Context, query string) (asc.App, []asc.App, error) {
	if apps, ok := s.cachedAppList(); ok {
		if exact := exactApps(query, apps); len(exact) == 1 {
			return exact[0], nil, nil
		}
	}
	keyApps, listErr := s.ListApps(ctx)
	if s.allKeysFailed(listErr) {
		return asc.App{}, nil, listErr
	}
	if listErr != nil {
		s.log.Warn("some keys could not list their apps", "err", listErr)
	}
	apps := make([]asc.App, len(keyApps))
	for i, a := range keyApps {
		apps[i] = a.App
	}
	s.rememberAppList(apps)
	exact := exactApps(query, apps)
	if len(exact) == 1 {
		s.rememberApp(exact[0])
		return exact[0], nil, nil
	}
	if len(exact) > 1 {
		return asc.App{}, exact, &NotFoundError{Query: query, Ambiguous: true, Closest: exact, Keys: s.keysOf(exact)}
	}
	closest := closestApps(query, apps, 3)
	return asc.App{}, nil, &NotFoundError{Query: query, Closest: closest, Unlisted: listErr, Keys: s.keysOf(closest)}
}

// keysOf maps the apps' ids to their keys' names; nil with a single key.
func (s *Service) keysOf(apps []asc.App) map[string]string {
	if len(s.keys.names) < 2 {
		return nil
	}
	out := map[string]string{}
	for _, a := range apps {
		out[a.ID] = s.KeyOf(a.ID)
	}
	return out
}

// knowsKey reports whether the service knows appID's key.
func (s *Service) knowsKey(appID string) bool {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	_, ok := s.keys.appKey[appID]
	return ok
}

// appListTTL is how long a list of the key's apps answers name look-ups.
const appListTTL = 10 * time.Minute

func (s *Service) cachedAppList() ([]asc.App, bool) {
	s.appsMu.Lock()
	defer s.appsMu.Unlock()
	if s.appList == nil || s.now().Sub(s.appListAt) >= appListTTL {
		return nil, false
	}
	return s.appList, true
}

// rememberAppList keeps a fresh list of the key's apps (and each app).
func (s *Service) rememberAppList(apps []asc.App) {
	now := s.now()
	s.appsMu.Lock()
	defer s.appsMu.Unlock()
	s.appList, s.appListAt = slices.Clone(apps), now
	for _, a := range apps {
		s.apps[a.ID] = appEntry{app: a, at: now}
	}
}

// exactApps returns the apps whose id, bundle id or name is query (any case).
func exactApps(query string, apps []asc.App) []asc.App {
	var exact []asc.App
	for _, a := range apps {
		if a.ID == query || strings.EqualFold(a.BundleID, query) || strings.EqualFold(a.Name, query) {
			exact = append(exact, a)
		}
	}
	return exact
}

// NotFoundError says an app name matched nothing (or more than one app).
type NotFoundError struct {
	Query     string
	Ambiguous bool
	Closest   []asc.App
	// Unlisted holds the keys that could not list their apps (the app may
	// be one of theirs); nil when every key answered.
	Unlisted error
	// Keys maps the Closest apps' ids to their API key's name, when the
	// service has several keys (the same name may exist in two teams).
	Keys map[string]string
}

func (e *NotFoundError) Error() string {
	if e.Ambiguous {
		return fmt.Sprintf("%q matches more than one app", e.Query)
	}
	if e.Unlisted != nil {
		return fmt.Sprintf("no app named %q (and %v)", e.Query, e.Unlisted)
	}
	return fmt.Sprintf("no app named %q", e.Query)
}

// closestApps ranks apps by edit distance of name (and bundle id) to q.
func closestApps(q string, apps []asc.App, n int) []asc.App {
	type scored struct {
		app asc.App
		d   int
	}
	q = strings.ToLower(q)
	var all []scored
	for _, a := range apps {
		d := min(editDistance(q, strings.ToLower(a.Name)), editDistance(q, strings.ToLower(a.BundleID)))
		if strings.Contains(strings.ToLower(a.Name), q) || strings.Contains(strings.ToLower(a.BundleID), q) {
			d = 0
		}
		all = append(all, scored{a, d})
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.app.Name, b.app.Name)
	})
	var out []asc.App
	for _, s := range all {
		if len(out) == n || s.d > max(3, len(q)/2) {
			break
		}
		out = append(out, s.app)
	}
	return out
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// audit appends to the audit log; a failure to audit is logged, never hidden.
func (s *Service) audit(user, action, appID, version, result, detail string) {
	e := store.AuditEntry{At: s.now(), User: user, Action: action, AppID: appID, Version: version, Result: result, Detail: detail}
	if len(s.keys.names) > 1 && appID != "" {
		e.Key = s.KeyOf(appID)
	}
	err := s.store.AppendAudit(e)
	if err != nil {
		s.log.Error("appending to the audit log", "err", err, "action", action, "app", appID)
	}
}

// Audit records an action decided outside the service (a refused command, a
// watch added) in the same audit log.
func (s *Service) Audit(user, action, appID, version, result, detail string) {
	s.audit(user, action, appID, version, result, detail)
}
