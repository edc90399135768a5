package slackui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/beta"
	"github.com/ascbot/ascbot/internal/slacksim"
	"github.com/ascbot/ascbot/internal/store"
)

func fixtureBetaView() *beta.View {
	up := goldenNow.Add(-3 * time.Hour)
	exp := up.Add(90 * 24 * time.Hour)
	internal := asc.BetaGroup{ID: "g1", Name: "Team", Internal: true}
	external := asc.BetaGroup{ID: "g2", Name: "Public Beta"}
	return &beta.View{
		App: asc.App{ID: "1234567890", Name: "KotenOCR", PrimaryLocale: "en-US"},
		Build: asc.BetaBuild{
			Build: asc.Build{ID: "b5", Version: "5", MarketingVersion: "1.1.0", ProcessingState: asc.BuildValid,
				UploadedDate: &up, ExpirationDate: &exp, UsesNonExemptEncryption: ptr(false)},
			Detail:        &asc.BuildBetaDetail{ID: "b5", InternalState: asc.InternalInBetaTesting, ExternalState: asc.ExternalReadyForBetaSubmission},
			Groups:        []asc.BetaGroup{internal},
			Localizations: []asc.BetaBuildLocalization{{ID: "l1", Locale: "en-US", WhatsNew: "Try the scanner."}},
		},
		Groups:   []asc.BetaGroup{internal, external},
		Locales:  []string{"en-US", "ja"},
		Previous: map[string]string{"ja": "前のビルドのテスト内容"},
	}
}

func TestRenderTestFlightGolden(t *testing.T) {
	tests := []struct {
		name string
		view func() *beta.View
		meta TestFlightMeta
	}{
		{"testflight_internal_ready_to_submit", fixtureBetaView, TestFlightMeta{}},
		{"testflight_in_beta_review", func() *beta.View {
			v := fixtureBetaView()
			v.Build.Groups = v.Groups
			v.Build.Detail.ExternalState = asc.ExternalInBetaReview
			v.Build.Review = &asc.BetaReviewSubmission{ID: "r1", State: asc.BetaReviewInReview}
			return v
		}, TestFlightMeta{Sandbox: true}},
		{"testflight_pending", fixtureBetaView, TestFlightMeta{Pending: "⏳ Submitting for beta review…"}},
		{"testflight_expiring_missing_compliance", func() *beta.View {
			v := fixtureBetaView()
			old := goldenNow.Add(-85 * 24 * time.Hour)
			exp := old.Add(90 * 24 * time.Hour)
			v.Build.Build.UploadedDate, v.Build.Build.ExpirationDate = &old, &exp
			v.Build.Build.UsesNonExemptEncryption = nil
			v.Build.Groups = nil
			v.Build.Detail.InternalState, v.Build.Detail.ExternalState = asc.InternalMissingExportCompliance, asc.ExternalMissingExportCompliance
			return v
		}, TestFlightMeta{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := golden(t, tt.name, slack.Blocks{BlockSet: RenderTestFlightCard(tt.view(), tt.meta, goldenNow)})
			if err := slacksim.ValidateMessage("testflight", raw); err != nil {
				t.Errorf("the card breaks Slack's limits: %v", err)
			}
		})
	}
}

// TestTestFlightButtonsFollowApple: Submit for beta review only when Apple
// would take it; no group menus on an expired build.
func TestTestFlightButtonsFollowApple(t *testing.T) {
	t.Parallel()
	ids := func(v *beta.View) map[string]bool {
		out := map[string]bool{}
		raw := mustJSON(t, slack.Blocks{BlockSet: RenderTestFlightCard(v, TestFlightMeta{}, goldenNow)})
		for _, b := range slacksim.Buttons(raw) {
			out[b.ActionID] = true
		}
		for id := range slacksim.Selects(raw) {
			out[id] = true
		}
		return out
	}
	v := fixtureBetaView()
	if got := ids(v); !got[actTFSubmit] || !got[actTFAdd] || !got[actTFRemove] || !got[actTFNotes] {
		t.Errorf("ready build: %v", got)
	}
	for _, st := range []asc.ExternalBetaState{asc.ExternalMissingExportCompliance, asc.ExternalWaitingForBetaReview, asc.ExternalBetaRejected, asc.ExternalInBetaTesting} {
		v := fixtureBetaView()
		v.Build.Detail.ExternalState = st
		if ids(v)[actTFSubmit] {
			t.Errorf("Submit offered in %s", st)
		}
	}
	v = fixtureBetaView()
	v.Build.Build.Expired = true
	if got := ids(v); got[actTFAdd] || got[actTFSubmit] || !got[actTFRefresh] {
		t.Errorf("expired build: %v", got)
	}
}

func TestRenderWhatToTestModalGolden(t *testing.T) {
	v := fixtureBetaView()
	v.Build.Build.UsesNonExemptEncryption = nil
	v.Build.Localizations[0].WhatsNew = strings.Repeat("あ", 3500)
	raw := golden(t, "modal_what_to_test", RenderWhatToTestModal(v, map[string]string{"ja": "下書きのテスト内容"}))
	if err := slacksim.ValidateView(raw); err != nil {
		t.Errorf("the modal breaks Slack's limits: %v", err)
	}
}

func TestRenderTestersGolden(t *testing.T) {
	testers := []asc.BetaTester{
		{ID: "t1", FirstName: "Yuki", LastName: "Tanaka", Email: "yuki@example.net", State: asc.TesterInstalled},
		{ID: "t2", Email: "lee@example.org", State: asc.TesterInvited},
	}
	raw := golden(t, "testers", slack.Blocks{BlockSet: RenderTesters(asc.App{Name: "KotenOCR"}, asc.BetaGroup{Name: "Public Beta"}, testers)})
	if err := slacksim.ValidateMessage("testers", raw); err != nil {
		t.Errorf("the list breaks Slack's limits: %v", err)
	}
}

func TestParseWhatToTestChecksTheLimitInline(t *testing.T) {
	t.Parallel()
	view := slack.View{PrivateMetadata: `{"a":"1","b":"b5","l":["en-US","ja"],"e":true}`, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		blockTFNotes + "en-US": {inputText: {Value: strings.Repeat("x", 3000)}},
		blockTFMore + "en-US":  {inputText: {Value: strings.Repeat("y", 1001)}},
		blockTFNotes + "ja":    {inputText: {Value: "  テスト  "}},
		blockTFEnc:             {"answer": {SelectedOption: slack.OptionBlockObject{Value: "no"}}},
	}}}
	in, errs, err := parseWhatToTest(view)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || !strings.Contains(errs[blockTFMore+"en-US"], "4001 characters") {
		t.Errorf("errs = %v", errs)
	}
	if in.Texts["ja"] != "テスト" || in.Encryption == nil || *in.Encryption {
		t.Errorf("in = %+v", in)
	}
	if _, _, err := parseWhatToTest(slack.View{PrivateMetadata: "{"}); err == nil {
		t.Error("bad metadata accepted")
	}
}

func TestSplitTesters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want parsedCommand
		ok   bool
	}{
		{[]string{"KotenOCR"}, parsedCommand{App: "KotenOCR", Arg: "list", AppHead: "KotenOCR"}, true},
		{[]string{"KotenOCR", "Public Beta"}, parsedCommand{App: "KotenOCR Public Beta", Arg: "list", AppHead: "KotenOCR", Group: "Public Beta"}, true},
		{[]string{"Hanko Stamp", "add", "a@b.co", "Friends", "Ana", "de", "Sá"}, parsedCommand{App: "Hanko Stamp", Arg: "add", Email: "a@b.co", Group: "Friends", Names: "Ana de Sá"}, true},
		{[]string{"KotenOCR", "remove", "a@b.co"}, parsedCommand{App: "KotenOCR", Arg: "remove", Email: "a@b.co"}, true},
		{[]string{"KotenOCR", "remove", "a@b.co", "Team", "extra"}, parsedCommand{}, false},
		{[]string{"KotenOCR", "add", "nobody"}, parsedCommand{App: "KotenOCR add nobody", Arg: "list", AppHead: "KotenOCR", Group: "add nobody"}, true},
	}
	for _, tt := range tests {
		got, ok := splitTesters(tt.args)
		if ok != tt.ok || got != tt.want {
			t.Errorf("splitTesters(%q) = %+v, %v; want %+v, %v", tt.args, got, ok, tt.want, tt.ok)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzSplitTesters(f *testing.F) {
	for _, s := range []string{"KotenOCR", "KotenOCR add a@b.co Team Ana Sato", "Hanko Stamp remove a@b.co", "x add @ y", "add add a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := tokenize(s)
		if len(args) == 0 {
			return
		}
		p, ok := splitTesters(args)
		if !ok {
			return
		}
		switch p.Arg {
		case "list":
			if p.App == "" || p.AppHead != args[0] {
				t.Fatalf("list of %q: %+v", args, p)
			}
		case "add", "remove":
			if p.App == "" || !strings.Contains(p.Email, "@") {
				t.Fatalf("%s of %q: %+v", p.Arg, args, p)
			}
		default:
			t.Fatalf("unknown mode %q", p.Arg)
		}
	})
}

func FuzzParseWhatToTest(f *testing.F) {
	f.Add(`{"a":"1","b":"b","l":["en-US"]}`, "text", "more")
	f.Add(`{"l":null}`, "", "")
	f.Add(`{`, "x", "y")
	f.Fuzz(func(t *testing.T, meta, text, more string) {
		view := slack.View{PrivateMetadata: meta, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
			blockTFNotes + "en-US": {inputText: {Value: text}},
			blockTFMore + "en-US":  {inputText: {Value: more}},
		}}}
		in, errs, err := parseWhatToTest(view)
		if err != nil {
			return
		}
		for loc, txt := range in.Texts {
			if _, bad := errs[blockTFNotes+loc]; !bad && len([]rune(txt)) > asc.MaxWhatToTest {
				if _, bad2 := errs[blockTFMore+loc]; !bad2 {
					t.Fatalf("%d characters in %s passed", len([]rune(txt)), loc)
				}
			}
		}
	})
}

func TestHistoryWordsTestFlight(t *testing.T) {
	t.Parallel()
	app := asc.App{ID: "6400007919", Name: "KotenOCR"}
	tests := []struct {
		e    store.AuditEntry
		want string
	}{
		{store.AuditEntry{Action: "testflight-state", Version: "build 5 (1.1.0)", Result: "notice", Detail: "available to Team"},
			"KotenOCR build 5 (1.1.0) in TestFlight: available to Team."},
		{store.AuditEntry{User: "U0ANA", Action: "beta-review", Version: "build 5 (1.1.0)", Result: "ok", Detail: "submitted for beta review"},
			"<@U0ANA> submitted KotenOCR build 5 (1.1.0) for beta review (submitted for beta review)."},
		{store.AuditEntry{User: "U0CAROL", Action: "tester-add", Version: "s***e@example.com", Result: "refused", Detail: "not in testers"},
			"<@U0CAROL> was refused: they may not add a tester to KotenOCR s***e@example.com (not in testers)."},
		{store.AuditEntry{User: "U0ANA", Action: "show-testflight-card", Version: "build 5 (1.1.0)", Result: "ok"},
			"<@U0ANA> posted the TestFlight card of KotenOCR build 5 (1.1.0)."},
	}
	for _, tt := range tests {
		if got := historyLine(app, tt.e); got != tt.want {
			t.Errorf("historyLine(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}
