package watch

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// recorder is a Notifier collecting events; it can fail the next N calls
// and block inside a call.
type recorder struct {
	mu       sync.Mutex
	versions []VersionEvent
	builds   []BuildEvent
	fail     int           // fail this many next calls
	calls    int           // every call, failed or not
	block    chan struct{} // when set, calls wait for it to close (or ctx)
	entered  chan struct{} // when set, receives once per call on entry
}

var errSlackDown = errors.New("slack is down")

func newRecorder() *recorder { return &recorder{} }

func (r *recorder) enter(ctx context.Context) error {
	r.mu.Lock()
	block, entered := r.block, r.entered
	r.calls++
	r.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return errSlackDown
	}
	return nil
}

func (r *recorder) VersionChanged(ctx context.Context, e VersionEvent) error {
	if err := r.enter(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	r.versions = append(r.versions, e)
	r.mu.Unlock()
	return nil
}

func (r *recorder) BuildChanged(ctx context.Context, e BuildEvent) error {
	if err := r.enter(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	r.builds = append(r.builds, e)
	r.mu.Unlock()
	return nil
}

func (r *recorder) Versions() []VersionEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]VersionEvent(nil), r.versions...)
}

func (r *recorder) Builds() []BuildEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]BuildEvent(nil), r.builds...)
}

func (r *recorder) failNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

// harness wires the real simulator, client, store, release service and a
// Watcher together.
type harness struct {
	t      testing.TB
	sim    *ascsim.Server
	ts     *httptest.Server
	client *asc.Client
	dbPath string
	store  *store.Store
	cfg    *config.Config
	rel    *release.Service
	rec    *recorder
	keys   map[string]*asc.Client // several API keys' clients (nil: client alone)
	w      *Watcher
	opts   Options
	app    seededApp
}

// seededApp is an app with a live version 1.0 and a version 1.1 ready to
// submit (build attached, export compliance answered, What's New set).
type seededApp struct {
	ID, LiveVersionID, VersionID, BuildID string
}

type harnessConfig struct {
	simOpts  func(*ascsim.Options)
	watchOpt func(*Options)
	apps     int // watched apps seeded (default 1)
}

const testSecret = "This is my secret"

func newHarness(t testing.TB, hc harnessConfig) *harness {
	t.Helper()
	kid, iss, key := ascsim.NewTestKey()
	so := ascsim.Options{Keys: map[string]*ecdsa.PublicKey{kid: &key.PublicKey}, IssuerID: iss}
	if hc.simOpts != nil {
		hc.simOpts(&so)
	}
	sim := ascsim.New(so)
	ts := httptest.NewServer(sim)
	t.Cleanup(func() {
		ts.Close()
		sim.Close()
	})
	client, err := asc.NewClient(asc.Credentials{KeyID: kid, IssuerID: iss, PrivateKey: key},
		asc.WithBaseURL(ts.URL), asc.WithRetryPolicy(asc.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, sim: sim, ts: ts, client: client, dbPath: filepath.Join(t.TempDir(), "ascbot.db"), rec: newRecorder()}
	h.cfg = &config.Config{Poll: "@every 1s"}
	n := max(hc.apps, 1)
	for i := range n {
		a := h.seedApp(i)
		if i == 0 {
			h.app = a
		}
		h.cfg.Apps = append(h.cfg.Apps, config.App{ID: a.ID, Channel: "C" + a.ID, WebhookSecret: config.Secret(testSecret + a.ID)})
	}
	h.opts = Options{
		ASC:      client,
		Notifier: h.rec,
		Schedule: "@every 1s",
		Secrets: func() map[string]string {
			m := map[string]string{}
			for _, a := range h.cfg.Apps {
				m[a.ID] = a.WebhookSecret.Reveal()
			}
			return m
		},
	}
	if hc.watchOpt != nil {
		hc.watchOpt(&h.opts)
	}
	h.open()
	return h
}

// open opens the store and builds a fresh Watcher on it (a "process start").
func (h *harness) open() {
	h.t.Helper()
	st, err := store.Open(h.dbPath)
	if err != nil {
		h.t.Fatal(err)
	}
	h.store = st
	h.rel = release.New(release.Options{ASC: h.client, Keys: h.keys, Store: st, Config: h.cfg})
	o := h.opts
	o.Store, o.Release = st, h.rel
	w, err := New(o)
	if err != nil {
		h.t.Fatal(err)
	}
	h.w = w
	h.t.Cleanup(h.close)
}

// close stops the watcher and closes the store (a "process exit"); safe twice.
func (h *harness) close() {
	if h.w != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.w.Stop(ctx); err != nil {
			h.t.Errorf("stopping watcher: %v", err)
		}
		h.w = nil
	}
	if h.store != nil {
		if err := h.store.Close(); err != nil {
			h.t.Errorf("closing store: %v", err)
		}
		h.store = nil
	}
}

// restart simulates a process restart on the same database file.
func (h *harness) restart() {
	h.t.Helper()
	h.close()
	h.open()
}

func (h *harness) seedApp(i int) seededApp {
	h.t.Helper()
	yes := false
	name := "App" + string(rune('A'+i%26)) + itoa(i)
	id := h.sim.AddApp(ascsim.App{Name: name, BundleID: "com.example." + itoa(i), SKU: "SKU" + itoa(i), PrimaryLocale: "en-US", Locales: []string{"en-US"}})
	created := time.Now().Add(-30 * 24 * time.Hour)
	liveBuild := h.sim.AddBuild(id, ascsim.BuildSeed{Version: "1", MarketingVersion: "1.0", Uploaded: created, UsesNonExemptEncryption: &yes})
	live := h.sim.AddVersion(id, ascsim.VersionSeed{VersionString: "1.0", State: "READY_FOR_DISTRIBUTION", Created: created,
		BuildID: liveBuild, WhatsNew: map[string]string{"en-US": "First."}})
	build := h.sim.AddBuild(id, ascsim.BuildSeed{Version: "2", MarketingVersion: "1.1", Uploaded: time.Now().Add(-time.Hour), UsesNonExemptEncryption: &yes})
	v := h.sim.AddVersion(id, ascsim.VersionSeed{VersionString: "1.1", Created: time.Now().Add(-2 * time.Hour),
		BuildID: build, WhatsNew: map[string]string{"en-US": "Faster."}})
	return seededApp{ID: id, LiveVersionID: live, VersionID: v, BuildID: build}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// submit sends version 1.1 of the seeded app for review through the API,
// as the release flow does: create a submission, add the version, submit.
func (h *harness) submit(a seededApp) string {
	h.t.Helper()
	ctx := context.Background()
	sub, _, err := h.client.Submissions.Create(ctx, a.ID, asc.PlatformIOS)
	if err != nil {
		h.t.Fatalf("creating submission: %v", err)
	}
	if _, _, err := h.client.Submissions.AddVersion(ctx, sub.ID, a.VersionID); err != nil {
		h.t.Fatalf("adding version: %v", err)
	}
	if _, _, err := h.client.Submissions.Submit(ctx, sub.ID); err != nil {
		h.t.Fatalf("submitting: %v", err)
	}
	return sub.ID
}

func (h *harness) tick() {
	h.t.Helper()
	if err := h.w.Tick(context.Background()); err != nil {
		h.t.Fatalf("tick: %v", err)
	}
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// seen returns the seen record of a version.
func (h *harness) seen(appID, versionID string) store.Seen {
	h.t.Helper()
	s, ok, err := h.store.GetSeen(appID, versionID)
	if err != nil || !ok {
		h.t.Fatalf("seen %s/%s: found=%v err=%v", appID, versionID, ok, err)
	}
	return s
}
