package slackui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
)

const (
	optionsCallback = "release_options"
	blockRelType    = "rel_type"
	blockRelDate    = "rel_date"
	blockRelTime    = "rel_time"
	blockRelPhased  = "rel_phased"
)

// optionsMeta is the release-options modal's private_metadata.
type optionsMeta struct {
	AppID     string `json:"a"`
	VersionID string `json:"v"`
	Channel   string `json:"c,omitempty"`
	First     bool   `json:"f,omitempty"`
}

// releaseTypeChoices are the three options App Store Connect's Version
// Release section offers, in its words.
var releaseTypeChoices = []struct {
	t     asc.ReleaseType
	label string
}{
	{asc.ReleaseManual, "Manually release this version"},
	{asc.ReleaseAfterApproval, "Automatically release this version after approval"},
	{asc.ReleaseScheduled, "Automatically release after App Review, no earlier than the date below"},
}

// RenderOptionsModal renders the release options: release type (with Slack's
// date and time pickers for a scheduled release, in the team's time zone) and
// the 7-day phased release, prefilled with the version's current values.
func RenderOptionsModal(v *release.VersionView, channel string, now time.Time) slack.ModalViewRequest {
	loc := v.Zone()
	meta, _ := json.Marshal(optionsMeta{AppID: v.App.ID, VersionID: v.Version.ID, Channel: channel, First: v.FirstVersion})
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, c := range releaseTypeChoices {
		o := slack.NewOptionBlockObject(string(c.t), plain(c.label), nil)
		opts = append(opts, o)
		if c.t == v.Version.ReleaseType || (c.t == asc.ReleaseManual && v.Version.ReleaseType == "") {
			initial = o
		}
	}
	radio := slack.NewRadioButtonsBlockElement("type", opts...)
	radio.InitialOption = initial
	// The date and time pickers start at the scheduled date, else tomorrow 09:00.
	at := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day()+1, 9, 0, 0, 0, loc)
	if d := v.Version.EarliestReleaseDate; d != nil {
		at = d.In(loc)
	}
	date := slack.NewDatePickerBlockElement("date")
	date.InitialDate = at.Format("2006-01-02")
	tp := slack.NewTimePickerBlockElement("time")
	tp.InitialTime = at.Format("15:04")
	tp.Timezone = loc.String()
	dateBlock := slack.NewInputBlock(blockRelDate, plain("Not earlier than (date)"), nil, date)
	dateBlock.Optional = true
	timeBlock := slack.NewInputBlock(blockRelTime, plain("Time ("+loc.String()+")"), nil, tp)
	timeBlock.Optional = true
	blocks := []slack.Block{
		slack.NewContextBlock("options_intro", mrkdwn(truncate(fmt.Sprintf("*%s* · how the version reaches the App Store once App Review approves it. These can be changed only before submitting.", cardTitle(v)), 2000))),
		slack.NewInputBlock(blockRelType, plain("Release"), nil, radio),
		dateBlock,
		timeBlock,
		slack.NewContextBlock("options_zone", mrkdwn(fmt.Sprintf("Times are in the team's time zone (%s) and sent to Apple in UTC. App Store Connect schedules on the hour.", loc.String()))),
	}
	if v.FirstVersion {
		blocks = append(blocks, slack.NewContextBlock("options_phased", mrkdwn("Phased release is only for updates: this is the app's first version.")))
	} else {
		on := slack.NewOptionBlockObject("on", plain("Phased release over 7 days"), plain("1 % to 100 % of users with automatic updates; pausable 30 days"))
		cb := slack.NewCheckboxGroupsBlockElement("phased", on)
		if v.Phased != nil {
			cb.InitialOptions = []*slack.OptionBlockObject{on}
		}
		pb := slack.NewInputBlock(blockRelPhased, plain("Phased release"), nil, cb)
		pb.Optional = true
		blocks = append(blocks, pb)
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      optionsCallback,
		Title:           plain("Release options"),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(meta),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// optionsInput is a release-options submission, read and checked.
type optionsInput struct {
	Meta    optionsMeta
	Options release.ReleaseOptions
}

// parseOptions reads a release-options submission; the map holds errors keyed
// by input block id, for response_action errors (a past date, a time not on
// the hour, a scheduled release without a date).
func parseOptions(view slack.View, now time.Time, loc *time.Location) (optionsInput, map[string]string, error) {
	var in optionsInput
	if err := json.Unmarshal([]byte(view.PrivateMetadata), &in.Meta); err != nil {
		return in, nil, fmt.Errorf("reading the modal's metadata: %w", err)
	}
	vals := map[string]map[string]slack.BlockAction{}
	if view.State != nil {
		vals = view.State.Values
	}
	in.Options.Type = asc.ReleaseType(vals[blockRelType]["type"].SelectedOption.Value)
	in.Options.Phased = len(vals[blockRelPhased]["phased"].SelectedOptions) > 0
	errs := map[string]string{}
	if in.Options.Type == asc.ReleaseScheduled {
		d, tm := vals[blockRelDate]["date"].SelectedDate, vals[blockRelTime]["time"].SelectedTime
		switch {
		case d == "":
			errs[blockRelDate] = "Pick the date before which the version must not be released"
		case tm == "":
			errs[blockRelTime] = "Pick the time"
		default:
			t, err := time.ParseInLocation("2006-01-02 15:04", d+" "+tm, loc)
			if err != nil {
				errs[blockRelDate] = "That date and time cannot be read: pick them again"
			} else {
				u := t.UTC()
				in.Options.Earliest = &u
			}
		}
	}
	if len(errs) == 0 {
		blockOf := map[string]string{release.OptionType: blockRelType, release.OptionDate: blockRelDate, release.OptionTime: blockRelTime, release.OptionPhased: blockRelType}
		for k, msg := range release.ValidateReleaseOptions(in.Options, in.Meta.First, now, loc) {
			errs[blockOf[k]] = msg
		}
	}
	return in, errs, nil
}

func (b *Bot) onOpenOptions(ctx context.Context, cb slack.InteractionCallback, snap release.Snapshot) {
	resp, err := b.api.OpenViewContext(ctx, cb.TriggerID, loadingModal("Release options"))
	if err != nil {
		b.log.Error("opening the release options", "err", err)
		b.tell(ctx, cb, "I couldn't open the release options ("+err.Error()+"). Try the button again.")
		return
	}
	v, err := b.rel.Load(ctx, snap.AppID, snap.VersionID)
	if err != nil {
		b.updateView(ctx, resp.ID, messageModal("Release options", userMessage(err)))
		return
	}
	b.updateView(ctx, resp.ID, RenderOptionsModal(v, cb.Channel.ID, b.now()))
}

// saveOptions applies a release-options submission after its ack and says
// what changed in the card's thread, or why Apple refused, to the submitter.
func (b *Bot) saveOptions(ctx context.Context, user, viewID string, in optionsInput) {
	changed, err := b.rel.SetReleaseOptions(ctx, user, in.Meta.AppID, in.Meta.VersionID, viewID, in.Options)
	card, hasCard, _ := b.store.GetCard(in.Meta.AppID, in.Meta.VersionID)
	channel := in.Meta.Channel
	if hasCard {
		channel = card.Channel
	}
	if err != nil {
		if channel != "" {
			if perr := b.posters.ephemeral(ctx, channel, user, slack.MsgOptionText("Release options not saved: "+userMessage(err), false)); perr != nil {
				b.log.Error("telling a user", "err", perr)
			}
		}
		return
	}
	if !hasCard {
		return
	}
	_, card, rerr := b.refreshCard(ctx, in.Meta.AppID, in.Meta.VersionID)
	if rerr != nil {
		b.log.Warn("refreshing the card", "err", rerr)
	}
	if len(changed) > 0 && card.TS != "" {
		b.thread(ctx, card, user, fmt.Sprintf("<@%s> set the release options: %s", user, strings.Join(changed, " · ")), false)
	}
}
