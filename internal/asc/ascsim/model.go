package ascsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// JSON:API resource types the simulator models.
const (
	tApps          = "apps"
	tVersions      = "appStoreVersions"
	tLocalizations = "appStoreVersionLocalizations"
	tBuilds        = "builds"
	tPreRelease    = "preReleaseVersions"
	tUploads       = "buildUploads"
	tSubmissions   = "reviewSubmissions"
	tItems         = "reviewSubmissionItems"
	tReleaseReqs   = "appStoreVersionReleaseRequests"
	tPhased        = "appStoreVersionPhasedReleases"
	tTerritories   = "territories"
	tAvailability  = "appAvailabilities"
	tTerritoryAv   = "territoryAvailabilities"
	tIAPs          = "inAppPurchases"
	tIAPSubs       = "inAppPurchaseSubmissions"
	tWebhooks      = "webhooks"
)

// AppVersionState values the state machine uses (all are in the spec enum; a
// test checks that).
const (
	stPrepare          = "PREPARE_FOR_SUBMISSION"
	stReadyForReview   = "READY_FOR_REVIEW"
	stWaiting          = "WAITING_FOR_REVIEW"
	stInReview         = "IN_REVIEW"
	stPendingDev       = "PENDING_DEVELOPER_RELEASE"
	stPendingApple     = "PENDING_APPLE_RELEASE"
	stProcessing       = "PROCESSING_FOR_DISTRIBUTION"
	stReady            = "READY_FOR_DISTRIBUTION"
	stReplaced         = "REPLACED_WITH_NEW_VERSION"
	stRejected         = "REJECTED"
	stMetadataRejected = "METADATA_REJECTED"
	stInvalidBinary    = "INVALID_BINARY"
	stDevRejected      = "DEVELOPER_REJECTED"
	stAccepted         = "ACCEPTED"
	stExportCompliance = "WAITING_FOR_EXPORT_COMPLIANCE"
)

// ReviewSubmission.state and ReviewSubmissionItem.state values.
const (
	subReady      = "READY_FOR_REVIEW"
	subWaiting    = "WAITING_FOR_REVIEW"
	subInReview   = "IN_REVIEW"
	subUnresolved = "UNRESOLVED_ISSUES"
	subCanceling  = "CANCELING"
	subComplete   = "COMPLETE"

	itemReady    = "READY_FOR_REVIEW"
	itemApproved = "APPROVED"
	itemRejected = "REJECTED"
	itemRemoved  = "REMOVED"
)

// AppStoreState maps an appVersionState to the deprecated appStoreState:
// READY_FOR_DISTRIBUTION↔READY_FOR_SALE, PROCESSING_FOR_DISTRIBUTION↔
// PROCESSING_FOR_APP_STORE, every other value keeps its name.
func AppStoreState(appVersionState string) string {
	switch appVersionState {
	case stReady:
		return "READY_FOR_SALE"
	case stProcessing:
		return "PROCESSING_FOR_APP_STORE"
	}
	return appVersionState
}

// editable: the version's metadata, build and review submission can change.
func editable(state string) bool {
	switch state {
	case stPrepare, stReadyForReview, stDevRejected, stRejected, stMetadataRejected, stInvalidBinary:
		return true
	}
	return false
}

// whatsNewEditable: Apple lets whatsNew change while waiting for review too.
func whatsNewEditable(state string) bool {
	return editable(state) || state == stWaiting
}

// live: the version is (or was) on the store.
func live(state string) bool {
	return state == stReady || state == stReplaced
}

// openSubmission: states in which a submission is "in progress" and blocks
// creating another one for the app and platform (rule one-open-submission).
// UNRESOLVED_ISSUES is among them: fastlane/fastlane PR #19979 ("the creation
// of a new submission is not allowed until the issues have been resolved or
// the existing submission has been cancelled") and Apple's Help ("You can only
// send one submission at a time per platform"). Some field reports describe
// Apple accepting a new submission then; the stricter reading is modelled.
func openSubmission(state string) bool {
	switch state {
	case subReady, subWaiting, subInReview, subUnresolved, subCanceling, "COMPLETING":
		return true
	}
	return false
}

// holdsItems: a submission that is not COMPLETE still holds its versions.
func holdsItems(state string) bool {
	return state != subComplete
}

type app struct {
	id, name, bundleID, sku, primaryLocale string
	team                                   string // see Team
	locales                                []string
	seq                                    int
}

type version struct {
	id, appID, platform, versionString, state string
	releaseType, reviewType                   string
	earliestReleaseDate                       *time.Time
	copyright                                 *string
	downloadable                              bool
	usesIdfa                                  *bool
	created                                   time.Time
	buildID                                   string
	locIDs                                    []string
	phasedID                                  string
	everReleased                              bool
	// rejectedBuildID is the build App Review rejected as REJECTED or
	// INVALID_BINARY; resubmitting with it is refused (rule
	// binary-rejection-needs-new-build).
	rejectedBuildID, rejectedAs string
	stageSince                  time.Time
	seq                         int
}

type localization struct {
	id, versionID, locale string
	description, keywords *string
	marketingURL          *string
	promotionalText       *string
	supportURL            *string
	whatsNew              *string
	seq                   int
}

type build struct {
	id, appID, number, marketingVersion, platform, processingState string
	uploaded                                                       time.Time
	expired                                                        bool
	usesNonExemptEncryption                                        *bool
	preReleaseID, uploadID                                         string
	seq                                                            int
}

type preRelease struct {
	id, appID, version, platform string
	seq                          int
}

type submission struct {
	id, appID, platform, state string
	submitted                  *time.Time
	itemIDs                    []string
	created                    time.Time
	stageSince                 time.Time
	seq                        int
}

type subItem struct {
	id, submissionID, versionID, state string
	seq                                int
}

type releaseRequest struct {
	id, versionID string
	seq           int
}

type phased struct {
	id, versionID, state string
	start                *time.Time
	pauseDays, day       int
	seq                  int
}

type iap struct {
	id, appID, name, productID, typ, state string
	seq                                    int
}

type iapSubmission struct {
	id, iapID string
	seq       int
}

type webhook struct {
	id, appID, name, url, secret string
	enabled                      bool
	eventTypes                   []string
	seq                          int
}

type availability struct {
	id, appID string
	newTerrs  bool
	byTerr    map[string]*territoryAvail
	seq       int
}

type territoryAvail struct {
	id, availID, territory string
	available              bool
	preOrder               bool
	releaseDate            *string
}

// store is the in-memory model; every access holds Server.mu.
type store struct {
	seq           int
	apps          map[string]*app
	versions      map[string]*version
	locs          map[string]*localization
	builds        map[string]*build
	preReleases   map[string]*preRelease
	uploads       map[string]string // buildUpload id -> build id
	submissions   map[string]*submission
	items         map[string]*subItem
	releaseReqs   map[string]*releaseRequest
	phased        map[string]*phased
	iaps          map[string]*iap
	iapSubs       map[string]*iapSubmission
	webhooks      map[string]*webhook
	avail         map[string]*availability // by availability id
	availByApp    map[string]string
	territoryAvID map[string]*territoryAvail
	territories   []string
	beta          *betaStore // TestFlight (beta.go), created on first use
}

func newStore(territories []string) *store {
	return &store{
		apps: map[string]*app{}, versions: map[string]*version{}, locs: map[string]*localization{},
		builds: map[string]*build{}, preReleases: map[string]*preRelease{}, uploads: map[string]string{},
		submissions: map[string]*submission{}, items: map[string]*subItem{}, releaseReqs: map[string]*releaseRequest{},
		phased: map[string]*phased{}, iaps: map[string]*iap{}, iapSubs: map[string]*iapSubmission{},
		webhooks: map[string]*webhook{}, avail: map[string]*availability{}, availByApp: map[string]string{},
		territoryAvID: map[string]*territoryAvail{}, territories: territories,
	}
}

// next returns the next sequence number and a deterministic UUID-shaped id.
func (st *store) next(kind string) (int, string) {
	st.seq++
	sum := sha256.Sum256([]byte(kind + "/" + strconv.Itoa(st.seq)))
	h := hex.EncodeToString(sum[:16])
	return st.seq, h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// sortedBySeq returns the map's values ordered by creation.
func sortedBySeq[T any](m map[string]*T, seq func(*T) int) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return seq(out[i]) < seq(out[j]) })
	return out
}

func (st *store) appVersions(appID, platform string) []*version {
	var out []*version
	for _, v := range sortedBySeq(st.versions, func(v *version) int { return v.seq }) {
		if v.appID == appID && (platform == "" || v.platform == platform) {
			out = append(out, v)
		}
	}
	return out
}

// firstVersion reports whether no other version of the app on the platform
// was ever released: Apple allows no whatsNew and no phased release then.
func (st *store) firstVersion(v *version) bool {
	for _, o := range st.appVersions(v.appID, v.platform) {
		if o.id != v.id && (o.everReleased || live(o.state)) {
			return false
		}
	}
	return true
}

// submissionOf returns the submission (not COMPLETE) holding an active item
// for the version, if any.
func (st *store) submissionOf(versionID string) (*submission, *subItem) {
	for _, s := range sortedBySeq(st.submissions, func(s *submission) int { return s.seq }) {
		if !holdsItems(s.state) {
			continue
		}
		for _, iid := range s.itemIDs {
			it := st.items[iid]
			if it != nil && it.versionID == versionID && it.state != itemRemoved {
				return s, it
			}
		}
	}
	return nil, nil
}

// compareVersions compares dotted numeric version strings.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func strp(s string) *string { return &s }

func boolp(b bool) *bool { return &b }

func (st *store) mustApp(id string) *app {
	a := st.apps[id]
	if a == nil {
		panic(fmt.Sprintf("ascsim: unknown app %q", id))
	}
	return a
}
