package ascsim

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// App seeds an app. Locales lists every localization locale (the primary
// locale is added when missing); PrimaryLocale defaults to en-US.
type App struct {
	ID, Name, BundleID, SKU, PrimaryLocale string
	Locales                                []string
	// Team is the team whose keys see the app ("" = the team of
	// Options.Keys); see Team.
	Team string
}

// VersionSeed seeds an app store version. Platform defaults to IOS, State to
// PREPARE_FOR_SUBMISSION, ReleaseType to MANUAL, Created to Clock(). WhatsNew
// maps locale to text; BuildID attaches a build of the same app.
type VersionSeed struct {
	Platform, VersionString, State, ReleaseType string
	Created                                     time.Time
	WhatsNew                                    map[string]string
	BuildID                                     string
}

// BuildSeed seeds a build. Version is the build number (CFBundleVersion),
// MarketingVersion the CFBundleShortVersionString. Platform defaults to IOS,
// ProcessingState to VALID, Uploaded to Clock(). A nil
// UsesNonExemptEncryption means export compliance is unanswered.
type BuildSeed struct {
	Version, MarketingVersion, Platform, ProcessingState string
	Uploaded                                             time.Time
	UsesNonExemptEncryption                              *bool
}

// IAPSeed seeds an in-app purchase (inAppPurchasesV2). Type defaults to
// NON_CONSUMABLE and State to READY_TO_SUBMIT.
type IAPSeed struct {
	Name, ProductID, Type, State string
}

// VersionView is a read-back of a version for assertions.
type VersionView struct {
	ID, AppID, Platform, VersionString string
	State                              string // appVersionState
	AppStoreState                      string // deprecated appStoreState, kept consistent
	BuildID                            string
	ReleaseType                        string
	EarliestReleaseDate                *time.Time
	// WhatsNew maps locale to whatsNew ("" when unset); LocalizationIDs maps
	// locale to the localization id.
	WhatsNew        map[string]string
	LocalizationIDs map[string]string
}

// BuildView is a read-back of a build.
type BuildView struct {
	ID, AppID, Version, MarketingVersion, Platform, ProcessingState string
	UsesNonExemptEncryption                                         *bool
	Expired                                                         bool
	UploadID                                                        string
}

// ItemView is a review submission item.
type ItemView struct {
	ID, VersionID, State string
}

// SubmissionView is a read-back of a review submission.
type SubmissionView struct {
	ID, AppID, Platform, State string
	SubmittedDate              *time.Time
	Items                      []ItemView
}

// PhasedView is a read-back of a phased release.
type PhasedView struct {
	ID, State          string
	StartDate          *time.Time
	CurrentDayNumber   int
	TotalPauseDuration int // days spent paused
}

// AvailabilityView is a read-back of an app's availability.
type AvailabilityView struct {
	ID                        string
	AvailableInNewTerritories bool
	// Available lists the territory codes marked available, sorted.
	Available []string
}

// IAPView is a read-back of an in-app purchase.
type IAPView struct {
	ID, AppID, Name, ProductID, Type, State string
}

// WebhookView is a read-back of a webhook (the secret included, for tests
// that sign deliveries).
type WebhookView struct {
	ID, AppID, Name, URL, Secret string
	Enabled                      bool
	EventTypes                   []string
}

func (s *Server) checkEnum(kind, value string, allowed []string) error {
	if !hasString(allowed, value) {
		return fmt.Errorf("checking %s %q: %w", kind, value, ErrInvalidValue)
	}
	return nil
}

func (s *Server) mustEnum(kind, value string, allowed []string) {
	if err := s.checkEnum(kind, value, allowed); err != nil {
		panic("ascsim: " + err.Error())
	}
}

// AddApp seeds an app and returns its id (a numeric string, like Apple's).
func (s *Server) AddApp(a App) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.PrimaryLocale == "" {
		a.PrimaryLocale = "en-US"
	}
	locales := []string{a.PrimaryLocale}
	for _, l := range a.Locales {
		if !hasString(locales, l) {
			locales = append(locales, l)
		}
	}
	seq, _ := s.st.next(tApps)
	id := a.ID
	if id == "" {
		id = strconv.Itoa(6400000000 + seq*7919)
	}
	if a.SKU == "" {
		a.SKU = a.BundleID
	}
	s.st.apps[id] = &app{id: id, name: a.Name, bundleID: a.BundleID, sku: a.SKU, primaryLocale: a.PrimaryLocale, team: a.Team, locales: locales, seq: seq}
	return id
}

// AddVersion seeds a version with one localization per app locale and
// returns its id. It panics on an unknown app or build, or a value outside
// the spec's enums (seeding mistakes are programming errors).
func (s *Server) AddVersion(appID string, v VersionSeed) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.mustApp(appID)
	if v.Platform == "" {
		v.Platform = "IOS"
	}
	if v.State == "" {
		v.State = stPrepare
	}
	if v.ReleaseType == "" {
		v.ReleaseType = "MANUAL"
	}
	if v.Created.IsZero() {
		v.Created = s.now()
	}
	s.mustEnum("platform", v.Platform, s.spec.Enum("Platform"))
	s.mustEnum("appVersionState", v.State, s.spec.Enum("AppVersionState"))
	s.mustEnum("releaseType", v.ReleaseType, s.spec.SchemaEnum("AppStoreVersion", "attributes.releaseType"))
	ver := &version{appID: appID, platform: v.Platform, versionString: v.VersionString, state: v.State,
		releaseType: v.ReleaseType, reviewType: "APP_STORE", downloadable: true, created: v.Created, stageSince: s.now(),
		everReleased: live(v.State)}
	if v.BuildID != "" {
		b := s.st.builds[v.BuildID]
		if b == nil || b.appID != appID {
			panic(fmt.Sprintf("ascsim: unknown build %q for app %q", v.BuildID, appID))
		}
		ver.buildID = v.BuildID
	}
	ver.seq, ver.id = s.st.next(tVersions)
	s.st.versions[ver.id] = ver
	s.createLocalizations(ver, nil, v.WhatsNew)
	return ver.id
}

// AddBuild seeds a build (with its preReleaseVersion and buildUpload) and
// returns its id. It panics on an unknown app or an invalid enum value.
func (s *Server) AddBuild(appID string, b BuildSeed) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.mustApp(appID)
	if b.Platform == "" {
		b.Platform = "IOS"
	}
	if b.ProcessingState == "" {
		b.ProcessingState = "VALID"
	}
	if b.Uploaded.IsZero() {
		b.Uploaded = s.now()
	}
	s.mustEnum("platform", b.Platform, s.spec.Enum("Platform"))
	s.mustEnum("processingState", b.ProcessingState, s.spec.SchemaEnum("Build", "attributes.processingState"))
	bl := &build{appID: appID, number: b.Version, marketingVersion: b.MarketingVersion, platform: b.Platform,
		processingState: b.ProcessingState, uploaded: b.Uploaded}
	if b.UsesNonExemptEncryption != nil {
		bl.usesNonExemptEncryption = boolp(*b.UsesNonExemptEncryption)
	}
	for _, p := range s.st.preReleases {
		if p.appID == appID && p.version == b.MarketingVersion && p.platform == b.Platform {
			bl.preReleaseID = p.id
		}
	}
	if bl.preReleaseID == "" {
		p := &preRelease{appID: appID, version: b.MarketingVersion, platform: b.Platform}
		p.seq, p.id = s.st.next(tPreRelease)
		s.st.preReleases[p.id] = p
		bl.preReleaseID = p.id
	}
	bl.seq, bl.id = s.st.next(tBuilds)
	_, bl.uploadID = s.st.next(tUploads)
	s.st.builds[bl.id] = bl
	s.st.uploads[bl.uploadID] = bl.id
	return bl.id
}

// AddIAP seeds an in-app purchase and returns its id. It panics on an
// unknown app or an invalid enum value.
func (s *Server) AddIAP(appID string, p IAPSeed) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.mustApp(appID)
	if p.Type == "" {
		p.Type = "NON_CONSUMABLE"
	}
	if p.State == "" {
		p.State = "READY_TO_SUBMIT"
	}
	s.mustEnum("inAppPurchaseType", p.Type, s.spec.Enum("InAppPurchaseType"))
	s.mustEnum("inAppPurchase state", p.State, s.spec.Enum("InAppPurchaseState"))
	x := &iap{appID: appID, name: p.Name, productID: p.ProductID, typ: p.Type, state: p.State}
	x.seq, x.id = s.st.next(tIAPs)
	s.st.iaps[x.id] = x
	return x.id
}

// SetAvailability seeds an app's availability: the listed territories
// available, the rest absent.
func (s *Server) SetAvailability(appID string, availableInNewTerritories bool, territories []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.apps[appID] == nil {
		return fmt.Errorf("setting availability of app %s: %w", appID, ErrNotFound)
	}
	for _, t := range territories {
		if err := s.checkEnum("territory", t, s.st.territories); err != nil {
			return err
		}
	}
	a := s.st.avail[s.st.availByApp[appID]]
	if a == nil {
		a = &availability{appID: appID, byTerr: map[string]*territoryAvail{}}
		a.seq, a.id = s.st.next(tAvailability)
		s.st.avail[a.id] = a
		s.st.availByApp[appID] = a.id
	}
	a.newTerrs = availableInNewTerritories
	for _, t := range territories {
		ta := a.byTerr[t]
		if ta == nil {
			ta = &territoryAvail{availID: a.id, territory: t}
			_, ta.id = s.st.next(tTerritoryAv)
			a.byTerr[t] = ta
			s.st.territoryAvID[ta.id] = ta
		}
		ta.available = true
	}
	return nil
}

func (s *Server) ver(id string) (*version, error) {
	v := s.st.versions[id]
	if v == nil {
		return nil, fmt.Errorf("finding version %s: %w", id, ErrNotFound)
	}
	return v, nil
}

// SetVersionState forces a version's appVersionState (appStoreState follows)
// and moves its review submission and item consistently: WAITING_FOR_REVIEW
// and IN_REVIEW move the submission along; approved states approve the item
// (and complete the submission); REJECTED/METADATA_REJECTED/INVALID_BINARY
// reject it (UNRESOLVED_ISSUES); DEVELOPER_REJECTED removes the item;
// READY_FOR_DISTRIBUTION also replaces the previous live version.
func (s *Server) SetVersionState(versionID, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.ver(versionID)
	if err != nil {
		return err
	}
	if err := s.checkEnum("appVersionState", state, s.spec.Enum("AppVersionState")); err != nil {
		return err
	}
	now := s.now()
	sub, it := s.st.submissionOf(v.id)
	v.state = "" // force setState's side effects even for the same state
	s.setState(v, state, now)
	if sub == nil {
		return nil
	}
	switch state {
	case stWaiting, stInReview:
		it.state = itemReady
		sub.state = state
		sub.stageSince = now
	case stPendingDev, stPendingApple, stProcessing, stReady, stAccepted:
		it.state = itemApproved
		s.settle(sub, now)
	case stRejected, stMetadataRejected, stInvalidBinary:
		it.state = itemRejected
		s.settle(sub, now)
	case stDevRejected:
		it.state = itemRemoved
		s.settle(sub, now)
	}
	return nil
}

// SetSubmissionState forces a review submission's state.
func (s *Server) SetSubmissionState(id, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.st.submissions[id]
	if sub == nil {
		return fmt.Errorf("finding submission %s: %w", id, ErrNotFound)
	}
	if err := s.checkEnum("reviewSubmission state", state, s.spec.SchemaEnum("ReviewSubmission", "attributes.state")); err != nil {
		return err
	}
	sub.state = state
	sub.stageSince = s.now()
	return nil
}

// SetItemState forces a review submission item's state.
func (s *Server) SetItemState(id, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.st.items[id]
	if it == nil {
		return fmt.Errorf("finding item %s: %w", id, ErrNotFound)
	}
	if err := s.checkEnum("reviewSubmissionItem state", state, s.spec.SchemaEnum("ReviewSubmissionItem", "attributes.state")); err != nil {
		return err
	}
	it.state = state
	return nil
}

// SetBuildState forces a build's processingState (its buildUpload follows).
func (s *Server) SetBuildState(buildID, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.st.builds[buildID]
	if b == nil {
		return fmt.Errorf("finding build %s: %w", buildID, ErrNotFound)
	}
	if err := s.checkEnum("processingState", state, s.spec.SchemaEnum("Build", "attributes.processingState")); err != nil {
		return err
	}
	b.processingState = state
	return nil
}

// SetIAPState forces an in-app purchase's state.
func (s *Server) SetIAPState(id, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.iaps[id]
	if p == nil {
		return fmt.Errorf("finding in-app purchase %s: %w", id, ErrNotFound)
	}
	if err := s.checkEnum("inAppPurchase state", state, s.spec.Enum("InAppPurchaseState")); err != nil {
		return err
	}
	p.state = state
	return nil
}

// StartReview moves a WAITING_FOR_REVIEW version (and its submission) into
// IN_REVIEW.
func (s *Server) StartReview(versionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.ver(versionID)
	if err != nil {
		return err
	}
	if v.state != stWaiting {
		return fmt.Errorf("starting review of version %s in %s: %w", v.id, v.state, ErrInvalidState)
	}
	now := s.now()
	if sub, _ := s.st.submissionOf(v.id); sub != nil {
		s.startReview(sub, now)
		return nil
	}
	s.setState(v, stInReview, now)
	return nil
}

// Approve approves a version in WAITING_FOR_REVIEW or IN_REVIEW: MANUAL →
// PENDING_DEVELOPER_RELEASE; AFTER_APPROVAL → distribution; SCHEDULED →
// PENDING_APPLE_RELEASE until earliestReleaseDate. Its item becomes APPROVED
// and its submission COMPLETE.
func (s *Server) Approve(versionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.ver(versionID)
	if err != nil {
		return err
	}
	if v.state != stWaiting && v.state != stInReview {
		return fmt.Errorf("approving version %s in %s: %w", v.id, v.state, ErrInvalidState)
	}
	s.approveVersion(v, s.now())
	return nil
}

// Reject rejects a version in WAITING_FOR_REVIEW or IN_REVIEW with state
// REJECTED, METADATA_REJECTED or INVALID_BINARY: the submission becomes
// UNRESOLVED_ISSUES and the item REJECTED.
func (s *Server) Reject(versionID, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.ver(versionID)
	if err != nil {
		return err
	}
	switch state {
	case stRejected, stMetadataRejected, stInvalidBinary:
	default:
		return fmt.Errorf("rejecting with %q: %w", state, ErrInvalidValue)
	}
	if v.state != stWaiting && v.state != stInReview {
		return fmt.Errorf("rejecting version %s in %s: %w", v.id, v.state, ErrInvalidState)
	}
	s.rejectVersion(v, state, s.now())
	return nil
}

// Distribute finishes distribution of a version in PROCESSING_FOR_DISTRIBUTION
// or PENDING_APPLE_RELEASE: it becomes READY_FOR_DISTRIBUTION.
func (s *Server) Distribute(versionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.ver(versionID)
	if err != nil {
		return err
	}
	if v.state != stProcessing && v.state != stPendingApple {
		return fmt.Errorf("distributing version %s in %s: %w", v.id, v.state, ErrInvalidState)
	}
	s.setState(v, stReady, s.now())
	return nil
}

// AdvancePhasedDay moves a version's phased release one day on: an ACTIVE
// release advances currentDayNumber (after day 7 it is COMPLETE); a PAUSED one
// counts a paused day in totalPauseDuration.
func (s *Server) AdvancePhasedDay(versionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.ver(versionID)
	if err != nil {
		return err
	}
	p := s.st.phased[v.phasedID]
	if p == nil {
		return fmt.Errorf("finding phased release of version %s: %w", versionID, ErrNotFound)
	}
	switch p.state {
	case "ACTIVE":
		p.day++
		if p.day > 7 {
			p.day = 7
			p.state = "COMPLETE"
		}
	case "PAUSED":
		p.pauseDays++
	default:
		return fmt.Errorf("advancing phased release in %s: %w", p.state, ErrInvalidState)
	}
	return nil
}

// Version reads a version back.
func (s *Server) Version(id string) (VersionView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.versions[id]
	if v == nil {
		return VersionView{}, false
	}
	out := VersionView{ID: v.id, AppID: v.appID, Platform: v.platform, VersionString: v.versionString, State: v.state,
		AppStoreState: AppStoreState(v.state), BuildID: v.buildID, ReleaseType: v.releaseType,
		WhatsNew: map[string]string{}, LocalizationIDs: map[string]string{}}
	if v.earliestReleaseDate != nil {
		t := *v.earliestReleaseDate
		out.EarliestReleaseDate = &t
	}
	for _, lid := range v.locIDs {
		l := s.st.locs[lid]
		out.LocalizationIDs[l.locale] = l.id
		out.WhatsNew[l.locale] = ""
		if l.whatsNew != nil {
			out.WhatsNew[l.locale] = *l.whatsNew
		}
	}
	return out, true
}

// Versions lists an app's version ids, oldest first.
func (s *Server) Versions(appID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, v := range s.st.appVersions(appID, "") {
		ids = append(ids, v.id)
	}
	return ids
}

// Build reads a build back.
func (s *Server) Build(id string) (BuildView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.st.builds[id]
	if b == nil {
		return BuildView{}, false
	}
	out := BuildView{ID: b.id, AppID: b.appID, Version: b.number, MarketingVersion: b.marketingVersion, Platform: b.platform,
		ProcessingState: b.processingState, Expired: b.expired, UploadID: b.uploadID}
	if b.usesNonExemptEncryption != nil {
		out.UsesNonExemptEncryption = boolp(*b.usesNonExemptEncryption)
	}
	return out, true
}

// Submissions lists an app's review submissions, oldest first.
func (s *Server) Submissions(appID string) []SubmissionView {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SubmissionView
	for _, sub := range sortedBySeq(s.st.submissions, func(x *submission) int { return x.seq }) {
		if sub.appID != appID {
			continue
		}
		sv := SubmissionView{ID: sub.id, AppID: sub.appID, Platform: sub.platform, State: sub.state}
		if sub.submitted != nil {
			t := *sub.submitted
			sv.SubmittedDate = &t
		}
		for _, iid := range sub.itemIDs {
			it := s.st.items[iid]
			sv.Items = append(sv.Items, ItemView{ID: it.id, VersionID: it.versionID, State: it.state})
		}
		out = append(out, sv)
	}
	return out
}

// PhasedRelease reads a version's phased release back.
func (s *Server) PhasedRelease(versionID string) (PhasedView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.versions[versionID]
	if v == nil {
		return PhasedView{}, false
	}
	p := s.st.phased[v.phasedID]
	if p == nil {
		return PhasedView{}, false
	}
	out := PhasedView{ID: p.id, State: p.state, CurrentDayNumber: p.day, TotalPauseDuration: p.pauseDays}
	if p.start != nil {
		t := *p.start
		out.StartDate = &t
	}
	return out, true
}

// Availability reads an app's availability back.
func (s *Server) Availability(appID string) (AvailabilityView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.avail[s.st.availByApp[appID]]
	if a == nil {
		return AvailabilityView{}, false
	}
	out := AvailabilityView{ID: a.id, AvailableInNewTerritories: a.newTerrs}
	for code, ta := range a.byTerr {
		if ta.available {
			out.Available = append(out.Available, code)
		}
	}
	sort.Strings(out.Available)
	return out, true
}

// ReleaseRequests counts the release requests accepted for a version.
func (s *Server) ReleaseRequests(versionID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.st.releaseReqs {
		if r.versionID == versionID {
			n++
		}
	}
	return n
}

// IAP reads an in-app purchase back.
func (s *Server) IAP(id string) (IAPView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.iaps[id]
	if p == nil {
		return IAPView{}, false
	}
	return IAPView{ID: p.id, AppID: p.appID, Name: p.name, ProductID: p.productID, Type: p.typ, State: p.state}, true
}

// Webhooks lists an app's webhooks, oldest first.
func (s *Server) Webhooks(appID string) []WebhookView {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []WebhookView
	for _, w := range sortedBySeq(s.st.webhooks, func(w *webhook) int { return w.seq }) {
		if w.appID == appID {
			out = append(out, WebhookView{ID: w.id, AppID: w.appID, Name: w.name, URL: w.url, Secret: w.secret,
				Enabled: w.enabled, EventTypes: append([]string(nil), w.eventTypes...)})
		}
	}
	return out
}

// Territories returns the territory codes served by GET /v1/territories (the
// spec's TerritoryCode enum).
func (s *Server) Territories() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.st.territories...)
}
