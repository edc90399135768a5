package asc

import (
	"slices"
	"testing"
)

var (
	allAppVersionStates = []AppVersionState{
		StateAccepted, StateDeveloperRejected, StateInReview, StateInvalidBinary, StateMetadataRejected,
		StatePendingAppleRelease, StatePendingDeveloperRelease, StatePrepareForSubmission,
		StateProcessingForDistribution, StateReadyForDistribution, StateReadyForReview, StateRejected,
		StateReplacedWithNewVersion, StateWaitingForExportCompliance, StateWaitingForReview,
	}
	allSubmissionStates = []ReviewSubmissionState{
		SubmissionReadyForReview, SubmissionWaitingForReview, SubmissionInReview, SubmissionUnresolvedIssues,
		SubmissionCanceling, SubmissionCompleting, SubmissionComplete,
	}
	allItemStates   = []ReviewSubmissionItemState{ItemReadyForReview, ItemAccepted, ItemApproved, ItemRejected, ItemRemoved}
	allBuildStates  = []BuildProcessingState{BuildProcessing, BuildFailed, BuildInvalid, BuildValid}
	allPhased       = []PhasedReleaseState{PhasedInactive, PhasedActive, PhasedPaused, PhasedComplete}
	allInternalBeta = []InternalBetaState{
		InternalProcessing, InternalProcessingException, InternalMissingExportCompliance, InternalReadyForBetaTesting,
		InternalInBetaTesting, InternalExpired, InternalInExportComplianceReview,
	}
	allExternalBeta = []ExternalBetaState{
		ExternalProcessing, ExternalProcessingException, ExternalMissingExportCompliance, ExternalReadyForBetaTesting,
		ExternalInBetaTesting, ExternalExpired, ExternalReadyForBetaSubmission, ExternalInExportComplianceReview,
		ExternalWaitingForBetaReview, ExternalInBetaReview, ExternalBetaRejected, ExternalBetaApproved, ExternalNotApplicable,
	}
	allPlatforms = []Platform{PlatformIOS, PlatformMacOS, PlatformTvOS, PlatformVisionOS}
	allIAPStates = []InAppPurchaseState{
		IAPReadyToSubmit, IAPWaitingReview, IAPInReview, IAPApproved, IAPRejected, IAPMissingMetadata,
		IAPWaitingForUpload, IAPProcessingContent, IAPDeveloperActionNeeded, IAPPendingBinaryApproval,
		IAPDeveloperRemovedFromSale, IAPRemovedFromSale,
	}
)

func TestConstsMatchSpecEnums(t *testing.T) {
	spec := loadSpec(t)
	schemas := specGet(spec, spec, "components", "schemas")
	tests := []struct {
		name string
		spec []string
		ours []string
	}{
		{"AppVersionState", enumOf(spec, specGet(spec, schemas, "AppVersionState")), sortedStrs(allAppVersionStates...)},
		{"PhasedReleaseState", enumOf(spec, specGet(spec, schemas, "PhasedReleaseState")), sortedStrs(allPhased...)},
		{"Platform", enumOf(spec, specGet(spec, schemas, "Platform")), sortedStrs(allPlatforms...)},
		{"ReviewSubmission.state", enumOf(spec, specGet(spec, schemas, "ReviewSubmission", "properties", "attributes", "properties", "state")), sortedStrs(allSubmissionStates...)},
		{"ReviewSubmissionItem.state", enumOf(spec, specGet(spec, schemas, "ReviewSubmissionItem", "properties", "attributes", "properties", "state")), sortedStrs(allItemStates...)},
		{"Build.processingState", enumOf(spec, specGet(spec, schemas, "Build", "properties", "attributes", "properties", "processingState")), sortedStrs(allBuildStates...)},
		{"AppStoreVersion.releaseType", enumOf(spec, specGet(spec, schemas, "AppStoreVersion", "properties", "attributes", "properties", "releaseType")), sortedStrs(ReleaseManual, ReleaseAfterApproval, ReleaseScheduled)},
	}
	tests = append(tests, []struct {
		name string
		spec []string
		ours []string
	}{
		{"InternalBetaState", enumOf(spec, specGet(spec, schemas, "InternalBetaState")), sortedStrs(allInternalBeta...)},
		{"ExternalBetaState", enumOf(spec, specGet(spec, schemas, "ExternalBetaState")), sortedStrs(allExternalBeta...)},
		{"BetaReviewState", enumOf(spec, specGet(spec, schemas, "BetaReviewState")), sortedStrs(BetaReviewWaiting, BetaReviewInReview, BetaReviewRejected, BetaReviewApproved)},
		{"BetaTesterState", enumOf(spec, specGet(spec, schemas, "BetaTesterState")), sortedStrs(TesterNotInvited, TesterInvited, TesterAccepted, TesterInstalled, TesterRevoked)},
		{"BetaInviteType", enumOf(spec, specGet(spec, schemas, "BetaInviteType")), sortedStrs(InviteEmail, InvitePublicLink)},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.spec) == 0 {
				t.Fatal("enum not found in spec")
			}
			if !slices.Equal(tt.spec, tt.ours) {
				t.Errorf("consts differ from spec\n spec: %v\n ours: %v", tt.spec, tt.ours)
			}
		})
	}
	t.Run("InAppPurchaseState subset", func(t *testing.T) {
		specIAP := enumOf(spec, specGet(spec, schemas, "InAppPurchaseState"))
		for _, s := range allIAPStates {
			if !slices.Contains(specIAP, string(s)) {
				t.Errorf("%s is not in the spec's InAppPurchaseState", s)
			}
		}
		for _, s := range specIAP {
			if l := InAppPurchaseState(s).Label(); l == "" {
				t.Errorf("no label for %s", s)
			}
		}
	})
	t.Run("every AppVersionState has a curated label", func(t *testing.T) {
		for _, s := range enumOf(spec, specGet(spec, schemas, "AppVersionState")) {
			if _, ok := appVersionStateLabels[AppVersionState(s)]; !ok {
				t.Errorf("no label for %s", s)
			}
		}
	})
	t.Run("every deprecated AppStoreVersionState maps to a spec AppVersionState or is documented as passed through", func(t *testing.T) {
		passThrough := []string{"PENDING_CONTRACT", "NOT_APPLICABLE"}
		newEnum := enumOf(spec, specGet(spec, schemas, "AppVersionState"))
		for _, s := range enumOf(spec, specGet(spec, schemas, "AppStoreVersionState")) {
			got := AppStoreVersion{AppStoreState: s}.State()
			if !slices.Contains(newEnum, string(got)) && !slices.Contains(passThrough, s) {
				t.Errorf("appStoreState %s → %s, not an AppVersionState", s, got)
			}
		}
	})
}

func TestStateFromDeprecated(t *testing.T) {
	tests := []struct {
		v    AppStoreVersion
		want AppVersionState
	}{
		{AppStoreVersion{AppVersionState: StateInReview, AppStoreState: "READY_FOR_SALE"}, StateInReview},
		{AppStoreVersion{AppStoreState: "READY_FOR_SALE"}, StateReadyForDistribution},
		{AppStoreVersion{AppStoreState: "PROCESSING_FOR_APP_STORE"}, StateProcessingForDistribution},
		{AppStoreVersion{AppStoreState: "DEVELOPER_REMOVED_FROM_SALE"}, StateReadyForDistribution},
		{AppStoreVersion{AppStoreState: "REMOVED_FROM_SALE"}, StateReadyForDistribution},
		{AppStoreVersion{AppStoreState: "PREORDER_READY_FOR_SALE"}, StateReadyForDistribution},
		{AppStoreVersion{AppStoreState: "WAITING_FOR_REVIEW"}, StateWaitingForReview},
		{AppStoreVersion{AppStoreState: "PENDING_CONTRACT"}, "PENDING_CONTRACT"},
		{AppStoreVersion{}, ""},
	}
	for _, tt := range tests {
		if got := tt.v.State(); got != tt.want {
			t.Errorf("State(%q/%q) = %q, want %q", tt.v.AppVersionState, tt.v.AppStoreState, got, tt.want)
		}
	}
}

func TestLabels(t *testing.T) {
	tests := []struct{ got, want string }{
		{StatePrepareForSubmission.Label(), "Prepare for Submission"},
		{StateWaitingForReview.Label(), "Waiting for Review"},
		{StatePendingDeveloperRelease.Label(), "Pending Developer Release"},
		{StateReplacedWithNewVersion.Label(), "Replaced with New Version"},
		{StateWaitingForExportCompliance.Label(), "Waiting for Export Compliance"},
		{AppVersionState("PENDING_CONTRACT").Label(), "Pending Contract"},
		{SubmissionUnresolvedIssues.Label(), "Unresolved Issues"},
		{ItemApproved.Label(), "Approved"},
		{BuildProcessing.Label(), "Processing"},
		{PhasedPaused.Label(), "Paused"},
		{IAPReadyToSubmit.Label(), "Ready to Submit"},
		{PlatformIOS.Label(), "iOS"},
		{PlatformVisionOS.Label(), "visionOS"},
		{Platform("WATCH_OS").Label(), "Watch Os"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("label %q, want %q", tt.got, tt.want)
		}
	}
	for _, s := range allSubmissionStates {
		if _, ok := submissionStateLabels[s]; !ok {
			t.Errorf("no curated label for %s", s)
		}
	}
	for _, s := range allItemStates {
		if _, ok := itemStateLabels[s]; !ok {
			t.Errorf("no curated label for %s", s)
		}
	}
	for _, s := range allBuildStates {
		if _, ok := buildStateLabels[s]; !ok {
			t.Errorf("no curated label for %s", s)
		}
	}
	for _, s := range allPhased {
		if _, ok := phasedStateLabels[s]; !ok {
			t.Errorf("no curated label for %s", s)
		}
	}
	for _, s := range allIAPStates {
		if _, ok := iapStateLabels[s]; !ok {
			t.Errorf("no curated label for %s", s)
		}
	}
}

func TestStatePredicates(t *testing.T) {
	inFlight := []AppVersionState{StateWaitingForReview, StateInReview, StatePendingDeveloperRelease,
		StatePendingAppleRelease, StateProcessingForDistribution, StateAccepted, StateWaitingForExportCompliance}
	editable := []AppVersionState{StatePrepareForSubmission, StateReadyForReview, StateDeveloperRejected,
		StateRejected, StateMetadataRejected, StateInvalidBinary}
	rejected := []AppVersionState{StateRejected, StateMetadataRejected, StateInvalidBinary}
	for _, s := range allAppVersionStates {
		if s.InFlight() != slices.Contains(inFlight, s) {
			t.Errorf("%s.InFlight() = %v", s, s.InFlight())
		}
		if s.Editable() != slices.Contains(editable, s) {
			t.Errorf("%s.Editable() = %v", s, s.Editable())
		}
		if s.Rejected() != slices.Contains(rejected, s) {
			t.Errorf("%s.Rejected() = %v", s, s.Rejected())
		}
		if s.InFlight() && s.Editable() {
			t.Errorf("%s is both in flight and editable", s)
		}
	}
	if !StateReadyForDistribution.Live() || StatePendingDeveloperRelease.Live() {
		t.Error("Live() wrong")
	}
	for _, s := range allSubmissionStates {
		if s.Open() != (s != SubmissionComplete) {
			t.Errorf("%s.Open() = %v", s, s.Open())
		}
	}
	if len(openSubmissionStates) != len(allSubmissionStates)-1 || slices.Contains(openSubmissionStates, SubmissionComplete) {
		t.Errorf("openSubmissionStates = %v", openSubmissionStates)
	}
}

func TestManualRelease(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rt   ReleaseType
		want bool
	}{{"", true}, {ReleaseManual, true}, {ReleaseAfterApproval, false}, {ReleaseScheduled, false}} {
		v := AppStoreVersion{ReleaseType: tc.rt}
		if got := v.ManualRelease(); got != tc.want {
			t.Errorf("ManualRelease(%q) = %v, want %v", tc.rt, got, tc.want)
		}
	}
}

// TestSubmissionCancellable: Apple cancels only a submission sent to App
// Review and not yet settled; a READY_FOR_REVIEW draft is refused.
func TestSubmissionCancellable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    ReviewSubmissionState
		want bool
	}{
		{SubmissionReadyForReview, false},
		{SubmissionWaitingForReview, true},
		{SubmissionInReview, true},
		{SubmissionUnresolvedIssues, true},
		{SubmissionCanceling, false},
		{SubmissionCompleting, false},
		{SubmissionComplete, false},
	} {
		if got := tc.s.Cancellable(); got != tc.want {
			t.Errorf("%s.Cancellable() = %v, want %v", tc.s, got, tc.want)
		}
	}
}
