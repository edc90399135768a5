package slackui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
)

// HomeApp is one watched app as the Home tab shows it.
type HomeApp struct {
	App      asc.App
	Channel  string
	Live     *asc.AppStoreVersion
	InFlight *release.VersionView
	// Since is when the in-flight version entered its state, when known.
	Since      time.Time
	CanRelease bool
	Rev        int
	// TestFlight is the app's newest build with its TestFlight side (zero:
	// the app has no build; nil: not read, the line is left out).
	TestFlight *asc.BetaBuild
}

// RenderHome renders the App Home tab: every watched app with its live
// version, the version in flight (state, build, time in state) and the
// buttons this viewer may press.
func RenderHome(apps []HomeApp, notice string, sandbox bool, now time.Time) slack.HomeTabViewRequest {
	title := "ascbot"
	if sandbox {
		title += " · SANDBOX (simulated App Store Connect)"
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plain(title))}
	if notice != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(truncate(notice, 3000)), nil, nil, slack.SectionBlockOptionBlockID("home_notice")))
	}
	if len(apps) == 0 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("No app is watched yet. `/asc watch <app>` in a channel starts posting its review-state changes there."), nil, nil))
	}
	for i, a := range apps {
		if len(blocks) > 90 {
			blocks = append(blocks, slack.NewContextBlock("home_more", mrkdwn(fmt.Sprintf("…and %d more apps", len(apps)-i))))
			break
		}
		live := "none yet"
		if a.Live != nil {
			live = a.Live.VersionString
		}
		text := fmt.Sprintf("*%s* · posts in <#%s>\nLive: %s", a.App.Name, a.Channel, live)
		if v := a.InFlight; v != nil {
			text += fmt.Sprintf("\nIn flight: *%s* · %s", v.Version.VersionString, v.Version.State().Label())
			if v.Build != nil {
				text += " · build " + v.Build.Version
			}
			if !a.Since.IsZero() {
				text += " · " + strings.TrimSuffix(ago(now, a.Since), " ago") + " in this state"
			}
			if v.Phased != nil {
				text += "\n" + PhasedLine(v.Phased)
			}
		} else {
			text += "\nIn flight: nothing"
		}
		if a.TestFlight != nil {
			text += "\n" + strings.Replace(testFlightLine(a.TestFlight), "*TestFlight:*", "TestFlight:", 1)
		}
		blocks = append(blocks, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn(truncate(text, 3000)), nil, nil, slack.SectionBlockOptionBlockID("home_app_"+a.App.ID)))
		if v := a.InFlight; v != nil && a.CanRelease && v.Version.State() == asc.StatePendingDeveloperRelease && v.Version.ManualRelease() {
			btn := button(actRelease, "Release "+v.Version.VersionString, v.Snapshot(a.Rev).Encode(), slack.StylePrimary)
			btn.Confirm = confirm("Release to the App Store?", fmt.Sprintf("Release *%s* now.", cardTitle(v)), "Release")
			blocks = append(blocks, slack.NewActionBlock("home_actions_"+a.App.ID, btn))
		}
	}
	blocks = append(blocks, slack.NewContextBlock("home_footer", mrkdwn("Updated "+now.UTC().Format("2 Jan 15:04 MST")+" · `/asc help` lists every command")))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// publishHome builds and publishes the viewer's Home tab.
func (b *Bot) publishHome(ctx context.Context, user string) {
	b.publishHomeNotice(ctx, user, "")
}

func (b *Bot) publishHomeNotice(ctx context.Context, user, notice string) {
	watched, err := b.rel.WatchedApps(ctx)
	if err != nil {
		b.log.Warn("reading watched apps for App Home", "err", err)
		notice = strings.TrimSpace(notice + "\n⚠ " + userMessage(err))
	}
	var apps []HomeApp
	for _, w := range watched {
		ha := HomeApp{App: w.App, Channel: w.Channel}
		// The TestFlight line is read beside the versions, not after them.
		var tf sync.WaitGroup
		var newest *asc.BetaBuild
		tf.Go(func() {
			bs, _, err := b.rel.ASCFor(w.App.ID).BetaBuilds.List(ctx, asc.BetaBuildListOptions{AppID: w.App.ID, Limit: 1, Summary: true})
			switch {
			case err != nil:
				b.log.Warn("reading the newest build's TestFlight side for App Home", "app", w.App.ID, "err", err)
			case len(bs) > 0:
				newest = &bs[0]
			default:
				newest = &asc.BetaBuild{}
			}
		})
		vs, _, err := b.rel.ASCFor(w.App.ID).Versions.List(ctx, w.App.ID, &asc.VersionListOptions{Platform: b.appPlatform(w.App)})
		if err != nil {
			tf.Wait()
			ha.TestFlight = newest
			b.log.Warn("listing versions for App Home", "app", w.App.ID, "err", err)
			apps = append(apps, ha)
			continue
		}
		for i := range vs {
			st := vs[i].State()
			if st == asc.StateReadyForDistribution && ha.Live == nil {
				ha.Live = &vs[i]
				break
			}
			if unreleased(st) && ha.InFlight == nil {
				v, err := b.rel.Load(ctx, w.App.ID, vs[i].ID)
				if err != nil {
					b.log.Warn("reading a version for App Home", "err", err)
					continue
				}
				ha.InFlight = v
				if seen, ok, err := b.store.GetSeen(w.App.ID, v.Version.ID); err == nil && ok && seen.State == string(st) {
					ha.Since = seen.At
				}
				if card, ok, err := b.store.GetCard(w.App.ID, v.Version.ID); err == nil && ok {
					ha.Rev = card.Rev
				}
				if ok, err := b.rel.MayApprove(ctx, user, v.AppCfg); err == nil {
					ha.CanRelease = ok
				}
			}
		}
		tf.Wait()
		ha.TestFlight = newest
		apps = append(apps, ha)
	}
	view := RenderHome(apps, notice, b.sandbox, b.now())
	if err := b.posters.publishView(ctx, slack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		b.log.Error("publishing App Home", "user", user, "err", err)
	}
}
