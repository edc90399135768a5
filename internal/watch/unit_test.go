package watch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/metrics"
)

func TestEffectiveInterval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		interval               time.Duration
		perTick, remain, limit int
		known                  bool
		want                   time.Duration
	}{
		{"unknown rate limit keeps the schedule", 2 * time.Minute, 10, 0, 0, false, 2 * time.Minute},
		{"plenty left", 2 * time.Minute, 10, 3000, 3600, true, 2 * time.Minute},
		{"exactly enough", 2 * time.Minute, 10, 300 + 360, 3600, true, 2 * time.Minute},
		{"200 apps every 2m on 3600/h: 3600·200/3240 s rounded up", 2 * time.Minute, 200, 3600, 3600, true, 223 * time.Second},
		{"one request short: 3600·10/299 s rounded up", 2 * time.Minute, 10, 300 + 359, 3600, true, 121 * time.Second},
		{"nothing left: an hour", 2 * time.Minute, 10, 100, 3600, true, time.Hour},
		{"never shorter than the schedule", time.Hour, 1, 5, 100, true, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := effectiveInterval(tt.interval, tt.perTick, tt.remain, tt.limit, tt.known)
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{2 * time.Minute, "2m"},
		{6*time.Minute + 30*time.Second, "6m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{45 * time.Second, "45s"},
		{10 * time.Second, "10s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := shortDuration(tt.in); got != tt.want {
				t.Errorf("shortDuration(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	base := h.opts
	base.Store, base.Release = h.store, h.rel
	tests := []struct {
		name   string
		mutate func(*Options)
		ok     bool
		every  time.Duration
	}{
		{"ok", func(*Options) {}, true, time.Second},
		{"default schedule", func(o *Options) { o.Schedule = "" }, true, 2 * time.Minute},
		{"crontab", func(o *Options) { o.Schedule = "*/5 * * * *" }, true, 5 * time.Minute},
		{"hourly descriptor", func(o *Options) { o.Schedule = "@hourly" }, true, time.Hour},
		{"bad schedule", func(o *Options) { o.Schedule = "every two minutes" }, false, 0},
		{"seconds field refused", func(o *Options) { o.Schedule = "*/5 * * * * *" }, false, 0},
		{"time zone alone refused without a panic", func(o *Options) { o.Schedule = "TZ=UTC" }, false, 0},
		{"spec that never fires refused", func(o *Options) { o.Schedule = "0 0 30 2 *" }, false, 0},
		{"no client", func(o *Options) { o.ASC = nil }, false, 0},
		{"no store", func(o *Options) { o.Store = nil }, false, 0},
		{"no release", func(o *Options) { o.Release = nil }, false, 0},
		{"no notifier", func(o *Options) { o.Notifier = nil }, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.mutate(&o)
			w, err := New(o)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("New = %v, want ErrInvalidOptions", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop(context.Background())
			if st := w.Status(); st.Interval != tt.every || st.Effective != tt.every {
				t.Errorf("interval = %v/%v, want %v", st.Interval, st.Effective, tt.every)
			}
		})
	}
}

// TestStaleObservationDropped: an observation read before a newer state was
// recorded (a slow poll overtaken by a webhook) must not be announced as a
// step backwards.
func TestStaleObservationDropped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	h.submit(h.app)
	old := h.seen(h.app.ID, h.app.VersionID) // PREPARE_FOR_SUBMISSION, read "before the snapshot"
	stale, _, err := h.client.Versions.Get(context.Background(), h.app.VersionID)
	h.must(err)
	stale.AppVersionState = asc.StatePrepareForSubmission // what a slow read saw
	h.tick()                                              // meanwhile: WAITING_FOR_REVIEW recorded
	h.must(h.sim.StartReview(h.app.VersionID))
	h.tick() // and IN_REVIEW
	n := len(h.rec.Versions())

	app := asc.App{ID: h.app.ID, Name: "x"}
	stale.AppVersionState = asc.StateWaitingForReview
	if err := h.w.observeVersion(context.Background(), versionObs{App: app, Version: *stale, Source: SourcePoll, Base: &old}); err != nil {
		t.Fatal(err)
	}
	if evs := h.rec.Versions(); len(evs) != n {
		t.Fatalf("stale observation announced: %+v", evs[n:])
	}
	if s := h.seen(h.app.ID, h.app.VersionID); s.State != string(asc.StateInReview) {
		t.Fatalf("stale observation recorded: %+v", s)
	}
}

func TestDraftSubmissionIsSilentThenSubmitAnnounced(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	ctx := context.Background()
	sub, _, err := h.client.Submissions.Create(ctx, h.app.ID, asc.PlatformIOS)
	h.must(err)
	_, _, err = h.client.Submissions.AddVersion(ctx, sub.ID, h.app.VersionID)
	h.must(err)
	h.tick()
	if evs := h.rec.Versions(); len(evs) != 0 {
		t.Fatalf("a draft submission was announced: %+v", evs)
	}
	if s := h.seen(h.app.ID, h.app.VersionID); s.SubmissionID != sub.ID || s.SubmissionState != string(asc.SubmissionReadyForReview) {
		t.Fatalf("draft not recorded: %+v", s)
	}
	_, _, err = h.client.Submissions.Submit(ctx, sub.ID)
	h.must(err)
	h.tick()
	evs := h.rec.Versions()
	if len(evs) != 1 || evs[0].SubFrom != asc.SubmissionReadyForReview || evs[0].SubTo != asc.SubmissionWaitingForReview || evs[0].To != asc.StateWaitingForReview {
		t.Fatalf("submit events = %+v", evs)
	}
}

func TestSubmissionOnlyChangeAnnouncedWithItems(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	subID := h.submit(h.app)
	h.tick()
	// App Review flags an issue on the submission; the version itself has
	// not moved yet.
	h.must(h.sim.SetSubmissionState(subID, "UNRESOLVED_ISSUES"))
	h.tick()
	h.tick()
	evs := h.rec.Versions()
	if len(evs) != 2 {
		t.Fatalf("events = %+v", evs)
	}
	e := evs[1]
	if e.From != e.To || e.From != asc.StateWaitingForReview || e.SubFrom != asc.SubmissionWaitingForReview || e.SubTo != asc.SubmissionUnresolvedIssues {
		t.Errorf("submission-only event = %+v", e)
	}
	if len(e.Items) != 1 || e.Items[0].VersionID() != h.app.VersionID {
		t.Errorf("items = %+v", e.Items)
	}
}

// TestListOpenFallback: when the snapshot's submissions carry no version
// linkage, one Submissions.ListOpen per app resolves them, and the answer is
// cached so idle ticks stay at one request.
func TestListOpenFallback(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	subID := h.submit(h.app)
	ctx := context.Background()
	snap, _, err := h.client.Apps.Snapshot(ctx, h.app.ID, asc.SnapshotOptions{})
	h.must(err)
	strip := func() []asc.ReviewSubmission {
		subs := append([]asc.ReviewSubmission(nil), snap.Submissions...)
		for i := range subs {
			subs[i].VersionID = ""
		}
		return subs
	}
	h.sim.ResetRequests()
	subs := strip()
	h.must(h.w.linkSubmissions(ctx, h.app.ID, subs, nil))
	if got := pickSubmission(subs, h.app.VersionID, ""); got == nil || got.ID != subID {
		t.Fatalf("after ListOpen, the version's submission = %+v, want %s", got, subID)
	}
	if reqs := h.sim.Requests(); len(reqs) != 1 || reqs[0].Path != "/v1/reviewSubmissions" {
		t.Fatalf("requests = %+v, want one GET /v1/reviewSubmissions", reqs)
	}
	h.sim.ResetRequests()
	subs = strip()
	h.must(h.w.linkSubmissions(ctx, h.app.ID, subs, nil))
	if got := pickSubmission(subs, h.app.VersionID, ""); got == nil || got.ID != subID {
		t.Fatalf("from the cache, the version's submission = %+v", got)
	}
	if n := len(h.sim.Requests()); n != 0 {
		t.Fatalf("a cached link cost %d requests", n)
	}
}

func TestPickSubmission(t *testing.T) {
	t.Parallel()
	subs := []asc.ReviewSubmission{
		{ID: "old", VersionID: "v1", State: asc.SubmissionComplete},
		{ID: "other", VersionID: "v2", State: asc.SubmissionWaitingForReview},
		{ID: "open", VersionID: "v1", State: asc.SubmissionInReview},
	}
	tests := []struct {
		name, version, seen, want string
	}{
		{"open beats complete", "v1", "old", "open"},
		{"only its own version", "v2", "", "other"},
		{"none", "v3", "", ""},
		{"recorded complete when nothing is open", "v9", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pickSubmission(subs, tt.version, tt.seen)
			if (got == nil) != (tt.want == "") || got != nil && got.ID != tt.want {
				t.Errorf("got %+v, want %q", got, tt.want)
			}
		})
	}
	closed := []asc.ReviewSubmission{{ID: "done", VersionID: "v1", State: asc.SubmissionComplete}}
	if got := pickSubmission(closed, "v1", "done"); got == nil || got.ID != "done" {
		t.Errorf("recorded submission that completed = %+v, want done", got)
	}
	if got := pickSubmission(closed, "v1", ""); got != nil {
		t.Errorf("an unrecorded completed submission = %+v, want nil", got)
	}
}

// pollMetrics records what the watcher reports.
type pollMetrics struct {
	mu        sync.Mutex
	polls     []bool
	remaining []int
}

func (m *pollMetrics) ObservePoll(key string, d time.Duration, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.polls = append(m.polls, ok)
}

func (m *pollMetrics) RateRemaining(key string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remaining = append(m.remaining, n)
}

var _ PollMetrics = (*metrics.Metrics)(nil)

func TestPollMetricsReported(t *testing.T) {
	t.Parallel()
	m := &pollMetrics{}
	h := newHarness(t, harnessConfig{watchOpt: func(o *Options) { o.Metrics = m }})
	h.tick()
	h.sim.InjectFault(ascsim.Fault{PathPrefix: "/v1/apps/" + h.app.ID, Status: 500, Count: 1})
	if err := h.w.Tick(context.Background()); err == nil {
		t.Fatal("tick with a 500 returned nil")
	}
	h.tick()
	m.mu.Lock()
	defer m.mu.Unlock()
	if want := []bool{true, false, true}; !slices.Equal(m.polls, want) {
		t.Errorf("ObservePoll oks = %v, want %v", m.polls, want)
	}
	if len(m.remaining) != 3 || m.remaining[0] <= m.remaining[2] || m.remaining[2] <= 0 {
		t.Errorf("RateRemaining = %v, want decreasing positive figures", m.remaining)
	}
}
