package asc

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// VersionsService manages app store versions (resource type "appStoreVersions").
type VersionsService service

type versionAttrs struct {
	Platform            Platform        `json:"platform"`
	VersionString       string          `json:"versionString"`
	AppStoreState       string          `json:"appStoreState"`
	AppVersionState     AppVersionState `json:"appVersionState"`
	ReleaseType         ReleaseType     `json:"releaseType"`
	EarliestReleaseDate looseTime       `json:"earliestReleaseDate"`
	CreatedDate         looseTime       `json:"createdDate"`
	Downloadable        *bool           `json:"downloadable"`
}

func versionFrom(r *Resource) (AppStoreVersion, error) {
	var a versionAttrs
	if err := r.DecodeAttributes(&a); err != nil {
		return AppStoreVersion{}, err
	}
	return AppStoreVersion{
		ID:                  r.ID,
		AppID:               r.Rel("app"),
		Platform:            a.Platform,
		VersionString:       a.VersionString,
		AppVersionState:     a.AppVersionState,
		AppStoreState:       a.AppStoreState,
		ReleaseType:         a.ReleaseType,
		EarliestReleaseDate: a.EarliestReleaseDate.t,
		CreatedDate:         a.CreatedDate.t,
		Downloadable:        a.Downloadable,
		BuildID:             r.Rel("build"),
	}, nil
}

// decodeVersion decodes a single-version document.
func decodeVersion(doc *Document) (*AppStoreVersion, error) {
	r, err := oneOf(doc, "appStoreVersions")
	if err != nil || r == nil {
		return nil, orNull(err)
	}
	v, err := versionFrom(r)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// VersionListOptions filters List. Zero fields do not filter.
type VersionListOptions struct {
	Platform      Platform
	VersionString string
	States        []AppVersionState // filter[appVersionState]
	// IncludeBuild asks for the build linkage so BuildID is filled.
	IncludeBuild bool
}

// List returns the app's versions, newest first by createdDate (the endpoint
// has no sort parameter, so the order is made here).
// GET /v1/apps/{id}/appStoreVersions
func (s *VersionsService) List(ctx context.Context, appID string, opt *VersionListOptions) ([]AppStoreVersion, *Response, error) {
	if opt == nil {
		opt = &VersionListOptions{}
	}
	q := query{}.
		set("filter[platform]", string(opt.Platform)).
		set("filter[versionString]", opt.VersionString).
		set("filter[appVersionState]", strs(opt.States)...).
		set("fields[appStoreVersions]", with(versionFields, "build")...).
		setInt("limit", 200)
	if opt.IncludeBuild {
		q.set("include", "build").set("fields[builds]", "version")
	}
	var out []AppStoreVersion
	resp, err := s.client.getAll(ctx, "/v1/apps/"+url.PathEscape(appID)+"/appStoreVersions", q, func(doc *Document) error {
		rs, err := manyOf(doc, "appStoreVersions")
		if err != nil {
			return err
		}
		for i := range rs {
			v, err := versionFrom(&rs[i])
			if err != nil {
				return err
			}
			if v.AppID == "" {
				v.AppID = appID
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing versions of app %s: %w", appID, err)
	}
	sortVersions(out)
	return out, resp, nil
}

// Get returns one version with its app and build linkage (AppID, BuildID).
// GET /v1/appStoreVersions/{id}?include=app,build
func (s *VersionsService) Get(ctx context.Context, id string) (*AppStoreVersion, *Response, error) {
	q := query{}.
		set("include", "app", "build").
		set("fields[appStoreVersions]", with(versionFields, "app", "build")...).
		set("fields[apps]", "bundleId").
		set("fields[builds]", "version")
	var doc Document
	resp, err := s.client.get(ctx, "/v1/appStoreVersions/"+url.PathEscape(id), q, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting version %s: %w", id, err)
	}
	v, err := decodeVersion(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting version %s: %w", id, err)
	}
	return v, resp, nil
}

// Find returns the app's version with exactly that version string on that
// platform; the error matches ErrNotFound when there is none.
func (s *VersionsService) Find(ctx context.Context, appID, versionString string, platform Platform) (*AppStoreVersion, *Response, error) {
	vs, resp, err := s.List(ctx, appID, &VersionListOptions{Platform: platform, VersionString: versionString, IncludeBuild: true})
	if err != nil {
		return nil, resp, fmt.Errorf("finding version %s: %w", versionString, err)
	}
	for i := range vs {
		if vs[i].VersionString == versionString && (platform == "" || vs[i].Platform == platform) {
			return &vs[i], resp, nil
		}
	}
	return nil, resp, fmt.Errorf("finding version %s (%s) of app %s: %w", versionString, platform.Label(), appID, ErrNotFound)
}

// VersionCreate is the input of Create.
type VersionCreate struct {
	AppID               string
	Platform            Platform
	VersionString       string
	ReleaseType         ReleaseType // empty: Apple's default
	EarliestReleaseDate *time.Time  // only with ReleaseScheduled
}

// Create creates a version. POST /v1/appStoreVersions
func (s *VersionsService) Create(ctx context.Context, vc VersionCreate) (*AppStoreVersion, *Response, error) {
	attrs := map[string]any{
		"platform":      vc.Platform,
		"versionString": vc.VersionString,
	}
	if vc.ReleaseType != "" {
		attrs["releaseType"] = vc.ReleaseType
	}
	if vc.EarliestReleaseDate != nil {
		attrs["earliestReleaseDate"] = formatDateTime(*vc.EarliestReleaseDate)
	}
	body := reqDoc{Data: reqResource{
		Type:          "appStoreVersions",
		Attributes:    attrs,
		Relationships: map[string]reqRel{"app": relOne("apps", vc.AppID)},
	}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/appStoreVersions", body, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("creating version %s: %w", vc.VersionString, err)
	}
	v, err := decodeVersion(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("creating version %s: %w", vc.VersionString, err)
	}
	if v.AppID == "" {
		v.AppID = vc.AppID
	}
	return v, resp, nil
}

// VersionUpdate holds the fields Update may change; nil fields are not sent.
type VersionUpdate struct {
	ReleaseType         *ReleaseType
	EarliestReleaseDate *time.Time
}

// Update changes the version's release options, sending only the set fields.
// PATCH /v1/appStoreVersions/{id}
func (s *VersionsService) Update(ctx context.Context, id string, u VersionUpdate) (*AppStoreVersion, *Response, error) {
	attrs := map[string]any{}
	if u.ReleaseType != nil {
		attrs["releaseType"] = *u.ReleaseType
	}
	if u.EarliestReleaseDate != nil {
		attrs["earliestReleaseDate"] = formatDateTime(*u.EarliestReleaseDate)
	}
	body := reqDoc{Data: reqResource{Type: "appStoreVersions", ID: id, Attributes: attrs}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPatch, "/v1/appStoreVersions/"+url.PathEscape(id), body, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("updating version %s: %w", id, err)
	}
	v, err := decodeVersion(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("updating version %s: %w", id, err)
	}
	return v, resp, nil
}

// AttachBuild selects the build for the version (204 on success).
// PATCH /v1/appStoreVersions/{id}/relationships/build
func (s *VersionsService) AttachBuild(ctx context.Context, versionID, buildID string) (*Response, error) {
	body := struct {
		Data ResourceIdentifier `json:"data"`
	}{ResourceIdentifier{Type: "builds", ID: buildID}}
	resp, err := s.client.send(ctx, http.MethodPatch, "/v1/appStoreVersions/"+url.PathEscape(versionID)+"/relationships/build", body, nil)
	if err != nil {
		return resp, fmt.Errorf("attaching build %s to version %s: %w", buildID, versionID, err)
	}
	return resp, nil
}

// Build returns the version's attached build, or nil (and no error) when none
// is attached (Apple answers data:null). GET /v1/appStoreVersions/{id}/build
func (s *VersionsService) Build(ctx context.Context, versionID string) (*Build, *Response, error) {
	q := query{}.set("fields[builds]", buildFields...)
	var doc Document
	resp, err := s.client.get(ctx, "/v1/appStoreVersions/"+url.PathEscape(versionID)+"/build", q, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting build of version %s: %w", versionID, err)
	}
	r, err := oneOf(&doc, "builds")
	if err != nil {
		return nil, resp, fmt.Errorf("getting build of version %s: %w", versionID, err)
	}
	if r == nil {
		return nil, resp, nil
	}
	b, err := buildFrom(r, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting build of version %s: %w", versionID, err)
	}
	return &b, resp, nil
}

// formatDateTime renders a date-time the way the spec's format expects.
func formatDateTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
