package asc

import (
	"net/http"
	"slices"
	"testing"
)

const appsPage = `{"data":[
 {"type":"apps","id":"111","attributes":{"name":"KotenOCR","bundleId":"jp.example.kotenocr","sku":"K1","primaryLocale":"en-US"}},
 {"type":"apps","id":"222","attributes":{"name":"Other","bundleId":"jp.example.other","sku":"O1","primaryLocale":"ja"}},
 {"type":"apps","id":"333","attributes":{"name":"kotenocr","bundleId":"jp.example.kotenocr.lite","sku":"K2","primaryLocale":"en-US"}}
],"links":{"self":"x"}}`

func TestAppsFind(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		writeJSON(w, 200, appsPage)
	})
	tests := []struct {
		query string
		want  []string
	}{
		{"111", []string{"111"}},
		{"JP.EXAMPLE.KOTENOCR", []string{"111"}},
		{"KotenOCR", []string{"111", "333"}}, // both names match case-insensitively
		{"  other ", []string{"222"}},
		{"koten", nil}, // exact only
		{"jp.example", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			apps, _, err := c.Apps.Find(t.Context(), tt.query)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range apps {
				ids = append(ids, a.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("Find(%q) = %v, want %v", tt.query, ids, tt.want)
			}
		})
	}
	apps, _, _ := c.Apps.Find(t.Context(), "111")
	if want := (App{ID: "111", Name: "KotenOCR", BundleID: "jp.example.kotenocr", SKU: "K1", PrimaryLocale: "en-US"}); apps[0] != want {
		t.Errorf("app = %+v", apps[0])
	}
}

func TestAppsSnapshot(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/apps/111", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testQuery(t, r, map[string]string{
			"include":                   "appStoreVersions,reviewSubmissions,builds",
			"limit[appStoreVersions]":   "5",
			"limit[reviewSubmissions]":  "10",
			"limit[builds]":             "50",
			"fields[apps]":              "name,bundleId,sku,primaryLocale,appStoreVersions,reviewSubmissions,builds",
			"fields[appStoreVersions]":  "platform,versionString,appStoreState,appVersionState,releaseType,earliestReleaseDate,createdDate,downloadable,build",
			"fields[reviewSubmissions]": "platform,submittedDate,state,appStoreVersionForReview,items",
			"fields[builds]":            "version,uploadedDate,expirationDate,expired,processingState,usesNonExemptEncryption,preReleaseVersion",
		})
		writeJSON(w, 200, `{"data":{"type":"apps","id":"111","attributes":{"name":"KotenOCR","bundleId":"jp.example.kotenocr"},
		  "relationships":{"appStoreVersions":{"data":[{"type":"appStoreVersions","id":"v1"},{"type":"appStoreVersions","id":"v2"}]}}},
		 "included":[
		  {"type":"appStoreVersions","id":"v1","attributes":{"platform":"IOS","versionString":"1.0.0","appVersionState":"READY_FOR_DISTRIBUTION","appStoreState":"READY_FOR_SALE","createdDate":"2025-01-01T00:00:00Z"}},
		  {"type":"appStoreVersions","id":"v2","attributes":{"platform":"IOS","versionString":"1.1.0","appStoreState":"PREPARE_FOR_SUBMISSION","createdDate":"2025-03-01T00:00:00Z","releaseType":"MANUAL"},
		     "relationships":{"build":{"data":{"type":"builds","id":"b4"}}}},
		  {"type":"reviewSubmissions","id":"s1","attributes":{"platform":"IOS","state":"READY_FOR_REVIEW"},
		     "relationships":{"appStoreVersionForReview":{"data":{"type":"appStoreVersions","id":"v2"}},"items":{"data":[{"type":"reviewSubmissionItems","id":"i1"}]}}},
		  {"type":"builds","id":"b3","attributes":{"version":"3","uploadedDate":"2025-03-02T00:00:00Z","processingState":"VALID"}},
		  {"type":"builds","id":"b5","attributes":{"version":"5","uploadedDate":"2025-03-04T00:00:00Z","processingState":"PROCESSING"}},
		  {"type":"builds","id":"b4","attributes":{"version":"4","uploadedDate":"2025-03-03T00:00:00Z","processingState":"VALID","usesNonExemptEncryption":false}}
		 ],"links":{"self":"x"}}`)
	})
	snap, _, err := c.Apps.Snapshot(t.Context(), "111", SnapshotOptions{Versions: 5, Builds: 99})
	if err != nil {
		t.Fatal(err)
	}
	if snap.App.Name != "KotenOCR" {
		t.Errorf("app = %+v", snap.App)
	}
	if len(snap.Versions) != 2 || snap.Versions[0].ID != "v2" || snap.Versions[1].ID != "v1" {
		t.Fatalf("versions not newest first: %+v", snap.Versions)
	}
	v2 := snap.Versions[0]
	if v2.AppID != "111" || v2.BuildID != "b4" || v2.State() != StatePrepareForSubmission || v2.ReleaseType != ReleaseManual {
		t.Errorf("v2 = %+v", v2)
	}
	if len(snap.Submissions) != 1 || snap.Submissions[0].VersionID != "v2" || !slices.Equal(snap.Submissions[0].ItemIDs, []string{"i1"}) || snap.Submissions[0].AppID != "111" {
		t.Errorf("submissions = %+v", snap.Submissions)
	}
	var order []string
	for _, b := range snap.Builds {
		order = append(order, b.Version)
	}
	if !slices.Equal(order, []string{"5", "4", "3"}) {
		t.Errorf("builds order = %v, want newest first", order)
	}
	if b4 := snap.Builds[1]; b4.UsesNonExemptEncryption == nil || *b4.UsesNonExemptEncryption {
		t.Errorf("b4 encryption = %v", b4.UsesNonExemptEncryption)
	}
}

func TestAppsGetNotFound(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/apps/404", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, appleError(404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'apps' with id '404'", ""))
	})
	if _, _, err := c.Apps.Get(t.Context(), "404"); !IsNotFound(err) {
		t.Errorf("err = %v, want not found", err)
	}
}
