package app_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slacksim"
	"github.com/ascbot/ascbot/internal/watch"
)

const (
	channelB  = "C0CLIENTB"
	keyIDB    = "CLIENTB123"
	issuerIDB = "69a6de7f-1a2b-47e3-e053-5b8c7c11a4d1"
)

// teamB is client-b's team in the simulator: its key and its app
// "Stamp Rally" (live 1.0, new 2.0 with a VALID build 7).
type teamB struct {
	key                         *ecdsa.PrivateKey
	appID, versionID, buildID   string
	twinID                      string // a second "KotenOCR", in team b
	liveVersionID, twinBundleID string
}

// newTwoKeyHarness runs the bot with two API keys: the environment's
// (default, seeing the demo's KotenOCR) and client-b from the YAML (its
// private key in CLIENTB_KEY), each app posting to its own channel.
func newTwoKeyHarness(t *testing.T, yamlExtra func(*harness) string) (*harness, *teamB) {
	t.Helper()
	_, _, kb := ascsim.NewTestKey()
	tb := &teamB{key: kb}
	h := newHarness(t, withHTTP(), withSim(func(o *ascsim.Options) {
		o.Teams = []ascsim.Team{{Name: "b", IssuerID: issuerIDB, Keys: map[string]*ecdsa.PublicKey{keyIDB: &kb.PublicKey}}}
	}))
	h.slack.AddChannel(channelB, "clientb-releases")
	tb.appID = h.sim.AddApp(ascsim.App{Name: "Stamp Rally", BundleID: "com.clientb.stamprally", Team: "b"})
	live := h.sim.AddBuild(tb.appID, ascsim.BuildSeed{Version: "6", MarketingVersion: "1.0", Uploaded: time.Now().Add(-48 * time.Hour)})
	tb.liveVersionID = h.sim.AddVersion(tb.appID, ascsim.VersionSeed{VersionString: "1.0", State: "READY_FOR_DISTRIBUTION", BuildID: live, WhatsNew: map[string]string{"en-US": "First."}})
	no := false
	tb.buildID = h.sim.AddBuild(tb.appID, ascsim.BuildSeed{Version: "7", MarketingVersion: "2.0", UsesNonExemptEncryption: &no})
	tb.versionID = h.sim.AddVersion(tb.appID, ascsim.VersionSeed{VersionString: "2.0"})
	// Client b has an app named "KotenOCR" too.
	tb.twinBundleID = "com.clientb.kotenocr"
	tb.twinID = h.sim.AddApp(ascsim.App{Name: "KotenOCR", BundleID: tb.twinBundleID, Team: "b"})

	der, err := x509.MarshalPKCS8PrivateKey(kb)
	if err != nil {
		t.Fatal(err)
	}
	h.env["CLIENTB_KEY"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	extra := ""
	if yamlExtra != nil {
		extra = yamlExtra(h)
	}
	h.writeYAML(`poll: %q
approvers: ["S0RELEASE"]
keys:
  - name: client-b
    key_id: %q
    issuer_id: %q
    private_key_env: CLIENTB_KEY
apps:
  - id: %q
    channel: %q
  - id: %q
    key: client-b
    channel: %q
%s`, testPoll, keyIDB, issuerIDB, h.ids.AppID, channel, tb.appID, channelB, extra)
	return h, tb
}

// pollAnyUntil polls (every key) until cond holds. A key may be failing
// on purpose, so a poll's error is not the test's.
func (h *harness) pollAnyUntil(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		rt := h.rt
		h.mu.Unlock()
		_ = rt.Watcher.Tick(h.ctx())
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := h.slack.WaitFor(ctx, cond)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("polling until %s: still not after 10 s", what)
		}
	}
}

// cardIn returns the card in ch whose header names title.
func (h *harness) cardIn(ch, title string) (slacksim.Message, bool) {
	for _, m := range h.slack.Messages(ch) {
		if strings.Contains(string(m.Blocks), title) && strings.Contains(string(m.Blocks), "card_actions") {
			return m, true
		}
	}
	return slacksim.Message{}, false
}

func (h *harness) cardInSays(ch, title, s string) func() bool {
	return func() bool {
		m, ok := h.cardIn(ch, title)
		return ok && strings.Contains(payloadText(m.Blocks), s)
	}
}

// clickIn presses the button starting with prefix on the card in ch.
func (h *harness) clickIn(ch, title, user, prefix string) {
	h.t.Helper()
	var m slacksim.Message
	h.waitFor("the card "+title, func() bool { var ok bool; m, ok = h.cardIn(ch, title); return ok })
	b, ok := findButton(m.Blocks, prefix)
	if !ok {
		h.t.Fatalf("the card %s offers no %q button; it offers %v", title, prefix, buttons(m.Blocks))
	}
	if _, err := h.slack.ClickButton(h.ctx(), user, ch, m.TS, b.ActionID, b.Value); err != nil {
		h.t.Fatalf("pressing %s on %s: %v", b.Text, title, err)
	}
}

func (h *harness) linesIn(ch, s string) int {
	n := 0
	for _, m := range h.slack.Messages(ch) {
		if m.ThreadTS == "" && strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// shipStampRally submits Stamp Rally 2.0 from client-b's channel, has it
// approved and released by the approver, and checks each step.
func (h *harness) shipStampRally(tb *teamB) {
	h.t.Helper()
	const title = "Stamp Rally 2.0"
	if _, err := h.slack.SlashCommand(h.ctx(), userAna, channelB, "submit Stamp Rally 2.0"); err != nil {
		h.t.Fatal(err)
	}
	h.clickIn(channelB, title, userAna, "attach_build_"+tb.buildID)
	h.waitFor("build 7 attached", h.cardInSays(channelB, title, "✓ Build 7"))
	h.clickIn(channelB, title, userAna, "open_notes")
	v := h.notesView(userAna)
	if _, err := h.slack.SubmitView(h.ctx(), userAna, v.ID, map[string]map[string]string{"notes_en-US": {"text": "Stamps sync across devices."}}); err != nil {
		h.t.Fatal(err)
	}
	h.waitFor("the preflight to pass", func() bool {
		m, _ := h.cardIn(channelB, title)
		_, ok := findButton(m.Blocks, "submit")
		return ok
	})
	h.clickIn(channelB, title, userAna, "submit")
	h.waitFor("Waiting for Review", h.cardInSays(channelB, title, "Waiting for Review"))
	if err := h.sim.StartReview(tb.versionID); err != nil {
		h.t.Fatal(err)
	}
	if err := h.sim.Approve(tb.versionID); err != nil {
		h.t.Fatal(err)
	}
	h.pollAnyUntil("the approval in client-b's channel", func() bool { return h.linesIn(channelB, "was *approved*") == 1 })
	h.waitFor("the Release button", func() bool {
		m, _ := h.cardIn(channelB, title)
		_, ok := findButton(m.Blocks, "release")
		return ok
	})
	h.clickIn(channelB, title, userBob, "release")
	h.waitFor("the release on the card", h.cardInSays(channelB, title, "released by <@U0BOB>"))
	if n := h.sim.ReleaseRequests(tb.versionID); n != 1 {
		h.t.Errorf("Stamp Rally: %d release requests, want 1", n)
	}
}

func (h *harness) get(rtAddr, path string) string {
	h.t.Helper()
	resp, err := http.Get("http://" + rtAddr + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return buf.String()
}

// TestTwoKeysEndToEnd: two API keys (two teams), two apps, two channels.
// Each app is submitted and released with its own key; /asc apps lists
// each app's key, a name both teams use asks which, /asc status names the
// key, the audit log records it. Then the default key is revoked (every
// request 401): client-b's app still gets its notices and its buttons
// work, /healthz and /metrics tell the two keys apart.
func TestTwoKeysEndToEnd(t *testing.T) {
	h, tb := newTwoKeyHarness(t, nil)
	rt := h.start()

	// KotenOCR on the default key, in its channel; named by bundle id, as
	// client b has a "KotenOCR" too.
	h.slash(userAna, "submit jp.example.kotenocr 1.1.0")
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review", h.cardSays("Waiting for Review"))
	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.tick()
	if err := h.sim.Approve(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.pollUntil("approval announced", func() bool { return h.channelLines("was *approved*") == 1 })
	h.click(userBob, "release")
	h.waitFor("KotenOCR released", h.cardSays("released by <@U0BOB>"))
	if n := h.releaseRequests(); n != 1 {
		t.Fatalf("KotenOCR: %d release requests, want 1", n)
	}
	if h.linesIn(channelB, "KotenOCR") != 0 || h.linesIn(channel, "Stamp Rally") != 0 {
		t.Fatal("an app's notice went to the other team's channel")
	}

	// /asc apps: every app of both keys, with its key.
	h.slash(userAna, "apps")
	h.waitFor("/asc apps", h.ephemeralSays(userAna, "*Stamp Rally* · `com.clientb.stamprally` · "+tb.appID+" · key `client-b`"))
	if !h.ephemeralSays(userAna, "*KotenOCR* · `jp.example.kotenocr` · "+h.ids.AppID+" · key `default`")() {
		t.Error("/asc apps does not list KotenOCR with key default")
	}
	// "KotenOCR" is an app of both teams: the bot asks which.
	h.slash(userAna, "status KotenOCR")
	h.waitFor("the ambiguity", h.ephemeralSays(userAna, "matches more than one app"))
	if !h.ephemeralSays(userAna, "key `client-b`")() || !h.ephemeralSays(userAna, "Name it by bundle id or id")() {
		t.Errorf("the ambiguity answer names neither the keys nor how to choose: %+v", h.slack.Ephemerals(userAna))
	}
	h.slash(userAna, "status "+tb.twinBundleID)
	h.waitFor("status by bundle id, naming the key", h.ephemeralSays(userAna, "API key *client-b*"))

	// Stamp Rally on client-b, after the default key is revoked.
	h.sim.RevokeKey(keyID)
	_ = rt.Watcher.Tick(h.ctx())
	if st := rt.Watcher.KeyStatus("default"); !strings.Contains(st.LastError, "401") {
		t.Fatalf("the revoked default key's poll: %+v, want a 401", st)
	}
	h.shipStampRally(tb)
	if err := h.sim.Distribute(tb.versionID); err != nil {
		t.Fatal(err)
	}
	h.pollAnyUntil("Ready for Distribution in client-b's channel", func() bool { return h.linesIn(channelB, "is *Ready for Distribution*") == 1 })

	// The audit log says which key each action used.
	for app, want := range map[string]string{h.ids.AppID: "default", tb.appID: "client-b"} {
		entries, err := h.rtStore().ListAudit(app, 100)
		if err != nil {
			t.Fatal(err)
		}
		released := false
		for _, e := range entries {
			if e.Action == "release" && e.Result == "ok" {
				released = true
				if e.Key != want {
					t.Errorf("release of %s audited with key %q, want %q", app, e.Key, want)
				}
			}
		}
		if !released {
			t.Errorf("no release of %s in the audit log", app)
		}
	}

	// /asc apps with one key revoked: client-b's apps, and which key failed.
	h.slash(userCarol, "apps")
	h.waitFor("/asc apps with a revoked key", h.ephemeralSays(userCarol, "Stamp Rally"))
	if !h.ephemeralSays(userCarol, "key default")() {
		t.Errorf("/asc apps does not say the default key failed: %+v", h.slack.Ephemerals(userCarol))
	}

	// /healthz and /metrics per key.
	for range watchFailingAfter {
		_ = rt.Watcher.Tick(h.ctx())
	}
	resp, err := http.Get("http://" + rt.HTTPAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d with one key of two revoked, want 200: the other key's apps are announced", resp.StatusCode)
	}
	var health struct {
		FailingKeys []string `json:"failing_keys"`
		Keys        map[string]struct {
			LastGoodPoll  string `json:"last_good_poll"`
			LastPollError string `json:"last_poll_error"`
			RateRemaining int    `json:"rate_remaining"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(h.get(rt.HTTPAddr, "/healthz")), &health); err != nil {
		t.Fatal(err)
	}
	if len(health.FailingKeys) != 1 || health.FailingKeys[0] != "default" {
		t.Errorf("/healthz failing_keys = %v, want [default]", health.FailingKeys)
	}
	if d, b := health.Keys["default"], health.Keys["client-b"]; !strings.Contains(d.LastPollError, "401") || b.LastPollError != "" || b.LastGoodPoll == "" || b.RateRemaining <= 0 {
		t.Errorf("/healthz keys = %+v, want default failing with 401 and client-b polling fine", health.Keys)
	}
	metrics := h.get(rt.HTTPAddr, "/metrics")
	for _, want := range []string{
		`ascbot_asc_requests_total{key="default",method="GET",status="401"}`,
		`ascbot_asc_requests_total{key="client-b",method="POST",status="201"}`,
		`ascbot_asc_rate_limit_remaining{key="client-b"}`,
		`ascbot_poll_duration_seconds_count{key="client-b"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !metricAbove(metrics, `ascbot_poll_total{key="default",result="error"}`, 0) || !metricAbove(metrics, `ascbot_poll_total{key="client-b",result="ok"}`, 0) {
		t.Errorf("poll results per key wrong:\n%s", grepLines(metrics, "ascbot_poll_total"))
	}
}

// TestStartupWarnsOfAnAppItsKeyCannotSee: the YAML puts the demo's Hanko
// Stamp (the default team's) on client-b's key; the bot starts anyway and
// says so, naming the field.
func TestStartupWarnsOfAnAppItsKeyCannotSee(t *testing.T) {
	h, _ := newTwoKeyHarness(t, func(h *harness) string {
		return fmt.Sprintf("  - id: %q\n    key: client-b\n    channel: %q\n", h.ids.SecondAppID, channelB)
	})
	rt := h.start()
	want := fmt.Sprintf(`config: apps[2].key: key "client-b" cannot see app %s (another team's app, or a wrong key)`, h.ids.SecondAppID)
	if len(rt.Warnings) != 1 || rt.Warnings[0] != want {
		t.Fatalf("warnings = %q, want [%q]", rt.Warnings, want)
	}
	// The bot runs and reads Hanko Stamp with the key that sees it.
	h.slash(userAna, "status Hanko Stamp")
	h.waitFor("a status", h.ephemeralSays(userAna, "Hanko Stamp"))
}

const watchFailingAfter = watch.FailingAfter

func metricAbove(scrape, series string, min float64) bool {
	for _, l := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			var f float64
			_, err := fmt.Sscan(v, &f)
			return err == nil && f > min
		}
	}
	return false
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSandboxServesEachKeyAsItsOwnTeam: in the sandbox a YAML key needs no
// key material; the built-in simulator makes it a team of its own with a
// sample app, read with that key (and invisible to the default key).
func TestSandboxServesEachKeyAsItsOwnTeam(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	yaml := fmt.Sprintf("keys:\n  - name: client-b\n    key_id: %q\n    issuer_id: %q\n    private_key_env: NOT_SET_IN_SANDBOX\n", keyIDB, issuerIDB)
	env := map[string]string{
		"SLACK_APP_TOKEN": h.env["SLACK_APP_TOKEN"], "SLACK_BOT_TOKEN": h.env["SLACK_BOT_TOKEN"],
		"SLACK_API_URL": h.env["SLACK_API_URL"], "ASCBOT_DB": h.env["ASCBOT_DB"],
		"ASCBOT_CONFIG": h.env["ASCBOT_CONFIG"],
	}
	h.writeYAML("%s", yaml)
	cfg, err := config.Load(func(k string) string { return env[k] }, config.ModeSandbox)
	if err != nil {
		t.Fatalf("sandbox config with keys: %v", err)
	}
	rt := h.run(cfg, app.Options{})
	h.slash(userAna, "apps")
	h.waitFor("/asc apps in the sandbox", h.ephemeralSays(userAna, "*Stamp Rally* · `com.example.client-b.stamprally`"))
	apps, err := rt.Release.ListApps(h.ctx())
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, a := range apps {
		keys[a.Name] = a.Key
	}
	if keys["Stamp Rally"] != "client-b" || keys["KotenOCR"] != "default" {
		t.Fatalf("sandbox apps by key = %v", keys)
	}
	def, _ := rt.Release.Client("default")
	if all, _, err := def.Apps.List(h.ctx()); err != nil || len(all) == 0 {
		t.Fatalf("default key lists %v, %v", all, err)
	} else {
		for _, a := range all {
			if a.Name == "Stamp Rally" {
				t.Fatal("the default key sees client-b's sample app")
			}
		}
	}
}
