package slackui

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"
)

// commandSpec documents one /asc subcommand; help and usage replies are built from it.
type commandSpec struct {
	Name    string
	Usage   string
	Example string
	Summary string
	// MinArgs is how many words must follow the name.
	MinArgs int
}

var commandSpecs = []commandSpec{
	{Name: "help", Usage: "/asc help", Example: "/asc help", Summary: "every command with an example"},
	{Name: "apps", Usage: "/asc apps", Example: "/asc apps", Summary: "the apps the API key sees: name, bundle id, id"},
	{Name: "status", Usage: "/asc status <app>", Example: "/asc status KotenOCR", Summary: "the live version and any version in flight", MinArgs: 1},
	{Name: "builds", Usage: "/asc builds <app> [version]", Example: "/asc builds KotenOCR 1.1.0", Summary: "recent builds: processing state, upload time, export compliance", MinArgs: 1},
	{Name: "submit", Usage: "/asc submit <app> <version>", Example: "/asc submit KotenOCR 1.1.0", Summary: "post (or bring back) the submission card for a version", MinArgs: 2},
	{Name: "notes", Usage: "/asc notes <app> <version>", Example: "/asc notes KotenOCR 1.1.0", Summary: "edit What's New for every locale", MinArgs: 2},
	{Name: "cancel", Usage: "/asc cancel <app>", Example: "/asc cancel KotenOCR", Summary: "cancel the open review submission (asks first)", MinArgs: 1},
	{Name: "release", Usage: "/asc release <app> [version]", Example: "/asc release KotenOCR 1.1.0", Summary: "release a version pending developer release (approvers)", MinArgs: 1},
	{Name: "phased", Usage: "/asc phased <app> pause|resume|complete", Example: "/asc phased KotenOCR pause", Summary: "pause, resume or finish a phased release (approvers)", MinArgs: 2},
	{Name: "watch", Usage: "/asc watch <app> [#channel]", Example: "/asc watch KotenOCR #ios-releases", Summary: "post this app's review-state changes in a channel", MinArgs: 1},
	{Name: "unwatch", Usage: "/asc unwatch <app>", Example: "/asc unwatch KotenOCR", Summary: "stop posting this app's review-state changes", MinArgs: 1},
	{Name: "history", Usage: "/asc history <app>", Example: "/asc history KotenOCR", Summary: "who submitted, released, paused, was refused, and every state change", MinArgs: 1},
	{Name: "availability", Usage: "/asc availability <app>", Example: "/asc availability KotenOCR", Summary: "in how many territories the app is available", MinArgs: 1},
	{Name: "iap", Usage: "/asc iap <app>", Example: "/asc iap KotenOCR", Summary: "in-app purchases and their states", MinArgs: 1},
}

func specFor(name string) (commandSpec, bool) {
	for _, c := range commandSpecs {
		if c.Name == name {
			return c, true
		}
	}
	return commandSpec{}, false
}

// parsedCommand is an /asc invocation split into its parts.
type parsedCommand struct {
	Name string
	// App is the app as the user named it (may contain spaces).
	App string
	// Version is a version string, when the command takes one and it was given.
	Version string
	// Arg is a further argument (pause|resume|complete, a channel).
	Arg string
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

// parseCommand parses the text after /asc.
func parseCommand(text string) (parsedCommand, error) {
	toks := tokenize(text)
	// The command is escaped (should_escape: true in the manifest): mentions
	// arrive as <#C…|name>, and a typed &, < or > as an entity.
	unescape := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
	for i, t := range toks {
		if !strings.HasPrefix(t, "<") {
			toks[i] = unescape.Replace(t)
		}
	}
	if len(toks) == 0 {
		return parsedCommand{Name: "help"}, nil
	}
	name := strings.ToLower(toks[0])
	spec, ok := specFor(name)
	if !ok {
		return parsedCommand{}, errUnknown{name: toks[0]}
	}
	args := toks[1:]
	if len(args) < spec.MinArgs {
		return parsedCommand{}, errUsage{spec}
	}
	p := parsedCommand{Name: name}
	last := ""
	if len(args) > 0 {
		last = args[len(args)-1]
	}
	switch name {
	case "submit", "notes":
		if !versionRe.MatchString(last) {
			return parsedCommand{}, errUsage{spec}
		}
		p.App, p.Version = strings.Join(args[:len(args)-1], " "), last
	case "builds", "release":
		if len(args) > 1 && versionRe.MatchString(last) {
			p.App, p.Version = strings.Join(args[:len(args)-1], " "), last
		} else {
			p.App = strings.Join(args, " ")
		}
	case "phased":
		op := strings.ToLower(last)
		if op != "pause" && op != "resume" && op != "complete" {
			return parsedCommand{}, errUsage{spec}
		}
		p.App, p.Arg = strings.Join(args[:len(args)-1], " "), op
	case "watch":
		if len(args) > 1 && channelRef(last) != "" {
			p.App, p.Arg = strings.Join(args[:len(args)-1], " "), channelRef(last)
		} else {
			p.App = strings.Join(args, " ")
		}
	default:
		p.App = strings.Join(args, " ")
	}
	if spec.MinArgs > 0 && p.App == "" {
		return parsedCommand{}, errUsage{spec}
	}
	return p, nil
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
