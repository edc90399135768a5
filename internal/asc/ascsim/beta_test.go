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

// TestBetaRulesRefuse: the simulator's TestFlight refusals, 422
// ENTITY_UNPROCESSABLE in Apple's shape (see the rules in beta.go).
func TestBetaRulesRefuse(t *testing.T) {
	t.Parallel()
	h := newHarness(t).seed()
	d := h.demo
	const notProcessed = "The build is not in a valid processing state for this operation."
	// PROCESSING build: neither a group nor a review.
	e := h.do("POST", "/v1/builds/"+d.Build5ID+"/relationships/betaGroups", map[string]any{"data": []any{link("betaGroups", d.InternalGroupID)["data"]}}).
		firstErr(t, 422, "ENTITY_UNPROCESSABLE")
	if e["title"] != notProcessed || e["detail"] != notProcessed {
		t.Errorf("title/detail = %v / %v", e["title"], e["detail"])
	}
	h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil, map[string]any{"build": link("builds", d.Build5ID)})).
		firstErr(t, 422, "ENTITY_UNPROCESSABLE")
	// Missing export compliance: no review.
	e = h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil, map[string]any{"build": link("builds", d.Build3ID)})).
		firstErr(t, 422, "ENTITY_UNPROCESSABLE")
	if !strings.Contains(e["detail"].(string), "export compliance") {
		t.Errorf("detail = %v", e["detail"])
	}
	// One review per build: Apple's INVALID_QC_STATE.
	h.submitBeta(t, d.Build4ID)
	h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil, map[string]any{"build": link("builds", d.Build4ID)})).
		firstErr(t, 422, "ENTITY_UNPROCESSABLE.INVALID_QC_STATE")
	if bv, _ := h.srv.BetaBuild(d.Build4ID); bv.Reviews != 1 {
		t.Fatalf("reviews = %d", bv.Reviews)
	}
	// A build of another app: 409 relationship invalid.
	h.do("POST", "/v1/betaGroups/"+d.InternalGroupID+"/relationships/builds", map[string]any{"data": []any{link("builds", d.SecondBuildID)["data"]}}).
		firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
	// Builds expire 90 days after upload.
	h.clock.Advance(91 * 24 * time.Hour)
	h.do("POST", "/v1/betaGroups/"+d.InternalGroupID+"/relationships/builds", map[string]any{"data": []any{link("builds", d.Build4ID)["data"]}}).
		firstErr(t, 422, "ENTITY_UNPROCESSABLE")
	if bv, _ := h.srv.BetaBuild(d.Build4ID); bv.InternalState != "EXPIRED" {
		t.Fatalf("internal state = %s", bv.InternalState)
	}
	// What to Test over 4000 characters.
	h.do("POST", "/v1/betaBuildLocalizations", resource("betaBuildLocalizations", "", map[string]any{"locale": "en-US", "whatsNew": strings.Repeat("x", 4001)},
		map[string]any{"build": link("builds", d.Build3ID)})).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
}

// TestRuleOneBuildPerTrainInBetaReview: while build 4 of 1.1.0 waits for
// beta review, build 3 of the same train is refused with Apple's
// ANOTHER_BUILD_IN_REVIEW; once build 4's review is decided (or build 4
// expires) build 3 is accepted. A build of another train is not affected.
func TestRuleOneBuildPerTrainInBetaReview(t *testing.T) {
	t.Parallel()
	for _, end := range []string{"approve", "reject", "expire"} {
		t.Run(end, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t).seed()
			d := h.demo
			h.submitBeta(t, d.Build4ID)
			h.do("PATCH", "/v1/builds/"+d.Build3ID, resource("builds", d.Build3ID, map[string]any{"usesNonExemptEncryption": false}, nil)).must(t, 200)
			e := h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil, map[string]any{"build": link("builds", d.Build3ID)})).
				firstErr(t, 422, "ENTITY_UNPROCESSABLE.ANOTHER_BUILD_IN_REVIEW")
			if e["title"] != "Another build is in review." || e["detail"] != "Another build in the same train is already in beta review." {
				t.Errorf("title/detail = %v / %v", e["title"], e["detail"])
			}
			if err := h.srv.StartBetaReview(d.Build4ID); err != nil {
				t.Fatal(err)
			}
			h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil, map[string]any{"build": link("builds", d.Build3ID)})).
				firstErr(t, 422, "ENTITY_UNPROCESSABLE.ANOTHER_BUILD_IN_REVIEW")
			var err error
			switch end {
			case "approve":
				err = h.srv.ApproveBetaReview(d.Build4ID)
			case "reject":
				err = h.srv.RejectBetaReview(d.Build4ID)
			case "expire":
				h.do("PATCH", "/v1/builds/"+d.Build4ID, resource("builds", d.Build4ID, map[string]any{"expired": true}, nil)).must(t, 200)
			}
			if err != nil {
				t.Fatal(err)
			}
			h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil, map[string]any{"build": link("builds", d.Build3ID)})).must(t, 201)
		})
	}
}

// TestRuleMissingComplianceNotAddedToGroup: a build without an
// export-compliance answer is refused by every group (422) and accepted once
// the answer is set.
func TestRuleMissingComplianceNotAddedToGroup(t *testing.T) {
	t.Parallel()
	h := newHarness(t).seed()
	d := h.demo
	for _, g := range []string{d.InternalGroupID, d.ExternalGroupID} {
		e := h.do("POST", "/v1/betaGroups/"+g+"/relationships/builds", map[string]any{"data": []any{link("builds", d.Build3ID)["data"]}}).
			firstErr(t, 422, "ENTITY_UNPROCESSABLE")
		if !strings.Contains(e["detail"].(string), "export compliance") {
			t.Errorf("detail = %v", e["detail"])
		}
	}
	if bv, _ := h.srv.BetaBuild(d.Build3ID); len(bv.GroupIDs) != 0 {
		t.Fatalf("groups = %v", bv.GroupIDs)
	}
	h.do("PATCH", "/v1/builds/"+d.Build3ID, resource("builds", d.Build3ID, map[string]any{"usesNonExemptEncryption": false}, nil)).must(t, 200)
	h.do("POST", "/v1/betaGroups/"+d.InternalGroupID+"/relationships/builds", map[string]any{"data": []any{link("builds", d.Build3ID)["data"]}}).must(t, 204)
	if bv, _ := h.srv.BetaBuild(d.Build3ID); bv.InternalState != "IN_BETA_TESTING" {
		t.Fatalf("internal state = %s", bv.InternalState)
	}
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

// TestBetaRelinkUnknownIDs: an id in a build↔group relationship body that
// names nothing is refused from either side, naming the body's resource
// type, and no link is made.
func TestBetaRelinkUnknownIDs(t *testing.T) {
	t.Parallel()
	h := newHarness(t).seed()
	d := h.demo
	for _, tc := range []struct{ path, typ string }{
		{"/v1/builds/" + d.Build4ID + "/relationships/betaGroups", "betaGroups"},
		{"/v1/betaGroups/" + d.InternalGroupID + "/relationships/builds", "builds"},
	} {
		e := h.do("POST", tc.path, map[string]any{"data": []any{link(tc.typ, "nope")["data"]}}).
			firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
		if want := "There is no resource of type '" + tc.typ + "' with id 'nope'"; e["detail"] != want {
			t.Errorf("%s: detail = %v, want %q", tc.path, e["detail"], want)
		}
	}
	if bv, _ := h.srv.BetaBuild(d.Build4ID); len(bv.GroupIDs) != 0 {
		t.Errorf("build 4 is in groups %v after refused requests", bv.GroupIDs)
	}
}
