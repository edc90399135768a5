package asc

import (
	"net/http"
	"sync/atomic"
	"testing"
)

func TestBuildsList(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/builds", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testQuery(t, r, map[string]string{
			"filter[app]":                        "111",
			"filter[preReleaseVersion.version]":  "1.1.0",
			"filter[preReleaseVersion.platform]": "IOS",
			"filter[processingState]":            "VALID,PROCESSING",
			"sort":                               "-uploadedDate",
			"include":                            "preReleaseVersion",
			"fields[builds]":                     "version,uploadedDate,expirationDate,expired,processingState,usesNonExemptEncryption,preReleaseVersion",
			"fields[preReleaseVersions]":         "version,platform",
			"limit":                              "200",
		})
		writeJSON(w, 200, `{"data":[
		  {"type":"builds","id":"b5","attributes":{"version":"5","uploadedDate":"2025-03-04T00:00:00Z","processingState":"PROCESSING"},"relationships":{"preReleaseVersion":{"data":{"type":"preReleaseVersions","id":"p1"}}}},
		  {"type":"builds","id":"b4","attributes":{"version":"4","uploadedDate":"2025-03-03T00:00:00Z","processingState":"VALID","expired":false},"relationships":{"preReleaseVersion":{"data":{"type":"preReleaseVersions","id":"p1"}}}}
		 ],"included":[{"type":"preReleaseVersions","id":"p1","attributes":{"version":"1.1.0","platform":"IOS"}}],"links":{"self":"x"}}`)
	})
	bs, _, err := c.Builds.List(t.Context(), BuildListOptions{AppID: "111", MarketingVersion: "1.1.0", Platform: PlatformIOS,
		ProcessingStates: []BuildProcessingState{BuildValid, BuildProcessing}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].ID != "b5" || bs[1].MarketingVersion != "1.1.0" || bs[1].Platform != PlatformIOS || bs[1].Version != "4" {
		t.Errorf("builds = %+v", bs)
	}
}

func TestBuildsListLimitStopsPaging(t *testing.T) {
	c, mux, env := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/v1/builds", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Query().Get("limit") != "2" {
			t.Errorf("limit = %q", r.URL.Query().Get("limit"))
		}
		writeJSON(w, 200, `{"data":[{"type":"builds","id":"a"},{"type":"builds","id":"b"}],"links":{"self":"x","next":"`+env.server.URL+baseURLPath+`/v1/builds?cursor=2"}}`)
	})
	bs, _, err := c.Builds.List(t.Context(), BuildListOptions{AppID: "111", Limit: 2})
	if err != nil || len(bs) != 2 || calls.Load() != 1 {
		t.Errorf("builds=%d calls=%d err=%v; want 2 builds from one page", len(bs), calls.Load(), err)
	}
}

func TestSetUsesNonExemptEncryption(t *testing.T) {
	conflict := appleError(409, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.", "The value cannot be changed once set.", `{"pointer":"/data/attributes/usesNonExemptEncryption"}`)
	tests := []struct {
		name      string
		patch     int
		current   string // value on GET after 409
		want      bool
		wantErr   bool
		wantGets  int32
		wantValue bool
	}{
		{name: "fresh answer", patch: 200, want: false, wantValue: false},
		{name: "already set to same value", patch: 409, current: "false", want: false, wantGets: 1, wantValue: false},
		{name: "already set to other value", patch: 409, current: "true", want: false, wantErr: true, wantGets: 1},
		{name: "other 409, unanswered", patch: 409, current: "null", want: true, wantErr: true, wantGets: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			var gets atomic.Int32
			mux.HandleFunc("/v1/builds/b4", func(w http.ResponseWriter, r *http.Request) {
				switch r.Method {
				case "PATCH":
					testJSONBody(t, r, `{"data":{"type":"builds","id":"b4","attributes":{"usesNonExemptEncryption":`+map[bool]string{true: "true", false: "false"}[tt.want]+`}}}`)
					if tt.patch == 409 {
						writeJSON(w, 409, conflict)
						return
					}
					writeJSON(w, 200, `{"data":{"type":"builds","id":"b4","attributes":{"usesNonExemptEncryption":false}}}`)
				case "GET":
					gets.Add(1)
					writeJSON(w, 200, `{"data":{"type":"builds","id":"b4","attributes":{"version":"4","usesNonExemptEncryption":`+tt.current+`}}}`)
				}
			})
			b, _, err := c.Builds.SetUsesNonExemptEncryption(t.Context(), "b4", tt.want)
			if gets.Load() != tt.wantGets {
				t.Errorf("GETs = %d, want %d", gets.Load(), tt.wantGets)
			}
			if tt.wantErr {
				if !IsConflict(err) {
					t.Errorf("err = %v, want the 409", err)
				}
				if e, ok := AsAPIError(err); !ok || !e.HasCode("ENTITY_ERROR") || e.Method != "PATCH" {
					t.Errorf("err is not the PATCH's APIError: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.UsesNonExemptEncryption == nil || *b.UsesNonExemptEncryption != tt.wantValue {
				t.Errorf("value = %v", b.UsesNonExemptEncryption)
			}
		})
	}
}

func TestBuildsGet(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/builds/b4", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, map[string]string{
			"include":                    "preReleaseVersion",
			"fields[builds]":             "version,uploadedDate,expirationDate,expired,processingState,usesNonExemptEncryption,preReleaseVersion",
			"fields[preReleaseVersions]": "version,platform",
		})
		writeJSON(w, 200, `{"data":{"type":"builds","id":"b4","attributes":{"version":"4","expired":true,"expirationDate":"2025-06-01T00:00:00Z"},
		  "relationships":{"preReleaseVersion":{"data":{"type":"preReleaseVersions","id":"p"}}}},
		  "included":[{"type":"preReleaseVersions","id":"p","attributes":{"version":"2.0","platform":"MAC_OS"}}]}`)
	})
	b, _, err := c.Builds.Get(t.Context(), "b4")
	if err != nil || !b.Expired || b.ExpirationDate == nil || b.MarketingVersion != "2.0" || b.Platform != PlatformMacOS {
		t.Errorf("Get = %+v, %v", b, err)
	}
}
