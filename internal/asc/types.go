package asc

import "time"

// Platform is an App Store platform (spec enum Platform).
type Platform string

// Platforms declared by the spec.
const (
	PlatformIOS      Platform = "IOS"
	PlatformMacOS    Platform = "MAC_OS"
	PlatformTvOS     Platform = "TV_OS"
	PlatformVisionOS Platform = "VISION_OS"
)

// ReleaseType says how an approved version reaches the store.
type ReleaseType string

// Release types declared by the spec on AppStoreVersion.releaseType.
const (
	ReleaseManual        ReleaseType = "MANUAL"
	ReleaseAfterApproval ReleaseType = "AFTER_APPROVAL"
	ReleaseScheduled     ReleaseType = "SCHEDULED"
)

// App is an App Store Connect app (resource type "apps").
type App struct {
	ID            string
	Name          string
	BundleID      string
	SKU           string
	PrimaryLocale string
}

// AppStoreVersion is a version of an app on one platform (resource type "appStoreVersions").
type AppStoreVersion struct {
	ID            string
	AppID         string // from relationships.app when the response carries it
	Platform      Platform
	VersionString string
	// AppVersionState is Apple's current state field; AppStoreState is the
	// deprecated one. Use State(), which prefers AppVersionState.
	AppVersionState     AppVersionState
	AppStoreState       string
	ReleaseType         ReleaseType
	EarliestReleaseDate *time.Time
	CreatedDate         *time.Time
	Downloadable        *bool
	// BuildID is the attached build's id when the response carried the linkage
	// (include=build); empty when unknown or none.
	BuildID string
}

// ManualRelease reports whether someone must release the version once App
// Review approves it (releaseType MANUAL, or unset as in older answers): it
// then waits in Pending Developer Release for a release request.
func (v *AppStoreVersion) ManualRelease() bool {
	return v.ReleaseType == "" || v.ReleaseType == ReleaseManual
}

// Build is an uploaded binary (resource type "builds").
type Build struct {
	ID               string
	Version          string // the build number (CFBundleVersion)
	MarketingVersion string // preReleaseVersion.version (CFBundleShortVersionString), when included
	Platform         Platform
	UploadedDate     *time.Time
	ExpirationDate   *time.Time
	Expired          bool
	ProcessingState  BuildProcessingState
	// UsesNonExemptEncryption is the export-compliance answer; nil means unanswered.
	UsesNonExemptEncryption *bool
}

// Localization is an appStoreVersionLocalizations resource.
type Localization struct {
	ID        string
	VersionID string
	Locale    string
	WhatsNew  string
}

// ReviewSubmission is a reviewSubmissions resource.
type ReviewSubmission struct {
	ID            string
	AppID         string
	Platform      Platform
	State         ReviewSubmissionState
	SubmittedDate *time.Time
	// VersionID is appStoreVersionForReview's id when the response carried it.
	VersionID string
	// ItemIDs are the items' ids when the response carried the linkage.
	ItemIDs []string
	// Items are the items themselves, decoded from the response's included
	// array (List, ListOpen and Get ask for them); ItemsComplete is true only
	// when every item was there (none left out by limit[items]).
	Items         []ReviewSubmissionItem
	ItemsComplete bool
}

// ReviewSubmissionItem is a reviewSubmissionItems resource.
type ReviewSubmissionItem struct {
	ID    string
	State ReviewSubmissionItemState
	// Kind is the relationship that names what the item submits
	// ("appStoreVersion", "inAppPurchaseVersion", …) and ResourceID its id.
	Kind       string
	ResourceID string
}

// VersionID returns the item's app store version id, or "" when the item is not a version.
func (i ReviewSubmissionItem) VersionID() string {
	if i.Kind == "appStoreVersion" {
		return i.ResourceID
	}
	return ""
}

// PhasedRelease is an appStoreVersionPhasedReleases resource.
type PhasedRelease struct {
	ID                 string
	State              PhasedReleaseState
	StartDate          *time.Time
	TotalPauseDuration int // days paused so far
	CurrentDayNumber   int // 1…7 while active
}

// Territory is a territories resource (id is the ISO 3166 alpha-3 code).
type Territory struct {
	ID       string
	Currency string
}

// InAppPurchase is an inAppPurchases (v2) resource.
type InAppPurchase struct {
	ID        string
	Name      string
	ProductID string
	Type      string
	State     InAppPurchaseState
}
