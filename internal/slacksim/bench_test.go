package slacksim_test

import (
	"fmt"
	"testing"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/slacksim"
)

// card builds a realistic 50-block message.
func card(b testing.TB) []slack.Block {
	blocks := []slack.Block{slack.NewHeaderBlock(plain("MyApp 1.2.3 (42)"))}
	for i := 0; len(blocks) < 49; i++ {
		blocks = append(blocks,
			slack.NewSectionBlock(plain(fmt.Sprintf("Build %d is waiting for review", i)), nil, slack.NewAccessory(button("open", fmt.Sprint(i), "Open"))),
			slack.NewContextBlock(fmt.Sprintf("ctx%d", i), plain("submitted by alice")),
		)
	}
	return append(blocks, slack.NewActionBlock("act", button("approve", "1", "Approve"), button("reject", "1", "Reject")))
}

func BenchmarkValidateMessage(b *testing.B) {
	raw := mustBlocks(b, card(b)...)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := slacksim.ValidateMessage("fallback", raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderText(b *testing.B) {
	raw := mustBlocks(b, card(b)...)
	b.ReportAllocs()
	for b.Loop() {
		if slacksim.RenderText(raw) == "" {
			b.Fatal("empty render")
		}
	}
}

// BenchmarkSlashCommandRoundTrip measures envelope → slack-go client → ack.
func BenchmarkSlashCommandRoundTrip(b *testing.B) {
	r := startRig(b, slacksim.Options{}, ackAll)
	ctx := testCtx(b)
	if err := r.s.Connected(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.s.SlashCommand(ctx, user1, chan1, "status"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPostAndUpdate measures chat.postMessage + chat.update of a 50-block card through slack-go.
func BenchmarkPostAndUpdate(b *testing.B) {
	r := startRig(b, slacksim.Options{}, nil)
	ctx := testCtx(b)
	blocks := card(b)
	b.ReportAllocs()
	for b.Loop() {
		_, ts, err := r.api.PostMessageContext(ctx, chan1, slack.MsgOptionText("card", false), slack.MsgOptionBlocks(blocks...))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, _, err := r.api.UpdateMessageContext(ctx, chan1, ts, slack.MsgOptionText("card v2", false), slack.MsgOptionBlocks(blocks...)); err != nil {
			b.Fatal(err)
		}
	}
}
