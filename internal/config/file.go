package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // the team's time zone resolves even where the system has no zoneinfo

	"go.yaml.in/yaml/v3"
)

// Parse decodes, defaults and validates a YAML configuration file on its own
// (for tests and deploy-time checks). Unknown keys are errors.
func Parse(yamlBytes []byte) (*File, error) { return parse(DefaultConfigFile, yamlBytes) }

// LoadFile reads and parses the YAML file at path, as Parse does.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Field: path, Problem: "reading " + path, Err: pathCause(err)}
	}
	return parse(path, data)
}

func parse(name string, data []byte) (*File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlErr(name, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fieldErr(name, "more than one YAML document")
	}
	if err := f.defaultAndValidate(); err != nil {
		return nil, err
	}
	return &f, nil
}

var (
	yamlLineRe = regexp.MustCompile(`^line (\d+): (.*)$`)
	// backtickRe matches the values yaml quotes in its messages
	// ("cannot unmarshal !!str `abc` into bool"); they are dropped because
	// a misplaced secret would otherwise be echoed.
	backtickRe = regexp.MustCompile("\\s*`[^`]*`")
)

// unknownFieldRe matches yaml's "field chanel not found in type config.App".
var unknownFieldRe = regexp.MustCompile(`field (\S+) not found in type \S+`)

// yamlKeys lists the keys a YAML section accepts, for "did you mean".
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if k, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

// unknownKey says which key is unknown, in YAML's words, and the closest
// known one, instead of yaml's Go type names.
func unknownKey(key string) string {
	msg := fmt.Sprintf("unknown key %q", key)
	best, bestD := "", 3 // suggest only near misses
	for _, t := range []reflect.Type{reflect.TypeFor[File](), reflect.TypeFor[App]()} {
		for _, k := range yamlKeys(t) {
			if d := editDistance(key, k); d < bestD {
				best, bestD = k, d
			}
		}
	}
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return msg
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// yamlErr turns a yaml error into "config: <name> line N: <problem>".
func yamlErr(name string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = backtickRe.ReplaceAllString(msg, "")
	if m := unknownFieldRe.FindStringSubmatch(msg); m != nil {
		msg = strings.Replace(msg, m[0], unknownKey(m[1]), 1)
	}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		return fieldErr(name+" line "+m[1], m[2])
	}
	return fieldErr(name, msg)
}

var (
	// Slack ids: users U…/W…, user groups S…, channels C… (public) / G… (private).
	principalRe = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)
	channelRe   = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	// App ids and bundle ids end up in store keys joined by "/", so they
	// must not contain it (nor whitespace).
	appKeyRe = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

var platforms = map[string]bool{"IOS": true, "MAC_OS": true, "TV_OS": true, "VISION_OS": true}

// defaultAndValidate fills defaults and checks every field, returning the
// first problem found.
func (f *File) defaultAndValidate() error {
	f.pollGiven = strings.TrimSpace(f.Poll) != ""
	if !f.pollGiven {
		f.Poll = DefaultPoll
	}
	if _, err := ParseSchedule(f.Poll); err != nil {
		return &Error{Field: "poll", Problem: fmt.Sprintf("bad cron spec %q", f.Poll), Err: err}
	}
	if err := checkPrincipals("approvers", f.Approvers); err != nil {
		return err
	}
	if strings.TrimSpace(f.TimeZone) == "" {
		f.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(f.TimeZone)
	if err != nil || f.TimeZone == "Local" {
		return fieldErr("timezone", fmt.Sprintf("%q is not an IANA time zone name like Asia/Tokyo or UTC", f.TimeZone))
	}
	f.Location = loc
	if err := f.validateKeys(); err != nil {
		return err
	}
	seen := map[string]int{}
	for i := range f.Apps {
		a := &f.Apps[i]
		field := fmt.Sprintf("apps[%d]", i)
		switch {
		case a.ID == "" && a.BundleID == "":
			return fieldErr(field, "id or bundle_id required")
		case a.ID != "" && a.BundleID != "":
			return fieldErr(field, "set id or bundle_id, not both")
		}
		if a.ID != "" && !appKeyRe.MatchString(a.ID) {
			return fieldErr(field+".id", fmt.Sprintf("%q must be an App Store Connect app id like 1234567890", a.ID))
		}
		if a.BundleID != "" && !appKeyRe.MatchString(a.BundleID) {
			return fieldErr(field+".bundle_id", fmt.Sprintf("%q must be a bundle id like com.example.app", a.BundleID))
		}
		for _, k := range []string{"id:" + a.ID, "bundle:" + strings.ToLower(a.BundleID)} {
			if k == "id:" || k == "bundle:" {
				continue
			}
			if j, dup := seen[k]; dup {
				return fieldErr(field, fmt.Sprintf("duplicate app %s (also apps[%d])", strings.SplitN(k, ":", 2)[1], j))
			}
			seen[k] = i
		}
		switch {
		case a.Channel == "":
			return fieldErr(field+".channel", "missing: every app needs the Slack channel id (like C0123456789) where its review-state changes are posted")
		case !channelRe.MatchString(a.Channel):
			return fieldErr(field+".channel", "must be a Slack channel id like C0123456789")
		}
		if err := checkPrincipals(field+".approvers", a.Approvers); err != nil {
			return err
		}
		if err := checkPrincipals(field+".testers", a.Testers); err != nil {
			return err
		}
		if err := checkPrincipals(field+".submitters", a.Submitters); err != nil {
			return err
		}
		if err := checkPrincipals(field+".watchers", a.Watchers); err != nil {
			return err
		}
		a.Platform = strings.ToUpper(strings.TrimSpace(a.Platform))
		if a.Platform == "" {
			a.Platform = DefaultPlatform
		}
		if !platforms[a.Platform] {
			return fieldErr(field+".platform", fmt.Sprintf("%q must be IOS, MAC_OS, TV_OS or VISION_OS", a.Platform))
		}
	}
	return nil
}

func checkPrincipals(field string, ids []string) error {
	for i, id := range ids {
		if !principalRe.MatchString(id) {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q must be a Slack user (U…/W…) or user group (S…) id", id))
		}
	}
	return nil
}
