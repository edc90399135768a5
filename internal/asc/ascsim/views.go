package ascsim

import (
	"sort"
	"time"
)

// buildExpiry is how long a build stays usable (Apple: 90 days).
const buildExpiry = 90 * 24 * time.Hour

// currencies are illustrative currencies for common territories; others
// report USD.
var currencies = map[string]string{
	"USA": "USD", "JPN": "JPY", "GBR": "GBP", "CAN": "CAD", "AUS": "AUD", "CHN": "CNY", "KOR": "KRW",
	"IND": "INR", "BRA": "BRL", "MEX": "MXN", "CHE": "CHF", "SWE": "SEK", "NOR": "NOK", "DNK": "DKK",
	"NZL": "NZD", "SGP": "SGD", "HKG": "HKD", "TWN": "TWD", "RUS": "RUB", "TUR": "TRY", "ZAF": "ZAR",
	"SAU": "SAR", "ARE": "AED", "ISR": "ILS", "POL": "PLN", "CZE": "CZK", "HUN": "HUF", "IDN": "IDR",
	"THA": "THB", "MYS": "MYR", "PHL": "PHP", "VNM": "VND", "EGY": "EGP", "NGA": "NGN", "PAK": "PKR",
	"DEU": "EUR", "FRA": "EUR", "ITA": "EUR", "ESP": "EUR", "NLD": "EUR", "BEL": "EUR", "AUT": "EUR",
	"FIN": "EUR", "IRL": "EUR", "PRT": "EUR", "GRC": "EUR", "LUX": "EUR", "SVK": "EUR", "SVN": "EUR",
	"EST": "EUR", "LVA": "EUR", "LTU": "EUR", "MLT": "EUR", "CYP": "EUR", "HRV": "EUR",
}

// view builds the generic projection of a modelled resource (caller holds
// mu); nil when it does not exist.
func (s *Server) view(r ref) *view {
	st := s.st
	v := &view{typ: r.typ, id: r.id, attrs: map[string]any{}, rels: map[string]relv{}}
	switch r.typ {
	case tApps:
		a := st.apps[r.id]
		if a == nil {
			return nil
		}
		v.attrs["name"] = a.name
		v.attrs["bundleId"] = a.bundleID
		v.attrs["sku"] = a.sku
		v.attrs["primaryLocale"] = a.primaryLocale
		v.attrs["isOrEverWasMadeForKids"] = false
		v.attrs["streamlinedPurchasingEnabled"] = false
		v.rels["appStoreVersions"] = many(tVersions, s.appVersionIDs(a.id))
		v.rels["builds"] = many(tBuilds, s.appBuildIDs(a.id))
		v.rels["reviewSubmissions"] = many(tSubmissions, s.appSubmissionIDs(a.id))
		v.rels["preReleaseVersions"] = many(tPreRelease, s.appPreReleaseIDs(a.id))
		var iaps []string
		for _, p := range sortedBySeq(st.iaps, func(p *iap) int { return p.seq }) {
			if p.appID == a.id {
				iaps = append(iaps, p.id)
			}
		}
		v.rels["inAppPurchasesV2"] = many(tIAPs, iaps)
	case tVersions:
		ver := st.versions[r.id]
		if ver == nil {
			return nil
		}
		v.attrs["platform"] = ver.platform
		v.attrs["versionString"] = ver.versionString
		v.attrs["appStoreState"] = AppStoreState(ver.state)
		v.attrs["appVersionState"] = ver.state
		v.attrs["copyright"] = ptrVal(ver.copyright)
		v.attrs["reviewType"] = ver.reviewType
		v.attrs["releaseType"] = ver.releaseType
		v.attrs["earliestReleaseDate"] = fmtTimePtr(ver.earliestReleaseDate)
		v.attrs["usesIdfa"] = ptrVal(ver.usesIdfa)
		v.attrs["downloadable"] = ver.downloadable
		v.attrs["createdDate"] = fmtTime(ver.created)
		v.rels["app"] = one(tApps, ver.appID)
		v.rels["appStoreVersionLocalizations"] = many(tLocalizations, ver.locIDs)
		v.rels["build"] = one(tBuilds, ver.buildID)
		v.rels["appStoreVersionPhasedRelease"] = one(tPhased, ver.phasedID)
	case tLocalizations:
		l := st.locs[r.id]
		if l == nil {
			return nil
		}
		v.attrs["locale"] = l.locale
		v.attrs["description"] = ptrVal(l.description)
		v.attrs["keywords"] = ptrVal(l.keywords)
		v.attrs["marketingUrl"] = ptrVal(l.marketingURL)
		v.attrs["promotionalText"] = ptrVal(l.promotionalText)
		v.attrs["supportUrl"] = ptrVal(l.supportURL)
		v.attrs["whatsNew"] = ptrVal(l.whatsNew)
		v.rels["appStoreVersion"] = one(tVersions, l.versionID)
	case tBuilds:
		b := st.builds[r.id]
		if b == nil {
			return nil
		}
		v.attrs["version"] = b.number
		v.attrs["uploadedDate"] = fmtTime(b.uploaded)
		v.attrs["expirationDate"] = fmtTime(b.uploaded.Add(buildExpiry))
		v.attrs["expired"] = b.expired
		v.attrs["minOsVersion"] = "17.0"
		v.attrs["processingState"] = b.processingState
		v.attrs["buildAudienceType"] = "APP_STORE_ELIGIBLE"
		v.attrs["usesNonExemptEncryption"] = ptrVal(b.usesNonExemptEncryption)
		v.rels["app"] = one(tApps, b.appID)
		v.rels["preReleaseVersion"] = one(tPreRelease, b.preReleaseID)
		v.rels["buildUpload"] = one(tUploads, b.uploadID)
		verID := ""
		for _, ver := range st.versions {
			if ver.buildID == b.id {
				verID = ver.id
			}
		}
		v.rels["appStoreVersion"] = one(tVersions, verID)
		s.addBuildBetaRels(v, b)
	case tPreRelease:
		p := st.preReleases[r.id]
		if p == nil {
			return nil
		}
		v.attrs["version"] = p.version
		v.attrs["platform"] = p.platform
		v.rels["app"] = one(tApps, p.appID)
		var ids []string
		for _, b := range s.sortedBuilds(p.appID) {
			if b.preReleaseID == p.id {
				ids = append(ids, b.id)
			}
		}
		v.rels["builds"] = many(tBuilds, ids)
	case tUploads:
		b := st.builds[st.uploads[r.id]]
		if b == nil {
			return nil
		}
		state := "COMPLETE"
		switch b.processingState {
		case "PROCESSING":
			state = "PROCESSING"
		case "FAILED", "INVALID":
			state = "FAILED"
		}
		v.attrs["cfBundleShortVersionString"] = b.marketingVersion
		v.attrs["cfBundleVersion"] = b.number
		v.attrs["createdDate"] = fmtTime(b.uploaded)
		v.attrs["uploadedDate"] = fmtTime(b.uploaded)
		v.attrs["platform"] = b.platform
		v.attrs["state"] = map[string]any{"state": state, "errors": []any{}, "warnings": []any{}, "infos": []any{}}
		v.rels["build"] = one(tBuilds, b.id)
	case tSubmissions:
		sub := st.submissions[r.id]
		if sub == nil {
			return nil
		}
		v.attrs["platform"] = sub.platform
		v.attrs["submittedDate"] = fmtTimePtr(sub.submitted)
		v.attrs["state"] = sub.state
		v.rels["app"] = one(tApps, sub.appID)
		v.rels["items"] = many(tItems, sub.itemIDs)
		verID := ""
		for _, iid := range sub.itemIDs {
			if it := st.items[iid]; it != nil && it.versionID != "" && it.state != itemRemoved {
				verID = it.versionID
			}
		}
		v.rels["appStoreVersionForReview"] = one(tVersions, verID)
	case tItems:
		it := st.items[r.id]
		if it == nil {
			return nil
		}
		v.attrs["state"] = it.state
		v.rels["appStoreVersion"] = one(tVersions, it.versionID)
	case tReleaseReqs:
		if st.releaseReqs[r.id] == nil {
			return nil
		}
	case tPhased:
		p := st.phased[r.id]
		if p == nil {
			return nil
		}
		v.attrs["phasedReleaseState"] = p.state
		v.attrs["startDate"] = fmtTimePtr(p.start)
		v.attrs["totalPauseDuration"] = p.pauseDays
		v.attrs["currentDayNumber"] = p.day
	case tTerritories:
		if !hasString(st.territories, r.id) {
			return nil
		}
		cur := currencies[r.id]
		if cur == "" {
			cur = "USD"
		}
		v.attrs["currency"] = cur
	case tAvailability:
		a := st.avail[r.id]
		if a == nil {
			return nil
		}
		v.attrs["availableInNewTerritories"] = a.newTerrs
		v.rels["territoryAvailabilities"] = many(tTerritoryAv, s.availTerritoryIDs(a))
	case tTerritoryAv:
		ta := st.territoryAvID[r.id]
		if ta == nil {
			return nil
		}
		v.attrs["available"] = ta.available
		v.attrs["releaseDate"] = ptrVal(ta.releaseDate)
		v.attrs["preOrderEnabled"] = ta.preOrder
		v.attrs["preOrderPublishDate"] = nil
		status := []string{}
		if ta.available {
			status = []string{"AVAILABLE"}
		}
		v.attrs["contentStatuses"] = status
		v.rels["territory"] = one(tTerritories, ta.territory)
	case tIAPs:
		p := st.iaps[r.id]
		if p == nil {
			return nil
		}
		v.attrs["name"] = p.name
		v.attrs["productId"] = p.productID
		v.attrs["inAppPurchaseType"] = p.typ
		v.attrs["state"] = p.state
		v.attrs["familySharable"] = false
		v.attrs["contentHosting"] = false
	case tIAPSubs:
		p := st.iapSubs[r.id]
		if p == nil {
			return nil
		}
		v.rels["inAppPurchaseV2"] = one(tIAPs, p.iapID)
	case tWebhooks:
		w := st.webhooks[r.id]
		if w == nil {
			return nil
		}
		v.attrs["enabled"] = w.enabled
		v.attrs["eventTypes"] = append([]string{}, w.eventTypes...)
		v.attrs["name"] = w.name
		v.attrs["url"] = w.url
		v.rels["app"] = one(tApps, w.appID)
	default:
		return s.betaView(r)
	}
	return v
}

// appVersionIDs: newest first (by createdDate, then creation order).
func (s *Server) appVersionIDs(appID string) []string {
	vs := s.st.appVersions(appID, "")
	sort.SliceStable(vs, func(i, j int) bool {
		if !vs[i].created.Equal(vs[j].created) {
			return vs[i].created.After(vs[j].created)
		}
		return vs[i].seq > vs[j].seq
	})
	ids := make([]string, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.id)
	}
	return ids
}

// sortedBuilds: newest upload first.
func (s *Server) sortedBuilds(appID string) []*build {
	var out []*build
	for _, b := range sortedBySeq(s.st.builds, func(b *build) int { return b.seq }) {
		if appID == "" || b.appID == appID {
			out = append(out, b)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].uploaded.Equal(out[j].uploaded) {
			return out[i].uploaded.After(out[j].uploaded)
		}
		return out[i].seq > out[j].seq
	})
	return out
}

func (s *Server) appBuildIDs(appID string) []string {
	var ids []string
	for _, b := range s.sortedBuilds(appID) {
		ids = append(ids, b.id)
	}
	return ids
}

// appSubmissionIDs: newest first.
func (s *Server) appSubmissionIDs(appID string) []string {
	subs := sortedBySeq(s.st.submissions, func(x *submission) int { return x.seq })
	var ids []string
	for i := len(subs) - 1; i >= 0; i-- {
		if subs[i].appID == appID {
			ids = append(ids, subs[i].id)
		}
	}
	return ids
}

func (s *Server) appPreReleaseIDs(appID string) []string {
	var ids []string
	for _, p := range sortedBySeq(s.st.preReleases, func(p *preRelease) int { return p.seq }) {
		if p.appID == appID {
			ids = append(ids, p.id)
		}
	}
	return ids
}

// availTerritoryIDs lists territory availabilities in TerritoryCode order.
func (s *Server) availTerritoryIDs(a *availability) []string {
	var ids []string
	for _, code := range s.st.territories {
		if ta, ok := a.byTerr[code]; ok {
			ids = append(ids, ta.id)
		}
	}
	return ids
}
