package asc

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func TestLocalizations(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/appStoreVersions/v2/appStoreVersionLocalizations", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, map[string]string{"fields[appStoreVersionLocalizations]": "locale,whatsNew", "limit": "200"})
		writeJSON(w, 200, `{"data":[{"type":"appStoreVersionLocalizations","id":"l1","attributes":{"locale":"en-US","whatsNew":"Fixes"}},
		  {"type":"appStoreVersionLocalizations","id":"l2","attributes":{"locale":"ja","whatsNew":null}}],"links":{"self":"x"}}`)
	})
	mux.HandleFunc("/v1/appStoreVersionLocalizations/l2", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "PATCH")
		testJSONBody(t, r, `{"data":{"type":"appStoreVersionLocalizations","id":"l2","attributes":{"whatsNew":"修正"}}}`)
		writeJSON(w, 200, `{"data":{"type":"appStoreVersionLocalizations","id":"l2","attributes":{"locale":"ja","whatsNew":"修正"}}}`)
	})
	var creates int
	mux.HandleFunc("/v1/appStoreVersionLocalizations", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		if creates == 0 {
			testJSONBody(t, r, `{"data":{"type":"appStoreVersionLocalizations","attributes":{"locale":"fr-FR","whatsNew":"Corrections"},
			  "relationships":{"appStoreVersion":{"data":{"type":"appStoreVersions","id":"v2"}}}}}`)
		} else {
			testJSONBody(t, r, `{"data":{"type":"appStoreVersionLocalizations","attributes":{"locale":"de-DE"},
			  "relationships":{"appStoreVersion":{"data":{"type":"appStoreVersions","id":"v2"}}}}}`)
		}
		creates++
		writeJSON(w, 201, `{"data":{"type":"appStoreVersionLocalizations","id":"l3","attributes":{"locale":"fr-FR","whatsNew":"Corrections"}}}`)
	})
	ls, _, err := c.Localizations.List(t.Context(), "v2")
	want := []Localization{{ID: "l1", VersionID: "v2", Locale: "en-US", WhatsNew: "Fixes"}, {ID: "l2", VersionID: "v2", Locale: "ja"}}
	if err != nil || !slices.Equal(ls, want) {
		t.Errorf("List = %+v, %v", ls, err)
	}
	l, _, err := c.Localizations.SetWhatsNew(t.Context(), "l2", "修正")
	if err != nil || l.WhatsNew != "修正" {
		t.Errorf("SetWhatsNew = %+v, %v", l, err)
	}
	l, _, err = c.Localizations.Create(t.Context(), "v2", "fr-FR", "Corrections")
	if err != nil || l.ID != "l3" || l.VersionID != "v2" {
		t.Errorf("Create = %+v, %v", l, err)
	}
	if _, _, err := c.Localizations.Create(t.Context(), "v2", "de-DE", ""); err != nil {
		t.Error(err)
	}
}

func TestRelease(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/appStoreVersionReleaseRequests", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"data":{"type":"appStoreVersionReleaseRequests","relationships":{"appStoreVersion":{"data":{"type":"appStoreVersions","id":"v2"}}}}}`)
		writeJSON(w, 201, `{"data":{"type":"appStoreVersionReleaseRequests","id":"rr1"},"links":{"self":"x"}}`)
	})
	id, resp, err := c.Releases.Release(t.Context(), "v2")
	if err != nil || id != "rr1" || resp.StatusCode != 201 {
		t.Errorf("Release = %q, %v", id, err)
	}
}

func TestPhased(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/appStoreVersions/none/appStoreVersionPhasedRelease", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":null,"links":{"self":"x"}}`)
	})
	mux.HandleFunc("/v1/appStoreVersions/gone/appStoreVersionPhasedRelease", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, appleError(404, "NOT_FOUND", "The specified resource does not exist", "", ""))
	})
	mux.HandleFunc("/v1/appStoreVersions/v2/appStoreVersionPhasedRelease", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":{"type":"appStoreVersionPhasedReleases","id":"ph1","attributes":{"phasedReleaseState":"ACTIVE","startDate":"2025-03-10T00:00:00Z","totalPauseDuration":2,"currentDayNumber":4}}}`)
	})
	mux.HandleFunc("/v1/appStoreVersionPhasedReleases", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"data":{"type":"appStoreVersionPhasedReleases","attributes":{"phasedReleaseState":"INACTIVE"},"relationships":{"appStoreVersion":{"data":{"type":"appStoreVersions","id":"v2"}}}}}`)
		writeJSON(w, 201, `{"data":{"type":"appStoreVersionPhasedReleases","id":"ph1","attributes":{"phasedReleaseState":"INACTIVE"}}}`)
	})
	mux.HandleFunc("/v1/appStoreVersionPhasedReleases/ph1", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "PATCH")
		testJSONBody(t, r, `{"data":{"type":"appStoreVersionPhasedReleases","id":"ph1","attributes":{"phasedReleaseState":"PAUSED"}}}`)
		writeJSON(w, 200, `{"data":{"type":"appStoreVersionPhasedReleases","id":"ph1","attributes":{"phasedReleaseState":"PAUSED"}}}`)
	})
	for _, id := range []string{"none", "gone"} {
		p, resp, err := c.Phased.Get(t.Context(), id)
		if p != nil || err != nil || resp == nil {
			t.Errorf("Get(%s) = %v, %v", id, p, err)
		}
	}
	p, _, err := c.Phased.Get(t.Context(), "v2")
	if err != nil || *p != (PhasedRelease{ID: "ph1", State: PhasedActive, StartDate: p.StartDate, TotalPauseDuration: 2, CurrentDayNumber: 4}) || p.StartDate == nil {
		t.Errorf("Get(v2) = %+v, %v", p, err)
	}
	if p, _, err := c.Phased.Create(t.Context(), "v2", PhasedInactive); err != nil || p.State != PhasedInactive {
		t.Errorf("Create = %+v, %v", p, err)
	}
	if p, _, err := c.Phased.SetState(t.Context(), "ph1", PhasedPaused); err != nil || p.State != PhasedPaused {
		t.Errorf("SetState = %+v, %v", p, err)
	}
}

func TestAvailability(t *testing.T) {
	c, mux, env := setup(t)
	mux.HandleFunc("/v1/territories", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cursor") == "" {
			testQuery(t, r, map[string]string{"fields[territories]": "currency", "limit": "200"})
			writeJSON(w, 200, `{"data":[{"type":"territories","id":"USA","attributes":{"currency":"USD"}}],"links":{"self":"x","next":"`+env.server.URL+baseURLPath+`/v1/territories?cursor=2&limit=200"}}`)
			return
		}
		writeJSON(w, 200, `{"data":[{"type":"territories","id":"JPN","attributes":{"currency":"JPY"}}],"links":{"self":"x"}}`)
	})
	ts, _, err := c.Availability.Territories(t.Context())
	if err != nil || !slices.Equal(ts, []Territory{{"USA", "USD"}, {"JPN", "JPY"}}) {
		t.Fatalf("Territories = %+v, %v", ts, err)
	}

	mux.HandleFunc("/v1/apps/new/appAvailabilityV2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, appleError(404, "NOT_FOUND", "The specified resource does not exist", "", ""))
	})
	mux.HandleFunc("/v1/apps/null/appAvailabilityV2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":null,"links":{"self":"x"}}`)
	})
	mux.HandleFunc("/v1/apps/111/appAvailabilityV2", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, map[string]string{"fields[appAvailabilities]": "availableInNewTerritories"})
		writeJSON(w, 200, `{"data":{"type":"appAvailabilities","id":"av1","attributes":{"availableInNewTerritories":true}}}`)
	})
	mux.HandleFunc("/v2/appAvailabilities/av1/territoryAvailabilities", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, map[string]string{"include": "territory", "fields[territoryAvailabilities]": "available,territory", "fields[territories]": "currency", "limit": "200"})
		writeJSON(w, 200, `{"data":[
		  {"type":"territoryAvailabilities","id":"ta1","attributes":{"available":true},"relationships":{"territory":{"data":{"type":"territories","id":"USA"}}}},
		  {"type":"territoryAvailabilities","id":"ta2","attributes":{"available":false},"relationships":{"territory":{"data":{"type":"territories","id":"JPN"}}}}],"links":{"self":"x"}}`)
	})
	for _, id := range []string{"new", "null"} {
		if av, _, err := c.Availability.Get(t.Context(), id); av != nil || err != nil {
			t.Errorf("Get(%s) = %v, %v; want nil, nil", id, av, err)
		}
	}
	av, _, err := c.Availability.Get(t.Context(), "111")
	want := &AppAvailability{ID: "av1", AvailableInNewTerritories: true, Territories: []TerritoryAvailability{{"ta1", "USA", true}, {"ta2", "JPN", false}}}
	if err != nil || fmt.Sprint(av) != fmt.Sprint(want) {
		t.Errorf("Get = %+v, %v", av, err)
	}

	mux.HandleFunc("/v2/appAvailabilities", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"data":{"type":"appAvailabilities","attributes":{"availableInNewTerritories":true},
		  "relationships":{"app":{"data":{"type":"apps","id":"111"}},
		   "territoryAvailabilities":{"data":[{"type":"territoryAvailabilities","id":"${USA}"},{"type":"territoryAvailabilities","id":"${JPN}"}]}}},
		 "included":[
		  {"type":"territoryAvailabilities","id":"${USA}","attributes":{"available":true},"relationships":{"territory":{"data":{"type":"territories","id":"USA"}}}},
		  {"type":"territoryAvailabilities","id":"${JPN}","attributes":{"available":true},"relationships":{"territory":{"data":{"type":"territories","id":"JPN"}}}}]}`)
		writeJSON(w, 201, `{"data":{"type":"appAvailabilities","id":"av1"}}`)
	})
	if _, err := c.Availability.MakeAvailableEverywhere(t.Context(), "111", ts); err != nil {
		t.Error(err)
	}
	if _, err := c.Availability.MakeAvailableEverywhere(t.Context(), "111", nil); err == nil {
		t.Error("empty territory list accepted")
	}
}

func TestIAP(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/apps/111/inAppPurchasesV2", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, map[string]string{"fields[inAppPurchases]": "name,productId,inAppPurchaseType,state", "limit": "200"})
		writeJSON(w, 200, `{"data":[{"type":"inAppPurchases","id":"p1","attributes":{"name":"Pro","productId":"jp.example.pro","inAppPurchaseType":"NON_CONSUMABLE","state":"READY_TO_SUBMIT"}}],"links":{"self":"x"}}`)
	})
	mux.HandleFunc("/v1/inAppPurchaseSubmissions", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"data":{"type":"inAppPurchaseSubmissions","relationships":{"inAppPurchaseV2":{"data":{"type":"inAppPurchases","id":"p1"}}}}}`)
		writeJSON(w, 201, `{"data":{"type":"inAppPurchaseSubmissions","id":"x"}}`)
	})
	ps, _, err := c.IAP.List(t.Context(), "111")
	if err != nil || !slices.Equal(ps, []InAppPurchase{{ID: "p1", Name: "Pro", ProductID: "jp.example.pro", Type: "NON_CONSUMABLE", State: IAPReadyToSubmit}}) {
		t.Errorf("List = %+v, %v", ps, err)
	}
	if _, err := c.IAP.Submit(t.Context(), "p1"); err != nil {
		t.Error(err)
	}
}

func TestWebhooksCreateAndBuildUpload(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/webhooks", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"data":{"type":"webhooks","attributes":{"enabled":true,"eventTypes":["APP_STORE_VERSION_APP_VERSION_STATE_UPDATED","BUILD_UPLOAD_STATE_UPDATED"],
		  "name":"ascbot","secret":"s3cret","url":"https://bot.example.com/hook"},"relationships":{"app":{"data":{"type":"apps","id":"111"}}}}}`)
		writeJSON(w, 201, `{"data":{"type":"webhooks","id":"wh1","attributes":{"enabled":true}}}`)
	})
	id, _, err := c.Webhooks.Create(t.Context(), WebhookCreate{AppID: "111", Name: "ascbot", URL: "https://bot.example.com/hook", Secret: "s3cret",
		EventTypes: []string{WebhookAppVersionStateUpdated, WebhookBuildUploadStateUpdated}})
	if err != nil || id != "wh1" {
		t.Errorf("Create = %q, %v", id, err)
	}

	mux.HandleFunc("/v1/buildUploads/", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("include") != "build" {
			t.Errorf("include = %q", q.Get("include"))
		}
		switch r.URL.Path {
		case "/v1/buildUploads/u1":
			writeJSON(w, 200, `{"data":{"type":"buildUploads","id":"u1","relationships":{"build":{"data":{"type":"builds","id":"b9"}}}}}`)
		case "/v1/buildUploads/u2":
			writeJSON(w, 200, `{"data":{"type":"buildUploads","id":"u2","relationships":{"build":{"data":null}}}}`)
		}
	})
	if got, _, err := c.Webhooks.BuildUploadBuild(t.Context(), "u1"); err != nil || got != "b9" {
		t.Errorf("BuildUploadBuild(u1) = %q, %v", got, err)
	}
	if got, _, err := c.Webhooks.BuildUploadBuild(t.Context(), "u2"); err != nil || got != "" {
		t.Errorf("BuildUploadBuild(u2) = %q, %v", got, err)
	}
}
