package slacksim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/slacksim"
)

type obj = map[string]any

func pt(s string) obj { return obj{"type": "plain_text", "text": s} }

func x(n int) string { return strings.Repeat("x", n) }

func btnN(actionID string, mut func(obj)) obj {
	b := obj{"type": "button", "action_id": actionID, "text": pt("Go"), "value": "v"}
	if mut != nil {
		mut(b)
	}
	return b
}

func actions(elems ...any) obj { return obj{"type": "actions", "elements": elems} }

func section(text string) obj {
	return obj{"type": "section", "text": obj{"type": "mrkdwn", "text": text}}
}

func options(n int, mut func(i int, o obj)) []any {
	out := make([]any, n)
	for i := range out {
		o := obj{"text": pt(fmt.Sprintf("opt %d", i)), "value": fmt.Sprintf("v%d", i)}
		if mut != nil {
			mut(i, o)
		}
		out[i] = o
	}
	return out
}

func confirm(mut func(obj)) obj {
	c := obj{"title": pt("Sure?"), "text": pt("Really submit?"), "confirm": pt("Yes"), "deny": pt("No")}
	mut(c)
	return c
}

func input(label string, el obj) obj {
	return obj{"type": "input", "block_id": "in", "label": pt(label), "element": el}
}

func message(blocks ...any) error {
	b, err := json.Marshal(blocks)
	if err != nil {
		panic(err)
	}
	return slacksim.ValidateMessage("fallback", b)
}

func modalWith(mut func(obj), blocks ...any) error {
	v := obj{"type": "modal", "title": pt("Title"), "submit": pt("Submit"), "close": pt("Cancel"), "blocks": blocks}
	if mut != nil {
		mut(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return slacksim.ValidateView(b)
}

func repeatBlocks(n int, b obj) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// violationRules returns the rules in a joined validation error.
func violationRules(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	var errs interface{ Unwrap() []error }
	if errors.As(err, &errs) {
		for _, e := range errs.Unwrap() {
			var v *slacksim.Violation
			if errors.As(e, &v) {
				out = append(out, v.Rule)
			}
		}
	}
	return out
}

func TestBlockKitLimits(t *testing.T) {
	// Each case is valid at limit and breaks rule at limit+1. A limit of 0
	// marks a yes/no rule: build(0) is valid, build(1) is not.
	tests := []struct {
		name  string
		rule  string
		limit int
		build func(n int) error
	}{
		{"blocks per message", "blocks_per_message", 50, func(n int) error {
			return message(repeatBlocks(n, obj{"type": "divider"})...)
		}},
		{"blocks per modal", "blocks_per_view", 100, func(n int) error {
			return modalWith(nil, repeatBlocks(n, obj{"type": "divider"})...)
		}},
		{"blocks per home tab", "blocks_per_view", 100, func(n int) error {
			return modalWith(func(v obj) { v["type"] = "home"; delete(v, "title"); delete(v, "submit"); delete(v, "close") },
				repeatBlocks(n, obj{"type": "divider"})...)
		}},
		{"modal title", "view_title_length", 24, func(n int) error {
			return modalWith(func(v obj) { v["title"] = pt(x(n)) }, section("s"))
		}},
		{"modal submit", "view_submit_length", 24, func(n int) error {
			return modalWith(func(v obj) { v["submit"] = pt(x(n)) }, section("s"))
		}},
		{"modal close", "view_close_length", 24, func(n int) error {
			return modalWith(func(v obj) { v["close"] = pt(x(n)) }, section("s"))
		}},
		{"private_metadata", "private_metadata_length", 3000, func(n int) error {
			return modalWith(func(v obj) { v["private_metadata"] = x(n) }, section("s"))
		}},
		{"callback_id", "callback_id_length", 255, func(n int) error {
			return modalWith(func(v obj) { v["callback_id"] = x(n) }, section("s"))
		}},
		{"block_id length", "block_id_length", 255, func(n int) error {
			b := section("s")
			b["block_id"] = x(n)
			return message(b)
		}},
		{"block_id unique", "block_id_unique", 0, func(n int) error {
			a, b := section("a"), section("b")
			a["block_id"], b["block_id"] = "one", []string{"two", "one"}[n]
			return message(a, b)
		}},
		{"action_id length", "action_id_length", 255, func(n int) error {
			return message(actions(btnN(x(n), nil)))
		}},
		{"action_id unique in a block", "action_id_unique", 0, func(n int) error {
			return message(actions(btnN("a", nil), btnN([]string{"b", "a"}[n], nil)))
		}},
		{"button text", "button_text_length", 75, func(n int) error {
			return message(actions(btnN("a", func(b obj) { b["text"] = pt(x(n)) })))
		}},
		{"button text counts characters", "button_text_length", 75, func(n int) error {
			return message(actions(btnN("a", func(b obj) { b["text"] = pt(strings.Repeat("é", n)) })))
		}},
		{"button value", "button_value_length", 2000, func(n int) error {
			return message(actions(btnN("a", func(b obj) { b["value"] = x(n) })))
		}},
		{"button url", "url_length", 3000, func(n int) error {
			return message(actions(btnN("a", func(b obj) { b["url"] = "https://e.x/" + x(n-12) })))
		}},
		{"button style", "button_style", 0, func(n int) error {
			return message(actions(btnN("a", func(b obj) { b["style"] = []string{"danger", "red"}[n] })))
		}},
		{"section text", "section_text_length", 3000, func(n int) error {
			return message(section(x(n)))
		}},
		{"section fields count", "section_fields_count", 10, func(n int) error {
			fields := make([]any, n)
			for i := range fields {
				fields[i] = pt("f")
			}
			return message(obj{"type": "section", "fields": fields})
		}},
		{"section field length", "section_field_length", 2000, func(n int) error {
			return message(obj{"type": "section", "fields": []any{pt(x(n))}})
		}},
		{"header text", "header_text_length", 150, func(n int) error {
			return message(obj{"type": "header", "text": pt(x(n))})
		}},
		{"header is plain_text", "text_object_type", 0, func(n int) error {
			return message(obj{"type": "header", "text": obj{"type": []string{"plain_text", "mrkdwn"}[n], "text": "h"}})
		}},
		{"context elements", "context_elements_count", 10, func(n int) error {
			elems := make([]any, n)
			for i := range elems {
				elems[i] = pt("c")
			}
			return message(obj{"type": "context", "elements": elems})
		}},
		{"actions elements", "actions_elements_count", 25, func(n int) error {
			elems := make([]any, n)
			for i := range elems {
				elems[i] = btnN(fmt.Sprintf("b%d", i), nil)
			}
			return message(actions(elems...))
		}},
		{"plain_text_input max_length", "plain_text_input_max_length", 3000, func(n int) error {
			return modalWith(nil, input("Notes", obj{"type": "plain_text_input", "action_id": "n", "max_length": n}))
		}},
		{"plain_text_input min_length", "plain_text_input_min_length", 3000, func(n int) error {
			return modalWith(nil, input("Notes", obj{"type": "plain_text_input", "action_id": "n", "min_length": n}))
		}},
		{"input label", "input_label_length", 2000, func(n int) error {
			return modalWith(nil, input(x(n), obj{"type": "plain_text_input", "action_id": "n"}))
		}},
		{"input hint", "input_hint_length", 2000, func(n int) error {
			b := input("Notes", obj{"type": "plain_text_input", "action_id": "n"})
			b["hint"] = pt(x(n))
			return modalWith(nil, b)
		}},
		{"placeholder", "placeholder_length", 150, func(n int) error {
			return modalWith(nil, input("Notes", obj{"type": "plain_text_input", "action_id": "n", "placeholder": pt(x(n))}))
		}},
		{"input element kind", "element_not_allowed", 0, func(n int) error {
			el := []obj{{"type": "plain_text_input", "action_id": "n"}, btnN("b", nil)}[n]
			return modalWith(nil, input("Notes", el))
		}},
		{"modal with inputs needs submit", "view_submit_required", 0, func(n int) error {
			return modalWith(func(v obj) {
				if n == 1 {
					delete(v, "submit")
				}
			}, input("Notes", obj{"type": "plain_text_input", "action_id": "n"}))
		}},
		{"confirm title", "confirm_title_length", 100, func(n int) error {
			return message(actions(btnN("a", func(b obj) { b["confirm"] = confirm(func(c obj) { c["title"] = pt(x(n)) }) })))
		}},
		{"confirm text", "confirm_text_length", 300, func(n int) error {
			return message(actions(btnN("a", func(b obj) { b["confirm"] = confirm(func(c obj) { c["text"] = pt(x(n)) }) })))
		}},
		{"confirm button", "confirm_button_length", 30, func(n int) error {
			return message(actions(btnN("a", func(b obj) { b["confirm"] = confirm(func(c obj) { c["confirm"] = pt(x(n)) }) })))
		}},
		{"deny button", "confirm_button_length", 30, func(n int) error {
			return message(actions(btnN("a", func(b obj) { b["confirm"] = confirm(func(c obj) { c["deny"] = pt(x(n)) }) })))
		}},
		{"option text", "option_text_length", 75, func(n int) error {
			return message(actions(obj{"type": "static_select", "action_id": "s", "placeholder": pt("Pick"),
				"options": options(2, func(i int, o obj) {
					if i == 1 {
						o["text"] = pt(x(n))
					}
				})}))
		}},
		{"option value", "option_value_length", 150, func(n int) error {
			return message(actions(obj{"type": "static_select", "action_id": "s", "placeholder": pt("Pick"),
				"options": options(1, func(i int, o obj) { o["value"] = x(n) })}))
		}},
		{"select options", "options_count", 100, func(n int) error {
			return message(actions(obj{"type": "static_select", "action_id": "s", "placeholder": pt("Pick"), "options": options(n, nil)}))
		}},
		{"overflow options", "options_count", 5, func(n int) error {
			return message(actions(obj{"type": "overflow", "action_id": "o", "options": options(n, nil)}))
		}},
		{"checkbox options", "options_count", 10, func(n int) error {
			return modalWith(nil, input("Pick", obj{"type": "checkboxes", "action_id": "c", "options": options(n, nil)}))
		}},
		{"radio options", "options_count", 10, func(n int) error {
			return modalWith(nil, input("Pick", obj{"type": "radio_buttons", "action_id": "r", "options": options(n, nil)}))
		}},
		{"initial option among options", "initial_option_unknown", 0, func(n int) error {
			opts := options(3, nil)
			return message(actions(obj{"type": "static_select", "action_id": "s", "placeholder": pt("Pick"), "options": opts,
				"initial_option": obj{"text": pt([]string{"opt 1", "opt 9"}[n]), "value": []string{"v1", "v9"}[n]}}))
		}},
		{"initial option exactly matches", "initial_option_mismatch", 0, func(n int) error {
			return modalWith(nil, input("Pick", obj{"type": "radio_buttons", "action_id": "r", "options": options(3, nil),
				"initial_option": obj{"text": pt([]string{"opt 2", "Opt 2"}[n]), "value": "v2"}}))
		}},
		{"checkbox initial option description", "initial_option_mismatch", 0, func(n int) error {
			opts := options(1, func(_ int, o obj) { o["description"] = pt("about") })
			return modalWith(nil, input("Pick", obj{"type": "checkboxes", "action_id": "c", "options": opts,
				"initial_options": []any{obj{"text": pt("opt 0"), "value": "v0", "description": pt([]string{"about", "other"}[n])}}}))
		}},
		{"options with option groups", "options_and_groups", 0, func(n int) error {
			sel := obj{"type": "static_select", "action_id": "s", "placeholder": pt("Pick"),
				"option_groups": []any{obj{"label": pt("G"), "options": options(2, nil)}}}
			if n == 1 {
				sel["options"] = options(1, nil)
			}
			return message(actions(sel))
		}},
		{"timepicker initial time", "timepicker_initial_time", 0, func(n int) error {
			return modalWith(nil, input("At", obj{"type": "timepicker", "action_id": "t", "initial_time": []string{"09:00", "9:00"}[n]}))
		}},
		{"timepicker hour 24", "timepicker_initial_time", 0, func(n int) error {
			return modalWith(nil, input("At", obj{"type": "timepicker", "action_id": "t", "initial_time": []string{"23:59", "24:00"}[n]}))
		}},
		{"timepicker time zone", "timepicker_timezone", 0, func(n int) error {
			return modalWith(nil, input("At", obj{"type": "timepicker", "action_id": "t", "timezone": []string{"Asia/Tokyo", "Local"}[n]}))
		}},
		{"datepicker real date", "datepicker_initial_date", 0, func(n int) error {
			return modalWith(nil, input("On", obj{"type": "datepicker", "action_id": "d", "initial_date": []string{"2028-02-29", "2026-02-30"}[n]}))
		}},
		{"datetimepicker seconds", "datetimepicker_initial_date_time", 0, func(n int) error {
			return modalWith(nil, input("At", obj{"type": "datetimepicker", "action_id": "dt", "initial_date_time": []any{1628633820, "2021-08-10"}[n]}))
		}},
		{"one focus_on_load", "focus_on_load_unique", 0, func(n int) error {
			a := input("A", obj{"type": "plain_text_input", "action_id": "a", "focus_on_load": true})
			b := input("B", obj{"type": "plain_text_input", "action_id": "b", "focus_on_load": n == 1})
			b["block_id"] = "in2"
			return modalWith(nil, a, b)
		}},
		{"image alt text", "image_alt_text_length", 2000, func(n int) error {
			return message(obj{"type": "image", "image_url": "https://e.x/i.png", "alt_text": x(n)})
		}},
		{"message text", "message_text_length", 40000, func(n int) error {
			return slacksim.ValidateMessage(x(n), nil)
		}},
		{"unknown block type", "unknown_block_type", 0, func(n int) error {
			return message(obj{"type": []string{"divider", "hologram"}[n]})
		}},
		{"unknown element type", "unknown_element_type", 0, func(n int) error {
			return message(actions(obj{"type": []string{"button", "slider"}[n], "action_id": "a", "text": pt("Go")}))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, over := tc.limit, tc.limit+1
			if tc.limit == 0 {
				at, over = 0, 1
			}
			if err := tc.build(at); err != nil {
				t.Errorf("at the limit (%d): %v", at, err)
			}
			err := tc.build(over)
			got := violationRules(err)
			if len(got) != 1 || got[0] != tc.rule {
				t.Errorf("over the limit (%d): rules %v, want [%s] (err: %v)", over, got, tc.rule, err)
			}
			if err != nil && !errors.Is(err, slacksim.ErrViolation) {
				t.Errorf("err %v does not match ErrViolation", err)
			}
		})
	}
}

func TestBlockKitDetails(t *testing.T) {
	err := message(section("ok"), actions(btnN("a", func(b obj) { b["text"] = pt(x(76)) })))
	if err == nil || !strings.Contains(err.Error(), "blocks[1].elements[0].text: 76 characters > 75") {
		t.Errorf("err = %v, want the path and the measure", err)
	}
	// The same action_id in two different blocks is fine.
	if err := message(actions(btnN("a", nil)), actions(btnN("a", nil))); err != nil {
		t.Errorf("action_id reused across blocks: %v", err)
	}
	if err := slacksim.ValidateMessage("", json.RawMessage(`{"not":"an array"}`)); len(violationRules(err)) != 1 || violationRules(err)[0] != "blocks_format" {
		t.Errorf("non-array blocks: %v", err)
	}
}
