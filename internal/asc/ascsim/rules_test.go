package ascsim

import (
	"strings"
	"testing"
	"time"
)

// Tests named after the rules the package documentation marks "assumed":
// when a source settles one of them, its test is the one place to change.

// TestRuleBinaryRejectionNeedsNewBuild: after REJECTED or INVALID_BINARY the
// rejected build cannot be resubmitted; another build can, through the same
// submission. METADATA_REJECTED keeps its build (TestRejectionFlow).
func TestRuleBinaryRejectionNeedsNewBuild(t *testing.T) {
	for _, state := range []string{"REJECTED", "INVALID_BINARY"} {
		t.Run(state, func(t *testing.T) {
			h := newHarness(t).seed()
			d := h.demo
			subID := h.mustSubmitNewVersion(t)
			if err := h.srv.Reject(d.NewVersionID, state); err != nil {
				t.Fatal(err)
			}
			e := h.submit(subID).firstErr(t, 409, "STATE_ERROR.ENTITY_STATE_INVALID")
			if !strings.Contains(e["detail"].(string), "was rejected by App Review ("+state+")") {
				t.Fatalf("error = %v", e)
			}
			h.attachNewBuild(t, "42")
			h.submit(subID).must(t, 200)
		})
	}
}

// TestRuleCancelingSettlesOnTick: a canceled submission answers CANCELING and
// stays so until the next Tick (one ReviewStage in sandbox mode).
func TestRuleCancelingSettlesOnTick(t *testing.T) {
	h := newHarness(t).seed()
	subID := h.mustSubmitNewVersion(t)
	h.do("PATCH", "/v1/reviewSubmissions/"+subID, resource("reviewSubmissions", subID, map[string]any{"canceled": true}, nil)).must(t, 200)
	for range 3 {
		if st := h.submissionState(t, subID); st != "CANCELING" {
			t.Fatalf("before the tick = %s", st)
		}
	}
	h.srv.Tick()
	if st := h.submissionState(t, subID); st != "COMPLETE" {
		t.Fatalf("after the tick = %s", st)
	}
}

// TestRuleReleaseOptionsOnlyBeforeSubmission: releaseType and
// earliestReleaseDate change only while the version is editable.
func TestRuleReleaseOptionsOnlyBeforeSubmission(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	patch := func(a map[string]any) *resp {
		return h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID, resource("appStoreVersions", d.NewVersionID, a, nil))
	}
	patch(map[string]any{"releaseType": "AFTER_APPROVAL"}).must(t, 200)
	h.mustSubmitNewVersion(t)
	e := patch(map[string]any{"releaseType": "MANUAL"}).firstErr(t, 409, "STATE_ERROR")
	if e["detail"] != "Attribute 'releaseType' cannot be edited at this time" {
		t.Fatalf("error = %v", e)
	}
	at := h.clock.Now().Add(72 * time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	patch(map[string]any{"earliestReleaseDate": at}).firstErr(t, 409, "STATE_ERROR")
}

// TestRuleEarliestReleaseDateOnTheHourInFuture: a scheduled date must be in
// the future and on the hour; SCHEDULED needs one.
func TestRuleEarliestReleaseDateOnTheHourInFuture(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	patch := func(a map[string]any) *resp {
		return h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID, resource("appStoreVersions", d.NewVersionID, a, nil))
	}
	patch(map[string]any{"releaseType": "SCHEDULED"}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.REQUIRED")
	past := h.clock.Now().Add(-time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	if e := patch(map[string]any{"releaseType": "SCHEDULED", "earliestReleaseDate": past}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID"); e["detail"] != "'earliestReleaseDate' must be in the future" {
		t.Fatalf("error = %v", e)
	}
	half := h.clock.Now().Add(48*time.Hour + 30*time.Minute).Format(time.RFC3339)
	patch(map[string]any{"releaseType": "SCHEDULED", "earliestReleaseDate": half}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
}

// TestRulePhasedOnlyBeforeDistribution: a phased release is created INACTIVE,
// once per version, and not once distribution started.
func TestRulePhasedOnlyBeforeDistribution(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	create := func() *resp {
		return h.do("POST", "/v1/appStoreVersionPhasedReleases", resource("appStoreVersionPhasedReleases", "", nil,
			map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)}))
	}
	if err := h.srv.SetVersionState(d.NewVersionID, "PROCESSING_FOR_DISTRIBUTION"); err != nil {
		t.Fatal(err)
	}
	create().firstErr(t, 409, "STATE_ERROR")
	if err := h.srv.SetVersionState(d.NewVersionID, "PREPARE_FOR_SUBMISSION"); err != nil {
		t.Fatal(err)
	}
	if a := attrs(create().must(t, 201).data(t)); a["phasedReleaseState"] != "INACTIVE" {
		t.Fatalf("phased = %v", a)
	}
	create().firstErr(t, 409, "STATE_ERROR")
}

// TestPhasedDeleteOnlyWhenPlanned: DELETE cancels a phased release that has
// not started (Apple's doc), not one under way.
func TestPhasedDeleteOnlyWhenPlanned(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	create := func() string {
		return h.do("POST", "/v1/appStoreVersionPhasedReleases", resource("appStoreVersionPhasedReleases", "", nil,
			map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)})).must(t, 201).data(t)["id"].(string)
	}
	pid := create()
	h.do("DELETE", "/v1/appStoreVersionPhasedReleases/"+pid, nil).must(t, 204)
	if p, ok := h.srv.PhasedRelease(d.NewVersionID); ok {
		t.Fatalf("phased release after delete = %+v", p)
	}
	h.do("DELETE", "/v1/appStoreVersionPhasedReleases/"+pid, nil).firstErr(t, 404, "NOT_FOUND")
	pid = create()
	if err := h.srv.SetVersionState(d.NewVersionID, "READY_FOR_DISTRIBUTION"); err != nil {
		t.Fatal(err)
	}
	h.do("DELETE", "/v1/appStoreVersionPhasedReleases/"+pid, nil).firstErr(t, 409, "STATE_ERROR")
}
