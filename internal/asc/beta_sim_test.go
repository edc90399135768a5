package asc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/asc"
)

// TestTestFlightFlowThroughClientAgainstSimulator walks TestFlight through
// the client against the simulator: groups and testers as seeded → a build
// missing export compliance cannot be submitted → compliance answered → an
// internal group gets the build at once → What to Test in two locales →
// external group + beta review → approved → testable externally; a second
// submission is a 409; an expired build cannot be added.
func TestTestFlightFlowThroughClientAgainstSimulator(t *testing.T) {
	t.Parallel()
	c, sim, ids := simClient(t)
	ctx := t.Context()

	groups, _, err := c.BetaGroups.List(ctx, asc.BetaGroupListOptions{AppID: ids.AppID})
	if err != nil || len(groups) != 2 {
		t.Fatalf("BetaGroups.List = %+v, %v", groups, err)
	}
	var internal, external asc.BetaGroup
	for _, g := range groups {
		if g.Internal {
			internal = g
		} else {
			external = g
		}
	}
	if internal.ID != ids.InternalGroupID || external.ID != ids.ExternalGroupID || external.Name != "Public Beta" || internal.AppID != ids.AppID {
		t.Fatalf("groups = %+v", groups)
	}
	testers, _, err := c.BetaGroups.Testers(ctx, external.ID)
	if err != nil || len(testers) != 2 || testers[0].Email == "" || testers[0].State == "" {
		t.Fatalf("Testers = %+v, %v", testers, err)
	}

	if locs, _, err := c.BetaBuilds.Locales(ctx, ids.AppID); err != nil || len(locs) != 2 || locs[0] != "en-US" || locs[1] != "ja" {
		t.Fatalf("Locales = %v, %v", locs, err)
	}
	// Build 4 has no export-compliance answer.
	bb, _, err := c.BetaBuilds.Get(ctx, ids.Build4ID)
	if err != nil {
		t.Fatal(err)
	}
	if bb.Build.Version != "4" || bb.Build.MarketingVersion != "1.1.0" || bb.Detail == nil ||
		bb.Detail.InternalState != asc.InternalMissingExportCompliance || bb.Detail.ExternalState != asc.ExternalMissingExportCompliance ||
		len(bb.Groups) != 0 || bb.Review != nil {
		t.Fatalf("BetaBuilds.Get = %+v detail %+v", bb, bb.Detail)
	}
	if _, _, err := c.BetaBuilds.SubmitForReview(ctx, ids.Build4ID); !isStatus(err, 422) || errors.Is(err, asc.ErrAlreadySubmitted) {
		t.Fatalf("submit without export compliance: err = %v, want Apple's 422", err)
	}
	if _, err := c.BetaGroups.AddBuild(ctx, ids.Build4ID, internal.ID); !isStatus(err, 422) {
		t.Fatalf("add to a group without export compliance: err = %v, want Apple's 422", err)
	}
	if _, _, err := c.Builds.SetUsesNonExemptEncryption(ctx, ids.Build4ID, false); err != nil {
		t.Fatal(err)
	}

	// Internal group: testable at once.
	if _, err := c.BetaGroups.AddBuild(ctx, ids.Build4ID, internal.ID); err != nil {
		t.Fatal(err)
	}
	d, _, err := c.BetaBuilds.Detail(ctx, ids.Build4ID)
	if err != nil || d.InternalState != asc.InternalInBetaTesting || d.ExternalState != asc.ExternalReadyForBetaSubmission {
		t.Fatalf("Detail after internal add = %+v, %v", d, err)
	}

	// What to Test in two locales; the 4000-character limit holds.
	en, _, err := c.BetaBuilds.CreateLocalization(ctx, ids.Build4ID, "en-US", "Try the new scanner.")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.BetaBuilds.CreateLocalization(ctx, ids.Build4ID, "ja", "新しいスキャナーを試してください。"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.BetaBuilds.CreateLocalization(ctx, ids.Build4ID, "ja", "again"); !errors.Is(err, asc.ErrConflict) {
		t.Fatalf("duplicate locale: err = %v, want 409", err)
	}
	if _, _, err := c.BetaBuilds.SetWhatToTest(ctx, en.ID, strings.Repeat("あ", asc.MaxWhatToTest+1)); !errors.Is(err, asc.ErrConflict) {
		t.Fatalf("4001 characters: err = %v, want 409", err)
	}
	if _, _, err := c.BetaBuilds.SetWhatToTest(ctx, en.ID, strings.Repeat("あ", asc.MaxWhatToTest)); err != nil {
		t.Fatalf("4000 characters: %v", err)
	}
	locs, _, err := c.BetaBuilds.Localizations(ctx, ids.Build4ID)
	if err != nil || len(locs) != 2 {
		t.Fatalf("Localizations = %+v, %v", locs, err)
	}

	// External group, beta review, approval.
	if _, err := c.BetaGroups.AddBuild(ctx, ids.Build4ID, external.ID); err != nil {
		t.Fatal(err)
	}
	sub, _, err := c.BetaBuilds.SubmitForReview(ctx, ids.Build4ID)
	if err != nil || sub.State != asc.BetaReviewWaiting || sub.SubmittedDate == nil {
		t.Fatalf("SubmitForReview = %+v, %v", sub, err)
	}
	again, _, err := c.BetaBuilds.SubmitForReview(ctx, ids.Build4ID)
	if !errors.Is(err, asc.ErrAlreadySubmitted) || again == nil || again.ID != sub.ID {
		t.Fatalf("second SubmitForReview = %+v, %v; want the first submission and ErrAlreadySubmitted", again, err)
	}
	if bv, _ := sim.BetaBuild(ids.Build4ID); bv.Reviews != 1 || bv.ExternalState != "WAITING_FOR_BETA_REVIEW" {
		t.Fatalf("sim after submit = %+v", bv)
	}
	if err := sim.StartBetaReview(ids.Build4ID); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := c.BetaBuilds.Detail(ctx, ids.Build4ID); d.ExternalState != asc.ExternalInBetaReview {
		t.Fatalf("after start: %+v", d)
	}
	if err := sim.ApproveBetaReview(ids.Build4ID); err != nil {
		t.Fatal(err)
	}
	bb, _, err = c.BetaBuilds.Get(ctx, ids.Build4ID)
	if err != nil || bb.Detail.ExternalState != asc.ExternalInBetaTesting || bb.Review == nil || bb.Review.State != asc.BetaReviewApproved ||
		len(bb.Groups) != 2 || len(bb.Localizations) != 2 {
		t.Fatalf("after approval: %+v, %v", bb, err)
	}
	got, _, err := c.BetaBuilds.ReviewSubmission(ctx, ids.Build4ID)
	if err != nil || got.ID != sub.ID {
		t.Fatalf("ReviewSubmission = %+v, %v", got, err)
	}
	if rs, _, err := c.BetaBuilds.GetReviewSubmission(ctx, sub.ID); err != nil || rs.State != asc.BetaReviewApproved {
		t.Fatalf("GetReviewSubmission = %+v, %v", rs, err)
	}
	if ids2, _, err := c.BetaGroups.BuildIDs(ctx, external.ID); err != nil || len(ids2) != 1 || ids2[0] != ids.Build4ID {
		t.Fatalf("BuildIDs = %v, %v", ids2, err)
	}

	// Remove from the external group: approved, no longer testable there.
	if _, err := c.BetaGroups.RemoveBuild(ctx, ids.Build4ID, external.ID); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := c.BetaBuilds.Detail(ctx, ids.Build4ID); d.ExternalState != asc.ExternalBetaApproved {
		t.Fatalf("after removal: %+v", d)
	}

	// Newest valid builds with their TestFlight side in one request.
	list, _, err := c.BetaBuilds.List(ctx, asc.BetaBuildListOptions{AppID: ids.AppID, ValidOnly: true, Limit: 1})
	if err != nil || len(list) != 1 || list[0].Build.ID != ids.Build4ID || list[0].Detail == nil {
		t.Fatalf("BetaBuilds.List = %+v, %v", list, err)
	}

	// Expired builds cannot be added; FAILED builds neither.
	if err := sim.ExpireBuild(ids.Build3ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BetaGroups.AddBuild(ctx, ids.Build3ID, internal.ID); !isStatus(err, 422) {
		t.Fatalf("expired build added: err = %v", err)
	}
	if _, err := c.BetaGroups.AddBuilds(ctx, internal.ID, ids.FailedBuildID); !isStatus(err, 422) {
		t.Fatalf("failed build added: err = %v", err)
	}
	if _, err := c.BetaGroups.AddBuild(ctx, ids.SecondBuildID, internal.ID); !errors.Is(err, asc.ErrConflict) {
		t.Fatalf("another app's build added: err = %v", err)
	}
}

// TestTestFlightRejectionAndTesters: a rejected beta review, and testers
// created, re-added and removed, with Apple's refusals.
func TestTestFlightRejectionAndTesters(t *testing.T) {
	t.Parallel()
	c, sim, ids := simClient(t)
	ctx := t.Context()
	if _, _, err := c.BetaBuilds.SubmitForReview(ctx, ids.SecondBuildID); err != nil {
		t.Fatal(err)
	}
	if err := sim.RejectBetaReview(ids.SecondBuildID); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := c.BetaBuilds.Detail(ctx, ids.SecondBuildID); d.ExternalState != asc.ExternalBetaRejected {
		t.Fatalf("after reject: %+v", d)
	}
	if err := sim.ApproveBetaReview(ids.SecondBuildID); err == nil {
		t.Fatal("approving a rejected review succeeded")
	}

	bt, _, err := c.BetaTesters.Create(ctx, asc.BetaTesterCreate{Email: "new.tester@example.com", FirstName: "New", GroupIDs: []string{ids.ExternalGroupID}})
	if err != nil || bt.State != asc.TesterInvited || bt.Email != "new.tester@example.com" {
		t.Fatalf("Create = %+v, %v", bt, err)
	}
	if _, _, err := c.BetaTesters.Create(ctx, asc.BetaTesterCreate{Email: "NEW.tester@example.com", GroupIDs: []string{ids.ExternalGroupID}}); !errors.Is(err, asc.ErrConflict) {
		t.Fatalf("duplicate email: err = %v", err)
	}
	if _, _, err := c.BetaTesters.Create(ctx, asc.BetaTesterCreate{Email: "not-an-email"}); !errors.Is(err, asc.ErrConflict) {
		t.Fatalf("bad email: err = %v", err)
	}
	if _, _, err := c.BetaTesters.Create(ctx, asc.BetaTesterCreate{Email: "outsider@example.com", GroupIDs: []string{ids.InternalGroupID}}); !errors.Is(err, asc.ErrConflict) {
		t.Fatalf("outsider into internal group: err = %v", err)
	}
	found, _, err := c.BetaTesters.FindByEmail(ctx, "New.Tester@example.com")
	if err != nil || found == nil || found.ID != bt.ID {
		t.Fatalf("FindByEmail = %+v, %v", found, err)
	}
	if none, _, err := c.BetaTesters.FindByEmail(ctx, "nobody@example.com"); err != nil || none != nil {
		t.Fatalf("FindByEmail(nobody) = %+v, %v", none, err)
	}
	if _, err := c.BetaGroups.AddTesters(ctx, ids.SecondExternalGroupID, bt.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BetaGroups.AddTesters(ctx, ids.InternalGroupID, bt.ID); !errors.Is(err, asc.ErrConflict) {
		t.Fatalf("non-member into internal group: err = %v", err)
	}
	if tids, _, err := c.BetaGroups.TesterIDs(ctx, ids.SecondExternalGroupID); err != nil || len(tids) != 2 {
		t.Fatalf("TesterIDs = %v, %v", tids, err)
	}
	if _, err := c.BetaGroups.RemoveTesters(ctx, ids.ExternalGroupID, bt.ID); err != nil {
		t.Fatal(err)
	}
	if g, _, err := c.BetaGroups.Get(ctx, ids.ExternalGroupID); err != nil || g.Name != "Public Beta" {
		t.Fatalf("Get = %+v, %v", g, err)
	}
	ts, _, _ := c.BetaGroups.Testers(ctx, ids.ExternalGroupID)
	for _, x := range ts {
		if x.ID == bt.ID {
			t.Fatal("tester still in the group after RemoveTesters")
		}
	}
	if got, _, err := c.BetaTesters.Get(ctx, bt.ID); err != nil || got.Email != bt.Email {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if d, _, err := c.BetaBuilds.Detail(ctx, ids.SecondBuildID); err != nil || !d.AutoNotifyEnabled {
		t.Fatalf("Detail = %+v, %v", d, err)
	} else if d2, _, err := c.BetaBuilds.SetAutoNotify(ctx, d.ID, false); err != nil || d2.AutoNotifyEnabled {
		t.Fatalf("SetAutoNotify = %+v, %v", d2, err)
	}
}

// isStatus reports whether err is an *asc.APIError with that HTTP status.
func isStatus(err error, status int) bool {
	ae, ok := asc.AsAPIError(err)
	return ok && ae.StatusCode == status
}
