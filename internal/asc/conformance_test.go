package asc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorded is one request seen by the conformance server.
type recorded struct {
	method, path, rawQuery string
	body                   []byte
}

// specOp is an operation found for a concrete path.
type specOp struct {
	template string
	op       map[string]any
}

// findOp matches a concrete path against the spec's templates; a literal
// segment beats a {param} segment.
func findOp(spec map[string]any, method, path string) (specOp, bool) {
	paths := specGet(spec, spec, "paths").(map[string]any)
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestScore := specOp{}, -1
	for tmpl, item := range paths {
		tsegs := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(tsegs) != len(segs) {
			continue
		}
		score, ok := 0, true
		for i, ts := range tsegs {
			switch {
			case ts == segs[i]:
				score++
			case strings.HasPrefix(ts, "{"):
			default:
				ok = false
			}
		}
		if !ok || score <= bestScore {
			continue
		}
		if op, _ := item.(map[string]any)[strings.ToLower(method)].(map[string]any); op != nil {
			best, bestScore = specOp{template: tmpl, op: op}, score
		}
	}
	return best, bestScore >= 0
}

// checkQuery reports undeclared parameters, bad enum values, limits over max
// and missing required parameters.
func checkQuery(spec map[string]any, op map[string]any, rawQuery string) []string {
	declared := map[string]map[string]any{}
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		pm, _ := specResolve(spec, p).(map[string]any)
		if pm["in"] == "query" {
			declared[pm["name"].(string)] = pm
		}
	}
	var problems []string
	seen := map[string]bool{}
	for _, kv := range strings.Split(rawQuery, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		seen[k] = true
		p, ok := declared[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("undeclared query parameter %q", k))
			continue
		}
		schema := specResolve(spec, p["schema"])
		enum := enumOf(spec, schema)
		for _, one := range strings.Split(v, ",") {
			if len(enum) > 0 && !slices.Contains(enum, one) {
				problems = append(problems, fmt.Sprintf("%s: %q not in enum", k, one))
			}
		}
		if sm, _ := schema.(map[string]any); sm != nil {
			if max, ok := sm["maximum"].(float64); ok {
				if n, err := strconv.Atoi(v); err != nil || float64(n) > max {
					problems = append(problems, fmt.Sprintf("%s=%s over maximum %v", k, v, max))
				}
			}
		}
	}
	for name, p := range declared {
		if req, _ := p["required"].(bool); req && !seen[name] {
			problems = append(problems, fmt.Sprintf("required query parameter %q missing", name))
		}
	}
	return problems
}

// checkSchema validates v against a JSON-schema subset (type, enum,
// properties without extras, required, items).
func checkSchema(spec map[string]any, schema any, v any, ptr string) []string {
	s, _ := specResolve(spec, schema).(map[string]any)
	if s == nil {
		return nil
	}
	var problems []string
	if enum := enumOf(spec, map[string]any{"enum": s["enum"]}); s["enum"] != nil {
		str, _ := v.(string)
		if !slices.Contains(enum, str) {
			problems = append(problems, fmt.Sprintf("%s: %v not in %v", ptr, v, enum))
		}
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return append(problems, fmt.Sprintf("%s: want object, got %T", ptr, v))
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range m {
			sub, declared := props[k]
			if !declared {
				if _, extra := s["additionalProperties"]; !extra {
					problems = append(problems, fmt.Sprintf("%s/%s: not declared by the schema", ptr, k))
				}
				continue
			}
			problems = append(problems, checkSchema(spec, sub, val, ptr+"/"+k)...)
		}
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := m[r.(string)]; !ok {
				problems = append(problems, fmt.Sprintf("%s/%s: required but missing", ptr, r))
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return append(problems, fmt.Sprintf("%s: want array, got %T", ptr, v))
		}
		for i, item := range a {
			problems = append(problems, checkSchema(spec, s["items"], item, fmt.Sprintf("%s/%d", ptr, i))...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			problems = append(problems, fmt.Sprintf("%s: want string, got %T", ptr, v))
		} else if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, v.(string)); err != nil {
				problems = append(problems, fmt.Sprintf("%s: not a date-time: %v", ptr, v))
			}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			problems = append(problems, fmt.Sprintf("%s: want boolean, got %T", ptr, v))
		}
	case "integer":
		if _, ok := v.(float64); !ok {
			problems = append(problems, fmt.Sprintf("%s: want integer, got %T", ptr, v))
		}
	}
	return problems
}

// responseIsCollection reports whether the op's 2xx data is an array.
func responseIsCollection(spec map[string]any, op map[string]any) bool {
	resps, _ := op["responses"].(map[string]any)
	for code, r := range resps {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		schema := specGet(spec, r, "content", "application/json", "schema")
		if data, _ := specGet(spec, schema, "properties", "data").(map[string]any); data != nil {
			return data["type"] == "array"
		}
	}
	return false
}

// TestRequestsConformToSpec drives every service method against a server
// that records requests, then checks each request's path, method, query and
// body against the OpenAPI spec.
func TestRequestsConformToSpec(t *testing.T) {
	spec := loadSpec(t)
	c, mux, _ := setup(t)
	var mu sync.Mutex
	var reqs []recorded
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, b})
		mu.Unlock()
		so, ok := findOp(spec, r.Method, r.URL.Path)
		switch {
		case !ok:
			writeJSON(w, 404, appleError(404, "NOT_FOUND", "no such route", "", ""))
		case strings.Contains(so.template, "/relationships/") && r.Method == "PATCH":
			w.WriteHeader(204)
		case responseIsCollection(spec, so.op):
			writeJSON(w, 200, `{"data":[],"links":{"self":"x"}}`)
		case r.Method == "POST":
			writeJSON(w, 201, `{"data":{"id":"new1","attributes":{}},"links":{"self":"x"}}`)
		default:
			writeJSON(w, 200, `{"data":{"id":"id1","attributes":{}},"links":{"self":"x"}}`)
		}
	})

	ctx := t.Context()
	when := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	calls := []struct {
		name string
		fn   func() error
	}{
		{"Apps.List", func() error { _, _, err := c.Apps.List(ctx); return err }},
		{"Apps.Get", func() error { _, _, err := c.Apps.Get(ctx, "a1"); return err }},
		{"Apps.Snapshot", func() error {
			_, _, err := c.Apps.Snapshot(ctx, "a1", SnapshotOptions{Versions: 200, Submissions: 3})
			return err
		}},
		{"Versions.List", func() error {
			_, _, err := c.Versions.List(ctx, "a1", &VersionListOptions{Platform: PlatformIOS, VersionString: "1.0", States: allAppVersionStates, IncludeBuild: true})
			return err
		}},
		{"Versions.Get", func() error { _, _, err := c.Versions.Get(ctx, "v1"); return err }},
		{"Versions.GetDetail", func() error { _, _, err := c.Versions.GetDetail(ctx, "v1"); return err }},
		{"Versions.FindDetail", func() error {
			_, _, err := c.Versions.FindDetail(ctx, "a1", "1.1", PlatformIOS)
			if errors.Is(err, ErrNotFound) {
				err = nil // the recording server answers an empty collection
			}
			return err
		}},
		{"Versions.ListDetail", func() error { _, _, err := c.Versions.ListDetail(ctx, "a1", PlatformIOS); return err }},
		{"Apps.Overview", func() error { _, _, err := c.Apps.Overview(ctx, "a1"); return err }},
		{"Versions.Create", func() error {
			_, _, err := c.Versions.Create(ctx, VersionCreate{AppID: "a1", Platform: PlatformIOS, VersionString: "1.1", ReleaseType: ReleaseScheduled, EarliestReleaseDate: &when})
			return err
		}},
		{"Versions.Update", func() error {
			_, _, err := c.Versions.Update(ctx, "v1", VersionUpdate{ReleaseType: ptr(ReleaseAfterApproval), EarliestReleaseDate: &when})
			return err
		}},
		{"Versions.AttachBuild", func() error { _, err := c.Versions.AttachBuild(ctx, "v1", "b1"); return err }},
		{"Versions.Build", func() error { _, _, err := c.Versions.Build(ctx, "v1"); return err }},
		{"Builds.List", func() error {
			_, _, err := c.Builds.List(ctx, BuildListOptions{AppID: "a1", MarketingVersion: "1.1", Platform: PlatformIOS, ProcessingStates: allBuildStates, Limit: 500})
			return err
		}},
		{"Builds.Get", func() error { _, _, err := c.Builds.Get(ctx, "b1"); return err }},
		{"Builds.SetUsesNonExemptEncryption", func() error { _, _, err := c.Builds.SetUsesNonExemptEncryption(ctx, "b1", false); return err }},
		{"Localizations.List", func() error { _, _, err := c.Localizations.List(ctx, "v1"); return err }},
		{"Localizations.SetWhatsNew", func() error { _, _, err := c.Localizations.SetWhatsNew(ctx, "l1", "notes"); return err }},
		{"Localizations.Create", func() error { _, _, err := c.Localizations.Create(ctx, "v1", "ja", "notes"); return err }},
		{"Submissions.List", func() error {
			_, _, err := c.Submissions.List(ctx, "a1", SubmissionListOptions{Platform: PlatformIOS, States: allSubmissionStates})
			return err
		}},
		{"Submissions.ListOpen", func() error { _, _, err := c.Submissions.ListOpen(ctx, "a1", PlatformIOS); return err }},
		{"Submissions.Get", func() error { _, _, err := c.Submissions.Get(ctx, "s1"); return err }},
		{"Submissions.Create", func() error { _, _, err := c.Submissions.Create(ctx, "a1", PlatformIOS); return err }},
		{"Submissions.AddVersion", func() error { _, _, err := c.Submissions.AddVersion(ctx, "s1", "v1"); return err }},
		{"Submissions.Submit", func() error { _, _, err := c.Submissions.Submit(ctx, "s1"); return err }},
		{"Submissions.Cancel", func() error { _, _, err := c.Submissions.Cancel(ctx, "s1"); return err }},
		{"Submissions.Items", func() error { _, _, err := c.Submissions.Items(ctx, "s1"); return err }},
		{"Releases.Release", func() error { _, _, err := c.Releases.Release(ctx, "v1"); return err }},
		{"Phased.Get", func() error { _, _, err := c.Phased.Get(ctx, "v1"); return err }},
		{"Phased.Create", func() error { _, _, err := c.Phased.Create(ctx, "v1", PhasedInactive); return err }},
		{"Phased.SetState", func() error { _, _, err := c.Phased.SetState(ctx, "p1", PhasedPaused); return err }},
		{"Phased.Delete", func() error { _, err := c.Phased.Delete(ctx, "p1"); return err }},
		{"Availability.Territories", func() error { _, _, err := c.Availability.Territories(ctx); return err }},
		{"Availability.Get", func() error { _, _, err := c.Availability.Get(ctx, "a1"); return err }},
		{"Availability.MakeAvailableEverywhere", func() error {
			_, err := c.Availability.MakeAvailableEverywhere(ctx, "a1", []Territory{{ID: "USA"}, {ID: "JPN"}})
			return err
		}},
		{"IAP.List", func() error { _, _, err := c.IAP.List(ctx, "a1"); return err }},
		{"IAP.Submit", func() error { _, err := c.IAP.Submit(ctx, "p1"); return err }},
		{"Webhooks.Create", func() error {
			_, _, err := c.Webhooks.Create(ctx, WebhookCreate{AppID: "a1", Name: "n", URL: "https://x.example/h", Secret: "s",
				EventTypes: []string{WebhookAppVersionStateUpdated, WebhookBuildUploadStateUpdated}})
			return err
		}},
		{"BetaGroups.List", func() error {
			_, _, err := c.BetaGroups.List(ctx, BetaGroupListOptions{AppID: "a1", BuildID: "b1", Name: "QA"})
			return err
		}},
		{"BetaGroups.Get", func() error { _, _, err := c.BetaGroups.Get(ctx, "g1"); return err }},
		{"BetaGroups.AddBuild", func() error { _, err := c.BetaGroups.AddBuild(ctx, "b1", "g1", "g2"); return err }},
		{"BetaGroups.RemoveBuild", func() error { _, err := c.BetaGroups.RemoveBuild(ctx, "b1", "g1"); return err }},
		{"BetaGroups.BuildIDs", func() error { _, _, err := c.BetaGroups.BuildIDs(ctx, "g1"); return err }},
		{"BetaGroups.AddBuilds", func() error { _, err := c.BetaGroups.AddBuilds(ctx, "g1", "b1"); return err }},
		{"BetaGroups.RemoveBuilds", func() error { _, err := c.BetaGroups.RemoveBuilds(ctx, "g1", "b1"); return err }},
		{"BetaGroups.Testers", func() error { _, _, err := c.BetaGroups.Testers(ctx, "g1"); return err }},
		{"BetaGroups.TesterIDs", func() error { _, _, err := c.BetaGroups.TesterIDs(ctx, "g1"); return err }},
		{"BetaGroups.AddTesters", func() error { _, err := c.BetaGroups.AddTesters(ctx, "g1", "t1"); return err }},
		{"BetaGroups.RemoveTesters", func() error { _, err := c.BetaGroups.RemoveTesters(ctx, "g1", "t1"); return err }},
		{"BetaTesters.FindByEmail", func() error { _, _, err := c.BetaTesters.FindByEmail(ctx, "ana@example.com"); return err }},
		{"BetaTesters.Get", func() error { _, _, err := c.BetaTesters.Get(ctx, "t1"); return err }},
		{"BetaTesters.Create", func() error {
			_, _, err := c.BetaTesters.Create(ctx, BetaTesterCreate{Email: "ana@example.com", FirstName: "Ana", LastName: "Lopez", GroupIDs: []string{"g1"}})
			return err
		}},
		{"BetaBuilds.Get", func() error { _, _, err := c.BetaBuilds.Get(ctx, "b1"); return err }},
		{"BetaBuilds.List", func() error {
			_, _, err := c.BetaBuilds.List(ctx, BetaBuildListOptions{AppID: "a1", Number: "4", ValidOnly: true, Limit: 500})
			return err
		}},
		{"BetaBuilds.List summary", func() error {
			_, _, err := c.BetaBuilds.List(ctx, BetaBuildListOptions{AppID: "a1", Limit: 1, Summary: true})
			return err
		}},
		{"BetaBuilds.Locales", func() error { _, _, err := c.BetaBuilds.Locales(ctx, "a1"); return err }},
		{"BetaBuilds.Detail", func() error { _, _, err := c.BetaBuilds.Detail(ctx, "b1"); return err }},
		{"BetaBuilds.SetAutoNotify", func() error { _, _, err := c.BetaBuilds.SetAutoNotify(ctx, "d1", false); return err }},
		{"BetaBuilds.Localizations", func() error { _, _, err := c.BetaBuilds.Localizations(ctx, "b1"); return err }},
		{"BetaBuilds.CreateLocalization", func() error {
			_, _, err := c.BetaBuilds.CreateLocalization(ctx, "b1", "ja", "Try the scanner")
			return err
		}},
		{"BetaBuilds.SetWhatToTest", func() error { _, _, err := c.BetaBuilds.SetWhatToTest(ctx, "l1", "Try the scanner"); return err }},
		{"BetaBuilds.ReviewSubmission", func() error { _, _, err := c.BetaBuilds.ReviewSubmission(ctx, "b1"); return err }},
		{"BetaBuilds.GetReviewSubmission", func() error { _, _, err := c.BetaBuilds.GetReviewSubmission(ctx, "r1"); return err }},
		{"BetaBuilds.SubmitForReview", func() error { _, _, err := c.BetaBuilds.SubmitForReview(ctx, "b1"); return err }},
		{"Webhooks.BuildUploadBuild", func() error { _, _, err := c.Webhooks.BuildUploadBuild(ctx, "u1"); return err }},
	}
	for _, call := range calls {
		if err := call.fn(); err != nil {
			t.Errorf("%s: %v", call.name, err)
		}
	}

	covered := map[string]bool{}
	for _, r := range reqs {
		path := strings.TrimPrefix(r.path, baseURLPath)
		so, ok := findOp(spec, r.method, path)
		if !ok {
			t.Errorf("%s %s: no such operation in the spec", r.method, path)
			continue
		}
		id, _ := so.op["operationId"].(string)
		covered[id] = true
		for _, p := range checkQuery(spec, so.op, r.rawQuery) {
			t.Errorf("%s %s (%s): %s", r.method, path, id, p)
		}
		schema := specGet(spec, so.op, "requestBody", "content", "application/json", "schema")
		switch {
		case schema == nil && len(r.body) > 0:
			t.Errorf("%s %s: body sent but the operation declares none", r.method, path)
		case schema != nil:
			var body any
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Errorf("%s %s: body is not JSON: %v", r.method, path, err)
				continue
			}
			for _, p := range checkSchema(spec, schema, body, "") {
				t.Errorf("%s %s (%s): body %s", r.method, path, id, p)
			}
		}
	}
	want := []string{
		"apps_getCollection", "apps_getInstance", "apps_appStoreVersions_getToManyRelated", "appStoreVersions_getInstance",
		"appStoreVersions_createInstance", "appStoreVersions_updateInstance", "appStoreVersions_build_updateToOneRelationship",
		"appStoreVersions_build_getToOneRelated", "builds_getCollection", "builds_getInstance", "builds_updateInstance",
		"appStoreVersions_appStoreVersionLocalizations_getToManyRelated", "appStoreVersionLocalizations_updateInstance",
		"appStoreVersionLocalizations_createInstance", "reviewSubmissions_getCollection", "reviewSubmissions_getInstance",
		"reviewSubmissions_createInstance", "reviewSubmissionItems_createInstance", "reviewSubmissions_updateInstance",
		"reviewSubmissions_items_getToManyRelated", "appStoreVersionReleaseRequests_createInstance",
		"appStoreVersions_appStoreVersionPhasedRelease_getToOneRelated", "appStoreVersionPhasedReleases_createInstance",
		"appStoreVersionPhasedReleases_updateInstance", "appStoreVersionPhasedReleases_deleteInstance", "territories_getCollection", "apps_appAvailabilityV2_getToOneRelated",
		"appAvailabilitiesV2_territoryAvailabilities_getToManyRelated", "appAvailabilitiesV2_createInstance",
		"apps_inAppPurchasesV2_getToManyRelated", "inAppPurchaseSubmissions_createInstance", "webhooks_createInstance",
		"buildUploads_getInstance",
		"betaGroups_getCollection", "betaGroups_getInstance", "builds_betaGroups_createToManyRelationship",
		"builds_betaGroups_deleteToManyRelationship", "betaGroups_builds_getToManyRelationship",
		"betaGroups_builds_createToManyRelationship", "betaGroups_builds_deleteToManyRelationship",
		"betaGroups_betaTesters_getToManyRelated", "betaGroups_betaTesters_getToManyRelationship",
		"betaGroups_betaTesters_createToManyRelationship", "betaGroups_betaTesters_deleteToManyRelationship",
		"betaTesters_getCollection", "betaTesters_getInstance", "betaTesters_createInstance",
		"buildBetaDetails_updateInstance", "builds_buildBetaDetail_getToOneRelated",
		"betaBuildLocalizations_getCollection", "betaBuildLocalizations_createInstance", "betaBuildLocalizations_updateInstance",
		"betaAppReviewSubmissions_getCollection", "betaAppReviewSubmissions_getInstance", "betaAppReviewSubmissions_createInstance",
		"betaAppLocalizations_getCollection",
	}
	for _, id := range want {
		if !covered[id] {
			t.Errorf("operation %s was not exercised", id)
		}
	}
	if len(covered) != len(want) {
		t.Errorf("covered %d operations, want %d", len(covered), len(want))
	}
}

// TestConformanceCheckerCatchesMistakes proves the checker above is not
// vacuous: it must flag known-bad requests.
func TestConformanceCheckerCatchesMistakes(t *testing.T) {
	spec := loadSpec(t)
	so, ok := findOp(spec, "GET", "/v1/reviewSubmissions")
	if !ok {
		t.Fatal("operation not found")
	}
	if p := checkQuery(spec, so.op, "filter[app]=1&sort=-createdDate&limit=201&filter[state]=OPEN"); len(p) != 3 {
		t.Errorf("checkQuery problems = %v, want 3 (undeclared sort, limit over max, bad enum)", p)
	}
	if p := checkQuery(spec, so.op, "limit=10"); len(p) != 1 {
		t.Errorf("missing filter[app] not flagged: %v", p)
	}
	so, _ = findOp(spec, "PATCH", "/v1/reviewSubmissions/1")
	schema := specGet(spec, so.op, "requestBody", "content", "application/json", "schema")
	var body any
	_ = json.Unmarshal([]byte(`{"data":{"type":"reviewSubmission","attributes":{"submitted":"yes","foo":1}}}`), &body)
	if p := checkSchema(spec, schema, body, ""); len(p) != 4 {
		t.Errorf("checkSchema problems = %v, want 4 (type enum, missing id, submitted type, foo undeclared)", p)
	}
	if _, ok := findOp(spec, "GET", "/v1/webhooks"); ok {
		t.Error("GET /v1/webhooks matched, but the spec has no such collection")
	}
	if so, ok := findOp(spec, "PATCH", "/v1/appStoreVersions/1/relationships/build"); !ok || so.template != "/v1/appStoreVersions/{id}/relationships/build" {
		t.Errorf("literal segments did not win: %v", so.template)
	}
}
