package asc

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestVersionsList(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/apps/111/appStoreVersions", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testQuery(t, r, map[string]string{
			"filter[platform]":         "IOS",
			"filter[appVersionState]":  "PREPARE_FOR_SUBMISSION,REJECTED",
			"fields[appStoreVersions]": "platform,versionString,appStoreState,appVersionState,releaseType,earliestReleaseDate,createdDate,downloadable,build",
			"include":                  "build",
			"fields[builds]":           "version",
			"limit":                    "200",
		})
		writeJSON(w, 200, `{"data":[
		  {"type":"appStoreVersions","id":"old","attributes":{"versionString":"1.0","createdDate":"2024-01-01T00:00:00Z"}},
		  {"type":"appStoreVersions","id":"nodate","attributes":{"versionString":"0.9"}},
		  {"type":"appStoreVersions","id":"new","attributes":{"versionString":"1.1","createdDate":"2025-01-01T00:00:00-08:00"},"relationships":{"build":{"data":{"type":"builds","id":"b1"}}}}
		],"links":{"self":"x"}}`)
	})
	vs, _, err := c.Versions.List(t.Context(), "111", &VersionListOptions{
		Platform: PlatformIOS, States: []AppVersionState{StatePrepareForSubmission, StateRejected}, IncludeBuild: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || vs[0].ID != "new" || vs[1].ID != "old" || vs[2].ID != "nodate" {
		t.Fatalf("order = %v", vs)
	}
	if vs[0].BuildID != "b1" || vs[0].AppID != "111" {
		t.Errorf("new = %+v", vs[0])
	}
}

func TestVersionsFind(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/apps/111/appStoreVersions", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("filter[versionString]") == "9.9" {
			writeJSON(w, 200, `{"data":[],"links":{"self":"x"}}`)
			return
		}
		if q.Get("filter[platform]") != "IOS" || q.Get("filter[versionString]") != "1.1.0" {
			t.Errorf("query = %v", q)
		}
		writeJSON(w, 200, `{"data":[{"type":"appStoreVersions","id":"v2","attributes":{"platform":"IOS","versionString":"1.1.0"}}],"links":{"self":"x"}}`)
	})
	v, _, err := c.Versions.Find(t.Context(), "111", "1.1.0", PlatformIOS)
	if err != nil || v.ID != "v2" {
		t.Fatalf("Find = %v, %v", v, err)
	}
	_, _, err = c.Versions.Find(t.Context(), "111", "9.9", PlatformIOS)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(missing) err = %v, want ErrNotFound", err)
	}
}

func TestVersionsGet(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/appStoreVersions/v2", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, map[string]string{
			"include":                  "app,build",
			"fields[appStoreVersions]": "platform,versionString,appStoreState,appVersionState,releaseType,earliestReleaseDate,createdDate,downloadable,app,build",
			"fields[apps]":             "bundleId",
			"fields[builds]":           "version",
		})
		writeJSON(w, 200, `{"data":{"type":"appStoreVersions","id":"v2","attributes":{"versionString":"1.1.0","appVersionState":"WAITING_FOR_REVIEW","earliestReleaseDate":"2025-06-01T10:00:00Z","downloadable":true},
		 "relationships":{"app":{"data":{"type":"apps","id":"111"}},"build":{"data":{"type":"builds","id":"b4"}}}}}`)
	})
	v, _, err := c.Versions.Get(t.Context(), "v2")
	if err != nil {
		t.Fatal(err)
	}
	if v.AppID != "111" || v.BuildID != "b4" || v.State() != StateWaitingForReview || v.Downloadable == nil || !*v.Downloadable ||
		v.EarliestReleaseDate == nil || !v.EarliestReleaseDate.Equal(time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("v = %+v", v)
	}
}

func TestVersionsCreateAndUpdate(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/appStoreVersions", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"data":{"type":"appStoreVersions",
		  "attributes":{"platform":"IOS","versionString":"1.2.0","releaseType":"SCHEDULED","earliestReleaseDate":"2025-06-01T10:00:00Z"},
		  "relationships":{"app":{"data":{"type":"apps","id":"111"}}}}}`)
		writeJSON(w, 201, `{"data":{"type":"appStoreVersions","id":"v3","attributes":{"platform":"IOS","versionString":"1.2.0","appVersionState":"PREPARE_FOR_SUBMISSION"}}}`)
	})
	when := time.Date(2025, 6, 1, 19, 0, 0, 0, time.FixedZone("JST", 9*3600))
	v, _, err := c.Versions.Create(t.Context(), VersionCreate{AppID: "111", Platform: PlatformIOS, VersionString: "1.2.0", ReleaseType: ReleaseScheduled, EarliestReleaseDate: &when})
	if err != nil || v.ID != "v3" || v.AppID != "111" {
		t.Fatalf("Create = %+v, %v", v, err)
	}

	var bodies []string
	mux.HandleFunc("/v1/appStoreVersions/v3", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "PATCH")
		switch len(bodies) {
		case 0:
			testJSONBody(t, r, `{"data":{"type":"appStoreVersions","id":"v3","attributes":{"releaseType":"MANUAL"}}}`)
		case 1:
			testJSONBody(t, r, `{"data":{"type":"appStoreVersions","id":"v3","attributes":{"earliestReleaseDate":"2025-06-01T10:00:00Z"}}}`)
		}
		bodies = append(bodies, "x")
		writeJSON(w, 200, `{"data":{"type":"appStoreVersions","id":"v3","attributes":{"releaseType":"MANUAL"}}}`)
	})
	if _, _, err := c.Versions.Update(t.Context(), "v3", VersionUpdate{ReleaseType: ptr(ReleaseManual)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Versions.Update(t.Context(), "v3", VersionUpdate{EarliestReleaseDate: &when}); err != nil {
		t.Fatal(err)
	}
}

func TestVersionsAttachBuild(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/appStoreVersions/v2/relationships/build", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "PATCH")
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
		}
		testJSONBody(t, r, `{"data":{"type":"builds","id":"b4"}}`)
		w.WriteHeader(http.StatusNoContent)
	})
	resp, err := c.Versions.AttachBuild(t.Context(), "v2", "b4")
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("AttachBuild = %v, %v", resp, err)
	}
}

func TestVersionsBuild(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/appStoreVersions/none/build", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":null,"links":{"self":"x"}}`)
	})
	mux.HandleFunc("/v1/appStoreVersions/v2/build", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, map[string]string{"fields[builds]": "version,uploadedDate,expirationDate,expired,processingState,usesNonExemptEncryption"})
		writeJSON(w, 200, `{"data":{"type":"builds","id":"b4","attributes":{"version":"4","processingState":"VALID"}},"links":{"self":"x"}}`)
	})
	b, resp, err := c.Versions.Build(t.Context(), "none")
	if b != nil || err != nil || resp == nil {
		t.Errorf("Build(none) = %v, %v, %v; want nil, resp, nil", b, resp, err)
	}
	b, _, err = c.Versions.Build(t.Context(), "v2")
	if err != nil || b.ID != "b4" || b.ProcessingState != BuildValid {
		t.Errorf("Build(v2) = %+v, %v", b, err)
	}
}
