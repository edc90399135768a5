package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is one socket-mode websocket connection.
type wsConn struct {
	c         *websocket.Conn
	wmu       sync.Mutex
	done      chan struct{}
	closeOnce sync.Once
}

func (c *wsConn) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding frame: %w", err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.c.SetWriteDeadline(time.Now().Add(wsWriteTimeout)); err != nil {
		return fmt.Errorf("setting write deadline: %w", err)
	}
	if err := c.c.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("writing frame: %w", err)
	}
	return nil
}

func (c *wsConn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.c.Close()
	})
}

// envelope is one socket-mode request; it may be delivered several times.
type envelope struct {
	id      string
	typ     string // "slash_commands", "interactive", "events_api"
	kind    string // "slash", "click", "submit", "home"
	payload json.RawMessage
	accepts bool

	attempts    int
	pending     []*delivery
	user        string
	channel     string
	messageTS   string
	viewID      string
	responseURL string // id of the response_url handed out, if any
}

// delivery is one send of an envelope, waiting for its ack.
type delivery struct {
	env      *envelope
	attempt  int
	sent     time.Time
	timer    *time.Timer
	done     chan ackResult
	acked    bool
	timedOut bool
}

type ackResult struct {
	ack *Ack
	err error
}

// newEnvelope registers an envelope; s.mu must be held.
func (s *Server) newEnvelope(typ, kind string, accepts bool) *envelope {
	s.seq++
	env := &envelope{
		id:      fmt.Sprintf("%08x-51a0-4c00-8000-%012x", s.seq, s.seq),
		typ:     typ,
		kind:    kind,
		accepts: accepts,
	}
	s.envelopes[env.id] = env
	return env
}

func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	used, known := s.tickets[ticket]
	if !known || used {
		s.violate("invalid_ticket", "socket", "websocket dialed with an unknown or reused ticket; call apps.connections.open for each connection")
		s.unlock()
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	s.tickets[ticket] = true
	s.unlock()

	c, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered
	}
	c.SetReadLimit(wsReadLimit)
	wc := &wsConn{c: c, done: make(chan struct{})}
	c.SetPongHandler(func(string) error {
		s.mu.Lock()
		s.stats.PongsReceived++
		s.dirty = true
		s.unlock()
		return nil
	})

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.Close()
		return
	}
	s.conns[wc] = true
	s.stats.Connections++
	n := len(s.conns)
	s.wg.Add(2)
	s.mu.Unlock()

	go s.pingLoop(wc)
	hello := map[string]any{
		"type":            "hello",
		"num_connections": n,
		"debug_info": map[string]any{
			"host": "applink-slacksim", "build_number": 1, "approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": AppID},
	}
	if err := wc.writeJSON(hello); err != nil {
		wc.close()
	} else {
		s.mu.Lock()
		s.conn = wc
		s.stats.Hellos++
		s.dirty = true
		s.unlock()
	}
	s.readLoop(wc)
}

// readLoop reads acks until the connection ends.
func (s *Server) readLoop(wc *wsConn) {
	defer s.wg.Done()
	defer func() {
		wc.close()
		s.mu.Lock()
		delete(s.conns, wc)
		if s.conn == wc {
			s.conn = nil
		}
		s.dirty = true
		s.unlock()
	}()
	for {
		_, data, err := wc.c.ReadMessage()
		if err != nil {
			return
		}
		s.handleFrame(data, time.Now())
	}
}

// pingLoop sends websocket pings every PingInterval.
func (s *Server) pingLoop(wc *wsConn) {
	defer s.wg.Done()
	t := time.NewTicker(s.opt.PingInterval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-wc.done:
			return
		case <-t.C:
		}
		if err := wc.c.WriteControl(websocket.PingMessage, []byte(strconv.Itoa(n)), time.Now().Add(wsWriteTimeout)); err != nil {
			return
		}
		s.mu.Lock()
		s.stats.PingsSent++
		s.dirty = true
		s.unlock()
	}
}

// Disconnect sends {"type":"disconnect","reason":reason} on the current
// connection. New envelopes wait for the client to reconnect (through
// apps.connections.open); the old socket is closed after a short grace.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	wc := s.conn
	s.conn = nil
	s.dirty = true
	if wc != nil && !s.closed {
		s.afterFunc(disconnectGrace, wc.close)
	}
	s.unlock()
	if wc != nil {
		_ = wc.writeJSON(map[string]any{
			"type": "disconnect", "reason": reason,
			"debug_info": map[string]any{"host": "applink-slacksim"},
		})
	}
}

// waitConn waits for a connection that has received hello.
func (s *Server) waitConn(ctx context.Context) (*wsConn, error) {
	var wc *wsConn
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		wc = s.conn
		return wc != nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for a socket-mode connection: %w", err)
	}
	return wc, nil
}

// deliver sends env and waits for its ack (or AckTimeout).
func (s *Server) deliver(ctx context.Context, env *envelope, retryReason string) (*Ack, error) {
	wc, err := s.waitConn(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	d := &delivery{env: env, attempt: env.attempts, sent: time.Now(), done: make(chan ackResult, 1)}
	env.attempts++
	env.pending = append(env.pending, d)
	s.stats.Envelopes++
	d.timer = s.afterFunc(s.opt.AckTimeout, func() { s.ackTimedOut(d) })
	frame := map[string]any{
		"envelope_id":              env.id,
		"type":                     env.typ,
		"accepts_response_payload": env.accepts,
		"retry_attempt":            d.attempt,
		"retry_reason":             retryReason,
		"payload":                  env.payload,
	}
	s.dirty = true
	s.unlock()

	if err := wc.writeJSON(frame); err != nil {
		s.mu.Lock()
		s.stopTimer(d.timer)
		for i, p := range env.pending {
			if p == d {
				env.pending = append(env.pending[:i], env.pending[i+1:]...)
				break
			}
		}
		s.unlock()
		return nil, fmt.Errorf("sending %s envelope %s: %w", env.typ, env.id, err)
	}
	select {
	case r := <-d.done:
		return r.ack, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the ack of envelope %s: %w", env.id, ctx.Err())
	case <-s.closing():
		return nil, ErrClosed
	}
}

// ackTimedOut runs when a delivery was not acked within AckTimeout.
func (s *Server) ackTimedOut(d *delivery) {
	s.mu.Lock()
	if d.acked || d.timedOut || s.closed {
		s.mu.Unlock()
		return
	}
	d.timedOut = true
	env := d.env
	s.violate("ack_timeout", env.typ, "envelope %s (attempt %d) not acked within %s", env.id, d.attempt, s.opt.AckTimeout)
	d.done <- ackResult{err: fmt.Errorf("envelope %s: %w", env.id, ErrAckTimeout)}
	redeliver := env.typ == "events_api" && env.attempts <= maxEventsAPIRetries
	if redeliver {
		s.wg.Add(1)
	}
	s.unlock()
	if redeliver {
		go func() {
			defer s.wg.Done()
			_, _ = s.deliver(s.ctx, env, "timeout")
		}()
	}
}

// Redeliver sends an earlier envelope again, with the same envelope_id and
// payload and retry_attempt+1, and waits for its ack like the first delivery.
func (s *Server) Redeliver(ctx context.Context, envelopeID string) (*Ack, error) {
	s.mu.Lock()
	env, found := s.envelopes[envelopeID]
	s.mu.Unlock()
	if !found {
		return nil, fmt.Errorf("redelivering %s: %w", envelopeID, ErrUnknownEnvelope)
	}
	return s.deliver(ctx, env, "timeout")
}

// ackFrame is what the client sends back.
type ackFrame struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// handleFrame processes one frame from the client.
func (s *Server) handleFrame(data []byte, at time.Time) {
	s.mu.Lock()
	defer s.unlock()
	if len(data) >= maxAckFrameBytes {
		s.violate("ack_too_large", "socket", "ack frame of %d bytes is at or above %d bytes; Slack drops it", len(data), maxAckFrameBytes)
		return
	}
	var f ackFrame
	if err := json.Unmarshal(data, &f); err != nil {
		s.violate("frame_invalid", "socket", "frame is not JSON: %v", err)
		return
	}
	if f.EnvelopeID == "" {
		s.violate("frame_invalid", "socket", "frame has no envelope_id")
		return
	}
	env, found := s.envelopes[f.EnvelopeID]
	if !found {
		s.violate("ack_unknown_envelope", "socket", "ack for envelope %q that was never sent", f.EnvelopeID)
		return
	}
	var d *delivery
	for _, p := range env.pending {
		if !p.acked {
			d = p
			break
		}
	}
	if d == nil {
		s.violate("ack_duplicate", env.typ, "envelope %s acked more than once per delivery", env.id)
		return
	}
	d.acked = true
	s.stopTimer(d.timer)
	latency := at.Sub(d.sent)
	if latency > s.opt.AckTimeout && !d.timedOut {
		s.violate("ack_timeout", env.typ, "envelope %s acked after %s (limit %s)", env.id, latency, s.opt.AckTimeout)
		d.timedOut = true
		d.done <- ackResult{err: fmt.Errorf("envelope %s: %w", env.id, ErrAckTimeout)}
	}
	payload := json.RawMessage(nil)
	if len(f.Payload) > 0 && string(f.Payload) != "null" {
		payload = cloneRaw(f.Payload)
	}
	ack := &Ack{EnvelopeID: env.id, Payload: payload, Latency: latency}
	s.stats.Acks++
	s.emit(Event{Kind: "ack", User: env.user, Channel: env.channel, TS: env.messageTS, Ack: ack, Note: env.typ})
	if !d.timedOut {
		// Slack discards the payload of a late ack: the user already saw an error.
		s.applyAck(env, payload)
	}
	select {
	case d.done <- ackResult{ack: ack}:
	default:
	}
}

func nonEmpty(payload json.RawMessage) bool {
	t := string(payload)
	return t != "" && t != "null" && t != "{}"
}

// applyAck acts on an ack payload; s.mu must be held.
func (s *Server) applyAck(env *envelope, payload json.RawMessage) {
	if !env.accepts {
		if nonEmpty(payload) {
			s.violate("ack_payload_unexpected", env.typ, "envelope %s does not accept a response payload (accepts_response_payload false), got %s", env.id, truncate(string(payload), 200))
		}
		return
	}
	switch env.kind {
	case "slash":
		s.applySlashAck(env, payload)
	case "submit":
		s.applySubmissionAck(env, payload)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// applySlashAck shows a slash command ack payload as the command's reply.
func (s *Server) applySlashAck(env *envelope, payload json.RawMessage) {
	if !nonEmpty(payload) {
		return
	}
	var msg responseBody
	if err := json.Unmarshal(payload, &msg); err != nil {
		s.violate("ack_payload_invalid", env.typ, "slash command ack payload is not a message object: %v", err)
		return
	}
	if msg.Text == "" && !hasBlocks(msg.Blocks) {
		s.violate("ack_payload_invalid", env.typ, "slash command ack payload has neither text nor blocks: %s", truncate(string(payload), 200))
		return
	}
	if err := checkMetadata(msg.Metadata); err != nil {
		s.violate("invalid_metadata_format", env.typ, "slash command ack payload: %v", err)
		return
	}
	text, _, bad := s.checkOutgoing(env.typ, msg.Text, msg.Blocks)
	if bad != nil {
		s.addViolations(bad.violations...)
		return
	}
	blocks := msg.Blocks
	if !hasBlocks(blocks) {
		blocks = nil
	}
	var m *message
	if msg.ResponseType == "in_channel" {
		m = s.storeMessage(env.channel, "", text, blocks, false)
		s.emit(Event{Kind: "post", User: BotUserID, Channel: env.channel, TS: m.TS, Text: m.Text, Blocks: cloneRaw(m.Blocks), Note: "ack in_channel"})
	} else {
		m = s.storeEphemeral(env.user, env.channel, text, blocks, "ack")
		s.emit(Event{Kind: "ephemeral", User: env.user, Channel: env.channel, TS: m.TS, Text: m.Text, Blocks: cloneRaw(m.Blocks), Note: "ack"})
	}
	if ru := s.responseURLs[env.responseURL]; ru != nil {
		ru.last = m
	}
}

// submissionAck is a view_submission ack payload.
type submissionAck struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
	View           json.RawMessage   `json:"view"`
}

// applySubmissionAck applies response_action (or closes the view).
func (s *Server) applySubmissionAck(env *envelope, payload json.RawMessage) {
	v := s.views[env.viewID]
	if v == nil || !v.Open {
		return
	}
	emitView := func(kind, note string, vv *view) {
		snap := vv.snapshot()
		s.emit(Event{Kind: kind, User: env.user, Text: vv.Title, Blocks: cloneRaw(vv.Blocks), View: &snap, Note: note})
	}
	if !nonEmpty(payload) {
		s.popModal(env.user, v.ID)
		emitView("view_update", "close", v)
		return
	}
	var resp submissionAck
	if err := json.Unmarshal(payload, &resp); err != nil {
		s.violate("ack_payload_invalid", env.typ, "view_submission ack payload is not an object: %v", err)
		return
	}
	switch resp.ResponseAction {
	case "errors":
		if len(resp.Errors) == 0 {
			s.violate("view_errors_empty", env.typ, "response_action errors without errors")
		}
		for k := range resp.Errors {
			if !v.inputs[k] {
				s.violate("view_errors_block_id", env.typ, "errors key %q is not the block_id of an input block in view %s (Slack ignores it)", k, v.ID)
			}
		}
		v.Errors = resp.Errors
		s.dirty = true
		emitView("view_update", "errors", v)
	case "update", "push":
		if !nonEmpty(resp.View) {
			s.violate("ack_payload_invalid", env.typ, "response_action %s without a view", resp.ResponseAction)
			return
		}
		var m map[string]any
		var rm map[string]json.RawMessage
		if err := json.Unmarshal(resp.View, &m); err != nil {
			s.violate("ack_payload_invalid", env.typ, "response_action %s view is not an object: %v", resp.ResponseAction, err)
			return
		}
		_ = json.Unmarshal(resp.View, &rm)
		vs, inputs := checkView(env.typ, m, "modal")
		if len(vs) > 0 {
			s.addViolations(vs...)
			return
		}
		if ext, _ := m["external_id"].(string); s.externalIDTaken(ext, v.ID) {
			s.violate("duplicate_external_id", env.typ, "external_id %q is already used", ext)
			return
		}
		if resp.ResponseAction == "update" {
			s.setView(v, m, rm, inputs)
			v.Updates++
			emitView("view_update", "update", v)
			return
		}
		stack := s.stacks[env.user]
		if len(stack) >= maxViewStack {
			s.violate("push_limit_reached", env.typ, "the view stack already holds %d views", len(stack))
			return
		}
		nv := &view{View: View{ID: s.nextID("V"), User: env.user, Open: true, RootViewID: stack[0], PreviousViewID: stack[len(stack)-1]}}
		s.setView(nv, m, rm, inputs)
		s.views[nv.ID] = nv
		s.stacks[env.user] = append(stack, nv.ID)
		emitView("view_open", "push", nv)
	case "clear":
		s.closeModals(env.user)
		emitView("view_update", "clear", v)
	default:
		s.violate("ack_payload_invalid", env.typ, "unknown response_action %q", resp.ResponseAction)
	}
}
