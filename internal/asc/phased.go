package asc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// PhasedService manages 7-day phased releases (resource type
// "appStoreVersionPhasedReleases"). Pause is PAUSED, resume is ACTIVE and
// "release to everyone now" is COMPLETE; the spec has no other values.
type PhasedService service

type phasedAttrs struct {
	PhasedReleaseState PhasedReleaseState `json:"phasedReleaseState"`
	StartDate          looseTime          `json:"startDate"`
	TotalPauseDuration int                `json:"totalPauseDuration"`
	CurrentDayNumber   int                `json:"currentDayNumber"`
}

func phasedFrom(r *Resource) (PhasedRelease, error) {
	var a phasedAttrs
	if err := r.DecodeAttributes(&a); err != nil {
		return PhasedRelease{}, err
	}
	return PhasedRelease{
		ID:                 r.ID,
		State:              a.PhasedReleaseState,
		StartDate:          a.StartDate.t,
		TotalPauseDuration: a.TotalPauseDuration,
		CurrentDayNumber:   a.CurrentDayNumber,
	}, nil
}

func decodePhased(doc *Document) (*PhasedRelease, error) {
	r, err := oneOf(doc, "appStoreVersionPhasedReleases")
	if err != nil || r == nil {
		return nil, err
	}
	p, err := phasedFrom(r)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Get returns the version's phased release, or nil (no error) when it has
// none (data null or 404).
// GET /v1/appStoreVersions/{id}/appStoreVersionPhasedRelease
func (s *PhasedService) Get(ctx context.Context, versionID string) (*PhasedRelease, *Response, error) {
	var doc Document
	resp, err := s.client.get(ctx, "/v1/appStoreVersions/"+url.PathEscape(versionID)+"/appStoreVersionPhasedRelease", nil, &doc)
	if errors.Is(err, ErrNotFound) {
		return nil, resp, nil
	}
	if err != nil {
		return nil, resp, fmt.Errorf("getting phased release of version %s: %w", versionID, err)
	}
	p, err := decodePhased(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting phased release of version %s: %w", versionID, err)
	}
	return p, resp, nil
}

// Create turns on phased release for the version; an empty state lets Apple
// choose (INACTIVE until the version is released).
// POST /v1/appStoreVersionPhasedReleases
func (s *PhasedService) Create(ctx context.Context, versionID string, state PhasedReleaseState) (*PhasedRelease, *Response, error) {
	body := reqDoc{Data: reqResource{
		Type:          "appStoreVersionPhasedReleases",
		Relationships: map[string]reqRel{"appStoreVersion": relOne("appStoreVersions", versionID)},
	}}
	if state != "" {
		body.Data.Attributes = map[string]any{"phasedReleaseState": state}
	}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/appStoreVersionPhasedReleases", body, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("creating phased release of version %s: %w", versionID, err)
	}
	p, err := decodePhased(&doc)
	if err == nil && p == nil {
		err = orNull(nil)
	}
	if err != nil {
		return nil, resp, fmt.Errorf("creating phased release of version %s: %w", versionID, err)
	}
	return p, resp, nil
}

// SetState pauses (PAUSED), resumes (ACTIVE) or completes (COMPLETE) a phased
// release. PATCH /v1/appStoreVersionPhasedReleases/{id}
func (s *PhasedService) SetState(ctx context.Context, phasedID string, state PhasedReleaseState) (*PhasedRelease, *Response, error) {
	body := reqDoc{Data: reqResource{
		Type:       "appStoreVersionPhasedReleases",
		ID:         phasedID,
		Attributes: map[string]any{"phasedReleaseState": state},
	}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPatch, "/v1/appStoreVersionPhasedReleases/"+url.PathEscape(phasedID), body, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("setting phased release %s to %s: %w", phasedID, state, err)
	}
	p, err := decodePhased(&doc)
	if err == nil && p == nil {
		err = orNull(nil)
	}
	if err != nil {
		return nil, resp, fmt.Errorf("setting phased release %s to %s: %w", phasedID, state, err)
	}
	return p, resp, nil
}

// Delete cancels a planned phased release that has not started (INACTIVE):
// the version then releases to everyone at once.
// DELETE /v1/appStoreVersionPhasedReleases/{id}
func (s *PhasedService) Delete(ctx context.Context, phasedID string) (*Response, error) {
	resp, err := s.client.send(ctx, http.MethodDelete, "/v1/appStoreVersionPhasedReleases/"+url.PathEscape(phasedID), nil, nil)
	if err != nil {
		return resp, fmt.Errorf("deleting phased release %s: %w", phasedID, err)
	}
	return resp, nil
}
