package slacksim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/slacksim"
)

func TestConnectAndHello(t *testing.T) {
	hello := make(chan socketmode.Event, 4)
	r := startRig(t, slacksim.Options{}, func(_ context.Context, _ *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeHello {
			hello <- evt
		}
	})
	ctx := testCtx(t)
	if err := r.s.Connected(ctx); err != nil {
		t.Fatalf("Connected: %v", err)
	}
	select {
	case evt := <-hello:
		if evt.Request.ConnectionInfo.AppID != slacksim.AppID || evt.Request.NumConnections != 1 {
			t.Errorf("hello = %+v, want app_id %s and num_connections 1", evt.Request, slacksim.AppID)
		}
	case <-ctx.Done():
		t.Fatal("the client never saw hello")
	}
	opens := r.s.Calls("apps.connections.open")
	if len(opens) != 1 || opens[0].Token != appToken || opens[0].Error != "" {
		t.Fatalf("apps.connections.open calls = %+v, want one with the app token", opens)
	}
	if st := r.s.Stats(); st.Connections != 1 || st.Hellos != 1 {
		t.Errorf("stats = %+v, want 1 connection and 1 hello", st)
	}
	if v := r.s.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestAppsConnectionsOpenAuth(t *testing.T) {
	s := slacksim.New(slacksim.Options{BotToken: botToken, AppToken: appToken})
	t.Cleanup(s.Close)
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{name: "app token", token: appToken, want: ""},
		{name: "bot token", token: botToken, want: "invalid_auth"},
		{name: "no token", token: "", want: "not_authed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, s.APIURL()+"apps.connections.open", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
				URL   string `json:"url"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if body.Error != tc.want || body.OK != (tc.want == "") {
				t.Fatalf("answer = %+v, want error %q", body, tc.want)
			}
			if tc.want == "" && !strings.HasPrefix(body.URL, "ws://127.0.0.1:") {
				t.Errorf("url = %q, want ws://127.0.0.1:…", body.URL)
			}
		})
	}
}

func TestSlashCommandRoundTrip(t *testing.T) {
	got := make(chan slack.SlashCommand, 1)
	var sawRequest atomic.Pointer[socketmode.Request]
	r := startRig(t, slacksim.Options{}, func(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			return
		}
		sawRequest.Store(evt.Request)
		got <- cmd
		reply := map[string]any{"text": "working on " + cmd.Text}
		if cmd.Text == "public" {
			reply["response_type"] = "in_channel"
		}
		_ = c.Ack(*evt.Request, reply)
	})
	ctx := testCtx(t)
	ack, err := r.s.SlashCommand(ctx, user1, chan1, "submit 1.2.3")
	if err != nil {
		t.Fatalf("SlashCommand: %v", err)
	}
	cmd := <-got
	if cmd.Command != "/asc" || cmd.Text != "submit 1.2.3" || cmd.UserID != user1 || cmd.ChannelID != chan1 ||
		cmd.TeamID != slacksim.TeamID || cmd.APIAppID != slacksim.AppID || cmd.TriggerID == "" ||
		!strings.HasPrefix(cmd.ResponseURL, r.s.URL()+"/response/") {
		t.Errorf("slash payload = %+v", cmd)
	}
	if req := sawRequest.Load(); !req.AcceptsResponsePayload || req.Type != "slash_commands" || req.EnvelopeID != ack.EnvelopeID {
		t.Errorf("envelope = %+v, want slash_commands accepting a payload with id %s", req, ack.EnvelopeID)
	}
	if ack.Latency <= 0 || ack.Latency > 3*time.Second {
		t.Errorf("ack latency = %v, want within (0, 3s]", ack.Latency)
	}
	if !strings.Contains(string(ack.Payload), "working on submit 1.2.3") {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	eph := r.s.Ephemerals(user1)
	if len(eph) != 1 || eph[0].Text != "working on submit 1.2.3" || eph[0].Source != "ack" || eph[0].Channel != chan1 {
		t.Fatalf("ephemerals = %+v, want the ack reply", eph)
	}
	if len(r.s.Messages(chan1)) != 0 {
		t.Errorf("an ephemeral ack reply must not be in the channel")
	}

	if _, err := r.s.SlashCommand(ctx, user1, chan1, "public"); err != nil {
		t.Fatalf("SlashCommand: %v", err)
	}
	<-got
	msgs := r.s.Messages(chan1)
	if len(msgs) != 1 || msgs[0].Text != "working on public" || !msgs[0].Bot {
		t.Errorf("channel = %+v, want the in_channel ack reply", msgs)
	}
	if v := r.s.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestSlashCommandUnknownActor(t *testing.T) {
	r := startRig(t, slacksim.Options{}, ackAll)
	ctx := testCtx(t)
	if _, err := r.s.SlashCommand(ctx, "U404", chan1, "x"); !errors.Is(err, slacksim.ErrUnknownUser) {
		t.Errorf("unknown user: err = %v, want ErrUnknownUser", err)
	}
	if _, err := r.s.SlashCommand(ctx, user1, "C404", "x"); !errors.Is(err, slacksim.ErrUnknownChannel) {
		t.Errorf("unknown channel: err = %v, want ErrUnknownChannel", err)
	}
}

func TestAckTimeout(t *testing.T) {
	t.Run("slash command acked late", func(t *testing.T) {
		release := make(chan struct{})
		r := startRig(t, slacksim.Options{AckTimeout: 150 * time.Millisecond}, func(ctx context.Context, c *socketmode.Client, evt socketmode.Event) {
			if _, ok := evt.Data.(slack.SlashCommand); !ok {
				return
			}
			select {
			case <-release:
			case <-ctx.Done():
				return
			}
			_ = c.Ack(*evt.Request, map[string]any{"text": "too late"})
		})
		ctx := testCtx(t)
		_, err := r.s.SlashCommand(ctx, user1, chan1, "status")
		if !errors.Is(err, slacksim.ErrAckTimeout) {
			t.Fatalf("SlashCommand err = %v, want ErrAckTimeout", err)
		}
		if got := rules(r.s); len(got) != 1 || got[0] != "ack_timeout" {
			t.Fatalf("violations = %v, want [ack_timeout]", got)
		}
		close(release)
		if err := r.s.WaitFor(ctx, func() bool { return r.s.Stats().Acks == 1 }); err != nil {
			t.Fatalf("late ack never arrived: %v", err)
		}
		if got := rules(r.s); len(got) != 1 {
			t.Errorf("violations after the late ack = %v, want only the first ack_timeout", got)
		}
		if eph := r.s.Ephemerals(user1); len(eph) != 0 {
			t.Errorf("Slack discards a late ack's payload, got ephemerals %+v", eph)
		}
	})

	t.Run("events_api redelivered after timeout", func(t *testing.T) {
		retries := make(chan *socketmode.Request, 4)
		r := startRig(t, slacksim.Options{AckTimeout: 400 * time.Millisecond}, func(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
			if evt.Type != socketmode.EventTypeEventsAPI {
				return
			}
			if evt.Request.RetryAttempt == 0 {
				return // drop the first delivery
			}
			retries <- evt.Request
			_ = c.Ack(*evt.Request)
		})
		ctx := testCtx(t)
		_, err := r.s.OpenHome(ctx, user1)
		if !errors.Is(err, slacksim.ErrAckTimeout) {
			t.Fatalf("OpenHome err = %v, want ErrAckTimeout", err)
		}
		select {
		case req := <-retries:
			if req.RetryAttempt != 1 || req.RetryReason != "timeout" {
				t.Errorf("redelivery = attempt %d reason %q, want 1 and timeout", req.RetryAttempt, req.RetryReason)
			}
		case <-ctx.Done():
			t.Fatal("no redelivery")
		}
		if err := r.s.WaitFor(ctx, func() bool { return r.s.Stats().Acks == 1 }); err != nil {
			t.Fatal(err)
		}
		if got := rules(r.s); len(got) != 1 || got[0] != "ack_timeout" {
			t.Errorf("violations = %v, want one ack_timeout", got)
		}
	})
}

func TestBadAcks(t *testing.T) {
	tests := []struct {
		name string
		h    handler
		rule string
	}{
		{
			name: "duplicate ack",
			h: func(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
				if _, ok := evt.Data.(slack.SlashCommand); ok {
					_ = c.Ack(*evt.Request)
					_ = c.Ack(*evt.Request)
				}
			},
			rule: "ack_duplicate",
		},
		{
			name: "unknown envelope",
			h: func(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
				if _, ok := evt.Data.(slack.SlashCommand); ok {
					_ = c.Ack(socketmode.Request{EnvelopeID: "never-sent"})
					_ = c.Ack(*evt.Request)
				}
			},
			rule: "ack_unknown_envelope",
		},
		{
			name: "payload on block_actions",
			h: func(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
				if evt.Request != nil && evt.Request.EnvelopeID != "" {
					_ = c.Ack(*evt.Request, map[string]any{"text": "nobody reads this"})
				}
			},
			rule: "ack_payload_unexpected",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := startRig(t, slacksim.Options{}, tc.h)
			ctx := testCtx(t)
			if tc.rule == "ack_payload_unexpected" {
				_, ts, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionBlocks(
					slack.NewActionBlock("act", slack.NewButtonBlockElement("go", "1", slack.NewTextBlockObject("plain_text", "Go", false, false)))))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := r.s.ClickButton(ctx, user1, chan1, ts, "go", ""); err != nil {
					t.Fatal(err)
				}
			} else if _, err := r.s.SlashCommand(ctx, user1, chan1, "x"); err != nil {
				t.Fatal(err)
			}
			if err := r.s.WaitFor(ctx, func() bool { return hasRule(r.s, tc.rule) }); err != nil {
				t.Fatalf("no %s violation (got %v): %v", tc.rule, rules(r.s), err)
			}
			if got := rules(r.s); len(got) != 1 {
				t.Errorf("violations = %v, want only %s", got, tc.rule)
			}
		})
	}
}

// rawClient connects a bare gorilla websocket to the server.
func rawClient(t *testing.T, ctx context.Context, s *slacksim.Server) *websocket.Conn {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.APIURL()+"apps.connections.open", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+appToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var open struct {
		URL string `json:"url"`
	}
	err = json.NewDecoder(resp.Body).Decode(&open)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, open.URL, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatalf("dialing %s: %v", open.URL, err)
	}
	t.Cleanup(func() { conn.Close() })
	var hello map[string]any
	if err := conn.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
		t.Fatalf("first frame = %v (%v), want hello", hello, err)
	}
	return conn
}

func TestAckFrameSizeLimit(t *testing.T) {
	tests := []struct {
		name      string
		frameSize int
		wantErr   error
	}{
		{name: "just under 20 KB", frameSize: 20*1024 - 1},
		{name: "exactly 20 KB", frameSize: 20 * 1024, wantErr: slacksim.ErrAckTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := slacksim.New(slacksim.Options{BotToken: botToken, AppToken: appToken, AckTimeout: 300 * time.Millisecond})
			t.Cleanup(s.Close)
			s.AddUser(user1, "alice")
			s.AddChannel(chan1, "releases")
			ctx := testCtx(t)
			conn := rawClient(t, ctx, s)
			type result struct {
				ack *slacksim.Ack
				err error
			}
			done := make(chan result, 1)
			go func() {
				ack, err := s.SlashCommand(ctx, user1, chan1, "big")
				done <- result{ack, err}
			}()
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if err := conn.ReadJSON(&env); err != nil {
				t.Fatal(err)
			}
			frame := fmt.Sprintf(`{"envelope_id":%q,"payload":{"text":"%%s"}}`, env.EnvelopeID)
			pad := strings.Repeat("x", tc.frameSize-len(frame)+2)
			data := fmt.Sprintf(frame, pad)
			if len(data) != tc.frameSize {
				t.Fatalf("built a %d-byte frame, want %d", len(data), tc.frameSize)
			}
			if err := conn.WriteMessage(websocket.TextMessage, []byte(data)); err != nil {
				t.Fatal(err)
			}
			res := <-done
			if !errors.Is(res.err, tc.wantErr) {
				t.Fatalf("SlashCommand err = %v, want %v", res.err, tc.wantErr)
			}
			if tc.wantErr == nil {
				if v := s.Violations(); len(v) != 0 {
					t.Errorf("violations: %v", v)
				}
				return
			}
			if !hasRule(s, "ack_too_large") {
				t.Errorf("violations = %v, want ack_too_large", rules(s))
			}
		})
	}
}

func TestRedeliver(t *testing.T) {
	seen := make(chan *socketmode.Request, 4)
	r := startRig(t, slacksim.Options{}, func(_ context.Context, c *socketmode.Client, evt socketmode.Event) {
		if _, ok := evt.Data.(slack.SlashCommand); ok {
			seen <- evt.Request
			_ = c.Ack(*evt.Request)
		}
	})
	ctx := testCtx(t)
	first, err := r.s.SlashCommand(ctx, user1, chan1, "release 2.0")
	if err != nil {
		t.Fatal(err)
	}
	<-seen
	again, err := r.s.Redeliver(ctx, first.EnvelopeID)
	if err != nil {
		t.Fatalf("Redeliver: %v", err)
	}
	req := <-seen
	if req.EnvelopeID != first.EnvelopeID || req.RetryAttempt != 1 || again.EnvelopeID != first.EnvelopeID {
		t.Errorf("redelivery = %+v, want the same envelope with retry_attempt 1", req)
	}
	if v := r.s.Violations(); len(v) != 0 {
		t.Errorf("one ack per delivery is no duplicate, got violations %v", v)
	}
	if _, err := r.s.Redeliver(ctx, "nope"); !errors.Is(err, slacksim.ErrUnknownEnvelope) {
		t.Errorf("Redeliver(unknown) err = %v", err)
	}
}

func TestDisconnectReconnects(t *testing.T) {
	r := startRig(t, slacksim.Options{}, ackAll)
	ctx := testCtx(t)
	if err := r.s.Connected(ctx); err != nil {
		t.Fatal(err)
	}
	r.s.Disconnect("refresh_requested")
	err := r.s.WaitFor(ctx, func() bool {
		return len(r.s.Calls("apps.connections.open")) == 2 && r.s.Stats().Hellos == 2
	})
	if err != nil {
		t.Fatalf("the client did not reconnect: opens=%d stats=%+v: %v", len(r.s.Calls("apps.connections.open")), r.s.Stats(), err)
	}
	if _, err := r.s.SlashCommand(ctx, user1, chan1, "after reconnect"); err != nil {
		t.Fatalf("SlashCommand after reconnect: %v", err)
	}
	if st := r.s.Stats(); st.Connections != 2 {
		t.Errorf("connections = %d, want 2", st.Connections)
	}
	if v := r.s.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestPings(t *testing.T) {
	t.Run("pings keep the client connected", func(t *testing.T) {
		r := startRig(t, slacksim.Options{PingInterval: 25 * time.Millisecond}, ackAll,
			socketmode.OptionPingInterval(400*time.Millisecond))
		ctx := testCtx(t)
		// 48 pongs take ~1.2 s: three of the client's ping-timeout periods.
		if err := r.s.WaitFor(ctx, func() bool { return r.s.Stats().PongsReceived >= 48 }); err != nil {
			t.Fatalf("pongs: %+v: %v", r.s.Stats(), err)
		}
		if n := len(r.s.Calls("apps.connections.open")); n != 1 {
			t.Errorf("apps.connections.open called %d times, want 1 (no ping timeout)", n)
		}
	})
	t.Run("without pings the client reconnects", func(t *testing.T) {
		r := startRig(t, slacksim.Options{PingInterval: time.Hour}, ackAll,
			socketmode.OptionPingInterval(100*time.Millisecond))
		ctx := testCtx(t)
		err := r.s.WaitFor(ctx, func() bool { return len(r.s.Calls("apps.connections.open")) >= 2 })
		if err != nil {
			t.Fatalf("the client never hit its ping timeout: %v", err)
		}
	})
}

func TestHomeTab(t *testing.T) {
	opened := make(chan *slackevents.AppHomeOpenedEvent, 4)
	clicks := make(chan slack.InteractionCallback, 4)
	r := startRig(t, slacksim.Options{}, func(ctx context.Context, c *socketmode.Client, evt socketmode.Event) {
		switch d := evt.Data.(type) {
		case slackevents.EventsAPIEvent:
			_ = c.Ack(*evt.Request)
			ev, ok := d.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
			if !ok {
				return
			}
			home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
				slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", "Releases", false, false)),
				slack.NewActionBlock("home_actions", slack.NewButtonBlockElement("refresh", "r", slack.NewTextBlockObject("plain_text", "Refresh", false, false))),
			}}}
			if _, err := c.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: ev.User, View: home}); err != nil {
				t.Errorf("publishing: %v", err)
			}
			opened <- ev
		case slack.InteractionCallback:
			clicks <- d
			_ = c.Ack(*evt.Request)
		}
	})
	ctx := testCtx(t)
	if _, err := r.s.OpenHome(ctx, user1); err != nil {
		t.Fatal(err)
	}
	ev := <-opened
	if ev.User != user1 || ev.Tab != "home" || ev.View != nil {
		t.Errorf("first app_home_opened = %+v, want user %s, tab home, no view", ev, user1)
	}
	if err := r.s.WaitFor(ctx, func() bool { _, ok := r.s.Home(user1); return ok }); err != nil {
		t.Fatal(err)
	}
	home, _ := r.s.Home(user1)
	if home.Type != "home" || !strings.Contains(slacksim.RenderText(home.Blocks), "[Refresh]") {
		t.Errorf("home = %+v", home)
	}
	if _, err := r.s.ClickViewButton(ctx, user1, home.ID, "refresh", ""); err != nil {
		t.Fatalf("ClickViewButton: %v", err)
	}
	cb := <-clicks
	if cb.Container.Type != "view" || cb.View.ID != home.ID || cb.ActionCallback.BlockActions[0].ActionID != "refresh" {
		t.Errorf("home click payload = %+v", cb)
	}
	if _, err := r.s.OpenHome(ctx, user1); err != nil {
		t.Fatal(err)
	}
	if ev := <-opened; ev.View == nil || ev.View.ID != home.ID {
		t.Errorf("second app_home_opened view = %+v, want the published home %s", ev.View, home.ID)
	}
	if _, err := r.s.ClickViewButton(ctx, user2, home.ID, "refresh", ""); !errors.Is(err, slacksim.ErrUnknownView) {
		t.Errorf("another user's home: err = %v, want ErrUnknownView", err)
	}
	if v := r.s.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestViolationCallbackAndObserver(t *testing.T) {
	var reported atomic.Int32
	gate := make(chan struct{})
	var openGate sync.Once
	got := make(chan slacksim.Event, 64)
	r := startRig(t, slacksim.Options{
		OnViolation: func(error) { reported.Add(1) },
		Observer: func(e slacksim.Event) {
			<-gate // a slow observer must not block the server
			got <- e
		},
	}, func(ctx context.Context, c *socketmode.Client, evt socketmode.Event) {
		if cmd, ok := evt.Data.(slack.SlashCommand); ok {
			if _, _, err := c.PostMessageContext(ctx, cmd.ChannelID, slack.MsgOptionText("card", false)); err != nil {
				t.Errorf("posting: %v", err)
			}
			_ = c.Ack(*evt.Request)
		}
	})
	// Let a blocked observer drain before the server closes, even on failure.
	t.Cleanup(func() { openGate.Do(func() { close(gate) }) })
	ctx := testCtx(t)
	if _, err := r.s.SlashCommand(ctx, user1, chan1, "go"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := r.api.UpdateMessageContext(ctx, chan1, "1.000000", slack.MsgOptionText("x", false)); slackErr(err) != "message_not_found" {
		t.Fatalf("update of a missing message: err = %v", err)
	}
	if n := reported.Load(); n != 1 {
		t.Errorf("OnViolation called %d times, want 1", n)
	}
	if len(got) != 0 {
		t.Fatalf("the observer ran while blocked")
	}
	openGate.Do(func() { close(gate) })
	want := []string{"slash", "post", "ack", "update"}
	for i, kind := range want {
		select {
		case e := <-got:
			if e.Kind != kind {
				t.Errorf("event %d kind = %q, want %q (%+v)", i, e.Kind, kind, e)
			}
			if kind == "update" && e.Error != "message_not_found" {
				t.Errorf("failed update event error = %q", e.Error)
			}
		case <-ctx.Done():
			t.Fatalf("observer got only %d events", i)
		}
	}
	var kinds []string
	for _, e := range r.s.Transcript() {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Errorf("transcript = %v, want %v", kinds, want)
	}
}
