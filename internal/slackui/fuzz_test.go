package slackui

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/release"
)

// FuzzParseCommand: whatever follows /asc, the parser never panics, and a
// command it accepts names a declared spec with the arguments it requires.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"", "help", "submit KotenOCR 1.1.0", "submit \"Koten OCR\" 1.1.0", "watch KotenOCR <#C0123ABCD|ios-releases>",
		"phased KotenOCR pause", "release", "SUBMIT kotenocr", "notes &lt;b&gt; 1.0", "\"unterminated", "watch <#C1|", "\x00\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		spec, p, err := parseCommand(text)
		if err != nil {
			return
		}
		if got, ok := specFor(p.Name); !ok || got.Name != spec.Name {
			t.Fatalf("parseCommand(%q) accepted %q, which no spec declares", text, p.Name)
		}
		if spec.MinArgs > 0 && p.App == "" {
			t.Fatalf("parseCommand(%q) accepted %s without its app", text, p.Name)
		}
	})
}

// FuzzParseNotes: whatever a notes modal submission carries (metadata and
// texts), the parser never panics, and what it accepts without errors is
// within the App Store's What's New limit.
func FuzzParseNotes(f *testing.F) {
	f.Add(`{"a":"1","v":"v","p":"en-US","l":["en-US","ja"]}`, "Bug fixes", "", "バグ修正", false, "")
	f.Add(`{"a":"1","v":"v","p":"en-US","l":["en-US"],"e":true}`, strings.Repeat("x", 4001), "y", "", true, "yes")
	f.Add(`{"a":"1","v":"v","p":"ja","l":["ja"],"f":true}`, "", "", "", false, "no")
	f.Add(`not json`, "", "", "", false, "")
	f.Fuzz(func(t *testing.T, meta, first, more, second string, same bool, enc string) {
		var m notesMeta
		locales := []string{"en-US", "ja"}
		if json.Unmarshal([]byte(meta), &m) == nil && len(m.Locales) > 0 {
			locales = m.Locales
		}
		vals := map[string]map[string]slack.BlockAction{
			blockNotes + locales[0]:              {inputText: {Value: first}},
			blockMore + locales[0]:               {inputText: {Value: more}},
			blockNotes + locales[len(locales)-1]: {inputText: {Value: second}},
			blockEncryption:                      {"answer": {SelectedOption: slack.OptionBlockObject{Value: enc}}},
		}
		if same {
			vals[blockSameForAll] = map[string]slack.BlockAction{"same": {SelectedOptions: []slack.OptionBlockObject{{Value: "same"}}}}
		}
		in, errs, err := parseNotes(slack.View{PrivateMetadata: meta, State: &slack.ViewState{Values: vals}})
		if err != nil || len(errs) > 0 || in.Meta.First {
			return
		}
		for loc, text := range in.Notes {
			if n := utf8.RuneCountInString(text); n > release.MaxWhatsNew || n == 0 {
				t.Fatalf("accepted %d characters for %s", n, loc)
			}
		}
		if in.Meta.AskEnc && in.Encryption == nil {
			t.Fatal("accepted a submission without the export-compliance answer")
		}
	})
}
