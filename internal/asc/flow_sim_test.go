package asc_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/testclock"
)

// simClient returns a client talking to a fresh, seeded simulator.
func simClient(t *testing.T, opts ...asc.Option) (*asc.Client, *ascsim.Server, ascsim.DemoIDs) {
	t.Helper()
	kid, iss, key := ascsim.NewTestKey()
	sim := ascsim.New(ascsim.Options{Keys: map[string]*ecdsa.PublicKey{kid: &key.PublicKey}, IssuerID: iss})
	t.Cleanup(sim.Close)
	ids := sim.SeedDemo()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	opts = append([]asc.Option{asc.WithBaseURL(srv.URL), asc.WithRetryPolicy(asc.RetryPolicy{MaxAttempts: 4, MaxWait: 5 * time.Second, BaseDelay: 10 * time.Millisecond})}, opts...)
	c, err := asc.NewClient(asc.Credentials{KeyID: kid, IssuerID: iss, PrivateKey: key}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, sim, ids
}

// TestUpdateFlowThroughClientAgainstSimulator walks the update flow a team
// runs by hand, through the client, against the simulator: build processed
// → attach build → export compliance → What's New per locale → review
// submission (create, add the version, submit) → release when approved →
// available in every territory.
func TestUpdateFlowThroughClientAgainstSimulator(t *testing.T) {
	c, sim, ids := simClient(t)
	ctx := t.Context()

	apps, _, err := c.Apps.Find(ctx, "kotenocr")
	if err != nil || len(apps) != 1 || apps[0].ID != ids.AppID {
		t.Fatalf("Find(kotenocr) = %v, %v", apps, err)
	}
	v, _, err := c.Versions.Find(ctx, ids.AppID, "1.1.0", asc.PlatformIOS)
	if err != nil || v.ID != ids.NewVersionID || v.State() != asc.StatePrepareForSubmission {
		t.Fatalf("Versions.Find = %+v, %v", v, err)
	}
	builds, _, err := c.Builds.List(ctx, asc.BuildListOptions{AppID: ids.AppID, MarketingVersion: "1.1.0", Platform: asc.PlatformIOS})
	if err != nil {
		t.Fatal(err)
	}
	var newest *asc.Build
	for i := range builds {
		if builds[i].ProcessingState == asc.BuildValid {
			newest = &builds[i]
			break
		}
	}
	if newest == nil || newest.ID != ids.Build4ID || newest.MarketingVersion != "1.1.0" {
		t.Fatalf("newest valid build = %+v", newest)
	}
	if _, err := c.Versions.AttachBuild(ctx, v.ID, newest.ID); err != nil {
		t.Fatal(err)
	}
	if b, _, err := c.Versions.Build(ctx, v.ID); err != nil || b == nil || b.ID != newest.ID {
		t.Fatalf("attached build = %+v, %v", b, err)
	}
	if _, _, err := c.Builds.SetUsesNonExemptEncryption(ctx, newest.ID, false); err != nil {
		t.Fatal(err)
	}
	// Apple refuses a second answer with 409; the same value counts as success.
	if _, _, err := c.Builds.SetUsesNonExemptEncryption(ctx, newest.ID, false); err != nil {
		t.Fatalf("repeating the same answer: %v", err)
	}
	if _, _, err := c.Builds.SetUsesNonExemptEncryption(ctx, newest.ID, true); !asc.IsConflict(err) {
		t.Fatalf("changing the answer = %v, want a 409", err)
	}

	// Submitting without What's New is refused with Apple's STATE_ERROR.
	sub, _, err := c.Submissions.Create(ctx, ids.AppID, asc.PlatformIOS)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Submissions.AddVersion(ctx, sub.ID, v.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Submissions.Submit(ctx, sub.ID)
	var apiErr *asc.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 409 || !apiErr.HasCode("STATE_ERROR") {
		t.Fatalf("submit without notes = %v, want 409 STATE_ERROR", err)
	}
	// A second open submission for the same app and platform is refused.
	if _, _, err := c.Submissions.Create(ctx, ids.AppID, asc.PlatformIOS); !asc.IsConflict(err) {
		t.Fatalf("second submission = %v, want 409", err)
	}

	locs, _, err := c.Localizations.List(ctx, v.ID)
	if err != nil || len(locs) != 2 {
		t.Fatalf("localizations = %v, %v", locs, err)
	}
	for _, l := range locs {
		if _, _, err := c.Localizations.SetWhatsNew(ctx, l.ID, "What's new in "+l.Locale); err != nil {
			t.Fatal(err)
		}
	}
	tooLong := make([]rune, 4001)
	for i := range tooLong {
		tooLong[i] = 'x'
	}
	if _, _, err := c.Localizations.SetWhatsNew(ctx, locs[0].ID, string(tooLong)); !asc.IsConflict(err) {
		t.Fatalf("4001 characters = %v, want 409", err)
	}
	open, _, err := c.Submissions.ListOpen(ctx, ids.AppID, asc.PlatformIOS)
	if err != nil || len(open) != 1 || open[0].ID != sub.ID {
		t.Fatalf("open submissions = %+v, %v", open, err)
	}
	submitted, _, err := c.Submissions.Submit(ctx, sub.ID)
	if err != nil || submitted.State != asc.SubmissionWaitingForReview {
		t.Fatalf("submit = %+v, %v", submitted, err)
	}
	if got, _, _ := c.Versions.Get(ctx, v.ID); got.State() != asc.StateWaitingForReview {
		t.Fatalf("after submit the version is %s", got.State())
	}
	items, _, err := c.Submissions.Items(ctx, sub.ID)
	if err != nil || len(items) != 1 || items[0].VersionID() != v.ID {
		t.Fatalf("items = %+v, %v", items, err)
	}

	// Release is refused before approval.
	if _, _, err := c.Releases.Release(ctx, v.ID); !asc.IsConflict(err) {
		t.Fatalf("release before approval = %v, want 409", err)
	}
	if err := sim.StartReview(v.ID); err != nil {
		t.Fatal(err)
	}
	if err := sim.Approve(v.ID); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := c.Versions.Get(ctx, v.ID); got.State() != asc.StatePendingDeveloperRelease || got.AppStoreState != "PENDING_DEVELOPER_RELEASE" {
		t.Fatalf("after approval: %s / %s", got.State(), got.AppStoreState)
	}
	if _, _, err := c.Releases.Release(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Releases.Release(ctx, v.ID); !asc.IsConflict(err) {
		t.Fatalf("second release = %v, want 409", err)
	}
	if err := sim.Distribute(v.ID); err != nil {
		t.Fatal(err)
	}
	got, _, err := c.Versions.Get(ctx, v.ID)
	if err != nil || got.State() != asc.StateReadyForDistribution || got.AppStoreState != "READY_FOR_SALE" {
		t.Fatalf("live: %+v, %v", got, err)
	}

	territories, _, err := c.Availability.Territories(ctx)
	if err != nil || len(territories) < 200 {
		t.Fatalf("territories = %d, %v (paging across pages of 200)", len(territories), err)
	}
	if _, err := c.Availability.MakeAvailableEverywhere(ctx, ids.AppID, territories); err != nil {
		t.Fatal(err)
	}
	av, ok := sim.Availability(ids.AppID)
	if !ok || !av.AvailableInNewTerritories || len(av.Available) != len(territories) {
		t.Fatalf("availability = %d of %d, new=%v", len(av.Available), len(territories), av.AvailableInNewTerritories)
	}
	read, _, err := c.Availability.Get(ctx, ids.AppID)
	if err != nil || len(read.Territories) != len(territories) {
		t.Fatalf("Availability.Get = %d territories, %v", len(read.Territories), err)
	}
}

func TestClientErrorPathsAgainstSimulator(t *testing.T) {
	t.Run("401 with a key the simulator does not know", func(t *testing.T) {
		_, _, key := ascsim.NewTestKey()
		_, sim, _ := simClient(t)
		srv := httptest.NewServer(sim)
		defer srv.Close()
		c, err := asc.NewClient(asc.Credentials{KeyID: "OTHERKEY12", IssuerID: "57246542-96fe-1a63-e053-0824d011072a", PrivateKey: key}, asc.WithBaseURL(srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Apps.List(t.Context())
		var apiErr *asc.APIError
		if !asc.IsUnauthorized(err) || !errors.As(err, &apiErr) || !apiErr.HasCode("NOT_AUTHORIZED") {
			t.Fatalf("err = %v, want 401 NOT_AUTHORIZED", err)
		}
	})
	t.Run("404 for an unknown version", func(t *testing.T) {
		c, _, _ := simClient(t)
		if _, _, err := c.Versions.Get(t.Context(), "no-such-version"); !errors.Is(err, asc.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("409 attaching a build of another version", func(t *testing.T) {
		c, _, ids := simClient(t)
		_, err := c.Versions.AttachBuild(t.Context(), ids.NewVersionID, ids.LiveBuildID)
		if !asc.IsConflict(err) {
			t.Fatalf("err = %v, want 409", err)
		}
	})
	t.Run("409 attaching a build still processing", func(t *testing.T) {
		c, _, ids := simClient(t)
		if _, err := c.Versions.AttachBuild(t.Context(), ids.NewVersionID, ids.Build5ID); !asc.IsConflict(err) {
			t.Fatalf("err = %v, want 409", err)
		}
	})
	t.Run("429 with Retry-After, then success", func(t *testing.T) {
		var waits []int
		c, sim, _ := simClient(t, asc.WithObserver(func(i asc.RequestInfo) { waits = append(waits, i.Status) }))
		sim.InjectFault(ascsim.Fault{Method: http.MethodGet, PathPrefix: "/v1/apps", Status: 429, RetryAfter: time.Second, Count: 1, Code: "RATE_LIMIT_EXCEEDED"})
		start := time.Now()
		apps, resp, err := c.Apps.List(t.Context())
		if err != nil || len(apps) != 2 {
			t.Fatalf("List = %v, %v", apps, err)
		}
		if time.Since(start) < 900*time.Millisecond {
			t.Errorf("retried after %v, before Retry-After", time.Since(start))
		}
		if len(waits) != 2 || waits[0] != 429 || waits[1] != 200 {
			t.Errorf("attempts = %v, want [429 200]", waits)
		}
		if rem, ok := resp.RateLimit.HourRemaining(); !ok || rem <= 0 {
			t.Errorf("X-Rate-Limit not exposed: %+v", resp.RateLimit)
		}
	})
	t.Run("429 beyond the wait budget is returned typed", func(t *testing.T) {
		c, sim, _ := simClient(t, asc.WithRetryPolicy(asc.RetryPolicy{MaxAttempts: 4, MaxWait: 100 * time.Millisecond, BaseDelay: 10 * time.Millisecond}))
		sim.InjectFault(ascsim.Fault{Method: http.MethodGet, PathPrefix: "/v1/apps", Status: 429, RetryAfter: 30 * time.Second, Count: 1, Code: "RATE_LIMIT_EXCEEDED"})
		_, _, err := c.Apps.List(t.Context())
		var apiErr *asc.APIError
		if !asc.IsRateLimited(err) || !errors.As(err, &apiErr) || apiErr.RetryAfter != 30*time.Second {
			t.Fatalf("err = %v, want 429 with RetryAfter 30s", err)
		}
	})
	t.Run("5xx then success on a GET; a POST is not retried on 500", func(t *testing.T) {
		c, sim, ids := simClient(t)
		sim.InjectFault(ascsim.Fault{Method: http.MethodGet, PathPrefix: "/v1/apps", Status: 500, Count: 2})
		if _, _, err := c.Apps.List(t.Context()); err != nil {
			t.Fatalf("GET after two 500s: %v", err)
		}
		sim.InjectFault(ascsim.Fault{Method: http.MethodPost, PathPrefix: "/v1/reviewSubmissions", Status: 500, Count: 1})
		if _, _, err := c.Submissions.Create(t.Context(), ids.AppID, asc.PlatformIOS); err == nil {
			t.Fatal("a POST answered 500 was retried into success")
		}
	})
	t.Run("paging across pages", func(t *testing.T) {
		c, sim, _ := simClient(t)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		ts, _, err := c.Availability.Territories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(sim.Territories()); len(ts) != want || want <= 200 {
			t.Fatalf("got %d territories, want all %d (more than one page of 200)", len(ts), want)
		}
		pages := 0
		for _, r := range sim.Requests() {
			if r.Path == "/v1/territories" {
				pages++
			}
		}
		if pages < 2 {
			t.Errorf("%d requests for territories, want paging", pages)
		}
	})
}

// BenchmarkClientAgainstSimulator measures one client request end to end
// against the simulator (JWT verified, JSON:API rendered) while a shared
// fake clock advances one second per request: the token is signed about
// once per 19 minutes of clock, not once per request.
func BenchmarkClientAgainstSimulator(b *testing.B) {
	clk := testclock.New(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	clock := clk.Now
	kid, iss, key := ascsim.NewTestKey()
	sim := ascsim.New(ascsim.Options{Keys: map[string]*ecdsa.PublicKey{kid: &key.PublicKey}, IssuerID: iss, Clock: clock, HourlyLimit: 1 << 30})
	defer sim.Close()
	ids := sim.SeedDemo()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := asc.NewClient(asc.Credentials{KeyID: kid, IssuerID: iss, PrivateKey: key}, asc.WithBaseURL(srv.URL), asc.WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := c.Versions.Get(ctx, ids.NewVersionID); err != nil {
			b.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	b.StopTimer()
	// Signings happen at minute 0, 19, 38, …: signs ≈ 1 + clock-minutes/19.
	b.ReportMetric(float64(c.TokenSigns()), "signs")
	b.ReportMetric(float64(b.N)/60, "clock-minutes")
}
