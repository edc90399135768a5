package slackui

import "sort"

// methodScopes maps every Slack Web API method the bot calls to the bot-token
// scope it needs ("" when the method needs none). It is the single source for
// the scopes requested in deploy/slack-app-manifest.yaml; a test keeps the two
// equal, so adding a call here without updating the manifest fails CI.
var methodScopes = map[string]string{
	"chat.postMessage":      "chat:write",
	"chat.update":           "chat:write",
	"chat.postEphemeral":    "chat:write",
	"views.open":            "",
	"views.update":          "",
	"views.publish":         "",
	"usergroups.users.list": "usergroups:read",
	"auth.test":             "",
}

// BotScopes returns the bot-token scopes the code needs, sorted: the scopes of
// the Web API methods it calls plus "commands" for the /asc slash command.
func BotScopes() []string {
	set := map[string]bool{"commands": true}
	for _, s := range methodScopes {
		if s != "" {
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
