package slacksim_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/slacksim"
)

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject("plain_text", s, false, false)
}

func button(actionID, value, label string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plain(label))
}

var tsPattern = regexp.MustCompile(`^\d{10}\.\d{6}$`)

func TestChatMethods(t *testing.T) {
	r := startRig(t, slacksim.Options{}, ackAll)
	ctx := testCtx(t)

	card := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*MyApp 1.2.3*", false, false), nil, nil),
		slack.NewActionBlock("card_actions", button("approve", "v1", "Approve")),
	}
	ch, ts, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("MyApp 1.2.3", false), slack.MsgOptionBlocks(card...))
	if err != nil {
		t.Fatalf("chat.postMessage: %v", err)
	}
	if ch != chan1 || !tsPattern.MatchString(ts) {
		t.Errorf("postMessage = (%q, %q), want channel %s and a Slack ts", ch, ts, chan1)
	}
	call := r.s.Calls("chat.postMessage")[0]
	if call.ContentType != "application/x-www-form-urlencoded" || call.Token != botToken || call.Param("channel") != chan1 {
		t.Errorf("postMessage call = %+v, want a form with the bot token", call)
	}
	var sent []map[string]any
	if err := json.Unmarshal([]byte(call.Param("blocks")), &sent); err != nil || len(sent) != 2 {
		t.Errorf("blocks form field = %q (%v), want a JSON array of 2", call.Param("blocks"), err)
	}

	_, reply, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("submitted", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatalf("thread reply: %v", err)
	}
	if reply <= ts {
		t.Errorf("reply ts %s not after %s", reply, ts)
	}
	if th := r.s.Thread(chan1, ts); len(th) != 1 || th[0].Text != "submitted" || th[0].ThreadTS != ts {
		t.Errorf("thread = %+v", th)
	}

	if _, _, _, err := r.api.UpdateMessageContext(ctx, chan1, ts, slack.MsgOptionText("MyApp 1.2.3 — in review", false)); err != nil {
		t.Fatalf("chat.update: %v", err)
	}
	m, ok := r.s.Message(chan1, ts)
	if !ok || m.Edits != 1 || m.Text != "MyApp 1.2.3 — in review" || !strings.Contains(string(m.Blocks), "approve") {
		t.Errorf("after a text-only update = %+v, want edits 1, new text, blocks kept", m)
	}
	if _, _, _, err := r.api.UpdateMessageContext(ctx, chan1, ts, slack.MsgOptionText("done", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatalf("chat.update: %v", err)
	}
	if m, _ := r.s.Message(chan1, ts); m.Edits != 2 || m.Blocks != nil {
		t.Errorf("after an update with blocks=[] = %+v, want blocks removed", m)
	}

	ets, err := r.api.PostEphemeralContext(ctx, chan1, user2, slack.MsgOptionText("only for bob", false))
	if err != nil {
		t.Fatalf("chat.postEphemeral: %v", err)
	}
	if eph := r.s.Ephemerals(user2); len(eph) != 1 || eph[0].TS != ets || eph[0].Source != "chat.postEphemeral" {
		t.Errorf("ephemerals = %+v", eph)
	}
	if msgs := r.s.Messages(chan1); len(msgs) != 1 || len(msgs[0].Replies) != 1 {
		t.Errorf("channel = %+v, want 1 top-level message with 1 reply", msgs)
	}
	if v := r.s.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestChatErrors(t *testing.T) {
	r := startRig(t, slacksim.Options{}, ackAll)
	ctx := testCtx(t)
	userTS := r.s.PostAsUser(chan1, user1, "hello")
	_, botTS, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	tooMany := make([]slack.Block, 51)
	for i := range tooMany {
		tooMany[i] = slack.NewDividerBlock()
	}
	wrong := slack.New("xoxb-wrong", slack.OptionAPIURL(r.s.APIURL()))
	appTok := slack.New(appToken, slack.OptionAPIURL(r.s.APIURL()))
	tests := []struct {
		name string
		call func() error
		code string
		rule string
	}{
		{"update missing message", func() error {
			_, _, _, err := r.api.UpdateMessageContext(ctx, chan1, "1700000000.999999", slack.MsgOptionText("x", false))
			return err
		}, "message_not_found", "message_not_found"},
		{"update user message", func() error {
			_, _, _, err := r.api.UpdateMessageContext(ctx, chan1, userTS, slack.MsgOptionText("x", false))
			return err
		}, "cant_update_message", "cant_update_message"},
		{"update without text or blocks", func() error {
			_, _, _, err := r.api.UpdateMessageContext(ctx, chan1, botTS)
			return err
		}, "no_text", "no_text"},
		{"unknown channel", func() error {
			_, _, err := r.api.PostMessageContext(ctx, "C404", slack.MsgOptionText("x", false))
			return err
		}, "channel_not_found", "channel_not_found"},
		{"51 blocks", func() error {
			_, _, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(tooMany...))
			return err
		}, "invalid_blocks", "blocks_per_message"},
		{"wrong bot token", func() error {
			_, _, err := wrong.PostMessageContext(ctx, chan1, slack.MsgOptionText("x", false))
			return err
		}, "invalid_auth", "invalid_auth"},
		{"app token on a bot method", func() error {
			_, err := appTok.AuthTestContext(ctx)
			return err
		}, "invalid_auth", "invalid_auth"},
		{"unknown method", func() error {
			_, _, err := r.api.DeleteMessageContext(ctx, chan1, botTS)
			return err
		}, "unknown_method", "unknown_method"},
		{"ephemeral to unknown user", func() error {
			_, err := r.api.PostEphemeralContext(ctx, chan1, "U404", slack.MsgOptionText("x", false))
			return err
		}, "user_not_in_channel", "user_not_in_channel"},
		{"reply to unknown thread", func() error {
			_, _, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("x", false), slack.MsgOptionTS("1600000000.000001"))
			return err
		}, "thread_not_found", "thread_not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(r.s.Violations())
			err := tc.call()
			if got := slackErr(err); got != tc.code {
				t.Fatalf("error = %v (code %q), want %q", err, got, tc.code)
			}
			vs := r.s.Violations()[before:]
			var v *slacksim.Violation
			if len(vs) == 0 || !errors.As(vs[0], &v) || v.Rule != tc.rule || !errors.Is(vs[0], slacksim.ErrViolation) {
				t.Fatalf("violations = %v, want rule %s", vs, tc.rule)
			}
			if strings.Contains(v.Error(), botToken) || strings.Contains(v.Error(), "xoxb-wrong") {
				t.Errorf("a violation leaks a token: %v", v)
			}
		})
	}
	if m, _ := r.s.Message(chan1, userTS); m.Edits != 0 || m.Text != "hello" {
		t.Errorf("the user's message was changed: %+v", m)
	}
}

func TestMessageTextTruncated(t *testing.T) {
	r := startRig(t, slacksim.Options{}, ackAll)
	ctx := testCtx(t)
	_, ts, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText(strings.Repeat("a", 40001), false))
	if err != nil {
		t.Fatalf("Slack accepts and truncates long text: %v", err)
	}
	if m, _ := r.s.Message(chan1, ts); len(m.Text) != 40000 {
		t.Errorf("stored text has %d characters, want 40000", len(m.Text))
	}
	if got := rules(r.s); len(got) != 1 || got[0] != "message_text_length" {
		t.Errorf("violations = %v, want [message_text_length]", got)
	}
}

func TestRateLimitInjection(t *testing.T) {
	r := startRig(t, slacksim.Options{}, ackAll)
	ctx := testCtx(t)
	r.s.InjectRateLimit("chat.postMessage", 2*time.Second, 1)
	_, _, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("err = %v, want RateLimitedError with RetryAfter 2s", err)
	}
	if _, _, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("after the injected 429: %v", err)
	}
	calls := r.s.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
	if v := r.s.Violations(); len(v) != 0 {
		t.Errorf("an injected 429 is not the bot's fault: %v", v)
	}
}

func TestUserGroupsUsersList(t *testing.T) {
	r := startRig(t, slacksim.Options{}, ackAll)
	ctx := testCtx(t)
	r.s.SetUserGroup("S0RELEASERS", user1, user2)
	got, err := r.api.GetUserGroupMembersContext(ctx, "S0RELEASERS")
	if err != nil {
		t.Fatalf("usergroups.users.list: %v", err)
	}
	if strings.Join(got, ",") != user1+","+user2 {
		t.Errorf("members = %v", got)
	}
	if _, err := r.api.GetUserGroupMembersContext(ctx, "S404"); slackErr(err) != "no_such_subteam" {
		t.Errorf("unknown group: err = %v, want no_such_subteam", err)
	}
	if call := r.s.Calls("usergroups.users.list")[0]; call.Token != botToken || call.Param("usergroup") != "S0RELEASERS" {
		t.Errorf("call = %+v", call)
	}
	info, err := r.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: chan1})
	if err != nil || info.Name != "releases" {
		t.Errorf("conversations.info = %+v, %v", info, err)
	}
	auth, err := r.api.AuthTestContext(ctx)
	if err != nil || auth.UserID != slacksim.BotUserID || auth.TeamID != slacksim.TeamID {
		t.Errorf("auth.test = %+v, %v", auth, err)
	}
}

func modal(title string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      plain(title),
		Submit:     plain("Submit"),
		Close:      plain("Cancel"),
		CallbackID: "submit_form",
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

func TestViewsOpenTriggers(t *testing.T) {
	clock := newFakeClock()
	tc := newTriggerCatcher()
	r := startRig(t, slacksim.Options{Clock: clock.Now, TriggerTTL: 3 * time.Second}, tc.handle)
	ctx := testCtx(t)
	if _, err := r.s.SlashCommand(ctx, user1, chan1, "submit"); err != nil {
		t.Fatal(err)
	}
	trigger, _ := tc.next(t)
	form := modal("Submit for review", slack.NewInputBlock("notes", plain("Notes"), nil, slack.NewPlainTextInputBlockElement(nil, "notes_input")))
	resp, err := r.api.OpenViewContext(ctx, trigger, form)
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	v, ok := r.s.View(resp.ID)
	if !ok || v.User != user1 || !v.Open || v.Title != "Submit for review" || v.CallbackID != "submit_form" || resp.Hash != v.Hash {
		t.Errorf("view = %+v (response %+v)", v, resp.View)
	}
	if open := r.s.OpenViews(user1); len(open) != 1 || open[0].ID != resp.ID {
		t.Errorf("open views = %+v", open)
	}
	call := r.s.Calls("views.open")[0]
	if call.ContentType != "application/json" || call.Token != botToken || call.Param("trigger_id") != trigger {
		t.Errorf("views.open call = %+v, want JSON with the Bearer bot token", call)
	}

	if _, err := r.api.OpenViewContext(ctx, trigger, form); slackErr(err) != "trigger_exchanged" {
		t.Errorf("reused trigger: err = %v, want trigger_exchanged", err)
	}
	if _, err := r.s.SlashCommand(ctx, user1, chan1, "submit"); err != nil {
		t.Fatal(err)
	}
	stale, _ := tc.next(t)
	clock.Advance(3*time.Second + time.Millisecond)
	if _, err := r.api.OpenViewContext(ctx, stale, form); slackErr(err) != "trigger_expired" {
		t.Errorf("expired trigger: err = %v, want trigger_expired", err)
	}
	if _, err := r.api.OpenViewContext(ctx, "123.456.bogus", form); slackErr(err) != "invalid_trigger_id" {
		t.Errorf("bogus trigger: err = %v, want invalid_trigger_id", err)
	}
	if got := strings.Join(rules(r.s), ","); got != "trigger_exchanged,trigger_expired,invalid_trigger_id" {
		t.Errorf("violations = %s", got)
	}

	// Exactly at the TTL the trigger still works.
	if _, err := r.s.SlashCommand(ctx, user1, chan1, "submit"); err != nil {
		t.Fatal(err)
	}
	fresh, _ := tc.next(t)
	clock.Advance(3 * time.Second)
	if _, err := r.api.OpenViewContext(ctx, fresh, form); err != nil {
		t.Errorf("trigger at exactly TTL: %v", err)
	}
}

func TestViewsValidationAndUpdate(t *testing.T) {
	tc := newTriggerCatcher()
	r := startRig(t, slacksim.Options{}, tc.handle)
	ctx := testCtx(t)
	if _, err := r.s.SlashCommand(ctx, user1, chan1, "x"); err != nil {
		t.Fatal(err)
	}
	trigger, _ := tc.next(t)
	if _, err := r.api.OpenViewContext(ctx, trigger, modal("This title is 25 chars!!!", slack.NewDividerBlock())); slackErr(err) != "invalid_arguments" {
		t.Fatalf("25-char title: err = %v, want invalid_arguments", err)
	}
	if !hasRule(r.s, "view_title_length") {
		t.Errorf("violations = %v, want view_title_length", rules(r.s))
	}
	// The invalid call did not consume the trigger.
	resp, err := r.api.OpenViewContext(ctx, trigger, modal("Exactly twenty-four char", slack.NewDividerBlock()))
	if err != nil {
		t.Fatalf("24-char title: %v", err)
	}
	upd := modal("Step 2", slack.NewSectionBlock(plain("next"), nil, nil))
	if _, err := r.api.UpdateViewContext(ctx, upd, "", "stale-hash", resp.ID); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash: err = %v, want hash_conflict", err)
	}
	if _, err := r.api.UpdateViewContext(ctx, upd, "", resp.Hash, resp.ID); err != nil {
		t.Fatalf("views.update: %v", err)
	}
	if v, _ := r.s.View(resp.ID); v.Title != "Step 2" || v.Updates != 1 || v.Hash == resp.Hash {
		t.Errorf("updated view = %+v", v)
	}
	if _, err := r.api.UpdateViewContext(ctx, upd, "", "", "V404"); slackErr(err) != "not_found" {
		t.Errorf("unknown view: err = %v, want not_found", err)
	}
	if _, err := r.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user1, View: slack.HomeTabViewRequest{Type: slack.VTModal}}); slackErr(err) != "invalid_arguments" {
		t.Errorf("publish a modal: err = %v, want invalid_arguments", err)
	}
}

func TestViewSubmission(t *testing.T) {
	type submitted struct {
		values map[string]map[string]slack.BlockAction
		viewID string
	}
	subs := make(chan submitted, 8)
	var respondMu sync.Mutex
	respondFn := func() any { return nil }
	respond := func() any {
		respondMu.Lock()
		defer respondMu.Unlock()
		return respondFn()
	}
	setRespond := func(f func() any) {
		respondMu.Lock()
		defer respondMu.Unlock()
		respondFn = f
	}
	tc := newTriggerCatcher()
	r := startRig(t, slacksim.Options{}, func(ctx context.Context, c *socketmode.Client, evt socketmode.Event) {
		if cb, ok := evt.Data.(slack.InteractionCallback); ok && cb.Type == slack.InteractionTypeViewSubmission {
			subs <- submitted{values: cb.View.State.Values, viewID: cb.View.ID}
			if p := respond(); p != nil {
				_ = c.Ack(*evt.Request, p)
				return
			}
			_ = c.Ack(*evt.Request)
			return
		}
		tc.handle(ctx, c, evt)
	})
	ctx := testCtx(t)
	open := func() string {
		t.Helper()
		if _, err := r.s.SlashCommand(ctx, user1, chan1, "form"); err != nil {
			t.Fatal(err)
		}
		trigger, _ := tc.next(t)
		resp, err := r.api.OpenViewContext(ctx, trigger, modal("Release",
			slack.NewSectionBlock(plain("Fill in"), nil, nil, slack.SectionBlockOptionBlockID("info")),
			slack.NewInputBlock("version", plain("Version"), nil, slack.NewPlainTextInputBlockElement(nil, "version_input")),
			slack.NewInputBlock("phased", plain("Phased"), nil, slack.NewRadioButtonsBlockElement("phased_input",
				slack.NewOptionBlockObject("yes", plain("Yes"), nil), slack.NewOptionBlockObject("no", plain("No"), nil))),
		))
		if err != nil {
			t.Fatal(err)
		}
		return resp.ID
	}
	viewID := open()
	values := map[string]map[string]string{"version": {"version_input": "1.2.3"}, "phased": {"phased_input": "yes"}}

	setRespond(func() any {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{"version": "already exists"})
	})
	ack, err := r.s.SubmitView(ctx, user1, viewID, values)
	if err != nil {
		t.Fatalf("SubmitView: %v", err)
	}
	sub := <-subs
	if sub.viewID != viewID || sub.values["version"]["version_input"].Value != "1.2.3" ||
		sub.values["phased"]["phased_input"].SelectedOption.Value != "yes" {
		t.Errorf("submitted state = %+v", sub.values)
	}
	if !strings.Contains(string(ack.Payload), `"response_action":"errors"`) {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	if v, _ := r.s.View(viewID); !v.Open || v.Errors["version"] != "already exists" {
		t.Errorf("after errors the view = %+v, want open with the error", v)
	}
	if v := r.s.Violations(); len(v) != 0 {
		t.Fatalf("errors keyed by an input block_id: violations %v", v)
	}

	setRespond(func() any { return slack.NewErrorsViewSubmissionResponse(map[string]string{"info": "bad"}) })
	if _, err := r.s.SubmitView(ctx, user1, viewID, values); err != nil {
		t.Fatal(err)
	}
	<-subs
	if got := rules(r.s); len(got) != 1 || got[0] != "view_errors_block_id" {
		t.Errorf("errors keyed by a section block_id: violations %v, want [view_errors_block_id]", got)
	}

	setRespond(func() any {
		m := modal("Pushed", slack.NewSectionBlock(plain("step 2"), nil, nil))
		return slack.NewPushViewSubmissionResponse(&m)
	})
	if _, err := r.s.SubmitView(ctx, user1, viewID, values); err != nil {
		t.Fatal(err)
	}
	<-subs
	stack := r.s.OpenViews(user1)
	if len(stack) != 2 || stack[1].Title != "Pushed" || stack[1].PreviousViewID != viewID {
		t.Fatalf("after push the stack = %+v", stack)
	}
	if _, err := r.s.SubmitView(ctx, user1, viewID, values); !errors.Is(err, slacksim.ErrUnknownView) {
		t.Errorf("submitting a view under the top: err = %v, want ErrUnknownView", err)
	}

	setRespond(func() any { return slack.NewClearViewSubmissionResponse() })
	if _, err := r.s.SubmitView(ctx, user1, stack[1].ID, nil); err != nil {
		t.Fatal(err)
	}
	<-subs
	if open := r.s.OpenViews(user1); len(open) != 0 {
		t.Errorf("after clear the stack = %+v", open)
	}

	viewID = open()
	setRespond(func() any { return nil })
	if _, err := r.s.SubmitView(ctx, user1, viewID, map[string]map[string]string{"version": {"version_input": "9"}}); !errors.Is(err, slacksim.ErrInvalidInput) {
		t.Errorf("required radio left empty: err = %v, want ErrInvalidInput", err)
	}
	if _, err := r.s.SubmitView(ctx, user1, viewID, map[string]map[string]string{"info": {"x": "y"}}); !errors.Is(err, slacksim.ErrNoSuchElement) {
		t.Errorf("value for a section: err = %v, want ErrNoSuchElement", err)
	}
	if _, err := r.s.SubmitView(ctx, user1, viewID, map[string]map[string]string{"phased": {"phased_input": "maybe"}, "version": {"version_input": "1"}}); !errors.Is(err, slacksim.ErrInvalidInput) {
		t.Errorf("unknown option: err = %v, want ErrInvalidInput", err)
	}
	if _, err := r.s.SubmitView(ctx, user1, viewID, values); err != nil {
		t.Fatal(err)
	}
	<-subs
	if v, _ := r.s.View(viewID); v.Open {
		t.Errorf("an empty ack must close the view: %+v", v)
	}
	if got := rules(r.s); len(got) != 1 {
		t.Errorf("violations = %v, want only the earlier view_errors_block_id", got)
	}
}

func TestClickButton(t *testing.T) {
	clicks := make(chan slack.InteractionCallback, 4)
	r := startRig(t, slacksim.Options{}, func(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			clicks <- cb
		}
		ackAll(context.Background(), c, evt)
	})
	ctx := testCtx(t)
	_, ts, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("card", false), slack.MsgOptionBlocks(
		slack.NewSectionBlock(plain("MyApp 1.2.3"), nil, slack.NewAccessory(button("details", "d", "Details"))),
		slack.NewActionBlock("card_actions", button("approve", "v1", "Approve"), button("reject", "v1", "Reject")),
	))
	if err != nil {
		t.Fatal(err)
	}
	ack, err := r.s.ClickButton(ctx, user2, chan1, ts, "approve", "v1")
	if err != nil {
		t.Fatalf("ClickButton: %v", err)
	}
	cb := <-clicks
	act := cb.ActionCallback.BlockActions
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != user2 || cb.Container.MessageTs != ts ||
		cb.Container.ChannelID != chan1 || cb.Message.Timestamp != ts || len(cb.Message.Blocks.BlockSet) != 2 ||
		cb.TriggerID == "" || !strings.HasPrefix(cb.ResponseURL, r.s.URL()+"/response/") ||
		len(act) != 1 || act[0].ActionID != "approve" || act[0].BlockID != "card_actions" || act[0].Value != "v1" {
		t.Errorf("block_actions payload = %+v (actions %+v)", cb, act)
	}
	if ack.Payload != nil {
		t.Errorf("ack payload = %s, want none", ack.Payload)
	}
	if _, err := r.s.ClickButton(ctx, user2, chan1, ts, "details", ""); err != nil {
		t.Errorf("section accessory button: %v", err)
	}
	<-clicks

	before := r.s.Stats().Envelopes
	tests := []struct {
		name     string
		ts       string
		actionID string
		value    string
		want     error
	}{
		{"button not on the card", ts, "publish", "", slacksim.ErrNoSuchElement},
		{"wrong value", ts, "approve", "v2", slacksim.ErrNoSuchElement},
		{"unknown message", "1600000000.000001", "approve", "", slacksim.ErrUnknownMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := r.s.ClickButton(ctx, user2, chan1, tc.ts, tc.actionID, tc.value); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, _, _, err := r.api.UpdateMessageContext(ctx, chan1, ts, slack.MsgOptionText("approved", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(plain("Approved"), nil, nil))); err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.ClickButton(ctx, user2, chan1, ts, "approve", "v1"); !errors.Is(err, slacksim.ErrNoSuchElement) {
		t.Errorf("clicking a button the update removed: err = %v, want ErrNoSuchElement", err)
	}
	if got := r.s.Stats().Envelopes; got != before {
		t.Errorf("failed clicks sent %d envelopes", got-before)
	}
}

// validMetadata is message metadata as Slack's type requires it: slack-go
// otherwise sends {"event_type":"","event_payload":null}.
var validMetadata = slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "test_event", EventPayload: map[string]any{"k": "v"}})

// TestEmptyMetadataRefused: slack-go sends metadata on every response_url
// post, {"event_type":"","event_payload":null} unless set; Slack's type
// requires both fields, so the stand-in refuses it.
func TestEmptyMetadataRefused(t *testing.T) {
	tc := newTriggerCatcher()
	r := startRig(t, slacksim.Options{}, tc.handle)
	ctx := testCtx(t)
	if _, err := r.s.SlashCommand(ctx, user1, chan1, "status"); err != nil {
		t.Fatal(err)
	}
	_, url := tc.next(t)
	_, _, err := r.api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("hi", false))
	if slackErr(err) != "invalid_metadata_format" {
		t.Fatalf("err = %v, want invalid_metadata_format", err)
	}
	if !hasRule(r.s, "invalid_metadata_format") {
		t.Errorf("violations %v lack invalid_metadata_format", rules(r.s))
	}
	if _, _, err := r.api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), validMetadata, slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("with metadata set: %v", err)
	}
}

func TestResponseURL(t *testing.T) {
	clock := newFakeClock()
	tc := newTriggerCatcher()
	r := startRig(t, slacksim.Options{Clock: clock.Now}, tc.handle)
	ctx := testCtx(t)
	// slack-go sends metadata on every response_url post, empty unless set;
	// these posts set it, as Slack's type requires.
	post := func(url string, opts ...slack.MsgOption) error {
		_, _, err := r.api.PostMessageContext(ctx, "", append([]slack.MsgOption{slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), validMetadata}, opts...)...)
		return err
	}

	t.Run("five uses then used_url", func(t *testing.T) {
		if _, err := r.s.SlashCommand(ctx, user1, chan1, "status"); err != nil {
			t.Fatal(err)
		}
		_, url := tc.next(t)
		for i := 1; i <= 5; i++ {
			if err := post(url, slack.MsgOptionText("update", false)); err != nil {
				t.Fatalf("use %d: %v", i, err)
			}
		}
		if err := post(url, slack.MsgOptionText("sixth", false)); slackErr(err) != "used_url" {
			t.Fatalf("6th use: err = %v, want used_url", err)
		}
		if eph := r.s.Ephemerals(user1); len(eph) != 5 || eph[4].Source != "response_url" {
			t.Errorf("ephemerals = %d, want 5 from response_url", len(eph))
		}
		posts := r.s.ResponseURLPosts()
		if len(posts) != 6 || posts[4].Use != 5 || posts[5].Error != "used_url" || posts[0].User != user1 {
			t.Errorf("posts = %+v", posts)
		}
		if got := rules(r.s); len(got) != 1 || got[0] != "used_url" {
			t.Errorf("violations = %v", got)
		}
	})

	t.Run("expired after 30 minutes", func(t *testing.T) {
		if _, err := r.s.SlashCommand(ctx, user1, chan1, "status"); err != nil {
			t.Fatal(err)
		}
		_, url := tc.next(t)
		clock.Advance(30 * time.Minute)
		if err := post(url, slack.MsgOptionText("at 30 min", false)); err != nil {
			t.Fatalf("at exactly 30 minutes: %v", err)
		}
		clock.Advance(time.Second)
		if err := post(url, slack.MsgOptionText("late", false)); slackErr(err) != "expired_url" {
			t.Errorf("after 30 minutes: err = %v, want expired_url", err)
		}
	})

	t.Run("replace and delete original", func(t *testing.T) {
		_, ts, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("card", false),
			slack.MsgOptionBlocks(slack.NewActionBlock("a", button("approve", "1", "Approve"))))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.s.ClickButton(ctx, user1, chan1, ts, "approve", ""); err != nil {
			t.Fatal(err)
		}
		_, url := tc.next(t)
		if _, _, err := r.api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(url), validMetadata, slack.MsgOptionText("Approved by alice", false)); err != nil {
			t.Fatalf("replace_original: %v", err)
		}
		m, ok := r.s.Message(chan1, ts)
		if !ok || m.Text != "Approved by alice" || m.Blocks != nil || m.Edits != 1 {
			t.Errorf("replaced message = %+v", m)
		}
		if _, _, err := r.api.PostMessageContext(ctx, "", slack.MsgOptionDeleteOriginal(url), validMetadata); err != nil {
			t.Fatalf("delete_original: %v", err)
		}
		if _, ok := r.s.Message(chan1, ts); ok {
			t.Errorf("the message survived delete_original")
		}
	})
}

func TestEphemeralButtonsAndDM(t *testing.T) {
	clicks := make(chan slack.InteractionCallback, 4)
	r := startRig(t, slacksim.Options{}, func(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			clicks <- cb
		}
		ackAll(context.Background(), c, evt)
	})
	ctx := testCtx(t)
	ets, err := r.api.PostEphemeralContext(ctx, chan1, user1, slack.MsgOptionText("confirm?", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("confirm", button("yes", "1", "Yes"))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.ClickButton(ctx, user2, chan1, ets, "yes", ""); !errors.Is(err, slacksim.ErrUnknownMessage) {
		t.Errorf("another user clicking alice's ephemeral: err = %v, want ErrUnknownMessage", err)
	}
	if _, err := r.s.ClickButton(ctx, user1, chan1, ets, "yes", ""); err != nil {
		t.Fatalf("clicking an ephemeral: %v", err)
	}
	cb := <-clicks
	if !cb.Container.IsEphemeral || cb.Container.MessageTs != ets || cb.Message.Timestamp != "" {
		t.Errorf("ephemeral click container = %+v, message ts %q; want is_ephemeral and no message", cb.Container, cb.Message.Timestamp)
	}
	if _, _, err := r.api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL), validMetadata, slack.MsgOptionText("confirmed", false)); err != nil {
		t.Fatalf("replace_original on an ephemeral: %v", err)
	}
	if eph := r.s.Ephemerals(user1); len(eph) != 1 || eph[0].Text != "confirmed" || eph[0].Edits != 1 {
		t.Errorf("ephemerals = %+v, want the replaced one", eph)
	}

	ch, ts, err := r.api.PostMessageContext(ctx, user2, slack.MsgOptionText("your build is live", false))
	if err != nil {
		t.Fatalf("posting to a user id: %v", err)
	}
	if ch != slacksim.DMChannel(user2) {
		t.Errorf("DM channel = %s, want %s", ch, slacksim.DMChannel(user2))
	}
	if m, ok := r.s.Message(ch, ts); !ok || m.Text != "your build is live" {
		t.Errorf("DM message = %+v", m)
	}
	if v := r.s.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}
