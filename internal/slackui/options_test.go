package slackui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/slacksim"
)

func TestRenderOptionsModalGolden(t *testing.T) {
	v := fixtureView(asc.StatePrepareForSubmission)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	v.Location = tokyo
	at := time.Date(2025, 12, 1, 6, 0, 0, 0, time.UTC) // 15:00 in Tokyo
	v.Version.ReleaseType, v.Version.EarliestReleaseDate = asc.ReleaseScheduled, &at
	v.Phased = &asc.PhasedRelease{ID: "p1", State: asc.PhasedInactive}
	raw := golden(t, "modal_release_options", RenderOptionsModal(v, "C0RELEASE", goldenNow))
	if err := slacksim.ValidateView(raw); err != nil {
		t.Errorf("the modal breaks Slack's limits: %v", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"initial_date":"2025-12-01"`, `"initial_time":"15:00"`, `"timezone":"Asia/Tokyo"`, `"value":"SCHEDULED"`} {
		if !strings.Contains(compact.String(), want) {
			t.Errorf("the modal lacks %s", want)
		}
	}
}

func TestParseOptions(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	now := time.Date(2026, 3, 10, 0, 30, 0, 0, time.UTC) // 09:30 in Tokyo
	meta, _ := json.Marshal(optionsMeta{AppID: "a", VersionID: "v"})
	view := func(typ, date, tm string, phased bool) slack.View {
		vals := map[string]map[string]slack.BlockAction{
			blockRelType: {"type": {SelectedOption: slack.OptionBlockObject{Value: typ}}},
			blockRelDate: {"date": {SelectedDate: date}},
			blockRelTime: {"time": {SelectedTime: tm}},
		}
		if phased {
			vals[blockRelPhased] = map[string]slack.BlockAction{"phased": {SelectedOptions: []slack.OptionBlockObject{{Value: "on"}}}}
		}
		return slack.View{PrivateMetadata: string(meta), State: &slack.ViewState{Values: vals}}
	}
	tests := []struct {
		name     string
		v        slack.View
		errBlock string
		errHas   string
		want     string // Earliest in UTC, RFC 3339
	}{
		{name: "manual", v: view("MANUAL", "", "", true)},
		{name: "scheduled in Tokyo, stored UTC", v: view("SCHEDULED", "2026-03-12", "15:00", false), want: "2026-03-12T06:00:00Z"},
		{name: "in the past", v: view("SCHEDULED", "2026-03-10", "09:00", false), errBlock: blockRelDate, errHas: "is in the past"},
		{name: "not on the hour", v: view("SCHEDULED", "2026-03-12", "15:30", false), errBlock: blockRelTime, errHas: "on the hour: pick 15:00 or 16:00"},
		{name: "no date", v: view("SCHEDULED", "", "15:00", false), errBlock: blockRelDate, errHas: "Pick the date"},
		{name: "no type", v: view("", "", "", false), errBlock: blockRelType, errHas: "Choose how"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, errs, err := parseOptions(tt.v, now, tokyo)
			if err != nil {
				t.Fatal(err)
			}
			if tt.errBlock != "" {
				if !strings.Contains(errs[tt.errBlock], tt.errHas) {
					t.Fatalf("errors = %v, want %q on %s", errs, tt.errHas, tt.errBlock)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors = %v", errs)
			}
			got := ""
			if in.Options.Earliest != nil {
				got = in.Options.Earliest.Format(time.RFC3339)
			}
			if got != tt.want {
				t.Errorf("earliest = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzParseOptions: whatever Slack sends back, the release-options parser
// never panics, and what it accepts is a valid choice.
func FuzzParseOptions(f *testing.F) {
	f.Add(`{"a":"a","v":"v"}`, "SCHEDULED", "2026-03-12", "15:00", true)
	f.Add(`{"a":"a","v":"v","f":true}`, "MANUAL", "", "", true)
	f.Add(`not json`, "", "2026-13-40", "25:61", false)
	now := time.Date(2026, 3, 10, 0, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, meta, typ, date, tm string, phased bool) {
		vals := map[string]map[string]slack.BlockAction{
			blockRelType: {"type": {SelectedOption: slack.OptionBlockObject{Value: typ}}},
			blockRelDate: {"date": {SelectedDate: date}},
			blockRelTime: {"time": {SelectedTime: tm}},
		}
		if phased {
			vals[blockRelPhased] = map[string]slack.BlockAction{"phased": {SelectedOptions: []slack.OptionBlockObject{{Value: "on"}}}}
		}
		in, errs, err := parseOptions(slack.View{PrivateMetadata: meta, State: &slack.ViewState{Values: vals}}, now, time.UTC)
		if err != nil || len(errs) > 0 {
			return
		}
		switch in.Options.Type {
		case asc.ReleaseManual, asc.ReleaseAfterApproval:
		case asc.ReleaseScheduled:
			if in.Options.Earliest == nil || !in.Options.Earliest.After(now) || in.Options.Earliest.Minute() != 0 {
				t.Fatalf("accepted a bad scheduled date: %v", in.Options.Earliest)
			}
		default:
			t.Fatalf("accepted release type %q", in.Options.Type)
		}
		if in.Meta.First && in.Options.Phased {
			t.Fatal("accepted phased release on a first version")
		}
	})
}

func TestPendingTextForResubmit(t *testing.T) {
	t.Parallel()
	press := func(label string) slack.BlockAction {
		return slack.BlockAction{Text: slack.TextBlockObject{Text: label}}
	}
	if got := pendingText(actSubmit, press("Resubmit for review")); got != "⏳ Resubmitting the same review submission…" {
		t.Errorf("resubmit pending = %q", got)
	}
	if got := pendingText(actSubmit, press("Submit for review")); got != "⏳ Submitting for review…" {
		t.Errorf("submit pending = %q", got)
	}
}
