package ascspec_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ascbot/ascbot/internal/asc/ascspec"
)

var (
	fullOnce sync.Once
	fullV    *ascspec.Spec
	fullPath string
	fullErr  error
)

// full loads the full spec (vendored under testdata) once.
func full(t testing.TB) *ascspec.Spec {
	t.Helper()
	fullOnce.Do(func() {
		fullPath, fullErr = ascspec.FindFile()
		if fullErr == nil {
			fullV, fullErr = ascspec.LoadFile(fullPath)
		}
	})
	if fullErr != nil {
		t.Fatalf("loading the full spec: %v", fullErr)
	}
	return fullV
}

// specs returns the specs to run a table against: the embedded one and the
// full one.
func specs(t *testing.T) map[string]*ascspec.Spec {
	return map[string]*ascspec.Spec{"embedded": ascspec.Embedded(), "full": full(t)}
}

func TestFullSpecFacts(t *testing.T) {
	s := full(t)
	if s.Version() != "4.4.1" {
		t.Fatalf("version = %q, want 4.4.1", s.Version())
	}
	if n := len(s.Operations()); n < 1200 {
		t.Fatalf("only %d operations compiled", n)
	}
	op, ok := s.Operation("GET", "/v1/apps/123/appStoreVersions")
	if !ok || op.Path != "/v1/apps/{id}/appStoreVersions" || op.ID != "apps_appStoreVersions_getToManyRelated" {
		t.Fatalf("operation = %+v, %v", op, ok)
	}
	p := op.Query["filter[platform]"]
	if !p.Array || !reflect.DeepEqual(p.Enum, []string{"IOS", "MAC_OS", "TV_OS", "VISION_OS"}) {
		t.Fatalf("filter[platform] = %+v", p)
	}
	if op.Query["limit"].Max != 200 || op.Query["limit"].Type != "integer" {
		t.Fatalf("limit = %+v", op.Query["limit"])
	}
	if _, ok := op.Query["sort"]; ok {
		t.Fatal("appStoreVersions has no sort parameter in 4.4.1")
	}
	apps, _ := s.Operation("GET", "/v1/apps/1")
	if apps.Query["limit[builds]"].Max != 50 {
		t.Fatalf("limit[builds] = %+v", apps.Query["limit[builds]"])
	}
	rs, _ := s.Operation("GET", "/v1/reviewSubmissions")
	if !rs.Query["filter[app]"].Required {
		t.Fatal("filter[app] must be required on GET /v1/reviewSubmissions")
	}
	if got := s.Enum("AppVersionState"); len(got) != 15 || !slices.Contains(got, "READY_FOR_DISTRIBUTION") {
		t.Fatalf("AppVersionState = %v", got)
	}
	if got := s.Enum("PhasedReleaseState"); !reflect.DeepEqual(got, []string{"INACTIVE", "ACTIVE", "PAUSED", "COMPLETE"}) {
		t.Fatalf("PhasedReleaseState = %v", got)
	}
	if got := s.SchemaEnum("ReviewSubmission", "attributes.state"); !reflect.DeepEqual(got, []string{"READY_FOR_REVIEW", "WAITING_FOR_REVIEW", "IN_REVIEW", "UNRESOLVED_ISSUES", "CANCELING", "COMPLETING", "COMPLETE"}) {
		t.Fatalf("ReviewSubmission.state = %v", got)
	}
	if got := s.SchemaEnum("BuildUpload", "attributes.state.state"); !reflect.DeepEqual(got, s.Enum("BuildUploadState")) {
		t.Fatalf("BuildUpload state.state = %v", got)
	}
	if s.SchemaEnum("ReviewSubmission", "attributes.nope") != nil || s.SchemaEnum("Nope", "a") != nil {
		t.Fatal("unknown schema paths must have no enum")
	}
	if n := len(s.Enum("TerritoryCode")); n != 233 {
		t.Fatalf("TerritoryCode has %d values, want 233", n)
	}
}

func TestBodySchemas(t *testing.T) {
	for name, s := range specs(t) {
		t.Run(name, func(t *testing.T) {
			op, _ := s.Operation("POST", "/v1/appStoreVersions")
			b := op.Body
			if b.Type != "appStoreVersions" || b.HasID || !reflect.DeepEqual(b.RequiredAttributes, []string{"platform", "versionString"}) ||
				!reflect.DeepEqual(b.RequiredRelationships, []string{"app"}) {
				t.Fatalf("create body = %+v", b)
			}
			if r := b.Relationships["build"]; r.Type != "builds" || r.Many {
				t.Fatalf("build rel = %+v", r)
			}
			if r := b.Relationships["appStoreVersionLocalizations"]; !r.Many {
				t.Fatalf("localizations rel = %+v", r)
			}
			if f := b.Attributes["platform"]; f.Type != "string" || len(f.Enum) != 4 {
				t.Fatalf("platform field (via $ref) = %+v", f)
			}
			if f := b.Attributes["releaseType"]; !f.Nullable || len(f.Enum) != 3 {
				t.Fatalf("releaseType = %+v", f)
			}
			lk, _ := s.Operation("PATCH", "/v1/appStoreVersions/x/relationships/build")
			if !lk.Body.Linkage || lk.Body.Type != "builds" || !lk.Body.IDRequired || lk.Success != 204 {
				t.Fatalf("linkage op = %+v body %+v", lk, lk.Body)
			}
			av, _ := s.Operation("POST", "/v2/appAvailabilities")
			inc := av.Body.Included["territoryAvailabilities"]
			if inc == nil || inc.Relationships["territory"].Type != "territories" || inc.Attributes["releaseDate"].Format != "date" {
				t.Fatalf("inline create = %+v", inc)
			}
			wh, _ := s.Operation("POST", "/v1/webhooks")
			if f := wh.Body.Attributes["eventTypes"]; f.Type != "array" || f.Items == nil || len(f.Items.Enum) != 12 {
				t.Fatalf("eventTypes = %+v", f)
			}
			upd, _ := s.Operation("PATCH", "/v1/reviewSubmissions/1")
			if !upd.Body.IDRequired || upd.Response == nil || upd.Response.Schema != "ReviewSubmission" || upd.Success != 200 {
				t.Fatalf("update op = %+v", upd)
			}
			res, ok := s.Resource("ReviewSubmission")
			if !ok || res.Type != "reviewSubmissions" || res.SelfPath != "/v1/reviewSubmissions/{id}" {
				t.Fatalf("resource = %+v", res)
			}
			if r := res.Relationships["items"]; !r.Many || !r.Links || r.Related != "/v1/reviewSubmissions/{id}/items" {
				t.Fatalf("items rel = %+v", r)
			}
			if r := res.Relationships["appStoreVersionForReview"]; r.Links || !r.Data || r.Type != "appStoreVersions" {
				t.Fatalf("appStoreVersionForReview rel = %+v", r)
			}
		})
	}
}

// tiny is a handcrafted document exercising $ref features the Apple spec
// does not use (parameter refs, nested schema refs, oneOf included).
const tiny = `{
 "openapi":"3.0.1","info":{"version":"0.1"},
 "paths":{
  "/v1/things/{id}":{"get":{"operationId":"things_get","parameters":[{"$ref":"#/components/parameters/Fields"}],"responses":{"200":{"description":"ok"}}},
                      "parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}]},
  "/v1/things/special":{"get":{"operationId":"special_get","parameters":[{"$ref":"#/components/parameters/Limit"}],"responses":{"200":{"description":"ok"}}}},
  "/v1/{kind}/{id}/x":{"get":{"operationId":"generic_x","responses":{"200":{"description":"ok"}}}},
  "/v1/things/{id}/x":{"get":{"operationId":"things_x","responses":{"200":{"description":"ok"}}}},
  "/v1/things":{"post":{"operationId":"things_create","requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/ThingCreate"}}}},"responses":{"201":{"description":"ok"}}}}
 },
 "components":{
  "parameters":{
   "Fields":{"$ref":"#/components/parameters/FieldsInner"},
   "FieldsInner":{"name":"fields[things]","in":"query","schema":{"type":"array","items":{"$ref":"#/components/schemas/ThingField"}},"style":"form","explode":false},
   "Limit":{"name":"limit","in":"query","schema":{"type":"integer","maximum":7}}
  },
  "schemas":{
   "ThingField":{"$ref":"#/components/schemas/ThingFieldEnum"},
   "ThingFieldEnum":{"type":"string","enum":["name","size"]},
   "Size":{"type":"integer"},
   "ThingCreate":{"type":"object","properties":{
     "data":{"type":"object","properties":{"type":{"type":"string","enum":["things"]},
       "attributes":{"type":"object","properties":{"name":{"type":"string"},"size":{"nullable":true,"$ref":"#/components/schemas/Size"}},"required":["name"]},
       "relationships":{"type":"object","properties":{"parts":{"type":"object","properties":{"data":{"type":"array","items":{"type":"object","properties":{"type":{"type":"string","enum":["parts"]},"id":{"type":"string"}},"required":["id","type"]}}}}}}},
      "required":["type","attributes"]},
     "included":{"type":"array","items":{"oneOf":[{"$ref":"#/components/schemas/PartInline"},{"$ref":"#/components/schemas/BoltInline"}]}}},
    "required":["data"]},
   "PartInline":{"type":"object","properties":{"type":{"type":"string","enum":["parts"]},"id":{"type":"string"},"attributes":{"type":"object","properties":{"w":{"type":"number"}}}},"required":["type"]},
   "BoltInline":{"type":"object","properties":{"type":{"type":"string","enum":["bolts"]},"id":{"type":"string"}},"required":["type"]}
  }
 }
}`

func TestLoadResolvesRefsAndMatchesLiteralFirst(t *testing.T) {
	s, err := ascspec.Load(strings.NewReader(tiny))
	if err != nil {
		t.Fatal(err)
	}
	op, ok := s.Operation("GET", "/v1/things/abc")
	if !ok || op.ID != "things_get" {
		t.Fatalf("GET /v1/things/abc = %+v %v", op, ok)
	}
	if p := op.Query["fields[things]"]; !p.Array || !reflect.DeepEqual(p.Enum, []string{"name", "size"}) {
		t.Fatalf("nested parameter/schema $ref not resolved: %+v", p)
	}
	tests := []struct{ path, wantID string }{
		{"/v1/things/special", "special_get"},
		{"/v1/things/other", "things_get"},
		{"/v1/things/1/x", "things_x"},
		{"/v1/widgets/1/x", "generic_x"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			op, ok := s.Operation("GET", tc.path)
			if !ok || op.ID != tc.wantID {
				t.Fatalf("got %+v %v, want %s", op, ok, tc.wantID)
			}
		})
	}
	if _, ok := s.Operation("DELETE", "/v1/things/abc"); ok {
		t.Fatal("DELETE is not declared")
	}
	if _, ok := s.Operation("GET", "/v1/things/abc/x/y"); ok {
		t.Fatal("longer path must not match")
	}
	if sp, _ := s.Operation("GET", "/v1/things/special"); sp.Query["limit"].Max != 7 {
		t.Fatalf("limit max = %d", sp.Query["limit"].Max)
	}
	create, _ := s.Operation("POST", "/v1/things")
	if f := create.Body.Attributes["size"]; f.Type != "integer" || !f.Nullable {
		t.Fatalf("size field = %+v (nullable beside $ref)", f)
	}
	if len(create.Body.Included) != 2 || create.Body.Included["bolts"] == nil {
		t.Fatalf("oneOf included = %+v", create.Body.Included)
	}
	if err := create.CheckBody([]byte(`{"data":{"type":"things","attributes":{"name":"a","size":null},"relationships":{"parts":{"data":[{"type":"parts","id":"${p1}"}]}}},"included":[{"type":"parts","id":"${p1}","attributes":{"w":1.5}}]}`)); err != nil {
		t.Fatalf("valid inline create refused: %v", err)
	}
}

func TestLoadRejectsBadDocuments(t *testing.T) {
	tests := map[string]string{
		"not json":      `{`,
		"no paths":      `{"openapi":"3.0.1","paths":{}}`,
		"dangling $ref": `{"paths":{"/v1/a":{"get":{"parameters":[{"$ref":"#/components/parameters/Nope"}],"responses":{}}}}}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ascspec.Load(strings.NewReader(doc))
			if !errors.Is(err, ascspec.ErrBadSpec) {
				t.Fatalf("err = %v, want ErrBadSpec", err)
			}
		})
	}
}

func TestFindFile(t *testing.T) {
	t.Run("env override", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "spec.json")
		if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(ascspec.EnvSpecPath, p)
		got, err := ascspec.FindFile()
		if err != nil || got != p {
			t.Fatalf("FindFile = %q, %v", got, err)
		}
	})
	t.Run("env points nowhere", func(t *testing.T) {
		t.Setenv(ascspec.EnvSpecPath, filepath.Join(t.TempDir(), "missing.json"))
		if _, err := ascspec.FindFile(); !errors.Is(err, ascspec.ErrSpecNotFound) {
			t.Fatalf("err = %v, want ErrSpecNotFound", err)
		}
	})
	t.Run("walks up to go.mod", func(t *testing.T) {
		t.Setenv(ascspec.EnvSpecPath, "")
		root := t.TempDir()
		mod := filepath.Join(root, "main")
		deep := filepath.Join(mod, "a", "b")
		want := filepath.Join(mod, filepath.FromSlash(ascspec.VendoredPath))
		for _, d := range []string{deep, filepath.Dir(want)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(want, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Chdir(deep)
		got, err := ascspec.FindFile()
		if err != nil {
			t.Fatal(err)
		}
		if g, _ := filepath.EvalSymlinks(got); g != mustEval(t, want) {
			t.Fatalf("FindFile = %q, want %q", got, want)
		}
	})
	t.Run("module without spec", func(t *testing.T) {
		t.Setenv(ascspec.EnvSpecPath, "")
		mod := t.TempDir()
		if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Chdir(mod)
		if _, err := ascspec.FindFile(); !errors.Is(err, ascspec.ErrSpecNotFound) {
			t.Fatalf("err = %v, want ErrSpecNotFound", err)
		}
	})
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func BenchmarkLoadFull(b *testing.B) {
	path, err := ascspec.FindFile()
	if err != nil {
		b.Fatal(err)
	}
	r, err := ascspec.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ascspec.Load(strings.NewReader(string(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOperationMatch(b *testing.B) {
	s := full(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Operation("GET", "/v1/apps/123/appStoreVersions"); !ok {
			b.Fatal("no match")
		}
	}
}
