package ascsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (h *harness) submitBeta(t *testing.T, buildID string) {
	t.Helper()
	h.do("PATCH", "/v1/builds/"+buildID, resource("builds", buildID, map[string]any{"usesNonExemptEncryption": false}, nil)).must(t, 200)
	h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil,
		map[string]any{"build": link("builds", buildID)})).must(t, 201)
}

// TestBetaReviewAdvancesPerStage: in sandbox mode (ReviewStage > 0) a beta
// review moves WAITING_FOR_REVIEW → IN_REVIEW → APPROVED one stage per tick.
func TestBetaReviewAdvancesPerStage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.ReviewStage = time.Hour; o.TickInterval = time.Hour }).seed()
	h.submitBeta(t, h.demo.Build4ID)
	want := []string{"WAITING_FOR_BETA_REVIEW", "IN_BETA_REVIEW", "BETA_APPROVED", "BETA_APPROVED"}
	for i, w := range want {
		if bv, _ := h.srv.BetaBuild(h.demo.Build4ID); bv.ExternalState != w {
			t.Fatalf("stage %d: %s, want %s", i, bv.ExternalState, w)
		}
		h.clock.Advance(time.Hour)
		h.srv.Tick()
	}
}

// TestBetaRulesRefuse: the simulator's refusals, each a 409 in Apple's shape.
func TestBetaRulesRefuse(t *testing.T) {
	t.Parallel()
	h := newHarness(t).seed()
	d := h.demo
	// PROCESSING build: neither a group nor a review.
	h.do("POST", "/v1/builds/"+d.Build5ID+"/relationships/betaGroups", map[string]any{"data": []any{link("betaGroups", d.InternalGroupID)["data"]}}).
		firstErr(t, 409, "STATE_ERROR")
	h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil, map[string]any{"build": link("builds", d.Build5ID)})).
		firstErr(t, 409, "STATE_ERROR")
	// Missing export compliance: no review.
	e := h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil, map[string]any{"build": link("builds", d.Build3ID)})).
		firstErr(t, 409, "STATE_ERROR")
	if !strings.Contains(e["detail"].(string), "export compliance") {
		t.Errorf("detail = %v", e["detail"])
	}
	// One review per build.
	h.submitBeta(t, d.Build4ID)
	h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil, map[string]any{"build": link("builds", d.Build4ID)})).
		firstErr(t, 409, "STATE_ERROR")
	if bv, _ := h.srv.BetaBuild(d.Build4ID); bv.Reviews != 1 {
		t.Fatalf("reviews = %d", bv.Reviews)
	}
	// Builds expire 90 days after upload.
	h.clock.Advance(91 * 24 * time.Hour)
	h.do("POST", "/v1/betaGroups/"+d.InternalGroupID+"/relationships/builds", map[string]any{"data": []any{link("builds", d.Build4ID)["data"]}}).
		firstErr(t, 409, "STATE_ERROR")
	if bv, _ := h.srv.BetaBuild(d.Build4ID); bv.InternalState != "EXPIRED" {
		t.Fatalf("internal state = %s", bv.InternalState)
	}
	// What to Test over 4000 characters.
	h.do("POST", "/v1/betaBuildLocalizations", resource("betaBuildLocalizations", "", map[string]any{"locale": "en-US", "whatsNew": strings.Repeat("x", 4001)},
		map[string]any{"build": link("builds", d.Build3ID)})).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
}

// TestBetaControlAPI moves a beta review through the control endpoints.
func TestBetaControlAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.ControlAPI = true }).seed()
	post := func(path string) int {
		t.Helper()
		r, err := http.Post(h.ts.URL+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(r.Body).Decode(&out)
		return r.StatusCode
	}
	b := h.demo.Build4ID
	if code := post("/_sim/builds/" + b + "/beta-review/start"); code != 409 {
		t.Fatalf("start before submission: %d", code)
	}
	h.submitBeta(t, b)
	for _, step := range []struct {
		path string
		code int
	}{{"start", 200}, {"start", 409}, {"reject", 200}, {"approve", 409}} {
		if code := post("/_sim/builds/" + b + "/beta-review/" + step.path); code != step.code {
			t.Fatalf("%s: %d, want %d", step.path, code, step.code)
		}
	}
	if code := post("/_sim/builds/nope/beta-review/approve"); code != 404 {
		t.Fatalf("unknown build: %d", code)
	}
	if code := post("/_sim/builds/" + h.demo.Build3ID + "/expire"); code != 200 {
		t.Fatalf("expire: %d", code)
	}
	if bv, _ := h.srv.BetaBuild(b); bv.ExternalState != "BETA_REJECTED" {
		t.Fatalf("state = %s", bv.ExternalState)
	}
}
