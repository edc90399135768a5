package ascsim

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var rateRe = regexp.MustCompile(`^user-hour-lim:(\d+);user-hour-rem:(\d+);$`)

func rateRemaining(t *testing.T, r *resp) (lim, rem int) {
	t.Helper()
	m := rateRe.FindStringSubmatch(r.header.Get("X-Rate-Limit"))
	if m == nil {
		t.Fatalf("X-Rate-Limit = %q", r.header.Get("X-Rate-Limit"))
	}
	lim, _ = strconv.Atoi(m[1])
	rem, _ = strconv.Atoi(m[2])
	return lim, rem
}

func TestRateLimitHeaderOnEveryResponse(t *testing.T) {
	h := newHarness(t).seed()
	requests := []struct{ method, path string }{
		{"GET", "/v1/apps"},
		{"GET", "/v1/apps/nope"},           // 404
		{"GET", "/v1/apps?filter[nope]=1"}, // 400
		{"POST", "/v1/reviewSubmissions"},  // 422 (no body)
		{"GET", "/v1/nope"},                // 404 route
		{"GET", "/v1/appStoreVersions/" + h.demo.NewVersionID},
	}
	last := -1
	for _, rq := range requests {
		res := h.do(rq.method, rq.path, nil)
		lim, rem := rateRemaining(t, res)
		if lim != DefaultHourlyLimit {
			t.Fatalf("limit = %d", lim)
		}
		if last >= 0 && rem != last-1 {
			t.Fatalf("%s %s: remaining %d after %d", rq.method, rq.path, rem, last)
		}
		last = rem
	}
}

func TestRateLimitRollingHour(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.HourlyLimit = 3 }).seed()
	for i := range 3 {
		res := h.do("GET", "/v1/apps", nil).must(t, 200)
		if _, rem := rateRemaining(t, res); rem != 2-i {
			t.Fatalf("request %d: remaining %d", i, rem)
		}
		h.clock.Advance(10 * time.Minute)
	}
	res := h.do("GET", "/v1/apps", nil)
	res.firstErr(t, 429, "RATE_LIMIT_EXCEEDED")
	// The oldest request leaves the window 60 min after it was made, 30 min from now.
	if ra := res.header.Get("Retry-After"); ra != strconv.Itoa(30*60) {
		t.Fatalf("Retry-After = %q", ra)
	}
	if _, rem := rateRemaining(t, res); rem != 0 {
		t.Fatalf("remaining on 429 = %d", rem)
	}
	h.clock.Advance(30 * time.Minute)
	res = h.do("GET", "/v1/apps", nil).must(t, 200)
	if _, rem := rateRemaining(t, res); rem != 0 {
		t.Fatalf("remaining = %d", rem)
	}
	h.do("GET", "/v1/apps", nil).firstErr(t, 429, "RATE_LIMIT_EXCEEDED")
}

func TestInjectedFaults(t *testing.T) {
	h := newHarness(t).seed()
	h.srv.InjectFault(Fault{Method: "GET", PathPrefix: "/v1/apps", Status: 429, RetryAfter: 1500 * time.Millisecond, Count: 2})
	h.srv.InjectFault(Fault{Method: "POST", PathPrefix: "/v1/reviewSubmissions", Status: 500})
	h.srv.InjectFault(Fault{PathPrefix: "/v1/builds", Status: 503, Code: "SERVICE_UNAVAILABLE"})

	h.do("GET", "/v1/builds/"+h.demo.Build4ID, nil).firstErr(t, 503, "SERVICE_UNAVAILABLE")
	h.do("GET", "/v1/builds/"+h.demo.Build4ID, nil).must(t, 200)
	h.do("GET", "/v1/territories", nil).must(t, 200) // prefix does not match
	for range 2 {
		res := h.do("GET", "/v1/apps/"+h.demo.AppID, nil)
		res.firstErr(t, 429, "RATE_LIMIT_EXCEEDED")
		if res.header.Get("Retry-After") != "2" {
			t.Fatalf("Retry-After = %q", res.header.Get("Retry-After"))
		}
		rateRemaining(t, res)
	}
	h.do("GET", "/v1/apps/"+h.demo.AppID, nil).must(t, 200)
	body := resource("reviewSubmissions", "", nil, map[string]any{"app": link("apps", h.demo.AppID)})
	h.do("GET", "/v1/reviewSubmissions?filter[app]="+h.demo.AppID, nil).must(t, 200) // method does not match
	h.do("POST", "/v1/reviewSubmissions", body).firstErr(t, 500, "UNEXPECTED_ERROR")
	if n := len(h.srv.Submissions(h.demo.AppID)); n != 0 {
		t.Fatalf("a faulted create must not happen: %d submissions", n)
	}
	h.do("POST", "/v1/reviewSubmissions", body).must(t, 201)
	// Faults apply after authentication.
	h.srv.InjectFault(Fault{Status: 500})
	req, _ := http.NewRequest("GET", h.ts.URL+"/v1/apps", nil)
	h.send(req).firstErr(t, 401, "NOT_AUTHORIZED")
	h.do("GET", "/v1/apps", nil).firstErr(t, 500, "UNEXPECTED_ERROR")
}

func TestLatency(t *testing.T) {
	h := newHarness(t).seed()
	h.srv.SetLatency(80 * time.Millisecond)
	start := time.Now()
	h.do("GET", "/v1/apps", nil).must(t, 200)
	if took := time.Since(start); took < 80*time.Millisecond {
		t.Fatalf("request took %s, latency 80ms", took)
	}
	// The wait honours the request context.
	h.srv.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.ts.URL+"/v1/apps", nil)
	req.Header.Set("Authorization", "Bearer "+h.token())
	start = time.Now()
	_, err := h.ts.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("canceled request took %s", took)
	}
	h.srv.SetLatency(0)
	deadline := time.After(5 * time.Second)
	for {
		logs := h.srv.Requests()
		if len(logs) > 0 && logs[len(logs)-1].Status == 499 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("abandoned request not logged: %+v", logs)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestPagingFollowsLinksNext(t *testing.T) {
	h := newHarness(t).seed()
	var ids []string
	next := "/v1/builds?filter[app]=" + h.demo.AppID + "&sort=-uploadedDate&limit=1"
	pages := 0
	for next != "" {
		res := h.do("GET", next, nil).must(t, 200)
		pages++
		list := res.list(t)
		if len(list) != 1 {
			t.Fatalf("page %d has %d items", pages, len(list))
		}
		ids = append(ids, list[0]["id"].(string))
		paging := res.doc["meta"].(map[string]any)["paging"].(map[string]any)
		if paging["total"] != float64(5) || paging["limit"] != float64(1) {
			t.Fatalf("paging = %v", paging)
		}
		links := res.doc["links"].(map[string]any)
		next, _ = links["next"].(string)
		if next != "" {
			if !strings.HasPrefix(next, h.ts.URL+"/v1/builds?") || !strings.Contains(next, "filter[app]="+h.demo.AppID) || !strings.Contains(next, "sort=-uploadedDate") {
				t.Fatalf("next = %s", next)
			}
			u, _ := http.NewRequest("GET", next, nil)
			if u.URL.Query().Get("cursor") != paging["nextCursor"] {
				t.Fatalf("next cursor %s vs meta %v", next, paging["nextCursor"])
			}
		} else if paging["nextCursor"] != nil {
			t.Fatal("last page carries a nextCursor")
		}
	}
	want := []string{h.demo.Build5ID, h.demo.Build4ID, h.demo.Build3ID, h.demo.FailedBuildID, h.demo.LiveBuildID}
	if pages != 5 || strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("pages %d ids %v, want %v", pages, ids, want)
	}
	e := h.do("GET", "/v1/builds?cursor=%21%21", nil).firstErr(t, 400, "PARAMETER_ERROR.INVALID")
	if parameter(e) != "cursor" {
		t.Fatalf("error = %v", e)
	}
}

func TestIncludeLimitsAndFields(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	res := h.do("GET", "/v1/apps/"+d.AppID+"?include=appStoreVersions,builds,reviewSubmissions&limit[builds]=2&limit[appStoreVersions]=1"+
		"&fields[apps]=name,appStoreVersions,builds,reviewSubmissions&fields[builds]=version,uploadedDate,processingState&fields[appStoreVersions]=versionString,appVersionState", nil).must(t, 200)
	app := res.data(t)
	if len(attrs(app)) != 1 {
		t.Fatalf("app attributes = %v", attrs(app))
	}
	rels := app["relationships"].(map[string]any)
	if len(rels) != 3 {
		t.Fatalf("relationships = %v", rels)
	}
	builds := rel(app, "builds")
	if data := builds["data"].([]any); len(data) != 2 || data[0].(map[string]any)["id"] != d.Build5ID {
		t.Fatalf("builds linkage = %v", builds)
	}
	if p := builds["meta"].(map[string]any)["paging"].(map[string]any); p["total"] != float64(5) || p["limit"] != float64(2) {
		t.Fatalf("builds meta = %v", p)
	}
	if data := rel(app, "appStoreVersions")["data"].([]any); len(data) != 1 || data[0].(map[string]any)["id"] != d.NewVersionID {
		t.Fatalf("newest version first: %v", data)
	}
	if data := rel(app, "reviewSubmissions")["data"].([]any); len(data) != 0 {
		t.Fatalf("reviewSubmissions = %v", data)
	}
	inc := res.doc["included"].([]any)
	if len(inc) != 3 {
		t.Fatalf("included = %d", len(inc))
	}
	for _, x := range inc {
		o := x.(map[string]any)
		switch o["type"] {
		case "builds":
			if len(attrs(o)) != 3 || o["relationships"] != nil {
				t.Fatalf("sparse build = %v", o)
			}
		case "appStoreVersions":
			if len(attrs(o)) != 2 {
				t.Fatalf("sparse version = %v", o)
			}
		default:
			t.Fatalf("unexpected included %v", o["type"])
		}
	}
}

func TestFiltersAndSort(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	count := func(path string) int {
		t.Helper()
		return len(h.do("GET", path, nil).must(t, 200).list(t))
	}
	tests := []struct {
		path string
		want int
	}{
		{"/v1/apps", 2},
		{"/v1/apps?filter[name]=KotenOCR", 1},
		{"/v1/apps?filter[id]=" + d.SecondAppID, 1},
		{"/v1/apps?filter[bundleId]=jp.example.kotenocr,jp.example.hanko", 2},
		{"/v1/apps?filter[appStoreVersions.appVersionState]=READY_FOR_DISTRIBUTION", 1},
		{"/v1/apps?filter[appStoreVersions.platform]=MAC_OS", 0},
		{"/v1/apps/" + d.AppID + "/appStoreVersions?filter[appStoreState]=READY_FOR_SALE", 1},
		{"/v1/apps/" + d.AppID + "/appStoreVersions?filter[versionString]=1.1.0", 1},
		{"/v1/builds?filter[processingState]=VALID", 4},
		{"/v1/builds?filter[app]=" + d.AppID + "&filter[processingState]=VALID,PROCESSING", 4},
		{"/v1/builds?filter[preReleaseVersion.version]=1.1.0", 4},
		{"/v1/builds?filter[version]=3,4", 2},
		{"/v1/builds?exists[usesNonExemptEncryption]=true", 2},
		{"/v1/builds?filter[usesNonExemptEncryption]=false", 1},
		{"/v1/builds?filter[betaAppReviewSubmission.betaReviewState]=APPROVED", 0},
		{"/v1/appStoreVersions/" + d.NewVersionID + "/appStoreVersionLocalizations?filter[locale]=ja", 1},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := count(tc.path); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
	list := h.do("GET", "/v1/builds?filter[app]="+d.AppID+"&sort=version", nil).must(t, 200).list(t)
	var nums []string
	for _, b := range list {
		nums = append(nums, attrs(b)["version"].(string))
	}
	if strings.Join(nums, ",") != "1,2,3,4,5" {
		t.Fatalf("sort=version: %v", nums)
	}
	apps := h.do("GET", "/v1/apps?sort=-name", nil).must(t, 200).list(t)
	if attrs(apps[0])["name"] != "KotenOCR" {
		t.Fatalf("sort=-name: %v", attrs(apps[0])["name"])
	}
}

func TestRequestLog(t *testing.T) {
	h := newHarness(t).seed()
	h.do("GET", "/v1/apps?limit=5", nil).must(t, 200)
	h.do("GET", "/v1/apps/nope", nil).must(t, 404)
	logs := h.srv.Requests()
	if len(logs) != 2 || logs[0].Path != "/v1/apps" || logs[0].Query != "limit=5" || logs[0].Status != 200 ||
		logs[1].Status != 404 || !logs[0].Time.Equal(h.clock.Now()) {
		t.Fatalf("logs = %+v", logs)
	}
	h.srv.ResetRequests()
	if len(h.srv.Requests()) != 0 {
		t.Fatal("ResetRequests kept entries")
	}
}

func TestPathPrefixInLinks(t *testing.T) {
	h := newHarness(t).seed()
	mux := http.NewServeMux()
	mux.Handle("/asc/", http.StripPrefix("/asc", h.srv))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/asc/v1/builds?limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+h.token())
	res := h.send(req).must(t, 200)
	links := res.doc["links"].(map[string]any)
	if !strings.HasPrefix(links["next"].(string), ts.URL+"/asc/v1/builds?") || !strings.HasPrefix(links["self"].(string), ts.URL+"/asc/v1/builds") {
		t.Fatalf("links = %v", links)
	}
	self := res.list(t)[0]["links"].(map[string]any)["self"].(string)
	if !strings.HasPrefix(self, ts.URL+"/asc/v1/builds/") {
		t.Fatalf("resource self = %s", self)
	}
}

// TestStateFieldsConsistent: every AppVersionState maps to an AppStoreVersionState
// of the spec, and SetVersionState keeps both fields consistent on the wire.
func TestStateFieldsConsistent(t *testing.T) {
	h := newHarness(t).seed()
	legacy := h.srv.spec.Enum("AppStoreVersionState")
	for _, st := range h.srv.spec.Enum("AppVersionState") {
		t.Run(st, func(t *testing.T) {
			if !hasString(legacy, AppStoreState(st)) {
				t.Fatalf("%s maps to %s, not in AppStoreVersionState", st, AppStoreState(st))
			}
			if err := h.srv.SetVersionState(h.demo.NewVersionID, st); err != nil {
				t.Fatal(err)
			}
			h.checkVersionState(t, h.demo.NewVersionID, st)
		})
	}
	if AppStoreState("READY_FOR_DISTRIBUTION") != "READY_FOR_SALE" || AppStoreState("PROCESSING_FOR_DISTRIBUTION") != "PROCESSING_FOR_APP_STORE" {
		t.Fatal("legacy mapping")
	}
	// The state constants the simulator uses are all spec values.
	for _, st := range []string{stPrepare, stReadyForReview, stWaiting, stInReview, stPendingDev, stPendingApple, stProcessing, stReady,
		stReplaced, stRejected, stMetadataRejected, stInvalidBinary, stDevRejected, stAccepted, stExportCompliance} {
		if !hasString(h.srv.spec.Enum("AppVersionState"), st) {
			t.Errorf("%s is not an AppVersionState", st)
		}
	}
	for _, st := range []string{subReady, subWaiting, subInReview, subUnresolved, subCanceling, subComplete} {
		if !hasString(h.srv.spec.SchemaEnum("ReviewSubmission", "attributes.state"), st) {
			t.Errorf("%s is not a ReviewSubmission state", st)
		}
	}
	if err := h.srv.SetVersionState(h.demo.NewVersionID, "LIVE"); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("err = %v", err)
	}
	if err := h.srv.SetVersionState("nope", stReady); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}

// TestAutoAdvance drives ReviewStage with a fake clock: Tick moves one stage
// per elapsed ReviewStage, and the background ticker does the same.
func TestAutoAdvance(t *testing.T) {
	stage := 10 * time.Minute
	h := newHarness(t, func(o *Options) {
		o.ReviewStage = stage
		o.TickInterval = 5 * time.Millisecond
	}).seed()
	ticked := make(chan struct{}, 1)
	h.srv.mu.Lock()
	h.srv.tickHook = func() {
		select {
		case ticked <- struct{}{}:
		default:
		}
	}
	h.srv.mu.Unlock()
	d := h.demo
	h.do("POST", "/v1/appStoreVersionPhasedReleases", resource("appStoreVersionPhasedReleases", "", nil,
		map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)})).must(t, 201)
	h.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID, resource("appStoreVersions", d.NewVersionID, map[string]any{"releaseType": "AFTER_APPROVAL"}, nil)).must(t, 200)
	subID := h.mustSubmitNewVersion(t)

	h.srv.Tick()
	h.checkVersionState(t, d.NewVersionID, "WAITING_FOR_REVIEW") // not yet due
	h.clock.Advance(stage - time.Second)
	h.srv.Tick()
	h.checkVersionState(t, d.NewVersionID, "WAITING_FOR_REVIEW")

	steps := []struct{ version, submission string }{
		{"IN_REVIEW", "IN_REVIEW"},
		{"PROCESSING_FOR_DISTRIBUTION", "COMPLETE"},
		{"READY_FOR_DISTRIBUTION", "COMPLETE"},
	}
	for _, st := range steps {
		h.clock.Advance(stage)
		waitTick(t, ticked) // the background ticker, not Tick, makes the move
		waitFor(t, func() bool { v, _ := h.srv.Version(d.NewVersionID); return v.State == st.version })
		h.checkVersionState(t, d.NewVersionID, st.version)
		if got := h.submissionState(t, subID); got != st.submission {
			t.Fatalf("submission = %s, want %s", got, st.submission)
		}
	}
	if p, _ := h.srv.PhasedRelease(d.NewVersionID); p.State != "ACTIVE" {
		t.Fatalf("phased = %+v", p)
	}
	h.checkVersionState(t, d.LiveVersionID, "REPLACED_WITH_NEW_VERSION")
}

func TestAutoAdvanceManualReleaseAndCancel(t *testing.T) {
	stage := time.Minute
	h := newHarness(t, func(o *Options) { o.ReviewStage = stage }).seed()
	d := h.demo
	subID := h.mustSubmitNewVersion(t)
	for range 2 {
		h.clock.Advance(stage)
		h.srv.Tick()
	}
	h.checkVersionState(t, d.NewVersionID, "PENDING_DEVELOPER_RELEASE") // MANUAL waits for the developer
	h.clock.Advance(10 * stage)
	h.srv.Tick()
	h.checkVersionState(t, d.NewVersionID, "PENDING_DEVELOPER_RELEASE")
	h.do("POST", "/v1/appStoreVersionReleaseRequests", resource("appStoreVersionReleaseRequests", "", nil,
		map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)})).must(t, 201)
	h.checkVersionState(t, d.NewVersionID, "PROCESSING_FOR_DISTRIBUTION")
	if err := h.srv.Distribute(d.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.checkVersionState(t, d.NewVersionID, "READY_FOR_DISTRIBUTION")
	_ = subID

	// Cancel in auto mode: CANCELING until the next stage.
	v2 := h.srv.AddVersion(d.AppID, VersionSeed{VersionString: "1.2.0"})
	b := h.srv.AddBuild(d.AppID, BuildSeed{Version: "7", MarketingVersion: "1.2.0", UsesNonExemptEncryption: boolp(false)})
	h.do("PATCH", "/v1/appStoreVersions/"+v2+"/relationships/build", link("builds", b)).must(t, 204)
	vv, _ := h.srv.Version(v2)
	for _, id := range vv.LocalizationIDs {
		h.setWhatsNew(id, "More").must(t, 200)
	}
	sub2 := h.newSubmission(t, d.AppID, "IOS")
	h.addItem(sub2, v2).must(t, 201)
	h.submit(sub2).must(t, 200)
	h.do("PATCH", "/v1/reviewSubmissions/"+sub2, resource("reviewSubmissions", sub2, map[string]any{"canceled": true}, nil)).must(t, 200)
	if st := h.submissionState(t, sub2); st != "CANCELING" {
		t.Fatalf("submission = %s", st)
	}
	h.newSubmissionFails(t, d.AppID)
	h.clock.Advance(stage)
	h.srv.Tick()
	if st := h.submissionState(t, sub2); st != "COMPLETE" {
		t.Fatalf("submission = %s", st)
	}
	h.checkVersionState(t, v2, "DEVELOPER_REJECTED")
}

func (h *harness) newSubmissionFails(t *testing.T, appID string) {
	t.Helper()
	h.do("POST", "/v1/reviewSubmissions", resource("reviewSubmissions", "", nil, map[string]any{"app": link("apps", appID)})).firstErr(t, 409, "STATE_ERROR")
}

func waitTick(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	// Drain a tick that may predate the clock move, then wait for a fresh one.
	select {
	case <-ch:
	default:
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("background ticker did not tick")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case <-deadline:
			t.Fatal("condition not met")
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func TestCloseStopsTicker(t *testing.T) {
	srv := New(Options{ReviewStage: time.Millisecond})
	done := make(chan struct{})
	go func() {
		srv.Close()
		srv.Close() // idempotent
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
}

func TestConcurrentRequests(t *testing.T) {
	h := newHarness(t).seed()
	d := h.demo
	v, _ := h.srv.Version(d.NewVersionID)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 8 {
				var r *http.Response
				var err error
				switch (i + j) % 4 {
				case 0:
					r, err = h.rawDo("GET", "/v1/apps/"+d.AppID+"?include=appStoreVersions,builds", nil)
				case 1:
					r, err = h.rawDo("PATCH", "/v1/appStoreVersionLocalizations/"+v.LocalizationIDs["en-US"],
						resource("appStoreVersionLocalizations", v.LocalizationIDs["en-US"], map[string]any{"whatsNew": fmt.Sprintf("n%d-%d", i, j)}, nil))
				case 2:
					r, err = h.rawDo("GET", "/v1/builds?filter[app]="+d.AppID+"&sort=-uploadedDate", nil)
				default:
					r, err = h.rawDo("POST", "/v1/reviewSubmissions", resource("reviewSubmissions", "", nil, map[string]any{"app": link("apps", d.AppID)}))
				}
				if err != nil {
					errs <- err
					return
				}
				r.Body.Close()
				if r.StatusCode >= 500 {
					errs <- fmt.Errorf("status %d", r.StatusCode)
				}
			}
		}()
	}
	go func() {
		for range 50 {
			h.srv.Tick()
			_ = h.srv.Submissions(d.AppID)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Exactly one submission could be created: the rest hit the open-submission rule.
	if n := len(h.srv.Submissions(d.AppID)); n != 1 {
		t.Fatalf("%d submissions", n)
	}
	if got := len(h.srv.Requests()); got != 128 {
		t.Fatalf("%d requests logged", got)
	}
}

func (h *harness) rawDo(method, path string, body any) (*http.Response, error) {
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+SignTestToken(h.kid, h.iss, h.key, h.clock.Now()))
	return h.ts.Client().Do(req)
}

func TestControlAPI(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ControlAPI = true })
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		r, err := http.Post(h.ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(r.Body).Decode(&out)
		return r.StatusCode, out
	}
	code, ids := post("/_sim/seed-demo", "")
	if code != 200 || ids["AppID"] == "" {
		t.Fatalf("seed-demo: %d %v", code, ids)
	}
	newV := ids["NewVersionID"].(string)
	if code, _ := post("/_sim/versions/"+newV+"/approve", ""); code != 409 {
		t.Fatalf("approve of a version not in review: %d", code)
	}
	if code, _ := post("/_sim/versions/nope/approve", ""); code != 404 {
		t.Fatalf("approve of unknown version: %d", code)
	}
	if code, _ := post("/_sim/versions/"+newV+"/state", `{"state":"WAITING_FOR_REVIEW"}`); code != 200 {
		t.Fatalf("state: %d", code)
	}
	if code, _ := post("/_sim/versions/"+newV+"/state", `{"state":"LIVE"}`); code != 400 {
		t.Fatalf("bad state: %d", code)
	}
	if code, _ := post("/_sim/versions/"+newV+"/start-review", ""); code != 200 {
		t.Fatalf("start-review: %d", code)
	}
	if code, _ := post("/_sim/versions/"+newV+"/reject", `{"state":"METADATA_REJECTED"}`); code != 200 {
		t.Fatalf("reject: %d", code)
	}
	if v, _ := h.srv.Version(newV); v.State != "METADATA_REJECTED" {
		t.Fatalf("version = %+v", v)
	}
	if code, _ := post("/_sim/faults", `{"Status":503,"PathPrefix":"/v1/apps","Count":1}`); code != 200 {
		t.Fatalf("faults: %d", code)
	}
	h.do("GET", "/v1/apps", nil).firstErr(t, 503, "SERVICE_UNAVAILABLE")
	if code, _ := post("/_sim/latency", `{"ms":0}`); code != 200 {
		t.Fatalf("latency: %d", code)
	}
	if code, _ := post("/_sim/tick", ""); code != 200 {
		t.Fatalf("tick: %d", code)
	}
	r, err := http.Get(h.ts.URL + "/_sim/apps")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var apps []appSnapshot
	if err := json.NewDecoder(r.Body).Decode(&apps); err != nil || len(apps) != 2 || len(apps[0].Builds) != 5 {
		t.Fatalf("apps snapshot: %v %+v", err, apps)
	}
	for _, l := range h.srv.Requests() {
		if strings.HasPrefix(l.Path, "/_sim/") {
			t.Fatalf("control requests must not be logged: %+v", l)
		}
	}
	// Without ControlAPI the paths are ordinary (unauthenticated → 401).
	plain := newHarness(t)
	res, err := http.Post(plain.ts.URL+"/_sim/tick", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("control API disabled: %d", res.StatusCode)
	}
}

func BenchmarkGetApp(b *testing.B) {
	kid, iss, key := NewTestKey()
	srv := New(Options{Keys: map[string]*ecdsa.PublicKey{kid: &key.PublicKey}, IssuerID: iss, HourlyLimit: 1 << 30})
	defer srv.Close()
	d := srv.SeedDemo()
	tok := "Bearer " + SignTestToken(kid, iss, key, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/v1/apps/"+d.AppID+"?include=appStoreVersions,reviewSubmissions,builds&limit[builds]=5", nil)
		req.Header.Set("Authorization", tok)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

func TestQueryRulesOverHTTP(t *testing.T) {
	h := newHarness(t).seed()
	e := h.do("GET", "/v1/reviewSubmissions?filter[platform]=IOS", nil).firstErr(t, 400, "PARAMETER_ERROR.REQUIRED")
	if parameter(e) != "filter[app]" {
		t.Fatalf("error = %v", e)
	}
	e = h.do("GET", "/v1/apps?limit=201", nil).firstErr(t, 400, "PARAMETER_ERROR.INVALID")
	if parameter(e) != "limit" {
		t.Fatalf("error = %v", e)
	}
	e = h.do("GET", "/v1/apps/"+h.demo.AppID+"?include=builds&limit[builds]=51", nil).firstErr(t, 400, "PARAMETER_ERROR.INVALID")
	if parameter(e) != "limit[builds]" {
		t.Fatalf("error = %v", e)
	}
	e = h.do("GET", "/v1/appStoreVersions/"+h.demo.NewVersionID+"?include=appStoreVersionLocalizations.appScreenshotSets", nil).firstErr(t, 400, "PARAMETER_ERROR.INVALID")
	if e["detail"] != "'appStoreVersionLocalizations.appScreenshotSets' is not a valid relationship name" {
		t.Fatalf("error = %v", e)
	}
	h.do("GET", "/v1/reviewSubmissions?filter[app]="+h.demo.AppID, nil).must(t, 200)
}

// checkLoggedWriter records how many requests the simulator had logged when
// the response started.
type checkLoggedWriter struct {
	*httptest.ResponseRecorder
	srv     *Server
	started bool
	logged  int
}

func (w *checkLoggedWriter) start() {
	if !w.started {
		w.started = true
		w.logged = len(w.srv.Requests())
	}
}

func (w *checkLoggedWriter) WriteHeader(code int) {
	w.start()
	w.ResponseRecorder.WriteHeader(code)
}

func (w *checkLoggedWriter) Write(b []byte) (int, error) {
	w.start()
	return w.ResponseRecorder.Write(b)
}

// A request is in the log before any byte of its response leaves the
// simulator, so a client counting requests after its last response never
// misses one (TestConcurrentRequests was flaky while the log came after).
func TestRequestLoggedBeforeResponse(t *testing.T) {
	t.Parallel()
	h := newHarness(t).seed()
	for _, tc := range []struct{ name, path, auth string }{
		{"ok", "/v1/apps/" + h.demo.AppID, "Bearer " + h.token()},
		{"unauthorized", "/v1/apps/" + h.demo.AppID, ""},
		{"not found", "/v1/apps/nope", "Bearer " + h.token()},
	} {
		h.srv.ResetRequests()
		r := httptest.NewRequest("GET", tc.path, nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := &checkLoggedWriter{ResponseRecorder: httptest.NewRecorder(), srv: h.srv}
		h.srv.ServeHTTP(w, r)
		if w.logged != 1 {
			t.Errorf("%s: %d requests logged when the response started, want 1", tc.name, w.logged)
		}
	}
}
