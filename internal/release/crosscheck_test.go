package release_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/store"
)

// newSimService returns a release service on the App Store Connect
// simulator seeded with the demo apps.
func newSimService(t *testing.T) (*release.Service, *asc.Client, ascsim.DemoIDs) {
	t.Helper()
	kid, iss, key := ascsim.NewTestKey()
	sim := ascsim.New(ascsim.Options{Keys: map[string]*ecdsa.PublicKey{kid: &key.PublicKey}, IssuerID: iss})
	ids := sim.SeedDemo()
	ts := httptest.NewServer(sim)
	t.Cleanup(func() { ts.Close(); sim.Close() })
	client, err := asc.NewClient(asc.Credentials{KeyID: kid, IssuerID: iss, PrivateKey: key},
		asc.WithBaseURL(ts.URL), asc.WithRetryPolicy(asc.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "ascbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return release.New(release.Options{ASC: client, Store: st, Config: &config.Config{}}), client, ids
}

// An id in a button value that belongs to another app than the one named
// beside it is refused (notes modal, cancel and in-app purchase buttons),
// and nothing reaches App Store Connect's write endpoints.
func TestIDsInButtonValuesAreCheckedAgainstTheApp(t *testing.T) {
	t.Parallel()
	s, client, ids := newSimService(t)
	ctx := context.Background()
	other, err := s.App(ctx, ids.SecondAppID)
	if err != nil {
		t.Fatal(err)
	}
	sub, _, err := client.Submissions.Create(ctx, ids.AppID, asc.PlatformIOS)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
	}{
		{"notes of another app's version", func() error {
			_, err := s.SetNotes(ctx, "U1", ids.SecondAppID, ids.NewVersionID, map[string]string{"en-US": "forged"}, nil)
			return err
		}},
		{"card of another app's version", func() error { _, err := s.Load(ctx, ids.SecondAppID, ids.NewVersionID); return err }},
		{"cancel another app's submission", func() error { return s.CancelSubmission(ctx, "U1", other, sub.ID, 0) }},
		{"submit another app's in-app purchase", func() error { return s.SubmitIAP(ctx, "U1", other, ids.IAPReadyID) }},
	}
	for _, tt := range tests {
		err := tt.do()
		var refused *release.RefusedError
		if !errors.As(err, &refused) {
			t.Errorf("%s: err = %v, want a refusal", tt.name, err)
		}
	}
	v, _, err := client.Versions.Get(ctx, ids.NewVersionID)
	if err != nil {
		t.Fatal(err)
	}
	locs, _, err := client.Localizations.List(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locs {
		if l.WhatsNew == "forged" {
			t.Error("What's New of another app's version was written")
		}
	}
	if got, _, _ := client.Submissions.Get(ctx, sub.ID); got.State != asc.SubmissionReadyForReview {
		t.Errorf("submission state = %s, want it untouched", got.State)
	}
}
