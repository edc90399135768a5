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

// TestRuleCancelOnlyOnceSubmitted: a READY_FOR_REVIEW submission (never sent
// to App Review) cannot be canceled — 409 "Resource is not in cancellable
// state" (field report) — and stays usable; once submitted it can.
func TestRuleCancelOnlyOnceSubmitted(t *testing.T) {
	t.Parallel()
	h := newHarness(t).seed()
	d := h.demo
	subID := h.do("POST", "/v1/reviewSubmissions", resource("reviewSubmissions", "", nil, map[string]any{"app": link("apps", d.AppID)})).must(t, 201).data(t)["id"].(string)
	cancel := func() *resp {
		return h.do("PATCH", "/v1/reviewSubmissions/"+subID, resource("reviewSubmissions", subID, map[string]any{"canceled": true}, nil))
	}
	if e := cancel().firstErr(t, 409, "STATE_ERROR"); e["detail"] != "Resource is not in cancellable state" {
		t.Fatalf("error = %v", e)
	}
	if st := h.submissionState(t, subID); st != "READY_FOR_REVIEW" {
		t.Fatalf("state after the refused cancel = %s", st)
	}
	// The draft is reused: the version goes in and it is submitted.
	h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID+"/relationships/build", link("builds", d.Build4ID)).must(t, 204)
	h.do("PATCH", "/v1/builds/"+d.Build4ID, resource("builds", d.Build4ID, map[string]any{"usesNonExemptEncryption": false}, nil)).must(t, 200)
	v, _ := h.srv.Version(d.NewVersionID)
	for _, id := range v.LocalizationIDs {
		h.do("PATCH", "/v1/appStoreVersionLocalizations/"+id, resource("appStoreVersionLocalizations", id, map[string]any{"whatsNew": "Fixes"}, nil)).must(t, 200)
	}
	h.do("POST", "/v1/reviewSubmissionItems", resource("reviewSubmissionItems", "", nil, map[string]any{
		"reviewSubmission": link("reviewSubmissions", subID), "appStoreVersion": link("appStoreVersions", d.NewVersionID),
	})).must(t, 201)
	h.submit(subID).must(t, 200)
	if a := attrs(cancel().must(t, 200).data(t)); a["state"] != "CANCELING" {
		t.Fatalf("after cancel = %v", a)
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
	e := patch(map[string]any{"releaseType": "MANUAL"}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID.INVALID_STATE")
	if e["detail"] != "The attribute 'releaseType' can not be modified." || e["title"] != "An attribute value is not acceptable for the current resource state." {
		t.Fatalf("error = %v", e)
	}
	at := h.clock.Now().Add(72 * time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	patch(map[string]any{"earliestReleaseDate": at}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID.INVALID_STATE")
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
