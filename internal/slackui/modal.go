package slackui

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/release"
)

const (
	notesCallback = "notes"
	// slackInputMax is Slack's cap on one plain_text_input; the App Store
	// allows 4000 characters of What's New, so a locale continues in a second input.
	slackInputMax = 3000
	// maxModalBlocks is Slack's limit on blocks in a view.
	maxModalBlocks = 100
	// maxSelectOptions is Slack's limit on a static_select's options
	// (static select reference: "Maximum number of options is 100").
	maxSelectOptions = 100
	blockNotes       = "notes_"
	blockMore        = "more_"
	blockSameForAll  = "same_for_all"
	blockEncryption  = "encryption"
	inputText        = "text"
)

// notesMeta is the notes modal's private_metadata.
type notesMeta struct {
	AppID     string   `json:"a"`
	VersionID string   `json:"v"`
	Channel   string   `json:"c,omitempty"`
	Primary   string   `json:"p"`
	First     bool     `json:"f,omitempty"`
	AskEnc    bool     `json:"e,omitempty"`
	Locales   []string `json:"l"`
}

// loadingModal is opened at once on a press (the trigger_id lives 3 s) and
// replaced with the real modal when App Store Connect has answered.
func loadingModal(title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(truncate(title, 24)),
		Close:  plain("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn("Reading App Store Connect…"), nil, nil)}},
	}
}

// messageModal is a modal that only says something.
func messageModal(title, text string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(truncate(title, 24)),
		Close:  plain("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn(truncate(text, 3000)), nil, nil)}},
	}
}

// splitNote splits a text into what fits one Slack input and the rest.
func splitNote(s string) (string, string) {
	if utf8.RuneCountInString(s) <= slackInputMax {
		return s, ""
	}
	r := []rune(s)
	return string(r[:slackInputMax]), string(r[slackInputMax:])
}

// RenderNotesModal renders the What's New modal: one multiline input per
// locale (prefilled with the draft, else the current text, else the previous
// version's), a continuation input per locale for texts over Slack's 3000,
// "same text for every locale", and the export-compliance question when
// nobody has answered it.
func RenderNotesModal(v *release.VersionView, prev, draft map[string]string, askEncryption bool, channel string) slack.ModalViewRequest {
	meta := notesMeta{AppID: v.App.ID, VersionID: v.Version.ID, Channel: channel, Primary: v.App.PrimaryLocale, First: v.FirstVersion, AskEnc: askEncryption}
	if meta.Primary == "" && len(v.Localizations) > 0 {
		meta.Primary = v.Localizations[0].Locale
	}
	// Slack allows 100 blocks in a modal. Each locale has two boxes (its
	// first 3000 characters and the rest) while that fits; past it, one box
	// each, plus the second box only where the current text needs it.
	fixed := 1 // the intro
	if len(v.Localizations) > 1 {
		fixed++ // same text for every locale
	}
	if askEncryption {
		fixed++
	}
	texts := make([]string, len(v.Localizations))
	for i, l := range v.Localizations {
		texts[i] = l.WhatsNew
		if d, ok := draft[l.Locale]; ok && d != "" {
			texts[i] = d
		} else if texts[i] == "" {
			texts[i] = prev[l.Locale]
		}
	}
	twoBoxes := fixed+2*len(v.Localizations) <= maxModalBlocks
	spare := maxModalBlocks - fixed - len(v.Localizations) // second boxes that fit in one-box mode
	intro := fmt.Sprintf("*%s* · up to %d characters per locale. Slack holds %d in one box, so longer notes continue in the second box.", cardTitle(v), release.MaxWhatsNew, slackInputMax)
	if !twoBoxes {
		intro = fmt.Sprintf("*%s* · %d locales, so one box each (Slack allows %d blocks in a form): up to %d characters per locale here; a text already longer keeps its second box. For up to %d, edit the locale on App Store Connect.",
			cardTitle(v), len(v.Localizations), maxModalBlocks, slackInputMax, release.MaxWhatsNew)
	}
	blocks := []slack.Block{slack.NewContextBlock("notes_intro", mrkdwn(truncate(intro, 2000)))}
	if v.FirstVersion {
		blocks = []slack.Block{slack.NewSectionBlock(mrkdwn(fmt.Sprintf("*%s* is the app's first version: the App Store does not use What's New on it.", cardTitle(v))), nil, nil)}
	} else {
		for i, l := range v.Localizations {
			meta.Locales = append(meta.Locales, l.Locale)
			first, rest := splitNote(texts[i])
			label := l.Locale
			if l.Locale == meta.Primary {
				label += " (primary)"
			}
			in := slack.NewPlainTextInputBlockElement(plain("What's new in this version"), inputText)
			in.Multiline = true
			in.MaxLength = slackInputMax
			in.InitialValue = first
			ib := slack.NewInputBlock(blockNotes+l.Locale, plain(label), nil, in)
			ib.Optional = true
			more := slack.NewPlainTextInputBlockElement(plain("Continues the text above, for notes over 3000 characters"), inputText)
			more.Multiline = true
			more.MaxLength = slackInputMax
			more.InitialValue = rest
			mb := slack.NewInputBlock(blockMore+l.Locale, plain(l.Locale+" (continued)"), nil, more)
			mb.Optional = true
			blocks = append(blocks, ib)
			if twoBoxes || rest != "" && spare > 0 {
				blocks = append(blocks, mb)
				if !twoBoxes {
					spare--
				}
			}
		}
		if len(v.Localizations) > 1 {
			cb := slack.NewCheckboxGroupsBlockElement("same", slack.NewOptionBlockObject("yes", plain(truncate("Use the "+meta.Primary+" text for every locale", 75)), nil))
			ib := slack.NewInputBlock(blockSameForAll, plain("Every locale"), nil, cb)
			ib.Optional = true
			blocks = append(blocks, ib)
		}
	}
	if askEncryption {
		rb := slack.NewRadioButtonsBlockElement("answer",
			slack.NewOptionBlockObject("no", plain("No: only exempt encryption, or none"), nil),
			slack.NewOptionBlockObject("yes", plain("Yes: uses non-exempt encryption"), nil),
		)
		blocks = append(blocks, slack.NewInputBlock(blockEncryption, plain("Does this build use non-exempt encryption? (export compliance)"), nil, rb))
	}
	md, _ := json.Marshal(meta)
	req := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      notesCallback,
		Title:           plain("What's New"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(md),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
	if !v.FirstVersion || askEncryption {
		req.Submit = plain("Save")
	}
	return req
}

// twoBoxes names the two inputs a locale's text is typed in: Slack holds
// 3000 characters in one input, Apple takes 4000, so the second box
// continues the first. What's New and What to Test both use them.
type twoBoxes struct{ first, more string } // block id prefixes, + locale

var (
	notesBoxes = twoBoxes{blockNotes, blockMore}
	tfBoxes    = twoBoxes{blockTFNotes, blockTFMore}
)

// read joins each locale's two boxes as typed.
func (bx twoBoxes) read(vals map[string]map[string]slack.BlockAction, locales []string) map[string]string {
	out := make(map[string]string, len(locales))
	for _, loc := range locales {
		out[loc] = strings.TrimSpace(vals[bx.first+loc][inputText].Value + vals[bx.more+loc][inputText].Value)
	}
	return out
}

// errorBlock is the input an error about loc's text is shown under: the
// second box when the text reaches into it.
func (bx twoBoxes) errorBlock(vals map[string]map[string]slack.BlockAction, loc string) string {
	if vals[bx.more+loc][inputText].Value != "" {
		return bx.more + loc
	}
	return bx.first + loc
}

// yesNo reads the export-compliance radio answer; nil when unanswered.
func yesNo(a slack.BlockAction) *bool {
	switch a.SelectedOption.Value {
	case "yes":
		t := true
		return &t
	case "no":
		f := false
		return &f
	}
	return nil
}

// notesInput is a parsed notes modal submission.
type notesInput struct {
	Meta       notesMeta
	Notes      map[string]string
	Encryption *bool
}

// parseNotes reads a view_submission of the notes modal and validates it; the
// map it returns holds errors keyed by input block id, for response_action errors.
func parseNotes(view slack.View) (notesInput, map[string]string, error) {
	var in notesInput
	if err := json.Unmarshal([]byte(view.PrivateMetadata), &in.Meta); err != nil {
		return in, nil, fmt.Errorf("reading the modal's metadata: %w", err)
	}
	vals := map[string]map[string]slack.BlockAction{}
	if view.State != nil {
		vals = view.State.Values
	}
	in.Notes = notesBoxes.read(vals, in.Meta.Locales)
	if same := vals[blockSameForAll]["same"]; len(same.SelectedOptions) > 0 {
		for loc := range in.Notes {
			in.Notes[loc] = in.Notes[in.Meta.Primary]
		}
	}
	if in.Meta.AskEnc {
		in.Encryption = yesNo(vals[blockEncryption]["answer"])
	}
	errs := map[string]string{}
	if !in.Meta.First {
		for loc, msg := range release.ValidateNotes(in.Notes, true) {
			block := notesBoxes.errorBlock(vals, loc)
			if len(vals[blockSameForAll]["same"].SelectedOptions) > 0 && loc != in.Meta.Primary {
				// Every locale copies the primary one: point at the primary input.
				loc = in.Meta.Primary
				block = blockNotes + loc
			}
			errs[block] = msg
		}
	}
	if in.Meta.AskEnc && in.Encryption == nil {
		errs[blockEncryption] = "Answer the export-compliance question"
	}
	return in, errs, nil
}
