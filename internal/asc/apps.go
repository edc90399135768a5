package asc

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AppsService reads apps (resource type "apps").
type AppsService service

// Sparse fieldsets: exactly the attributes (and, where linkage is needed,
// relationships) the bot reads. Every name is in the spec's fields[...] enum
// for the operations that send it.
var (
	appFields       = []string{"name", "bundleId", "sku", "primaryLocale"}
	versionFields   = []string{"platform", "versionString", "appStoreState", "appVersionState", "releaseType", "earliestReleaseDate", "createdDate", "downloadable"}
	submissionAttrs = []string{"platform", "submittedDate", "state"}
	buildFields     = []string{"version", "uploadedDate", "expirationDate", "expired", "processingState", "usesNonExemptEncryption"}
)

// with returns a new slice of base plus extra names.
func with(base []string, extra ...string) []string {
	return append(slices.Clone(base), extra...)
}

type appAttrs struct {
	Name          string `json:"name"`
	BundleID      string `json:"bundleId"`
	SKU           string `json:"sku"`
	PrimaryLocale string `json:"primaryLocale"`
}

func appFrom(r *Resource) (App, error) {
	var a appAttrs
	if err := r.DecodeAttributes(&a); err != nil {
		return App{}, err
	}
	return App{ID: r.ID, Name: a.Name, BundleID: a.BundleID, SKU: a.SKU, PrimaryLocale: a.PrimaryLocale}, nil
}

// List returns every app the key can see (all pages, 200 per page).
// GET /v1/apps
func (s *AppsService) List(ctx context.Context) ([]App, *Response, error) {
	q := query{}.set("fields[apps]", appFields...).setInt("limit", 200)
	var apps []App
	resp, err := s.client.getAll(ctx, "/v1/apps", q, func(doc *Document) error {
		rs, err := manyOf(doc, "apps")
		if err != nil {
			return err
		}
		for i := range rs {
			a, err := appFrom(&rs[i])
			if err != nil {
				return err
			}
			apps = append(apps, a)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing apps: %w", err)
	}
	return apps, resp, nil
}

// Get returns one app. GET /v1/apps/{id}
func (s *AppsService) Get(ctx context.Context, id string) (*App, *Response, error) {
	q := query{}.set("fields[apps]", appFields...)
	var doc Document
	resp, err := s.client.get(ctx, "/v1/apps/"+url.PathEscape(id), q, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting app %s: %w", id, err)
	}
	r, err := oneOf(&doc, "apps")
	if err != nil || r == nil {
		return nil, resp, fmt.Errorf("getting app %s: %w", id, orNull(err))
	}
	a, err := appFrom(r)
	if err != nil {
		return nil, resp, fmt.Errorf("getting app %s: %w", id, err)
	}
	return &a, resp, nil
}

// Find returns every app whose id, bundle id or name equals query, ignoring
// case (exact matches only). No match gives an empty slice and no error.
func (s *AppsService) Find(ctx context.Context, query string) ([]App, *Response, error) {
	query = strings.TrimSpace(query)
	apps, resp, err := s.List(ctx)
	if err != nil {
		return nil, resp, fmt.Errorf("finding app %q: %w", query, err)
	}
	var out []App
	for _, a := range apps {
		if strings.EqualFold(a.ID, query) || strings.EqualFold(a.BundleID, query) || strings.EqualFold(a.Name, query) {
			out = append(out, a)
		}
	}
	return out, resp, nil
}

// SnapshotOptions sets how many of each related resource Snapshot includes.
// Zero means DefaultSnapshotLimit; values above 50 (the spec's maximum for
// limit[...]) are capped.
type SnapshotOptions struct {
	Versions, Submissions, Builds int
}

// DefaultSnapshotLimit is used for a zero SnapshotOptions field.
const DefaultSnapshotLimit = 10

// maxIncludeLimit is the spec's maximum for limit[relationship].
const maxIncludeLimit = 50

func includeLimit(n int) int {
	if n <= 0 {
		return DefaultSnapshotLimit
	}
	return min(n, maxIncludeLimit)
}

// AppSnapshot is an app with its recent versions, submissions and builds.
type AppSnapshot struct {
	App         App
	Versions    []AppStoreVersion  // newest first (createdDate)
	Submissions []ReviewSubmission // as Apple ordered them
	Builds      []Build            // newest first (uploadedDate)
}

// Snapshot reads an app and its recent versions, review submissions and
// builds in ONE request (the poller's per-app read):
//
//	GET /v1/apps/{id}?include=appStoreVersions,reviewSubmissions,builds
//	    &limit[appStoreVersions]=N&limit[reviewSubmissions]=N&limit[builds]=N
//	    &fields[apps]=…&fields[appStoreVersions]=…&fields[reviewSubmissions]=…&fields[builds]=…
//
// Builds carry no MarketingVersion/Platform here (their preReleaseVersion is
// not included); Submissions carry VersionID/ItemIDs only when Apple sends
// the linkage.
func (s *AppsService) Snapshot(ctx context.Context, appID string, opt SnapshotOptions) (*AppSnapshot, *Response, error) {
	q := query{}.
		set("include", "appStoreVersions", "reviewSubmissions", "builds").
		setInt("limit[appStoreVersions]", includeLimit(opt.Versions)).
		setInt("limit[reviewSubmissions]", includeLimit(opt.Submissions)).
		setInt("limit[builds]", includeLimit(opt.Builds)).
		set("fields[apps]", with(appFields, "appStoreVersions", "reviewSubmissions", "builds")...).
		set("fields[appStoreVersions]", with(versionFields, "build")...).
		set("fields[reviewSubmissions]", with(submissionAttrs, "appStoreVersionForReview", "items")...).
		set("fields[builds]", with(buildFields, "preReleaseVersion")...)
	var doc Document
	resp, err := s.client.get(ctx, "/v1/apps/"+url.PathEscape(appID), q, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("reading snapshot of app %s: %w", appID, err)
	}
	r, err := oneOf(&doc, "apps")
	if err != nil || r == nil {
		return nil, resp, fmt.Errorf("reading snapshot of app %s: %w", appID, orNull(err))
	}
	app, err := appFrom(r)
	if err != nil {
		return nil, resp, fmt.Errorf("reading snapshot of app %s: %w", appID, err)
	}
	snap := &AppSnapshot{App: app}
	for _, inc := range doc.Included {
		var err error
		switch inc.Type {
		case "appStoreVersions":
			var v AppStoreVersion
			if v, err = versionFrom(&inc); err == nil {
				if v.AppID == "" {
					v.AppID = app.ID
				}
				snap.Versions = append(snap.Versions, v)
			}
		case "reviewSubmissions":
			var sub ReviewSubmission
			if sub, err = submissionFrom(&inc); err == nil {
				if sub.AppID == "" {
					sub.AppID = app.ID
				}
				snap.Submissions = append(snap.Submissions, sub)
			}
		case "builds":
			var b Build
			if b, err = buildFrom(&inc, &doc); err == nil {
				snap.Builds = append(snap.Builds, b)
			}
		}
		if err != nil {
			return nil, resp, fmt.Errorf("reading snapshot of app %s: %w", appID, err)
		}
	}
	sortVersions(snap.Versions)
	sortBuilds(snap.Builds)
	return snap, resp, nil
}

// newestFirst orders by time descending, unknown times last.
func newestFirst(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return b.Compare(*a)
}

func sortVersions(vs []AppStoreVersion) {
	slices.SortStableFunc(vs, func(a, b AppStoreVersion) int { return newestFirst(a.CreatedDate, b.CreatedDate) })
}

func sortBuilds(bs []Build) {
	slices.SortStableFunc(bs, func(a, b Build) int { return newestFirst(a.UploadedDate, b.UploadedDate) })
}

// orNull turns a nil decode error (meaning data was null) into ErrNotFound.
func orNull(err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("response data is null: %w", ErrNotFound)
}
