package app_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/config"
)

// TestHelperBotProcess is not a test: TestKillAndRestart runs the test
// binary with it as a child process that runs the real bot from the
// environment, so the parent can SIGKILL it mid-flow.
func TestHelperBotProcess(t *testing.T) {
	if os.Getenv("ASCBOT_TEST_CHILD") != "1" {
		t.Skip("helper process for TestKillAndRestart")
	}
	cfg, err := config.Load(os.Getenv, config.ModeNormal)
	if err != nil {
		t.Fatalf("child config: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// The parent's schedule never fires: the child polls every 50 ms
	// instead, with the watcher's Tick, as a one-second cron would, faster.
	ready := func(rt *app.Runtime) {
		go func() {
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					_ = rt.Watcher.Tick(ctx)
				}
			}
		}()
	}
	if err := app.Run(ctx, cfg, app.Options{Ready: ready}); err != nil {
		t.Fatalf("child bot: %v", err)
	}
}

// startChild runs the bot in a child process against the harness's stand-ins.
func (h *harness) startChild() *exec.Cmd {
	h.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBotProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ASCBOT_TEST_CHILD=1")
	for k, v := range h.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("starting the child bot: %v", err)
	}
	h.t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	before := h.slack.Stats().Hellos
	h.waitFor("the child to connect", func() bool { return h.slack.Stats().Hellos > before })
	return cmd
}

// polls counts the polls App Store Connect has answered: each reads the
// app once (GET /v1/apps/{id}).
func (h *harness) polls() int {
	n := 0
	for _, r := range h.sim.Requests() {
		if r.Method == "GET" && r.Path == "/v1/apps/"+h.ids.AppID {
			n++
		}
	}
	return n
}

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = cmd.Process.Wait()
}

// TestKillAndRestart kills the bot with SIGKILL in the middle of the flow
// (after a build was attached, and again after submitting) and shows the
// card's buttons still work and the flow continues after a restart.
func TestKillAndRestart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs child processes")
	}
	h := newHarness(t)
	child := h.startChild()
	h.slash(userAna, "submit KotenOCR 1.1.0")
	h.click(userAna, "attach_build_"+h.ids.Build4ID)
	h.waitFor("build 4 attached", h.threadSays("attached build 4"))
	kill9(t, child)

	child = h.startChild()
	// The card drawn by the killed process still works.
	h.fillNotes(userAna)
	h.click(userAna, "submit")
	h.waitFor("Waiting for Review", h.cardSays("Waiting for Review"))
	if err := h.sim.StartReview(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("In Review announced", func() bool { return h.channelLines("is *In Review*") == 1 })
	kill9(t, child)

	// Apple approves while the bot is down.
	if err := h.sim.Approve(h.ids.NewVersionID); err != nil {
		t.Fatal(err)
	}
	h.startChild()
	h.waitFor("approval announced", func() bool { return h.channelLines("was *approved*") == 1 })
	h.waitFor("the Release button", func() bool { _, ok := findButton(h.mustCard().Blocks, "release"); return ok })
	polls := h.polls()
	h.waitFor("two more polls", func() bool { return h.polls() >= polls+2 }) // they must not repeat anything
	if n := h.channelLines("is *In Review*"); n != 1 {
		t.Errorf("In Review announced %d times, want 1", n)
	}
	if n := h.channelLines("was *approved*"); n != 1 {
		t.Errorf("approval announced %d times, want 1", n)
	}
	if subs := h.sim.Submissions(h.ids.AppID); len(subs) != 1 {
		t.Errorf("%d review submissions after the restarts, want 1", len(subs))
	}
	cards := 0
	for _, m := range h.slack.Messages(channel) {
		if strings.Contains(string(m.Blocks), "card_actions") {
			cards++
		}
	}
	if cards != 1 {
		t.Errorf("%d cards in the channel, want 1", cards)
	}
}
