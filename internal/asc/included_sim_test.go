package asc_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/asc"
)

// TestCompoundReadsAgainstSimulator: each compound read is one request whose
// included resources decode into typed values that agree with the
// single-resource reads.
func TestCompoundReadsAgainstSimulator(t *testing.T) {
	t.Parallel()
	c, sim, ids := simClient(t)
	ctx := t.Context()
	if _, err := c.Versions.AttachBuild(ctx, ids.NewVersionID, ids.Build4ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Builds.SetUsesNonExemptEncryption(ctx, ids.Build4ID, false); err != nil {
		t.Fatal(err)
	}
	locs, _, err := c.Localizations.List(ctx, ids.NewVersionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locs {
		if _, _, err := c.Localizations.SetWhatsNew(ctx, l.ID, "Faster ("+l.Locale+")"); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("GetDetail", func(t *testing.T) {
		sim.ResetRequests()
		d, _, err := c.Versions.GetDetail(ctx, ids.NewVersionID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(sim.Requests()); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
		q, _ := url.ParseQuery(sim.Requests()[0].Query)
		if got := q.Get("include"); got != "app,build,appStoreVersionLocalizations,appStoreVersionPhasedRelease" {
			t.Errorf("include = %q", got)
		}
		if d.Version.ID != ids.NewVersionID || d.Version.VersionString != "1.1.0" || d.Version.AppID != ids.AppID || d.Version.BuildID != ids.Build4ID {
			t.Errorf("version = %+v", d.Version)
		}
		if d.Build == nil || d.Build.ID != ids.Build4ID || d.Build.Version != "4" || d.Build.ProcessingState != asc.BuildValid {
			t.Errorf("build = %+v", d.Build)
		}
		var got []string
		for _, l := range d.Localizations {
			got = append(got, l.Locale+"="+l.WhatsNew)
			if l.VersionID != ids.NewVersionID || l.ID == "" {
				t.Errorf("localization %+v", l)
			}
		}
		slices.Sort(got)
		if strings.Join(got, ";") != "en-US=Faster (en-US);ja=Faster (ja)" || !d.LocalizationsComplete {
			t.Errorf("localizations = %v (complete %v)", got, d.LocalizationsComplete)
		}
		if d.Phased != nil {
			t.Errorf("phased = %+v, want none", d.Phased)
		}
	})

	t.Run("FindDetail", func(t *testing.T) {
		d, _, err := c.Versions.FindDetail(ctx, ids.AppID, "1.1.0", asc.PlatformIOS)
		if err != nil {
			t.Fatal(err)
		}
		if d.Version.ID != ids.NewVersionID || d.Build == nil || d.Build.ID != ids.Build4ID || len(d.Localizations) != 2 {
			t.Errorf("detail = %+v", d)
		}
		_, _, err = c.Versions.FindDetail(ctx, ids.AppID, "9.9.9", asc.PlatformIOS)
		if !errors.Is(err, asc.ErrNotFound) {
			t.Errorf("unknown version: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("ListDetail", func(t *testing.T) {
		sim.ResetRequests()
		ds, _, err := c.Versions.ListDetail(ctx, ids.AppID, asc.PlatformIOS)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(sim.Requests()); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
		if len(ds) != 2 || ds[0].Version.ID != ids.NewVersionID || ds[1].Version.ID != ids.LiveVersionID {
			t.Fatalf("versions = %+v", ds)
		}
		if ds[0].Build == nil || ds[0].Build.ID != ids.Build4ID || ds[1].Build == nil || ds[1].Build.ID != ids.LiveBuildID {
			t.Errorf("builds = %+v / %+v", ds[0].Build, ds[1].Build)
		}
		if ds[0].Localizations != nil {
			t.Errorf("localizations were not asked for: %+v", ds[0].Localizations)
		}
	})

	t.Run("Overview", func(t *testing.T) {
		sim.ResetRequests()
		o, _, err := c.Apps.Overview(ctx, ids.AppID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(sim.Requests()); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
		if o.App.Name != "KotenOCR" || !o.VersionsComplete || !o.IAPsComplete {
			t.Errorf("overview = %+v", o)
		}
		var vs []string
		for _, v := range o.Versions {
			vs = append(vs, v.VersionString+":"+string(v.State()))
		}
		if strings.Join(vs, ",") != "1.1.0:PREPARE_FOR_SUBMISSION,1.0.0:READY_FOR_DISTRIBUTION" {
			t.Errorf("versions = %v", vs)
		}
		want, _, err := c.IAP.List(ctx, ids.AppID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(o.IAPs, want) {
			t.Errorf("IAPs = %+v, want %+v", o.IAPs, want)
		}
	})

	t.Run("submission items included", func(t *testing.T) {
		sub, _, err := c.Submissions.Create(ctx, ids.AppID, asc.PlatformIOS)
		if err != nil {
			t.Fatal(err)
		}
		it, _, err := c.Submissions.AddVersion(ctx, sub.ID, ids.NewVersionID)
		if err != nil {
			t.Fatal(err)
		}
		sim.ResetRequests()
		open, _, err := c.Submissions.ListOpen(ctx, ids.AppID, asc.PlatformIOS)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(sim.Requests()); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
		if len(open) != 1 || !open[0].ItemsComplete || len(open[0].Items) != 1 {
			t.Fatalf("open = %+v", open)
		}
		if got := open[0].Items[0]; got.ID != it.ID || got.VersionID() != ids.NewVersionID || got.State != asc.ItemReadyForReview {
			t.Errorf("item = %+v", got)
		}
		one, _, err := c.Submissions.Get(ctx, sub.ID)
		if err != nil || len(one.Items) != 1 || one.Items[0].VersionID() != ids.NewVersionID {
			t.Errorf("Get = %+v, %v", one, err)
		}
		// A PATCH answer carries no included items: none are claimed.
		done, _, err := c.Submissions.Submit(ctx, sub.ID)
		if err != nil || done.ItemsComplete || done.Items != nil {
			t.Errorf("Submit = %+v, %v", done, err)
		}
	})
}
