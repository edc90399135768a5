package app_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestTestFlightOnStatusAndHome: /asc status and App Home show the newest
// build's TestFlight side (internal and external state, beta review, groups),
// read beside the versions in one compound request that leaves What to Test
// out; the line follows Apple when the build moves on.
func TestTestFlightOnStatusAndHome(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("%s", tfYAML(h))
	rt := h.start()
	ctx := h.ctx()
	ids := h.ids
	if err := h.sim.SetBuildState(ids.Build5ID, "VALID"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rt.ASC.Builds.SetUsesNonExemptEncryption(ctx, ids.Build5ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.ASC.BetaGroups.AddBuild(ctx, ids.Build5ID, ids.InternalGroupID); err != nil {
		t.Fatal(err)
	}

	h.sim.ResetRequests()
	h.slash(userAna, "status KotenOCR")
	const ready = "*TestFlight:* build 5 (1.1.0) · internal Testing · external Ready to Submit · beta review not submitted · in Team"
	h.waitFor("the TestFlight line", h.ephemeralSays(userAna, ready))
	var tf []string
	for _, r := range h.sim.Requests() {
		if r.Path == "/v1/builds" {
			tf = append(tf, r.Query)
		}
	}
	if len(tf) != 1 {
		t.Fatalf("/asc status read TestFlight builds %d times, want once: %v", len(tf), tf)
	}
	if q, _ := url.ParseQuery(tf[0]); strings.Contains(q.Get("include"), "betaBuildLocalizations") || q.Get("limit") != "1" {
		t.Errorf("/asc status read more than its line shows: %s", tf[0])
	}

	if _, _, err := rt.ASC.BetaBuilds.SubmitForReview(ctx, ids.Build5ID); err != nil {
		t.Fatal(err)
	}
	h.slash(userAna, "status KotenOCR")
	h.waitFor("the line after submitting", h.ephemeralSays(userAna, "*TestFlight:* build 5 (1.1.0) · internal Testing · external Waiting for Review · beta review Waiting for Review · in Team"))

	if _, err := h.slack.OpenHome(ctx, userAna); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the TestFlight line on Home", func() bool {
		v, ok := h.slack.Home(userAna)
		return ok && strings.Contains(payloadText(v.Blocks), "TestFlight: build 5 (1.1.0) · internal Testing · external Waiting for Review")
	})
}
