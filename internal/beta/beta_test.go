package beta

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/release"
)

func TestViewRules(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	team := asc.BetaGroup{ID: "g1", Name: "Team", Internal: true}
	public := asc.BetaGroup{ID: "g2", Name: "Public"}
	view := func(in asc.InternalBetaState, ext asc.ExternalBetaState, groups ...asc.BetaGroup) *View {
		exp := now.Add(10 * 24 * time.Hour)
		return &View{Groups: []asc.BetaGroup{team, public}, Build: asc.BetaBuild{
			Build:  asc.Build{ID: "b", ProcessingState: asc.BuildValid, ExpirationDate: &exp},
			Detail: &asc.BuildBetaDetail{InternalState: in, ExternalState: ext}, Groups: groups}}
	}
	tests := []struct {
		name                     string
		v                        *View
		submit, teamOK, publicOK bool
	}{
		{"ready, no groups", view(asc.InternalReadyForBetaTesting, asc.ExternalReadyForBetaSubmission), true, false, false},
		{"internal testing", view(asc.InternalInBetaTesting, asc.ExternalReadyForBetaSubmission, team), true, true, false},
		{"in external group before review", view(asc.InternalInBetaTesting, asc.ExternalReadyForBetaSubmission, team, public), true, true, false},
		{"waiting for review", view(asc.InternalInBetaTesting, asc.ExternalWaitingForBetaReview, team, public), false, true, false},
		{"external testing", view(asc.InternalInBetaTesting, asc.ExternalInBetaTesting, team, public), false, true, true},
		{"missing compliance", view(asc.InternalMissingExportCompliance, asc.ExternalMissingExportCompliance, team), false, false, false},
		{"rejected", view(asc.InternalInBetaTesting, asc.ExternalBetaRejected, public), false, false, false},
	}
	for _, tt := range tests {
		if got := tt.v.CanSubmitForReview(); got != tt.submit {
			t.Errorf("%s: CanSubmitForReview = %v", tt.name, got)
		}
		if got := tt.v.Available(team); got != tt.teamOK {
			t.Errorf("%s: Available(team) = %v", tt.name, got)
		}
		if got := tt.v.Available(public); got != tt.publicOK {
			t.Errorf("%s: Available(public) = %v", tt.name, got)
		}
	}
	v := view(asc.InternalInBetaTesting, asc.ExternalReadyForBetaSubmission)
	if !v.ExpiresWithin(now, 10*24*time.Hour) || v.ExpiresWithin(now, 9*24*time.Hour) || v.ExpiresWithin(now.Add(11*24*time.Hour), ExpiryWarning) {
		t.Error("ExpiresWithin is wrong around the expiry date")
	}
	v.Build.Review = &asc.BetaReviewSubmission{State: asc.BetaReviewRejected}
	if v.CanSubmitForReview() {
		t.Error("a build with a review submission may be submitted again")
	}
	v.Build.Build.Expired = true
	if v.Usable() {
		t.Error("an expired build is usable")
	}
}

func TestValidateWhatToTest(t *testing.T) {
	t.Parallel()
	errs := ValidateWhatToTest(map[string]string{"en-US": strings.Repeat("a", 4000), "ja": strings.Repeat("あ", 4001), "fr": ""})
	if len(errs) != 1 || !strings.Contains(errs["ja"], "4001 characters") {
		t.Fatalf("errs = %v", errs)
	}
}

func TestCheckEmail(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ana@example.com", "ana@example.com"},
		{" <mailto:ana@example.com|ana@example.com> ", "ana@example.com"},
		{"Ana <ana@example.com>", ""},
		{"ana@localhost", ""},
		{"not-an-email", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := CheckEmail(tt.in)
		if got != tt.want || (tt.want == "") != errors.Is(err, ErrBadEmail) {
			t.Errorf("CheckEmail(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && strings.Contains(err.Error(), "ana@example.com") {
			t.Errorf("the error carries the full email: %v", err)
		}
	}
}

func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"a@b.co", "<mailto:a@b.co|a@b.co>", "@", "a@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CheckEmail(s)
		if err == nil && !strings.Contains(got, "@") {
			t.Fatalf("CheckEmail(%q) accepted %q", s, got)
		}
	})
}

func TestPreviousWhatToTest(t *testing.T) {
	t.Parallel()
	at := func(h int) *time.Time { x := time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC); return &x }
	cur := asc.Build{ID: "b5", UploadedDate: at(5)}
	recent := []asc.BetaBuild{
		{Build: asc.Build{ID: "b6", UploadedDate: at(6)}, Localizations: []asc.BetaBuildLocalization{{Locale: "en-US", WhatsNew: "newer"}}},
		{Build: cur, Localizations: []asc.BetaBuildLocalization{{Locale: "en-US", WhatsNew: "self"}}},
		{Build: asc.Build{ID: "b4", UploadedDate: at(4)}},
		{Build: asc.Build{ID: "b3", UploadedDate: at(3)}, Localizations: []asc.BetaBuildLocalization{{Locale: "en-US", WhatsNew: "older"}, {Locale: "ja", WhatsNew: "古い"}}},
	}
	got := previousWhatToTest(cur, recent)
	if got["en-US"] != "older" || got["ja"] != "古い" {
		t.Fatalf("previous = %v", got)
	}
}

func TestTestersDefaultToSubmitters(t *testing.T) {
	t.Parallel()
	if got := Testers(config.App{Submitters: []string{"U1"}}); len(got) != 1 || got[0] != "U1" {
		t.Errorf("empty testers: %v", got)
	}
	if got := Testers(config.App{Submitters: []string{"U1"}, Testers: []string{"S2"}}); len(got) != 1 || got[0] != "S2" {
		t.Errorf("testers set: %v", got)
	}
}

// TestCheckStale: a press is checked against what its button's snapshot
// showed; a group's menu option only against the state of that group's kind.
func TestCheckStale(t *testing.T) {
	t.Parallel()
	team := asc.BetaGroup{ID: "g1", Name: "Team", Internal: true}
	public := asc.BetaGroup{ID: "g2", Name: "Public"}
	view := func(in asc.InternalBetaState, ext asc.ExternalBetaState) *View {
		return &View{App: asc.App{ID: "a"}, Groups: []asc.BetaGroup{team, public}, Build: asc.BetaBuild{
			Build: asc.Build{ID: "b"}, Detail: &asc.BuildBetaDetail{InternalState: in, ExternalState: ext}}}
	}
	drawn := view(asc.InternalReadyForBetaTesting, asc.ExternalReadyForBetaSubmission)
	tests := []struct {
		name  string
		arg   string
		now   *View
		stale string // "" = not stale; else a word of the change
	}{
		{"unchanged", "", drawn, ""},
		{"external moved", "", view(asc.InternalReadyForBetaTesting, asc.ExternalWaitingForBetaReview), "external testing is now Waiting for Review"},
		{"internal moved", "", view(asc.InternalInBetaTesting, asc.ExternalReadyForBetaSubmission), "internal testing is now"},
		{"internal group, external moved", team.ID, view(asc.InternalReadyForBetaTesting, asc.ExternalWaitingForBetaReview), ""},
		{"internal group, internal moved", team.ID, view(asc.InternalExpired, asc.ExternalReadyForBetaSubmission), "internal testing is now"},
		{"external group, external moved", public.ID, view(asc.InternalReadyForBetaTesting, asc.ExternalInBetaReview), "external testing is now In Review"},
		{"another build", "", &View{App: asc.App{ID: "a"}, Build: asc.BetaBuild{Build: asc.Build{ID: "other"}}}, "not this build's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := drawn.Snapshot(3, tt.arg)
			if len(snap.Encode()) > 150 && tt.arg != "" {
				t.Errorf("option value %q is over Slack's 150 characters", snap.Encode())
			}
			err := checkStale(snap, tt.now)
			var st *release.StaleError
			switch {
			case tt.stale == "" && err != nil:
				t.Fatalf("stale: %v", err)
			case tt.stale != "" && (!errors.As(err, &st) || !strings.Contains(err.Error(), tt.stale)):
				t.Fatalf("err = %v, want a StaleError saying %q", err, tt.stale)
			}
		})
	}
}
