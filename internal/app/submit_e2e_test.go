package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/store"
)

// fillNotes opens What's New on the card, submits texts for en-US and ja and
// the export-compliance answer, and waits for the preflight to pass.
func (h *harness) fillNotes(user string) {
	h.t.Helper()
	h.fillNotesNoWait(user)
	h.waitFor("the preflight to pass", func() bool {
		m, ok := h.card()
		_, has := findButton(m.Blocks, "submit")
		return ok && has
	})
}

// fillNotesNoWait submits the What's New form with texts for en-US and ja
// and the export-compliance answer "no".
func (h *harness) fillNotesNoWait(user string) {
	h.t.Helper()
	h.click(user, "open_notes")
	v := h.notesView(user)
	ack, err := h.slack.SubmitView(h.ctx(), user, v.ID, map[string]map[string]string{
		"notes_en-US": {"text": "Recognises cursive kana twice as fast."},
		"notes_ja":    {"text": "くずし字の認識が2倍速くなりました。"},
		"encryption":  {"answer": "no"},
	})
	if err != nil {
		h.t.Fatalf("saving the notes form: %v", err)
	}
	if len(ack.Payload) > 0 && strings.Contains(string(ack.Payload), "errors") {
		h.t.Fatalf("the form was refused: %s", ack.Payload)
	}
}

// TestSubmitEndToEnd is issue 3's main path: /asc submit → the card offers
// the VALID builds → attach the newest → What's New for en-US and ja →
// submit. The simulator must then hold that build, those texts, the
// compliance answer and a submitted review submission whose only item is
// the version, and the card must read Waiting for Review.
func TestSubmitEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()

	ack := h.slash(userAna, "submit KotenOCR 1.1.0")
	if ack.Latency > time.Second {
		t.Errorf("ack took %v", ack.Latency)
	}
	card := h.mustCard()
	var builds []string
	for _, b := range buttons(card.Blocks) {
		if strings.HasPrefix(b.ActionID, "attach_build") {
			builds = append(builds, b.Text)
		}
	}
	if got, want := strings.Join(builds, ","), "Build 4,Build 3"; got != want {
		t.Fatalf("build buttons = %q, want %q (VALID only, newest first)", got, want)
	}
	if !strings.Contains(string(card.Blocks), "Build 5 processing") || !strings.Contains(string(card.Blocks), "Build 2 failed") {
		t.Errorf("the card does not list the processing and failed builds: %s", card.Blocks)
	}

	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	if v, _ := h.sim.Version(h.ids.NewVersionID); v.BuildID != h.ids.Build4ID {
		t.Fatalf("simulator build = %q, want %q", v.BuildID, h.ids.Build4ID)
	}

	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review on the card", h.cardSays("Waiting for Review"))
	h.waitFor("the submit step in the thread", h.threadSays("submitted for review"))

	v, _ := h.sim.Version(h.ids.NewVersionID)
	if v.State != "WAITING_FOR_REVIEW" || v.BuildID != h.ids.Build4ID {
		t.Errorf("version = %s with build %s, want WAITING_FOR_REVIEW with build 4", v.State, v.BuildID)
	}
	if v.WhatsNew["en-US"] != "Recognises cursive kana twice as fast." || v.WhatsNew["ja"] != "くずし字の認識が2倍速くなりました。" {
		t.Errorf("whatsNew = %v", v.WhatsNew)
	}
	if b, _ := h.sim.Build(h.ids.Build4ID); b.UsesNonExemptEncryption == nil || *b.UsesNonExemptEncryption {
		t.Errorf("export compliance = %v, want false", b.UsesNonExemptEncryption)
	}
	subs := h.sim.Submissions(h.ids.AppID)
	if len(subs) != 1 || subs[0].State != "WAITING_FOR_REVIEW" || len(subs[0].Items) != 1 || subs[0].Items[0].VersionID != h.ids.NewVersionID {
		t.Errorf("submissions = %+v, want one WAITING_FOR_REVIEW with the version as its only item", subs)
	}
	entries, err := h.rtStore().ListAudit(h.ids.AppID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if e.User == userAna {
			actions = append(actions, e.Action+":"+e.Result)
		}
	}
	for _, want := range []string{"attach-build:ok", "set-notes:ok", "submit:ok"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit log %v lacks %s", actions, want)
		}
	}
}

// payloadText decodes an ack payload back to text (JSON escapes < and >).
func payloadText(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return sb.String()
}

func (h *harness) rtStore() *store.Store {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rt.Store
}

func TestCommandMistakes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	tests := []struct {
		text string
		want string
	}{
		{"submit KotenOCX 1.1.0", "Did you mean *KotenOCR*"},
		{"submit Nothing 1.1.0", "can't find an app called `Nothing`"},
		{"submit KotenOCR", "Usage: `/asc submit <app> <version>`"},
		{"status", "Usage: `/asc status <app>`"},
		{"deploy KotenOCR", "I don't know `deploy`"},
		{"submit KotenOCR 9.9.9", "has no iOS version *9.9.9* yet"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			ack := h.slash(userAna, tt.text)
			h.waitFor("the answer", func() bool {
				return strings.Contains(payloadText(ack.Payload), tt.want) || h.ephemeralSays(userAna, tt.want)()
			})
		})
	}
	if _, ok := h.card(); ok {
		t.Error("a card was posted for a mistaken command")
	}
}

func TestHelpAndListCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	ack := h.slash(userAna, "help")
	for _, want := range []string{"/asc submit <app> <version>", "/asc release <app> [version]", "/asc history <app>"} {
		if !strings.Contains(payloadText(ack.Payload), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	h.slash(userAna, "apps")
	h.waitFor("the app list", h.ephemeralSays(userAna, "jp.example.kotenocr"))
	h.slash(userAna, "builds KotenOCR 1.1.0")
	h.waitFor("the build list", h.ephemeralSays(userAna, "Build 5"))
	h.slash(userAna, "status KotenOCR")
	h.waitFor("the status", h.ephemeralSays(userAna, "*Live:* *1.0.0*"))
}

func TestNotesTooLongAreRefusedInline(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.mustCard()
	h.click(userAna, "open_notes")
	v := h.notesView(userAna)
	long := strings.Repeat("あ", 3000)
	ack, err := h.slack.SubmitView(h.ctx(), userAna, v.ID, map[string]map[string]string{
		"notes_en-US": {"text": "Fine."},
		"notes_ja":    {"text": long},
		"more_ja":     {"text": strings.Repeat("い", 1001)},
		"encryption":  {"answer": "no"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack.Payload, &resp); err != nil || resp.Action != "errors" {
		t.Fatalf("ack = %s, want response_action errors", ack.Payload)
	}
	if !strings.Contains(resp.Errors["more_ja"], "4001 characters") {
		t.Errorf("errors = %v, want more_ja over the limit", resp.Errors)
	}
	if _, bad := resp.Errors["notes_en-US"]; bad {
		t.Errorf("en-US flagged: %v", resp.Errors)
	}
	if sv, _ := h.sim.Version(h.ids.NewVersionID); sv.WhatsNew["ja"] != "" || sv.WhatsNew["en-US"] != "" {
		t.Errorf("texts reached the simulator: %v", sv.WhatsNew)
	}
	// An empty locale on an update is refused too.
	ack, err = h.slack.SubmitView(h.ctx(), userAna, v.ID, map[string]map[string]string{
		"notes_en-US": {"text": "Fine."},
		"notes_ja":    {"text": ""},
		"more_ja":     {"text": ""},
		"encryption":  {"answer": "no"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), "notes_ja") {
		t.Errorf("ack = %s, want an error on notes_ja", ack.Payload)
	}
}

func TestDoubleClickAndRedeliveryActOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	h.fillNotes(userAna)

	m := h.mustCard()
	h.doublePressAndRedeliver(userAna, "submit")
	h.waitFor("Waiting for Review", h.cardSays("Waiting for Review"))
	h.stop() // any duplicate work finishes before counting
	n := 0
	for _, r := range h.sim.Requests() {
		if r.Method == "PATCH" && strings.HasPrefix(r.Path, "/v1/reviewSubmissions/") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d submit PATCHes reached App Store Connect, want 1", n)
	}
	if subs := h.sim.Submissions(h.ids.AppID); len(subs) != 1 {
		t.Errorf("%d review submissions, want 1", len(subs))
	}
	steps := 0
	for _, r := range h.slack.Thread(channel, m.TS) {
		if strings.Contains(r.Text, "submitted for review") {
			steps++
		}
	}
	if steps != 1 {
		t.Errorf("%d 'submitted' thread steps, want 1", steps)
	}
}

func TestStaleCardNeverActs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rt := h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	old := h.mustCard()
	// Someone attaches build 3 on the website after the card was drawn.
	if _, err := rt.ASC.Versions.AttachBuild(h.ctx(), h.ids.NewVersionID, h.ids.Build3ID); err != nil {
		t.Fatal(err)
	}
	b, _ := findButton(old.Blocks, "attach_build_"+h.ids.Build4ID)
	if _, err := h.slack.ClickButton(h.ctx(), userAna, channel, old.TS, b.ActionID, b.Value); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the explanation", h.ephemeralSays(userAna, "out of date"))
	h.waitFor("the refreshed card", h.cardSays("Build 3 · uploaded"))
	if v, _ := h.sim.Version(h.ids.NewVersionID); v.BuildID != h.ids.Build3ID {
		t.Errorf("a stale press changed the build to %s", v.BuildID)
	}
	if !h.ephemeralSays(userAna, "build 3 is attached now")() {
		t.Errorf("the user was not told what changed: %v", h.slack.Ephemerals(userAna))
	}
}

func TestRefusedUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writeYAML("apps:\n  - id: %q\n    channel: %q\n    submitters: [%q]\n    approvers: [%q]\n", h.ids.AppID, channel, userAna, userBob)
	h.start()
	h.slash(userCarol, "submit KotenOCR 1.1.0")
	h.click(userCarol, "attach_build_"+h.ids.Build4ID)
	h.waitFor("the refusal", h.ephemeralSays(userCarol, "🚫 Only <@U0ANA> may submit KotenOCR."))
	if v, _ := h.sim.Version(h.ids.NewVersionID); v.BuildID != "" {
		t.Errorf("a refused user attached build %s", v.BuildID)
	}
	entries, _ := h.rtStore().ListAudit(h.ids.AppID, 20)
	found := false
	for _, e := range entries {
		found = found || (e.User == userCarol && e.Result == "refused")
	}
	if !found {
		t.Errorf("no refusal in the audit log: %+v", entries)
	}
}

func TestOpenDraftSubmissionIsReused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rt := h.start()
	// An empty draft left by another tool (e.g. an aborted fastlane run).
	draft, _, err := rt.ASC.Submissions.Create(h.ctx(), h.ids.AppID, asc.PlatformIOS)
	if err != nil {
		t.Fatal(err)
	}
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review", h.cardSays("Waiting for Review"))
	subs := h.sim.Submissions(h.ids.AppID)
	if len(subs) != 1 || subs[0].ID != draft.ID || subs[0].State != "WAITING_FOR_REVIEW" {
		t.Errorf("submissions = %+v, want the draft %s reused and submitted", subs, draft.ID)
	}
}

func TestSubmissionInTheWayIsExplained(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rt := h.start()
	// Another version of the app is already waiting for review.
	other := h.sim.AddVersion(h.ids.AppID, ascsim.VersionSeed{Platform: "IOS", VersionString: "1.0.1", State: "PREPARE_FOR_SUBMISSION", ReleaseType: "MANUAL", Created: time.Now().Add(-time.Hour)})
	sub, _, err := rt.ASC.Submissions.Create(h.ctx(), h.ids.AppID, asc.PlatformIOS)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rt.ASC.Submissions.AddVersion(h.ctx(), sub.ID, other); err != nil {
		t.Fatal(err)
	}
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.waitFor("the blocked preflight", h.cardSays("another review submission is open"))
	if _, ok := findButton(h.mustCard().Blocks, "submit"); ok {
		t.Error("the card offers Submit while another submission is in the way")
	}
}

func TestCreateVersionAndApplesRefusal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	// 1.1.0 is being edited, so Apple refuses a new version.
	h.slash(userAna, "submit KotenOCR 1.2.0")
	h.waitFor("the offer", h.ephemeralSays(userAna, "Create version 1.2.0"))
	h.clickEphemeral(userAna, "create_version")
	h.waitFor("Apple's reason", h.ephemeralSays(userAna, "App Store Connect refused"))
	if n := len(h.sim.Versions(h.ids.AppID)); n != 2 {
		t.Errorf("%d versions after a refused create, want 2", n)
	}

	// Once 1.1.0 is live, 1.2.0 can be created from Slack.
	if err := h.sim.SetVersionState(h.ids.NewVersionID, "READY_FOR_DISTRIBUTION"); err != nil {
		t.Fatal(err)
	}
	h.slash(userAna, "submit KotenOCR 1.2.0")
	h.waitFor("the second offer", func() bool { return h.ephemeralCount(userAna, "Create version 1.2.0") == 2 })
	h.clickEphemeral(userAna, "create_version")
	h.waitFor("the new card", func() bool {
		for _, m := range h.slack.Messages(channel) {
			if strings.Contains(payloadText(m.Blocks), "KotenOCR 1.2.0 · iOS") {
				return true
			}
		}
		return false
	})
	if n := len(h.sim.Versions(h.ids.AppID)); n != 3 {
		t.Errorf("%d versions, want 3", n)
	}
}

func TestCancelFromCommandAndFromCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.submitted()
	h.slash(userAna, "cancel KotenOCR")
	h.waitFor("the cancel choices", h.ephemeralSays(userAna, "Cancel version 1.1.0"))
	h.clickEphemeral(userAna, "cancel_open_submission")
	h.waitFor("the cancel confirmation", h.ephemeralSays(userAna, "Cancelled the review submission"))
	h.waitFor("the card after the cancel", h.cardSays("*Developer Rejected*"))
	if v, _ := h.sim.Version(h.ids.NewVersionID); v.State != "DEVELOPER_REJECTED" {
		t.Fatalf("version = %s, want DEVELOPER_REJECTED", v.State)
	}
	// Apple is still cancelling: the card says so instead of offering Submit,
	// then follows the cancel to its end — nobody presses Refresh.
	h.waitFor("still canceling", h.cardSays("Apple is still cancelling"))
	h.sim.Tick()

	// Submit again from the same card, then cancel with the card's button.
	h.waitFor("Submit offered again", func() bool { _, ok := findButton(h.mustCard().Blocks, "submit"); return ok })
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review again", h.cardSays("*Waiting for Review*"))
	h.click(userAna, "cancel_submission")
	h.waitFor("cancelled from the card", func() bool { return h.threadCount("cancelled the review submission") == 2 })
	h.sim.Tick()
	h.waitFor("Submit back after the second cancel", h.hasButton("submit"))
	if v, _ := h.sim.Version(h.ids.NewVersionID); v.State != "DEVELOPER_REJECTED" {
		t.Errorf("version = %s, want DEVELOPER_REJECTED", v.State)
	}
}

func TestNotesCommandOpensTheForm(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "notes KotenOCR 1.1.0")
	v := h.notesView(userAna)
	text := payloadText(v.Blocks)
	// Empty notes are prefilled with the previous version's text.
	if !strings.Contains(text, "First release: read classical Japanese woodblock prints.") {
		t.Errorf("the form is not prefilled from 1.0.0: %s", text)
	}
	if !strings.Contains(text, "Does this build use non-exempt encryption?") {
		t.Errorf("the form does not ask about export compliance")
	}
	h.slash(userAna, "notes Nothing 1.1.0")
	h.waitFor("the explanation in a modal", func() bool {
		for _, o := range h.slack.OpenViews(userAna) {
			if strings.Contains(payloadText(o.Blocks), "can't find an app called") {
				return true
			}
		}
		return false
	})
}

// TestComplianceAnsweredBeforeABuildIsAttached: the What's New form asks the
// export-compliance question even before a build is attached; the answer is
// kept and applied to the build attached later.
func TestComplianceAnsweredBeforeABuildIsAttached(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.mustCard()
	h.fillNotesNoWait(userAna)
	h.waitFor("the notes saved", h.threadSays("set What's New"))
	h.click(userAna, "attach_build_"+h.ids.Build3ID)
	h.waitFor("build 3 attached", h.threadSays("attached build 3"))
	if b, _ := h.sim.Build(h.ids.Build3ID); b.UsesNonExemptEncryption == nil || *b.UsesNonExemptEncryption {
		t.Fatalf("build 3 compliance = %v, want the form's answer (false)", b.UsesNonExemptEncryption)
	}
	h.waitFor("the preflight to pass", func() bool { _, ok := findButton(h.mustCard().Blocks, "submit"); return ok })
}
