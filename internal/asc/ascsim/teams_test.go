package ascsim

import (
	"crypto/ecdsa"
	"strings"
	"testing"
)

// teamHarness is a harness whose simulator also serves team "b" with its
// own key and one app, beside the default team's demo apps.
type teamHarness struct {
	*harness
	bKid, bIss string
	bKey       *ecdsa.PrivateKey
	bApp       string
	bVersion   string
	bBuild     string
}

func newTeamHarness(t *testing.T) *teamHarness {
	t.Helper()
	bKid, bIss, bKey := NewTestKey()
	h := newHarness(t, func(o *Options) {
		o.Teams = []Team{{Name: "b", IssuerID: bIss, Keys: map[string]*ecdsa.PublicKey{bKid: &bKey.PublicKey}}}
	}).seed()
	th := &teamHarness{harness: h, bKid: bKid, bIss: bIss, bKey: bKey}
	th.bApp = h.srv.AddApp(App{Name: "Client B", BundleID: "com.clientb.app", Team: "b"})
	th.bBuild = h.srv.AddBuild(th.bApp, BuildSeed{Version: "7", MarketingVersion: "2.0"})
	th.bVersion = h.srv.AddVersion(th.bApp, VersionSeed{VersionString: "2.0"})
	return th
}

// as runs fn with requests signed by team b's key.
func (th *teamHarness) as(fn func()) {
	kid, iss, key := th.kid, th.iss, th.key
	th.kid, th.iss, th.key = th.bKid, th.bIss, th.bKey
	defer func() { th.kid, th.iss, th.key = kid, iss, key }()
	fn()
}

func ids(t *testing.T, r *resp) []string {
	t.Helper()
	var out []string
	for _, o := range r.list(t) {
		out = append(out, o["id"].(string))
	}
	return out
}

func TestTeamsSeeOnlyTheirApps(t *testing.T) {
	t.Parallel()
	th := newTeamHarness(t)
	d := th.demo

	got := ids(t, th.do("GET", "/v1/apps", nil).must(t, 200))
	if strings.Join(got, ",") != d.AppID+","+d.SecondAppID {
		t.Fatalf("default key lists %v, want the two demo apps only", got)
	}
	th.as(func() {
		got := ids(t, th.do("GET", "/v1/apps", nil).must(t, 200))
		if len(got) != 1 || got[0] != th.bApp {
			t.Fatalf("team b lists %v, want [%s]", got, th.bApp)
		}
		// Builds without a filter are the team's own too.
		for _, id := range ids(t, th.do("GET", "/v1/builds", nil).must(t, 200)) {
			if id != th.bBuild {
				t.Fatalf("team b lists build %s of another team", id)
			}
		}
	})
}

func TestTeamsAnotherTeamsResourceIsNotFound(t *testing.T) {
	t.Parallel()
	th := newTeamHarness(t)
	d := th.demo
	// Every way of naming the default team's resources with team b's key
	// answers exactly like a resource that does not exist.
	th.as(func() {
		for _, tc := range []struct{ path, typ, id string }{
			{"/v1/apps/" + d.AppID, "apps", d.AppID},
			{"/v1/apps/" + d.AppID + "/appStoreVersions", "apps", d.AppID},
			{"/v1/appStoreVersions/" + d.NewVersionID, "appStoreVersions", d.NewVersionID},
			{"/v1/builds/" + d.Build4ID, "builds", d.Build4ID},
			{"/v1/builds/" + d.Build4ID + "/buildBetaDetail", "builds", d.Build4ID},
		} {
			e := th.do("GET", tc.path, nil).firstErr(t, 404, "NOT_FOUND")
			if want := "There is no resource of type '" + tc.typ + "' with id '" + tc.id + "'"; e["detail"] != want {
				t.Errorf("GET %s detail = %v, want %q", tc.path, e["detail"], want)
			}
		}
		body := resource("appStoreVersions", d.NewVersionID, map[string]any{"releaseType": "AFTER_APPROVAL"}, nil)
		th.do("PATCH", "/v1/appStoreVersions/"+d.NewVersionID, body).firstErr(t, 404, "NOT_FOUND")

		sub := resource("reviewSubmissions", "", map[string]any{"platform": "IOS"}, map[string]any{"app": link("apps", d.AppID)})
		e := th.do("POST", "/v1/reviewSubmissions", sub).firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")
		if pointer(e) != "/data/relationships/app" {
			t.Errorf("pointer = %q", pointer(e))
		}
		rr := resource("appStoreVersionReleaseRequests", "", nil, map[string]any{"appStoreVersion": link("appStoreVersions", d.NewVersionID)})
		th.do("POST", "/v1/appStoreVersionReleaseRequests", rr).firstErr(t, 409, "ENTITY_ERROR.RELATIONSHIP.INVALID")

		// Its own app is served.
		th.do("GET", "/v1/apps/"+th.bApp, nil).must(t, 200)
		th.do("GET", "/v1/appStoreVersions/"+th.bVersion, nil).must(t, 200)
	})
	// And the other way round.
	th.do("GET", "/v1/apps/"+th.bApp, nil).firstErr(t, 404, "NOT_FOUND")
	th.do("GET", "/v1/builds/"+th.bBuild, nil).firstErr(t, 404, "NOT_FOUND")
	// A filter on another team's app lists nothing of it.
	if got := ids(t, th.do("GET", "/v1/builds?filter[app]="+th.bApp, nil).must(t, 200)); len(got) != 0 {
		t.Fatalf("default key sees team b's builds %v", got)
	}
}

func TestTeamsWrongIssuerAndRevokedKey(t *testing.T) {
	t.Parallel()
	th := newTeamHarness(t)
	// Team b's key with the default team's issuer is refused.
	kid, iss, key := th.kid, th.iss, th.key
	th.kid, th.key = th.bKid, th.bKey
	th.do("GET", "/v1/apps", nil).firstErr(t, 401, "NOT_AUTHORIZED")
	th.kid, th.iss, th.key = kid, iss, key

	// Revoking b's key: every request of b is 401, the default key works on.
	th.srv.RevokeKey(th.bKid)
	th.as(func() {
		th.do("GET", "/v1/apps", nil).firstErr(t, 401, "NOT_AUTHORIZED")
		th.do("GET", "/v1/apps/"+th.bApp, nil).firstErr(t, 401, "NOT_AUTHORIZED")
	})
	th.do("GET", "/v1/apps", nil).must(t, 200)
}

func TestTeamsRateLimitIsPerKey(t *testing.T) {
	t.Parallel()
	bKid, bIss, bKey := NewTestKey()
	h := newHarness(t, func(o *Options) {
		o.HourlyLimit = 3
		o.Teams = []Team{{Name: "b", IssuerID: bIss, Keys: map[string]*ecdsa.PublicKey{bKid: &bKey.PublicKey}}}
	})
	for range 3 {
		h.do("GET", "/v1/apps", nil).must(t, 200)
	}
	h.do("GET", "/v1/apps", nil).firstErr(t, 429, "RATE_LIMIT_EXCEEDED")
	h.kid, h.iss, h.key = bKid, bIss, bKey
	r := h.do("GET", "/v1/apps", nil).must(t, 200)
	if got := r.header.Get("X-Rate-Limit"); !strings.Contains(got, "user-hour-rem:2;") {
		t.Fatalf("team b's X-Rate-Limit = %q, want its own budget (2 left)", got)
	}
}
