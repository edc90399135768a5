package watch

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"

	"github.com/ascbot/ascbot/internal/testclock"
)

func TestBaselineIsSilent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{apps: 2})
	// A version already in review and a build still processing when the
	// watch starts: recorded, not announced.
	h.submit(h.app)
	h.sim.AddBuild(h.app.ID, ascsim.BuildSeed{Version: "3", MarketingVersion: "1.1", ProcessingState: "PROCESSING"})
	h.tick()
	h.tick()
	if ev := h.rec.Versions(); len(ev) != 0 {
		t.Errorf("baseline announced versions: %+v", ev)
	}
	if ev := h.rec.Builds(); len(ev) != 0 {
		t.Errorf("baseline announced builds: %+v", ev)
	}
	s := h.seen(h.app.ID, h.app.VersionID)
	if s.State != string(asc.StateWaitingForReview) || s.SubmissionState != string(asc.SubmissionWaitingForReview) || s.SubmissionID == "" {
		t.Errorf("baseline seen = %+v", s)
	}
	appSeen := h.seen(h.app.ID, "")
	if len(appSeen.BuildStates) != 3 {
		t.Errorf("baseline build states = %v, want 3 builds", appSeen.BuildStates)
	}
}

func TestReviewPathAnnouncedOncePerTransition(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick() // baseline: 1.1 PREPARE_FOR_SUBMISSION

	subID := h.submit(h.app)
	steps := []struct {
		name    string
		move    func() error
		from    asc.AppVersionState
		to      asc.AppVersionState
		subFrom asc.ReviewSubmissionState
		subTo   asc.ReviewSubmissionState
	}{
		{"submitted", func() error { return nil }, asc.StatePrepareForSubmission, asc.StateWaitingForReview, "", asc.SubmissionWaitingForReview},
		{"in review", func() error { return h.sim.StartReview(h.app.VersionID) }, asc.StateWaitingForReview, asc.StateInReview, asc.SubmissionWaitingForReview, asc.SubmissionInReview},
		{"approved", func() error { return h.sim.Approve(h.app.VersionID) }, asc.StateInReview, asc.StatePendingDeveloperRelease, asc.SubmissionInReview, asc.SubmissionComplete},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			h.must(st.move())
			h.tick()
			h.tick() // idle
			h.tick() // idle
			evs := h.rec.Versions()
			if len(evs) != i+1 {
				t.Fatalf("after %q: %d events, want %d: %+v", st.name, len(evs), i+1, evs)
			}
			e := evs[i]
			if e.From != st.from || e.To != st.to || e.SubFrom != st.subFrom || e.SubTo != st.subTo {
				t.Errorf("event = %s→%s sub %q→%q, want %s→%s sub %q→%q", e.From, e.To, e.SubFrom, e.SubTo, st.from, st.to, st.subFrom, st.subTo)
			}
			if e.SubmissionID != subID || e.Version.ID != h.app.VersionID || e.Version.VersionString != "1.1" ||
				e.App.ID != h.app.ID || e.Channel != "C"+h.app.ID || e.Source != SourcePoll || e.At.IsZero() {
				t.Errorf("event fields = %+v", e)
			}
			if e.Version.BuildID != h.app.BuildID {
				t.Errorf("event version carries build %q, want %q (the full record)", e.Version.BuildID, h.app.BuildID)
			}
			if len(e.Items) != 0 {
				t.Errorf("items filled on a non-rejection: %+v", e.Items)
			}
			if s := h.seen(h.app.ID, h.app.VersionID); s.State != string(st.to) || s.SubmissionState != string(st.subTo) {
				t.Errorf("seen = %+v", s)
			}
		})
	}
	if b := h.rec.Builds(); len(b) != 0 {
		t.Errorf("unexpected build events: %+v", b)
	}
}

func TestIdleTickReadsOneRequestPerApp(t *testing.T) {
	t.Parallel()
	const apps = 3
	h := newHarness(t, harnessConfig{apps: apps})
	h.submit(h.app) // an open submission must not cost extra requests either
	h.tick()
	h.tick()
	for range 3 {
		h.sim.ResetRequests()
		h.tick()
		reqs := h.sim.Requests()
		if len(reqs) != apps {
			t.Fatalf("idle tick made %d requests, want %d: %+v", len(reqs), apps, reqs)
		}
		for _, r := range reqs {
			if r.Method != "GET" || !strings.HasPrefix(r.Path, "/v1/apps/") || strings.Count(r.Path, "/") != 3 {
				t.Errorf("idle tick request %s %s, want GET /v1/apps/{id}", r.Method, r.Path)
			}
		}
	}
	if len(h.rec.Versions())+len(h.rec.Builds()) != 0 {
		t.Errorf("idle ticks announced something")
	}
}

func TestWatchesChangedRereadsTheWatchedSet(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{apps: 2})
	h.tick()
	h.sim.ResetRequests()
	h.w.WatchesChanged()
	h.tick()
	lists := 0
	for _, r := range h.sim.Requests() {
		if r.Path == "/v1/apps" {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("after WatchesChanged the tick listed apps %d times, want 1", lists)
	}
	// Unwatching the second app removes it from the next tick.
	second := h.cfg.Apps[1].ID
	h.must(h.store.DeleteWatch(second))
	h.w.WatchesChanged()
	h.tick()
	h.sim.ResetRequests()
	h.tick()
	for _, r := range h.sim.Requests() {
		if strings.Contains(r.Path, second) {
			t.Errorf("unwatched app still polled: %s", r.Path)
		}
	}
}

func TestRejectionFillsItems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		state asc.AppVersionState
	}{
		{asc.StateRejected},
		{asc.StateMetadataRejected},
		{asc.StateInvalidBinary},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			h := newHarness(t, harnessConfig{})
			h.tick()
			subID := h.submit(h.app)
			h.tick()
			h.must(h.sim.StartReview(h.app.VersionID))
			h.tick()
			h.must(h.sim.Reject(h.app.VersionID, string(tt.state)))
			h.tick()
			h.tick()
			evs := h.rec.Versions()
			if len(evs) != 3 {
				t.Fatalf("%d events, want 3: %+v", len(evs), evs)
			}
			e := evs[2]
			if e.From != asc.StateInReview || e.To != tt.state || e.SubTo != asc.SubmissionUnresolvedIssues || e.SubmissionID != subID {
				t.Errorf("rejection event = %+v", e)
			}
			if len(e.Items) != 1 || e.Items[0].State != asc.ItemRejected || e.Items[0].VersionID() != h.app.VersionID {
				t.Errorf("items = %+v, want the version's item REJECTED", e.Items)
			}
			s := h.seen(h.app.ID, h.app.VersionID)
			if len(s.ItemStates) != 1 || s.ItemStates[e.Items[0].ID] != string(asc.ItemRejected) {
				t.Errorf("seen item states = %v", s.ItemStates)
			}
		})
	}
}

func TestBuildsAnnouncedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	processing := h.sim.AddBuild(h.app.ID, ascsim.BuildSeed{Version: "3", MarketingVersion: "1.1", ProcessingState: "PROCESSING"})
	failing := h.sim.AddBuild(h.app.ID, ascsim.BuildSeed{Version: "4", MarketingVersion: "1.1", ProcessingState: "PROCESSING"})
	h.tick() // baseline

	steps := []struct {
		name string
		move func() string // returns the build id expected in the event
		from asc.BuildProcessingState
		to   asc.BuildProcessingState
		num  string
	}{
		{"processing to valid", func() string { h.must(h.sim.SetBuildState(processing, "VALID")); return processing }, asc.BuildProcessing, asc.BuildValid, "3"},
		{"processing to failed", func() string { h.must(h.sim.SetBuildState(failing, "FAILED")); return failing }, asc.BuildProcessing, asc.BuildFailed, "4"},
		{"new build first seen valid", func() string {
			return h.sim.AddBuild(h.app.ID, ascsim.BuildSeed{Version: "5", MarketingVersion: "1.1", ProcessingState: "VALID"})
		}, "", asc.BuildValid, "5"},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			id := st.move()
			h.tick()
			h.tick()
			evs := h.rec.Builds()
			if len(evs) != i+1 {
				t.Fatalf("%d build events, want %d: %+v", len(evs), i+1, evs)
			}
			e := evs[i]
			if e.Build.ID != id || e.From != st.from || e.To != st.to || e.Build.Version != st.num ||
				e.Build.MarketingVersion != "1.1" || e.App.ID != h.app.ID || e.Channel != "C"+h.app.ID || e.Source != SourcePoll {
				t.Errorf("event = %+v", e)
			}
		})
	}
	// A new build still processing is recorded silently.
	h.sim.AddBuild(h.app.ID, ascsim.BuildSeed{Version: "6", MarketingVersion: "1.1", ProcessingState: "PROCESSING"})
	h.tick()
	if n := len(h.rec.Builds()); n != 3 {
		t.Errorf("a processing build was announced (%d events)", n)
	}
	if n := len(h.rec.Versions()); n != 0 {
		t.Errorf("version events: %d", n)
	}
}

func TestNotifierErrorRetriedNextTick(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	h.submit(h.app)
	h.rec.failNext(2)
	for range 2 {
		if err := h.w.Tick(context.Background()); err == nil || !strings.Contains(err.Error(), errSlackDown.Error()) {
			t.Fatalf("tick with a failing notifier = %v, want the notifier's error", err)
		}
		if s := h.seen(h.app.ID, h.app.VersionID); s.State != string(asc.StatePrepareForSubmission) {
			t.Fatalf("seen moved on although nothing was announced: %+v", s)
		}
		if st := h.w.Status(); !strings.Contains(st.LastError, "slack is down") {
			t.Errorf("Status().LastError = %q", st.LastError)
		}
	}
	h.tick()
	h.tick()
	evs := h.rec.Versions()
	if len(evs) != 1 || evs[0].To != asc.StateWaitingForReview || evs[0].From != asc.StatePrepareForSubmission {
		t.Fatalf("after recovery: %+v, want one PREPARE→WAITING", evs)
	}
	if h.w.Status().LastError != "" {
		t.Errorf("LastError kept after a good tick: %q", h.w.Status().LastError)
	}

	// Builds too.
	h.rec.failNext(1)
	b := h.sim.AddBuild(h.app.ID, ascsim.BuildSeed{Version: "9", MarketingVersion: "1.1", ProcessingState: "VALID"})
	if err := h.w.Tick(context.Background()); err == nil {
		t.Fatal("tick with a failing build notification returned nil")
	}
	h.tick()
	h.tick()
	if bs := h.rec.Builds(); len(bs) != 1 || bs[0].Build.ID != b {
		t.Fatalf("build events after recovery: %+v", bs)
	}
}

func TestRestartBetweenTransitions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	h.submit(h.app)
	h.tick()
	if n := len(h.rec.Versions()); n != 1 {
		t.Fatalf("before restart: %d events", n)
	}

	h.restart()
	h.tick() // nothing changed: the earlier transition must not come back
	if n := len(h.rec.Versions()); n != 1 {
		t.Fatalf("restart re-announced: %+v", h.rec.Versions())
	}
	h.must(h.sim.StartReview(h.app.VersionID))
	h.tick()
	h.restart()
	h.tick()
	h.tick()
	evs := h.rec.Versions()
	if len(evs) != 2 || evs[1].From != asc.StateWaitingForReview || evs[1].To != asc.StateInReview {
		t.Fatalf("events across restarts = %+v", evs)
	}
}

// TestCrashAfterClaimDoesNotReannounce: a process died after claiming a
// transition's notice (and possibly announcing it) but before recording it.
// The restarted watcher records the transition without announcing it again,
// and announces the next one.
func TestCrashAfterClaimDoesNotReannounce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	before := h.seen(h.app.ID, h.app.VersionID)
	subID := h.submit(h.app)
	key := versionNoticeKey(h.app.ID, h.app.VersionID, asc.StatePrepareForSubmission, asc.StateWaitingForReview,
		subID, "", asc.SubmissionWaitingForReview, before.At.UnixNano())
	if first, err := h.store.MarkNotice(key, time.Now()); err != nil || !first {
		t.Fatalf("claiming %s: first=%v err=%v", key, first, err)
	}
	h.restart()
	h.tick()
	if evs := h.rec.Versions(); len(evs) != 0 {
		t.Fatalf("claimed transition announced again: %+v", evs)
	}
	if s := h.seen(h.app.ID, h.app.VersionID); s.State != string(asc.StateWaitingForReview) {
		t.Fatalf("claimed transition not recorded: %+v", s)
	}
	h.must(h.sim.StartReview(h.app.VersionID))
	h.tick()
	if evs := h.rec.Versions(); len(evs) != 1 || evs[0].To != asc.StateInReview {
		t.Fatalf("next transition: %+v", evs)
	}
}

// TestSameTransitionAgainIsAnnounced: a version that goes through the same
// states twice (rejected, resubmitted) is announced both times: the notice
// key names the recorded state it starts from, not only the states.
func TestSameTransitionAgainIsAnnounced(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	h.submit(h.app)
	h.tick()
	h.must(h.sim.StartReview(h.app.VersionID))
	h.tick()
	h.must(h.sim.SetVersionState(h.app.VersionID, "WAITING_FOR_REVIEW"))
	h.tick()
	h.must(h.sim.SetVersionState(h.app.VersionID, "IN_REVIEW"))
	h.tick()
	var got []string
	for _, e := range h.rec.Versions() {
		got = append(got, string(e.From)+">"+string(e.To))
	}
	want := "PREPARE_FOR_SUBMISSION>WAITING_FOR_REVIEW WAITING_FOR_REVIEW>IN_REVIEW IN_REVIEW>WAITING_FOR_REVIEW WAITING_FOR_REVIEW>IN_REVIEW"
	if strings.Join(got, " ") != want {
		t.Errorf("transitions = %v, want %s", got, want)
	}
}

func TestRateLimited429ThenSuccess(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Now())
	h := newHarness(t, harnessConfig{watchOpt: func(o *Options) { o.Clock = clock.Now }})
	h.tick()
	h.submit(h.app)
	h.sim.InjectFault(ascsim.Fault{Method: "GET", PathPrefix: "/v1/apps/" + h.app.ID, Status: 429, RetryAfter: 30 * time.Second, Count: 1})
	err := h.w.Tick(context.Background())
	if !asc.IsRateLimited(err) {
		t.Fatalf("tick during a 429 = %v, want a rate-limit error", err)
	}
	if s := h.seen(h.app.ID, h.app.VersionID); s.State != string(asc.StatePrepareForSubmission) {
		t.Fatalf("a 429 touched seen: %+v", s)
	}
	if n := len(h.rec.Versions()); n != 0 {
		t.Fatalf("announced during a 429: %d", n)
	}
	if !strings.Contains(h.w.PollSummary(""), "rate limited, paused until") {
		t.Errorf("PollSummary during back-off = %q", h.w.PollSummary(""))
	}
	// Scheduled ticks honour Retry-After …
	h.sim.ResetRequests()
	h.w.runScheduled()
	if n := len(h.sim.Requests()); n != 0 {
		t.Errorf("a scheduled tick during the back-off made %d requests", n)
	}
	// … and run again after it.
	clock.Advance(31 * time.Second)
	h.w.runScheduled()
	h.tick()
	evs := h.rec.Versions()
	if len(evs) != 1 || evs[0].To != asc.StateWaitingForReview {
		t.Fatalf("after the back-off: %+v, want one WAITING_FOR_REVIEW", evs)
	}
}

func TestStretchedWhenBudgetIsLow(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Now())
	h := newHarness(t, harnessConfig{
		apps:     2,
		simOpts:  func(o *ascsim.Options) { o.HourlyLimit = 50 },
		watchOpt: func(o *Options) { o.Clock = clock.Now; o.Schedule = "@every 2m" },
	})
	h.tick()
	h.tick()
	st := h.w.Status()
	if !st.Stretched || st.Effective <= st.Interval || st.Interval != 2*time.Minute {
		t.Fatalf("status = %+v, want stretched beyond 2m", st)
	}
	if st.HourLimit != 50 || st.HourRemaining <= 0 || st.HourRemaining >= 50 {
		t.Errorf("status rate figures = %d of %d", st.HourRemaining, st.HourLimit)
	}
	// 2 requests per tick, 30 ticks an hour need 60; 45 left minus a tenth
	// of the limit kept back leaves 40: one tick per 3600s·2/40 = 3m.
	if want := effectiveInterval(2*time.Minute, 2, st.HourRemaining, 50, true); st.Effective != want || want <= 2*time.Minute {
		t.Errorf("effective = %v, want %v", st.Effective, want)
	}
	sum := h.w.PollSummary("")
	if !strings.Contains(sum, "Polling every 2m (stretched to ") || !strings.Contains(sum, "of 50 requests left)") {
		t.Errorf("PollSummary = %q", sum)
	}
	// A scheduled activation right after the tick is skipped; one after the
	// effective interval runs.
	h.sim.ResetRequests()
	clock.Advance(st.Interval)
	if st.Effective-st.Interval/2 > st.Interval {
		h.w.runScheduled()
		if n := len(h.sim.Requests()); n != 0 {
			t.Errorf("scheduled tick within the stretched interval made %d requests", n)
		}
	}
	clock.Advance(st.Effective)
	h.w.runScheduled()
	if n := len(h.sim.Requests()); n == 0 {
		t.Error("scheduled tick after the stretched interval did not poll")
	}
}

func TestNotStretchedWithPlentyOfBudget(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{watchOpt: func(o *Options) { o.Schedule = "@every 2m" }})
	h.tick()
	st := h.w.Status()
	if st.Stretched || st.Effective != 2*time.Minute || st.HourLimit != ascsim.DefaultHourlyLimit {
		t.Fatalf("status = %+v", st)
	}
	if st.LastGoodPoll.IsZero() || st.LastError != "" {
		t.Errorf("status after a good tick = %+v", st)
	}
	if sum := h.w.PollSummary(""); !strings.HasPrefix(sum, "Polling every 2m (") || strings.Contains(sum, "stretched") || !strings.Contains(sum, "last good poll") {
		t.Errorf("PollSummary = %q", sum)
	}
	// The last good poll survives a restart.
	good := st.LastGoodPoll
	h.restart()
	if got := h.w.Status().LastGoodPoll; !got.Equal(good) {
		t.Errorf("LastGoodPoll after restart = %v, want %v", got, good)
	}
}

// TestAcknowledgedActionIsNotAnnouncedAgain: a state the bot's own action
// produced (a submit) is recorded silently; the next change starts from it.
// A state Apple moved on to meanwhile is not acknowledged and still announced.
func TestAcknowledgedActionIsNotAnnouncedAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick() // baseline: PREPARE_FOR_SUBMISSION
	h.submit(h.app)
	v, _, err := h.client.Versions.Get(t.Context(), h.app.VersionID)
	h.must(err)
	open, _, err := h.client.Submissions.ListOpen(t.Context(), h.app.ID, asc.PlatformIOS)
	h.must(err)
	if len(open) != 1 {
		t.Fatalf("open submissions = %+v", open)
	}
	h.must(h.w.Acknowledge(h.app.ID, *v, asc.StateWaitingForReview, &open[0], time.Now()))
	h.tick()
	if evs := h.rec.Versions(); len(evs) != 0 {
		t.Fatalf("the bot's own submit was announced again: %+v", evs)
	}
	h.must(h.sim.StartReview(h.app.VersionID))
	// The card wants "released", but Apple shows IN_REVIEW: nothing recorded.
	v, _, err = h.client.Versions.Get(t.Context(), h.app.VersionID)
	h.must(err)
	h.must(h.w.Acknowledge(h.app.ID, *v, asc.StateProcessingForDistribution, nil, time.Now()))
	h.tick()
	evs := h.rec.Versions()
	if len(evs) != 1 || evs[0].From != asc.StateWaitingForReview || evs[0].To != asc.StateInReview {
		t.Fatalf("events = %+v, want one Waiting for Review → In Review", evs)
	}
}

// TestLateAcknowledgeDoesNotUndoANewerState: the bot reads the version
// right after its own release (Processing for Distribution), Apple moves it
// to Ready for Distribution and the poller announces that, and only then
// does the bot record its action. The record read before the poll must not
// replace the poll's, or the next poll would announce Ready for
// Distribution again.
func TestLateAcknowledgeDoesNotUndoANewerState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick() // baseline: PREPARE_FOR_SUBMISSION
	h.must(h.sim.SetVersionState(h.app.VersionID, "PROCESSING_FOR_DISTRIBUTION"))
	h.tick()
	readAt := time.Now()
	v, _, err := h.client.Versions.Get(t.Context(), h.app.VersionID) // the bot's read after its release
	h.must(err)
	h.must(h.sim.SetVersionState(h.app.VersionID, "READY_FOR_DISTRIBUTION"))
	h.tick() // announces Ready for Distribution
	h.must(h.w.Acknowledge(h.app.ID, *v, asc.StateProcessingForDistribution, nil, readAt))
	h.tick()
	h.tick()
	n := 0
	for _, ev := range h.rec.Versions() {
		if ev.To == asc.StateReadyForDistribution {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("Ready for Distribution announced %d times, want once: %+v", n, h.rec.Versions())
	}
}

// While every request gets 401, the poller backs off exponentially across
// ticks (it spent its full retry count on every app on every tick: 183
// requests in a minute for one app), counts the failures for /healthz, and
// polls on schedule again after a good tick.
func TestFailingPollsBackOffAcrossTicks(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Now())
	h := newHarness(t, harnessConfig{apps: 2, watchOpt: func(o *Options) { o.Clock = clock.Now }})
	h.tick()
	h.sim.ResetRequests()
	h.sim.InjectFault(ascsim.Fault{Status: 401, Code: "NOT_AUTHORIZED", Count: 1 << 20})
	for range 60 { // a minute of "@every 1s"
		h.w.runScheduled()
		clock.Advance(time.Second)
	}
	// A tick is at most 4 requests here (2 apps read at once, each 401
	// re-signed once): 60 ticks would be 240; ticks at 0, 1, 3, 7, 15, 31 s
	// are at most 24.
	reqs := len(h.sim.Requests())
	if reqs > 24 {
		t.Errorf("%d requests in a minute of failing polls, want a back-off (at most 24)", reqs)
	}
	st := h.w.Status()
	if st.Failures < FailingAfter || st.LastError == "" {
		t.Errorf("status = %+v, want at least %d failures in a row reported", st, FailingAfter)
	}
	// Apple answers again: the next scheduled tick after the back-off works,
	// and the poller is back on its schedule (the 1 s schedule is stretched
	// by the hourly budget model, independently of the failures).
	h.sim.ClearFaults()
	clock.Advance(maxFailBackoff)
	h.w.runScheduled()
	if st := h.w.Status(); st.Failures != 0 || st.LastError != "" {
		t.Fatalf("after recovery: %+v", st)
	}
	h.sim.ResetRequests()
	clock.Advance(h.w.Status().Effective) // the schedule, or the budget's stretch of it
	h.w.runScheduled()
	if n := len(h.sim.Requests()); n == 0 {
		t.Errorf("no poll one interval after recovering (status %+v)", h.w.Status())
	}
}

// A 429 whose X-Rate-Limit says user-hour-rem:0 but whose Retry-After says
// 60 s pauses polling for 60 s, not for the hour.
func TestRetryAfterBeforeEmptyHourlyBudget(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Now())
	h := newHarness(t, harnessConfig{watchOpt: func(o *Options) { o.Clock = clock.Now; o.Schedule = "@every 10s" }})
	h.tick()
	h.sim.InjectFault(ascsim.Fault{Method: "GET", Status: 429, RetryAfter: time.Minute, ExhaustHour: true, Count: 1})
	if err := h.w.Tick(context.Background()); !asc.IsRateLimited(err) {
		t.Fatalf("tick = %v, want a 429", err)
	}
	h.sim.ResetRequests()
	clock.Advance(30 * time.Second)
	h.w.runScheduled()
	if n := len(h.sim.Requests()); n != 0 {
		t.Errorf("polled %d requests within Retry-After", n)
	}
	clock.Advance(31 * time.Second)
	h.w.runScheduled()
	if n := len(h.sim.Requests()); n == 0 {
		t.Errorf("no poll after Retry-After (status %+v)", h.w.Status())
	}
}
