package slacksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"time"
	_ "time/tzdata" // time picker time zones resolve even without system zoneinfo
	"unicode/utf8"
)

// Block Kit limits (characters are counted as Unicode code points).
const (
	maxMessageBlocks     = 50
	maxViewBlocks        = 100
	maxMessageText       = 40000
	maxViewTitle         = 24
	maxPrivateMetadata   = 3000
	maxCallbackID        = 255
	maxBlockID           = 255
	maxActionID          = 255
	maxButtonText        = 75
	maxButtonValue       = 2000
	maxURL               = 3000
	maxSectionText       = 3000
	maxSectionFields     = 10
	maxSectionField      = 2000
	maxHeaderText        = 150
	maxContextElements   = 10
	maxActionsElements   = 25
	maxTextInputLength   = 3000
	maxInputLabel        = 2000
	maxInputHint         = 2000
	maxPlaceholder       = 150
	maxConfirmTitle      = 100
	maxConfirmText       = 300
	maxConfirmButton     = 30
	maxOptionText        = 75
	maxOptionValue       = 150
	maxOptionDescription = 75
	maxSelectOptions     = 100
	maxOptionGroups      = 100
	maxOptionGroupLabel  = 75
	maxOverflowOptions   = 5
	maxCheckboxOptions   = 10
	maxRadioOptions      = 10
	maxImageAltText      = 2000
	maxImageTitle        = 2000
	maxMarkdownBlockText = 12000
)

// surface is where blocks are shown; it decides the block count limit.
type surface int

const (
	surfaceMessage surface = iota
	surfaceModal
	surfaceHome
)

type elemSet map[string]bool

var (
	knownElements = elemSet{
		"button": true, "static_select": true, "multi_static_select": true, "external_select": true,
		"multi_external_select": true, "users_select": true, "multi_users_select": true,
		"conversations_select": true, "multi_conversations_select": true, "channels_select": true,
		"multi_channels_select": true, "overflow": true, "datepicker": true, "timepicker": true,
		"datetimepicker": true, "checkboxes": true, "radio_buttons": true, "plain_text_input": true,
		"number_input": true, "email_text_input": true, "url_text_input": true, "image": true,
		"rich_text_input": true,
	}
	actionsElements = elemSet{
		"button": true, "static_select": true, "multi_static_select": true, "external_select": true,
		"multi_external_select": true, "users_select": true, "multi_users_select": true,
		"conversations_select": true, "multi_conversations_select": true, "channels_select": true,
		"multi_channels_select": true, "overflow": true, "datepicker": true, "timepicker": true,
		"datetimepicker": true, "checkboxes": true, "radio_buttons": true,
	}
	accessoryElements = elemSet{
		"button": true, "image": true, "static_select": true, "multi_static_select": true,
		"external_select": true, "multi_external_select": true, "users_select": true,
		"multi_users_select": true, "conversations_select": true, "multi_conversations_select": true,
		"channels_select": true, "multi_channels_select": true, "overflow": true, "datepicker": true,
		"timepicker": true, "checkboxes": true, "radio_buttons": true,
	}
	inputElements = elemSet{
		"plain_text_input": true, "static_select": true, "multi_static_select": true,
		"external_select": true, "multi_external_select": true, "users_select": true,
		"multi_users_select": true, "conversations_select": true, "multi_conversations_select": true,
		"channels_select": true, "multi_channels_select": true, "datepicker": true, "timepicker": true,
		"datetimepicker": true, "checkboxes": true, "radio_buttons": true, "number_input": true,
		"email_text_input": true, "url_text_input": true, "rich_text_input": true,
	}
	datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	// timePattern is the time picker's initial_time: "HH:mm, where HH is the
	// 24-hour format of an hour (00 to 23) and mm is minutes with leading
	// zeros (00 to 59)" (docs.slack.dev reference/block-kit/block-elements/
	// time-picker-element).
	timePattern = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
)

// checker collects Block Kit violations for one message or view.
type checker struct {
	where    string
	surface  surface
	errs     []*Violation
	blockIDs map[string]bool
	inputs   map[string]bool // block_ids of input blocks
	focus    int             // elements with focus_on_load
}

func newChecker(where string, sf surface) *checker {
	return &checker{where: where, surface: sf, blockIDs: map[string]bool{}, inputs: map[string]bool{}}
}

func (c *checker) fail(rule, path, format string, args ...any) {
	detail := fmt.Sprintf(format, args...)
	if path != "" {
		detail = path + ": " + detail
	}
	c.errs = append(c.errs, &Violation{Rule: rule, Where: c.where, Detail: detail})
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// maxLen checks a string field's length when present.
func (c *checker) maxLen(rule, path string, v any, limit int) {
	if v == nil {
		return
	}
	s, ok := v.(string)
	if !ok {
		c.fail("field_type", path, "must be a string")
		return
	}
	if n := runes(s); n > limit {
		c.fail(rule, path, "%d characters > %d", n, limit)
	}
}

// textObj checks a text object. plainOnly demands plain_text.
func (c *checker) textObj(rule, path string, v any, plainOnly, required bool, limit int) {
	if v == nil {
		if required {
			c.fail("field_required", path, "text object is required")
		}
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.fail("text_object", path, "must be a text object")
		return
	}
	typ, _ := m["type"].(string)
	switch typ {
	case "plain_text":
	case "mrkdwn":
		if plainOnly {
			c.fail("text_object_type", path, "must be plain_text, got mrkdwn")
		}
	default:
		c.fail("text_object_type", path, "unknown text object type %q", typ)
		return
	}
	s, ok := m["text"].(string)
	if !ok {
		c.fail("text_object", path, "text must be a string")
		return
	}
	n := runes(s)
	if n == 0 {
		c.fail("text_empty", path, "text must not be empty")
	}
	if limit > 0 && n > limit {
		c.fail(rule, path, "%d characters > %d", n, limit)
	}
}

// blocks checks a blocks array.
func (c *checker) blocks(path string, v any) {
	if v == nil {
		return
	}
	arr, ok := v.([]any)
	if !ok {
		c.fail("blocks_format", path, "blocks must be a JSON array")
		return
	}
	limit, rule := maxMessageBlocks, "blocks_per_message"
	if c.surface != surfaceMessage {
		limit, rule = maxViewBlocks, "blocks_per_view"
	}
	if len(arr) > limit {
		c.fail(rule, path, "%d blocks > %d", len(arr), limit)
	}
	for i, b := range arr {
		c.block(fmt.Sprintf("%s[%d]", path, i), b)
	}
}

func (c *checker) block(path string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail("block_format", path, "block must be an object")
		return
	}
	typ, _ := m["type"].(string)
	blockID := ""
	if id, present := m["block_id"]; present {
		s, isStr := id.(string)
		switch {
		case !isStr:
			c.fail("field_type", path+".block_id", "must be a string")
		case s == "":
			c.fail("block_id_empty", path+".block_id", "must not be empty")
		default:
			blockID = s
			if n := runes(s); n > maxBlockID {
				c.fail("block_id_length", path+".block_id", "%d characters > %d", n, maxBlockID)
			}
			if c.blockIDs[s] {
				c.fail("block_id_unique", path+".block_id", "duplicate block_id %q", s)
			}
			c.blockIDs[s] = true
		}
	}
	actionIDs := map[string]bool{}
	switch typ {
	case "section":
		text, fields := m["text"], m["fields"]
		if text == nil && fields == nil {
			c.fail("section_empty", path, "section needs text or fields")
		}
		c.textObj("section_text_length", path+".text", text, false, false, maxSectionText)
		if fields != nil {
			arr, ok := fields.([]any)
			if !ok {
				c.fail("field_type", path+".fields", "must be an array")
			} else {
				if len(arr) > maxSectionFields {
					c.fail("section_fields_count", path+".fields", "%d fields > %d", len(arr), maxSectionFields)
				}
				for i, f := range arr {
					c.textObj("section_field_length", fmt.Sprintf("%s.fields[%d]", path, i), f, false, true, maxSectionField)
				}
			}
		}
		if acc, ok := m["accessory"]; ok && acc != nil {
			c.element(path+".accessory", acc, accessoryElements, actionIDs)
		}
	case "actions":
		arr := c.array(path+".elements", m["elements"])
		if len(arr) == 0 {
			c.fail("actions_elements_count", path+".elements", "actions block needs at least one element")
		}
		if len(arr) > maxActionsElements {
			c.fail("actions_elements_count", path+".elements", "%d elements > %d", len(arr), maxActionsElements)
		}
		for i, e := range arr {
			c.element(fmt.Sprintf("%s.elements[%d]", path, i), e, actionsElements, actionIDs)
		}
	case "context":
		arr := c.array(path+".elements", m["elements"])
		if len(arr) == 0 {
			c.fail("context_elements_count", path+".elements", "context block needs at least one element")
		}
		if len(arr) > maxContextElements {
			c.fail("context_elements_count", path+".elements", "%d elements > %d", len(arr), maxContextElements)
		}
		for i, e := range arr {
			p := fmt.Sprintf("%s.elements[%d]", path, i)
			em, _ := e.(map[string]any)
			if t, _ := em["type"].(string); t == "image" {
				c.element(p, e, elemSet{"image": true}, actionIDs)
				continue
			}
			c.textObj("context_text_length", p, e, false, true, 0)
		}
	case "divider":
	case "header":
		c.textObj("header_text_length", path+".text", m["text"], true, true, maxHeaderText)
	case "input":
		c.textObj("input_label_length", path+".label", m["label"], true, true, maxInputLabel)
		c.textObj("input_hint_length", path+".hint", m["hint"], true, false, maxInputHint)
		if m["element"] == nil {
			c.fail("field_required", path+".element", "input block needs an element")
		} else {
			c.element(path+".element", m["element"], inputElements, actionIDs)
		}
		if blockID != "" {
			c.inputs[blockID] = true
		}
	case "image":
		c.image(path, m)
		c.textObj("image_title_length", path+".title", m["title"], true, false, maxImageTitle)
	case "rich_text":
		if _, ok := m["elements"].([]any); !ok {
			c.fail("field_required", path+".elements", "rich_text block needs an elements array")
		}
	case "markdown":
		s, ok := m["text"].(string)
		if !ok || s == "" {
			c.fail("field_required", path+".text", "markdown block needs text")
		}
		c.maxLen("markdown_text_length", path+".text", m["text"], maxMarkdownBlockText)
	case "":
		c.fail("block_format", path, "block has no type")
	default:
		c.fail("unknown_block_type", path, "unsupported block type %q", typ)
	}
}

func (c *checker) array(path string, v any) []any {
	if v == nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		c.fail("field_type", path, "must be an array")
	}
	return arr
}

func (c *checker) image(path string, m map[string]any) {
	if m["image_url"] == nil && m["slack_file"] == nil {
		c.fail("field_required", path+".image_url", "image needs image_url or slack_file")
	}
	c.maxLen("url_length", path+".image_url", m["image_url"], maxURL)
	alt, ok := m["alt_text"].(string)
	if !ok || alt == "" {
		c.fail("field_required", path+".alt_text", "image needs alt_text")
	}
	c.maxLen("image_alt_text_length", path+".alt_text", m["alt_text"], maxImageAltText)
}

// element checks an interactive or image element placed where allowed says.
func (c *checker) element(path string, v any, allowed elemSet, actionIDs map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail("element_format", path, "element must be an object")
		return
	}
	typ, _ := m["type"].(string)
	if !knownElements[typ] {
		c.fail("unknown_element_type", path, "unsupported element type %q", typ)
		return
	}
	if !allowed[typ] {
		c.fail("element_not_allowed", path, "element %q is not allowed here", typ)
		return
	}
	if typ != "image" {
		if id, present := m["action_id"]; present {
			s, isStr := id.(string)
			switch {
			case !isStr:
				c.fail("field_type", path+".action_id", "must be a string")
			case s == "":
				c.fail("action_id_empty", path+".action_id", "must not be empty")
			default:
				if n := runes(s); n > maxActionID {
					c.fail("action_id_length", path+".action_id", "%d characters > %d", n, maxActionID)
				}
				if actionIDs[s] {
					c.fail("action_id_unique", path+".action_id", "duplicate action_id %q in block", s)
				}
				actionIDs[s] = true
			}
		}
	}
	c.confirm(path+".confirm", m["confirm"])
	c.textObj("placeholder_length", path+".placeholder", m["placeholder"], true, false, maxPlaceholder)
	switch typ {
	case "button":
		c.textObj("button_text_length", path+".text", m["text"], true, true, maxButtonText)
		c.maxLen("button_value_length", path+".value", m["value"], maxButtonValue)
		c.maxLen("url_length", path+".url", m["url"], maxURL)
		if st, present := m["style"]; present {
			if s, _ := st.(string); s != "primary" && s != "danger" {
				c.fail("button_style", path+".style", "style must be primary or danger, got %v", st)
			}
		}
	case "static_select", "multi_static_select":
		opts := c.options(path, m, true, maxSelectOptions)
		if len(opts) == 0 && m["option_groups"] == nil {
			c.fail("options_count", path+".options", "select needs options or option_groups")
		}
		c.initialOptions(path, m, opts)
	case "overflow":
		opts := c.options(path, m, true, maxOverflowOptions)
		if len(opts) == 0 {
			c.fail("options_count", path+".options", "overflow needs at least one option")
		}
	case "checkboxes":
		opts := c.options(path, m, false, maxCheckboxOptions)
		if len(opts) == 0 {
			c.fail("options_count", path+".options", "checkboxes need at least one option")
		}
		c.initialOptions(path, m, opts)
	case "radio_buttons":
		opts := c.options(path, m, false, maxRadioOptions)
		if len(opts) == 0 {
			c.fail("options_count", path+".options", "radio_buttons need at least one option")
		}
		c.initialOptions(path, m, opts)
	case "plain_text_input":
		minL, hasMin := number(m["min_length"])
		maxL, hasMax := number(m["max_length"])
		if hasMax && (maxL < 1 || maxL > maxTextInputLength) {
			c.fail("plain_text_input_max_length", path+".max_length", "%v not in 1..%d", maxL, maxTextInputLength)
		}
		if hasMin && (minL < 0 || minL > maxTextInputLength) {
			c.fail("plain_text_input_min_length", path+".min_length", "%v not in 0..%d", minL, maxTextInputLength)
		}
		if hasMin && hasMax && minL > maxL {
			c.fail("plain_text_input_min_length", path+".min_length", "min_length %v > max_length %v", minL, maxL)
		}
		if iv, ok := m["initial_value"].(string); ok && hasMax && float64(runes(iv)) > maxL {
			c.fail("plain_text_input_initial_value", path+".initial_value", "%d characters > max_length %v", runes(iv), maxL)
		}
	case "image":
		c.image(path, m)
	case "datepicker":
		// "This should be in the format YYYY-MM-DD" (date picker element
		// reference); a date that does not exist (2026-02-30) is refused too.
		if d, ok := m["initial_date"].(string); ok {
			if _, err := time.Parse("2006-01-02", d); err != nil || !datePattern.MatchString(d) {
				c.fail("datepicker_initial_date", path+".initial_date", "%q is not a YYYY-MM-DD date", d)
			}
		}
	case "timepicker":
		if tm, ok := m["initial_time"].(string); ok && !timePattern.MatchString(tm) {
			c.fail("timepicker_initial_time", path+".initial_time", "%q is not HH:mm (24-hour)", tm)
		}
		// "timezone: A string in the IANA format, e.g. America/Chicago"
		// (time picker element reference). Go's "Local" is not one.
		if tz, present := m["timezone"]; present {
			s, _ := tz.(string)
			if _, err := time.LoadLocation(s); err != nil || s == "" || s == "Local" {
				c.fail("timepicker_timezone", path+".timezone", "%v is not an IANA time zone", tz)
			}
		}
	case "datetimepicker":
		// initial_date_time is a UNIX timestamp in seconds, e.g. 1628633820
		// (date time picker element reference).
		if v, present := m["initial_date_time"]; present {
			if f, ok := v.(float64); !ok || f < 0 || f != float64(int64(f)) {
				c.fail("datetimepicker_initial_date_time", path+".initial_date_time", "%v is not a UNIX time in seconds", v)
			}
		}
	}
	if f, _ := m["focus_on_load"].(bool); f {
		c.focus++
		if c.focus == 2 {
			c.fail("focus_on_load_unique", path+".focus_on_load", "only one element of a view may set focus_on_load")
		}
	}
}

func number(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

// options checks an element's options (and option_groups) and returns the
// option values in order.
func (c *checker) options(path string, m map[string]any, plainOnly bool, limit int) []string {
	var values []string
	check := func(p string, arr []any, lim int) {
		if len(arr) > lim {
			c.fail("options_count", p, "%d options > %d", len(arr), lim)
		}
		for i, o := range arr {
			values = append(values, c.option(fmt.Sprintf("%s[%d]", p, i), o, plainOnly))
		}
	}
	check(path+".options", c.array(path+".options", m["options"]), limit)
	groups := c.array(path+".option_groups", m["option_groups"])
	// "If option_groups is specified, this field should not be" (static
	// select reference, options).
	if m["options"] != nil && m["option_groups"] != nil {
		c.fail("options_and_groups", path, "options and option_groups are exclusive")
	}
	if len(groups) > maxOptionGroups {
		c.fail("options_count", path+".option_groups", "%d option groups > %d", len(groups), maxOptionGroups)
	}
	for i, g := range groups {
		p := fmt.Sprintf("%s.option_groups[%d]", path, i)
		gm, ok := g.(map[string]any)
		if !ok {
			c.fail("option_format", p, "option group must be an object")
			continue
		}
		c.textObj("option_group_label_length", p+".label", gm["label"], true, true, maxOptionGroupLabel)
		check(p+".options", c.array(p+".options", gm["options"]), maxSelectOptions)
	}
	return values
}

func (c *checker) option(path string, v any, plainOnly bool) string {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail("option_format", path, "option must be an object")
		return ""
	}
	c.textObj("option_text_length", path+".text", m["text"], plainOnly, true, maxOptionText)
	c.textObj("option_description_length", path+".description", m["description"], plainOnly, false, maxOptionDescription)
	value, ok := m["value"].(string)
	if !ok || value == "" {
		c.fail("field_required", path+".value", "option needs a value")
	}
	c.maxLen("option_value_length", path+".value", m["value"], maxOptionValue)
	c.maxLen("url_length", path+".url", m["url"], maxURL)
	return value
}

// initialOptions checks that initial_option(s) are among the options and
// "exactly match" them — text and description as well as value (checkboxes,
// radio buttons and static select references: "An option object that
// exactly matches one of the options within options"); Slack refuses the
// view or message otherwise.
func (c *checker) initialOptions(path string, m map[string]any, values []string) {
	known := map[string]map[string]any{}
	for _, o := range allOptions(m) {
		if om, ok := o.(map[string]any); ok {
			if v, _ := om["value"].(string); v != "" {
				known[v] = om
			}
		}
	}
	checkOne := func(p string, o any) {
		om, ok := o.(map[string]any)
		if !ok {
			c.fail("option_format", p, "option must be an object")
			return
		}
		v, _ := om["value"].(string)
		want, found := known[v]
		switch {
		case !found:
			c.fail("initial_option_unknown", p, "initial option %q is not one of the options", v)
		case !sameJSON(om["text"], want["text"]) || !sameJSON(om["description"], want["description"]):
			c.fail("initial_option_mismatch", p, "initial option %q does not exactly match the option (text or description differ)", v)
		}
	}
	if o, ok := m["initial_option"]; ok && o != nil {
		checkOne(path+".initial_option", o)
	}
	for i, o := range c.array(path+".initial_options", m["initial_options"]) {
		checkOne(fmt.Sprintf("%s.initial_options[%d]", path, i), o)
	}
}

// allOptions returns an element's options and the options of its groups.
func allOptions(m map[string]any) []any {
	out, _ := m["options"].([]any)
	groups, _ := m["option_groups"].([]any)
	for _, g := range groups {
		if gm, ok := g.(map[string]any); ok {
			opts, _ := gm["options"].([]any)
			out = append(out, opts...)
		}
	}
	return out
}

// sameJSON compares two decoded JSON values; a text object's absent "emoji"
// counts as Slack's default (true).
func sameJSON(a, b any) bool {
	norm := func(v any) any {
		m, ok := v.(map[string]any)
		if !ok || m["type"] != "plain_text" {
			return v
		}
		c := map[string]any{}
		for k, x := range m {
			c[k] = x
		}
		if _, ok := c["emoji"]; !ok {
			c["emoji"] = true
		}
		return c
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func (c *checker) confirm(path string, v any) {
	if v == nil {
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.fail("confirm_format", path, "confirm must be an object")
		return
	}
	c.textObj("confirm_title_length", path+".title", m["title"], true, true, maxConfirmTitle)
	c.textObj("confirm_text_length", path+".text", m["text"], false, true, maxConfirmText)
	c.textObj("confirm_button_length", path+".confirm", m["confirm"], true, true, maxConfirmButton)
	c.textObj("confirm_button_length", path+".deny", m["deny"], true, true, maxConfirmButton)
	if st, present := m["style"]; present {
		if s, _ := st.(string); s != "primary" && s != "danger" {
			c.fail("button_style", path+".style", "style must be primary or danger, got %v", st)
		}
	}
}

// checkMessage validates a message's text and blocks (raw JSON, may be nil).
func checkMessage(where, text string, blocks json.RawMessage) []*Violation {
	c := newChecker(where, surfaceMessage)
	if n := runes(text); n > maxMessageText {
		c.fail("message_text_length", "text", "%d characters > %d (Slack truncates it)", n, maxMessageText)
	}
	if len(blocks) > 0 {
		var v any
		if err := json.Unmarshal(blocks, &v); err != nil {
			c.fail("blocks_format", "blocks", "invalid JSON: %v", err)
			return c.errs
		}
		c.blocks("blocks", v)
	}
	return c.errs
}

// checkView validates a view object. wantType is "modal" or "home" ("" to
// accept either). It returns the violations and the input block ids.
func checkView(where string, view map[string]any, wantType string) ([]*Violation, map[string]bool) {
	typ, _ := view["type"].(string)
	sf := surfaceModal
	if typ == "home" {
		sf = surfaceHome
	}
	c := newChecker(where, sf)
	switch {
	case typ != "modal" && typ != "home":
		c.fail("view_type", "view.type", "view type must be modal or home, got %q", typ)
	case wantType != "" && typ != wantType:
		c.fail("view_type", "view.type", "view type must be %s here, got %s", wantType, typ)
	}
	if typ == "modal" {
		c.textObj("view_title_length", "view.title", view["title"], true, true, maxViewTitle)
	}
	c.textObj("view_submit_length", "view.submit", view["submit"], true, false, maxViewTitle)
	c.textObj("view_close_length", "view.close", view["close"], true, false, maxViewTitle)
	c.maxLen("private_metadata_length", "view.private_metadata", view["private_metadata"], maxPrivateMetadata)
	c.maxLen("callback_id_length", "view.callback_id", view["callback_id"], maxCallbackID)
	c.maxLen("external_id_length", "view.external_id", view["external_id"], maxCallbackID)
	if view["blocks"] == nil {
		c.fail("field_required", "view.blocks", "view needs a blocks array")
	}
	c.blocks("view.blocks", view["blocks"])
	if typ == "modal" && view["submit"] == nil && hasInputBlock(view["blocks"]) {
		c.fail("view_submit_required", "view.submit", "a modal with input blocks needs a submit button")
	}
	return c.errs, c.inputs
}

func hasInputBlock(v any) bool {
	arr, _ := v.([]any)
	for _, b := range arr {
		if m, ok := b.(map[string]any); ok && m["type"] == "input" {
			return true
		}
	}
	return false
}

// ValidateMessage checks a message's text and Block Kit JSON against Slack's
// limits, the way chat.postMessage does. It returns nil or the violations
// joined (each matches ErrViolation and unwraps to a *Violation).
func ValidateMessage(text string, blocks json.RawMessage) error {
	return joinViolations(checkMessage("message", text, blocks))
}

// ValidateView checks a modal or Home tab view object (the "view" of
// views.open/publish) against Slack's limits.
func ValidateView(view json.RawMessage) error {
	var m map[string]any
	if err := json.Unmarshal(view, &m); err != nil {
		return fmt.Errorf("decoding view: %w", err)
	}
	vs, _ := checkView("view", m, "")
	return joinViolations(vs)
}

func joinViolations(vs []*Violation) error {
	if len(vs) == 0 {
		return nil
	}
	errs := make([]error, len(vs))
	for i, v := range vs {
		errs[i] = v
	}
	return errors.Join(errs...)
}
