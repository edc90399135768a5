package slackui

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/slacksim"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var goldenNow = time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// golden compares v, marshalled as indented JSON, with testdata/name.json.
func golden(t *testing.T, name string, v any) []byte {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshalling %s: %v", name, err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s; run `go test ./internal/slackui -update` if the change is intended\n got: %s", name, path, got)
	}
	return got
}

func fixtureView(state asc.AppVersionState) *release.VersionView {
	up := goldenNow.Add(-2 * time.Hour)
	b4 := asc.Build{ID: "b4", Version: "4", MarketingVersion: "1.1.0", ProcessingState: asc.BuildValid, UploadedDate: &up, UsesNonExemptEncryption: ptr(false)}
	b3 := asc.Build{ID: "b3", Version: "3", MarketingVersion: "1.1.0", ProcessingState: asc.BuildValid, UploadedDate: ptr(goldenNow.Add(-26 * time.Hour))}
	b5 := asc.Build{ID: "b5", Version: "5", MarketingVersion: "1.1.0", ProcessingState: asc.BuildProcessing, UploadedDate: ptr(goldenNow.Add(-10 * time.Minute))}
	b2 := asc.Build{ID: "b2", Version: "2", MarketingVersion: "1.1.0", ProcessingState: asc.BuildFailed}
	v := &release.VersionView{
		App:     asc.App{ID: "1234567890", Name: "KotenOCR", BundleID: "jp.example.kotenocr", PrimaryLocale: "en-US"},
		AppCfg:  config.App{ID: "1234567890", Channel: "C0RELEASE", Approvers: []string{"S0RELEASE"}},
		Version: asc.AppStoreVersion{ID: "v110", Platform: asc.PlatformIOS, VersionString: "1.1.0", AppVersionState: state, ReleaseType: asc.ReleaseManual},
		Builds:  []asc.Build{b5, b4, b3, b2},
		Build:   &b4,
		Localizations: []asc.Localization{
			{ID: "l1", Locale: "en-US", WhatsNew: "Faster recognition of cursive kana."},
			{ID: "l2", Locale: "ja"},
		},
		FetchedAt: goldenNow,
	}
	return v
}

func TestRenderCardGolden(t *testing.T) {
	svcCfg := &config.Config{Approvers: []string{"S0RELEASE"}}
	_ = svcCfg
	tests := []struct {
		name string
		view func() *release.VersionView
		meta CardMeta
	}{
		{"card_prepare_missing_notes", func() *release.VersionView {
			v := fixtureView(asc.StatePrepareForSubmission)
			v.Preflight = release.Preflight{Checks: []release.Check{
				{Name: "build", OK: true, Detail: "build 4 valid"},
				{Name: "notes", Detail: "What's New missing for ja"},
				{Name: "compliance", OK: true, Detail: "export compliance answered"},
				{Name: "submission", OK: true, Detail: "no other submission in the way"},
			}}
			return v
		}, CardMeta{Rev: 3}},
		{"card_prepare_ready", func() *release.VersionView {
			v := fixtureView(asc.StatePrepareForSubmission)
			v.Localizations[1].WhatsNew = "筆記体のかなの認識が速くなりました。"
			v.Preflight = release.Preflight{Checks: []release.Check{
				{Name: "build", OK: true, Detail: "build 4 valid"},
				{Name: "notes", OK: true, Detail: "What's New set for 2 locales"},
				{Name: "compliance", OK: true, Detail: "export compliance answered"},
				{Name: "submission", OK: true, Detail: "no other submission in the way"},
				{Name: "iap", Warn: true, Detail: "1 in-app purchase ready to submit would be left out (Pro): attach it on the version's page"},
			}}
			return v
		}, CardMeta{Rev: 4, Sandbox: true}},
		{"card_waiting_for_review", func() *release.VersionView {
			v := fixtureView(asc.StateWaitingForReview)
			v.Localizations[1].WhatsNew = "筆記体のかなの認識が速くなりました。"
			v.Submission = &asc.ReviewSubmission{ID: "rs1", State: asc.SubmissionWaitingForReview, VersionID: "v110"}
			return v
		}, CardMeta{Rev: 5, SubmittedBy: "U0ANA"}},
		{"card_pending_release", func() *release.VersionView {
			v := fixtureView(asc.StatePendingDeveloperRelease)
			v.Localizations[1].WhatsNew = "筆記体"
			v.Phased = &asc.PhasedRelease{ID: "p1", State: asc.PhasedInactive}
			return v
		}, CardMeta{Rev: 7, SubmittedBy: "U0ANA", Approvers: []string{"S0RELEASE", "U0BOB"}}},
		{"card_processing_iap_left_out", func() *release.VersionView {
			v := fixtureView(asc.StateProcessingForDistribution)
			v.Localizations[1].WhatsNew = "筆記体"
			v.PendingIAPs = []asc.InAppPurchase{{ID: "iap1", Name: "OCR credits", State: asc.IAPReadyToSubmit}}
			return v
		}, CardMeta{Rev: 8, SubmittedBy: "U0ANA", ReleasedBy: "U0BOB"}},
		{"card_sandbox_open_approvals", func() *release.VersionView {
			v := fixtureView(asc.StatePendingDeveloperRelease)
			v.Localizations[1].WhatsNew = "筆記体"
			return v
		}, CardMeta{Rev: 7, SubmittedBy: "U0ANA", Sandbox: true, OpenApprovals: true}},
		{"card_rejected", func() *release.VersionView {
			v := fixtureView(asc.StateRejected)
			v.Localizations[1].WhatsNew = "筆記体"
			v.Submission = &asc.ReviewSubmission{ID: "rs1", State: asc.SubmissionUnresolvedIssues, VersionID: "v110"}
			v.SubmissionItems = []asc.ReviewSubmissionItem{{ID: "i1", State: asc.ItemRejected, Kind: "appStoreVersion", ResourceID: "v110"}}
			v.Preflight = release.Preflight{Checks: []release.Check{{Name: "build", OK: true, Detail: "build 4 valid"}}}
			return v
		}, CardMeta{Rev: 8, SubmittedBy: "U0ANA"}},
		{"card_phased_active", func() *release.VersionView {
			v := fixtureView(asc.StateReadyForDistribution)
			v.Localizations[1].WhatsNew = "筆記体"
			v.Phased = &asc.PhasedRelease{ID: "p1", State: asc.PhasedActive, CurrentDayNumber: 3, TotalPauseDuration: 2}
			return v
		}, CardMeta{Rev: 9, SubmittedBy: "U0ANA", ReleasedBy: "U0BOB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := RenderCard(tt.view(), tt.meta, goldenNow)
			raw := golden(t, tt.name, slack.Blocks{BlockSet: blocks})
			if err := slacksim.ValidateMessage("card", raw); err != nil {
				t.Errorf("the card breaks Slack's limits: %v", err)
			}
		})
	}
}

func TestRenderCardButtons(t *testing.T) {
	actions := func(blocks []slack.Block) []string {
		var ids []string
		for _, b := range blocks {
			if a, ok := b.(*slack.ActionBlock); ok {
				for _, e := range a.Elements.ElementSet {
					if btn, ok := e.(*slack.ButtonBlockElement); ok {
						ids = append(ids, btn.ActionID)
					}
				}
			}
		}
		return ids
	}
	ready := fixtureView(asc.StatePrepareForSubmission)
	ready.Preflight = release.Preflight{Checks: []release.Check{{OK: true}}}
	failing := fixtureView(asc.StatePrepareForSubmission)
	failing.Preflight = release.Preflight{Checks: []release.Check{{Detail: "no"}}}
	pending := fixtureView(asc.StatePendingDeveloperRelease)
	auto := fixtureView(asc.StatePendingDeveloperRelease)
	auto.Version.ReleaseType = asc.ReleaseAfterApproval
	tests := []struct {
		name string
		v    *release.VersionView
		want string
	}{
		{"preflight passes: builds, notes, submit", ready, "attach_build_b4 attach_build_b3 open_notes release_options submit refresh"},
		{"preflight fails: no submit", failing, "attach_build_b4 attach_build_b3 open_notes release_options refresh"},
		{"manual pending: release", pending, "release refresh"},
		{"after approval: no release button", auto, "refresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(actions(RenderCard(tt.v, CardMeta{Rev: 1}, goldenNow)), " ")
			if got != tt.want {
				t.Errorf("buttons = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderNotesModalGolden(t *testing.T) {
	v := fixtureView(asc.StatePrepareForSubmission)
	v.Build.UsesNonExemptEncryption = nil
	prev := map[string]string{"ja": "前のバージョンの新機能"}
	long := strings.Repeat("あ", 3500)
	draft := map[string]string{"en-US": long}
	raw := golden(t, "modal_notes", RenderNotesModal(v, prev, draft, true, "C0RELEASE"))
	if err := slacksim.ValidateView(raw); err != nil {
		t.Errorf("the modal breaks Slack's limits: %v", err)
	}
}

func TestRenderHelpGolden(t *testing.T) {
	raw := golden(t, "help", slack.Blocks{BlockSet: RenderHelp()})
	if err := slacksim.ValidateMessage("help", raw); err != nil {
		t.Errorf("help breaks Slack's limits: %v", err)
	}
}

func TestPhasedLine(t *testing.T) {
	tests := []struct {
		p    asc.PhasedRelease
		want string
	}{
		{asc.PhasedRelease{State: asc.PhasedActive, CurrentDayNumber: 1}, "Phased release day 1 of 7 · 1 % of users · paused 0 of 30 days"},
		{asc.PhasedRelease{State: asc.PhasedActive, CurrentDayNumber: 6, TotalPauseDuration: 3}, "Phased release day 6 of 7 · 50 % of users · paused 3 of 30 days"},
		{asc.PhasedRelease{State: asc.PhasedPaused, CurrentDayNumber: 4, TotalPauseDuration: 12}, "⏸ Paused · Phased release day 4 of 7 · 10 % of users · paused 12 of 30 days"},
		{asc.PhasedRelease{State: asc.PhasedComplete}, "Phased release complete: 100 % of users"},
	}
	for _, tt := range tests {
		if got := PhasedLine(&tt.p); got != tt.want {
			t.Errorf("PhasedLine(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// TestRenderManyLocalesWithinLimits renders the modal for an app with 39
// locales (the App Store's count) and checks it stays within Slack's limits.
func TestRenderManyLocalesWithinLimits(t *testing.T) {
	v := fixtureView(asc.StatePrepareForSubmission)
	v.Localizations = nil
	for i := range 39 {
		v.Localizations = append(v.Localizations, asc.Localization{ID: "l", Locale: "xx-" + string(rune('A'+i%26)) + string(rune('A'+i/26)), WhatsNew: strings.Repeat("x", 3999)})
	}
	raw, err := json.Marshal(RenderNotesModal(v, nil, nil, true, "C1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := slacksim.ValidateView(raw); err != nil {
		t.Errorf("modal with 39 locales: %v", err)
	}
	for _, st := range []asc.AppVersionState{asc.StatePrepareForSubmission, asc.StatePendingDeveloperRelease, asc.StateRejected} {
		v.Version.AppVersionState = st
		raw, err := json.Marshal(RenderCard(v, CardMeta{Rev: 1}, goldenNow))
		if err != nil {
			t.Fatal(err)
		}
		if err := slacksim.ValidateMessage("card", raw); err != nil {
			t.Errorf("card with 39 locales in %s: %v", st, err)
		}
	}
}

// TestNotesModalDegradesPast100Blocks: with 49 locales two boxes each would
// be 101 blocks, over Slack's 100: the form keeps one box per locale (and
// the second where a text needs it), stays valid, and saves what it shows.
func TestNotesModalDegradesPast100Blocks(t *testing.T) {
	v := fixtureView(asc.StatePrepareForSubmission)
	v.Localizations = nil
	for i := range 49 {
		v.Localizations = append(v.Localizations, asc.Localization{ID: fmt.Sprint("l", i), Locale: fmt.Sprintf("x%02d", i), WhatsNew: "short"})
	}
	long := strings.Repeat("あ", 3500)
	v.Localizations[7].WhatsNew = long
	view := RenderNotesModal(v, nil, nil, true, "C1")
	raw, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	if err := slacksim.ValidateView(raw); err != nil {
		t.Fatalf("modal with 49 locales: %v", err)
	}
	if n := len(view.Blocks.BlockSet); n > 100 || n != 49+1+3 {
		t.Errorf("%d blocks, want one per locale, the long one's second, intro, same-for-all, compliance", n)
	}
	if !strings.Contains(string(raw), "49 locales, so one box each") {
		t.Error("the form does not say why there is one box per locale")
	}
	// Saving what the form shows keeps every text whole.
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}}
	for _, b := range view.Blocks.BlockSet {
		ib, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		if in, ok := ib.Element.(*slack.PlainTextInputBlockElement); ok {
			state.Values[ib.BlockID] = map[string]slack.BlockAction{inputText: {Value: in.InitialValue}}
		}
	}
	state.Values[blockEncryption] = map[string]slack.BlockAction{"answer": {SelectedOption: slack.OptionBlockObject{Value: "no"}}}
	in, errs, err := parseNotes(slack.View{PrivateMetadata: view.PrivateMetadata, State: state})
	if err != nil || len(errs) != 0 {
		t.Fatalf("parseNotes: %v %v", err, errs)
	}
	if len(in.Notes) != 49 || in.Notes["x07"] != long || in.Notes["x48"] != "short" {
		t.Errorf("saved %d locales; x07 %d runes, x48 %q", len(in.Notes), len([]rune(in.Notes["x07"])), in.Notes["x48"])
	}
}
