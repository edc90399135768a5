package slackui

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/store"
)

// historyVerb is how /asc history words one kind of audited action: what
// was done (past) and what was tried (base); %s is the app and version.
type historyVerb struct{ past, base string }

// historyVerbs words the audit log's action kinds (store.Action.Kind, and
// the kinds audited outside it). A refusal records what was refused either
// as one of these kinds or already in words ("pause the phased release of").
var historyVerbs = map[string]historyVerb{
	"attach-build":         {"attached a build to %s", "attach a build to %s"},
	"submit":               {"submitted %s for review", "submit %s for review"},
	"release":              {"released %s", "release %s"},
	"cancel":               {"cancelled the review submission of %s", "cancel the review submission of %s"},
	"create-version":       {"created version %s", "create version %s"},
	"set-notes":            {"set What's New of %s", "set What's New of %s"},
	"release-options":      {"set how %s is released", "set how %s is released"},
	"show-card":            {"posted the card of %s", "post the card of %s"},
	"watch":                {"started posting the review-state changes of %s", "change where the review-state changes of %s are posted"},
	"unwatch":              {"stopped posting the review-state changes of %s", "change where the review-state changes of %s are posted"},
	"submit-iap":           {"submitted an in-app purchase of %s", "submit an in-app purchase of %s"},
	"availability":         {"made %s available in every territory", "change the availability of %s"},
	"phased-paused":        {"paused the phased release of %s", "pause the phased release of %s"},
	"phased-active":        {"resumed the phased release of %s", "resume the phased release of %s"},
	"phased-complete":      {"completed the phased release of %s", "complete the phased release of %s"},
	"beta-add-group":       {"added %s to a TestFlight group", "add %s to a TestFlight group"},
	"beta-remove-group":    {"removed %s from a TestFlight group", "remove %s from a TestFlight group"},
	"beta-review":          {"submitted %s for beta review", "submit %s for beta review"},
	"beta-what-to-test":    {"changed What to Test of %s", "change What to Test of %s"},
	"export-compliance":    {"answered export compliance for %s", "answer export compliance for %s"},
	"tester-add":           {"added a tester to %s", "add a tester to %s"},
	"tester-remove":        {"removed a tester from %s", "remove a tester from %s"},
	"show-testflight-card": {"posted the TestFlight card of %s", "post the TestFlight card of %s"},
}

// opaqueIDRe matches ids that mean nothing to a person: UUIDs and long
// numbers (App Store Connect resource ids).
var opaqueIDRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$|^\d{7,}$`)

// historyLine writes one audit entry as a sentence, with app names and
// versions, never raw ids or state codes.
func historyLine(app asc.App, e store.AuditEntry) string {
	target := app.Name
	if e.Version != "" && !opaqueIDRe.MatchString(e.Version) {
		target += " " + e.Version
	}
	who := "ascbot"
	if e.User != "" {
		who = "<@" + e.User + ">"
	}
	if e.Action == "state" {
		return sentence(stateSentence(target, e.Detail))
	}
	if e.Action == "testflight-state" { // a TestFlight notice: "available to Team"
		return sentence(target + " in TestFlight: " + e.Detail)
	}
	verb, known := historyVerbs[e.Action]
	if !known { // a refusal worded already, or a kind this list lacks
		words := strings.ReplaceAll(e.Action, "-", " ")
		verb = historyVerb{past: "did " + words + " for %s", base: words + " %s"}
	}
	base := fmt.Sprintf(verb.base, target)
	switch e.Result {
	case "ok":
		s := who + " " + fmt.Sprintf(verb.past, target)
		switch {
		case e.Action == "attach-build" && strings.HasPrefix(e.Detail, "attached build "):
			s = who + " " + e.Detail + " to " + target
		case e.Action == "watch" && strings.HasPrefix(e.Detail, "channel "):
			s += " in <#" + strings.TrimPrefix(e.Detail, "channel ") + ">"
		case e.Action == "set-notes" || e.Action == "release-options" || strings.HasPrefix(e.Action, "beta-") || strings.HasPrefix(e.Action, "tester-"):
			if e.Detail != "" {
				s += " (" + truncate(e.Detail, 120) + ")"
			}
		}
		return sentence(s)
	case "refused":
		s := who + " was refused: they may not " + base
		if e.Detail != "" {
			s += " (" + truncate(e.Detail, 120) + ")"
		}
		return sentence(s)
	case "stale":
		return sentence(who + " pressed a button to " + base + " on an out-of-date card, so nothing was done")
	case "done":
		s := who + " tried to " + base + ", but there was nothing to do"
		if e.Detail != "" {
			s += " (" + truncate(e.Detail, 120) + ")"
		}
		return sentence(s)
	}
	// failed, blocked, or a result this list lacks
	s := who + " could not " + base
	if e.Detail != "" {
		s += ": " + truncate(strings.TrimRight(e.Detail, ". "), 160)
	}
	return sentence(s)
}

// stateSentence words a review-state change the watcher announced, from
// its audit detail "Waiting for Review → In Review via poll".
func stateSentence(target, detail string) string {
	change, source, _ := strings.Cut(detail, " via ")
	from, to, ok := strings.Cut(change, " → ")
	if !ok {
		return target + " changed state: " + detail
	}
	s := target + " moved from " + from + " to " + to
	switch source {
	case "poll":
		s += " (seen by the poller)"
	case "webhook":
		s += " (Apple's webhook)"
	}
	return s
}
