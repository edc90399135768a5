package slacksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

const maxRequestBody = 4 << 20

// apiRequest is a decoded Web API request.
type apiRequest struct {
	method      string
	host        string
	token       string
	contentType string
	form        url.Values                 // set for form bodies
	body        map[string]json.RawMessage // set for JSON bodies
	params      map[string]any
}

// str returns a parameter as a string.
func (r *apiRequest) str(name string) string {
	if r.form != nil {
		return r.form.Get(name)
	}
	raw, ok := r.body[name]
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

func (r *apiRequest) has(name string) bool {
	if r.form != nil {
		_, ok := r.form[name]
		return ok
	}
	_, ok := r.body[name]
	return ok
}

// rawJSON returns a JSON-valued parameter: form fields carry JSON as a string
// (e.g. blocks), JSON bodies carry it inline or as a string.
func (r *apiRequest) rawJSON(name string) (json.RawMessage, bool) {
	if r.form != nil {
		v, ok := r.form[name]
		if !ok || len(v) == 0 {
			return nil, false
		}
		return json.RawMessage(v[0]), true
	}
	raw, ok := r.body[name]
	if !ok {
		return nil, false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return json.RawMessage(s), true
	}
	return raw, true
}

// apiResult is a method's answer.
type apiResult struct {
	body       map[string]any // ok:true answer (ok is added)
	err        string         // Slack error code; "" when ok
	detail     string
	messages   []string
	violations []*Violation
}

func fail(code, format string, args ...any) apiResult {
	return apiResult{err: code, detail: fmt.Sprintf(format, args...)}
}

func ok(body map[string]any) apiResult { return apiResult{body: body} }

// blocksFailure turns Block Kit violations into Slack's answer.
func blocksFailure(code string, vs []*Violation) apiResult {
	res := apiResult{err: code, violations: vs}
	for _, v := range vs {
		res.messages = append(res.messages, "[ERROR] "+v.Detail)
	}
	return res
}

func parseAPIRequest(r *http.Request, method string) (*apiRequest, error) {
	req := &apiRequest{method: method, host: r.Host, params: map[string]any{}}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	req.contentType = ctype
	bearer := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		bearer = strings.TrimPrefix(h, "Bearer ")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		return req, fmt.Errorf("reading request body: %w", err)
	}
	switch ctype {
	case "application/json":
		req.body = map[string]json.RawMessage{}
		if len(data) > 0 {
			if err := json.Unmarshal(data, &req.body); err != nil {
				return req, fmt.Errorf("decoding JSON body: %w", err)
			}
		}
		for k, v := range req.body {
			var x any
			if err := json.Unmarshal(v, &x); err == nil {
				req.params[k] = x
			}
		}
		// JSON bodies must carry the token in the Authorization header.
		req.token = bearer
	default:
		form, err := url.ParseQuery(string(data))
		if err != nil {
			return req, fmt.Errorf("decoding form body: %w", err)
		}
		for k, v := range r.URL.Query() {
			if _, dup := form[k]; !dup {
				form[k] = v
			}
		}
		req.form = form
		for k := range form {
			req.params[k] = form.Get(k)
		}
		req.token = form.Get("token")
		if req.token == "" {
			req.token = bearer
		}
	}
	return req, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"ok":false,"error":"internal_error"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now() // on the wire's clock, for the rate limits
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	req, perr := parseAPIRequest(r, method)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": "service_unavailable"})
		return
	}
	call := Call{Method: method, Token: req.token, ContentType: req.contentType, Params: req.params, At: s.now()}
	if rl := s.rateLimits[method]; rl != nil && rl.count > 0 {
		rl.count--
		call.Status = http.StatusTooManyRequests
		call.Error = "ratelimited"
		s.calls = append(s.calls, call)
		s.dirty = true
		s.unlock()
		secs := int(math.Ceil(rl.retryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	if perr == nil && method == "chat.postMessage" && !s.postAllowed(req.str("channel"), arrived) {
		call.Status = http.StatusTooManyRequests
		call.Error = "ratelimited"
		s.calls = append(s.calls, call)
		s.violate("ratelimited", method, "more than one message a second in channel %s (beyond a burst of %d): the bot did not pace its posts", req.str("channel"), postBurst)
		s.dirty = true
		s.unlock()
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	var res apiResult
	if perr != nil {
		res = fail("invalid_form_data", "%v", perr)
	} else {
		res = s.dispatch(req)
	}
	call.Status = http.StatusOK
	call.Error = res.err
	s.calls = append(s.calls, call)
	s.dirty = true
	for _, v := range res.violations {
		v.Where = method
	}
	s.addViolations(res.violations...)
	if res.err != "" && len(res.violations) == 0 {
		s.violate(res.err, method, "%s", res.detail)
	}
	body := res.body
	if res.err != "" {
		body = map[string]any{"ok": false, "error": res.err}
		if len(res.messages) > 0 {
			body["response_metadata"] = map[string]any{"messages": res.messages}
		}
	} else {
		body["ok"] = true
	}
	s.unlock()
	writeJSON(w, http.StatusOK, body)
}

// Slack's limit on chat.postMessage: "1 per second" per channel, "short
// bursts >1 allowed" (api.slack.com/docs/rate-limits, Posting messages; the
// chat.postMessage reference says the same). The size of a burst is not
// published: assumed 8 — the bot keeps to 5, and the 3 above it absorb the
// jitter between the bot's limiter and the request's arrival here (up to
// 3 RateSeconds), so a paced bot never trips it and an unpaced one does.
const postBurst = 8

// postAllowed reports whether a message to channel arriving at t is within
// Slack's per-channel rate (counted in Options.RateSecond); s.mu must be held.
func (s *Server) postAllowed(channel string, t time.Time) bool {
	l, ok := s.postRate[channel]
	if !ok {
		l = rate.NewLimiter(rate.Limit(float64(time.Second)/float64(s.opt.RateSecond)), postBurst)
		s.postRate[channel] = l
	}
	return l.AllowN(t, 1)
}

// dispatch runs a Web API method; s.mu must be held.
func (s *Server) dispatch(req *apiRequest) apiResult {
	want := s.opt.BotToken
	if req.method == "apps.connections.open" {
		want = s.opt.AppToken
	}
	switch req.method {
	case "apps.connections.open", "auth.test", "chat.postMessage", "chat.update", "chat.postEphemeral",
		"views.open", "views.push", "views.update", "views.publish", "usergroups.users.list",
		"conversations.info":
	default:
		return fail("unknown_method", "method %q is not served", req.method)
	}
	switch {
	case req.token == "":
		return fail("not_authed", "no token (form field token or Authorization: Bearer)")
	case req.token != want:
		return fail("invalid_auth", "the token is not the expected one for %s", req.method)
	}
	switch req.method {
	case "apps.connections.open":
		return s.connectionsOpen(req)
	case "auth.test":
		return ok(map[string]any{
			"url": "https://" + TeamDomain + ".slack.com/", "team": TeamDomain, "user": "ascbot",
			"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID,
		})
	case "chat.postMessage":
		return s.chatPostMessage(req)
	case "chat.update":
		return s.chatUpdate(req)
	case "chat.postEphemeral":
		return s.chatPostEphemeral(req)
	case "views.open", "views.push":
		return s.viewsOpen(req)
	case "views.update":
		return s.viewsUpdate(req)
	case "views.publish":
		return s.viewsPublish(req)
	case "usergroups.users.list":
		members, found := s.groups[req.str("usergroup")]
		if !found {
			return fail("no_such_subteam", "user group %q does not exist", req.str("usergroup"))
		}
		return ok(map[string]any{"users": append([]string{}, members...)})
	default: // conversations.info
		id, found := s.resolveChannel(req.str("channel"))
		if !found {
			return fail("channel_not_found", "channel %q does not exist", req.str("channel"))
		}
		ch := map[string]any{"id": id, "name": s.channels[id], "is_member": true}
		if u, dm := s.dms[id]; dm {
			ch["is_im"], ch["user"] = true, u
		} else {
			ch["is_channel"] = true
		}
		return ok(map[string]any{"channel": ch})
	}
}

func (s *Server) connectionsOpen(req *apiRequest) apiResult {
	ticket := s.nextID("ticket-")
	s.tickets[ticket] = false
	return ok(map[string]any{"url": "ws://" + req.host + "/link?ticket=" + ticket + "&app_id=" + AppID})
}

// resolveChannel maps a channel id, name, DM id or user id to a channel id.
func (s *Server) resolveChannel(ch string) (string, bool) {
	if ch == "" {
		return "", false
	}
	if _, found := s.channels[ch]; found {
		return ch, true
	}
	if _, found := s.dms[ch]; found {
		return ch, true
	}
	if _, found := s.users[ch]; found {
		return dmChannel(ch), true
	}
	name := strings.TrimPrefix(ch, "#")
	for id, n := range s.channels {
		if n == name && n != "" {
			return id, true
		}
	}
	return "", false
}

// checkOutgoing validates a message the bot sends. It returns the text to
// store (truncated like Slack), a warning, and a failure when blocks are
// invalid.
func (s *Server) checkOutgoing(where, text string, blocks json.RawMessage) (string, string, *apiResult) {
	vs := checkMessage(where, text, blocks)
	var blockVs []*Violation
	warning := ""
	badFormat := false
	for _, v := range vs {
		switch v.Rule {
		case "message_text_length":
			s.addViolations(v)
			warning = "message_truncated"
			text = string([]rune(text)[:maxMessageText])
		case "blocks_format":
			badFormat = true
			blockVs = append(blockVs, v)
		default:
			blockVs = append(blockVs, v)
		}
	}
	if len(blockVs) > 0 {
		code := "invalid_blocks"
		if badFormat {
			code = "invalid_blocks_format"
		}
		res := blocksFailure(code, blockVs)
		return text, warning, &res
	}
	return text, warning, nil
}

func hasBlocks(b json.RawMessage) bool {
	t := strings.TrimSpace(string(b))
	return t != "" && t != "null" && t != "[]"
}

func withWarning(body map[string]any, warning string) map[string]any {
	if warning != "" {
		body["warning"] = warning
		body["response_metadata"] = map[string]any{"warnings": []string{warning}}
	}
	return body
}

func (s *Server) chatPostMessage(req *apiRequest) apiResult {
	ch, found := s.resolveChannel(req.str("channel"))
	if !found {
		s.emitFailed("post", req, "channel_not_found")
		return fail("channel_not_found", "channel %q does not exist", req.str("channel"))
	}
	text := req.str("text")
	blocks, _ := req.rawJSON("blocks")
	if text == "" && !hasBlocks(blocks) && !req.has("attachments") {
		s.emitFailed("post", req, "no_text")
		return fail("no_text", "a message needs text or blocks")
	}
	text, warning, bad := s.checkOutgoing(req.method, text, blocks)
	if bad != nil {
		s.emitFailed("post", req, bad.err)
		return *bad
	}
	threadTS := req.str("thread_ts")
	if threadTS != "" {
		parent, found := s.byTS[ch+"/"+threadTS]
		if !found || parent.deleted {
			s.emitFailed("post", req, "thread_not_found")
			return fail("thread_not_found", "thread_ts %q is not a message in %s", threadTS, ch)
		}
	}
	if !hasBlocks(blocks) {
		blocks = nil
	}
	m := s.storeMessage(ch, threadTS, text, blocks, req.str("reply_broadcast") == "true")
	s.emit(Event{Kind: "post", User: BotUserID, Channel: ch, TS: m.TS, ThreadTS: m.ThreadTS, Text: m.Text, Blocks: cloneRaw(m.Blocks)})
	return ok(withWarning(map[string]any{"channel": ch, "ts": m.TS, "message": m.wire()}, warning))
}

func (s *Server) chatUpdate(req *apiRequest) apiResult {
	ch, found := s.resolveChannel(req.str("channel"))
	if !found {
		s.emitFailed("update", req, "channel_not_found")
		return fail("channel_not_found", "channel %q does not exist", req.str("channel"))
	}
	ts := req.str("ts")
	m, found := s.byTS[ch+"/"+ts]
	if !found || m.deleted {
		s.emitFailed("update", req, "message_not_found")
		return fail("message_not_found", "no message %s in %s", ts, ch)
	}
	if !m.Bot {
		s.emitFailed("update", req, "cant_update_message")
		return fail("cant_update_message", "message %s in %s was not posted by the bot", ts, ch)
	}
	text, hasText := req.str("text"), req.has("text")
	blocks, blocksGiven := req.rawJSON("blocks")
	if (text == "" || !hasText) && !hasBlocks(blocks) && !req.has("attachments") {
		s.emitFailed("update", req, "no_text")
		return fail("no_text", "an update needs text or blocks")
	}
	text, warning, bad := s.checkOutgoing(req.method, text, blocks)
	if bad != nil {
		s.emitFailed("update", req, bad.err)
		return *bad
	}
	if hasText {
		m.Text = text
	}
	if blocksGiven {
		// An empty array removes the blocks; an absent field keeps them.
		if hasBlocks(blocks) {
			m.Blocks = cloneRaw(blocks)
		} else {
			m.Blocks = nil
		}
	}
	m.Edits++
	s.dirty = true
	s.emit(Event{Kind: "update", User: BotUserID, Channel: ch, TS: m.TS, ThreadTS: m.ThreadTS, Text: m.Text, Blocks: cloneRaw(m.Blocks)})
	return ok(withWarning(map[string]any{"channel": ch, "ts": m.TS, "text": m.Text, "message": m.wire()}, warning))
}

func (s *Server) chatPostEphemeral(req *apiRequest) apiResult {
	ch, found := s.resolveChannel(req.str("channel"))
	if !found {
		s.emitFailed("ephemeral", req, "channel_not_found")
		return fail("channel_not_found", "channel %q does not exist", req.str("channel"))
	}
	user := req.str("user")
	if _, known := s.users[user]; !known {
		s.emitFailed("ephemeral", req, "user_not_in_channel")
		return fail("user_not_in_channel", "user %q is not a member of %s", user, ch)
	}
	text := req.str("text")
	blocks, _ := req.rawJSON("blocks")
	if text == "" && !hasBlocks(blocks) && !req.has("attachments") {
		s.emitFailed("ephemeral", req, "no_text")
		return fail("no_text", "a message needs text or blocks")
	}
	text, warning, bad := s.checkOutgoing(req.method, text, blocks)
	if bad != nil {
		s.emitFailed("ephemeral", req, bad.err)
		return *bad
	}
	if !hasBlocks(blocks) {
		blocks = nil
	}
	m := s.storeEphemeral(user, ch, text, blocks, "chat.postEphemeral")
	s.emit(Event{Kind: "ephemeral", User: user, Channel: ch, TS: m.TS, Text: m.Text, Blocks: cloneRaw(m.Blocks), Note: "chat.postEphemeral"})
	return ok(withWarning(map[string]any{"message_ts": m.TS}, warning))
}

// emitFailed records a failed bot call in the transcript.
func (s *Server) emitFailed(kind string, req *apiRequest, code string) {
	blocks, _ := req.rawJSON("blocks")
	e := Event{Kind: kind, User: req.str("user"), Channel: req.str("channel"), TS: req.str("ts"),
		ThreadTS: req.str("thread_ts"), Text: req.str("text"), Error: code}
	if json.Valid(blocks) {
		e.Blocks = cloneRaw(blocks)
	}
	if e.User == "" && kind != "ephemeral" {
		e.User = BotUserID
	}
	s.emit(e)
}

// decodeView reads the "view" parameter.
func decodeView(req *apiRequest) (map[string]any, map[string]json.RawMessage, *apiResult) {
	raw, found := req.rawJSON("view")
	if !found {
		res := fail("invalid_arguments", "view is required")
		return nil, nil, &res
	}
	var m map[string]any
	var rm map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		res := fail("invalid_arguments", "view is not a JSON object: %v", err)
		return nil, nil, &res
	}
	if err := json.Unmarshal(raw, &rm); err != nil {
		res := fail("invalid_arguments", "view is not a JSON object: %v", err)
		return nil, nil, &res
	}
	return m, rm, nil
}

// checkViewRequest validates a view; block problems answer invalid_blocks,
// other problems invalid_arguments.
func checkViewRequest(method string, m map[string]any, wantType string) (map[string]bool, *apiResult) {
	vs, inputs := checkView(method, m, wantType)
	if len(vs) == 0 {
		return inputs, nil
	}
	code := "invalid_blocks"
	for _, v := range vs {
		if !strings.HasPrefix(v.Detail, "view.blocks") {
			code = "invalid_arguments"
		}
	}
	res := blocksFailure(code, vs)
	return inputs, &res
}

// setView copies a validated view object into v.
func (s *Server) setView(v *view, m map[string]any, rm map[string]json.RawMessage, inputs map[string]bool) {
	v.raw = m
	v.inputs = inputs
	v.Type, _ = m["type"].(string)
	v.CallbackID, _ = m["callback_id"].(string)
	v.ExternalID, _ = m["external_id"].(string)
	v.PrivateMetadata, _ = m["private_metadata"].(string)
	v.Title, v.Submit, v.Close = textOf(m["title"]), textOf(m["submit"]), textOf(m["close"])
	v.Blocks = cloneRaw(rm["blocks"])
	if string(v.Blocks) == "null" {
		v.Blocks = nil
	}
	v.Errors = nil
	v.Hash = fmt.Sprintf("%d.%s", s.now().Unix(), s.nextID("h"))
	if v.ExternalID != "" {
		s.byExtID[v.ExternalID] = v.ID
	}
	s.dirty = true
}

func (s *Server) externalIDTaken(ext, self string) bool {
	if ext == "" {
		return false
	}
	id, taken := s.byExtID[ext]
	return taken && id != self
}

func (s *Server) viewsOpen(req *apiRequest) apiResult {
	kind := "view_open"
	m, rm, bad := decodeView(req)
	if bad != nil {
		s.emit(Event{Kind: kind, Error: bad.err, Note: req.method})
		return *bad
	}
	inputs, bad := checkViewRequest(req.method, m, "modal")
	if bad != nil {
		s.emit(Event{Kind: kind, Error: bad.err, Note: req.method})
		return *bad
	}
	ext, _ := m["external_id"].(string)
	if s.externalIDTaken(ext, "") {
		s.emit(Event{Kind: kind, Error: "duplicate_external_id", Note: req.method})
		return fail("duplicate_external_id", "external_id %q is already used", ext)
	}
	trig := req.str("trigger_id")
	if code := s.useTrigger(trig); code != "" {
		s.emit(Event{Kind: kind, Error: code, Note: req.method})
		return fail(code, "trigger_id %q", trig)
	}
	user := s.triggers[trig].user
	stack := s.stacks[user]
	if req.method == "views.push" {
		if len(stack) == 0 {
			s.emit(Event{Kind: kind, User: user, Error: "not_found", Note: req.method})
			return fail("not_found", "views.push needs an open modal for %s", user)
		}
		if len(stack) >= maxViewStack {
			s.emit(Event{Kind: kind, User: user, Error: "push_limit_reached", Note: req.method})
			return fail("push_limit_reached", "the view stack already holds %d views", len(stack))
		}
	} else {
		s.closeModals(user)
		stack = nil
	}
	v := &view{View: View{ID: s.nextID("V"), User: user, Open: true}}
	v.RootViewID = v.ID
	if len(stack) > 0 {
		v.RootViewID = stack[0]
		v.PreviousViewID = stack[len(stack)-1]
	}
	s.setView(v, m, rm, inputs)
	s.views[v.ID] = v
	s.stacks[user] = append(stack, v.ID)
	snap := v.snapshot()
	note := "open"
	if req.method == "views.push" {
		note = "push"
	}
	s.emit(Event{Kind: kind, User: user, Text: v.Title, Blocks: cloneRaw(v.Blocks), View: &snap, Note: note})
	return ok(map[string]any{"view": v.wire(nil)})
}

// closeModals closes every open modal of user; s.mu must be held.
func (s *Server) closeModals(user string) {
	for _, id := range s.stacks[user] {
		s.views[id].Open = false
	}
	delete(s.stacks, user)
	s.dirty = true
}

// popModal closes the top modal of user if it is viewID.
func (s *Server) popModal(user, viewID string) {
	stack := s.stacks[user]
	for i, id := range stack {
		if id == viewID {
			for _, closed := range stack[i:] {
				s.views[closed].Open = false
			}
			s.stacks[user] = stack[:i]
			if i == 0 {
				delete(s.stacks, user)
			}
			s.dirty = true
			return
		}
	}
}

func (s *Server) viewsUpdate(req *apiRequest) apiResult {
	kind := "view_update"
	id := req.str("view_id")
	if id == "" {
		if ext := req.str("external_id"); ext != "" {
			id = s.byExtID[ext]
		}
	}
	v, found := s.views[id]
	if id == "" || !found || !v.Open {
		s.emit(Event{Kind: kind, Error: "not_found", Note: req.method})
		return fail("not_found", "no open view %q (external_id %q)", req.str("view_id"), req.str("external_id"))
	}
	if h := req.str("hash"); h != "" && h != v.Hash {
		s.emit(Event{Kind: kind, User: v.User, Error: "hash_conflict", Note: req.method})
		return fail("hash_conflict", "hash %q is stale (current %q)", h, v.Hash)
	}
	m, rm, bad := decodeView(req)
	if bad != nil {
		s.emit(Event{Kind: kind, User: v.User, Error: bad.err, Note: req.method})
		return *bad
	}
	inputs, bad := checkViewRequest(req.method, m, v.Type)
	if bad != nil {
		s.emit(Event{Kind: kind, User: v.User, Error: bad.err, Note: req.method})
		return *bad
	}
	if ext, _ := m["external_id"].(string); s.externalIDTaken(ext, v.ID) {
		s.emit(Event{Kind: kind, User: v.User, Error: "duplicate_external_id", Note: req.method})
		return fail("duplicate_external_id", "external_id %q is already used", ext)
	}
	s.setView(v, m, rm, inputs)
	v.Updates++
	snap := v.snapshot()
	s.emit(Event{Kind: kind, User: v.User, Text: v.Title, Blocks: cloneRaw(v.Blocks), View: &snap, Note: "update"})
	return ok(map[string]any{"view": v.wire(nil)})
}

func (s *Server) viewsPublish(req *apiRequest) apiResult {
	kind := "publish"
	user := req.str("user_id")
	if _, known := s.users[user]; !known {
		s.emit(Event{Kind: kind, User: user, Error: "user_not_found"})
		return fail("user_not_found", "user %q does not exist", user)
	}
	m, rm, bad := decodeView(req)
	if bad != nil {
		s.emit(Event{Kind: kind, User: user, Error: bad.err})
		return *bad
	}
	inputs, bad := checkViewRequest(req.method, m, "home")
	if bad != nil {
		s.emit(Event{Kind: kind, User: user, Error: bad.err})
		return *bad
	}
	v, found := s.views[s.homes[user]]
	if found {
		if h := req.str("hash"); h != "" && h != v.Hash {
			s.emit(Event{Kind: kind, User: user, Error: "hash_conflict"})
			return fail("hash_conflict", "hash %q is stale (current %q)", h, v.Hash)
		}
	} else {
		v = &view{View: View{ID: s.nextID("V"), User: user, Open: true}}
		v.RootViewID = v.ID
		s.views[v.ID] = v
		s.homes[user] = v.ID
	}
	if ext, _ := m["external_id"].(string); s.externalIDTaken(ext, v.ID) {
		s.emit(Event{Kind: kind, User: user, Error: "duplicate_external_id"})
		return fail("duplicate_external_id", "external_id %q is already used", ext)
	}
	s.setView(v, m, rm, inputs)
	if found {
		v.Updates++
	}
	snap := v.snapshot()
	s.emit(Event{Kind: kind, User: user, Blocks: cloneRaw(v.Blocks), View: &snap})
	return ok(map[string]any{"view": v.wire(nil)})
}

// ResponseURLMethod names posts to a response_url for InjectRateLimit.
const ResponseURLMethod = "response_url"

// IssueResponseURL hands out a response_url for user in channel, as a slash
// command would (tests of the bot's outbound path use it directly).
func (s *Server) IssueResponseURL(user, channel string) string {
	s.mu.Lock()
	defer s.unlock()
	return s.newResponseURL("slash", user, channel, "")
}

// responseURL is one response_url handed to the bot.
type responseURL struct {
	created   time.Time
	uses      int
	kind      string // "slash", "message" or "ephemeral"
	user      string
	channel   string
	messageTS string
	last      *message // the last message this slash interaction produced
}

// newResponseURL registers a response_url; s.mu must be held.
func (s *Server) newResponseURL(kind, user, channel, messageTS string) string {
	id := s.nextID("R")
	s.responseURLs[id] = &responseURL{created: s.now(), kind: kind, user: user, channel: channel, messageTS: messageTS}
	return s.srv.URL + "/response/" + id
}

// responseBody is what slack-go posts to a response_url (slack.Msg).
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
	Metadata        json.RawMessage `json:"metadata"`
}

// checkMetadata applies Slack's type for message metadata: @slack/types
// MessageMetadata has event_type (string) and event_payload (object), both
// required (https://docs.slack.dev/messaging/message-metadata). Absent is
// fine; slack-go's empty {"event_type":"","event_payload":null} is not.
// Slack's error code for it on chat.postMessage is invalid_metadata_format.
func checkMetadata(raw json.RawMessage) error {
	if !nonEmpty(raw) || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	var md struct {
		EventType    *string         `json:"event_type"`
		EventPayload json.RawMessage `json:"event_payload"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		return fmt.Errorf("metadata is not an object: %w", err)
	}
	if md.EventType == nil || *md.EventType == "" {
		return fmt.Errorf("metadata.event_type is required: %s", truncate(string(raw), 120))
	}
	if p := bytes.TrimSpace(md.EventPayload); len(p) == 0 || p[0] != '{' {
		return fmt.Errorf("metadata.event_payload must be an object: %s", truncate(string(raw), 120))
	}
	return nil
}

func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	data, rerr := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": "service_unavailable"})
		return
	}
	post := ResponseURLPost{URL: s.srv.URL + r.URL.Path, At: s.now()}
	if rl := s.rateLimits[ResponseURLMethod]; rl != nil && rl.count > 0 {
		// A refused post does not count as a use of the response_url.
		rl.count--
		post.Error = "ratelimited"
		s.rpPosts = append(s.rpPosts, post)
		s.dirty = true
		s.unlock()
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(rl.retryAfter.Seconds()))))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	code, detail, recorded := s.applyResponseURL(id, r.Method, ctype, data, rerr, &post)
	if code != "" {
		post.Error = code
		if !recorded {
			s.violate(code, "response_url", "%s", detail)
		}
	}
	s.rpPosts = append(s.rpPosts, post)
	s.dirty = true
	s.unlock()
	if code != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// applyResponseURL performs one response_url post; s.mu must be held. It
// returns Slack's error code, a detail, and whether the violations for it are
// already recorded.
func (s *Server) applyResponseURL(id, httpMethod, ctype string, data []byte, rerr error, post *ResponseURLPost) (string, string, bool) {
	ru, found := s.responseURLs[id]
	if !found {
		return "invalid_url", fmt.Sprintf("response_url %q was never issued", id), false
	}
	post.User, post.Channel, post.MessageTS = ru.user, ru.channel, ru.messageTS
	var body responseBody
	code, detail := "", ""
	switch {
	case httpMethod != http.MethodPost:
		code, detail = "invalid_method", "response_url takes POST, got "+httpMethod
	case s.now().Sub(ru.created) > responseURLLifetime:
		code, detail = "expired_url", fmt.Sprintf("response_url used %s after it was issued (limit %s)", s.now().Sub(ru.created), responseURLLifetime)
	case ru.uses >= maxResponseURLUses:
		code, detail = "used_url", fmt.Sprintf("response_url already used %d times (limit %d)", ru.uses, maxResponseURLUses)
	case rerr != nil:
		code, detail = "invalid_payload", rerr.Error()
	case ctype != "application/json":
		code, detail = "invalid_payload", fmt.Sprintf("response_url takes application/json, got %q", ctype)
	}
	if code == "" {
		if err := json.Unmarshal(data, &body); err != nil {
			code, detail = "invalid_payload", fmt.Sprintf("decoding body: %v", err)
		}
	}
	post.Text, post.ResponseType = body.Text, body.ResponseType
	post.ReplaceOriginal, post.DeleteOriginal = body.ReplaceOriginal, body.DeleteOriginal
	if hasBlocks(body.Blocks) {
		post.Blocks = cloneRaw(body.Blocks)
	}
	event := Event{Kind: "response_url", User: ru.user, Channel: ru.channel, TS: ru.messageTS, Text: body.Text, Blocks: cloneRaw(post.Blocks)}
	if code == "" && !body.DeleteOriginal && body.Text == "" && !hasBlocks(body.Blocks) {
		code, detail = "no_text", "a response needs text or blocks"
	}
	if code == "" {
		if err := checkMetadata(body.Metadata); err != nil {
			code, detail = "invalid_metadata_format", err.Error()
		}
	}
	if code == "" && !body.DeleteOriginal {
		text, _, bad := s.checkOutgoing("response_url", body.Text, body.Blocks)
		if bad != nil {
			for _, v := range bad.violations {
				v.Where = "response_url"
			}
			s.addViolations(bad.violations...)
			event.Error = bad.err
			s.emit(event)
			return bad.err, "", true
		}
		body.Text = text
	}
	if code != "" {
		event.Error = code
		s.emit(event)
		return code, detail, false
	}
	ru.uses++
	post.Use = ru.uses
	blocks := cloneRaw(post.Blocks)
	target := s.responseTarget(ru)
	switch {
	case body.DeleteOriginal:
		event.Note = "delete_original"
		if target != nil {
			target.deleted = true
			event.TS = target.TS
		}
	case body.ReplaceOriginal && target != nil:
		event.Note = "replace_original"
		if !target.Bot {
			event.Error = "cant_update_message"
			s.emit(event)
			return "cant_update_message", "the original message was not posted by the bot", false
		}
		target.Text, target.Blocks = body.Text, blocks
		target.Edits++
		event.TS = target.TS
	case body.ResponseType == "in_channel":
		event.Note = "in_channel"
		thread := body.ThreadTS
		if _, found := s.byTS[ru.channel+"/"+thread]; !found {
			thread = ""
		}
		m := s.storeMessage(ru.channel, thread, body.Text, blocks, false)
		ru.last = m
		event.TS, event.ThreadTS = m.TS, m.ThreadTS
	default:
		event.Note = "ephemeral"
		m := s.storeEphemeral(ru.user, ru.channel, body.Text, blocks, "response_url")
		ru.last = m
		event.TS = m.TS
	}
	s.dirty = true
	s.emit(event)
	return "", "", false
}

// responseTarget is the "original" message of a response_url, or nil.
func (s *Server) responseTarget(ru *responseURL) *message {
	var m *message
	switch ru.kind {
	case "message":
		m = s.byTS[ru.channel+"/"+ru.messageTS]
	case "ephemeral":
		m = s.ephemTS[ru.messageTS]
	default:
		m = ru.last
	}
	if m == nil || m.deleted {
		return nil
	}
	return m
}
