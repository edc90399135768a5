package asc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// BetaGroupsService reads TestFlight groups and manages which builds and
// testers they hold (resource type "betaGroups").
type BetaGroupsService service

var betaGroupFields = []string{"name", "isInternalGroup", "hasAccessToAllBuilds", "publicLinkEnabled", "createdDate", "app"}

type betaGroupAttrs struct {
	Name                 string    `json:"name"`
	IsInternalGroup      bool      `json:"isInternalGroup"`
	HasAccessToAllBuilds bool      `json:"hasAccessToAllBuilds"`
	PublicLinkEnabled    bool      `json:"publicLinkEnabled"`
	CreatedDate          looseTime `json:"createdDate"`
}

func betaGroupFrom(r *Resource) (BetaGroup, error) {
	var a betaGroupAttrs
	if err := r.DecodeAttributes(&a); err != nil {
		return BetaGroup{}, err
	}
	return BetaGroup{
		ID: r.ID, AppID: r.Rel("app"), Name: a.Name, Internal: a.IsInternalGroup,
		HasAccessToAllBuilds: a.HasAccessToAllBuilds, PublicLinkEnabled: a.PublicLinkEnabled, CreatedDate: a.CreatedDate.t,
	}, nil
}

// BetaGroupListOptions filters List; zero fields do not filter.
type BetaGroupListOptions struct {
	AppID   string
	BuildID string // filter[builds]: only groups that hold this build
	Name    string
}

// List returns the app's beta groups (all pages), sorted by name.
// GET /v1/betaGroups?filter[app]=…
func (s *BetaGroupsService) List(ctx context.Context, opt BetaGroupListOptions) ([]BetaGroup, *Response, error) {
	q := query{}.
		set("filter[app]", opt.AppID).
		set("filter[builds]", opt.BuildID).
		set("filter[name]", opt.Name).
		set("sort", "name").
		set("fields[betaGroups]", betaGroupFields...).
		setInt("limit", 200)
	var out []BetaGroup
	resp, err := s.client.getAll(ctx, "/v1/betaGroups", q, func(doc *Document) error {
		rs, err := manyOf(doc, "betaGroups")
		if err != nil {
			return err
		}
		for i := range rs {
			g, err := betaGroupFrom(&rs[i])
			if err != nil {
				return err
			}
			if g.AppID == "" {
				g.AppID = opt.AppID
			}
			out = append(out, g)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing beta groups: %w", err)
	}
	return out, resp, nil
}

// Get returns one beta group. GET /v1/betaGroups/{id}
func (s *BetaGroupsService) Get(ctx context.Context, id string) (*BetaGroup, *Response, error) {
	var doc Document
	resp, err := s.client.get(ctx, "/v1/betaGroups/"+url.PathEscape(id), query{}.set("fields[betaGroups]", betaGroupFields...), &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting beta group %s: %w", id, err)
	}
	r, err := oneOf(&doc, "betaGroups")
	if err != nil || r == nil {
		return nil, resp, fmt.Errorf("getting beta group %s: %w", id, orNull(err))
	}
	g, err := betaGroupFrom(r)
	if err != nil {
		return nil, resp, fmt.Errorf("getting beta group %s: %w", id, err)
	}
	return &g, resp, nil
}

// linkages is a to-many relationship request body.
type linkages struct {
	Data []ResourceIdentifier `json:"data"`
}

func idents(typ string, ids []string) linkages {
	out := linkages{Data: make([]ResourceIdentifier, 0, len(ids))}
	for _, id := range ids {
		out.Data = append(out.Data, ResourceIdentifier{Type: typ, ID: id})
	}
	return out
}

// AddBuild makes the build available to the groups (204 on success). Apple
// refuses an expired build, and an external group accepts only a build that
// beta review approved. POST /v1/builds/{id}/relationships/betaGroups
func (s *BetaGroupsService) AddBuild(ctx context.Context, buildID string, groupIDs ...string) (*Response, error) {
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/builds/"+url.PathEscape(buildID)+"/relationships/betaGroups", idents("betaGroups", groupIDs), nil)
	if err != nil {
		return resp, fmt.Errorf("adding build %s to beta groups: %w", buildID, err)
	}
	return resp, nil
}

// RemoveBuild takes the build away from the groups' testers.
// DELETE /v1/builds/{id}/relationships/betaGroups
func (s *BetaGroupsService) RemoveBuild(ctx context.Context, buildID string, groupIDs ...string) (*Response, error) {
	resp, err := s.client.send(ctx, http.MethodDelete, "/v1/builds/"+url.PathEscape(buildID)+"/relationships/betaGroups", idents("betaGroups", groupIDs), nil)
	if err != nil {
		return resp, fmt.Errorf("removing build %s from beta groups: %w", buildID, err)
	}
	return resp, nil
}

// BuildIDs returns the ids of the builds the group holds (all pages).
// GET /v1/betaGroups/{id}/relationships/builds
func (s *BetaGroupsService) BuildIDs(ctx context.Context, groupID string) ([]string, *Response, error) {
	return s.linkageIDs(ctx, groupID, "builds")
}

// AddBuilds adds builds to one group (the group-side twin of AddBuild).
// POST /v1/betaGroups/{id}/relationships/builds
func (s *BetaGroupsService) AddBuilds(ctx context.Context, groupID string, buildIDs ...string) (*Response, error) {
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/betaGroups/"+url.PathEscape(groupID)+"/relationships/builds", idents("builds", buildIDs), nil)
	if err != nil {
		return resp, fmt.Errorf("adding builds to beta group %s: %w", groupID, err)
	}
	return resp, nil
}

// RemoveBuilds removes builds from one group.
// DELETE /v1/betaGroups/{id}/relationships/builds
func (s *BetaGroupsService) RemoveBuilds(ctx context.Context, groupID string, buildIDs ...string) (*Response, error) {
	resp, err := s.client.send(ctx, http.MethodDelete, "/v1/betaGroups/"+url.PathEscape(groupID)+"/relationships/builds", idents("builds", buildIDs), nil)
	if err != nil {
		return resp, fmt.Errorf("removing builds from beta group %s: %w", groupID, err)
	}
	return resp, nil
}

// Testers returns the group's testers (all pages).
// GET /v1/betaGroups/{id}/betaTesters
func (s *BetaGroupsService) Testers(ctx context.Context, groupID string) ([]BetaTester, *Response, error) {
	q := query{}.set("fields[betaTesters]", betaTesterFields...).setInt("limit", 200)
	var out []BetaTester
	resp, err := s.client.getAll(ctx, "/v1/betaGroups/"+url.PathEscape(groupID)+"/betaTesters", q, func(doc *Document) error {
		rs, err := manyOf(doc, "betaTesters")
		if err != nil {
			return err
		}
		for i := range rs {
			bt, err := betaTesterFrom(&rs[i])
			if err != nil {
				return err
			}
			out = append(out, bt)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing testers of beta group %s: %w", groupID, err)
	}
	return out, resp, nil
}

// TesterIDs returns the ids of the group's testers (all pages).
// GET /v1/betaGroups/{id}/relationships/betaTesters
func (s *BetaGroupsService) TesterIDs(ctx context.Context, groupID string) ([]string, *Response, error) {
	return s.linkageIDs(ctx, groupID, "betaTesters")
}

// AddTesters puts existing testers into the group.
// POST /v1/betaGroups/{id}/relationships/betaTesters
func (s *BetaGroupsService) AddTesters(ctx context.Context, groupID string, testerIDs ...string) (*Response, error) {
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/betaGroups/"+url.PathEscape(groupID)+"/relationships/betaTesters", idents("betaTesters", testerIDs), nil)
	if err != nil {
		return resp, fmt.Errorf("adding testers to beta group %s: %w", groupID, err)
	}
	return resp, nil
}

// RemoveTesters takes testers out of the group (they stay testers of the team).
// DELETE /v1/betaGroups/{id}/relationships/betaTesters
func (s *BetaGroupsService) RemoveTesters(ctx context.Context, groupID string, testerIDs ...string) (*Response, error) {
	resp, err := s.client.send(ctx, http.MethodDelete, "/v1/betaGroups/"+url.PathEscape(groupID)+"/relationships/betaTesters", idents("betaTesters", testerIDs), nil)
	if err != nil {
		return resp, fmt.Errorf("removing testers from beta group %s: %w", groupID, err)
	}
	return resp, nil
}

func (s *BetaGroupsService) linkageIDs(ctx context.Context, groupID, rel string) ([]string, *Response, error) {
	var out []string
	resp, err := s.client.getAll(ctx, "/v1/betaGroups/"+url.PathEscape(groupID)+"/relationships/"+rel, query{}.setInt("limit", 200), func(doc *Document) error {
		var ids []ResourceIdentifier
		if !isNull(doc.Data) {
			if err := json.Unmarshal(doc.Data, &ids); err != nil {
				return fmt.Errorf("decoding data: %w", err)
			}
		}
		for _, id := range ids {
			out = append(out, id.ID)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing %s of beta group %s: %w", rel, groupID, err)
	}
	return out, resp, nil
}
