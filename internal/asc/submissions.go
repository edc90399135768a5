package asc

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// SubmissionsService manages review submissions and their items (resource
// types "reviewSubmissions" and "reviewSubmissionItems").
type SubmissionsService service

type submissionAttrsJSON struct {
	Platform      Platform              `json:"platform"`
	SubmittedDate looseTime             `json:"submittedDate"`
	State         ReviewSubmissionState `json:"state"`
}

func submissionFrom(r *Resource) (ReviewSubmission, error) {
	var a submissionAttrsJSON
	if err := r.DecodeAttributes(&a); err != nil {
		return ReviewSubmission{}, err
	}
	return ReviewSubmission{
		ID:            r.ID,
		AppID:         r.Rel("app"),
		Platform:      a.Platform,
		State:         a.State,
		SubmittedDate: a.SubmittedDate.t,
		VersionID:     r.Rel("appStoreVersionForReview"),
		ItemIDs:       r.RelIDs("items"),
	}, nil
}

// submissionWithItems decodes a submission and, when doc includes them, its items.
func submissionWithItems(r *Resource, doc *Document) (ReviewSubmission, error) {
	sub, err := submissionFrom(r)
	if err != nil {
		return sub, err
	}
	items, ok, complete, err := related(doc, r, "items", "reviewSubmissionItems", itemFrom)
	if err != nil {
		return sub, err
	}
	if ok {
		sub.Items, sub.ItemsComplete = items, complete
	}
	return sub, nil
}

func decodeSubmission(doc *Document) (*ReviewSubmission, error) {
	r, err := oneOf(doc, "reviewSubmissions")
	if err != nil || r == nil {
		return nil, orNull(err)
	}
	sub, err := submissionWithItems(r, doc)
	if err != nil {
		return nil, err
	}
	return &sub, nil
}

// itemKinds are ReviewSubmissionItem's relationships that name what the item
// submits, in the order they are tried.
var itemKinds = []string{
	"appStoreVersion", "appCustomProductPageVersion", "appStoreVersionExperiment",
	"appStoreVersionExperimentV2", "appEvent", "backgroundAssetVersion",
	"gameCenterAchievementVersion", "gameCenterActivityVersion", "gameCenterChallengeVersion",
	"gameCenterLeaderboardSetVersion", "gameCenterLeaderboardVersion",
	"inAppPurchaseVersion", "subscriptionVersion", "subscriptionGroupVersion",
}

type itemAttrs struct {
	State ReviewSubmissionItemState `json:"state"`
}

func itemFrom(r *Resource) (ReviewSubmissionItem, error) {
	var a itemAttrs
	if err := r.DecodeAttributes(&a); err != nil {
		return ReviewSubmissionItem{}, err
	}
	it := ReviewSubmissionItem{ID: r.ID, State: a.State}
	for _, k := range itemKinds {
		if id := r.Rel(k); id != "" {
			it.Kind, it.ResourceID = k, id
			break
		}
	}
	return it, nil
}

// SubmissionListOptions filters List. Zero fields do not filter.
type SubmissionListOptions struct {
	Platform Platform
	States   []ReviewSubmissionState
}

// submissionQuery is the include/fields part shared by List and Get.
func submissionQuery() query {
	return query{}.
		set("include", "appStoreVersionForReview", "items").
		set("fields[reviewSubmissions]", with(submissionAttrs, "app", "appStoreVersionForReview", "items")...).
		set("fields[reviewSubmissionItems]", "state", "appStoreVersion").
		set("fields[appStoreVersions]", "platform", "versionString", "appVersionState").
		setInt("limit[items]", maxIncludeLimit)
}

// List returns the app's review submissions (all pages), with VersionID and
// ItemIDs filled from linkage. GET /v1/reviewSubmissions?filter[app]=… (the
// filter is required by the API).
func (s *SubmissionsService) List(ctx context.Context, appID string, opt SubmissionListOptions) ([]ReviewSubmission, *Response, error) {
	if appID == "" {
		return nil, nil, fmt.Errorf("listing review submissions: app id is required")
	}
	q := submissionQuery().
		set("filter[app]", appID).
		set("filter[platform]", string(opt.Platform)).
		set("filter[state]", strs(opt.States)...).
		setInt("limit", 200)
	var out []ReviewSubmission
	resp, err := s.client.getAll(ctx, "/v1/reviewSubmissions", q, func(doc *Document) error {
		rs, err := manyOf(doc, "reviewSubmissions")
		if err != nil {
			return err
		}
		for i := range rs {
			sub, err := submissionWithItems(&rs[i], doc)
			if err != nil {
				return err
			}
			if sub.AppID == "" {
				sub.AppID = appID
			}
			out = append(out, sub)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing review submissions of app %s: %w", appID, err)
	}
	return out, resp, nil
}

// ListOpen returns the app's submissions in any state but COMPLETE.
func (s *SubmissionsService) ListOpen(ctx context.Context, appID string, platform Platform) ([]ReviewSubmission, *Response, error) {
	return s.List(ctx, appID, SubmissionListOptions{Platform: platform, States: openSubmissionStates})
}

// Get returns one submission. GET /v1/reviewSubmissions/{id}
func (s *SubmissionsService) Get(ctx context.Context, id string) (*ReviewSubmission, *Response, error) {
	q := submissionQuery()
	q.set("include", "app", "appStoreVersionForReview", "items").set("fields[apps]", "bundleId")
	var doc Document
	resp, err := s.client.get(ctx, "/v1/reviewSubmissions/"+url.PathEscape(id), q, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting review submission %s: %w", id, err)
	}
	sub, err := decodeSubmission(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting review submission %s: %w", id, err)
	}
	return sub, resp, nil
}

// Create opens a review submission for the app (platform may be empty).
// Apple allows one open submission per app and platform; reuse ListOpen's.
// POST /v1/reviewSubmissions
func (s *SubmissionsService) Create(ctx context.Context, appID string, platform Platform) (*ReviewSubmission, *Response, error) {
	body := reqDoc{Data: reqResource{
		Type:          "reviewSubmissions",
		Relationships: map[string]reqRel{"app": relOne("apps", appID)},
	}}
	if platform != "" {
		body.Data.Attributes = map[string]any{"platform": platform}
	}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/reviewSubmissions", body, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("creating review submission for app %s: %w", appID, err)
	}
	sub, err := decodeSubmission(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("creating review submission for app %s: %w", appID, err)
	}
	if sub.AppID == "" {
		sub.AppID = appID
	}
	return sub, resp, nil
}

// AddVersion adds the version to the submission as an item.
// POST /v1/reviewSubmissionItems
func (s *SubmissionsService) AddVersion(ctx context.Context, submissionID, versionID string) (*ReviewSubmissionItem, *Response, error) {
	body := reqDoc{Data: reqResource{
		Type: "reviewSubmissionItems",
		Relationships: map[string]reqRel{
			"reviewSubmission": relOne("reviewSubmissions", submissionID),
			"appStoreVersion":  relOne("appStoreVersions", versionID),
		},
	}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/reviewSubmissionItems", body, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("adding version %s to review submission %s: %w", versionID, submissionID, err)
	}
	r, err := oneOf(&doc, "reviewSubmissionItems")
	if err != nil || r == nil {
		return nil, resp, fmt.Errorf("adding version %s to review submission %s: %w", versionID, submissionID, orNull(err))
	}
	it, err := itemFrom(r)
	if err != nil {
		return nil, resp, fmt.Errorf("adding version %s to review submission %s: %w", versionID, submissionID, err)
	}
	if it.Kind == "" {
		it.Kind, it.ResourceID = "appStoreVersion", versionID
	}
	return &it, resp, nil
}

// update PATCHes the submission's attributes.
func (s *SubmissionsService) update(ctx context.Context, id string, attrs map[string]any) (*ReviewSubmission, *Response, error) {
	body := reqDoc{Data: reqResource{Type: "reviewSubmissions", ID: id, Attributes: attrs}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPatch, "/v1/reviewSubmissions/"+url.PathEscape(id), body, &doc)
	if err != nil {
		return nil, resp, err
	}
	sub, err := decodeSubmission(&doc)
	return sub, resp, err
}

// Submit sends the submission to App Review (PATCH submitted:true).
func (s *SubmissionsService) Submit(ctx context.Context, id string) (*ReviewSubmission, *Response, error) {
	sub, resp, err := s.update(ctx, id, map[string]any{"submitted": true})
	if err != nil {
		return nil, resp, fmt.Errorf("submitting review submission %s: %w", id, err)
	}
	return sub, resp, nil
}

// Cancel withdraws the submission (PATCH canceled:true).
func (s *SubmissionsService) Cancel(ctx context.Context, id string) (*ReviewSubmission, *Response, error) {
	sub, resp, err := s.update(ctx, id, map[string]any{"canceled": true})
	if err != nil {
		return nil, resp, fmt.Errorf("canceling review submission %s: %w", id, err)
	}
	return sub, resp, nil
}

// Items returns the submission's items (all pages); Kind/ResourceID name the
// relationship that carries data. GET /v1/reviewSubmissions/{id}/items
func (s *SubmissionsService) Items(ctx context.Context, submissionID string) ([]ReviewSubmissionItem, *Response, error) {
	q := query{}.
		set("include", "appStoreVersion").
		set("fields[appStoreVersions]", "platform", "versionString", "appVersionState").
		setInt("limit", 200)
	var out []ReviewSubmissionItem
	resp, err := s.client.getAll(ctx, "/v1/reviewSubmissions/"+url.PathEscape(submissionID)+"/items", q, func(doc *Document) error {
		rs, err := manyOf(doc, "reviewSubmissionItems")
		if err != nil {
			return err
		}
		for i := range rs {
			it, err := itemFrom(&rs[i])
			if err != nil {
				return err
			}
			out = append(out, it)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing items of review submission %s: %w", submissionID, err)
	}
	return out, resp, nil
}
