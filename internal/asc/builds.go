package asc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// BuildsService reads builds and answers export compliance (resource type "builds").
type BuildsService service

type buildAttrs struct {
	Version                 string               `json:"version"`
	UploadedDate            looseTime            `json:"uploadedDate"`
	ExpirationDate          looseTime            `json:"expirationDate"`
	Expired                 bool                 `json:"expired"`
	ProcessingState         BuildProcessingState `json:"processingState"`
	UsesNonExemptEncryption *bool                `json:"usesNonExemptEncryption"`
}

type preReleaseAttrs struct {
	Version  string   `json:"version"`
	Platform Platform `json:"platform"`
}

// buildFrom decodes a build; MarketingVersion and Platform come from the
// included preReleaseVersion when doc carries it.
func buildFrom(r *Resource, doc *Document) (Build, error) {
	var a buildAttrs
	if err := r.DecodeAttributes(&a); err != nil {
		return Build{}, err
	}
	b := Build{
		ID:                      r.ID,
		Version:                 a.Version,
		UploadedDate:            a.UploadedDate.t,
		ExpirationDate:          a.ExpirationDate.t,
		Expired:                 a.Expired,
		ProcessingState:         a.ProcessingState,
		UsesNonExemptEncryption: a.UsesNonExemptEncryption,
	}
	if prID := r.Rel("preReleaseVersion"); prID != "" && doc != nil {
		if pr := doc.FindIncluded("preReleaseVersions", prID); pr != nil {
			var pa preReleaseAttrs
			if err := pr.DecodeAttributes(&pa); err != nil {
				return Build{}, err
			}
			b.MarketingVersion, b.Platform = pa.Version, pa.Platform
		}
	}
	return b, nil
}

// BuildListOptions filters List. Zero fields do not filter.
type BuildListOptions struct {
	AppID            string
	MarketingVersion string // filter[preReleaseVersion.version]
	Platform         Platform
	ProcessingStates []BuildProcessingState
	// Limit caps the number of builds returned (newest first); 0 means all.
	Limit int
}

// List returns builds newest first (sort=-uploadedDate), with MarketingVersion
// and Platform filled from the included preReleaseVersion. GET /v1/builds
func (s *BuildsService) List(ctx context.Context, opt BuildListOptions) ([]Build, *Response, error) {
	pageSize := 200
	if opt.Limit > 0 {
		pageSize = min(opt.Limit, 200)
	}
	q := query{}.
		set("filter[app]", opt.AppID).
		set("filter[preReleaseVersion.version]", opt.MarketingVersion).
		set("filter[preReleaseVersion.platform]", string(opt.Platform)).
		set("filter[processingState]", strs(opt.ProcessingStates)...).
		set("sort", "-uploadedDate").
		set("include", "preReleaseVersion").
		set("fields[builds]", with(buildFields, "preReleaseVersion")...).
		set("fields[preReleaseVersions]", "version", "platform").
		setInt("limit", pageSize)
	var out []Build
	errEnough := errors.New("enough builds")
	resp, err := s.client.getAll(ctx, "/v1/builds", q, func(doc *Document) error {
		rs, err := manyOf(doc, "builds")
		if err != nil {
			return err
		}
		for i := range rs {
			b, err := buildFrom(&rs[i], doc)
			if err != nil {
				return err
			}
			out = append(out, b)
			if opt.Limit > 0 && len(out) >= opt.Limit {
				return errEnough
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, resp, fmt.Errorf("listing builds: %w", err)
	}
	sortBuilds(out)
	return out, resp, nil
}

// Get returns one build with its marketing version and platform.
// GET /v1/builds/{id}?include=preReleaseVersion
func (s *BuildsService) Get(ctx context.Context, id string) (*Build, *Response, error) {
	q := query{}.
		set("include", "preReleaseVersion").
		set("fields[builds]", with(buildFields, "preReleaseVersion")...).
		set("fields[preReleaseVersions]", "version", "platform")
	var doc Document
	resp, err := s.client.get(ctx, "/v1/builds/"+url.PathEscape(id), q, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting build %s: %w", id, err)
	}
	r, err := oneOf(&doc, "builds")
	if err != nil || r == nil {
		return nil, resp, fmt.Errorf("getting build %s: %w", id, orNull(err))
	}
	b, err := buildFrom(r, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting build %s: %w", id, err)
	}
	return &b, resp, nil
}

// SetUsesNonExemptEncryption answers the build's export-compliance question.
// Apple refuses (409) to change an answer once set; in that case the build is
// read back and, if it already holds v, that counts as success (idempotent);
// otherwise the 409 is returned. PATCH /v1/builds/{id}
func (s *BuildsService) SetUsesNonExemptEncryption(ctx context.Context, id string, v bool) (*Build, *Response, error) {
	body := reqDoc{Data: reqResource{
		Type:       "builds",
		ID:         id,
		Attributes: map[string]any{"usesNonExemptEncryption": v},
	}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPatch, "/v1/builds/"+url.PathEscape(id), body, &doc)
	if err != nil {
		if !errors.Is(err, ErrConflict) {
			return nil, resp, fmt.Errorf("setting encryption answer of build %s: %w", id, err)
		}
		b, gresp, gerr := s.Get(ctx, id)
		if gerr == nil && b.UsesNonExemptEncryption != nil && *b.UsesNonExemptEncryption == v {
			return b, gresp, nil
		}
		return nil, resp, fmt.Errorf("setting encryption answer of build %s: %w", id, err)
	}
	r, err := oneOf(&doc, "builds")
	if err != nil || r == nil {
		return nil, resp, fmt.Errorf("setting encryption answer of build %s: %w", id, orNull(err))
	}
	b, err := buildFrom(r, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("setting encryption answer of build %s: %w", id, err)
	}
	return &b, resp, nil
}
