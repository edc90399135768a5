package slackui

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ascbot/ascbot/internal/asc"
)

// commandSpec declares one /asc subcommand, once: its help line, how the
// words after its name split, and what answers it. Adding a command is adding
// one entry to commandSpecs (as atlantis keys its command runners by name);
// nothing else dispatches on the name.
type commandSpec struct {
	Name    string
	Usage   string
	Example string
	Summary string
	// MinArgs is how many words must follow the name.
	MinArgs int
	// Split assigns the words after the name (at least MinArgs of them) to
	// App, Version and Arg, reporting false on bad arguments; it is called
	// only with at least one word. Nil: every
	// word names the app.
	Split func(args []string) (parsedCommand, bool)
	// Exactly one of Ack and Run is set (a test checks it).
	// Ack is the whole answer, sent in the ack itself: no I/O.
	Ack func() reply
	// Run answers after the ack.
	Run func(b *Bot, ctx context.Context, cmd slack.SlashCommand, p parsedCommand) error
}

// withApp adapts a handler of a resolved app: a wrong name answers with the
// closest matches before the handler runs.
func withApp(run func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, p parsedCommand) error) func(*Bot, context.Context, slack.SlashCommand, parsedCommand) error {
	return func(b *Bot, ctx context.Context, cmd slack.SlashCommand, p parsedCommand) error {
		app, _, err := b.rel.ResolveApp(ctx, p.App)
		if err != nil {
			return err
		}
		return run(b, ctx, cmd, app, p)
	}
}

// commandSpecs is filled in init: help's answer lists commandSpecs itself.
var commandSpecs []commandSpec

func init() {
	commandSpecs = []commandSpec{
		{Name: "help", Usage: "/asc help", Example: "/asc help", Summary: "every command with an example",
			Ack: func() reply { return ephemeralMsg("ascbot commands", RenderHelp()) }},
		{Name: "apps", Usage: "/asc apps", Example: "/asc apps", Summary: "the apps the API key sees: name, bundle id, id",
			Run: func(b *Bot, ctx context.Context, cmd slack.SlashCommand, _ parsedCommand) error {
				return b.cmdApps(ctx, cmd)
			}},
		{Name: "status", Usage: "/asc status <app>", Example: "/asc status KotenOCR", Summary: "the live version and any version in flight", MinArgs: 1,
			// Not withApp: a bot without a fresh app list resolves the name
			// while it reads the app (release.StatusOf), in one round trip.
			Run: func(b *Bot, ctx context.Context, cmd slack.SlashCommand, p parsedCommand) error {
				return b.cmdStatus(ctx, cmd, p.App)
			}},
		{Name: "builds", Usage: "/asc builds <app> [version]", Example: "/asc builds KotenOCR 1.1.0", Summary: "recent builds: processing state, upload time, export compliance", MinArgs: 1,
			Split: splitOptionalVersion,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, p parsedCommand) error {
				return b.cmdBuilds(ctx, cmd, app, p.Version)
			})},
		{Name: "submit", Usage: "/asc submit <app> <version>", Example: "/asc submit KotenOCR 1.1.0", Summary: "post (or bring back) the submission card for a version", MinArgs: 2,
			Split: splitVersion,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, p parsedCommand) error {
				return b.cmdSubmit(ctx, cmd, app, p.Version)
			})},
		// notes opens its modal before resolving the app: the trigger_id lives 3 s.
		{Name: "notes", Usage: "/asc notes <app> <version>", Example: "/asc notes KotenOCR 1.1.0", Summary: "edit What's New for every locale", MinArgs: 2,
			Split: splitVersion, Run: (*Bot).cmdNotes},
		{Name: "cancel", Usage: "/asc cancel <app>", Example: "/asc cancel KotenOCR", Summary: "cancel the open review submission (asks first)", MinArgs: 1,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, _ parsedCommand) error {
				return b.cmdCancel(ctx, cmd, app)
			})},
		{Name: "release", Usage: "/asc release <app> [version]", Example: "/asc release KotenOCR 1.1.0", Summary: "release a version pending developer release (approvers)", MinArgs: 1,
			Split: splitOptionalVersion,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, p parsedCommand) error {
				return b.cmdRelease(ctx, cmd, app, p.Version)
			})},
		{Name: "phased", Usage: "/asc phased <app> pause|resume|complete", Example: "/asc phased KotenOCR pause", Summary: "pause, resume or finish a phased release (approvers)", MinArgs: 2,
			Split: splitPhased,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, p parsedCommand) error {
				return b.cmdPhased(ctx, cmd, app, p.Arg)
			})},
		{Name: "watch", Usage: "/asc watch <app> [#channel]", Example: "/asc watch KotenOCR #ios-releases", Summary: "post this app's review-state changes in a channel", MinArgs: 1,
			Split: splitWatch,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, p parsedCommand) error {
				return b.cmdWatch(ctx, cmd, app, p.Arg)
			})},
		{Name: "unwatch", Usage: "/asc unwatch <app>", Example: "/asc unwatch KotenOCR", Summary: "stop posting this app's review-state changes", MinArgs: 1,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, _ parsedCommand) error {
				return b.cmdUnwatch(ctx, cmd, app)
			})},
		{Name: "history", Usage: "/asc history <app>", Example: "/asc history KotenOCR", Summary: "who submitted, released, paused, was refused, and every state change", MinArgs: 1,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, _ parsedCommand) error {
				return b.cmdHistory(ctx, cmd, app)
			})},
		{Name: "availability", Usage: "/asc availability <app>", Example: "/asc availability KotenOCR", Summary: "in how many territories the app is available", MinArgs: 1,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, _ parsedCommand) error {
				return b.cmdAvailability(ctx, cmd, app)
			})},
		{Name: "testflight", Usage: "/asc testflight <app> [build]", Example: "/asc testflight KotenOCR 4", Summary: "the build's TestFlight card: groups, What to Test, beta review (default: the newest valid build)", MinArgs: 1,
			Split: splitOptionalVersion,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, p parsedCommand) error {
				return b.cmdTestFlight(ctx, cmd, app, p.Version)
			})},
		{Name: "testers", Usage: "/asc testers <app> [group] | add <email> [group] [first last] | remove <email> [group]", Example: "/asc testers KotenOCR add ana@example.com \"Public Beta\" Ana Sato", Summary: "list a beta group's testers, invite one into a group, or take one out (testers)", MinArgs: 1,
			Split: splitTesters, Run: (*Bot).cmdTesters},
		{Name: "iap", Usage: "/asc iap <app>", Example: "/asc iap KotenOCR", Summary: "in-app purchases and their states", MinArgs: 1,
			Run: withApp(func(b *Bot, ctx context.Context, cmd slack.SlashCommand, app asc.App, _ parsedCommand) error {
				return b.cmdIAP(ctx, cmd, app)
			})},
	}
}

func specFor(name string) (commandSpec, bool) {
	for _, c := range commandSpecs {
		if c.Name == name {
			return c, true
		}
	}
	return commandSpec{}, false
}

// splitVersion: <app words…> <version>.
func splitVersion(args []string) (parsedCommand, bool) {
	last := args[len(args)-1]
	if !versionRe.MatchString(last) {
		return parsedCommand{}, false
	}
	return parsedCommand{App: strings.Join(args[:len(args)-1], " "), Version: last}, true
}

// splitOptionalVersion: <app words…> [version].
func splitOptionalVersion(args []string) (parsedCommand, bool) {
	if last := args[len(args)-1]; len(args) > 1 && versionRe.MatchString(last) {
		return parsedCommand{App: strings.Join(args[:len(args)-1], " "), Version: last}, true
	}
	return parsedCommand{App: strings.Join(args, " ")}, true
}

// splitPhased: <app words…> pause|resume|complete.
func splitPhased(args []string) (parsedCommand, bool) {
	op := strings.ToLower(args[len(args)-1])
	if op != "pause" && op != "resume" && op != "complete" {
		return parsedCommand{}, false
	}
	return parsedCommand{App: strings.Join(args[:len(args)-1], " "), Arg: op}, true
}

// splitWatch: <app words…> [#channel].
func splitWatch(args []string) (parsedCommand, bool) {
	if last := args[len(args)-1]; len(args) > 1 && channelRef(last) != "" {
		return parsedCommand{App: strings.Join(args[:len(args)-1], " "), Arg: channelRef(last)}, true
	}
	return parsedCommand{App: strings.Join(args, " ")}, true
}

// parsedCommand is an /asc invocation split into its parts.
type parsedCommand struct {
	Name string
	// App is the app as the user named it (may contain spaces).
	App string
	// Version is a version string, when the command takes one and it was given.
	Version string
	// Arg is a further argument (pause|resume|complete, a channel; list, add
	// or remove for testers).
	Arg string
	// Testers: the email, group and names after add/remove; for a listing,
	// AppHead is the first word (the app when the rest names a group).
	Email, Group, Names, AppHead string
}

var versionRe = regexp.MustCompile(`^\d+(\.\d+){0,3}$`)

// tokenize splits on spaces, keeping "double quoted" or “curly quoted” words together.
func tokenize(s string) []string {
	s = strings.NewReplacer("“", `"`, "”", `"`).Replace(s)
	var out []string
	var cur strings.Builder
	inQ := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '"':
			inQ = !inQ
			if !inQ {
				flush()
			}
		case (r == ' ' || r == '\t' || r == '\n') && !inQ:
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// errUsage is returned for a known command with missing or bad arguments.
type errUsage struct{ spec commandSpec }

func (e errUsage) Error() string { return "usage: " + e.spec.Usage }

// errUnknown is returned for an unknown subcommand.
type errUnknown struct{ name string }

func (e errUnknown) Error() string { return fmt.Sprintf("unknown command %q", e.name) }

// parseCommand parses the text after /asc into the command's spec and its
// arguments.
func parseCommand(text string) (commandSpec, parsedCommand, error) {
	toks := tokenize(text)
	// The command is escaped (should_escape: true in the manifest): mentions
	// arrive as <#C…|name>, and a typed &, < or > as an entity.
	unescape := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
	for i, t := range toks {
		if !strings.HasPrefix(t, "<") {
			toks[i] = unescape.Replace(t)
		}
	}
	name := "help"
	if len(toks) > 0 {
		name = strings.ToLower(toks[0])
	}
	spec, ok := specFor(name)
	if !ok {
		return commandSpec{}, parsedCommand{}, errUnknown{name: toks[0]}
	}
	var args []string
	if len(toks) > 0 {
		args = toks[1:]
	}
	if len(args) < spec.MinArgs {
		return commandSpec{}, parsedCommand{}, errUsage{spec}
	}
	var p parsedCommand
	switch {
	case len(args) == 0:
	case spec.Split != nil:
		if p, ok = spec.Split(args); !ok {
			return commandSpec{}, parsedCommand{}, errUsage{spec}
		}
	default:
		p.App = strings.Join(args, " ")
	}
	p.Name = name
	if spec.MinArgs > 0 && p.App == "" {
		return commandSpec{}, parsedCommand{}, errUsage{spec}
	}
	return spec, p, nil
}

var channelRefRe = regexp.MustCompile(`^<#([CG][A-Z0-9]+)(\|[^>]*)?>$|^([CG][A-Z0-9]{6,})$`)

// channelRef extracts a channel id from an escaped mention <#C…|name> or a bare id.
func channelRef(s string) string {
	m := channelRefRe.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	if m[1] != "" {
		return m[1]
	}
	return m[3]
}

// RenderHelp renders /asc help.
func RenderHelp() []slack.Block {
	var lines []string
	for _, c := range commandSpecs {
		lines = append(lines, fmt.Sprintf("`%s` — %s\n      e.g. `%s`", c.Usage, c.Summary, c.Example))
	}
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn("*ascbot* ships your App Store updates from Slack. An app is named by its App Store Connect name, bundle id or id."), nil, nil, slack.SectionBlockOptionBlockID("help_intro")),
		slack.NewSectionBlock(mrkdwn(strings.Join(lines, "\n")), nil, nil, slack.SectionBlockOptionBlockID("help_commands")),
	}
}

// renderUsage renders a reply for a command with missing arguments.
func renderUsage(spec commandSpec) []slack.Block {
	return []slack.Block{slack.NewSectionBlock(mrkdwn(fmt.Sprintf("Usage: `%s` — %s\ne.g. `%s`", spec.Usage, spec.Summary, spec.Example)), nil, nil)}
}

// renderUnknown renders a reply for an unknown subcommand: what was typed, then help.
func renderUnknown(name string) []slack.Block {
	head := slack.NewSectionBlock(mrkdwn(fmt.Sprintf("I don't know `%s`. Here is what I can do:", truncate(name, 50))), nil, nil)
	return append([]slack.Block{head}, RenderHelp()...)
}
