package asc

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
)
