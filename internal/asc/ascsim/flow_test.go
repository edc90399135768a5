package ascsim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// checkVersionState GETs the version and asserts both state fields agree.
func (h *harness) checkVersionState(t *testing.T, versionID, want string) {
	t.Helper()
	a := attrs(h.do("GET", "/v1/appStoreVersions/"+versionID, nil).must(t, 200).data(t))
	if a["appVersionState"] != want || a["appStoreState"] != AppStoreState(want) {
		t.Fatalf("version %s: appVersionState=%v appStoreState=%v, want %s/%s", versionID, a["appVersionState"], a["appStoreState"], want, AppStoreState(want))
	}
	v, _ := h.srv.Version(versionID)
	if v.State != want || v.AppStoreState != AppStoreState(want) {
		t.Fatalf("read-back %+v, want %s", v, want)
	}
}

func (h *harness) submissionState(t *testing.T, subID string) string {
	t.Helper()
	return attrs(h.do("GET", "/v1/reviewSubmissions/"+subID, nil).must(t, 200).data(t))["state"].(string)
}

// TestHappyPath walks the whole release flow over raw HTTP, as the bot does.
func TestHappyPath(t *testing.T) {
	h := newHarness(t).seed()

	// Find the app by bundle id.
	apps := h.do("GET", "/v1/apps?filter[bundleId]=jp.example.kotenocr&fields[apps]=name,bundleId,primaryLocale", nil).must(t, 200).list(t)
	if len(apps) != 1 || attrs(apps[0])["name"] != "KotenOCR" {
		t.Fatalf("apps = %v", apps)
	}
	appID := apps[0]["id"].(string)
	if len(attrs(apps[0])) != 3 || apps[0]["relationships"] != nil {
		t.Fatalf("sparse fieldset not honoured: %v", apps[0])
	}

	// Find the version being prepared.
	vs := h.do("GET", "/v1/apps/"+appID+"/appStoreVersions?filter[platform]=IOS&filter[appVersionState]=PREPARE_FOR_SUBMISSION,DEVELOPER_REJECTED,REJECTED&include=build", nil).must(t, 200).list(t)
	if len(vs) != 1 || attrs(vs[0])["versionString"] != "1.1.0" || rel(vs[0], "build")["data"] != nil {
		t.Fatalf("versions = %v", vs)
	}
	versionID := vs[0]["id"].(string)
	h.checkVersionState(t, versionID, "PREPARE_FOR_SUBMISSION")

	// List its builds, newest first, and pick the newest VALID one.
	q := url.Values{"filter[app]": {appID}, "filter[preReleaseVersion.version]": {"1.1.0"}, "filter[preReleaseVersion.platform]": {"IOS"},
		"sort": {"-uploadedDate"}, "include": {"preReleaseVersion"}, "limit": {"50"}}
	builds := h.do("GET", "/v1/builds?"+q.Encode(), nil).must(t, 200).list(t)
	var numbers []string
	newestValid := ""
	for _, b := range builds {
		a := attrs(b)
		numbers = append(numbers, a["version"].(string))
		if newestValid == "" && a["processingState"] == "VALID" {
			newestValid = b["id"].(string)
		}
	}
	if strings.Join(numbers, ",") != "5,4,3,2" || newestValid != h.demo.Build4ID {
		t.Fatalf("builds = %v, newest valid %s", numbers, newestValid)
	}

	// Attach it; answer export compliance.
	h.do("PATCH", "/v1/appStoreVersions/"+versionID+"/relationships/build", link("builds", newestValid)).must(t, 204)
	got := h.do("GET", "/v1/appStoreVersions/"+versionID+"/build", nil).must(t, 200).data(t)
	if got["id"] != newestValid {
		t.Fatalf("attached build = %v", got["id"])
	}
	b := h.do("PATCH", "/v1/builds/"+newestValid, resource("builds", newestValid, map[string]any{"usesNonExemptEncryption": false}, nil)).must(t, 200).data(t)
	if attrs(b)["usesNonExemptEncryption"] != false {
		t.Fatalf("build = %v", b)
	}

	// whatsNew for each locale.
	locs := h.do("GET", "/v1/appStoreVersions/"+versionID+"/appStoreVersionLocalizations", nil).must(t, 200).list(t)
	if len(locs) != 2 {
		t.Fatalf("localizations = %v", locs)
	}
	for _, l := range locs {
		id := l["id"].(string)
		text := "Faster OCR for " + attrs(l)["locale"].(string)
		res := h.do("PATCH", "/v1/appStoreVersionLocalizations/"+id, resource("appStoreVersionLocalizations", id, map[string]any{"whatsNew": text}, nil)).must(t, 200)
		if attrs(res.data(t))["whatsNew"] != text {
			t.Fatalf("localization = %s", res.raw)
		}
	}

	// Create the submission, add the version, submit.
	sub := h.do("POST", "/v1/reviewSubmissions", resource("reviewSubmissions", "", map[string]any{"platform": "IOS"},
		map[string]any{"app": link("apps", appID)})).must(t, 201).data(t)
	subID := sub["id"].(string)
	if attrs(sub)["state"] != "READY_FOR_REVIEW" {
		t.Fatalf("new submission = %v", sub)
	}
	item := h.do("POST", "/v1/reviewSubmissionItems", resource("reviewSubmissionItems", "", nil, map[string]any{
		"reviewSubmission": link("reviewSubmissions", subID),
		"appStoreVersion":  link("appStoreVersions", versionID),
	})).must(t, 201).data(t)
	if attrs(item)["state"] != "READY_FOR_REVIEW" || rel(item, "appStoreVersion")["data"].(map[string]any)["id"] != versionID {
		t.Fatalf("item = %v", item)
	}
	submitted := h.do("PATCH", "/v1/reviewSubmissions/"+subID, resource("reviewSubmissions", subID, map[string]any{"submitted": true}, nil)).must(t, 200).data(t)
	if attrs(submitted)["state"] != "WAITING_FOR_REVIEW" || attrs(submitted)["submittedDate"] == nil {
		t.Fatalf("submitted = %v", submitted)
	}
	h.checkVersionState(t, versionID, "WAITING_FOR_REVIEW")

	// The poller's view: submissions with their version, items with theirs.
	list := h.do("GET", "/v1/reviewSubmissions?filter[app]="+appID+"&filter[state]=WAITING_FOR_REVIEW&include=appStoreVersionForReview,items", nil).must(t, 200)
	subs := list.list(t)
	if len(subs) != 1 || rel(subs[0], "appStoreVersionForReview")["data"].(map[string]any)["id"] != versionID {
		t.Fatalf("submissions = %s", list.raw)
	}
	if inc, _ := list.doc["included"].([]any); len(inc) != 2 {
		t.Fatalf("included = %v", list.doc["included"])
	}

	// App Review.
	if err := h.srv.StartReview(versionID); err != nil {
		t.Fatal(err)
	}
	h.checkVersionState(t, versionID, "IN_REVIEW")
	if st := h.submissionState(t, subID); st != "IN_REVIEW" {
		t.Fatalf("submission = %s", st)
	}
	if err := h.srv.Approve(versionID); err != nil {
		t.Fatal(err)
	}
	h.checkVersionState(t, versionID, "PENDING_DEVELOPER_RELEASE")
	if st := h.submissionState(t, subID); st != "COMPLETE" {
		t.Fatalf("submission = %s", st)
	}
	items := h.do("GET", "/v1/reviewSubmissions/"+subID+"/items?include=appStoreVersion", nil).must(t, 200).list(t)
	if len(items) != 1 || attrs(items[0])["state"] != "APPROVED" {
		t.Fatalf("items = %v", items)
	}

	// Release.
	rr := h.do("POST", "/v1/appStoreVersionReleaseRequests", resource("appStoreVersionReleaseRequests", "", nil,
		map[string]any{"appStoreVersion": link("appStoreVersions", versionID)})).must(t, 201).data(t)
	if rr["type"] != "appStoreVersionReleaseRequests" || rr["id"] == "" {
		t.Fatalf("release request = %v", rr)
	}
	h.checkVersionState(t, versionID, "PROCESSING_FOR_DISTRIBUTION")
	h.checkVersionState(t, h.demo.LiveVersionID, "READY_FOR_DISTRIBUTION")
	if err := h.srv.Distribute(versionID); err != nil {
		t.Fatal(err)
	}
	h.checkVersionState(t, versionID, "READY_FOR_DISTRIBUTION")
	h.checkVersionState(t, h.demo.LiveVersionID, "REPLACED_WITH_NEW_VERSION")
	if err := h.srv.Distribute(versionID); err == nil {
		t.Fatal("distributing a live version must fail")
	}
	if n := h.srv.ReleaseRequests(versionID); n != 1 {
		t.Fatalf("release requests = %d", n)
	}

	// Availability everywhere.
	var territories []string
	next := "/v1/territories?limit=200"
	for next != "" {
		res := h.do("GET", next, nil).must(t, 200)
		for _, x := range res.list(t) {
			territories = append(territories, x["id"].(string))
		}
		next, _ = res.doc["links"].(map[string]any)["next"].(string)
	}
	if len(territories) != len(h.srv.Territories()) || len(territories) < 175 {
		t.Fatalf("%d territories", len(territories))
	}
	var linkage, included []any
	for _, code := range territories {
		local := "${" + code + "}"
		linkage = append(linkage, map[string]any{"type": "territoryAvailabilities", "id": local})
		included = append(included, map[string]any{"type": "territoryAvailabilities", "id": local,
			"attributes":    map[string]any{"available": true},
			"relationships": map[string]any{"territory": link("territories", code)}})
	}
	body := resource("appAvailabilities", "", map[string]any{"availableInNewTerritories": true}, map[string]any{
		"app":                     link("apps", appID),
		"territoryAvailabilities": map[string]any{"data": linkage},
	})
	body["included"] = included
	av := h.do("POST", "/v2/appAvailabilities", body).must(t, 201).data(t)
	if attrs(av)["availableInNewTerritories"] != true {
		t.Fatalf("availability = %v", av)
	}
	view, _ := h.srv.Availability(appID)
	if len(view.Available) != len(territories) || !view.AvailableInNewTerritories {
		t.Fatalf("availability read-back: %d of %d", len(view.Available), len(territories))
	}
	got2 := h.do("GET", "/v1/apps/"+appID+"/appAvailabilityV2", nil).must(t, 200).data(t)
	if got2["id"] != view.ID {
		t.Fatalf("appAvailabilityV2 = %v", got2)
	}
}

func (h *harness) newSubmission(t *testing.T, appID, platform string) string {
	t.Helper()
	return h.do("POST", "/v1/reviewSubmissions", resource("reviewSubmissions", "", map[string]any{"platform": platform},
		map[string]any{"app": link("apps", appID)})).must(t, 201).data(t)["id"].(string)
}

func (h *harness) addItem(subID, versionID string) *resp {
	return h.do("POST", "/v1/reviewSubmissionItems", resource("reviewSubmissionItems", "", nil, map[string]any{
		"reviewSubmission": link("reviewSubmissions", subID),
		"appStoreVersion":  link("appStoreVersions", versionID),
	}))
}

func (h *harness) submit(subID string) *resp {
	return h.do("PATCH", "/v1/reviewSubmissions/"+subID, resource("reviewSubmissions", subID, map[string]any{"submitted": true}, nil))
}

func (h *harness) setWhatsNew(locID, text string) *resp {
	return h.do("PATCH", "/v1/appStoreVersionLocalizations/"+locID, resource("appStoreVersionLocalizations", locID, map[string]any{"whatsNew": text}, nil))
}

func TestOneOpenSubmissionPerAppAndPlatform(t *testing.T) {
	h := newHarness(t).seed()
	appID := h.demo.AppID
	first := h.newSubmission(t, appID, "IOS")
	tests := []struct {
		state   string
		blocked bool
	}{
		{"READY_FOR_REVIEW", true},
		{"WAITING_FOR_REVIEW", true},
		{"IN_REVIEW", true},
		{"CANCELING", true},
		{"UNRESOLVED_ISSUES", true},
		{"COMPLETE", false},
	}
	for _, tc := range tests {
		t.Run(tc.state, func(t *testing.T) {
			if err := h.srv.SetSubmissionState(first, tc.state); err != nil {
				t.Fatal(err)
			}
			res := h.do("POST", "/v1/reviewSubmissions", resource("reviewSubmissions", "", map[string]any{"platform": "IOS"},
				map[string]any{"app": link("apps", appID)}))
			if !tc.blocked {
				id := res.must(t, 201).data(t)["id"].(string)
				if err := h.srv.SetSubmissionState(id, "COMPLETE"); err != nil {
					t.Fatal(err)
				}
				return
			}
			e := res.firstErr(t, 409, "STATE_ERROR")
			if e["detail"] != fmt.Sprintf("There is another reviewSubmissions with id %s still in progress", first) || pointer(e) != "/data/relationships/app" {
				t.Fatalf("error = %v", e)
			}
		})
	}
	if err := h.srv.SetSubmissionState(first, "READY_FOR_REVIEW"); err != nil {
		t.Fatal(err)
	}
	h.newSubmission(t, appID, "MAC_OS") // another platform is independent
	h.newSubmission(t, h.demo.SecondAppID, "IOS")
}

func TestAddItemRules(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	sub := h.newSubmission(t, d.AppID, "IOS")

	t.Run("version of another app", func(t *testing.T) {
		e := h.addItem(sub, d.SecondVersionID).firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
		if pointer(e) != "/data/relationships/appStoreVersion" {
			t.Fatalf("error = %v", e)
		}
	})
	t.Run("unknown version", func(t *testing.T) {
		h.addItem(sub, "nope").firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
	})
	t.Run("unknown submission", func(t *testing.T) {
		e := h.addItem("nope", d.NewVersionID).firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
		if pointer(e) != "/data/relationships/reviewSubmission" {
			t.Fatalf("error = %v", e)
		}
	})
	t.Run("released version", func(t *testing.T) {
		h.addItem(sub, d.LiveVersionID).firstErr(t, 409, "STATE_ERROR.ENTITY_STATE_INVALID")
	})
	h.addItem(sub, d.NewVersionID).must(t, 201)
	t.Run("same version twice", func(t *testing.T) {
		e := h.addItem(sub, d.NewVersionID).firstErr(t, 409, "STATE_ERROR.ENTITY_STATE_INVALID")
		assoc := e["meta"].(map[string]any)["associatedErrors"].(map[string]any)["/appStoreVersions/"+d.NewVersionID].([]any)[0].(map[string]any)
		if assoc["code"] != "STATE_ERROR.ITEM_PART_OF_ANOTHER_SUBMISSION" ||
			assoc["detail"] != fmt.Sprintf("appStoreVersions with id %s was already added to another reviewSubmission with id %s", d.NewVersionID, sub) {
			t.Fatalf("associated error = %v", assoc)
		}
	})
	t.Run("submission no longer READY_FOR_REVIEW", func(t *testing.T) {
		if err := h.srv.SetSubmissionState(sub, "WAITING_FOR_REVIEW"); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = h.srv.SetSubmissionState(sub, "READY_FOR_REVIEW") }()
		e := h.addItem(sub, d.NewVersionID).firstErr(t, 409, "STATE_ERROR.ENTITY_STATE_INVALID")
		if e["detail"] != "reviewSubmission state does not allow adding more items" {
			t.Fatalf("error = %v", e)
		}
	})
	t.Run("item with an unmodelled relationship", func(t *testing.T) {
		res := h.do("POST", "/v1/reviewSubmissionItems", resource("reviewSubmissionItems", "", nil, map[string]any{
			"reviewSubmission":     link("reviewSubmissions", sub),
			"inAppPurchaseVersion": link("inAppPurchaseVersions", "x"),
		}))
		if e := res.firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID"); pointer(e) != "/data/relationships/inAppPurchaseVersion" {
			t.Fatalf("error = %v", e)
		}
	})
}

func TestSubmitValidation(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	sub := h.newSubmission(t, d.AppID, "IOS")

	e := h.submit(sub).firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.REQUIRED")
	if pointer(e) != "/data/relationships/appStoreVersionForReview" {
		t.Fatalf("empty submission error = %v", e)
	}

	h.addItem(sub, d.NewVersionID).must(t, 201)
	v, _ := h.srv.Version(d.NewVersionID)
	res := h.submit(sub)
	errs := res.must(t, 409).errs(t)
	ptrs := map[string]bool{}
	for _, e := range errs {
		if e["code"] != "STATE_ERROR.ENTITY_STATE_INVALID" {
			t.Fatalf("code = %v", e["code"])
		}
		ptrs[pointer(e)] = true
	}
	want := []string{
		"/appStoreVersions/" + d.NewVersionID + "/relationships/build",
		"/appStoreVersionLocalizations/" + v.LocalizationIDs["en-US"] + "/attributes/whatsNew",
		"/appStoreVersionLocalizations/" + v.LocalizationIDs["ja"] + "/attributes/whatsNew",
	}
	if len(ptrs) != len(want) {
		t.Fatalf("pointers = %v, want %v", ptrs, want)
	}
	for _, p := range want {
		if !ptrs[p] {
			t.Fatalf("missing problem %s in %v", p, ptrs)
		}
	}

	h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID+"/relationships/build", link("builds", d.Build3ID)).must(t, 204)
	h.setWhatsNew(v.LocalizationIDs["en-US"], "Fixes").must(t, 200)
	h.setWhatsNew(v.LocalizationIDs["ja"], "   ").must(t, 200)
	errs = h.submit(sub).must(t, 409).errs(t)
	if len(errs) != 2 || pointer(errs[0]) != "/builds/"+d.Build3ID+"/attributes/usesNonExemptEncryption" ||
		pointer(errs[1]) != "/appStoreVersionLocalizations/"+v.LocalizationIDs["ja"]+"/attributes/whatsNew" {
		t.Fatalf("errors = %v", errs)
	}
	h.do("PATCH", "/v1/builds/"+d.Build3ID, resource("builds", d.Build3ID, map[string]any{"usesNonExemptEncryption": true}, nil)).must(t, 200)
	h.setWhatsNew(v.LocalizationIDs["ja"], "修正").must(t, 200)
	h.submit(sub).must(t, 200)
	h.checkVersionState(t, d.NewVersionID, "WAITING_FOR_REVIEW")
	h.submit(sub).firstErr(t, 409, "STATE_ERROR")
}

func TestFirstVersionRules(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	v, _ := h.srv.Version(d.SecondVersionID)
	e := h.setWhatsNew(v.LocalizationIDs["ja"], "初版").firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID.INVALID_STATE")
	if e["detail"] != "The attribute 'whatsNew' can not be modified." || pointer(e) != "/data/attributes/whatsNew" {
		t.Fatalf("error = %v", e)
	}
	// Other metadata stays editable on a first version.
	h.do("PATCH", "/v1/appStoreVersionLocalizations/"+v.LocalizationIDs["ja"], resource("appStoreVersionLocalizations", v.LocalizationIDs["ja"],
		map[string]any{"description": "はんこを押すアプリ", "promotionalText": "新登場"}, nil)).must(t, 200)
	// A first version submits without whatsNew.
	h.do("PATCH", "/v1/appStoreVersions/"+d.SecondVersionID+"/relationships/build", link("builds", d.SecondBuildID)).must(t, 204)
	sub := h.newSubmission(t, d.SecondAppID, "IOS")
	h.addItem(sub, d.SecondVersionID).must(t, 201)
	h.submit(sub).must(t, 200)
	// Phased release is not available for a first version.
	res := h.do("POST", "/v1/appStoreVersionPhasedReleases", resource("appStoreVersionPhasedReleases", "", nil,
		map[string]any{"appStoreVersion": link("appStoreVersions", d.SecondVersionID)}))
	res.firstErr(t, 409, "STATE_ERROR")
	// AFTER_APPROVAL: approval starts distribution without a release request.
	if err := h.srv.Approve(d.SecondVersionID); err != nil {
		t.Fatal(err)
	}
	h.checkVersionState(t, d.SecondVersionID, "PROCESSING_FOR_DISTRIBUTION")
	if err := h.srv.Distribute(d.SecondVersionID); err != nil {
		t.Fatal(err)
	}
	h.checkVersionState(t, d.SecondVersionID, "READY_FOR_DISTRIBUTION")
}

func TestWhatsNewRules(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	v, _ := h.srv.Version(d.NewVersionID)
	en := v.LocalizationIDs["en-US"]
	t.Run("length counts characters", func(t *testing.T) {
		h.setWhatsNew(en, strings.Repeat("あ", 4000)).must(t, 200)
		e := h.setWhatsNew(en, strings.Repeat("あ", 4001)).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
		if pointer(e) != "/data/attributes/whatsNew" {
			t.Fatalf("error = %v", e)
		}
		if got, _ := h.srv.Version(d.NewVersionID); got.WhatsNew["en-US"] != strings.Repeat("あ", 4000) {
			t.Fatal("a refused PATCH changed the value")
		}
	})
	t.Run("null clears", func(t *testing.T) {
		h.do("PATCH", "/v1/appStoreVersionLocalizations/"+en, resource("appStoreVersionLocalizations", en, map[string]any{"whatsNew": nil}, nil)).must(t, 200)
		if got, _ := h.srv.Version(d.NewVersionID); got.WhatsNew["en-US"] != "" {
			t.Fatalf("whatsNew = %q", got.WhatsNew["en-US"])
		}
	})
	t.Run("id mismatch", func(t *testing.T) {
		res := h.do("PATCH", "/v1/appStoreVersionLocalizations/"+en, resource("appStoreVersionLocalizations", v.LocalizationIDs["ja"], map[string]any{"whatsNew": "x"}, nil))
		if e := res.firstErr(t, 409, "ENTITY_ERROR"); pointer(e) != "/data/id" {
			t.Fatalf("error = %v", e)
		}
	})
	t.Run("unknown localization", func(t *testing.T) {
		h.setWhatsNew("nope", "x").firstErr(t, 404, "NOT_FOUND")
	})
	for _, tc := range []struct {
		state string
		ok    bool
	}{
		{"PREPARE_FOR_SUBMISSION", true}, {"DEVELOPER_REJECTED", true}, {"REJECTED", true}, {"METADATA_REJECTED", true},
		{"WAITING_FOR_REVIEW", true}, {"IN_REVIEW", false}, {"PENDING_DEVELOPER_RELEASE", false}, {"READY_FOR_DISTRIBUTION", false},
	} {
		t.Run("in "+tc.state, func(t *testing.T) {
			if err := h.srv.SetVersionState(d.NewVersionID, tc.state); err != nil {
				t.Fatal(err)
			}
			res := h.setWhatsNew(en, "Notes "+tc.state)
			if tc.ok {
				res.must(t, 200)
				return
			}
			if e := res.firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID.INVALID_STATE"); pointer(e) != "/data/attributes/whatsNew" {
				t.Fatalf("error = %v", e)
			}
		})
	}
}

func TestAttachBuildRules(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	other := h.srv.AddBuild(d.AppID, BuildSeed{Version: "9", MarketingVersion: "1.1.0", Platform: "MAC_OS"})
	expired := h.srv.AddBuild(d.AppID, BuildSeed{Version: "10", MarketingVersion: "1.1.0"})
	if code := h.do("PATCH", "/v1/builds/"+expired, resource("builds", expired, map[string]any{"expired": true}, nil)).status; code != 200 {
		t.Fatalf("expiring build: %d", code)
	}
	tests := []struct {
		name, build, code string
	}{
		{"marketing version differs", d.LiveBuildID, "ENTITY_ERROR.RELATIONSHIP.INVALID"},
		{"processing", d.Build5ID, "ENTITY_ERROR.RELATIONSHIP.INVALID"},
		{"failed", d.FailedBuildID, "ENTITY_ERROR.RELATIONSHIP.INVALID"},
		{"other platform", other, "ENTITY_ERROR.RELATIONSHIP.INVALID"},
		{"expired", expired, "ENTITY_ERROR.RELATIONSHIP.INVALID"},
		{"other app", d.SecondBuildID, "ENTITY_ERROR.RELATIONSHIP.INVALID"},
		{"unknown build", "nope", "ENTITY_ERROR.RELATIONSHIP.INVALID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID+"/relationships/build", link("builds", tc.build))
			if e := res.firstErr(t, 409, tc.code); pointer(e) != "/data" {
				t.Fatalf("error = %v", e)
			}
		})
	}
	if err := h.srv.SetBuildState(d.Build5ID, "INVALID"); err != nil {
		t.Fatal(err)
	}
	h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID+"/relationships/build", link("builds", d.Build5ID)).firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
	// Through PATCH of the version as well.
	res := h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID, resource("appStoreVersions", d.NewVersionID, nil,
		map[string]any{"build": link("builds", d.Build5ID)}))
	if e := res.firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID"); pointer(e) != "/data/relationships/build" {
		t.Fatalf("error = %v", e)
	}
	h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID, resource("appStoreVersions", d.NewVersionID, nil,
		map[string]any{"build": link("builds", d.Build3ID)})).must(t, 200)
	if v, _ := h.srv.Version(d.NewVersionID); v.BuildID != d.Build3ID {
		t.Fatalf("build = %s", v.BuildID)
	}
	// Not editable once submitted.
	if err := h.srv.SetVersionState(d.NewVersionID, "WAITING_FOR_REVIEW"); err != nil {
		t.Fatal(err)
	}
	h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID+"/relationships/build", link("builds", d.Build4ID)).firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID.INVALID_STATE")
	h.do("PATCH", "/v1/appStoreVersions/nope/relationships/build", link("builds", d.Build4ID)).firstErr(t, 404, "NOT_FOUND")
}

func TestCreateVersionRules(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	create := func(vs string) *resp {
		return h.do("POST", "/v1/appStoreVersions", resource("appStoreVersions", "", map[string]any{"platform": "IOS", "versionString": vs},
			map[string]any{"app": link("apps", d.AppID)}))
	}
	// 1.1.0 is still being prepared.
	e := create("1.2.0").firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
	if e["detail"] != "You cannot create a new version of the App in the current state." || pointer(e) != "/data/relationships/app" {
		t.Fatalf("error = %v", e)
	}
	errs := create("1.0.0").must(t, 409).errs(t)
	if len(errs) != 3 || errs[1]["code"] != "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE" || errs[1]["detail"] != "The version number has been previously used." {
		t.Fatalf("errors = %v", errs)
	}
	// Release 1.1.0, then version numbers are checked against it.
	if err := h.srv.SetVersionState(d.NewVersionID, "READY_FOR_DISTRIBUTION"); err != nil {
		t.Fatal(err)
	}
	h.checkVersionState(t, d.LiveVersionID, "REPLACED_WITH_NEW_VERSION")
	if e := create("1.0.5").firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID"); pointer(e) != "/data/attributes/versionString" {
		t.Fatalf("error = %v", e)
	}
	create("v1.3").firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
	h.do("POST", "/v1/appStoreVersions", resource("appStoreVersions", "", map[string]any{"platform": "IOS", "versionString": "1.3.0"},
		map[string]any{"app": link("apps", "nope")})).firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
	created := create("1.3.0").must(t, 201).data(t)
	a := attrs(created)
	if a["appVersionState"] != "PREPARE_FOR_SUBMISSION" || a["appStoreState"] != "PREPARE_FOR_SUBMISSION" || a["releaseType"] != "MANUAL" {
		t.Fatalf("created = %v", created)
	}
	v, _ := h.srv.Version(created["id"].(string))
	if len(v.LocalizationIDs) != 2 || v.WhatsNew["en-US"] != "" || v.WhatsNew["ja"] != "" {
		t.Fatalf("localizations = %+v", v)
	}
	// Another platform is independent.
	h.do("POST", "/v1/appStoreVersions", resource("appStoreVersions", "", map[string]any{"platform": "MAC_OS", "versionString": "1.0"},
		map[string]any{"app": link("apps", d.AppID)})).must(t, 201)
}

func TestVersionString12IsAccepted(t *testing.T) {
	// "1.2" after 1.1.0 live is a valid, higher version number.
	h := newHarness(t).seed()
	d := h.demo
	if err := h.srv.SetVersionState(d.NewVersionID, "READY_FOR_DISTRIBUTION"); err != nil {
		t.Fatal(err)
	}
	h.do("POST", "/v1/appStoreVersions", resource("appStoreVersions", "", map[string]any{"platform": "IOS", "versionString": "1.2"},
		map[string]any{"app": link("apps", d.AppID)})).must(t, 201)
}

func TestEncryptionCannotChangeOnceSet(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	patch := func(v any) *resp {
		return h.do("PATCH", "/v1/builds/"+d.Build4ID, resource("builds", d.Build4ID, map[string]any{"usesNonExemptEncryption": v}, nil))
	}
	patch(false).must(t, 200)
	for _, v := range []any{false, true, nil} {
		e := patch(v).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
		if pointer(e) != "/data/attributes/usesNonExemptEncryption" || e["detail"] != "You cannot update when the value is already set." {
			t.Fatalf("error = %v", e)
		}
	}
	if b, _ := h.srv.Build(d.Build4ID); b.UsesNonExemptEncryption == nil || *b.UsesNonExemptEncryption {
		t.Fatalf("build = %+v", b)
	}
	h.do("PATCH", "/v1/builds/"+d.Build4ID, resource("builds", d.Build3ID, map[string]any{"expired": true}, nil)).firstErr(t, 409, "ENTITY_ERROR")
}

func TestReleaseRequestRules(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	release := func() *resp {
		return h.do("POST", "/v1/appStoreVersionReleaseRequests", resource("appStoreVersionReleaseRequests", "", nil,
			map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)}))
	}
	release().firstErr(t, 409, "STATE_ERROR")
	if err := h.srv.SetVersionState(d.NewVersionID, "PENDING_DEVELOPER_RELEASE"); err != nil {
		t.Fatal(err)
	}
	release().must(t, 201)
	h.checkVersionState(t, d.NewVersionID, "PROCESSING_FOR_DISTRIBUTION")
	e := release().firstErr(t, 409, "STATE_ERROR")
	if pointer(e) != "/data/relationships/appStoreVersion" {
		t.Fatalf("error = %v", e)
	}
	if n := h.srv.ReleaseRequests(d.NewVersionID); n != 1 {
		t.Fatalf("release requests = %d", n)
	}
}

func TestPhasedRelease(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	h.do("GET", "/v1/appStoreVersions/"+d.NewVersionID+"/appStoreVersionPhasedRelease", nil).must(t, 200)
	if none := h.do("GET", "/v1/appStoreVersions/"+d.NewVersionID+"/appStoreVersionPhasedRelease", nil); none.doc["data"] != nil {
		t.Fatalf("no phased release should be data:null: %s", none.raw)
	}
	create := func(state any) *resp {
		a := map[string]any{}
		if state != nil {
			a["phasedReleaseState"] = state
		}
		return h.do("POST", "/v1/appStoreVersionPhasedReleases", resource("appStoreVersionPhasedReleases", "", a,
			map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)}))
	}
	create("ACTIVE").firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
	p := create("INACTIVE").must(t, 201).data(t)
	pid := p["id"].(string)
	if attrs(p)["phasedReleaseState"] != "INACTIVE" {
		t.Fatalf("phased = %v", p)
	}
	create(nil).firstErr(t, 409, "STATE_ERROR")
	patch := func(state string) *resp {
		return h.do("PATCH", "/v1/appStoreVersionPhasedReleases/"+pid, resource("appStoreVersionPhasedReleases", pid, map[string]any{"phasedReleaseState": state}, nil))
	}
	patch("PAUSED").firstErr(t, 409, "STATE_ERROR") // not started yet
	if err := h.srv.AdvancePhasedDay(d.NewVersionID); err == nil {
		t.Fatal("advancing an INACTIVE phased release must fail")
	}
	if err := h.srv.SetVersionState(d.NewVersionID, "PENDING_DEVELOPER_RELEASE"); err != nil {
		t.Fatal(err)
	}
	h.do("POST", "/v1/appStoreVersionReleaseRequests", resource("appStoreVersionReleaseRequests", "", nil,
		map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)})).must(t, 201)
	if got, _ := h.srv.PhasedRelease(d.NewVersionID); got.State != "INACTIVE" {
		t.Fatalf("before distribution: %+v", got)
	}
	if err := h.srv.Distribute(d.NewVersionID); err != nil {
		t.Fatal(err)
	}
	got, _ := h.srv.PhasedRelease(d.NewVersionID)
	if got.State != "ACTIVE" || got.CurrentDayNumber != 1 || got.StartDate == nil {
		t.Fatalf("after release: %+v", got)
	}
	if err := h.srv.AdvancePhasedDay(d.NewVersionID); err != nil {
		t.Fatal(err)
	}
	patch("PAUSED").must(t, 200)
	if e := patch("PAUSED").firstErr(t, 409, "STATE_ERROR"); e["detail"] != "The phased release already has this value" {
		t.Fatalf("no-op error = %v", e)
	}
	for range 3 {
		if err := h.srv.AdvancePhasedDay(d.NewVersionID); err != nil {
			t.Fatal(err)
		}
	}
	a := attrs(patch("ACTIVE").must(t, 200).data(t))
	if a["currentDayNumber"] != float64(2) || a["totalPauseDuration"] != float64(3) || a["phasedReleaseState"] != "ACTIVE" {
		t.Fatalf("phased = %v", a)
	}
	patch("INACTIVE").firstErr(t, 409, "STATE_ERROR")
	patch("COMPLETE").must(t, 200)
	if e := patch("ACTIVE").firstErr(t, 409, "STATE_ERROR"); e["detail"] != "You cannot change the state of a phased release that is in a final state" {
		t.Fatalf("final-state error = %v", e)
	}
	patch("BOGUS").firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
}

func TestPhasedReleaseCompletesAfterDaySeven(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	h.do("POST", "/v1/appStoreVersionPhasedReleases", resource("appStoreVersionPhasedReleases", "", nil,
		map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)})).must(t, 201)
	if err := h.srv.SetVersionState(d.NewVersionID, "READY_FOR_DISTRIBUTION"); err != nil {
		t.Fatal(err)
	}
	for range 7 {
		if err := h.srv.AdvancePhasedDay(d.NewVersionID); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := h.srv.PhasedRelease(d.NewVersionID); p.State != "COMPLETE" || p.CurrentDayNumber != 7 {
		t.Fatalf("phased = %+v", p)
	}
	// A released version can not get a phased release any more.
	other := h.srv.AddVersion(d.AppID, VersionSeed{VersionString: "1.2.0", State: "READY_FOR_DISTRIBUTION"})
	h.do("POST", "/v1/appStoreVersionPhasedReleases", resource("appStoreVersionPhasedReleases", "", nil,
		map[string]any{"appStoreVersion": link("appStoreVersions", other)})).firstErr(t, 409, "STATE_ERROR")
}

func TestIAPSubmission(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	submitIAP := func(id string) *resp {
		return h.do("POST", "/v1/inAppPurchaseSubmissions", resource("inAppPurchaseSubmissions", "", nil,
			map[string]any{"inAppPurchaseV2": link("inAppPurchases", id)}))
	}
	list := h.do("GET", "/v1/apps/"+d.AppID+"/inAppPurchasesV2?filter[state]=READY_TO_SUBMIT", nil).must(t, 200).list(t)
	if len(list) != 1 || list[0]["id"] != d.IAPReadyID {
		t.Fatalf("iaps = %v", list)
	}
	submitIAP(d.IAPApprovedID).firstErr(t, 409, "STATE_ERROR")
	submitIAP("nope").firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
	res := submitIAP(d.IAPReadyID).must(t, 201).data(t)
	if rel(res, "inAppPurchaseV2")["data"].(map[string]any)["id"] != d.IAPReadyID {
		t.Fatalf("submission = %v", res)
	}
	if p, _ := h.srv.IAP(d.IAPReadyID); p.State != "WAITING_FOR_REVIEW" {
		t.Fatalf("iap = %+v", p)
	}
	first := h.srv.AddIAP(d.SecondAppID, IAPSeed{Name: "Gold", ProductID: "jp.example.hanko.gold"})
	e := submitIAP(first).firstErr(t, 409, "STATE_ERROR.FIRST_IAP_MUST_BE_SUBMITTED_ON_VERSION")
	if pointer(e) != "/data/relationships/inAppPurchaseV2" {
		t.Fatalf("error = %v", e)
	}
}

func TestCancelAndResubmit(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	subID := h.mustSubmitNewVersion(t)
	res := h.do("PATCH", "/v1/reviewSubmissions/"+subID, resource("reviewSubmissions", subID, map[string]any{"canceled": true}, nil)).must(t, 200)
	if attrs(res.data(t))["state"] != "CANCELING" {
		t.Fatalf("cancel answer = %s", res.raw)
	}
	// Canceling takes a while: until then the submission still blocks a new one.
	if st := h.submissionState(t, subID); st != "CANCELING" {
		t.Fatalf("right after cancel = %s", st)
	}
	h.do("POST", "/v1/reviewSubmissions", resource("reviewSubmissions", "", nil, map[string]any{"app": link("apps", d.AppID)})).firstErr(t, 409, "STATE_ERROR")
	h.srv.Tick()
	if st := h.submissionState(t, subID); st != "COMPLETE" {
		t.Fatalf("after cancel and a tick (control mode) = %s", st)
	}
	h.checkVersionState(t, d.NewVersionID, "DEVELOPER_REJECTED")
	h.do("PATCH", "/v1/reviewSubmissions/"+subID, resource("reviewSubmissions", subID, map[string]any{"canceled": true}, nil)).firstErr(t, 409, "STATE_ERROR")
	// Edit and resubmit in a new submission.
	v, _ := h.srv.Version(d.NewVersionID)
	h.setWhatsNew(v.LocalizationIDs["en-US"], "Second try").must(t, 200)
	sub2 := h.newSubmission(t, d.AppID, "IOS")
	h.addItem(sub2, d.NewVersionID).must(t, 201)
	h.submit(sub2).must(t, 200)
	h.checkVersionState(t, d.NewVersionID, "WAITING_FOR_REVIEW")
	h.do("PATCH", "/v1/reviewSubmissions/"+sub2, resource("reviewSubmissions", sub2, map[string]any{"canceled": true, "submitted": true}, nil)).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
}

// newBuild seeds a VALID build of the demo's new version with export
// compliance answered, and attaches it.
func (h *harness) attachNewBuild(t *testing.T, number string) string {
	t.Helper()
	d := h.demo
	v, _ := h.srv.Version(d.NewVersionID)
	b := h.srv.AddBuild(d.AppID, BuildSeed{Version: number, MarketingVersion: v.VersionString, ProcessingState: "VALID", UsesNonExemptEncryption: boolp(false)})
	h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID, resource("appStoreVersions", d.NewVersionID, nil,
		map[string]any{"build": link("builds", b)})).must(t, 200)
	return b
}

func TestRejectionFlow(t *testing.T) {
	for _, tc := range []struct {
		state string
		// sameBuild: Apple takes the rejected version back with its build.
		sameBuild bool
	}{{"REJECTED", false}, {"METADATA_REJECTED", true}, {"INVALID_BINARY", false}} {
		t.Run(tc.state, func(t *testing.T) {
			h := newHarness(t).seed()
			d := h.demo
			subID := h.mustSubmitNewVersion(t)
			if err := h.srv.Reject(d.NewVersionID, tc.state); err != nil {
				t.Fatal(err)
			}
			h.checkVersionState(t, d.NewVersionID, tc.state)
			subs := h.srv.Submissions(d.AppID)
			if subs[0].State != "UNRESOLVED_ISSUES" || subs[0].Items[0].State != "REJECTED" {
				t.Fatalf("submission = %+v", subs[0])
			}
			// The unresolved submission is still open: no second one.
			e := h.do("POST", "/v1/reviewSubmissions", resource("reviewSubmissions", "", nil, map[string]any{"app": link("apps", d.AppID)})).firstErr(t, 409, "STATE_ERROR")
			if e["detail"] != fmt.Sprintf("There is another reviewSubmissions with id %s still in progress", subID) {
				t.Fatalf("error = %v", e)
			}
			// Nor can it take more items.
			h.addItem(subID, d.NewVersionID).firstErr(t, 409, "STATE_ERROR.ENTITY_STATE_INVALID")
			v, _ := h.srv.Version(d.NewVersionID)
			h.setWhatsNew(v.LocalizationIDs["ja"], "修正しました").must(t, 200)
			if !tc.sameBuild {
				e := h.submit(subID).firstErr(t, 409, "STATE_ERROR.ENTITY_STATE_INVALID")
				if pointer(e) != "/appStoreVersions/"+d.NewVersionID+"/relationships/build" || !strings.Contains(e["detail"].(string), "Choose a new build") {
					t.Fatalf("error = %v", e)
				}
				h.attachNewBuild(t, "99")
			}
			// Resubmitting the unresolved submission works: same submission,
			// same item, no new one.
			a := attrs(h.submit(subID).must(t, 200).data(t))
			if a["state"] != "WAITING_FOR_REVIEW" {
				t.Fatalf("resubmitted = %v", a)
			}
			h.checkVersionState(t, d.NewVersionID, "WAITING_FOR_REVIEW")
			subs = h.srv.Submissions(d.AppID)
			if len(subs) != 1 || len(subs[0].Items) != 1 || subs[0].Items[0].State != "READY_FOR_REVIEW" {
				t.Fatalf("after resubmit = %+v", subs)
			}
		})
	}
	h := newHarness(t).seed()
	if err := h.srv.Reject(h.demo.NewVersionID, "REJECTED"); err == nil {
		t.Fatal("rejecting a version that is not in review must fail")
	}
	h.mustSubmitNewVersion(t)
	if err := h.srv.Reject(h.demo.NewVersionID, "DEVELOPER_REJECTED"); err == nil {
		t.Fatal("Reject accepts only Apple's rejection states")
	}
}

// TestUnresolvedSubmissionCanBeCanceled: cancelling a rejected submission
// frees the app for a new one, which can take the version.
func TestUnresolvedSubmissionCanBeCanceled(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	subID := h.mustSubmitNewVersion(t)
	if err := h.srv.Reject(d.NewVersionID, "REJECTED"); err != nil {
		t.Fatal(err)
	}
	a := attrs(h.do("PATCH", "/v1/reviewSubmissions/"+subID, resource("reviewSubmissions", subID, map[string]any{"canceled": true}, nil)).must(t, 200).data(t))
	if a["state"] != "CANCELING" {
		t.Fatalf("cancel answer = %v", a)
	}
	h.srv.Tick()
	if st := h.submissionState(t, subID); st != "COMPLETE" {
		t.Fatalf("after the tick = %s", st)
	}
	h.checkVersionState(t, d.NewVersionID, "REJECTED") // a rejected version stays rejected
	h.attachNewBuild(t, "99")
	sub2 := h.newSubmission(t, d.AppID, "IOS")
	h.addItem(sub2, d.NewVersionID).must(t, 201)
	h.submit(sub2).must(t, 200)
	h.checkVersionState(t, d.NewVersionID, "WAITING_FOR_REVIEW")
}

func TestScheduledRelease(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	patch := func(a map[string]any) *resp {
		return h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID, resource("appStoreVersions", d.NewVersionID, a, nil))
	}
	patch(map[string]any{"releaseType": "SCHEDULED"}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.REQUIRED")
	at := h.clock.Now().Add(48 * time.Hour).Truncate(time.Hour)
	patch(map[string]any{"releaseType": "SCHEDULED", "earliestReleaseDate": at.Add(30 * time.Minute).Format(time.RFC3339)}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
	patch(map[string]any{"releaseType": "SCHEDULED", "earliestReleaseDate": h.clock.Now().Add(-time.Hour).Truncate(time.Hour).Format(time.RFC3339)}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
	a := attrs(patch(map[string]any{"releaseType": "SCHEDULED", "earliestReleaseDate": at.Format(time.RFC3339)}).must(t, 200).data(t))
	if a["releaseType"] != "SCHEDULED" || a["earliestReleaseDate"] == nil {
		t.Fatalf("version = %v", a)
	}
	h.mustSubmitNewVersion(t)
	if err := h.srv.Approve(d.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.checkVersionState(t, d.NewVersionID, "PENDING_APPLE_RELEASE")
	h.srv.Tick()
	h.checkVersionState(t, d.NewVersionID, "PENDING_APPLE_RELEASE")
	h.clock.Advance(48 * time.Hour)
	h.srv.Tick()
	h.checkVersionState(t, d.NewVersionID, "PROCESSING_FOR_DISTRIBUTION")
	if err := h.srv.Distribute(d.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.checkVersionState(t, d.NewVersionID, "READY_FOR_DISTRIBUTION")
}

func TestUpdateVersionRules(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	patch := func(id string, a map[string]any) *resp {
		return h.do("PATCH", "/v1/appStoreVersions/"+id, resource("appStoreVersions", id, a, nil))
	}
	a := attrs(patch(d.NewVersionID, map[string]any{"releaseType": "AFTER_APPROVAL", "copyright": "2026 Example"}).must(t, 200).data(t))
	if a["releaseType"] != "AFTER_APPROVAL" || a["copyright"] != "2026 Example" {
		t.Fatalf("version = %v", a)
	}
	patch(d.LiveVersionID, map[string]any{"copyright": "x"}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID.INVALID_STATE")
	patch(d.NewVersionID, map[string]any{"versionString": "1.0.0"}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE")
	// Renaming the version detaches a build that no longer matches.
	h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID+"/relationships/build", link("builds", d.Build4ID)).must(t, 204)
	patch(d.NewVersionID, map[string]any{"versionString": "1.1.1"}).must(t, 200)
	if v, _ := h.srv.Version(d.NewVersionID); v.VersionString != "1.1.1" || v.BuildID != "" {
		t.Fatalf("version = %+v", v)
	}
	patch("nope", map[string]any{"copyright": "x"}).firstErr(t, 404, "NOT_FOUND")
}

func TestCreateLocalization(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	create := func(versionID, locale string, a map[string]any) *resp {
		if a == nil {
			a = map[string]any{}
		}
		a["locale"] = locale
		return h.do("POST", "/v1/appStoreVersionLocalizations", resource("appStoreVersionLocalizations", "", a,
			map[string]any{"appStoreVersion": link("appStoreVersions", versionID)}))
	}
	create(d.NewVersionID, "ja", nil).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE")
	create(d.NewVersionID, "not a locale", nil).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
	create(d.LiveVersionID, "fr-FR", nil).firstErr(t, 409, "STATE_ERROR")
	create(d.SecondVersionID, "fr-FR", map[string]any{"whatsNew": "x"}).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID.INVALID_STATE")
	l := create(d.NewVersionID, "fr-FR", map[string]any{"whatsNew": "Corrections"}).must(t, 201).data(t)
	if attrs(l)["whatsNew"] != "Corrections" || attrs(l)["locale"] != "fr-FR" {
		t.Fatalf("localization = %v", l)
	}
	if v, _ := h.srv.Version(d.NewVersionID); v.WhatsNew["fr-FR"] != "Corrections" {
		t.Fatalf("version = %+v", v)
	}
}

func TestWebhookCreate(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	body := resource("webhooks", "", map[string]any{"enabled": true, "eventTypes": []string{"APP_STORE_VERSION_APP_VERSION_STATE_UPDATED"},
		"name": "ascbot", "secret": "s3cret", "url": "https://bot.example/hooks/asc"}, map[string]any{"app": link("apps", d.AppID)})
	w := h.do("POST", "/v1/webhooks", body).must(t, 201).data(t)
	if _, leaked := attrs(w)["secret"]; leaked || attrs(w)["name"] != "ascbot" {
		t.Fatalf("webhook = %v", w)
	}
	if ws := h.srv.Webhooks(d.AppID); len(ws) != 1 || ws[0].Secret != "s3cret" || ws[0].URL != "https://bot.example/hooks/asc" {
		t.Fatalf("webhooks = %+v", ws)
	}
	body["data"].(map[string]any)["attributes"].(map[string]any)["secret"] = nil
	h.do("POST", "/v1/webhooks", body).firstErr(t, 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")
}

func TestBuildUploadAndAvailabilityReads(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	b, _ := h.srv.Build(d.Build5ID)
	res := h.do("GET", "/v1/buildUploads/"+b.UploadID+"?include=build", nil).must(t, 200)
	up := res.data(t)
	a := attrs(up)
	if a["cfBundleVersion"] != "5" || a["cfBundleShortVersionString"] != "1.1.0" || a["state"].(map[string]any)["state"] != "PROCESSING" {
		t.Fatalf("upload = %v", up)
	}
	if rel(up, "build")["data"].(map[string]any)["id"] != d.Build5ID {
		t.Fatalf("upload build = %v", rel(up, "build"))
	}
	h.do("GET", "/v1/buildUploads/nope", nil).firstErr(t, 404, "NOT_FOUND")
	if h.do("GET", "/v1/apps/"+d.SecondAppID+"/appAvailabilityV2", nil).must(t, 200).doc["data"] != nil {
		t.Fatal("an app without availability answers data:null")
	}
	av := h.do("GET", "/v1/apps/"+d.AppID+"/appAvailabilityV2", nil).must(t, 200).data(t)
	terr := h.do("GET", "/v2/appAvailabilities/"+av["id"].(string)+"/territoryAvailabilities?include=territory", nil).must(t, 200)
	list := terr.list(t)
	if len(list) != 2 || rel(list[0], "territory")["data"].(map[string]any)["id"] != "JPN" {
		t.Fatalf("territory availabilities = %s", terr.raw)
	}
}

func TestAvailabilityBodyRules(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	mk := func(linkIDs []string, inc []any) map[string]any {
		var l []any
		for _, id := range linkIDs {
			l = append(l, map[string]any{"type": "territoryAvailabilities", "id": id})
		}
		b := resource("appAvailabilities", "", map[string]any{"availableInNewTerritories": false},
			map[string]any{"app": link("apps", d.SecondAppID), "territoryAvailabilities": map[string]any{"data": l}})
		if inc != nil {
			b["included"] = inc
		}
		return b
	}
	ta := func(id, terr string) map[string]any {
		x := map[string]any{"type": "territoryAvailabilities", "id": id, "attributes": map[string]any{"available": true}}
		if terr != "" {
			x["relationships"] = map[string]any{"territory": link("territories", terr)}
		}
		return x
	}
	h.do("POST", "/v2/appAvailabilities", mk([]string{"${a}"}, nil)).firstErr(t, 409, "ENTITY_ERROR.INCLUDED.INVALID")
	h.do("POST", "/v2/appAvailabilities", mk([]string{"${a}"}, []any{ta("${a}", "")})).firstErr(t, 409, "ENTITY_ERROR.INCLUDED.INVALID")
	e := h.do("POST", "/v2/appAvailabilities", mk([]string{"${a}"}, []any{ta("${a}", "XXX")})).firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
	if pointer(e) != "/included/0/relationships/territory/data/id" {
		t.Fatalf("error = %v", e)
	}
	h.do("POST", "/v2/appAvailabilities", mk([]string{"${a}", "${b}"}, []any{ta("${a}", "JPN"), ta("${b}", "JPN")})).firstErr(t, 409, "ENTITY_ERROR.INCLUDED.INVALID")
	h.do("POST", "/v2/appAvailabilities", mk([]string{"${a}"}, []any{ta("${a}", "JPN")})).must(t, 201)
	if av, _ := h.srv.Availability(d.SecondAppID); len(av.Available) != 1 || av.Available[0] != "JPN" || av.AvailableInNewTerritories {
		t.Fatalf("availability = %+v", av)
	}
}
