package slacksim

import (
	"encoding/json"
	"strings"
)

// divider is how RenderText draws a divider block.
const divider = "----------------------------------------"

// RenderText turns Block Kit JSON into readable plain text for a terminal:
//
//	header            # Header text
//	section           its text, then each field indented by two spaces
//	context           "  ~ element · element"
//	divider           a line of dashes
//	actions           buttons as [Label], primary as [*Label*], danger as [!Label!],
//	                  selects as [Placeholder v], overflow as [...]
//	input             <Label: value> (initial value, selected option, or the
//	                  placeholder in parentheses)
//	image             [image: alt text]
//
// A section's accessory is rendered after its text. Unknown blocks render as
// "[type]". Invalid JSON renders as "".
func RenderText(blocks json.RawMessage) string {
	var lines []string
	for _, b := range decodeBlocks(blocks) {
		lines = append(lines, renderBlock(b)...)
	}
	return strings.Join(lines, "\n")
}

// RenderView renders a view: its title, blocks and submit/close buttons.
func RenderView(v View) string {
	var lines []string
	if v.Title != "" {
		lines = append(lines, "[[ "+v.Title+" ]]")
	}
	if body := RenderText(v.Blocks); body != "" {
		lines = append(lines, body)
	}
	var buttons []string
	if v.Close != "" {
		buttons = append(buttons, "["+v.Close+"]")
	}
	if v.Submit != "" {
		buttons = append(buttons, "[*"+v.Submit+"*]")
	}
	if len(buttons) > 0 {
		lines = append(lines, strings.Join(buttons, " "))
	}
	return strings.Join(lines, "\n")
}

func renderBlock(b map[string]any) []string {
	switch b["type"] {
	case "header":
		return []string{"# " + textOf(b["text"])}
	case "section":
		var lines []string
		if t := textOf(b["text"]); t != "" {
			lines = append(lines, t)
		}
		if fields, ok := b["fields"].([]any); ok {
			for _, f := range fields {
				lines = append(lines, "  "+strings.ReplaceAll(textOf(f), "\n", "\n  "))
			}
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			lines = append(lines, renderElement(acc))
		}
		return lines
	case "context":
		var parts []string
		elems, _ := b["elements"].([]any)
		for _, e := range elems {
			em, _ := e.(map[string]any)
			if em["type"] == "image" {
				parts = append(parts, renderElement(em))
				continue
			}
			parts = append(parts, textOf(em))
		}
		return []string{"  ~ " + strings.Join(parts, " · ")}
	case "divider":
		return []string{divider}
	case "actions":
		var parts []string
		elems, _ := b["elements"].([]any)
		for _, e := range elems {
			em, _ := e.(map[string]any)
			parts = append(parts, renderElement(em))
		}
		return []string{strings.Join(parts, " ")}
	case "input":
		el, _ := b["element"].(map[string]any)
		return []string{"<" + textOf(b["label"]) + ": " + inputValue(el) + ">"}
	case "image":
		alt, _ := b["alt_text"].(string)
		return []string{"[image: " + alt + "]"}
	case "markdown":
		t, _ := b["text"].(string)
		return []string{t}
	case "rich_text":
		var sb strings.Builder
		renderRich(&sb, b["elements"])
		return strings.Split(strings.TrimRight(sb.String(), "\n"), "\n")
	default:
		t, _ := b["type"].(string)
		return []string{"[" + t + "]"}
	}
}

func renderElement(el map[string]any) string {
	switch el["type"] {
	case "button":
		label := textOf(el["text"])
		switch el["style"] {
		case "primary":
			return "[*" + label + "*]"
		case "danger":
			return "[!" + label + "!]"
		}
		return "[" + label + "]"
	case "overflow":
		return "[...]"
	case "image":
		alt, _ := el["alt_text"].(string)
		return "[image: " + alt + "]"
	case "checkboxes", "radio_buttons":
		var parts []string
		opts, _ := el["options"].([]any)
		for _, o := range opts {
			om, _ := o.(map[string]any)
			parts = append(parts, "( ) "+textOf(om["text"]))
		}
		return strings.Join(parts, "  ")
	default:
		label := textOf(el["placeholder"])
		if o, ok := el["initial_option"].(map[string]any); ok {
			label = textOf(o["text"])
		}
		if label == "" {
			label, _ = el["type"].(string)
		}
		return "[" + label + " v]"
	}
}

// inputValue is the value an input shows before the user types.
func inputValue(el map[string]any) string {
	if v, ok := el["initial_value"].(string); ok && v != "" {
		return v
	}
	if o, ok := el["initial_option"].(map[string]any); ok {
		return textOf(o["text"])
	}
	if opts, ok := el["initial_options"].([]any); ok && len(opts) > 0 {
		var parts []string
		for _, o := range opts {
			om, _ := o.(map[string]any)
			parts = append(parts, textOf(om["text"]))
		}
		return strings.Join(parts, ", ")
	}
	for _, k := range []string{"initial_date", "initial_time", "initial_user", "initial_conversation", "initial_channel"} {
		if v, ok := el[k].(string); ok && v != "" {
			return v
		}
	}
	if p := textOf(el["placeholder"]); p != "" {
		return "(" + p + ")"
	}
	return ""
}

// renderRich flattens rich_text elements.
func renderRich(sb *strings.Builder, v any) {
	arr, _ := v.([]any)
	for _, e := range arr {
		em, _ := e.(map[string]any)
		switch em["type"] {
		case "rich_text_section", "rich_text_preformatted", "rich_text_quote":
			renderRich(sb, em["elements"])
			sb.WriteString("\n")
		case "rich_text_list":
			items, _ := em["elements"].([]any)
			for _, it := range items {
				sb.WriteString("  • ")
				itm, _ := it.(map[string]any)
				renderRich(sb, itm["elements"])
				sb.WriteString("\n")
			}
		case "text":
			t, _ := em["text"].(string)
			sb.WriteString(t)
		case "link":
			t, _ := em["text"].(string)
			if t == "" {
				t, _ = em["url"].(string)
			}
			sb.WriteString(t)
		case "emoji":
			n, _ := em["name"].(string)
			sb.WriteString(":" + n + ":")
		case "user":
			u, _ := em["user_id"].(string)
			sb.WriteString("<@" + u + ">")
		case "channel":
			c, _ := em["channel_id"].(string)
			sb.WriteString("<#" + c + ">")
		}
	}
}

// Button is a button as a user sees it on a message, a modal or the Home tab.
type Button struct {
	ActionID, Value, Text string
}

// Buttons lists the buttons in blocks, in order (actions blocks and section accessories).
func Buttons(blocks json.RawMessage) []Button {
	var out []Button
	add := func(el map[string]any) {
		if el["type"] != "button" {
			return
		}
		b := Button{}
		b.ActionID, _ = el["action_id"].(string)
		b.Value, _ = el["value"].(string)
		if t, ok := el["text"].(map[string]any); ok {
			b.Text, _ = t["text"].(string)
		}
		out = append(out, b)
	}
	for _, bl := range decodeBlocks(blocks) {
		if els, ok := bl["elements"].([]any); ok {
			for _, e := range els {
				if el, ok := e.(map[string]any); ok {
					add(el)
				}
			}
		}
		if acc, ok := bl["accessory"].(map[string]any); ok {
			add(acc)
		}
	}
	return out
}

// FindButton returns the first button whose action_id starts with prefix.
func FindButton(blocks json.RawMessage, prefix string) (Button, bool) {
	for _, b := range Buttons(blocks) {
		if strings.HasPrefix(b.ActionID, prefix) {
			return b, true
		}
	}
	return Button{}, false
}
