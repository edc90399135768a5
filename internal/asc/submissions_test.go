package asc

import (
	"net/http"
	"slices"
	"testing"
)

func TestSubmissionsList(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/reviewSubmissions", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testQuery(t, r, map[string]string{
			"filter[app]":                   "111",
			"filter[platform]":              "IOS",
			"filter[state]":                 "READY_FOR_REVIEW,WAITING_FOR_REVIEW,IN_REVIEW,UNRESOLVED_ISSUES,CANCELING,COMPLETING",
			"include":                       "appStoreVersionForReview,items",
			"fields[reviewSubmissions]":     "platform,submittedDate,state,app,appStoreVersionForReview,items",
			"fields[reviewSubmissionItems]": "state,appStoreVersion",
			"fields[appStoreVersions]":      "platform,versionString,appVersionState",
			"limit[items]":                  "50",
			"limit":                         "200",
		})
		writeJSON(w, 200, `{"data":[{"type":"reviewSubmissions","id":"s1","attributes":{"platform":"IOS","state":"WAITING_FOR_REVIEW","submittedDate":"2025-03-05T12:00:00Z"},
		  "relationships":{"appStoreVersionForReview":{"data":{"type":"appStoreVersions","id":"v2"}},
		   "items":{"data":[{"type":"reviewSubmissionItems","id":"i1"},{"type":"reviewSubmissionItems","id":"i2"}]}}}],"links":{"self":"x"}}`)
	})
	subs, _, err := c.Submissions.ListOpen(t.Context(), "111", PlatformIOS)
	if err != nil {
		t.Fatal(err)
	}
	s := subs[0]
	if len(subs) != 1 || s.AppID != "111" || s.VersionID != "v2" || !slices.Equal(s.ItemIDs, []string{"i1", "i2"}) ||
		s.State != SubmissionWaitingForReview || s.SubmittedDate == nil || s.Platform != PlatformIOS {
		t.Errorf("subs = %+v", subs)
	}
	if _, _, err := c.Submissions.List(t.Context(), "", SubmissionListOptions{}); err == nil {
		t.Error("List without app id succeeded; filter[app] is required")
	}
}

func TestSubmissionsCreateAddSubmitCancel(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/reviewSubmissions", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"data":{"type":"reviewSubmissions","attributes":{"platform":"IOS"},"relationships":{"app":{"data":{"type":"apps","id":"111"}}}}}`)
		writeJSON(w, 201, `{"data":{"type":"reviewSubmissions","id":"s1","attributes":{"platform":"IOS","state":"READY_FOR_REVIEW"}}}`)
	})
	mux.HandleFunc("/v1/reviewSubmissionItems", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"data":{"type":"reviewSubmissionItems","relationships":{
		  "reviewSubmission":{"data":{"type":"reviewSubmissions","id":"s1"}},
		  "appStoreVersion":{"data":{"type":"appStoreVersions","id":"v2"}}}}}`)
		writeJSON(w, 201, `{"data":{"type":"reviewSubmissionItems","id":"i1","attributes":{"state":"READY_FOR_REVIEW"}}}`)
	})
	var patches []string
	mux.HandleFunc("/v1/reviewSubmissions/s1", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "PATCH")
		if len(patches) == 0 {
			testJSONBody(t, r, `{"data":{"type":"reviewSubmissions","id":"s1","attributes":{"submitted":true}}}`)
			patches = append(patches, "submit")
			writeJSON(w, 200, `{"data":{"type":"reviewSubmissions","id":"s1","attributes":{"state":"WAITING_FOR_REVIEW"}}}`)
			return
		}
		testJSONBody(t, r, `{"data":{"type":"reviewSubmissions","id":"s1","attributes":{"canceled":true}}}`)
		patches = append(patches, "cancel")
		writeJSON(w, 200, `{"data":{"type":"reviewSubmissions","id":"s1","attributes":{"state":"CANCELING"}}}`)
	})
	sub, _, err := c.Submissions.Create(t.Context(), "111", PlatformIOS)
	if err != nil || sub.ID != "s1" || sub.AppID != "111" || sub.State != SubmissionReadyForReview {
		t.Fatalf("Create = %+v, %v", sub, err)
	}
	it, _, err := c.Submissions.AddVersion(t.Context(), "s1", "v2")
	if err != nil || it.ID != "i1" || it.VersionID() != "v2" || it.State != ItemReadyForReview {
		t.Fatalf("AddVersion = %+v, %v", it, err)
	}
	sub, _, err = c.Submissions.Submit(t.Context(), "s1")
	if err != nil || sub.State != SubmissionWaitingForReview {
		t.Fatalf("Submit = %+v, %v", sub, err)
	}
	sub, _, err = c.Submissions.Cancel(t.Context(), "s1")
	if err != nil || sub.State != SubmissionCanceling {
		t.Fatalf("Cancel = %+v, %v", sub, err)
	}
}

func TestSubmissionsCreateWithoutPlatform(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/reviewSubmissions", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"data":{"type":"reviewSubmissions","relationships":{"app":{"data":{"type":"apps","id":"111"}}}}}`)
		writeJSON(w, 201, `{"data":{"type":"reviewSubmissions","id":"s1"}}`)
	})
	if _, _, err := c.Submissions.Create(t.Context(), "111", ""); err != nil {
		t.Fatal(err)
	}
}

func TestSubmissionsItems(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/reviewSubmissions/s1/items", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, map[string]string{
			"include":                  "appStoreVersion",
			"fields[appStoreVersions]": "platform,versionString,appVersionState",
			"limit":                    "200",
		})
		writeJSON(w, 200, `{"data":[
		  {"type":"reviewSubmissionItems","id":"i1","attributes":{"state":"APPROVED"},"relationships":{
		     "appStoreVersion":{"data":{"type":"appStoreVersions","id":"v2"}},"appEvent":{"links":{"related":"x"}}}},
		  {"type":"reviewSubmissionItems","id":"i2","attributes":{"state":"REJECTED"},"relationships":{
		     "appStoreVersion":{"data":null},"inAppPurchaseVersion":{"data":{"type":"inAppPurchaseVersions","id":"iap9"}}}}
		 ],"links":{"self":"x"}}`)
	})
	items, _, err := c.Submissions.Items(t.Context(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := []ReviewSubmissionItem{
		{ID: "i1", State: ItemApproved, Kind: "appStoreVersion", ResourceID: "v2"},
		{ID: "i2", State: ItemRejected, Kind: "inAppPurchaseVersion", ResourceID: "iap9"},
	}
	if !slices.Equal(items, want) {
		t.Errorf("items = %+v", items)
	}
	if items[1].VersionID() != "" {
		t.Error("IAP item reported a version id")
	}
}

func TestSubmissionsGet(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/reviewSubmissions/s1", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("include"); got != "app,appStoreVersionForReview,items" {
			t.Errorf("include = %q", got)
		}
		writeJSON(w, 200, `{"data":{"type":"reviewSubmissions","id":"s1","attributes":{"state":"UNRESOLVED_ISSUES"},
		  "relationships":{"app":{"data":{"type":"apps","id":"111"}}}}}`)
	})
	s, _, err := c.Submissions.Get(t.Context(), "s1")
	if err != nil || s.AppID != "111" || s.State != SubmissionUnresolvedIssues || !s.State.Open() {
		t.Errorf("Get = %+v, %v", s, err)
	}
}
