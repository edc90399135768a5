package slacksim

import (
	"encoding/json"
	"maps"
)

// message is the stored form of a channel, thread or ephemeral message.
type message struct {
	Message
	replies []*message
	parent  *message
	deleted bool
	user    string // for ephemerals: the recipient
}

// snapshot copies a message, with its replies, for callers.
func (m *message) snapshot() Message {
	out := m.Message
	out.Blocks = cloneRaw(m.Blocks)
	out.Replies = nil
	for _, r := range m.replies {
		if !r.deleted {
			rs := r.snapshot()
			out.Replies = append(out.Replies, rs)
		}
	}
	return out
}

// wire is the message object Slack returns and puts in interaction payloads.
func (m *message) wire() map[string]any {
	out := map[string]any{
		"type": "message",
		"text": m.Text,
		"ts":   m.TS,
		"team": TeamID,
	}
	if m.Bot {
		out["user"] = BotUserID
		out["bot_id"] = BotID
		out["app_id"] = AppID
	} else {
		out["user"] = m.User
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = json.RawMessage(m.Blocks)
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Edits > 0 {
		out["edited"] = map[string]any{"user": BotUserID, "ts": m.TS}
	}
	return out
}

// view is the stored form of a modal or Home tab.
type view struct {
	View
	raw    map[string]any // the view object as the bot sent it
	inputs map[string]bool
}

func (v *view) snapshot() View {
	out := v.View
	out.Blocks = cloneRaw(v.Blocks)
	out.Errors = maps.Clone(v.Errors)
	return out
}

// wire is the view object Slack returns and puts in payloads.
func (v *view) wire(state map[string]any) map[string]any {
	out := map[string]any{
		"id":                    v.ID,
		"team_id":               TeamID,
		"type":                  v.Type,
		"blocks":                json.RawMessage(orEmptyArray(v.Blocks)),
		"private_metadata":      v.PrivateMetadata,
		"callback_id":           v.CallbackID,
		"state":                 map[string]any{"values": orEmptyMap(state)},
		"hash":                  v.Hash,
		"clear_on_close":        v.raw["clear_on_close"] == true,
		"notify_on_close":       v.raw["notify_on_close"] == true,
		"root_view_id":          v.RootViewID,
		"previous_view_id":      nilIfEmpty(v.PreviousViewID),
		"app_id":                AppID,
		"external_id":           v.ExternalID,
		"app_installed_team_id": TeamID,
		"bot_id":                BotID,
	}
	for _, k := range []string{"title", "submit", "close"} {
		if t, ok := v.raw[k]; ok && t != nil {
			out[k] = t
		}
	}
	return out
}

func orEmptyArray(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return json.RawMessage("[]")
	}
	return b
}

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func cloneRaw(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return append(json.RawMessage(nil), b...)
}

// textOf returns the "text" of a text object.
func textOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["text"].(string)
	return s
}

// Messages returns the channel's top-level messages in order (thread replies
// posted with reply_broadcast appear here too), each with its replies.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.channelsM[channel] {
		if !m.deleted {
			out = append(out, m.snapshot())
		}
	}
	return out
}

// Message returns one channel or thread message by ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byTS[channel+"/"+ts]
	if !ok || m.deleted {
		return Message{}, false
	}
	return m.snapshot(), true
}

// Thread returns the replies to the message at ts, in order.
func (s *Server) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byTS[channel+"/"+ts]
	if !ok {
		return nil
	}
	var out []Message
	for _, r := range m.replies {
		if !r.deleted {
			out = append(out, r.snapshot())
		}
	}
	return out
}

// Ephemerals returns the ephemeral messages shown to user, in order: from
// chat.postEphemeral, slash command acks and response_url replies.
func (s *Server) Ephemerals(user string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.ephem[user] {
		if !m.deleted {
			out = append(out, m.snapshot())
		}
	}
	return out
}

// ResponseURLPosts returns every POST to a response_url, in order.
func (s *Server) ResponseURLPosts() []ResponseURLPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ResponseURLPost, len(s.rpPosts))
	copy(out, s.rpPosts)
	return out
}

// View returns a view by id (open or closed).
func (s *Server) View(viewID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[viewID]
	if !ok {
		return View{}, false
	}
	return v.snapshot(), true
}

// OpenViews returns the user's open modals, bottom of the stack first.
func (s *Server) OpenViews(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, id := range s.stacks[user] {
		out = append(out, s.views[id].snapshot())
	}
	return out
}

// Home returns the user's published Home tab.
func (s *Server) Home(user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.homes[user]
	if !ok {
		return View{}, false
	}
	return s.views[id].snapshot(), true
}

// PostAsUser stores a message written by a user (not the bot) and returns its
// ts; the bot may not chat.update it.
func (s *Server) PostAsUser(channel, user, text string) string {
	s.mu.Lock()
	defer s.unlock()
	m := &message{Message: Message{Channel: channel, TS: s.nextTS(), User: user, Text: text, At: s.now()}}
	s.channelsM[channel] = append(s.channelsM[channel], m)
	s.byTS[channel+"/"+m.TS] = m
	s.dirty = true
	return m.TS
}

// storeMessage adds a bot message (top-level or reply); s.mu must be held.
func (s *Server) storeMessage(channel, threadTS, text string, blocks json.RawMessage, broadcast bool) *message {
	m := &message{Message: Message{
		Channel: channel, TS: s.nextTS(), User: BotUserID, Bot: true, Text: text,
		Blocks: cloneRaw(blocks), At: s.now(),
	}}
	if threadTS != "" {
		parent := s.byTS[channel+"/"+threadTS]
		for parent.parent != nil {
			parent = parent.parent
		}
		m.ThreadTS = parent.TS
		m.parent = parent
		m.ReplyBroadcast = broadcast
		parent.replies = append(parent.replies, m)
		if broadcast {
			s.channelsM[channel] = append(s.channelsM[channel], m)
		}
	} else {
		s.channelsM[channel] = append(s.channelsM[channel], m)
	}
	s.byTS[channel+"/"+m.TS] = m
	s.dirty = true
	return m
}

// storeEphemeral adds an ephemeral message for user; s.mu must be held.
func (s *Server) storeEphemeral(user, channel, text string, blocks json.RawMessage, source string) *message {
	m := &message{Message: Message{
		Channel: channel, TS: s.nextTS(), User: BotUserID, Bot: true, Text: text,
		Blocks: cloneRaw(blocks), Source: source, At: s.now(),
	}, user: user}
	s.ephem[user] = append(s.ephem[user], m)
	s.ephemTS[m.TS] = m
	s.dirty = true
	return m
}
