package ascspec_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/ascbot/ascbot/internal/asc/ascspec"
)

func TestCheckQuery(t *testing.T) {
	tests := []struct {
		name, method, path, query string
		wantParam, wantCode       string // empty: valid
	}{
		{"valid filters", "GET", "/v1/apps/1/appStoreVersions", "filter[platform]=IOS&filter[appVersionState]=PREPARE_FOR_SUBMISSION,READY_FOR_DISTRIBUTION&include=build&limit=200", "", ""},
		{"undeclared filter", "GET", "/v1/apps/1/appStoreVersions", "filter[nope]=x", "filter[nope]", ascspec.CodeParameterInvalid},
		{"sort is not declared on versions", "GET", "/v1/apps/1/appStoreVersions", "sort=-createdDate", "sort", ascspec.CodeParameterInvalid},
		{"bad enum in array", "GET", "/v1/apps/1/appStoreVersions", "filter[platform]=IOS,ANDROID", "filter[platform]", ascspec.CodeParameterInvalid},
		{"empty element", "GET", "/v1/apps/1/appStoreVersions", "filter[platform]=IOS,", "filter[platform]", ascspec.CodeParameterInvalid},
		{"bad include", "GET", "/v1/appStoreVersions/1", "include=builds", "include", ascspec.CodeParameterInvalid},
		{"bad fields value", "GET", "/v1/apps", "fields[apps]=name,colour", "fields[apps]", ascspec.CodeParameterInvalid},
		{"limit over max", "GET", "/v1/apps", "limit=201", "limit", ascspec.CodeParameterInvalid},
		{"limit zero", "GET", "/v1/apps", "limit=0", "limit", ascspec.CodeParameterInvalid},
		{"limit not a number", "GET", "/v1/apps", "limit=ten", "limit", ascspec.CodeParameterInvalid},
		{"limit[rel] over max", "GET", "/v1/apps/1", "include=builds&limit[builds]=51", "limit[builds]", ascspec.CodeParameterInvalid},
		{"limit[rel] at max", "GET", "/v1/apps/1", "include=builds&limit[builds]=50", "", ""},
		{"repeated parameter", "GET", "/v1/apps", "filter[name]=a&filter[name]=b", "filter[name]", ascspec.CodeParameterInvalid},
		{"required filter missing", "GET", "/v1/reviewSubmissions", "filter[platform]=IOS", "filter[app]", ascspec.CodeParameterRequired},
		{"required filter present", "GET", "/v1/reviewSubmissions", "filter[app]=1&filter[state]=READY_FOR_REVIEW,UNRESOLVED_ISSUES", "", ""},
		{"cursor on paged op", "GET", "/v1/builds", "cursor=abc&limit=5", "", ""},
		{"empty cursor", "GET", "/v1/builds", "cursor=", "cursor", ascspec.CodeParameterInvalid},
		{"cursor on instance op", "GET", "/v1/builds/1", "cursor=abc", "cursor", ascspec.CodeParameterInvalid},
		{"sort enum", "GET", "/v1/builds", "sort=-uploadedDate", "", ""},
		{"bad sort", "GET", "/v1/builds", "sort=-createdDate", "sort", ascspec.CodeParameterInvalid},
		{"empty value", "GET", "/v1/apps", "filter[name]=", "filter[name]", ascspec.CodeParameterInvalid},
		{"param on body op", "POST", "/v1/reviewSubmissions", "include=items", "include", ascspec.CodeParameterInvalid},
	}
	for specName, s := range specs(t) {
		for _, tc := range tests {
			t.Run(specName+"/"+tc.name, func(t *testing.T) {
				op, ok := s.Operation(tc.method, tc.path)
				if !ok {
					t.Fatalf("no operation %s %s", tc.method, tc.path)
				}
				q, err := url.ParseQuery(tc.query)
				if err != nil {
					t.Fatal(err)
				}
				err = op.CheckQuery(q)
				if tc.wantParam == "" {
					if err != nil {
						t.Fatalf("unexpected error: %v", err)
					}
					return
				}
				var qe *ascspec.QueryError
				if !errors.As(err, &qe) {
					t.Fatalf("err = %v, want *QueryError", err)
				}
				if qe.Parameter != tc.wantParam || qe.Code != tc.wantCode || qe.Status() != 400 || qe.Title == "" || qe.Detail == "" {
					t.Fatalf("error = %+v, want parameter %s code %s", qe, tc.wantParam, tc.wantCode)
				}
			})
		}
	}
}

func TestCheckQueryExistsBoolean(t *testing.T) {
	op, _ := ascspec.Embedded().Operation("GET", "/v1/builds")
	if err := op.CheckQuery(url.Values{"exists[usesNonExemptEncryption]": {"false"}}); err != nil {
		t.Fatal(err)
	}
	var qe *ascspec.QueryError
	if err := op.CheckQuery(url.Values{"exists[usesNonExemptEncryption]": {"maybe"}}); !errors.As(err, &qe) {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckBody(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		wantPtr, wantCode        string // empty: valid
		wantStatus               int
	}{
		{"valid create", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS","versionString":"1.2","releaseType":"MANUAL","earliestReleaseDate":null},"relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`, "", "", 0},
		{"wrong data type", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"apps","attributes":{"platform":"IOS","versionString":"1.2"},"relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`, "/data/type", ascspec.CodeEntityInvalid, 409},
		{"unknown attribute", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS","versionString":"1.2","foo":1},"relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`, "/data/attributes/foo", ascspec.CodeAttributeUnknown, 409},
		{"unknown relationship", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS","versionString":"1.2"},"relationships":{"app":{"data":{"type":"apps","id":"1"}},"bar":{"data":{"type":"x","id":"1"}}}}}`, "/data/relationships/bar", ascspec.CodeRelationshipUnknown, 409},
		{"wrong linkage type", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS","versionString":"1.2"},"relationships":{"app":{"data":{"type":"builds","id":"1"}}}}}`, "/data/relationships/app/data/type", ascspec.CodeRelationshipInvalid, 409},
		{"to-many given as one", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS","versionString":"1.2"},"relationships":{"app":{"data":{"type":"apps","id":"1"}},"appStoreVersionLocalizations":{"data":{"type":"appStoreVersionLocalizations","id":"1"}}}}}`, "/data/relationships/appStoreVersionLocalizations/data", ascspec.CodeRelationshipInvalid, 409},
		{"missing required attribute", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS"},"relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`, "/data/attributes/versionString", ascspec.CodeAttributeRequired, 409},
		{"missing required relationship", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS","versionString":"1"},"relationships":{}}}`, "/data/relationships/app", ascspec.CodeRelationshipRequired, 409},
		{"missing relationships member", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS","versionString":"1"}}}`, "/data/relationships", ascspec.CodeRelationshipRequired, 409},
		{"bad enum", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"ANDROID","versionString":"1.2"},"relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`, "/data/attributes/platform", ascspec.CodeAttributeInvalid, 409},
		{"wrong JSON type", "PATCH", "/v1/builds/1",
			`{"data":{"type":"builds","id":"1","attributes":{"usesNonExemptEncryption":"no"}}}`, "/data/attributes/usesNonExemptEncryption", ascspec.CodeAttributeInvalid, 409},
		{"bad date-time", "PATCH", "/v1/appStoreVersions/1",
			`{"data":{"type":"appStoreVersions","id":"1","attributes":{"earliestReleaseDate":"tomorrow"}}}`, "/data/attributes/earliestReleaseDate", ascspec.CodeAttributeInvalid, 409},
		{"null not allowed", "POST", "/v1/appStoreVersions",
			`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS","versionString":null},"relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`, "/data/attributes/versionString", ascspec.CodeAttributeInvalid, 409},
		{"missing id on update", "PATCH", "/v1/appStoreVersionLocalizations/1",
			`{"data":{"type":"appStoreVersionLocalizations","attributes":{"whatsNew":"x"}}}`, "/data/id", ascspec.CodeAttributeRequired, 409},
		{"unexpected id on create", "POST", "/v1/reviewSubmissions",
			`{"data":{"type":"reviewSubmissions","id":"x","relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`, "/data/id", ascspec.CodeUnexpectedID, 409},
		{"bad array element enum", "POST", "/v1/webhooks",
			`{"data":{"type":"webhooks","attributes":{"enabled":true,"eventTypes":["NOPE"],"name":"n","secret":"s","url":"https://x.example/h"},"relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`, "/data/attributes/eventTypes", ascspec.CodeAttributeInvalid, 409},
		{"bad uri", "POST", "/v1/webhooks",
			`{"data":{"type":"webhooks","attributes":{"enabled":true,"eventTypes":[],"name":"n","secret":"s","url":"not a url"},"relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`, "/data/attributes/url", ascspec.CodeAttributeInvalid, 409},
		{"malformed json", "PATCH", "/v1/builds/1", `{"data":`, "", ascspec.CodeEntityUnprocessable, 422},
		{"no data", "PATCH", "/v1/builds/1", `{"meta":{}}`, "/meta", ascspec.CodeEntity, 409},
		{"null data", "PATCH", "/v1/builds/1", `{"data":null}`, "/data", ascspec.CodeEntity, 409},
		{"valid linkage", "PATCH", "/v1/appStoreVersions/1/relationships/build", `{"data":{"type":"builds","id":"b"}}`, "", "", 0},
		{"linkage wrong type", "PATCH", "/v1/appStoreVersions/1/relationships/build", `{"data":{"type":"apps","id":"b"}}`, "/data/type", ascspec.CodeEntityInvalid, 409},
		{"linkage missing id", "PATCH", "/v1/appStoreVersions/1/relationships/build", `{"data":{"type":"builds"}}`, "/data/id", ascspec.CodeEntityInvalid, 409},
		{"valid inline create", "POST", "/v2/appAvailabilities",
			`{"data":{"type":"appAvailabilities","attributes":{"availableInNewTerritories":true},"relationships":{"app":{"data":{"type":"apps","id":"1"}},"territoryAvailabilities":{"data":[{"type":"territoryAvailabilities","id":"${USA}"}]}}},"included":[{"type":"territoryAvailabilities","id":"${USA}","attributes":{"available":true},"relationships":{"territory":{"data":{"type":"territories","id":"USA"}}}}]}`, "", "", 0},
		{"included unknown attribute", "POST", "/v2/appAvailabilities",
			`{"data":{"type":"appAvailabilities","attributes":{"availableInNewTerritories":true},"relationships":{"app":{"data":{"type":"apps","id":"1"}},"territoryAvailabilities":{"data":[{"type":"territoryAvailabilities","id":"${USA}"}]}}},"included":[{"type":"territoryAvailabilities","id":"${USA}","attributes":{"availableEverywhere":true}}]}`, "/included/0/attributes/availableEverywhere", ascspec.CodeIncludedInvalid, 409},
		{"included bad local id", "POST", "/v2/appAvailabilities",
			`{"data":{"type":"appAvailabilities","attributes":{"availableInNewTerritories":true},"relationships":{"app":{"data":{"type":"apps","id":"1"}},"territoryAvailabilities":{"data":[{"type":"territoryAvailabilities","id":"USA"}]}}},"included":[{"type":"territoryAvailabilities","id":"USA","attributes":{"available":true}}]}`, "/included/0/id", ascspec.CodeIncludedInvalid, 409},
		{"included not referenced", "POST", "/v2/appAvailabilities",
			`{"data":{"type":"appAvailabilities","attributes":{"availableInNewTerritories":true},"relationships":{"app":{"data":{"type":"apps","id":"1"}},"territoryAvailabilities":{"data":[]}}},"included":[{"type":"territoryAvailabilities","id":"${USA}"}]}`, "/included/0/id", ascspec.CodeIncludedInvalid, 409},
		{"included on op without inline creates", "POST", "/v1/reviewSubmissions",
			`{"data":{"type":"reviewSubmissions","relationships":{"app":{"data":{"type":"apps","id":"1"}}}},"included":[]}`, "/included", ascspec.CodeIncludedInvalid, 409},
	}
	for specName, s := range specs(t) {
		for _, tc := range tests {
			t.Run(specName+"/"+tc.name, func(t *testing.T) {
				op, ok := s.Operation(tc.method, tc.path)
				if !ok {
					t.Fatalf("no operation %s %s", tc.method, tc.path)
				}
				err := op.CheckBody([]byte(tc.body))
				if tc.wantCode == "" {
					if err != nil {
						t.Fatalf("unexpected error: %v", err)
					}
					return
				}
				var be *ascspec.BodyError
				if !errors.As(err, &be) {
					t.Fatalf("err = %v, want *BodyError", err)
				}
				if be.Pointer != tc.wantPtr || be.Code != tc.wantCode || be.Status() != tc.wantStatus || be.Detail == "" || be.Title == "" {
					t.Fatalf("error = %+v, want pointer %q code %s status %d", be, tc.wantPtr, tc.wantCode, tc.wantStatus)
				}
			})
		}
	}
}

func TestCheckBodyNoBodyOperation(t *testing.T) {
	op, _ := ascspec.Embedded().Operation("GET", "/v1/apps")
	if err := op.CheckBody(nil); err != nil {
		t.Fatalf("empty body on GET: %v", err)
	}
	var be *ascspec.BodyError
	if err := op.CheckBody([]byte(`{"data":{}}`)); !errors.As(err, &be) || be.Status() != 422 {
		t.Fatalf("body on GET: %v", err)
	}
}

func BenchmarkCheckBody(b *testing.B) {
	op, _ := ascspec.Embedded().Operation("POST", "/v1/appStoreVersions")
	body := []byte(`{"data":{"type":"appStoreVersions","attributes":{"platform":"IOS","versionString":"1.2","releaseType":"MANUAL"},"relationships":{"app":{"data":{"type":"apps","id":"1"}}}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := op.CheckBody(body); err != nil {
			b.Fatal(err)
		}
	}
}
