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
