// Command bot runs ascbot, the Slack bot that ships App Store updates.
//
//	go run ./cmd/bot demo       # no credentials: the whole story against built-in stand-ins
//	go run ./cmd/bot --sandbox  # real Slack (two tokens), simulated App Store Connect
//	go run ./cmd/bot            # real Slack, real App Store Connect (see README)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ascbot/ascbot/internal/app"
	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slackui"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ascbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sandbox := fs.Bool("sandbox", false, "use the built-in App Store Connect simulator (needs only the two Slack tokens); same as ASCBOT_SANDBOX=1")
	usage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprint(w, `usage: bot [--sandbox]     run the bot (configuration: environment + ascbot.yaml, see the README)
       bot demo [--fast]   the whole story against built-in stand-ins, no credentials

`)
		fs.PrintDefaults()
	}
	fs.Usage = func() {} // printed below: to stdout for --help, to stderr for a mistake
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return 0
		}
		usage(stderr)
		return 2
	}
	if fs.NArg() > 0 && fs.Arg(0) == "demo" {
		return runDemo(fs.Args()[1:], stdout, stderr)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unknown command %q\n", fs.Arg(0))
		usage(stderr)
		return 2
	}
	mode := config.ModeNormal
	if *sandbox {
		mode = config.ModeSandbox
	}
	cfg, err := config.Load(getenv, mode)
	if err != nil {
		for line := range strings.SplitSeq(err.Error(), "\n") { // every problem, one a line
			fmt.Fprintln(stderr, "ascbot:", line)
		}
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, app.Options{Logger: log}); err != nil {
		if errors.Is(err, slackui.ErrFatalSlack) {
			fmt.Fprintln(stderr, "ascbot: Slack refused the connection — check SLACK_APP_TOKEN (xapp-, scope connections:write) and SLACK_BOT_TOKEN:", err)
		} else {
			fmt.Fprintln(stderr, "ascbot:", err)
		}
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
