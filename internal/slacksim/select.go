package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
)

// SelectOption picks an option of a static_select in a channel message, as
// a person choosing from the menu does: Slack sends block_actions with the
// selected option. The option must be one the message offers.
func (s *Server) SelectOption(ctx context.Context, user, channel, messageTS, actionID, optionValue string) (*Ack, error) {
	s.mu.Lock()
	if err := s.checkActor(user); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("choosing in %s: %w", actionID, err)
	}
	ch, found := s.resolveChannel(channel)
	if !found {
		s.mu.Unlock()
		return nil, fmt.Errorf("choosing in %s in %q: %w", actionID, channel, ErrUnknownChannel)
	}
	m := s.byTS[ch+"/"+messageTS]
	if m == nil || m.deleted {
		s.mu.Unlock()
		return nil, fmt.Errorf("choosing in %s on %s/%s: %w", actionID, ch, messageTS, ErrUnknownMessage)
	}
	action, err := findSelect(m.Blocks, actionID, optionValue)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("choosing in %s on %s/%s: %w", actionID, ch, messageTS, err)
	}
	action["action_ts"] = s.nextTS()
	env := s.newEnvelope("interactive", "select", false)
	env.user, env.channel, env.messageTS = user, ch, m.TS
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": ch, "is_ephemeral": false}
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
		"response_url":          s.newResponseURL("message", user, ch, m.TS),
		"actions":               []any{action},
		"message":               m.wire(),
	}
	env.payload = mustJSON(payload)
	// What the person saw: the menu's placeholder and the option they chose
	// (the value is an opaque id; it stays in the payload).
	opt, _ := action["selected_option"].(map[string]any)
	label := textOf(opt["text"])
	if ph := textOf(action["placeholder"]); ph != "" {
		label = ph + " ▸ " + label
	}
	s.emit(Event{Kind: "click", User: user, Channel: ch, TS: m.TS, ThreadTS: m.ThreadTS, Text: label, Note: actionID})
	s.unlock()
	return s.deliver(ctx, env, "")
}

// findSelect finds a static_select by action id and one of its options by value.
func findSelect(raw json.RawMessage, actionID, value string) (map[string]any, error) {
	for _, e := range elements(raw) {
		el := e.el
		if el["type"] != "static_select" || el["action_id"] != actionID {
			continue
		}
		opts, _ := el["options"].([]any)
		for _, o := range opts {
			om, _ := o.(map[string]any)
			if om["value"] == value {
				return map[string]any{
					"action_id":       actionID,
					"block_id":        e.blockID,
					"type":            "static_select",
					"selected_option": om,
					"placeholder":     el["placeholder"],
				}, nil
			}
		}
		return nil, fmt.Errorf("select %q has no option %q: %w", actionID, value, ErrNoSuchElement)
	}
	return nil, fmt.Errorf("select %q: %w", actionID, ErrNoSuchElement)
}

// Selects lists the static_select menus of a message: action id → option values.
func Selects(blocks json.RawMessage) map[string][]string {
	out := map[string][]string{}
	for _, e := range elements(blocks) {
		if e.el["type"] != "static_select" {
			continue
		}
		id, _ := e.el["action_id"].(string)
		opts, _ := e.el["options"].([]any)
		for _, o := range opts {
			om, _ := o.(map[string]any)
			v, _ := om["value"].(string)
			out[id] = append(out[id], v)
		}
	}
	return out
}
