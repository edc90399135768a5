package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/store"
)

// restart stops the bot and starts it again on the same database.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// noAppList fails the test when /asc status listed the apps (GET /v1/apps).
func (h *harness) noAppList(what string) {
	h.t.Helper()
	for _, r := range h.sim.Requests() {
		if r.Method == http.MethodGet && r.Path == "/v1/apps" {
			h.t.Errorf("%s listed the apps first: %v", what, h.sim.Requests())
		}
	}
}

// TestStatusOnRestartedBotReadsAtOnce: a bot just restarted has no list of
// apps in memory; /asc status reads the app the last stored list names
// straight away (one round trip, three requests, no list), checked against the
// app the read includes, for a name, a bundle id and an id. A wrong name
// still gets the closest names, and a stored list that names another app
// (renamed since) does not show that app.
func TestStatusOnRestartedBotReadsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "apps")
	h.waitFor("the app list", h.ephemeralSays(userAna, "jp.example.kotenocr"))

	for _, q := range []string{"KotenOCR", "jp.example.kotenocr", h.ids.AppID} {
		h.restart()
		h.sim.ResetRequests()
		before := h.ephemeralCount(userAna, "*Live:* *1.0.0*")
		h.slash(userAna, "status "+q)
		h.waitFor("the status by "+q, func() bool { return h.ephemeralCount(userAna, "*Live:* *1.0.0*") > before })
		if n := len(h.sim.Requests()); n != 3 {
			t.Errorf("/asc status %s on a restarted bot: %d requests, want 3 (%v)", q, n, h.sim.Requests())
		}
		h.noAppList("/asc status " + q + " on a restarted bot")
	}

	h.restart()
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
// at once, checked by the app its versions' read includes. An id no key sees
// is still told as such.
func TestStatusByIDOnFirstRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.sim.ResetRequests()
	h.slash(userAna, "status "+h.ids.AppID)
	h.waitFor("the status by id", h.ephemeralSays(userAna, "*Live:* *1.0.0*"))
	if n := len(h.sim.Requests()); n != 3 {
		t.Errorf("/asc status <id> on a first run: %d requests, want 3 (%v)", n, h.sim.Requests())
	}
	h.noAppList("/asc status <id> on a first run")
	if !h.ephemeralSays(userAna, "KotenOCR · jp.example.kotenocr")() {
		t.Error("the status by id does not name the app")
	}

	h.restart()
	h.slash(userAna, "status 12345")
	h.waitFor("no such app", h.ephemeralSays(userAna, "I can't find an app called `12345`"))
	for _, m := range h.slack.Ephemerals(userAna) {
		if strings.Contains(payloadText(m.Blocks), "Something went wrong") {
			t.Errorf("an unknown id was told as a failure: %s", payloadText(m.Blocks))
		}
	}
}
