package asc

import "strings"

// AppVersionState is AppStoreVersion.appVersionState (spec enum AppVersionState).
type AppVersionState string

// The AppVersionState values declared by the spec.
const (
	StateAccepted                   AppVersionState = "ACCEPTED"
	StateDeveloperRejected          AppVersionState = "DEVELOPER_REJECTED"
	StateInReview                   AppVersionState = "IN_REVIEW"
	StateInvalidBinary              AppVersionState = "INVALID_BINARY"
	StateMetadataRejected           AppVersionState = "METADATA_REJECTED"
	StatePendingAppleRelease        AppVersionState = "PENDING_APPLE_RELEASE"
	StatePendingDeveloperRelease    AppVersionState = "PENDING_DEVELOPER_RELEASE"
	StatePrepareForSubmission       AppVersionState = "PREPARE_FOR_SUBMISSION"
	StateProcessingForDistribution  AppVersionState = "PROCESSING_FOR_DISTRIBUTION"
	StateReadyForDistribution       AppVersionState = "READY_FOR_DISTRIBUTION"
	StateReadyForReview             AppVersionState = "READY_FOR_REVIEW"
	StateRejected                   AppVersionState = "REJECTED"
	StateReplacedWithNewVersion     AppVersionState = "REPLACED_WITH_NEW_VERSION"
	StateWaitingForExportCompliance AppVersionState = "WAITING_FOR_EXPORT_COMPLIANCE"
	StateWaitingForReview           AppVersionState = "WAITING_FOR_REVIEW"
)

// ReviewSubmissionState is ReviewSubmission.state (inline enum in the spec).
type ReviewSubmissionState string

// The ReviewSubmission.state values declared by the spec.
const (
	SubmissionReadyForReview   ReviewSubmissionState = "READY_FOR_REVIEW"
	SubmissionWaitingForReview ReviewSubmissionState = "WAITING_FOR_REVIEW"
	SubmissionInReview         ReviewSubmissionState = "IN_REVIEW"
	SubmissionUnresolvedIssues ReviewSubmissionState = "UNRESOLVED_ISSUES"
	SubmissionCanceling        ReviewSubmissionState = "CANCELING"
	SubmissionCompleting       ReviewSubmissionState = "COMPLETING"
	SubmissionComplete         ReviewSubmissionState = "COMPLETE"
)

// ReviewSubmissionItemState is ReviewSubmissionItem.state (inline enum in the spec).
type ReviewSubmissionItemState string

// The ReviewSubmissionItem.state values declared by the spec.
const (
	ItemReadyForReview ReviewSubmissionItemState = "READY_FOR_REVIEW"
	ItemAccepted       ReviewSubmissionItemState = "ACCEPTED"
	ItemApproved       ReviewSubmissionItemState = "APPROVED"
	ItemRejected       ReviewSubmissionItemState = "REJECTED"
	ItemRemoved        ReviewSubmissionItemState = "REMOVED"
)

// BuildProcessingState is Build.processingState (inline enum in the spec).
type BuildProcessingState string

// The Build.processingState values declared by the spec.
const (
	BuildProcessing BuildProcessingState = "PROCESSING"
	BuildFailed     BuildProcessingState = "FAILED"
	BuildInvalid    BuildProcessingState = "INVALID"
	BuildValid      BuildProcessingState = "VALID"
)

// PhasedReleaseState is spec enum PhasedReleaseState.
type PhasedReleaseState string

// The PhasedReleaseState values declared by the spec.
const (
	PhasedInactive PhasedReleaseState = "INACTIVE"
	PhasedActive   PhasedReleaseState = "ACTIVE"
	PhasedPaused   PhasedReleaseState = "PAUSED"
	PhasedComplete PhasedReleaseState = "COMPLETE"
)

// InAppPurchaseState is spec enum InAppPurchaseState.
type InAppPurchaseState string

// The InAppPurchaseState values the bot acts on (the spec declares more; all
// are carried through as strings).
const (
	IAPReadyToSubmit InAppPurchaseState = "READY_TO_SUBMIT"
	IAPWaitingReview InAppPurchaseState = "WAITING_FOR_REVIEW"
	IAPInReview      InAppPurchaseState = "IN_REVIEW"
	IAPApproved      InAppPurchaseState = "APPROVED"
	IAPRejected      InAppPurchaseState = "REJECTED"

	IAPMissingMetadata          InAppPurchaseState = "MISSING_METADATA"
	IAPWaitingForUpload         InAppPurchaseState = "WAITING_FOR_UPLOAD"
	IAPProcessingContent        InAppPurchaseState = "PROCESSING_CONTENT"
	IAPDeveloperActionNeeded    InAppPurchaseState = "DEVELOPER_ACTION_NEEDED"
	IAPPendingBinaryApproval    InAppPurchaseState = "PENDING_BINARY_APPROVAL"
	IAPDeveloperRemovedFromSale InAppPurchaseState = "DEVELOPER_REMOVED_FROM_SALE"
	IAPRemovedFromSale          InAppPurchaseState = "REMOVED_FROM_SALE"
)

// ---- deprecated appStoreState → AppVersionState ----

// State returns the version's state: AppVersionState when Apple sent it,
// otherwise the deprecated AppStoreState mapped onto the new enum:
//
//   - READY_FOR_SALE → READY_FOR_DISTRIBUTION
//   - PROCESSING_FOR_APP_STORE → PROCESSING_FOR_DISTRIBUTION
//   - PREORDER_READY_FOR_SALE, DEVELOPER_REMOVED_FROM_SALE, REMOVED_FROM_SALE →
//     READY_FOR_DISTRIBUTION: since API 3.3 whether a version is on sale is
//     an availability matter, not a version state; the version itself went
//     through review and was distributed.
//   - values with the same name in both enums map 1:1;
//   - anything else (PENDING_CONTRACT, NOT_APPLICABLE, future values) is
//     returned as-is, so Label() still shows something readable.
func (v AppStoreVersion) State() AppVersionState {
	if v.AppVersionState != "" {
		return v.AppVersionState
	}
	switch v.AppStoreState {
	case "":
		return ""
	case "READY_FOR_SALE", "PREORDER_READY_FOR_SALE", "DEVELOPER_REMOVED_FROM_SALE", "REMOVED_FROM_SALE":
		return StateReadyForDistribution
	case "PROCESSING_FOR_APP_STORE":
		return StateProcessingForDistribution
	}
	return AppVersionState(v.AppStoreState)
}

// ---- labels: the one place that names states for people ----

var (
	appVersionStateLabels = map[AppVersionState]string{
		StateAccepted:                   "Accepted",
		StateDeveloperRejected:          "Developer Rejected",
		StateInReview:                   "In Review",
		StateInvalidBinary:              "Invalid Binary",
		StateMetadataRejected:           "Metadata Rejected",
		StatePendingAppleRelease:        "Pending Apple Release",
		StatePendingDeveloperRelease:    "Pending Developer Release",
		StatePrepareForSubmission:       "Prepare for Submission",
		StateProcessingForDistribution:  "Processing for Distribution",
		StateReadyForDistribution:       "Ready for Distribution",
		StateReadyForReview:             "Ready for Review",
		StateRejected:                   "Rejected",
		StateReplacedWithNewVersion:     "Replaced with New Version",
		StateWaitingForExportCompliance: "Waiting for Export Compliance",
		StateWaitingForReview:           "Waiting for Review",
	}
	submissionStateLabels = map[ReviewSubmissionState]string{
		SubmissionReadyForReview:   "Ready for Review",
		SubmissionWaitingForReview: "Waiting for Review",
		SubmissionInReview:         "In Review",
		SubmissionUnresolvedIssues: "Unresolved Issues",
		SubmissionCanceling:        "Canceling",
		SubmissionCompleting:       "Completing",
		SubmissionComplete:         "Complete",
	}
	itemStateLabels = map[ReviewSubmissionItemState]string{
		ItemReadyForReview: "Ready for Review",
		ItemAccepted:       "Accepted",
		ItemApproved:       "Approved",
		ItemRejected:       "Rejected",
		ItemRemoved:        "Removed",
	}
	buildStateLabels = map[BuildProcessingState]string{
		BuildProcessing: "Processing",
		BuildFailed:     "Failed",
		BuildInvalid:    "Invalid",
		BuildValid:      "Valid",
	}
	phasedStateLabels = map[PhasedReleaseState]string{
		PhasedInactive: "Inactive",
		PhasedActive:   "Active",
		PhasedPaused:   "Paused",
		PhasedComplete: "Complete",
	}
	iapStateLabels = map[InAppPurchaseState]string{
		IAPMissingMetadata:          "Missing Metadata",
		IAPWaitingForUpload:         "Waiting for Upload",
		IAPProcessingContent:        "Processing Content",
		IAPReadyToSubmit:            "Ready to Submit",
		IAPWaitingReview:            "Waiting for Review",
		IAPInReview:                 "In Review",
		IAPDeveloperActionNeeded:    "Developer Action Needed",
		IAPPendingBinaryApproval:    "Pending Binary Approval",
		IAPApproved:                 "Approved",
		IAPDeveloperRemovedFromSale: "Developer Removed from Sale",
		IAPRemovedFromSale:          "Removed from Sale",
		IAPRejected:                 "Rejected",
	}
	platformLabels = map[Platform]string{
		PlatformIOS:      "iOS",
		PlatformMacOS:    "macOS",
		PlatformTvOS:     "tvOS",
		PlatformVisionOS: "visionOS",
	}
)

// label looks s up in m; unknown values are humanised ("SOME_STATE" →
// "Some State") so a new Apple value still reads sensibly.
func label[T ~string](m map[T]string, s T) string {
	if l, ok := m[s]; ok {
		return l
	}
	return humanize(string(s))
}

// humanize turns "PENDING_CONTRACT" into "Pending Contract".
func humanize(s string) string {
	words := strings.Split(strings.ToLower(s), "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// Label returns the state as App Store Connect shows it, e.g. "Waiting for Review".
func (s AppVersionState) Label() string { return label(appVersionStateLabels, s) }

// Label returns the submission state for people.
func (s ReviewSubmissionState) Label() string { return label(submissionStateLabels, s) }

// Label returns the item state for people.
func (s ReviewSubmissionItemState) Label() string { return label(itemStateLabels, s) }

// Label returns the build processing state for people.
func (s BuildProcessingState) Label() string { return label(buildStateLabels, s) }

// Label returns the phased release state for people.
func (s PhasedReleaseState) Label() string { return label(phasedStateLabels, s) }

// Label returns the in-app purchase state for people.
func (s InAppPurchaseState) Label() string { return label(iapStateLabels, s) }

// Label returns the platform's marketing name, e.g. "iOS".
func (p Platform) Label() string { return label(platformLabels, p) }

// ---- state predicates ----

// InFlight reports whether the version has been submitted and is not final
// yet: waiting for or in review, approved but not yet live, or held for
// export compliance.
//
// READY_FOR_REVIEW is deliberately NOT in flight: Apple's help page "App and
// submission statuses" says it means "you've entered all of the required
// metadata … and indicated that you intend to submit it for review, but
// haven't submitted it yet". It is Editable instead.
func (s AppVersionState) InFlight() bool {
	switch s {
	case StateWaitingForReview, StateInReview, StatePendingDeveloperRelease,
		StatePendingAppleRelease, StateProcessingForDistribution, StateAccepted,
		StateWaitingForExportCompliance:
		return true
	}
	return false
}

// Editable reports whether the version can be changed and (re)submitted:
// not yet submitted (PREPARE_FOR_SUBMISSION, READY_FOR_REVIEW) or sent back
// (DEVELOPER_REJECTED, REJECTED, METADATA_REJECTED, INVALID_BINARY).
func (s AppVersionState) Editable() bool {
	switch s {
	case StatePrepareForSubmission, StateReadyForReview, StateDeveloperRejected,
		StateRejected, StateMetadataRejected, StateInvalidBinary:
		return true
	}
	return false
}

// Rejected reports whether App Review sent the version back: REJECTED,
// METADATA_REJECTED or INVALID_BINARY (DEVELOPER_REJECTED is the developer's
// own withdrawal and is not included).
func (s AppVersionState) Rejected() bool {
	switch s {
	case StateRejected, StateMetadataRejected, StateInvalidBinary:
		return true
	}
	return false
}

// Live reports whether the version is the one on the store.
func (s AppVersionState) Live() bool { return s == StateReadyForDistribution }

// Open reports whether the submission is not COMPLETE.
func (s ReviewSubmissionState) Open() bool { return s != SubmissionComplete }

// Cancellable reports whether Apple takes canceled:true on a submission in
// this state: one sent to App Review and not yet decided or already being
// cancelled (WAITING_FOR_REVIEW, IN_REVIEW, UNRESOLVED_ISSUES — the states
// fastlane's reject_if_possible cancels). A READY_FOR_REVIEW draft was never
// sent: Apple answers 409 "Resource is not in cancellable state" (field
// report, see ascsim doc.go rule cancel); the next submit reuses it.
func (s ReviewSubmissionState) Cancellable() bool {
	return s == SubmissionWaitingForReview || s == SubmissionInReview || s == SubmissionUnresolvedIssues
}

// openSubmissionStates is every ReviewSubmission.state except COMPLETE.
var openSubmissionStates = []ReviewSubmissionState{
	SubmissionReadyForReview, SubmissionWaitingForReview, SubmissionInReview,
	SubmissionUnresolvedIssues, SubmissionCanceling, SubmissionCompleting,
}
