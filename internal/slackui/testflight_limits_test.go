package slackui

import (
	"fmt"
	"testing"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/slacksim"
)

// TestTestFlightCardWithManyGroups: an app with more beta groups than a
// Slack menu holds still gets a card Slack accepts, each menu capped at
// Slack's 100 options.
func TestTestFlightCardWithManyGroups(t *testing.T) {
	t.Parallel()
	v := fixtureBetaView()
	v.Groups = nil
	for i := range 150 {
		v.Groups = append(v.Groups, asc.BetaGroup{ID: fmt.Sprintf("g%03d", i), AppID: v.App.ID, Name: fmt.Sprintf("Group %d", i), Internal: i%2 == 0})
	}
	raw := mustJSON(t, slack.Blocks{BlockSet: RenderTestFlightCard(v, TestFlightMeta{}, goldenNow)})
	if err := slacksim.ValidateMessage("testflight", raw); err != nil {
		t.Fatalf("the card breaks Slack's limits: %v", err)
	}
	if n := len(slacksim.Selects(raw)[actTFAdd]); n != maxSelectOptions {
		t.Fatalf("Add to group offers %d groups, want %d", n, maxSelectOptions)
	}
}

// TestTestFlightValuesFitSlack: every button and menu option carries the
// card's snapshot; with Apple's 10-digit app ids, 36-character build and group
// ids, the longest TestFlight states and a card redrawn for years, each value
// still fits Slack's limits (150 characters for an option).
func TestTestFlightValuesFitSlack(t *testing.T) {
	t.Parallel()
	const uuid = "7fb608ff-060c-4147-afab-e028e698da62"
	v := fixtureBetaView()
	v.App.ID = "6400007919"
	v.Build.Build.ID = uuid
	v.Build.Detail.InternalState = "IN_EXPORT_COMPLIANCE_REVIEW"
	v.Build.Detail.ExternalState = "IN_EXPORT_COMPLIANCE_REVIEW"
	v.Groups = []asc.BetaGroup{{ID: "a" + uuid[1:], Name: "Team", Internal: true}, {ID: "b" + uuid[1:], Name: "Public Beta"}}
	v.Build.Groups = v.Groups[:1]
	raw := mustJSON(t, slack.Blocks{BlockSet: RenderTestFlightCard(v, TestFlightMeta{Rev: 99999999}, goldenNow)})
	if err := slacksim.ValidateMessage("testflight", raw); err != nil {
		t.Fatalf("the card breaks Slack's limits: %v", err)
	}
	for action, values := range slacksim.Selects(raw) {
		if len(values) != 1 {
			t.Errorf("%s offers %v, want one group", action, values)
		}
		for _, val := range values {
			if len(val) > 150 {
				t.Errorf("%s option value is %d characters: %q", action, len(val), val)
			}
		}
	}
}
