package slackui

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
	"github.com/ascbot/ascbot/internal/slacksim"
)

func fixtureNewestBuild() *asc.BetaBuild {
	v := fixtureBetaView()
	bb := v.Build
	bb.Groups = v.Groups
	bb.Detail.ExternalState = asc.ExternalWaitingForBetaReview
	bb.Review = &asc.BetaReviewSubmission{ID: "r5", BuildID: "b5", State: asc.BetaReviewWaiting}
	return &bb
}

func TestTestFlightLine(t *testing.T) {
	t.Parallel()
	expired := fixtureNewestBuild()
	expired.Build.Expired = true
	processing := fixtureNewestBuild()
	processing.Build.ProcessingState = asc.BuildProcessing
	fresh := fixtureNewestBuild()
	fresh.Groups, fresh.Review, fresh.Detail.ExternalState = nil, nil, asc.ExternalReadyForBetaSubmission
	tests := []struct {
		name string
		bb   *asc.BetaBuild
		want string
	}{
		{"no build", &asc.BetaBuild{}, "*TestFlight:* no build yet"},
		{"in review, two groups", fixtureNewestBuild(), "*TestFlight:* build 5 (1.1.0) · internal Testing · external Waiting for Review · beta review Waiting for Review · in Public Beta, Team"},
		{"new build", fresh, "*TestFlight:* build 5 (1.1.0) · internal Testing · external Ready to Submit · beta review not submitted · in no group"},
		{"processing", processing, "*TestFlight:* build 5 (1.1.0) · Processing"},
		{"expired", expired, "*TestFlight:* build 5 (1.1.0) · expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testFlightLine(tt.bb); got != tt.want {
				t.Errorf("testFlightLine = %q\nwant            %q", got, tt.want)
			}
		})
	}
}

// TestRenderStatusAndHomeGolden: /asc status and App Home with the newest
// build's TestFlight line.
func TestRenderStatusAndHomeGolden(t *testing.T) {
	live := fixtureView(asc.StateReadyForDistribution)
	live.Version.VersionString = "1.0.0"
	flying := fixtureView(asc.StateWaitingForReview)
	blocks := RenderStatus(live.App, live, []*release.VersionView{flying}, fixtureNewestBuild(), "Polling every 5m", goldenNow)
	raw := golden(t, "status_testflight", slack.Blocks{BlockSet: blocks})
	if err := slacksim.ValidateMessage("status", mustJSON(t, slack.Blocks{BlockSet: blocks})); err != nil {
		t.Errorf("/asc status breaks Slack's limits: %v", err)
	}
	if !strings.Contains(string(raw), "beta review Waiting for Review") {
		t.Error("/asc status has no TestFlight line")
	}

	home := RenderHome([]HomeApp{
		{App: live.App, Channel: "C0RELEASE", Live: &live.Version, InFlight: flying, Since: goldenNow.Add(-3 * time.Hour), TestFlight: fixtureNewestBuild()},
		{App: asc.App{ID: "222", Name: "Hanko"}, Channel: "C0RELEASE", TestFlight: &asc.BetaBuild{}},
		{App: asc.App{ID: "333", Name: "Fude"}, Channel: "C0RELEASE"}, // not read: no line
	}, "", false, goldenNow)
	golden(t, "home_testflight", home)
	if err := slacksim.ValidateView(mustJSON(t, home)); err != nil {
		t.Errorf("App Home breaks Slack's limits: %v", err)
	}
}
