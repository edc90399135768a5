package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/asc/ascsim"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slacksim"
)

// The demo's cast and place.
const (
	demoChannel = "C0RELEASES"
	userAna     = "U0ANA"   // iOS lead: submits
	userBob     = "U0BOB"   // release manager: an approver
	userCarol   = "U0CAROL" // a teammate who may not release
	botToken    = "xoxb-demo-bot-token"
	appToken    = "xapp-demo-app-token"
)

var names = map[string]string{userAna: "ana", userBob: "bob", userCarol: "carol", demoChannel: "#ios-releases"}

// runDemo plays the whole story against the built-in stand-ins and prints the
// Slack conversation as readable text. It returns 0 when every step happened.
const demoUsage = `usage: bot demo [--fast] [-v]

Plays ascbot's whole story with no credentials: the real bot runs against the
built-in App Store Connect simulator and Slack stand-in, and the conversation
is printed as it happens — /asc submit, picking a build, What's New for two
locales, submit, In Review, approval, a non-approver's refused Release, the
approver's Release, Ready for Distribution. Exits 0 when every step happened,
1 when one did not.

`

func runDemo(args []string, stdout, stderr io.Writer) int {
	return playDemo(args, stdout, stderr, demoPace{rateSecond: time.Second})
}

// demoPace is how fast the demo's clocks run. A person running the demo gets
// Slack's own rate limits and the bot's real poll schedule; the demo's test
// shortens Slack's second (for the bot and the Slack stand-in alike, so the
// stand-in still refuses a bot that posts too fast) and also polls with the
// watcher's Tick while it waits for Apple's changes to show.
type demoPace struct {
	rateSecond time.Duration // one second of Slack's rate limits
	tickEvery  time.Duration // 0: only the bot's schedule polls
}

// playDemo is runDemo at pace.
func playDemo(args []string, stdout, stderr io.Writer, pace demoPace) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fast := fs.Bool("fast", false, "no pauses between steps (CI)")
	verbose := fs.Bool("v", false, "print the bot's log too")
	usage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprint(w, demoUsage)
		fs.PrintDefaults()
	}
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return 0
		}
		usage(stderr)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "demo takes no arguments, got %q\n", fs.Args())
		usage(stderr)
		return 2
	}
	d := &demo{out: stdout, start: time.Now(), pause: 700 * time.Millisecond, pace: pace}
	if *fast {
		d.pause = 0
	}
	if err := d.run(*verbose, stderr); err != nil {
		d.say("\n✗ DEMO FAILED: %v\n", err)
		return 1
	}
	d.say("\n✓ Demo complete: every step happened (%.1f s).\n", time.Since(d.start).Seconds())
	return 0
}

type demo struct {
	out   io.Writer
	start time.Time
	pause time.Duration
	pace  demoPace
	mu    sync.Mutex

	slack *slacksim.Server
	sim   *ascsim.Server
	rt    *app.Runtime
	// shown counts the transcript events printed so far.
	shown atomic.Int64
}

func (d *demo) say(format string, a ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.out, format, a...)
}

func (d *demo) stamp() string { return fmt.Sprintf("[%6.2fs]", time.Since(d.start).Seconds()) }

func who(id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	if id == "" || strings.HasPrefix(id, "B") {
		return "ascbot"
	}
	return id
}

var mentionRe = regexp.MustCompile(`<([@#!])(?:subteam\^)?([A-Z0-9]+)(?:\|[^>]*)?>`)

// humanize renders Slack's mention syntax the way Slack shows it.
func humanize(s string) string {
	return mentionRe.ReplaceAllStringFunc(s, func(m string) string {
		g := mentionRe.FindStringSubmatch(m)
		switch {
		case g[2] == "S0RELEASE":
			return "@release-managers"
		case g[1] == "#":
			return who(g[2])
		}
		return "@" + who(g[2])
	})
}

func indent(s string) string {
	s = humanize(s)
	s = strings.TrimRight(s, "\n")
	return "        │ " + strings.ReplaceAll(s, "\n", "\n        │ ")
}

// show prints one transcript event as a person would see it in Slack.
func (d *demo) show(e slacksim.Event) {
	defer d.shown.Add(1)
	switch e.Kind {
	case "slash", "click", "submit":
		// user actions are printed below
	default:
		e.Text = humanize(e.Text)
	}
	switch e.Kind {
	case "slash":
		d.say("%s 👤 %s typed in %s: %s\n", d.stamp(), who(e.User), who(e.Channel), e.Text)
	case "click":
		label := e.Text
		if label == "" {
			label = e.Note
		}
		d.say("%s 👤 %s pressed [%s]\n", d.stamp(), who(e.User), label)
	case "submit":
		d.say("%s 👤 %s saved the form\n", d.stamp(), who(e.User))
	case "post":
		if e.ThreadTS != "" {
			d.say("%s 🤖 ascbot replied in the card's thread: %s\n", d.stamp(), e.Text)
			return
		}
		if len(e.Blocks) > 0 {
			d.say("%s 🤖 ascbot posted in %s:\n%s\n", d.stamp(), who(e.Channel), indent(slacksim.RenderText(e.Blocks)))
			return
		}
		d.say("%s 🤖 ascbot posted in %s: %s\n", d.stamp(), who(e.Channel), e.Text)
	case "update":
		d.say("%s 🤖 ascbot updated the card:\n%s\n", d.stamp(), indent(slacksim.RenderText(e.Blocks)))
	case "ephemeral", "response_url":
		text := e.Text
		if len(e.Blocks) > 0 {
			text = slacksim.RenderText(e.Blocks)
		}
		if strings.TrimSpace(text) == "" {
			return
		}
		d.say("%s 🤖 ascbot, only %s sees: %s\n", d.stamp(), who(e.User), strings.TrimSpace(text))
	case "view_update" /* after a save */ :
		if e.Note == "close" {
			d.say("%s 🤖 the form closed\n", d.stamp())
			return
		}
		fallthrough
	case "view_open":
		if e.View != nil && e.View.CallbackID != "" {
			d.say("%s 🤖 ascbot opened a form for %s:\n%s\n", d.stamp(), who(e.User), indent(slacksim.RenderView(*e.View)))
		}
	}
	if e.Error != "" {
		d.say("%s ⚠ Slack answered %s: %s\n", d.stamp(), e.Kind, e.Error)
	}
}

func (d *demo) step(title string) {
	if d.pause > 0 {
		time.Sleep(d.pause)
	}
	d.settle()
	d.say("\n%s ── %s\n", d.stamp(), title)
}

// settle waits until the bot has finished what the last action started and
// the transcript printed so far has caught up, so that nothing of one step
// is printed under the next one's heading (the transcript reaches the
// printer through a queue, and --fast leaves no pause to hide it).
func (d *demo) settle() {
	deadline := time.Now().Add(10 * time.Second)
	for d.rt != nil && d.rt.Bot.Busy() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	n := int64(len(d.slack.Transcript()))
	for d.shown.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

func (d *demo) run(verbose bool, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var violations []error
	var vmu sync.Mutex
	d.slack = slacksim.New(slacksim.Options{
		BotToken: botToken, AppToken: appToken,
		PingInterval: time.Second, RateSecond: d.pace.rateSecond,
		OnViolation: func(err error) { vmu.Lock(); violations = append(violations, err); vmu.Unlock() },
		Observer:    d.show,
	})
	defer d.slack.Close()
	for id, n := range names {
		if strings.HasPrefix(id, "U") {
			d.slack.AddUser(id, n)
		} else {
			d.slack.AddChannel(id, strings.TrimPrefix(n, "#"))
		}
	}
	d.slack.SetUserGroup("S0RELEASE", userBob)

	kid, iss, key := ascsim.NewTestKey()
	d.sim = ascsim.New(ascsim.Options{Keys: map[string]*ecdsa.PublicKey{kid: &key.PublicKey}, IssuerID: iss})
	defer d.sim.Close()
	ids := d.sim.SeedDemo()

	dir, err := os.MkdirTemp("", "ascbot-demo-")
	if err != nil {
		return fmt.Errorf("making a temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	yaml := fmt.Sprintf("poll: \"@every 1s\"\napprovers: [\"S0RELEASE\"]\napps:\n  - id: %q\n    channel: %q\n    submitters: []\n", ids.AppID, demoChannel)
	cfgPath := filepath.Join(dir, "ascbot.yaml")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		return fmt.Errorf("writing the demo config: %w", err)
	}
	env := map[string]string{"ASCBOT_CONFIG": cfgPath, "ASCBOT_DB": filepath.Join(dir, "ascbot.db")}
	cfg, err := config.Load(func(k string) string { return env[k] }, config.ModeDemo)
	if err != nil {
		return fmt.Errorf("loading the demo config: %w", err)
	}
	cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.APIURL = botToken, appToken, d.slack.APIURL()

	logOut := io.Discard
	if verbose {
		logOut = stderr
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		done <- app.Run(runCtx, cfg, app.Options{
			Logger: newLogger(logOut, "debug"), Sim: d.sim, SimKey: &app.SimKey{KeyID: kid, IssuerID: iss, Key: key},
			Ready:           func(rt *app.Runtime) { d.rt = rt; close(ready) },
			SocketOptions:   []socketmode.Option{socketmode.OptionPingInterval(5 * time.Second)},
			SlackRateSecond: d.pace.rateSecond,
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		return fmt.Errorf("the bot stopped at start: %w", err)
	case <-ctx.Done():
		return errors.New("the bot did not start")
	}
	if err := d.slack.Connected(ctx); err != nil {
		return fmt.Errorf("the bot did not connect to Slack: %w", err)
	}
	d.say("%s ascbot is connected (socket mode) to the Slack stand-in and uses the App Store Connect simulator.\n", d.stamp())

	if err := d.story(ctx, ids); err != nil {
		return err
	}
	if err := d.testFlight(ctx, ids); err != nil {
		return err
	}
	stop()
	if err := <-done; err != nil {
		return fmt.Errorf("the bot did not stop cleanly: %w", err)
	}
	vmu.Lock()
	defer vmu.Unlock()
	if len(violations) > 0 {
		return fmt.Errorf("the bot broke Slack's rules %d time(s), first: %v", len(violations), violations[0])
	}
	return nil
}

// waitFor waits until cond holds, explaining what it waited for on failure.
func (d *demo) waitFor(ctx context.Context, what string, cond func() bool) error {
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if d.pace.tickEvery > 0 && d.rt != nil {
		// A poll under way when the wait is over finishes (on ctx, not wctx):
		// cut short, a notice Slack already has could look unsent.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		defer wg.Wait()
		defer close(stop)
		wg.Go(func() {
			t := time.NewTicker(d.pace.tickEvery)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					_ = d.rt.Watcher.Tick(ctx) // a failed poll is retried at the next tick
				}
			}
		})
	}
	if err := d.slack.WaitFor(wctx, cond); err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

// card returns the demo channel's card of KotenOCR 1.1.0: the message whose
// ts the bot's store records for that version. (A TestFlight card of a 1.1.0
// build mentions the same words, so the message text is no guide.)
func (d *demo) card() (slacksim.Message, bool) {
	cards, err := d.rt.Store.ListCards()
	if err != nil {
		return slacksim.Message{}, false
	}
	for _, c := range cards {
		if c.AppName == "KotenOCR" && c.Version == "1.1.0" && c.Channel == demoChannel && c.TS != "" {
			return d.slack.Message(demoChannel, c.TS)
		}
	}
	return slacksim.Message{}, false
}

func (d *demo) click(ctx context.Context, user, prefix string) error {
	m, ok := d.card()
	if !ok {
		return errors.New("no card in the channel")
	}
	b, ok := slacksim.FindButton(m.Blocks, prefix)
	if !ok {
		return fmt.Errorf("the card offers no %q button (it offers %v)", prefix, slacksim.Buttons(m.Blocks))
	}
	if _, err := d.slack.ClickButton(ctx, user, demoChannel, m.TS, b.ActionID, b.Value); err != nil {
		return fmt.Errorf("pressing %s: %w", b.Text, err)
	}
	return nil
}

func (d *demo) cardSays(s string) func() bool {
	return func() bool {
		m, ok := d.card()
		return ok && strings.Contains(slacksim.RenderText(m.Blocks), s)
	}
}

func (d *demo) channelSays(s string) func() bool {
	return func() bool {
		for _, m := range d.slack.Messages(demoChannel) {
			if strings.Contains(m.Text, s) {
				return true
			}
		}
		return false
	}
}

// fillForm opens the card's What's New form as Ana and saves it with values
// (inputs not named keep what the form shows), then waits for Submit.
func (d *demo) fillForm(ctx context.Context, values map[string]map[string]string) error {
	if err := d.click(ctx, userAna, "open_notes"); err != nil {
		return err
	}
	var viewID string
	if err := d.waitFor(ctx, "the What's New form", func() bool {
		for _, v := range d.slack.OpenViews(userAna) {
			if v.CallbackID == "notes" && strings.Contains(string(v.Blocks), "encryption") {
				viewID = v.ID
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	d.settle()
	for _, k := range slices.Sorted(maps.Keys(values)) { // what she types, as she types it
		if loc, ok := strings.CutPrefix(k, "notes_"); ok {
			d.say("%s 👤 ana types What's New for %s: %s\n", d.stamp(), loc, values[k]["text"])
		}
	}
	if a, ok := values["encryption"]; ok {
		d.say("%s 👤 ana answers the export-compliance question: %s\n", d.stamp(), a["answer"])
	}
	if _, err := d.slack.SubmitView(ctx, userAna, viewID, values); err != nil {
		return fmt.Errorf("saving the form: %w", err)
	}
	return d.waitFor(ctx, "the preflight to pass", func() bool {
		m, ok := d.card()
		_, has := slacksim.FindButton(m.Blocks, "submit")
		return ok && has
	})
}

func (d *demo) story(ctx context.Context, ids ascsim.DemoIDs) error {
	d.step("1. Ana asks for the submission card")
	if _, err := d.slack.SlashCommand(ctx, userAna, demoChannel, "submit KotenOCR 1.1.0"); err != nil {
		return fmt.Errorf("typing /asc submit: %w", err)
	}
	if err := d.waitFor(ctx, "the card", func() bool { _, ok := d.card(); return ok }); err != nil {
		return err
	}

	d.step("2. Ana picks the newest processed build")
	if err := d.click(ctx, userAna, "attach_build"); err != nil {
		return err
	}
	if err := d.waitFor(ctx, "build 4 attached", d.cardSays("Build 4 · uploaded")); err != nil {
		return err
	}

	d.step("3. Ana writes What's New for en-US and ja and answers export compliance")
	if err := d.fillForm(ctx, map[string]map[string]string{
		"notes_en-US": {"text": "Recognises cursive kana twice as fast, and reads vertical text in photos."},
		"notes_ja":    {"text": "くずし字の認識が2倍速くなり、写真の縦書きも読めるようになりました。"},
		"encryption":  {"answer": "no"},
	}); err != nil {
		return err
	}

	d.step("4. Ana submits for review")
	if err := d.click(ctx, userAna, "submit"); err != nil {
		return err
	}
	if err := d.waitFor(ctx, "Waiting for Review", d.cardSays("Waiting for Review")); err != nil {
		return err
	}

	d.step("5. Apple starts the review (the poller notices)")
	if err := d.sim.StartReview(ids.NewVersionID); err != nil {
		return fmt.Errorf("starting the review in the simulator: %w", err)
	}
	if err := d.waitFor(ctx, "the In Review announcement", d.channelSays("is *In Review*")); err != nil {
		return err
	}

	d.step("6. Apple rejects 1.1.0; the submission stays open with Unresolved Issues")
	if err := d.sim.Reject(ids.NewVersionID, "REJECTED"); err != nil {
		return fmt.Errorf("rejecting in the simulator: %w", err)
	}
	if err := d.waitFor(ctx, "the rejection on the card", d.cardSays("Resubmit for review")); err != nil {
		return err
	}

	d.step("7. Build 5 finishes processing and joins the card")
	if err := d.sim.SetBuildState(ids.Build5ID, "VALID"); err != nil {
		return fmt.Errorf("finishing build 5 in the simulator: %w", err)
	}
	if err := d.waitFor(ctx, "build 5 on the card", func() bool {
		m, ok := d.card()
		_, has := slacksim.FindButton(m.Blocks, "attach_build_"+ids.Build5ID)
		return ok && has
	}); err != nil {
		return err
	}

	d.step("8. Ana attaches build 5 and answers its export compliance")
	if err := d.click(ctx, userAna, "attach_build_"+ids.Build5ID); err != nil {
		return err
	}
	if err := d.waitFor(ctx, "build 5 attached", d.cardSays("Build 5 · uploaded")); err != nil {
		return err
	}
	if err := d.fillForm(ctx, map[string]map[string]string{"encryption": {"answer": "no"}}); err != nil {
		return err
	}

	d.step("9. Ana resubmits the same review submission from the card")
	if err := d.click(ctx, userAna, "submit"); err != nil {
		return err
	}
	if err := d.waitFor(ctx, "Waiting for Review again", d.cardSays("Waiting for Review")); err != nil {
		return err
	}
	if subs := d.sim.Submissions(ids.AppID); len(subs) != 1 {
		return fmt.Errorf("the simulator holds %d review submissions, want the one resubmitted", len(subs))
	}

	d.step("10. Apple reviews and approves; the version waits for a manual release")
	if err := d.sim.StartReview(ids.NewVersionID); err != nil {
		return fmt.Errorf("starting the review in the simulator: %w", err)
	}
	if err := d.sim.Approve(ids.NewVersionID); err != nil {
		return fmt.Errorf("approving in the simulator: %w", err)
	}
	if err := d.waitFor(ctx, "the approval announcement", d.channelSays("was *approved*")); err != nil {
		return err
	}
	if err := d.waitFor(ctx, "the Release button", func() bool { m, ok := d.card(); _, has := slacksim.FindButton(m.Blocks, "release"); return ok && has }); err != nil {
		return err
	}

	d.step("11. Carol, who is not an approver, presses Release")
	if err := d.click(ctx, userCarol, "release"); err != nil {
		return err
	}
	if err := d.waitFor(ctx, "Carol's refusal", func() bool {
		for _, m := range d.slack.Ephemerals(userCarol) {
			if strings.Contains(m.Text, "may release") || strings.Contains(m.Text, "may not release") {
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}

	d.step("12. Bob, an approver, presses Release")
	if err := d.click(ctx, userBob, "release"); err != nil {
		return err
	}
	if err := d.waitFor(ctx, "the release", d.cardSays("released by <@"+userBob+">")); err != nil {
		return err
	}
	if n := d.sim.ReleaseRequests(ids.NewVersionID); n != 1 {
		return fmt.Errorf("the simulator saw %d release requests, want exactly 1", n)
	}

	d.step("13. Apple finishes processing; the version is live")
	if err := d.sim.Distribute(ids.NewVersionID); err != nil {
		return fmt.Errorf("finishing distribution in the simulator: %w", err)
	}
	return d.waitFor(ctx, "the Ready for Distribution announcement", d.channelSays("is *Ready for Distribution*"))
}

// tfCard returns build 5's TestFlight card (posted when it finished processing).
func (d *demo) tfCard() (slacksim.Message, bool) {
	for _, m := range d.slack.Messages(demoChannel) {
		if strings.Contains(string(m.Blocks), "TestFlight · KotenOCR 1.1.0 · build 5") {
			return m, true
		}
	}
	return slacksim.Message{}, false
}

// groupOption is the card's option for the group in the menu (its value
// ends with the group id: the card's snapshot carries it last).
func groupOption(m slacksim.Message, actionID, groupID string) string {
	for _, v := range slacksim.Selects(m.Blocks)[actionID] {
		if strings.HasSuffix(v, "|"+groupID) {
			return v
		}
	}
	return groupID
}

// testFlight sends build 5 to testers from its TestFlight card: the internal
// group at once, the external group through beta review.
func (d *demo) testFlight(ctx context.Context, ids ascsim.DemoIDs) error {
	// Ana acts on the card as the poller last drew it: once it shows build 5
	// ready for testers (its export compliance was answered in step 8).
	if err := d.waitFor(ctx, "build 5's TestFlight card ready for testers", func() bool {
		m, ok := d.tfCard()
		return ok && strings.Contains(string(m.Blocks), "READY_FOR_BETA_TESTING")
	}); err != nil {
		return err
	}
	d.step("14. Ana gives build 5 to the internal TestFlight group from its card")
	m, ok := d.tfCard()
	if !ok {
		return errors.New("build 5 has no TestFlight card")
	}
	if _, err := d.slack.SelectOption(ctx, userAna, demoChannel, m.TS, "tf_add", groupOption(m, "tf_add", ids.InternalGroupID)); err != nil {
		return fmt.Errorf("adding build 5 to the internal group: %w", err)
	}
	if err := d.waitFor(ctx, "available to Team", d.channelSays("is available to *Team*")); err != nil {
		return err
	}

	d.step("15. Ana adds the external group and submits build 5 for beta review")
	m, _ = d.tfCard()
	if _, err := d.slack.SelectOption(ctx, userAna, demoChannel, m.TS, "tf_add", groupOption(m, "tf_add", ids.ExternalGroupID)); err != nil {
		return fmt.Errorf("adding build 5 to the external group: %w", err)
	}
	if err := d.waitFor(ctx, "the Submit for beta review button", func() bool {
		m, ok := d.tfCard()
		_, has := slacksim.FindButton(m.Blocks, "tf_submit")
		return ok && has && strings.Contains(slacksim.RenderText(m.Blocks), "Public Beta")
	}); err != nil {
		return err
	}
	m, _ = d.tfCard()
	b, _ := slacksim.FindButton(m.Blocks, "tf_submit")
	if _, err := d.slack.ClickButton(ctx, userAna, demoChannel, m.TS, b.ActionID, b.Value); err != nil {
		return fmt.Errorf("pressing %s: %w", b.Text, err)
	}
	if err := d.waitFor(ctx, "Waiting for Beta Review", d.channelSays("is *Waiting for Beta Review*")); err != nil {
		return err
	}

	d.step("16. Apple approves the beta review; the external testers get build 5")
	if err := d.sim.ApproveBetaReview(ids.Build5ID); err != nil {
		return fmt.Errorf("approving the beta review in the simulator: %w", err)
	}
	if err := d.waitFor(ctx, "the beta approval", d.channelSays("*passed beta review*")); err != nil {
		return err
	}
	return d.waitFor(ctx, "available to Public Beta", d.channelSays("is available to *Public Beta*"))
}
