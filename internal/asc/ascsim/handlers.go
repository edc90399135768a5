package ascsim

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ascbot/ascbot/internal/asc/ascspec"
)

// Metadata limits (App Store Connect Help, "Platform version information";
// whatsNew 4000 is third-party reported, see asc-facts §7).
const (
	maxWhatsNew        = 4000 // characters
	maxDescription     = 4000 // characters
	maxPromotionalText = 170  // characters
	maxKeywordsBytes   = 100  // bytes
)

var (
	versionStringRe = regexp.MustCompile(`^\d+(\.\d+){0,2}$`)
	localeRe        = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

func (s *Server) handlers() map[string]handler {
	h := s.coreHandlers()
	for k, f := range s.betaHandlers() {
		h[k] = f
	}
	return h
}

func (s *Server) coreHandlers() map[string]handler {
	return map[string]handler{
		"GET /v1/apps":                                               s.listApps,
		"GET /v1/apps/{id}":                                          s.getApp,
		"GET /v1/apps/{id}/appStoreVersions":                         s.appVersions,
		"GET /v1/apps/{id}/reviewSubmissions":                        s.appSubmissions,
		"GET /v1/apps/{id}/appAvailabilityV2":                        s.appAvailability,
		"GET /v1/apps/{id}/inAppPurchasesV2":                         s.appIAPs,
		"GET /v1/appStoreVersions/{id}":                              s.getVersion,
		"PATCH /v1/appStoreVersions/{id}":                            s.patchVersion,
		"POST /v1/appStoreVersions":                                  s.postVersion,
		"PATCH /v1/appStoreVersions/{id}/relationships/build":        s.patchVersionBuild,
		"GET /v1/appStoreVersions/{id}/build":                        s.versionBuild,
		"GET /v1/appStoreVersions/{id}/appStoreVersionLocalizations": s.versionLocalizations,
		"GET /v1/appStoreVersions/{id}/appStoreVersionPhasedRelease": s.versionPhased,
		"PATCH /v1/appStoreVersionLocalizations/{id}":                s.patchLocalization,
		"POST /v1/appStoreVersionLocalizations":                      s.postLocalization,
		"GET /v1/builds":                                             s.listBuilds,
		"GET /v1/builds/{id}":                                        s.getBuild,
		"PATCH /v1/builds/{id}":                                      s.patchBuild,
		"GET /v1/buildUploads/{id}":                                  s.getBuildUpload,
		"GET /v1/reviewSubmissions":                                  s.listSubmissions,
		"POST /v1/reviewSubmissions":                                 s.postSubmission,
		"GET /v1/reviewSubmissions/{id}":                             s.getSubmission,
		"PATCH /v1/reviewSubmissions/{id}":                           s.patchSubmission,
		"GET /v1/reviewSubmissions/{id}/items":                       s.submissionItems,
		"POST /v1/reviewSubmissionItems":                             s.postItem,
		"POST /v1/appStoreVersionReleaseRequests":                    s.postReleaseRequest,
		"POST /v1/appStoreVersionPhasedReleases":                     s.postPhased,
		"DELETE /v1/appStoreVersionPhasedReleases/{id}":              s.deletePhased,
		"PATCH /v1/appStoreVersionPhasedReleases/{id}":               s.patchPhased,
		"GET /v1/territories":                                        s.listTerritories,
		"GET /v2/appAvailabilities/{id}":                             s.getAvailability,
		"GET /v2/appAvailabilities/{id}/territoryAvailabilities":     s.availabilityTerritories,
		"POST /v2/appAvailabilities":                                 s.postAvailability,
		"POST /v1/inAppPurchaseSubmissions":                          s.postIAPSubmission,
		"POST /v1/webhooks":                                          s.postWebhook,
	}
}

func refsOf(typ string, ids []string) []ref {
	out := make([]ref, 0, len(ids))
	for _, id := range ids {
		out = append(out, ref{typ, id})
	}
	return out
}

func refPtr(typ, id string) *ref {
	if id == "" {
		return nil
	}
	return &ref{typ, id}
}

// ---- apps ----

func (s *Server) listApps(c *reqCtx) (any, *apiError) {
	var ids []string
	for _, a := range sortedBySeq(s.st.apps, func(a *app) int { return a.seq }) {
		ids = append(ids, a.id)
	}
	return s.collection(c, refsOf(tApps, ids))
}

func (s *Server) app(id string) (*app, *apiError) {
	a := s.st.apps[id]
	if a == nil {
		return nil, notFound(tApps, id)
	}
	return a, nil
}

func (s *Server) getApp(c *reqCtx) (any, *apiError) {
	if _, e := s.app(c.id); e != nil {
		return nil, e
	}
	return s.single(c, &ref{tApps, c.id}), nil
}

func (s *Server) appVersions(c *reqCtx) (any, *apiError) {
	if _, e := s.app(c.id); e != nil {
		return nil, e
	}
	return s.collection(c, refsOf(tVersions, s.appVersionIDs(c.id)))
}

func (s *Server) appSubmissions(c *reqCtx) (any, *apiError) {
	if _, e := s.app(c.id); e != nil {
		return nil, e
	}
	return s.collection(c, refsOf(tSubmissions, s.appSubmissionIDs(c.id)))
}

func (s *Server) appAvailability(c *reqCtx) (any, *apiError) {
	if _, e := s.app(c.id); e != nil {
		return nil, e
	}
	return s.single(c, refPtr(tAvailability, s.st.availByApp[c.id])), nil
}

func (s *Server) appIAPs(c *reqCtx) (any, *apiError) {
	if _, e := s.app(c.id); e != nil {
		return nil, e
	}
	var ids []string
	for _, p := range sortedBySeq(s.st.iaps, func(p *iap) int { return p.seq }) {
		if p.appID == c.id {
			ids = append(ids, p.id)
		}
	}
	return s.collection(c, refsOf(tIAPs, ids))
}

// ---- versions ----

func (s *Server) version(id string) (*version, *apiError) {
	v := s.st.versions[id]
	if v == nil {
		return nil, notFound(tVersions, id)
	}
	return v, nil
}

func (s *Server) getVersion(c *reqCtx) (any, *apiError) {
	if _, e := s.version(c.id); e != nil {
		return nil, e
	}
	return s.single(c, &ref{tVersions, c.id}), nil
}

func (s *Server) versionBuild(c *reqCtx) (any, *apiError) {
	v, e := s.version(c.id)
	if e != nil {
		return nil, e
	}
	return s.single(c, refPtr(tBuilds, v.buildID)), nil
}

func (s *Server) versionLocalizations(c *reqCtx) (any, *apiError) {
	v, e := s.version(c.id)
	if e != nil {
		return nil, e
	}
	return s.collection(c, refsOf(tLocalizations, v.locIDs))
}

func (s *Server) versionPhased(c *reqCtx) (any, *apiError) {
	v, e := s.version(c.id)
	if e != nil {
		return nil, e
	}
	return s.single(c, refPtr(tPhased, v.phasedID)), nil
}

// checkAttach validates attaching buildID to v (versionString is the
// version's string after the request).
func (s *Server) checkAttach(v *version, versionString, buildID, ptr string) *apiError {
	b := s.st.builds[buildID]
	if b == nil || b.appID != v.appID {
		return relInvalid(fmt.Sprintf("There is no resource of type 'builds' with id '%s' for this app", buildID), ptr)
	}
	if !editable(v.state) {
		// tramline applelink and Runway's FAQ quote Apple's words; the code
		// is assumed by analogy with the attribute one.
		return conflict(codeRelState, "A relationship value is not acceptable for the current resource state.",
			"The specified pre-release build could not be added.", ptr)
	}
	if b.platform != v.platform {
		return relInvalid(fmt.Sprintf("The build's platform %s does not match the app store version's platform %s.", b.platform, v.platform), ptr)
	}
	if b.marketingVersion != versionString {
		return relInvalid(fmt.Sprintf("The build's version %s does not match the app store version %s.", b.marketingVersion, versionString), ptr)
	}
	if b.processingState != "VALID" {
		return relInvalid(fmt.Sprintf("The build is in processing state %s; only a VALID build can be attached.", b.processingState), ptr)
	}
	if b.expired {
		return relInvalid("The build has expired.", ptr)
	}
	return nil
}

// releaseOptions validates releaseType/earliestReleaseDate from a body
// against the version's current values and returns the resulting pair.
func releaseOptions(d *inRes, curType string, curDate *time.Time, now time.Time) (string, *time.Time, []*apiError) {
	var errs []*apiError
	rt := curType
	var s string
	if present, null := d.attr("releaseType", &s); present && !null {
		rt = s
	}
	date := curDate
	if present, null := d.attr("earliestReleaseDate", &s); present {
		if null {
			date = nil
		} else {
			t, err := time.Parse(time.RFC3339, s)
			switch {
			case err != nil:
				errs = append(errs, attrInvalid("'earliestReleaseDate' must be an ISO 8601 date-time", "/data/attributes/earliestReleaseDate"))
			case t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0:
				errs = append(errs, attrInvalid("'earliestReleaseDate' must be on the hour", "/data/attributes/earliestReleaseDate"))
			case !t.After(now):
				errs = append(errs, attrInvalid("'earliestReleaseDate' must be in the future", "/data/attributes/earliestReleaseDate"))
			default:
				date = &t
			}
		}
	}
	if rt == "SCHEDULED" && date == nil && len(errs) == 0 {
		errs = append(errs, attrRequired("You must provide a value for the attribute 'earliestReleaseDate' when 'releaseType' is SCHEDULED", "/data/attributes/earliestReleaseDate"))
	}
	return rt, date, errs
}

// checkVersionString validates a new versionString for an app/platform.
func (s *Server) checkVersionString(appID, platform, vs, selfID string) []*apiError {
	ptr := "/data/attributes/versionString"
	if !versionStringRe.MatchString(vs) {
		return []*apiError{attrInvalid(fmt.Sprintf("'%s' is not a valid version number (use one to three period-separated integers)", vs), ptr)}
	}
	var errs []*apiError
	for _, o := range s.st.appVersions(appID, platform) {
		if o.id == selfID {
			continue
		}
		if o.versionString == vs {
			errs = append(errs, conflict(codeDuplicate, "The provided entity includes an attribute with a value that has already been used",
				"The version number has been previously used.", ptr))
			break
		}
	}
	for _, o := range s.st.appVersions(appID, platform) {
		if o.id != selfID && (o.everReleased || live(o.state)) && compareVersions(vs, o.versionString) <= 0 {
			errs = append(errs, attrInvalid(fmt.Sprintf("The version number must be higher than the previously approved version %s.", o.versionString), ptr))
			break
		}
	}
	return errs
}

func (s *Server) patchVersion(c *reqCtx) (any, *apiError) {
	v, e := s.version(c.id)
	if e != nil {
		return nil, e
	}
	d := &c.body.Data
	var errs []*apiError
	var apply []func()
	stateOK := func(name string, ok bool) bool {
		if !ok {
			errs = append(errs, notModifiable(name))
		}
		return ok
	}
	newVS := v.versionString
	var str string
	if present, null := d.attr("versionString", &str); present {
		switch {
		case null:
			errs = append(errs, attrInvalid("'versionString' can not be null", "/data/attributes/versionString"))
		case str != v.versionString && stateOK("versionString", editable(v.state)):
			if ve := s.checkVersionString(v.appID, v.platform, str, v.id); len(ve) > 0 {
				errs = append(errs, ve...)
			} else {
				newVS = str
			}
		}
	}
	if present, null := d.attr("copyright", &str); present && stateOK("copyright", editable(v.state)) {
		val := str
		apply = append(apply, func() {
			if null {
				v.copyright = nil
			} else {
				v.copyright = strp(val)
			}
		})
	}
	if present, null := d.attr("reviewType", &str); present && !null && stateOK("reviewType", editable(v.state)) {
		val := str
		apply = append(apply, func() { v.reviewType = val })
	}
	var b bool
	if present, null := d.attr("usesIdfa", &b); present && stateOK("usesIdfa", editable(v.state)) {
		val := b
		apply = append(apply, func() {
			if null {
				v.usesIdfa = nil
			} else {
				v.usesIdfa = boolp(val)
			}
		})
	}
	if present, null := d.attr("downloadable", &b); present && !null {
		val := b
		apply = append(apply, func() { v.downloadable = val })
	}
	_, rtPresent := d.Attributes["releaseType"]
	_, erdPresent := d.Attributes["earliestReleaseDate"]
	if rtPresent || erdPresent {
		name := "releaseType"
		if !rtPresent {
			name = "earliestReleaseDate"
		}
		if stateOK(name, editable(v.state)) {
			rt, date, re := releaseOptions(d, v.releaseType, v.earliestReleaseDate, c.now)
			errs = append(errs, re...)
			apply = append(apply, func() { v.releaseType, v.earliestReleaseDate = rt, date })
		}
	}
	newBuild, buildSet := "", false
	if id, present := d.rel("build"); present {
		if ae := s.checkAttach(v, newVS, id, "/data/relationships/build"); ae != nil {
			errs = append(errs, ae)
		} else {
			newBuild, buildSet = id, true
		}
	}
	if id, present := d.rel("appClipDefaultExperience"); present {
		errs = append(errs, relInvalid(fmt.Sprintf("There is no resource of type 'appClipDefaultExperiences' with id '%s'", id), "/data/relationships/appClipDefaultExperience"))
	}
	if len(errs) > 0 {
		return nil, merge(errs)
	}
	if newVS != v.versionString {
		v.versionString = newVS
		if b := s.st.builds[v.buildID]; b != nil && b.marketingVersion != newVS {
			v.buildID = "" // the attached build no longer matches
		}
	}
	for _, f := range apply {
		f()
	}
	if buildSet {
		v.buildID = newBuild
	}
	return s.single(c, &ref{tVersions, v.id}), nil
}

func (s *Server) postVersion(c *reqCtx) (any, *apiError) {
	d := &c.body.Data
	appID, _ := d.rel("app")
	a := s.st.apps[appID]
	if a == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'apps' with id '%s'", appID), "/data/relationships/app")
	}
	var platform, vs string
	d.attr("platform", &platform)
	d.attr("versionString", &vs)
	var errs []*apiError
	for _, o := range s.st.appVersions(a.id, platform) {
		if !live(o.state) {
			errs = append(errs, relInvalid("You cannot create a new version of the App in the current state.", "/data/relationships/app"))
			break
		}
	}
	errs = append(errs, s.checkVersionString(a.id, platform, vs, "")...)
	prev := s.latestVersion(a.id, platform)
	defType := "AFTER_APPROVAL"
	if prev != nil {
		defType = prev.releaseType
	}
	rt, date, re := releaseOptions(d, defType, nil, c.now)
	errs = append(errs, re...)
	if ids := d.relMany("appStoreVersionLocalizations"); len(ids) > 0 {
		errs = append(errs, relInvalid(fmt.Sprintf("There is no resource of type 'appStoreVersionLocalizations' with id '%s' that can be attached", ids[0]), "/data/relationships/appStoreVersionLocalizations"))
	}
	v := &version{appID: a.id, platform: platform, versionString: vs, state: stPrepare, releaseType: rt,
		earliestReleaseDate: date, reviewType: "APP_STORE", downloadable: true, created: c.now, stageSince: c.now}
	if id, present := d.rel("build"); present {
		if ae := s.checkAttach(v, vs, id, "/data/relationships/build"); ae != nil {
			errs = append(errs, ae)
		} else {
			v.buildID = id
		}
	}
	var cr string
	if present, null := d.attr("copyright", &cr); present && !null {
		v.copyright = strp(cr)
	} else if prev != nil {
		v.copyright = prev.copyright
	}
	var rv string
	if present, null := d.attr("reviewType", &rv); present && !null {
		v.reviewType = rv
	}
	var idfa bool
	if present, null := d.attr("usesIdfa", &idfa); present && !null {
		v.usesIdfa = boolp(idfa)
	}
	if len(errs) > 0 {
		return nil, merge(errs)
	}
	v.seq, v.id = s.st.next(tVersions)
	s.st.versions[v.id] = v
	s.createLocalizations(v, prev, nil)
	return s.single(c, &ref{tVersions, v.id}), nil
}

// latestVersion returns the app's newest version on the platform.
func (s *Server) latestVersion(appID, platform string) *version {
	vs := s.st.appVersions(appID, platform)
	if len(vs) == 0 {
		return nil
	}
	return vs[len(vs)-1]
}

// createLocalizations adds one localization per app locale, copying the
// previous version's metadata (not whatsNew), as App Store Connect does.
func (s *Server) createLocalizations(v, prev *version, whatsNew map[string]string) {
	a := s.st.apps[v.appID]
	prevLoc := map[string]*localization{}
	if prev != nil {
		for _, id := range prev.locIDs {
			if l := s.st.locs[id]; l != nil {
				prevLoc[l.locale] = l
			}
		}
	}
	for _, locale := range a.locales {
		l := &localization{versionID: v.id, locale: locale}
		if p := prevLoc[locale]; p != nil {
			l.description, l.keywords, l.marketingURL, l.promotionalText, l.supportURL = p.description, p.keywords, p.marketingURL, p.promotionalText, p.supportURL
		}
		if wn, ok := whatsNew[locale]; ok {
			l.whatsNew = strp(wn)
		}
		l.seq, l.id = s.st.next(tLocalizations)
		s.st.locs[l.id] = l
		v.locIDs = append(v.locIDs, l.id)
	}
}

func (s *Server) patchVersionBuild(c *reqCtx) (any, *apiError) {
	v, e := s.version(c.id)
	if e != nil {
		return nil, e
	}
	if ae := s.checkAttach(v, v.versionString, c.body.Data.ID, "/data"); ae != nil {
		return nil, ae
	}
	v.buildID = c.body.Data.ID
	return nil, nil
}

// ---- localizations ----

// checkLocAttrs validates localization attributes for version v and returns
// the setters to apply.
func (s *Server) checkLocAttrs(v *version, d *inRes, l *localization) ([]func(), []*apiError) {
	var errs []*apiError
	var apply []func()
	first := s.st.firstVersion(v)
	type spec struct {
		name     string
		field    **string
		editable bool
		check    func(string) string
	}
	specs := []spec{
		{"whatsNew", &l.whatsNew, whatsNewEditable(v.state) && !first, func(x string) string {
			if utf8.RuneCountInString(x) > maxWhatsNew {
				return fmt.Sprintf("'whatsNew' is %d characters; the maximum is %d", utf8.RuneCountInString(x), maxWhatsNew)
			}
			return ""
		}},
		{"description", &l.description, editable(v.state), func(x string) string {
			if utf8.RuneCountInString(x) > maxDescription {
				return fmt.Sprintf("'description' is longer than %d characters", maxDescription)
			}
			return ""
		}},
		{"keywords", &l.keywords, editable(v.state), func(x string) string {
			if len(x) > maxKeywordsBytes {
				return fmt.Sprintf("'keywords' is longer than %d bytes", maxKeywordsBytes)
			}
			return ""
		}},
		{"promotionalText", &l.promotionalText, true, func(x string) string {
			if utf8.RuneCountInString(x) > maxPromotionalText {
				return fmt.Sprintf("'promotionalText' is longer than %d characters", maxPromotionalText)
			}
			return ""
		}},
		{"marketingUrl", &l.marketingURL, editable(v.state), nil},
		{"supportUrl", &l.supportURL, editable(v.state), nil},
	}
	for _, sp := range specs {
		var val string
		present, null := d.attr(sp.name, &val)
		if !present {
			continue
		}
		ptr := "/data/attributes/" + sp.name
		if !sp.editable {
			errs = append(errs, notModifiable(sp.name))
			continue
		}
		if !null && sp.check != nil {
			if msg := sp.check(val); msg != "" {
				errs = append(errs, attrInvalid(msg, ptr))
				continue
			}
		}
		field := sp.field
		apply = append(apply, func() {
			if null {
				*field = nil
			} else {
				*field = strp(val)
			}
		})
	}
	return apply, errs
}

func (s *Server) patchLocalization(c *reqCtx) (any, *apiError) {
	l := s.st.locs[c.id]
	if l == nil {
		return nil, notFound(tLocalizations, c.id)
	}
	v := s.st.versions[l.versionID]
	apply, errs := s.checkLocAttrs(v, &c.body.Data, l)
	if len(errs) > 0 {
		return nil, merge(errs)
	}
	for _, f := range apply {
		f()
	}
	return s.single(c, &ref{tLocalizations, l.id}), nil
}

func (s *Server) postLocalization(c *reqCtx) (any, *apiError) {
	d := &c.body.Data
	vid, _ := d.rel("appStoreVersion")
	v := s.st.versions[vid]
	if v == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'appStoreVersions' with id '%s'", vid), "/data/relationships/appStoreVersion")
	}
	var locale string
	d.attr("locale", &locale)
	if !localeRe.MatchString(locale) {
		return nil, attrInvalid(fmt.Sprintf("'%s' is not a valid locale", locale), "/data/attributes/locale")
	}
	for _, id := range v.locIDs {
		if s.st.locs[id].locale == locale {
			return nil, conflict(codeDuplicate, "The provided entity includes an attribute with a value that has already been used",
				fmt.Sprintf("A localization for locale '%s' already exists for this version.", locale), "/data/attributes/locale")
		}
	}
	if !editable(v.state) {
		return nil, stateErr(fmt.Sprintf("Localizations cannot be added to an app store version in state %s.", v.state), "/data/relationships/appStoreVersion")
	}
	l := &localization{versionID: v.id, locale: locale}
	apply, errs := s.checkLocAttrs(v, d, l)
	if len(errs) > 0 {
		return nil, merge(errs)
	}
	for _, f := range apply {
		f()
	}
	l.seq, l.id = s.st.next(tLocalizations)
	s.st.locs[l.id] = l
	v.locIDs = append(v.locIDs, l.id)
	return s.single(c, &ref{tLocalizations, l.id}), nil
}

// ---- builds ----

func (s *Server) listBuilds(c *reqCtx) (any, *apiError) {
	var ids []string
	for _, b := range sortedBySeq(s.st.builds, func(b *build) int { return b.seq }) {
		ids = append(ids, b.id)
	}
	return s.collection(c, refsOf(tBuilds, ids))
}

func (s *Server) getBuild(c *reqCtx) (any, *apiError) {
	if s.st.builds[c.id] == nil {
		return nil, notFound(tBuilds, c.id)
	}
	return s.single(c, &ref{tBuilds, c.id}), nil
}

func (s *Server) getBuildUpload(c *reqCtx) (any, *apiError) {
	if _, ok := s.st.uploads[c.id]; !ok {
		return nil, notFound(tUploads, c.id)
	}
	return s.single(c, &ref{tUploads, c.id}), nil
}

func (s *Server) patchBuild(c *reqCtx) (any, *apiError) {
	b := s.st.builds[c.id]
	if b == nil {
		return nil, notFound(tBuilds, c.id)
	}
	d := &c.body.Data
	var errs []*apiError
	var enc, expired bool
	encPresent, encNull := d.attr("usesNonExemptEncryption", &enc)
	if encPresent && b.usesNonExemptEncryption != nil {
		// Apple's words per tramline applelink ("You cannot update when the
		// value is already set. - /data/attributes/usesNonExemptEncryption").
		errs = append(errs, attrInvalid("You cannot update when the value is already set.", "/data/attributes/usesNonExemptEncryption"))
	}
	expPresent, expNull := d.attr("expired", &expired)
	if expPresent && !expNull && !expired && b.expired {
		errs = append(errs, attrInvalid("An expired build cannot be made unexpired.", "/data/attributes/expired"))
	}
	if id, present := d.rel("appEncryptionDeclaration"); present {
		errs = append(errs, relInvalid(fmt.Sprintf("There is no resource of type 'appEncryptionDeclarations' with id '%s'", id), "/data/relationships/appEncryptionDeclaration"))
	}
	if len(errs) > 0 {
		return nil, merge(errs)
	}
	if encPresent && !encNull {
		b.usesNonExemptEncryption = boolp(enc)
	}
	if expPresent && !expNull && expired {
		b.expired = true
	}
	return s.single(c, &ref{tBuilds, b.id}), nil
}

// ---- review submissions ----

func (s *Server) listSubmissions(c *reqCtx) (any, *apiError) {
	subs := sortedBySeq(s.st.submissions, func(x *submission) int { return x.seq })
	ids := make([]string, 0, len(subs))
	for i := len(subs) - 1; i >= 0; i-- {
		ids = append(ids, subs[i].id)
	}
	return s.collection(c, refsOf(tSubmissions, ids))
}

func (s *Server) getSubmission(c *reqCtx) (any, *apiError) {
	if s.st.submissions[c.id] == nil {
		return nil, notFound(tSubmissions, c.id)
	}
	return s.single(c, &ref{tSubmissions, c.id}), nil
}

func (s *Server) submissionItems(c *reqCtx) (any, *apiError) {
	sub := s.st.submissions[c.id]
	if sub == nil {
		return nil, notFound(tSubmissions, c.id)
	}
	return s.collection(c, refsOf(tItems, sub.itemIDs))
}

// openSubmissionFor returns the app's open submission on a platform.
func (s *Server) openSubmissionFor(appID, platform, exceptID string) *submission {
	for _, sub := range sortedBySeq(s.st.submissions, func(x *submission) int { return x.seq }) {
		if sub.appID == appID && sub.platform == platform && sub.id != exceptID && openSubmission(sub.state) {
			return sub
		}
	}
	return nil
}

func (s *Server) postSubmission(c *reqCtx) (any, *apiError) {
	d := &c.body.Data
	appID, _ := d.rel("app")
	if s.st.apps[appID] == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'apps' with id '%s'", appID), "/data/relationships/app")
	}
	platform := "IOS"
	var p string
	if present, null := d.attr("platform", &p); present && !null {
		platform = p
	}
	if o := s.openSubmissionFor(appID, platform, ""); o != nil {
		return nil, stateErr(fmt.Sprintf("There is another reviewSubmissions with id %s still in progress", o.id), "/data/relationships/app")
	}
	sub := &submission{appID: appID, platform: platform, state: subReady, created: c.now, stageSince: c.now}
	sub.seq, sub.id = s.st.next(tSubmissions)
	s.st.submissions[sub.id] = sub
	return s.single(c, &ref{tSubmissions, sub.id}), nil
}

// submitProblem is one reason a submission cannot be submitted.
func submitProblem(versionID, detail, pointer string) *apiError {
	return conflict(codeStateInvalid, fmt.Sprintf("appStoreVersions with id '%s' is not in valid state.", versionID), detail, pointer)
}

// checkSubmittable lists every problem that blocks submitting sub.
func (s *Server) checkSubmittable(sub *submission) []*apiError {
	versions := s.subVersions(sub)
	if len(versions) == 0 {
		return []*apiError{conflict(ascspec.CodeRelationshipRequired, "Relationship is required",
			fmt.Sprintf("App %s must have an approved appStoreVersions for platform %s, or an appStoreVersions must be included in this review submission.", sub.appID, sub.platform),
			"/data/relationships/appStoreVersionForReview")}
	}
	var errs []*apiError
	for _, v := range versions {
		if !editable(v.state) {
			errs = append(errs, submitProblem(v.id, fmt.Sprintf("The app store version is in state %s.", v.state), "/appStoreVersions/"+v.id+"/attributes/appVersionState"))
			continue
		}
		b := s.st.builds[v.buildID]
		switch {
		case b != nil && v.rejectedBuildID == b.id:
			errs = append(errs, submitProblem(v.id, fmt.Sprintf("Build %s was rejected by App Review (%s). Choose a new build before you resubmit.", b.number, v.rejectedAs), "/appStoreVersions/"+v.id+"/relationships/build"))
		case b == nil:
			errs = append(errs, submitProblem(v.id, "You must choose a build for the app store version before you submit it for review.", "/appStoreVersions/"+v.id+"/relationships/build"))
		case b.processingState != "VALID" || b.expired:
			errs = append(errs, submitProblem(v.id, fmt.Sprintf("The build %s is not valid for review (processing state %s).", b.number, b.processingState), "/builds/"+b.id+"/attributes/processingState"))
		case b.usesNonExemptEncryption == nil:
			errs = append(errs, submitProblem(v.id, fmt.Sprintf("You must provide export compliance information for build %s before you submit it for review.", b.number), "/builds/"+b.id+"/attributes/usesNonExemptEncryption"))
		}
		if !s.st.firstVersion(v) {
			for _, lid := range v.locIDs {
				l := s.st.locs[lid]
				if l.whatsNew == nil || strings.TrimSpace(*l.whatsNew) == "" {
					errs = append(errs, submitProblem(v.id, fmt.Sprintf("You must provide a value for 'What's New in This Version' for locale %s.", l.locale), "/appStoreVersionLocalizations/"+l.id+"/attributes/whatsNew"))
				}
			}
		}
	}
	return errs
}

func (s *Server) patchSubmission(c *reqCtx) (any, *apiError) {
	sub := s.st.submissions[c.id]
	if sub == nil {
		return nil, notFound(tSubmissions, c.id)
	}
	d := &c.body.Data
	var submitted, canceled bool
	_, _ = d.attr("submitted", &submitted)
	_, _ = d.attr("canceled", &canceled)
	if submitted && canceled {
		return nil, attrInvalid("'submitted' and 'canceled' cannot both be true", "/data/attributes/canceled")
	}
	var platform string
	if present, null := d.attr("platform", &platform); present && !null && platform != sub.platform {
		if sub.state != subReady || len(s.subVersions(sub)) > 0 {
			return nil, stateErr("The platform of a review submission with items or in review cannot be changed.", "/data/attributes/platform")
		}
		if o := s.openSubmissionFor(sub.appID, platform, sub.id); o != nil {
			return nil, stateErr(fmt.Sprintf("There is another reviewSubmissions with id %s still in progress", o.id), "/data/attributes/platform")
		}
		sub.platform = platform
	}
	switch {
	case submitted:
		if sub.state != subReady && sub.state != subUnresolved {
			return nil, stateErr(fmt.Sprintf("A review submission in state %s cannot be submitted.", sub.state), "/data/attributes/submitted")
		}
		if errs := s.checkSubmittable(sub); len(errs) > 0 {
			return nil, merge(errs)
		}
		t := c.now
		sub.submitted = &t
		sub.state = subWaiting
		sub.stageSince = c.now
		for _, iid := range sub.itemIDs {
			if it := s.st.items[iid]; it != nil && it.state != itemRemoved {
				it.state = itemReady
			}
		}
		for _, v := range s.subVersions(sub) {
			s.setState(v, stWaiting, c.now)
		}
	case canceled:
		// Rule cancel (doc.go): only a submitted submission can be
		// canceled; Apple's words for the rest are a field report's.
		switch sub.state {
		case subWaiting, subInReview, subUnresolved:
		default:
			return nil, stateErr("Resource is not in cancellable state", "/data/attributes/canceled")
		}
		s.cancelSubmission(sub, c.now)
	}
	return s.single(c, &ref{tSubmissions, sub.id}), nil
}

func (s *Server) postItem(c *reqCtx) (any, *apiError) {
	d := &c.body.Data
	subID, _ := d.rel("reviewSubmission")
	sub := s.st.submissions[subID]
	if sub == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'reviewSubmissions' with id '%s'", subID), "/data/relationships/reviewSubmission")
	}
	vid, present := d.rel("appStoreVersion")
	if !present {
		for name := range d.Relationships {
			if name != "reviewSubmission" {
				id, _ := d.rel(name)
				return nil, relInvalid(fmt.Sprintf("There is no %s with id '%s' (the simulator models app store version items only)", name, id), "/data/relationships/"+name)
			}
		}
		return nil, conflict(ascspec.CodeRelationshipRequired, "Relationship is required", "A review submission item must reference the resource to review.", "/data/relationships")
	}
	ptr := "/data/relationships/appStoreVersion"
	v := s.st.versions[vid]
	if v == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'appStoreVersions' with id '%s'", vid), ptr)
	}
	if v.appID != sub.appID {
		return nil, relInvalid(fmt.Sprintf("appStoreVersions with id '%s' belongs to another app than reviewSubmissions with id '%s'", v.id, sub.id), ptr)
	}
	if v.platform != sub.platform {
		return nil, relInvalid(fmt.Sprintf("appStoreVersions with id '%s' is for platform %s; the review submission is for %s", v.id, v.platform, sub.platform), ptr)
	}
	if sub.state != subReady {
		return nil, conflict(codeStateInvalid, fmt.Sprintf("reviewSubmissions with id '%s' is not in valid state.", sub.id),
			"reviewSubmission state does not allow adding more items", "/data/relationships/reviewSubmission")
	}
	if other, _ := s.st.submissionOf(v.id); other != nil {
		e := conflict(codeStateInvalid, fmt.Sprintf("appStoreVersions with id '%s' is not in valid state.", v.id),
			"This resource cannot be reviewed, please check associated errors to see why.", ptr)
		assoc := item(http.StatusConflict, codeItemElsewhere, "Item is already present in another reviewSubmission",
			fmt.Sprintf("appStoreVersions with id %s was already added to another reviewSubmission with id %s", v.id, other.id))
		e.items[0].Meta = map[string]any{"associatedErrors": map[string]any{"/appStoreVersions/" + v.id: []errItem{assoc}}}
		return nil, e
	}
	if !editable(v.state) {
		return nil, conflict(codeStateInvalid, fmt.Sprintf("appStoreVersions with id '%s' is not in valid state.", v.id),
			fmt.Sprintf("An app store version in state %s cannot be added to a review submission.", v.state), ptr)
	}
	it := &subItem{submissionID: sub.id, versionID: v.id, state: itemReady}
	it.seq, it.id = s.st.next(tItems)
	s.st.items[it.id] = it
	sub.itemIDs = append(sub.itemIDs, it.id)
	return s.single(c, &ref{tItems, it.id}), nil
}

// ---- release ----

func (s *Server) postReleaseRequest(c *reqCtx) (any, *apiError) {
	vid, _ := c.body.Data.rel("appStoreVersion")
	ptr := "/data/relationships/appStoreVersion"
	v := s.st.versions[vid]
	if v == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'appStoreVersions' with id '%s'", vid), ptr)
	}
	if v.state != stPendingDev {
		return nil, stateErr(fmt.Sprintf("The app store version is in state %s; only a version in PENDING_DEVELOPER_RELEASE can be released.", v.state), ptr)
	}
	rr := &releaseRequest{versionID: v.id}
	rr.seq, rr.id = s.st.next(tReleaseReqs)
	s.st.releaseReqs[rr.id] = rr
	s.distribute(v, c.now)
	return s.single(c, &ref{tReleaseReqs, rr.id}), nil
}

// phasedMoves lists the PATCHable phased release transitions.
var phasedMoves = map[string][]string{
	"ACTIVE": {"PAUSED", "COMPLETE"},
	"PAUSED": {"ACTIVE", "COMPLETE"},
}

func (s *Server) postPhased(c *reqCtx) (any, *apiError) {
	d := &c.body.Data
	vid, _ := d.rel("appStoreVersion")
	ptr := "/data/relationships/appStoreVersion"
	v := s.st.versions[vid]
	if v == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'appStoreVersions' with id '%s'", vid), ptr)
	}
	var state string
	if present, null := d.attr("phasedReleaseState", &state); present && !null && state != "INACTIVE" {
		return nil, attrInvalid(fmt.Sprintf("A phased release is created INACTIVE; '%s' is not allowed here", state), "/data/attributes/phasedReleaseState")
	}
	if v.phasedID != "" {
		return nil, stateErr(fmt.Sprintf("The app store version already has a phased release with id %s.", v.phasedID), ptr)
	}
	if s.st.firstVersion(v) {
		return nil, stateErr("Phased release is not available for the first version of an app.", ptr)
	}
	switch v.state {
	case stProcessing, stReady, stReplaced:
		return nil, stateErr(fmt.Sprintf("The app store version is in state %s and has already been released.", v.state), ptr)
	}
	p := &phased{versionID: v.id, state: "INACTIVE"}
	p.seq, p.id = s.st.next(tPhased)
	s.st.phased[p.id] = p
	v.phasedID = p.id
	return s.single(c, &ref{tPhased, p.id}), nil
}

func (s *Server) patchPhased(c *reqCtx) (any, *apiError) {
	p := s.st.phased[c.id]
	if p == nil {
		return nil, notFound(tPhased, c.id)
	}
	var state string
	if present, null := c.body.Data.attr("phasedReleaseState", &state); present && !null {
		// Apple's words for the first two per tramline applelink.
		switch {
		case p.state == "COMPLETE":
			return nil, stateErr("You cannot change the state of a phased release that is in a final state", "/data/attributes/phasedReleaseState")
		case state == p.state:
			return nil, stateErr("The phased release already has this value", "/data/attributes/phasedReleaseState")
		case !hasString(phasedMoves[p.state], state):
			return nil, stateErr(fmt.Sprintf("A phased release in state %s cannot change to %s.", p.state, state), "/data/attributes/phasedReleaseState")
		}
		p.state = state
	}
	return s.single(c, &ref{tPhased, p.id}), nil
}

// deletePhased cancels a planned phased release: Apple's doc for DELETE
// says "Cancel a planned phased release that has not been started", so only
// an INACTIVE one goes.
func (s *Server) deletePhased(c *reqCtx) (any, *apiError) {
	p := s.st.phased[c.id]
	if p == nil {
		return nil, notFound(tPhased, c.id)
	}
	if p.state != "INACTIVE" {
		return nil, stateErr(fmt.Sprintf("A phased release in state %s has started and cannot be deleted.", p.state), "/data/id")
	}
	if v := s.st.versions[p.versionID]; v != nil {
		v.phasedID = ""
	}
	delete(s.st.phased, p.id)
	return nil, nil
}

// ---- territories and availability ----

func (s *Server) listTerritories(c *reqCtx) (any, *apiError) {
	return s.collection(c, refsOf(tTerritories, s.st.territories))
}

func (s *Server) getAvailability(c *reqCtx) (any, *apiError) {
	if s.st.avail[c.id] == nil {
		return nil, notFound(tAvailability, c.id)
	}
	return s.single(c, &ref{tAvailability, c.id}), nil
}

func (s *Server) availabilityTerritories(c *reqCtx) (any, *apiError) {
	a := s.st.avail[c.id]
	if a == nil {
		return nil, notFound(tAvailability, c.id)
	}
	return s.collection(c, refsOf(tTerritoryAv, s.availTerritoryIDs(a)))
}

func (s *Server) postAvailability(c *reqCtx) (any, *apiError) {
	d := &c.body.Data
	appID, _ := d.rel("app")
	if s.st.apps[appID] == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'apps' with id '%s'", appID), "/data/relationships/app")
	}
	var newTerrs bool
	d.attr("availableInNewTerritories", &newTerrs)
	inc := map[string]int{}
	for i, r := range c.body.Included {
		inc[r.ID] = i
	}
	type change struct {
		territory string
		available bool
		date      *string
		preOrder  bool
	}
	var changes []change
	seenTerr := map[string]bool{}
	for i, id := range d.relMany("territoryAvailabilities") {
		j, ok := inc[id]
		if !ok {
			return nil, conflict(ascspec.CodeIncludedInvalid, "The provided entity includes an invalid included resource",
				fmt.Sprintf("The territory availability '%s' is not created inline in 'included'.", id),
				"/data/relationships/territoryAvailabilities/data/"+strconv.Itoa(i)+"/id")
		}
		r := c.body.Included[j]
		ptr := "/included/" + strconv.Itoa(j)
		terr, present := r.rel("territory")
		if !present || terr == "" {
			return nil, conflict(ascspec.CodeIncludedInvalid, "The provided entity includes an invalid included resource",
				"An inline territory availability needs its 'territory' relationship.", ptr+"/relationships/territory")
		}
		if !hasString(s.st.territories, terr) {
			return nil, relInvalid(fmt.Sprintf("There is no resource of type 'territories' with id '%s'", terr), ptr+"/relationships/territory/data/id")
		}
		if seenTerr[terr] {
			return nil, conflict(ascspec.CodeIncludedInvalid, "The provided entity includes an invalid included resource",
				fmt.Sprintf("The territory '%s' is listed more than once.", terr), ptr+"/relationships/territory/data/id")
		}
		seenTerr[terr] = true
		ch := change{territory: terr}
		r.attr("available", &ch.available)
		var date string
		if present, null := r.attr("releaseDate", &date); present && !null {
			ch.date = strp(date)
		}
		r.attr("preOrderEnabled", &ch.preOrder)
		changes = append(changes, ch)
	}
	a := s.st.avail[s.st.availByApp[appID]]
	if a == nil {
		a = &availability{appID: appID, byTerr: map[string]*territoryAvail{}}
		a.seq, a.id = s.st.next(tAvailability)
		s.st.avail[a.id] = a
		s.st.availByApp[appID] = a.id
	}
	a.newTerrs = newTerrs
	for _, ch := range changes {
		ta := a.byTerr[ch.territory]
		if ta == nil {
			ta = &territoryAvail{availID: a.id, territory: ch.territory}
			_, ta.id = s.st.next(tTerritoryAv)
			a.byTerr[ch.territory] = ta
			s.st.territoryAvID[ta.id] = ta
		}
		ta.available, ta.releaseDate, ta.preOrder = ch.available, ch.date, ch.preOrder
	}
	return s.single(c, &ref{tAvailability, a.id}), nil
}

// ---- in-app purchases and webhooks ----

func (s *Server) postIAPSubmission(c *reqCtx) (any, *apiError) {
	id, _ := c.body.Data.rel("inAppPurchaseV2")
	ptr := "/data/relationships/inAppPurchaseV2"
	p := s.st.iaps[id]
	if p == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'inAppPurchases' with id '%s'", id), ptr)
	}
	if p.state != "READY_TO_SUBMIT" {
		return nil, stateErr(fmt.Sprintf("The in-app purchase is in state %s; only READY_TO_SUBMIT can be submitted.", p.state), ptr)
	}
	approved := false
	for _, o := range s.st.iaps {
		if o.appID == p.appID && o.state == "APPROVED" {
			approved = true
		}
	}
	if !approved {
		return nil, conflict(codeFirstIAP, titleStateInvalid,
			"The first in-app purchase of an app must be submitted for review together with a new app version.", ptr)
	}
	p.state = "WAITING_FOR_REVIEW"
	sub := &iapSubmission{iapID: p.id}
	sub.seq, sub.id = s.st.next(tIAPSubs)
	s.st.iapSubs[sub.id] = sub
	return s.single(c, &ref{tIAPSubs, sub.id}), nil
}

func (s *Server) postWebhook(c *reqCtx) (any, *apiError) {
	d := &c.body.Data
	appID, _ := d.rel("app")
	if s.st.apps[appID] == nil {
		return nil, relInvalid(fmt.Sprintf("There is no resource of type 'apps' with id '%s'", appID), "/data/relationships/app")
	}
	w := &webhook{appID: appID}
	d.attr("name", &w.name)
	d.attr("url", &w.url)
	d.attr("secret", &w.secret)
	d.attr("enabled", &w.enabled)
	d.attr("eventTypes", &w.eventTypes)
	w.seq, w.id = s.st.next(tWebhooks)
	s.st.webhooks[w.id] = w
	return s.single(c, &ref{tWebhooks, w.id}), nil
}
