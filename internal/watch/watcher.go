package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// PollMetrics receives the poller's figures, per API key (config.Key.Name);
// *metrics.Metrics implements it.
type PollMetrics interface {
	// ObservePoll records one key's share of a Tick: how long it took and
	// whether every app of the key was read without error.
	ObservePoll(key string, d time.Duration, ok bool)
	// RateRemaining reports the key's user-hour-rem after a Tick.
	RateRemaining(key string, n int)
}

// Options configures a Watcher. ASC, Store, Release and Notifier are required.
type Options struct {
	// ASC is the first key's client; every app is read with its own key's
	// client, which Release knows (release.Service.ASCFor).
	ASC      *asc.Client
	Store    *store.Store
	Release  *release.Service
	Notifier Notifier
	// Schedule is the poll's cron spec (config.poll), e.g. "@every 2m" or a
	// five-field crontab line; "" means config.DefaultPoll.
	Schedule string
	// Secrets returns appID → webhook secret; webhooks are verified against
	// every secret it returns. Nil means no webhook verifies (all get 401).
	Secrets func() map[string]string
	Logger  *slog.Logger
	Clock   func() time.Time
	// Metrics is optional.
	Metrics PollMetrics
	// Workers bounds how many apps one Tick reads at once (default 4;
	// Apple is reported to answer 429 to heavily parallel clients).
	Workers int
	// AlsoTick, when set, runs after each Tick that was not stopped by a
	// 429, on the same schedule and back-off: TestFlight cards are re-read
	// there (slackui's PollTestFlight).
	AlsoTick func(context.Context) error
}

// Status is the poller's state for /asc status and health checks, for one
// API key (KeyStatus) or for the whole poller (Status).
type Status struct {
	// Key is the API key's name ("" for the whole poller).
	Key string
	// LastGoodPoll is when the last Tick that read every app without error
	// ended (kept across restarts); zero when there was none.
	LastGoodPoll time.Time
	// Interval is the schedule's interval; Effective is what the rate-limit
	// budget allows (≥ Interval); Stretched reports Effective > Interval.
	Interval, Effective time.Duration
	Stretched           bool
	// HourRemaining/HourLimit are App Store Connect's user-hour-rem and
	// user-hour-lim after the last Tick (0 when unknown).
	HourRemaining, HourLimit int
	// LastError is the last Tick's error ("" when it succeeded).
	LastError string
	// Failures counts the Ticks that failed in a row (0 after a good one).
	Failures int
	// BackoffUntil is when a 429 back-off ends (zero when none).
	BackoffUntil time.Time
}

// Tuning constants.
const (
	// snapshotLimit is how many versions, submissions and builds each
	// per-app read includes.
	snapshotLimit = 10
	// defaultWorkers is Options.Workers' default.
	defaultWorkers = 4
	// watchedRefresh is how often the watched set is re-read even without
	// WatchesChanged (apps newly visible to the key, config reloads).
	watchedRefresh = time.Hour
	// tickTimeout bounds one scheduled Tick.
	tickTimeout = 10 * time.Minute
	// webhookTimeout bounds the work one webhook triggers.
	webhookTimeout = 2 * time.Minute
	// defaultBackoff is the pause after a 429 that carried no Retry-After.
	defaultBackoff = time.Minute
	// maxFailBackoff caps the back-off after Ticks that failed in a row.
	maxFailBackoff = 30 * time.Minute
	// FailingAfter is how many Ticks in a row must fail before the poller
	// reports itself failing (/healthz answers 503).
	FailingAfter = 3
	// maxBuildStates caps the app-level build map; beyond it, builds no
	// longer in the snapshot are forgotten.
	maxBuildStates = 200
	// metaLastGoodPoll keeps Status.LastGoodPoll across restarts.
	metaLastGoodPoll = "watch.last_good_poll"
)

// Watcher polls the watched apps on a schedule and receives Apple's
// webhooks, turning both into VersionEvents and BuildEvents announced once.
type Watcher struct {
	asc      *asc.Client
	store    *store.Store
	rel      *release.Service
	notifier Notifier
	alsoTick func(context.Context) error
	secrets  func() map[string]string
	log      *slog.Logger
	now      func() time.Time
	metrics  PollMetrics
	workers  int

	spec     string
	schedule cron.Schedule
	interval time.Duration

	locks keyedLocks

	// tickMu serialises Ticks.
	tickMu sync.Mutex

	mu         sync.Mutex // guards the fields below
	watched    []release.WatchedApp
	watchedOK  bool
	watchedAt  time.Time
	watchStale bool
	subVersion map[string]string // submission id → version id ("" = holds no version)
	lastGood   time.Time         // the last Tick in which every lane polled was good
	lastErr    string
	lanes      map[string]*lane // by API key name
	cron       *cron.Cron
	stopped    bool

	// baseCtx is the parent of scheduled ticks and webhook work; Stop
	// cancels it. bg counts running webhook goroutines.
	baseCtx    context.Context
	baseCancel context.CancelFunc
	bg         sync.WaitGroup
	hooks      webhookQueue
}

// ErrInvalidOptions is wrapped by New's errors about missing or bad options.
var ErrInvalidOptions = errors.New("invalid watcher options")

// New validates the options (including the schedule) and returns a Watcher.
// Nothing runs until Start; Tick and the webhook handler work without it.
func New(o Options) (*Watcher, error) {
	switch {
	case o.ASC == nil:
		return nil, fmt.Errorf("creating watcher: %w: ASC is nil", ErrInvalidOptions)
	case o.Store == nil:
		return nil, fmt.Errorf("creating watcher: %w: Store is nil", ErrInvalidOptions)
	case o.Release == nil:
		return nil, fmt.Errorf("creating watcher: %w: Release is nil", ErrInvalidOptions)
	case o.Notifier == nil:
		return nil, fmt.Errorf("creating watcher: %w: Notifier is nil", ErrInvalidOptions)
	}
	spec := o.Schedule
	if spec == "" {
		spec = config.DefaultPoll
	}
	sched, err := config.ParseSchedule(spec)
	if err != nil {
		return nil, fmt.Errorf("creating watcher: %w: parsing schedule %q: %w", ErrInvalidOptions, spec, err)
	}
	w := &Watcher{
		asc:        o.ASC,
		store:      o.Store,
		rel:        o.Release,
		notifier:   o.Notifier,
		alsoTick:   o.AlsoTick,
		secrets:    o.Secrets,
		log:        o.Logger,
		now:        o.Clock,
		metrics:    o.Metrics,
		workers:    o.Workers,
		spec:       spec,
		schedule:   sched,
		subVersion: map[string]string{},
		lanes:      map[string]*lane{},
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.secrets == nil {
		w.secrets = func() map[string]string { return nil }
	}
	if w.workers <= 0 {
		w.workers = defaultWorkers
	}
	w.interval = scheduleInterval(sched, w.now())
	if v, ok, err := w.store.GetMeta(metaLastGoodPoll); err == nil && ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			w.lastGood = t
		}
	}
	w.baseCtx, w.baseCancel = context.WithCancel(context.Background())
	return w, nil
}

// scheduleInterval is the time between two activations of s.
func scheduleInterval(s cron.Schedule, now time.Time) time.Duration {
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		return c.Delay
	}
	a := s.Next(now)
	if d := s.Next(a).Sub(a); d > 0 {
		return d
	}
	return time.Minute
}

// Start runs the poll on the schedule (robfig/cron, panics recovered, a
// tick skipped while the previous one still runs). Calling it again, or
// after Stop, does nothing.
func (w *Watcher) Start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cron != nil || w.stopped {
		return
	}
	lg := cronLogger{w.log}
	c := cron.New(
		cron.WithLogger(lg),
		cron.WithChain(cron.Recover(lg), cron.SkipIfStillRunning(lg)),
	)
	c.Schedule(w.schedule, cron.FuncJob(w.runScheduled))
	c.Start()
	w.cron = c
	w.log.Info("watching review states", "schedule", w.spec, "interval", w.interval)
}

// Stop stops the schedule and waits for a running tick and for webhook work
// in progress, bounded by ctx; when ctx ends first, the work is cancelled
// and ctx's error returned. Webhooks arriving after Stop get 503.
func (w *Watcher) Stop(ctx context.Context) error {
	w.mu.Lock()
	w.stopped = true
	c := w.cron
	w.mu.Unlock()
	defer w.baseCancel()

	done := make(chan struct{})
	go func() {
		if c != nil {
			<-c.Stop().Done()
		}
		w.bg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		w.baseCancel()
		return fmt.Errorf("stopping watcher: %w", ctx.Err())
	}
}

// WatchesChanged makes the next Tick (or webhook) re-read the watched set.
func (w *Watcher) WatchesChanged() {
	w.mu.Lock()
	w.watchStale = true
	w.mu.Unlock()
}

// lane is one API key's share of the poller: its own rate-limit budget,
// stretched interval and 429 back-off, so one key's 401 or 429 never slows
// the apps of another. Its fields are guarded by Watcher.mu, except reqs.
type lane struct {
	key string
	// reqs counts App Store Connect calls made with the key by the watcher
	// (poll and webhook paths), for the per-tick estimate.
	reqs        atomic.Int64
	lastTick    time.Time
	lastGood    time.Time
	lastErr     string
	effective   time.Duration
	stretched   bool
	hourRem     int
	hourLim     int
	backoffTill time.Time
	failures    int // ticks in a row in which every app of the key failed
}

// lane returns key's lane, created on first use.
func (w *Watcher) lane(key string) *lane {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.lanes[key]
	if l == nil {
		l = &lane{key: key, effective: w.interval, lastGood: w.lastGood}
		w.lanes[key] = l
	}
	return l
}

// api returns the client of appID's key and counts one request on its lane.
func (w *Watcher) api(appID string) *asc.Client {
	w.lane(w.rel.KeyOf(appID)).reqs.Add(1)
	return w.rel.ASCFor(appID)
}

// runScheduled is the cron job: one tick of the lanes whose key is neither
// stretched past this activation nor backing off after a 429.
func (w *Watcher) runScheduled() {
	now := w.now()
	due := func(key string) bool {
		l := w.lane(key)
		w.mu.Lock()
		until := l.backoffTill
		if l.stretched && !l.lastTick.IsZero() {
			// Half an interval of tolerance: cron fires on the schedule, so
			// the first activation after lastTick+effective-interval/2 runs.
			if t := l.lastTick.Add(l.effective - w.interval/2); t.After(until) {
				until = t
			}
		}
		w.mu.Unlock()
		if now.Before(until) {
			w.log.Debug("poll skipped to stay within the rate limit", "key", key, "until", until)
			return false
		}
		return true
	}
	some := false
	for _, k := range w.rel.Keys() {
		if due(k) {
			some = true
		}
	}
	if !some {
		return
	}
	ctx, cancel := context.WithTimeout(w.baseCtx, tickTimeout)
	defer cancel()
	if err := w.tick(ctx, due); err != nil {
		w.log.Warn("poll finished with errors", "err", err)
	}
}

// Status returns the whole poller's state: the last tick in which every
// key's apps were read, and the first key's budget (see KeyStatus).
func (w *Watcher) Status() Status {
	keys := w.rel.Keys()
	st := w.KeyStatus(keys[0])
	w.mu.Lock()
	defer w.mu.Unlock()
	st.Key = ""
	st.LastGoodPoll, st.LastError = w.lastGood, w.lastErr
	for _, k := range keys[1:] {
		l := w.lanes[k]
		if l == nil {
			st.Failures = 0
			continue
		}
		if l.effective > st.Effective {
			st.Effective, st.Stretched = l.effective, l.effective > w.interval
		}
		// The poller as a whole fails only when every key does: one
		// revoked key leaves the others' apps announced.
		st.Failures = min(st.Failures, l.failures)
	}
	return st
}

// KeyStatus returns the state of one API key's apps' polling.
func (w *Watcher) KeyStatus(key string) Status {
	l := w.lane(key)
	w.mu.Lock()
	defer w.mu.Unlock()
	return Status{
		Key:           key,
		LastGoodPoll:  l.lastGood,
		Interval:      w.interval,
		Effective:     l.effective,
		Stretched:     l.stretched,
		HourRemaining: l.hourRem,
		HourLimit:     l.hourLim,
		LastError:     l.lastErr,
		BackoffUntil:  l.backoffTill,
		Failures:      l.failures,
	}
}

// KeyStatuses returns KeyStatus of every key, in configuration order.
func (w *Watcher) KeyStatuses() []Status {
	var out []Status
	for _, k := range w.rel.Keys() {
		out = append(out, w.KeyStatus(k))
	}
	return out
}

// PollSummary is one human line for /asc status about the polling of
// key's apps ("" = the first key), e.g. "Polling every 2m (stretched to 6m
// to stay within App Store Connect's hourly budget: 412 of 3600 requests
// left); last good poll 40s ago". With several keys it names the key.
func (w *Watcher) PollSummary(key string) string {
	if key == "" {
		key = w.rel.Keys()[0]
	}
	st := w.KeyStatus(key)
	now := w.now()

	s := "Polling every " + shortDuration(st.Interval)
	if len(w.rel.Keys()) > 1 {
		s = "API key *" + key + "* · " + s
	}
	switch {
	case st.Stretched:
		s += fmt.Sprintf(" (stretched to %s to stay within App Store Connect's hourly budget: %d of %d requests left)",
			shortDuration(st.Effective), st.HourRemaining, st.HourLimit)
	case st.HourLimit > 0:
		s += fmt.Sprintf(" (%d of %d App Store Connect requests left this hour)", st.HourRemaining, st.HourLimit)
	}
	if st.LastGoodPoll.IsZero() {
		s += "; no successful poll yet"
	} else {
		s += "; last good poll " + shortDuration(now.Sub(st.LastGoodPoll).Round(time.Second)) + " ago"
	}
	if st.BackoffUntil.After(now) {
		s += "; rate limited, paused until " + st.BackoffUntil.UTC().Format("15:04:05") + " UTC"
	}
	if st.LastError != "" {
		s += "; last error: " + st.LastError
	}
	return s
}

// shortDuration renders 2m0s as "2m", 1h30m0s as "1h30m", 0 as "0s".
func shortDuration(d time.Duration) string {
	if d < time.Second {
		d = d.Round(time.Millisecond)
		if d <= 0 {
			return "0s"
		}
		return d.String()
	}
	s := d.Round(time.Second).String()
	if len(s) > 2 && s[len(s)-2:] == "0s" && (s[len(s)-3] == 'm' || s[len(s)-3] == 'h') {
		s = s[:len(s)-2]
	}
	if len(s) > 2 && s[len(s)-2:] == "0m" && s[len(s)-3] == 'h' {
		s = s[:len(s)-2]
	}
	return s
}

// cronLogger adapts slog to cron.Logger; cron's routine messages go to debug.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		c.l.Info("poll still running; skipping this activation")
		return
	}
	c.l.Debug("cron: "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}

// keyedLocks is a set of mutexes by key, entries removed when unused.
type keyedLocks struct {
	mu sync.Mutex
	m  map[string]*keyedLock
}

type keyedLock struct {
	mu sync.Mutex
	n  int
}

// lock locks key and returns its unlock.
func (k *keyedLocks) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyedLock{}
		k.m[key] = l
	}
	l.n++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		l.n--
		if l.n == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
