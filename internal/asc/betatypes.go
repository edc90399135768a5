package asc

import "time"

// TestFlight domain types and states (resource types betaGroups, betaTesters,
// buildBetaDetails, betaBuildLocalizations, betaAppReviewSubmissions). The
// enum values are the spec's; states_test checks them.

// InternalBetaState is BuildBetaDetail.internalBuildState (spec enum InternalBetaState).
type InternalBetaState string

// The InternalBetaState values declared by the spec.
const (
	InternalProcessing               InternalBetaState = "PROCESSING"
	InternalProcessingException      InternalBetaState = "PROCESSING_EXCEPTION"
	InternalMissingExportCompliance  InternalBetaState = "MISSING_EXPORT_COMPLIANCE"
	InternalReadyForBetaTesting      InternalBetaState = "READY_FOR_BETA_TESTING"
	InternalInBetaTesting            InternalBetaState = "IN_BETA_TESTING"
	InternalExpired                  InternalBetaState = "EXPIRED"
	InternalInExportComplianceReview InternalBetaState = "IN_EXPORT_COMPLIANCE_REVIEW"
)

// ExternalBetaState is BuildBetaDetail.externalBuildState (spec enum ExternalBetaState).
type ExternalBetaState string

// The ExternalBetaState values declared by the spec.
const (
	ExternalProcessing               ExternalBetaState = "PROCESSING"
	ExternalProcessingException      ExternalBetaState = "PROCESSING_EXCEPTION"
	ExternalMissingExportCompliance  ExternalBetaState = "MISSING_EXPORT_COMPLIANCE"
	ExternalReadyForBetaTesting      ExternalBetaState = "READY_FOR_BETA_TESTING"
	ExternalInBetaTesting            ExternalBetaState = "IN_BETA_TESTING"
	ExternalExpired                  ExternalBetaState = "EXPIRED"
	ExternalReadyForBetaSubmission   ExternalBetaState = "READY_FOR_BETA_SUBMISSION"
	ExternalInExportComplianceReview ExternalBetaState = "IN_EXPORT_COMPLIANCE_REVIEW"
	ExternalWaitingForBetaReview     ExternalBetaState = "WAITING_FOR_BETA_REVIEW"
	ExternalInBetaReview             ExternalBetaState = "IN_BETA_REVIEW"
	ExternalBetaRejected             ExternalBetaState = "BETA_REJECTED"
	ExternalBetaApproved             ExternalBetaState = "BETA_APPROVED"
	ExternalNotApplicable            ExternalBetaState = "NOT_APPLICABLE"
)

// BetaReviewState is BetaAppReviewSubmission.betaReviewState (spec enum BetaReviewState).
type BetaReviewState string

// The BetaReviewState values declared by the spec.
const (
	BetaReviewWaiting  BetaReviewState = "WAITING_FOR_REVIEW"
	BetaReviewInReview BetaReviewState = "IN_REVIEW"
	BetaReviewRejected BetaReviewState = "REJECTED"
	BetaReviewApproved BetaReviewState = "APPROVED"
)

// BetaTesterState is BetaTester.state (spec enum BetaTesterState).
type BetaTesterState string

// The BetaTesterState values declared by the spec.
const (
	TesterNotInvited BetaTesterState = "NOT_INVITED"
	TesterInvited    BetaTesterState = "INVITED"
	TesterAccepted   BetaTesterState = "ACCEPTED"
	TesterInstalled  BetaTesterState = "INSTALLED"
	TesterRevoked    BetaTesterState = "REVOKED"
)

// BetaInviteType is BetaTester.inviteType (spec enum BetaInviteType).
type BetaInviteType string

// The BetaInviteType values declared by the spec.
const (
	InviteEmail      BetaInviteType = "EMAIL"
	InvitePublicLink BetaInviteType = "PUBLIC_LINK"
)

// BetaGroup is a TestFlight group of testers (resource type "betaGroups").
type BetaGroup struct {
	ID    string
	AppID string // from relationships.app when the response carries it
	Name  string
	// Internal is isInternalGroup: members of the team, no beta review needed.
	Internal             bool
	HasAccessToAllBuilds bool
	PublicLinkEnabled    bool
	CreatedDate          *time.Time
}

// BetaTester is a TestFlight tester (resource type "betaTesters").
type BetaTester struct {
	ID         string
	FirstName  string
	LastName   string
	Email      string
	InviteType BetaInviteType
	State      BetaTesterState
}

// BuildBetaDetail is a build's TestFlight state (resource type "buildBetaDetails").
type BuildBetaDetail struct {
	ID                string
	BuildID           string
	AutoNotifyEnabled bool
	InternalState     InternalBetaState
	ExternalState     ExternalBetaState
}

// BetaBuildLocalization is a build's "What to Test" in one locale (resource
// type "betaBuildLocalizations").
type BetaBuildLocalization struct {
	ID       string
	BuildID  string
	Locale   string
	WhatsNew string
}

// BetaReviewSubmission is a build's TestFlight beta app review submission
// (resource type "betaAppReviewSubmissions").
type BetaReviewSubmission struct {
	ID            string
	BuildID       string
	State         BetaReviewState
	SubmittedDate *time.Time
}

// BetaBuild is everything TestFlight knows about one build, read in one
// compound request: the build, its beta detail, the groups it is in, What to
// Test per locale and its beta review submission (nil when never submitted).
type BetaBuild struct {
	Build         Build
	Detail        *BuildBetaDetail
	Groups        []BetaGroup
	Localizations []BetaBuildLocalization
	Review        *BetaReviewSubmission
}

var (
	internalBetaLabels = map[InternalBetaState]string{
		InternalMissingExportCompliance: "Missing Export Compliance",
		InternalReadyForBetaTesting:     "Ready to Test",
		InternalInBetaTesting:           "Testing",
	}
	externalBetaLabels = map[ExternalBetaState]string{
		ExternalMissingExportCompliance: "Missing Export Compliance",
		ExternalReadyForBetaTesting:     "Ready to Test",
		ExternalInBetaTesting:           "Testing",
		ExternalReadyForBetaSubmission:  "Ready to Submit",
		ExternalWaitingForBetaReview:    "Waiting for Review",
		ExternalInBetaReview:            "In Review",
		ExternalBetaRejected:            "Rejected",
		ExternalBetaApproved:            "Approved",
		ExternalNotApplicable:           "Not Applicable",
	}
	betaReviewLabels = map[BetaReviewState]string{
		BetaReviewWaiting:  "Waiting for Review",
		BetaReviewInReview: "In Review",
		BetaReviewRejected: "Rejected",
		BetaReviewApproved: "Approved",
	}
	testerStateLabels = map[BetaTesterState]string{
		TesterNotInvited: "Not Invited",
	}
)

// Label returns the internal TestFlight state as App Store Connect shows it.
func (s InternalBetaState) Label() string { return label(internalBetaLabels, s) }

// Label returns the external TestFlight state as App Store Connect shows it.
func (s ExternalBetaState) Label() string { return label(externalBetaLabels, s) }

// Label returns the beta review state for people.
func (s BetaReviewState) Label() string { return label(betaReviewLabels, s) }

// Label returns the tester's state for people.
func (s BetaTesterState) Label() string { return label(testerStateLabels, s) }

// Testable reports whether testers of that kind can install the build.
func (s InternalBetaState) Testable() bool { return s == InternalInBetaTesting }

// Testable reports whether external testers can install the build.
func (s ExternalBetaState) Testable() bool { return s == ExternalInBetaTesting }
