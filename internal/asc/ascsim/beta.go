package ascsim

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TestFlight: beta groups, testers, a build's beta detail, What to Test and
// beta app review. Every rule names its source; "assumed" marks the ones no
// public source states.
//
// Build states (buildBetaDetails), derived, never stored:
//
//	internal: PROCESSING | PROCESSING_EXCEPTION (FAILED/INVALID) | EXPIRED |
//	          MISSING_EXPORT_COMPLIANCE (usesNonExemptEncryption unanswered) |
//	          IN_BETA_TESTING (in an internal group) | READY_FOR_BETA_TESTING
//	external: the same first four, then by beta review:
//	          none → READY_FOR_BETA_SUBMISSION → WAITING_FOR_BETA_REVIEW →
//	          IN_BETA_REVIEW → BETA_APPROVED → IN_BETA_TESTING (in an external
//	          group) | BETA_REJECTED
//
// Sources: spaceship BuildBetaDetail (ready_for_beta_submission?,
// missing_export_compliance?) and pilot build_manager.rb distribute_build,
// which answers export compliance, waits until the build is no longer
// MISSING_EXPORT_COMPLIANCE, submits only when READY_FOR_BETA_SUBMISSION, then
// adds groups; Apple's TestFlight overview: internal testers get a build
// without review, external testers only after TestFlight App Review.
//
// Rules (each has a test in beta_test.go; audited against the sources named):
//   - TestFlight refusals are 422 ENTITY_UNPROCESSABLE[.…], not 409: field
//     reports of POST /v1/betaAppReviewSubmissions all show 422 (codemagic
//     cli-tools PRs #340 and #347, "…returned 422: <title> - <detail>";
//     ENTITY_UNPROCESSABLE.BETA_CONTRACT_MISSING bodies quoted in full), and
//     rorkai/App-Store-Connect-CLI issue #2595 reports Apple's raw 422 on
//     adding builds to groups. Ids that do not exist stay 409
//     RELATIONSHIP.INVALID (Apple's general rule, see doc.go).
//   - a build that is not VALID, or is expired (expired flag or 90 days after
//     upload, Apple "TestFlight builds are available for 90 days"), cannot be
//     added to a group nor submitted for beta review: 422 ENTITY_UNPROCESSABLE
//     "The build is not in a valid processing state for this operation." as
//     title and detail (wording: tramline applelink WrapperError and a
//     Raycast extension, which note Apple sends it as both; the suffix-less
//     code is assumed) · TestBetaRulesRefuse.
//   - a build and a group of different apps: 409 relationship invalid (assumed).
//   - a build without export compliance cannot be added to a group: 422
//     (rorkai #2595 names missing export compliance among Apple's 422 causes
//     for add-groups; App Store Connect's own UI asks the compliance question
//     before it adds a build). Stricter than letting it sit in the group as
//     "Missing Compliance"; wording assumed · TestRuleMissingComplianceNotAddedToGroup.
//   - a build may be added to an external group before beta review; testers
//     get it once review approves it (pilot distribute_build submits first
//     and adds groups second; App Store Connect also offers both orders).
//   - beta review submission: one per build; a second is 422
//     ENTITY_UNPROCESSABLE.INVALID_QC_STATE (field reports: scripts treat
//     that code as "already submitted or in review" and see it when
//     re-promoting an already reviewed build; title and detail assumed).
//     Refused while the build is MISSING_EXPORT_COMPLIANCE (422; pilot answers
//     compliance first; wording from codemagic cli-tools PR #340 "The build is
//     not in state for internal testing. - Build is not in internal testing
//     state.", whose cause that report does not state: assumed mapping).
//   - one build per train in beta review: while another unexpired build of the
//     same app, platform and marketing version is WAITING_FOR_REVIEW or
//     IN_REVIEW, a submission is 422 ENTITY_UNPROCESSABLE.ANOTHER_BUILD_IN_REVIEW
//     "Another build is in review." / "Another build in the same train is
//     already in beta review." (tramlinehq/store-quirks#5; fastlane #12551;
//     fastlane pilot reject_build_waiting_for_review, which looks up builds
//     of the same preReleaseVersion WAITING_FOR_REVIEW/IN_REVIEW and expires
//     them; code and 422 from public scripts matching on it)
//     · TestRuleOneBuildPerTrainInBetaReview.
//   - every build is reviewed: Apple's TestFlight overview says review is
//     required for the first build of a version and later builds "may not
//     require a full review". The simulator never skips review — stricter,
//     and the bot must offer Submit for every external build anyway.
//   - What to Test: at most 4000 characters (assumed from whatsNew, see
//     internal/asc.MaxWhatToTest), one localization per locale and build
//     (409 duplicate, as appStoreVersionLocalizations).
//   - testers: a valid email is required (spec: format email); an email that
//     already belongs to a tester is 409 (assumed; pilot looks a tester up
//     before creating one); internal groups hold only members of the App
//     Store Connect team (Apple: "internal testers … members of your team"),
//     so a non-member put into an internal group is 409.

// JSON:API types of the TestFlight resources.
const (
	tBetaGroups  = "betaGroups"
	tBetaTesters = "betaTesters"
	tBetaDetails = "buildBetaDetails"
	tBetaLocs    = "betaBuildLocalizations"
	tBetaReviews = "betaAppReviewSubmissions"
	tBetaAppLocs = "betaAppLocalizations"
)

// Beta review states (spec enum BetaReviewState).
const (
	betaWaiting  = "WAITING_FOR_REVIEW"
	betaInReview = "IN_REVIEW"
	betaRejected = "REJECTED"
	betaApproved = "APPROVED"
)

// maxWhatToTest is the What to Test limit in characters (assumed, see above).
const maxWhatToTest = 4000

type betaGroup struct {
	id, appID, name string
	internal        bool
	created         time.Time
	buildIDs        []string
	testerIDs       []string
	seq             int
}

type betaTester struct {
	id, email, first, last, state string
	seq                           int
}

type betaLoc struct {
	id, buildID, locale string
	whatsNew            *string
	seq                 int
}

type betaReview struct {
	id, buildID, state string
	submitted          time.Time
	stageSince         time.Time
	seq                int
}

// betaStore is the TestFlight part of the model (guarded by Server.mu).
type betaStore struct {
	groups     map[string]*betaGroup
	testers    map[string]*betaTester
	locs       map[string]*betaLoc
	reviews    map[string]*betaReview
	autoNotify map[string]bool   // build id -> autoNotifyEnabled (default true)
	team       map[string]string // lower-case email -> App Store Connect team member
}

func newBetaStore() *betaStore {
	return &betaStore{groups: map[string]*betaGroup{}, testers: map[string]*betaTester{}, locs: map[string]*betaLoc{},
		reviews: map[string]*betaReview{}, autoNotify: map[string]bool{}, team: map[string]string{}}
}

func (s *Server) beta() *betaStore {
	if s.st.beta == nil {
		s.st.beta = newBetaStore()
	}
	return s.st.beta
}

func (s *Server) betaHandlers() map[string]handler {
	return map[string]handler{
		"GET /v1/betaGroups":                                   s.listBetaGroups,
		"GET /v1/betaGroups/{id}":                              s.getBetaGroup,
		"GET /v1/betaGroups/{id}/betaTesters":                  s.betaGroupTesters,
		"GET /v1/betaGroups/{id}/relationships/builds":         s.betaGroupBuildLinks,
		"POST /v1/betaGroups/{id}/relationships/builds":        s.betaGroupAddBuilds,
		"DELETE /v1/betaGroups/{id}/relationships/builds":      s.betaGroupRemoveBuilds,
		"GET /v1/betaGroups/{id}/relationships/betaTesters":    s.betaGroupTesterLinks,
		"POST /v1/betaGroups/{id}/relationships/betaTesters":   s.betaGroupAddTesters,
		"DELETE /v1/betaGroups/{id}/relationships/betaTesters": s.betaGroupRemoveTesters,
		"POST /v1/builds/{id}/relationships/betaGroups":        s.buildAddGroups,
		"DELETE /v1/builds/{id}/relationships/betaGroups":      s.buildRemoveGroups,
		"GET /v1/builds/{id}/buildBetaDetail":                  s.buildBetaDetail,
		"PATCH /v1/buildBetaDetails/{id}":                      s.patchBetaDetail,
		"GET /v1/betaBuildLocalizations":                       s.listBetaLocs,
		"POST /v1/betaBuildLocalizations":                      s.postBetaLoc,
		"PATCH /v1/betaBuildLocalizations/{id}":                s.patchBetaLoc,
		"GET /v1/betaAppReviewSubmissions":                     s.listBetaReviews,
		"GET /v1/betaAppReviewSubmissions/{id}":                s.getBetaReview,
		"POST /v1/betaAppReviewSubmissions":                    s.postBetaReview,
		"GET /v1/betaTesters":                                  s.listBetaTesters,
		"GET /v1/betaTesters/{id}":                             s.getBetaTester,
		"POST /v1/betaTesters":                                 s.postBetaTester,
		"GET /v1/betaAppLocalizations":                         s.listBetaAppLocs,
	}
}

// ---- derived state ----

// buildExpired: the expired flag, or 90 days after upload.
func (s *Server) buildExpired(b *build, now time.Time) bool {
	return b.expired || !now.Before(b.uploaded.Add(buildExpiry))
}

// reviewOf returns the build's beta review submission, if any.
func (s *Server) reviewOf(buildID string) *betaReview {
	for _, r := range s.beta().reviews {
		if r.buildID == buildID {
			return r
		}
	}
	return nil
}

// groupsOf returns the groups holding the build, oldest first.
func (s *Server) groupsOf(buildID string) []*betaGroup {
	var out []*betaGroup
	for _, g := range sortedBySeq(s.beta().groups, func(g *betaGroup) int { return g.seq }) {
		if hasString(g.buildIDs, buildID) {
			out = append(out, g)
		}
	}
	return out
}

// preBeta returns the state shared by both sides before groups and review
// matter ("" when the build has passed those gates).
func (s *Server) preBeta(b *build, now time.Time) string {
	switch {
	case b.processingState == "PROCESSING":
		return "PROCESSING"
	case b.processingState != "VALID":
		return "PROCESSING_EXCEPTION"
	case s.buildExpired(b, now):
		return "EXPIRED"
	case b.usesNonExemptEncryption == nil:
		return "MISSING_EXPORT_COMPLIANCE"
	}
	return ""
}

func (s *Server) internalState(b *build, now time.Time) string {
	if st := s.preBeta(b, now); st != "" {
		return st
	}
	for _, g := range s.groupsOf(b.id) {
		if g.internal {
			return "IN_BETA_TESTING"
		}
	}
	return "READY_FOR_BETA_TESTING"
}

func (s *Server) externalState(b *build, now time.Time) string {
	if st := s.preBeta(b, now); st != "" {
		return st
	}
	r := s.reviewOf(b.id)
	if r == nil {
		return "READY_FOR_BETA_SUBMISSION"
	}
	switch r.state {
	case betaWaiting:
		return "WAITING_FOR_BETA_REVIEW"
	case betaInReview:
		return "IN_BETA_REVIEW"
	case betaRejected:
		return "BETA_REJECTED"
	}
	for _, g := range s.groupsOf(b.id) {
		if !g.internal {
			return "IN_BETA_TESTING"
		}
	}
	return "BETA_APPROVED"
}

// ---- views ----

// betaView projects TestFlight resources; nil when r is not one of them or
// does not exist.
func (s *Server) betaView(r ref) *view {
	bs := s.beta()
	now := s.now()
	v := &view{typ: r.typ, id: r.id, attrs: map[string]any{}, rels: map[string]relv{}}
	switch r.typ {
	case tBetaGroups:
		g := bs.groups[r.id]
		if g == nil {
			return nil
		}
		v.attrs["name"] = g.name
		v.attrs["createdDate"] = fmtTime(g.created)
		v.attrs["isInternalGroup"] = g.internal
		v.attrs["hasAccessToAllBuilds"] = false
		v.attrs["publicLinkEnabled"] = false
		v.attrs["publicLinkLimitEnabled"] = false
		v.attrs["feedbackEnabled"] = true
		v.rels["app"] = one(tApps, g.appID)
		v.rels["builds"] = many(tBuilds, g.buildIDs)
		v.rels["betaTesters"] = many(tBetaTesters, g.testerIDs)
	case tBetaTesters:
		t := bs.testers[r.id]
		if t == nil {
			return nil
		}
		v.attrs["firstName"] = t.first
		v.attrs["lastName"] = t.last
		v.attrs["email"] = t.email
		v.attrs["inviteType"] = "EMAIL"
		v.attrs["state"] = t.state
		v.attrs["appDevices"] = []any{}
		var groups, apps []string
		for _, g := range sortedBySeq(bs.groups, func(g *betaGroup) int { return g.seq }) {
			if hasString(g.testerIDs, t.id) {
				groups = append(groups, g.id)
				if !hasString(apps, g.appID) {
					apps = append(apps, g.appID)
				}
			}
		}
		v.rels["betaGroups"] = many(tBetaGroups, groups)
		v.rels["apps"] = many(tApps, apps)
	case tBetaDetails:
		b := s.st.builds[r.id]
		if b == nil {
			return nil
		}
		notify, set := bs.autoNotify[b.id]
		v.attrs["autoNotifyEnabled"] = notify || !set
		v.attrs["internalBuildState"] = s.internalState(b, now)
		v.attrs["externalBuildState"] = s.externalState(b, now)
		v.rels["build"] = one(tBuilds, b.id)
	case tBetaLocs:
		l := bs.locs[r.id]
		if l == nil {
			return nil
		}
		v.attrs["locale"] = l.locale
		v.attrs["whatsNew"] = ptrVal(l.whatsNew)
		v.rels["build"] = one(tBuilds, l.buildID)
	case tBetaAppLocs:
		appID, locale, ok := strings.Cut(r.id, "-")
		a := s.st.apps[appID]
		if !ok || a == nil || !hasString(a.locales, locale) {
			return nil
		}
		v.attrs["locale"] = locale
		v.attrs["feedbackEmail"] = "beta@" + strings.ToLower(strings.ReplaceAll(a.name, " ", "")) + ".example"
		v.attrs["description"] = a.name + " beta"
		v.rels["app"] = one(tApps, appID)
	case tBetaReviews:
		rv := bs.reviews[r.id]
		if rv == nil {
			return nil
		}
		v.attrs["betaReviewState"] = rv.state
		v.attrs["submittedDate"] = fmtTime(rv.submitted)
		v.rels["build"] = one(tBuilds, rv.buildID)
	default:
		return nil
	}
	return v
}

// addBuildBetaRels adds the TestFlight relationships to a build's view.
func (s *Server) addBuildBetaRels(v *view, b *build) {
	var groups []string
	for _, g := range s.groupsOf(b.id) {
		groups = append(groups, g.id)
	}
	v.rels["betaGroups"] = many(tBetaGroups, groups)
	v.rels["buildBetaDetail"] = one(tBetaDetails, b.id)
	v.rels["betaBuildLocalizations"] = many(tBetaLocs, s.betaLocIDs(b.id))
	reviewID := ""
	if r := s.reviewOf(b.id); r != nil {
		reviewID = r.id
	}
	v.rels["betaAppReviewSubmission"] = one(tBetaReviews, reviewID)
}

func (s *Server) betaLocIDs(buildID string) []string {
	var ids []string
	for _, l := range sortedBySeq(s.beta().locs, func(l *betaLoc) int { return l.seq }) {
		if l.buildID == buildID {
			ids = append(ids, l.id)
		}
	}
	return ids
}

// linkageDoc renders a to-many relationship GET (…/relationships/x).
func (s *Server) linkageDoc(c *reqCtx, typ string, ids []string) *document {
	limit := defaultLimit
	if lv, ok := c.query["limit"]; ok {
		limit, _ = strconv.Atoi(lv[0])
	}
	total := len(ids)
	data := make([]map[string]string, 0, min(total, limit))
	for _, id := range ids[:min(total, limit)] {
		data = append(data, map[string]string{"type": typ, "id": id})
	}
	return &document{Data: data, Links: map[string]string{"self": c.self}, Meta: map[string]any{"paging": map[string]any{"total": total, "limit": limit}}}
}

// ---- groups ----

func (s *Server) betaGroup(id string) (*betaGroup, *apiError) {
	g := s.beta().groups[id]
	if g == nil {
		return nil, notFound(tBetaGroups, id)
	}
	return g, nil
}

func (s *Server) listBetaGroups(c *reqCtx) (any, *apiError) {
	var ids []string
	for _, g := range sortedBySeq(s.beta().groups, func(g *betaGroup) int { return g.seq }) {
		ids = append(ids, g.id)
	}
	return s.collection(c, refsOf(tBetaGroups, ids))
}

func (s *Server) getBetaGroup(c *reqCtx) (any, *apiError) {
	if _, e := s.betaGroup(c.id); e != nil {
		return nil, e
	}
	return s.single(c, &ref{tBetaGroups, c.id}), nil
}

func (s *Server) betaGroupTesters(c *reqCtx) (any, *apiError) {
	g, e := s.betaGroup(c.id)
	if e != nil {
		return nil, e
	}
	return s.collection(c, refsOf(tBetaTesters, g.testerIDs))
}

func (s *Server) betaGroupBuildLinks(c *reqCtx) (any, *apiError) {
	g, e := s.betaGroup(c.id)
	if e != nil {
		return nil, e
	}
	return s.linkageDoc(c, tBuilds, g.buildIDs), nil
}

func (s *Server) betaGroupTesterLinks(c *reqCtx) (any, *apiError) {
	g, e := s.betaGroup(c.id)
	if e != nil {
		return nil, e
	}
	return s.linkageDoc(c, tBetaTesters, g.testerIDs), nil
}

// checkBuildForGroup validates putting build b into group g.
func (s *Server) checkBuildForGroup(b *build, g *betaGroup, now time.Time, ptr string) *apiError {
	if b.appID != g.appID {
		return relInvalid(fmt.Sprintf("The build '%s' does not belong to the app of beta group '%s'.", b.id, g.id), ptr)
	}
	if e := notProcessed(b, s.buildExpired(b, now), ptr); e != nil {
		return e
	}
	if b.usesNonExemptEncryption == nil {
		return unprocessable(codeUnprocessable, "The build is missing export compliance information.",
			"Answer export compliance (usesNonExemptEncryption) before adding the build to a beta group.", ptr)
	}
	return nil
}

// notProcessed is Apple's refusal of a build that is not VALID or has
// expired (title and detail are the same sentence, as Apple sends them).
func notProcessed(b *build, expired bool, ptr string) *apiError {
	if b.processingState == "VALID" && !expired {
		return nil
	}
	const msg = "The build is not in a valid processing state for this operation."
	return unprocessable(codeUnprocessable, msg, msg, ptr)
}

// trainInReview returns another unexpired build of b's train (app, platform,
// marketing version) whose beta review is waiting or in progress.
func (s *Server) trainInReview(b *build, now time.Time) *build {
	for _, r := range s.beta().reviews {
		o := s.st.builds[r.buildID]
		if o == nil || o.id == b.id || o.appID != b.appID || o.platform != b.platform || o.marketingVersion != b.marketingVersion {
			continue
		}
		if (r.state == betaWaiting || r.state == betaInReview) && !s.buildExpired(o, now) {
			return o
		}
	}
	return nil
}

// link adds (or removes) builds to groups after every pair was checked.
func (s *Server) linkBuilds(pairs [][2]string, add bool) {
	for _, p := range pairs {
		g := s.beta().groups[p[1]]
		if add {
			if !hasString(g.buildIDs, p[0]) {
				g.buildIDs = append(g.buildIDs, p[0])
			}
			continue
		}
		g.buildIDs = removeString(g.buildIDs, p[0])
	}
}

func removeString(list []string, x string) []string {
	out := list[:0]
	for _, s := range list {
		if s != x {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) buildAddGroups(c *reqCtx) (any, *apiError) {
	return s.buildGroups(c, true)
}

func (s *Server) buildRemoveGroups(c *reqCtx) (any, *apiError) {
	return s.buildGroups(c, false)
}

func (s *Server) buildGroups(c *reqCtx, add bool) (any, *apiError) {
	b := s.st.builds[c.id]
	if b == nil {
		return nil, notFound(tBuilds, c.id)
	}
	return s.relink(c, add, func(id string) (*build, *betaGroup, string) {
		return b, s.beta().groups[id], "betaGroups"
	})
}

func (s *Server) betaGroupAddBuilds(c *reqCtx) (any, *apiError) {
	return s.groupBuilds(c, true)
}

func (s *Server) betaGroupRemoveBuilds(c *reqCtx) (any, *apiError) {
	return s.groupBuilds(c, false)
}

func (s *Server) groupBuilds(c *reqCtx, add bool) (any, *apiError) {
	g, e := s.betaGroup(c.id)
	if e != nil {
		return nil, e
	}
	return s.relink(c, add, func(id string) (*build, *betaGroup, string) {
		return s.st.builds[id], g, "builds"
	})
}

// relink adds or removes the build↔group links a relationship request names,
// from either side: pair gives the build and group for each id in the body
// (nil where that id names nothing, with the body's resource type). Every
// refusal is reported at once, and nothing changes unless all are valid.
func (s *Server) relink(c *reqCtx, add bool, pair func(id string) (*build, *betaGroup, string)) (any, *apiError) {
	var pairs [][2]string
	var errs []*apiError
	for i, id := range c.body.Many {
		ptr := fmt.Sprintf("/data/%d", i)
		b, g, typ := pair(id.ID)
		if b == nil || g == nil {
			errs = append(errs, relInvalid(fmt.Sprintf("There is no resource of type '%s' with id '%s'", typ, id.ID), ptr))
			continue
		}
		if add {
			if e := s.checkBuildForGroup(b, g, c.now, ptr); e != nil {
				errs = append(errs, e)
				continue
			}
		}
		pairs = append(pairs, [2]string{b.id, g.id})
	}
	if len(errs) > 0 {
		return nil, merge(errs)
	}
	s.linkBuilds(pairs, add)
	return nil, nil
}

// checkTesterForGroup: internal groups take App Store Connect team members only.
func (s *Server) checkTesterForGroup(t *betaTester, g *betaGroup, ptr string) *apiError {
	if g.internal {
		if _, member := s.beta().team[strings.ToLower(t.email)]; !member {
			return conflict(codeStateError, titleStateInvalid,
				fmt.Sprintf("Beta group '%s' is an internal group: only App Store Connect users of the team can be internal testers.", g.name), ptr)
		}
	}
	return nil
}

func (s *Server) betaGroupAddTesters(c *reqCtx) (any, *apiError) {
	return s.groupTesters(c, true)
}

func (s *Server) betaGroupRemoveTesters(c *reqCtx) (any, *apiError) {
	return s.groupTesters(c, false)
}

func (s *Server) groupTesters(c *reqCtx, add bool) (any, *apiError) {
	g, e := s.betaGroup(c.id)
	if e != nil {
		return nil, e
	}
	var ids []string
	var errs []*apiError
	for i, id := range c.body.Many {
		ptr := fmt.Sprintf("/data/%d", i)
		t := s.beta().testers[id.ID]
		if t == nil {
			errs = append(errs, relInvalid(fmt.Sprintf("There is no resource of type 'betaTesters' with id '%s'", id.ID), ptr))
			continue
		}
		if add {
			if e := s.checkTesterForGroup(t, g, ptr); e != nil {
				errs = append(errs, e)
				continue
			}
		}
		ids = append(ids, t.id)
	}
	if len(errs) > 0 {
		return nil, merge(errs)
	}
	for _, id := range ids {
		if add && !hasString(g.testerIDs, id) {
			g.testerIDs = append(g.testerIDs, id)
		} else if !add {
			g.testerIDs = removeString(g.testerIDs, id)
		}
	}
	return nil, nil
}

// ---- build beta detail ----

func (s *Server) buildBetaDetail(c *reqCtx) (any, *apiError) {
	if s.st.builds[c.id] == nil {
		return nil, notFound(tBuilds, c.id)
	}
	return s.single(c, &ref{tBetaDetails, c.id}), nil
}

func (s *Server) patchBetaDetail(c *reqCtx) (any, *apiError) {
	if s.st.builds[c.id] == nil {
		return nil, notFound(tBetaDetails, c.id)
	}
	var on bool
	if present, null := c.body.Data.attr("autoNotifyEnabled", &on); present && !null {
		s.beta().autoNotify[c.id] = on
	}
	return s.single(c, &ref{tBetaDetails, c.id}), nil
}

// ---- What to Test ----

func (s *Server) listBetaLocs(c *reqCtx) (any, *apiError) {
	var ids []string
	for _, l := range sortedBySeq(s.beta().locs, func(l *betaLoc) int { return l.seq }) {
		ids = append(ids, l.id)
	}
	return s.collection(c, refsOf(tBetaLocs, ids))
}

func checkWhatToTest(text, ptr string) *apiError {
	if n := utf8.RuneCountInString(text); n > maxWhatToTest {
		return attrInvalid(fmt.Sprintf("'whatsNew' is %d characters; the maximum is %d", n, maxWhatToTest), ptr)
	}
	return nil
}

func (s *Server) postBetaLoc(c *reqCtx) (any, *apiError) {
	d := &c.body.Data
	buildID, _ := d.rel("build")
	b := s.st.builds[buildID]
	if b == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'builds' with id '%s'", buildID), "/data/relationships/build")
	}
	var locale, text string
	d.attr("locale", &locale)
	var errs []*apiError
	if !localeRe.MatchString(locale) {
		errs = append(errs, attrInvalid(fmt.Sprintf("'%s' is not a valid locale", locale), "/data/attributes/locale"))
	}
	present, null := d.attr("whatsNew", &text)
	if present && !null {
		if e := checkWhatToTest(text, "/data/attributes/whatsNew"); e != nil {
			errs = append(errs, e)
		}
	}
	for _, id := range s.betaLocIDs(b.id) {
		if s.beta().locs[id].locale == locale {
			errs = append(errs, conflict(codeDuplicate, "The provided entity includes an attribute with a value that has already been used",
				fmt.Sprintf("The build already has a localization for locale '%s'.", locale), "/data/attributes/locale"))
		}
	}
	if len(errs) > 0 {
		return nil, merge(errs)
	}
	l := &betaLoc{buildID: b.id, locale: locale}
	if present && !null {
		l.whatsNew = strp(text)
	}
	l.seq, l.id = s.st.next(tBetaLocs)
	s.beta().locs[l.id] = l
	return s.single(c, &ref{tBetaLocs, l.id}), nil
}

func (s *Server) patchBetaLoc(c *reqCtx) (any, *apiError) {
	l := s.beta().locs[c.id]
	if l == nil {
		return nil, notFound(tBetaLocs, c.id)
	}
	var text string
	present, null := c.body.Data.attr("whatsNew", &text)
	if present && !null {
		if e := checkWhatToTest(text, "/data/attributes/whatsNew"); e != nil {
			return nil, e
		}
	}
	switch {
	case present && null:
		l.whatsNew = nil
	case present:
		l.whatsNew = strp(text)
	}
	return s.single(c, &ref{tBetaLocs, l.id}), nil
}

// ---- beta app localizations ----

// listBetaAppLocs serves one betaAppLocalization per app locale (assumed: a
// team that tests in a locale fills in its Test Information; the simulator
// derives them from the app's locales, id "<app id>-<locale>").
func (s *Server) listBetaAppLocs(c *reqCtx) (any, *apiError) {
	var refs []ref
	for _, a := range sortedBySeq(s.st.apps, func(a *app) int { return a.seq }) {
		for _, l := range a.locales {
			refs = append(refs, ref{tBetaAppLocs, a.id + "-" + l})
		}
	}
	return s.collection(c, refs)
}

// ---- beta app review ----

func (s *Server) listBetaReviews(c *reqCtx) (any, *apiError) {
	var ids []string
	for _, r := range sortedBySeq(s.beta().reviews, func(r *betaReview) int { return r.seq }) {
		ids = append(ids, r.id)
	}
	return s.collection(c, refsOf(tBetaReviews, ids))
}

func (s *Server) getBetaReview(c *reqCtx) (any, *apiError) {
	if s.beta().reviews[c.id] == nil {
		return nil, notFound(tBetaReviews, c.id)
	}
	return s.single(c, &ref{tBetaReviews, c.id}), nil
}

func (s *Server) postBetaReview(c *reqCtx) (any, *apiError) {
	ptr := "/data/relationships/build"
	buildID, _ := c.body.Data.rel("build")
	b := s.st.builds[buildID]
	if b == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'builds' with id '%s'", buildID), ptr)
	}
	if s.reviewOf(b.id) != nil {
		return nil, unprocessable(codeInvalidQCState, "The build cannot be submitted in its current state.",
			"The build has already been submitted for beta review.", ptr)
	}
	if e := notProcessed(b, s.buildExpired(b, c.now), ptr); e != nil {
		return nil, e
	}
	if b.usesNonExemptEncryption == nil {
		return nil, unprocessable(codeUnprocessable, "The build is not in state for internal testing.",
			"Build is not in internal testing state. Its export compliance (usesNonExemptEncryption) is not answered.", ptr)
	}
	if o := s.trainInReview(b, c.now); o != nil {
		return nil, unprocessable(codeAnotherInReview, "Another build is in review.",
			"Another build in the same train is already in beta review.", ptr)
	}
	r := &betaReview{buildID: b.id, state: betaWaiting, submitted: c.now, stageSince: c.now}
	r.seq, r.id = s.st.next(tBetaReviews)
	s.beta().reviews[r.id] = r
	return s.single(c, &ref{tBetaReviews, r.id}), nil
}

// ---- testers ----

func (s *Server) listBetaTesters(c *reqCtx) (any, *apiError) {
	var ids []string
	for _, t := range sortedBySeq(s.beta().testers, func(t *betaTester) int { return t.seq }) {
		ids = append(ids, t.id)
	}
	// filter[email] matches case-insensitively (assumed: emails are).
	if v, ok := c.query["filter[email]"]; ok && len(v) > 0 {
		want := strings.ToLower(v[0])
		kept := ids[:0]
		for _, id := range ids {
			if strings.ToLower(s.beta().testers[id].email) == want {
				kept = append(kept, id)
			}
		}
		ids = kept
		q := map[string][]string{}
		for k, vv := range c.query {
			if k != "filter[email]" {
				q[k] = vv
			}
		}
		c.query = q
	}
	return s.collection(c, refsOf(tBetaTesters, ids))
}

func (s *Server) getBetaTester(c *reqCtx) (any, *apiError) {
	if s.beta().testers[c.id] == nil {
		return nil, notFound(tBetaTesters, c.id)
	}
	return s.single(c, &ref{tBetaTesters, c.id}), nil
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && strings.Contains(e[strings.LastIndex(e, "@"):], ".")
}

func (s *Server) testerByEmail(email string) *betaTester {
	for _, t := range s.beta().testers {
		if strings.EqualFold(t.email, email) {
			return t
		}
	}
	return nil
}

func (s *Server) postBetaTester(c *reqCtx) (any, *apiError) {
	d := &c.body.Data
	var email, first, last string
	d.attr("email", &email)
	d.attr("firstName", &first)
	d.attr("lastName", &last)
	if !validEmail(email) {
		return nil, attrInvalid("'email' is not a valid email address", "/data/attributes/email")
	}
	if s.testerByEmail(email) != nil {
		return nil, conflict(codeDuplicate, "The provided entity includes an attribute with a value that has already been used",
			"A beta tester with this email already exists.", "/data/attributes/email")
	}
	t := &betaTester{email: email, first: first, last: last, state: "INVITED"}
	var groups []*betaGroup
	var errs []*apiError
	for i, id := range d.relMany("betaGroups") {
		ptr := fmt.Sprintf("/data/relationships/betaGroups/data/%d", i)
		g := s.beta().groups[id]
		if g == nil {
			errs = append(errs, relInvalid(fmt.Sprintf("There is no resource of type 'betaGroups' with id '%s'", id), ptr))
			continue
		}
		if e := s.checkTesterForGroup(t, g, ptr); e != nil {
			errs = append(errs, e)
			continue
		}
		groups = append(groups, g)
	}
	if ids := d.relMany("builds"); len(ids) > 0 {
		errs = append(errs, relInvalid("Individual build assignment is not modelled by the simulator.", "/data/relationships/builds"))
	}
	if len(errs) > 0 {
		return nil, merge(errs)
	}
	t.seq, t.id = s.st.next(tBetaTesters)
	s.beta().testers[t.id] = t
	for _, g := range groups {
		g.testerIDs = append(g.testerIDs, t.id)
	}
	return s.single(c, &ref{tBetaTesters, t.id}), nil
}

// advanceBeta moves beta reviews one stage per ReviewStage (sandbox):
// WAITING_FOR_REVIEW → IN_REVIEW → APPROVED.
func (s *Server) advanceBeta(now time.Time) {
	stage := s.opt.ReviewStage
	if stage <= 0 || s.st.beta == nil {
		return
	}
	for _, r := range sortedBySeq(s.beta().reviews, func(r *betaReview) int { return r.seq }) {
		if now.Before(r.stageSince.Add(stage)) {
			continue
		}
		switch r.state {
		case betaWaiting:
			r.state, r.stageSince = betaInReview, now
		case betaInReview:
			r.state, r.stageSince = betaApproved, now
		}
	}
}
