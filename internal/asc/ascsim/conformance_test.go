package ascsim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/asc/ascspec"
)

func concretePath(p, id string) string { return strings.ReplaceAll(p, "{id}", id) }

// TestRoutesExistInFullSpec: every served route is an operation of the full
// spec with that method, and the routes are exactly ascspec.Served.
func TestRoutesExistInFullSpec(t *testing.T) {
	full := fullSpec(t)
	srv := New(Options{})
	defer srv.Close()
	routes := srv.Routes()
	if len(routes) != len(ascspec.Served) {
		t.Fatalf("%d routes, ascspec.Served has %d", len(routes), len(ascspec.Served))
	}
	served := map[string]bool{}
	for _, k := range ascspec.Served {
		served[k.Method+" "+k.Path] = true
	}
	for _, r := range routes {
		op, ok := full.Operation(r.Method, concretePath(r.Path, "X"))
		if !ok || op.Path != r.Path || op.Method != r.Method {
			t.Errorf("%s %s is not a spec operation (matched %+v)", r.Method, r.Path, op)
		}
		if !served[r.Method+" "+r.Path] {
			t.Errorf("%s %s is served but not listed in ascspec.Served", r.Method, r.Path)
		}
	}
}

// paramValue derives a valid value for a declared query parameter.
func paramValue(p ascspec.Param, appID string) string {
	switch {
	case len(p.Enum) > 0:
		return p.Enum[0]
	case p.Type == "integer":
		return "1"
	case p.Type == "boolean":
		return "true"
	case p.Name == "filter[app]":
		return appID
	}
	return "x"
}

// TestEveryDeclaredQueryParamRecognised sends each declared parameter of
// every served operation, one at a time, with a value derived from the spec:
// none may be refused with 400.
func TestEveryDeclaredQueryParamRecognised(t *testing.T) {
	h := newHarness(t).seed()
	for _, r := range h.srv.Routes() {
		op, _ := h.srv.spec.Operation(r.Method, concretePath(r.Path, "X"))
		names := make([]string, 0, len(op.Query))
		for n := range op.Query {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			q := url.Values{n: {paramValue(op.Query[n], h.demo.AppID)}}
			for rn, rp := range op.Query {
				if rp.Required && rn != n {
					q.Set(rn, paramValue(rp, h.demo.AppID))
				}
			}
			res := h.do(r.Method, concretePath(r.Path, "X")+"?"+q.Encode(), nil)
			if res.status == 400 {
				t.Errorf("%s %s?%s: 400 %s", r.Method, r.Path, q.Encode(), res.raw)
			}
		}
	}
}

// TestUndeclaredQueryParamRefused: an undeclared parameter is a 400 naming it,
// on every served route.
func TestUndeclaredQueryParamRefused(t *testing.T) {
	h := newHarness(t).seed()
	for _, r := range h.srv.Routes() {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			res := h.do(r.Method, concretePath(r.Path, "X")+"?filter[bogus]=1", nil)
			e := res.firstErr(t, 400, "PARAMETER_ERROR.INVALID")
			if parameter(e) != "filter[bogus]" || e["detail"] != "'bogus' is not a valid filter type" || e["title"] != "A parameter has an invalid value" {
				t.Fatalf("error = %v", e)
			}
		})
	}
}

// skeleton builds a minimal body of the right type for an operation.
func skeleton(b *ascspec.BodySchema, id string) map[string]any {
	d := map[string]any{"type": b.Type}
	if b.IDRequired {
		d["id"] = id
	}
	return d
}

func wrongValue(f ascspec.Field) any {
	switch f.Type {
	case "string":
		return 12345
	case "array", "object":
		return "not-" + f.Type
	default:
		return "not-" + f.Type
	}
}

// TestBodyErrorsOnEveryBodyRoute derives bad bodies from each operation's
// request schema: unknown attribute, wrong JSON type, unknown relationship,
// wrong data.type; each must be a 409 with the right pointer.
func TestBodyErrorsOnEveryBodyRoute(t *testing.T) {
	h := newHarness(t).seed()
	for _, r := range h.srv.Routes() {
		op, _ := h.srv.spec.Operation(r.Method, concretePath(r.Path, "X"))
		if op.Body == nil {
			continue
		}
		b := op.Body
		path := concretePath(r.Path, "X")
		type bad struct {
			name, ptr, code string
			body            any
		}
		var cases []bad
		switch {
		case b.Linkage && b.Many:
			cases = append(cases,
				bad{"wrong type", "/data/0/type", ascspec.CodeEntityInvalid, map[string]any{"data": []any{map[string]any{"type": "nope", "id": "1"}}}},
				bad{"not an array", "/data", ascspec.CodeEntity, map[string]any{"data": map[string]any{"type": b.Type, "id": "1"}}})
		case b.Linkage:
			cases = append(cases, bad{"wrong type", "/data/type", ascspec.CodeEntityInvalid, map[string]any{"data": map[string]any{"type": "nope", "id": "1"}}})
		default:
			d := skeleton(b, "X")
			d["type"] = b.Type + "Nope"
			cases = append(cases, bad{"wrong type", "/data/type", ascspec.CodeEntityInvalid, map[string]any{"data": d}})
			if b.Attributes != nil {
				d := skeleton(b, "X")
				d["attributes"] = map[string]any{"zzUnknown": true}
				cases = append(cases, bad{"unknown attribute", "/data/attributes/zzUnknown", ascspec.CodeAttributeUnknown, map[string]any{"data": d}})
				names := make([]string, 0, len(b.Attributes))
				for n := range b.Attributes {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					d := skeleton(b, "X")
					d["attributes"] = map[string]any{n: wrongValue(b.Attributes[n])}
					cases = append(cases, bad{"wrong JSON type for " + n, "/data/attributes/" + n, ascspec.CodeAttributeInvalid, map[string]any{"data": d}})
				}
			}
			if b.Relationships != nil {
				d := skeleton(b, "X")
				d["relationships"] = map[string]any{"zzUnknown": link("apps", "1")}
				cases = append(cases, bad{"unknown relationship", "/data/relationships/zzUnknown", ascspec.CodeRelationshipUnknown, map[string]any{"data": d}})
			}
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s %s %s", r.Method, r.Path, c.name), func(t *testing.T) {
				res := h.do(r.Method, path, c.body)
				e := res.firstErr(t, 409, c.code)
				if pointer(e) != c.ptr {
					t.Fatalf("pointer = %q, want %q: %s", pointer(e), c.ptr, res.raw)
				}
			})
		}
	}
}

// TestMalformedJSONIsUnprocessable: broken JSON answers 422 in Apple's shape.
func TestMalformedJSONIsUnprocessable(t *testing.T) {
	h := newHarness(t).seed()
	h.do("POST", "/v1/reviewSubmissions", `{"data":`).firstErr(t, 422, ascspec.CodeEntityUnprocessable)
}

// TestUnservedRoutes: unknown paths are 404, spec paths the simulator does not
// serve are 404, and a method the spec does not declare on a path is Apple's
// 403 "does not allow".
func TestUnservedRoutes(t *testing.T) {
	h := newHarness(t).seed()
	tests := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"unknown path", "GET", "/v1/nope", 404, codeNotFound},
		{"unknown version prefix", "GET", "/v9/apps", 404, codeNotFound},
		{"spec path not served", "DELETE", "/v1/appStoreVersions/" + h.demo.NewVersionID, 404, codeNotFound},
		{"method the spec lacks", "DELETE", "/v1/apps/" + h.demo.AppID, 403, codeForbidden},
		{"create on an instance path", "POST", "/v1/builds/" + h.demo.Build4ID, 403, codeForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := h.do(tc.method, tc.path, nil).firstErr(t, tc.status, tc.code)
			if tc.status == 404 && e["title"] != titleNotFound {
				t.Fatalf("title = %v", e["title"])
			}
		})
	}
}

// checkResource validates one rendered resource object against the spec.
func checkResource(t *testing.T, spec *ascspec.Spec, schemaByType map[string]string, obj map[string]any) {
	t.Helper()
	typ, _ := obj["type"].(string)
	id, _ := obj["id"].(string)
	schema := schemaByType[typ]
	res, ok := spec.Resource(schema)
	if !ok || id == "" {
		t.Fatalf("resource %s/%s has no schema (%q)", typ, id, schema)
	}
	for name, v := range attrs(obj) {
		f, ok := res.Attributes[name]
		if !ok {
			t.Errorf("%s.%s is not declared by %s", typ, name, schema)
			continue
		}
		if v == nil {
			continue
		}
		raw, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "t", "attributes": map[string]any{name: v}}})
		probe := &ascspec.Operation{Body: &ascspec.BodySchema{Type: "t", Attributes: map[string]ascspec.Field{name: f}}}
		if err := probe.CheckBody(raw); err != nil {
			t.Errorf("%s.%s = %v does not match its schema %+v: %v", typ, name, v, f, err)
		}
	}
	rels, _ := obj["relationships"].(map[string]any)
	for name, r := range rels {
		rr, ok := res.Relationships[name]
		if !ok {
			t.Errorf("%s relationship %s is not declared", typ, name)
			continue
		}
		ro := r.(map[string]any)
		if _, has := ro["links"]; has && !rr.Links {
			t.Errorf("%s.%s has links the schema does not declare", typ, name)
		}
		if d, has := ro["data"]; has && d != nil {
			if rr.Many {
				for _, x := range d.([]any) {
					if x.(map[string]any)["type"] != rr.Type {
						t.Errorf("%s.%s linkage type %v, want %s", typ, name, x, rr.Type)
					}
				}
			} else if d.(map[string]any)["type"] != rr.Type {
				t.Errorf("%s.%s linkage type %v, want %s", typ, name, d, rr.Type)
			}
		}
	}
	if l, _ := obj["links"].(map[string]any); (l["self"] != nil) != (res.SelfPath != "") {
		t.Errorf("%s/%s links.self = %v, spec instance path %q", typ, id, l["self"], res.SelfPath)
	}
}

// TestResponsesConformToSpec renders every GET route (with every include the
// simulator models) and checks each resource object against the spec's
// response schema: declared attributes with the declared JSON types,
// declared relationships with the right linkage types, links.self.
func TestResponsesConformToSpec(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	// Put a submission with an item in place, plus availability and a phased release.
	h.mustSubmitNewVersion(t)
	pr := h.do("POST", "/v1/appStoreVersionPhasedReleases", resource("appStoreVersionPhasedReleases", "", nil,
		map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)})).must(t, 201)
	_ = pr
	subID := h.srv.Submissions(d.AppID)[0].ID
	av, _ := h.srv.Availability(d.AppID)
	bv, _ := h.srv.Build(d.Build4ID)
	// TestFlight: build 4 in both groups, What to Test, a beta review.
	h.do("POST", "/v1/builds/"+d.Build4ID+"/relationships/betaGroups", map[string]any{"data": []any{
		link("betaGroups", d.InternalGroupID)["data"], link("betaGroups", d.ExternalGroupID)["data"]}}).must(t, 204)
	h.do("POST", "/v1/betaBuildLocalizations", resource("betaBuildLocalizations", "", map[string]any{"locale": "en-US", "whatsNew": "Try it"},
		map[string]any{"build": link("builds", d.Build4ID)})).must(t, 201)
	h.do("POST", "/v1/betaAppReviewSubmissions", resource("betaAppReviewSubmissions", "", nil,
		map[string]any{"build": link("builds", d.Build4ID)})).must(t, 201)
	betaReview, _ := h.srv.BetaBuild(d.Build4ID)
	testerID := h.srv.AddBetaTester(BetaTesterSeed{Email: "conf@example.com"}, d.ExternalGroupID)
	gets := []string{
		"/v1/betaGroups?filter[app]=" + d.AppID + "&include=app,builds,betaTesters&sort=name",
		"/v1/betaGroups/" + d.ExternalGroupID + "?include=app,builds,betaTesters",
		"/v1/betaGroups/" + d.ExternalGroupID + "/betaTesters",
		"/v1/builds/" + d.Build4ID + "?include=buildBetaDetail,betaGroups,betaBuildLocalizations,betaAppReviewSubmission,preReleaseVersion",
		"/v1/builds/" + d.Build4ID + "/buildBetaDetail?include=build",
		"/v1/betaBuildLocalizations?filter[build]=" + d.Build4ID + "&include=build",
		"/v1/betaAppReviewSubmissions?filter[build]=" + d.Build4ID + "&include=build",
		"/v1/betaAppReviewSubmissions/" + betaReview.ReviewID + "?include=build",
		"/v1/betaTesters?filter[email]=conf@example.com&include=betaGroups,apps",
		"/v1/betaTesters/" + testerID + "?include=betaGroups",
		"/v1/betaAppLocalizations?filter[app]=" + d.AppID + "&include=app",
		"/v1/apps?include=appStoreVersions,builds,reviewSubmissions,inAppPurchasesV2,preReleaseVersions",
		"/v1/apps/" + d.AppID + "?include=appStoreVersions,reviewSubmissions,builds&limit[appStoreVersions]=5&limit[builds]=5&limit[reviewSubmissions]=5",
		"/v1/apps/" + d.AppID + "/appStoreVersions?include=app,build,appStoreVersionPhasedRelease,appStoreVersionLocalizations",
		"/v1/apps/" + d.AppID + "/reviewSubmissions?include=items,appStoreVersionForReview,app",
		"/v1/apps/" + d.AppID + "/appAvailabilityV2?include=territoryAvailabilities",
		"/v1/apps/" + d.AppID + "/inAppPurchasesV2",
		"/v1/appStoreVersions/" + d.NewVersionID + "?include=build,app,appStoreVersionLocalizations,appStoreVersionPhasedRelease",
		// The bot's compound reads, with their sparse fieldsets and limits.
		"/v1/appStoreVersions/" + d.NewVersionID + "?include=app,build,appStoreVersionLocalizations,appStoreVersionPhasedRelease" +
			"&fields[appStoreVersions]=platform,versionString,appVersionState,app,build,appStoreVersionLocalizations,appStoreVersionPhasedRelease" +
			"&fields[apps]=bundleId&fields[builds]=version,processingState,usesNonExemptEncryption" +
			"&fields[appStoreVersionLocalizations]=locale,whatsNew&fields[appStoreVersionPhasedReleases]=phasedReleaseState,currentDayNumber" +
			"&limit[appStoreVersionLocalizations]=50",
		"/v1/apps/" + d.AppID + "/appStoreVersions?filter[versionString]=1.1.0&filter[platform]=IOS&include=build,appStoreVersionLocalizations,appStoreVersionPhasedRelease" +
			"&fields[appStoreVersionLocalizations]=locale,whatsNew&limit[appStoreVersionLocalizations]=50&limit=10",
		"/v1/apps/" + d.AppID + "/appStoreVersions?filter[platform]=IOS&include=build,appStoreVersionPhasedRelease&limit=200" +
			"&fields[appStoreVersions]=versionString,appVersionState,build,appStoreVersionPhasedRelease&fields[builds]=version&fields[appStoreVersionPhasedReleases]=phasedReleaseState",
		"/v1/apps/" + d.AppID + "?include=appStoreVersions,inAppPurchasesV2&limit[appStoreVersions]=50&limit[inAppPurchasesV2]=50" +
			"&fields[apps]=name,bundleId,appStoreVersions,inAppPurchasesV2&fields[appStoreVersions]=platform,versionString,appVersionState" +
			"&fields[inAppPurchases]=name,productId,inAppPurchaseType,state",
		"/v1/reviewSubmissions?filter[app]=" + d.AppID + "&filter[state]=WAITING_FOR_REVIEW&include=items,appStoreVersionForReview" +
			"&fields[reviewSubmissions]=platform,state,items,appStoreVersionForReview&fields[reviewSubmissionItems]=state,appStoreVersion&limit[items]=50",
		"/v1/appStoreVersions/" + d.NewVersionID + "/build",
		"/v1/appStoreVersions/" + d.NewVersionID + "/appStoreVersionLocalizations?include=appStoreVersion",
		"/v1/appStoreVersions/" + d.NewVersionID + "/appStoreVersionPhasedRelease",
		"/v1/builds?filter[app]=" + d.AppID + "&include=preReleaseVersion,app,appStoreVersion,buildUpload",
		"/v1/builds/" + d.Build4ID + "?include=preReleaseVersion,buildUpload",
		"/v1/buildUploads/" + bv.UploadID + "?include=build",
		"/v1/reviewSubmissions?filter[app]=" + d.AppID + "&include=items,appStoreVersionForReview,app",
		"/v1/reviewSubmissions/" + subID + "?include=items,appStoreVersionForReview",
		"/v1/reviewSubmissions/" + subID + "/items?include=appStoreVersion",
		"/v1/territories?limit=200",
		"/v2/appAvailabilities/" + av.ID + "?include=territoryAvailabilities",
		"/v2/appAvailabilities/" + av.ID + "/territoryAvailabilities?include=territory",
	}
	// Linkage documents (…/relationships/x) carry identifiers only.
	for path, typ := range map[string]string{
		"/v1/betaGroups/" + d.ExternalGroupID + "/relationships/builds":      tBuilds,
		"/v1/betaGroups/" + d.ExternalGroupID + "/relationships/betaTesters": tBetaTesters,
	} {
		res := h.do("GET", path+"?limit=1", nil).must(t, 200)
		data, _ := res.doc["data"].([]any)
		if len(data) != 1 || data[0].(map[string]any)["type"] != typ || len(data[0].(map[string]any)) != 2 {
			t.Errorf("%s: data = %v", path, res.doc["data"])
		}
		if l, _ := res.doc["links"].(map[string]any); l["self"] == nil {
			t.Errorf("%s: no links.self", path)
		}
	}
	for _, path := range gets {
		t.Run(path, func(t *testing.T) {
			res := h.do("GET", path, nil).must(t, 200)
			op, _ := h.srv.spec.Operation("GET", strings.SplitN(path, "?", 2)[0])
			schemaByType := map[string]string{}
			for typ, s := range op.Response.Included {
				m, modelled := modelSchema[typ]
				if !modelled {
					continue
				}
				if s != m && typ != tIAPs {
					t.Errorf("spec includes %s as %s, simulator renders %s", typ, s, m)
				}
				schemaByType[typ] = m
			}
			prim, _ := h.srv.spec.Resource(op.Response.Schema)
			schemaByType[prim.Type] = op.Response.Schema
			var objs []map[string]any
			switch dd := res.doc["data"].(type) {
			case map[string]any:
				objs = append(objs, dd)
			case []any:
				if len(dd) == 0 {
					t.Fatalf("empty collection: %s", res.raw)
				}
				for _, x := range dd {
					objs = append(objs, x.(map[string]any))
				}
			default:
				t.Fatalf("no data: %s", res.raw)
			}
			inc, _ := res.doc["included"].([]any)
			if strings.Contains(path, "include=") && len(inc) == 0 {
				t.Fatalf("include requested but nothing included: %s", res.raw)
			}
			for _, x := range inc {
				objs = append(objs, x.(map[string]any))
			}
			for _, o := range objs {
				checkResource(t, h.srv.spec, schemaByType, o)
			}
			if l, _ := res.doc["links"].(map[string]any); l["self"] == nil {
				t.Fatal("document has no links.self")
			}
		})
	}
}

// mustSubmitNewVersion prepares the demo's 1.1.0 for review (build 4,
// encryption answered, whatsNew in every locale), creates a submission with
// the version and submits it.
func (h *harness) mustSubmitNewVersion(t *testing.T) string {
	t.Helper()
	d := h.demo
	h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID+"/relationships/build", link("builds", d.Build4ID)).must(t, 204)
	h.do("PATCH", "/v1/builds/"+d.Build4ID, resource("builds", d.Build4ID, map[string]any{"usesNonExemptEncryption": false}, nil)).must(t, 200)
	v, _ := h.srv.Version(d.NewVersionID)
	for locale, id := range v.LocalizationIDs {
		h.do("PATCH", "/v1/appStoreVersionLocalizations/"+id, resource("appStoreVersionLocalizations", id,
			map[string]any{"whatsNew": "Bug fixes (" + locale + ")"}, nil)).must(t, 200)
	}
	sub := h.do("POST", "/v1/reviewSubmissions", resource("reviewSubmissions", "", map[string]any{"platform": "IOS"},
		map[string]any{"app": link("apps", d.AppID)})).must(t, 201).data(t)
	subID := sub["id"].(string)
	h.do("POST", "/v1/reviewSubmissionItems", resource("reviewSubmissionItems", "", nil, map[string]any{
		"reviewSubmission": link("reviewSubmissions", subID),
		"appStoreVersion":  link("appStoreVersions", d.NewVersionID),
	})).must(t, 201)
	h.do("PATCH", "/v1/reviewSubmissions/"+subID, resource("reviewSubmissions", subID, map[string]any{"submitted": true}, nil)).must(t, 200)
	return subID
}
