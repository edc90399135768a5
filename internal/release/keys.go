package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/config"
)

// Several App Store Connect API keys: each key belongs to one team and is
// its own *asc.Client (own token, own rate-limit budget). Every app is read
// and acted on with its key: the one the YAML names for it, else the first
// key (in configuration order) that lists it. The service learns an app's
// key when it lists apps (ResolveApp, ListApps, WatchedApps) and remembers
// it, so ASCFor costs no request.

// keyed is the service's keys and what it learned about their apps.
type keyed struct {
	names   []string // configuration order; names[0] is the fallback
	clients map[string]*asc.Client

	mu     sync.Mutex
	appKey map[string]string // app id → key name
}

func newKeyed(cfg *config.Config, def *asc.Client, clients map[string]*asc.Client) *keyed {
	k := &keyed{clients: map[string]*asc.Client{}, appKey: map[string]string{}}
	for n, c := range clients {
		if c != nil {
			k.clients[n] = c
		}
	}
	if len(k.clients) == 0 && def != nil {
		k.clients[config.DefaultKey] = def
	}
	if cfg != nil {
		for _, n := range cfg.KeyNames() {
			if k.clients[n] != nil {
				k.names = append(k.names, n)
			}
		}
	}
	var rest []string
	for n := range k.clients {
		if !slices.Contains(k.names, n) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	k.names = append(k.names, rest...)
	if cfg != nil {
		for _, a := range cfg.Apps {
			if a.ID != "" && k.clients[a.KeyName()] != nil {
				k.appKey[a.ID] = a.KeyName()
			}
		}
	}
	return k
}

// Keys returns the API keys' names in configuration order.
func (s *Service) Keys() []string { return slices.Clone(s.keys.names) }

// Client returns the client of the key named name.
func (s *Service) Client(name string) (*asc.Client, bool) {
	c, ok := s.keys.clients[name]
	return c, ok
}

// KeyOf returns the name of the key appID is read with. An app the service
// has not seen listed yet gets its configured key, else the first key.
func (s *Service) KeyOf(appID string) string {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	if k, ok := s.keys.appKey[appID]; ok {
		return k
	}
	return s.keys.names[0]
}

// ASCFor returns the client of appID's key (see KeyOf).
func (s *Service) ASCFor(appID string) *asc.Client { return s.keys.clients[s.KeyOf(appID)] }

// ASC returns the first key's client (the only one with a single key).
func (s *Service) ASC() *asc.Client { return s.keys.clients[s.keys.names[0]] }

// KeyApp is an app with the key it is read with.
type KeyApp struct {
	asc.App
	Key string
}

// KeyError is one key's failure to list its apps.
type KeyError struct {
	Key string
	Err error
}

func (e *KeyError) Error() string { return "key " + e.Key + ": " + e.Err.Error() }

func (e *KeyError) Unwrap() error { return e.Err }

// ListApps lists the apps every key sees, in parallel, each app once with
// its key: the configured one when the YAML names the app, else the first
// key listing it. A key that fails does not hide the others' apps: its
// error comes back joined (as *KeyError) beside the apps that were read;
// only when every key failed is the list empty.
func (s *Service) ListApps(ctx context.Context) ([]KeyApp, error) {
	lists := make([][]asc.App, len(s.keys.names))
	errs := make([]error, len(s.keys.names))
	var wg sync.WaitGroup
	for i, name := range s.keys.names {
		wg.Go(func() {
			apps, _, err := s.keys.clients[name].Apps.List(ctx)
			if err != nil {
				errs[i] = &KeyError{Key: name, Err: fmt.Errorf("listing apps: %w", err)}
				return
			}
			lists[i] = apps
		})
	}
	wg.Wait()

	var out []KeyApp
	at := map[string]int{} // app id → index in out
	for i, name := range s.keys.names {
		for _, a := range lists[i] {
			want := s.cfgKey(a)
			if j, dup := at[a.ID]; dup {
				if want == name {
					out[j].Key = name
				}
				continue
			}
			at[a.ID] = len(out)
			out = append(out, KeyApp{App: a, Key: name})
		}
	}
	s.keys.mu.Lock()
	for _, a := range out {
		s.keys.appKey[a.ID] = a.Key
	}
	s.keys.mu.Unlock()
	s.appsMu.Lock()
	for _, a := range out {
		s.apps[a.ID] = appEntry{app: a.App, at: s.now()}
	}
	s.appsMu.Unlock()
	err := errors.Join(errs...)
	if err == nil {
		s.persistAppList(out)
	}
	return out, err
}

// cfgKey is the key the YAML names for app, "" when it names none.
func (s *Service) cfgKey(app asc.App) string {
	for _, a := range s.cfg.Apps {
		if (a.ID != "" && a.ID == app.ID) || (a.BundleID != "" && strings.EqualFold(a.BundleID, app.BundleID)) {
			return a.KeyName()
		}
	}
	return ""
}

// allKeysFailed reports whether err holds a failure of every key.
func (s *Service) allKeysFailed(err error) bool {
	if err == nil {
		return false
	}
	n := 0
	for _, e := range unjoin(err) {
		var ke *KeyError
		if errors.As(e, &ke) {
			n++
		}
	}
	return n >= len(s.keys.names)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
