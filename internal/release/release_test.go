package release

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/config"
)

func TestSnapshotRoundTrip(t *testing.T) {
	s := Snapshot{AppID: "123", VersionID: "v-1", State: "PREPARE_FOR_SUBMISSION", BuildID: "b4", SubmissionID: "", Rev: 7, Arg: "b3"}
	got, err := ParseSnapshot(s.Encode())
	if err != nil || got != s {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	if n := len(s.Encode()); n > 2000 {
		t.Errorf("encoded snapshot is %d characters; Slack allows 2000 in a button value", n)
	}
	for _, bad := range []string{"", "s1|a|v", "s2|a|v|S|b|s|1|x", "s1|a|v|S|b|s|x|y", "s1||v|S|b|s|1|", "s1|a||S|||1|g"} {
		if _, err := ParseSnapshot(bad); err == nil {
			t.Errorf("ParseSnapshot(%q) accepted", bad)
		}
	}
}

func TestValidateNotes(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		required bool
		bad      string
	}{
		{"4000 characters", strings.Repeat("x", 4000), true, ""},
		{"4001 characters", strings.Repeat("x", 4001), true, "4001 characters"},
		{"4000 kana count as characters, not bytes", strings.Repeat("あ", 4000), true, ""},
		{"empty on an update", "", true, "required"},
		{"empty where not required", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := ValidateNotes(map[string]string{"ja": tt.text}, tt.required)
			switch {
			case tt.bad == "" && len(bad) > 0:
				t.Errorf("refused: %v", bad)
			case tt.bad != "" && !strings.Contains(bad["ja"], tt.bad):
				t.Errorf("got %v, want a message with %q", bad, tt.bad)
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	yes, no := true, false
	valid := &asc.Build{ID: "b4", Version: "4", ProcessingState: asc.BuildValid, UsesNonExemptEncryption: &no}
	base := func() *VersionView {
		return &VersionView{
			Version:       asc.AppStoreVersion{AppVersionState: asc.StatePrepareForSubmission},
			Build:         valid,
			Localizations: []asc.Localization{{Locale: "en-US", WhatsNew: "x"}, {Locale: "ja", WhatsNew: "y"}},
		}
	}
	tests := []struct {
		name   string
		edit   func(v *VersionView)
		passes bool
		says   string
	}{
		{"ready", func(*VersionView) {}, true, "What's New set for 2 locales"},
		{"one locale", func(v *VersionView) { v.Localizations = v.Localizations[:1] }, true, "What's New set for 1 locale"},
		{"no build", func(v *VersionView) { v.Build = nil }, false, "no build attached"},
		{"build processing", func(v *VersionView) {
			b := *valid
			b.ProcessingState = asc.BuildProcessing
			v.Build = &b
		}, false, "build 4 is Processing"},
		{"a locale without notes", func(v *VersionView) { v.Localizations[1].WhatsNew = "" }, false, "What's New missing for ja"},
		{"a locale over 4000", func(v *VersionView) { v.Localizations[0].WhatsNew = strings.Repeat("x", 4001) }, false, "over 4000 characters for en-US"},
		{"first version needs no notes", func(v *VersionView) {
			v.FirstVersion = true
			v.Localizations[0].WhatsNew, v.Localizations[1].WhatsNew = "", ""
		}, true, "not needed on a first version"},
		{"compliance unanswered", func(v *VersionView) {
			b := *valid
			b.UsesNonExemptEncryption = nil
			v.Build = &b
		}, false, "export compliance not answered"},
		{"compliance from the config", func(v *VersionView) {
			b := *valid
			b.UsesNonExemptEncryption = nil
			v.Build = &b
			v.AppCfg.UsesNonExemptEncryption = &yes
		}, true, "export compliance answered"},
		{"another submission in the way", func(v *VersionView) {
			v.Blocking = &asc.ReviewSubmission{ID: "s", State: asc.SubmissionWaitingForReview}
		}, false, "another review submission is open (Waiting for Review)"},
		{"already waiting for review", func(v *VersionView) { v.Version.AppVersionState = asc.StateWaitingForReview }, false, "not awaiting submission"},
		{"rejected versions can be resubmitted", func(v *VersionView) { v.Version.AppVersionState = asc.StateRejected }, true, ""},
		{"the rejected build after a guideline rejection only warns", func(v *VersionView) {
			v.Version.AppVersionState, v.ReviewedBuildID = asc.StateRejected, "b4"
		}, true, "build 4 is the build App Review rejected"},
		{"the rejected build after an invalid binary blocks", func(v *VersionView) {
			v.Version.AppVersionState, v.ReviewedBuildID = asc.StateInvalidBinary, "b4"
		}, false, "build 4 was rejected as an invalid binary: attach a new build"},
		{"a metadata rejection keeps its build", func(v *VersionView) {
			v.Version.AppVersionState, v.ReviewedBuildID = asc.StateMetadataRejected, "b4"
		}, true, "build 4 valid"},
		{"a new build after a rejection", func(v *VersionView) {
			v.Version.AppVersionState, v.ReviewedBuildID = asc.StateInvalidBinary, "b3"
		}, true, "build 4 valid"},
		{"a submission still canceling", func(v *VersionView) {
			v.Blocking = &asc.ReviewSubmission{ID: "s", State: asc.SubmissionCanceling}
		}, false, "Apple is still cancelling the previous review submission"},
		{"IAPs left out only warn", func(v *VersionView) {
			v.PendingIAPs = []asc.InAppPurchase{{Name: "Pro", State: asc.IAPReadyToSubmit}}
		}, true, "1 in-app purchase ready to submit would be left out (Pro): attach it on the version's page"},
		{"two IAPs left out", func(v *VersionView) {
			v.PendingIAPs = []asc.InAppPurchase{{Name: "Pro", State: asc.IAPReadyToSubmit}, {Name: "Coins", State: asc.IAPReadyToSubmit}}
		}, true, "2 in-app purchases ready to submit would be left out (Pro and Coins): attach them on the version's page"},
	}
	s := &Service{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := base()
			tt.edit(v)
			p := s.preflight(v, nil)
			if p.Passed() != tt.passes {
				t.Errorf("Passed() = %v, want %v: %+v", p.Passed(), tt.passes, p.Checks)
			}
			if tt.says != "" {
				var all []string
				for _, c := range p.Checks {
					all = append(all, c.Detail)
				}
				if !strings.Contains(strings.Join(all, "\n"), tt.says) {
					t.Errorf("checks %q lack %q", all, tt.says)
				}
			}
		})
	}
}

func TestValidateReleaseOptions(t *testing.T) {
	t.Parallel()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 0, 30, 0, 0, time.UTC) // 09:30 in Tokyo
	at := func(s string) *time.Time {
		t, _ := time.ParseInLocation("2006-01-02 15:04", s, tokyo)
		u := t.UTC()
		return &u
	}
	tests := []struct {
		name  string
		o     ReleaseOptions
		first bool
		field string // "" = valid
		says  string
	}{
		{name: "manual", o: ReleaseOptions{Type: asc.ReleaseManual, Phased: true}},
		{name: "after approval", o: ReleaseOptions{Type: asc.ReleaseAfterApproval}},
		{name: "scheduled", o: ReleaseOptions{Type: asc.ReleaseScheduled, Earliest: at("2026-03-11 09:00")}},
		{name: "scheduled without a date", o: ReleaseOptions{Type: asc.ReleaseScheduled}, field: OptionDate, says: "Pick the date"},
		{name: "in the past", o: ReleaseOptions{Type: asc.ReleaseScheduled, Earliest: at("2026-03-10 09:00")}, field: OptionDate, says: "Tue 10 Mar 2026 09:00 JST is in the past (it is Tue 10 Mar 2026 09:30 JST now)"},
		{name: "off the hour", o: ReleaseOptions{Type: asc.ReleaseScheduled, Earliest: at("2026-03-11 09:15")}, field: OptionTime, says: "pick 09:00 or 10:00"},
		{name: "no type", o: ReleaseOptions{}, field: OptionType, says: "Choose"},
		{name: "phased on a first version", o: ReleaseOptions{Type: asc.ReleaseManual, Phased: true}, first: true, field: OptionPhased, says: "only for updates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := ValidateReleaseOptions(tt.o, tt.first, now, tokyo)
			if tt.field == "" {
				if len(bad) > 0 {
					t.Fatalf("refused: %v", bad)
				}
				return
			}
			if !strings.Contains(bad[tt.field], tt.says) {
				t.Fatalf("bad = %v, want %q on %s", bad, tt.says, tt.field)
			}
		})
	}
}

func TestCheckStale(t *testing.T) {
	v := &VersionView{Version: asc.AppStoreVersion{ID: "v", AppVersionState: asc.StatePrepareForSubmission}, Build: &asc.Build{ID: "b4", Version: "4"}}
	fresh := v.Snapshot(3)
	if err := checkStale(fresh, v); err != nil {
		t.Fatalf("a fresh snapshot is stale: %v", err)
	}
	old := fresh
	old.BuildID = "b3"
	var st *StaleError
	if err := checkStale(old, v); !errors.As(err, &st) || !strings.Contains(err.Error(), "build 4 is attached now") {
		t.Errorf("another build: %v", err)
	}
	old = fresh
	old.State = string(asc.StateDeveloperRejected)
	if err := checkStale(old, v); !errors.As(err, &st) || !strings.Contains(err.Error(), "now Prepare for Submission") {
		t.Errorf("another state: %v", err)
	}
}

func TestClosestApps(t *testing.T) {
	apps := []asc.App{{ID: "1", Name: "KotenOCR", BundleID: "jp.example.kotenocr"}, {ID: "2", Name: "Hanko Stamp", BundleID: "jp.example.hanko"}, {ID: "3", Name: "Weather", BundleID: "com.x.weather"}}
	tests := []struct{ q, want string }{
		{"KotenOCX", "KotenOCR"},
		{"hanko", "Hanko Stamp"},
		{"wether", "Weather"},
		{"zzzzzzzzzz", ""},
	}
	for _, tt := range tests {
		got := closestApps(tt.q, apps, 3)
		first := ""
		if len(got) > 0 {
			first = got[0].Name
		}
		if first != tt.want {
			t.Errorf("closestApps(%q) starts with %q, want %q", tt.q, first, tt.want)
		}
	}
}

type groups map[string][]string

func (g groups) GroupMembers(_ context.Context, id string) ([]string, error) {
	if m, ok := g[id]; ok {
		return m, nil
	}
	return nil, errors.New("no_such_subteam")
}

func TestAllowed(t *testing.T) {
	s := &Service{groups: groups{"S0REL": {"U0BOB"}}, cfg: &config.Config{Approvers: []string{"S0REL"}}}
	tests := []struct {
		name  string
		user  string
		ids   []string
		empty bool
		want  bool
	}{
		{"listed user", "U0ANA", []string{"U0ANA"}, false, true},
		{"member of a listed group", "U0BOB", []string{"S0REL"}, false, true},
		{"neither", "U0CAROL", []string{"U0ANA", "S0REL"}, false, false},
		{"empty list: anyone (submitters)", "U0CAROL", nil, true, true},
		{"empty list: nobody (approvers)", "U0CAROL", nil, false, false},
	}
	for _, tt := range tests {
		got, err := s.Allowed(t.Context(), tt.user, tt.ids, tt.empty)
		if err != nil || got != tt.want {
			t.Errorf("%s: Allowed = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if got := s.Approvers(config.App{}); len(got) != 1 || got[0] != "S0REL" {
		t.Errorf("an app naming no approvers gets %v, want the default", got)
	}
	if _, err := s.Allowed(t.Context(), "U1", []string{"S0GONE"}, false); err == nil {
		t.Error("a group Slack cannot resolve was treated as a refusal, not an error")
	}
}

// TestViewCacheKeepsRecentViewsOnly: a press may draw the card from the
// version's last view only while it is recent; expired views are dropped.
func TestViewCacheKeepsRecentViewsOnly(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	var c viewCache
	v1 := VersionView{Version: asc.AppStoreVersion{ID: "v1", VersionString: "1.1.0"}}
	c.put(v1, t0)
	if got, ok := c.get("v1", t0.Add(viewCacheTTL)); !ok || got.Version.VersionString != "1.1.0" {
		t.Fatalf("a view %v old was not kept", viewCacheTTL)
	}
	if _, ok := c.get("v1", t0.Add(viewCacheTTL+time.Second)); ok {
		t.Fatal("an expired view was returned")
	}
	c.put(VersionView{Version: asc.AppStoreVersion{ID: "v2"}}, t0.Add(viewCacheTTL+time.Second))
	if _, held := c.m["v1"]; held || len(c.m) != 1 {
		t.Fatalf("expired views are kept: %v", c.m)
	}
	// A read that began before the view held was stored (a poll racing a
	// press's write) does not replace it.
	c.put(VersionView{Version: asc.AppStoreVersion{ID: "v2", VersionString: "old read"}}, t0)
	if got, _ := c.get("v2", t0.Add(viewCacheTTL+2*time.Second)); got.Version.VersionString == "old read" {
		t.Fatal("an older read replaced a newer view")
	}
}
