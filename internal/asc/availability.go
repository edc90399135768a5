package asc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// AvailabilityService reads territories and sets where an app is sold
// (resource types "territories", "appAvailabilities" (v2) and
// "territoryAvailabilities").
type AvailabilityService service

// AppAvailability is an app's availabilityV2 with its territory entries.
type AppAvailability struct {
	ID                        string
	AvailableInNewTerritories bool
	Territories               []TerritoryAvailability
}

// TerritoryAvailability says whether the app is available in one territory.
type TerritoryAvailability struct {
	ID          string
	TerritoryID string
	Available   bool
}

// Territories returns every territory (all pages). GET /v1/territories
func (s *AvailabilityService) Territories(ctx context.Context) ([]Territory, *Response, error) {
	q := query{}.set("fields[territories]", "currency").setInt("limit", 200)
	var out []Territory
	resp, err := s.client.getAll(ctx, "/v1/territories", q, func(doc *Document) error {
		rs, err := manyOf(doc, "territories")
		if err != nil {
			return err
		}
		for i := range rs {
			var a struct {
				Currency string `json:"currency"`
			}
			if err := rs[i].DecodeAttributes(&a); err != nil {
				return err
			}
			out = append(out, Territory{ID: rs[i].ID, Currency: a.Currency})
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing territories: %w", err)
	}
	return out, resp, nil
}

// Get returns the app's availability and every territory entry, or nil (no
// error) when the app has none yet.
// GET /v1/apps/{id}/appAvailabilityV2, then
// GET /v2/appAvailabilities/{id}/territoryAvailabilities?include=territory
func (s *AvailabilityService) Get(ctx context.Context, appID string) (*AppAvailability, *Response, error) {
	var doc Document
	resp, err := s.client.get(ctx, "/v1/apps/"+url.PathEscape(appID)+"/appAvailabilityV2",
		query{}.set("fields[appAvailabilities]", "availableInNewTerritories"), &doc)
	if errors.Is(err, ErrNotFound) {
		return nil, resp, nil
	}
	if err != nil {
		return nil, resp, fmt.Errorf("getting availability of app %s: %w", appID, err)
	}
	r, err := oneOf(&doc, "appAvailabilities")
	if err != nil {
		return nil, resp, fmt.Errorf("getting availability of app %s: %w", appID, err)
	}
	if r == nil {
		return nil, resp, nil
	}
	var a struct {
		AvailableInNewTerritories bool `json:"availableInNewTerritories"`
	}
	if err := r.DecodeAttributes(&a); err != nil {
		return nil, resp, fmt.Errorf("getting availability of app %s: %w", appID, err)
	}
	av := &AppAvailability{ID: r.ID, AvailableInNewTerritories: a.AvailableInNewTerritories}

	q := query{}.
		set("include", "territory").
		set("fields[territoryAvailabilities]", "available", "territory").
		set("fields[territories]", "currency").
		setInt("limit", 200)
	resp, err = s.client.getAll(ctx, "/v2/appAvailabilities/"+url.PathEscape(av.ID)+"/territoryAvailabilities", q, func(doc *Document) error {
		rs, err := manyOf(doc, "territoryAvailabilities")
		if err != nil {
			return err
		}
		for i := range rs {
			var ta struct {
				Available bool `json:"available"`
			}
			if err := rs[i].DecodeAttributes(&ta); err != nil {
				return err
			}
			av.Territories = append(av.Territories, TerritoryAvailability{
				ID: rs[i].ID, TerritoryID: rs[i].Rel("territory"), Available: ta.Available,
			})
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing territory availabilities of app %s: %w", appID, err)
	}
	return av, resp, nil
}

// MakeAvailableEverywhere makes the app available in every given territory
// and in future new ones: POST /v2/appAvailabilities with
// availableInNewTerritories:true and one inline-created territoryAvailability
// (available:true) per territory, each with the local id "${<territory id>}"
// referenced from relationships.territoryAvailabilities.
func (s *AvailabilityService) MakeAvailableEverywhere(ctx context.Context, appID string, territories []Territory) (*Response, error) {
	if len(territories) == 0 {
		return nil, fmt.Errorf("making app %s available: no territories given", appID)
	}
	refs := make([]ResourceIdentifier, 0, len(territories))
	included := make([]reqResource, 0, len(territories))
	for _, t := range territories {
		localID := "${" + t.ID + "}"
		refs = append(refs, ResourceIdentifier{Type: "territoryAvailabilities", ID: localID})
		included = append(included, reqResource{
			Type:          "territoryAvailabilities",
			ID:            localID,
			Attributes:    map[string]any{"available": true},
			Relationships: map[string]reqRel{"territory": relOne("territories", t.ID)},
		})
	}
	body := reqDoc{
		Data: reqResource{
			Type:       "appAvailabilities",
			Attributes: map[string]any{"availableInNewTerritories": true},
			Relationships: map[string]reqRel{
				"app":                     relOne("apps", appID),
				"territoryAvailabilities": relMany(refs),
			},
		},
		Included: included,
	}
	resp, err := s.client.send(ctx, http.MethodPost, "/v2/appAvailabilities", body, nil)
	if err != nil {
		return resp, fmt.Errorf("making app %s available in %d territories: %w", appID, len(territories), err)
	}
	return resp, nil
}
