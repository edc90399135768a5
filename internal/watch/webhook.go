package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/store"
)

// MaxWebhookBody bounds a webhook request body; larger ones get 413.
const MaxWebhookBody = 64 << 10

// WebhookPath is where the handler is meant to be mounted.
const WebhookPath = "/webhooks/appstoreconnect"

// WebhookHandler serves Apple's webhook POSTs (mount it at WebhookPath).
//
// It answers 405 to anything but POST, 413 to a body over MaxWebhookBody,
// 401 when the x-apple-signature matches none of the configured secrets
// (nothing is read or posted then), 400 to a body that is not an event,
// 503 after Stop, and otherwise 200 at once: the work (re-reading the
// version or build from App Store Connect and feeding the same transition
// path as the poller) runs in the background, so Apple gets its 2xx quickly
// and the announcement follows within about a second.
func (w *Watcher) WebhookHandler() http.Handler {
	return http.HandlerFunc(w.serveWebhook)
}

func (w *Watcher) serveWebhook(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			w.log.Warn("webhook body too large", "limit", MaxWebhookBody)
			http.Error(rw, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(rw, "reading body", http.StatusBadRequest)
		return
	}
	apps := w.verifiedApps(body, r.Header.Get(asc.SignatureHeader))
	if len(apps) == 0 {
		// Neither the signature nor the secrets are logged.
		w.log.Warn("webhook rejected: signature matches no configured secret", "remote", r.RemoteAddr)
		http.Error(rw, "bad signature", http.StatusUnauthorized)
		return
	}
	ev, err := asc.ParseWebhookEvent(body)
	if err != nil {
		w.log.Warn("webhook body is not an event", "err", err)
		http.Error(rw, "not a webhook event", http.StatusBadRequest)
		return
	}
	log := w.log.With("event", ev.Type, "event_id", ev.ID, "instance", ev.InstanceID)
	var (
		job func(ctx context.Context) error
		key string
	)
	switch ev.Type {
	case asc.EventPing:
		log.Info("webhook ping received", "apps", apps)
	case asc.EventAppVersionStateUpdated:
		if ev.InstanceID == "" || (ev.InstanceType != "" && ev.InstanceType != "appStoreVersions") {
			log.Warn("version webhook without an appStoreVersions instance; ignored")
			break
		}
		log.Info("version state webhook", "old", ev.OldValue, "new", ev.NewValue)
		key = "version/" + ev.InstanceID
		job = func(ctx context.Context) error { return w.webhookVersion(ctx, ev.InstanceID, apps) }
	case asc.EventBuildUploadStateUpdated:
		if ev.InstanceID == "" {
			log.Warn("build upload webhook without an instance; ignored")
			break
		}
		log.Info("build upload webhook", "new", ev.NewState)
		key = "build/" + ev.InstanceID
		job = func(ctx context.Context) error { return w.webhookBuild(ctx, ev.InstanceID, apps) }
	case asc.EventBuildBetaDetailExternalStateUpdated:
		if w.alsoTick == nil {
			log.Debug("TestFlight webhook without TestFlight cards; ignored")
			break
		}
		// The TestFlight cards are re-read at once (each notice still once).
		log.Info("TestFlight state webhook")
		key = "testflight"
		job = w.alsoTick
	default:
		log.Debug("webhook event type not handled; ignored")
	}
	if job != nil && !w.spawn(key+"@"+strings.Join(apps, ","), job, log) {
		http.Error(rw, "shutting down", http.StatusServiceUnavailable)
		return
	}
	rw.WriteHeader(http.StatusOK)
}

// verifiedApps returns the ids of the apps whose webhook secret signed body.
func (w *Watcher) verifiedApps(body []byte, header string) []string {
	var apps []string
	for appID, secret := range w.secrets() {
		if secret == "" {
			continue
		}
		if asc.VerifySignature(secret, body, header) == nil {
			apps = append(apps, appID)
		}
	}
	slices.Sort(apps)
	return apps
}

// Webhook work is coalesced: a captured, correctly signed delivery replayed
// 500 times caused 1,000 App Store Connect requests in a third of a second
// and ~1,500 goroutines. Deliveries about the same instance (and signed for
// the same apps) that arrive while one re-read is waiting to start are
// dropped; one arriving while it runs asks for exactly one more re-read
// afterwards (Apple may have moved on since the read began). At most
// webhookWorkers re-reads run at once and at most maxPendingWebhooks wait;
// beyond that a delivery is left to the poller.
const (
	// webhookWindow is how long a re-read waits for more deliveries of the
	// same instance before it starts.
	webhookWindow = 200 * time.Millisecond
	// webhookWorkers bounds the re-reads running at once.
	webhookWorkers = 4
	// maxPendingWebhooks bounds the distinct instances waiting or running.
	maxPendingWebhooks = 64
)

// webhookQueue tracks coalesced webhook work by key.
type webhookQueue struct {
	mu      sync.Mutex
	pending map[string]*webhookJob
	sem     chan struct{}
}

type webhookJob struct {
	running, again bool
}

// add registers a delivery for key: run reports whether the caller must
// start the work (false: coalesced into pending work, or too much pending).
func (q *webhookQueue) add(key string) (j *webhookJob, run bool, full bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending == nil {
		q.pending = map[string]*webhookJob{}
		q.sem = make(chan struct{}, webhookWorkers)
	}
	if j, ok := q.pending[key]; ok {
		if j.running {
			j.again = true
		}
		return j, false, false
	}
	if len(q.pending) >= maxPendingWebhooks {
		return nil, false, true
	}
	j = &webhookJob{}
	q.pending[key] = j
	return j, true, false
}

// begin marks j running; finish reports whether it must run once more.
func (q *webhookQueue) begin(j *webhookJob) {
	q.mu.Lock()
	j.running, j.again = true, false
	q.mu.Unlock()
}

func (q *webhookQueue) finish(key string, j *webhookJob) (again bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if j.again {
		return true
	}
	delete(q.pending, key)
	return false
}

// spawn runs job for key in the background under the watcher's base
// context, coalesced and bounded as described above; false after Stop.
func (w *Watcher) spawn(key string, job func(ctx context.Context) error, log interface {
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
}) bool {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return false
	}
	w.bg.Add(1)
	w.mu.Unlock()
	j, run, full := w.hooks.add(key)
	if !run {
		w.bg.Done()
		if full {
			log.Warn("too much webhook work pending; leaving this delivery to the poller", "limit", maxPendingWebhooks)
		}
		return true
	}
	go func() {
		defer w.bg.Done()
		t := time.NewTimer(webhookWindow)
		defer t.Stop()
		select {
		case <-t.C:
		case <-w.baseCtx.Done():
		}
		select {
		case w.hooks.sem <- struct{}{}:
			defer func() { <-w.hooks.sem }()
		case <-w.baseCtx.Done():
			w.hooks.finish(key, j)
			return
		}
		for {
			w.hooks.begin(j)
			ctx, cancel := context.WithTimeout(w.baseCtx, webhookTimeout)
			err := job(ctx)
			cancel()
			if err != nil {
				log.Warn("handling webhook; the poller will pick the change up", "err", err)
			}
			if !w.hooks.finish(key, j) || w.baseCtx.Err() != nil {
				w.hooks.mu.Lock()
				delete(w.hooks.pending, key)
				w.hooks.mu.Unlock()
				return
			}
		}
	}()
	return true
}

// webhookVersion re-reads the version and its submission and feeds the
// transition path. apps are the apps whose secret signed the webhook.
func (w *Watcher) webhookVersion(ctx context.Context, versionID string, apps []string) error {
	// The seen records are read BEFORE the version, so an observation
	// overtaken by a newer recorded one (a poll racing this webhook) is
	// dropped instead of being announced backwards. The version's app is
	// one of the apps whose secret signed the webhook: read each (local).
	bases := map[string]*store.Seen{}
	for _, appID := range apps {
		s, found, err := w.store.GetSeen(appID, versionID)
		if err != nil {
			return fmt.Errorf("reading seen state of %s/%s: %w", appID, versionID, err)
		}
		if found {
			bases[appID] = &s
		}
	}
	v, err := w.readVersion(ctx, versionID, apps)
	if err != nil {
		return fmt.Errorf("re-reading version %s: %w", versionID, err)
	}
	log := w.log.With("app", v.AppID, "version", v.VersionString, "version_id", v.ID)
	if v.AppID == "" || !slices.Contains(apps, v.AppID) {
		log.Warn("version webhook signed with another app's secret; ignored", "signed_for", apps)
		return nil
	}
	wa, ok, err := w.watchedApp(ctx, v.AppID)
	if err != nil {
		return err
	}
	if !ok {
		log.Info("version webhook for an app that is not watched; ignored")
		return nil
	}
	base := bases[v.AppID]
	var seenSubID, seenSubState string
	if base != nil {
		seenSubID, seenSubState = base.SubmissionID, base.SubmissionState
	}
	open, _, err := w.api(v.AppID).Submissions.ListOpen(ctx, v.AppID, v.Platform)
	if err != nil {
		return fmt.Errorf("listing open submissions of app %s: %w", v.AppID, err)
	}
	sub := pickSubmission(open, v.ID, seenSubID)
	if sub == nil && seenSubID != "" && asc.ReviewSubmissionState(seenSubState).Open() {
		// The recorded submission is no longer open: read it to see it complete.
		s, _, err := w.api(v.AppID).Submissions.Get(ctx, seenSubID)
		switch {
		case err == nil:
			sub = s
		case !asc.IsNotFound(err):
			return fmt.Errorf("reading submission %s: %w", seenSubID, err)
		}
	}
	return w.observeVersion(ctx, versionObs{App: wa.App, Channel: wa.Channel, Version: *v, Sub: sub, Source: SourceWebhook, Base: base})
}

// readVersion reads a version with the key of one of the apps whose secret
// signed the webhook: the version belongs to one of them, and another
// team's key would not see it (404), so each distinct key is tried in turn.
func (w *Watcher) readVersion(ctx context.Context, versionID string, apps []string) (*asc.AppStoreVersion, error) {
	tried := map[string]bool{}
	var err error
	for _, appID := range apps {
		key := w.rel.KeyOf(appID)
		if tried[key] {
			continue
		}
		tried[key] = true
		var v *asc.AppStoreVersion
		v, _, err = w.api(appID).Versions.Get(ctx, versionID)
		if err == nil || !asc.IsNotFound(err) {
			return v, err
		}
	}
	if err == nil {
		err = fmt.Errorf("no app signed the webhook: %w", asc.ErrNotFound)
	}
	return nil, err
}

// webhookBuild resolves a build upload to its build and feeds the build
// path. The build's app is the one whose secret signed the webhook; when
// several apps share that secret the app is ambiguous and the poller is left
// to notice the build.
func (w *Watcher) webhookBuild(ctx context.Context, uploadID string, apps []string) error {
	if len(apps) != 1 {
		w.log.Info("build webhook signed by a secret several apps share; leaving it to the poller", "apps", apps)
		return nil
	}
	appID := apps[0]
	wa, ok, err := w.watchedApp(ctx, appID)
	if err != nil {
		return err
	}
	if !ok {
		w.log.Info("build webhook for an app that is not watched; ignored", "app", appID)
		return nil
	}
	base, found, err := w.store.GetSeen(appID, "")
	if err != nil {
		return fmt.Errorf("reading build states of app %s: %w", appID, err)
	}
	if !found {
		w.log.Debug("build webhook before the app's baseline; leaving it to the poller", "app", appID)
		return nil
	}
	buildID, _, err := w.api(appID).Webhooks.BuildUploadBuild(ctx, uploadID)
	if err != nil {
		return fmt.Errorf("resolving build upload %s: %w", uploadID, err)
	}
	if buildID == "" {
		w.log.Info("build upload not linked to a build yet; the poller will see it", "app", appID, "upload", uploadID)
		return nil
	}
	b, _, err := w.api(appID).Builds.Get(ctx, buildID)
	if err != nil {
		return fmt.Errorf("reading build %s: %w", buildID, err)
	}
	return w.observeBuilds(ctx, buildObs{App: wa.App, Channel: wa.Channel, Builds: []asc.Build{*b}, Source: SourceWebhook, Base: &base})
}
