package watch

import (
	"context"
	"crypto/ecdsa"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
)

// TestOneKeysRateLimitDoesNotSlowAnother: two API keys, one app each. A
// 429 on the default key backs off that key's lane only: the next
// scheduled activation polls client-b's app and announces its change,
// while the default key's app is not read until its back-off ends.
func TestOneKeysRateLimitDoesNotSlowAnother(t *testing.T) {
	t.Parallel()
	kidB, issB, keyB := ascsim.NewTestKey()
	h := newHarness(t, harnessConfig{simOpts: func(o *ascsim.Options) {
		o.HourlyLimit = 1_000_000 // no stretching: only the 429 slows a key
		o.Teams = []ascsim.Team{{Name: "b", IssuerID: issB, Keys: map[string]*ecdsa.PublicKey{kidB: &keyB.PublicKey}}}
	}})
	idB := h.sim.AddApp(ascsim.App{Name: "Team B App", BundleID: "com.teamb.app", Team: "b"})
	no := false
	bld := h.sim.AddBuild(idB, ascsim.BuildSeed{Version: "1", MarketingVersion: "1.0", UsesNonExemptEncryption: &no})
	vB := h.sim.AddVersion(idB, ascsim.VersionSeed{VersionString: "1.0", BuildID: bld})
	clientB, err := asc.NewClient(asc.Credentials{KeyID: kidB, IssuerID: issB, PrivateKey: keyB},
		asc.WithBaseURL(h.ts.URL), asc.WithRetryPolicy(asc.RetryPolicy{MaxAttempts: 1}))
	h.must(err)
	h.cfg.Keys = []config.Key{{Name: config.DefaultKey}, {Name: "client-b"}}
	h.cfg.Apps = append(h.cfg.Apps, config.App{ID: idB, Key: "client-b", Channel: "C0TEAMB"})
	h.keys = map[string]*asc.Client{config.DefaultKey: h.client, "client-b": clientB}
	h.restart()

	h.tick() // baselines, both keys good
	if got := h.rel.KeyOf(idB); got != "client-b" {
		t.Fatalf("KeyOf(team b's app) = %q", got)
	}
	reads := func(appID string) int {
		n := 0
		for _, r := range h.sim.Requests() {
			if strings.HasPrefix(r.Path, "/v1/apps/"+appID) {
				n++
			}
		}
		return n
	}

	h.sim.InjectFault(ascsim.Fault{PathPrefix: "/v1/apps/" + h.app.ID, Status: 429, RetryAfter: time.Hour, Count: 1})
	if err := h.w.Tick(context.Background()); !asc.IsRateLimited(err) {
		t.Fatalf("tick with the default key rate limited: %v", err)
	}
	def, b := h.w.KeyStatus(config.DefaultKey), h.w.KeyStatus("client-b")
	if !def.BackoffUntil.After(time.Now().Add(50*time.Minute)) || !strings.Contains(def.LastError, "429") {
		t.Fatalf("default key after a 429: %+v, want an hour's back-off", def)
	}
	if b.LastError != "" || !b.BackoffUntil.IsZero() {
		t.Fatalf("client-b after the default key's 429: %+v, want untouched", b)
	}

	// Team b's version moves; the next activation announces it, without
	// reading the backed-off key's app.
	sub, _, err := clientB.Submissions.Create(context.Background(), idB, asc.PlatformIOS)
	h.must(err)
	_, _, err = clientB.Submissions.AddVersion(context.Background(), sub.ID, vB)
	h.must(err)
	_, _, err = clientB.Submissions.Submit(context.Background(), sub.ID)
	h.must(err)
	before := reads(h.app.ID)
	h.w.runScheduled()
	if n := reads(h.app.ID) - before; n != 0 {
		t.Errorf("the backed-off key's app was read %d times", n)
	}
	found := false
	for _, e := range h.rec.Versions() {
		found = found || (e.App.ID == idB && e.To == asc.StateWaitingForReview)
	}
	if !found {
		t.Fatalf("team b's Waiting for Review was not announced during the default key's back-off: %+v", h.rec.Versions())
	}
	if s := h.w.PollSummary("client-b"); !strings.HasPrefix(s, "API key *client-b* · Polling every") || strings.Contains(s, "rate limited") {
		t.Errorf("client-b summary = %q", s)
	}
	if s := h.w.PollSummary(config.DefaultKey); !strings.Contains(s, "rate limited, paused until") {
		t.Errorf("default summary = %q", s)
	}
}
