package asc

import (
	"context"
	"fmt"
	"net/http"
)

// ReleasesService releases approved versions (resource type
// "appStoreVersionReleaseRequests").
type ReleasesService service

// Release asks Apple to release a version that is Pending Developer Release
// and returns the release request's id. POST /v1/appStoreVersionReleaseRequests
//
// It is not retried on 5xx other than 503 (a create may have gone through);
// callers re-read the version state before trying again.
func (s *ReleasesService) Release(ctx context.Context, versionID string) (string, *Response, error) {
	body := reqDoc{Data: reqResource{
		Type:          "appStoreVersionReleaseRequests",
		Relationships: map[string]reqRel{"appStoreVersion": relOne("appStoreVersions", versionID)},
	}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/appStoreVersionReleaseRequests", body, &doc)
	if err != nil {
		return "", resp, fmt.Errorf("releasing version %s: %w", versionID, err)
	}
	r, err := oneOf(&doc, "appStoreVersionReleaseRequests")
	if err != nil {
		return "", resp, fmt.Errorf("releasing version %s: %w", versionID, err)
	}
	if r == nil {
		return "", resp, nil
	}
	return r.ID, resp, nil
}
