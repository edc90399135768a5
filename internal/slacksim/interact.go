package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// SlashCommand sends "/asc text" from user in channel as a slash_commands
// envelope and waits for the ack. The payload carries a fresh trigger_id and
// a response_url served by this server. An ack payload that is a message is
// shown to the user (Ephemerals) or, with response_type in_channel, posted.
func (s *Server) SlashCommand(ctx context.Context, user, channel, text string) (*Ack, error) {
	s.mu.Lock()
	if err := s.checkActor(user); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("sending slash command: %w", err)
	}
	ch, found := s.resolveChannel(channel)
	if !found {
		s.mu.Unlock()
		return nil, fmt.Errorf("sending slash command in %q: %w", channel, ErrUnknownChannel)
	}
	env := s.newEnvelope("slash_commands", "slash", true)
	env.user, env.channel = user, ch
	rurl := s.newResponseURL("slash", user, ch, "")
	env.responseURL = rurl[strings.LastIndex(rurl, "/")+1:]
	payload := map[string]any{
		"token":                 verificationTokenSim,
		"team_id":               TeamID,
		"team_domain":           TeamDomain,
		"channel_id":            ch,
		"channel_name":          s.channelName(ch),
		"user_id":               user,
		"user_name":             s.users[user],
		"command":               Command,
		"text":                  text,
		"api_app_id":            AppID,
		"is_enterprise_install": false,
		"response_url":          rurl,
		"trigger_id":            s.issueTrigger(user),
	}
	env.payload = mustJSON(payload)
	s.emit(Event{Kind: "slash", User: user, Channel: ch, Text: strings.TrimSpace(Command + " " + text)})
	s.unlock()
	return s.deliver(ctx, env, "")
}

// ClickButton clicks a button on a message (channel or thread message, or one
// of user's ephemerals). The button must be in the message's CURRENT blocks
// with that action_id (and value, when value is not empty); otherwise it
// returns ErrNoSuchElement and sends nothing.
func (s *Server) ClickButton(ctx context.Context, user, channel, messageTS, actionID, value string) (*Ack, error) {
	s.mu.Lock()
	if err := s.checkActor(user); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("clicking %s: %w", actionID, err)
	}
	ch, found := s.resolveChannel(channel)
	if !found {
		s.mu.Unlock()
		return nil, fmt.Errorf("clicking %s in %q: %w", actionID, channel, ErrUnknownChannel)
	}
	m, ephemeral := s.byTS[ch+"/"+messageTS], false
	if m == nil || m.deleted {
		m = nil
		if e := s.ephemTS[messageTS]; e != nil && !e.deleted && e.user == user && e.Channel == ch {
			m, ephemeral = e, true
		}
	}
	if m == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("clicking %s on %s/%s: %w", actionID, ch, messageTS, ErrUnknownMessage)
	}
	action, err := findButton(m.Blocks, actionID, value)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("clicking %s on %s/%s: %w", actionID, ch, messageTS, err)
	}
	action["action_ts"] = s.nextTS()
	kind := "message"
	if ephemeral {
		kind = "ephemeral"
	}
	env := s.newEnvelope("interactive", "click", false)
	env.user, env.channel, env.messageTS = user, ch, m.TS
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": ch, "is_ephemeral": ephemeral}
	if m.ThreadTS != "" {
		container["thread_ts"] = m.ThreadTS
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  s.userJSON(user),
		"api_app_id":            AppID,
		"token":                 verificationTokenSim,
		"container":             container,
		"trigger_id":            s.issueTrigger(user),
		"team":                  teamJSON(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": ch, "name": s.channelName(ch)},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          s.newResponseURL(kind, user, ch, m.TS),
		"actions":               []any{action},
	}
	if !ephemeral {
		payload["message"] = m.wire()
	}
	env.payload = mustJSON(payload)
	s.emit(Event{Kind: "click", User: user, Channel: ch, TS: m.TS, ThreadTS: m.ThreadTS, Text: textOf(action["text"]), Note: actionID})
	s.unlock()
	return s.deliver(ctx, env, "")
}

// ClickViewButton clicks a button in an open modal (the top of the user's
// stack) or in the user's Home tab.
func (s *Server) ClickViewButton(ctx context.Context, user, viewID, actionID, value string) (*Ack, error) {
	s.mu.Lock()
	if err := s.checkActor(user); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("clicking %s: %w", actionID, err)
	}
	v, err := s.interactiveView(user, viewID)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("clicking %s: %w", actionID, err)
	}
	action, err := findButton(v.Blocks, actionID, value)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("clicking %s in view %s: %w", actionID, viewID, err)
	}
	action["action_ts"] = s.nextTS()
	state, err := buildState(v, nil)
	if err != nil {
		state = map[string]any{}
	}
	env := s.newEnvelope("interactive", "click", false)
	env.user, env.viewID = user, v.ID
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  s.userJSON(user),
		"api_app_id":            AppID,
		"token":                 verificationTokenSim,
		"container":             map[string]any{"type": "view", "view_id": v.ID},
		"trigger_id":            s.issueTrigger(user),
		"team":                  teamJSON(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"view":                  v.wire(state),
		"state":                 map[string]any{"values": state},
		"actions":               []any{action},
	}
	env.payload = mustJSON(payload)
	snap := v.snapshot()
	s.emit(Event{Kind: "click", User: user, Text: textOf(action["text"]), View: &snap, Note: actionID})
	s.unlock()
	return s.deliver(ctx, env, "")
}

// SubmitView submits the user's top modal. values is keyed block_id →
// action_id → value: the text of a plain_text_input (and other text inputs),
// the option value of static_select/radio_buttons, comma-joined option values
// for checkboxes/multi_static_select, the id for users/conversations/channels
// selects, YYYY-MM-DD for datepicker. Every key must name an INPUT block of
// the current view and its element's action_id; inputs not given keep their
// initial value, and a required input left empty is refused like Slack's
// client refuses it. The ack is returned; its payload's response_action is
// applied (errors, update, push, clear; an empty ack closes the view).
func (s *Server) SubmitView(ctx context.Context, user, viewID string, values map[string]map[string]string) (*Ack, error) {
	s.mu.Lock()
	if err := s.checkActor(user); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("submitting view %s: %w", viewID, err)
	}
	v, err := s.interactiveView(user, viewID)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("submitting view %s: %w", viewID, err)
	}
	if v.Type != "modal" || v.raw["submit"] == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("submitting view %s: it has no submit button: %w", viewID, ErrNoSuchElement)
	}
	state, err := buildState(v, values)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("submitting view %s: %w", viewID, err)
	}
	v.Errors = nil
	env := s.newEnvelope("interactive", "submit", true)
	env.user, env.viewID = user, v.ID
	payload := map[string]any{
		"type":                  "view_submission",
		"team":                  teamJSON(),
		"user":                  s.userJSON(user),
		"api_app_id":            AppID,
		"token":                 verificationTokenSim,
		"trigger_id":            s.issueTrigger(user),
		"view":                  v.wire(state),
		"response_urls":         []any{},
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
	env.payload = mustJSON(payload)
	snap := v.snapshot()
	s.emit(Event{Kind: "submit", User: user, Text: v.Title, Blocks: cloneRaw(v.Blocks), View: &snap, Note: v.CallbackID})
	s.dirty = true
	s.unlock()
	return s.deliver(ctx, env, "")
}

// OpenHome sends an events_api app_home_opened event for user (tab "home";
// the event carries the published Home view, if any).
func (s *Server) OpenHome(ctx context.Context, user string) (*Ack, error) {
	s.mu.Lock()
	if err := s.checkActor(user); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("opening home: %w", err)
	}
	ch := dmChannel(user)
	now := s.now()
	event := map[string]any{
		"type":     "app_home_opened",
		"user":     user,
		"channel":  ch,
		"tab":      "home",
		"event_ts": s.nextTS(),
	}
	if id, found := s.homes[user]; found {
		event["view"] = s.views[id].wire(nil)
	}
	env := s.newEnvelope("events_api", "home", false)
	env.user, env.channel = user, ch
	payload := map[string]any{
		"token":      verificationTokenSim,
		"team_id":    TeamID,
		"api_app_id": AppID,
		"event":      event,
		"type":       "event_callback",
		"event_id":   s.nextID("Ev"),
		"event_time": now.Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": TeamID, "user_id": BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-slacksim",
	}
	env.payload = mustJSON(payload)
	s.emit(Event{Kind: "home", User: user, Channel: ch})
	s.unlock()
	return s.deliver(ctx, env, "")
}

// checkActor checks that a driving user exists; s.mu must be held.
func (s *Server) checkActor(user string) error {
	if s.closed {
		return ErrClosed
	}
	if _, found := s.users[user]; !found {
		return fmt.Errorf("user %q (call AddUser first): %w", user, ErrUnknownUser)
	}
	return nil
}

func (s *Server) channelName(ch string) string {
	if _, dm := s.dms[ch]; dm {
		return "directmessage"
	}
	return s.channels[ch]
}

// interactiveView returns a view the user can interact with: the top modal
// of their stack or their Home tab.
func (s *Server) interactiveView(user, viewID string) (*view, error) {
	v, found := s.views[viewID]
	if !found || !v.Open || v.User != user {
		return nil, fmt.Errorf("view %s for %s: %w", viewID, user, ErrUnknownView)
	}
	if v.Type == "modal" {
		stack := s.stacks[user]
		if len(stack) == 0 || stack[len(stack)-1] != viewID {
			return nil, fmt.Errorf("view %s is not the top of %s's modal stack: %w", viewID, user, ErrUnknownView)
		}
	}
	return v, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("slacksim: encoding payload: %v", err))
	}
	return b
}

// decodeBlocks decodes a blocks array (nil for none).
func decodeBlocks(raw json.RawMessage) []map[string]any {
	var arr []map[string]any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &arr)
	}
	return arr
}

// blockIDOf is the block's block_id, or the id Slack would generate for it.
func blockIDOf(b map[string]any, i int) string {
	if id, _ := b["block_id"].(string); id != "" {
		return id
	}
	return "sim" + strconv.Itoa(i)
}

// element is an interactive element of a message and the id of its block.
type element struct {
	blockID string
	el      map[string]any
}

// elements lists the interactive elements a person can use in blocks: those
// of actions blocks and sections' accessories, in order.
func elements(raw json.RawMessage) []element {
	var out []element
	for i, b := range decodeBlocks(raw) {
		var elems []any
		switch b["type"] {
		case "actions":
			elems, _ = b["elements"].([]any)
		case "section":
			if acc, ok := b["accessory"]; ok {
				elems = []any{acc}
			}
		}
		for _, e := range elems {
			if el, ok := e.(map[string]any); ok {
				out = append(out, element{blockIDOf(b, i), el})
			}
		}
	}
	return out
}

// findButton finds a button by action_id (and value) in blocks and returns
// the block_actions "action" object for it.
func findButton(raw json.RawMessage, actionID, value string) (map[string]any, error) {
	valueMismatch := ""
	for _, e := range elements(raw) {
		el := e.el
		if el["type"] != "button" || el["action_id"] != actionID {
			continue
		}
		v, _ := el["value"].(string)
		if value != "" && v != value {
			valueMismatch = v
			continue
		}
		action := map[string]any{
			"action_id": actionID,
			"block_id":  e.blockID,
			"text":      el["text"],
			"value":     v,
			"type":      "button",
		}
		if st, ok := el["style"]; ok {
			action["style"] = st
		}
		return action, nil
	}
	if valueMismatch != "" {
		return nil, fmt.Errorf("button %q has value %q, not %q: %w", actionID, valueMismatch, value, ErrNoSuchElement)
	}
	return nil, fmt.Errorf("button %q: %w", actionID, ErrNoSuchElement)
}

// buildState builds view.state.values for the view's input blocks, applying
// the submitted values over the initial ones.
func buildState(v *view, values map[string]map[string]string) (map[string]any, error) {
	type input struct {
		el       map[string]any
		actionID string
		optional bool
	}
	inputs := map[string]input{}
	var order []string
	for i, b := range decodeBlocks(v.Blocks) {
		if b["type"] != "input" {
			continue
		}
		el, _ := b["element"].(map[string]any)
		aid, _ := el["action_id"].(string)
		if aid == "" {
			aid = "sim-action" + strconv.Itoa(i)
		}
		bid := blockIDOf(b, i)
		inputs[bid] = input{el: el, actionID: aid, optional: b["optional"] == true}
		order = append(order, bid)
	}
	for bid, acts := range values {
		in, found := inputs[bid]
		if !found {
			return nil, fmt.Errorf("block %q is not an input block of view %s: %w", bid, v.ID, ErrNoSuchElement)
		}
		for aid := range acts {
			if aid != in.actionID {
				return nil, fmt.Errorf("input block %q has no element with action_id %q: %w", bid, aid, ErrNoSuchElement)
			}
		}
	}
	state := map[string]any{}
	for _, bid := range order {
		in := inputs[bid]
		given, has := values[bid][in.actionID]
		entry, empty, err := stateEntry(in.el, given, has)
		if err != nil {
			return nil, fmt.Errorf("input %s/%s: %w", bid, in.actionID, err)
		}
		if empty && !in.optional {
			return nil, fmt.Errorf("required input %s/%s has no value: %w", bid, in.actionID, ErrInvalidInput)
		}
		state[bid] = map[string]any{in.actionID: entry}
	}
	return state, nil
}

// stateEntry builds one state value; empty reports that nothing is selected.
func stateEntry(el map[string]any, given string, has bool) (map[string]any, bool, error) {
	typ, _ := el["type"].(string)
	entry := map[string]any{"type": typ}
	switch typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		val, _ := el["initial_value"].(string)
		if has {
			val = given
		}
		if has && val != "" {
			n := float64(runes(val))
			if maxL, ok := number(el["max_length"]); ok && n > maxL {
				return nil, false, fmt.Errorf("%d characters > max_length %v: %w", runes(val), maxL, ErrInvalidInput)
			}
			if minL, ok := number(el["min_length"]); ok && n < minL {
				return nil, false, fmt.Errorf("%d characters < min_length %v: %w", runes(val), minL, ErrInvalidInput)
			}
			if typ == "number_input" {
				if _, err := strconv.ParseFloat(val, 64); err != nil {
					return nil, false, fmt.Errorf("%q is not a number: %w", val, ErrInvalidInput)
				}
			}
		}
		if val == "" {
			entry["value"] = nil
			return entry, true, nil
		}
		entry["value"] = val
		return entry, false, nil
	case "static_select", "radio_buttons", "external_select":
		sel := el["initial_option"]
		if has && given != "" {
			o := findOption(el, given)
			if typ == "external_select" {
				// External options are loaded on demand; take the value as given.
				o = map[string]any{"text": map[string]any{"type": "plain_text", "text": given}, "value": given}
			}
			if o == nil {
				return nil, false, fmt.Errorf("%q is not one of the options: %w", given, ErrInvalidInput)
			}
			sel = o
		} else if has {
			sel = nil
		}
		entry["selected_option"] = sel
		return entry, sel == nil, nil
	case "checkboxes", "multi_static_select", "multi_external_select":
		sel := []any{}
		if init, ok := el["initial_options"].([]any); ok && !has {
			sel = init
		}
		if has && given != "" {
			for _, val := range strings.Split(given, ",") {
				o := findOption(el, strings.TrimSpace(val))
				if o == nil {
					return nil, false, fmt.Errorf("%q is not one of the options: %w", val, ErrInvalidInput)
				}
				sel = append(sel, o)
			}
		}
		entry["selected_options"] = sel
		return entry, len(sel) == 0, nil
	case "datepicker", "timepicker":
		field, init := "selected_date", "initial_date"
		if typ == "timepicker" {
			field, init = "selected_time", "initial_time"
		}
		val, _ := el[init].(string)
		if has {
			val = given
		}
		if typ == "datepicker" && val != "" && !datePattern.MatchString(val) {
			return nil, false, fmt.Errorf("%q is not YYYY-MM-DD: %w", val, ErrInvalidInput)
		}
		entry[field] = nilIfEmpty(val)
		return entry, val == "", nil
	case "users_select", "conversations_select", "channels_select":
		field := map[string]string{"users_select": "selected_user", "conversations_select": "selected_conversation", "channels_select": "selected_channel"}[typ]
		init := map[string]string{"users_select": "initial_user", "conversations_select": "initial_conversation", "channels_select": "initial_channel"}[typ]
		val, _ := el[init].(string)
		if has {
			val = given
		}
		entry[field] = nilIfEmpty(val)
		return entry, val == "", nil
	case "multi_users_select", "multi_conversations_select", "multi_channels_select":
		field := map[string]string{"multi_users_select": "selected_users", "multi_conversations_select": "selected_conversations", "multi_channels_select": "selected_channels"}[typ]
		init := map[string]string{"multi_users_select": "initial_users", "multi_conversations_select": "initial_conversations", "multi_channels_select": "initial_channels"}[typ]
		sel := []any{}
		if iv, ok := el[init].([]any); ok && !has {
			sel = iv
		}
		if has && given != "" {
			for _, val := range strings.Split(given, ",") {
				sel = append(sel, strings.TrimSpace(val))
			}
		}
		entry[field] = sel
		return entry, len(sel) == 0, nil
	default:
		if has {
			return nil, false, fmt.Errorf("element type %q cannot be filled in by SubmitView: %w", typ, ErrInvalidInput)
		}
		return entry, true, nil
	}
}

// findOption finds an option (or grouped option) by value.
func findOption(el map[string]any, value string) any {
	var all []any
	if opts, ok := el["options"].([]any); ok {
		all = append(all, opts...)
	}
	if groups, ok := el["option_groups"].([]any); ok {
		for _, g := range groups {
			gm, _ := g.(map[string]any)
			if opts, ok := gm["options"].([]any); ok {
				all = append(all, opts...)
			}
		}
	}
	for _, o := range all {
		om, _ := o.(map[string]any)
		if om["value"] == value {
			return o
		}
	}
	return nil
}
