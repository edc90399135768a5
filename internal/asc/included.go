package asc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
)

// Compound reads: one request returns a resource and, in the document's
// "included" array, the resources its relationships link to (include=…),
// each cut to the fields the bot reads (fields[type]=…) and to-many
// relationships capped by limit[relationship]=… (the spec's maximum is 50).
// The decoded results are typed, as go-github returns typed related objects.

// related decodes the resources r's relationship rel links to, from doc's
// included array, in linkage order. ok is false when the document carries no
// linkage for rel (it was not included); complete is false when Apple capped
// the linkage (meta.paging.total is larger than the linkage sent).
func related[T any](doc *Document, r *Resource, rel, typ string, decode func(*Resource) (T, error)) (out []T, ok, complete bool, err error) {
	link, has := r.Relationships[rel]
	if !has || !link.Data.Present {
		return nil, false, false, nil
	}
	ids := link.Data.IDs()
	for _, id := range ids {
		inc := doc.FindIncluded(typ, id)
		if inc == nil {
			// Linked but not sent (e.g. a type the fields[] omitted): the
			// caller must not trust the list as whole.
			return out, true, false, nil
		}
		v, err := decode(inc)
		if err != nil {
			return nil, true, false, err
		}
		out = append(out, v)
	}
	complete = true
	if len(link.Meta) > 0 {
		var m struct {
			Paging *Paging `json:"paging"`
		}
		if json.Unmarshal(link.Meta, &m) == nil && m.Paging != nil && m.Paging.Total > len(ids) {
			complete = false
		}
	}
	return out, true, complete, nil
}

// VersionDetail is a version with what a card shows about it, read in one request.
type VersionDetail struct {
	Version AppStoreVersion
	// Build is the attached build (nil when none). It carries no
	// MarketingVersion/Platform: Apple refuses nested includes.
	Build *Build
	// Localizations in Apple's order; LocalizationsComplete is false when
	// the version has more than limit[appStoreVersionLocalizations] (50).
	Localizations         []Localization
	LocalizationsComplete bool
	// Phased is the version's phased release, nil when it has none.
	Phased *PhasedRelease
	// App is the version's app as the same read included it (ListDetail),
	// nil otherwise.
	App *App
}

// versionDetailQuery is the include/fields/limit part of GetDetail and FindDetail.
func versionDetailQuery() query {
	return query{}.
		set("include", "app", "build", "appStoreVersionLocalizations", "appStoreVersionPhasedRelease").
		set("fields[appStoreVersions]", with(versionFields, "app", "build", "appStoreVersionLocalizations", "appStoreVersionPhasedRelease")...).
		set("fields[apps]", "bundleId").
		set("fields[builds]", buildFields...).
		set("fields[appStoreVersionLocalizations]", "locale", "whatsNew").
		set("fields[appStoreVersionPhasedReleases]", "phasedReleaseState", "startDate", "totalPauseDuration", "currentDayNumber").
		setInt("limit[appStoreVersionLocalizations]", maxIncludeLimit)
}

// versionDetailFrom decodes a version resource and its included relations.
func versionDetailFrom(r *Resource, doc *Document) (*VersionDetail, error) {
	v, err := versionFrom(r)
	if err != nil {
		return nil, err
	}
	d := &VersionDetail{Version: v}
	builds, _, _, err := related(doc, r, "build", "builds", func(r *Resource) (Build, error) { return buildFrom(r, doc) })
	if err != nil {
		return nil, err
	}
	if len(builds) == 1 {
		d.Build = &builds[0]
	}
	locs, _, complete, err := related(doc, r, "appStoreVersionLocalizations", "appStoreVersionLocalizations", localizationFrom)
	if err != nil {
		return nil, err
	}
	for i := range locs {
		if locs[i].VersionID == "" {
			locs[i].VersionID = v.ID
		}
	}
	d.Localizations, d.LocalizationsComplete = locs, complete
	phased, _, _, err := related(doc, r, "appStoreVersionPhasedRelease", "appStoreVersionPhasedReleases", phasedFrom)
	if err != nil {
		return nil, err
	}
	if len(phased) == 1 {
		d.Phased = &phased[0]
	}
	return d, nil
}

// GetDetail reads a version with its attached build, localizations and
// phased release in one request:
//
//	GET /v1/appStoreVersions/{id}?include=app,build,appStoreVersionLocalizations,appStoreVersionPhasedRelease
//	    &fields[…]=…&limit[appStoreVersionLocalizations]=50
func (s *VersionsService) GetDetail(ctx context.Context, id string) (*VersionDetail, *Response, error) {
	var doc Document
	resp, err := s.client.get(ctx, "/v1/appStoreVersions/"+url.PathEscape(id), versionDetailQuery(), &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting version %s with its build and localizations: %w", id, err)
	}
	r, err := oneOf(&doc, "appStoreVersions")
	if err != nil || r == nil {
		return nil, resp, fmt.Errorf("getting version %s with its build and localizations: %w", id, orNull(err))
	}
	d, err := versionDetailFrom(r, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting version %s with its build and localizations: %w", id, err)
	}
	return d, resp, nil
}

// FindDetail is GetDetail for the version named by its version string, found
// through the app (so no version id is needed first); the error matches
// ErrNotFound when the app has no such version on that platform.
//
//	GET /v1/apps/{id}/appStoreVersions?filter[versionString]=…&filter[platform]=…&include=…
func (s *VersionsService) FindDetail(ctx context.Context, appID, versionString string, platform Platform) (*VersionDetail, *Response, error) {
	q := versionDetailQuery().
		set("filter[versionString]", versionString).
		set("filter[platform]", string(platform)).
		setInt("limit", 10)
	var doc Document
	resp, err := s.client.get(ctx, "/v1/apps/"+url.PathEscape(appID)+"/appStoreVersions", q, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("finding version %s of app %s: %w", versionString, appID, err)
	}
	rs, err := manyOf(&doc, "appStoreVersions")
	if err != nil {
		return nil, resp, fmt.Errorf("finding version %s of app %s: %w", versionString, appID, err)
	}
	for i := range rs {
		d, err := versionDetailFrom(&rs[i], &doc)
		if err != nil {
			return nil, resp, fmt.Errorf("finding version %s of app %s: %w", versionString, appID, err)
		}
		if d.Version.VersionString != versionString || (platform != "" && d.Version.Platform != platform) {
			continue
		}
		if d.Version.AppID == "" {
			d.Version.AppID = appID
		}
		return d, resp, nil
	}
	return nil, resp, fmt.Errorf("finding version %s (%s) of app %s: %w", versionString, platform.Label(), appID, ErrNotFound)
}

// AppOverview is an app with its newest versions and its in-app purchases,
// read in one request.
type AppOverview struct {
	App App
	// Versions newest first (all platforms); VersionsComplete is false when
	// the app has more than limit[appStoreVersions] (50).
	Versions         []AppStoreVersion
	VersionsComplete bool
	// IAPs are the in-app purchases (v2); IAPsComplete is false when the app
	// has more than limit[inAppPurchasesV2] (50).
	IAPs         []InAppPurchase
	IAPsComplete bool
}

// Overview reads an app, its 50 newest versions and its in-app purchases:
//
//	GET /v1/apps/{id}?include=appStoreVersions,inAppPurchasesV2
//	    &limit[appStoreVersions]=50&limit[inAppPurchasesV2]=50&fields[…]=…
func (s *AppsService) Overview(ctx context.Context, appID string) (*AppOverview, *Response, error) {
	q := query{}.
		set("include", "appStoreVersions", "inAppPurchasesV2").
		setInt("limit[appStoreVersions]", maxIncludeLimit).
		setInt("limit[inAppPurchasesV2]", maxIncludeLimit).
		set("fields[apps]", with(appFields, "appStoreVersions", "inAppPurchasesV2")...).
		set("fields[appStoreVersions]", versionFields...).
		set("fields[inAppPurchases]", iapFields...)
	var doc Document
	resp, err := s.client.get(ctx, "/v1/apps/"+url.PathEscape(appID), q, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("reading overview of app %s: %w", appID, err)
	}
	r, err := oneOf(&doc, "apps")
	if err != nil || r == nil {
		return nil, resp, fmt.Errorf("reading overview of app %s: %w", appID, orNull(err))
	}
	app, err := appFrom(r)
	if err != nil {
		return nil, resp, fmt.Errorf("reading overview of app %s: %w", appID, err)
	}
	o := &AppOverview{App: app}
	o.Versions, _, o.VersionsComplete, err = related(&doc, r, "appStoreVersions", "appStoreVersions", versionFrom)
	if err == nil {
		o.IAPs, _, o.IAPsComplete, err = related(&doc, r, "inAppPurchasesV2", "inAppPurchases", iapFrom)
	}
	if err != nil {
		return nil, resp, fmt.Errorf("reading overview of app %s: %w", appID, err)
	}
	for i := range o.Versions {
		if o.Versions[i].AppID == "" {
			o.Versions[i].AppID = app.ID
		}
	}
	sortVersions(o.Versions)
	return o, resp, nil
}

// ListDetail returns the app's versions on platform (all pages, newest
// first), each with its attached build and phased release, in one request a
// page (localizations are not included):
//
//	GET /v1/apps/{id}/appStoreVersions?filter[platform]=…&include=app,build,appStoreVersionPhasedRelease&limit=200
//
// The app comes along (VersionDetail.App): its name and bundle id as Apple
// has them now, so a caller that named the app from an older list can check it.
func (s *VersionsService) ListDetail(ctx context.Context, appID string, platform Platform) ([]VersionDetail, *Response, error) {
	q := query{}.
		set("filter[platform]", string(platform)).
		set("include", "app", "build", "appStoreVersionPhasedRelease").
		set("fields[appStoreVersions]", with(versionFields, "app", "build", "appStoreVersionPhasedRelease")...).
		set("fields[apps]", appFields...).
		set("fields[builds]", buildFields...).
		set("fields[appStoreVersionPhasedReleases]", "phasedReleaseState", "startDate", "totalPauseDuration", "currentDayNumber").
		setInt("limit", 200)
	var out []VersionDetail
	resp, err := s.client.getAll(ctx, "/v1/apps/"+url.PathEscape(appID)+"/appStoreVersions", q, func(doc *Document) error {
		rs, err := manyOf(doc, "appStoreVersions")
		if err != nil {
			return err
		}
		for i := range rs {
			d, err := versionDetailFrom(&rs[i], doc)
			if err != nil {
				return err
			}
			if d.Version.AppID == "" {
				d.Version.AppID = appID
			}
			apps, _, _, err := related(doc, &rs[i], "app", "apps", appFrom)
			if err != nil {
				return err
			}
			if len(apps) == 1 {
				d.App = &apps[0]
			}
			out = append(out, *d)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing versions of app %s with their builds: %w", appID, err)
	}
	slices.SortStableFunc(out, func(a, b VersionDetail) int { return newestFirst(a.Version.CreatedDate, b.Version.CreatedDate) })
	return out, resp, nil
}
