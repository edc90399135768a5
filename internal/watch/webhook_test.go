package watch

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "hmacsha256=" + hex.EncodeToString(m.Sum(nil))
}

func versionEventBody(versionID, oldV, newV string) []byte {
	return fmt.Appendf(nil, `{"data":{"type":"appStoreVersionAppVersionStateUpdated","id":"ev-%s-%s","version":1,`+
		`"attributes":{"newValue":%q,"oldValue":%q,"timestamp":"2025-04-16T05:00:52.745Z"},`+
		`"relationships":{"instance":{"data":{"type":"appStoreVersions","id":%q}}}}}`, versionID, newV, newV, oldV, versionID)
}

func buildUploadBody(uploadID string) []byte {
	return fmt.Appendf(nil, `{"data":{"type":"buildUploadStateUpdated","id":"ev-%s","version":1,"attributes":{"newState":"COMPLETE"},`+
		`"relationships":{"instance":{"data":{"type":"buildUploads","id":%q}}}}}`, uploadID, uploadID)
}

// post sends a webhook through the handler and returns the status.
func (h *harness) post(method string, body []byte, signature string) int {
	h.t.Helper()
	req := httptest.NewRequest(method, WebhookPath, bytes.NewReader(body))
	if signature != "" {
		req.Header.Set("x-apple-signature", signature)
	}
	rec := httptest.NewRecorder()
	h.w.WebhookHandler().ServeHTTP(rec, req)
	return rec.Code
}

// settle waits for the webhook work started so far.
func (h *harness) settle() { h.w.bg.Wait() }

func (h *harness) secret(appID string) string { return testSecret + appID }

// TestWebhookVersionAnnouncesOnce: a webhook is announced by its own re-read
// (after the coalescing window, webhookWindow), once, and neither the poller
// nor a redelivery repeats it. The test waits on the watcher's work, not on
// a wall-clock deadline.
func TestWebhookVersionAnnouncesOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	h.submit(h.app)
	body := versionEventBody(h.app.VersionID, "PREPARE_FOR_SUBMISSION", "WAITING_FOR_REVIEW")
	if code := h.post(http.MethodPost, body, sign(h.secret(h.app.ID), body)); code != http.StatusOK {
		t.Fatalf("status = %d, want 200", code)
	}
	h.settle() // the webhook's re-read, after its coalescing window
	evs := h.rec.Versions()
	if len(evs) != 1 || evs[0].Source != SourceWebhook || evs[0].From != asc.StatePrepareForSubmission ||
		evs[0].To != asc.StateWaitingForReview || evs[0].SubTo != asc.SubmissionWaitingForReview || evs[0].SubmissionID == "" ||
		evs[0].Channel != "C"+h.app.ID || evs[0].App.Name == "" {
		t.Fatalf("webhook events = %+v", evs)
	}
	// The poller sees the same state: nothing more.
	h.tick()
	h.tick()
	// Apple redelivers the same webhook: nothing more.
	if code := h.post(http.MethodPost, body, sign(h.secret(h.app.ID), body)); code != http.StatusOK {
		t.Fatalf("redelivery status = %d", code)
	}
	h.settle()
	if evs := h.rec.Versions(); len(evs) != 1 {
		t.Fatalf("re-announced after the webhook: %+v", evs)
	}
	// The next change arrives by poll as usual, from the webhook's record.
	h.must(h.sim.StartReview(h.app.VersionID))
	h.tick()
	if evs := h.rec.Versions(); len(evs) != 2 || evs[1].From != asc.StateWaitingForReview || evs[1].Source != SourcePoll {
		t.Fatalf("next poll event = %+v", evs)
	}
	// Approval by webhook: the submission completing is read too, so the
	// poller finds nothing left to say.
	h.must(h.sim.Approve(h.app.VersionID))
	body = versionEventBody(h.app.VersionID, "IN_REVIEW", "PENDING_DEVELOPER_RELEASE")
	if code := h.post(http.MethodPost, body, sign(h.secret(h.app.ID), body)); code != http.StatusOK {
		t.Fatalf("status = %d", code)
	}
	h.settle() // the webhook's re-read, after its coalescing window
	h.tick()
	evs = h.rec.Versions()
	if len(evs) != 3 || evs[2].To != asc.StatePendingDeveloperRelease || evs[2].SubTo != asc.SubmissionComplete || evs[2].Source != SourceWebhook {
		t.Fatalf("approval events = %+v", evs)
	}
	if s := h.seen(h.app.ID, h.app.VersionID); s.SubmissionState != string(asc.SubmissionComplete) {
		t.Errorf("seen after approval webhook = %+v", s)
	}
}

func TestWebhookRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{apps: 2})
	h.tick()
	h.submit(h.app)
	good := versionEventBody(h.app.VersionID, "PREPARE_FOR_SUBMISSION", "WAITING_FOR_REVIEW")
	other := h.cfg.Apps[1].ID
	tests := []struct {
		name   string
		method string
		body   []byte
		sig    string
		want   int
	}{
		{"no signature", http.MethodPost, good, "", http.StatusUnauthorized},
		{"wrong secret", http.MethodPost, good, sign("not the secret", good), http.StatusUnauthorized},
		{"signature of another body", http.MethodPost, good, sign(h.secret(h.app.ID), []byte("{}")), http.StatusUnauthorized},
		{"malformed signature", http.MethodPost, good, "sha1=abc", http.StatusUnauthorized},
		{"GET", http.MethodGet, nil, "", http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, good, sign(h.secret(h.app.ID), good), http.StatusMethodNotAllowed},
		{"oversize", http.MethodPost, bytes.Repeat([]byte("x"), MaxWebhookBody+1), "", http.StatusRequestEntityTooLarge},
		{"signed garbage", http.MethodPost, []byte("not json"), sign(h.secret(h.app.ID), []byte("not json")), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.sim.ResetRequests()
			if code := h.post(tt.method, tt.body, tt.sig); code != tt.want {
				t.Errorf("status = %d, want %d", code, tt.want)
			}
			h.settle()
			if n := len(h.sim.Requests()); n != 0 {
				t.Errorf("a rejected webhook made %d App Store Connect requests", n)
			}
		})
	}
	if evs := h.rec.Versions(); len(evs) != 0 {
		t.Fatalf("rejected webhooks announced: %+v", evs)
	}

	// Accepted (200) but ignored: a ping, an unknown type, a version event
	// signed with another app's secret.
	ignored := []struct {
		name string
		body []byte
		key  string
	}{
		{"ping", []byte(`{"data":{"type":"webhookPingCreated","id":"p1","version":1}}`), h.secret(h.app.ID)},
		{"unknown type", []byte(`{"data":{"type":"betaFeedbackCrashSubmissionCreated","id":"c1"}}`), h.secret(h.app.ID)},
		{"other app's secret", good, h.secret(other)},
	}
	for _, tt := range ignored {
		t.Run(tt.name, func(t *testing.T) {
			if code := h.post(http.MethodPost, tt.body, sign(tt.key, tt.body)); code != http.StatusOK {
				t.Errorf("status = %d, want 200", code)
			}
			h.settle()
		})
	}
	if evs := h.rec.Versions(); len(evs) != 0 {
		t.Fatalf("ignored webhooks announced: %+v", evs)
	}
	// The change is still there for the poller (nothing was recorded).
	h.tick()
	if evs := h.rec.Versions(); len(evs) != 1 || evs[0].Source != SourcePoll {
		t.Fatalf("poll after ignored webhooks = %+v", evs)
	}
}

func TestWebhookForUnwatchedAppIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	// A second app the key sees, with a secret, but no channel: not watched.
	extra := h.seedApp(7)
	h.cfg.Apps = append(h.cfg.Apps, config.App{ID: extra.ID, WebhookSecret: config.Secret(h.secret(extra.ID))})
	h.tick()
	h.submit(extra)
	body := versionEventBody(extra.VersionID, "PREPARE_FOR_SUBMISSION", "WAITING_FOR_REVIEW")
	if code := h.post(http.MethodPost, body, sign(h.secret(extra.ID), body)); code != http.StatusOK {
		t.Fatalf("status = %d, want 200", code)
	}
	h.settle()
	if evs := h.rec.Versions(); len(evs) != 0 {
		t.Fatalf("unwatched app announced: %+v", evs)
	}
	if _, ok, _ := h.store.GetSeen(extra.ID, extra.VersionID); ok {
		t.Error("unwatched app's version recorded")
	}
}

func TestWebhookBuildUpload(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	b := h.sim.AddBuild(h.app.ID, ascsim.BuildSeed{Version: "7", MarketingVersion: "1.1", ProcessingState: "PROCESSING"})
	h.tick()
	h.must(h.sim.SetBuildState(b, "VALID"))
	view, ok := h.sim.Build(b)
	if !ok || view.UploadID == "" {
		t.Fatalf("simulator build view = %+v", view)
	}
	body := buildUploadBody(view.UploadID)
	if code := h.post(http.MethodPost, body, sign(h.secret(h.app.ID), body)); code != http.StatusOK {
		t.Fatalf("status = %d", code)
	}
	h.settle() // the webhook's re-read, after its coalescing window
	h.tick()
	h.tick()
	bs := h.rec.Builds()
	if len(bs) != 1 || bs[0].Build.ID != b || bs[0].From != asc.BuildProcessing || bs[0].To != asc.BuildValid ||
		bs[0].Source != SourceWebhook || bs[0].Build.Version != "7" || bs[0].Build.MarketingVersion != "1.1" {
		t.Fatalf("build events = %+v", bs)
	}
}

// TestPollAndWebhookRace: the poller and a webhook see the same change at
// the same time, over many transitions: each is announced exactly once.
func TestPollAndWebhookRace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	h.submit(h.app)
	h.tick()
	states := []string{"IN_REVIEW", "WAITING_FOR_REVIEW"}
	const rounds = 12
	for i := range rounds {
		h.must(h.sim.SetVersionState(h.app.VersionID, states[i%2]))
		body := versionEventBody(h.app.VersionID, states[(i+1)%2], states[i%2])
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := h.w.Tick(context.Background()); err != nil {
				t.Errorf("tick: %v", err)
			}
		})
		wg.Go(func() {
			if code := h.post(http.MethodPost, body, sign(h.secret(h.app.ID), body)); code != http.StatusOK {
				t.Errorf("status = %d", code)
			}
		})
		wg.Wait()
		h.settle()
		if evs := h.rec.Versions(); len(evs) != i+2 {
			t.Fatalf("round %d: %d events, want %d: %+v", i, len(evs), i+2, evs[1:])
		}
	}
	for i, e := range h.rec.Versions()[1:] {
		if string(e.To) != states[i%2] {
			t.Errorf("event %d to %s, want %s", i, e.To, states[i%2])
		}
	}
}

func TestStartStopWaitsForRunningTick(t *testing.T) {
	t.Parallel() // waits on the real one-second cron: overlap the two
	h := newHarness(t, harnessConfig{})
	h.tick()
	h.submit(h.app)

	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h.rec.mu.Lock()
	h.rec.block, h.rec.entered = release, entered
	h.rec.mu.Unlock()

	h.w.Start()
	select {
	case <-entered: // the scheduled tick is inside the notifier
	case <-time.After(5 * time.Second):
		t.Fatal("the scheduled tick did not run within 5s of Start with @every 1s")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- h.w.Stop(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a tick was still running", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return after the tick finished")
	}
	if evs := h.rec.Versions(); len(evs) != 1 || evs[0].To != asc.StateWaitingForReview {
		t.Fatalf("events = %+v", evs)
	}
	if s := h.seen(h.app.ID, h.app.VersionID); s.State != string(asc.StateWaitingForReview) {
		t.Errorf("the tick Stop waited for did not record: %+v", s)
	}
	// After Stop: webhooks get 503, Start does nothing.
	body := versionEventBody(h.app.VersionID, "WAITING_FOR_REVIEW", "IN_REVIEW")
	if code := h.post(http.MethodPost, body, sign(h.secret(h.app.ID), body)); code != http.StatusServiceUnavailable {
		t.Errorf("webhook after Stop = %d, want 503", code)
	}
	c := h.w.cron
	h.w.Start()
	if h.w.cron != c {
		t.Error("Start after Stop started a new cron")
	}
}

func TestStopBoundedByContext(t *testing.T) {
	t.Parallel() // waits on the real one-second cron: overlap the two
	h := newHarness(t, harnessConfig{})
	h.tick()
	h.submit(h.app)
	entered := make(chan struct{}, 1)
	h.rec.mu.Lock()
	h.rec.block, h.rec.entered = make(chan struct{}), entered // never released
	h.rec.mu.Unlock()
	h.w.Start()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("no scheduled tick")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := h.w.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
		t.Fatalf("Stop = %v, want the deadline", err)
	}
	// The tick was cancelled: its notifier returned ctx's error, so
	// nothing was recorded and the transition is still pending.
	h.w.tickMu.Lock() // waits for the cancelled tick to unwind
	s := h.seen(h.app.ID, h.app.VersionID)
	h.w.tickMu.Unlock()
	if s.State != string(asc.StatePrepareForSubmission) {
		t.Errorf("a cancelled announcement was recorded: %+v", s)
	}
}

// One captured, correctly signed delivery replayed 500 times triggers one
// re-read, and one more for the deliveries that land while the first runs
// (they may carry news the running read missed): 4 requests, not 1,000
// App Store Connect requests and ~1,500 goroutines.
func TestWebhookReplayIsCoalesced(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	h.tick()
	h.submit(h.app)
	body := versionEventBody(h.app.VersionID, "PREPARE_FOR_SUBMISSION", "WAITING_FOR_REVIEW")
	sig := sign(h.secret(h.app.ID), body)
	// The first re-read announces and waits in the notifier: half the
	// deliveries land before it starts, half while it runs, whatever the
	// machine's speed (on the clock alone, a loaded machine spreads the
	// deliveries over the window and both re-reads, and rightly gets a third).
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	h.rec.mu.Lock()
	h.rec.block, h.rec.entered = release, entered
	h.rec.mu.Unlock()
	h.sim.ResetRequests()
	// The deliveries run under a label of their own, which every goroutine
	// they start inherits; each delivery's goroutine drops it before it
	// reports done. runtime.NumGoroutine would count the other parallel
	// tests' goroutines too.
	run := fmt.Sprint(deliveryLabel.Add(1))
	labels := pprof.Labels("webhook-deliveries", run)
	deliver := func(n int) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				pprof.Do(context.Background(), labels, func(context.Context) {
					if code := h.post(http.MethodPost, body, sig); code != http.StatusOK {
						t.Errorf("delivery %d: status %d", i, code)
					}
				})
			})
		}
		wg.Wait()
	}
	deliver(250)
	select {
	case <-entered: // the first re-read is running
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("no re-read reached the notifier within 10s of 250 deliveries")
	}
	deliver(250)
	working := goroutinesLabelled(t, "webhook-deliveries", run) // the deliveries are done: what is left is webhook work
	close(release)
	h.settle()
	if working > 10 {
		t.Errorf("%d goroutines doing webhook work after 500 deliveries of one event", working)
	}
	// One re-read is two requests (the version, then its open submissions).
	if n := len(h.sim.Requests()); n != 4 {
		t.Errorf("%d App Store Connect requests for one event delivered 500 times, want 4 (two re-reads)", n)
	}
	if evs := h.rec.Versions(); len(evs) != 1 {
		t.Errorf("announced %d times, want once: %+v", len(evs), evs)
	}
}

// deliveryLabel makes each run's goroutine label unique (-count, parallel tests).
var deliveryLabel atomic.Int64

// goroutinesLabelled counts the live goroutines whose only label is
// key=value, read from the goroutine profile.
func goroutinesLabelled(t *testing.T, key, value string) int {
	t.Helper()
	wantLine := fmt.Sprintf("# labels: {%q:%q}", key, value)
	var prof bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&prof, 1); err != nil {
		t.Fatalf("goroutine profile: %v", err)
	}
	// Records read "<count> @ <pcs>", then "# labels: {...}" when labelled.
	n, count := 0, 0
	for line := range strings.Lines(prof.String()) {
		line = strings.TrimSpace(line)
		if c, _, ok := strings.Cut(line, " @ "); ok {
			var err error
			if count, err = strconv.Atoi(c); err != nil {
				t.Fatalf("goroutine profile record %q: %v", line, err)
			}
			continue
		}
		if line == wantLine {
			n += count
		}
	}
	return n
}

// TestWebhookTestFlightRereadsCards: a TestFlight state webhook re-reads the
// TestFlight cards at once (AlsoTick), without waiting for the schedule.
func TestWebhookTestFlightRereadsCards(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := newHarness(t, harnessConfig{watchOpt: func(o *Options) {
		o.AlsoTick = func(context.Context) error { calls.Add(1); return nil }
	}})
	body := []byte(`{"data":{"type":"buildBetaDetailExternalBuildStateUpdated","id":"ev-1","version":1,` +
		`"attributes":{"newExternalBuildState":"IN_BETA_TESTING","oldExternalBuildState":"BETA_APPROVED","timestamp":"2025-04-16T05:00:52.745Z"},` +
		`"relationships":{"instance":{"data":{"type":"buildBetaDetails","id":"b1"}}}}}`)
	if code := h.post(http.MethodPost, body, sign(h.secret(h.app.ID), body)); code != http.StatusOK {
		t.Fatalf("status = %d", code)
	}
	h.settle()
	if n := calls.Load(); n != 1 {
		t.Fatalf("AlsoTick ran %d times, want 1", n)
	}
	if err := h.w.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("AlsoTick ran %d times after a poll, want 2", n)
	}
}
