package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/store"
)

// listGate holds Apple's answer to the list of apps (GET /v1/apps) until the
// app's versions, review submissions and newest TestFlight build have been
// asked for: a bot that waited for the list before reading the app would
// never get past it.
type listGate struct {
	t     testing.TB
	next  http.Handler
	appID string

	mu    sync.Mutex
	seen  map[string]bool
	ready chan struct{}
	held  int
}

func newListGate(t testing.TB, next http.Handler, appID string) *listGate {
	return &listGate{t: t, next: next, appID: appID, seen: map[string]bool{}, ready: make(chan struct{})}
}

func (g *listGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/v1/apps" {
		g.mu.Lock()
		g.held++
		g.mu.Unlock()
		select {
		case <-g.ready:
		case <-time.After(10 * time.Second):
			g.t.Errorf("the app list was asked for, and the app's reads did not follow while it was pending")
		}
	} else {
		g.mu.Lock()
		switch {
		case r.URL.Path == "/v1/apps/"+g.appID+"/appStoreVersions":
			g.seen["versions"] = true
		case r.URL.Path == "/v1/reviewSubmissions" && r.URL.Query().Get("filter[app]") == g.appID:
			g.seen["submissions"] = true
		case r.URL.Path == "/v1/builds" && r.URL.Query().Get("filter[app]") == g.appID:
			g.seen["testflight"] = true
		}
		if g.seen["versions"] && g.seen["submissions"] && g.seen["testflight"] {
			select {
			case <-g.ready:
			default:
				close(g.ready)
			}
		}
		g.mu.Unlock()
	}
	g.next.ServeHTTP(w, r)
}

// restartBehind restarts the bot with every App Store Connect request going
// through gate.
func (h *harness) restartBehind(gate http.Handler) {
	h.t.Helper()
	h.stop()
	ts := httptest.NewServer(gate)
	h.t.Cleanup(ts.Close)
	h.env["ASC_API_URL"] = ts.URL
	h.start()
}

// TestStatusOnRestartedBotReadsWhileResolving: a bot just restarted has no
// list of apps in memory; /asc status resolves the name against the fresh
// list while it already reads the app the last list named (one round trip,
// four requests), for a name, a bundle id and an id. A wrong name still gets
// the closest names, and a last list that names another app (renamed since)
// does not show that app.
func TestStatusOnRestartedBotReadsWhileResolving(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "apps")
	h.waitFor("the app list", h.ephemeralSays(userAna, "jp.example.kotenocr"))

	for _, q := range []string{"KotenOCR", "jp.example.kotenocr", h.ids.AppID} {
		h.restartBehind(newListGate(t, h.simTS.Config.Handler, h.ids.AppID))
		h.sim.ResetRequests()
		before := h.ephemeralCount(userAna, "*Live:* *1.0.0*")
		h.slash(userAna, "status "+q)
		h.waitFor("the status by "+q, func() bool { return h.ephemeralCount(userAna, "*Live:* *1.0.0*") > before })
		if n := len(h.sim.Requests()); n != 4 {
			t.Errorf("/asc status %s on a restarted bot: %d requests, want 4 (%v)", q, n, h.sim.Requests())
		}
	}

	h.restartBehind(h.simTS.Config.Handler)
	h.slash(userAna, "status KotenOCRR")
	h.waitFor("the closest name", h.ephemeralSays(userAna, "Did you mean *KotenOCR*"))

	// The last list the bot stored says KotenOCR is the other app (as if the
	// apps had been renamed since).
	h.stop()
	db, err := store.Open(h.env["ASCBOT_DB"])
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal([]map[string]string{
		{"id": h.ids.SecondAppID, "name": "KotenOCR", "bundle_id": "jp.example.hanko", "key": config.DefaultKey},
		{"id": h.ids.AppID, "name": "Koten Old", "bundle_id": "jp.example.kotenocr", "key": config.DefaultKey},
	})
	if err := db.PutMeta("app_list", string(raw)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.slash(userAna, "status KotenOCR")
	h.waitFor("the renamed app's status", func() bool {
		return h.ephemeralCount(userAna, "KotenOCR · jp.example.kotenocr") > 0 && h.ephemeralCount(userAna, "*Live:* *1.0.0*") > 3
	})
	for _, m := range h.slack.Ephemerals(userAna) {
		if text := payloadText(m.Blocks); strings.Contains(text, "Live:") && strings.Contains(text, "jp.example.hanko") {
			t.Errorf("/asc status showed the app the stale list named, not the app the fresh list names:\n%s", text)
		}
	}
}

// TestStatusByIDOnFirstRun: a bot started for the first time knows no app
// yet, but an app id needs no list to be read: /asc status <id> reads the app
// while the list checks the id. An id no key sees is still told as such.
func TestStatusByIDOnFirstRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.restartBehind(newListGate(t, h.simTS.Config.Handler, h.ids.AppID))
	h.sim.ResetRequests()
	h.slash(userAna, "status "+h.ids.AppID)
	h.waitFor("the status by id", h.ephemeralSays(userAna, "*Live:* *1.0.0*"))
	if n := len(h.sim.Requests()); n != 4 {
		t.Errorf("/asc status <id> on a first run: %d requests, want 4 (%v)", n, h.sim.Requests())
	}
	if !h.ephemeralSays(userAna, "KotenOCR · jp.example.kotenocr")() {
		t.Error("the status by id does not name the app")
	}

	h.restartBehind(newListGate(t, h.simTS.Config.Handler, "12345"))
	h.slash(userAna, "status 12345")
	h.waitFor("no such app", h.ephemeralSays(userAna, "I can't find an app called `12345`"))
	for _, m := range h.slack.Ephemerals(userAna) {
		if strings.Contains(payloadText(m.Blocks), "Something went wrong") {
			t.Errorf("an unknown id was told as a failure: %s", payloadText(m.Blocks))
		}
	}
}
